import { afterEach, describe, expect, it, vi } from 'vitest';
import { get, post } from '../test/http';
import { closeReceivers, listenLoopback, startReceiver } from '../test/startReceiver';
import { parseQuery } from './phpQuery';
import { startEmulator } from './startEmulator';
import type { Emulator } from './types';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
  await closeReceivers();
});

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
      [{ botToken: '\u{1F600}'.repeat(41) }, 'BOT_TOKEN_INVALID_LENGTH'],
    ] as const) {
      const refused = await update('old-token', fields);
      expect([refused.status, refused.body.error]).toEqual([400, code]);
    }
    expect((await update('wrong-token', { eventMode: 'fetch' })).body.error).toBe('BOT_OWNERSHIP_ERROR');
    // §4.1 counts characters: 40 emoji (80 UTF-16 units) are a valid token, and rotating back to the old one works.
    const emoji = '\u{1F600}'.repeat(40);
    expect((await update('old-token', { botToken: emoji })).status).toBe(200);
    expect((await update(emoji, { botToken: 'old-token' })).status).toBe(200);

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

describe('imbot.v2.Event.get paging at the edges (reference §4.4: limit 1-1000, default 100; offset confirms)', () => {
  // As bitrix-modules im/lib/V2/EventLog/EventService.php fetchEventsForRest has it (the reference gives no more):
  // `int $offset`, `int $limit` action parameters, limit clamped with min(1000, max(1, limit)), and
  // hasMore = "the page is full", not "more are queued".
  const agent = { botId: 10, botToken: 'agent-bot-token' };
  const eventGet = (params: Record<string, unknown>) =>
    post(`${emulator!.webhookUrl()}imbot.v2.Event.get`, { ...agent, ...params });
  const ids = (reply: { body: { result: { events: { eventId: number }[] } } }) =>
    reply.body.result.events.map((e) => e.eventId);
  const queue = async (count: number) => {
    emulator = await startEmulator({ plan: 'off' });
    for (let i = 1; i <= count; i++) emulator.postMessage({ from: 2, dialogId: '10', text: `m${i}` });
  };

  it('a full page says hasMore, even when it took the last event: the next page is empty and says no more', async () => {
    await queue(2);
    const full = await eventGet({ limit: 2 });
    expect(ids(full)).toEqual([1, 2]);
    expect(full.body.result).toMatchObject({ nextOffset: 3, hasMore: true });
    const empty = await eventGet({ offset: 3, limit: 2 });
    expect(empty.body.result).toEqual({ events: [], nextOffset: 3, hasMore: false });
  });

  it('clamps limit 0, negative and huge to 1..1000; null or absent is the default 100', async () => {
    await queue(3);
    expect(ids(await eventGet({ limit: 0 }))).toEqual([1]);
    expect(ids(await eventGet({ limit: -5 }))).toEqual([1]);
    expect(ids(await eventGet({ limit: '-5' }))).toEqual([1]);
    expect(ids(await eventGet({ limit: 1_000_000 }))).toEqual([1, 2, 3]);
    expect(ids(await eventGet({ limit: null }))).toEqual([1, 2, 3]);
    expect(ids(await eventGet({ limit: '2' }))).toEqual([1, 2]);
  });

  // The test above has too few events to tell 100 or 1000 from any larger page size.
  it('§4.4 at the bounds: no limit is a page of 100, a huge one a page of 1000, both full (hasMore)', async () => {
    await queue(1001);
    const byDefault = await eventGet({});
    expect(ids(byDefault)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(byDefault.body.result).toMatchObject({ nextOffset: 101, hasMore: true });
    const huge = await eventGet({ limit: 1_000_000 });
    expect(ids(huge)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(huge.body.result).toMatchObject({ nextOffset: 1001, hasMore: true });
  });

  it('refuses a limit or offset that is not numeric, as the int parameter binder does (§1.3), confirming nothing', async () => {
    await queue(3);
    for (const [name, value] of [
      ['limit', 'ten'],
      ['limit', ''],
      ['offset', '2x'],
      ['offset', 'abc'],
    ] as const) {
      const refused = await eventGet({ [name]: value });
      expect({
        name,
        value,
        status: refused.status,
        error: refused.body.error,
        argument: refused.body.argument,
      }).toEqual({ name, value, status: 400, error: 'ERROR_ARGUMENT', argument: name });
      expect(refused.body.error_description).toBe(
        `Invalid value ${JSON.stringify(value)} to match with parameter {${name}}. Should be value of type int.`,
      );
    }
    expect(ids(await eventGet({}))).toEqual([1, 2, 3]);
  });

  it('an offset beyond the last event confirms them all and echoes the offset; a negative one is 0', async () => {
    await queue(3);
    expect((await eventGet({ offset: -7 })).body.result).toMatchObject({ nextOffset: 4, hasMore: false });
    expect(ids(await eventGet({}))).toEqual([1, 2, 3]); // a negative offset confirmed nothing
    const beyond = await eventGet({ offset: 50 });
    expect(beyond.body.result).toEqual({ events: [], nextOffset: 50, hasMore: false });
    expect(ids(await eventGet({}))).toEqual([]);
  });
});

describe('ONIMBOTV2MESSAGEUPDATE (reference §4.4: an edit in a chat with the bot)', () => {
  it('fetch mode: an im.message.update queues ONIMBOTV2MESSAGEUPDATE after the MESSAGEADD, same shape, the new text', async () => {
    let now = Date.parse('2026-01-01T10:00:00Z');
    emulator = await startEmulator({ plan: 'off', now: () => now });
    const user2 = emulator.webhookUrl(2);
    const added = await post(`${user2}im.message.add`, { DIALOG_ID: '10', MESSAGE: 'helo' });
    expect(added.status).toBe(200);
    now += 5_000;
    const edited = await post(`${user2}im.message.update`, { MESSAGE_ID: added.body.result, MESSAGE: 'hello' });
    expect(edited.status).toBe(200);

    const got = await post(`${emulator.webhookUrl()}imbot.v2.Event.get`, { botId: 10, botToken: 'agent-bot-token' });
    const events = got.body.result.events;
    expect(events.map((e: { type: string }) => e.type)).toEqual(['ONIMBOTV2MESSAGEADD', 'ONIMBOTV2MESSAGEUPDATE']);
    const update = events[1];
    expect(update).toMatchObject({ eventId: 2, date: '2026-01-01T10:00:05+00:00' });
    expect(Object.keys(update.data).sort()).toEqual(['bot', 'chat', 'language', 'message', 'user']);
    expect(update.data.message).toMatchObject({ id: added.body.result, authorId: 2, text: 'hello' });
    expect(update.data.chat).toMatchObject({ dialogId: '2', type: 'private' });
    expect(update.data.user).toMatchObject({ id: 2 });
    expect(update.data.bot).toMatchObject({ id: 10 });
    expect(update.data.bot).not.toHaveProperty('auth');
  });

  it('webhook mode: an edit POSTs a form-encoded ONIMBOTV2MESSAGEUPDATE with the top-level auth', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const { url, requests } = await startReceiver();
    emulator.seed({ bots: [{ code: 'hook', name: 'Hook', botToken: 'hook', eventMode: 'webhook', webhookUrl: url }] });
    const botId = emulator.bot('hook')!.id;
    const id = emulator.postMessage({ from: 3, dialogId: String(botId), text: 'first' });
    const edited = await post(`${emulator.webhookUrl(3)}im.message.update`, { MESSAGE_ID: id, MESSAGE: 'second' });
    expect(edited.status).toBe(200);
    await emulator.settled();
    expect(requests.map((r) => new URLSearchParams(r.body).get('event'))).toEqual([
      'ONIMBOTV2MESSAGEADD',
      'ONIMBOTV2MESSAGEUPDATE',
    ]);
    const form = new URLSearchParams(requests[1]!.body);
    expect(form.get('data[bot][id]')).toBe(String(botId));
    expect(form.get('data[message][id]')).toBe(String(id));
    expect(form.get('data[message][text]')).toBe('second');
    expect(form.get('data[chat][dialogId]')).toBe('3');
    expect(form.get('data[user][id]')).toBe('3');
    expect(form.get('auth[application_token]')).toBe(emulator.bot('hook')!.applicationToken);
  });

  it('group chats follow the addressing of MESSAGEADD: a type bot hears an edit that mentions it, a supervisor every edit', async () => {
    emulator = await startEmulator({ plan: 'off' });
    emulator.seed({ bots: [{ id: 30, code: 'sup', name: 'Sup', botToken: 'sup', type: 'supervisor', chats: [1] }] });
    const user2 = emulator.webhookUrl(2);
    const plain = emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'hello all' });
    await post(`${user2}im.message.update`, { MESSAGE_ID: plain, MESSAGE: 'hello all, again' });
    await post(`${user2}im.message.update`, { MESSAGE_ID: plain, MESSAGE: 'hey [USER=10]Agent[/USER]' });
    const types = async (botId: number, botToken: string) =>
      (await post(`${emulator!.webhookUrl()}imbot.v2.Event.get`, { botId, botToken })).body.result.events.map(
        (e: { type: string; data: { message: { text: string } } }) => `${e.type} ${e.data.message.text}`,
      );
    expect(await types(10, 'agent-bot-token')).toEqual(['ONIMBOTV2MESSAGEUPDATE hey [USER=10]Agent[/USER]']);
    expect(await types(30, 'sup')).toEqual([
      'ONIMBOTV2MESSAGEADD hello all',
      'ONIMBOTV2MESSAGEUPDATE hello all, again',
      'ONIMBOTV2MESSAGEUPDATE hey [USER=10]Agent[/USER]',
    ]);
  });
});

