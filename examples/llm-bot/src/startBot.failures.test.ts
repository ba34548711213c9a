// The reply is the one thing the user waits for: a portal that refuses it for the rate limit (QUERY_LIMIT_EXCEEDED,
// which it sends before running anything, so a retry cannot post twice) must delay it, not lose it. Forty dialogs
// asking at once on the standard plan are enough to get there, with the indicator batches sharing the bucket.
import { createServer } from 'node:net';
import { B24Error, B24InputError, type StatusPolicy, type Transport } from '@b24-typing/core';
import type { CallEntry, Emulator, FaultSpec } from '@b24-typing/emulator';
import { describe, expect, it, vi } from 'vitest';
import { createLocalModel } from './createLocalModel';
import {
  ALL_CLOCKS,
  emulatorTransport,
  type Harness,
  type HeldSends,
  holdSends,
  useBotHarness,
  waitUntil,
} from './startBot.test.fixture';

const setup = useBotHarness();
/** A portal whose bucket holds three requests (2/s): five chats answered at once overflow it. */
const tightSetup = useBotHarness({ plan: { perSecond: 2, burst: 3 } });

/**
 * The transport of a restart: the portal has the bot and its handler URL from the last run, so its first registration
 * goes through; Bob writes to the bot and the portal posts the event at once (taken with a 200 while this run
 * registers: it will not come again, §4.4). `asked` hears Bob's message id; `then` makes this run's registration
 * call, after the portal has posted. Every other call goes to the emulator as it is.
 */
function restartTransport(
  e: Emulator,
  asked: (messageId: number) => void,
  then: (
    http: Transport,
    method: string,
    params: Record<string, unknown>,
    options: Parameters<Transport['call']>[2],
  ) => Promise<unknown>,
): Transport {
  const http = emulatorTransport(e);
  const user = emulatorTransport(e, 2);
  let restarted = false;
  return {
    call: async (method, params, options) => {
      if (method !== 'imbot.v2.Bot.register' || restarted) return http.call(method, params, options);
      restarted = true;
      const id = ((await http.call(method, params)) as { bot: { id: number } }).bot.id;
      asked((await user.call('im.message.add', { DIALOG_ID: String(id), MESSAGE: 'Are you there?' })) as number);
      await e.settled();
      return then(http, method, params, options);
    },
  };
}

