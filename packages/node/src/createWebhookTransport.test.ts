import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { getEventListeners } from 'node:events';
import { createRequire } from 'node:module';
import { createServer, type Socket } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createErrorLog } from '../test/errorLog';
import { expectClosesOnce } from '../test/expectClosesOnce';
import { startMirrorServer } from '../test/startMirrorServer';
import { startStubServer, until } from '../test/startStubServer';
import { createWebhookTransport } from './createWebhookTransport';

const log = createErrorLog();
let stub: Awaited<ReturnType<typeof startStubServer>>;

/** Only the timers a call could leave behind; setImmediate and the clocks stay real, so sockets still work. */
const fakeTimers = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });

/** Headers, then nothing: a reply whose body never comes. */
const stall = (_req: unknown, res: import('node:http').ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' }).write('{');
};

/** A promise's state, read without waiting for it. */
function watch(promise: Promise<unknown>) {
  const state = { settled: false };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
}

beforeAll(async () => {
  stub = await startStubServer();
  // One call on real timers first: undici drives its own timeouts from one shared tick timer, created with its
  // first timeout. Made here, it stays a real timer; made under fake timers, undici's clock would stop in later
  // tests and its tick would be counted among ours.
  const warm = createWebhookTransport(stub.webhook);
  await warm.call('im.dialog.writing', { DIALOG_ID: 'chat1' });
  await warm.close();
});
afterEach(() => {
  vi.useRealTimers();
  stub.reply((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', connection: 'close' }).end('{"result":true}');
  });
});
afterAll(() => stub.close());

describe('timeoutMs: one deadline for the whole call', () => {
  it('gives up after 15 s by default even while the body still arrives, and frees the socket', async () => {
    const t = createWebhookTransport(stub.webhook);
    fakeTimers();
    stub.reply(stall);
    const before = stub.requests();
    const call = log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }));
    const state = watch(call);
    await until(() => stub.requests() === before + 1);
    expect(vi.getTimerCount()).toBe(1); // the deadline, and nothing else of ours
    await vi.advanceTimersByTimeAsync(14_999);
    expect(state.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await call).toMatchObject({
      name: 'B24Error',
      code: 'TIMEOUT',
      kind: 'timeout',
      message: 'no answer within 15000 ms',
    });
    expect(vi.getTimerCount()).toBe(0);
    await until(() => stub.openSockets() === 0); // the request was aborted, not left to the idle timers
    await t.close();
  });

  it('is not put off by a body that trickles: undici restarts its idle timer on every byte, the deadline stays', async () => {
    // Real time, briefly: undici's own body timer is what is being outlasted here, and it cannot be faked apart
    // from ours. A byte every 20 ms keeps a 100 ms bodyTimeoutMs from ever firing.
    let ticker: ReturnType<typeof setInterval> | undefined;
    stub.reply((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100000' }).write('{');
      ticker = setInterval(() => res.write(' '), 20);
      res.on('close', () => clearInterval(ticker));
    });
    const t = createWebhookTransport(stub.webhook, { bodyTimeoutMs: 100, headersTimeoutMs: 100, timeoutMs: 300 });
    const started = performance.now();
    expect(await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
      code: 'TIMEOUT',
      kind: 'timeout',
      message: 'no answer within 300 ms',
    });
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(3_000);
    await until(() => stub.openSockets() === 0);
    await t.close();
  });

  it('covers batch the same way', async () => {
    const t = createWebhookTransport(stub.webhook, { timeoutMs: 2_000 });
    fakeTimers();
    stub.reply(stall);
    const before = stub.requests();
    const batch = log.rejection(t.batch([{ method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } }]));
    await until(() => stub.requests() === before + 1);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(await batch).toMatchObject({ code: 'TIMEOUT', kind: 'timeout', message: 'no answer within 2000 ms' });
    expect(vi.getTimerCount()).toBe(0);
    await t.close();
  });

  it('leaves no timer behind once a call succeeds or fails', async () => {
    const t = createWebhookTransport(stub.webhook);
    fakeTimers();
    await expect(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    await expect(t.batch([{ method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } }])).rejects.toMatchObject({
      code: 'ERROR_UNEXPECTED_ANSWER', // `true` is no batch result
    });
    expect(vi.getTimerCount()).toBe(0);
    stub.reply((_req, res) => {
      res
        .writeHead(400, { 'content-type': 'application/json', connection: 'close' })
        .end('{"error":"ERROR_ARGUMENT","error_description":"no"}');
    });
    expect(await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
      code: 'ERROR_ARGUMENT',
    });
    expect(vi.getTimerCount()).toBe(0);
    await t.close();
  });

  it("lets the caller's abort win as ABORTED, before the deadline and at the same moment, leaving nothing behind", async () => {
    const t = createWebhookTransport(stub.webhook);
    fakeTimers();
    stub.reply(stall);

    const early = new AbortController();
    let before = stub.requests();
    const first = log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }, { signal: early.signal }));
    await until(() => stub.requests() === before + 1);
    await vi.advanceTimersByTimeAsync(10_000);
    early.abort();
    expect(await first).toMatchObject({ code: 'ABORTED', kind: 'network' });
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(early.signal, 'abort')).toHaveLength(0);

    // The caller's abort lands in the same turn as the deadline (its timer fires just after ours, before the aborted
    // request has rejected): still ABORTED.
    const tie = new AbortController();
    before = stub.requests();
    const second = log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }, { signal: tie.signal }));
    setTimeout(() => tie.abort(), 15_000);
    await until(() => stub.requests() === before + 1);
    vi.advanceTimersByTime(15_000);
    expect(await second).toMatchObject({ code: 'ABORTED', kind: 'network' });
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(tie.signal, 'abort')).toHaveLength(0);

    // A signal that served a finished call: its later abort touches nothing.
    const late = new AbortController();
    stub.reply((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', connection: 'close' }).end('{"result":true}');
    });
    await expect(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }, { signal: late.signal })).resolves.toBe(true);
    expect(getEventListeners(late.signal, 'abort')).toHaveLength(0);
    late.abort();
    await t.close();
  });

  it('close() lets a call in flight finish, but only until its deadline', async () => {
    const t = createWebhookTransport(stub.webhook, { timeoutMs: 5_000 });
    fakeTimers();
    stub.reply(stall);
    const before = stub.requests();
    const call = log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }));
    await until(() => stub.requests() === before + 1);
    const closing = t.close();
    const closed = watch(closing);
    await vi.advanceTimersByTimeAsync(4_999);
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(closed.settled).toBe(false); // graceful: the call is still let run
    await vi.advanceTimersByTimeAsync(1);
    expect(await call).toMatchObject({ code: 'TIMEOUT', kind: 'timeout' });
    await closing;
    expect(vi.getTimerCount()).toBe(0);
    await until(() => stub.openSockets() === 0);
    // And later calls are refused as before.
    expect(await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
      code: 'CLIENT_CLOSED',
      kind: 'network',
    });
  });

  it('stops at once on abort or deadline while the connection is still being made, and close() is not held', async () => {
    // A TLS handshake that never completes (a firewall that accepts and then drops everything): undici heeds an
    // abort only once a request has a socket, so without more the call waited for connectTimeoutMs, not timeoutMs.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const t = createWebhookTransport(`https://127.0.0.1:${port}/rest/1/stubwebhookcode/`, {
      connectTimeoutMs: 60_000,
    });
    fakeTimers();
    const turns = async () => {
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    };

    const controller = new AbortController();
    const aborted = log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }, { signal: controller.signal }));
    const abortedState = watch(aborted);
    await until(() => sockets.size === 1);
    controller.abort();
    await turns();
    expect(abortedState.settled).toBe(true);
    expect(await aborted).toMatchObject({ code: 'ABORTED', kind: 'network' });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);

    const timed = log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }));
    const timedState = watch(timed);
    await vi.advanceTimersByTimeAsync(15_000);
    await turns();
    expect(timedState.settled).toBe(true);
    expect(await timed).toMatchObject({ code: 'TIMEOUT', kind: 'timeout', message: 'no answer within 15000 ms' });
    expect(vi.getTimerCount()).toBe(0);

    // Nothing of ours is left in the pool, so close() is not held by the connection undici still tries to make (it
    // ends that socket: see the next test).
    const closed = watch(t.close());
    await turns();
    expect(closed.settled).toBe(true);
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it('close() drops a connection still being made instead of leaving it open until connectTimeoutMs', async () => {
    // A TLS handshake that never completes: undici's destroy() leaves a socket still connecting alone, so it stayed
    // open (a file descriptor, a timer) for connectTimeoutMs after close() had resolved. This is also the guard of
    // what the fix relies on, undici's connector returning the socket it opens: were it to return nothing, close()
    // would silently have no socket to end, and the server would still see this one open.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.resume(); // reads the ClientHello and drops it, so the server sees the client hang up
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const t = createWebhookTransport(`https://127.0.0.1:${port}/rest/1/stubwebhookcode/`, {
      connectTimeoutMs: 2 ** 31 - 1,
    });
    fakeTimers();
    const controller = new AbortController();
    const call = log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }, { signal: controller.signal }));
    await until(() => sockets.size === 1);
    controller.abort();
    expect(await call).toMatchObject({ code: 'ABORTED' });
    await t.close();
    // The server sees the connection closed, on real turns of the event loop; no timer was moved.
    await until(() => sockets.size === 0);
    expect(vi.getTimerCount()).toBe(0);
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it('stops at once on abort or deadline while queued behind busy connections', async () => {
    const t = createWebhookTransport(stub.webhook, { connections: 1, timeoutMs: 5_000 });
    fakeTimers();
    stub.reply(stall);
    const before = stub.requests();
    const busy = log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }));
    await until(() => stub.requests() === before + 1);
    const controller = new AbortController();
    const queued = log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat2' }, { signal: controller.signal }));
    const queuedState = watch(queued);
    await vi.advanceTimersByTimeAsync(1_000);
    controller.abort();
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(queuedState.settled).toBe(true); // not when the busy call gives its connection up, 4 s later
    expect(await queued).toMatchObject({ code: 'ABORTED', kind: 'network' });
    await vi.advanceTimersByTimeAsync(4_000);
    expect(await busy).toMatchObject({ code: 'TIMEOUT' });
    expect(stub.requests()).toBe(before + 1); // the aborted call was never sent
    await t.close();
  });

  it('never shows the webhook code in any error it produced', () => {
    expect(log.expectNoSecrets(['stubwebhookcode'])).toBeGreaterThanOrEqual(8);
  });
});

