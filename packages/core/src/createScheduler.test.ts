import { Subject } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import type { AgentStatus } from './AgentStatus';
import { B24Error } from './B24Error';
import {
  createBucketPortal,
  flushMicrotasks,
  loopGuard,
  notifyCall,
  startAndEnd,
  VirtualClock,
  type ReleaseWatch,
  watchRelease,
} from './createScheduler.test.fixture';
import { createIndicators } from './createIndicators';
import { createScheduler } from './createScheduler';
import { parseBatchResult } from './parseBatchResult';
import type { CallOutcome, Dispatcher, IndicatorChannel } from './Dispatcher';
import type { Transport } from './Transport';

const LEASE = 30_000;
const MARGIN = 5_000;

const notify = notifyCall;

/** An indicator as createIndicators drives one: starts, then after each landed call submits the next renewal. */
function holdStatus(dispatcher: Dispatcher, dialogId: string) {
  const outcomes: CallOutcome[] = [];
  const channel: IndicatorChannel = dispatcher.open((outcome) => {
    outcomes.push(outcome);
    if (outcome.type === 'sent')
      channel.submit(notify(dialogId, 'renew', outcome.at + LEASE, outcome.at + LEASE - MARGIN));
  });
  channel.submit(notify(dialogId, 'start'));
  return { channel, outcomes };
}

function setup(
  options: Parameters<typeof createBucketPortal>[1] = {},
  extra: Partial<Parameters<typeof createScheduler>[0]> = {},
) {
  const clock = new VirtualClock();
  const portal = createBucketPortal(clock, options);
  const scheduler = createScheduler({ transport: portal.transport, clock, random: () => 0.5, ...extra });
  return { clock, portal, scheduler };
}

function collect(dispatcher: Dispatcher) {
  const outcomes: CallOutcome[] = [];
  return { outcomes, channel: dispatcher.open((o) => outcomes.push(o)) };
}

describe('createScheduler under load', () => {
  it('holds 1,000 concurrent statuses on standard limits without ever exceeding the bucket', async () => {
    const { clock, portal, scheduler } = setup({ latencyMs: 40 });
    const held = Array.from({ length: 1000 }, (_, i) => holdStatus(scheduler, `chat${i}`));
    await clock.advanceTo(120_000);

    expect(portal.rejected).toEqual([]);
    expect(portal.maxLevel).toBeLessThanOrEqual(50);
    for (const arrival of portal.arrivals) expect(arrival.calls.length).toBeLessThanOrEqual(50);
    // Each status is visible from its first arrival on, without a gap longer than the lease.
    const byDialog = new Map<string, number[]>();
    for (const { at, call } of portal.calls()) {
      const id = String(call.params.dialogId);
      byDialog.set(id, [...(byDialog.get(id) ?? []), at]);
    }
    expect(byDialog.size).toBe(1000);
    for (const times of byDialog.values()) {
      for (let i = 1; i < times.length; i++)
        expect((times[i] as number) - (times[i - 1] as number)).toBeLessThan(LEASE);
      expect(120_000 - (times.at(-1) as number)).toBeLessThan(LEASE);
    }
    const stats = scheduler.stats();
    expect(stats.activeIndicators).toBe(1000);
    expect(stats.dropped.deadline).toBe(0);
    // 1,000 statuses need 40 calls/s: batching is the only way through 2 requests/s.
    expect(stats.httpRequests).toBeLessThanOrEqual(2 * 120 + 50);
    expect(stats.batchedCalls).toBeGreaterThan(stats.callsSent * 0.9);
    expect(held.every((h) => h.outcomes.every((o) => o.type !== 'failed'))).toBe(true);
  });

  it('keeps one timer for all indicators however many renewals wait', async () => {
    const { clock, scheduler } = setup({ latencyMs: 10 });
    for (let i = 0; i < 500; i++) holdStatus(scheduler, `chat${i}`);
    await clock.advanceTo(1_000);
    expect(scheduler.stats().callsSent).toBe(500);
    // 500 renewals are waiting for their due time: one pending action on the clock, the scheduler's.
    expect(clock.pending).toBe(1);
  });
});

describe('createScheduler with real timers', () => {
  it('holds 1,000 waiting renewals with a single Node timer', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const transport: Transport = {
      call: async () => true,
      batch: async (calls) => calls.map(() => ({ ok: true, result: true })),
    };
    const scheduler = createScheduler({ transport });
    const now = Date.now();
    for (let i = 0; i < 1000; i++)
      scheduler.open(() => {}).submit(notify(`chat${i + 1}`, 'renew', now + 60_000 + i, now + 30_000 + i));
    expect(timers() - before).toBe(1);
    scheduler.dispose();
    expect(timers() - before).toBe(0);
    expect(scheduler.stats().dropped.disposed).toBe(1000);
  });
});

describe('createScheduler latency and batching', () => {
  it('sends a single ready call at once when the bucket has room', async () => {
    const { clock, portal, scheduler } = setup({ latencyMs: 30 });
    await clock.advanceTo(5_000);
    const { outcomes, channel } = collect(scheduler);
    channel.submit(notify('chat1', 'start'));
    await clock.advanceBy(0);
    expect(portal.arrivals).toEqual([]);
    await clock.advanceBy(30);
    expect(portal.arrivals).toHaveLength(1);
    expect(portal.arrivals[0]?.at).toBe(5_030);
    expect(portal.arrivals[0]?.batch).toBe(false);
    await clock.advanceBy(30);
    expect(outcomes).toMatchObject([{ type: 'sent', at: 5_060, result: true }]);
  });

  it('groups calls that are ready together into batches of up to 50', async () => {
    const { clock, portal, scheduler } = setup();
    for (let i = 0; i < 120; i++) collect(scheduler).channel.submit(notify(`chat${i}`, 'start'));
    await clock.advanceTo(1_000);
    expect(portal.arrivals.map((a) => a.calls.length)).toEqual([50, 50, 20]);
    expect(scheduler.stats()).toMatchObject({ callsSent: 120, httpRequests: 3, batchedCalls: 120 });
  });

  it('lets a request that goes out anyway carry renewals due within piggybackMs, never starts', async () => {
    const { clock, portal, scheduler } = setup({ latencyMs: 10 });
    collect(scheduler).channel.submit(notify('a', 'renew', 30_000, 25_000));
    collect(scheduler).channel.submit(notify('b', 'renew', 30_600, 25_600));
    collect(scheduler).channel.submit(notify('c', 'renew', 32_000, 27_000));
    collect(scheduler).channel.submit(notify('d', 'start', Number.POSITIVE_INFINITY, 25_300));
    await clock.advanceTo(30_000);
    expect(portal.arrivals.map((x) => [x.at, x.calls.map((c) => c.params.dialogId)])).toEqual([
      [25_010, ['a', 'b']],
      [25_310, ['d']],
      [27_010, ['c']],
    ]);
  });

  it('without transport.batch sends one call per request and waits for the bucket', async () => {
    const { clock, portal, scheduler } = setup({ withBatch: false });
    for (let i = 0; i < 60; i++) collect(scheduler).channel.submit(notify(`chat${i}`, 'start'));
    await clock.advanceTo(100);
    // burst 50 minus 1 request of headroom go at once; then 2 per second.
    expect(portal.arrivals).toHaveLength(49);
    await clock.advanceTo(5_600);
    expect(portal.arrivals).toHaveLength(60);
    expect(portal.rejected).toEqual([]);
    expect(portal.arrivals.every((a) => !a.batch)).toBe(true);
  });

  it('sends starts first, then renewals and changes by earliest deadline, a change due 3 s after it is ready', async () => {
    const { clock, portal, scheduler } = setup({ withBatch: false }, { headroom: 0 });
    // Fill the bucket.
    for (let i = 0; i < 50; i++) collect(scheduler).channel.submit(notify(`fill${i}`, 'start'));
    await clock.advanceTo(100);
    expect(portal.arrivals).toHaveLength(50);
    collect(scheduler).channel.submit(notify('late', 'renew', 60_000));
    collect(scheduler).channel.submit(notify('soon', 'renew', 20_000));
    collect(scheduler).channel.submit(notify('start', 'start'));
    collect(scheduler).channel.submit(notify('change', 'change')); // due at 3,100
    collect(scheduler).channel.submit(notify('lapsing', 'renew', 2_000));
    await clock.advanceTo(3_000);
    const order = portal
      .calls()
      .slice(50)
      .map((c) => c.call.params.dialogId);
    expect(order).toEqual(['start', 'lapsing', 'change', 'soon', 'late']);
  });
});

