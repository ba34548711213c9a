// The reply is the one thing the user waits for: a portal that refuses it for the rate limit (QUERY_LIMIT_EXCEEDED,
// which it sends before running anything, so a retry cannot post twice) must delay it, not lose it. Forty dialogs
// asking at once on the standard plan are enough to get there, with the indicator batches sharing the bucket.
import { describe, expect, it, vi } from 'vitest';
import { createLocalModel } from './createLocalModel';
import { useBotHarness } from './startBot.test.fixture';

const setup = useBotHarness();

describe('llm-bot under the portal rate limit', () => {
  it('retries a reply the portal refused with QUERY_LIMIT_EXCEEDED instead of losing it', async () => {
    const { emulator, lines, ask, waitFor, conversation } = await setup(createLocalModel({ speed: 0.2 }), {
      statusPolicy: { minDwellMs: 100 },
    });
    // the portal's bucket is empty when the reply goes out (other apps on this IP, other dialogs of this bot)
    emulator.addFault({ method: 'imbot.v2.Chat.Message.send', status: 503, error: 'QUERY_LIMIT_EXCEEDED', times: 2 });
    const q = await ask('How does a bot show its status?');
    const c = await waitFor(q, (c) => c.reply !== undefined);
    expect(c.reply?.text).toMatch(/Bot statuses in Bitrix24/);
    expect(conversation(q).callsAfterReply).toEqual([]);
    expect(lines.some((l) => /model failed/.test(l))).toBe(false);
  });

  it('reports a reply the portal refused for good at once, as a failed send, not a failed model', async () => {
    const { emulator, lines, ask, waitFor } = await setup(createLocalModel({ speed: 0.2 }), {
      statusPolicy: { minDwellMs: 100 },
    });
    emulator.addFault({ method: 'imbot.v2.Chat.Message.send', status: 400, error: 'PARAMS_ERROR', times: 1 });
    const q = await ask('How does a bot show its status?');
    const c = await waitFor(q, (c) => c.reply !== undefined);
    const refused = emulator
      .timeline()
      .find((e) => e.kind === 'call' && e.method === 'imbot.v2.Chat.Message.send' && e.error !== null);
    expect(refused).toMatchObject({ error: 'PARAMS_ERROR' });
    // the status stopped when the text was ready (no clear is coming): nothing to wait 5 s for
    expect(c.reply!.time - refused!.time).toBeLessThan(1_000);
    expect(c.reply?.text).toMatch(/^Sorry, I could not answer that: PARAMS_ERROR/);
    expect(lines.some((l) => /could not send the reply: PARAMS_ERROR/.test(l))).toBe(true);
  });

  it('stops without waiting out a rate backoff: the reply that could not be sent is given up, not retried on', async () => {
    const { emulator, bot, lines, ask } = await setup(createLocalModel({ speed: 0.2 }), {
      statusPolicy: { minDwellMs: 100 },
    });
    emulator.addFault({ method: 'imbot.v2.Chat.Message.send', status: 503, error: 'QUERY_LIMIT_EXCEEDED', times: 100 });
    await ask('How does a bot show its status?');
    const refusals = () =>
      emulator.timeline().filter((e) => e.kind === 'call' && e.method === 'imbot.v2.Chat.Message.send').length;
    await vi.waitFor(() => expect(refusals()).toBe(1), { timeout: 15_000 });
    await bot.stop(); // before: a backoff of up to 8 s per attempt, until stop()'s own 8 s limit gave up on it
    expect(lines.some((l) => /stopped before the reply was sent/.test(l))).toBe(true);
    const after = refusals();
    await new Promise((resolve) => setImmediate(resolve));
    expect(refusals()).toBe(after);
    expect(after).toBeLessThanOrEqual(2);
  });
});
