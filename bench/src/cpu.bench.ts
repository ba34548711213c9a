// `cpu`: what indicators cost in real time. ns per keystroke through `userTyping`, ns per renewal through the
// scheduler, heap bytes per active bot status at 100,000 statuses, and how many timers those statuses hold.
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { createIndicators, type Transport, withStatus } from '@b24-typing/core';
import { NEVER, Subject, type Subscription } from 'rxjs';
import type { CallOutcome, IndicatorCall, IndicatorChannel } from '../../packages/core/src/Dispatcher';
import { createScheduler } from '../../packages/core/src/createScheduler';
import type { Benchmark } from './Benchmark';
import { VirtualClock } from './virtualPortal';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

/** A portal that answers at once: the cost measured is ours, not the network's. */
const instant: Transport = {
  call: () => Promise.resolve({ result: true }),
  batch: (calls) => Promise.resolve(calls.map(() => ({ ok: true as const, result: { result: true } }))),
};

const UNLIMITED = { perSecond: 1e9, burst: 1e9 };

function settle(ms = 20): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

/**
 * Keystrokes into `indicators` userTyping streams, round-robin, after each indicator's first call went out: the
 * median of `samples` timed loops (each keystroke goes into a live pipeline, so no loop can be optimised away).
 */
async function nsPerKeystroke(
  indicatorsCount: number,
  keystrokes: number,
  samples: number,
): Promise<{ ns: number; min: number; max: number }> {
  const indicators = createIndicators({ transport: instant, limits: UNLIMITED });
  const keys = Array.from({ length: indicatorsCount }, () => new Subject<unknown>());
  const subs = keys.map((k, i) => indicators.userTyping({ dialogId: `chat${i + 1}`, keystrokes: k }).subscribe());
  for (const k of keys) k.next('a');
  await settle();
  const event = { key: 'a' };
  for (let i = 0; i < 10_000; i++) (keys[i % indicatorsCount] as Subject<unknown>).next(event);
  const perSample: number[] = [];
  for (let s = 0; s < samples; s++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < keystrokes; i++) (keys[i % indicatorsCount] as Subject<unknown>).next(event);
    perSample.push(Number(process.hrtime.bigint() - started) / keystrokes);
  }
  for (const s of subs) s.unsubscribe();
  indicators.dispose();
  return spreadOf(perSample);
}

/** Median, slowest and fastest of samples: the machine is shared, so one number alone says too little. */
function spreadOf(samples: readonly number[]): { ns: number; min: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    ns: sorted[Math.floor(sorted.length / 2)] as number,
    min: sorted[0] as number,
    max: sorted.at(-1) as number,
  };
}

/**
 * Statuses held through the scheduler for `cycles` renewal periods on a virtual clock, answered at once:
 * real CPU time per renewal, including the virtual clock's stepping (so an upper bound).
 */
async function nsPerRenewal(
  statuses: number,
  cycles: number,
): Promise<{ ns: number; renewals: number; renewalsPerRequest: number }> {
  const clock = new VirtualClock();
  const scheduler = createScheduler({ transport: instant, clock, limits: 'enterprise' });
  const channels: IndicatorChannel[] = [];
  let renewals = 0;
  for (let i = 0; i < statuses; i++) {
    const params = { botId: 7, dialogId: `chat${i + 1}`, duration: 30 };
    const call = (reason: IndicatorCall['reason'], deadline: number, notBefore?: number): IndicatorCall => ({
      method: 'imbot.v2.Chat.InputAction.notify',
      params,
      reason,
      deadline,
      ...(notBefore === undefined ? {} : { notBefore }),
    });
    const channel = scheduler.open((o: CallOutcome) => {
      if (o.type !== 'sent') return;
      if (o.call.reason === 'renew') renewals++;
      channel.submit(call('renew', o.at + 30_000, o.at + 25_000));
    });
    channel.submit(call('start', Number.POSITIVE_INFINITY, (i * 25_000) / statuses));
    channels.push(channel);
  }
  await clock.advanceTo(25_000);
  renewals = 0;
  const requestsBefore = scheduler.stats().httpRequests;
  const started = process.hrtime.bigint();
  await clock.advanceTo(25_000 + cycles * 25_000);
  const elapsed = Number(process.hrtime.bigint() - started);
  const requests = scheduler.stats().httpRequests - requestsBefore;
  scheduler.dispose();
  return { ns: elapsed / Math.max(1, renewals), renewals, renewalsPerRequest: renewals / Math.max(1, requests) };
}

/**
 * The same through the product: `botStatus` streams of `createIndicators` on the virtual clock, so the renewal is
 * planned by the indicator itself (lease timer, renewal call) and then goes through the scheduler as above.
 */