describe('createScheduler per-indicator rules', () => {
  it('merges: a newer call replaces the queued one, a renewal due while one is in flight is dropped', async () => {
    const { clock, portal, scheduler } = setup({ latencyMs: 50 });
    const { outcomes, channel } = collect(scheduler);
    channel.submit(notify('chat1', 'start'));
    await clock.advanceBy(10);
    // In flight now: a due renewal adds nothing, a status change waits for the flight.
    channel.submit(notify('chat1', 'renew', 30_000));
    channel.submit({ ...notify('chat1', 'change'), params: { dialogId: 'chat1', statusMessageCode: 'A' } });
    channel.submit({ ...notify('chat1', 'change'), params: { dialogId: 'chat1', statusMessageCode: 'B' } });
    await clock.advanceTo(1_000);
    expect(portal.calls().map((c) => c.call.params.statusMessageCode)).toEqual([undefined, 'B']);
    expect(outcomes.map((o) => (o.type === 'dropped' ? `dropped:${o.reason}` : o.type))).toEqual([
      'dropped:merged',
      'dropped:merged',
      'sent',
      'sent',
    ]);
    // The second call left only after the first landed: one in flight at a time.
    expect(portal.arrivals[1]?.at).toBeGreaterThanOrEqual(100 + 50);
    expect(scheduler.stats().dropped.merged).toBe(2);
  });

  it('drops calls of stopped indicators before sending and aborts one in flight', async () => {
    const { clock, portal, scheduler } = setup({ latencyMs: 50 });
    const a = collect(scheduler);
    a.channel.submit(notify('chat1', 'start'));
    a.channel.close();
    const b = collect(scheduler);
    b.channel.submit(notify('chat2', 'start'));
    await clock.advanceBy(10);
    b.channel.close();
    b.channel.close();
    b.channel.submit(notify('chat2', 'renew', 30_000));
    await clock.advanceTo(1_000);
    expect(portal.arrivals).toEqual([]);
    expect(portal.signals.at(-1)?.aborted).toBe(true);
    expect(a.outcomes).toMatchObject([{ type: 'dropped', reason: 'stopped' }]);
    expect(b.outcomes).toMatchObject([
      { type: 'dropped', reason: 'stopped' },
      { type: 'dropped', reason: 'stopped' },
    ]);
    expect(scheduler.stats()).toMatchObject({ activeIndicators: 0, httpRequests: 1, callsSent: 0 });
  });

  it('close(final) holds the final call until a batch still carrying the indicator settles, or times out', async () => {
    const { clock, portal, scheduler } = setup({ latencyMs: 50 });
    const a = collect(scheduler);
    const b = collect(scheduler);
    a.channel.submit(notify('chat1', 'start'));
    b.channel.submit(notify('chat2', 'start'));
    await clock.advanceBy(10);
    expect(portal.signals).toHaveLength(1); // one batch of two, in flight
    a.channel.close({ ...notify('chat1', 'clear'), params: { botId: 1, dialogId: 'chat1', duration: 1 } });
    expect(portal.signals[0]?.aborted).toBe(false); // chat2's start goes on
    await clock.advanceBy(60); // the batch arrived at 50, its reply at 100
    expect(portal.arrivals).toHaveLength(1);
    await clock.advanceBy(200);
    expect(portal.calls().map((c) => `${c.at} ${c.call.params.dialogId} ${c.call.params.duration}`)).toEqual([
      '50 chat1 30',
      '50 chat2 30',
      '150 chat1 1',
    ]);
    expect(a.outcomes.map((o) => `${o.type} ${o.call.reason}`)).toEqual(['dropped start', 'sent clear']);
    expect(scheduler.stats().activeIndicators).toBe(1);

    // a batch that never answers holds the final call only until its request timeout
    const requests: string[] = [];
    const never = () => new Promise<never>(() => {});
    const hung = createScheduler({
      transport: {
        call: (_method, params) => {
          requests.push(`${clock.now()} ${params.dialogId} ${params.duration}`);
          return never();
        },
        batch: (calls) => {
          requests.push(`${clock.now()} batch of ${calls.length}`);
          return never();
        },
      },
      clock,
      requestTimeoutMs: 1_000,
      maxRetries: 0,
    });
    const c = collect(hung);
    const d = collect(hung);
    c.channel.submit(notify('chat3', 'start'));
    d.channel.submit(notify('chat4', 'start'));
    await clock.advanceBy(10);
    const t0 = clock.now();
    c.channel.close({ ...notify('chat3', 'clear'), params: { botId: 1, dialogId: 'chat3', duration: 1 } });
    await clock.advanceBy(1_500);
    expect(requests).toEqual([`${t0 - 10} batch of 2`, `${t0 + 990} chat3 1`]);
    hung.dispose();
    expect(c.outcomes.at(-1)).toMatchObject({ type: 'dropped', reason: 'disposed', call: { reason: 'clear' } });
  });

  it('close(final) lets a call in flight alone go on and sends the clear after it: an aborted request may still land', async () => {
    // The renewal takes 2 s each way, the clear 50 ms. Aborting the renewal would not call it back once sent: landing
    // after the clear, it would show the status for its whole lease after the work failed.
    const latencies = [50, 2_000];
    const { clock, portal, scheduler } = setup({ latencyMs: () => latencies.shift() ?? 50, abortArrives: true });
    const a = collect(scheduler);
    a.channel.submit(notify('chat1', 'start'));
    await clock.advanceTo(27_000);
    a.channel.submit(notify('chat1', 'renew', 30_000));
    await clock.advanceBy(10);
    a.channel.close({ ...notify('chat1', 'clear', 57_000), params: { botId: 1, dialogId: 'chat1', duration: 1 } });
    await clock.advanceBy(60_000);
    expect(portal.calls().map((c) => `${c.at} ${c.call.params.duration}`)).toEqual(['50 30', '29000 30', '31050 1']);
    expect(portal.signals[1]?.aborted).toBe(false);
    expect(a.outcomes.map((o) => `${o.type} ${o.call.reason}`)).toEqual(['sent start', 'dropped renew', 'sent clear']);
    expect(scheduler.stats()).toMatchObject({ activeIndicators: 0, callsSent: 3 });

    // without a clear to follow (the reply hid the status) the call in flight is still aborted at once
    const b = collect(scheduler);
    b.channel.submit(notify('chat2', 'start'));
    await clock.advanceBy(10);
    b.channel.close();
    expect(portal.signals.at(-1)?.aborted).toBe(true);
  });

  it('a peer close lets its call in flight go on, reports it landed after the end, and the last clear follows it', async () => {
    // a's renewal takes 2 s each way, everything else 50 ms; both indicators show one status (same bot, same chat)
    const latencies = [50, 50, 2_000];
    const heard: string[] = [];
    const { clock, portal, scheduler } = setup(
      { latencyMs: () => latencies.shift() ?? 50, abortArrives: true, withBatch: false },
      { onLanded: (call, surely, ended) => heard.push(`${clock.now()} ${call.reason} ${surely} ${ended}`) },
    );
    const a = collect(scheduler);
    const b = collect(scheduler);
    a.channel.submit(notify('chat1', 'start'));
    b.channel.submit(notify('chat1', 'start'));
    await clock.advanceTo(27_000);
    a.channel.submit(notify('chat1', 'renew', 30_000));
    await clock.advanceBy(10);
    const clear = { ...notify('chat1', 'clear', 57_000), params: { botId: 1, dialogId: 'chat1', duration: 1 } };
    a.channel.close({ ...clear, peer: true }); // b keeps the status up: no clear, and the renewal is not aborted
    await clock.advanceBy(10);
    b.channel.close(clear); // the last one: its clear must land after a's renewal, which would put the status back up
    await clock.advanceBy(60_000);
    expect(portal.signals[2]?.aborted).toBe(false);
    expect(portal.calls().map((c) => `${c.at} ${c.call.params.duration}`)).toEqual([
      '50 30',
      '50 30',
      '29000 30',
      '31050 1',
    ]);
    expect(heard.slice(2)).toEqual(['31000 renew true true', '31100 clear true false']);
    expect(b.outcomes.map((o) => `${o.type} ${o.call.reason}`)).toEqual(['sent start', 'sent clear']);
  });

  it('the last clear follows every call in flight of the peers that closed before it, not only the newest', async () => {
    // a's renewal takes 2 s each way, b's 500 ms, everything else 50 ms; the three show one status
    const latencies = [50, 50, 50, 2_000, 500];
    const { clock, portal, scheduler } = setup({ latencyMs: () => latencies.shift() ?? 50, withBatch: false });
    const [a, b, c] = [collect(scheduler), collect(scheduler), collect(scheduler)];
    for (const { channel } of [a, b, c]) channel.submit(notify('chat1', 'start'));
    await clock.advanceTo(27_000);
    a.channel.submit(notify('chat1', 'renew', 30_000));
    b.channel.submit(notify('chat1', 'renew', 30_000));
    await clock.advanceBy(10);
    const clear = { ...notify('chat1', 'clear', 57_000), params: { botId: 1, dialogId: 'chat1', duration: 1 } };
    a.channel.close({ ...clear, peer: true });
    b.channel.close({ ...clear, peer: true });
    await clock.advanceBy(10);
    c.channel.close(clear); // the last one: its clear must land after both renewals
    await clock.advanceBy(60_000);
    expect(portal.calls().map((x) => `${x.at} ${x.call.params.duration}`)).toEqual([
      '50 30',
      '50 30',
      '50 30',
      '27500 30',
      '29000 30',
      '31050 1',
    ]);
  });

  it('the last clear, following its own call and then one of a peer, is held until its own call lapses, counted from when it left', async () => {
    // One request a second. b's renewal, made at 19 s (its clear's deadline: 49 s), waits behind five starts and leaves
    // at 24 s: up until 54 s. a's start (a 10 s lease) leaves at 30 s; both take 10 s each way. b's clear follows its
    // renewal, then a's start, which settles at 50 s: b's renewal is still up, so the clear goes
    const latencies = [50, 50, 50, 50, 50, 50, 10_000, 10_000];
    const limits = { perSecond: 1, burst: 2 };
    const { clock, portal, scheduler } = setup(
      { ...limits, latencyMs: () => latencies.shift() ?? 50, withBatch: false },
      { limits, requestTimeoutMs: 30_000 },
    );
    const [a, b] = [collect(scheduler), collect(scheduler)];
    b.channel.submit(notify('chat1', 'start'));
    await clock.advanceTo(19_000);
    for (const dialogId of ['chat2', 'chat3', 'chat4', 'chat5', 'chat6'])
      collect(scheduler).channel.submit(notify(dialogId, 'start'));
    b.channel.submit(notify('chat1', 'renew', 30_000));
    await clock.advanceTo(30_000);
    const start = notify('chat1', 'start');
    a.channel.submit({ ...start, params: { ...start.params, duration: 10 } });
    await clock.advanceBy(100);
    const clear = (deadline: number) => ({
      ...notify('chat1', 'clear', deadline),
      params: { botId: 1, dialogId: 'chat1', duration: 1 },
    });
    a.channel.close({ ...clear(40_000), peer: true });
    await clock.advanceBy(100);
    b.channel.close(clear(49_000));
    await clock.advanceTo(120_000);
    expect(portal.calls().map((c) => `${c.at} ${c.call.params.dialogId} ${c.call.params.duration}`)).toEqual([
      '50 chat1 30',
      ...['19050 chat2 30', '20050 chat3 30', '21050 chat4 30', '22050 chat5 30', '23050 chat6 30'],
      '34000 chat1 30',
      '40000 chat1 10',
      '50050 chat1 1',
    ]);
    expect(b.outcomes.map((o) => `${o.at} ${o.type} ${o.call.reason}`)).toEqual([
      '100 sent start',
      '30200 dropped renew', // on its way as b stopped: the clear follows it
      '50100 sent clear',
    ]);
  });

  it('close(final) after a plain close() still waits for the batch carrying the indicator (close is idempotent)', async () => {
    const { clock, portal, scheduler } = setup({ latencyMs: 50 });
    const a = collect(scheduler);
    const b = collect(scheduler);
    a.channel.submit(notify('chat1', 'start'));
    b.channel.submit(notify('chat2', 'start'));
    await clock.advanceBy(10);
    a.channel.close();
    a.channel.close({ ...notify('chat1', 'clear'), params: { botId: 1, dialogId: 'chat1', duration: 1 } });
    await clock.advanceBy(300);
    expect(portal.calls().map((c) => `${c.at} ${c.call.params.dialogId} ${c.call.params.duration}`)).toEqual([
      '50 chat1 30',
      '50 chat2 30',
      '150 chat1 1',
    ]);
  });

  it('close(final) sends nothing when no call of the indicator ever left: a clear would show the status for 1 s', async () => {
    const { clock, portal, scheduler } = setup({ latencyMs: 50, withBatch: false }, { headroom: 0, maxBatch: 1 });
    const clear = { ...notify('chat1', 'clear'), params: { botId: 1, dialogId: 'chat1', duration: 1 } };
    const brief = (outcomes: CallOutcome[]) =>
      outcomes.map((o) => `${o.type} ${o.call.reason}${o.type === 'dropped' ? ` ${o.reason}` : ''}`);
    // a start still waiting for the pump (sent from a 0-delay timer)
    const a = collect(scheduler);
    a.channel.submit(notify('chat1', 'start'));
    a.channel.close(clear);
    // a start waiting for the bucket: 50 others took the whole burst
    for (let i = 0; i < 50; i++) collect(scheduler).channel.submit(notify(`fill${i}`, 'start'));
    await clock.advanceBy(10);
    const b = collect(scheduler);
    b.channel.submit(notify('chat2', 'start'));
    await clock.advanceBy(100);
    b.channel.close({ ...clear, params: { ...clear.params, dialogId: 'chat2' } });
    // an indicator that never submitted anything
    const c = collect(scheduler);
    c.channel.close(clear);
    await clock.advanceBy(60_000);
    expect(portal.calls().filter((x) => !String(x.call.params.dialogId).startsWith('fill'))).toEqual([]);
    expect(brief(a.outcomes)).toEqual(['dropped start stopped', 'dropped clear stopped']);
    expect(brief(b.outcomes)).toEqual(['dropped start stopped', 'dropped clear stopped']);
    expect(brief(c.outcomes)).toEqual(['dropped clear stopped']);
    expect(scheduler.stats()).toMatchObject({ activeIndicators: 50, httpRequests: 50 });
    expect(scheduler.stats().dropped.stopped).toBe(5);
  });

  it('close(final) still sends the clear after a call of the indicator left, even one that failed', async () => {
    const failFirst = (call: { params: Record<string, unknown> }, attempt: number) =>
      call.params.duration === 30 && attempt === 1
        ? new B24Error({ code: 'INTERNAL_SERVER_ERROR', status: 500 })
        : undefined;
    const { clock, portal, scheduler } = setup({ latencyMs: 50, fail: failFirst }, { retryBaseMs: 5_000 });
    const a = collect(scheduler);
    a.channel.submit(notify('chat1', 'start'));
    await clock.advanceBy(200); // the start failed at the portal; its retry waits (not in flight)
    expect(portal.arrivals).toHaveLength(1);
    a.channel.close({ ...notify('chat1', 'clear'), params: { botId: 1, dialogId: 'chat1', duration: 1 } });
    await clock.advanceBy(60_000);
    expect(portal.calls().map((c) => `${c.call.params.dialogId} ${c.call.params.duration}`)).toEqual([
      'chat1 30',
      'chat1 1',
    ]);
    expect(a.outcomes.map((o) => `${o.type} ${o.call.reason}`)).toEqual(['dropped start', 'sent clear']);
  });

  it('close(final) sends no clear when every call of the indicator that left was refused: nothing is up', async () => {
    const refused = new B24Error({ code: 'QUERY_LIMIT_EXCEEDED', status: 503 });
    const refuseStarts = (call: { params: Record<string, unknown> }, attempt: number) =>
      call.params.duration === 30 && attempt === 1 ? refused : undefined;
    const clear = (dialogId: string) => ({ ...notify(dialogId, 'clear', 30_000), params: { dialogId, duration: 1 } });
    const brief = (outcomes: CallOutcome[]) =>
      outcomes.map((o) => `${o.type} ${o.call.reason}${o.type === 'dropped' ? ` ${o.reason}` : ''}`);
    const { clock, portal, scheduler } = setup({ latencyMs: 50, fail: refuseStarts });
    // refused before the work ended: its retry waits for the rate backoff
    const a = collect(scheduler);
    a.channel.submit(notify('chat1', 'start'));
    await clock.advanceBy(120);
    a.channel.close(clear('chat1'));
    // refused while the clear waited for it: alone in its request, then in a batch shared with a live indicator
    await clock.advanceBy(5_000);
    const b = collect(scheduler);
    b.channel.submit(notify('chat2', 'start'));
    await clock.advanceBy(10);
    b.channel.close(clear('chat2'));
    await clock.advanceBy(5_000);
    const c = collect(scheduler);
    const d = collect(scheduler);
    c.channel.submit(notify('chat3', 'start'));
    d.channel.submit(notify('chat4', 'start'));
    await clock.advanceBy(10);
    c.channel.close(clear('chat3'));
    await clock.advanceBy(60_000);
    expect(portal.calls().filter((x) => x.call.params.duration === 1)).toEqual([]);
    for (const { outcomes } of [a, b, c]) expect(brief(outcomes).at(-1)).toMatch(/^dropped clear/);
    expect(brief(d.outcomes)).toEqual(['sent start']);
  });

  it('close() of the last other indicator in a batch does not abort it while a clear waits for it', async () => {
    // The batch takes 100 ms each way, the clear 20 ms. Aborted when chat2 stops, the batch would not be called back:
    // arriving after chat1's clear, it would show chat1's status for its whole lease after its work failed.
    const latencies = [100];
    const { clock, portal, scheduler } = setup({ latencyMs: () => latencies.shift() ?? 20, abortArrives: true });
    const a = collect(scheduler);
    const b = collect(scheduler);
    a.channel.submit(notify('chat1', 'start'));
    b.channel.submit(notify('chat2', 'start'));
    await clock.advanceBy(10);
    a.channel.close({ ...notify('chat1', 'clear', 30_000), params: { dialogId: 'chat1', duration: 1 } });
    await clock.advanceBy(10);
    b.channel.close();
    await clock.advanceBy(1_000);
    expect(portal.calls().map((c) => `${c.at} ${c.call.params.dialogId} ${c.call.params.duration}`)).toEqual([
      '100 chat1 30',
      '100 chat2 30',
      '220 chat1 1',
    ]);
    expect(scheduler.stats().activeIndicators).toBe(0);
  });

  it('close(final) sends no clear once the status lapsed because the call its renewal was merged into was refused', async () => {
    // The start lands at 100 ms (up until 30.1 s). A change leaves at 26 s, 3 s each way; the renewal due at 27 s is
    // merged into it, which the portal refuses (an expired token): nothing renewed the start, which lapsed at 30.1 s.
    const expired = new B24Error({ code: 'expired_token', status: 401 });
    const latencies = [50, 3_000];
    const { clock, portal, scheduler } = setup({
      latencyMs: () => latencies.shift() ?? 50,
      fail: (call) => (call.params.statusMessageCode === 'B' ? expired : undefined),
    });
    const a = collect(scheduler);
    a.channel.submit(notify('chat1', 'start'));
    await clock.advanceTo(26_000);
    a.channel.submit({ ...notify('chat1', 'change'), params: { dialogId: 'chat1', statusMessageCode: 'B' } });
    await clock.advanceTo(27_000);
    a.channel.submit(notify('chat1', 'renew', 30_100));
    await clock.advanceTo(40_000);
    a.channel.close({ ...notify('chat1', 'clear', 56_000), params: { dialogId: 'chat1', duration: 1 } });
    await clock.advanceTo(60_000);
    expect(portal.calls().map((c) => `${c.at} ${c.call.params.duration ?? c.call.params.statusMessageCode}`)).toEqual([
      '50 30',
      '29000 B',
    ]);
    expect(a.outcomes.map((o) => `${o.type} ${o.call.reason}`)).toEqual([
      'sent start',
      'dropped renew',
      'failed change',
      'dropped clear',
    ]);
  });

  it('dispose drops a final call still waiting for a shared batch', async () => {
    const { clock, scheduler } = setup({ latencyMs: 50 });
    const a = collect(scheduler);
    collect(scheduler).channel.submit(notify('chat2', 'start'));
    a.channel.submit(notify('chat1', 'start'));
    await clock.advanceBy(10);
    a.channel.close(notify('chat1', 'clear'));
    scheduler.dispose();
    await clock.advanceBy(1_000);
    expect(a.outcomes.map((o) => `${o.type} ${o.call.reason} ${'reason' in o ? o.reason : ''}`)).toEqual([
      'dropped start stopped',
      'dropped clear disposed',
    ]);
  });

  it('closing the only flight releases its request-timeout timer at once', async () => {
    const { clock, portal, scheduler } = setup({ latencyMs: 50 });
    const a = collect(scheduler);
    a.channel.submit(notify('chat1', 'start'));
    await clock.advanceBy(10);
    // pending: the portal's latency timer and the scheduler's request timeout
    const pending = clock.pending;
    a.channel.close();
    expect(portal.signals.at(-1)?.aborted).toBe(true);
    expect(clock.pending).toBe(pending - 1);
    await clock.advanceTo(60_000);
    expect(scheduler.stats().failed).toEqual({});
  });

  it('a channel closed after dispose leaves activeIndicators at 0', async () => {
    const { clock, scheduler } = setup({ latencyMs: 50 });
    const channels = [collect(scheduler).channel, collect(scheduler).channel];
    channels[0]?.submit(notify('chat1', 'start'));
    await clock.advanceBy(10);
    expect(scheduler.stats().activeIndicators).toBe(2);
    scheduler.dispose();
    for (const channel of channels) channel.close();
    expect(scheduler.stats().activeIndicators).toBe(0);
    scheduler.open(() => {}).close();
    expect(scheduler.stats().activeIndicators).toBe(0);
  });

  it('drops a renewal that can no longer meet its deadline instead of queueing it', async () => {
    const { clock, portal, scheduler } = setup({ withBatch: false }, { headroom: 0 });
    for (let i = 0; i < 50; i++) collect(scheduler).channel.submit(notify(`fill${i}`, 'start'));
    await clock.advanceTo(100);
    // The bucket frees a slot at ~600 ms; this renewal is useless after 300 ms.
    const { outcomes, channel } = collect(scheduler);
    channel.submit(notify('chat1', 'renew', 300));
    await clock.advanceTo(2_000);
    expect(portal.calls().some((c) => c.call.params.dialogId === 'chat1')).toBe(false);
    expect(outcomes).toMatchObject([{ type: 'dropped', reason: 'deadline' }]);
    expect(scheduler.stats().dropped.deadline).toBe(1);
  });

  it('drops a call at its deadline while it waits for the rate budget, not once the budget has room again', async () => {
    const { clock, portal, scheduler } = setup({ withBatch: false }, { headroom: 0 });
    for (let i = 0; i < 50; i++) collect(scheduler).channel.submit(notify(`fill${i}`, 'start'));
    await clock.advanceTo(100);
    // The bucket frees a slot at ~600 ms; these are useless after 300 ms (the start) and 400 ms (the renewal).
    const start = collect(scheduler);
    start.channel.submit(notify('chat1', 'start', 300));
    const renewal = collect(scheduler);
    renewal.channel.submit(notify('chat2', 'renew', 400));
    const timers = clock.pending;
    await clock.advanceTo(2_000);
    expect(clock.pending).toBeLessThanOrEqual(timers); // still one timer for the scheduler
    expect(portal.calls().filter((c) => c.at > 100)).toEqual([]);
    expect(start.outcomes).toEqual([expect.objectContaining({ type: 'dropped', reason: 'deadline', at: 300 })]);
    expect(renewal.outcomes).toEqual([expect.objectContaining({ type: 'dropped', reason: 'deadline', at: 400 })]);
  });

  it('drops a call at its deadline while the scheduler backs off after a rate refusal', async () => {
    const clock = new VirtualClock();
    const portal = createBucketPortal(clock, { latencyMs: 10 });
    // Someone else on this IP already filled the portal's bucket: the start is refused at 10 ms and backs off.
    for (let i = 0; i < 50; i++) void portal.transport.call('im.dialog.writing', { DIALOG_ID: `x${i}` });
    await clock.advanceTo(20);
    const scheduler = createScheduler({ transport: portal.transport, clock, random: () => 0.5 });
    const first = collect(scheduler);
    first.channel.submit(notify('chat1', 'start'));
    await clock.advanceTo(45);
    expect(portal.rejected).toEqual([30]);
    const { outcomes, channel } = collect(scheduler);
    channel.submit(notify('chat2', 'start', 200)); // the shrunk bucket has room again at ~1 s
    await clock.advanceTo(10_000);
    expect(outcomes).toEqual([expect.objectContaining({ type: 'dropped', reason: 'deadline', at: 200 })]);
    expect(first.outcomes).toMatchObject([{ type: 'sent' }]);
  });

  it('sends a renewal that is ready at its deadline: the call it renews landed after it was made (marginMs 0)', async () => {
    const { clock, portal, scheduler } = setup({ latencyMs: 10 });
    const { outcomes, channel } = collect(scheduler);
    await clock.advanceTo(30_000);
    channel.submit(notify('chat1', 'renew', 30_000)); // useless after 30 s, not at 30 s (createDirectDispatcher too)
    await clock.advanceTo(30_100);
    expect(portal.calls().map((c) => c.at)).toEqual([30_010]);
    expect(outcomes).toMatchObject([{ type: 'sent' }]);
  });

  it('holds a renewal submitted ahead until its due time', async () => {
    const { clock, portal, scheduler } = setup({ latencyMs: 10 });
    collect(scheduler).channel.submit(notify('chat1', 'renew', 30_000, 25_000));
    await clock.advanceTo(24_999);
    expect(portal.arrivals).toEqual([]);
    await clock.advanceTo(25_010);
    expect(portal.arrivals[0]?.at).toBe(25_010);
  });
});