/** Listens on `port` (0: any) on loopback and closes again; resolves with the port it got, rejects when it is taken. */
function listenOn(port: number): Promise<number> {
  const probe = createServer();
  return new Promise((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(port, '127.0.0.1', () => {
      const got = (probe.address() as { port: number }).port;
      probe.close(() => resolve(got));
    });
  });
}

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
    expect(c.reply?.text).toBe('Sorry, I could not answer that: sending my message to the chat failed');
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

  it('stop() in webhook mode gives up the restart notice the portal refuses for its rate limit after 5 s, retrying none after (virtual time)', async () => {
    const { emulator, bot, lines, ask, waitFor, conversation, advance } = await setup(
      createLocalModel(),
      (emulator) => ({
        events: { mode: 'webhook', applicationToken: emulator.webhookApplicationToken(1) },
      }),
    );
    const sends = () =>
      emulator.timeline().filter((e) => e.kind === 'call' && e.method === 'imbot.v2.Chat.Message.send').length;
    // The model's delays, the bot's waits, core's indicator scheduler and the emulator's clock in one virtual time.
    vi.useFakeTimers({ toFake: [...ALL_CLOCKS] });
    try {
      const q = await ask('How does a bot show its status?');
      await advance(5_000, () => conversation(q).statuses.length > 0);
      expect(conversation(q).statuses.map((s) => s.status)).toEqual(['thinking']);
      emulator.addFault({
        method: 'imbot.v2.Chat.Message.send',
        status: 503,
        error: 'QUERY_LIMIT_EXCEEDED',
        times: 100,
      });
      let stopped = false;
      const stopping = bot.stop().then(() => {
        stopped = true;
      });
      // the answer aborted, its clear sent by core's scheduler (virtual time), then the notice is tried
      // before: no notice was ever tried (the message taken with a 200 was dropped in silence)
      await advance(8_000, () => sends() > 0);
      expect(sends()).toBeGreaterThan(0);
      expect(stopped).toBe(false); // backing off
      const firstTry = Date.now();
      await advance(10_000, () => stopped);
      await stopping; // at the 5 s bound, not after a minute of backoffs
      expect(Date.now() - firstTry).toBeLessThanOrEqual(5_250);
      await waitFor(q, () => lines.some((l) => /could not tell of the restart/.test(l)));
      const after = sends();
      await vi.advanceTimersByTimeAsync(60_000);
      await emulator.settled();
      expect(sends()).toBe(after); // and nothing retried after stop() returned
      // the status cleared (its clear's second) before the notice was tried, none after
      const c = conversation(q);
      expect(c.clears).toHaveLength(1);
      expect(c.calls.at(-1)).toBe(c.clears[0]);
      expect(
        emulator.indicators().filter((i) => i.senderId === bot.botId && i.visibleUntil! - i.since > 1_000),
      ).toEqual([]); // no status left up but the clear's second
    } finally {
      vi.useRealTimers();
    }
  });

  it('stop() gives up an apology the portal refuses for its rate limit once its wait for the answers ends, retrying none after (virtual time)', async () => {
    const { emulator, bot, lines, ask, waitFor, conversation, advance } = await setup(
      createLocalModel({ failWith: 'upstream model overloaded' }), // reasons ~0.95 s, then fails
      (emulator) => ({ events: { mode: 'webhook', applicationToken: emulator.webhookApplicationToken(1) } }),
    );
    const sends = () =>
      emulator.timeline().filter((e) => e.kind === 'call' && e.method === 'imbot.v2.Chat.Message.send').length;
    emulator.addFault({ method: 'imbot.v2.Chat.Message.send', status: 503, error: 'QUERY_LIMIT_EXCEEDED', times: 100 });
    // The model's delays, the bot's waits, core's indicator scheduler and the emulator's clock in one virtual time,
    // moved only while none of the bot's calls is on the wire.
    vi.useFakeTimers({ toFake: [...ALL_CLOCKS] });
    try {
      const q = await ask('Will this work?');
      // thinking, the model fails, its clear lands, the apology is tried and refused, and backs off
      await advance(5_000, () => sends() > 0);
      const c = conversation(q);
      expect(c.statuses.map((s) => s.status)).toEqual(['thinking']);
      expect(c.clears).toHaveLength(1); // cleared before the apology was tried
      let stopped = false;
      const stopping = bot.stop().then(() => {
        stopped = true;
      });
      const stopAt = Date.now();
      await advance(10_000, () => stopped); // stop() waits 8 s for the answers, the apology's retries too
      await stopping;
      expect(Date.now() - stopAt).toBeLessThanOrEqual(8_250);
      await waitFor(q, () => lines.some((l) => /could not report the failure/.test(l)));
      const after = sends();
      await vi.advanceTimersByTimeAsync(60_000);
      await emulator.settled();
      expect(sends()).toBe(after); // before: retried on for up to a minute after stop() returned
      expect(conversation(q).calls).toEqual(c.calls); // and no status call after the apology's tries
    } finally {
      vi.useRealTimers();
    }
  });

  it('retries a registration refused for a passing reason (rate limit, 5xx, a dropped connection) with backoff, and answers the event taken meanwhile (virtual time)', async () => {
    let q = 0;
    let lines: string[] = [];
    let emulator: Emulator | undefined;
    const registrations = () =>
      (emulator?.timeline() ?? []).filter((e) => e.kind === 'call' && e.method === 'imbot.v2.Bot.register');
    // The bot's backoffs, core's indicator scheduler and the emulator's clock in one virtual time; HTTP stays real.
    vi.useFakeTimers({ toFake: [...ALL_CLOCKS] });
    let harness: Promise<Harness>;
    try {
      harness = setup(createLocalModel({ speed: 0 }), (e, log) => {
        emulator = e;
        lines = log;
        const transport = restartTransport(
          e,
          (asked) => {
            q = asked;
          },
          (http, method, params, options) => {
            // … and the portal is busy: this run's registration is refused three times, for passing reasons.
            e.addFault({ method, status: 503, error: 'QUERY_LIMIT_EXCEEDED', times: 1 });
            e.addFault({ method, status: 500, error: 'INTERNAL_SERVER_ERROR', times: 1 });
            e.addFault({ method, reset: true, times: 1 });
            return http.call(method, params, options);
          },
        );
        return { transport, events: { mode: 'webhook', applicationToken: e.webhookApplicationToken(1) } };
      });
      let failed: { error: unknown } | undefined;
      let registered = false;
      harness.then(
        () => {
          registered = true;
        },
        (error: unknown) => {
          failed = { error };
        },
      );
      const retries = () => lines.filter((l) => /could not register/.test(l)).length;
      for (let waited = 0; ; waited = retries()) {
        // A refusal landed and the bot waits out its backoff (logged as the wait starts): move the clock past it.
        await waitUntil(
          () => {
            if (failed) throw failed.error; // before: startBot threw at the first refusal
            return registered || retries() > waited;
          },
          () => JSON.stringify(lines),
        );
        if (registered) break;
        await vi.advanceTimersByTimeAsync(12_000); // the longest of the first four backoffs (±50 %)
      }
      // registered: the event kept meanwhile is answered (the search tool's delay in virtual time)
      const { advance, conversation } = await harness;
      await advance(10_000, () => conversation(q).reply !== undefined);
      expect(conversation(q).statuses.length).toBeGreaterThan(0); // a status before the reply
      expect(conversation(q).callsAfterReply).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
    const { bot, conversation } = await harness;
    expect(registrations().map((e) => (e.kind === 'call' ? e.error : undefined))).toEqual([
      null, // the last run's
      'QUERY_LIMIT_EXCEEDED',
      'INTERNAL_SERVER_ERROR',
      'RESET',
      null,
    ]);
    expect(emulator!.deliveries()).toEqual([
      expect.objectContaining({ botId: bot.botId, event: 'ONIMBOTV2MESSAGEADD', status: 200 }),
    ]);
    expect(conversation(q).reply?.text).toMatch(/Are you there/);
    // bounded backoffs, growing: 0.5, 1, 2 s ±50 %
    const waits = lines.filter((l) => /could not register/.test(l)).map((l) => Number(/in (\d+) ms/.exec(l)?.[1]));
    expect(waits).toHaveLength(3);
    waits.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(250 * 2 ** i);
      expect(ms).toBeLessThanOrEqual(750 * 2 ** i);
    });
  });

  it('gives up a registration refused for good at once, without retrying it', async () => {
    let emulator: Emulator | undefined;
    await expect(
      setup(createLocalModel({ speed: 0 }), (e) => {
        emulator = e;
        e.addFault({ method: 'imbot.v2.Bot.register', status: 400, error: 'BOT_LIMIT_EXCEEDED', times: 1 });
        return {};
      }),
    ).rejects.toThrow(/BOT_LIMIT_EXCEEDED/);
    expect(emulator!.timeline().filter((e) => e.kind === 'call' && e.method === 'imbot.v2.Bot.register')).toHaveLength(
      1,
    );
  });

  it('gives up a registration the portal keeps refusing for its rate limit after about a minute of backoffs (virtual time)', async () => {
    let emulator: Emulator | undefined;
    let lines: string[] = [];
    vi.useFakeTimers({ toFake: [...ALL_CLOCKS] });
    let failed: { error: unknown } | undefined;
    try {
      setup(createLocalModel({ speed: 0 }), (e, log) => {
        emulator = e;
        lines = log;
        e.addFault({ method: 'imbot.v2.Bot.register', status: 503, error: 'QUERY_LIMIT_EXCEEDED' });
        return {};
      }).then(
        () => {},
        (error: unknown) => {
          failed = { error };
        },
      );
      const retries = () => lines.filter((l) => /could not register/.test(l)).length;
      for (let step = 0, waited = 0; !failed; step++, waited = retries()) {
        // before: retried for as long as the portal refused, startBot never settling
        expect(step).toBeLessThan(20);
        await waitUntil(
          () => failed !== undefined || retries() > waited,
          () => JSON.stringify(lines),
        );
        // exactly the backoff just logged: a longer move could run past the next one before it is logged
        const ms = Number(/in (\d+) ms$/.exec(lines.at(-1) ?? '')?.[1]);
        if (!failed) await vi.advanceTimersByTimeAsync(ms);
      }
    } finally {
      vi.useRealTimers();
    }
    expect(failed?.error).toMatchObject({ code: 'QUERY_LIMIT_EXCEEDED' });
    const registrations = emulator!.timeline().filter((e) => e.kind === 'call' && e.method === 'imbot.v2.Bot.register');
    expect(registrations).toHaveLength(10);
    // 0.5, 1, 2, 4, 8, 8, 8, 8, 8 s, each ±50 %: about a minute in all (47.5 s at the middle)
    const waits = lines.filter((l) => /could not register/.test(l)).map((l) => Number(/in (\d+) ms/.exec(l)?.[1]));
    expect(waits).toHaveLength(9);
    waits.forEach((ms, i) => {
      const base = 500 * 2 ** Math.min(i, 4);
      expect(ms).toBeGreaterThanOrEqual(base / 2);
      expect(ms).toBeLessThanOrEqual(base * 1.5);
    });
  });

  it('stops a registration being retried when its signal aborts: no backoff waited out, no attempt after (virtual time)', async () => {
    let emulator: Emulator | undefined;
    let lines: string[] = [];
    const stop = new AbortController();
    vi.useFakeTimers({ toFake: [...ALL_CLOCKS] });
    let failed: { error: unknown } | undefined;
    try {
      setup(createLocalModel({ speed: 0 }), (e, log) => {
        emulator = e;
        lines = log;
        e.addFault({ method: 'imbot.v2.Bot.register', status: 503, error: 'QUERY_LIMIT_EXCEEDED' });
        return { signal: stop.signal };
      }).then(
        () => {},
        (error: unknown) => {
          failed = { error };
        },
      );
      await waitUntil(
        () => lines.some((l) => /could not register/.test(l)),
        () => JSON.stringify(lines),
      );
      stop.abort(); // a Ctrl-C while the bot waits out its first backoff
      // ended without the virtual clock moving: before, it waited out every backoff (about a minute) first
      await waitUntil(
        () => failed !== undefined,
        () => JSON.stringify(lines),
      );
      const said = [...lines];
      await vi.advanceTimersByTimeAsync(60_000);
      await emulator!.settled();
      expect(lines).toEqual(said); // nothing of it ran on: no retry, no line
    } finally {
      vi.useRealTimers();
    }
    expect(failed?.error).toBeInstanceOf(B24Error);
    expect(failed?.error).toMatchObject({ code: 'ABORTED', message: expect.stringMatching(/registration aborted/) });
    const registrations = emulator!.timeline().filter((e) => e.kind === 'call' && e.method === 'imbot.v2.Bot.register');
    expect(registrations).toHaveLength(1); // and no attempt after the abort
  });

  it('abandons a registration attempt still on the wire when its signal aborts, and closes its webhook server', async () => {
    const port = await listenOn(0);
    const stop = new AbortController();
    let attempts = 0;
    const starting = setup(createLocalModel({ speed: 0 }), (e) => {
      const http = emulatorTransport(e);
      // a portal that never answers (the transport's own deadline would end each attempt, then another is tried)
      e.addFault({ method: 'imbot.v2.Bot.register', hang: true });
      const transport: Transport = {
        call: (method, params, options) => {
          if (method === 'imbot.v2.Bot.register') attempts++;
          return http.call(method, params, options);
        },
      };
      return {
        transport,
        signal: stop.signal,
        events: { mode: 'webhook', applicationToken: e.webhookApplicationToken(1), port },
      };
    });
    const outcome = starting.then(
      () => 'started',
      (error: unknown) => error,
    );
    await vi.waitFor(() => expect(attempts).toBe(1));
    stop.abort();
    // before: still waiting for the portal (the abort ignored), and for every retry after
    expect(await outcome).toMatchObject({ code: 'ABORTED', message: expect.stringMatching(/registration aborted/) });
    expect(attempts).toBe(1);
    // its server no longer listens: the port is free again
    await expect(listenOn(port)).resolves.toBe(port);
  });

  it('registers nothing and listens on nothing when its signal is aborted before it starts', async () => {
    let emulator: Emulator | undefined;
    const port = await listenOn(0);
    await expect(
      setup(createLocalModel({ speed: 0 }), (e) => {
        emulator = e;
        return {
          signal: AbortSignal.abort(),
          events: { mode: 'webhook', applicationToken: e.webhookApplicationToken(1), port },
        };
      }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    expect(emulator!.received().filter((r) => r.method === 'imbot.v2.Bot.register')).toEqual([]);
    await expect(listenOn(port)).resolves.toBe(port);
  });

  it('aborted while registering in webhook mode, tells each chat whose message it took meanwhile to ask again (the bot the events name)', async () => {
    let emulator: Emulator | undefined;
    let q = 0;
    const stop = new AbortController();
    const starting = setup(createLocalModel({ speed: 0 }), (e) => {
      emulator = e;
      const transport = restartTransport(
        e,
        (asked) => {
          q = asked;
        },
        (http, method, params, options) => {
          // … while this run's registration hangs, until a Ctrl-C.
          e.addFault({ method, hang: true, times: 1 });
          const attempt = http.call(method, params, options);
          stop.abort();
          return attempt;
        },
      );
      return {
        transport,
        signal: stop.signal,
        events: { mode: 'webhook', applicationToken: e.webhookApplicationToken(1) },
      };
    });
    await expect(starting).rejects.toMatchObject({ code: 'ABORTED' });
    const botId = emulator!.bot('b24_typing_llm_bot')!.id;
    expect(emulator!.deliveries()).toEqual([expect.objectContaining({ event: 'ONIMBOTV2MESSAGEADD', status: 200 })]);
    // before: startBot waited for the portal; with the abort alone, Bob's message taken with a 200 went untold
    expect(emulator!.messages().filter((m) => m.authorId === botId)).toEqual([
      expect.objectContaining({
        text: 'Sorry, I am restarting and could not answer your message. Please send it again in a minute.',
      }),
    ]);
    expect(q).toBeGreaterThan(0);
  });

  it('refuses a signal that is no AbortSignal with B24InputError before any network call', async () => {
    let emulator: Emulator | undefined;
    await expect(
      setup(createLocalModel({ speed: 0 }), (e) => {
        emulator = e;
        return { signal: { aborted: false } as unknown as AbortSignal };
      }),
    ).rejects.toBeInstanceOf(B24InputError);
    expect(emulator!.received()).toEqual([]);
  });

  it('keeps the status up while a refused reply is retried, and shows none after the reply landed (virtual time)', async () => {
    const { emulator, c, sends } = await retriedReply();
    expect(sends.map((e) => e.error)).toEqual([...Array(9).fill('QUERY_LIMIT_EXCEEDED'), null]);
    // one clock: the model's phases as they came, the first from the start (core's show delay is 0 by default)
    expect(c.statuses.map((s) => s.status)).toEqual(['thinking', 'searching', 'thinking', 'composing']);
    expect(c.calls[0]!.time - c.question.time).toBeLessThan(250);
    expect(c.reply?.text).toMatch(/Bot statuses in Bitrix24/);
    expect(c.reply!.time - sends[0]!.time).toBeGreaterThan(20_000); // the retries took longer than the lease
    // renewed during the backoffs (a 10 s lease, renewed 3 s before it ends), each before the next attempt
    expect(c.calls.filter((call) => call.seq > sends[0]!.seq).length).toBeGreaterThanOrEqual(2);
    // each renewal 3 s before the lease ends (the margin), not later: never a call more than 7 s after the last
    // (plus one 250 ms step of the test's clock: a call started within a step reaches the portal at its end)
    const gaps = c.calls.slice(1).map((call, i) => call.time - c.calls[i]!.time);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(7_250);
    // before: the status lapsed 10 s after its last call, while the bot was still trying to deliver
    expect(c.continuous).toBe(true);
    expect(c.calls.every((call) => call.status === 200 && call.durationSec === 10)).toBe(true);
    // and never a status call after the reply: it would show "composing" over the answer
    expect(c.callsAfterReply).toEqual([]);
    expect(emulator.indicators()).toEqual([]);
  });

  it('tries a renewal the portal refused for its rate limit again a second later, before the status lapses', async () => {
    const { c, notifies } = await retriedReply((emulator) =>
      emulator.addFault({
        method: 'imbot.v2.Chat.InputAction.notify',
        status: 503,
        error: 'QUERY_LIMIT_EXCEEDED',
        times: 2,
      }),
    );
    expect(notifies.filter((e) => e.error !== null).map((e) => e.error)).toEqual([
      'QUERY_LIMIT_EXCEEDED',
      'QUERY_LIMIT_EXCEEDED',
    ]);
    expect(c.continuous).toBe(true); // the third try, 2 s after the first, came within the 3 s margin
    expect(c.callsAfterReply).toEqual([]);
  });

  it('renews a status that came due while a refused send was on its way as that refusal lands, not a moment later (virtual time)', async () => {
    let sends: HeldSends | undefined;
    const { emulator, lines, ask, waitFor, conversation, advance, settle } = await setup(
      createLocalModel({ speed: 0.2 }),
      (emulator) => {
        // the second send waits at a gate until the test lets it go on, past the time its status was due for renewal
        sends = holdSends(emulatorTransport(emulator), { hold: (n) => n === 2, gated: true });
        return {
          transport: sends,
          events: { mode: 'webhook', applicationToken: emulator.webhookApplicationToken(1) },
          statusPolicy: { minDwellMs: 100, leaseSec: 10 },
        };
      },
    );
    const { held, release } = sends!;
    emulator.addFault({ method: 'imbot.v2.Chat.Message.send', status: 503, error: 'QUERY_LIMIT_EXCEEDED', times: 2 });
    const sendCalls = () =>
      emulator.timeline().filter((e): e is CallEntry => e.kind === 'call' && e.method === 'imbot.v2.Chat.Message.send');
    vi.useFakeTimers({ toFake: [...ALL_CLOCKS] });
    let q = 0;
    let dueAt = 0;
    try {
      q = await ask('How does a bot show its status?');
      await waitFor(q, () => lines.some((l) => l.startsWith('← ')));
      await advance(30_000, () => held() === 1, 250, held);
      expect(sendCalls().map((e) => e.error)).toEqual(['QUERY_LIMIT_EXCEEDED']); // the first refused, the second held
      // the last status call of the model's phases, renewed 3 s before its 10 s lease ends: due 7 s after it
      dueAt = conversation(q).calls.at(-1)!.time + 7_000;
      await advance(dueAt + 500 - Date.now(), undefined, 250, held);
      expect(conversation(q).calls.every((call) => call.time < dueAt - 7_000 + 1)).toBe(true); // put off meanwhile
      release(); // the send goes on and nothing is held any more: each step waits for every call again
      await advance(60_000, () => conversation(q).reply !== undefined);
    } finally {
      vi.useRealTimers();
    }
    await settle();
    const c = conversation(q);
    const refused = sendCalls()[1]!;
    expect(refused.error).toBe('QUERY_LIMIT_EXCEEDED');
    expect(refused.time).toBeGreaterThan(dueAt);
    // before (the tests' clock): the renewal reached the portal a 250 ms step after the refusal it followed
    const renewal = c.calls.find((call) => call.seq > refused.seq)!;
    expect(renewal.time).toBe(refused.time);
    expect(c.continuous).toBe(true);
    expect(c.callsAfterReply).toEqual([]);
  });

  it('shows a status while a refused reply is retried even when none was up when the text was ready (show delay)', async () => {
    // The model is done in about 2 s, within the 5 s show delay: the indicator made no call before it stopped.
    const { c, sends } = await retriedReply(undefined, { delayMs: 5_000 });
    expect(sends.map((e) => e.error)).toEqual([...Array(9).fill('QUERY_LIMIT_EXCEEDED'), null]);
    expect(c.reply!.time - c.question.time).toBeGreaterThan(20_000);
    // before: no status call at all, the person saw nothing for the whole minute of retries
    expect(c.calls.length).toBeGreaterThan(0);
    // up once the show delay ran out (not sooner: a reply within it shows none), then without a gap until the reply
    expect(c.calls[0]!.time - c.question.time).toBeGreaterThanOrEqual(5_000);
    // within one step of the test's clock: a call started at a step's start reaches the portal at its end (5,250)
    expect(c.calls[0]!.time - c.question.time).toBeLessThanOrEqual(5_250);
    expect(c.calls[0]!.statusMessageCode).toBe('IMBOT_AGENT_ACTION_COMPOSING');
    expect(c.continuous).toBe(true);
    expect(c.callsAfterReply).toEqual([]);
  });

  it.each([
    ['a 5xx', { status: 500, error: 'INTERNAL_SERVER_ERROR' }, 'INTERNAL_SERVER_ERROR'],
    ['a dropped connection', { reset: true }, 'RESET'],
  ] as const)(
    'sends a reply that failed with %s once more: the person gets the answer, not an apology (virtual time)',
    async (_, fault, recorded) => {
      const { emulator, c, sends, lines } = await retriedReply(undefined, {}, [{ ...fault, times: 1 }]);
      // before: given up at the first failure, the person got "Sorry, I could not answer that" instead of the answer
      expect(c.reply?.text).toMatch(/Bot statuses in Bitrix24/);
      expect(sends).toHaveLength(2);
      expect(sends[0]).toMatchObject({ error: recorded });
      expect(sends[1]).toMatchObject({ error: null });
      expect(lines.some((l) => /may have reached the portal .*sending it once more/.test(l))).toBe(true);
      expect(c.statuses.length).toBeGreaterThan(0);
      expect(c.continuous).toBe(true); // up (its lease) until the answer hid it
      expect(c.callsAfterReply).toEqual([]);
      expect(emulator.indicators()).toEqual([]);
    },
  );

  it('sends a reply whose answer was lost on the way back (it landed) once more, accepting the double; no status call after the first (virtual time)', async () => {
    // The portal ran the call, its reply was cut: the bot cannot tell this from a 5xx before it ran.
    const { emulator, c, sends } = await retriedReply(undefined, {}, [{ truncate: true, times: 1 }]);
    const messages = emulator.messages(c.question.chatId).filter((m) => m.authorId === c.reply!.authorId);
    expect(sends).toHaveLength(2);
    // the double is the price of never losing an answer; before: the answer, then "Sorry, I could not answer that"
    expect(messages.map((m) => m.text)).toEqual([c.reply!.text, c.reply!.text]);
    expect(c.reply?.text).toMatch(/Bot statuses in Bitrix24/);
    expect(c.continuous).toBe(true); // up until the first copy hid it
    // before: a clear (duration 1) after the answer that had landed: a status flashed over it
    expect(c.callsAfterReply).toEqual([]);
    expect(emulator.indicators()).toEqual([]);
  });

  it('gives up a reply that failed twice in a way that may have landed: one apology that says so, no status call before it (virtual time)', async () => {
    const fault = { status: 500, error: 'INTERNAL_SERVER_ERROR', times: 2 } as const;
    const { c, sends, notifies, lines } = await retriedReply(undefined, {}, [fault]);
    // the reply, sent once more, then the apology: not a third copy
    expect(sends.map((e) => e.error)).toEqual(['INTERNAL_SERVER_ERROR', 'INTERNAL_SERVER_ERROR', null]);
    expect(c.reply?.text).toBe(
      'Sorry, my answer may not have reached you (sending my message to the chat failed). If you do not see it above, please ask again.',
    );
    // no renewal or clear after the first try: it may have landed and hidden the status
    expect(notifies).toEqual([]);
    expect(c.continuous).toBe(true); // it had not: up until the apology hid it
    expect(lines.some((l) => /could not send the reply: INTERNAL_SERVER_ERROR/.test(l))).toBe(true);
  });

  it('gives up a reply the portal refused for its rate limit for about a minute: cleared, then one apology (virtual time)', async () => {
    const { emulator, c, sends, notifies, lines } = await retriedReply(undefined, {}, [
      { status: 503, error: 'QUERY_LIMIT_EXCEEDED', times: 10 },
    ]);
    // ten tries of the reply, then the apology; before: tried on as long as the portal refused
    expect(sends.map((e) => e.error)).toEqual([...Array(10).fill('QUERY_LIMIT_EXCEEDED'), null]);
    expect(c.reply?.text).toBe('Sorry, I could not answer that: sending my message to the chat failed');
    expect(lines.some((l) => /could not send the reply: QUERY_LIMIT_EXCEEDED/.test(l))).toBe(true);
    // the status held up through the retries is cleared before the apology, none after it
    const apology = sends.at(-1)!;
    const clear = notifies.filter((e) => e.seq < apology.seq).at(-1);
    expect(clear).toMatchObject({ error: null, durationSec: 1 });
    expect(c.callsAfterReply).toEqual([]);
    expect(emulator.indicators()).toEqual([]);
  });

  it('stops renewing a status the portal refused for good, and still delivers the reply', async () => {
    const { c, notifies, lines } = await retriedReply((emulator) =>
      emulator.addFault({ method: 'imbot.v2.Chat.InputAction.notify', status: 400, error: 'ACCESS_DENIED', times: 1 }),
    );
    const refused = notifies.findIndex((e) => e.error !== null);
    expect(notifies[refused]).toMatchObject({ error: 'ACCESS_DENIED' });
    expect(notifies.slice(refused + 1)).toEqual([]); // not tried again: it would be refused the same
    expect(lines.some((l) => /could not renew the status: ACCESS_DENIED/.test(l))).toBe(true);
    expect(c.reply?.text).toMatch(/Bot statuses in Bitrix24/);
  });
});

