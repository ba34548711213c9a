import { describe, expect, it } from 'vitest';
import { B24InputError } from './B24InputError';
import { validateBotId, validateBotToken, validateLeaseSec } from './validateBot';

function errorOf(fn: () => unknown): B24InputError {
  try {
    fn();
  } catch (e) {
    if (e instanceof B24InputError) return e;
    throw e;
  }
  throw new Error('expected a B24InputError');
}

describe('validateBotId', () => {
  it.each([
    [7, 7],
    ['7', 7],
    [' 12 ', 12],
  ])('accepts %j', (input, expected) => {
    expect(validateBotId(input)).toBe(expected);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '', 'abc', '7a', '-7', '1e2', null, undefined, {}])(
    'rejects %j',
    (input) => {
      const e = errorOf(() => validateBotId(input));
      expect(e).toMatchObject({ field: 'botId', rule: 'a positive integer bot id', kind: 'input' });
      expect(e.message).toMatch(/^Invalid botId: must be a positive integer bot id \(got .+\)$/);
    },
  );
});

describe('validateLeaseSec', () => {
  it.each([1, 30, 600])('accepts %i', (value) => {
    expect(validateLeaseSec(value)).toBe(value);
  });

  it.each([0, 601, -1, 2.5, Number.NaN, '30', null])('rejects %j', (value) => {
    const e = errorOf(() => validateLeaseSec(value));
    expect(e).toMatchObject({ field: 'leaseSec', rule: 'an integer number of seconds between 1 and 600' });
  });
});

describe('validateBotToken', () => {
  it('accepts a missing token (OAuth) and tokens up to 40 characters', () => {
    expect(validateBotToken(undefined)).toBeUndefined();
    expect(validateBotToken('a')).toBe('a');
    expect(validateBotToken('x'.repeat(40))).toBe('x'.repeat(40));
  });

  it.each(['', 'y'.repeat(41), 'has space', 'tab\there'])('rejects %j without echoing it', (token) => {
    const e = errorOf(() => validateBotToken(token));
    expect(e.field).toBe('botToken');
    expect(e.message).toContain(`a string of ${token.length} characters`);
    if (token) {
      expect(e.message).not.toContain(token);
      expect(JSON.stringify(e)).not.toContain(token);
      expect(String(e)).not.toContain(token);
    }
  });

  it.each([42, null, {}])('rejects a non-string %j by its type only', (token) => {
    expect(errorOf(() => validateBotToken(token)).message).toMatch(/\(got a (number|null|object)\)$/);
  });
});
