import { getEventListeners } from 'node:events';
import { runInNewContext } from 'node:vm';
import type { B24Error, Transport } from '@b24-typing/core';
import { fail, fakeBx24, ok, type Portal, type Reply } from '@b24-typing/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { everythingShown } from '../test/everythingShown';
import { expectSecretsCut } from '../test/expectSecretsCut';
import { UNREADABLE_SECRET, unreadableBatches } from '../test/unreadableBatches';
import type { Bx24AjaxResult, Bx24Like } from './createBx24Transport';
import { createBx24Transport } from './createBx24Transport';

/** The portal of most tests: answers from a table of replies by method. */
/** `params` refused as input (BX24.js would throw on them or send them mangled) by `call` and inside a `batch`. */
async function expectUnencodable(transport: Transport, params: Record<string, unknown>): Promise<void> {
  const refusal = { name: 'B24InputError', kind: 'input', field: 'params', rule: 'encodable by BX24.js' };
  await expect(transport.call('im.dialog.writing', params)).rejects.toMatchObject(refusal);
  const batch = transport.batch!([
    { method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } },
    { method: 'im.dialog.writing', params },
  ]);
  await expect(batch).rejects.toMatchObject(refusal);
}

const table =
  (replies: Record<string, Reply>): Portal =>
  (method) =>
    replies[method];

