// A legacy (v1) bot's status end to end: core's `withStatus` with `legacy: true` on a node transport, talking HTTP to
// the emulator, in virtual time (`VirtualClock`). The deprecated `imbot.chat.sendTyping` has no duration and no
// clear (core README: plain typing, renewed every 22 s, "its message hides the bot's status"), so what keeps the chat
// clean after the reply is the reply itself, `imbot.message.add`, and core's silence from then on. What is asserted
// is what the portal shows, from the emulator's timeline and indicators, not what our client meant to send.
import { createIndicators, type Transport, withStatus } from '@b24-typing/core';
import type { CallEntry } from '@b24-typing/emulator';
import { createOAuthTransport, createWebhookTransport } from '@b24-typing/node';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { holdFor } from './holdFor';
import { lastSeq } from './lastSeq';
import { legacyReply } from './legacyReply';
import { oauthOptionsFor } from './oauthOptionsFor';
import { shownUntilReply } from './shownUntilReply';
import { startVirtualEmulator } from './startVirtualEmulator';

const SEND_TYPING = 'imbot.chat.sendTyping';
/** core README, bot status: `legacy: true` → "plain typing, renewed every 22 s" (25 s lifetime − 3 s margin). */
const RENEW_MS = 22_000;
/** How long the emulator shows an indicator without a duration (its `clientLifetimeSec` default, reference §3). */
const LIFETIME_MS = 25_000;
/** The work: long enough for three renewals (22, 44, 66 s). */
const WORK_MS = 70_000;

const { clock, emulator } = await startVirtualEmulator();

type Auth = 'webhook' | 'oauth';
let seeded = 0;

/**
 * A legacy bot of its own in a chat of its own with users 1 and 2, and one `createIndicators` on a node transport
 * (every request holds the clock until it has settled). Under a webhook the bot is a local integration's
 * (`'custom' + botToken`, sent as `CLIENT_ID`); under OAuth it is the seeded application's, which the token names.
 */
function legacyBotInNewChat(auth: Auth) {
  seeded++;
  const { chats } = emulator.seed({ chats: [{ title: `legacy ${seeded}`, members: [1, 2] }] });
  const chatId = chats[0];
  if (chatId === undefined) throw new Error('the emulator seeded no chat');
  const botToken = auth === 'webhook' ? `legacy-bot-token-${seeded}` : undefined;
  const { bots } = emulator.seed({
    bots: [
      {
        code: `legacy${seeded}`,
        name: 'Legacy',
        ...(botToken === undefined ? { clientId: emulator.fixtures.app.clientId } : { botToken }),
        chats: [chatId],
      },
    ],
  });
  const botId = bots[0];
  if (botId === undefined) throw new Error('the emulator seeded no bot');
  const dialogId = `chat${chatId}` as const;
  const transport: Transport = clock.tracked(
    auth === 'webhook'
      ? createWebhookTransport(emulator.webhookUrl(1))
      : createOAuthTransport(oauthOptionsFor(emulator)),
  );
  const indicators = createIndicators({ transport, limits: 'standard', clock });
  const errors: unknown[] = [];
  const posted: unknown[] = [];

  /**
   * One message being answered: `reply$` piped through `withStatus` (legacy), and the reply posted as the bot with
   * the legacy `imbot.message.add`, through the same transport, when it comes.
   */
  const work = () => {
    const reply$ = new Subject<string>();
    const subscription = reply$
      .pipe(withStatus(indicators, { dialogId, botId, botToken, status: 'thinking', legacy: true }))
      .subscribe({
        next: (text) => {
          legacyReply(transport, { botId, dialogId, botToken }, text).then(
            (id) => posted.push(id),
            (e: unknown) => errors.push(e),
          );
        },
        error: () => {},
      });
    return { reply$, subscription };
  };

  /** `imbot.chat.sendTyping` calls the portal took for this chat, in order. */
  const sendTypings = () =>
    emulator
      .timeline()
      .filter((e): e is CallEntry => e.kind === 'call' && e.method === SEND_TYPING && e.dialogId === dialogId);

  return {
    chatId,
    botId,
    dialogId,
    errors,
    posted,
    work,
    sendTypings,
    visibility: () => emulator.visibility(dialogId, botId),
    /** Whether the chat's members see the bot "typing" now. */
    showing: () => emulator.indicators().some((i) => i.chatId === chatId && i.senderId === botId),
    stats: () => indicators.stats(),
    dispose: () => indicators.dispose(),
  };
}

type Chat = ReturnType<typeof legacyBotInNewChat>;

/** Runs the work for `WORK_MS` from its first call, checking it was shown at once, renewed on time and never lapsed. */
async function workFor(chat: Chat) {
  const startedAt = clock.now();
  const running = chat.work();
  await clock.advanceBy(0);
  expect(chat.showing()).toBe(true);
  expect(await holdFor(clock, chat.showing, WORK_MS)).toEqual([]);
  expect(emulator.visibleThroughout(chat.dialogId, chat.botId, startedAt, clock.now())).toBe(true);
  const calls = chat.sendTypings();
  expect(calls.map((c) => c.time - startedAt)).toEqual([0, RENEW_MS, 2 * RENEW_MS, 3 * RENEW_MS]);
  for (const call of calls) {
    expect(call).toMatchObject({ status: 200, error: null, shown: true, botId: chat.botId, senderId: chat.botId });
  }
  return { startedAt, ...running };
}