describe('ONIMBOTV2MESSAGEDELETE (reference §4.4: a deletion in a chat with the bot)', () => {
  it("fetch mode: im.message.delete queues {bot, messageId, chat, user, language} (the public event page's shape)", async () => {
    let now = Date.parse('2026-01-01T10:00:00Z');
    emulator = await startEmulator({ plan: 'off', now: () => now });
    const user2 = emulator.webhookUrl(2);
    const added = await post(`${user2}im.message.add`, { DIALOG_ID: '10', MESSAGE: 'oops' });
    now += 5_000;
    expect((await post(`${user2}im.message.delete`, { MESSAGE_ID: added.body.result })).status).toBe(200);

    const got = await post(`${emulator.webhookUrl()}imbot.v2.Event.get`, { botId: 10, botToken: 'agent-bot-token' });
    const events = got.body.result.events;
    expect(events.map((e: { type: string }) => e.type)).toEqual(['ONIMBOTV2MESSAGEADD', 'ONIMBOTV2MESSAGEDELETE']);
    const deleted = events[1];
    expect(deleted).toMatchObject({ eventId: 2, date: '2026-01-01T10:00:05+00:00' });
    expect(Object.keys(deleted.data).sort()).toEqual(['bot', 'chat', 'language', 'messageId', 'user']);
    expect(deleted.data).toMatchObject({
      messageId: added.body.result,
      chat: { dialogId: '2', type: 'private' },
      user: { id: 2 },
      bot: { id: 10 },
      language: 'en',
    });
  });

  it('an emptying im.message.update is a deletion too: webhook mode POSTs ONIMBOTV2MESSAGEDELETE, no MESSAGEUPDATE', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const { url, requests } = await startReceiver();
    emulator.seed({ bots: [{ code: 'hook', name: 'Hook', botToken: 'hook', eventMode: 'webhook', webhookUrl: url }] });
    const botId = emulator.bot('hook')!.id;
    const id = emulator.postMessage({ from: 3, dialogId: String(botId), text: 'first' });
    expect((await post(`${emulator.webhookUrl(3)}im.message.update`, { MESSAGE_ID: id, MESSAGE: '' })).status).toBe(
      200,
    );
    await emulator.settled();
    expect(requests.map((r) => new URLSearchParams(r.body).get('event'))).toEqual([
      'ONIMBOTV2MESSAGEADD',
      'ONIMBOTV2MESSAGEDELETE',
    ]);
    const form = new URLSearchParams(requests[1]!.body);
    expect(form.get('data[messageId]')).toBe(String(id));
    expect(form.get('data[chat][dialogId]')).toBe('3');
    expect(form.get('data[user][id]')).toBe('3');
    expect(form.get('auth[application_token]')).toBe(emulator.bot('hook')!.applicationToken);
  });

  it('group chats: a type bot hears the deletion of a message that mentioned it, a supervisor every deletion', async () => {
    emulator = await startEmulator({ plan: 'off' });
    emulator.seed({ bots: [{ id: 30, code: 'sup', name: 'Sup', botToken: 'sup', type: 'supervisor', chats: [1] }] });
    const user2 = emulator.webhookUrl(2);
    const plain = emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'hello all' });
    const mention = emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'hey [USER=10]Agent[/USER]' });
    await post(`${user2}im.message.delete`, { MESSAGE_ID: plain });
    await post(`${user2}im.message.delete`, { MESSAGE_ID: mention });
    const types = async (botId: number, botToken: string) =>
      (await post(`${emulator!.webhookUrl()}imbot.v2.Event.get`, { botId, botToken })).body.result.events.map(
        (e: { type: string; data: { message?: { id: number }; messageId?: number } }) =>
          `${e.type} ${e.data.messageId ?? e.data.message?.id}`,
      );
    expect(await types(10, 'agent-bot-token')).toEqual([
      `ONIMBOTV2MESSAGEADD ${mention}`,
      `ONIMBOTV2MESSAGEDELETE ${mention}`,
    ]);
    expect(await types(30, 'sup')).toEqual([
      `ONIMBOTV2MESSAGEADD ${plain}`,
      `ONIMBOTV2MESSAGEADD ${mention}`,
      `ONIMBOTV2MESSAGEDELETE ${plain}`,
      `ONIMBOTV2MESSAGEDELETE ${mention}`,
    ]);
  });
});

