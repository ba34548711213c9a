// A legacy (v1) bot framework's whole loop over real HTTP on 127.0.0.1: `imbot.register` through a node transport
// binds a local handler; a user writes to the bot; the emulator POSTs `ONIMBOTMESSAGEADD`, form-encoded, to that
// handler; `parseBotEvent` reads the raw body; the bot answers in the event's dialog with `withStatus` (`legacy:
// true`, `imbot.chat.sendTyping`) around its reply, and posts the reply with `imbot.message.add`. The emulator's v1
// payload and `parseBotEvent` were each written from the docs (reference §4.4 "Legacy v1 events",
// on-imbot-message-add.md), independently: this is where they meet. What is asserted of the status is what the
// portal shows (its timeline and indicators), in virtual time (`VirtualClock`); deliveries are awaited as promises.
import { createIndicators, type Indicators, withStatus } from '@b24-typing/core';
import type { CallEntry, MessageEntry } from '@b24-typing/emulator';
import { createOAuthTransport, createWebhookTransport, parseBotEvent, type V1MessageAddEvent } from '@b24-typing/node';
import { Subject } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { legacyReply } from './legacyReply';
import { oauthOptionsFor } from './oauthOptionsFor';
import { shownUntilReply } from './shownUntilReply';
import { startEventHandler } from './startEventHandler';
import { startVirtualEmulator } from './startVirtualEmulator';
import { trackedTransports } from './trackedTransports';

const SEND_TYPING = 'imbot.chat.sendTyping';
/** core README, bot status: `legacy: true` → "plain typing, renewed every 22 s" (25 s lifetime − 3 s margin). */
const RENEW_MS = 22_000;
/** How long the emulator shows an indicator without a duration (its `clientLifetimeSec` default, reference §3). */
const LIFETIME_MS = 25_000;
/** How long the bot "thinks" before its reply: past two renewals (22, 44 s), before the third (66 s). */
const THINK_MS = 50_000;
/** A webhook registration's `CLIENT_ID` (imbot-register.md: "required only for webhooks"); the bot's `botToken`. */
const WEBHOOK_CLIENT_ID = 'legacy-framework';

const { clock, emulator } = await startVirtualEmulator();
/** The bot framework's HTTP side: every POST the emulator makes to it, claimed by the tests with `nextDelivery`. */
const { base, unclaimed, nextDelivery } = await startEventHandler(emulator);
const handlerUrl = `${base}/v1/events`;

/** A node transport (closed after the last test), each of its requests held by the clock until it has settled. */
const tracked = trackedTransports(clock);

type Auth = 'webhook' | 'oauth';

/** `event` as a v1 message event, or the test fails saying what it was. */
function asV1MessageAdd(event: ReturnType<typeof parseBotEvent>): V1MessageAddEvent {
  expect(event.type).toBe('ONIMBOTMESSAGEADD');
  if (event.type !== 'ONIMBOTMESSAGEADD') throw new Error(`not a v1 message event: ${event.type}`);
  return event;
}

/** The message `messageId` as the timeline recorded it (its chat, whatever the dialog was called). */
function messageEntry(messageId: unknown): MessageEntry {
  const entry = emulator
    .timeline()
    .find((e): e is MessageEntry => e.kind === 'message' && e.messageId === messageId && !e.edited && !e.deleted);
  if (!entry) throw new Error(`no message ${String(messageId)} on the timeline`);
  return entry;
}