async function nsPerRenewalBotStatus(
  statuses: number,
  cycles: number,
): Promise<{ ns: number; renewals: number; renewalsPerRequest: number }> {
  const clock = new VirtualClock();
  const indicators = createIndicators({ transport: instant, clock, limits: 'enterprise' });
  const subs: Subscription[] = [];
  for (let i = 0; i < statuses; i++) {
    clock.schedule(
      () => {
        subs.push(
          indicators
            .botStatus({ dialogId: `chat${i + 1}`, botId: 7, status: 'thinking', until: NEVER, leaseSec: 30 })
            .subscribe({ error: () => {} }),
        );
      },
      (i * 25_000) / statuses,
    );
  }
  await clock.advanceTo(25_000);
  const before = indicators.stats();
  const started = process.hrtime.bigint();
  await clock.advanceTo(25_000 + cycles * 25_000);
  const elapsed = Number(process.hrtime.bigint() - started);
  const after = indicators.stats();
  for (const s of subs) s.unsubscribe();
  indicators.dispose();
  const renewals = after.callsSent - before.callsSent;
  return {
    ns: elapsed / Math.max(1, renewals),
    renewals,
    renewalsPerRequest: renewals / Math.max(1, after.httpRequests - before.httpRequests),
  };
}

/** The scheduler's share of a status: its channel and one renewal waiting for its due time. */
async function schedulerMemory(statuses: number): Promise<{ bytesPerStatus: number; timers: number }> {
  gc();
  await settle();
  const baselineTimers = activeTimers();
  gc();
  const before = process.memoryUsage().heapUsed;
  const scheduler = createScheduler({ transport: instant, limits: UNLIMITED });
  const channels: IndicatorChannel[] = [];
  for (let i = 0; i < statuses; i++) {
    const params = { botId: 7, dialogId: `chat${i + 1}`, duration: 30 };
    const channel = scheduler.open(() => {});
    channel.submit({
      method: 'imbot.v2.Chat.InputAction.notify',
      params,
      reason: 'renew',
      deadline: 30_000 + i,
      notBefore: Date.now() + 25_000,
    });
    channels.push(channel);
  }
  gc();
  const after = process.memoryUsage().heapUsed;
  const timers = activeTimers() - baselineTimers;
  scheduler.dispose();
  return { bytesPerStatus: (after - before) / statuses, timers };
}

/**
 * How a status is held. `botStatus`: `indicators.botStatus` with one `until` shared by all (NEVER), the leanest
 * way to hold one. `withStatus`: `reply$.pipe(withStatus(indicators, target))` as a bot replying holds it, with a
 * reply that has not come yet (NEVER, so the reply itself weighs nothing); withStatus makes an `until` per status.
 */
type Hold = 'botStatus' | 'withStatus';

/** Heap bytes and timers per active bot status, everything included (stream, indicator, queued renewal). */
async function memory(
  statuses: number,
  hold: Hold = 'botStatus',
): Promise<{ bytesPerStatus: number; timers: number; baselineTimers: number }> {
  gc();
  await settle();
  const baselineTimers = activeTimers();
  gc();
  const before = process.memoryUsage().heapUsed;
  const indicators = createIndicators({ transport: instant, limits: UNLIMITED });
  const subs: Subscription[] = [];
  for (let i = 0; i < statuses; i++) {
    const dialogId = `chat${i + 1}` as const;
    subs.push(
      hold === 'botStatus'
        ? indicators
            .botStatus({ dialogId, botId: 7, status: 'thinking', until: NEVER, leaseSec: 30 })
            .subscribe({ error: () => {} })
        : NEVER.pipe(withStatus(indicators, { dialogId, botId: 7, status: 'thinking', leaseSec: 30 })).subscribe({
            error: () => {},
          }),
    );
  }
  // Let every start go out and land, so each status holds what it holds while it is being renewed.
  for (let i = 0; i < 50 && indicators.stats().callsSent < statuses; i++) await settle(20);
  gc();
  const after = process.memoryUsage().heapUsed;
  const timers = activeTimers() - baselineTimers;
  const sent = indicators.stats().callsSent;
  for (const s of subs) s.unsubscribe();
  indicators.dispose();
  if (sent < statuses) throw new Error(`only ${sent} of ${statuses} starts landed`);
  return { bytesPerStatus: (after - before) / statuses, timers, baselineTimers };
}

type RenewalRun = Awaited<ReturnType<typeof nsPerRenewal>>;

