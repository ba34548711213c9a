import { afterEach, describe, expect, it } from 'vitest';
import { post } from '../test/http';
import { LeakyBucket } from './LeakyBucket';
import { startEmulator } from './startEmulator';
import type { Emulator } from './types';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function writing(e: Emulator): Promise<{ status: number; error?: string }> {
  const reply = await post(`${e.webhookUrl()}im.dialog.writing`, { DIALOG_ID: 'chat1' });
  return { status: reply.status, error: reply.body.error };
}

describe('LeakyBucket', () => {
  // §7: "Each request increments a counter. When the counter exceeds X, the next request is blocked": the request
  // that takes the counter from X to X + 1 still runs; the one after it is the first refused.
  it('§7: admits `burst` + 1 at once (the counter must exceed X first) and then drains at perSecond', () => {
    const bucket = new LeakyBucket(2, 50);
    for (let i = 0; i < 51; i++) expect(bucket.take(0)).toBe(true);
    expect(bucket.take(0)).toBe(false);
    expect(bucket.take(499)).toBe(false);
    expect(bucket.take(500)).toBe(true);
    expect(bucket.take(500)).toBe(false);
    expect(bucket.levelAt(26_000)).toBeCloseTo(0, 6);
  });

  // An injected clock may step back (EmulatorOptions.now only has to be finite). §7: only a request adds to the
  // counter, so time running backwards drains nothing and adds nothing either.
  it('§7: a clock that steps back neither drains nor fills the counter', () => {
    const bucket = new LeakyBucket(2, 50);
    for (let i = 0; i < 10; i++) expect(bucket.take(10_000)).toBe(true);
    expect(bucket.levelAt(5_000)).toBe(10);
    for (let i = 0; i < 41; i++) expect(bucket.take(5_000)).toBe(true);
    expect(bucket.take(5_000)).toBe(false);
  });
});

describe('rate limit over HTTP (injected clock)', () => {
  it('§7 standard: the 52nd request at one instant gets 503 QUERY_LIMIT_EXCEEDED, and one more fits every 500 ms', async () => {
    let t = 1_800_000_000_000;
    emulator = await startEmulator({ plan: 'standard', now: () => t });
    // The 51st takes the counter past X = 50; only the next one is blocked.
    for (let i = 0; i < 51; i++) expect((await writing(emulator)).status).toBe(200);
    expect(await writing(emulator)).toEqual({ status: 503, error: 'QUERY_LIMIT_EXCEEDED' });
    t += 499;
    expect((await writing(emulator)).status).toBe(503);
    t += 1;
    expect((await writing(emulator)).status).toBe(200);
    expect((await writing(emulator)).status).toBe(503);
    t += 10_000; // 20 more
    let ok = 0;
    while ((await writing(emulator)).status === 200) ok++;
    expect(ok).toBe(20);
    const stats = emulator.stats();
    expect(stats.queryLimitExceeded).toBe(4);
    expect(stats.requests).toBe(51 + 1 + 1 + 1 + 1 + 21);
  });

  it('§7 enterprise: X = 250, 5/s', async () => {
    let t = 0;
    emulator = await startEmulator({ plan: 'enterprise', now: () => t });
    const results = await Promise.all(Array.from({ length: 252 }, () => writing(emulator!)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(251);
    t += 200;
    expect((await writing(emulator)).status).toBe(200);
    expect((await writing(emulator)).status).toBe(503);
  });

  it('custom numbers and off', async () => {
    emulator = await startEmulator({ plan: { perSecond: 1, burst: 3 }, now: () => 0 });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await writing(emulator)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 503]);
    await emulator.close();
    emulator = await startEmulator({ plan: 'off', now: () => 0 });
    for (let i = 0; i < 120; i++) expect((await writing(emulator)).status).toBe(200);
  });

  it('§7: one bucket per portal: a webhook and an OAuth app share it, and the refusal is the bare documented envelope', async () => {
    emulator = await startEmulator({ plan: { perSecond: 1, burst: 2 }, now: () => 0 });
    expect((await post(`${emulator.webhookUrl(1)}im.dialog.writing`, { DIALOG_ID: 'chat1' })).status).toBe(200);
    expect((await post(`${emulator.webhookUrl(2)}im.dialog.writing`, { DIALOG_ID: 'chat1' })).status).toBe(200);
    expect((await post(`${emulator.webhookUrl(3)}im.dialog.writing`, { DIALOG_ID: 'chat1' })).status).toBe(200);
    const oauth = await post(`${emulator.restUrl}imbot.v2.Chat.InputAction.notify`, {
      botId: 11,
      dialogId: 'chat1',
      auth: emulator.fixtures.oauth.accessToken,
    });
    expect(oauth.status).toBe(503);
    expect(oauth.body).toEqual({ error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' });
  });

  it('§7: every HTTP request counts, one whose body or path the portal cannot use included', async () => {
    emulator = await startEmulator({ plan: { perSecond: 1, burst: 3 }, now: () => 0 });
    const url = `${emulator.webhookUrl()}im.dialog.writing`;
    expect((await post(url, '{"DIALOG_ID":', { contentType: 'application/json' })).body.error).toBe('ERROR_ARGUMENT');
    expect((await post(`${emulator.webhookUrl()}`, {})).body.error).toBe('ERROR_METHOD_NOT_FOUND');
    expect((await writing(emulator)).status).toBe(200);
    expect((await writing(emulator)).status).toBe(200);
    expect(await writing(emulator)).toEqual({ status: 503, error: 'QUERY_LIMIT_EXCEEDED' });
  });

  it('rateLimitStatus: 429 sends the same code with 429', async () => {
    emulator = await startEmulator({ plan: { perSecond: 1, burst: 1 }, rateLimitStatus: 429, now: () => 0 });
    expect((await writing(emulator)).status).toBe(200);
    expect((await writing(emulator)).status).toBe(200);
    expect(await writing(emulator)).toEqual({ status: 429, error: 'QUERY_LIMIT_EXCEEDED' });
  });

  it('a batch of 50 commands counts as one request', async () => {
    emulator = await startEmulator({ plan: { perSecond: 1, burst: 2 }, now: () => 0 });
    const cmd = Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [`c${i}`, 'im.dialog.writing?DIALOG_ID=chat1']),
    );
    const first = await post(`${emulator.webhookUrl()}batch`, { cmd });
    expect(first.status).toBe(200);
    expect(Object.keys(first.body.result.result)).toHaveLength(50);
    expect((await post(`${emulator.webhookUrl()}batch`, { cmd })).status).toBe(200);
    expect((await post(`${emulator.webhookUrl()}batch`, { cmd })).status).toBe(200);
    const fourth = await post(`${emulator.webhookUrl()}batch`, { cmd });
    expect([fourth.status, fourth.body.error]).toEqual([503, 'QUERY_LIMIT_EXCEEDED']);
    expect(emulator.stats()).toMatchObject({ requests: 4, batches: 3, queryLimitExceeded: 1 });
  });
});