describe('llm-bot apologies and restart notices that may have landed', () => {
  // The rule that sends a reply once more after a failure that may have come after the portal ran it (a lost answer
  // is worse than a double) does not hold for the bot's own notices: a lost one costs little, a double reads as a
  // bot repeating itself. The emulator's `truncate` fault runs the call and cuts its reply: it landed.

  it('sends an apology whose answer was cut on the way back (it landed) once: never the same apology twice', async () => {
    const { botMessages, emulator, bot, lines, ask, waitFor, settle } = await setup(
      createLocalModel({ speed: 0.2, failWith: 'upstream model overloaded' }),
      { statusPolicy: { minDwellMs: 100 } },
    );
    emulator.addFault({ method: 'imbot.v2.Chat.Message.send', truncate: true, times: 1 });
    const q = await ask('Will this work?');
    const c = await waitFor(q, (c) => c.reply !== undefined);
    await waitFor(q, () => bot.busy() === 0);
    await settle();
    // before: the apology, then the same apology again
    expect(botMessages(c.question.chatId).map((m) => m.text)).toEqual([
      'Sorry, I could not answer that: the model service failed or is unavailable',
    ]);
    expect(lines.some((l) => /could not report the failure/.test(l))).toBe(true);
    expect(c.callsAfterReply).toEqual([]);
  });

  it('sends a restart notice whose answer was cut on the way back (it landed) once: never the same notice twice', async () => {
    const { botMessages, emulator, bot, lines, ask, waitFor, settle } = await setup(createLocalModel(), (emulator) => ({
      events: { mode: 'webhook', applicationToken: emulator.webhookApplicationToken(1) },
    }));
    const q = await ask('How does a bot show its status?');
    const { question } = await waitFor(q, (c) => c.statuses.length > 0);
    emulator.addFault({ method: 'imbot.v2.Chat.Message.send', truncate: true, times: 1 });
    await bot.stop();
    await settle();
    // before: the notice, then the same notice again
    expect(botMessages(question.chatId).map((m) => m.text)).toEqual([
      'Sorry, I am restarting and could not answer your message. Please send it again in a minute.',
    ]);
    expect(lines.some((l) => /could not tell of the restart/.test(l))).toBe(true);
  });
});

