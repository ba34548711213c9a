// A bot answering two messages in one chat, against the emulator over real HTTP through the node webhook transport,
// in virtual time (`VirtualClock`). The portal keeps ONE status per chat and bot, so the two works of one
// `createIndicators` share it (core's StatusPeerRegistry): what is asserted is what the portal shows, from the
// emulator's timeline, not what our client meant to send.
import { type AgentStatus, createIndicators } from '@b24-typing/core';
import type { CallEntry } from '@b24-typing/emulator';
import { createWebhookTransport } from '@b24-typing/node';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { startVirtualEmulator } from './startVirtualEmulator';

/** Short enough that a renewal (every 7 s) cannot hide a gap in the runs below, which last about 20 s. */
const LEASE_SEC = 10;
const NOTIFY = 'imbot.v2.Chat.InputAction.notify';

const { clock, emulator } = await startVirtualEmulator();

interface BotSetup {
  /** The indicators' rate budget (a tight one keeps a call queued). */
  readonly limits?: 'standard' | { readonly perSecond: number; readonly burst: number };
  readonly leaseSec?: number;
}

/**
 * One bot in a chat of its own, with one `createIndicators` on the node webhook transport; every request holds the
 * clock until it has settled.
 */
function botInNewChat(title: string, { limits = 'standard', leaseSec = LEASE_SEC }: BotSetup = {}) {
  const bot = emulator.fixtures.bots.agent;
  const botToken = bot.botToken ?? undefined;
  const { chats } = emulator.seed({ chats: [{ title, members: [1, bot.id] }] });
  const chatId = chats[0];
  if (chatId === undefined) throw new Error('the emulator seeded no chat');
  const dialogId = `chat${chatId}` as const;
  const webhook = createWebhookTransport(emulator.webhookUrl(1));
  const transport = clock.tracked(webhook);
  const indicators = createIndicators({ transport, limits, clock });
  const errors: unknown[] = [];

  /** One message being answered: its status until it fails or replies. */
  function work(status: AgentStatus) {
    const until = new Subject<void>();
    indicators
      .botStatus({ dialogId, botId: bot.id, botToken, status, until, leaseSec })
      .subscribe({ error: (e: unknown) => errors.push(e) });
    return {
      fail: () => until.error(new Error('the model gave up')),
      /** The work ends, then its reply is posted as the bot: the message hides the bot's status in the chat. */
      reply: async (text: string) => {
        until.next();
        await transport.call('imbot.v2.Chat.Message.send', {
          botId: bot.id,
          botToken,
          dialogId,
          fields: { message: text },
        });
      },
    };
  }

  /** Status calls the portal took for this chat, in order. */
  const notifies = () =>
    emulator
      .timeline()
      .filter((e): e is CallEntry => e.kind === 'call' && e.method === NOTIFY && e.dialogId === dialogId);

  return {
    errors,
    work,
    notifies,
    visibility: () => emulator.visibility(dialogId, bot.id),
    /** The status the portal shows in the chat now, null for none. */
    showing: () =>
      emulator.indicators().find((i) => i.dialogId === dialogId && i.senderId === bot.id)?.statusMessageCode ?? null,
    dispose: () => indicators.dispose(),
  };
}

/** Waits long enough for any call that should not come (a renewal is due every 7 s), then checks none came. */
async function expectSilenceAfterReply(chat: ReturnType<typeof botInNewChat>) {
  const before = chat.notifies().length;
  await clock.advanceBy(2 * LEASE_SEC * 1000);
  expect(chat.notifies().slice(before)).toEqual([]);
  expect(chat.showing()).toBeNull();
}

