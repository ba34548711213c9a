// `typing`: 10 minutes of virtual typing through `userTyping` (and the scheduler) against three common policies.
// Policy, not cost: virtual time, a portal double that records when each call arrives, and a model of the client
// (the indicator shows for 25 s after a call, or until that user's message arrives).
import { createIndicators } from '@b24-typing/core';
import { Subject } from 'rxjs';
import type { Benchmark } from './Benchmark';
import { coveredMs, createBucketPortal, seededRandom, VirtualClock } from './virtualPortal';

const LIFETIME_MS = 25_000;
const MARGIN_MS = 3_000;
/** Keystrokes further apart than this are not "still typing" (the policy's idle window, the usual 3–6 s). */
const TYPING_GAP_MS = 6_000;
const TYPING_TARGET_MS = 10 * 60_000;
const LATENCY_MS = 50;
const SEED = 20_261_121;

interface Segment {
  /** Keystroke times. */
  readonly keys: number[];
  /** How the segment ended: the message was sent, or the user stopped typing for a while. */
  readonly end: 'sent' | 'stop';
}

interface Workload {
  readonly segments: Segment[];
  readonly sends: number[];
  readonly endAt: number;
}

/** How messages are typed: seconds of typing per message, share with a mid-message stop, its length, reading. */
interface Shape {
  readonly messageSec: readonly [number, number];
  readonly stopShare: number;
  readonly stopSec: readonly [number, number];
  readonly readSec: readonly [number, number];
}

/**
 * Long compositions (the headline workload): 90–270 s of typing per message, half of them stopped 30–60 s in the
 * middle. Few messages, so few fresh starts: calls per typing minute come out near the renewal floor.
 */
const LONG: Shape = { messageSec: [90, 270], stopShare: 0.5, stopSec: [30, 60], readSec: [5, 20] };
/**
 * Chat-length messages: 3–40 s of typing, a fifth stopped 10–30 s in the middle. Every message needs its own
 * first call, so this workload's floor (and every policy's count) is far above the long one's.
 */
const SHORT: Shape = { messageSec: [3, 40], stopShare: 0.2, stopSec: [10, 30], readSec: [5, 30] };

/**
 * Messages typed at ~5 keys/s (exponential gaps), with short pauses (1–4 s) between words and, in some messages,
 * a stop in the middle; each message ends with a send, then some reading. Lengths from `shape`.
 */
function workload(shape: Shape = LONG): Workload {
  const random = seededRandom(SEED);
  const between = (a: number, b: number) => a + random() * (b - a);
  const segments: Segment[] = [];
  const sends: number[] = [];
  let t = 1_000;
  let typed = 0;
  const typeFor = (ms: number): number[] => {
    const keys: number[] = [];
    const until = t + ms;
    while (t < until) {
      keys.push(t);
      let gap = Math.min(1_000, Math.max(40, -Math.log(1 - random()) * 200));
      if (random() < 0.02) gap = between(1_000, 4_000);
      t += gap;
    }
    return keys;
  };
  while (typed < TYPING_TARGET_MS) {
    const length = Math.min(
      between(shape.messageSec[0] * 1_000, shape.messageSec[1] * 1_000),
      TYPING_TARGET_MS - typed + 1_000,
    );
    const stopAt = random() < shape.stopShare ? between(0.3, 0.7) * length : null;
    if (stopAt !== null) {
      const keys = typeFor(stopAt);
      segments.push({ keys, end: 'stop' });
      typed += (keys.at(-1) as number) - (keys[0] as number);
      t += between(shape.stopSec[0] * 1_000, shape.stopSec[1] * 1_000);
    }
    const keys = typeFor(length - (stopAt ?? 0));
    segments.push({ keys, end: 'sent' });
    typed += (keys.at(-1) as number) - (keys[0] as number);
    t = (keys.at(-1) as number) + between(500, 2_000);
    sends.push(t);
    t += between(shape.readSec[0] * 1_000, shape.readSec[1] * 1_000);
  }
  return { segments, sends, endAt: t + 60_000 };
}

