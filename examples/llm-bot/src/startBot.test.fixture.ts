// Shared by the end-to-end tests: a fresh emulator per test, the bot under test, a user's transport, and
// helpers that read the emulator's timeline (the oracle) until the bot got somewhere.
import {
  type CallEntry,
  type Emulator,
  type EmulatorOptions,
  type MessageEntry,
  startEmulator,
} from '@b24-typing/emulator';
import type { Transport } from '@b24-typing/core';
import { createWebhookTransport, type NodeTransport } from '@b24-typing/node';
import type { LanguageModel } from 'ai';
import { afterEach, expect, onTestFinished, vi } from 'vitest';
import { createSearchTool } from './createSearchTool';
import { type Conversation, readConversation } from './readConversation';
import { type BotOptions, type RunningBot, startBot } from './startBot';

/**
 * The real timer, taken before any test fakes one: `waitFor` polls the emulator (real I/O) with it, so a test on
 * fake timers can wait for HTTP without moving its virtual clock (vi.waitFor would advance it on every check).
 */
const realSetTimeout = globalThis.setTimeout;
/** Likewise the real clock for `waitFor`'s limit: a test may fake `Date` (the emulator's clock) too. */
const realNow = Date.now;

/**
 * Every clock of the bot, core and the emulator (all in this process) for `vi.useFakeTimers`: the bot's waits and the
 * model's delays (setTimeout), core's indicator scheduler (RxJS asyncScheduler: setInterval, Date.now) and the
 * emulator's clock and rate bucket (Date). Faking only some would run core's delays (show delay, dwell, rate back-off,
 * renewals) in real milliseconds while the bot's time jumps ahead: a test could pass on timings no portal would see.
 */
export const ALL_CLOCKS = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] as const;

export interface Harness {
  readonly emulator: Emulator;
  readonly bot: RunningBot;
  /** User 2 (Bob), who writes to the bot. */
  readonly user: NodeTransport;
  /** The bot's log lines. */
  readonly lines: string[];
  ask(text: string): Promise<number>;
  /** Polls the timeline on real timers: under fake timers it lets no virtual time pass. */
  waitFor(questionId: number, done: (c: Conversation) => boolean): Promise<Conversation>;
  conversation(questionId: number): Conversation;
  /** The bot's messages in chat `chatId`, oldest first, as first posted (the emulator's `messages`). */
  botMessages(chatId: number): MessageEntry[];
  /**
   * Lets anything still in flight land before asserting that nothing came after something: 300 ms of whichever clock
   * runs, the virtual one (`ALL_CLOCKS`) moved as `advance` moves it, so a test may settle before it restores real timers.
   */
  settle(): Promise<void>;
  /**
   * Under fake timers (`ALL_CLOCKS`): moves virtual time `ms` forward in steps of `stepMs`, each only once none of the
   * bot's calls is on the wire (real I/O, waited for on real timers) and the timers due at the current instant have run
   * (and their calls landed), so that no HTTP round trip takes virtual time.
   * Stops early once `until` holds (checked before each step, and after the last once its calls have landed).
   * `held`: how many of the bot's calls are held open now (a portal's `latencyMs` or `hang` fault, or the test's own
   * transport), which no wait for real I/O ends: the steps wait for the others alone, so a test holding a call open
   * moves the clock the same way, not directly.
   */
  advance(ms: number, until?: () => boolean, stepMs?: number, held?: () => number): Promise<void>;
  /**
   * Under fake timers: `bot.stop()`, with virtual time moved on as `advance` moves it (`held` as there, 20 s at most)
   * until it returns. Resolves with how long it took, in virtual ms, for a test of stop()'s bound.
   */
  stopBot(held?: () => number): Promise<number>;
  /**
   * `stopBot` for a test of stop() with a part of an answer on its way, asserting the two things every such test owes:
   * stop() returned within its bound (`STOP_BOUND_MS`), and once it had, the bot tried no message send (refused ones
   * count) for the next 60 s of virtual time: nothing it had begun goes on behind the caller's back. Resolves with the
   * sends the portal had got when stop() returned.
   */
  stopBotWithinBound(held?: () => number): Promise<number>;
}

/**
 * stop()'s bound with a part of an answer on its way, in virtual ms: 8 s for the answers, 5 s for the restart notices,
 * and one `advance` step (250 ms) by which the clock may overshoot the instant stop() returned.
 */
const STOP_BOUND_MS = 13_250;

/** Every `imbot.v2.Chat.Message.send` the portal got (refused ones too), in order. */
export function sendCalls(emulator: Emulator): CallEntry[] {
  return emulator
    .timeline()
    .filter((e): e is CallEntry => e.kind === 'call' && e.method === 'imbot.v2.Chat.Message.send');
}