describe.each<Auth>(['webhook', 'oauth'])('a v1 bot framework over %s', (auth) => {
  /** Under a webhook a local integration's (`'custom' + CLIENT_ID`); under OAuth the seeded application's. */
  const botToken = auth === 'webhook' ? WEBHOOK_CLIENT_ID : undefined;
  let transport: ReturnType<typeof tracked>;
  let indicators: Indicators;
  let botId: number;
  /** The token the portal signs this app's events with: what the framework is configured with. */
  let applicationToken: string;
  /** Another integration's genuine token: an event signed with it is not this app's. */
  let otherToken: string;
  /** User 2, writing to the bot from a Bitrix24 client. */
  let user: ReturnType<typeof tracked>;
  const errors: unknown[] = [];

  beforeAll(async () => {
    transport = tracked(
      auth === 'webhook'
        ? createWebhookTransport(emulator.webhookUrl(1))
        : createOAuthTransport(oauthOptionsFor(emulator)),
    );
    user = tracked(createWebhookTransport(emulator.webhookUrl(2)));
    indicators = createIndicators({ transport, limits: 'standard', clock });
    // imbot-register.md: TYPE B (answers in group chats when mentioned), the three required handlers.
    const registered = await transport.call('imbot.register', {
      CODE: `framework_${auth}`,
      TYPE: 'B',
      EVENT_MESSAGE_ADD: handlerUrl,
      EVENT_WELCOME_MESSAGE: handlerUrl,
      EVENT_BOT_DELETE: handlerUrl,
      OPENLINE: 'N',
      PROPERTIES: { NAME: 'Framework', WORK_POSITION: 'v1 bot' },
      ...(botToken === undefined ? {} : { CLIENT_ID: botToken }),
    });
    expect(typeof registered).toBe('number');
    botId = registered as number;
    // As on the platform, the registration does not return the application token: a local integration's is its
    // webhook's, an application's is the one it got at install (emulator README, "The default portal").
    applicationToken =
      auth === 'webhook' ? emulator.webhookApplicationToken(1) : emulator.fixtures.app.applicationToken;
    otherToken = auth === 'webhook' ? emulator.fixtures.app.applicationToken : emulator.webhookApplicationToken(1);
    expect(applicationToken).not.toBe(otherToken);
    expect(emulator.bot(botId)?.applicationToken).toBe(applicationToken);
  });

  afterAll(() => {
    indicators?.dispose();
  });

  /** The handler's path for this app: a webhook registration's URL is bound with `?CLIENT_ID=` (imbot-register.md). */
  const handlerPath = () => (auth === 'webhook' ? `/v1/events?CLIENT_ID=${WEBHOOK_CLIENT_ID}` : '/v1/events');

  /** User 2 writes `text` into `dialogId` as from a Bitrix24 client; the message's id. */
  async function userWrites(dialogId: string, text: string): Promise<number> {
    const id = await user.call('im.message.add', { DIALOG_ID: dialogId, MESSAGE: text });
    expect(typeof id).toBe('number');
    return id as number;
  }

  /**
   * The bot's answer, as a v1 framework gives it: the reply stream piped through `withStatus` with `legacy: true` into
   * the event's dialog, posted with `imbot.message.add` when it comes. The stream gives its text after `THINK_MS` of
   * virtual time and stays open (the test ends it later): the status must end at the reply's value (core README), and
   * a reply that completed at that instant would end it by its completion too, hiding a status deaf to the value.
   */
  function answer(event: V1MessageAddEvent, reply: string) {
    // Checked by parseBotEvent with the legacy methods' dialog id rules, and typed DialogId: no cast, no check here.
    const dialogId = event.data.PARAMS.DIALOG_ID;
    const [bot] = Object.values(event.data.BOT);
    if (!bot) throw new Error('the event names no bot');
    const posted: unknown[] = [];
    const reply$ = new Subject<string>();
    // Scheduled now, so that it runs before a renewal timer due at the same instant (set later).
    clock.schedule(() => reply$.next(reply), THINK_MS);
    const subscription = reply$
      .pipe(withStatus(indicators, { dialogId, botId: bot.BOT_ID, botToken, status: 'thinking', legacy: true }))
      .subscribe({
        next: (text) => {
          legacyReply(transport, { botId: bot.BOT_ID, dialogId, botToken }, text).then(
            (id) => posted.push(id),
            (e: unknown) => errors.push(e),
          );
        },
        error: (e: unknown) => errors.push(e),
      });
    return { dialogId, posted, reply$, subscription };
  }

  /**
   * Answers `event` in chat `chatId` and checks what its members saw: typing from the first sendTyping to the reply
   * without a lapse, renewed every 22 s, hidden by the reply itself, and nothing from the bot after it, nor when the
   * reply stream ends later.
   */
  async function answerAndWatch(event: V1MessageAddEvent, chatId: number, reply: string) {
    const showing = () => emulator.indicators().some((i) => i.chatId === chatId && i.senderId === botId);
    const sendTypings = () =>
      emulator
        .timeline()
        .filter((e): e is CallEntry => e.kind === 'call' && e.method === SEND_TYPING && e.chatId === chatId);
    expect(sendTypings()).toEqual([]);
    const startedAt = clock.now();
    const { dialogId, posted, reply$, subscription } = answer(event, reply);
    await shownUntilReply(
      {
        clock,
        emulator,
        dialogId,
        botId,
        showing,
        statusCalls: sendTypings,
        startedAt,
        replyAfterMs: THINK_MS,
        callsAt: [0, RENEW_MS, 2 * RENEW_MS],
        renewMs: RENEW_MS,
        lifetimeMs: LIFETIME_MS,
      },
      // The reply went to the event's dialog as the bot.
      (repliedAt) => {
        expect(errors).toEqual([]);
        expect(posted).toHaveLength(1);
        expect(emulator.messages(chatId).filter((m) => m.authorId === botId)).toMatchObject([
          { text: reply, time: repliedAt, messageId: posted[0] },
        ]);
      },
    );
    // All of that held while the reply stream was still open: its end, now, changes nothing.
    expect(subscription.closed).toBe(false);
    reply$.complete();
    await clock.advanceBy(0);
    expect(subscription.closed).toBe(true);
    expect(sendTypings()).toHaveLength(3);
    expect(showing()).toBe(false);
    expect(errors).toEqual([]);
  }

  it('a user writes to the bot in private: ONIMBOTMESSAGEADD reaches its handler, parses, and the bot answers there with typing until its reply', async () => {
    const text = 'What is 6 × 7? 100% & [sure]';
    const delivered = nextDelivery();
    const messageId = await userWrites(String(botId), text);
    const { url, contentType, body } = await delivered;
    const { chatId } = messageEntry(messageId);

    expect(url).toBe(handlerPath());
    expect(contentType).toBe('application/x-www-form-urlencoded');
    const event = asV1MessageAdd(parseBotEvent(body, { applicationToken }));
    expect(event.data.PARAMS).toMatchObject({
      MESSAGE: text,
      MESSAGE_ID: messageId,
      // The dialog from the bot's side, the one to answer in: the user's id (on-imbot-message-add.md: "27").
      DIALOG_ID: '2',
      FROM_USER_ID: 2,
      AUTHOR_ID: 2,
      TO_CHAT_ID: chatId,
      TO_USER_ID: botId,
      MESSAGE_TYPE: 'P',
      CHAT_TYPE: 'P',
      SYSTEM: false,
    });
    expect(event.event_handler_id).toEqual(expect.any(Number));
    expect(Object.keys(event.data.BOT)).toEqual([String(botId)]);
    expect(event.data.BOT[String(botId)]).toMatchObject({ BOT_ID: botId, BOT_CODE: `framework_${auth}` });
    expect(event.data.USER).toMatchObject({ ID: 2, IS_BOT: false, IS_CONNECTOR: false, IS_NETWORK: false });
    expect(event.auth?.application_token).toBe(applicationToken);
    expect(event.ts).toBe(Math.floor(clock.now() / 1000));

    await answerAndWatch(event, chatId, 'It is 42.');
  });

  it('a user mentions the bot in a group chat: the event has MESSAGE without the mention, the chat as DIALOG_ID, and the bot answers there', async () => {
    const { chats } = emulator.seed({ chats: [{ title: `v1 group ${auth}`, members: [1, 2, botId] }] });
    const chatId = chats[0]!;

    // A TYPE B bot hears a group chat only when mentioned (imbot-register.md; emulator README, Bot events).
    const toBot = () => emulator.deliveries().filter((d) => d.botId === botId).length;
    const before = toBot();
    await userWrites(`chat${chatId}`, 'talking among people');
    await emulator.settled();
    expect(unclaimed).toEqual([]);
    expect(toBot()).toBe(before);

    const original = `[USER=${botId}]Framework[/USER], what is 6 × 7?`;
    const delivered = nextDelivery();
    const messageId = await userWrites(`chat${chatId}`, original);
    const event = asV1MessageAdd(parseBotEvent((await delivered).body, { applicationToken }));
    expect(event.data.PARAMS).toMatchObject({
      MESSAGE: 'what is 6 × 7?',
      MESSAGE_ORIGINAL: original,
      MESSAGE_ID: messageId,
      DIALOG_ID: `chat${chatId}`,
      FROM_USER_ID: 2,
      AUTHOR_ID: 2,
      TO_CHAT_ID: chatId,
      CHAT_ID: chatId,
      TO_USER_ID: botId,
      // The documented integers as numbers (parseBotEvent), as the emulator counts them: users 1 and 2 and the bot.
      CHAT_USER_COUNT: 3,
      MENTIONED_LIST: { [botId]: botId },
      MESSAGE_TYPE: 'C',
      CHAT_TYPE: 'C',
      SYSTEM: false,
    });
    expect(event.data.BOT[String(botId)]).toMatchObject({ BOT_ID: botId });
    expect(event.data.USER).toMatchObject({ ID: 2 });

    await answerAndWatch(event, chatId, 'It is 42.');
  });

  it('an event read with a token that is not the app’s is refused as auth (WRONG_APPLICATION_TOKEN), the token unquoted', async () => {
    const delivered = nextDelivery();
    await userWrites(String(botId), 'who is there?');
    const { body } = await delivered;
    expect(asV1MessageAdd(parseBotEvent(body, { applicationToken })).data.PARAMS.MESSAGE).toBe('who is there?');
    for (const token of [otherToken, `${applicationToken}x`, 'not-the-application-token']) {
      let refusal: unknown;
      try {
        parseBotEvent(body, { applicationToken: token });
      } catch (error) {
        refusal = error;
      }
      expect(refusal).toMatchObject({ kind: 'auth', code: 'WRONG_APPLICATION_TOKEN' });
      expect(String(refusal)).not.toContain(applicationToken);
    }
  });
});