describe('createScheduler errors by kind', () => {
  const failing = (code: string, status?: number) => () => new B24Error({ code, ...(status ? { status } : {}) });

  it('input and access errors are fatal for the indicator and not retried', async () => {
    for (const code of ['CHAT_NOT_FOUND', 'ACCESS_DENIED']) {
      const { clock, portal, scheduler } = setup({ fail: failing(code) });
      const { outcomes, channel } = collect(scheduler);
      channel.submit(notify('chat1', 'start'));
      await clock.advanceTo(10_000);
      expect(portal.arrivals).toHaveLength(1);
      expect(outcomes).toMatchObject([{ type: 'failed', fatal: true, error: { code } }]);
    }
  });

  it('auth errors count as failed without a retry (the transport already refreshed)', async () => {
    const { clock, portal, scheduler } = setup({ fail: failing('expired_token', 401) });
    const { outcomes, channel } = collect(scheduler);
    channel.submit(notify('chat1', 'start'));
    await clock.advanceTo(10_000);
    expect(portal.arrivals).toHaveLength(1);
    expect(outcomes).toMatchObject([{ type: 'failed', fatal: false, error: { kind: 'auth' } }]);
    expect(scheduler.stats().failed).toEqual({ auth: 1 });
  });

  it('server and network errors are retried with backoff within the deadline', async () => {
    const { clock, portal, scheduler } = setup({
      latencyMs: 10,
      fail: (_call, attempt) =>
        attempt <= 2 ? new B24Error({ code: 'INTERNAL_SERVER_ERROR', status: 500 }) : undefined,
    });
    const { outcomes, channel } = collect(scheduler);
    channel.submit(notify('chat1', 'renew', 20_000));
    await clock.advanceTo(10_000);
    const times = portal.arrivals.map((a) => a.at);
    expect(times).toHaveLength(3);
    // random() = 0.5 → jitter factor 1: 250 ms, then 500 ms after each failed reply.
    expect(times).toEqual([10, 10 + 20 + 250, 10 + 20 + 250 + 20 + 500]);
    expect(outcomes).toMatchObject([{ type: 'sent' }]);
    expect(scheduler.stats().failed).toEqual({ server: 2 });
  });

  it('gives up on a failing renewal when its deadline comes, with reason retries', async () => {
    const { clock, portal, scheduler } = setup({ latencyMs: 10, fail: failing('INTERNAL_SERVER_ERROR', 500) });
    const { outcomes, channel } = collect(scheduler);
    channel.submit(notify('chat1', 'renew', 1_000));
    await clock.advanceTo(10_000);
    expect(portal.arrivals.length).toBeGreaterThanOrEqual(2);
    expect(portal.arrivals.at(-1)?.at).toBeLessThan(1_000);
    expect(outcomes).toMatchObject([{ type: 'dropped', reason: 'retries' }]);
  });

  it('retries a failing renewal whose retry is due at its deadline: useless only after it (marginMs 0)', async () => {
    const { clock, portal, scheduler } = setup({
      latencyMs: 10,
      fail: (_call, attempt) =>
        attempt === 1 ? new B24Error({ code: 'INTERNAL_SERVER_ERROR', status: 500 }) : undefined,
    });
    const { outcomes, channel } = collect(scheduler);
    channel.submit(notify('chat1', 'renew', 270)); // fails at 20 ms, retried 250 ms later
    await clock.advanceTo(1_000);
    expect(portal.arrivals.map((a) => a.at)).toEqual([10, 280]);
    expect(outcomes).toMatchObject([{ type: 'sent', at: 290 }]);
  });

  it('says which error a call was given up after, alone or in a batch: a rate limit is told from an outage', async () => {
    const busy = (call: { params: Record<string, unknown> }) =>
      call.params.dialogId === 'chat1' ? new B24Error({ code: 'QUERY_LIMIT_EXCEEDED', status: 503 }) : undefined;
    const down = new B24Error({ code: 'INTERNAL_SERVER_ERROR', status: 500 });
    // retries spent on a server error
    const alone = setup({ latencyMs: 10, fail: () => down });
    const a = collect(alone.scheduler);
    a.channel.submit(notify('chat1', 'renew', 1_000));
    await alone.clock.advanceTo(10_000);
    expect(a.outcomes).toEqual([expect.objectContaining({ type: 'dropped', reason: 'retries', error: down })]);
    // refused for the rate inside a batch (the other call lands): kept for the budget until its deadline
    const batched = setup({ latencyMs: 10, fail: busy });
    const [one, two] = [collect(batched.scheduler), collect(batched.scheduler)];
    one.channel.submit(notify('chat1', 'renew', 2_000));
    two.channel.submit(notify('chat2', 'renew', 2_000));
    await batched.clock.advanceTo(10_000);
    expect(batched.portal.arrivals[0]?.batch).toBe(true);
    expect(one.outcomes).toEqual([
      expect.objectContaining({
        type: 'dropped',
        reason: 'deadline',
        error: expect.objectContaining({ kind: 'rate' }),
      }),
    ]);
    expect(two.outcomes).toMatchObject([{ type: 'sent' }]);
  });

  it('a call replaced, stopped or disposed after a failed attempt carries the error it met; one that never failed none', async () => {
    const down = new B24Error({ code: 'NETWORK_ERROR', kind: 'network' });
    const { clock, scheduler } = setup({ latencyMs: 10, fail: (_call, attempt) => (attempt === 1 ? down : undefined) });
    const replaced = collect(scheduler);
    replaced.channel.submit(notify('chat1', 'start'));
    await clock.advanceTo(100); // failed at 20 ms, its retry waits for 270 ms: a newer call replaces it
    replaced.channel.submit(notify('chat1', 'change'));
    const stopped = collect(scheduler);
    stopped.channel.submit(notify('chat2', 'start'));
    await clock.advanceTo(150);
    stopped.channel.close();
    const waiting = collect(scheduler);
    waiting.channel.submit(notify('chat3', 'start'));
    await clock.advanceTo(200); // failed at 170 ms, its retry waits
    const plain = collect(scheduler);
    plain.channel.submit(notify('chat4', 'start', Number.POSITIVE_INFINITY, 9_000));
    plain.channel.submit(notify('chat4', 'change', Number.POSITIVE_INFINITY, 9_000));
    scheduler.dispose();
    expect(replaced.outcomes).toEqual([
      expect.objectContaining({ type: 'dropped', reason: 'merged', error: down }),
      expect.objectContaining({ type: 'sent' }),
    ]);
    expect(stopped.outcomes).toEqual([expect.objectContaining({ type: 'dropped', reason: 'stopped', error: down })]);
    expect(waiting.outcomes).toEqual([expect.objectContaining({ type: 'dropped', reason: 'disposed', error: down })]);
    expect(plain.outcomes.map((o) => o.type === 'dropped' && [o.reason, o.error])).toEqual([
      ['merged', undefined],
      ['disposed', undefined],
    ]);
  });

  it('an operating-limit refusal is not retried and holds its method for 10 s: its calls fail without a request', async () => {
    // The portal blocks the notify method until 25 s (another method still works): a retry is a wasted request.
    const blocked = loopGuard(new B24Error({ code: 'OPERATION_TIME_LIMIT', status: 429 }));
    const { clock, portal, scheduler } = setup({
      fail: (call) => (call.method === notify('x', 'start').method && clock.now() < 25_000 ? blocked : undefined),
    });
    const notifies = () => portal.calls().filter((c) => c.call.method === notify('x', 'start').method);
    const first = collect(scheduler);
    first.channel.submit(notify('chat1', 'start'));
    await clock.advanceTo(5_000);
    expect(notifies()).toHaveLength(1);
    expect(first.outcomes).toMatchObject([{ type: 'failed', fatal: false, error: { kind: 'operating' } }]);
    // Held: a call of that method fails at once without a request, whatever its reason; other methods go on.
    const held = collect(scheduler);
    held.channel.submit(notify('chat2', 'start'));
    held.channel.submit(notify('chat2', 'renew', 9_000));
    const typing = collect(scheduler);
    typing.channel.submit({
      method: 'im.dialog.writing',
      params: { DIALOG_ID: 'chat3' },
      reason: 'start',
      deadline: 1e9,
    });
    await clock.advanceTo(10_000);
    expect(notifies()).toHaveLength(1);
    expect(held.outcomes).toMatchObject([
      { type: 'dropped', reason: 'merged' },
      { type: 'failed', fatal: false, error: { code: 'OPERATION_TIME_LIMIT' }, at: 5_000 },
    ]);
    expect(typing.outcomes).toMatchObject([{ type: 'sent' }]);
    // The hold runs from the refusal's reply (40 ms): chat4 fails too. After it, the next call probes; refused
    // again (the portal blocks until 25 s), it holds the method for another 10 s from its own reply (10,140 ms).
    collect(scheduler).channel.submit(notify('chat4', 'start'));
    await clock.advanceTo(10_100);
    collect(scheduler).channel.submit(notify('chat5', 'start'));
    await clock.advanceTo(20_100);
    const held2 = collect(scheduler);
    held2.channel.submit(notify('chat6', 'start'));
    await clock.advanceTo(20_200);
    collect(scheduler).channel.submit(notify('chat7', 'start'));
    await clock.advanceTo(30_300);
    const late = collect(scheduler);
    late.channel.submit(notify('chat8', 'start'));
    await clock.advanceTo(60_000);
    expect(notifies().map((c) => [c.at, c.call.params.dialogId])).toEqual([
      [20, 'chat1'],
      [10_120, 'chat5'],
      [20_220, 'chat7'],
      [30_320, 'chat8'],
    ]);
    expect(held2.outcomes).toMatchObject([{ type: 'failed', error: { kind: 'operating' }, at: 20_100 }]);
    expect(late.outcomes).toMatchObject([{ type: 'sent' }]);
    expect(scheduler.stats().failed).toEqual({ operating: 6 });
    expect(scheduler.stats().dropped.retries).toBe(0);
  });

  it('tells with an operating-limit failure when the hold on its method ends, also of a hold another call began', async () => {
    // An indicator whose call fails in a hold cannot tell whether a refusal of its own began it or another's: the
    // scheduler says when it ends, so that a bot status goes again then, not 10 s after its own failure.
    const blocked = loopGuard(new B24Error({ code: 'OPERATION_TIME_LIMIT', status: 429 }));
    const { clock, scheduler } = setup({ fail: () => (clock.now() < 15_000 ? blocked : undefined) });
    const first = collect(scheduler);
    first.channel.submit(notify('chat1', 'start'));
    await clock.advanceTo(6_000);
    const other = collect(scheduler);
    other.channel.submit(notify('chat2', 'start'));
    await clock.advanceTo(12_000);
    // The refusal's reply came at 40 ms: held until 10,040 ms, chat2's start failing in that hold. The call after it
    // probes and is refused too (its reply at 12,040 ms): held 10 s from then.
    first.channel.submit(notify('chat1', 'change'));
    await clock.advanceTo(13_000);
    expect(first.outcomes).toMatchObject([
      { type: 'failed', error: { kind: 'operating' }, at: 40, holdEnds: 10_040 },
      { type: 'failed', error: { kind: 'operating' }, at: 12_040, holdEnds: 22_040 },
    ]);
    expect(other.outcomes).toMatchObject([
      { type: 'failed', error: { kind: 'operating' }, at: 6_000, holdEnds: 10_040 },
    ]);
  });

  it('a clear refused for the operating limit, or made while its method is held, goes once the hold is over', async () => {
    // The portal blocks the notify method from 1 s to 15 s. Lost to the hold, a clear would leave its status up for
    // the rest of its lease (up to 600 s) after the work failed.
    const blocked = loopGuard(new B24Error({ code: 'OPERATION_TIME_LIMIT', status: 429 }));
    const { clock, portal, scheduler } = setup({
      fail: (call) =>
        call.method === notify('x', 'start').method && clock.now() >= 1_000 && clock.now() < 15_000
          ? blocked
          : undefined,
    });
    const clear = (dialogId: string, deadline: number) => ({
      ...notify(dialogId, 'clear', deadline),
      params: { botId: 1, dialogId, duration: 1 },
    });
    // chat3's status lapses at 11 s, chat4's at 20 s (each counted from when its start landed, at 40 ms)
    const leases: Record<string, number> = { chat1: 30, chat2: 30, chat3: 11, chat4: 20 };
    const chats = ['chat1', 'chat2', 'chat3', 'chat4'].map((dialogId) => {
      const c = collect(scheduler);
      const start = notify(dialogId, 'start');
      c.channel.submit({ ...start, params: { ...start.params, duration: leases[dialogId] } });
      return c;
    });
    const [first, during, lapsing, late] = chats as [
      (typeof chats)[0],
      (typeof chats)[0],
      (typeof chats)[0],
      (typeof chats)[0],
    ];
    await clock.advanceTo(2_000);
    // The first clear meets the block: refused (reply at 2,040), it waits for the hold to end (12,040).
    first.channel.close(clear('chat1', 30_000));
    await clock.advanceTo(3_000);
    // Made during the hold: it waits too, unless its status lapses before the hold ends (chat3).
    during.channel.close(clear('chat2', 30_000));
    lapsing.channel.close(clear('chat3', 11_000));
    late.channel.close(clear('chat4', 20_000));
    await clock.advanceTo(60_000);
    // At 12,040 the waiting clears probe together; refused again (the block lasts until 15 s), they wait for the
    // next hold's end (22,080), which chat4's status does not outlive.
    expect(portal.calls().map((c) => `${c.at} ${c.call.params.dialogId} ${c.call.params.duration}`)).toEqual([
      '20 chat1 30',
      '20 chat2 30',
      '20 chat3 11',
      '20 chat4 20',
      '2020 chat1 1',
      '12060 chat4 1', // earliest deadline first
      '12060 chat1 1',
      '12060 chat2 1',
      '22100 chat1 1',
      '22100 chat2 1',
    ]);
    const brief = (c: { outcomes: CallOutcome[] }) =>
      c.outcomes.map((o) => `${o.at} ${o.type} ${o.call.reason}${o.type === 'dropped' ? ` ${o.reason}` : ''}`);
    expect(brief(first)).toEqual(['40 sent start', '22120 sent clear']);
    expect(brief(during)).toEqual(['40 sent start', '22120 sent clear']);
    expect(brief(lapsing)).toEqual(['40 sent start', '3000 dropped clear deadline']);
    expect(brief(late)).toEqual(['40 sent start', '12080 failed clear']);
    // one request per hold, however many clears wait
    expect(scheduler.stats()).toMatchObject({ httpRequests: 4, failed: { operating: 4 }, activeIndicators: 0 });
  });

  it('a clear whose status lapses just as the operating hold ends still goes then, as a call ready at its deadline does', async () => {
    // The portal blocks the notify method from 1 s to 12 s. chat2's status lapses at 12,040 (its start landed at 40
    // with a 12 s lease), the moment the hold of the refusal at 2,040 ends: its clear is useless only after that.
    const blocked = loopGuard(new B24Error({ code: 'OPERATION_TIME_LIMIT', status: 429 }));
    const { clock, portal, scheduler } = setup({
      fail: (call) =>
        call.method === notify('x', 'start').method && clock.now() >= 1_000 && clock.now() < 12_000
          ? blocked
          : undefined,
    });
    const clear = (dialogId: string) => ({
      ...notify(dialogId, 'clear', 12_000),
      params: { botId: 1, dialogId, duration: 1 },
    });
    const chats = [30, 12].map((duration, i) => {
      const c = collect(scheduler);
      const start = notify(`chat${i + 1}`, 'start');
      c.channel.submit({ ...start, params: { ...start.params, duration } });
      return c;
    });
    const [first, lapsing] = chats as [(typeof chats)[0], (typeof chats)[0]];
    await clock.advanceTo(2_000);
    first.channel.close(clear('chat1')); // refused (reply at 2,040): the method is held until 12,040
    await clock.advanceTo(3_000);
    lapsing.channel.close(clear('chat2'));
    await clock.advanceTo(30_000);
    expect(portal.calls().map((c) => `${c.at} ${c.call.params.dialogId} ${c.call.params.duration}`)).toEqual([
      '20 chat1 30',
      '20 chat2 12',
      '2020 chat1 1',
      '12060 chat2 1', // earliest deadline first
      '12060 chat1 1',
    ]);
    const brief = (c: { outcomes: CallOutcome[] }) =>
      c.outcomes.map((o) => `${o.at} ${o.type} ${o.call.reason}${o.type === 'dropped' ? ` ${o.reason}` : ''}`);
    expect(brief(first)).toEqual(['40 sent start', '12080 sent clear']);
    expect(brief(lapsing)).toEqual(['40 sent start', '12080 sent clear']);
  });

  it('a rate error shrinks the bucket and backs off; the call still goes out', async () => {
    const clock = new VirtualClock();
    const portal = createBucketPortal(clock, { latencyMs: 10 });
    // Someone else on this IP already filled the portal's bucket.
    for (let i = 0; i < 50; i++) void portal.transport.call('im.dialog.writing', { DIALOG_ID: `x${i}` });
    await clock.advanceTo(20);
    const scheduler = createScheduler({ transport: portal.transport, clock, random: () => 0.5 });
    const { outcomes, channel } = collect(scheduler);
    channel.submit(notify('chat1', 'start'));
    await clock.advanceTo(45);
    expect(portal.rejected).toEqual([30]);
    const other = collect(scheduler);
    other.channel.submit(notify('chat2', 'start'));
    await clock.advanceTo(60_000);
    expect(outcomes).toMatchObject([{ type: 'sent' }]);
    expect(other.outcomes).toMatchObject([{ type: 'sent' }]);
    // After the rejection nothing is sent before the back-off (500 ms × jitter 0.75) has passed.
    expect(portal.arrivals[50]?.at).toBeGreaterThanOrEqual(40 + 375);
    expect(scheduler.stats().failed).toEqual({ rate: 1 });
    expect(portal.rejected).toEqual([30]);
  });

  it('backs off at most 30 s (before jitter) however long the portal keeps refusing for the rate', async () => {
    const { clock, portal, scheduler } = setup({
      fail: (_call, attempt) =>
        attempt <= 12 ? new B24Error({ code: 'QUERY_LIMIT_EXCEEDED', status: 503 }) : undefined,
    });
    const { outcomes, channel } = collect(scheduler);
    channel.submit(notify('chat1', 'start'));
    await clock.advanceTo(600_000);
    expect(outcomes).toMatchObject([{ type: 'sent' }]);
    const at = portal.arrivals.map((a) => a.at);
    const gaps = at.slice(1).map((t, i) => t - (at[i] as number));
    expect(gaps).toHaveLength(12);
    // Each refusal in a row doubles the back-off (×0.75 jitter here) up to its cap: 30 s × 0.75, plus the 40 ms round
    // trip. A portal that keeps refusing is asked again within a status's renewal period (27 s), not 45 s later.
    expect(Math.max(...gaps)).toBe(30_000 * 0.75 + 40);
    expect(gaps.slice(-4)).toEqual(Array(4).fill(30_000 * 0.75 + 40));
  });

  // llm-bot, five chats at once under the portal's limit: three status calls sent a few milliseconds apart, refused
  // together, were counted as three overflows in a row (the rate quartered, the next call ~2 s later).
  it('counts rate refusals of requests in flight together as one overflow', async () => {
    const clock = new VirtualClock();
    const portal = createBucketPortal(clock, { latencyMs: 100 });
    // Someone else on this IP already filled the portal's bucket.
    for (let i = 0; i < 50; i++) void portal.transport.call('im.dialog.writing', { DIALOG_ID: `x${i}` });
    await clock.advanceTo(20);
    const scheduler = createScheduler({ transport: portal.transport, clock, random: () => 0.5 });
    const chats: ReturnType<typeof collect>[] = [];
    for (const i of [1, 2, 3]) {
      const c = collect(scheduler);
      c.channel.submit(notify(`chat${i}`, 'start'));
      chats.push(c);
      await clock.advanceBy(5);
    }
    await clock.advanceTo(60_000);
    expect(portal.rejected).toEqual([120, 125, 130]);
    for (const c of chats) expect(c.outcomes).toMatchObject([{ type: 'sent' }]);
    // Refused back at 220-230 ms: our bucket halved once (1 call/s), so the retries leave (in one batch) a second
    // after the first refusal, arriving 100 ms later, not at 2,330 ms (a quarter of the rate, after the third).
    expect(portal.arrivals.slice(50).map((a) => `${a.at} ${a.calls.length}`)).toEqual(['1321 3']);
    expect(scheduler.stats().failed).toEqual({ rate: 3 });
  });

  it('counts rate refusals of requests sent together as one overflow, also when each is refused the moment it left', async () => {
    // No latency: the refusals come back in the millisecond the requests left, the one the first refusal shrank our
    // bucket in. The other two were sent before that refusal all the same (the shrunk bucket lets nothing out then).
    const clock = new VirtualClock();
    const portal = createBucketPortal(clock, { latencyMs: 0, withBatch: false });
    // Someone else on this IP already filled the portal's bucket.
    for (let i = 0; i < 50; i++) void portal.transport.call('im.dialog.writing', { DIALOG_ID: `x${i}` });
    await clock.advanceTo(20);
    const scheduler = createScheduler({ transport: portal.transport, clock, random: () => 0.5 });
    const chats = [1, 2, 3].map((i) => {
      const c = collect(scheduler);
      c.channel.submit(notify(`chat${i}`, 'start'));
      return c;
    });
    await clock.advanceTo(60_000);
    for (const c of chats) expect(c.outcomes).toMatchObject([{ type: 'sent' }]);
    // Halved once (1 call/s): the retries leave a second after the refusals, two of them land and the portal, still
    // nearly full, refuses the third again; not all three two seconds later (a quarter of the rate, had each of the
    // three refusals counted).
    expect(portal.rejected).toEqual([20, 20, 20, 1020]);
    expect(portal.arrivals.slice(50).map((a) => `${a.at} ${a.calls.length}`)).toEqual(['1020 1', '1020 1', '2687 1']);
  });

  it('per-item batch errors touch only their indicator', async () => {
    const { clock, portal, scheduler } = setup({
      fail: (call) =>
        call.params.dialogId === 'chat3' ? new B24Error({ code: 'CHAT_NOT_FOUND', status: 400 }) : undefined,
    });
    const all = Array.from({ length: 5 }, (_, i) => {
      const c = collect(scheduler);
      c.channel.submit(notify(`chat${i}`, 'start'));
      return c;
    });
    await clock.advanceTo(1_000);
    expect(portal.arrivals).toHaveLength(1);
    expect(portal.arrivals[0]?.batch).toBe(true);
    all.forEach((c, i) => {
      expect(c.outcomes).toMatchObject([i === 3 ? { type: 'failed', fatal: true } : { type: 'sent' }]);
    });
    expect(scheduler.stats()).toMatchObject({ callsSent: 4, batchedCalls: 5, httpRequests: 1, failed: { input: 1 } });
  });

  it("a method's own refusal with a code not listed is fatal alike alone and in a batch, never retried", async () => {
    // The same portal reply, read by the single-call path (HTTP 400) and by parseBatchResult (a batch item).
    const refusal = { error: 'IMBOT_SOMETHING_NEW', error_description: 'Refused' };
    const alone = () => B24Error.fromResponse(refusal, 400);
    const inBatch = () => {
      const [item] = parseBatchResult({ result: [], result_error: [refusal] }, 1);
      return item?.ok === false ? item.error : undefined;
    };
    for (const [withBatch, fail] of [
      [false, alone],
      [true, inBatch],
    ] as const) {
      const { clock, portal, scheduler } = setup({
        withBatch,
        fail: (call) => (call.params.dialogId === 'chat1' ? fail() : undefined),
      });
      const chats = [1, 2].map((i) => {
        const c = collect(scheduler);
        c.channel.submit(notify(`chat${i}`, 'renew', 20_000));
        return c;
      });
      // Bounded: a retry within the deadline would show as a second chat1 request by then, not as a hang.
      await clock.advanceTo(30_000);
      expect(
        portal.calls().filter((c) => c.call.params.dialogId === 'chat1'),
        `withBatch ${withBatch}`,
      ).toHaveLength(1);
      expect(portal.arrivals.some((a) => a.batch)).toBe(withBatch);
      expect(chats.map((c) => c.outcomes)).toMatchObject([
        [{ type: 'failed', fatal: true, error: { code: 'IMBOT_SOMETHING_NEW', kind: 'input' } }],
        [{ type: 'sent' }],
      ]);
      expect(scheduler.stats()).toMatchObject({ failed: { input: 1 }, dropped: { retries: 0 } });
    }
  });

  it('survives a transport that throws synchronously or never settles', async () => {
    const clock = new VirtualClock();
    const signals: AbortSignal[] = [];
    let mode: 'throw' | 'hang' = 'throw';
    const transport: Transport = {
      call(_method, _params, options) {
        if (mode === 'throw') throw new Error('boom https://portal/rest/1/SECRETCODE/');
        if (options?.signal) signals.push(options.signal);
        return new Promise(() => {});
      },
    };
    const scheduler = createScheduler({ transport, clock, random: () => 0.5, maxRetries: 1, requestTimeoutMs: 5_000 });
    const a = collect(scheduler);
    a.channel.submit(notify('chat1', 'start'));
    await clock.advanceTo(10_000);
    expect(a.outcomes).toMatchObject([{ type: 'dropped', reason: 'retries' }]);
    expect(scheduler.stats().failed).toEqual({ network: 2 });

    mode = 'hang';
    const b = collect(scheduler);
    b.channel.submit(notify('chat2', 'start'));
    await clock.advanceTo(15_001);
    expect(signals[0]?.aborted).toBe(true);
    // the same error as the direct dispatcher's and the transports' own timeouts
    expect(signals[0]?.reason).toMatchObject({
      name: 'B24Error',
      code: 'TIMEOUT',
      kind: 'timeout',
      message: 'no answer within 5000 ms',
    });
    expect(scheduler.stats().failed.timeout).toBe(1);
    // The retry hangs too; dispose aborts it and reports the call as disposed.
    await clock.advanceTo(15_500);
    scheduler.dispose();
    expect(signals.at(-1)?.aborted).toBe(true);
    expect(b.outcomes).toMatchObject([{ type: 'dropped', reason: 'disposed' }]);
    expect(clock.pending).toBe(0);
    b.channel.submit(notify('chat2', 'start'));
    expect(b.outcomes.at(-1)).toMatchObject({ type: 'dropped', reason: 'disposed' });
    for (const o of [...a.outcomes, ...b.outcomes]) expect(JSON.stringify(o)).not.toContain('SECRETCODE');
    await flushMicrotasks();
  });

  it('a throwing outcome listener does not break the scheduler', async () => {
    const { clock, scheduler } = setup();
    scheduler
      .open(() => {
        throw new Error('listener');
      })
      .submit(notify('chat1', 'start'));
    const { outcomes, channel } = collect(scheduler);
    channel.submit(notify('chat2', 'start'));
    await clock.advanceTo(1_000);
    expect(outcomes).toMatchObject([{ type: 'sent' }]);
  });
});

