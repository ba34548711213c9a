// `capacity`: the most bot statuses one portal (standard limits: 2 requests/s, burst 50) keeps visible at >= 99%
// coverage, in virtual time against a portal double with the exact leaky bucket. Policy, not cost.
import type { CallOutcome, Dispatcher, IndicatorCall, IndicatorChannel } from '../../packages/core/src/Dispatcher';
import { createScheduler } from '../../packages/core/src/createScheduler';
import { createIndicators } from '@b24-typing/core';
import { Subject } from 'rxjs';
import type { Benchmark } from './Benchmark';
import { coveredMs, createBucketPortal, seededRandom, VirtualClock } from './virtualPortal';

const LEASE_MS = 30_000;
const MARGIN_MS = 5_000;
const RENEW_MS = LEASE_MS - MARGIN_MS;
/** Statuses start spread over one renewal period (a steady stream of bot replies), then are held to the end. */
const HOLD_MS = 300_000;
const LATENCY_MS = 20;
const TARGET = 0.99;
/**
 * Start spreads each N is run with. Coverage near the limit moves with the spread (at 2,774 statuses one spread
 * gave 0.9901 and six of eight others < 0.99), so a figure counts only if it holds on every one of them.
 */
const SEEDS = 5;
/** The and DESIGN's ~2,500: one full batch per status every 25 s (the client's default display time). */
const NOMINAL_LIMIT = 2 * 50 * (RENEW_MS / 1000);
/**
 * The true ceiling at this lease: each status needs one call per lease, so 2 requests/s of 50 calls hold at most
 * 2 × 50 × 30 s = 3,000 (plus what the initial burst lends). A figure above NOMINAL_LIMIT exceeds no physical limit.
 */
const LEASE_CEILING = 2 * 50 * (LEASE_MS / 1000);

/** `batched`/`unbatched`: `createIndicators().botStatus` (the product); `dispatcher`: the scheduler driven directly. */
type Mode = 'batched' | 'unbatched' | 'dispatcher' | 'perCall';

interface RunResult {
  readonly statuses: number;
  readonly coverage: number;
  readonly minCoverage: number;
  readonly httpRequests: number;
  readonly calls: number;
  readonly rejected: number;
  /** Calls the scheduler gave up on, by reason. */
  readonly dropped?: Record<string, number>;
  /** Aggregate coverage on each start spread (`simulateSeeds`); the other fields are the worst spread's. */
  readonly seedCoverages?: readonly number[];
}

function notify(
  dialogId: string,
  reason: IndicatorCall['reason'],
  deadline: number,
  notBefore?: number,
): IndicatorCall {
  return {
    method: 'imbot.v2.Chat.InputAction.notify',
    params: { botId: 7, dialogId, duration: LEASE_MS / 1000, statusMessageCode: 'IMBOT_AGENT_ACTION_THINKING' },
    reason,
    deadline,
    ...(notBefore === undefined ? {} : { notBefore }),
  };
}

/**
 * A bot status as `createIndicators` drives one through the scheduler: start, then after each landed call a
 * renewal due `lease − margin` later with the lapse as deadline; a lapsed status starts again.
 */
function holdThroughScheduler(dispatcher: Dispatcher, dialogId: string): IndicatorChannel {
  const channel = dispatcher.open((outcome: CallOutcome) => {
    if (outcome.type === 'sent') {
      channel.submit(notify(dialogId, 'renew', outcome.at + LEASE_MS, outcome.at + RENEW_MS));
    } else if (outcome.type === 'dropped' && (outcome.reason === 'deadline' || outcome.reason === 'retries')) {
      channel.submit(notify(dialogId, 'start', Number.POSITIVE_INFINITY));
    } else if (outcome.type === 'failed' && !outcome.fatal) {
      channel.submit(notify(dialogId, 'start', Number.POSITIVE_INFINITY));
    }
  });
  channel.submit(notify(dialogId, 'start', Number.POSITIVE_INFINITY));
  return channel;
}

