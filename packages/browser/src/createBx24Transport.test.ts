import { getEventListeners } from 'node:events';
import { inspect } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import type { Bx24AjaxResult, Bx24Like } from './createBx24Transport';
import { createBx24Transport } from './createBx24Transport';

type Answer = { data: unknown } | { error: unknown };

/** BX24.js's `ajaxResult`: `data()` and `error()`, the latter `{ status, ex }` as the library builds it. */
const ajaxResult = (answer: Answer): Bx24AjaxResult => ({
  data: () => ('data' in answer ? answer.data : undefined),
  error: () => ('error' in answer ? answer.error : undefined),
});

/** A BX24 object whose callbacks answer from a table and record what they were asked, like the frame library. */
function fakeBx24(answers: Record<string, Answer>, { async = true } = {}) {
  const asked: unknown[] = [];
  const later = (fn: () => void) => (async ? setTimeout(fn, 1) : fn());
  const bx24: Bx24Like & { asked: unknown[] } = {
    asked,
    callMethod(method, params, callback) {
      asked.push([method, params]);
      later(() =>
        callback(ajaxResult(answers[method] ?? { error: { status: 400, ex: { error: 'ERROR_METHOD_NOT_FOUND' } } })),
      );
    },
    callBatch(calls, callback, halt) {
      asked.push(['batch', calls, halt]);
      later(() => callback(calls.map((c) => ajaxResult(answers[c.method] ?? { data: null }))));
    },
  };
  return bx24;
}

const accessError = { status: 403, ex: { error: 'ACCESS_ERROR', error_description: 'Action unavailable' } };

