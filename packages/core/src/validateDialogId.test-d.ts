import { describe, expectTypeOf, it } from 'vitest';
import { type DialogId, validateDialogId } from './validateDialogId';

describe('DialogId', () => {
  it('accepts chat<N>, sg<N> and user ids', () => {
    expectTypeOf<'chat12'>().toExtend<DialogId>();
    expectTypeOf<'sg3'>().toExtend<DialogId>();
    expectTypeOf<'42'>().toExtend<DialogId>();
    expectTypeOf<`chat${number}`>().toExtend<DialogId>();
  });

  it('rejects other strings and plain string', () => {
    expectTypeOf<'general'>().not.toExtend<DialogId>();
    expectTypeOf<'chat'>().not.toExtend<DialogId>();
    expectTypeOf<'crm|LEAD|5'>().not.toExtend<DialogId>();
    expectTypeOf<string>().not.toExtend<DialogId>();
    expectTypeOf<number>().not.toExtend<DialogId>();
  });

  it('validateDialogId takes anything and returns a DialogId', () => {
    expectTypeOf(validateDialogId).parameter(0).toEqualTypeOf<unknown>();
    expectTypeOf(validateDialogId).parameter(1).toEqualTypeOf<'im' | 'legacy' | 'v2' | undefined>();
    expectTypeOf(validateDialogId).returns.toEqualTypeOf<DialogId>();
  });
});
