import type { CallEntry, Emulator } from '@b24-typing/emulator';
import { expect } from 'vitest';
import { holdFor, SAMPLE_MS } from './holdFor';
import { lastSeq } from './lastSeq';
import type { VirtualClock } from './VirtualClock';

/** A bot's status in one chat, kept by `withStatus` around a reply the test's own timer posts. */
export interface StatusUntilReply {
  readonly clock: VirtualClock;
  readonly emulator: Emulator;
  readonly dialogId: string;
  readonly botId: number;
  /** Whether the chat's members see the bot's status now: the emulator's indicators, not our client's calls. */
  readonly showing: () => boolean;
  /** The status calls (v2 notify or legacy sendTyping) the portal took for this chat, in order. */
  readonly statusCalls: () => CallEntry[];
  /** When the work was subscribed: its first status call goes at this instant. */
  readonly startedAt: number;
  /** How long after `startedAt` the reply is posted; a multiple of `SAMPLE_MS`. */
  readonly replyAfterMs: number;
  /** When each status call must go, from `startedAt`: the first at once, then one a renewal. */
  readonly callsAt: readonly number[];
  readonly renewMs: number;
  /** How long one call shows the status on its own (a v2 lease, the legacy typing's lifetime). */
  readonly lifetimeMs: number;
  /** What each call must carry besides its success and its chat and bot (e.g. v2's `statusMessageCode`). */
  readonly callFields?: Readonly<Record<string, unknown>>;
}

/**
 * Lets the work run to its reply and checks what the chat's members saw: the status at once and without a lapse until
 * the reply, renewed at `callsAt`, hidden by the reply itself (`endCause: 'message'`), and no call nor status from the
 * bot after it, for a renewal and a lifetime past the reply (a stray call would show it again).
 * `atReply` runs at the reply's instant, for what the test checks of the reply itself (the message, its errors).
 * Shared so that each bot's test asserts the same whole condition, not a copy that may drop part of it.
 */
export async function shownUntilReply(watch: StatusUntilReply, atReply: (repliedAt: number) => void): Promise<void> {
  const { clock, emulator, dialogId, botId, showing, statusCalls, startedAt, replyAfterMs, callsAt } = watch;
  await clock.advanceBy(0);
  expect(showing()).toBe(true);
  expect(await holdFor(clock, showing, replyAfterMs - SAMPLE_MS)).toEqual([]);
  const seqBeforeReply = lastSeq(emulator);
  await clock.advanceBy(SAMPLE_MS);
  const repliedAt = startedAt + replyAfterMs;
  expect(clock.now()).toBe(repliedAt);

  atReply(repliedAt);
  expect(showing()).toBe(false);
  const calls = statusCalls();
  expect(calls.map((c) => c.time - startedAt)).toEqual(callsAt);
  for (const call of calls) {
    expect(call).toMatchObject({
      status: 200,
      error: null,
      shown: true,
      dialogId,
      botId,
      senderId: botId,
      ...watch.callFields,
    });
  }
  expect(calls.every((c) => c.seq <= seqBeforeReply)).toBe(true);
  const shown = [{ from: startedAt, to: repliedAt, endCause: 'message', calls: callsAt.length }];
  expect(emulator.visibility(dialogId, botId)).toEqual(shown);

  // A renewal timer left running would fire within `renewMs` of the reply, and what it put up would show on.
  const quiet = watch.renewMs + watch.lifetimeMs;
  expect(await holdFor(clock, showing, quiet)).toHaveLength(Math.ceil(quiet / SAMPLE_MS));
  expect(statusCalls()).toHaveLength(callsAt.length);
  expect(emulator.visibility(dialogId, botId)).toEqual(shown);
}