describe.each<Auth>(['webhook', 'oauth'])('a legacy bot (imbot.chat.sendTyping) over %s', (auth) => {
  /**
   * `reply$` answered `afterMs` into the work, scheduled now, so that it runs before a renewal timer due at the same
   * instant (set later); checks the typing was shown until the reply and never after it (`shownUntilReply`).
   */
  async function replyAfter(chat: Chat, afterMs: number, callsAt: readonly number[]) {
    const startedAt = clock.now();
    const { reply$ } = chat.work();
    clock.schedule(() => reply$.next('the answer'), afterMs);
    await shownUntilReply(
      {
        clock,
        emulator,
        dialogId: chat.dialogId,
        botId: chat.botId,
        showing: chat.showing,
        statusCalls: chat.sendTypings,
        startedAt,
        replyAfterMs: afterMs,
        callsAt,
        renewMs: RENEW_MS,
        lifetimeMs: LIFETIME_MS,
      },
      // The message hid the indicator the moment it was posted, not its lifetime later.
      (repliedAt) => {
        expect(chat.posted).toHaveLength(1);
        expect(emulator.messages(chat.chatId)).toMatchObject([
          { authorId: chat.botId, text: 'the answer', time: repliedAt, messageId: chat.posted[0] },
        ]);
      },
    );
  }

  it('shows typing at once, renews every 22 s with no lapse, and its imbot.message.add reply hides it for good', async () => {
    const chat = legacyBotInNewChat(auth);
    // The reply before the renewal due next (88 s).
    await replyAfter(chat, WORK_MS, [0, RENEW_MS, 2 * RENEW_MS, 3 * RENEW_MS]);
    const stats = chat.stats();
    chat.dispose();

    expect(chat.errors).toEqual([]);
    expect(stats.failed).toEqual({});
    expect(emulator.stats().queryLimitExceeded).toBe(0);
  });

  it('a reply at the very instant a renewal is due: that renewal never goes, and the message hides the typing', async () => {
    const chat = legacyBotInNewChat(auth);
    await replyAfter(chat, 3 * RENEW_MS, [0, RENEW_MS, 2 * RENEW_MS]);
    chat.dispose();

    expect(chat.errors).toEqual([]);
  });

  it('the reply fails: no sendTyping after it, and the typing lapses a lifetime after the last one', async () => {
    const chat = legacyBotInNewChat(auth);
    const { startedAt, reply$ } = await workFor(chat);
    const seqAtFailure = lastSeq(emulator);
    const lastCallAt = startedAt + 3 * RENEW_MS;
    reply$.error(new Error('the model gave up'));
    await clock.advanceBy(0);

    // The legacy method cannot clear (core README): what the last call put up stays for its lifetime, no longer.
    await clock.advanceBy(lastCallAt + LIFETIME_MS - 1 - clock.now());
    expect(chat.showing()).toBe(true);
    await clock.advanceBy(1);
    expect(chat.showing()).toBe(false);
    await clock.advanceBy(2 * RENEW_MS);
    expect(chat.sendTypings().filter((c) => c.seq > seqAtFailure)).toEqual([]);
    expect(chat.showing()).toBe(false);
    expect(chat.visibility()).toEqual([
      { from: startedAt, to: lastCallAt + LIFETIME_MS, endCause: 'expired', calls: 4 },
    ]);
    chat.dispose();

    expect(chat.posted).toEqual([]);
    expect(chat.errors).toEqual([]);
    expect(emulator.messages(chat.chatId)).toEqual([]);
  });

  it('unsubscribed before the reply: no sendTyping after it, and the typing lapses a lifetime after the last one', async () => {
    const chat = legacyBotInNewChat(auth);
    const startedAt = clock.now();
    const { subscription } = chat.work();
    await clock.advanceBy(0);
    // Past the first renewal (22 s), well before the second (44 s).
    expect(await holdFor(clock, chat.showing, 30_000)).toEqual([]);
    expect(chat.sendTypings().map((c) => c.time - startedAt)).toEqual([0, RENEW_MS]);
    const seqAtUnsubscribe = lastSeq(emulator);
    const lastCallAt = startedAt + RENEW_MS;
    subscription.unsubscribe();
    await clock.advanceBy(0);

    await clock.advanceBy(lastCallAt + LIFETIME_MS - 1 - clock.now());
    expect(chat.showing()).toBe(true);
    await clock.advanceBy(1);
    expect(chat.showing()).toBe(false);
    // Past where the second and third renewals would have gone.
    await clock.advanceBy(3 * RENEW_MS);
    expect(chat.sendTypings().filter((c) => c.seq > seqAtUnsubscribe)).toEqual([]);
    expect(chat.showing()).toBe(false);
    expect(chat.visibility()).toEqual([
      { from: startedAt, to: lastCallAt + LIFETIME_MS, endCause: 'expired', calls: 2 },
    ]);
    chat.dispose();

    expect(chat.posted).toEqual([]);
    expect(chat.errors).toEqual([]);
  });
});
