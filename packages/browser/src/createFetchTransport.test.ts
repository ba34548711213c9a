import { getEventListeners } from 'node:events';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IndicatorEvent } from '@b24-typing/core';
import { B24InputError, createIndicators } from '@b24-typing/core';
import type { Emulator } from '@b24-typing/emulator';
import { startEmulator } from '@b24-typing/emulator';
import { Subject } from 'rxjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { everythingShown } from '../test/everythingShown';
import { expectNoSecretShown, expectSecretsCut } from '../test/expectSecretsCut';
import { openDomPage } from '../test/domPage';
import { UNREADABLE_SECRET, unreadableBatches } from '../test/unreadableBatches';
import { createFetchTransport } from './createFetchTransport';

// The emulator's clock is ours, so tokens expire without waiting an hour.
let clock = Date.now();
let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ plan: 'off', now: () => clock });
});
afterAll(() => emulator?.close());
beforeEach(() => emulator.reset());

/**
 * What an app's `auth` does: hand out the token it holds; on `refresh`, trade the refresh token at the OAuth
 * server (here the emulator's `/oauth/token/`, in an app its own backend) and keep the new pair.
 */
function oauthSession(tokens = emulator.issueToken(1)) {
  const session = { access: tokens.accessToken, refresh: tokens.refreshToken, refreshes: 0, asked: 0 };
  const auth = async ({ refresh }: { refresh: boolean }) => {
    session.asked++;
    if (!refresh) return session.access;
    session.refreshes++;
    const { clientId, clientSecret } = emulator.fixtures.app;
    const query = new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: clientId,
      client_secret: clientSecret,
      refresh_token: session.refresh,
    });
    const response = await fetch(`${emulator.oauthUrl}?${query}`);
    const body = (await response.json()) as { access_token: string; refresh_token: string };
    if (!response.ok) throw new Error(`refresh failed: ${response.status}`);
    session.access = body.access_token;
    session.refresh = body.refresh_token;
    return session.access;
  };
  return { session, auth };
}

const calls = () => emulator.timeline().filter((e) => e.kind === 'call');

/**
 * The real fetch, counted here rather than by the emulator: a request an earlier test aborted may still reach the
 * emulator after its reset().
 */
function countedFetch() {
  const counted = {
    requests: 0,
    fetch: ((input, init) => {
      counted.requests++;
      return fetch(input, init);
    }) as typeof fetch,
  };
  return counted;
}

