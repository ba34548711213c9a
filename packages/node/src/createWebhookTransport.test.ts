import { getEventListeners } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createErrorLog } from '../test/errorLog';
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

  it('never shows the webhook code in any error it produced', () => {
    expect(log.expectNoSecrets(['stubwebhookcode'])).toBeGreaterThanOrEqual(8);
  });
});