describe('createScheduler releases what ended indicators held', () => {
  /**
   * 1,000 indicators over 1,000 chats, each renewing after every call that landed, on a batching portal with jittery
   * latency where some requests hang past the request timeout, some batches fail as a whole or come back malformed,
   * and some commands are refused (fatal, retried, or holding their method). Each listener is watched for garbage
   * collection: whatever still holds an indicator's channel or that of its clear (a heap entry, a flight, the clears
   * and followers kept by status) holds its listener too.
   */
  function busyPortal() {
    const clock = new VirtualClock();
    let draws = 0;
    const portal = createBucketPortal(clock, {
      latencyMs: () => (++draws % 31 === 0 ? 12_000 : 20 + ((draws * 397) % 1_500)),
      fail: (call, attempt) => {
        const n = Number(String(call.params.dialogId).slice(4)) + attempt;
        if (n % 13 === 0) return new B24Error({ code: 'CHAT_NOT_FOUND', status: 400 });
        if (n % 17 === 0) return new B24Error({ code: 'INTERNAL_SERVER_ERROR', status: 500 });
        if (call.params.dialogId === 'chat500' && attempt === 1)
          return loopGuard(new B24Error({ code: 'OPERATION_TIME_LIMIT', status: 429 }));
        return undefined;
      },
    });
    let batches = 0;
    const batch = portal.transport.batch as NonNullable<Transport['batch']>;
    const transport: Transport = {
      call: portal.transport.call,
      batch(calls, options) {
        batches += 1;
        if (batches % 9 === 0) return Promise.reject(new B24Error({ code: 'NETWORK_ERROR' }));
        if (batches % 11 === 0) return batch(calls, options).then(() => []);
        return batch(calls, options);
      },
    };
    const scheduler = createScheduler({ transport, clock });
    return { clock, portal, scheduler };
  }

  /** Opens one indicator (in a function of its own: see `watchRelease`); returns how it ends. */
  function start(scheduler: Dispatcher, clock: VirtualClock, i: number, release: ReleaseWatch) {
    const dialogId = `chat${i + 1}`;
    let ended = false;
    const onOutcome = (o: CallOutcome) => {
      if (ended) return;
      if (o.type === 'sent') channel.submit(notify(dialogId, 'renew', o.at + LEASE, o.at + LEASE - MARGIN));
      // lost (given up, or refused for a passing reason): it starts again a second later, as a status does
      else if (o.type === 'failed' ? !o.fatal : o.reason !== 'merged')
        channel.submit(notify(dialogId, 'start', Number.POSITIVE_INFINITY, o.at + 1_000));
    };
    const channel = scheduler.open(release.watch(onOutcome));
    channel.submit(notify(dialogId, 'start'));
    const clear = () => ({
      ...notify(dialogId, 'clear', clock.now() + LEASE),
      params: { botId: 1, dialogId, duration: 1 },
    });
    return () => {
      ended = true;
      if (i % 4 === 0) channel.close();
      else if (i % 4 === 1) channel.close(clear());
      else {
        // with a call of its own on its way (or queued for the budget): its clear waits for that request
        channel.submit(notify(dialogId, 'change'));
        channel.close(i % 4 === 2 ? clear() : { ...clear(), peer: 'alone' });
      }
    };
  }

  /**
   * The portal keeps the signal of every request, and an aborted one its reason: an error, whose stack trace, not
   * formatted yet, holds the functions and receivers that were on the stack as the error was made (the indicator that
   * stopped, the test's list of them). A transport lets go of them once the request is over.
   */
  function forgetSignals(portal: ReturnType<typeof createBucketPortal>): void {
    portal.signals.length = 0;
  }

  it('once 1,000 indicators over 1,000 chats ended, holds no entry, flight, clear or timer of theirs', async () => {
    const { clock, portal, scheduler } = busyPortal();
    const release = watchRelease();
    await startAndEnd(
      (i) => start(scheduler, clock, i, release),
      (ms) => clock.advanceBy(ms),
      {
        goOnMs: 45_000,
        count: 1_000,
      },
    );
    await clock.advanceBy(60_000);

    expect(portal.arrivals.some((a) => a.batch && a.calls.length > 10)).toBe(true);
    const stats = scheduler.stats();
    // every way a call fails took place: refused (fatal, or holding its method), retried, whole batches, timeouts
    for (const kind of ['input', 'operating', 'server', 'network', 'timeout'] as const)
      expect(stats.failed[kind]).toBeGreaterThan(0);
    expect(stats.activeIndicators).toBe(0);
    expect(clock.pending).toBe(0); // no timer: neither the scheduler's nor a request still on its way
    forgetSignals(portal);
    expect(await release.stillHeld()).toEqual([]);
    scheduler.dispose();
  });

  it('dispose() in the middle of it all releases every indicator, also those whose calls are on their way', async () => {
    const { clock, portal, scheduler } = busyPortal();
    const release = watchRelease();
    await startAndEnd(
      (i) => start(scheduler, clock, i, release),
      (ms) => clock.advanceBy(ms),
      {
        goOnMs: 20_000,
        count: 500,
        atOnce: true,
      },
    );
    await clock.advanceBy(3);
    scheduler.dispose();
    await clock.advanceBy(60_000);

    expect(scheduler.stats().activeIndicators).toBe(0);
    expect(clock.pending).toBe(0);
    forgetSignals(portal);
    expect(await release.stillHeld()).toEqual([]);
  });
});