describe('createFetchTransport against the emulator', () => {
  it('calls a method with the OAuth token and resolves with the envelope result', async () => {
    const { auth } = oauthSession();
    const transport = createFetchTransport({ clientEndpoint: emulator.restUrl, auth });
    await expect(transport.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
    expect(calls()).toEqual([
      expect.objectContaining({
        method: 'im.dialog.writing',
        dialogId: 'chat1',
        senderId: 1,
        auth: 'oauth',
        shown: true,
      }),
    ]);
  });

  it('sends a token that auth() returns with a line break or blanks around it (read from a file, a text reply) without them', async () => {
    const tokens = emulator.issueToken(1);
    const bodies: string[] = [];
    const transport = createFetchTransport({
      clientEndpoint: emulator.restUrl,
      auth: () => ` ${tokens.accessToken}\r\n`,
      fetch: (input, init) => {
        bodies.push(String(init?.body));
        return fetch(input, init);
      },
    });
    await expect(transport.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
    expect(new URLSearchParams(bodies[0]).get('auth')).toBe(tokens.accessToken);
    // Blanks alone are no token: refused before any request.
    const counted = countedFetch();
    const blank = createFetchTransport({ clientEndpoint: emulator.restUrl, auth: () => ' \n', fetch: counted.fetch });
    await expect(blank.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).rejects.toMatchObject({
      code: 'NO_AUTH_FOUND',
      kind: 'auth',
    });
    expect(counted.requests).toBe(0);
  });

  it('keeps the token out of the URL and sends a form body (a CORS simple request: no preflight)', async () => {
    const tokens = emulator.issueToken(1);
    const seen: { url: string; init: RequestInit | undefined }[] = [];
    const transport = createFetchTransport({
      clientEndpoint: emulator.restUrl,
      auth: () => tokens.accessToken,
      fetch: (input, init) => {
        seen.push({ url: String(input), init });
        return fetch(input, init);
      },
    });
    await transport.call('im.dialog.writing', { DIALOG_ID: 'chat1' });
    expect(seen.map((s) => s.url)).toEqual([`${emulator.restUrl}im.dialog.writing`]);
    const init = seen[0]!.init!;
    expect(init.method).toBe('POST');
    expect(init.headers).toEqual({ 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' });
    expect(Object.fromEntries(new URLSearchParams(String(init.body)))).toEqual({
      DIALOG_ID: 'chat1',
      auth: tokens.accessToken,
    });
  });

  it('classifies a portal error by its code and keeps the HTTP status', async () => {
    const { auth } = oauthSession();
    const transport = createFetchTransport({ clientEndpoint: emulator.restUrl, auth });
    await expect(transport.call('im.dialog.writing', { DIALOG_ID: 'nonsense' })).rejects.toMatchObject({
      name: 'B24Error',
      code: 'DIALOG_ID_EMPTY',
      kind: 'input',
      status: 400,
    });
    await expect(transport.call('im.dialog.writing', { DIALOG_ID: '1' })).rejects.toMatchObject({
      code: 'ACCESS_ERROR', // user 1 writing to themselves
      kind: 'access',
      status: 403,
    });
  });

  it('on expired_token asks auth({ refresh: true }) once and retries', async () => {
    const { session, auth } = oauthSession();
    const transport = createFetchTransport({ clientEndpoint: emulator.restUrl, auth });
    clock += 3_601_000; // the 1 h token has lapsed
    await expect(transport.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
    expect(session.refreshes).toBe(1);
    expect(calls().map((c) => c.error)).toEqual(['expired_token', null]);
  });

  it('shares one refresh between concurrent calls that hit the same expired token', async () => {
    const { session, auth } = oauthSession();
    const transport = createFetchTransport({ clientEndpoint: emulator.restUrl, auth });
    clock += 3_601_000;
    const results = await Promise.all(
      ['chat1', 'chat2', '2', '3'].map((d) => transport.call('im.dialog.writing', { DIALOG_ID: d })),
    );
    expect(results).toEqual([true, true, true, true]);
    expect(session.refreshes).toBe(1);
    // A later call that still used the stale token reuses the refreshed one instead of refreshing again.
    await expect(transport.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
    expect(session.refreshes).toBe(1);
  });

  it('retries only once: a token that stays expired is an auth error', async () => {
    const stale = emulator.issueToken(1);
    let refreshes = 0;
    const transport = createFetchTransport({
      clientEndpoint: emulator.restUrl,
      auth: ({ refresh }) => {
        if (refresh) refreshes++;
        return stale.accessToken; // a broken refresh that hands back the same token
      },
    });
    clock += 3_601_000;
    const error = await transport.call('im.dialog.writing', { DIALOG_ID: 'chat1' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'expired_token', kind: 'auth', status: 401 });
    expect(refreshes).toBe(1);
    expect(calls()).toHaveLength(2);
  });

  it('asks again after a refresh that handed back the stale token, instead of reusing that one for good', async () => {
    const { session, auth } = oauthSession();
    const stale = session.access;
    let broken = true; // the app's first refresh returns the token it already had (a stale cache, say)
    const transport = createFetchTransport({
      clientEndpoint: emulator.restUrl,
      auth: (request) => {
        if (!(request.refresh && broken)) return auth(request);
        broken = false;
        return stale;
      },
    });
    clock += 3_601_000;
    await expect(transport.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).rejects.toMatchObject({
      code: 'expired_token',
    });
    await expect(transport.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
    expect(session.refreshes).toBe(1);
    expect(calls().map((c) => c.error)).toEqual(['expired_token', 'expired_token', 'expired_token', null]);
  });

  it('forgets a failed refresh, starts a new one for another stale token, and shares the one in progress', async () => {
    // A portal that knows one good token; `auth` hands out `current` and refreshes to `fresh` (the first time, it fails).
    let current = 'stale-1';
    let refreshes = 0;
    const fetch = async (_input: unknown, init?: RequestInit) => {
      const good = new URLSearchParams(String(init?.body)).get('auth') === 'fresh';
      return new Response(JSON.stringify(good ? { result: true } : { error: 'expired_token' }), {
        status: good ? 200 : 401,
      });
    };
    const transport = createFetchTransport({
      clientEndpoint: 'https://example.bitrix24.com/rest/',
      fetch: fetch as typeof globalThis.fetch,
      auth: async ({ refresh }) => {
        if (!refresh) return current;
        refreshes++;
        if (refreshes === 1) throw new Error('refresh endpoint down');
        return 'fresh';
      },
    });
    const call = () => transport.call('im.dialog.writing', { DIALOG_ID: 'chat1' });
    await expect(call()).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    await expect(call()).resolves.toBe(true); // the failed refresh was forgotten: asked again
    expect(refreshes).toBe(2);
    await expect(call()).resolves.toBe(true); // the same stale token: the refresh already done is reused
    expect(refreshes).toBe(2);
    current = 'stale-2';
    await expect(Promise.all([call(), call()])).resolves.toEqual([true, true]); // another one: one new refresh
    expect(refreshes).toBe(3);
    current = 'stale-1'; // back to the first: that refresh was replaced, so a new one
    await expect(call()).resolves.toBe(true);
    expect(refreshes).toBe(4);
  });

  it('reports a failing refresh as kind auth, without the token or the cause text in the message', async () => {
    const tokens = emulator.issueToken(1);
    const transport = createFetchTransport({
      clientEndpoint: emulator.restUrl,
      auth: ({ refresh }) => {
        if (refresh) throw new Error(`refresh with ${tokens.refreshToken} failed`);
        return tokens.accessToken;
      },
    });
    clock += 3_601_000;
    const error = await transport.call('im.dialog.writing', { DIALOG_ID: 'chat1' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'B24Error', code: 'AUTH_FAILED', kind: 'auth' });
    const shown = everythingShown(error);
    expect(shown).not.toContain(tokens.accessToken);
    expect(shown).not.toContain(tokens.refreshToken);
  });

  it('keeps the access token out of error texts in which the portal quotes it back (call and batch command)', async () => {
    const tokens = emulator.issueToken(1);
    emulator.addFault({
      method: 'im.dialog.writing',
      status: 400,
      error: 'ERROR_ARGUMENT',
      description: `Wrong auth "${tokens.accessToken}"`,
    });
    const transport = createFetchTransport({ clientEndpoint: emulator.restUrl, auth: () => tokens.accessToken });
    const error = await transport.call('im.dialog.writing', { DIALOG_ID: 'chat1' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERROR_ARGUMENT', kind: 'input', status: 400 });
    const [item] = await transport.batch!([{ method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } }]);
    expect(item).toMatchObject({ ok: false, error: { code: 'ERROR_ARGUMENT', kind: 'input' } });
    for (const shown of [error, (item as { error: unknown }).error]) {
      expect((shown as Error).message).toBe('ERROR_ARGUMENT: Wrong auth "***"');
      const text = everythingShown(shown);
      expect(text).not.toContain(tokens.accessToken);
    }
  });

  it('keeps a bot token and a CLIENT_ID out of error texts in which the portal quotes them back (call, batch command, batch)', async () => {
    const tokens = emulator.issueToken(1);
    // Characters a JSON encoder escapes (`"`, `/`, `\`) and a URL encoder too (`&`, `%`): cut out whatever the escaping.
    const botToken = 'b0t"Tok/en\\&%41';
    const clientId = 'app.legacy42';
    const quote = (secret: string) => `Wrong token "${secret}" (${encodeURIComponent(secret)})`;
    emulator.addFault({
      method: 'imbot.v2.Chat.InputAction.notify',
      status: 400,
      error: 'ERROR_ARGUMENT',
      description: quote(botToken),
    });
    emulator.addFault({
      method: 'imbot.chat.sendTyping',
      status: 400,
      error: 'ERROR_ARGUMENT',
      description: quote(clientId),
    });
    const transport = createFetchTransport({ clientEndpoint: emulator.restUrl, auth: () => tokens.accessToken });
    const notify = { method: 'imbot.v2.Chat.InputAction.notify', params: { botId: 7, botToken, dialogId: 'chat1' } };
    const legacy = { method: 'imbot.chat.sendTyping', params: { DIALOG_ID: 'chat1', CLIENT_ID: clientId } };
    const errors: unknown[] = [];
    for (const { method, params } of [notify, legacy]) {
      errors.push(await transport.call(method, params).catch((e: unknown) => e));
    }
    for (const item of await transport.batch!([notify, legacy])) errors.push((item as { error?: unknown }).error);
    // A batch refused as a whole, quoting a command (its query, URL-encoded as it went out).
    emulator.clearFaults();
    emulator.addFault({
      method: 'batch',
      status: 400,
      error: 'ERROR_ARGUMENT',
      description: quote(botToken),
      times: 1,
    });
    errors.push(await transport.batch!([notify]).catch((e: unknown) => e));
    expect(errors).toHaveLength(5);
    expectSecretsCut(errors, [botToken, clientId]);
  });

  it('sends a batch as one request and maps each command back, in order', async () => {
    const { auth } = oauthSession();
    const transport = createFetchTransport({ clientEndpoint: emulator.restUrl, auth });
    const results = await transport.batch!([
      { method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } },
      { method: 'im.dialog.writing', params: { DIALOG_ID: 'nonsense' } },
      { method: 'im.dialog.writing', params: { DIALOG_ID: '2' } },
    ]);
    expect(results).toEqual([
      { ok: true, result: true },
      { ok: false, error: expect.objectContaining({ name: 'B24Error', code: 'DIALOG_ID_EMPTY', kind: 'input' }) },
      { ok: true, result: true },
    ]);
    expect(emulator.stats()).toMatchObject({ requests: 1, batches: 1 });
    expect(
      calls()
        .filter((c) => c.method === 'im.dialog.writing')
        .map((c) => c.dialogId),
    ).toEqual(['chat1', 'nonsense', '2']);
  });

  it('refreshes an expired token for a batch too', async () => {
    const { session, auth } = oauthSession();
    const transport = createFetchTransport({ clientEndpoint: emulator.restUrl, auth });
    clock += 3_601_000;
    await expect(transport.batch!([{ method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } }])).resolves.toEqual([
      { ok: true, result: true },
    ]);
    expect(session.refreshes).toBe(1);
  });
  it('on invalid_token refreshes once and retries too, as the jssdk does (reference §6, §9.1)', async () => {
    const { session, auth } = oauthSession();
    emulator.addFault({ method: 'im.dialog.writing', status: 401, error: 'invalid_token', times: 1 });
    const transport = createFetchTransport({ clientEndpoint: emulator.restUrl, auth });
    await expect(transport.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
    expect(session.refreshes).toBe(1);
  });

  it('sends a batch as halt=0 and each command as a double-encoded method?query (reference §8)', async () => {
    const tokens = emulator.issueToken(1);
    const bodies: string[] = [];
    const transport = createFetchTransport({
      clientEndpoint: emulator.restUrl,
      auth: () => tokens.accessToken,
      fetch: (input, init) => {
        bodies.push(String(init?.body));
        return fetch(input, init);
      },
    });
    await transport.batch!([
      { method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } },
      { method: 'imbot.v2.Chat.InputAction.notify', params: { botId: 1, dialogId: 'chat 1', fields: { a: [1, 2] } } },
    ]);
    expect(bodies).toEqual([
      'halt=0&cmd[0]=im.dialog.writing%3FDIALOG_ID%3Dchat1' +
        '&cmd[1]=imbot.v2.Chat.InputAction.notify%3FbotId%3D1%26dialogId%3Dchat%25201%26fields%5Ba%5D%5B0%5D%3D1%26fields%5Ba%5D%5B1%5D%3D2' +
        `&auth=${tokens.accessToken}`,
    ]);
  });
});

describe('createFetchTransport failures', () => {
  const transport = () => createFetchTransport({ clientEndpoint: emulator.restUrl, auth: oauthSession().auth });

  it('classifies QUERY_LIMIT_EXCEEDED as rate', async () => {
    emulator.addFault({ method: 'im.dialog.writing', status: 503, error: 'QUERY_LIMIT_EXCEEDED', times: 1 });
    await expect(transport().call('im.dialog.writing', { DIALOG_ID: 'chat1' })).rejects.toMatchObject({
      code: 'QUERY_LIMIT_EXCEEDED',
      kind: 'rate',
      status: 503,
    });
  });

  it('classifies a reset connection as network', async () => {
    emulator.addFault({ method: 'im.dialog.writing', reset: true, times: 1 });
    await expect(transport().call('im.dialog.writing', { DIALOG_ID: 'chat1' })).rejects.toMatchObject({
      code: 'NETWORK_ERROR',
      kind: 'network',
    });
  });

  it('classifies a body cut off after the headers by its status, as the node transport does (not as a lost connection)', async () => {
    // The reply began (HTTP 200 with its length), then the connection dropped half way: a broken reply.
    emulator.addFault({ method: 'im.dialog.writing', truncate: true, reset: true, times: 1 });
    const error = await transport()
      .call('im.dialog.writing', { DIALOG_ID: 'chat1' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERROR_UNEXPECTED_ANSWER', kind: 'server', status: 200 });
  });

  it('gives up on a hanging request after timeoutMs with kind timeout (fake timers)', async () => {
    const fault = emulator.addFault({ method: 'im.dialog.writing', hang: true });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const t = createFetchTransport({
        clientEndpoint: emulator.restUrl,
        auth: oauthSession().auth,
        timeoutMs: 60_000,
      });
      let settled = false;
      const pending = t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }).catch((e: unknown) => e);
      void pending.then(() => {
        settled = true;
      });
      await vi.waitFor(() => expect(emulator.faults().find((f) => f.id === fault.id)?.hits).toBe(1));
      vi.advanceTimersByTime(59_000);
      await new Promise((resolve) => setImmediate(resolve));
      expect(settled).toBe(false);
      vi.advanceTimersByTime(1_000);
      expect(await pending).toMatchObject({ code: 'TIMEOUT', kind: 'timeout' });
    } finally {
      vi.useRealTimers();
    }
  });

  it("classifies a reply without an envelope by its status alone, as core's classifyError reads a bare status", async () => {
    for (const [status, kind] of [
      [408, 'timeout'], // a gateway that gave up waiting
      [504, 'timeout'],
      [401, 'auth'], // a proxy's own login: no refresh (that takes expired_token), reported, not fatal
      [403, 'access'], // a WAF's block page: the indicator stops instead of retrying
      [404, 'input'], // a wrong endpoint: the same
      [429, 'rate'], // a proxy's rate limit: backs off
      [400, 'input'],
      [503, 'server'], // retried, as are all 5xx
      [502, 'server'],
      [200, 'server'], // a 2xx without an envelope is a broken reply
    ] as const) {
      const page = `<html><head><title>${status}</title></head></html>`;
      emulator.addFault({ method: 'im.dialog.writing', times: 1, status, body: page, contentType: 'text/html' });
      await expect(transport().call('im.dialog.writing', { DIALOG_ID: 'chat1' }), `${status}`).rejects.toMatchObject({
        code: 'ERROR_UNEXPECTED_ANSWER',
        kind,
        status,
      });
    }
    // A gateway's JSON with an `error` object (no portal code) is no envelope either: judged by its status.
    emulator.addFault({
      method: 'im.dialog.writing',
      times: 1,
      status: 429,
      body: '{"error":{"code":429,"message":"Too Many Requests"}}',
      contentType: 'application/json',
    });
    await expect(transport().call('im.dialog.writing', { DIALOG_ID: 'chat1' })).rejects.toMatchObject({
      code: 'ERROR_UNEXPECTED_ANSWER',
      kind: 'rate',
      status: 429,
    });
    // Nor is a 4xx whose JSON happens to have a `result` (a wrong endpoint's API): no success, judged by its status.
    emulator.addFault({
      method: 'im.dialog.writing',
      times: 1,
      status: 404,
      body: '{"result":null,"message":"Not Found"}',
      contentType: 'application/json',
    });
    await expect(transport().call('im.dialog.writing', { DIALOG_ID: 'chat1' })).rejects.toMatchObject({
      code: 'ERROR_UNEXPECTED_ANSWER',
      kind: 'input',
      status: 404,
    });
  });

  it('lets the indicators act on that kind: a WAF page (403) stops the indicator with no retry, a 502 page is retried', async () => {
    for (const status of [403, 502]) {
      emulator.reset();
      const page = `<html><head><title>${status}</title></head></html>`;
      emulator.addFault({ method: 'im.dialog.writing', times: 1, status, body: page, contentType: 'text/html' });
      const counted = countedFetch();
      const { auth } = oauthSession();
      const fetchTransport = createFetchTransport({ clientEndpoint: emulator.restUrl, auth, fetch: counted.fetch });
      const indicators = createIndicators({ transport: fetchTransport });
      const keys = new Subject<void>();
      const events: IndicatorEvent[] = [];
      const sub = indicators.userTyping({ dialogId: 'chat1', keystrokes: keys }).subscribe((e) => events.push(e));
      keys.next();
      await vi.waitFor(() => expect(events.some((e) => e.type === 'sent' || e.type === 'stopped')).toBe(true));
      sub.unsubscribe();
      indicators.dispose();
      if (status === 403) {
        expect(events.find((e) => e.type === 'failed')).toMatchObject({
          fatal: true,
          error: { kind: 'access', status },
        });
        expect(events.find((e) => e.type === 'stopped')).toMatchObject({ reason: 'failed' });
        expect(counted.requests).toBe(1);
      } else {
        expect(events.map((e) => e.type)).toContain('sent'); // the retry went through
        expect(counted.requests).toBe(2);
      }
    }
  });

  it('reads an empty error ({ error: null, result }) as a success, like the node transport and the jssdk', async () => {
    for (const error of [null, '', 0, false]) {
      emulator.addFault({ method: 'im.dialog.writing', times: 1, body: JSON.stringify({ error, result: { ok: 1 } }) });
      await expect(
        transport().call('im.dialog.writing', { DIALOG_ID: 'chat1' }),
        JSON.stringify(error),
      ).resolves.toEqual({
        ok: 1,
      });
    }
    // Without a result it is still no envelope.
    emulator.addFault({ method: 'im.dialog.writing', times: 1, body: '{"error":null}' });
    await expect(transport().call('im.dialog.writing', { DIALOG_ID: 'chat1' })).rejects.toMatchObject({
      code: 'ERROR_UNEXPECTED_ANSWER',
      kind: 'server',
      status: 200,
    });
  });

  it('stops waiting as soon as the signal aborts', async () => {
    emulator.addFault({ method: 'im.dialog.writing', hang: true, times: 1 });
    const controller = new AbortController();
    const pending = createFetchTransport({ clientEndpoint: emulator.restUrl, auth: oauthSession().auth }).call(
      'im.dialog.writing',
      { DIALOG_ID: 'chat1' },
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED', kind: 'network' });
  });

  it('stops waiting for a refresh that hangs as soon as the signal aborts, and leaves no listener on it', async () => {
    const tokens = emulator.issueToken(1);
    let refreshAsked = false;
    const t = createFetchTransport({
      clientEndpoint: emulator.restUrl,
      auth: ({ refresh }) => {
        if (!refresh) return tokens.accessToken;
        refreshAsked = true;
        return new Promise<string>(() => {}); // the app's token endpoint never answers
      },
    });
    clock += 3_601_000;
    const controller = new AbortController();
    const pending = t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }, { signal: controller.signal });
    await vi.waitFor(() => expect(refreshAsked).toBe(true));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'B24Error', code: 'ABORTED', kind: 'network' });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('stops waiting for auth() itself on abort, and leaves nothing on a signal shared by many calls', async () => {
    const tokens = emulator.issueToken(1);
    let hang = true;
    const t = createFetchTransport({
      clientEndpoint: emulator.restUrl,
      auth: () => (hang ? new Promise<string>(() => {}) : tokens.accessToken),
    });
    const shared = new AbortController();
    const pending = t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }, { signal: shared.signal });
    hang = false;
    for (const dialogId of ['chat1', 'chat2']) {
      await expect(t.call('im.dialog.writing', { DIALOG_ID: dialogId }, { signal: shared.signal })).resolves.toBe(true);
    }
    shared.abort();
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED', kind: 'network' });
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
  });

  it('counts timeoutMs over the whole call, waiting for auth() included (fake timers)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const counted = countedFetch();
      const t = createFetchTransport({
        clientEndpoint: emulator.restUrl,
        auth: () => new Promise<string>(() => {}),
        timeoutMs: 5_000,
        fetch: counted.fetch,
      });
      let settled = false;
      const pending = t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }).catch((e: unknown) => e);
      void pending.then(() => {
        settled = true;
      });
      await vi.advanceTimersByTimeAsync(4_999);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(await pending).toMatchObject({ name: 'B24Error', code: 'TIMEOUT', kind: 'timeout' });
      expect(counted.requests).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not even ask for a token when the signal is already aborted', async () => {
    const { session, auth } = oauthSession();
    const counted = countedFetch();
    const t = createFetchTransport({
      clientEndpoint: emulator.restUrl,
      auth,
      fetch: counted.fetch,
    });
    await expect(
      t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }, { signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    expect(session.asked).toBe(0);
    expect(counted.requests).toBe(0);
  });

  it('rejects an already aborted batch, an empty one too, as call and the node transport do, without a token or a request', async () => {
    const { session, auth } = oauthSession();
    const counted = countedFetch();
    const t = createFetchTransport({ clientEndpoint: emulator.restUrl, auth, fetch: counted.fetch });
    const signal = AbortSignal.abort();
    const one = { method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } };
    for (const pending of [t.batch!([one], { signal }), t.batch!([], { signal })]) {
      await expect(pending).rejects.toMatchObject({ name: 'B24Error', code: 'ABORTED', kind: 'network' });
    }
    expect(session.asked).toBe(0);
    expect(counted.requests).toBe(0);
  });
});

