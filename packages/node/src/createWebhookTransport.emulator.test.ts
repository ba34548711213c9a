import { type Emulator, parseQuery, startEmulator } from '@b24-typing/emulator';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createErrorLog } from '../test/errorLog';
import { startEchoServer } from '../test/startEchoServer';
import type { NodeTransport } from './createRestTransport';
import { createWebhookTransport } from './createWebhookTransport';
import { encodePhpQuery } from '@b24-typing/core';

const CODE = 'wh7Kq2xVn9Lp3Rt8Zs4c';
const BOT_TOKEN = 'agent-bot-token';
const log = createErrorLog();
let emu: Emulator;
let transport: NodeTransport;

beforeAll(async () => {
  emu = await startEmulator({ plan: 'off', initial: { webhooks: [{ userId: 1, code: CODE }] } });
});
afterEach(() => {
  emu.clearFaults();
});
afterAll(async () => {
  await transport?.close();
  await emu.close();
});

function hook(options: Parameters<typeof createWebhookTransport>[1] = {}): NodeTransport {
  return createWebhookTransport(`${emu.url}/rest/1/${CODE}/`, options);
}

describe('webhook transport against the emulator', () => {
  beforeAll(() => {
    transport = hook();
  });

  it('returns the envelope result: bare true for classic methods, v2 nested result left as is', async () => {
    await expect(transport.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
    await expect(
      transport.call('imbot.v2.Chat.InputAction.notify', {
        botId: 10,
        botToken: BOT_TOKEN,
        dialogId: 'chat1',
        statusMessageCode: 'IMBOT_AGENT_ACTION_THINKING',
        duration: 30,
      }),
    ).resolves.toEqual({ result: true });
    const calls = emu.timeline().filter((e) => e.kind === 'call');
    expect(calls.at(-1)).toMatchObject({
      method: 'imbot.v2.Chat.InputAction.notify',
      auth: 'webhook',
      shown: true,
      durationSec: 30,
    });
    expect(emu.indicators().map((i) => i.text)).toContain('Agent is thinking...');
  });

  it('maps portal errors to B24Error with code, status and kind', async () => {
    const cases: [Promise<unknown>, Record<string, unknown>][] = [
      [
        transport.call('im.dialog.writing', { DIALOG_ID: 'nonsense' }),
        { code: 'DIALOG_ID_EMPTY', kind: 'input', status: 400 },
      ],
      [transport.call('no.such.method', {}), { code: 'ERROR_METHOD_NOT_FOUND', kind: 'input', status: 404 }],
      [
        transport.call('imbot.v2.Chat.InputAction.notify', { botId: 10, botToken: BOT_TOKEN, dialogId: 'chat2' }),
        { code: 'ACCESS_DENIED', kind: 'access' },
      ],
      [
        createWebhookTransport(`${emu.url}/rest/1/wrongcode123/`).call('im.dialog.writing', { DIALOG_ID: 'chat1' }),
        { code: 'INVALID_CREDENTIALS', kind: 'auth' },
      ],
    ];
    for (const [promise, expected] of cases) {
      expect(await log.rejection(promise)).toMatchObject({ name: 'B24Error', ...expected });
    }
  });

  it('classifies injected rate, operating and server errors by code', async () => {
    const injected = [
      [{ status: 503, error: 'QUERY_LIMIT_EXCEEDED' }, 'rate'],
      [{ status: 429, error: 'QUERY_LIMIT_EXCEEDED' }, 'rate'],
      [{ status: 429, error: 'OPERATION_TIME_LIMIT' }, 'operating'],
      [{ status: 500, error: 'INTERNAL_SERVER_ERROR' }, 'server'],
      [{ status: 401, error: 'NO_AUTH_FOUND' }, 'auth'],
    ] as const;
    for (const [fault, kind] of injected) {
      emu.addFault({ ...fault, times: 1 });
      expect(await log.rejection(transport.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
        code: fault.error,
        status: fault.status,
        kind,
      });
    }
  });

  it('reports the real leaky bucket as a rate error', async () => {
    const limited = await startEmulator({
      plan: { perSecond: 1, burst: 2 },
      initial: { webhooks: [{ userId: 1, code: CODE }] },
    });
    const t = createWebhookTransport(`${limited.url}/rest/1/${CODE}/`);
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => t.call('im.dialog.writing', { DIALOG_ID: 'chat1' })),
    );
    const rejected = results
      .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      .map((r) => log.seen(r.reason));
    expect(rejected.length).toBeGreaterThanOrEqual(2);
    for (const error of rejected) expect(error).toMatchObject({ code: 'QUERY_LIMIT_EXCEEDED', kind: 'rate' });
    await t.close();
    await limited.close();
  });

  it('turns a reset connection into a network error', async () => {
    emu.addFault({ method: 'im.dialog.writing', reset: true, times: 1 });
    expect(await log.rejection(transport.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
      code: 'NETWORK_ERROR',
      kind: 'network',
    });
    // The pool recovers: the next call on a fresh connection works.
    await expect(transport.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
  });

  it('times out a hung request at the headers timeout', async () => {
    const quick = hook({ headersTimeoutMs: 150 });
    emu.addFault({ method: 'im.dialog.writing', hang: true, times: 1 });
    const started = performance.now();
    expect(await log.rejection(quick.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
      code: 'TIMEOUT',
      kind: 'timeout',
    });
    expect(performance.now() - started).toBeLessThan(5_000);
    await quick.close();
  });

  it('honours abort before send, mid-flight and after the response', async () => {
    const before = emu.stats().requests;
    const early = new AbortController();
    early.abort();
    expect(
      await log.rejection(transport.call('im.dialog.writing', { DIALOG_ID: 'chat1' }, { signal: early.signal })),
    ).toMatchObject({ code: 'ABORTED', kind: 'network' });
    expect(emu.stats().requests).toBe(before);

    emu.addFault({ method: 'im.dialog.writing', hang: true, times: 1 });
    const mid = new AbortController();
    const pending = transport.call('im.dialog.writing', { DIALOG_ID: 'chat1' }, { signal: mid.signal });
    await vi.waitFor(() => expect(emu.stats().requests).toBe(before + 1));
    mid.abort();
    expect(await log.rejection(pending)).toMatchObject({ code: 'ABORTED', kind: 'network' });

    const late = new AbortController();
    await expect(transport.call('im.dialog.writing', { DIALOG_ID: 'chat1' }, { signal: late.signal })).resolves.toBe(
      true,
    );
    late.abort(); // nothing left to abort: no rejection, nothing thrown
    await expect(transport.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
  });

  it('batches up to 50 calls in one request, mapping results and per-command errors back in order', async () => {
    const before = emu.stats();
    const results = await transport.batch([
      { method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } },
      { method: 'im.dialog.writing', params: { DIALOG_ID: 'bogus' } },
      {
        method: 'imbot.v2.Chat.InputAction.notify',
        params: { botId: 10, botToken: BOT_TOKEN, dialogId: 'chat1', duration: 5 },
      },
      { method: 'imbot.v2.Chat.InputAction.notify', params: { botId: 999, botToken: BOT_TOKEN, dialogId: 'chat1' } },
    ]);
    expect(results).toHaveLength(4);
    expect(results[0]).toEqual({ ok: true, result: true });
    expect(results[1]).toMatchObject({ ok: false, error: { code: 'DIALOG_ID_EMPTY', kind: 'input' } });
    expect(results[2]).toEqual({ ok: true, result: { result: true } });
    expect(results[3]).toMatchObject({ ok: false, error: { code: 'BOT_NOT_FOUND', kind: 'input' } });
    for (const r of results) if (!r.ok) log.seen(r.error);
    const after = emu.stats();
    expect(after.requests - before.requests).toBe(1);
    expect(after.batches - before.batches).toBe(1);

    const fifty = Array.from({ length: 50 }, () => ({ method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } }));
    const all = await transport.batch(fifty);
    expect(all.every((r) => r.ok && r.result === true)).toBe(true);
    expect(emu.stats().requests - after.requests).toBe(1);
  });

  it('carries nested params, unicode and & = % [ + through the emulator parser intact', async () => {
    const text = 'Tom & Jerry = 100% [sure] a+b ü 😀 ?x=1#y';
    const [sent] = await transport.batch([
      {
        method: 'imbot.v2.Chat.Message.send',
        params: { botId: 10, botToken: BOT_TOKEN, dialogId: 'chat1', fields: { message: text, urlPreview: false } },
      },
    ]);
    expect(sent).toMatchObject({ ok: true, result: { id: expect.any(Number) } });
    const id = (sent as { result: { id: number } }).result.id;
    expect(emu.messages(1).find((m) => m.messageId === id)?.text).toBe(text);
  });

  it('encodes a batch command as http_build_query does: true/false as Y/N, null and undefined left out', async () => {
    // The echo server quotes the request body back in its error text.
    const echo = await startEchoServer();
    const t = createWebhookTransport(`${echo.url}/rest/1/${CODE}/`);
    const error = await log.rejection(
      t.batch([
        {
          method: 'im.dialog.writing',
          params: { DIALOG_ID: 'chat1', on: true, off: false, none: null, missing: undefined, n: 0 },
        },
      ]),
    );
    expect(String(error.message)).toContain('{"halt":0,"cmd":["im.dialog.writing?DIALOG_ID=chat1&on=Y&off=N&n=0"]}');
    await t.close();
    await echo.close();
  });

  it('sends a bigint in a call as its digits, as batch and the browser transport do, nested ones too', async () => {
    // core's encodePhpQuery (batch, the fetch transport) writes a bigint as its digits, a string to PHP; a JSON
    // string of the digits is the same PHP value (a JSON number would be an int, or past 2^63 a float that loses
    // digits). `call` refused it, so a call meant something different alone and batched.
    const params = {
      DIALOG_ID: 'chat1',
      id: 12345678901234567890n,
      fields: { ids: [1n, -2n], deep: { big: 2n ** 70n, zero: 0n } },
    };
    const received = (method: string) => emu.received().filter((r) => r.method === method);
    await expect(transport.call('im.dialog.writing', params)).resolves.toBe(true);
    await expect(transport.batch([{ method: 'im.dialog.writing', params }])).resolves.toMatchObject([{ ok: true }]);
    const [alone, batched] = received('im.dialog.writing').slice(-2);
    expect(alone?.batchId).toBeNull();
    expect(batched?.batchId).not.toBeNull();
    const expected = {
      DIALOG_ID: 'chat1',
      id: '12345678901234567890',
      fields: { ids: ['1', '-2'], deep: { big: '1180591620717411303424', zero: '0' } },
    };
    expect(alone?.params).toEqual(expected);
    expect(toPlain(batched?.params)).toEqual(expected);
  });

  it('sends a boxed string, number or boolean in a batch as its value, as a call sends it', async () => {
    // A batch command now encodes the data a call sends (each param read once, as JSON reads it), where core's encoder
    // walked `new String('ab')` as its characters (`TEXT[0]=a&TEXT[1]=b`) and left a Number or Boolean object out.
    const params = { DIALOG_ID: 'chat1', TEXT: new String('ab'), n: new Number(2), on: new Boolean(true) };
    const received = (method: string) => emu.received().filter((r) => r.method === method);
    await expect(transport.call('im.dialog.writing', params)).resolves.toBe(true);
    await expect(transport.batch([{ method: 'im.dialog.writing', params }])).resolves.toMatchObject([{ ok: true }]);
    const [alone, batched] = received('im.dialog.writing').slice(-2);
    expect(alone?.params).toEqual({ DIALOG_ID: 'chat1', TEXT: 'ab', n: 2, on: true });
    // The same PHP values: a batch command is a query string, every value text, a boolean `Y`.
    expect(toPlain(batched?.params)).toEqual({ DIALOG_ID: 'chat1', TEXT: 'ab', n: '2', on: 'Y' });
  });

  it('encodes any nested parameter tree so the emulator parser reads it back', () => {
    const key = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,6}$/);
    const tree = fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.string({ unit: 'grapheme' }),
        fc.array(tie('node'), { minLength: 1, maxLength: 3 }),
        fc.dictionary(key, tie('node'), { minKeys: 1, maxKeys: 3 }),
      ),
    })).node;
    fc.assert(
      fc.property(fc.dictionary(key, tree, { minKeys: 1, maxKeys: 4 }), (params) => {
        expect(toPlain(parseQuery(encodePhpQuery(params)))).toEqual(params);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects more than 50 calls before sending anything', async () => {
    const before = emu.stats().requests;
    const calls = Array.from({ length: 51 }, () => ({ method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } }));
    expect(await log.rejection(transport.batch(calls))).toMatchObject({ kind: 'input', field: 'calls' });
    expect(emu.stats().requests).toBe(before);
  });

  it('fails the whole batch only when the request fails', async () => {
    emu.addFault({ method: 'batch', status: 503, error: 'QUERY_LIMIT_EXCEEDED', times: 1 });
    expect(
      await log.rejection(transport.batch([{ method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } }])),
    ).toMatchObject({ code: 'QUERY_LIMIT_EXCEEDED', kind: 'rate' });
  });

  it('sends a User-Agent naming the package and JSON bodies', async () => {
    const seenHeaders: Record<string, string | string[] | undefined>[] = [];
    const { createServer } = await import('node:http');
    // The emulator records no headers; a loopback listener in front of it does, then forwards to it.
    const proxy = createServer((req, res) => {
      seenHeaders.push(req.headers);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const upstream = await fetch(`${emu.url}${req.url}`, {
          method: 'POST',
          headers: { 'content-type': String(req.headers['content-type']) },
          body: Buffer.concat(chunks),
        });
        res.writeHead(upstream.status, { 'content-type': 'application/json' });
        res.end(await upstream.text());
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const port = (proxy.address() as { port: number }).port;
    const t = createWebhookTransport(`http://127.0.0.1:${port}/rest/1/${CODE}/`);
    await expect(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
    expect(seenHeaders[0]).toMatchObject({
      'user-agent': expect.stringMatching(/^b24-typing-node\/\d+\.\d+\.\d+/),
      'content-type': 'application/json',
    });
    await t.close();
    await new Promise((resolve) => proxy.close(resolve));
  });

  it('turns a broken reply (HTML 502, empty, cut JSON, truncated body) into a server error with the status', async () => {
    const t = hook();
    /** Successful im.dialog.writing calls the portal executed so far. */
    const executed = () =>
      emu.timeline().filter((e) => e.kind === 'call' && e.method === 'im.dialog.writing' && e.error === null).length;
    const cases = [
      [
        'html502',
        { status: 502, body: '<html><head><title>502 Bad Gateway</title></head></html>', contentType: 'text/html' },
        502,
        0,
      ],
      ['empty', { body: '' }, 200, 0],
      ['cut', { truncate: true }, 200, 1],
      ['truncated', { truncate: true, reset: true }, 200, 1],
    ] as const;
    for (const [name, fault, status, ran] of cases) {
      emu.addFault({ method: 'im.dialog.writing', times: 1, ...fault });
      const before = executed();
      const error = await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }));
      expect(error, name).toMatchObject({ name: 'B24Error', code: 'ERROR_UNEXPECTED_ANSWER', kind: 'server', status });
      expect(error, name).not.toBeInstanceOf(SyntaxError);
      expect(executed() - before, name).toBe(ran); // whether the portal executed the call
    }
    emu.addFault({ method: 'batch', truncate: true, times: 1 });
    expect(
      await log.rejection(t.batch([{ method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } }])),
    ).toMatchObject({
      kind: 'server',
      status: 200,
    });
    await expect(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
    await t.close();
  });

  it('classifies an HTML 408 or 504 (a gateway that gave up) as timeout, like core and the browser transports', async () => {
    const t = hook();
    for (const status of [408, 504]) {
      const page = `<html><head><title>${status} Gateway Timeout</title></head></html>`;
      emu.addFault({ method: 'im.dialog.writing', times: 1, status, body: page, contentType: 'text/html' });
      const error = await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }));
      expect(error, `${status}`).toMatchObject({ code: 'ERROR_UNEXPECTED_ANSWER', kind: 'timeout', status });
    }
    // Other statuses without an envelope stay `server`; a portal error keeps its code's kind whatever the status.
    emu.addFault({
      method: 'im.dialog.writing',
      times: 1,
      status: 503,
      body: '<html>503</html>',
      contentType: 'text/html',
    });
    expect(await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
      kind: 'server',
      status: 503,
    });
    emu.addFault({ method: 'im.dialog.writing', times: 1, status: 504, error: 'QUERY_LIMIT_EXCEEDED' });
    expect(await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
      code: 'QUERY_LIMIT_EXCEEDED',
      kind: 'rate',
    });
    await t.close();
  });

  it("classifies any other reply without an envelope by its status alone, as core's classifyError reads a status", async () => {
    const t = hook();
    for (const [status, kind] of [
      [401, 'auth'], // a proxy's own login
      [403, 'access'], // a WAF's block page
      [404, 'input'], // a wrong endpoint
      [429, 'rate'], // a proxy's rate limit
      [400, 'input'],
      [503, 'server'],
      [200, 'server'], // a 2xx without an envelope is a broken reply
    ] as const) {
      const page = `<html><head><title>${status}</title></head></html>`;
      emu.addFault({ method: 'im.dialog.writing', times: 1, status, body: page, contentType: 'text/html' });
      const error = await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }));
      expect(error, `${status}`).toMatchObject({ code: 'ERROR_UNEXPECTED_ANSWER', kind, status });
      expect(String(error.message), `${status}`).not.toContain('redirect'); // only a 3xx is told to follow one
    }
    // A redirect (an http endpoint on an https-only portal, a portal that moved) is not followed, nor retried: it
    // says the endpoint is wrong, as a 404 does. Its message says so, without the address (which holds the code).
    for (const status of [300, 301, 302, 307, 308, 399]) {
      emu.addFault({ method: 'im.dialog.writing', times: 1, status, body: '' });
      const error = await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }));
      expect(error, `${status}`).toMatchObject({ code: 'ERROR_UNEXPECTED_ANSWER', kind: 'input', status });
      expect(String(error.message), `${status}`).toContain('a redirect');
      expect(String(error.message), `${status}`).not.toContain(CODE);
    }
    // A 403 page that breaks off halfway is still a 403; so is one too large to read.
    emu.addFault({
      method: 'im.dialog.writing',
      times: 1,
      status: 403,
      body: `<html>${'x'.repeat(4096)}</html>`,
      contentType: 'text/html',
      truncate: true,
      reset: true,
    });
    expect(await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
      code: 'ERROR_UNEXPECTED_ANSWER',
      kind: 'access',
      status: 403,
    });
    await t.close();
    const small = hook({ maxResponseBytes: 64 });
    emu.addFault({
      method: 'im.dialog.writing',
      times: 1,
      status: 403,
      body: `<html>${'x'.repeat(4096)}</html>`,
      contentType: 'text/html',
    });
    expect(await log.rejection(small.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
      code: 'ERROR_UNEXPECTED_ANSWER',
      kind: 'access',
      status: 403,
    });
    await small.close();
  });

  it('takes a result only from a 2xx: JSON with a result under another status is classified by that status', async () => {
    // A gateway that wraps its own failure in JSON (`{"result":null}` with a 503) did not run the call; the browser
    // transports read `result` only when `response.ok` too.
    const t = hook();
    for (const [status, kind] of [
      [503, 'server'],
      [403, 'access'],
      [429, 'rate'],
    ] as const) {
      emu.addFault({ method: 'im.dialog.writing', times: 1, status, body: '{"result":true}' });
      const error = await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }));
      expect(error, `${status}`).toMatchObject({ code: 'ERROR_UNEXPECTED_ANSWER', kind, status });
    }
    await t.close();
  });

  it('reads an empty error ({ error: null, result }) as a success, like the browser transports and the jssdk', async () => {
    const t = hook();
    for (const error of [null, '', 0, false]) {
      emu.addFault({ method: 'im.dialog.writing', times: 1, body: JSON.stringify({ error, result: { ok: 1 } }) });
      await expect(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }), JSON.stringify(error)).resolves.toEqual({
        ok: 1,
      });
    }
    // Without a result it is still no envelope: `server`, with the status.
    emu.addFault({ method: 'im.dialog.writing', times: 1, body: '{"error":null}' });
    expect(await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
      code: 'ERROR_UNEXPECTED_ANSWER',
      kind: 'server',
      status: 200,
    });
    await t.close();
  });

  it('scrubs the webhook code and bot tokens from a server error text that quotes the request', async () => {
    const echo = await startEchoServer();
    const t = createWebhookTransport(`${echo.url}/rest/1/${CODE}/`);
    const single = await log.rejection(
      t.call('imbot.v2.Chat.InputAction.notify', { botId: 10, botToken: 'echoed-bot-token-1', dialogId: 'chat1' }),
    );
    expect(single).toMatchObject({ code: 'ERROR_ARGUMENT', kind: 'input', status: 400 });
    expect(String(single.message)).toContain('***');
    expect(String(single.message)).toContain('imbot.v2.Chat.InputAction.notify');
    const batched = await log.rejection(
      t.batch([
        {
          method: 'imbot.chat.sendTyping',
          params: { BOT_ID: 10, CLIENT_ID: 'echoed-client-id-2', DIALOG_ID: 'chat1' },
        },
      ]),
    );
    expect(batched).toMatchObject({ code: 'ERROR_ARGUMENT' });
    for (const error of [single, batched]) {
      expect(JSON.stringify(error)).not.toMatch(/echoed-|wh7Kq2/);
    }
    await t.close();
    await echo.close();
  });

  it('scrubs a CLIENT_ID with a space or parentheses as a batch command carries it (encodeURIComponent)', async () => {
    // A command is encoded as http_build_query does (`%20`, `(` kept), unlike a form body (`+`, `%28`).
    const echo = await startEchoServer();
    const t = createWebhookTransport(`${echo.url}/rest/1/${CODE}/`);
    const error = await log.rejection(
      t.batch([
        { method: 'imbot.chat.sendTyping', params: { BOT_ID: 10, CLIENT_ID: 'echoed token (7)', DIALOG_ID: 'chat1' } },
      ]),
    );
    expect(error).toMatchObject({ code: 'ERROR_ARGUMENT', kind: 'input', status: 400 });
    expect(String(error.message)).toContain('CLIENT_ID=***');
    expect(JSON.stringify(error)).not.toMatch(/echoed/);
    await t.close();
    await echo.close();
  });

  it('scrubs the webhook code from an error code too, not only from the description', async () => {
    emu.addFault({ method: 'im.dialog.writing', times: 1, status: 400, error: `NO_WEBHOOK_${CODE}` });
    const error = await log.rejection(transport.call('im.dialog.writing', { DIALOG_ID: 'chat1' }));
    expect(error).toMatchObject({ code: 'NO_WEBHOOK_***', status: 400 });
    expect(JSON.stringify(error)).not.toContain(CODE);
  });

  it('scrubs a bot token of fewer than 4 characters too (the portal takes any length up to 40)', async () => {
    const echo = await startEchoServer();
    const t = createWebhookTransport(`${echo.url}/rest/1/${CODE}/`);
    const single = await log.rejection(
      t.call('imbot.v2.Chat.InputAction.notify', { botId: 10, botToken: 'k9', dialogId: 'chat1' }),
    );
    const batched = await log.rejection(
      t.batch([{ method: 'imbot.chat.sendTyping', params: { BOT_ID: 10, CLIENT_ID: 'q7', DIALOG_ID: 'chat1' } }]),
    );
    for (const error of [single, batched]) {
      expect(error).toMatchObject({ code: 'ERROR_ARGUMENT', kind: 'input', status: 400 });
      expect(JSON.stringify(error)).not.toMatch(/\bk9\b|\bq7\b/);
    }
    expect(String(single.message)).toContain('"botToken":"***"');
    expect(String(single.message)).toContain('imbot.v2.Chat.InputAction.notify');
    await t.close();
    await echo.close();
  });

  it('scrubs two bot tokens of a batch whole when one begins the other, in whichever order the commands come', async () => {
    const echo = await startEchoServer();
    const t = createWebhookTransport(`${echo.url}/rest/1/${CODE}/`);
    const notify = (botToken: string) => ({
      method: 'imbot.v2.Chat.InputAction.notify',
      params: { botId: 10, botToken, dialogId: 'chat1' },
    });
    const short = 'k9';
    const long = 'k9-echoed-bot-token-6';
    for (const calls of [
      [notify(short), notify(long)],
      [notify(long), notify(short)],
    ]) {
      const error = await log.rejection(t.batch(calls));
      expect(error).toMatchObject({ code: 'ERROR_ARGUMENT', kind: 'input', status: 400 });
      expect(String(error.message).split('&botToken=***&')).toHaveLength(3);
      expect(JSON.stringify(error)).not.toMatch(/echoed|\bk9\b/);
    }
    await t.close();
    await echo.close();
  });

  it('scrubs a bot token with a quote or backslash in the form a JSON body quoted back carries it (escaped)', async () => {
    // The request body is JSON: `"` and `\` travel escaped, so a server quoting the body shows neither the token as
    // given nor its URL encoding, but `\"` and `\\`: the token all the same.
    const echo = await startEchoServer();
    const t = createWebhookTransport(`${echo.url}/rest/1/${CODE}/`);
    const botToken = 'echoed"quoted\\token-5';
    const single = await log.rejection(
      t.call('imbot.v2.Chat.InputAction.notify', { botId: 10, botToken, dialogId: 'chat1' }),
    );
    expect(single).toMatchObject({ code: 'ERROR_ARGUMENT', kind: 'input', status: 400 });
    expect(String(single.message)).toContain('"botToken":"***"');
    expect(JSON.stringify(single)).not.toContain('echoed');
    await t.close();
    await echo.close();
  });

  it('scrubs a bot token nested in the params too (Bot.register takes it in fields.botToken)', async () => {
    const echo = await startEchoServer();
    const t = createWebhookTransport(`${echo.url}/rest/1/${CODE}/`);
    const register = {
      fields: { code: 'echo', botToken: 'echoed-nested-token-3', properties: { name: 'Echo' } },
    };
    const single = await log.rejection(t.call('imbot.v2.Bot.register', register));
    const batched = await log.rejection(t.batch([{ method: 'imbot.v2.Bot.register', params: register }]));
    for (const error of [single, batched]) {
      expect(error).toMatchObject({ code: 'ERROR_ARGUMENT', kind: 'input', status: 400 });
      expect(String(error.message)).toContain('imbot.v2.Bot.register');
      expect(JSON.stringify(error)).not.toContain('echoed-nested-token-3');
    }
    await t.close();
    await echo.close();
  });

  it('scrubs a bot token that a toJSON gives, as the value itself or inside an object, in a call and a batch', async () => {
    // JSON (and batch's encoder) send what a toJSON returns; the secrets were collected from the params as given, where
    // `botToken` is an object (not a token) and an object's toJSON result holds no keys at all.
    const echo = await startEchoServer();
    const t = createWebhookTransport(`${echo.url}/rest/1/${CODE}/`);
    const value = 'echoed-tojson-token-7';
    const inside = 'echoed-tojson-token-8';
    for (const [method, params] of [
      ['imbot.v2.Chat.InputAction.notify', { botId: 10, botToken: { toJSON: () => value }, dialogId: 'chat1' }],
      ['imbot.v2.Bot.register', { fields: { toJSON: () => ({ code: 'echo', botToken: inside }) } }],
    ] as const) {
      const single = await log.rejection(t.call(method, params));
      const batched = await log.rejection(t.batch([{ method, params }]));
      for (const error of [single, batched]) {
        expect(error).toMatchObject({ code: 'ERROR_ARGUMENT', kind: 'input', status: 400 });
        expect(String(error.message)).toContain(method);
        expect(String(error.message)).toContain('***');
        expect(`${String(error)} ${JSON.stringify(error)}`).not.toMatch(/echoed-tojson/);
      }
    }
    await t.close();
    await echo.close();
  });

  it('times out a body that stalls halfway, and aborts while reading it', async () => {
    emu.addFault({ method: 'im.dialog.writing', stallBody: true });
    const slowBody = hook({ bodyTimeoutMs: 150 });
    expect(await log.rejection(slowBody.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
      code: 'TIMEOUT',
      kind: 'timeout',
      status: 200,
    });
    const reading = hook();
    const controller = new AbortController();
    const calls = () => emu.timeline().filter((e) => e.kind === 'call').length;
    const before = calls();
    const pending = reading.call('im.dialog.writing', { DIALOG_ID: 'chat1' }, { signal: controller.signal });
    // The call is on the timeline once it ran; the headers and half the body go out in the same tick.
    await vi.waitFor(() => expect(calls()).toBe(before + 1));
    controller.abort();
    expect(await log.rejection(pending)).toMatchObject({ code: 'ABORTED', kind: 'network' });
    await slowBody.close();
    await reading.close();
  });

  it('rejects calls after close', async () => {
    const t = hook();
    await t.call('im.dialog.writing', { DIALOG_ID: 'chat1' });
    await t.close();
    expect(await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({ kind: 'network' });
  });

  it('never shows the webhook code in any error it produced', () => {
    expect(
      log.expectNoSecrets([
        CODE,
        'wrongcode123',
        'echoed-bot-token-1',
        'echoed-client-id-2',
        'echoed-nested-token-3',
        'echoed-tojson-token-7',
        'echoed-tojson-token-8',
        'quoted',
      ]),
    ).toBeGreaterThan(15);
  });
});

/**
 * PHP has no lists: the emulator's parser keeps `a[0]`, `a[1]` as an object with keys "0", "1" (and may use
 * null-prototype objects). Compare as plain data with such objects read as arrays.
 */
function toPlain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toPlain);
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    if (entries.length > 0 && entries.every(([k], i) => k === String(i))) return entries.map(([, v]) => toPlain(v));
    return Object.fromEntries(entries.map(([k, v]) => [k, toPlain(v)]));
  }
  return value;
}
