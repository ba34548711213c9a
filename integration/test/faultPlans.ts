import type { Emulator } from '@b24-typing/emulator';
import fc from 'fast-check';
import type { VirtualClock } from './VirtualClock';

/** A fault the emulator injects `atMs` into a scenario, for `times` calls of `method`. */
export interface FaultPlan<M extends string = string> {
  atMs: number;
  method: M;
  kind: 'rate' | '503' | 'reset';
  times: number;
}

/**
 * The faults of one end-to-end scenario: none in three scenarios of four, else up to three, each a rate refusal, a
 * proxy's 503 page or a dropped connection, on one of the methods `method` draws, within the first `maxAtMs`.
 */
export function faultPlans<M extends string>(method: fc.Arbitrary<M>, maxAtMs: number): fc.Arbitrary<FaultPlan<M>[]> {
  const plan: fc.Arbitrary<FaultPlan<M>> = fc.record({
    atMs: fc.integer({ min: 0, max: maxAtMs }),
    method,
    kind: fc.constantFrom('rate' as const, '503' as const, 'reset' as const),
    times: fc.integer({ min: 1, max: 3 }),
  });
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant<FaultPlan<M>[]>([]) },
    { weight: 1, arbitrary: fc.array(plan, { maxLength: 3 }) },
  );
}

/** Has the emulator inject each of `faults` at its moment of `clock`. */
export function scheduleFaults(clock: VirtualClock, emulator: Emulator, faults: readonly FaultPlan[]): void {
  for (const f of faults) clock.schedule(() => emulator.addFault(faultSpec(f)), f.atMs);
}

function faultSpec(plan: FaultPlan) {
  const base = { method: plan.method, times: plan.times };
  if (plan.kind === 'rate') return { ...base, status: 503, error: 'QUERY_LIMIT_EXCEEDED' };
  if (plan.kind === 'reset') return { ...base, reset: true };
  // A proxy's error page: the portal was not reached.
  return { ...base, status: 503, body: '<html>503 Service Unavailable</html>', contentType: 'text/html' };
}
