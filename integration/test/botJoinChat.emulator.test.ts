// A bot added to a group chat, over real HTTP on 127.0.0.1: a user's `im.chat.add` or `im.chat.user.add` through a
// node transport makes the emulator send the bot its join event (emulator README, Bot events), and @b24-typing/node
// reads it (`parseBotEvent` in webhook mode, `botEvents` in fetch mode; node README, Incoming events). The emulator's
// `ONIMBOTV2JOINCHAT` / `ONIMBOTJOINCHAT` payloads and the node parser were each written from the docs (reference
// §4.4; events.md#onimbotv2joinchat, on-imbot-join-chat.md), independently: this is where they meet. The greeting's
// status is asserted as the portal shows it (its timeline and indicators), in virtual time (`VirtualClock`);
// deliveries are awaited as promises.
import { createIndicators, type Indicators, withStatus } from '@b24-typing/core';
import type { CallEntry } from '@b24-typing/emulator';
import {
  botEvents,
  createWebhookTransport,
  type JoinChatEvent,
  type V1JoinChatEvent,
  parseBotEvent,
  parsePhpQuery,
} from '@b24-typing/node';
import { firstValueFrom, Subject } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shownUntilReply } from './shownUntilReply';
import { startEventHandler } from './startEventHandler';
import { startVirtualEmulator } from './startVirtualEmulator';
import { trackedTransports } from './trackedTransports';

const NOTIFY = 'imbot.v2.Chat.InputAction.notify';
/** core README, bot status: `leaseSec` 30, renewed at lease − margin (3 s): every 27 s. */
const RENEW_MS = 27_000;
const LEASE_MS = 30_000;
/** How long the bot takes to compose its greeting: past one renewal (27 s), before the second (54 s). */
const THINK_MS = 50_000;
/** A v1 webhook registration's `CLIENT_ID` (imbot-register.md: "required only for webhooks"). */
const V1_CLIENT_ID = 'join-framework';

const { clock, emulator } = await startVirtualEmulator();
/** The bots' HTTP side: every POST the emulator makes to them, claimed by the tests with `nextDelivery`. */
const { base: handlerBase, nextDelivery } = await startEventHandler(emulator);

const tracked = trackedTransports(clock);

/** A webhook transport for `userId`, held by the clock and closed after the last test (`trackedTransports`). */
function transportOf(userId: number) {
  return tracked(createWebhookTransport(emulator.webhookUrl(userId)));
}

/** `event` as a v2 join event, or the test fails saying what it was. */
function asJoinChat(event: ReturnType<typeof parseBotEvent>): JoinChatEvent {
  expect(event.type).toBe('ONIMBOTV2JOINCHAT');
  if (event.type !== 'ONIMBOTV2JOINCHAT') throw new Error(`not a v2 join event: ${event.type}`);
  return event;
}

/** The chat id a user's `im.chat.add` returned. */
function chatIdOf(result: unknown): number {
  expect(typeof result).toBe('number');
  return result as number;
}

