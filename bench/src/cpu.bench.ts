// `cpu`: what indicators cost in real time. ns per keystroke through `userTyping`, ns per renewal through the
// scheduler, heap bytes per active bot status at 100,000 statuses, and how many timers those statuses hold.
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { createIndicators, type Transport } from '@b24-typing/core';
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

/** Keystrokes into `indicators` userTyping streams, round-robin, after each indicator's first call went out. */
async function nsPerKeystroke(indicatorsCount: number, keystrokes: number): Promise<number> {
  const indicators = createIndicators({ transport: instant, limits: UNLIMITED });
  const keys = Array.from({ length: indicatorsCount }, () => new Subject<unknown>());
  const subs = keys.map((k, i) => indicators.userTyping({ dialogId: `chat${i + 1}`, keystrokes: k }).subscribe());
  for (const k of keys) k.next('a');
  await settle();
  const event = { key: 'a' };
  for (let i = 0; i < 10_000; i++) (keys[i % indicatorsCount] as Subject<unknown>).next(event);
  const started = process.hrtime.bigint();
  for (let i = 0; i < keystrokes; i++) (keys[i % indicatorsCount] as Subject<unknown>).next(event);
  const elapsed = Number(process.hrtime.bigint() - started);
  for (const s of subs) s.unsubscribe();
  indicators.dispose();
  return elapsed / keystrokes;
}

/**
 * Statuses held through the scheduler for `cycles` renewal periods on a virtual clock, answered at once:
 * real CPU time per renewal, including the virtual clock's stepping (so an upper bound).
 */
async function nsPerRenewal(statuses: number, cycles: number): Promise<{ ns: number; renewals: number }> {
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
  const started = process.hrtime.bigint();
  await clock.advanceTo(25_000 + cycles * 25_000);
  const elapsed = Number(process.hrtime.bigint() - started);
  scheduler.dispose();
  return { ns: elapsed / Math.max(1, renewals), renewals };
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

/** Heap bytes and timers per active bot status, everything included (stream, indicator, queued renewal). */
async function memory(statuses: number): Promise<{ bytesPerStatus: number; timers: number; baselineTimers: number }> {
  gc();
  await settle();
  const baselineTimers = activeTimers();
  gc();
  const before = process.memoryUsage().heapUsed;
  const indicators = createIndicators({ transport: instant, limits: UNLIMITED });
  const subs: Subscription[] = [];
  for (let i = 0; i < statuses; i++) {
    subs.push(
      indicators
        .botStatus({ dialogId: `chat${i + 1}`, botId: 7, status: 'thinking', until: NEVER, leaseSec: 30 })
        .subscribe({ error: () => {} }),
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

const benchmark: Benchmark = {
  name: 'cpu',
  async run() {
    const keystroke1 = await nsPerKeystroke(1, 1_000_000);
    const keystroke1k = await nsPerKeystroke(1_000, 1_000_000);
    // Median of three: the machine is shared, and one slow run should not be the figure.
    const renewalRuns = [await nsPerRenewal(5_000, 4), await nsPerRenewal(5_000, 4), await nsPerRenewal(5_000, 4)];
    const renewal = [...renewalRuns].sort((a, b) => a.ns - b.ns)[1] as { ns: number; renewals: number };
    const small = await memory(1_000);
    const large = await memory(100_000);
    const schedulerOnly = await schedulerMemory(100_000);
    const figures = {
      nsPerKeystroke: Math.round(Math.max(keystroke1, keystroke1k)),
      nsPerRenewal: Math.round(renewal.ns),
      bytesPerStatus: Math.round(large.bytesPerStatus),
      activeTimers: large.timers,
      activeTimersAt1000: small.timers,
      schedulerBytesPerStatus: Math.round(schedulerOnly.bytesPerStatus),
      schedulerActiveTimers: schedulerOnly.timers,
      targets: { nsPerKeystroke: 1_000, bytesPerStatus: 2_048, activeTimers: 'O(1)' },
    };
    return {
      figures,
      runs: { keystroke1, keystroke1k, renewalRuns, small, large, schedulerOnly },
      table: [
        { figure: 'ns per keystroke (1 indicator)', value: Math.round(keystroke1), target: '<= 1000' },
        { figure: 'ns per keystroke (1,000 indicators)', value: Math.round(keystroke1k), target: '<= 1000' },
        { figure: `ns per renewal (${renewal.renewals} renewals)`, value: Math.round(renewal.ns), target: '' },
        { figure: 'heap bytes per status (100,000)', value: Math.round(large.bytesPerStatus), target: '<= 2048' },
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
