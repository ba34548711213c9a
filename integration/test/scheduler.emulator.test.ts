// The scheduler against the emulator's real leaky bucket (standard plan), over real HTTP through the node webhook
// transport: 300 bot statuses with a short lease, held for 30 s. Virtual time: the emulator (`now`) and the
// indicators (`clock`) read one virtual clock, which moves only once every HTTP call started so far has settled, so
// the 30 s take about a second of wall clock and loopback latency never counts as time.
import { createIndicators, type Transport } from '@b24-typing/core';
import { createWebhookTransport } from '@b24-typing/node';
import { Subject, type Subscription } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { lastSeq } from './lastSeq';
import { startVirtualEmulator } from './startVirtualEmulator';

const STATUSES = 300;
const LEASE_SEC = 10;
const HOLD_MS = 30_000;
/**
 * Stops are spread over one second, in ten groups. The 300 statuses renew in step (6 batches every 7 s), so nothing
 * of theirs is queued at the stop: a stop with a call still queued is the second test's case.
 */
const STOP_SPREAD_MS = 1_000;
/** The first call of 300 (six batches) must show within this; from then on the status must stay up. */
const FIRST_SHOW_MS = 2_000;

const { clock, emulator } = await startVirtualEmulator();

/** Covered length of [from, to] by the emulator's visibility intervals of one indicator. */
function covered(intervals: readonly { from: number; to: number | null }[], from: number, to: number): number {
  let total = 0;
  let reached = from;
  for (const i of [...intervals].sort((a, b) => a.from - b.from)) {
    const start = Math.max(i.from, reached);
    const end = Math.min(i.to ?? Number.POSITIVE_INFINITY, to);
    if (end > start) {
      total += end - start;
      reached = end;
    }
  }
  return total;
}

/**
 * The node webhook transport, recording each indicator call as it leaves our process, in order (to tell "sent after
 * stop" by position, exact even within one virtual millisecond), and holding the clock until its request settles.
 */
function recordingTransport(url: string) {
  const webhook = createWebhookTransport(url);
  const started: { at: number; dialogId: string }[] = [];
  const transport: Transport = {
    call(method, params, options) {
      started.push({ at: clock.now(), dialogId: String(params.dialogId) });
      return clock.track(webhook.call(method, params, options));
    },
    batch(calls, options) {
      const at = clock.now();
      for (const c of calls) started.push({ at, dialogId: String(c.params.dialogId) });
      return clock.track(webhook.batch(calls, options));
    },
  };
  return { transport, started };
}