describe('createFetchTransport and a redirect (a 307 from the REST endpoint to another host)', () => {
  /**
   * Two local servers: `elsewhere` records every body it is sent; `redirecting` answers every request with a 307 to
   * it (with CORS headers, so that a browser would follow it too).
   */
  async function redirectRig() {
    const listen = async (handler: RequestListener) => {
      const server = createServer(handler);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
    };
    const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': '*' };
    const received: string[] = [];
    const elsewhere = await listen((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        received.push(`${request.method} ${body}`);
        response.writeHead(200, { ...cors, 'content-type': 'application/json' }).end('{"result":true}');
      });
    });
    const redirecting = await listen((request, response) => {
      request.resume();
      response.writeHead(307, { ...cors, location: `${elsewhere.url}rest${request.url}` }).end();
    });
    return {
      restUrl: `${redirecting.url}rest/`,
      elsewhere: elsewhere.url,
      received,
      close: () => Promise.all([redirecting, elsewhere].map((s) => new Promise((r) => s.server.close(r)))),
    };
  }

  /**
   * The error a redirected call gives: the node transport's classification (kind `input`: no retry mends a wrong
   * endpoint), without the address it points to.
   */
  function expectRedirectError(error: unknown, status: number, elsewhere: string) {
    expect(error).toMatchObject({ name: 'B24Error', code: 'ERROR_UNEXPECTED_ANSWER', kind: 'input', status });
    expect((error as Error).message).toBe(`unexpected answer (HTTP ${status})`);
    expect(`${String(error)} ${JSON.stringify(error)}`).not.toContain(elsewhere.slice('http://'.length));
  }

  it('does not follow it (which would re-POST the token to that host) and rejects as the node transport does', async () => {
    const rig = await redirectRig();
    try {
      const transport = createFetchTransport({ clientEndpoint: rig.restUrl, auth: () => 'secret-access-token' });
      const error = await transport.call('im.dialog.writing', { DIALOG_ID: 'chat1' }).catch((e: unknown) => e);
      expectRedirectError(error, 307, rig.elsewhere);
      expect(rig.received).toEqual([]);
    } finally {
      await rig.close();
    }
  });

  it('does not follow it in Chromium either, where a redirect not followed hides its status', async () => {
    const [rig, dom] = await Promise.all([redirectRig(), openDomPage()]);
    try {
      const error = await dom.page.evaluate(async (restUrl) => {
        const transport = window.b24.createFetchTransport({
          clientEndpoint: restUrl,
          auth: () => 'secret-access-token',
        });
        return transport.call('im.dialog.writing', { DIALOG_ID: 'chat1' }).catch((e: Error) => ({
          ...JSON.parse(JSON.stringify(e)),
          text: String(e),
        }));
      }, rig.restUrl);
      // A browser gives an unfollowed redirect as an `opaqueredirect` with status 0: 300 stands for its 3xx.
      expectRedirectError(error, 300, rig.elsewhere);
      expect(rig.received).toEqual([]);
    } finally {
      await Promise.all([rig.close(), dom.close()]);
    }
  });
});

