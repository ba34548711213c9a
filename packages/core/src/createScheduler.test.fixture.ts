// Test fixture (not shipped: `files` excludes *.test.*): a virtual-time portal with the exact leaky bucket, and
// a driver that advances a VirtualTimeScheduler while letting promise callbacks run between its actions.
import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { B24Error } from './B24Error';
import type { IndicatorCall } from './Dispatcher';
import type { BatchItemResult, Transport, TransportCall, TransportCallOptions } from './Transport';

/** A bot status call (30 s lease) as an indicator submits it. */
export function notifyCall(
  dialogId: string,
  reason: IndicatorCall['reason'],
  deadline = Number.POSITIVE_INFINITY,
  notBefore?: number,
): IndicatorCall {
  return {
    method: 'imbot.v2.Chat.InputAction.notify',
    params: { botId: 1, dialogId, duration: 30 },
    reason,
    deadline,
    ...(notBefore === undefined ? {} : { notBefore }),
  };
}

export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A VirtualTimeScheduler stepped one action at a time, with the microtask queue drained after each. */
export class VirtualClock extends VirtualTimeScheduler {
  constructor() {
    super(VirtualAction, Number.POSITIVE_INFINITY);
  }

  /** Actions scheduled and not yet run (timers, in real-time terms). */
  get pending(): number {
    return this.actions.length;
  }

  async advanceTo(time: number): Promise<void> {
    await flushMicrotasks();
    for (let action = this.actions[0]; action !== undefined && action.delay <= time; action = this.actions[0]) {
      this.actions.shift();
      this.frame = action.delay;
      const error = action.execute(action.state, action.delay);
      if (error) throw error;
      await flushMicrotasks();
    }
    this.frame = Math.max(this.frame, time);
  }

  advanceBy(ms: number): Promise<void> {
    return this.advanceTo(this.frame + ms);
  }
}

/**
 * `error`, whose `kind` may be read at most `limit` times before it throws. A scheduler that handled one refusal over
 * and over without time passing (an `operating` refusal of a held method requeued at once instead of reported, say)
 * would spin synchronously for ever, which neither a bounded clock advance nor the test timeout can stop: the suite
 * would hang instead of failing. Every handling reads the kind, so the throw ends the loop and surfaces, through the
 * clock that ran it, as the test's failure. The default is far above any test's real handling (a hold fails every call
 * of its method with its one refusal: 1,000 chats read it some 20,000 times), and a loop reaches it in milliseconds.
 */
export function loopGuard<E extends B24Error>(error: E, limit = 200_000): E {
  const { kind } = error;
  let reads = 0;
  Object.defineProperty(error, 'kind', {
    get() {
      if (++reads > limit) throw new Error(`${error.code} handled over ${limit} times: a loop on one refusal`);
      return kind;
    },
  });
  return error;
}

export interface Arrival {
  readonly at: number;
  readonly calls: readonly TransportCall[];
  readonly batch: boolean;
}

export interface BucketPortalOptions {
  readonly perSecond?: number;
  readonly burst?: number;
  /** One-way latency (ms), or a draw per request; the reply takes as long again. */
  readonly latencyMs?: number | (() => number);
  /** Per-call error (a batch reports it for that item only). */
  readonly fail?: (call: TransportCall, attempt: number) => B24Error | undefined;
  readonly withBatch?: boolean;
  /**
   * An aborted request still arrives (only its reply is no longer awaited): a request already on the wire cannot be
   * called back. By default abort stops it before it arrives.
   */
  readonly abortArrives?: boolean;
}

/**
 * A portal that applies the leaky bucket at the moment each request arrives, read as strictly as the reference (§7)
 * allows: it drains `perSecond` and refuses a request that would take it above `burst`; refused requests are not
 * counted. ("When the counter exceeds X, the next request is blocked" lets one more through, as the emulator does;
 * the scheduler is held to the stricter reading, so that it is right under both.)
 */
