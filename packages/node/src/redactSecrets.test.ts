import { B24InputError } from '@b24-typing/core';
import { describe, expect, it } from 'vitest';
import { redactSecrets } from './redactSecrets';

describe('redactSecrets', () => {
  it('cuts every occurrence of each secret, as given, URL-encoded, JSON-escaped and form-encoded', () => {
    const key = 'sk-te st/"1234"';
    const text =
      `bad key ${key}; url …?key=${encodeURIComponent(key)}; body {"key":${JSON.stringify(key)}}; ` +
      `form key=${new URLSearchParams([['', key]]).toString().slice(1)}; again ${key}`;
    expect(redactSecrets(text, [key])).toBe('bad key ***; url …?key=***; body {"key":"***"}; form key=***; again ***');
  });

  it('cuts overlapping secrets as one stretch, leaving no part of either', () => {
    // cut one after the other, "abcd" first would leave "ef" of "cdef"
    expect(redactSecrets('x abcdef y', ['abcd', 'cdef'])).toBe('x *** y');
    expect(redactSecrets('x abcdef y', ['abcdef', 'bcd'])).toBe('x *** y');
    expect(redactSecrets('aaaaa', ['aaaa'])).toBe('***');
  });

  it('cuts a short secret only where it stands alone, and ignores an empty one', () => {
    expect(redactSecrets('registered bot 12 with token bot.', ['bot', ''])).toBe('registered *** 12 with token ***.');
    expect(redactSecrets('the robot bots', ['bot'])).toBe('the robot bots');
    expect(redactSecrets('a(b) a.b', ['a.b'])).toBe('a(b) ***');
  });

  it('leaves a text without secrets as it is', () => {
    expect(redactSecrets('model failed: overloaded', ['sk-secret', 'code123'])).toBe('model failed: overloaded');
    expect(redactSecrets('model failed', [])).toBe('model failed');
  });

  it('refuses a text that is no string, or secrets that are no array of strings, without quoting them', () => {
    for (const [text, secrets, field] of [
      [undefined, [], 'text'],
      [{ toString: () => 'sk-x' }, [], 'text'],
      ['t', 'sk-secret-key', 'secrets'],
      ['t', ['sk-secret-key', 42], 'secrets'],
      ['t', undefined, 'secrets'],
    ] as const) {
      const call = () => redactSecrets(text as never, secrets as never);
      expect(call).toThrow(B24InputError);
      expect(call).toThrow(expect.objectContaining({ field }));
      expect(() => call()).not.toThrow(/sk-/);
    }
  });
});
