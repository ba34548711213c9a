import { describe, expect, it } from 'vitest';
import { B24InputError } from './B24InputError';
import { validateBotToken } from './validateBot';
import { validateDialogId } from './validateDialogId';

/** The error `fn` throws; fails the test if it throws none. */
function thrown(fn: () => unknown): B24InputError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(B24InputError);
    return error as B24InputError;
  }
  throw new Error('nothing thrown');
}

describe('B24InputError', () => {
  it('keeps field and rule in its JSON, so a logged or forwarded error still points at the culprit', () => {
    const error = thrown(() => validateDialogId('sg3', 'im'));
    expect(JSON.parse(JSON.stringify(error))).toStrictEqual({
      name: 'B24InputError',
      code: 'INVALID_ARGUMENT',
      kind: 'input',
      message: error.message,
      field: 'dialogId',
      rule: error.rule,
    });
    expect(error.rule).toMatch(/sg<N>" only works with imbot\.v2/);
  });

  it('never has a bot token in its message, JSON or text', () => {
    const token = 'a secret token'; // refused for its blanks
    const error = thrown(() => validateBotToken(token));
    expect(error.field).toBe('botToken');
    for (const text of [error.message, JSON.stringify(error), String(error)]) expect(text).not.toContain('secret');
  });

  it('quotes a rejected string cut to 40 characters, so a huge value cannot flood a log line', () => {
    const long = `chat${'x'.repeat(200)}`;
    const error = thrown(() => validateDialogId(long));
    expect(error.message).toContain(`(got ${JSON.stringify(`${long.slice(0, 40)}…`)})`);
    expect(error.message).not.toContain(long.slice(0, 41));
  });
});
