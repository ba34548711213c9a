import { describe, expect, it } from 'vitest';
import { B24InputError } from './B24InputError';
import { checkCall } from './checkCall';

const METHOD_RULE = 'a REST method name such as "im.dialog.writing"';

/** What `checkCall` throws, or `undefined` when it accepts the call. */
function thrown(method: unknown, params: unknown, field?: string, options?: unknown): unknown {
  try {
    checkCall(method, params, field, options);
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('checkCall', () => {
  it.each([
    'batch',
    'im.dialog.writing',
    'imbot.v2.Chat.InputAction.notify',
    'imbot.v2.Chat.Message.send',
    'imbot.v2.Event.get',
    'imbot.chat.sendTyping',
    'im.message.add',
    'crm.deal.list',
    'user.current',
    'a.b',
    'x.y_z.1',
    'A9_.b',
  ])('accepts the method %j', (method) => {
    expect(thrown(method, {})).toBeUndefined();
  });

  it.each([
    ['', 'empty'],
    ['im dialog writing', 'spaces'],
    ['../../admin', 'a path'],
    ['im/dialog.writing', 'a slash'],
    ['im.dialog.writing?auth=x', 'a query'],
    ['im.dialog.writing#x', 'a fragment'],
    ['im..writing', 'an empty segment'],
    ['im.dialog.', 'a trailing dot'],
    ['.im.dialog', 'a leading dot'],
    ['1im.dialog', 'a leading digit'],
    ['_im.dialog', 'a leading underscore'],
    ['im.dialog-writing', 'a hyphen'],
    ['im.dialog.writing\n', 'a trailing newline'],
    ['im.диалог', 'non-ASCII letters'],
    [undefined, 'undefined'],
    [null, 'null'],
    [42, 'a number'],
    [{}, 'an object'],
  ] as const)('refuses the method %j (%s), naming the field and the rule', (method: unknown, _why: string) => {
    const error = thrown(method, {});
    expect(error).toBeInstanceOf(B24InputError);
    expect(error).toMatchObject({ kind: 'input', code: 'INVALID_ARGUMENT', field: 'method', rule: METHOD_RULE });
  });

  it.each([
    [{}, true],
    [{ DIALOG_ID: 'chat1' }, true],
    [Object.create(null), true],
    [null, false],
    [undefined, false],
    [[], false],
    [['chat1'], false],
    ['DIALOG_ID=chat1', false],
    [1, false],
    [true, false],
    [() => ({}), false],
  ])('params %j: accepted %s', (params, accepted) => {
    const error = thrown('im.dialog.writing', params);
    if (accepted) expect(error).toBeUndefined();
    else expect(error).toMatchObject({ kind: 'input', field: 'params', rule: 'a plain object' });
  });

  it.each([
    [undefined, 'method', 'params'],
    ['', 'method', 'params'],
    ['calls[3]', 'calls[3].method', 'calls[3].params'],
    ['cmd.x', 'cmd.x.method', 'cmd.x.params'],
  ])('field %j names %s and %s', (field, methodField, paramsField) => {
    expect(thrown('bad method', {}, field)).toMatchObject({ field: methodField });
    expect(thrown('im.dialog.writing', null, field)).toMatchObject({ field: paramsField });
  });

  it('checks the method before the params', () => {
    expect(thrown('', null)).toMatchObject({ field: 'method' });
  });

  it.each([
    ['im.dialog.writing?auth=s3cr3t-token', {}],
    ['s3cr3t-token!', {}],
    ['im.dialog.writing', 's3cr3t-token'],
    ['im.dialog.writing', ['s3cr3t-token']],
  ])('never quotes the value it refuses (%j, %j)', (method, params) => {
    const error = thrown(method, params) as B24InputError;
    expect(error.message).not.toContain('s3cr3t');
    expect(JSON.stringify(error)).not.toContain('s3cr3t');
  });

  it('narrows the method to a string for the caller', () => {
    const method: unknown = 'im.dialog.writing';
    checkCall(method, {});
    expect(method.toUpperCase()).toBe('IM.DIALOG.WRITING');
  });
});

describe('checkCall options (the call options argument)', () => {
  const call = (options: unknown): unknown => thrown('im.dialog.writing', {}, '', options);
  /** What a transport needs of a signal, nothing more: an AbortSignal from another realm or a polyfill passes. */
  const lookalike = { aborted: false, addEventListener() {}, removeEventListener() {} };

  it.each([
    ['undefined (no options)', undefined],
    ['{}', {}],
    ['{ signal: undefined }', { signal: undefined }],
    ['an AbortSignal', { signal: new AbortController().signal }],
    ['an aborted AbortSignal', { signal: AbortSignal.abort() }],
    ['a signal-like object', { signal: lookalike }],
    ['an object without prototype', Object.create(null)],
  ])('accepts %s', (_what, options) => {
    expect(call(options)).toBeUndefined();
  });

  it.each([
    ['null', null],
    ['a string', 'signal'],
    ['a number', 1],
    ['true', true],
    ['a function', () => ({})],
  ])('refuses %s as options, naming options', (_what, options) => {
    const error = call(options);
    expect(error).toBeInstanceOf(B24InputError);
    expect(error).toMatchObject({ kind: 'input', code: 'INVALID_ARGUMENT', field: 'options', rule: 'an object' });
  });

  it.each([
    ['{}', {}],
    ['a string', 'x'],
    ['null', null],
    ['a number', 5],
    ['the AbortController instead of its signal', new AbortController()],
  ])('refuses %s as signal, naming signal', (_what, signal) => {
    const error = call({ signal });
    expect(error).toBeInstanceOf(B24InputError);
    expect(error).toMatchObject({ kind: 'input', field: 'signal', rule: 'an AbortSignal' });
    expect((error as Error).message).toBe('Invalid signal: must be an AbortSignal');
  });

  it('refuses options whose signal cannot be read (a getter or Proxy trap that throws, a revoked Proxy) as not an AbortSignal, keeping nothing of its error', () => {
    // The raw error escaped checkCall: a transport's caller (a dispatcher) took it for a network failure and retried,
    // with the original, which a getter loading a credential may quote, kept as `cause`.
    const throws = (): never => {
      throw new Error('secret-xyz');
    };
    const revoked = (): object => {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      return proxy;
    };
    for (const options of [
      Object.defineProperty({}, 'signal', { get: throws, enumerable: true }),
      new Proxy({}, { get: throws }),
      revoked(),
      { signal: Object.defineProperty({ aborted: false }, 'addEventListener', { get: throws }) },
      { signal: new Proxy(new AbortController().signal, { get: throws }) },
      { signal: revoked() },
    ]) {
      const error = call(options);
      expect(error).toBeInstanceOf(B24InputError);
      expect(error).toMatchObject({ kind: 'input', field: 'signal', rule: 'an AbortSignal' });
      expect((error as Error).cause).toBeUndefined();
      expect(`${String(error)} ${JSON.stringify(error)} ${(error as Error).stack}`).not.toMatch(/secret/);
    }
  });

  it('checks method and params before options, and never quotes the options', () => {
    expect(thrown('', {}, '', null)).toMatchObject({ field: 'method' });
    expect(thrown('im.dialog.writing', null, '', { signal: {} })).toMatchObject({ field: 'params' });
    expect(thrown('im.dialog.writing', {}, 'calls[2]', null)).toMatchObject({ field: 'options' });
    expect(String(call('s3cr3t-token'))).not.toContain('s3cr3t');
    expect(String(call({ signal: 's3cr3t-token' }))).not.toContain('s3cr3t');
  });
});
