import { createServer, type Server } from 'node:http';
import { type Emulator, startEmulator } from '@b24-typing/emulator';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type {
  BotDeleteEvent,
  BotEvent,
  MessageAddEvent,
  V1BotDeleteEvent,
  V1MessageDeleteEvent,
  V1MessageUpdateEvent,
} from './BotEvent';
import { parseBotEvent } from './parseBotEvent';

/** The bot's side: a handler on loopback that parses what the emulator POSTs, as a real bot server would. */
let bot: Server;
let emu: Emulator;
const received: { event?: BotEvent; error?: unknown; contentType?: string }[] = [];
let applicationToken = '';

beforeAll(async () => {
  bot = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const entry: (typeof received)[number] = { contentType: String(req.headers['content-type']) };
      try {
        entry.event = parseBotEvent(Buffer.concat(chunks), { applicationToken });
        res.writeHead(200).end();
      } catch (error) {
        entry.error = error;
        res.writeHead(401).end();
      }
      received.push(entry);
    });
  });
  await new Promise<void>((resolve) => bot.listen(0, '127.0.0.1', resolve));
  const { port } = bot.address() as { port: number };
  emu = await startEmulator({ plan: 'off' });
  // A bot of the OAuth application in webhook mode: its events carry the application's token.
  emu.seed({
    bots: [
      {
        id: 40,
        code: 'hooked',
        name: 'Hooked',
        clientId: emu.fixtures.app.clientId,
        eventMode: 'webhook',
        webhookUrl: `http://127.0.0.1:${port}/bot`,
        type: 'personal',
        chats: [1],
      },
    ],
  });
  applicationToken = emu.fixtures.app.applicationToken;
});
afterAll(async () => {
  await emu.close();
  await new Promise((resolve) => bot.close(resolve));
});

describe('parseBotEvent on what the emulator POSTs', () => {
  it('parses a form-encoded ONIMBOTV2MESSAGEADD with the bot application token', async () => {
    const text = 'Hi bot: 1 & 2 = 3, 100% [sure] ü 😀';
    emu.postMessage({ from: 2, dialogId: 'chat1', text });
    await emu.settled();
    await vi.waitFor(() => expect(received).toHaveLength(1));
    const [entry] = received;
    expect(entry!.contentType).toBe('application/x-www-form-urlencoded');
    expect(entry!.error).toBeUndefined();
    const event = entry!.event as MessageAddEvent;
    expect(event.type).toBe('ONIMBOTV2MESSAGEADD');
    expect(event.data.message.text).toBe(text);
    expect(event.data.message).toMatchObject({ id: expect.any(Number), chatId: 1, authorId: 2 });
    expect(event.data.chat).toMatchObject({ id: 1, dialogId: 'chat1' });
    expect(event.data.user).toMatchObject({ id: 2 });
    expect(event.data.bot).toMatchObject({ id: 40, code: 'hooked' });
    expect(typeof event.ts).toBe('number');
    expect(emu.deliveries().at(-1)?.status).toBe(200);
  });

  it('refuses the same delivery when the expected token differs', async () => {
    applicationToken = 'some-other-application-token';
    emu.postMessage({ from: 3, dialogId: 'chat1', text: 'second' });
    await emu.settled();
    await vi.waitFor(() => expect(received).toHaveLength(2));
    expect(received[1]!.error).toMatchObject({ code: 'WRONG_APPLICATION_TOKEN', kind: 'auth' });
    expect(emu.deliveries().at(-1)?.status).toBe(401);
  });

  it('parses the ONIMBOTV2DELETE a bot gets when it is unregistered (reference §4.4: its last event)', async () => {
    applicationToken = emu.fixtures.app.applicationToken;
    const reply = await fetch(`${emu.restUrl}imbot.v2.Bot.unregister`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ botId: 40, auth: emu.fixtures.oauth.accessToken }),
    });
    expect(((await reply.json()) as { result: unknown }).result).toBe(true);
    await emu.settled();
    await vi.waitFor(() => expect(received).toHaveLength(3));
    const entry = received[2]!;
    expect(entry.error).toBeUndefined();
    const event = entry.event as BotDeleteEvent;
    expect(event.type).toBe('ONIMBOTV2DELETE');
    expect(event.data.bot).toMatchObject({ id: 40, code: 'hooked' });
    // Webhook mode: the bot's own auth block and the verified top-level one, numbers restored from the form.
    expect(event.data.bot.auth).toMatchObject({ application_token: applicationToken, expires: expect.any(Number) });
    expect(event.auth?.application_token).toBe(applicationToken);
    expect(typeof event.ts).toBe('number');
    expect(emu.deliveries().at(-1)).toMatchObject({ event: 'ONIMBOTV2DELETE', status: 200 });
  });

  it("types a legacy supervisor bot's ONIMBOTMESSAGEUPDATE, ONIMBOTMESSAGEDELETE and ONIMBOTDELETE (emulator README, Bot events)", async () => {
    // They came as type 'other', every field a string.
    applicationToken = emu.webhookApplicationToken(1);
    const { port } = bot.address() as { port: number };
    const call = async (url: string, params: Record<string, unknown>) => {
      const reply = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(params),
      });
      return ((await reply.json()) as { result: unknown }).result;
    };
    const hook = emu.webhookUrl();
    const botId = (await call(`${hook}imbot.register`, {
      CODE: 'watcher',
      TYPE: 'S',
      EVENT_HANDLER: `http://127.0.0.1:${port}/legacy`,
      PROPERTIES: { NAME: 'Watcher' },
      CLIENT_ID: 'watch',
    })) as number;
    emu.seed({ members: [[1, botId]] });
    const before = received.length;
    const id = emu.postMessage({ from: 2, dialogId: 'chat1', text: 'first' });
    emu.editMessage(id, 'second');
    expect(await call(`${emu.webhookUrl(2)}im.message.delete`, { ID: id })).toBe(true);
    expect(await call(`${hook}imbot.unregister`, { BOT_ID: botId, CLIENT_ID: 'watch' })).toBe(true);
    await emu.settled();
    await vi.waitFor(() => expect(received.length).toBe(before + 4));
    const [added, updated, deleted, gone] = received.slice(before);
    for (const entry of [added, updated, deleted, gone]) expect(entry!.error).toBeUndefined();
    expect(added!.event!.type).toBe('ONIMBOTMESSAGEADD');
    const update = updated!.event as V1MessageUpdateEvent;
    expect(update.type).toBe('ONIMBOTMESSAGEUPDATE');
    expect(update.data.PARAMS).toMatchObject({ MESSAGE: 'second', MESSAGE_ID: id, DIALOG_ID: 'chat1', CHAT_ID: 1 });
    expect(update.data.BOT[String(botId)]?.BOT_ID).toBe(botId);
    expect(update.event_handler_id).toEqual(expect.any(Number));
    const deletion = deleted!.event as V1MessageDeleteEvent;
    expect(deletion.type).toBe('ONIMBOTMESSAGEDELETE');
    // A group chat's deletion names the message and its author, not a sender (on-imbot-message-delete.md): no
    // FROM_USER_ID, no USER.
    expect(deletion.data.PARAMS).toMatchObject({ ID: id, MESSAGE_ID: id, DIALOG_ID: 'chat1', AUTHOR_ID: 2 });
    expect(deletion.data.PARAMS.FROM_USER_ID).toBeUndefined();
    const last = gone!.event as V1BotDeleteEvent;
    expect(last).toMatchObject({ type: 'ONIMBOTDELETE', data: { BOT_ID: botId, BOT_CODE: 'watcher' } });
  });
});
