import fc from 'fast-check';
import { expect } from 'vitest';

/**
 * Runs an end-to-end property: `run` plays one scenario and returns the problems it saw on the emulator's side, none
 * expected. `only` (a counterexample as fast-check printed it, from `E2E_ONLY`) is played alone instead; the result
 * then says so, and the caller skips its tally checks, which one scenario need not reach.
 */
export async function checkScenarios<S>(
  scenario: fc.Arbitrary<S>,
  run: (s: S) => Promise<string[]>,
  options: { readonly runs: number; readonly seed: number | undefined; readonly only: S | undefined },
): Promise<'only' | 'all'> {
  if (options.only !== undefined) {
    expect(await run(options.only)).toEqual([]);
    return 'only';
  }
  let scenarios = 0;
  await fc.assert(
    fc.asyncProperty(scenario, async (s) => {
      scenarios++;
      expect(await run(s)).toEqual([]);
    }),
    { numRuns: options.runs, ...(options.seed === undefined ? {} : { seed: options.seed }), endOnFailure: false },
  );
  expect(scenarios).toBeGreaterThanOrEqual(options.runs);
  return 'all';
}