describe('createBx24Transport', () => {
  it("resolves a call with the result's data, passing method and params through", async () => {
    const bx24 = fakeBx24(table({ 'im.dialog.writing': ok(true) }));
    const transport = createBx24Transport(bx24);
    await expect(transport.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
    expect(bx24.asked).toEqual([['im.dialog.writing', { DIALOG_ID: 'chat1' }]]);
    expect(bx24.state.sent).toEqual(['im.dialog.writing: auth=a1b2c3d4e5f6a7b8c9d0&DIALOG_ID=chat1']);
  });

  // The params go to BX24.js as given, and its prepareData encodes them as it walks them (the fake follows it): the
  // values that are no objects first, then the objects; a Date by its tag, so one of another realm (an iframe's) too.
  it('leaves the encoding to BX24.js, which sends a Date of any realm as its ISO string and plain values first', async () => {
    const bx24 = fakeBx24(table({ 'im.dialog.writing': ok(true) }));
    const since = runInNewContext('new Date(Date.UTC(2026, 0, 2))') as Date;
    const params = { FIELDS: { A: 1 }, SINCE: since, DIALOG_ID: 'chat1', EMPTY: [] };
    await expect(createBx24Transport(bx24).call('im.dialog.writing', params)).resolves.toBe(true);
    expect(bx24.state.sent).toEqual([
      'im.dialog.writing: auth=a1b2c3d4e5f6a7b8c9d0&DIALOG_ID=chat1&FIELDS[A]=1&SINCE=2026-01-02T00%3A00%3A00.000Z&EMPTY=',
    ]);
  });

  it('maps a portal error to B24Error by its code, keeping the HTTP status', async () => {
    const transport = createBx24Transport(
      fakeBx24(table({ 'im.dialog.writing': fail(403, 'ACCESS_ERROR', 'Action unavailable') })),
    );
    const error = await transport.call('im.dialog.writing', { DIALOG_ID: '1' }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'B24Error',
      code: 'ACCESS_ERROR',
      kind: 'access',
      status: 403,
      message: 'ACCESS_ERROR: Action unavailable',
    });
  });

  it("keeps BX24's access token out of an error text in which the portal quotes it back (call and batch command)", async () => {
    const bx24 = fakeBx24(
      table({ 'im.dialog.writing': fail(400, 'ERROR_ARGUMENT', 'Wrong auth=a1b2c3d4e5f6a7b8c9d0') }),
    );
    const token = (bx24.getAuth() as { access_token: string }).access_token;
    const transport = createBx24Transport(bx24);
    const error = await transport.call('im.dialog.writing', { DIALOG_ID: '1' }).catch((e: unknown) => e);
    const [item] = await transport.batch!([{ method: 'im.dialog.writing', params: { DIALOG_ID: '1' } }]);
    for (const shown of [error, (item as { error: unknown }).error]) {
      expect(shown).toMatchObject({ code: 'ERROR_ARGUMENT', kind: 'input', message: 'ERROR_ARGUMENT: Wrong auth=***' });
      expect(everythingShown(shown)).not.toContain(token);
    }
    // Before BX24.js is initialised getAuth() is false, and a getAuth that throws is no reason to lose the error.
    for (const getAuth of [
      () => false,
      () => {
        throw new Error('not ready');
      },
    ]) {
      const plain = createBx24Transport({ ...bx24, getAuth });
      await expect(plain.call('im.dialog.writing', { DIALOG_ID: '1' })).rejects.toMatchObject({
        code: 'ERROR_ARGUMENT',
      });
    }
  });

  it('keeps a bot token and a CLIENT_ID out of error texts in which the portal quotes them back (call, batch command, batch)', async () => {
    // Characters a JSON encoder escapes (`"`, `/`, `\`) and a URL encoder too (`&`, `%`): cut out whatever the escaping.
    const botToken = 'b0t"Tok/en\\&%41';
    const clientId = 'app.legacy42';
    const quote = (secret: unknown) =>
      fail(400, 'ERROR_ARGUMENT', `Wrong token "${secret}" (${encodeURIComponent(String(secret))})`);
    const notify = { method: 'imbot.v2.Chat.InputAction.notify', params: { botId: 7, botToken, dialogId: 'chat1' } };
    const legacy = { method: 'imbot.chat.sendTyping', params: { DIALOG_ID: 'chat1', CLIENT_ID: clientId } };
    // Each command through the portal, which quotes the secret it was given.
    const transport = createBx24Transport(
      fakeBx24((method, params) => (method === 'batch' ? undefined : quote(params.botToken ?? params.CLIENT_ID))),
    );
    const errors: unknown[] = [];
    for (const { method, params } of [notify, legacy]) {
      errors.push(await transport.call(method, params).catch((e: unknown) => e));
    }
    for (const item of await transport.batch!([notify, legacy])) errors.push((item as { error?: unknown }).error);
    // A batch refused as a whole, quoting a command (its query, URL-encoded as it went out): BX.rest hands that error
    // to every command (BX24.js never calls back).
    const rest = createBx24Transport(fakeBx24(() => quote(botToken), { client: 'BX.rest' }));
    for (const item of await rest.batch!([notify, legacy])) errors.push((item as { error?: unknown }).error);
    expect(errors).toHaveLength(6);
    expectSecretsCut(errors, [botToken, clientId]);
  });

  it('keeps every token BX24 handed out during a call out of its error: the one it was sent with, refreshed since, and the new one', async () => {
    // Two calls and a batch go out on the first token; one of them meets expired_token, so BX24.js asks the parent
    // frame for a new token and sends it again with that. The portal quotes back whatever token it got.
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const quoted = (body: string) => `Wrong auth=${new URLSearchParams(body).get('auth')}`;
    const bx24 = fakeBx24(async (method, params, body) => {
      if (method === 'batch') {
        await held;
        const result_error = { 0: { error: 'ERROR_ARGUMENT', error_description: quoted(body) } };
        return ok({ result: {}, result_error, result_total: [], result_next: [], result_time: [] });
      }
      if (params.DIALOG_ID === 'held') await held;
      else if (body.includes('auth=a1b2c3d4e5f6a7b8c9d0&'))
        return fail(401, 'expired_token', 'The access token expired');
      return fail(400, 'ERROR_ARGUMENT', quoted(body));
    });
    const transport = createBx24Transport(bx24);
    const outcomes = [
      transport.call('im.dialog.writing', { DIALOG_ID: 'held' }),
      transport.batch!([{ method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } }]).then(([item]) => {
        throw (item as { error: unknown }).error;
      }),
      transport.call('im.dialog.writing', { DIALOG_ID: 'refreshed' }),
    ].map((p) => p.catch((e: unknown) => e));
    expect(await outcomes[2]).toMatchObject({ code: 'ERROR_ARGUMENT', message: 'ERROR_ARGUMENT: Wrong auth=***' });
    expect(bx24.state.refreshes).toBe(1);
    release();
    for (const error of await Promise.all(outcomes)) {
      expect(error).toMatchObject({ code: 'ERROR_ARGUMENT', kind: 'input', message: 'ERROR_ARGUMENT: Wrong auth=***' });
      const shown = everythingShown(error);
      for (const token of ['a1b2c3d4e5f6a7b8c9d0', 'refreshed-token-1']) expect(shown).not.toContain(token);
    }
  });

  it('keeps a token BX24.js held only while a call was on its way (two refreshes during it) out of its error', async () => {
    // Two calls go out on the first token and both meet expired_token, so BX24.js asks the parent frame twice: the
    // first call goes again with the first new token, the second with the second. When the first call's answer
    // comes, BX24 holds the second new token: the one the first call went with was held only in between.
    const frame = new EventTarget();
    vi.stubGlobal('addEventListener', frame.addEventListener.bind(frame));
    vi.stubGlobal('removeEventListener', frame.removeEventListener.bind(frame));
    try {
      let release!: () => void;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const bx24 = fakeBx24(
        async (_method, params, body) => {
          if (body.includes('auth=a1b2c3d4e5f6a7b8c9d0&'))
            return fail(401, 'expired_token', 'The access token expired');
          if (params.DIALOG_ID === 'first') await held;
          return fail(400, 'ERROR_ARGUMENT', `Wrong auth=${new URLSearchParams(body).get('auth')}`);
        },
        { frame },
      );
      const transport = createBx24Transport(bx24);
      const [first, second] = ['first', 'second'].map((DIALOG_ID) =>
        transport.call('im.dialog.writing', { DIALOG_ID }).catch((e: unknown) => e),
      );
      expect(await second).toMatchObject({ message: 'ERROR_ARGUMENT: Wrong auth=***' });
      expect(bx24.state.refreshes).toBe(2);
      release();
      const error = await first;
      expect(bx24.state.sent).toContain('im.dialog.writing: auth=refreshed-token-1&DIALOG_ID=first');
      expect(error).toMatchObject({ code: 'ERROR_ARGUMENT', kind: 'input', message: 'ERROR_ARGUMENT: Wrong auth=***' });
      expect(everythingShown(error)).not.toContain('refreshed-token-1');
      // Only BX24.js's own listener is left once the calls are settled.
      expect(getEventListeners(frame, 'message')).toHaveLength(1);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('keeps one entry per token, not one per `message` event, while a call is pending on a page with chatty postMessage traffic', async () => {
    // An embedded player or a dev server posting to the app's window many times a second while a call waits for an
    // answer (up to timeoutMs, which may be long): the token is the same each time, so what the error is cleaned of
    // must not grow with the messages.
    const frame = new EventTarget();
    vi.stubGlobal('addEventListener', frame.addEventListener.bind(frame));
    vi.stubGlobal('removeEventListener', frame.removeEventListener.bind(frame));
    const replaceAll = vi.spyOn(String.prototype, 'replaceAll');
    try {
      let release!: () => void;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const bx24 = fakeBx24(
        async (_method, _params, body) => {
          await held;
          return fail(400, 'ERROR_ARGUMENT', `Wrong auth=${new URLSearchParams(body).get('auth')}`);
        },
        { frame },
      );
      const pending = createBx24Transport(bx24, { timeoutMs: 600_000 })
        .call('im.dialog.writing', { DIALOG_ID: 'chat1' })
        .catch((e: unknown) => e);
      for (let i = 0; i < 10_000; i++) frame.dispatchEvent(new MessageEvent('message', { data: { tick: i } }));
      replaceAll.mockClear();
      release();
      expect(await pending).toMatchObject({ code: 'ERROR_ARGUMENT', message: 'ERROR_ARGUMENT: Wrong auth=***' });
      // The token the call started with, the same token after each message, and the one held at the answer.
      expect(replaceAll.mock.calls.filter((args: unknown[]) => args[1] === '***').length).toBeLessThanOrEqual(2);
    } finally {
      replaceAll.mockRestore();
      vi.unstubAllGlobals();
    }
  });

  it('never sees expired_token: BX24.js refreshes through the parent frame and sends again; a parent that never answers is a timeout', async () => {
    let expired = true;
    const portal: Portal = () => {
      if (!expired) return ok(true);
      expired = false;
      return fail(401, 'expired_token', 'The access token provided has expired');
    };
    const bx24 = fakeBx24(portal);
    await expect(createBx24Transport(bx24).call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
    expect(bx24.state.refreshes).toBe(1);
    expect(bx24.state.sent).toHaveLength(2);

    expired = true;
    const stuck = fakeBx24(portal, { parentAnswersRefresh: false });
    const transport = createBx24Transport(stuck, { timeoutMs: 50 });
    await expect(transport.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).rejects.toMatchObject({
      code: 'TIMEOUT',
      kind: 'timeout',
    });
    expect(stuck.state.refreshes).toBe(1);
  });

  it('reports invalid_token, which BX24.js passes on without a refresh, as kind auth', async () => {
    const bx24 = fakeBx24(table({ 'im.dialog.writing': fail(401, 'invalid_token', 'The access token is invalid') }));
    await expect(createBx24Transport(bx24).call('im.dialog.writing', { DIALOG_ID: '1' })).rejects.toMatchObject({
      code: 'invalid_token',
      kind: 'auth',
      status: 401,
    });
    expect(bx24.state.refreshes).toBe(0);
  });

  it('classifies a 3xx/4xx answer without an envelope, which BX24.js reports as a success, by its status', async () => {
    // BX24.js reads every 4xx reply; an empty body becomes `{ result: {} }` and a JSON body without `error` is taken
    // as it is, so `error()` is undefined and only `status` tells that the call failed.
    for (const [status, kind] of [
      [408, 'timeout'],
      [401, 'auth'],
      [403, 'access'],
      [404, 'input'],
      [429, 'rate'],
      [400, 'input'],
      [304, 'input'],
    ] as const) {
      for (const reply of [
        { status, text: '' },
        { status, body: { message: 'Too many requests' } },
      ]) {
        const transport = createBx24Transport(fakeBx24(table({ 'im.dialog.writing': reply })));
        await expect(transport.call('im.dialog.writing', { DIALOG_ID: '1' })).rejects.toMatchObject({
          code: 'ERROR_UNEXPECTED_ANSWER',
          kind,
          status,
        });
      }
    }
    // A 2xx stays what BX24.js says it is (an empty body is `{}` to it).
    const empty = createBx24Transport(fakeBx24(table({ 'im.dialog.writing': { status: 200, text: '' } })));
    await expect(empty.call('im.dialog.writing', { DIALOG_ID: '1' })).resolves.toEqual({});
  });

  it('reads an empty error ({ error: null, result }), of which BX24.js still makes an ajaxError, as a success, like the fetch transport', async () => {
    for (const error of [null, '', 0, false]) {
      const bx24 = fakeBx24(table({ 'im.dialog.writing': { status: 200, body: { error, result: { ok: 1 } } } }));
      await expect(
        createBx24Transport(bx24).call('im.dialog.writing', { DIALOG_ID: '1' }),
        JSON.stringify(error),
      ).resolves.toEqual({ ok: 1 });
    }
  });

  it('classifies a 3xx/4xx answer whose error is an empty string by its status, as one without error, like the fetch transport', async () => {
    // `{ "error": "" }` is no portal error (no code): a proxy's 404 or 403 with it stops an indicator as `input` or
    // `access`, not as a `server` error that the scheduler retries.
    for (const [status, kind] of [
      [404, 'input'],
      [403, 'access'],
      [429, 'rate'],
    ] as const) {
      const body = { error: '', error_description: 'Not here' };
      const bx24 = fakeBx24(table({ 'im.dialog.writing': { status, body } }));
      await expect(createBx24Transport(bx24).call('im.dialog.writing', { DIALOG_ID: '1' })).rejects.toMatchObject({
        code: 'ERROR_UNEXPECTED_ANSWER',
        kind,
        status,
      });
    }
  });

  it('rejects a 2xx JSON reply without a result (no envelope: `{}`, `{ error: null }`, a proxy’s JSON) instead of resolving undefined', async () => {
    for (const body of [{}, { error: null }, { status: 'ok' }]) {
      const bx24 = fakeBx24(table({ 'im.dialog.writing': { status: 200, body } }));
      await expect(
        createBx24Transport(bx24).call('im.dialog.writing', { DIALOG_ID: '1' }),
        JSON.stringify(body),
      ).rejects.toMatchObject({ name: 'B24Error', code: 'ERROR_UNEXPECTED_ANSWER', kind: 'server', status: 200 });
    }
  });

  it('gets no answer from BX24.js after a 5xx (QUERY_LIMIT_EXCEEDED 503 too), a body that is not JSON or a failed connection: a timeout', async () => {
    for (const reply of [
      fail(503, 'QUERY_LIMIT_EXCEEDED', 'Too many requests'),
      { status: 502, text: '<html>Bad gateway</html>' },
      { status: 403, text: '<html>Blocked</html>' },
      'network' as const,
    ]) {
      const bx24 = fakeBx24(table({ 'im.dialog.writing': reply }));
      const transport = createBx24Transport(bx24, { timeoutMs: 50 });
      await expect(transport.call('im.dialog.writing', { DIALOG_ID: '1' })).rejects.toMatchObject({
        code: 'TIMEOUT',
        kind: 'timeout',
      });
      expect(bx24.state.thrown).toEqual(['Query error!']);
    }
  });

  it("maps a BX24-like's error without ex (not BX24.js's own shape) by its status: 0 is a network error", async () => {
    const answer = (error: unknown): Bx24Like => ({
      callMethod: (_method, _params, callback) =>
        setTimeout(() => callback({ data: () => undefined, error: () => error })),
    });
    await expect(
      createBx24Transport(answer({ status: 0 })).call('im.dialog.writing', { DIALOG_ID: '1' }),
    ).rejects.toMatchObject({ code: 'NETWORK_ERROR', kind: 'network' });
    for (const [status, kind] of [
      [504, 'timeout'],
      [502, 'server'],
      [200, 'server'],
    ] as const) {
      await expect(
        createBx24Transport(answer({ status })).call('im.dialog.writing', { DIALOG_ID: '1' }),
      ).rejects.toMatchObject({ code: 'ERROR_UNEXPECTED_ANSWER', kind, status });
    }
  });

  it("maps a BX24-like's error() given as a bare code as it maps that code in ex: with its status (core's classifyError)", async () => {
    const answer = (error: unknown, status: number): Bx24Like => ({
      callMethod: (_method, _params, callback) =>
        setTimeout(() => callback({ data: () => undefined, error: () => error, status })),
    });
    for (const [code, status, expected] of [
      // a code core does not list goes by its status: 401 auth, 403 access (was `server`, the status dropped)
      ['SOME_NEW_AUTH_CODE', 401, { code: 'SOME_NEW_AUTH_CODE', kind: 'auth', status: 401 }],
      ['SOME_NEW_CODE', 403, { code: 'SOME_NEW_CODE', kind: 'access', status: 403 }],
      ['CHAT_NOT_FOUND', 400, { code: 'CHAT_NOT_FOUND', kind: 'input', status: 400 }],
      // BX.rest's "never reached the portal", as in ex
      ['ERROR_NETWORK', 0, { code: 'NETWORK_ERROR', kind: 'network', status: undefined }],
    ] as const) {
      const bare = createBx24Transport(answer(code, status)).call('im.dialog.writing', { DIALOG_ID: '1' });
      await expect(bare, code).rejects.toMatchObject({ name: 'B24Error', ...expected });
      const inEx = createBx24Transport(answer({ status, ex: { error: code } }, status));
      await expect(inEx.call('im.dialog.writing', { DIALOG_ID: '1' }), code).rejects.toMatchObject(expected);
    }
  });

  it("reads a BX24-like's falsy error() as a success, an empty string too (Bx24AjaxResult: falsy on success)", async () => {
    for (const error of [undefined, null, false, 0, '']) {
      const bx24: Bx24Like = {
        callMethod: (_method, _params, callback) =>
          setTimeout(() => callback({ data: () => true, error: () => error, status: 200 })),
      };
      await expect(
        createBx24Transport(bx24).call('im.dialog.writing', { DIALOG_ID: '1' }),
        JSON.stringify(error),
      ).resolves.toBe(true);
    }
  });

  it("reads a BX24-like's status-only answer from 300 up as a failure, and one below 300 as a success", async () => {
    // BX24.js itself never calls back after a 300 (ajax.isSuccess takes 304 and 4xx only), so a wrapper that
    // does: the first 3xx is a redirect like the others (input), the last 2xx what it says it is.
    const answer = (status: number, result: unknown): Bx24Like => ({
      callMethod: (_method, _params, callback) =>
        setTimeout(() => callback({ data: () => result, error: () => undefined, status })),
    });
    await expect(
      createBx24Transport(answer(300, {})).call('im.dialog.writing', { DIALOG_ID: '1' }),
    ).rejects.toMatchObject({ code: 'ERROR_UNEXPECTED_ANSWER', kind: 'input', status: 300 });
    await expect(createBx24Transport(answer(299, true)).call('im.dialog.writing', { DIALOG_ID: '1' })).resolves.toBe(
      true,
    );
  });

  it('classifies a request that never reached the portal, which BX.rest (on-premises) reports as ERROR_NETWORK with status 0, as network (call and batch command)', async () => {
    // BX24.js throws instead of calling back (a timeout, above); BX.rest and BX.RestClient call back.
    const bx = fakeBx24(table({ 'im.dialog.writing': 'network', batch: 'network' }), { client: 'BX.rest' });
    const transport = createBx24Transport(bx);
    const one = { method: 'im.dialog.writing', params: { DIALOG_ID: '1' } };
    await expect(transport.call(one.method, one.params)).rejects.toMatchObject({
      name: 'B24Error',
      code: 'NETWORK_ERROR',
      kind: 'network',
      status: undefined,
    });
    expect(await transport.batch!([one, one])).toEqual([
      { ok: false, error: expect.objectContaining({ code: 'NETWORK_ERROR', kind: 'network' }) },
      { ok: false, error: expect.objectContaining({ code: 'NETWORK_ERROR', kind: 'network' }) },
    ]);
    // A reply that did come but could not be read (a 5xx, a page that is not JSON) reached a server: still `server`.
    // BX.rest reads no 5xx, so a 503 loses its status with its body, QUERY_LIMIT_EXCEEDED too (an on-premises portal
    // has no such limit): nothing is left to tell it from a 500.
    for (const reply of [
      { status: 502, text: '<html>Bad gateway</html>' },
      { status: 200, text: '<html>' },
      { status: 503 },
      fail(503, 'QUERY_LIMIT_EXCEEDED', 'Too many requests'),
    ]) {
      const unreadable = createBx24Transport(fakeBx24(table({ 'im.dialog.writing': reply }), { client: 'BX.rest' }));
      await expect(unreadable.call(one.method, one.params)).rejects.toMatchObject({
        code: 'ERROR_UNEXPECTED_ANSWER',
        kind: 'server',
        status: undefined,
      });
    }
  });

  it('maps a rate limit answer that reaches the callback (429) to kind rate', async () => {
    const transport = createBx24Transport(
      fakeBx24(table({ 'im.dialog.writing': fail(429, 'QUERY_LIMIT_EXCEEDED', 'Too many requests') })),
    );
    await expect(transport.call('im.dialog.writing', { DIALOG_ID: '1' })).rejects.toMatchObject({
      kind: 'rate',
      status: 429,
    });
  });

  it('batches through callBatch as an array of { method, params } with bHaltOnError false, and maps each command', async () => {
    const bx24 = fakeBx24(
      table({
        'im.dialog.writing': ok(true),
        'imbot.v2.Chat.InputAction.notify': fail(400, 'ACCESS_DENIED', 'Access denied'),
      }),
    );
    const transport = createBx24Transport(bx24);
    const calls = [
      { method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } },
      { method: 'imbot.v2.Chat.InputAction.notify', params: { botId: 1, dialogId: 'chat1', duration: 30 } },
      { method: 'im.dialog.writing', params: { DIALOG_ID: '2' } },
    ];
    const results = await transport.batch!(calls);
    expect(results).toEqual([
      { ok: true, result: true },
      { ok: false, error: expect.objectContaining({ code: 'ACCESS_DENIED', kind: 'access' }) },
      { ok: true, result: true },
    ]);
    // BX24.js gives a command the batch's HTTP status (200); the command's error has none of its own, as core's
    // parseBatchResult reads the same reply for the other transports.
    expect((results[1] as { error: B24Error }).error.status).toBeUndefined();
    expect(bx24.asked).toEqual([['batch', calls, false]]);
    // halt=0: every command runs, whatever the one before it did.
    expect(bx24.state.sent).toEqual([
      'batch: auth=a1b2c3d4e5f6a7b8c9d0&halt=0&cmd[0]=im.dialog.writing%3FDIALOG_ID%3Dchat1' +
        '&cmd[1]=imbot.v2.Chat.InputAction.notify%3FbotId%3D1%26dialogId%3Dchat1%26duration%3D30' +
        '&cmd[2]=im.dialog.writing%3FDIALOG_ID%3D2',
    ]);
  });

  it('reads a command BX24.js left out of the results (neither result nor error in the reply) as skipped, and keeps the others', async () => {
    const bx24 = fakeBx24((method) =>
      method === 'batch'
        ? ok({ result: { 0: true, 2: true }, result_error: [], result_total: [], result_next: [], result_time: [] })
        : undefined,
    );
    const results = await createBx24Transport(bx24).batch!([
      { method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } },
      { method: 'im.dialog.writing', params: { DIALOG_ID: 'chat2' } },
      { method: 'im.dialog.writing', params: { DIALOG_ID: 'chat3' } },
    ]);
    expect(results).toEqual([
      { ok: true, result: true },
      { ok: false, error: expect.objectContaining({ code: 'BATCH_COMMAND_SKIPPED', kind: 'server' }) },
      { ok: true, result: true },
    ]);
  });

  it('gets no answer from BX24.js for a batch that failed as a whole: a timeout', async () => {
    const bx24 = fakeBx24((method) =>
      method === 'batch' ? fail(401, 'NO_AUTH_FOUND', 'Wrong authorization data') : undefined,
    );
    const transport = createBx24Transport(bx24, { timeoutMs: 50 });
    await expect(
      transport.batch!([{ method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } }]),
    ).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(bx24.state.thrown).toEqual([expect.any(TypeError)]);
  });

  it('has no batch when the BX24 object has no callBatch', () => {
    expect(createBx24Transport({ callMethod() {} }).batch).toBeUndefined();
  });

  it('rejects at once on abort and ignores the late answer', async () => {
    const transport = createBx24Transport(fakeBx24(table({ 'im.dialog.writing': ok(true) })));
    const controller = new AbortController();
    const pending = transport.call('im.dialog.writing', { DIALOG_ID: '1' }, { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED', kind: 'network' });
  });

  it('rejects an already aborted call, batch and empty batch alike, without asking BX24', async () => {
    const bx24 = fakeBx24(table({ 'im.dialog.writing': ok(true) }));
    const transport = createBx24Transport(bx24);
    const signal = AbortSignal.abort();
    const one = { method: 'im.dialog.writing', params: { DIALOG_ID: '1' } };
    for (const pending of [
      transport.call(one.method, one.params, { signal }),
      transport.batch!([one], { signal }),
      transport.batch!([], { signal }),
    ]) {
      await expect(pending).rejects.toMatchObject({ name: 'B24Error', code: 'ABORTED', kind: 'network' });
    }
    expect(bx24.asked).toEqual([]);
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
      for (const callback of callbacks) callback({ data: () => true, error: () => undefined }); // too late: ignored
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
      const answering = createBx24Transport(fakeBx24(table({ 'im.dialog.writing': ok(true) })));
      const answered = answering.call('im.dialog.writing', { DIALOG_ID: '1' });
      await vi.advanceTimersByTimeAsync(1);
      await expect(answered).resolves.toBe(true);
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

  it('refuses params BX24.js cannot encode (a cycle, a lone surrogate, at any depth) as input, not as a network error to retry', async () => {
    // BX24.js encodes the params (prepareData: name[key]=value through encodeURIComponent, recursing into objects)
    // before it sends anything: a cycle overflows the stack (RangeError) and a lone surrogate is a URIError, thrown
    // synchronously by callMethod or callBatch. It was a BX24_ERROR of kind network, which a scheduler retries; the
    // transport now refuses them before BX24 is asked.
    const fields: Record<string, unknown> = { TITLE: 'x' };
    fields.self = fields;
    const bad = [
      { DIALOG_ID: 'chat1', fields },
      { DIALOG_ID: 'chat1', fields: { MESSAGE: 'cut \uD83D' } },
      { DIALOG_ID: 'chat1', fields: { list: [{ '\uDE00': 1 }] } },
    ];
    const bx24 = fakeBx24(table({ 'im.dialog.writing': ok(true) }));
    const transport = createBx24Transport(bx24);
    const rule = 'encodable by BX24.js';
    for (const params of bad) {
      await expect(transport.call('im.dialog.writing', params)).rejects.toMatchObject({
        name: 'B24InputError',
        kind: 'input',
        field: 'params',
        rule,
      });
      const batch = transport.batch!([
        { method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } },
        { method: 'im.dialog.writing', params },
      ]);
      await expect(batch).rejects.toMatchObject({ name: 'B24InputError', kind: 'input', field: 'params', rule });
    }
    expect(bx24.asked).toEqual([]);
    // Well-formed params still go out.
    await expect(transport.call('im.dialog.writing', { DIALOG_ID: 'chat1', text: '\uD83D\uDE00' })).resolves.toBe(true);
  });

  it('refuses params on which BX24.js throws a TypeError (a symbol value, an object without a prototype) as input, not as a network error to retry', async () => {
    // BX24.js's prepareData (api/v1) puts every value that is not an object through encodeURIComponent, which throws a
    // TypeError on a symbol, and calls `arData.hasOwnProperty(i)` on every object it walks, a TypeError on one made
    // with Object.create(null). Both come from the params, synchronously, before anything is sent: retrying cannot
    // help. They were BX24_ERROR of kind network, which core retries with the same params.
    const bare = Object.assign(Object.create(null) as object, { MESSAGE: 'x' });
    const bad = [
      { DIALOG_ID: 'chat1', fields: { id: Symbol('id') } },
      { DIALOG_ID: 'chat1', fields: bare },
      Object.assign(Object.create(null) as object, { DIALOG_ID: 'chat1' }) as Record<string, unknown>,
    ];
    const bx24 = fakeBx24(table({ 'im.dialog.writing': ok(true) }));
    const transport = createBx24Transport(bx24);
    for (const params of bad) await expectUnencodable(transport, params);
    expect(bx24.asked).toEqual([]);
    // What prepareData takes stays as it was: a BigInt goes through encodeURIComponent as its digits, an empty object
    // or one made with Object.create(null) but empty adds nothing, a symbol key is not walked, null is left out.
    const fine = { DIALOG_ID: 'chat1', n: 10n, empty: Object.create(null), [Symbol('s')]: 1, none: null };
    await expect(transport.call('im.dialog.writing', fine)).resolves.toBe(true);
    await expect(transport.batch!([{ method: 'im.dialog.writing', params: fine }])).resolves.toEqual([
      { ok: true, result: true },
    ]);
    expect(bx24.state.sent[0]).toBe('im.dialog.writing: auth=a1b2c3d4e5f6a7b8c9d0&DIALOG_ID=chat1&n=10');
  });

  it('refuses a boxed primitive param (new String, Object(2), of any realm), which BX24.js sends mangled or not at all, as input', async () => {
    // BX24.js's prepareData walks every value of type `object` as params of its own: a Number, Boolean, BigInt or
    // Symbol object has no own keys and was left out (the param lost, without an error); a String object of this realm
    // (util.type.isString: `instanceof String`) was appended as its bare text, unescaped and without its name
    // (`&a%26b=c` read back as a param `a` and a param `b`), one of another realm walked as its characters (`x[0]=a`).
    // The fetch transport sends each as its primitive (core's encodePhpQuery); here BX24.js encodes the params the
    // app passed, which the transport does not copy: such a param is refused before BX24 is asked.
    const boxed = [
      new String('a'),
      new String(''),
      new Number(2),
      Object(true),
      Object(3n),
      Object(Symbol('id')),
      runInNewContext('new String("a")'),
      runInNewContext('Object(2)'),
    ];
    const bx24 = fakeBx24(table({ 'im.dialog.writing': ok(true) }));
    const transport = createBx24Transport(bx24);
    for (const value of boxed) {
      await expectUnencodable(transport, { DIALOG_ID: 'chat1', value });
      await expectUnencodable(transport, { DIALOG_ID: 'chat1', fields: { list: [1, value] } });
    }
    expect(bx24.asked).toEqual([]);
    // Primitives, a Date and an object whose tag only contains such a word (a class tagged `BigNumber`) still go out.
    const tagged = { [Symbol.toStringTag]: 'BigNumber', digits: '12' };
    const fine = { DIALOG_ID: 'chat1', s: 'a', n: 2, b: true, at: new Date(0), big: tagged };
    await expect(transport.call('im.dialog.writing', fine)).resolves.toBe(true);
    await expect(transport.batch!([{ method: 'im.dialog.writing', params: fine }])).resolves.toEqual([
      { ok: true, result: true },
    ]);
    expect(bx24.state.sent[0]).toBe(
      'im.dialog.writing: auth=a1b2c3d4e5f6a7b8c9d0&DIALOG_ID=chat1&s=a&n=2&b=true&at=1970-01-01T00%3A00%3A00.000Z&big[digits]=12',
    );
  });

  it('refuses params BX24.js cannot encode before asking it, for a call it would queue (before init, or while it refreshes an expired token)', async () => {
    // BX24.js's ajax() does not send a call made before it is initialised (it runs it from BX24.init, 10 ms later in a
    // timer) nor one made once its token has expired (it asks the parent frame for a new one and sends from the
    // answer's message event): prepareData runs only then, so a bad param threw in that timer or event, an uncaught
    // page error, and the call settled only by its timeout (kind timeout, retried). This BX24 queues every call as
    // BX24.js does before init; the encoding is the fake's (BX24.js's prepareData).
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const bx24 = fakeBx24(table({ 'im.dialog.writing': ok(true) }));
      const queued: unknown[] = [];
      const transport = createBx24Transport({
        callMethod(method, params, callback) {
          queued.push(method);
          setTimeout(() => bx24.callMethod(method, params, callback), 10);
        },
      });
      const fields: Record<string, unknown> = { TITLE: 'x' };
      fields.self = fields;
      const bad = [
        { DIALOG_ID: 'chat1', fields },
        { DIALOG_ID: 'chat1', fields: { MESSAGE: 'cut \uD83D' } },
        { DIALOG_ID: 'chat1', fields: { id: Symbol('id') } },
        { DIALOG_ID: 'chat1', fields: Object.assign(Object.create(null) as object, { MESSAGE: 'x' }) },
      ];
      for (const params of bad) {
        let outcome: unknown;
        transport.call('im.dialog.writing', params).catch((e: unknown) => {
          outcome = e;
        });
        await vi.advanceTimersByTimeAsync(0);
        expect(outcome).toMatchObject({ name: 'B24InputError', kind: 'input', field: 'params' });
      }
      expect(queued).toEqual([]);
      expect(vi.getTimerCount()).toBe(0);
      // A good call is queued and answered.
      const good = transport.call('im.dialog.writing', { DIALOG_ID: 'chat1', n: 10n });
      await vi.advanceTimersByTimeAsync(11);
      await expect(good).resolves.toBe(true);
      expect(bx24.state.sent).toEqual(['im.dialog.writing: auth=a1b2c3d4e5f6a7b8c9d0&DIALOG_ID=chat1&n=10']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('rejects bad input before asking BX24', async () => {
    const bx24 = fakeBx24(table({}));
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
        const bx24 = fakeBx24(table({}));
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

  it("rejects a batch call whose method or params getter (or a Proxy's trap) throws as an input error naming it as checkBatch does, its error not kept, before asking BX24", async () => {
    const bx24 = fakeBx24(table({ 'im.dialog.writing': ok(true) }));
    const transport = createBx24Transport(bx24);
    for (const [calls, field, rule] of unreadableBatches()) {
      const error = await transport.batch!(calls as never).catch((e: unknown) => e);
      expect(error, field).toMatchObject({ name: 'B24InputError', kind: 'input', field, rule });
      expect((error as Error).cause, field).toBeUndefined();
      expect(everythingShown(error), field).not.toContain(UNREADABLE_SECRET);
    }
    expect(bx24.asked).toEqual([]);
  });

  it('checks the input before the signal: a bad call with an aborted signal is an input error', async () => {
    const transport = createBx24Transport(fakeBx24(table({})));
    await expect(transport.call('', {}, { signal: AbortSignal.abort() })).rejects.toMatchObject({ kind: 'input' });
  });
});