describe('scheduler against the emulator (standard plan)', () => {
  it(`holds ${STATUSES} bot statuses for 30 s with no QUERY_LIMIT_EXCEEDED, continuously visible, silent after stop`, async () => {
    const bot = emulator.fixtures.bots.agent;
    const { chats } = emulator.seed({
      chats: Array.from({ length: STATUSES }, (_, i) => ({ title: `load ${i}`, members: [1, bot.id] })),
    });
    expect(chats).toHaveLength(STATUSES);

    const { transport, started } = recordingTransport(emulator.webhookUrl(1));
    const indicators = createIndicators({ transport, limits: 'standard', clock });
    const errors: unknown[] = [];
    const runs = chats.map((chatId, i) => {
      const until = new Subject<void>();
      const dialogId = `chat${chatId}` as const;
      const from = clock.now();
      const sub: Subscription = indicators
        .botStatus({
          dialogId,
          botId: bot.id,
          botToken: bot.botToken ?? undefined,
          status: 'thinking',
          until,
          leaseSec: LEASE_SEC,
        })
        .subscribe({ error: (e: unknown) => errors.push(e) });
      return { dialogId, from, until, sub, stopAt: 0, startedAtStop: 0, seqAtStop: 0, index: i };
    });

    await clock.advanceBy(HOLD_MS);
    for (let step = 0; step < 10; step++) {
      // Nothing is on the wire between two moments of the clock: what reaches the emulator after this was sent after.
      const seqAtStop = lastSeq(emulator);
      for (const run of runs) {
        if (run.index % 10 !== step) continue;
        run.stopAt = clock.now();
        run.startedAtStop = started.length;
        run.seqAtStop = seqAtStop;
        run.until.next();
      }
      await clock.advanceBy(STOP_SPREAD_MS / 10);
    }
    // Give anything that would wrongly go out after stop the time to show up (renewals are due every 7 s).
    await clock.advanceBy(2_000);
    const stats = indicators.stats();
    indicators.dispose();

    expect(errors).toEqual([]);
    expect(emulator.stats().queryLimitExceeded).toBe(0);
    expect(stats.failed).toEqual({});
    // 300 statuses renewed every 7 s are 43 calls/s: only batching fits that into 2 requests/s.
    expect(stats.batchedCalls).toBeGreaterThan(stats.callsSent * 0.9);

    const timeline = emulator.timeline();
    let worst = 1;
    for (const run of runs) {
      const intervals = emulator.visibility(run.dialogId, bot.id);
      const shownAt = Math.min(...intervals.map((i) => i.from));
      expect(shownAt - run.from, run.dialogId).toBeLessThan(FIRST_SHOW_MS);
      const coverage = covered(intervals, shownAt, run.stopAt) / (run.stopAt - shownAt);
      worst = Math.min(worst, coverage);
      // Exact: with no time on the wire, a renewal reaches the portal the moment it is sent; any gap is the scheduler's.
      expect(coverage, run.dialogId).toBe(1);
      expect(
        started.slice(run.startedAtStop).filter((s) => s.dialogId === run.dialogId),
        run.dialogId,
      ).toEqual([]);
      const late = timeline.filter(
        (e) => e.kind === 'call' && e.dialogId === run.dialogId && e.method !== 'batch' && e.seq > run.seqAtStop,
      );
      expect(late, run.dialogId).toEqual([]);
    }
    expect(worst).toBe(1);
  });
  it('keeps 100 statuses up through dropped connections, failing batch items and a rate refusal', async () => {
    emulator.reset();
    const bot = emulator.fixtures.bots.agent;
    const { chats } = emulator.seed({
      chats: Array.from({ length: 100 }, (_, i) => ({ title: `faulty ${i}`, members: [1, bot.id] })),
    });
    // The first batch is refused as if another app on this IP had emptied the bucket, and 5 % of the calls inside
    // batches fail with a server error; later two batch requests in a row lose their connection.
    emulator.addFault({ method: 'batch', status: 503, error: 'QUERY_LIMIT_EXCEEDED', times: 1 });
    emulator.addFault({
      method: 'imbot.v2.Chat.InputAction.notify',
      status: 500,
      error: 'INTERNAL_SERVER_ERROR',
      probability: 0.05,
    });
    const { transport, started } = recordingTransport(emulator.webhookUrl(1));
    const indicators = createIndicators({ transport, limits: 'standard', clock });
    const until = new Subject<void>();
    const errors: unknown[] = [];
    const from = clock.now();
    const subs = chats.map((chatId) =>
      indicators
        // lease 6 s: renewed every 3 s, so a retry has 3 s to land before the status lapses
        .botStatus({
          dialogId: `chat${chatId}`,
          botId: bot.id,
          botToken: bot.botToken ?? undefined,
          status: 'searching',
          until,
          leaseSec: 6,
        })
        .subscribe({ error: (e: unknown) => errors.push(e) }),
    );
    await clock.advanceBy(5_000);
    emulator.addFault({ method: 'batch', reset: true, times: 2 });
    await clock.advanceBy(10_000);
    const stopAt = clock.now();
    const startedAtStop = started.length;
    until.next();
    await clock.advanceBy(1_500);
    const stats = indicators.stats();
    indicators.dispose();
    for (const sub of subs) sub.unsubscribe();

    expect(errors).toEqual([]);
    expect(emulator.stats().queryLimitExceeded).toBe(0);
    expect(stats.failed.rate ?? 0).toBeGreaterThan(0);
    expect(stats.failed.server ?? 0).toBeGreaterThan(0);
    expect(stats.failed.network ?? 0).toBeGreaterThan(0);
    let wanted = 0;
    let shown = 0;
    for (const chatId of chats) {
      const intervals = emulator.visibility(`chat${chatId}`, bot.id);
      // The refused batch delays its starts by the back-off; from the first show on, faults must not show.
      const shownAt = Math.min(...intervals.map((i) => i.from));
      expect(shownAt - from, `chat${chatId}`).toBeLessThan(3_000);
      wanted += stopAt - shownAt;
      shown += covered(intervals, shownAt, stopAt);
      // Whatever failed on the way, every status is up when the reply comes.
      expect(covered(intervals, stopAt - 100, stopAt), `chat${chatId}`).toBe(100);
    }
    expect(shown / wanted).toBeGreaterThanOrEqual(0.99);
    expect(started.slice(startedAtStop)).toEqual([]);
  });
});