describe('reading replies', () => {
  it('scrubs a percent-encoded webhook code both as written in the URL and as the portal decodes it', async () => {
    // Lower-case hex on purpose: encodeURIComponent of the decoded code writes upper case, so neither form covers
    // the other, and a server may quote either (its access log the raw path, PHP the decoded one).
    const t = createWebhookTransport(`${stub.url}/rest/1/wh%2bk9Lp/`);
    stub.reply((req, res) => {
      const description = `no such method at ${req.url} (webhook ${decodeURIComponent(String(req.url).split('/')[3]!)})`;
      res
        .writeHead(400, { 'content-type': 'application/json', connection: 'close' })
        .end(JSON.stringify({ error: 'ERROR_METHOD_NOT_FOUND', error_description: description }));
    });
    const error = await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }));
    expect(error).toMatchObject({ code: 'ERROR_METHOD_NOT_FOUND', status: 400 });
    expect(error.message).toContain('/rest/1/***/im.dialog.writing');
    expect(error.message).not.toContain('wh%2bk9Lp');
    expect(error.message).not.toContain('wh+k9Lp');
    await t.close();
  });

  it("keeps a request sent back as the reply out of the error's cause (undici's parse error holds the bytes)", async () => {
    // A port that mirrors what it gets is no HTTP server: undici's HTTPParserError, kept as the cause, carried the
    // whole request as its `data`, the webhook code in the path and the body's bot token, for any logger to print.
    const mirror = await startMirrorServer();
    const t = createWebhookTransport(`${mirror.url}/rest/1/stubwebhookcode/`);
    const error = await log.rejection(
      t.call('imbot.v2.Chat.InputAction.notify', { dialogId: 'chat1', botToken: 'mirroredbottoken' }),
    );
    expect(error).toMatchObject({ code: 'NETWORK_ERROR', kind: 'network' });
    // Still there to read: what undici made of the reply.
    expect(error.cause).toMatchObject({ name: 'HTTPParserError', message: expect.stringContaining('HTTP/1.1') });
    const printed = inspect(error, { depth: 10, showHidden: true });
    expect(printed).not.toContain('stubwebhookcode');
    expect(printed).not.toContain('mirroredbottoken');
    await t.close();
    await mirror.close();
  });

  it('reads a reply of up to 8 MiB by default and refuses a larger one as a server error', async () => {
    const t = createWebhookTransport(stub.webhook);
    const reply = (bytes: number) => {
      const body = `{"result":true,"pad":"${'x'.repeat(bytes - 24)}"}`;
      expect(body).toHaveLength(bytes);
      stub.reply((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', connection: 'close' }).end(body);
      });
    };
    reply(8 * 1024 * 1024);
    await expect(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
    reply(8 * 1024 * 1024 + 1);
    expect(await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
      code: 'ERROR_UNEXPECTED_ANSWER',
      kind: 'server',
      status: 200,
    });
    await t.close();
  });

  it('close() called again returns the same promise, and calls after it are refused', async () => {
    await expectClosesOnce(createWebhookTransport(stub.webhook), log);
  });

  it('reads a reply that starts with a UTF-8 byte order mark, as fetch and the browser transports do', async () => {
    // An on-premise portal with a PHP file saved "with BOM" (init.php, say) prefixes every reply with one.
    const t = createWebhookTransport(stub.webhook);
    stub.reply((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', connection: 'close' }).end('\uFEFF{"result":true}');
    });
    await expect(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
    stub.reply((_req, res) => {
      res
        .writeHead(400, { 'content-type': 'application/json', connection: 'close' })
        .end('\uFEFF{"error":"ERROR_ARGUMENT","error_description":"bad"}');
    });
    expect(await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
      code: 'ERROR_ARGUMENT',
      kind: 'input',
    });
    await t.close();
  });
});