describe('a v2 bot added to a chat', () => {
  /** User 1's webhook: the bots' owner (a local integration), whose token signs their webhook events. */
  let owner: ReturnType<typeof transportOf>;
  /** User 2, who creates chats and adds bots from a Bitrix24 client. */
  let user: ReturnType<typeof transportOf>;
  let indicators: Indicators;
  const errors: unknown[] = [];

  beforeAll(() => {
    owner = transportOf(1);
    user = transportOf(2);
    indicators = createIndicators({ transport: owner, limits: 'standard', clock });
  });

  afterAll(() => {
    indicators?.dispose();
  });

  /** Registers a v2 bot of the local integration (reference §4.2) and gives its id. */
  async function register(code: string, botToken: string, mode: { eventMode: 'webhook' | 'fetch'; url?: string }) {
    const registered = (await owner.call('imbot.v2.Bot.register', {
      fields: {
        code,
        botToken,
        type: 'bot',
        eventMode: mode.eventMode,
        ...(mode.url === undefined ? {} : { webhookUrl: mode.url }),
        properties: { name: 'Greeter', workPosition: 'v2 bot' },
      },
    })) as { bot: { id: number } };
    expect(registered.bot.id).toEqual(expect.any(Number));
    return registered.bot.id;
  }

  it('in webhook mode, created with a chat by im.chat.add: the POST parses as ONIMBOTV2JOINCHAT, and the bot greets there with its status up until the greeting', async () => {
    const botToken = 'join-webhook-bot-token';
    const botId = await register('join_webhook', botToken, { eventMode: 'webhook', url: `${handlerBase}/v2/join` });
    // The registration does not return the token its events are signed with (emulator README, The default portal).
    const applicationToken = emulator.webhookApplicationToken(1);
    expect(emulator.bot(botId)?.applicationToken).toBe(applicationToken);

    const delivered = nextDelivery();
    const chatId = chatIdOf(await user.call('im.chat.add', { TITLE: 'Welcome party', USERS: [3, botId] }));
    const { url, contentType, body } = await delivered;
    expect(url).toBe('/v2/join');
    expect(contentType).toBe('application/x-www-form-urlencoded');

    const event = asJoinChat(parseBotEvent(body, { applicationToken }));
    // Typed `DialogId` (node README: checked with core's validateDialogId): goes to withStatus below with no cast.
    const dialogId = event.data.chat.dialogId;
    expect(dialogId).toBe(`chat${chatId}`);
    expect(event.data.chat).toMatchObject({ id: chatId, dialogId: `chat${chatId}`, name: 'Welcome party', owner: 2 });
    // The public event page's top-level `dialogId` (emulator README, Bot events): the same chat.
    expect(event.data.dialogId).toBe(`chat${chatId}`);
    expect(event.data.user).toMatchObject({ id: 2 });
    expect(event.data.bot).toMatchObject({ id: botId, code: 'join_webhook' });
    expect(event.data.bot.auth?.application_token).toBe(applicationToken);
    expect(event.auth?.application_token).toBe(applicationToken);
    expect(event.ts).toBe(Math.floor(clock.now() / 1000));
    expect(emulator.fixtures.chats.find((c) => c.id === chatId)?.members).toEqual(
      expect.arrayContaining([2, 3, botId]),
    );

    // The greeting: composed for THINK_MS of virtual time under withStatus, sent with imbot.v2.Chat.Message.send. Its
    // stream stays open after the greeting (ended below): the status must end at the value (core README), and a
    // stream that completed at that instant would end it by its completion too, hiding a status deaf to the value.
    const showing = () => emulator.indicators().some((i) => i.chatId === chatId && i.senderId === botId);
    const notifies = () =>
      emulator
        .timeline()
        .filter((e): e is CallEntry => e.kind === 'call' && e.method === NOTIFY && e.chatId === chatId);
    const greeting = 'Hello, I am Greeter. Mention me to ask anything.';
    const sent: unknown[] = [];
    const startedAt = clock.now();
    const greeting$ = new Subject<string>();
    // Scheduled now, so that it runs before a renewal timer due at the same instant (set later).
    clock.schedule(() => greeting$.next(greeting), THINK_MS);
    const subscription = greeting$
      .pipe(withStatus(indicators, { dialogId, botId, botToken, status: 'thinking' }))
      .subscribe({
        next: (text) => {
          owner.call('imbot.v2.Chat.Message.send', { botId, botToken, dialogId, fields: { message: text } }).then(
            (result) => sent.push(result),
            (e: unknown) => errors.push(e),
          );
        },
        error: (e: unknown) => errors.push(e),
      });
    // The status at once and without a lapse until the greeting, which went to the event's chat as the bot and hid it
    // the moment it was posted; for a renewal and a lease beyond: no call from the bot, nothing shown.
    await shownUntilReply(
      {
        clock,
        emulator,
        dialogId,
        botId,
        showing,
        statusCalls: notifies,
        startedAt,
        replyAfterMs: THINK_MS,
        callsAt: [0, RENEW_MS],
        renewMs: RENEW_MS,
        lifetimeMs: LEASE_MS,
        callFields: { statusMessageCode: 'IMBOT_AGENT_ACTION_THINKING' },
      },
      (greetedAt) => {
        expect(errors).toEqual([]);
        expect(sent).toEqual([{ id: expect.any(Number), uuidMap: {} }]);
        expect(emulator.messages(chatId).filter((m) => m.authorId === botId)).toMatchObject([
          { text: greeting, time: greetedAt, messageId: (sent[0] as { id: number }).id },
        ]);
      },
    );
    // All of that held while the greeting's stream was still open: its end, now, changes nothing (no clear).
    expect(subscription.closed).toBe(false);
    greeting$.complete();
    await clock.advanceBy(0);
    expect(subscription.closed).toBe(true);
    expect(notifies()).toHaveLength(2);
    expect(showing()).toBe(false);
    expect(errors).toEqual([]);
  });

  it('in fetch mode, added to a chat by im.chat.user.add: botEvents yields the same typed ONIMBOTV2JOINCHAT', async () => {
    const botToken = 'join-fetch-bot-token';
    const botId = await register('join_fetch', botToken, { eventMode: 'fetch' });
    const chatId = chatIdOf(await user.call('im.chat.add', { TITLE: 'Later arrivals', USERS: [3] }));
    expect(await user.call('im.chat.user.add', { CHAT_ID: chatId, USERS: [botId] })).toBe(true);

    const event = asJoinChat(await firstValueFrom(botEvents(owner, { botId, botToken })));
    const dialogId = event.data.chat.dialogId;
    expect(dialogId).toBe(`chat${chatId}`);
    expect(event.data.chat).toMatchObject({ id: chatId, dialogId: `chat${chatId}`, name: 'Later arrivals', owner: 2 });
    expect(event.data.dialogId).toBe(`chat${chatId}`);
    expect(event.data.user).toMatchObject({ id: 2 });
    expect(event.data.bot).toMatchObject({ id: botId, code: 'join_fetch' });
    // Fetch mode: the event's id and date, no webhook auth (reference §4.4).
    expect(event.eventId).toEqual(expect.any(Number));
    expect(typeof event.date).toBe('string');
    expect(event.auth).toBeUndefined();
    expect(event.data.bot.auth).toBeUndefined();
    // The dialog id answers: the bot greets there.
    const reply = await owner.call('imbot.v2.Chat.Message.send', {
      botId,
      botToken,
      dialogId,
      fields: { message: 'Hi all' },
    });
    expect(reply).toMatchObject({ id: expect.any(Number) });
    expect(emulator.messages(chatId).filter((m) => m.authorId === botId)).toMatchObject([{ text: 'Hi all' }]);
  });
});