describe('createFetchTransport input checks (before any request)', () => {
  const auth = () => 'token';

  it.each([
    ['clientEndpoint', { clientEndpoint: 'not a url', auth }],
    ['clientEndpoint', { clientEndpoint: 'ftp://example.com/rest/', auth }],
    ['clientEndpoint', { clientEndpoint: 'http://example.com/rest/', auth }],
    ['clientEndpoint', { clientEndpoint: 'https://example.com/rest/?auth=x', auth }],
    // an empty query or fragment too: the method would be appended after it
    ['clientEndpoint', { clientEndpoint: 'https://example.com/rest/?', auth }],
    ['clientEndpoint', { clientEndpoint: 'https://example.com/rest/#', auth }],
    ['clientEndpoint', { clientEndpoint: 'https://user:pass@example.com/rest/', auth }],
    ['auth', { clientEndpoint: 'https://example.com/rest/' }],
    ['timeoutMs', { clientEndpoint: 'https://example.com/rest/', auth, timeoutMs: 0 }],
    // a timer's delay overflows from 2^31 ms on and it fires at once: every call would time out
    ['timeoutMs', { clientEndpoint: 'https://example.com/rest/', auth, timeoutMs: 2 ** 31 }],
  ])('names %s', (field, options) => {
    expect(() => createFetchTransport(options as never)).toThrow(expect.objectContaining({ kind: 'input', field }));
  });

  it('accepts plain http on loopback and on request (allowInsecure)', () => {
    expect(() => createFetchTransport({ clientEndpoint: 'http://localhost:8024/rest', auth })).not.toThrow();
    expect(() => createFetchTransport({ clientEndpoint: 'https://example.com', auth })).not.toThrow();
    expect(() =>
      createFetchTransport({ clientEndpoint: 'http://10.0.0.2/rest/', auth, allowInsecure: true }),
    ).not.toThrow();
  });

  it.each([
    ['options', null],
    ['options', 'x'],
    ['options', 1],
    ['signal', {}],
    ['signal', 'x'],
    ['signal', null],
    ['signal', new AbortController()],
  ])('rejects a bad %s argument (%o) of call and batch without asking auth or sending', async (field, value) => {
    const counted = countedFetch();
    let asked = 0;
    const t = createFetchTransport({
      clientEndpoint: emulator.restUrl,
      auth: () => {
        asked++;
        return 'token';
      },
      fetch: counted.fetch,
    });
    const options = (field === 'options' ? value : { signal: value }) as never;
    const one = { method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } };
    for (const pending of [t.call(one.method, one.params, options), t.batch!([one], options), t.batch!([], options)]) {
      await expect(pending).rejects.toMatchObject({ name: 'B24InputError', kind: 'input', field });
    }
    expect(asked).toBe(0);
    expect(counted.requests).toBe(0);
  });

  it('rejects text that is not well-formed Unicode (a lone surrogate) as an input error naming it, without a request', async () => {
    const counted = countedFetch();
    const t = createFetchTransport({ clientEndpoint: emulator.restUrl, auth, fetch: counted.fetch });
    const cut = 'see \u{1F600}'.slice(0, 5); // a message cut to length through an emoji
    await expect(t.call('im.message.add', { DIALOG_ID: 'chat1', MESSAGE: cut })).rejects.toMatchObject({
      name: 'B24InputError',
      kind: 'input',
      field: 'params.MESSAGE',
    });
    await expect(
      t.batch!([{ method: 'im.message.add', params: { DIALOG_ID: 'chat1', MESSAGE: '\uDE00' } }]),
    ).rejects.toMatchObject({ name: 'B24InputError', kind: 'input', field: 'calls[0].params.MESSAGE' });
    expect(counted.requests).toBe(0);
  });

  it('rejects a bad method, params or batch without a request', async () => {
    const counted = countedFetch();
    const t = createFetchTransport({
      clientEndpoint: emulator.restUrl,
      auth,
      fetch: counted.fetch,
    });
    await expect(t.call('im dialog writing', {})).rejects.toMatchObject({ kind: 'input', field: 'method' });
    await expect(t.call('im.dialog.writing', [] as never)).rejects.toMatchObject({ kind: 'input', field: 'params' });
    const many = Array.from({ length: 51 }, () => ({ method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } }));
    await expect(t.batch!(many)).rejects.toMatchObject({ kind: 'input', field: 'calls' });
    await expect(t.batch!([{ method: '', params: {} }])).rejects.toMatchObject({
      kind: 'input',
      field: 'calls[0].method',
    });
    // the same checks as every transport (core's checkBatch): batches do not nest
    await expect(t.batch!([{ method: 'batch', params: { cmd: {} } }])).rejects.toMatchObject({
      kind: 'input',
      field: 'calls[0].method',
    });
    // Params PHP bracket syntax cannot carry fail here too, naming the path (core's encodePhpQuery).
    await expect(t.call('im.dialog.writing', { DIALOG_ID: Number.NaN })).rejects.toMatchObject({
      kind: 'input',
      field: 'params.DIALOG_ID',
    });
    await expect(
      t.batch!([
        { method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } },
        { method: 'im.dialog.writing', params: { 'a[b]': 1 } },
      ]),
    ).rejects.toMatchObject({ kind: 'input', field: 'calls[1].params.a[b]' });
    expect(counted.requests).toBe(0);
  });

  it("rejects a batch call whose method or params getter (or a Proxy's trap) throws as an input error naming it as checkBatch does, its error not kept, without a request", async () => {
    const counted = countedFetch();
    const t = createFetchTransport({ clientEndpoint: emulator.restUrl, auth, fetch: counted.fetch });
    // A getter that answers once and throws when read again: the call is read once, for the checks and the encoding.
    let reads = 0;
    const once = {
      params: { DIALOG_ID: 'chat1' },
      get method() {
        if (reads++) throw new Error(`could not load ${UNREADABLE_SECRET}`);
        return 'im.dialog.writing';
      },
    };
    for (const [calls, field, rule] of unreadableBatches()) {
      const error = await t.batch!(calls as never).catch((e: unknown) => e);
      expect(error, field).toBeInstanceOf(B24InputError);
      expect(error, field).toMatchObject({ kind: 'input', field, rule });
      expect((error as Error).cause, field).toBeUndefined();
      expectNoSecretShown(error, [UNREADABLE_SECRET], field);
    }
    expect(counted.requests).toBe(0);
    const { accessToken } = emulator.issueToken(1);
    const sending = createFetchTransport({ clientEndpoint: emulator.restUrl, auth: () => accessToken });
    await expect(sending.batch!([once as never])).resolves.toEqual([{ ok: true, result: true }]);
    expect(reads).toBe(1);
  });
});