/**
 * undici runs its timers above 1 s (connect, headers, body) on a clock of its own that a real timer moves in ~0.5 s
 * steps, which fake timers cannot reach once it runs (see beforeAll). `tick` is how undici's own tests move it: each
 * call moves it by `ms` (to within a step) and fires what is due, so those defaults are seen in virtual time too.
 */
const undiciClock = createRequire(import.meta.url)('undici/lib/util/timers.js') as { tick(ms: number): void };

/** Moves undici's clock by `ms` in total, in steps, with real turns of the event loop between them for the sockets. */
async function advanceUndiciClock(ms: number): Promise<void> {
  for (let left = ms; left > 0; left -= 1_000) {
    undiciClock.tick(Math.min(1_000, left));
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  }
}

/** A TCP server on loopback that accepts and never answers: an https client's TLS handshake hangs there. */
async function startSilentServer() {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.resume();
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    webhook: `https://127.0.0.1:${port}/rest/1/stubwebhookcode/`,
    sockets,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A server on loopback that answers every request `{"result":true}` and keeps the connection, with no Keep-Alive hint
 * (which undici would take instead of its own timeout).
 */
async function startKeepAliveServer() {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', () => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 15\r\n\r\n{"result":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    webhook: `http://127.0.0.1:${port}/rest/1/stubwebhookcode/`,
    sockets,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The documented connection defaults, each seen in what it does with every other limit out of the way (a `timeoutMs`
 * of 2^31 - 1 ms, the longest there is, so the 15 s deadline never fires first). undici's clock moves in ~0.5 s steps,
 * so a default is pinned to within a second: enough to tell 30 s from 15 s, 20 s or 60 s.
 */
describe('connection defaults', () => {
  const NEVER = 2 ** 31 - 1;

  /** `call` still pending a second before `ms` on undici's clock, and settled half a second after it. */
  async function expectSettledAfter(call: Promise<unknown>, ms: number): Promise<void> {
    const state = watch(call);
    await advanceUndiciClock(ms - 1_000);
    expect(state.settled).toBe(false);
    await advanceUndiciClock(1_500);
    expect(state.settled).toBe(true);
  }

  it('gives up connecting after 10 s by default (connectTimeoutMs)', async () => {
    const silent = await startSilentServer();
    const t = createWebhookTransport(silent.webhook, { timeoutMs: NEVER });
    const call = log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }));
    await until(() => silent.sockets.size === 1); // the TCP connection is made, the TLS handshake hangs
    await expectSettledAfter(call, 10_000);
    expect(await call).toMatchObject({
      code: 'TIMEOUT',
      kind: 'timeout',
      message: 'timed out connecting (UND_ERR_CONNECT_TIMEOUT)',
    });
    await t.close();
    await silent.close();
  });

  it('gives up waiting for the response headers after 30 s by default (headersTimeoutMs)', async () => {
    const t = createWebhookTransport(stub.webhook, { timeoutMs: NEVER });
    stub.reply(() => {}); // the request is read, no answer ever comes
    const before = stub.requests();
    const call = log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }));
    await until(() => stub.requests() === before + 1);
    await expectSettledAfter(call, 30_000);
    expect(await call).toMatchObject({
      code: 'TIMEOUT',
      kind: 'timeout',
      message: 'timed out waiting for the response headers (UND_ERR_HEADERS_TIMEOUT)',
    });
    await until(() => stub.openSockets() === 0);
    await t.close();
  });

  it('gives up on a response body silent for 30 s by default (bodyTimeoutMs)', async () => {
    const t = createWebhookTransport(stub.webhook, { timeoutMs: NEVER, headersTimeoutMs: NEVER });
    stub.reply(stall);
    let headers = 0;
    const onHeaders = () => headers++;
    subscribe('undici:request:headers', onHeaders);
    try {
      const call = log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }));
      await until(() => headers === 1); // undici has the headers: from now on only the body timer runs
      await expectSettledAfter(call, 30_000);
      expect(await call).toMatchObject({
        code: 'TIMEOUT',
        kind: 'timeout',
        status: 200,
        message: 'timed out reading the response body (UND_ERR_BODY_TIMEOUT)',
      });
    } finally {
      unsubscribe('undici:request:headers', onHeaders);
    }
    await until(() => stub.openSockets() === 0);
    await t.close();
  });

  it.each([
    ['10 s by default', undefined, 10_000],
    ['the keepAliveTimeoutMs given, not the default', 3_000, 3_000],
  ] as const)('keeps an idle connection for %s (keepAliveTimeoutMs)', async (_, keepAliveTimeoutMs, keptMs) => {
    const server = await startKeepAliveServer();
    const t = createWebhookTransport(server.webhook, keepAliveTimeoutMs === undefined ? {} : { keepAliveTimeoutMs });
    fakeTimers(); // undici's keep-alive timer is a plain setTimeout, taken when it is set
    await expect(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
    expect(server.sockets.size).toBe(1);
    await vi.advanceTimersByTimeAsync(keptMs - 1);
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(server.sockets.size).toBe(1); // still kept for the next call
    await vi.advanceTimersByTimeAsync(1);
    await until(() => server.sockets.size === 0); // undici closed it, not close() (not called yet)
    await t.close();
    await server.close();
  });

  it('gives up connecting after the connectTimeoutMs given, not the default', async () => {
    const silent = await startSilentServer();
    const t = createWebhookTransport(silent.webhook, { timeoutMs: NEVER, connectTimeoutMs: 3_000 });
    const call = log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }));
    await until(() => silent.sockets.size === 1);
    await expectSettledAfter(call, 3_000);
    expect(await call).toMatchObject({ code: 'TIMEOUT', message: 'timed out connecting (UND_ERR_CONNECT_TIMEOUT)' });
    await t.close();
    await silent.close();
  });

  it('close() ends an idle keep-alive connection at once, not when keepAliveTimeoutMs runs out', async () => {
    const server = await startKeepAliveServer();
    const t = createWebhookTransport(server.webhook);
    fakeTimers(); // the keep-alive timer never fires: only close() can end the connection
    await expect(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
    expect(server.sockets.size).toBe(1);
    await t.close();
    await until(() => server.sockets.size === 0);
    await server.close();
  });

  it('opens at most 32 connections per origin by default, queueing the next call (connections)', async () => {
    const t = createWebhookTransport(stub.webhook);
    stub.reply(() => {}); // every request holds its connection
    const before = stub.requests();
    const controllers = Array.from({ length: 33 }, () => new AbortController());
    const calls = controllers.map((controller, i) =>
      log.rejection(t.call('im.dialog.writing', { DIALOG_ID: `chat${i + 1}` }, { signal: controller.signal })),
    );
    await until(() => stub.requests() === before + 32);
    for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(stub.requests()).toBe(before + 32); // the 33rd waits for a connection
    expect(stub.openSockets()).toBe(32);
    controllers[0]!.abort(); // its connection is given up: the 33rd takes the free place
    await until(() => stub.requests() === before + 33);
    for (const controller of controllers) controller.abort();
    for (const call of calls) expect(await call).toMatchObject({ code: 'ABORTED' });
    await until(() => stub.openSockets() === 0);
    await t.close();
  });
});