describe("llm-bot answering several chats at once under the portal's own rate limit", () => {
  it("five chats at once overflowing the bucket: each gets its answer, and no status call follows any chat's reply (virtual time)", async () => {
    const { emulator, bot, ask, conversation, settle, advance } = await tightSetup(
      createLocalModel({ speed: 0.2 }),
      (e) => ({
        events: { mode: 'webhook', applicationToken: e.webhookApplicationToken(1) },
        statusPolicy: { minDwellMs: 100 },
      }),
    );
    emulator.seed({
      members: [
        [1, bot.botId],
        [2, bot.botId],
      ],
    });
    // The model, the bot's backoffs, the indicators' scheduler and the bucket (the emulator's clock) in one virtual
    // time, moved only while none of the bot's calls is on the wire. With the scheduler on real timers (setInterval)
    // its wait after a refusal (a second) lasted a second of real time while the answers raced through virtual time:
    // two chats whose first status call was refused showed none at all, an artefact of the clocks, not of the bot.
    vi.useFakeTimers({ toFake: [...ALL_CLOCKS] });
    const qs: number[] = [];
    try {
      qs.push(await ask('How does a bot show its status?'));
      for (const [from, dialogId, text] of [
        [1, String(bot.botId), 'What are the rate limits?'],
        [3, String(bot.botId), 'How does batching work?'],
        [1, 'chat1', '@LLM Bot how does a bot show its status?'],
        [2, 'chat2', '@LLM Bot what are the rate limits?'],
      ] as const) {
        qs.push(emulator.postMessage({ from, dialogId, text }));
      }
      // 300 s of virtual time: far more than the answers and their backoffs
      const over = () => qs.every((q) => conversation(q).reply !== undefined) && bot.busy() === 0;
      await advance(300_000, over);
      expect(over()).toBe(true);
    } finally {
      vi.useRealTimers();
    }
    await settle();
    // the bucket did overflow: some call was refused with QUERY_LIMIT_EXCEEDED
    expect(emulator.timeline().some((e) => e.kind === 'call' && e.error === 'QUERY_LIMIT_EXCEEDED')).toBe(true);
    const chats = new Set(qs.map((q) => conversation(q).question.chatId));
    expect(chats.size).toBe(5);
    for (const q of qs) {
      const c = conversation(q);
      // Each chat shows a status before its reply, whichever calls the full bucket refused (replies, here; a status
      // call refused goes again from core a second later: calls refused together count as one overflow).
      expect(c.statuses.length, c.question.text).toBeGreaterThan(0);
      expect(c.reply?.text, c.question.text).not.toMatch(/^Sorry/);
      // the chat's timeline: every status call of this chat before its reply, none after
      expect(c.callsAfterReply, c.question.text).toEqual([]);
      // one clock: up from the question's first moment without a gap until the reply hid it (a 30 s lease)
      expect(c.continuous, c.question.text).toBe(true);
    }
    expect(emulator.indicators().filter((i) => i.senderId === bot.botId)).toEqual([]);
  });
});

