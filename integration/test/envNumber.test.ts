import { afterEach, describe, expect, it, vi } from 'vitest';
import { envNumber } from './envNumber';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('envNumber', () => {
  it('gives the fallback when the variable is unset or blank', () => {
    vi.stubEnv('E2E_TEST_NUMBER', undefined);
    expect(envNumber('E2E_TEST_NUMBER', 100)).toBe(100);
    expect(envNumber('E2E_TEST_NUMBER')).toBeUndefined();
    vi.stubEnv('E2E_TEST_NUMBER', '');
    expect(envNumber('E2E_TEST_NUMBER', 100)).toBe(100);
    vi.stubEnv('E2E_TEST_NUMBER', '  ');
    expect(envNumber('E2E_TEST_NUMBER', 100)).toBe(100);
  });

  it('reads an integer, 0 and negative ones included', () => {
    for (const [raw, value] of [
      ['1000', 1000],
      [' 5 ', 5],
      ['0', 0],
      ['-3', -3],
    ] as const) {
      vi.stubEnv('E2E_TEST_NUMBER', raw);
      expect(envNumber('E2E_TEST_NUMBER', 100)).toBe(value);
    }
  });

  it('refuses what is not an integer, naming the variable, rather than running no scenario', () => {
    for (const raw of ['1k', '2.5', 'NaN', '1e400']) {
      vi.stubEnv('E2E_TEST_NUMBER', raw);
      expect(() => envNumber('E2E_TEST_NUMBER', 100)).toThrow(`E2E_TEST_NUMBER must be an integer, got "${raw}"`);
    }
  });

  it('refuses a value under its least (E2E_RUNS=0 would run no scenario and pass)', () => {
    vi.stubEnv('E2E_TEST_NUMBER', '0');
    expect(() => envNumber('E2E_TEST_NUMBER', 100, 1)).toThrow(
      'E2E_TEST_NUMBER must be an integer of at least 1, got "0"',
    );
    vi.stubEnv('E2E_TEST_NUMBER', '1');
    expect(envNumber('E2E_TEST_NUMBER', 100, 1)).toBe(1);
  });
});