describe('imbot.v2.Bot.unregister (reference §4.2; ONIMBOTV2DELETE is the last event, §4.4)', () => {
  it('fetch mode: answers true, queues ONIMBOTV2DELETE {bot} after what was unread, then the bot is gone', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const hook = emulator.webhookUrl();
    const reg = await post(`${hook}imbot.v2.Bot.register`, {
      fields: { code: 'leaver', botToken: 'leaver-token', properties: { name: 'Leaver' } },
    });
    const botId = reg.body.result.bot.id as number;
    const creds = { botId, botToken: 'leaver-token' };
    expect(
      (await post(`${hook}imbot.v2.Chat.Message.send`, { ...creds, dialogId: '2', fields: { message: 'hi' } })).status,
    ).toBe(200);
    await post(`${emulator.webhookUrl(2)}im.message.add`, { DIALOG_ID: String(botId), MESSAGE: 'unread' });

    const gone = await post(`${hook}imbot.v2.Bot.unregister`, creds);
    expect(gone.status).toBe(200);
    expect(gone.body.result).toBe(true);
    expect(gone.body.time).toBeDefined();

    // Every other call answers as for a bot that never existed, at once.
    for (const [method, params] of [
      ['imbot.v2.Chat.InputAction.notify', { ...creds, dialogId: '2' }],
      ['imbot.v2.Chat.Message.send', { ...creds, dialogId: '2', fields: { message: 'still here?' } }],
      ['imbot.v2.Bot.update', { ...creds, fields: {} }],
      ['imbot.v2.Bot.unregister', creds],
    ] as const) {
      const refused = await post(`${hook}${method}`, params);
      expect([method, refused.status, refused.body.error]).toEqual([method, 400, 'BOT_NOT_FOUND']);
    }
    // Nothing reaches it any more: a message to its dialog makes no event after the last one.
    expect(
      (await post(`${emulator.webhookUrl(2)}im.message.add`, { DIALOG_ID: String(botId), MESSAGE: 'late' })).status,
    ).toBe(200);

    const page = await post(`${hook}imbot.v2.Event.get`, creds);
    expect(page.status).toBe(200);
    const events = page.body.result.events as {
      eventId: number;
      type: string;
      date: string;
      data: Record<string, unknown>;
    }[];
    expect(events.map((e) => e.type)).toEqual(['ONIMBOTV2MESSAGEADD', 'ONIMBOTV2DELETE']);
    const last = events[1]!;
    expect(last.eventId).toBe(events[0]!.eventId + 1);
    expect(last.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
    // `{bot}` only, the full bot object of fetch mode (no auth), as it was before the delete.
    expect(Object.keys(last.data)).toEqual(['bot']);
    expect(last.data.bot).toMatchObject({
      id: botId,
      code: 'leaver',
      eventMode: 'fetch',
      countMessage: 1,
      countUser: 1,
    });
    expect(last.data.bot).not.toHaveProperty('auth');
    expect(page.body.result).toMatchObject({ nextOffset: last.eventId + 1, hasMore: false });

    // Its last event was read: Event.get (even the confirming one) now finds no bot.
    const after = await post(`${hook}imbot.v2.Event.get`, { ...creds, offset: last.eventId + 1 });
    expect([after.status, after.body.error]).toEqual([400, 'BOT_NOT_FOUND']);
    expect(emulator.bot(botId)).toBeNull();
    expect((await get(`${emulator.url}/_emulator/bots/${botId}`)).status).toBe(404);

    // The code is free again: registering it makes a new bot.
    const again = await post(`${hook}imbot.v2.Bot.register`, {
      fields: { code: 'leaver', botToken: 'leaver-token', properties: { name: 'Leaver' } },
    });
    expect(again.body.result.bot.id).not.toBe(botId);
  });

  it('fetch mode: the queue stays readable page by page until the page that carries ONIMBOTV2DELETE', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const hook = emulator.webhookUrl();
    const agent = { botId: 10, botToken: 'agent-bot-token' };
    for (const text of ['a', 'b', 'c']) emulator.postMessage({ from: 2, dialogId: '10', text });
    expect((await post(`${hook}imbot.v2.Bot.unregister`, agent)).body.result).toBe(true);
    const page1 = await post(`${hook}imbot.v2.Event.get`, { ...agent, limit: 2 });
    expect(page1.body.result).toMatchObject({ nextOffset: 3, hasMore: true });
    // Unconfirmed and not yet past the delete: the same page again.
    expect((await post(`${hook}imbot.v2.Event.get`, { ...agent, limit: 2 })).body.result.nextOffset).toBe(3);
    const page2 = await post(`${hook}imbot.v2.Event.get`, { ...agent, offset: 3, limit: 2 });
    expect(page2.body.result.events.map((e: { type: string }) => e.type)).toEqual([
      'ONIMBOTV2MESSAGEADD',
      'ONIMBOTV2DELETE',
    ]);
    expect((await post(`${hook}imbot.v2.Event.get`, { ...agent, offset: 5 })).body.error).toBe('BOT_NOT_FOUND');
  });

  it('webhook mode: POSTs ONIMBOTV2DELETE with data[bot] {id, code, auth} and the top-level auth, then nothing more', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const { url, requests } = await startReceiver();
    const hook = emulator.webhookUrl();
    const reg = await post(`${hook}imbot.v2.Bot.register`, {
      fields: {
        code: 'hooked',
        botToken: 'hooked-token',
        eventMode: 'webhook',
        webhookUrl: url,
        properties: { name: 'H' },
      },
    });
    const botId = reg.body.result.bot.id as number;
    const creds = { botId, botToken: 'hooked-token' };
    expect((await post(`${hook}imbot.v2.Bot.unregister`, creds)).body.result).toBe(true);
    await emulator.settled();
    expect(requests).toHaveLength(1);
    const form = new URLSearchParams(requests[0]!.body);
    expect(form.get('event')).toBe('ONIMBOTV2DELETE');
    expect(form.get('data[bot][id]')).toBe(String(botId));
    expect(form.get('data[bot][code]')).toBe('hooked');
    expect([...form.keys()].filter((k) => k.startsWith('data[') && !k.startsWith('data[bot]'))).toEqual([]);
    expect(form.get('auth[application_token]')).toBe(emulator.webhookApplicationToken(1));
    expect(Number(form.get('ts'))).toBeGreaterThan(0);
    expect(emulator.deliveries()).toEqual([expect.objectContaining({ botId, event: 'ONIMBOTV2DELETE', status: 200 })]);

    // Gone at once: webhook-mode events were never queued.
    expect((await post(`${hook}imbot.v2.Event.get`, creds)).body.error).toBe('BOT_NOT_FOUND');
    await post(`${emulator.webhookUrl(2)}im.message.add`, { DIALOG_ID: String(botId), MESSAGE: 'anyone?' });
    await emulator.settled();
    expect(requests).toHaveLength(1);
  });

  it('OAuth: the owning application unregisters without botToken; another owner cannot', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const helper = { botId: 11 };
    const token = emulator.fixtures.oauth.accessToken;
    const refused = await post(`${emulator.webhookUrl()}imbot.v2.Bot.unregister`, {
      ...helper,
      botToken: 'agent-bot-token',
    });
    expect([refused.status, refused.body.error]).toEqual([400, 'BOT_OWNERSHIP_ERROR']);
    const done = await post(`${emulator.restUrl}imbot.v2.Bot.unregister`, { ...helper, auth: token });
    expect(done.body.result).toBe(true);
    const events = await post(`${emulator.restUrl}imbot.v2.Event.get`, { ...helper, auth: token });
    expect(events.body.result.events.map((e: { type: string }) => e.type)).toEqual(['ONIMBOTV2DELETE']);
  });

  it('the live state, timeline and fixtures carry on without the bot', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const agent = { botId: 10, botToken: 'agent-bot-token' };
    const hook = emulator.webhookUrl();
    await post(`${hook}imbot.v2.Chat.Message.send`, { ...agent, dialogId: 'chat1', fields: { message: 'bye' } });
    await post(`${hook}imbot.v2.Chat.InputAction.notify`, { ...agent, dialogId: 'chat1', duration: 60 });
    expect((await post(`${hook}imbot.v2.Bot.unregister`, agent)).status).toBe(200);

    const state = (await get(`${emulator.url}/_emulator/state`)).body;
    expect(state.bots.map((b: { id: number }) => b.id)).toEqual([11]);
    const general = state.chats.find((c: { id: number }) => c.id === 1);
    // It left the group chat; its message stays, under its name; its indicator lapses on its own timer.
    expect(general.members).not.toContain(10);
    expect(general.messages.map((m: { author: string; text: string }) => [m.author, m.text])).toEqual([
      ['Agent', 'bye'],
    ]);
    expect(general.indicators.map((i: { senderId: number }) => i.senderId)).toEqual([10]);
    expect(emulator.fixtures.chats.find((c) => c.id === 1)?.members).not.toContain(10);
    expect(emulator.timeline().at(-1)).toMatchObject({
      kind: 'call',
      method: 'imbot.v2.Bot.unregister',
      botId: 10,
      status: 200,
    });
    expect((await get(`${emulator.url}/_emulator/`)).status).toBe(200);

    // A reset brings the seeded bot back.
    emulator.reset();
    expect((await post(`${hook}imbot.v2.Event.get`, agent)).status).toBe(200);
  });
});

