import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { get, post } from '../test/http';
import { ERROR_CATALOG } from './errorCatalog';
import { startEmulator } from './startEmulator';
import type { Emulator } from './types';

let emulator: Emulator | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await emulator?.close();
  emulator = undefined;
});

const writing = (e: Emulator) => post(`${e.webhookUrl()}im.dialog.writing`, { DIALOG_ID: 'chat1' });

describe('faults', () => {
  it('replies with an injected status + error code for the next N calls of one method only', async () => {
    emulator = await startEmulator({ plan: 'off' });
    emulator.addFault({ method: 'im.dialog.writing', status: 503, error: 'QUERY_LIMIT_EXCEEDED', times: 2 });
    const replies = [await writing(emulator), await writing(emulator), await writing(emulator)];
    expect(replies.map((r) => [r.status, r.body.error ?? null])).toEqual([
      [503, 'QUERY_LIMIT_EXCEEDED'],
      [503, 'QUERY_LIMIT_EXCEEDED'],
      [200, null],
    ]);
    expect(replies[0]!.body.error_description).toBe('Too many requests');
    const other = await post(`${emulator.webhookUrl()}imbot.v2.Chat.InputAction.notify`, {
      botId: 10,
      botToken: 'agent-bot-token',
      dialogId: 'chat1',
    });
    expect(other.status).toBe(200);
    expect(emulator.faults()).toEqual([]);
    expect(emulator.stats().faultsHit).toBe(2);
  });

  it("'*' hits every REST call, and inside a batch the error goes to result_error", async () => {
    emulator = await startEmulator({
      plan: 'off',
      faults: [{ method: 'im.dialog.writing', status: 500, error: 'INTERNAL_SERVER_ERROR' }],
    });
    const batch = await post(`${emulator.webhookUrl()}batch`, { cmd: { a: 'im.dialog.writing?DIALOG_ID=chat1' } });
    expect(batch.status).toBe(200);
    expect(batch.body.result.result_error.a.error).toBe('INTERNAL_SERVER_ERROR');
    emulator.clearFaults();
    emulator.addFault({ status: 401, error: 'expired_token' });
    const any = await post(`${emulator.webhookUrl()}imbot.v2.Event.get`, { botId: 10, botToken: 'agent-bot-token' });
    expect([any.status, any.body.error]).toEqual([401, 'expired_token']);
  });

  it('resets the connection', async () => {
    emulator = await startEmulator({ plan: 'off', faults: [{ reset: true, times: 1 }] });
    await expect(writing(emulator)).rejects.toThrow();
    expect((await writing(emulator)).status).toBe(200);
    expect(
      emulator
        .timeline()
        .filter((e) => e.kind === 'call')
        .map((e) => e.kind === 'call' && e.error),
    ).toEqual(['RESET', null]);
  });

  it('hangs until the client gives up', async () => {
    emulator = await startEmulator({ plan: 'off', faults: [{ hang: true, times: 1 }] });
    const controller = new AbortController();
    const pending = fetch(`${emulator.webhookUrl()}im.dialog.writing`, {
      method: 'POST',
      body: 'DIALOG_ID=chat1',
      signal: controller.signal,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    await vi.waitFor(() => expect(emulator!.stats().faultsHit).toBe(1));
    controller.abort();
    await expect(pending).rejects.toThrow();
    expect((await writing(emulator)).status).toBe(200);
  });

  it('adds latency (fake timers: the reply waits for the clock)', async () => {
    emulator = await startEmulator({ plan: 'off' });
    emulator.addFault({ latencyMs: 5_000, times: 1 });
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    let settled = false;
    const reply = writing(emulator).then((r) => {
      settled = true;
      return r;
    });
    await vi.waitFor(() => expect(emulator!.stats().faultsHit).toBe(1));
    await vi.advanceTimersByTimeAsync(4_900);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    vi.useRealTimers();
    expect((await reply).status).toBe(200);
  });

  it("sends a fault's own description (README: status + error (+ description)), in a reply and in a batch", async () => {
    emulator = await startEmulator({ plan: 'off' });
    emulator.addFault({ method: 'im.dialog.writing', error: 'QUERY_LIMIT_EXCEEDED', description: 'Slow down, please' });
    const reply = await writing(emulator);
    // The status still comes from the catalog (§6/§7: 503 for QUERY_LIMIT_EXCEEDED); only the text is the fault's.
    expect(reply.body).toEqual({ error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Slow down, please' });
    expect(reply.status).toBe(503);
    const batch = await post(`${emulator.webhookUrl()}batch`, { cmd: { a: 'im.dialog.writing?DIALOG_ID=chat1' } });
    expect(batch.body.result.result_error.a).toEqual({
      error: 'QUERY_LIMIT_EXCEEDED',
      error_description: 'Slow down, please',
    });
  });

  it('probability draws from the seeded PRNG: same seed, same pattern', async () => {
    const pattern = async (seed: number) => {
      const e = await startEmulator({
        plan: 'off',
        seed,
        faults: [{ probability: 0.5, status: 500, error: 'INTERNAL_SERVER_ERROR' }],
      });
      const out: number[] = [];
      for (let i = 0; i < 20; i++) out.push((await writing(e)).status);
      await e.close();
      return out;
    };
    const a = await pattern(7);
    expect(await pattern(7)).toEqual(a);
    expect(a.filter((s) => s === 500).length).toBeGreaterThan(2);
    expect(a.filter((s) => s === 200).length).toBeGreaterThan(2);
  });

  it('is controlled over /_emulator/faults (add, list, delete) and validates input', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const added = await post(`${emulator.url}/_emulator/faults`, {
      method: 'im.dialog.writing',
      status: 429,
      error: 'OPERATION_TIME_LIMIT',
    });
    expect(added.body).toMatchObject({ id: 1, hits: 0 });
    expect((await writing(emulator)).status).toBe(429);
    expect((await get(`${emulator.url}/_emulator/faults`)).body.faults).toEqual([
      expect.objectContaining({ id: 1, hits: 1 }),
    ]);
    const bad = await post(`${emulator.url}/_emulator/faults`, { probability: 2, status: 500 });
    expect(bad.status).toBe(400);
    expect(bad.body.error_description).toContain('probability');
    await post(`${emulator.url}/_emulator/faults`, {}, { method: 'DELETE' });
    expect((await writing(emulator)).status).toBe(200);
  });

  it.each(Object.entries(ERROR_CATALOG))(
    'an injected %s carries the catalog status and text',
    async (code, [status, text]) => {
      emulator = await startEmulator({ plan: 'off', faults: [{ error: code }] });
      const reply = await writing(emulator);
      expect([reply.status, reply.body.error, reply.body.error_description]).toEqual([status, code, text]);
      expect(reply.body.time).toBeUndefined();
    },
  );

  it('an injected ERROR_ARGUMENT has the status the emulator sends it with (the catalog lists every REST code)', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const real = await post(`${emulator.webhookUrl()}im.dialog.writing`, '{', { contentType: 'application/json' });
    expect(real.body.error).toBe('ERROR_ARGUMENT');
    emulator.addFault({ error: 'ERROR_ARGUMENT' });
    const injected = await writing(emulator);
    expect([injected.status, injected.body.error]).toEqual([real.status, 'ERROR_ARGUMENT']);
  });
});

describe('faults and close()', () => {
  it('close() releases the timer of a latency fault still waiting: the process exits, not when the latency ends', async () => {
    // A child process, so that "nothing keeps the process alive" is what is observed.
    const script = `
      import { startEmulator } from './src/startEmulator.ts';
      const emulator = await startEmulator({ plan: 'off', faults: [{ latencyMs: 600000 }] });
      fetch(emulator.webhookUrl() + 'im.dialog.writing', { method: 'POST', body: '{}' }).catch(() => {});
      while (emulator.stats().faultsHit === 0) await new Promise((resolve) => setImmediate(resolve));
      await emulator.close();
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: 'ignore',
    });
    // Before the fix the child lived out the 10-minute latency, past this test's timeout.
    expect(await new Promise<number | null>((resolve) => child.on('exit', resolve))).toBe(0);
  }, 30_000);
});