export function createBucketPortal(clock: VirtualClock, options: BucketPortalOptions = {}) {
  const perSecond = options.perSecond ?? 2;
  const burst = options.burst ?? 50;
  const latencyOption = options.latencyMs ?? 20;
  const drawLatency = typeof latencyOption === 'function' ? latencyOption : () => latencyOption;
  let level = 0;
  let updatedAt = 0;
  let maxLevel = 0;
  const arrivals: Arrival[] = [];
  const rejected: number[] = [];
  const attempts = new Map<string, number>();
  const signals: AbortSignal[] = [];

  function admit(now: number): boolean {
    level = Math.max(0, level - ((now - updatedAt) * perSecond) / 1000);
    updatedAt = now;
    if (level + 1 > burst + 1e-9) return false;
    level += 1;
    maxLevel = Math.max(maxLevel, level);
    return true;
  }

  function attemptOf(call: TransportCall): number {
    const key = JSON.stringify(call);
    const n = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, n);
    return n;
  }

  function request<T>(
    calls: readonly TransportCall[],
    batch: boolean,
    signal: AbortSignal | undefined,
    answer: () => T,
  ): Promise<T> {
    if (signal) signals.push(signal);
    const latency = drawLatency();
    return new Promise<T>((resolve, reject) => {
      const aborted = () => reject(new B24Error({ code: 'ABORTED', kind: 'network' }));
      if (signal?.aborted) return aborted();
      signal?.addEventListener('abort', aborted, { once: true });
      clock.schedule(() => {
        if (signal?.aborted && !options.abortArrives) return;
        if (!admit(clock.now())) {
          rejected.push(clock.now());
          clock.schedule(() => reject(new B24Error({ code: 'QUERY_LIMIT_EXCEEDED', status: 503 })), latency);
          return;
        }
        arrivals.push({ at: clock.now(), calls, batch });
        let value: T;
        try {
          value = answer();
        } catch (error) {
          clock.schedule(() => reject(error), latency);
          return;
        }
        clock.schedule(() => resolve(value), latency);
      }, latency);
    });
  }

  const transport: Transport = {
    call(method: string, params: Record<string, unknown>, opts?: TransportCallOptions) {
      return request([{ method, params }], false, opts?.signal, () => {
        const error = options.fail?.({ method, params }, attemptOf({ method, params }));
        if (error) throw error;
        return true;
      });
    },
  };
  if (options.withBatch !== false) {
    transport.batch = (calls: readonly TransportCall[], opts?: TransportCallOptions) => {
      if (calls.length > 50) return Promise.reject(new B24Error({ code: 'ERROR_BATCH_LENGTH_EXCEEDED' }));
      return request(calls, true, opts?.signal, () =>
        calls.map((call): BatchItemResult => {
          const error = options.fail?.(call, attemptOf(call));
          return error ? { ok: false, error } : { ok: true, result: true };
        }),
      );
    };
  }

  return {
    transport,
    arrivals,
    rejected,
    signals,
    get maxLevel() {
      return maxLevel;
    },
    /** Every call that reached the portal, with its arrival time. */
    calls(): { at: number; call: TransportCall }[] {
      return arrivals.flatMap((a) => a.calls.map((call) => ({ at: a.at, call })));
    },
  };
}

/** Objects watched for garbage collection: see {@link watchRelease}. */
export interface ReleaseWatch {
  /** Watches `object`, the `n`th one watched (from 0), and returns it. */
  watch<T extends object>(object: T): T;
  /** The numbers of the objects watched that full garbage collections left alive. */
  stillHeld(): Promise<number[]>;
}

/**
 * Tells which objects something still holds, once nothing should (the worker runs with `--expose-gc`, see
 * vitest.config.ts): collected objects are heard of through a FinalizationRegistry, whose callbacks run in a later
 * turn of the event loop, so `stillHeld` collects in each turn until every object was heard of (or 50 turns passed: a
 * leak keeps its objects however many). Not WeakRefs: an object one is made to, or read through, is kept until the
 * host ends the job (ECMAScript's KeepDuringJob), which a test cannot tell. The objects should be made in a function of
 * their own, and the test should keep nothing that holds them (a suspended async function keeps some of its locals;
 * an error keeps, until its stack is formatted, the functions and receivers that were on the stack as it was made).
 */
export function watchRelease(): ReleaseWatch {
  const alive = new Set<number>();
  const registry = new FinalizationRegistry<number>((n) => alive.delete(n));
  let watched = 0;
  return {
    watch(object) {
      alive.add(watched);
      registry.register(object, watched++);
      return object;
    },
    async stillHeld() {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (!gc) throw new Error('global.gc is missing: run vitest with --expose-gc (vitest.config.ts)');
      for (let turn = 0; turn < 50 && alive.size > 0; turn++) {
        gc();
        await new Promise((resolve) => setImmediate(resolve));
      }
      return [...alive].sort((a, b) => a - b);
    },
  };
}

/**
 * Starts 1,000 chats' indicators 37 ms apart (`start(i)` starts the `i`th and returns how to end it), lets them go on
 * for `goOnMs` and ends the first `count`, 10 every 53 ms, or all at once with `atOnce`, moving the test's clock with
 * `advance`. Returns what `midway` read after they went on. In a function of its own, as `start` should be: the
 * test's own frame keeps nothing of them (see {@link watchRelease}).
 */
export async function startAndEnd<T>(
  start: (i: number) => () => void,
  advance: (ms: number) => Promise<unknown>,
  { goOnMs, count, atOnce = false, midway }: { goOnMs: number; count: number; atOnce?: boolean; midway?: () => T },
): Promise<T | undefined> {
  const ends: (() => void)[] = [];
  for (let i = 0; i < 1_000; i++) {
    ends.push(start(i));
    await advance(37);
  }
  await advance(goOnMs);
  const read = midway?.();
  for (let i = 0; i < count; i++) {
    ends[i]?.();
    if (!atOnce && i % 10 === 9) await advance(53);
  }
  return read;
}
