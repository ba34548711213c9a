import type { Transport } from '@b24-typing/core';
import type { Emulator } from '@b24-typing/emulator';
import fc from 'fast-check';
import type { VirtualClock } from './VirtualClock';

/** A fault the emulator injects `atMs` into a scenario, for `times` calls of `method`. */
export interface FaultPlan<M extends string = string> {
  atMs: number;
  method: M;
  kind: 'rate' | '503' | 'reset' | 'slow';
  times: number;
  /** `slow`: how long each of those requests takes to reach the portal (see `SlowWire`). */
  latencyMs?: number;
}

/**
 * The faults of one end-to-end scenario: none in three scenarios of four, else up to three, each a rate refusal, a
 * proxy's 503 page or a dropped connection, on one of the methods `method` draws, within the first `maxAtMs`. With
 * `slow` (the methods it draws), also, in one scenario of three, up to 30 requests from a moment on that take 200 ms to
 * 2 s to reach the portal (`SlowWire`).
 */
export function faultPlans<M extends string>(
  method: fc.Arbitrary<M>,
  maxAtMs: number,
  options: { readonly slow?: fc.Arbitrary<M> } = {},
): fc.Arbitrary<FaultPlan<M>[]> {
  const plan: fc.Arbitrary<FaultPlan<M>> = fc.record({
    atMs: fc.integer({ min: 0, max: maxAtMs }),
    method,
    kind: fc.constantFrom('rate' as const, '503' as const, 'reset' as const),
    times: fc.integer({ min: 1, max: 3 }),
  });
  const faults = fc.oneof(
    { weight: 3, arbitrary: fc.constant<FaultPlan<M>[]>([]) },
    { weight: 1, arbitrary: fc.array(plan, { maxLength: 3 }) },
  );
  if (!options.slow) return faults;
  const slow: fc.Arbitrary<FaultPlan<M>> = fc.record({
    atMs: fc.integer({ min: 0, max: maxAtMs }),
    method: options.slow,
    kind: fc.constant('slow' as const),
    times: fc.integer({ min: 1, max: 30 }),
    latencyMs: fc.integer({ min: 200, max: 2_000 }),
  });
  return fc
    .tuple(faults, fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: slow }))
    .map(([others, slowed]) => (slowed ? [...others, slowed] : others));
}

/**
 * Has the emulator inject each of `faults` at its moment of `clock`; a `slow` one slows `wire` (which the scenario's
 * transport must then go through).
 */
export function scheduleFaults(
  clock: VirtualClock,
  emulator: Emulator,
  faults: readonly FaultPlan[],
  wire?: SlowWire,
): void {
  for (const f of faults) {
    if (f.kind !== 'slow') clock.schedule(() => emulator.addFault(faultSpec(f)), f.atMs);
    else if (!wire) throw new Error('a slow fault needs a SlowWire');
    else clock.schedule(() => wire.slow(f.method, f.times, f.latencyMs ?? 0), f.atMs);
  }
}

function faultSpec(plan: FaultPlan) {
  const base = { method: plan.method, times: plan.times };
  if (plan.kind === 'rate') return { ...base, status: 503, error: 'QUERY_LIMIT_EXCEEDED' };
  if (plan.kind === 'reset') return { ...base, reset: true };
  // A proxy's error page: the portal was not reached.
  return { ...base, status: 503, body: '<html>503 Service Unavailable</html>', contentType: 'text/html' };
}

/** A request the wire held: sent at `sentAt`, it reached the portal (and was answered) at `landedAt`. */
export interface SlowRequest {
  readonly method: string;
  readonly sentAt: number;
  readonly landedAt: number;
}

/**
 * Latency on the way to the portal, in the virtual time of `clock`: a request of a method made slow (`slow`) reaches
 * the emulator that long after it was sent (a portal busy with other requests, a slow network), while time goes on for
 * everything else. A real portal works on requests concurrently, so one sent before another may run after it: a
 * `batch` sent before a reply, after the reply's message. (The emulator's own `latencyMs` fault waits on the wall clock,
 * which stands still in a virtual-time test: the request would reach the portal at the virtual moment it was sent.)
 * A request aborted before it reached the portal does not reach it, as undici drops a request aborted before it was
 * written. `requests` lists the held ones that did reach it.
 */
export class SlowWire {
  readonly requests: SlowRequest[] = [];
  readonly #slow = new Map<string, { times: number; latencyMs: number }>();

  constructor(
    readonly clock: VirtualClock,
    readonly inner: Required<Transport>,
  ) {}

  /** The next `times` requests of `method` (`batch` for batches) take `latencyMs` to reach the portal. */
  slow(method: string, times: number, latencyMs: number): void {
    this.#slow.set(method, { times, latencyMs });
  }

  get transport(): Required<Transport> {
    return {
      call: (method, params, options) =>
        this.#send(method, options?.signal, () => this.inner.call(method, params, options)),
      batch: (calls, options) => this.#send('batch', options?.signal, () => this.inner.batch(calls, options)),
    };
  }

  #send<T>(method: string, signal: AbortSignal | undefined, send: () => Promise<T>): Promise<T> {
    const slow = this.#slow.get(method);
    if (!slow) return send();
    if (--slow.times <= 0) this.#slow.delete(method);
    const sentAt = this.clock.now();
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        arrival.unsubscribe();
        reject(signal?.reason);
      };
      const arrival = this.clock.schedule(() => {
        signal?.removeEventListener('abort', onAbort);
        this.requests.push({ method, sentAt, landedAt: this.clock.now() });
        send().then(resolve, reject);
      }, slow.latencyMs);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