describe('two works of one bot in one chat share its status on the portal', () => {
  it('one fails while the other goes on: the status stays up, without a gap, until the other replies', async () => {
    const chat = botInNewChat('first fails');
    const startedAt = clock.now();
    const first = chat.work('thinking');
    await clock.advanceBy(2_000);
    const second = chat.work('thinking');
    await clock.advanceBy(3_000);
    first.fail(); // at 5 s: a clear now would leave the status to lapse until the second's renewal at 9 s
    await clock.advanceBy(15_000);
    const repliedAt = clock.now();
    await second.reply('the second answer');
    await expectSilenceAfterReply(chat);
    chat.dispose();

    expect(chat.errors).toEqual([]);
    expect(chat.visibility()).toEqual([
      { from: startedAt, to: repliedAt, endCause: 'message', calls: expect.any(Number) },
    ]);
  });

  it("one replies: its message hides the status, which is back a second later and stays up until the other's reply", async () => {
    const chat = botInNewChat('first replies');
    const startedAt = clock.now();
    const first = chat.work('thinking');
    await clock.advanceBy(2_000);
    const second = chat.work('thinking');
    await clock.advanceBy(3_000);
    const firstRepliedAt = clock.now();
    await first.reply('the first answer'); // at 5 s: the second's next renewal is due at 9 s
    await clock.advanceBy(15_000);
    const secondRepliedAt = clock.now();
    await second.reply('the second answer');
    await expectSilenceAfterReply(chat);
    chat.dispose();

    expect(chat.errors).toEqual([]);
    const [before, after, ...more] = chat.visibility();
    expect(before).toEqual({ from: startedAt, to: firstRepliedAt, endCause: 'message', calls: expect.any(Number) });
    // Shown again after the reply's message has hidden it (one sent before would have been hidden with it), and soon.
    expect(after?.from).toBeGreaterThan(firstRepliedAt);
    expect(after?.from).toBeLessThanOrEqual(firstRepliedAt + 1_500);
    expect(after).toMatchObject({ to: secondRepliedAt, endCause: 'message' });
    expect(more).toEqual([]);
  });

  it("the status shown is the failing work's: the other's is shown at once, and stays up until the other replies", async () => {
    const chat = botInNewChat('shown one fails');
    const startedAt = clock.now();
    const other = chat.work('thinking');
    await clock.advanceBy(2_000);
    const failing = chat.work('searching'); // sent last: the portal shows it
    await clock.advanceBy(1_000);
    expect(chat.showing()).toBe('IMBOT_AGENT_ACTION_SEARCHING');
    const callsBefore = chat.notifies().length;
    const failedAt = clock.now();
    failing.fail();
    await clock.advanceBy(0);
    expect(chat.showing()).toBe('IMBOT_AGENT_ACTION_THINKING');
    await clock.advanceBy(15_000);
    const repliedAt = clock.now();
    await other.reply('the answer');
    await expectSilenceAfterReply(chat);
    chat.dispose();

    expect(chat.errors).toEqual([]);
    const after = chat.notifies().slice(callsBefore);
    expect(after[0]).toMatchObject({ time: failedAt, statusMessageCode: 'IMBOT_AGENT_ACTION_THINKING', shown: true });
    // Nothing but the other's status from then on: no clear of the failed one's, no second of it.
    expect(after.filter((c) => c.statusMessageCode !== 'IMBOT_AGENT_ACTION_THINKING')).toEqual([]);
    expect(chat.visibility()).toEqual([
      { from: startedAt, to: repliedAt, endCause: 'message', calls: expect.any(Number) },
    ]);
  });

  it('the other ends before any status of its own could leave (rate budget): what the failed one showed is cleared', async () => {
    // One request per 10 s: the other's start waits in line behind the failing one's, and ends there.
    const chat = botInNewChat('both end, one queued', { limits: { perSecond: 0.1, burst: 2 }, leaseSec: 60 });
    const startedAt = clock.now();
    const failing = chat.work('searching');
    await clock.advanceBy(1_000);
    const other = chat.work('thinking'); // its start: not before 10 s
    await clock.advanceBy(1_000);
    expect(chat.showing()).toBe('IMBOT_AGENT_ACTION_SEARCHING');
    failing.fail(); // hands over to the other, whose start still waits
    await clock.advanceBy(1_000);
    other.fail(); // the last one ends: "searching" must come down, not stay up for the rest of its 60 s
    await clock.advanceBy(70_000);
    chat.dispose();

    expect(chat.errors).toEqual([]);
    const calls = chat.notifies();
    // Nothing of the other's went but the clear, with the budget's next request (its code: any code clears).
    expect(calls.map((c) => c.statusMessageCode)).toEqual([
      'IMBOT_AGENT_ACTION_SEARCHING',
      'IMBOT_AGENT_ACTION_THINKING',
    ]);
    const clearedAt = calls[1]!.time - startedAt;
    expect(clearedAt).toBeGreaterThanOrEqual(10_000);
    expect(clearedAt).toBeLessThan(10_100);
    expect(chat.visibility()).toEqual([
      { from: startedAt, to: startedAt + clearedAt + 1_000, endCause: 'expired', calls: 2 },
    ]);
  });
});
