import { describe, expect, it } from 'vitest';
import { B24InputError } from './B24InputError';
import { validateDialogId } from './validateDialogId';

describe('validateDialogId', () => {
  it.each([
    ['chat5', 'chat5'],
    ['42', '42'],
    [42, '42'],
    ['  chat17 ', 'chat17'],
    ['\t7\n', '7'],
    ['chat007', 'chat7'],
    ['0012', '12'],
  ])('accepts %j as %j for every api', (input, expected) => {
    expect(validateDialogId(input, 'v2')).toBe(expected);
    expect(validateDialogId(input, 'im')).toBe(expected);
    expect(validateDialogId(input, 'legacy')).toBe(expected);
  });

  it('accepts sg<N> for imbot.v2 only', () => {
    expect(validateDialogId('sg3', 'v2')).toBe('sg3');
    expect(validateDialogId(' sg3 ')).toBe('sg3');
    expect(() => validateDialogId('sg3', 'im')).toThrow(/only works with imbot\.v2/);
    expect(() => validateDialogId('sg3', 'legacy')).toThrow(B24InputError);
  });

  it.each([
    ['', '""'],
    ['   ', '"   "'],
    ['chat', '"chat"'],
    ['chat0', '"chat0"'],
    ['0', '"0"'],
    [0, '0'],
    [-5, '-5'],
    [1.5, '1.5'],
    [Number.NaN, 'NaN'],
    ['chat-5', '"chat-5"'],
    ['CHAT5', '"CHAT5"'],
    ['chat 5', '"chat 5"'],
    ['5a', '"5a"'],
    ['1e3', '"1e3"'],
    ['crm|LEAD|5', '"crm|LEAD|5"'],
    ['sg0', '"sg0"'],
    ['99999999999999999999', '"99999999999999999999"'],
    [null, 'null'],
    [undefined, 'undefined'],
    [{ id: 5 }, 'a object'],
    [['chat5'], 'an array'],
  ])('rejects %j with a typed error naming field and rule', (input, shown) => {
    let error: unknown;
    try {
      validateDialogId(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(B24InputError);
    const e = error as B24InputError;
    expect(e).toMatchObject({ kind: 'input', code: 'INVALID_ARGUMENT', field: 'dialogId', name: 'B24InputError' });
    expect(e.rule).toContain('chat<N>');
    expect(e.message).toContain('Invalid dialogId: must be a dialog id');
    expect(e.message).toContain(`(got ${shown})`);
  });

  it('names the field it was given', () => {
    expect(() => validateDialogId('x', 'im', 'target.dialogId')).toThrow(/^Invalid target\.dialogId:/);
  });
});