/**
 * Extra bot options, or a function of the emulator for options that need its credentials (the application token);
 * `lines` is the bot's log, for a test that waits on it while startBot has not returned yet.
 */
export type ExtraOptions = Partial<BotOptions> | ((emulator: Emulator, lines: string[]) => Partial<BotOptions>);

/**
 * Polls `done` on real timers until it holds (15 s at most): under fake timers it lets no virtual time pass, so a
 * test can wait for real I/O (HTTP to the emulator) before it moves the virtual clock. `what` names it on failure.
 */
export async function waitUntil(done: () => boolean, what: () => string): Promise<void> {
  const until = realNow() + 15_000;
  while (!done()) {
    if (realNow() > until) throw new Error(`the bot did not get there: ${what()}`);
    await new Promise((r) => realSetTimeout(r, 25));
  }
}

/** A webhook transport on the emulator whose status calls the test can watch (`emulatorTransport`). */
export interface WatchedTransport extends NodeTransport {
  /** Status calls (`imbot.v2.Chat.InputAction.notify`, sent alone) on their way now: the ones a slowed portal holds. */
  readonly statusCallsOnTheirWay: () => number;
  /** The errors of the status calls the portal refused, as they landed. */
  readonly statusCallRefusals: readonly unknown[];
}

/**
 * User `user`'s webhook transport on the emulator (1: the bot's own, the one the harness gives it), for a test that
 * builds the bot's transport itself, to fault, hold or count its calls, or that calls as the portal's admin. Closed when
 * the test ends (after the harness stopped the bot), so no test leaves a connection pool open. It watches the status
 * calls sent through it alone (`statusCallsOnTheirWay`, `statusCallRefusals`) from before the bot's own handlers: one
 * way for every test to learn that a status call is held by the portal or was refused, before the bot acts on it.
 */
export function emulatorTransport(emulator: Emulator, user = 1): WatchedTransport {
  const http = createWebhookTransport(emulator.webhookUrl(user));
  onTestFinished(() => http.close());
  let onTheirWay = 0;
  const refusals: unknown[] = [];
  return {
    call: (method, params, options) => {
      const call = http.call(method, params, options);
      if (method !== 'imbot.v2.Chat.InputAction.notify') return call;
      onTheirWay++;
      call.then(
        () => {
          onTheirWay--;
        },
        (error: unknown) => {
          onTheirWay--;
          refusals.push(error);
        },
      );
      return call;
    },
    batch: (calls, options) => http.batch(calls, options),
    close: () => http.close(),
    statusCallsOnTheirWay: () => onTheirWay,
    statusCallRefusals: refusals,
  };
}

/** A bot transport whose message sends a test holds on their way (`holdSends`). */
export interface HeldSends extends Transport {
  /** The sends held now: `advance`'s and `stopBot`'s `held`, so that they move the clock without waiting for them. */
  readonly held: () => number;
  /** Lets the sends waiting at the gate (`gated`) go on to the portal. */
  readonly release: () => void;
}

/** `holdSends`' options; `n` is the send's number, from 1. */
export interface HoldSendsOptions {
  /** Which sends count as held (none if left out). */
  hold?: (n: number) => boolean;
  /** The held sends wait for `release()` before they go on. */
  gated?: boolean;
  /** Runs as send `n` goes on to the portal, after its hold: where a test faults the portal for that very send. */
  onSend?: (n: number) => void;
}

/**
 * `http` with the bot's message sends (`imbot.v2.Chat.Message.send`) numbered from 1 as the bot makes them, for a test
 * that stops the bot while a part of its answer is on its way. The sends `hold` picks count as held (`held()`) until
 * they land: held by the portal (its `hang` fault), or first at a gate until the test calls `release()` (`gated`).
 * It has `call` alone, like the tests' own `{ call }` transports: with no `batch`, core sends each status call alone.
 */
export function holdSends(http: Transport, { hold = () => false, gated = false, onSend }: HoldSendsOptions): HeldSends {
  let sent = 0;
  let held = 0;
  let release = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    call: async (method, params, options) => {
      if (method !== 'imbot.v2.Chat.Message.send') return http.call(method, params, options);
      const n = ++sent;
      const holding = hold(n);
      if (holding) held++;
      try {
        if (holding && gated) await gate;
        onSend?.(n);
        return await http.call(method, params, options);
      } finally {
        if (holding) held--;
      }
    },
    held: () => held,
    release: () => release(),
  };
}