describe('webhook events: the app-owned bot and close()', () => {
  it('delivers a webhook event of an OAuth-owned bot in a portal without user 1, with a token that can reply', async () => {
    const { url, requests } = await startReceiver();
    emulator = await startEmulator({
      plan: 'off',
      emptySeed: true,
      initial: {
        users: [{ id: 5, name: 'Eve' }],
        bots: [{ id: 20, code: 'b', name: 'B', clientId: 'local.emulator.app', eventMode: 'webhook', webhookUrl: url }],
      },
    });
    const { accessToken } = emulator.issueToken(5);
    const sent = await post(`${emulator.restUrl}im.message.add`, { auth: accessToken, DIALOG_ID: '20', MESSAGE: 'hi' });
    expect([sent.status, sent.body.error]).toEqual([200, undefined]);
    await emulator.settled();
    expect(requests).toHaveLength(1);
    const event = parseQuery(requests[0]!.body) as {
      data: { bot: { auth: { access_token: string; user_id: string } } };
    };
    expect(event.data.bot.auth.user_id).toBe('20'); // the app acts as its bot; a scalar arrives as a string
    const reply = await post(`${emulator.restUrl}imbot.v2.Chat.Message.send`, {
      auth: event.data.bot.auth.access_token,
      botId: 20,
      dialogId: '5',
      fields: { message: 'hello Eve' },
    });
    expect(reply.status).toBe(200);
  });

  it('§4: an OAuth-owned bot seeded without its own token signs events with its application’s application_token', async () => {
    // The handler checks the top-level `auth.application_token` against the one its application was given
    // (reference §4): a bot of `local.emulator.app` must carry that app's token, not one of its own.
    const { url, requests } = await startReceiver();
    emulator = await startEmulator({
      plan: 'off',
      emptySeed: true,
      initial: {
        users: [{ id: 5, name: 'Eve' }],
        bots: [{ id: 20, code: 'b', name: 'B', clientId: 'local.emulator.app', eventMode: 'webhook', webhookUrl: url }],
      },
    });
    const appToken = emulator.fixtures.app.applicationToken;
    expect(appToken).not.toBe('');
    emulator.postMessage({ from: 5, dialogId: '20', text: 'hi' });
    await emulator.settled();
    expect(requests).toHaveLength(1);
    const event = parseQuery(requests[0]!.body) as {
      auth: { application_token: string };
      data: { bot: { auth: { application_token: string } } };
    };
    expect(event.auth.application_token).toBe(appToken);
    expect(event.data.bot.auth.application_token).toBe(appToken);
  });

  it('close() ends a webhook delivery still waiting for its handler, so settled() resolves', async () => {
    const { url, requests } = await startReceiver(null);
    emulator = await startEmulator({
      plan: 'off',
      initial: { bots: [{ code: 'w', name: 'W', botToken: 'w-token', eventMode: 'webhook', webhookUrl: url }] },
    });
    emulator.postMessage({ from: 2, dialogId: String(emulator.bot('w')!.id), text: 'hello' });
    await vi.waitFor(() => expect(requests).toHaveLength(1)); // the handler has it and will never answer
    await emulator.close();
    await emulator.settled(); // before the fix: pending until the 10 s delivery timeout, past this test's 5 s
    expect(emulator.deliveries()[0]!.status).toBe(null);
  }, 5_000);

  it('gives up on a handler that trickles its reply after 10 s in all, not 10 s of silence (fake timers)', async () => {
    // A handler that answers 200 and then sends a byte a second never goes idle: an idle timeout alone would hold
    // the delivery (and settled()) for ever.
    const requests: string[] = [];
    const url = await listenLoopback((req, res) => {
      req.resume();
      req.on('end', () => {
        requests.push(req.url ?? '');
        res.writeHead(200, { 'content-type': 'text/plain' });
        const drip = setInterval(() => res.write('.'), 1_000);
        res.on('close', () => clearInterval(drip));
      });
    });
    emulator = await startEmulator({
      plan: 'off',
      initial: { bots: [{ code: 'w', name: 'W', botToken: 'w-token', eventMode: 'webhook', webhookUrl: url }] },
    });
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval'] });
    try {
      emulator.postMessage({ from: 2, dialogId: String(emulator.bot('w')!.id), text: 'hello' });
      while (requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
      await vi.advanceTimersByTimeAsync(9_900);
      expect(emulator.deliveries()[0]).toMatchObject({ status: null, error: null }); // still trickling
      await vi.advanceTimersByTimeAsync(100);
    } finally {
      vi.useRealTimers();
    }
    await emulator.settled();
    expect(emulator.deliveries()[0]).toMatchObject({ status: 200, error: 'timeout' });
  }, 5_000);

  it('delivers many events at once without a MaxListenersExceededWarning (each delivery listens for close())', async () => {
    const { url, requests } = await startReceiver(null); // handlers that never answer: every delivery stays open
    emulator = await startEmulator({
      plan: 'off',
      initial: { bots: [{ code: 'w', name: 'W', botToken: 'w-token', eventMode: 'webhook', webhookUrl: url }] },
    });
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      for (let i = 0; i < 20; i++)
        emulator.postMessage({ from: 2, dialogId: String(emulator.bot('w')!.id), text: `m${i}` });
      await vi.waitFor(() => expect(requests).toHaveLength(20));
      await new Promise((resolve) => setImmediate(resolve)); // a warning is emitted on the next tick
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