describe('createFetchTransport with a fetch that ignores the signal, and a refresh that is no use', () => {
  /** A portal that knows the tokens in `valid` and answers expired_token for any other. */
  function portal(valid: Set<string>): typeof fetch {
    return (async (_input: unknown, init?: RequestInit) => {
      const ok = valid.has(new URLSearchParams(String(init?.body)).get('auth') ?? '');
      return new Response(JSON.stringify(ok ? { result: true } : { error: 'expired_token' }), {
        status: ok ? 200 : 401,
      });
    }) as typeof fetch;
  }
  const writing = ['im.dialog.writing', { DIALOG_ID: 'chat1' }] as const;

  it('bounds the request and its body by timeoutMs and the signal even when fetch ignores the signal (fake timers)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const hangs = (() => new Promise<Response>(() => {})) as typeof fetch;
      const endless = (async () => ({ ok: true, status: 200, text: () => new Promise<string>(() => {}) })) as never;
      for (const fetch of [hangs, endless]) {
        const t = createFetchTransport({
          clientEndpoint: 'https://example.com/rest/',
          auth: () => 't',
          timeoutMs: 5_000,
          fetch,
        });
        const timedOut = t.call(...writing).catch((e: unknown) => e);
        await vi.advanceTimersByTimeAsync(5_000);
        expect(await timedOut).toMatchObject({ code: 'TIMEOUT', kind: 'timeout' });
        const controller = new AbortController();
        const aborted = t.call(...writing, { signal: controller.signal }).catch((e: unknown) => e);
        await vi.advanceTimersByTimeAsync(10);
        controller.abort();
        expect(await aborted).toMatchObject({ code: 'ABORTED' });
      }
    } finally {
      vi.useRealTimers();
    }
  });

  it('gives up after 15 s when no timeoutMs is given (fake timers)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const t = createFetchTransport({
        clientEndpoint: 'https://example.com/rest/',
        auth: () => 't',
        fetch: (() => new Promise<Response>(() => {})) as typeof fetch,
      });
      let outcome: unknown = 'pending';
      t.call(...writing).catch((e: unknown) => {
        outcome = e;
      });
      await vi.advanceTimersByTimeAsync(14_999);
      expect(outcome).toBe('pending');
      await vi.advanceTimersByTimeAsync(1);
      expect(outcome).toMatchObject({ code: 'TIMEOUT', kind: 'timeout', message: 'no answer within 15000 ms' });
    } finally {
      vi.useRealTimers();
    }
  });

  it('asks auth({ refresh: true }) again after a shared refresh that never came within a call (fake timers)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const valid = new Set<string>();
      let refreshes = 0;
      const t = createFetchTransport({
        clientEndpoint: 'https://example.com/rest/',
        fetch: portal(valid),
        timeoutMs: 5_000,
        auth: ({ refresh }) => {
          if (!refresh) return valid.has('B') ? 'B' : 'A';
          refreshes++;
          if (refreshes === 1) return new Promise<string>(() => {}); // the app's refresh request was lost
          valid.add('B');
          return 'B';
        },
      });
      const first = t.call(...writing).catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(5_000);
      expect(await first).toMatchObject({ code: 'TIMEOUT' });
      // Without this, every later call waits on the lost refresh and times out, for good.
      await expect(t.call(...writing)).resolves.toBe(true);
      expect(refreshes).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps sharing a refresh that came in time when the retry after it timed out: the next call on the stale token does not refresh again (fake timers)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const valid = new Set<string>();
      const answers = portal(valid);
      let slow = true; // the first request with the fresh token hangs (a slow portal), the ones after it are answered
      let refreshes = 0;
      const t = createFetchTransport({
        clientEndpoint: 'https://example.com/rest/',
        timeoutMs: 5_000,
        fetch: (input, init) => {
          if (!(slow && new URLSearchParams(String(init?.body)).get('auth') === 'B')) return answers(input, init);
          slow = false;
          return new Promise<Response>(() => {});
        },
        // An app whose store still hands out the stale token (its refresh went to another tab's store, say).
        auth: ({ refresh }) => {
          if (!refresh) return 'A';
          refreshes++;
          valid.add('B');
          return 'B';
        },
      });
      const first = t.call(...writing).catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(5_000);
      expect(await first).toMatchObject({ code: 'TIMEOUT' });
      expect(refreshes).toBe(1);
      // The refresh came within the first call's time and its token was not refused: it is still the one to share.
      await expect(t.call(...writing)).resolves.toBe(true);
      expect(refreshes).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  type Refresh = { resolve(token: string): void; reject(error: Error): void };
  it.each([
    ['fails', (refresh: Refresh) => refresh.reject(new Error('endpoint down'))],
    ['hands back the stale token', (refresh: Refresh) => refresh.resolve('A')],
  ])(
    'forgets a refresh that %s after its only call was aborted: the next call asks again instead of sharing it',
    async (_, settle) => {
      const valid = new Set<string>();
      const pending: Refresh[] = [];
      const t = createFetchTransport({
        clientEndpoint: 'https://example.com/rest/',
        fetch: portal(valid),
        auth: ({ refresh }) => {
          if (!refresh) return 'A';
          if (!pending.length) return new Promise<string>((resolve, reject) => pending.push({ resolve, reject }));
          valid.add('B');
          return 'B';
        },
      });
      const controller = new AbortController();
      const first = t.call(...writing, { signal: controller.signal }).catch((e: unknown) => e);
      await vi.waitFor(() => expect(pending).toHaveLength(1)); // A refused: the refresh is on its way
      controller.abort();
      expect(await first).toMatchObject({ code: 'ABORTED' });
      settle(pending[0]!);
      await new Promise((resolve) => setImmediate(resolve)); // the refresh has settled, with no call waiting on it
      // Shared, it would give AUTH_FAILED again, or the stale A and so expired_token: this call asks for B itself.
      await expect(t.call(...writing)).resolves.toBe(true);
      expect(valid).toEqual(new Set(['B']));
    },
  );

  it('asks auth({ refresh: true }) again when the token a shared refresh gave is refused too, instead of reusing it for good', async () => {
    const valid = new Set<string>();
    let current = 'A';
    const fresh = ['B', 'C'];
    let refreshes = 0;
    const t = createFetchTransport({
      clientEndpoint: 'https://example.com/rest/',
      fetch: portal(valid),
      auth: ({ refresh }) => {
        if (refresh) {
          refreshes++;
          current = fresh.shift()!;
          valid.add(current);
        }
        return current;
      },
    });
    await expect(t.call(...writing)).resolves.toBe(true); // A expired: refreshed to B
    valid.delete('B'); // B revoked, and the app's store goes back to A (restored from storage, a reseed)
    current = 'A';
    await expect(t.call(...writing)).rejects.toMatchObject({ code: 'expired_token' }); // B refused as well
    await expect(t.call(...writing)).resolves.toBe(true); // asks for a fresh token: C
    expect(refreshes).toBe(2);
  });
});