/** `emulatorOptions`: the portal's, e.g. a tighter `plan` so that its rate limit bites within a test. */
export function useBotHarness(
  emulatorOptions: EmulatorOptions = {},
): (model: LanguageModel, extra?: ExtraOptions) => Promise<Harness> {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return async (model, extra = {}) => {
    const emulator = await startEmulator({ ...emulatorOptions, port: 0 });
    const lines: string[] = [];
    const botToken = 'llm-bot-test-token';
    const webhooks = [emulator.webhookUrl(1), emulator.webhookUrl(2)];
    const secrets = [botToken, emulator.webhookApplicationToken(1), ...webhooks.map((url) => url.split('/').at(-2)!)];
    // Runs last, after the bot stopped (its last lines written) and everything is closed: whatever the test did, no
    // log line carried a token or a webhook code (the log is for the console).
    cleanups.push(async () => {
      for (const secret of secrets) expect(lines.filter((line) => line.includes(secret))).toEqual([]);
    });
    cleanups.push(() => emulator.close());
    const botTransport = createWebhookTransport(webhooks[0]!);
    const user = createWebhookTransport(webhooks[1]!);
    cleanups.push(async () => {
      await botTransport.close();
      await user.close();
    });
    const options: BotOptions = {
      transport: botTransport,
      botToken,
      model,
      tools: { webSearch: createSearchTool({ latencyMs: 1500 }) },
      events: { mode: 'fetch', intervalMs: 200 },
      log: (line) => lines.push(line),
      ...(typeof extra === 'function' ? extra(emulator, lines) : extra),
    };
    // The bot's calls on the wire, whatever transport it was given: `advance` moves the clock only between them.
    // `started` counts every call made, for `advance` to see whether the timers due now set off another one.
    let inFlight = 0;
    let started = 0;
    const count = <T>(work: Promise<T>) => {
      inFlight++;
      started++;
      return work.finally(() => inFlight--);
    };
    const { transport } = options;
    const counted: Transport = {
      call: (method, params, callOptions) => count(transport.call(method, params, callOptions)),
      ...(transport.batch ? { batch: (calls, callOptions) => count(transport.batch!(calls, callOptions)) } : {}),
    };
    const bot = await startBot({ ...options, transport: counted });
    cleanups.push(() => bot.stop());
    const conversation = (questionId: number) => {
      const c = readConversation(emulator.timeline(), { questionId, botId: bot.botId });
      if (!c) throw new Error(`message ${questionId} is not on the timeline`);
      return c;
    };
    const advance: Harness['advance'] = async (ms, until = () => false, stepMs = 250, held = () => 0) => {
      // Until nothing more happens at this instant: the calls on the wire landed, and the timers due now (a wait of 0
      // the bot began as a call landed, e.g. a renewal put off while a refused send was on its way) ran, and the calls
      // they made landed too. Left to the next step, such a call would reach the portal only at that step's end, as the
      // clock jumps ahead while it is still on its way: a 250 ms delay no portal would see (a lapse in a test of gaps).
      const quiet = async () => {
        for (let round = 1; ; round++) {
          await waitUntil(
            () => inFlight <= held(),
            () => `${inFlight} calls still on the wire (${held()} held open)`,
          );
          await emulator.settled();
          const before = started;
          await vi.advanceTimersByTimeAsync(0);
          if (started === before) return;
          if (round === 100) throw new Error('the bot makes calls without end at one instant of the virtual clock');
        }
      };
      await quiet();
      for (let moved = 0; moved < ms && !until(); moved += stepMs) {
        await vi.advanceTimersByTimeAsync(Math.min(stepMs, ms - moved));
        await quiet(); // what the step set off has landed before `until` is read
      }
    };
    const stopBot: Harness['stopBot'] = async (held) => {
      let stopped = false;
      const stopping = bot.stop().then(() => {
        stopped = true;
      });
      const from = Date.now();
      await advance(20_000, () => stopped, 250, held);
      await stopping;
      return Date.now() - from;
    };
    return {
      emulator,
      bot,
      user,
      lines,
      conversation,
      botMessages: (chatId) => emulator.messages(chatId).filter((m) => m.authorId === bot.botId),
      ask: async (text) =>
        (await user.call('im.message.add', { DIALOG_ID: String(bot.botId), MESSAGE: text })) as number,
      waitFor: async (questionId, done) => {
        await waitUntil(
          () => done(conversation(questionId)),
          () => JSON.stringify(conversation(questionId).statuses),
        );
        return conversation(questionId);
      },
      settle: () => (vi.isFakeTimers() ? advance(300) : new Promise((r) => realSetTimeout(r, 300))),
      advance,
      stopBot,
      stopBotWithinBound: async (held) => {
        expect(await stopBot(held)).toBeLessThanOrEqual(STOP_BOUND_MS);
        const atStop = sendCalls(emulator).length;
        const startedAtStop = started;
        await vi.advanceTimersByTimeAsync(60_000);
        await emulator.settled();
        // nothing tried after stop() returned: no send reached the portal, and no call of any kind was even started
        // (one still on its way would not be on the portal's record yet)
        expect(sendCalls(emulator)).toHaveLength(atStop);
        expect(started).toBe(startedAtStop);
        return atStop;
      },
    };
  };
}