describe('a v1 bot (imbot.register) added to a chat', () => {
  it('ONIMBOTJOINCHAT reaches its EVENT_WELCOME_MESSAGE handler, and parseBotEvent types it: DIALOG_ID checked, ids numbers', async () => {
    const owner = transportOf(1);
    const user = transportOf(2);
    const registered = await owner.call('imbot.register', {
      CODE: 'join_v1',
      TYPE: 'B',
      EVENT_MESSAGE_ADD: `${handlerBase}/v1/message`,
      EVENT_WELCOME_MESSAGE: `${handlerBase}/v1/welcome`,
      EVENT_BOT_DELETE: `${handlerBase}/v1/delete`,
      OPENLINE: 'N',
      CLIENT_ID: V1_CLIENT_ID,
      PROPERTIES: { NAME: 'Legacy greeter' },
    });
    expect(typeof registered).toBe('number');
    const botId = registered as number;
    const applicationToken = emulator.webhookApplicationToken(1);
    expect(emulator.bot(botId)?.applicationToken).toBe(applicationToken);

    const delivered = nextDelivery();
    const chatId = chatIdOf(await user.call('im.chat.add', { TITLE: 'Old school', USERS: [botId] }));
    const { url, contentType, body } = await delivered;
    // The welcome handler, bound with `?CLIENT_ID=` (imbot-register.md), not the message one.
    expect(url).toBe(`/v1/welcome?CLIENT_ID=${V1_CLIENT_ID}`);
    expect(contentType).toBe('application/x-www-form-urlencoded');
    // What the emulator sent, read as PHP would: the group-chat fields of on-imbot-join-chat.md.
    const raw = parsePhpQuery(body.toString('utf8')) as {
      event?: string;
      data?: { BOT?: Record<string, unknown>; PARAMS?: Record<string, unknown>; USER?: Record<string, unknown> };
    };
    expect(raw.event).toBe('ONIMBOTJOINCHAT');
    expect(raw.data?.PARAMS).toMatchObject({
      CHAT_TYPE: 'C',
      MESSAGE_TYPE: 'C',
      BOT_ID: String(botId),
      USER_ID: '2',
      CHAT_ID: String(chatId),
      DIALOG_ID: `chat${chatId}`,
    });
    expect(Object.keys(raw.data?.BOT ?? {})).toEqual([String(botId)]);
    expect(raw.data?.USER).toMatchObject({ ID: '2' });

    // node README: the legacy ONIMBOTJOINCHAT is typed as ONIMBOTMESSAGEADD is: DIALOG_ID checked by the legacy rules
    // and typed DialogId (a v1 bot greets there without a cast), the documented integers numbers.
    const event = parseBotEvent(body, { applicationToken });
    expect(event.type).toBe('ONIMBOTJOINCHAT');
    const joined = event as V1JoinChatEvent;
    expect(joined.data).toMatchObject({
      PARAMS: { DIALOG_ID: `chat${chatId}`, USER_ID: 2, BOT_ID: botId, CHAT_ID: chatId },
      BOT: { [botId]: { BOT_ID: botId, BOT_CODE: 'join_v1' } },
    });
    expect(joined.auth?.application_token).toBe(applicationToken);
    expect(joined.ts).toBe(Math.floor(clock.now() / 1000));
    // Its top-level token is checked as for any event: another integration's is refused, unquoted.
    let refusal: unknown;
    try {
      parseBotEvent(body, { applicationToken: emulator.fixtures.app.applicationToken });
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toMatchObject({ kind: 'auth', code: 'WRONG_APPLICATION_TOKEN' });
    expect(String(refusal)).not.toContain(applicationToken);
  });
});
