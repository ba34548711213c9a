import { describe, expect, it } from 'vitest';
import { B24Error } from './B24Error';
import { parseBatchResult } from './parseBatchResult';

describe('parseBatchResult', () => {
  it('maps results and errors back onto the commands, in order', () => {
    const items = parseBatchResult(
      {
        result: { 0: true, 2: { result: true } },
        result_error: { 1: { error: 'DIALOG_ID_EMPTY', error_description: 'Dialog ID can`t be empty' } },
        result_total: [],
        result_next: [],
      },
      3,
    );
    expect(items).toEqual([
      { ok: true, result: true },
      { ok: false, error: expect.any(B24Error) },
      { ok: true, result: { result: true } },
    ]);
    expect(items[1]).toMatchObject({
      error: { code: 'DIALOG_ID_EMPTY', kind: 'input', message: 'DIALOG_ID_EMPTY: Dialog ID can`t be empty' },
    });
  });

  it("cuts the commands' credentials (any command's params) out of their errors' descriptions", () => {
    const calls = [
      { method: 'imbot.v2.Chat.InputAction.notify', params: { botId: 7, botToken: 'b0t"Token', dialogId: 'chat1' } },
      { method: 'imbot.chat.sendTyping', params: { DIALOG_ID: 'chat1', CLIENT_ID: 'app.legacy' } },
    ];
    const description = 'Wrong b0t"Token (b0t%22Token) or app.legacy';
    const items = parseBatchResult(
      { result_error: [{ error: 'ERROR_ARGUMENT', error_description: description }] },
      1,
      calls,
    );
    expect(items).toMatchObject([{ ok: false, error: { message: 'ERROR_ARGUMENT: Wrong *** (***) or ***' } }]);
  });

  it('reads PHP lists and empty collections serialised as []', () => {
    expect(parseBatchResult({ result: [true, false], result_error: [] }, 2)).toEqual([
      { ok: true, result: true },
      { ok: true, result: false },
    ]);
    expect(parseBatchResult({ result: [], result_error: [{ error: 'ACCESS_DENIED' }] }, 1)).toMatchObject([
      { ok: false, error: { code: 'ACCESS_DENIED', kind: 'access' } },
    ]);
  });

  it('keeps a null or falsy result as a result', () => {
    expect(parseBatchResult({ result: { 0: null, 1: 0, 2: '' }, result_error: { 0: null } }, 3)).toEqual([
      { ok: true, result: null },
      { ok: true, result: 0 },
      { ok: true, result: '' },
    ]);
  });

  it('reads an error given as a bare code, and an error without a code', () => {
    expect(parseBatchResult({ result_error: ['QUERY_LIMIT_EXCEEDED', 42] }, 2)).toMatchObject([
      { ok: false, error: { code: 'QUERY_LIMIT_EXCEEDED', kind: 'rate' } },
      { ok: false, error: { code: 'ERROR_UNEXPECTED_ANSWER', kind: 'server' } },
    ]);
  });

  it("reads a code it does not list as the method's own refusal (input), as the same reply alone would be", () => {
    // Alone, a method's refusal comes back with HTTP 400 (RestException's default, reference §1.3, §6): a code
    // classifyError does not list is then `input`, fatal. In a batch the same refusal has no status of its own
    // (the batch is a 200): it must not turn into a `server` error that is retried until its deadline.
    const refusal = { error: 'IMBOT_SOMETHING_NEW', error_description: 'Refused' };
    const [item] = parseBatchResult({ result_error: [refusal] }, 1);
    expect(item).toMatchObject({ ok: false, error: { code: 'IMBOT_SOMETHING_NEW', kind: 'input' } });
    expect(item).toMatchObject({ error: { kind: B24Error.fromResponse(refusal, 400).kind } });
    // It has no HTTP status of its own, so none is made up.
    expect(item?.ok === false && item.error.toJSON()).toStrictEqual({
      name: 'B24Error',
      code: 'IMBOT_SOMETHING_NEW',
      kind: 'input',
      message: 'IMBOT_SOMETHING_NEW: Refused',
    });
    // A bare code reads the same; codes the table lists keep their kinds, server-side ones included.
    expect(
      parseBatchResult(
        {
          result_error: [
            'IMBOT_SOMETHING_NEW',
            { error: 'INTERNAL_SERVER_ERROR' },
            { error: 'ERROR_CORE' },
            { error: 'OPERATION_TIME_LIMIT' },
            { error: 'expired_token' },
          ],
        },
        5,
      ),
    ).toMatchObject([
      { error: { kind: 'input' } },
      { error: { kind: 'server' } },
      { error: { kind: 'server' } },
      { error: { kind: 'operating' } },
      { error: { kind: 'auth' } },
    ]);
  });

  it('reports a command with neither result nor error as skipped', () => {
    expect(parseBatchResult({ result: { 0: true }, result_error: { 1: { error: 'X' } } }, 3)[2]).toMatchObject({
      ok: false,
      error: {
        code: 'BATCH_COMMAND_SKIPPED',
        kind: 'server',
        message: 'batch command 2 has neither a result nor an error',
      },
    });
  });

  it('ignores inherited keys', () => {
    const result = Object.create({ 0: 'inherited' }) as Record<string, unknown>;
    expect(parseBatchResult({ result }, 1)).toMatchObject([{ ok: false, error: { code: 'BATCH_COMMAND_SKIPPED' } }]);
  });

  it('fails the whole batch when the reply is not an object', () => {
    for (const reply of [null, undefined, true, 'ok']) {
      expect(() => parseBatchResult(reply, 1)).toThrow(
        expect.objectContaining({ name: 'B24Error', code: 'ERROR_UNEXPECTED_ANSWER', kind: 'server' }),
      );
    }
  });

  it('returns nothing for no commands', () => {
    expect(parseBatchResult({ result: [], result_error: [] }, 0)).toEqual([]);
  });
});