export async function simulate(
  mode: Mode,
  statuses: number,
  options: { seed?: number; latencyMs?: number } = {},
): Promise<RunResult> {
  const clock = new VirtualClock();
  const portal = createBucketPortal(clock, {
    latencyMs: options.latencyMs ?? LATENCY_MS,
    withBatch: mode !== 'unbatched' && mode !== 'perCall',
  });
  const random = seededRandom(options.seed ?? statuses * 7919 + mode.length);
  const starts = Array.from({ length: statuses }, () => Math.floor(random() * RENEW_MS));
  let httpRequests = 0;
  const scheduler = mode === 'dispatcher' ? createScheduler({ transport: portal.transport, clock, random }) : null;
  const indicators =
    mode === 'batched' || mode === 'unbatched'
      ? createIndicators({ transport: portal.transport, clock, limits: 'standard' })
      : null;
  const channels: { close(): void }[] = [];
  const until = new Subject<void>();
  starts.forEach((at, i) => {
    const dialogId = `chat${i + 1}` as const;
    if (indicators) {
      clock.schedule(() => {
        indicators
          .botStatus({ dialogId, botId: 7, status: 'thinking', until, leaseSec: LEASE_MS / 1000, marginMs: MARGIN_MS })
          .subscribe({ error: () => {} });
      }, at);
      return;
    }
    if (scheduler) {
      clock.schedule(() => channels.push(holdThroughScheduler(scheduler, dialogId)), at);
      return;
    }
    // The per-call client: every status renews on its own timer, one request per call, no budget of its own.
    clock.schedule(function renew(this: { schedule(state?: unknown, delay?: number): unknown }) {
      if (clock.now() >= HOLD_MS) return;
      httpRequests += 1;
      portal.transport.call('imbot.v2.Chat.InputAction.notify', notify(dialogId, 'renew', 0).params).catch(() => {});
      this.schedule(undefined, RENEW_MS);
    }, at);
  });
  clock.schedule(() => {
    until.next();
    for (const c of channels) c.close();
  }, HOLD_MS);
  await clock.advanceTo(HOLD_MS + 1_000);
  const owner = indicators ?? scheduler;
  let dropped: Record<string, number> | undefined;
  if (owner) {
    httpRequests = owner.stats().httpRequests;
    dropped = { ...owner.stats().dropped };
    owner.dispose();
  }

  const shown = new Map<string, [number, number][]>();
  for (const { at, call } of portal.calls()) {
    if (at >= HOLD_MS) continue;
    const id = String(call.params.dialogId);
    const list = shown.get(id) ?? [];
    list.push([at, at + Number(call.params.duration) * 1000]);
    shown.set(id, list);
  }
  let wanted = 0;
  let covered = 0;
  let minCoverage = 1;
  starts.forEach((start, i) => {
    const c = coveredMs(shown.get(`chat${i + 1}`) ?? [], start, HOLD_MS);
    wanted += HOLD_MS - start;
    covered += c;
    minCoverage = Math.min(minCoverage, c / (HOLD_MS - start));
  });
  return {
    statuses,
    coverage: covered / wanted,
    minCoverage,
    httpRequests,
    calls: portal.calls().length,
    rejected: portal.rejected.length,
    ...(dropped ? { dropped } : {}),
  };
}

/** N statuses on SEEDS start spreads: the spread with the lowest coverage, and the lowest worst status of all. */
async function simulateSeeds(mode: Mode, statuses: number): Promise<RunResult> {
  const results: RunResult[] = [];
  for (let k = 0; k < SEEDS; k++) {
    // k = 0 is the single spread this benchmark used before.
    results.push(await simulate(mode, statuses, { seed: statuses * 7919 + mode.length + k * 104_729 }));
  }
  const worst = results.reduce((a, b) => (b.coverage < a.coverage ? b : a));
  return {
    ...worst,
    minCoverage: Math.min(...results.map((r) => r.minCoverage)),
    seedCoverages: results.map((r) => Number(r.coverage.toFixed(4))),
  };
}

/** Largest N in [lo, hi] that holds >= 99% coverage on every start spread (assumes coverage falls with N). */
async function largestHeld(
  mode: Mode,
  lo: number,
  hi: number,
  runs: RunResult[],
  /** `aggregate`: all statuses' time together; `everyStatus`: the least-covered status must reach TARGET too. */
  by: 'aggregate' | 'everyStatus' = 'aggregate',
): Promise<RunResult> {
  const held = (r: RunResult) => (by === 'aggregate' ? r.coverage : r.minCoverage) >= TARGET;
  let best = await simulateSeeds(mode, lo);
  runs.push(best);
  if (!held(best)) return { ...best, statuses: 0 };
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const r = await simulateSeeds(mode, mid);
    runs.push(r);
    if (held(r)) {
      lo = mid;
      best = r;
    } else hi = mid;
  }
  return best;
}