describe('createBx24Transport', () => {
  it("resolves a call with the result's data, passing method and params through", async () => {
    const bx24 = fakeBx24({ 'im.dialog.writing': { data: true } });
    const transport = createBx24Transport(bx24);
    await expect(transport.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
    expect(bx24.asked).toEqual([['im.dialog.writing', { DIALOG_ID: 'chat1' }]]);
  });

  it('maps a portal error to B24Error by its code, keeping the HTTP status', async () => {
    const transport = createBx24Transport(fakeBx24({ 'im.dialog.writing': { error: accessError } }));
    const error = await transport.call('im.dialog.writing', { DIALOG_ID: '1' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'B24Error', code: 'ACCESS_ERROR', kind: 'access', status: 403 });
  });

  it("keeps BX24's access token out of an error text in which the portal quotes it back (call and batch command)", async () => {
    const auth = { access_token: 'a1b2c3d4e5f6a7b8c9d0', refresh_token: 'f0e9d8c7b6a5f4e3d2c1', expires_in: 3600 };
    const quoting = {
      error: { status: 400, ex: { error: 'ERROR_ARGUMENT', error_description: `Wrong auth=${auth.access_token}` } },
    };
    const bx24 = { ...fakeBx24({ 'im.dialog.writing': quoting }), getAuth: () => auth };
    const transport = createBx24Transport(bx24);
    const error = await transport.call('im.dialog.writing', { DIALOG_ID: '1' }).catch((e: unknown) => e);
    const [item] = await transport.batch!([{ method: 'im.dialog.writing', params: { DIALOG_ID: '1' } }]);
    for (const shown of [error, (item as { error: unknown }).error]) {
      expect(shown).toMatchObject({ code: 'ERROR_ARGUMENT', kind: 'input', message: 'ERROR_ARGUMENT: Wrong auth=***' });
      expect(`${String(shown)} ${JSON.stringify(shown)} ${inspect(shown)}`).not.toContain(auth.access_token);
    }
    // Before BX24.js is initialised getAuth() is false, and a getAuth that throws is no reason to lose the error.
    for (const getAuth of [
      () => false,
      () => {
        throw new Error('not ready');
      },
    ]) {
      const plain = createBx24Transport({ ...fakeBx24({ 'im.dialog.writing': quoting }), getAuth });
      await expect(plain.call('im.dialog.writing', { DIALOG_ID: '1' })).rejects.toMatchObject({
        code: 'ERROR_ARGUMENT',
      });
    }
  });

  it('maps a request that never got an answer (status 0, no ex) to a network error', async () => {
    const transport = createBx24Transport(fakeBx24({ 'im.dialog.writing': { error: { status: 0 } } }));
    await expect(transport.call('im.dialog.writing', { DIALOG_ID: '1' })).rejects.toMatchObject({
      code: 'NETWORK_ERROR',
      kind: 'network',
    });
  });

  it("classifies an answer without ex by its status alone, as core's classifyError and the other transports do", async () => {
    for (const [status, kind] of [
      [408, 'timeout'],
      [504, 'timeout'],
      [401, 'auth'],
      [403, 'access'],
      [404, 'input'],
      [429, 'rate'],
      [400, 'input'],
      [502, 'server'],
      [200, 'server'],
    ] as const) {
      const transport = createBx24Transport(fakeBx24({ 'im.dialog.writing': { error: { status } } }));
      await expect(transport.call('im.dialog.writing', { DIALOG_ID: '1' })).rejects.toMatchObject({
        code: 'ERROR_UNEXPECTED_ANSWER',
        kind,
        status,
      });
    }
  });

  it('maps a rate limit answer to kind rate', async () => {
    const limit = {
      error: { status: 503, ex: { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' } },
    };
    const transport = createBx24Transport(fakeBx24({ 'im.dialog.writing': limit }));
    await expect(transport.call('im.dialog.writing', { DIALOG_ID: '1' })).rejects.toMatchObject({
      kind: 'rate',
      status: 503,
    });
  });

  it('batches through callBatch (no halt) and maps each command', async () => {
    const bx24 = fakeBx24({
      'im.dialog.writing': { data: true },
      'imbot.v2.Chat.InputAction.notify': { error: accessError },
    });
    const transport = createBx24Transport(bx24);
    const calls = [
      { method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } },
      { method: 'imbot.v2.Chat.InputAction.notify', params: { botId: 1, dialogId: 'chat1' } },
    ];
    const results = await transport.batch!(calls);
    expect(results).toEqual([
      { ok: true, result: true },
      { ok: false, error: expect.objectContaining({ code: 'ACCESS_ERROR' }) },
    ]);
    expect(bx24.asked).toEqual([['batch', calls, false]]);
  });

  it('has no batch when the BX24 object has no callBatch', () => {
    expect(createBx24Transport({ callMethod() {} }).batch).toBeUndefined();
  });

  it('rejects at once on abort and ignores the late answer', async () => {
    const transport = createBx24Transport(fakeBx24({ 'im.dialog.writing': { data: true } }));
    const controller = new AbortController();
    const pending = transport.call('im.dialog.writing', { DIALOG_ID: '1' }, { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED', kind: 'network' });
  });

  it('gives up after timeoutMs on a call BX24.js never answers, and ignores the late answer (fake timers)', async () => {
    // BX24.js calls back neither after a network error nor after an HTTP 5xx: its XHR handler throws instead.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const callbacks: ((result: Bx24AjaxResult) => void)[] = [];
      const transport = createBx24Transport({
        callMethod: (_method, _params, callback) => callbacks.push(callback),
        callBatch: (_calls, callback) => callbacks.push(callback as never),
      });
      const controller = new AbortController();
      const call = transport.call('im.dialog.writing', { DIALOG_ID: '1' }, { signal: controller.signal });
      const batch = transport.batch!([{ method: 'im.dialog.writing', params: { DIALOG_ID: '1' } }]);
      const outcomes = [call, batch].map((p) => p.catch((e: unknown) => e));
      let settled = 0;
      for (const outcome of outcomes) void outcome.then(() => settled++);
      await vi.advanceTimersByTimeAsync(14_999);
      expect(settled).toBe(0);
      await vi.advanceTimersByTimeAsync(1);
      for (const outcome of outcomes) {
        expect(await outcome).toMatchObject({ name: 'B24Error', code: 'TIMEOUT', kind: 'timeout' });
      }
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      expect(vi.getTimerCount()).toBe(0);
      for (const callback of callbacks) callback(ajaxResult({ data: true })); // too late: ignored
    } finally {
      vi.useRealTimers();
    }
  });

  it('takes timeoutMs from its options, and clears its timer when the answer comes (fake timers)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const silent = createBx24Transport({ callMethod() {} }, { timeoutMs: 500 });
      const pending = silent.call('im.dialog.writing', { DIALOG_ID: '1' }).catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(500);
      expect(await pending).toMatchObject({ code: 'TIMEOUT', kind: 'timeout' });
      const answering = createBx24Transport(fakeBx24({ 'im.dialog.writing': { data: true } }, { async: false }));
      await expect(answering.call('im.dialog.writing', { DIALOG_ID: '1' })).resolves.toBe(true);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('turns a synchronous throw of BX24 into a rejection', async () => {
    const transport = createBx24Transport({
      callMethod() {
        throw new Error('BX24 is not initialised');
      },
    });
    await expect(transport.call('im.dialog.writing', { DIALOG_ID: '1' })).rejects.toMatchObject({ code: 'BX24_ERROR' });
  });

  it('rejects bad input before asking BX24', async () => {
    const bx24 = fakeBx24({});
    const transport = createBx24Transport(bx24);
    await expect(transport.call('', {})).rejects.toMatchObject({
      kind: 'input',
      message: expect.stringContaining('method'),
    });
    await expect(transport.call('im.dialog.writing', null as never)).rejects.toMatchObject({
      kind: 'input',
      message: expect.stringContaining('params'),
    });
    const tooMany = Array.from({ length: 51 }, () => ({ method: 'im.dialog.writing', params: {} }));
    await expect(transport.batch!(tooMany)).rejects.toMatchObject({
      kind: 'input',
      message: expect.stringContaining('50'),
    });
    // the same checks as every transport (core's checkBatch): batches do not nest
    await expect(transport.batch!([{ method: 'batch', params: { cmd: {} } }])).rejects.toMatchObject({
      kind: 'input',
      field: 'calls[0].method',
    });
    expect(bx24.asked).toEqual([]);
    expect(() => createBx24Transport({} as never)).toThrow(
      expect.objectContaining({ kind: 'input', message: expect.stringContaining('BX24') }),
    );
    for (const timeoutMs of [0, Number.NaN, 2 ** 31, '100']) {
      expect(() => createBx24Transport(bx24, { timeoutMs } as never)).toThrow(
        expect.objectContaining({ kind: 'input', field: 'timeoutMs' }),
      );
    }
  });

  it.each([
    ['options', null],
    ['options', 'x'],
    ['signal', {}],
    ['signal', 'x'],
    ['signal', null],
  ])(
    'rejects a bad %s argument (%o) before asking BX24, without a synchronous throw or a timer left',
    async (field, value) => {
      vi.useFakeTimers();
      try {
        const bx24 = fakeBx24({});
        const transport = createBx24Transport(bx24);
        const options = (field === 'options' ? value : { signal: value }) as never;
        const one = { method: 'im.dialog.writing', params: { DIALOG_ID: '1' } };
        for (const request of [
          () => transport.call('im.dialog.writing', { DIALOG_ID: '1' }, options),
          () => transport.batch!([one], options),
          () => transport.batch!([], options),
        ]) {
          let pending: Promise<unknown> | undefined;
          expect(() => {
            pending = request();
          }).not.toThrow();
          await expect(pending).rejects.toMatchObject({ name: 'B24InputError', kind: 'input', field });
        }
        expect(bx24.asked).toEqual([]);
        expect(vi.getTimerCount()).toBe(0);
      } finally {
        vi.useRealTimers();
      }
    },
  );

  it('checks the input before the signal: a bad call with an aborted signal is an input error', async () => {
    const transport = createBx24Transport(fakeBx24({}));
    await expect(transport.call('', {}, { signal: AbortSignal.abort() })).rejects.toMatchObject({ kind: 'input' });
  });
});
