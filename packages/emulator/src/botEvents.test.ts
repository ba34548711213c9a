import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { get, post } from '../test/http';
import { startEmulator } from './startEmulator';
import type { Emulator } from './types';

let emulator: Emulator | undefined;
let receiver: Server | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
  receiver = undefined;
});

/** A bot's webhook handler on loopback that records each POST. */
async function startReceiver(
  status = 200,
): Promise<{ url: string; requests: { contentType: string; body: string }[] }> {
  const requests: { contentType: string; body: string }[] = [];
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      requests.push({ contentType: req.headers['content-type'] ?? '', body });
      res.statusCode = status;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver!.listen(0, '127.0.0.1', resolve));
  const address = receiver.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/bot`, requests };
}

describe('events to bots', () => {
  it('webhook mode: register, then a user message POSTs a form-encoded ONIMBOTV2MESSAGEADD with top-level auth[application_token]', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const { url, requests } = await startReceiver();
    const hook = emulator.webhookUrl();
    const reg = await post(`${hook}imbot.v2.Bot.register`, {
      fields: {
        code: 'echo',
        botToken: 'echo-token',
        eventMode: 'webhook',
        webhookUrl: url,
        properties: { name: 'Echo' },
      },
    });
    expect(reg.status).toBe(200);
    const botId = reg.body.result.bot.id as number;
    expect(reg.body.result.bot.eventMode).toBe('webhook');

    const sent = await post(`${emulator.webhookUrl(2)}im.message.add`, {
      DIALOG_ID: String(botId),
      MESSAGE: 'Hello, bot & co',
    });
    expect(sent.status).toBe(200);
    await emulator.settled();

    expect(requests).toHaveLength(1);
    expect(requests[0]!.contentType).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(requests[0]!.body);
    expect(form.get('event')).toBe('ONIMBOTV2MESSAGEADD');
    expect(form.get('data[bot][id]')).toBe(String(botId));
    expect(form.get('data[message][text]')).toBe('Hello, bot & co');
    expect(form.get('data[message][authorId]')).toBe('2');
    expect(form.get('data[message][isSystem]')).toBe('0');
    expect(form.get('data[chat][dialogId]')).toBe('2');
    expect(form.get('data[user][id]')).toBe('2');
    const appToken = form.get('auth[application_token]');
    expect(appToken).toBeTruthy();
    const bot = emulator.deliveries()[0]!;
    expect(bot).toMatchObject({ botId, status: 200, event: 'ONIMBOTV2MESSAGEADD', error: null });
    // Every scalar is a string; null became ''.
    expect(form.get('data[message][uuid]')).toBe('');

    // The bot replies with its token to the dialog the event named: the reply lands in the private chat with user 2.
    const reply = await post(`${hook}imbot.v2.Chat.Message.send`, {
      botId,
      botToken: 'echo-token',
      dialogId: form.get('data[chat][dialogId]'),
      fields: { message: 'echo: Hello' },
    });
    expect(reply.status).toBe(200);
    const chatId = Number(form.get('data[chat][id]'));
    expect(emulator.messages(chatId).map((m) => [m.authorId, m.text])).toEqual([
      [2, 'Hello, bot & co'],
      [botId, 'echo: Hello'],
    ]);
    // A bot's own message produces no event for itself.
    await emulator.settled();
    expect(requests).toHaveLength(1);
  });

  it('webhook delivery failures are recorded, not retried', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const { url, requests } = await startReceiver(500);
    emulator.seed({
      bots: [{ code: 'fragile', name: 'Fragile', botToken: 'fragile', eventMode: 'webhook', webhookUrl: url }],
    });
    emulator.seed({
      bots: [
        {
          code: 'nowhere',
          name: 'Nowhere',
          botToken: 'nowhere',
          eventMode: 'webhook',
          webhookUrl: 'http://127.0.0.1:9/closed',
        },
      ],
    });
    const bots = emulator.fixtures.users.filter((u) => u.name === 'Fragile' || u.name === 'Nowhere');
    for (const b of bots) emulator.postMessage({ from: 3, dialogId: String(b.id), text: 'ping' });
    await emulator.settled();
    expect(requests).toHaveLength(1);
    const outcomes = emulator.deliveries().map((d) => [d.status, d.error === null]);
    expect(outcomes).toEqual([
      [500, true],
      [null, false],
    ]);
  });

  it('fetch mode: Event.get pages with offset / nextOffset / hasMore and an offset confirms earlier events', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const hook = emulator.webhookUrl();
    const agent = { botId: 10, botToken: 'agent-bot-token' };
    for (let i = 1; i <= 5; i++) {
      expect(
        (await post(`${emulator.webhookUrl(2)}im.message.add`, { DIALOG_ID: '10', MESSAGE: `m${i}` })).status,
      ).toBe(200);
    }
    const page1 = await post(`${hook}imbot.v2.Event.get`, { ...agent, limit: 2 });
    expect(page1.body.result.events.map((e: { data: { message: { text: string } } }) => e.data.message.text)).toEqual([
      'm1',
      'm2',
    ]);
    expect(page1.body.result).toMatchObject({ nextOffset: 3, hasMore: true });
    const first = page1.body.result.events[0];
    expect(first).toMatchObject({ eventId: 1, type: 'ONIMBOTV2MESSAGEADD' });
    expect(Object.keys(first.data).sort()).toEqual(['bot', 'chat', 'language', 'message', 'user']);
    expect(first.data.bot).not.toHaveProperty('auth');
    expect(first.data.chat).toMatchObject({ dialogId: '2', type: 'private' });

    const again = await post(`${hook}imbot.v2.Event.get`, { ...agent, limit: 2 });
    expect(again.body.result.events[0].eventId).toBe(1); // not confirmed yet
    const page2 = await post(`${hook}imbot.v2.Event.get`, { ...agent, offset: 3, limit: 10 });
    expect(page2.body.result.events.map((e: { eventId: number }) => e.eventId)).toEqual([3, 4, 5]);
    expect(page2.body.result).toMatchObject({ nextOffset: 6, hasMore: false });
    const afterConfirm = await post(`${hook}imbot.v2.Event.get`, { ...agent, offset: 0 });
    expect(afterConfirm.body.result.events.map((e: { eventId: number }) => e.eventId)).toEqual([3, 4, 5]);
  });

  it('type bot hears group chats only when mentioned; supervisor hears everything', async () => {
    emulator = await startEmulator({ plan: 'off' });
    emulator.seed({ bots: [{ id: 30, code: 'sup', name: 'Sup', botToken: 'sup', type: 'supervisor', chats: [1] }] });
    emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'hello all' });
    emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'hey [USER=10]Agent[/USER]' });
    const agent = await post(`${emulator.webhookUrl()}imbot.v2.Event.get`, { botId: 10, botToken: 'agent-bot-token' });
    const sup = await post(`${emulator.webhookUrl()}imbot.v2.Event.get`, { botId: 30, botToken: 'sup' });
    expect(agent.body.result.events).toHaveLength(1);
    expect(agent.body.result.events[0].data.chat.dialogId).toBe('chat1');
    expect(sup.body.result.events).toHaveLength(2);
  });

  it('a bot registered over OAuth answers in the private chat the event named', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const token = emulator.fixtures.oauth.accessToken;
    const reg = await post(`${emulator.restUrl}imbot.v2.Bot.register`, {
      auth: token,
      fields: { code: 'oauthbot', properties: { name: 'OA' } },
    });
    const botId = reg.body.result.bot.id;
    await post(`${emulator.webhookUrl(3)}im.message.add`, { DIALOG_ID: String(botId), MESSAGE: 'question' });
    const events = await post(`${emulator.restUrl}imbot.v2.Event.get`, { auth: token, botId });
    const dialogId = events.body.result.events[0].data.chat.dialogId;
    expect(dialogId).toBe('3');
    const status = await post(`${emulator.restUrl}imbot.v2.Chat.InputAction.notify`, {
      auth: token,
      botId,
      dialogId,
      statusMessageCode: 'IMBOT_AGENT_ACTION_THINKING',
    });
    expect(status.status).toBe(200);
    const answer = await post(`${emulator.restUrl}imbot.v2.Chat.Message.send`, {
      auth: token,
      botId,
      dialogId,
      fields: { message: 'answer' },
    });
    expect(answer.status).toBe(200);
    expect(emulator.visibility(dialogId, botId)).toEqual([expect.objectContaining({ endCause: 'message', calls: 1 })]);
  });

  it("a bot registered through a webhook signs its events with that webhook's application_token, which the test can read", async () => {
    emulator = await startEmulator({ plan: 'off' });
    const { url, requests } = await startReceiver();
    const expected = emulator.webhookApplicationToken(1);
    expect(expected).toBe(emulator.fixtures.webhook.applicationToken);
    expect((await get(`${emulator.url}/_emulator/fixtures`)).body.webhook.applicationToken).toBe(expected);
    const reg = await post(`${emulator.webhookUrl()}imbot.v2.Bot.register`, {
      fields: {
        code: 'signed',
        botToken: 'signed-token',
        eventMode: 'webhook',
        webhookUrl: url,
        properties: { name: 'S' },
      },
    });
    const botId = reg.body.result.bot.id as number;
    // The register result is the documented {bot, users}: no token in it (reference §4.2).
    expect(JSON.stringify(reg.body)).not.toContain(expected);
    expect(emulator.bot(botId)).toMatchObject({ id: botId, code: 'signed', applicationToken: expected });
    expect(emulator.bot('signed')?.applicationToken).toBe(expected);
    expect(emulator.bot('nope')).toBeNull();
    expect((await get(`${emulator.url}/_emulator/bots/signed`)).body.applicationToken).toBe(expected);
    expect((await get(`${emulator.url}/_emulator/bots/${botId}`)).body.id).toBe(botId);
    expect((await get(`${emulator.url}/_emulator/bots/999`)).status).toBe(404);
    expect((await get(`${emulator.url}/_emulator/bots`)).body.bots.map((b: { code: string }) => b.code)).toContain(
      'signed',
    );
    await post(`${emulator.webhookUrl(2)}im.message.add`, { DIALOG_ID: String(botId), MESSAGE: 'hi' });
    await emulator.settled();
    expect(new URLSearchParams(requests[0]!.body).get('auth[application_token]')).toBe(expected);
    // Another user's webhook is another integration, with another token.
    expect(emulator.webhookApplicationToken(2)).not.toBe(expected);
  });

  it("the application_token can be fixed up front (seeded webhook or bot), and an OAuth app's bots carry the app token", async () => {
    emulator = await startEmulator({
      plan: 'off',
      initial: {
        webhooks: [{ userId: 2, code: 'bobshook', applicationToken: 'bobs-app-token' }],
        bots: [{ code: 'fixed', name: 'F', botToken: 'f', applicationToken: 'fixed-app-token' }],
      },
    });
    expect(emulator.webhookApplicationToken(2)).toBe('bobs-app-token');
    expect(emulator.bot('fixed')?.applicationToken).toBe('fixed-app-token');
    const viaBob = await post(`${emulator.url}/rest/2/bobshook/imbot.v2.Bot.register`, {
      fields: { code: 'bobs', botToken: 'b', properties: { name: 'B' } },
    });
    expect(emulator.bot(viaBob.body.result.bot.id)?.applicationToken).toBe('bobs-app-token');
    const viaApp = await post(`${emulator.restUrl}imbot.v2.Bot.register`, {
      auth: emulator.fixtures.oauth.accessToken,
      fields: { code: 'appbot', properties: { name: 'A' } },
    });
    expect(viaApp.status).toBe(200);
    expect(emulator.bot('appbot')?.applicationToken).toBe(emulator.fixtures.app.applicationToken);
  });

  it('imbot.v2.Bot.update switches the event mode and webhookUrl, rotates the botToken, and validates first', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const { url, requests } = await startReceiver();
    const hook = emulator.webhookUrl();
    const reg = await post(`${hook}imbot.v2.Bot.register`, {
      fields: { code: 'mover', botToken: 'old-token', properties: { name: 'Mover' } },
    });
    const botId = reg.body.result.bot.id as number;
    const update = (botToken: string, fields: unknown) =>
      post(`${hook}imbot.v2.Bot.update`, { botId, botToken, fields });
    for (const [fields, code] of [
      [{ eventMode: 'webhook' }, 'BOT_WEBHOOK_URL_REQUIRED'],
      [{ eventMode: 'push', webhookUrl: url }, 'BOT_INVALID_EVENT_MODE'],
      [{ eventMode: 'webhook', webhookUrl: 'ftp://x' }, 'BOT_INVALID_CALLBACK'],
      [{ botToken: 'agent-bot-token' }, 'BOT_TOKEN_ROTATION_FAILED'], // the seeded agent answers to it
      [{ botToken: 'x'.repeat(41) }, 'BOT_TOKEN_INVALID_LENGTH'],
    ] as const) {
      const refused = await update('old-token', fields);
      expect([refused.status, refused.body.error]).toEqual([400, code]);
    }
    expect((await update('wrong-token', { eventMode: 'fetch' })).body.error).toBe('BOT_OWNERSHIP_ERROR');

    const moved = await update('old-token', {
      eventMode: 'webhook',
      webhookUrl: url,
      botToken: 'new-token',
      properties: { name: 'Moved' },
    });
    expect(moved.status).toBe(200);
    expect(moved.body.result.bot).toMatchObject({ id: botId, eventMode: 'webhook' });
    expect(emulator.bot(botId)).toMatchObject({ botToken: 'new-token' });
    // The old token no longer identifies the bot; the new one does.
    expect((await update('old-token', { eventMode: 'webhook' })).body.error).toBe('BOT_OWNERSHIP_ERROR');
    expect((await update('new-token', {})).status).toBe(200);

    await post(`${emulator.webhookUrl(2)}im.message.add`, { DIALOG_ID: String(botId), MESSAGE: 'now by POST' });
    await emulator.settled();
    const form = new URLSearchParams(requests[0]!.body);
    expect(form.get('data[message][text]')).toBe('now by POST');
    expect(form.get('auth[application_token]')).toBe(emulator.webhookApplicationToken(1));
    const state = (await get(`${emulator.url}/_emulator/state`)).body;
    expect(state.users.find((u: { id: number }) => u.id === botId).name).toMatch(/^Moved/);
  });
});
