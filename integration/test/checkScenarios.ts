import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { expect } from 'vitest';
import { replayLine } from './replayLine';

/**
 * From this many runs a sweep checks its tallies (that the scenarios reached what its properties are about); fewer
 * (`E2E_RUNS=5` for a quick look) check every property but not the tallies, which so few need not reach. Bot work's
 * are then each missed but about once in 10,000 sweeps (in 3,000 scenarios the rarest, a shared renewal, came in 9 %
 * of them; a reply failing or unsubscribed after its value, in 22 %); user typing's lowest, the scenarios with a
 * fault, came to 18 in 100 runs.
 */
export const TALLY_RUNS = 100;

/** The integration package, which the replay line's `npx vitest run test/…` is run from. */
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

/**
 * Runs an end-to-end property: `run` plays one scenario and returns the problems it saw on the emulator's side, none
 * expected. `only` (a counterexample's scenario, from `E2E_ONLY`) is played alone instead; the result then says so, and
 * the caller skips its tally checks, which one scenario need not reach. A failure ends with the line that replays its
 * (shrunk) counterexample alone (`replayLine`), in the error and on the console, so that nobody edits fast-check's
 * printed form into `E2E_ONLY` by hand.
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
  const details = await fc.check(
    fc.asyncProperty(scenario, async (s) => {
      scenarios++;
      expect(await run(s)).toEqual([]);
    }),
    { numRuns: options.runs, ...(options.seed === undefined ? {} : { seed: options.seed }), endOnFailure: false },
  );
  if (details.failed) {
    const report = (await fc.asyncDefaultReportMessage(details)) ?? 'The property failed.';
    if (details.counterexample === null) throw new Error(report, { cause: details.errorInstance });
    const testPath = expect.getState().testPath;
    const testFile = testPath === undefined ? 'test/<this file>' : relative(PACKAGE_DIR, testPath);
    const line = replayLine(testFile, details.counterexample[0]);
    console.error(`Replay the counterexample alone, from integration/:\n${line}`);
    throw new Error(`${report}\n\nReplay it alone, from integration/:\n${line}`, { cause: details.errorInstance });
  }
  expect(scenarios).toBeGreaterThanOrEqual(options.runs);
  return 'all';
}
