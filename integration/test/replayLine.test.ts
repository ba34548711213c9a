import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { replayLine } from './replayLine';

/** What `E2E_ONLY` holds when a POSIX shell runs the line: its command swapped for one that prints it. */
function e2eOnlyOf(line: string): string {
  const command = / npx vitest run \S+$/;
  expect(line).toMatch(command);
  const printed = execFileSync('sh', ['-c', line.replace(command, ' printenv E2E_ONLY')], { encoding: 'utf8' });
  return printed.replace(/\n$/, '');
}

describe('replayLine', () => {
  it('runs the given test file with E2E_ONLY set', () => {
    expect(replayLine('test/botWork.property.test.ts', { seed: 1 })).toBe(
      `E2E_ONLY='{"seed":1}' npx vitest run test/botWork.property.test.ts`,
    );
  });

  it('gives a bot-work counterexample back as E2E_ONLY reads it: plain JSON, an undefined lease left out', () => {
    const scenario = {
      works: [
        {
          bot: 0,
          chat: 1,
          startMs: 20_000,
          durationMs: 1_500,
          outcome: 'reply',
          status: 'readingDocs',
          phases: [{ atMs: 500, status: 'thinking' }],
          leaseSec: undefined,
          clearOnError: false,
          afterValue: 'open',
          afterValueMs: 0,
        },
      ],
      faults: [{ atMs: 0, method: 'batch', kind: 'slow', times: 1, latencyMs: 2_000 }],
      seed: 2_147_483_647,
    };
    const only = JSON.parse(e2eOnlyOf(replayLine('test/botWork.property.test.ts', scenario)));
    expect(only).toEqual(scenario);
    expect(only.works[0]).not.toHaveProperty('leaseSec');
  });

  it('gives a user-typing counterexample back as E2E_ONLY reads it', () => {
    const scenario = {
      flavours: ['scheduler', 'direct', 'direct'],
      sessions: [{ user: 0, dialog: 2, startMs: 0, keyDelays: [30, 9_000, 400], end: 'hide', endDelayMs: 0 }],
      faults: [],
      seed: 7,
    };
    expect(JSON.parse(e2eOnlyOf(replayLine('test/userTyping.property.test.ts', scenario)))).toStrictEqual(scenario);
  });

  it('quotes any JSON for the shell, quotes and shell syntax in strings included', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.dictionary(fc.string(), fc.constantFrom("it's", "'", "''", '$HOME', '`id`', '\\', '"')),
        ),
        (value) => {
          expect(JSON.parse(e2eOnlyOf(replayLine('test/x.test.ts', value)))).toEqual(JSON.parse(JSON.stringify(value)));
        },
      ),
      { numRuns: 40 },
    );
  });
});