const benchmark: Benchmark = {
  name: 'capacity',
  async run() {
    const runs: Record<Mode, RunResult[]> = { batched: [], unbatched: [], dispatcher: [], perCall: [] };
    const batched = await largestHeld('batched', 100, 4_000, runs.batched);
    const everyStatusRuns: RunResult[] = [];
    const batchedEveryStatus = await largestHeld('batched', 100, 4_000, everyStatusRuns, 'everyStatus');
    const dispatcher = await largestHeld('dispatcher', 100, 4_000, runs.dispatcher);
    const unbatched = await largestHeld('unbatched', 10, 400, runs.unbatched);
    const perCall = await largestHeld('perCall', 10, 400, runs.perCall);
    // How the product path does at the target itself, worst status included.
    const atTarget = await simulateSeeds('batched', 2_250);
    const row = (name: string, r: RunResult) => ({
      client: name,
      'statuses held (>= 99%)': r.statuses,
      coverage: Number(r.coverage.toFixed(4)),
      'worst status': Number(r.minCoverage.toFixed(4)),
      'requests/s': Number((r.httpRequests / (HOLD_MS / 1000)).toFixed(2)),
      'calls/request': Number((r.calls / Math.max(1, r.httpRequests)).toFixed(1)),
      rejected: r.rejected,
    });
    return {
      figures: {
        batched: batched.statuses,
        unbatched: unbatched.statuses,
        perCall: perCall.statuses,
        schedulerDirect: dispatcher.statuses,
        batchedCoverage: Number(batched.coverage.toFixed(4)),
        batchedWorstStatus: Number(batched.minCoverage.toFixed(4)),
        batchedEveryStatus: batchedEveryStatus.statuses,
        atTarget: {
          statuses: 2_250,
          coverage: Number(atTarget.coverage.toFixed(4)),
          worstStatus: Number(atTarget.minCoverage.toFixed(4)),
        },
        physicalLimit: NOMINAL_LIMIT,
        leaseCeiling: LEASE_CEILING,
        target: 2_250,
        coverageTarget: TARGET,
        coverageIs: `aggregate share of status-time visible, the lowest of ${SEEDS} start spreads; worstStatus is the least-covered single status of any spread`,
        startSpreads: SEEDS,
        portalAssumed:
          'leaky bucket 2/s burst 50 all for these statuses (nothing else on the portal and IP), batch of <= 50 = 1 request, no server time, no errors',
        holdSec: HOLD_MS / 1000,
        leaseSec: LEASE_MS / 1000,
        marginSec: MARGIN_MS / 1000,
        latencyMs: LATENCY_MS,
      },
      runs: { ...runs, batchedEveryStatus: everyStatusRuns, atTarget },
      table: [
        row('botStatus + scheduler, batched', batched),
        {
          ...row('botStatus + scheduler, batched, every status >= 99%', batchedEveryStatus),
          'statuses held (>= 99%)': batchedEveryStatus.statuses,
        },
        { ...row('botStatus + scheduler, batched, at the target', atTarget), 'statuses held (>= 99%)': '(2,250)' },
        row('botStatus + scheduler, no batch', unbatched),
        row('scheduler alone, renewals re-anchored on landing', dispatcher),
        row('per-call client', perCall),
        {
          client: 'nominal limit (2 req/s × 50 × 25 s)',
          'statuses held (>= 99%)': NOMINAL_LIMIT,
          coverage: '',
          'worst status': '',
          'requests/s': 2,
          'calls/request': 50,
          rejected: '',
        },
        {
          client: 'ceiling at a 30 s lease (2 req/s × 50 × 30 s)',
          'statuses held (>= 99%)': LEASE_CEILING,
          coverage: '',
          'worst status': '',
          'requests/s': 2,
          'calls/request': 50,
          rejected: '',
        },
      ],
    };
  },
};

export default benchmark;