describe('createFetchTransport with a scripted portal (cases shrunk from createFetchTransport.property.test.ts)', () => {
  const writing = ['im.dialog.writing', { DIALOG_ID: 'chat1' }] as const;
  const flush = () => new Promise((resolve) => setImmediate(resolve));

  it('cuts the access token out of a portal error that quotes it JSON-escaped (PHP writes / as \\/) or URL-encoded as the body carried it (call and batch command)', async () => {
    // RFC 6750's b64token allows `/`, `+` and `=`: PHP's json_encode escapes the first, the form body the three.
    const token = 'tok/en+42=';
    const quoted = {
      error: 'ERROR_ARGUMENT',
      error_description: `Wrong token ${token} (${encodeURIComponent(token)})`,
    };
    const php = (value: unknown) => JSON.stringify(value).replaceAll('/', '\\/');
    const t = createFetchTransport({
      clientEndpoint: 'https://example.com/rest/',
      auth: () => token,
      fetch: (async (input: unknown) =>
        String(input).endsWith('/batch')
          ? new Response(php({ result: { result: [], result_error: [quoted] } }))
          : new Response(php(quoted), { status: 400 })) as typeof fetch,
    });
    const error = await t.call(...writing).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERROR_ARGUMENT', kind: 'input', status: 400 });
    const [item] = await t.batch!([{ method: writing[0], params: writing[1] }]);
    for (const shown of [error, (item as { error: unknown }).error]) {
      expect((shown as Error).message).toBe('ERROR_ARGUMENT: Wrong token *** (***)');
      expect(everythingShown(shown)).not.toContain(token);
      expect(everythingShown(shown)).not.toContain(encodeURIComponent(token));
    }
  });

  it('shares the refresh in progress with a late call on an older stale token, so it is not displaced and the calls on the newer one do not refresh twice', async () => {
    const valid = new Set<string>();
    let late: () => void = () => {};
    let refreshes = 0;
    const pending: ((token: string) => void)[] = [];
    let current = 'A';
    const t = createFetchTransport({
      clientEndpoint: 'https://example.com/rest/',
      fetch: (async (_input: unknown, init?: RequestInit) => {
        const token = new URLSearchParams(String(init?.body)).get('auth') as string;
        if (token === 'A') await new Promise<void>((resolve) => (late = resolve)); // a slow portal, this once
        const ok = valid.has(token);
        return new Response(JSON.stringify(ok ? { result: true } : { error: 'expired_token' }), {
          status: ok ? 200 : 401,
        });
      }) as typeof fetch,
      auth: ({ refresh }) => {
        if (!refresh) return current;
        refreshes++;
        return new Promise<string>((resolve) => pending.push(resolve));
      },
    });
    const straggler = t.call(...writing); // sent with A
    current = 'B'; // another tab refreshed: the app now holds B, which lapses too
    const first = t.call(...writing);
    await flush();
    expect(refreshes).toBe(1); // refreshing from B
    late(); // the portal refuses A, late
    await flush();
    const second = t.call(...writing); // meets B expired while B's refresh is still in progress
    await flush();
    valid.add('C');
    for (const resolve of pending) resolve('C');
    await expect(Promise.all([straggler, first, second])).resolves.toEqual([true, true, true]);
    expect(refreshes).toBe(1);
  });
});