describe('createScheduler options', () => {
  it('rejects bad options with an input error naming the field', () => {
    const clock = new VirtualClock();
    const transport: Transport = { call: async () => true };
    const bad: [Record<string, unknown>, string][] = [
      [{ transport: {} }, 'transport'],
      [{ transport, limits: 'gold' }, 'limits'],
      [{ transport, limits: { perSecond: 0, burst: 50 } }, 'limits.perSecond'],
      [{ transport, limits: { perSecond: 2, burst: 0.5 } }, 'limits.burst'],
      [{ transport, maxBatch: 51 }, 'maxBatch'],
      [{ transport, requestTimeoutMs: -1 }, 'requestTimeoutMs'],
    ];
    for (const [options, field] of bad) {
      let error: unknown;
      try {
        createScheduler({ clock, ...options } as never);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(B24Error);
      expect(error).toMatchObject({ kind: 'input' });
      expect(error).toMatchObject({ field });
    }
  });

  it('enterprise limits allow a bigger burst', async () => {
    const { clock, portal, scheduler } = setup(
      { withBatch: false, perSecond: 5, burst: 250 },
      { limits: 'enterprise' },
    );
    for (let i = 0; i < 300; i++) collect(scheduler).channel.submit(notify(`chat${i}`, 'start'));
    await clock.advanceTo(100);
    expect(portal.arrivals).toHaveLength(249);
    await clock.advanceTo(11_000);
    expect(portal.arrivals).toHaveLength(300);
    expect(portal.rejected).toEqual([]);
  });
});

describe('createScheduler deadlines, end to end through createIndicators', () => {
  /** Gaps between consecutive arrivals at the portal: an indicator lapses when one exceeds its lifetime. */
  const gaps = (at: number[]) => at.slice(1).map((t, i) => t - (at[i] as number));

  it('keeps renewing on a steadily slow portal: the latency of a renewal is matched by that of the call it renews', async () => {
    // 4 s each way: a renewal sent at 27 s lands at 31 s, while the call it renews landed at 4 s (up until 34 s).
    const clock = new VirtualClock();
    const portal = createBucketPortal(clock, { latencyMs: 4_000 });
    const indicators = createIndicators({ transport: portal.transport, clock });
    indicators.botStatus({ dialogId: 'chat1', botId: 1, status: 'thinking' }).subscribe();
    const keys = new Subject<void>();
    indicators.userTyping({ dialogId: 'chat2', keystrokes: keys }).subscribe();
    for (let t = 0; t <= 120_000; t += 2_000) {
      await clock.advanceTo(t);
      keys.next();
    }
    const arrivals = (dialogId: string) =>
      portal
        .calls()
        .filter((c) => (c.call.params.dialogId ?? c.call.params.DIALOG_ID) === dialogId)
        .map((c) => c.at);
    expect(arrivals('chat1')[0]).toBe(4_000);
    expect(Math.max(...gaps(arrivals('chat1')))).toBeLessThan(30_000); // the lease
    expect(Math.max(...gaps(arrivals('chat2')))).toBeLessThan(25_000); // the typing lifetime
    expect(indicators.stats().dropped.deadline).toBe(0);
    indicators.dispose();
  });

  it('never lets a status lapse for changes that could wait under a tight budget, and a start still goes first', async () => {
    // 1 request/s, no batch: one bot changes its status every second, which alone uses the whole budget. Five
    // other statuses (started 3 s apart, so that their renewals do not all fall due together) must still be
    // renewed within their 30 s lease, and a start still goes out before the changes and renewals waiting.
    const clock = new VirtualClock();
    const limits = { perSecond: 1, burst: 2 };
    const portal = createBucketPortal(clock, { ...limits, withBatch: false });
    const indicators = createIndicators({ transport: portal.transport, clock, limits });
    const phase = new Subject<AgentStatus>();
    indicators.botStatus({ dialogId: 'chat10', botId: 1, status: phase }).subscribe();
    for (let t = 0; t <= 70_000; t += 1_000) {
      await clock.advanceTo(t);
      phase.next(t % 2_000 === 0 ? 'thinking' : 'searching');
      const other = t / 3_000;
      if (t % 3_000 === 0 && other >= 1 && other <= 5) {
        indicators.botStatus({ dialogId: `chat${other}`, botId: 1, status: 'thinking' }).subscribe();
      }
      if (t === 50_000) {
        await clock.advanceTo(50_500);
        indicators.botStatus({ dialogId: 'chat9', botId: 1, status: 'thinking' }).subscribe();
      }
    }
    const arrivals = (dialogId: string) =>
      portal
        .calls()
        .filter((c) => c.call.params.dialogId === dialogId)
        .map((c) => c.at);
    // the work still goes on at 70 s: each status must be up until then
    const lapses = ['chat10', 'chat1', 'chat2', 'chat3', 'chat4', 'chat5', 'chat9']
      .map((dialogId) => ({ dialogId, gap: Math.max(...gaps([...arrivals(dialogId), 70_000])) }))
      .filter(({ gap }) => gap >= 30_000);
    expect(lapses).toEqual([]);
    // the start goes out with the first request sent after it (one sent before lands within the latency)
    const next = portal.calls().find((c) => c.at > 50_500 + 20);
    expect(next?.call.params.dialogId).toBe('chat9');
    expect(indicators.stats().dropped.deadline).toBe(0);
    indicators.dispose();
  });

  it('still clears a status whose renewal was merged into the call in flight: that call renews it', async () => {
    // A 6 s lease renewed every 3 s, 2.5 s each way: the start leaves at 0 and lands at 2.5 s (up until 8.5 s); the
    // renewal due at 3 s rides on it (merged), the next one waits for it and leaves at 6 s (lands at 8.5 s: up until
    // 14.5 s). The work fails at 6.5 s: the status is up, so that renewal is stopped, and the clear goes once it has
    // settled (at 11 s: an abort would not call it back) and lands at 13.5 s.
    const clock = new VirtualClock();
    const portal = createBucketPortal(clock, { latencyMs: 2_500 });
    const indicators = createIndicators({ transport: portal.transport, clock });
    const done = new Subject<void>();
    const lease = { leaseSec: 6, marginMs: 3_000 };
    indicators.botStatus({ dialogId: 'chat1', botId: 1, status: 'thinking', until: done, ...lease }).subscribe();
    await clock.advanceTo(6_500);
    done.error(new Error('failed while its status is up'));
    await clock.advanceTo(60_000);
    expect(indicators.stats().dropped).toMatchObject({ merged: 1, stopped: 1, deadline: 0 });
    expect(portal.calls().map((c) => [c.at, c.call.params.duration])).toEqual([
      [2_500, 6],
      [8_500, 6],
      [13_500, 1],
    ]);
    indicators.dispose();
  });

  it('keeps up the status of work started again in the same chat while the clear of the failed one waited', async () => {
    // 2.5 s each way. The first work's renewal leaves at 27 s (its reply at 32 s); the work fails at 28 s, and its
    // clear waits for that renewal to settle. The same chat's work is started again at 29 s: its start lands at
    // 31.5 s. A clear sent once the renewal settled would land after it and take the new status down until its
    // renewal at 56 s.
    const clock = new VirtualClock();
    const portal = createBucketPortal(clock, { latencyMs: 2_500 });
    const indicators = createIndicators({ transport: portal.transport, clock });
    const failed = new Subject<void>();
    const replied = new Subject<void>();
    for (const dialogId of ['chat1', 'chat2'] as const) {
      indicators.botStatus({ dialogId, botId: 1, status: 'thinking', until: failed }).subscribe();
    }
    await clock.advanceTo(28_000);
    failed.error(new Error('failed while its renewal was on its way'));
    await clock.advanceTo(29_000);
    indicators.botStatus({ dialogId: 'chat1', botId: 1, status: 'searching' }).subscribe();
    // chat2's new work replies before the first one's renewal settled, which may land after the reply: cleared
    indicators.botStatus({ dialogId: 'chat2', botId: 1, status: 'searching', until: replied }).subscribe();
    await clock.advanceTo(31_000);
    replied.next();
    await clock.advanceTo(50_000);
    const landed = (dialogId: string) =>
      portal
        .calls()
        .filter((c) => c.call.params.dialogId === dialogId)
        .map((c) => `${c.at} ${c.call.params.statusMessageCode ?? ''} ${c.call.params.duration}`);
    // the first work's renewal is answered (32 s) after the new start left (29 s): which of the two the portal took
    // last is not known here, so the new work sends its status again, behind its start
    expect(landed('chat1').slice(-2)).toEqual([
      '31500 IMBOT_AGENT_ACTION_SEARCHING 30',
      '36500 IMBOT_AGENT_ACTION_SEARCHING 30',
    ]);
    expect(landed('chat1').filter((l) => l.endsWith(' 1'))).toEqual([]);
    // … once the new work's start has settled too (34 s: in a batch with chat1's, not aborted at its reply, it may land
    // after the clear), one clear for both
    expect(landed('chat2').at(-1)).toBe('36500 IMBOT_AGENT_ACTION_THINKING 1');
    expect(landed('chat2').filter((l) => l.endsWith(' 1'))).toHaveLength(1);
    expect(indicators.stats().dropped.merged).toBe(2); // chat1's clear, and the one after chat2's reply
    indicators.dispose();
  });

  it('sends no clear once the status has lapsed because its renewal was refused: it would show it again for 1 s', async () => {
    // the rate backoff's jitter at its middle: no retry of chat1's status is on its way when its work fails at 40 s
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const clock = new VirtualClock();
    // every call with the 30 s lease after the first (its renewals, and the status sent again once the renewal at
    // 27 s was given up at 30 s) is refused for the rate limit; the clear is not
    const refused = new B24Error({ code: 'QUERY_LIMIT_EXCEEDED', status: 503 });
    const portal = createBucketPortal(clock, {
      fail: (call, attempt) => (attempt > 1 && call.params.duration === 30 ? refused : undefined),
    });
    const indicators = createIndicators({ transport: portal.transport, clock });
    const lapsed = new Subject<void>();
    const up = new Subject<void>();
    indicators.botStatus({ dialogId: 'chat1', botId: 1, status: 'thinking', until: lapsed }).subscribe();
    indicators.botStatus({ dialogId: 'chat2', botId: 1, status: 'thinking', until: up }).subscribe();
    await clock.advanceTo(20_000);
    up.error(new Error('failed while its status is up')); // cleared: the start is up until 30 s
    await clock.advanceTo(40_000); // chat1's renewal at 27 s was refused and never landed: its status lapsed at 30 s
    lapsed.error(new Error('failed after its status lapsed'));
    await clock.advanceTo(120_000);
    const clears = portal.calls().filter((c) => c.call.params.duration === 1);
    expect(clears.map((c) => c.call.params.dialogId)).toEqual(['chat2']);
    expect(indicators.stats().dropped.deadline).toBeGreaterThanOrEqual(2); // chat1's renewal, then its clear
    // chat1's status went again a second after its renewal was given up, refused like the renewal
    const chat1 = portal.calls().filter((c) => c.call.params.dialogId === 'chat1');
    expect(chat1.filter((c) => c.at > 30_000).length).toBeGreaterThan(0);
    indicators.dispose();
    vi.restoreAllMocks();
  });
});