const benchmark: Benchmark = {
  name: 'cpu',
  async run() {
    const keystroke1 = await nsPerKeystroke(1, 200_000, 5);
    const keystroke1k = await nsPerKeystroke(1_000, 200_000, 5);
    // One run to warm the JIT, not counted (it measured about twice the others); then the median of three.
    const renewalWarmup = await nsPerRenewal(5_000, 4);
    const renewalRuns = [await nsPerRenewal(5_000, 4), await nsPerRenewal(5_000, 4), await nsPerRenewal(5_000, 4)];
    const renewalSorted = [...renewalRuns].sort((a, b) => a.ns - b.ns);
    const renewal = renewalSorted[1] as (typeof renewalRuns)[number];
    await nsPerRenewalBotStatus(5_000, 4);
    const botStatusRenewalRuns = [
      await nsPerRenewalBotStatus(5_000, 4),
      await nsPerRenewalBotStatus(5_000, 4),
      await nsPerRenewalBotStatus(5_000, 4),
    ];
    const botStatusRenewal = spreadOf(botStatusRenewalRuns.map((r) => r.ns));
    const small = await memory(1_000);
    // Three samples each: heap after a full GC hardly varies, but one sample cannot show that.
    const largeRuns = [await memory(100_000), await memory(100_000), await memory(100_000)];
    const large = [...largeRuns].sort((a, b) => a.bytesPerStatus - b.bytesPerStatus)[1] as (typeof largeRuns)[number];
    const withStatusRuns = [
      await memory(100_000, 'withStatus'),
      await memory(100_000, 'withStatus'),
      await memory(100_000, 'withStatus'),
    ];
    const withStatusLarge = [...withStatusRuns].sort(
      (a, b) => a.bytesPerStatus - b.bytesPerStatus,
    )[1] as (typeof withStatusRuns)[number];
    const schedulerOnly = await schedulerMemory(100_000);
    const keystroke = keystroke1k.ns >= keystroke1.ns ? keystroke1k : keystroke1;
    const figures = {
      nsPerKeystroke: Math.round(keystroke.ns),
      nsPerKeystrokeRange: [Math.round(keystroke.min), Math.round(keystroke.max)],
      nsPerRenewal: Math.round(renewal.ns),
      nsPerRenewalRange: [
        Math.round((renewalSorted[0] as RenewalRun).ns),
        Math.round((renewalSorted[2] as RenewalRun).ns),
      ],
      renewalsPerRequest: Number(renewal.renewalsPerRequest.toFixed(1)),
      nsPerRenewalBotStatus: Math.round(botStatusRenewal.ns),
      nsPerRenewalBotStatusRange: [Math.round(botStatusRenewal.min), Math.round(botStatusRenewal.max)],
      bytesPerStatus: Math.round(large.bytesPerStatus),
      bytesPerStatusRange: [
        Math.round(Math.min(...largeRuns.map((r) => r.bytesPerStatus))),
        Math.round(Math.max(...largeRuns.map((r) => r.bytesPerStatus))),
      ],
      withStatusBytesPerStatus: Math.round(withStatusLarge.bytesPerStatus),
      withStatusActiveTimers: withStatusLarge.timers,
      activeTimers: large.timers,
      activeTimersAt1000: small.timers,
      schedulerBytesPerStatus: Math.round(schedulerOnly.bytesPerStatus),
      schedulerActiveTimers: schedulerOnly.timers,
      targets: { nsPerKeystroke: 1_000, bytesPerStatus: 2_048, activeTimers: 'O(1)' },
      timing: 'real time on a shared 2-CPU machine: ns figures move by tens of percent between runs',
    };
    return {
      figures,
      runs: {
        keystroke1,
        keystroke1k,
        renewalWarmup,
        renewalRuns,
        botStatusRenewalRuns,
        small,
        largeRuns,
        withStatusRuns,
        schedulerOnly,
      },
      table: [
        { figure: 'ns per keystroke (1 indicator)', value: Math.round(keystroke1.ns), target: '<= 1000' },
        { figure: 'ns per keystroke (1,000 indicators)', value: Math.round(keystroke1k.ns), target: '<= 1000' },
        {
          figure: `ns per renewal (${renewal.renewals} renewals, ${renewal.renewalsPerRequest.toFixed(1)} per batch)`,
          value: Math.round(renewal.ns),
          target: '',
        },
        {
          figure: `ns per renewal through botStatus (${(botStatusRenewalRuns[0] as RenewalRun).renewals} renewals)`,
          value: Math.round(botStatusRenewal.ns),
          target: '',
        },
        {
          figure: 'heap bytes per status (100,000, botStatus)',
          value: Math.round(large.bytesPerStatus),
          target: '<= 2048',
        },
        {
          figure: 'heap bytes per status (100,000, withStatus)',
          value: Math.round(withStatusLarge.bytesPerStatus),
          target: '',
        },
        { figure: 'heap bytes per status (1,000)', value: Math.round(small.bytesPerStatus), target: '' },
        { figure: 'active timers at 100,000 statuses', value: large.timers, target: 'O(1)' },
        {
          figure: 'scheduler alone: bytes per status (100,000)',
          value: Math.round(schedulerOnly.bytesPerStatus),
          target: '',
        },
        { figure: 'scheduler alone: timers at 100,000 statuses', value: schedulerOnly.timers, target: 'O(1)' },
        { figure: 'active timers at 1,000 statuses', value: small.timers, target: 'O(1)' },
      ],
    };
  },
};

export default benchmark;