/**
 * A reply the portal refuses nine times (or as `sendFaults` say) for its rate limit (about a minute of backoffs: 0.5 + 1 + 2 + 4 + 5 × 8 s,
 * ±50 %) under a 10 s status lease, so the backoffs outlast the lease whatever the jitter. The bot's timers, core's
 * indicator scheduler and the emulator's clock run in one virtual time (`ALL_CLOCKS`), moved only while none of the
 * bot's HTTP calls is on the wire (`advance`). `onFirstRefusal` runs once the first refusal has landed.
 */
async function retriedReply(
  onFirstRefusal: (emulator: Emulator) => void = () => {},
  statusPolicy: Partial<StatusPolicy> = {},
  sendFaults: readonly FaultSpec[] = [{ status: 503, error: 'QUERY_LIMIT_EXCEEDED', times: 9 }],
) {
  const { emulator, bot, lines, ask, waitFor, conversation, settle, advance } = await setup(
    createLocalModel({ speed: 0.2 }),
    (emulator) => {
      // calls one by one (no batch): each status call is a request of its own on the timeline
      const http = emulatorTransport(emulator);
      const transport: Transport = { call: (method, params, options) => http.call(method, params, options) };
      return {
        transport,
        events: { mode: 'webhook', applicationToken: emulator.webhookApplicationToken(1) },
        statusPolicy: { minDwellMs: 100, leaseSec: 10, ...statusPolicy },
      };
    },
  );
  for (const fault of sendFaults) emulator.addFault({ method: 'imbot.v2.Chat.Message.send', ...fault });
  const calls = (method: string) =>
    emulator.timeline().filter((e): e is CallEntry => e.kind === 'call' && e.method === method);
  const sends = () => calls('imbot.v2.Chat.Message.send');
  vi.useFakeTimers({ toFake: [...ALL_CLOCKS] });
  let q = 0;
  try {
    q = await ask('How does a bot show its status?');
    // the bot has taken the message; no status is up before virtual time moves (core's scheduler runs on it too)
    await waitFor(q, () => lines.some((l) => l.startsWith('← ')));
    await advance(30_000, () => sends().length > 0);
    expect(sends().length).toBeGreaterThan(0);
    onFirstRefusal(emulator);
    // until the answer is over: a retry may follow a reply that landed; 150 s is far more than nine backoffs
    const over = () => conversation(q).reply !== undefined && bot.busy() === 0;
    await advance(150_000, over);
    expect(over()).toBe(true);
  } finally {
    vi.useRealTimers();
  }
  await settle();
  const first = sends()[0]!;
  return {
    emulator,
    lines,
    c: conversation(q),
    sends: sends(),
    /** Status calls after the first refusal of the reply: the bot's renewals. */
    notifies: calls('imbot.v2.Chat.InputAction.notify').filter((e) => e.seq > first.seq),
  };
}