describe('operating limit', () => {
  it('refuses a method with 429 OPERATION_TIME_LIMIT once its 10-minute usage exceeds the budget; other methods keep working', async () => {
    let t = 1_800_000_000_000;
    emulator = await startEmulator({ plan: 'off', now: () => t, operating: { budgetSec: 10, costSec: 4 } });
    const replies = [];
    for (let i = 0; i < 4; i++)
      replies.push(await post(`${emulator.webhookUrl()}im.dialog.writing`, { DIALOG_ID: 'chat1' }));
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(replies[2]!.body.time.operating).toBe(12);
    expect(replies[0]!.body.time.operating_reset_at).toBe(Math.floor(t / 1000) + 600);
    expect(replies[3]!.body.error).toBe('OPERATION_TIME_LIMIT');
    const other = await post(`${emulator.webhookUrl()}imbot.v2.Chat.InputAction.notify`, {
      botId: 10,
      botToken: 'agent-bot-token',
      dialogId: 'chat1',
    });
    expect(other.status).toBe(200);
    // Inside a batch each command is charged on its own; the batch itself is not.
    const batch = await post(`${emulator.webhookUrl()}batch`, { cmd: ['im.dialog.writing?DIALOG_ID=chat1'] });
    expect(batch.body.result.result_error).toEqual([
      { error: 'OPERATION_TIME_LIMIT', error_description: expect.any(String) },
    ]);
    t += 600_000;
    expect((await post(`${emulator.webhookUrl()}im.dialog.writing`, { DIALOG_ID: 'chat1' })).status).toBe(200);
    expect(emulator.stats().operationTimeLimit).toBe(2);
  });

  it('§5: with the limiter off, the time block has no operating keys (appendDebugInfo adds them only when it is active)', async () => {
    emulator = await startEmulator({ plan: 'off', operating: false });
    const plain = await post(`${emulator.webhookUrl()}im.dialog.writing`, { DIALOG_ID: 'chat1' });
    const batch = await post(`${emulator.webhookUrl()}batch`, { cmd: ['im.dialog.writing?DIALOG_ID=chat1'] });
    for (const reply of [plain, batch]) {
      expect(reply.status).toBe(200);
      expect(Object.keys(reply.body.time).sort()).toEqual([
        'date_finish',
        'date_start',
        'duration',
        'finish',
        'processing',
        'start',
      ]);
    }
  });

  it('§7: the budget is per webhook or app: others calling the same method keep working', async () => {
    emulator = await startEmulator({ plan: 'off', now: () => 0, operating: { budgetSec: 1, costSec: 2 } });
    const hook1 = emulator.webhookUrl(1);
    await post(`${hook1}im.dialog.writing`, { DIALOG_ID: 'chat1' });
    const blocked = await post(`${hook1}im.dialog.writing`, { DIALOG_ID: 'chat1' });
    expect([blocked.status, blocked.body.error]).toEqual([429, 'OPERATION_TIME_LIMIT']);
    expect(blocked.body.time).toBeUndefined();
    const otherHook = await post(`${emulator.webhookUrl(2)}im.dialog.writing`, { DIALOG_ID: 'chat1' });
    const app = await post(`${emulator.restUrl}im.dialog.writing`, {
      DIALOG_ID: 'chat1',
      auth: emulator.fixtures.oauth.accessToken,
    });
    expect([otherHook.status, app.status]).toEqual([200, 200]);
  });

  it('§7: without budgetSec the budget is the cloud example, 480 s: refused once the usage exceeds 480, not at it', async () => {
    // 480 s after the second call (not above it: the third runs), 481 after the third: the fourth is refused.
    const costs = [470, 10, 1, 1];
    emulator = await startEmulator({
      plan: 'off',
      now: () => 1_800_000_000_000,
      operating: { costSec: () => costs.shift() ?? 0 },
    });
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push(await writing(emulator));
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(replies[3]!.error).toBe('OPERATION_TIME_LIMIT');
  });
});