/** Typing time: stretches of keystrokes with no gap over `TYPING_GAP_MS`, from their first key to their last. */
function typingIntervals(w: Workload): [number, number][] {
  const out: [number, number][] = [];
  for (const { keys } of w.segments) {
    let from = keys[0] as number;
    for (let i = 1; i < keys.length; i++) {
      if ((keys[i] as number) - (keys[i - 1] as number) > TYPING_GAP_MS) {
        out.push([from, keys[i - 1] as number]);
        from = keys[i] as number;
      }
    }
    out.push([from, keys.at(-1) as number]);
  }
  return out;
}

interface PolicyResult {
  readonly callsPerTypingMinute: number;
  readonly coverage: number;
  readonly lingerSec: number;
  readonly firstCallLatencyMs: number;
  readonly calls: number;
}

/**
 * The client model: a call arriving at `t` shows the indicator until `t + 25 s`, a message from the user hides it.
 * `issued` are the times calls left the policy; they arrive `LATENCY_MS` later.
 */
function evaluate(w: Workload, issued: readonly number[]): PolicyResult {
  const sends = [...w.sends].sort((a, b) => a - b);
  const visible: [number, number][] = issued.map((at) => {
    const arrival = at + LATENCY_MS;
    const hiddenBy = sends.find((s) => s >= arrival);
    return [arrival, Math.min(arrival + LIFETIME_MS, hiddenBy ?? Number.POSITIVE_INFINITY)];
  });
  const typing = typingIntervals(w);
  let typingMs = 0;
  let covered = 0;
  for (const [from, to] of typing) {
    // No client can show the indicator before the first call has crossed the network.
    typingMs += to - (from + LATENCY_MS);
    covered += coveredMs(visible, from + LATENCY_MS, to);
  }
  const lingers: number[] = [];
  const latencies: number[] = [];
  for (const segment of w.segments) {
    const first = segment.keys[0] as number;
    // Resuming while an earlier call still shows the indicator (a short stop, no send) needs no new call: the
    // wait is 0 then, not the time until the next renewal.
    const shown = visible.some(([a, b]) => a <= first && b > first);
    const next = issued.find((at) => at >= first);
    if (shown) latencies.push(0);
    else if (next !== undefined) latencies.push(next - first);
    if (segment.end !== 'stop') continue;
    const last = segment.keys.at(-1) as number;
    const shownUntil = Math.max(last, ...visible.filter(([a, b]) => a <= last && b > last).map(([, b]) => b));
    lingers.push(shownUntil - last);
  }
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
  return {
    callsPerTypingMinute: issued.length / (typingMs / 60_000),
    coverage: covered / typingMs,
    lingerSec: mean(lingers) / 1000,
    firstCallLatencyMs: mean(latencies),
    calls: issued.length,
  };
}

/** Ours: `userTyping` through `createIndicators` (and its scheduler) on a virtual clock. */
async function ours(w: Workload): Promise<number[]> {
  const clock = new VirtualClock();
  const portal = createBucketPortal(clock, { latencyMs: LATENCY_MS });
  const indicators = createIndicators({ transport: portal.transport, clock });
  const keystrokes = new Subject<unknown>();
  const sent = new Subject<unknown>();
  for (const s of w.segments) for (const k of s.keys) clock.schedule(() => keystrokes.next({ key: 'a' }), k);
  for (const s of w.sends) clock.schedule(() => sent.next(undefined), s);
  const subscription = indicators.userTyping({ dialogId: 'chat1', keystrokes, sent }).subscribe({ error: () => {} });
  await clock.advanceTo(w.endAt);
  subscription.unsubscribe();
  indicators.dispose();
  return portal.calls().map((c) => c.at - LATENCY_MS);
}

/** A call on every keystroke. */
function perKeystroke(w: Workload): number[] {
  return w.segments.flatMap((s) => s.keys);
}

