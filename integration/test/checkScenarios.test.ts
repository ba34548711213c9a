import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkScenarios } from './checkScenarios';
import { replayLine } from './replayLine';

afterEach(() => {
  vi.restoreAllMocks();
});

/** A stand-in property with a known smallest counterexample: a scenario with `n` of 10 or more fails. */
const scenario = fc.record({
  n: fc.integer({ min: 0, max: 1_000 }),
  lease: fc.constant(undefined),
  note: fc.constant("it's"),
});
const run = async (s: { n: number }) => (s.n >= 10 ? [`n is ${s.n}`] : []);

describe('checkScenarios', () => {
  it('ends a failure with the line that replays its shrunk counterexample alone, in the error and on the console', async () => {
    const printed = vi.spyOn(console, 'error').mockImplementation(() => {});
    const line = replayLine('test/checkScenarios.test.ts', { n: 10, lease: undefined, note: "it's" });
    const error = await checkScenarios(scenario, run, { runs: 100, seed: 1, only: undefined }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    // the problems found, as the failed assertion in the property said them
    expect(String((error as Error).cause)).toContain('n is 10');
    expect((error as Error).message).toContain(`\n${line}`);
    expect(printed).toHaveBeenCalledWith(expect.stringContaining(`\n${line}`));
  });

  it('passes when every scenario does, and plays `only` alone', async () => {
    expect(await checkScenarios(scenario, async () => [], { runs: 20, seed: 1, only: undefined })).toBe('all');
    const played: unknown[] = [];
    const only = { n: 3, lease: undefined, note: 'x' };
    const record = async (s: unknown) => {
      played.push(s);
      return [];
    };
    expect(await checkScenarios(scenario, record, { runs: 20, seed: 1, only })).toBe('only');
    expect(played).toEqual([only]);
  });
});