/** A call on a keystroke when the last one is at least `everyMs` old; a send resets it (the message hid it). */
function resendAfter(w: Workload, everyMs: number): number[] {
  const events = [
    ...w.segments.flatMap((s) => s.keys.map((at) => ({ at, send: false }))),
    ...w.sends.map((at) => ({ at, send: true })),
  ].sort((a, b) => a.at - b.at);
  const calls: number[] = [];
  let last = Number.NEGATIVE_INFINITY;
  for (const e of events) {
    if (e.send) last = Number.NEGATIVE_INFINITY;
    else if (e.at - last >= everyMs) {
      calls.push(e.at);
      last = e.at;
    }
  }
  return calls;
}

const round = (x: number, digits = 3) => Number(x.toFixed(digits));

const minimumCallsPerTypingMinute = 60_000 / (LIFETIME_MS - MARGIN_MS);

const figure = (r: PolicyResult) => ({
  callsPerTypingMinute: round(r.callsPerTypingMinute),
  coverage: round(r.coverage, 5),
  lingerSec: round(r.lingerSec, 2),
  firstCallLatencyMs: round(r.firstCallLatencyMs, 1),
});

/** Every policy on one workload: its figures (ours, then the baselines), calls, and table rows. */
async function study(name: string, w: Workload) {
  const typingMs = typingIntervals(w).reduce((s, [a, b]) => s + (b - a - LATENCY_MS), 0);
  // The per-message floor: a message starts a fresh indicator, so each typing stretch needs ceil(len / 22 s) calls.
  const segmentFloor = typingIntervals(w).reduce(
    (s, [a, b]) => s + Math.max(1, Math.ceil((b - a) / (LIFETIME_MS - MARGIN_MS))),
    0,
  );
  const policies: Record<string, number[]> = {
    ours: await ours(w),
    perKeystroke: perKeystroke(w),
    throttle2s: resendAfter(w, 2_000),
    resend15s: resendAfter(w, 15_000),
  };
  const results = Object.fromEntries(Object.entries(policies).map(([k, v]) => [k, evaluate(w, v)])) as Record<
    string,
    PolicyResult
  >;
  const o = results.ours as PolicyResult;
  return {
    figures: {
      ...figure(o),
      minimumCallsPerTypingMinute: round(minimumCallsPerTypingMinute),
      callsVsMinimum: round(o.callsPerTypingMinute / minimumCallsPerTypingMinute),
      segmentFloorCallsPerTypingMinute: round(segmentFloor / (typingMs / 60_000)),
      typingMinutes: round(typingMs / 60_000, 2),
      messages: w.sends.length,
      stops: w.segments.filter((s) => s.end === 'stop').length,
      keystrokes: w.segments.reduce((s, x) => s + x.keys.length, 0),
      baselines: {
        perKeystroke: figure(results.perKeystroke as PolicyResult),
        throttle2s: figure(results.throttle2s as PolicyResult),
        resend15s: figure(results.resend15s as PolicyResult),
      },
    },
    runs: {
      workload: {
        segments: w.segments.map((s) => ({ from: s.keys[0], to: s.keys.at(-1), keys: s.keys.length, end: s.end })),
        sends: w.sends,
      },
      calls: policies,
    },
    table: Object.entries(results).map(([policy, r]) => ({
      workload: name,
      policy,
      'calls / typing min': round(r.callsPerTypingMinute, 2),
      'x minimum': round(r.callsPerTypingMinute / minimumCallsPerTypingMinute, 2),
      coverage: round(r.coverage, 4),
      'linger after stop (s)': round(r.lingerSec, 1),
      'first call (ms)': round(r.firstCallLatencyMs, 1),
      calls: r.calls,
    })),
  };
}

const benchmark: Benchmark = {
  name: 'typing',
  async run() {
    const long = await study('long messages', workload(LONG));
    const short = await study('short messages', workload(SHORT));
    return {
      // The headline figures are the long workload's (as before); `shortMessages` is the same study on chat-length
      // messages, where every policy pays a first call per message.
      figures: { workload: 'long messages (90–270 s each)', ...long.figures, shortMessages: short.figures },
      runs: { ...long.runs, shortMessages: short.runs },
      table: [...long.table, ...short.table],
    };
  },
};

export default benchmark;
