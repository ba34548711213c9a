import { BehaviorSubject, config, NEVER, Subject, type Subscription } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type RecordedCall, recordingTransport } from '../test/recordingTransport';
import { watchUnhandled } from '@b24-typing/test-utils';
import type { AgentStatus } from './AgentStatus';
import { B24Error } from './B24Error';
import { B24InputError } from './B24InputError';
import { loopGuard, type ReleaseWatch, startAndEnd, watchRelease } from './createScheduler.test.fixture';
import { createIndicators } from './createIndicators';
import { createTypingIndicators, type TypingIndicators, type TypingIndicatorsOptions } from './createTypingIndicators';
import type { IndicatorEvent } from './IndicatorEvent';
import type { BatchItemResult, Transport, TransportCall } from './Transport';
import { withStatus } from './withStatus';

const unhandled = watchUnhandled().rejections;

const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);
/** The scheduler sends from a 0-delay timer, which fake timers run 1 ms later when it is set from a timer. */
const ms = (at: number) => Math.round(at / 10) * 10;
const times = (calls: ReadonlyArray<{ at: number }>) => calls.map((c) => ms(c.at));
/** Events as `<ms> <type> <call reason> <reason>`, timed from `since`. */
const brief = (events: IndicatorEvent[], since = 0) =>
  events.map(
    (e) =>
      `${ms(e.at - since)} ${e.type}${'call' in e && e.call ? ` ${e.call.reason}` : ''}${'reason' in e ? ` ${e.reason}` : ''}`,
  );
/** A bot status call as `<bot>@<dialog> <status> <duration>`, for the v2 method and the legacy one alike. */
const call = (c: { params: Record<string, unknown> }) =>
  `${c.params.botId ?? c.params.BOT_ID}@${c.params.dialogId ?? c.params.DIALOG_ID} ${String(c.params.statusMessageCode).replace('IMBOT_AGENT_ACTION_', '')} ${c.params.duration}`;
/** A call as `<ms> <call>`, timed from `t0`. */
const callSince = (t0: number) => (c: { at: number; params: Record<string, unknown> }) => `${ms(c.at - t0)} ${call(c)}`;

const networkDown = () => new B24Error({ code: 'NETWORK_ERROR', kind: 'network' });
/** A refusal for the operating limit (the scheduler then holds the method 10 s), guarded against a retry loop. */
const operatingLimit = () => loopGuard(new B24Error({ code: 'OPERATION_TIME_LIMIT', status: 429 }));
/** A transport that refuses the "thinking" calls made from `from` until `to` ms with `error()`, and lands all others. */
const thinkingRefused = (from: number, to: number, error: () => B24Error) =>
  recordingTransport((c) =>
    c.at >= from && c.at < to && c.params.statusMessageCode === 'IMBOT_AGENT_ACTION_THINKING'
      ? c.reject(error())
      : c.resolve({ result: true }),
  );
/** A transport that fails while `down()` says so; `inFlight` is the most calls it ever held at once. */
const outage = (down: (at: number) => boolean) => {
  let open = 0;
  const stats = { inFlight: 0 };
  const transport = recordingTransport((c) => {
    stats.inFlight = Math.max(stats.inFlight, ++open);
    const settle = () => open--;
    if (down(c.at)) c.reject(networkDown());
    else c.resolve(true);
    Promise.resolve().then(settle);
  });
  return { transport, stats };
};

// `createTypingIndicators` is the same userTyping over the direct dispatcher: every behaviour holds for both.
describe.each([
  ['createIndicators', createIndicators],
  ['createTypingIndicators', createTypingIndicators],
] as const)('%s: userTyping', (_name, create: (options: TypingIndicatorsOptions) => TypingIndicators) => {
  it('calls im.dialog.writing on the first keystroke, renews while typing, goes idle, with clock timestamps', async () => {
    const transport = recordingTransport();
    const indicators = create({ transport });
    const keys = new Subject<void>();
    const events: IndicatorEvent[] = [];
    indicators.userTyping({ dialogId: ' chat12 ' as never, keystrokes: keys }).subscribe((e) => events.push(e));

    keys.next();
    await advance(1);
    expect(transport.calls).toHaveLength(1); // at once, not debounced
    expect(transport.calls[0]?.at).toBe(0);
    expect(transport.calls[0]).toMatchObject({ method: 'im.dialog.writing', params: { DIALOG_ID: 'chat12' } });
    for (let t = 0; t < 24_000; t += 2_000) {
      await advance(2_000);
      keys.next();
    }
    // keystrokes until 24 s: renewal at 22 s; the one at 44 s finds the last keystroke 20 s old
    await advance(40_000);
    expect(times(transport.calls)).toEqual([0, 22_000]);
    expect(brief(events)).toEqual(['0 sent start', '22000 renewed renew', '44000 stopped idle']);
    expect(events[0]).toMatchObject({ indicator: 'userTyping', dialogId: 'chat12', indicatorId: 1 });
    indicators.dispose();
  });

  it('stops on sent, aborting the call in flight, and starts afresh on the next keystroke', async () => {
    const transport = recordingTransport(() => {}); // never settles
    const indicators = create({ transport });
    const keys = new Subject<void>();
    const sent = new Subject<void>();
    const events: IndicatorEvent[] = [];
    indicators.userTyping({ dialogId: 5, keystrokes: keys, sent }).subscribe((e) => events.push(e));
    keys.next();
    await advance(1_000);
    sent.next();
    expect(transport.calls[0]?.signal?.aborted).toBe(true);
    await advance(60_000);
    expect(transport.calls).toHaveLength(1);
    keys.next();
    await advance(1);
    expect(transport.calls).toHaveLength(2);
    expect(transport.calls[1]?.params).toEqual({ DIALOG_ID: '5' });
    expect(brief(events)).toEqual(['1000 dropped start stopped', '1000 stopped sent']);
    indicators.dispose();
  });

  it('starts no call after unsubscribe, aborts the one in flight and leaves no timer', async () => {
    const transport = recordingTransport(() => {});
    const heard: IndicatorEvent[] = [];
    const indicators = create({ transport, onEvent: (e) => heard.push(e) });
    const keys = new Subject<void>();
    const sub = indicators.userTyping({ dialogId: 'chat1', keystrokes: keys }).subscribe();
    keys.next();
    await advance(1);
    expect(transport.calls).toHaveLength(1);
    sub.unsubscribe();
    expect(transport.calls[0]?.signal?.aborted).toBe(true);
    expect(keys.observed).toBe(false);
    // The indicator's renewal and the aborted request's timeout are both gone at once.
    expect(vi.getTimerCount()).toBe(0);
    await advance(10_000);
    expect(vi.getTimerCount()).toBe(0);
    await advance(100_000);
    expect(transport.calls).toHaveLength(1);
    expect(brief(heard)).toEqual(['0 dropped start stopped', '0 stopped unsubscribed']);
    expect(indicators.stats()).toMatchObject({ activeIndicators: 0, indicators: 0 });
  });

  it('stops for good on an input or access error and completes its event stream', async () => {
    const transport = recordingTransport((c) => c.reject(new B24Error({ code: 'ACCESS_ERROR', status: 403 })));
    const indicators = create({ transport });
    const keys = new Subject<void>();
    const events: IndicatorEvent[] = [];
    let completed = false;
    indicators
      .userTyping({ dialogId: 'chat1', keystrokes: keys })
      .subscribe({ next: (e) => events.push(e), complete: () => (completed = true) });
    keys.next();
    await advance(10);
    expect(completed).toBe(true);
    expect(events.map((e) => e.type)).toEqual(['failed', 'stopped']);
    expect(events[0]).toMatchObject({ fatal: true, error: { code: 'ACCESS_ERROR', kind: 'access' } });
    expect(events[1]).toMatchObject({ reason: 'failed' });
    keys.next();
    await advance(60_000);
    expect(transport.calls).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
    expect(unhandled).toEqual([]);
  });

  it('keeps going after a failure that is not fatal', async () => {
    let n = 0;
    // the transport already refreshed and retried: an auth failure is reported, the next renewal still goes
    const transport = recordingTransport((c) =>
      n++ === 0 ? c.reject(new B24Error({ code: 'expired_token', status: 401 })) : c.resolve(true),
    );
    const indicators = create({ transport });
    const keys = new Subject<void>();
    const events: IndicatorEvent[] = [];
    indicators.userTyping({ dialogId: 'chat1', keystrokes: keys }).subscribe((e) => events.push(e));
    keys.next();
    await advance(20_000);
    keys.next();
    await advance(2_010);
    expect(brief(events)).toEqual(['0 failed start', '22000 renewed renew']);
    expect(events[0]).toMatchObject({ fatal: false, error: { kind: 'auth' } });
    indicators.dispose();
  });

  it('says which error a dropped call was given up after (a rate limit, an outage), none if it never failed', async () => {
    const busy = new B24Error({ code: 'QUERY_LIMIT_EXCEEDED', status: 503 });
    const url = 'https://portal.example/rest/1/topsecret/im.dialog.writing';
    let down = false;
    const transport = recordingTransport((c) => c.reject(down ? new Error(`GET ${url} failed`) : busy));
    const heard: IndicatorEvent[] = [];
    const indicators = create({ transport, onEvent: (e) => heard.push(e) });
    const keys = new Subject<void>();
    indicators.userTyping({ dialogId: 'chat1', keystrokes: keys }).subscribe();
    keys.next();
    await advance(30_000);
    down = true;
    keys.next();
    await advance(30_000);
    const dropped = heard.filter((e) => e.type === 'dropped');
    expect(
      dropped.map((e) => [e.reason === 'deadline' || e.reason === 'retries', e.error?.code, e.error?.kind]),
    ).toEqual([
      [true, 'QUERY_LIMIT_EXCEEDED', 'rate'],
      [true, 'TRANSPORT_ERROR', 'network'],
    ]);
    // as a `failed` event's: the error's own JSON, which leaves out its cause (the transport's error, with the URL)
    expect(JSON.parse(JSON.stringify(dropped[0]))).toMatchObject({
      error: { name: 'B24Error', code: 'QUERY_LIMIT_EXCEEDED', kind: 'rate', status: 503 },
    });
    expect(JSON.stringify(heard)).not.toContain('topsecret');
    // a call given up without a failed attempt says no error: stopped while on its way
    const hanging = recordingTransport(() => {});
    const quiet: IndicatorEvent[] = [];
    const other = create({ transport: hanging, onEvent: (e) => quiet.push(e) });
    const sub = other.userTyping({ dialogId: 'chat2', keystrokes: keys }).subscribe();
    keys.next();
    await advance(100);
    sub.unsubscribe();
    expect(quiet.filter((e) => e.type === 'dropped').map((e) => [e.reason, 'error' in e])).toEqual([
      ['stopped', false],
    ]);
    indicators.dispose();
    other.dispose();
    expect(unhandled).toEqual([]);
  });

  describe('after a call was given up (network down)', () => {
    /** Keystrokes every second from `from` to `to`, in virtual time. */
    const typeEverySecond = async (keys: Subject<void>, from: number, to: number) => {
      for (let t = from; t <= to; t += 1_000) {
        await advance(t - Date.now());
        keys.next();
      }
    };
    // the scheduler's retries have jitter: fixed at its middle, they go 250, 500, 1000, 2000 ms apart
    beforeEach(() => {
      vi.spyOn(Math, 'random').mockReturnValue(0.5);
    });
    afterEach(() => {
      vi.restoreAllMocks();
    });

    it('sends a fresh start on the first keystroke after the start was given up, not 22 s later', async () => {
      let givenUp = Number.POSITIVE_INFINITY;
      const { transport, stats } = outage((at) => at < givenUp);
      const indicators = create({ transport });
      const keys = new Subject<void>();
      const events: IndicatorEvent[] = [];
      indicators.userTyping({ dialogId: 'chat1', keystrokes: keys }).subscribe((e) => {
        events.push(e);
        if (e.type === 'dropped') givenUp = Math.min(givenUp, e.at);
      });
      await typeEverySecond(keys, 0, 30_000);
      // direct: 0, 500, 1500; scheduler: 0, 250, 750, 1750, 3750 — then the next keystroke, a second later at most
      expect(givenUp).toBeLessThan(4_000);
      const restart = Math.ceil((givenUp + 1) / 1_000) * 1_000;
      expect(brief(events)).toEqual([
        `${ms(givenUp)} dropped start retries`,
        `${restart} sent start`,
        `${restart + 22_000} renewed renew`,
      ]);
      expect(times(transport.calls).filter((t) => t > givenUp)).toEqual([restart, restart + 22_000]);
      expect(stats.inFlight).toBe(1);
      indicators.dispose();
      expect(unhandled).toEqual([]);
    });

    it('sends one fresh start per renewal period while the outage lasts, one call at a time', async () => {
      // A portal refusing everything (or a long outage) is asked again once per period, not on every keystroke.
      const drops: number[] = [];
      const { transport, stats } = outage(() => drops.length < 3);
      const indicators = create({ transport });
      const keys = new Subject<void>();
      const events: IndicatorEvent[] = [];
      indicators.userTyping({ dialogId: 'chat1', keystrokes: keys }).subscribe((e) => {
        events.push(e);
        if (e.type === 'dropped') drops.push(e.at);
      });
      await typeEverySecond(keys, 0, 60_000);
      expect(drops).toHaveLength(3);
      const next = (drop: number | undefined) => Math.ceil(((drop as number) + 1) / 1_000) * 1_000;
      const restart = next(drops[0]);
      expect(brief(events)).toEqual([
        `${ms(drops[0] as number)} dropped start retries`,
        `${ms(drops[1] as number)} dropped start retries`,
        // the restart was lost too: the next try is the renewal, 22 s after it, and that one is lost as well
        `${ms(drops[2] as number)} dropped renew retries`,
        `${next(drops[2])} sent start`,
        `${next(drops[2]) + 22_000} renewed renew`,
      ]);
      // the restart began on the first keystroke after the first loss; the keystrokes after the second asked nothing
      const at = times(transport.calls);
      expect(at.find((t) => t > (drops[0] as number))).toBe(restart);
      expect(at.filter((t) => t > (drops[1] as number) && t < restart + 22_000)).toEqual([]);
      expect(stats.inFlight).toBe(1);
      indicators.dispose();
    });

    it('sends nothing after a start was given up when no keystroke follows', async () => {
      const { transport } = outage(() => true);
      const indicators = create({ transport });
      const keys = new Subject<void>();
      const events: IndicatorEvent[] = [];
      indicators.userTyping({ dialogId: 'chat1', keystrokes: keys }).subscribe((e) => events.push(e));
      keys.next();
      await advance(5_000);
      const attempts = transport.calls.length;
      expect(brief(events)).toEqual([expect.stringMatching(/^\d+ dropped start retries$/)]);
      await advance(120_000);
      expect(transport.calls).toHaveLength(attempts);
      expect(brief(events).slice(1)).toEqual(['22000 stopped idle']);
      expect(vi.getTimerCount()).toBe(0);
      indicators.dispose();
    });

    it('sends a fresh start on the next keystroke after a renewal was given up', async () => {
      let givenUp = Number.POSITIVE_INFINITY;
      const { transport } = outage((at) => at >= 22_000 && at < givenUp);
      const indicators = create({ transport });
      const keys = new Subject<void>();
      const events: IndicatorEvent[] = [];
      indicators.userTyping({ dialogId: 'chat1', keystrokes: keys }).subscribe((e) => {
        events.push(e);
        if (e.type === 'dropped') givenUp = Math.min(givenUp, e.at);
      });
      await typeEverySecond(keys, 0, 30_000);
      // the renewal at 22 s is given up by 23.75 s, well before the indicator shown at 0 lapses at 25 s
      expect(givenUp).toBeLessThan(24_000);
      expect(brief(events)).toEqual(['0 sent start', `${ms(givenUp)} dropped renew retries`, '24000 sent start']);
      indicators.dispose();
    });

    it('stays stopped after an access error on the fresh start', async () => {
      let givenUp = Number.POSITIVE_INFINITY;
      const transport = recordingTransport((c) =>
        c.reject(c.at < givenUp ? networkDown() : new B24Error({ code: 'ACCESS_DENIED', kind: 'access' })),
      );
      const indicators = create({ transport });
      const keys = new Subject<void>();
      const events: IndicatorEvent[] = [];
      let completed = false;
      indicators.userTyping({ dialogId: 'chat1', keystrokes: keys }).subscribe({
        next: (e) => {
          events.push(e);
          if (e.type === 'dropped') givenUp = Math.min(givenUp, e.at);
        },
        complete: () => (completed = true),
      });
      await typeEverySecond(keys, 0, 60_000);
      const restart = Math.ceil((givenUp + 1) / 1_000) * 1_000;
      expect(brief(events)).toEqual([
        `${ms(givenUp)} dropped start retries`,
        `${restart} failed start`,
        `${restart} stopped failed`,
      ]);
      expect(completed).toBe(true);
      expect(times(transport.calls).filter((t) => t > givenUp)).toEqual([restart]);
      expect(vi.getTimerCount()).toBe(0);
    });
  });

  it('validates before any call', () => {
    const transport = recordingTransport();
    const indicators = create({ transport });
    expect(() => indicators.userTyping({ dialogId: 'sg5', keystrokes: NEVER })).toThrow(B24InputError);
    expect(() => indicators.userTyping({ dialogId: 'chat' as never, keystrokes: NEVER })).toThrow(/Invalid dialogId/);
    expect(() => indicators.userTyping({ dialogId: 'chat1', keystrokes: 'keys' as never })).toThrow(
      /Invalid keystrokes: must be an Observable/,
    );
    expect(() => indicators.userTyping({ dialogId: 'chat1', keystrokes: NEVER, policy: { idleMs: -1 } })).toThrow(
      /policy\.idleMs/,
    );
    expect(() => create({ transport: {} as Transport })).toThrow(/Invalid transport/);
    expect(() => create(undefined as never)).toThrow(B24InputError);
    expect(() => create({ transport, clock: Date as never })).toThrow(/Invalid clock: must be an RxJS/);
    expect(() => create({ transport, onEvent: 'log' as never })).toThrow(/Invalid onEvent/);
    expect(transport.calls).toHaveLength(0);
  });
});

// The scheduler keeps a start refused for the rate limit queued (it backs off for the portal's bucket), unlike
// `createTypingIndicators`, which gives it up after two retries: for both, its deadline is the keystroke's time +
// `idleMs` (`userTypingSpec`).
describe('createIndicators: userTyping refused for the rate limit', () => {
  const rateLimited = () => new B24Error({ code: 'QUERY_LIMIT_EXCEEDED', status: 503, kind: 'rate' });
  // the backoff has jitter: fixed at its middle, a start refused at 0 goes again at 1, 3, 5, 8 and 14 s
  beforeEach(() => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('sends no start later than idleMs after the keystroke: someone who stopped typing is not shown typing', async () => {
    let refusals = 6;
    const transport = recordingTransport((c) => (refusals-- > 0 ? c.reject(rateLimited()) : c.resolve(true)));
    const indicators = createIndicators({ transport });
    const keys = new Subject<void>();
    const events: IndicatorEvent[] = [];
    indicators.userTyping({ dialogId: 'chat1', keystrokes: keys }).subscribe((e) => events.push(e));
    keys.next(); // one keystroke at 0, then silence
    await advance(120_000);
    expect(transport.calls.length).toBeGreaterThan(1);
    expect(Math.max(...times(transport.calls))).toBeLessThanOrEqual(6_000);
    expect(brief(events)).toEqual([expect.stringMatching(/^\d+ dropped start deadline$/), '22000 stopped idle']);
    expect(vi.getTimerCount()).toBe(0);
    indicators.dispose();
    expect(unhandled).toEqual([]);
  });

  it('keeps to idleMs from the policy', async () => {
    const transport = recordingTransport((c) => c.reject(rateLimited()));
    const indicators = createIndicators({ transport });
    const keys = new Subject<void>();
    const events: IndicatorEvent[] = [];
    indicators.userTyping({ dialogId: 'chat1', keystrokes: keys, policy: { idleMs: 2_000 } }).subscribe((e) => {
      events.push(e);
    });
    keys.next();
    await advance(120_000);
    expect(times(transport.calls)).toEqual([0, 1_000]); // the next try, at 3 s, is past 2 s
    expect(brief(events)).toEqual([expect.stringMatching(/^\d+ dropped start deadline$/), '22000 stopped idle']);
    indicators.dispose();
  });

  it('starts afresh on the next keystroke after the drop and shows once the portal accepts again', async () => {
    const busyUntil = 8_000; // the start's deadline, 6 s, comes while it waits for 8 s: the keystroke at 6 s starts afresh
    const transport = recordingTransport((c) => (c.at < busyUntil ? c.reject(rateLimited()) : c.resolve(true)));
    const indicators = createIndicators({ transport });
    const keys = new Subject<void>();
    const events: IndicatorEvent[] = [];
    indicators.userTyping({ dialogId: 'chat1', keystrokes: keys }).subscribe((e) => events.push(e));
    for (let t = 0; t <= 40_000; t += 1_000) {
      await advance(t - Date.now());
      keys.next(); // typing goes on, a key a second
    }
    expect(brief(events)).toEqual(['6000 dropped start deadline', '8000 sent start', '28000 renewed renew']);
    // the start of 0 went out only within its deadline; then the fresh start (made at 6 s) and its renewal
    expect(times(transport.calls)).toEqual([0, 1_000, 3_000, 5_000, 8_000, 28_000]);
    indicators.dispose();
    await advance(60_000);
    expect(vi.getTimerCount()).toBe(0);
    expect(unhandled).toEqual([]);
  });

  it('drops a start at its deadline while it waits for the budget: a keystroke then starts afresh at once', async () => {
    // Refused at 0, 1, 3 and 5 s, the start of 0 waits for 8 s, past its deadline (6 s). Dropped only then, the
    // keystroke of 6.5 s would be taken for typing on under that start, and the one of 8.5 s would start afresh.
    const transport = recordingTransport((c) => (c.at < 8_000 ? c.reject(rateLimited()) : c.resolve(true)));
    const indicators = createIndicators({ transport });
    const keys = new Subject<void>();
    const events: IndicatorEvent[] = [];
    indicators.userTyping({ dialogId: 'chat1', keystrokes: keys }).subscribe((e) => events.push(e));
    keys.next();
    for (let t = 6_500; t <= 12_000; t += 1_000) {
      await advance(t - Date.now());
      keys.next();
    }
    expect(brief(events)).toEqual(['6000 dropped start deadline', '8000 sent start']);
    expect(times(transport.calls)).toEqual([0, 1_000, 3_000, 5_000, 8_000]);
    indicators.dispose();
    expect(unhandled).toEqual([]);
  });
});

describe('createIndicators: botStatus', () => {
  const TOKEN = 'bot-token-secret-42';

  it('sends imbot.v2 notify with the status and lease, renews, changes, and stops on until', async () => {
    const transport = recordingTransport();
    const indicators = createIndicators({ transport });
    const status = new Subject<'thinking' | 'composing'>();
    const until = new Subject<string>();
    const events: IndicatorEvent[] = [];
    let completed = false;
    indicators
      .botStatus({ dialogId: '77', botId: '9', botToken: TOKEN, status, until })
      .subscribe({ next: (e) => events.push(e), complete: () => (completed = true) });
    status.next('thinking');
    await advance(1);
    expect(transport.calls[0]).toMatchObject({
      method: 'imbot.v2.Chat.InputAction.notify',
      params: {
        botId: 9,
        dialogId: '77',
        botToken: TOKEN,
        statusMessageCode: 'IMBOT_AGENT_ACTION_THINKING',
        duration: 30,
      },
    });
    expect(typeof transport.calls[0]?.params.dialogId).toBe('string');
    await advance(27_009);
    await advance(2_990);
    status.next('composing'); // at 30 000
    await advance(27_010);
    expect(times(transport.calls)).toEqual([0, 27_000, 30_000, 57_000]);
    expect(transport.calls.map((c) => c.params.statusMessageCode)).toEqual([
      'IMBOT_AGENT_ACTION_THINKING',
      'IMBOT_AGENT_ACTION_THINKING',
      'IMBOT_AGENT_ACTION_COMPOSING',
      'IMBOT_AGENT_ACTION_COMPOSING',
    ]);
    until.next('the reply');
    expect(completed).toBe(true);
    await advance(120_000);
    expect(transport.calls).toHaveLength(4);
    expect(brief(events)).toEqual([
      '0 sent start',
      '27000 renewed renew',
      '30000 sent change',
      '57000 renewed renew',
      '57010 stopped until',
    ]);
    expect(events[2]).toMatchObject({
      call: {
        method: 'imbot.v2.Chat.InputAction.notify',
        statusMessageCode: 'IMBOT_AGENT_ACTION_COMPOSING',
        duration: 30,
      },
    });
    expect(JSON.stringify(events)).not.toContain(TOKEN);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('uses imbot.chat.sendTyping with BOT_ID, DIALOG_ID and CLIENT_ID when legacy, renewing within 25 s', async () => {
    const transport = recordingTransport();
    const indicators = createIndicators({ transport });
    const sub = indicators
      .botStatus({ dialogId: 'chat3', botId: 4, botToken: TOKEN, status: 'thinking', legacy: true })
      .subscribe();
    await advance(50_000);
    expect(times(transport.calls)).toEqual([0, 22_000, 44_000]);
    expect(transport.calls[0]).toMatchObject({
      method: 'imbot.chat.sendTyping',
      params: { BOT_ID: 4, DIALOG_ID: 'chat3', CLIENT_ID: TOKEN },
    });
    expect(Object.keys(transport.calls[0]?.params ?? {}).sort()).toEqual(['BOT_ID', 'CLIENT_ID', 'DIALOG_ID']);
    sub.unsubscribe();
    expect(transport.calls).toHaveLength(3); // the legacy method cannot clear
    expect(() => indicators.botStatus({ dialogId: 'sg3', botId: 4, status: 'typing', legacy: true })).toThrow(
      B24InputError,
    );
  });

  it('clears with duration 1 when unsubscribed before the reply, once the renewal in flight has settled', async () => {
    const transport = recordingTransport((c) => (c.at === 0 ? c.resolve({ result: true }) : undefined));
    const heard: IndicatorEvent[] = [];
    const indicators = createIndicators({ transport, onEvent: (e) => heard.push(e) });
    const sub = indicators.botStatus({ dialogId: 'chat3', botId: 4, status: 'searching' }).subscribe();
    await advance(27_010);
    expect(transport.calls).toHaveLength(2);
    sub.unsubscribe();
    // not aborted: an abort would not call back a request already sent, which landing after the clear would undo it
    await advance(1_000);
    expect(transport.calls[1]?.signal?.aborted).toBe(false);
    expect(transport.calls).toHaveLength(2);
    transport.calls[1]?.resolve({ result: true });
    await advance(1);
    expect(transport.calls).toHaveLength(3);
    expect(transport.calls[2]?.params).toEqual({
      botId: 4,
      dialogId: 'chat3',
      statusMessageCode: 'IMBOT_AGENT_ACTION_SEARCHING',
      duration: 1,
    });
    transport.calls[2]?.resolve({ result: true });
    await advance(100_000);
    expect(transport.calls).toHaveLength(3);
    // the clear's outcome still reaches onEvent after the subscriber left
    expect(brief(heard)).toEqual([
      '0 sent start',
      '27010 dropped renew stopped',
      '27010 stopped unsubscribed',
      '28010 sent clear',
    ]);
    expect(heard.at(-1)).toMatchObject({ call: { duration: 1, statusMessageCode: 'IMBOT_AGENT_ACTION_SEARCHING' } });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('holds the clear until a batch carrying its renewal has settled (the batch goes on for the others)', async () => {
    const transport = recordingTransport();
    const batches: Array<{ calls: readonly { params: Record<string, unknown> }[]; resolve: () => void }> = [];
    const batching: Transport = {
      call: transport.call,
      batch: (calls) =>
        new Promise((resolve) => {
          batches.push({ calls, resolve: () => resolve(calls.map(() => ({ ok: true, result: { result: true } }))) });
        }),
    };
    const indicators = createIndicators({ transport: batching });
    const sub = indicators.botStatus({ dialogId: 'chat1', botId: 4, status: 'thinking' }).subscribe();
    indicators.botStatus({ dialogId: 'chat2', botId: 4, status: 'thinking' }).subscribe();
    await advance(1);
    expect(batches).toHaveLength(1); // both starts in one batch, still in flight
    sub.unsubscribe();
    await advance(1_000);
    // the start for chat1 may still land: a clear sent now could arrive before it and be undone
    expect(transport.calls).toHaveLength(0);
    batches[0]?.resolve();
    await advance(1);
    expect(transport.calls.map((c) => c.params)).toEqual([
      { botId: 4, dialogId: 'chat1', statusMessageCode: 'IMBOT_AGENT_ACTION_THINKING', duration: 1 },
    ]);
    indicators.dispose();
  });

  it('drops a clear held behind a shared batch past the lease of the call before it: the status has lapsed', async () => {
    // The clear's deadline is the moment the status it clears lapses (its last call + the lease), not the moment
    // of the stop + the lease: a clear that can only go later would show a lapsed status again for its second.
    const transport = recordingTransport();
    const heard: IndicatorEvent[] = [];
    const batches: Array<() => void> = [];
    const batching: Transport = {
      call: transport.call,
      // the batch fails, past the start's lease
      batch: () =>
        new Promise((_, reject) => {
          batches.push(() => reject(new B24Error({ code: 'NETWORK_ERROR', kind: 'network', message: 'reset' })));
        }),
    };
    const indicators = createIndicators({ transport: batching, onEvent: (e) => heard.push(e) });
    const sub = indicators.botStatus({ dialogId: 'chat1', botId: 4, status: 'thinking', leaseSec: 5 }).subscribe();
    indicators.botStatus({ dialogId: 'chat2', botId: 4, status: 'thinking', leaseSec: 5 }).subscribe();
    await advance(1);
    expect(batches).toHaveLength(1); // both starts in one batch, at 0
    await advance(99);
    sub.unsubscribe(); // at 100: the clear waits for the batch
    await advance(4_950); // the batch fails at 5,050: past the start's lease (5,000), before 100 + 5,000
    batches[0]?.();
    await advance(1);
    expect(transport.calls.filter((c) => c.params.dialogId === 'chat1')).toEqual([]);
    expect(heard.filter((e) => e.indicatorId === 1 && e.type === 'dropped').map((e) => brief([e])[0])).toEqual([
      '100 dropped start stopped',
      '5050 dropped clear deadline',
    ]);
    indicators.dispose();
  });

  it('sends no clear when the status never left for the transport: it would show for 1 s, never having shown', async () => {
    const transport = recordingTransport();
    const heard: IndicatorEvent[] = [];
    const indicators = createIndicators({ transport, onEvent: (e) => heard.push(e) });
    // unsubscribed before the scheduler's 0-delay send
    indicators.botStatus({ dialogId: 'chat1', botId: 4, status: 'thinking' }).subscribe().unsubscribe();
    // the work failed just as fast
    const until = new Subject<never>();
    indicators.botStatus({ dialogId: 'chat2', botId: 4, status: 'thinking', until }).subscribe();
    until.error(new Error('llm failed'));
    await advance(60_000);
    expect(transport.calls).toHaveLength(0);
    expect(brief(heard)).toEqual([
      '0 dropped start stopped',
      '0 dropped clear stopped',
      '0 stopped unsubscribed',
      '0 dropped start stopped',
      '0 dropped clear stopped',
      '0 stopped until',
    ]);
    expect(heard[1]).toMatchObject({ indicatorId: 1, call: { reason: 'clear', duration: 1 } });
    expect(indicators.stats()).toMatchObject({ httpRequests: 0, activeIndicators: 0, indicators: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sends no clear for a start still waiting for the rate budget, and one for a start that left', async () => {
    // starts never settle, clears land
    const transport = recordingTransport((c) => (c.params.duration === 1 ? c.resolve({ result: true }) : undefined));
    const indicators = createIndicators({ transport, limits: { perSecond: 2, burst: 2 } }); // one request at once
    const first = new Subject<never>();
    const second = new Subject<never>();
    indicators.botStatus({ dialogId: 'chat1', botId: 4, status: 'thinking', until: first }).subscribe();
    indicators.botStatus({ dialogId: 'chat2', botId: 4, status: 'thinking', until: second }).subscribe();
    await advance(100);
    expect(transport.calls.map((c) => c.params.dialogId)).toEqual(['chat1']); // chat2 waits for the bucket
    second.error(new Error('llm failed'));
    first.error(new Error('llm failed'));
    await advance(60_000);
    // chat1's start was on its way (aborted now, but it may have landed): its clear goes
    expect(transport.calls.map((c) => `${c.params.dialogId} ${c.params.duration}`)).toEqual(['chat1 30', 'chat1 1']);
    indicators.dispose();
  });

  it('starts no call after until and aborts the one in flight', async () => {
    const transport = recordingTransport(() => {}); // never settles
    const indicators = createIndicators({ transport });
    const until = new Subject<void>();
    const events: IndicatorEvent[] = [];
    indicators
      .botStatus({ dialogId: 1, botId: 4, status: 'thinking', until, leaseSec: 5 })
      .subscribe((e) => events.push(e));
    await advance(2_500); // the renewal at 2 s is merged into the start still in flight
    until.next();
    expect(transport.calls).toHaveLength(1);
    expect(transport.calls[0]?.signal?.aborted).toBe(true);
    await advance(60_000);
    expect(transport.calls).toHaveLength(1);
    expect(brief(events).slice(-2)).toEqual(['2500 dropped start stopped', '2500 stopped until']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('clears when until errors, and not when clearOnError is off', async () => {
    const transport = recordingTransport();
    const indicators = createIndicators({ transport });
    const until = new Subject<never>();
    indicators.botStatus({ dialogId: 1, botId: 4, status: 'typing', until }).subscribe();
    await advance(1_000);
    until.error(new Error('llm failed'));
    await advance(1);
    expect(transport.calls.map((c) => c.params.duration)).toEqual([30, 1]);
    expect(transport.calls[1]?.params).not.toHaveProperty('statusMessageCode');

    const quiet = new Subject<never>();
    indicators.botStatus({ dialogId: 1, botId: 4, status: 'typing', until: quiet, clearOnError: false }).subscribe();
    await advance(1_000);
    quiet.error(new Error('llm failed'));
    const sub = indicators.botStatus({ dialogId: 1, botId: 4, status: 'typing', clearOnError: false }).subscribe();
    await advance(1_000);
    sub.unsubscribe();
    await advance(1_000);
    expect(transport.calls.map((c) => c.params.duration)).toEqual([30, 1, 30, 30]);
  });

  it('clears after a renewal refused outright while the start that landed late is still up', async () => {
    // the start goes at 0 s and lands 3 s late: up until 33 s, not 30 s; the renewal at 27 s is refused (it puts
    // nothing up, and the start's status is as it was), so at 30.5 s the clear must go
    const t0 = Date.now();
    const landed: string[] = [];
    const transport = recordingTransport((c) => {
      const land = () => {
        landed.push(`${ms(Date.now() - t0)} ${c.params.duration}`);
        c.resolve({ result: true });
      };
      if (c.params.duration === 1) land();
      else if (c.at - t0 < 1_000) setTimeout(land, 3_000);
      else c.reject(new B24Error({ code: 'expired_token', kind: 'auth' }));
    });
    const indicators = createIndicators({ transport });
    const until = new Subject<never>();
    indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', until }).subscribe();
    await advance(30_500);
    until.error(new Error('llm failed'));
    await advance(60_000);
    expect(landed).toEqual(['3000 30', '30500 1']);
    expect(transport.calls.map((c) => ms(c.at - t0))).toEqual([0, 27_000, 30_500]);
    indicators.dispose();
  });

  /** Indicators on a budget of one request every 500 ms, with the calls they made and the events they told. */
  const onHalfSecondBudget = () => {
    const transport = recordingTransport();
    const heard: IndicatorEvent[] = [];
    const indicators = createIndicators({
      transport,
      limits: { perSecond: 2, burst: 2 },
      onEvent: (e) => heard.push(e),
    });
    return { transport, heard, indicators };
  };

  it('clears each status whose start waited for the rate budget until it lapses, counted from when it landed', async () => {
    // Ten statuses start at once on a budget of one request every 500 ms: the last start leaves at 4.5 s, so its
    // status is up until 34.5 s, not 30 s (its start was made at 0 s). All their work fails at 26 s, before the first
    // renewal: the clears take turns from 26 s, the tenth leaving at 30.5 s while its status is still up
    const t0 = Date.now();
    const { transport, heard, indicators } = onHalfSecondBudget();
    const until = new Subject<never>();
    for (let chat = 1; chat <= 10; chat++)
      indicators.botStatus({ dialogId: chat, botId: 3, status: 'thinking', until }).subscribe();
    await advance(26_000);
    until.error(new Error('llm failed'));
    await advance(60_000);
    const clears = transport.calls.filter((c) => c.params.duration === 1);
    expect(clears.map((c) => c.params.dialogId)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
    expect(times(clears).map((at) => at - t0)).toEqual([
      26_000, 26_500, 27_000, 27_500, 28_000, 28_500, 29_000, 29_500, 30_000, 30_500,
    ]);
    expect(heard.filter((e) => e.type === 'dropped')).toEqual([]);
    indicators.dispose();
  });

  it('renews each status whose start waited for the rate budget until it lapses, counted from when it landed', async () => {
    // Twelve statuses start at once on a budget of one request every 500 ms: the seventh start leaves at 3 s, so its
    // status is up until 33 s, not 30 s (its start was made at 0 s). The renewals, all made at 27 s, take turns: given
    // up at 30 s, the seventh's would be sent again as a start a second later, behind five others, after it lapsed
    const t0 = Date.now();
    const { transport, heard, indicators } = onHalfSecondBudget();
    for (let chat = 1; chat <= 12; chat++)
      indicators.botStatus({ dialogId: chat, botId: 3, status: 'thinking' }).subscribe();
    await advance(40_000);
    const of = (chat: number) => times(transport.calls.filter((c) => c.params.dialogId === String(chat)));
    expect(of(7).map((at) => at - t0)).toEqual([3_000, 30_000]);
    // each status's renewal leaves before what its start put up lapses
    for (let chat = 1; chat <= 12; chat++) {
      const [start, renewal] = of(chat) as [number, number];
      expect({ chat, late: renewal - start >= 30_000 }).toEqual({ chat, late: false });
    }
    expect(heard.filter((e) => e.type === 'dropped')).toEqual([]);
    expect(indicators.stats().httpRequests).toBe(24);
    indicators.dispose();
  });

  it('clears what the start of a newer status of the bot in the chat put up, still on its way as both ended', async () => {
    // "thinking" from 0 s; a second answer with the same status starts at 21 s and takes over renewing it, but its
    // start is answered only 9.5 s later. Both fail at once: the last clear waits for that start, which put the status
    // up until 51 s at least. The clear goes once it settled (30.5 s), not dropped as past the first one's lease (30 s)
    const t0 = Date.now();
    const transport = recordingTransport((c) =>
      c.at - t0 === 21_000 ? setTimeout(() => c.resolve({ result: true }), 9_500) : c.resolve({ result: true }),
    );
    const heard: IndicatorEvent[] = [];
    const indicators = createIndicators({ transport, onEvent: (e) => heard.push(e) });
    const [first, second] = [new Subject<never>(), new Subject<never>()];
    indicators.botStatus({ dialogId: 'chat1', botId: 3, status: 'thinking', until: first }).subscribe();
    await advance(21_000);
    indicators.botStatus({ dialogId: 'chat1', botId: 3, status: 'thinking', until: second }).subscribe();
    await advance(100);
    second.error(new Error('llm failed'));
    first.error(new Error('llm failed'));
    await advance(60_000);
    expect(transport.calls.map(callSince(t0))).toEqual([
      '0 3@chat1 THINKING 30',
      '21000 3@chat1 THINKING 30',
      '30500 3@chat1 THINKING 1',
    ]);
    expect(heard.filter((e) => e.type === 'dropped' && e.reason !== 'stopped')).toEqual([]);
    indicators.dispose();
  });

  it('clears once the rate limit lets it after a start that waited for it landed late, while that start is up', async () => {
    // Other apps exhaust the portal's budget until 10 s and again from 20 s to 31 s. The start, made at 0 s, is
    // refused until it leaves at 14 s, and lands 9 s later: up until 44 s at least, not 30 s. The work fails at 15 s,
    // while it is on its way: the clear follows it, is refused for the rate limit in turn, and goes once the portal
    // lets it (32 s), not given up at 30 s
    vi.spyOn(Math, 'random').mockReturnValue(0.5); // back-off jitter: the same run every time
    const t0 = Date.now();
    const transport = recordingTransport((c) => {
      const at = c.at - t0;
      if (at < 10_000 || (at >= 20_000 && at < 31_000))
        c.reject(new B24Error({ code: 'QUERY_LIMIT_EXCEEDED', status: 503 }));
      else if (c.params.duration === 1) c.resolve({ result: true });
      else setTimeout(() => c.resolve({ result: true }), 9_000);
    });
    const heard: IndicatorEvent[] = [];
    const indicators = createIndicators({ transport, onEvent: (e) => heard.push(e) });
    const until = new Subject<never>();
    indicators.botStatus({ dialogId: 'chat1', botId: 3, status: 'thinking', until }).subscribe();
    await advance(15_000);
    until.error(new Error('llm failed'));
    await advance(60_000);
    expect(transport.calls.map((c) => `${ms(c.at - t0)} ${c.params.duration}`)).toEqual([
      ...['0 30', '1000 30', '3000 30', '5000 30', '8000 30', '14000 30'],
      ...['23000 1', '25000 1', '27000 1', '29000 1', '32000 1'],
    ]);
    expect(brief(heard, t0)).toEqual(['15000 dropped start stopped', '15000 stopped until', '32000 sent clear']);
    indicators.dispose();
    vi.restoreAllMocks();
  });

  it('reports an invalid status from the stream as failed and keeps the indicator', async () => {
    const transport = recordingTransport();
    const indicators = createIndicators({ transport });
    const status = new Subject<string>();
    const events: IndicatorEvent[] = [];
    indicators
      .botStatus({ dialogId: 1, botId: 4, status: status as unknown as Subject<never> })
      .subscribe((e) => events.push(e));
    status.next('thinking');
    await advance(2_000);
    status.next('daydreaming');
    await advance(10);
    expect(transport.calls).toHaveLength(1);
    expect(events.map((e) => e.type)).toEqual(['sent', 'failed']);
    expect(events[1]).toMatchObject({ fatal: false, error: { field: 'status', kind: 'input' } });
    expect(events[1]).not.toHaveProperty('call');
    indicators.dispose();
  });

  it('validates before any call, never echoing the bot token', () => {
    const transport = recordingTransport();
    const indicators = createIndicators({ transport });
    const ok = { dialogId: 'chat1', botId: 1, status: 'thinking' } as const;
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ dialogId: 'chat1.5' }, /Invalid dialogId/],
      [{ botId: 0 }, /Invalid botId/],
      [{ botToken: 'x'.repeat(41) }, /Invalid botToken: .*\(got a string of 41 characters\)/],
      [{ status: 'sleeping' }, /Invalid status/],
      [{ leaseSec: 601 }, /Invalid leaseSec: must be an integer number of seconds between 1 and 600/],
      [{ leaseSec: 0 }, /Invalid leaseSec/],
      [{ until: Promise.resolve() }, /Invalid until: must be an Observable/],
      [{ delayMs: -1 }, /Invalid delayMs/],
    ];
    for (const [patch, message] of bad) {
      expect(() => indicators.botStatus({ ...ok, ...patch } as never)).toThrow(message);
    }
    expect(() => indicators.botStatus({ ...ok, dialogId: 'sg12' })).not.toThrow();
    expect(transport.calls).toHaveLength(0);
  });
});

describe('createIndicators: a status that ended with its reply while its last call was on its way in a batch', () => {
  const landedOk = (calls: readonly TransportCall[]): BatchItemResult[] =>
    calls.map(() => ({ ok: true, result: { result: true } }));
  /**
   * A portal whose single calls land at once and whose `batch` requests are answered when the test says so: a batch
   * still on its way as a reply comes, which a portal processing requests concurrently may run after the reply's message.
   */
  const slowBatches = () => {
    const transport = recordingTransport();
    const batches: Array<{
      calls: readonly TransportCall[];
      signal: AbortSignal | undefined;
      answer(items: readonly BatchItemResult[]): void;
      fail(error: B24Error): void;
    }> = [];
    const batching: Transport = {
      call: transport.call,
      batch: (calls, options) =>
        new Promise((resolve, reject) => {
          batches.push({ calls, signal: options?.signal, answer: resolve, fail: reject });
        }),
    };
    return { transport: batching, calls: transport.calls, batches };
  };

  /** Bot 4's "searching" in chat1 until `reply`, whose start goes in one batch with the bot's "thinking" in chat2. */
  const searchingInABatch = () => {
    const { transport, calls, batches } = slowBatches();
    const indicators = createIndicators({ transport });
    const reply = new Subject<string>();
    indicators.botStatus({ dialogId: 'chat1', botId: 4, status: 'searching', until: reply }).subscribe();
    indicators.botStatus({ dialogId: 'chat2', botId: 4, status: 'thinking' }).subscribe();
    return { indicators, reply, calls, batches };
  };

  it('clears it once that batch has landed (or may have) after the reply, and sends nothing if it was refused', async () => {
    for (const outcome of ['landed', 'network', 'timeout', 'refused', 'disposed'] as const) {
      const t0 = Date.now();
      const { transport, calls, batches } = slowBatches();
      const heard: IndicatorEvent[] = [];
      const indicators = createIndicators({ transport, onEvent: (e) => heard.push(e) });
      const reply = new Subject<string>();
      const got: string[] = [];
      reply
        .pipe(withStatus(indicators, { dialogId: 'chat1', botId: 4, status: 'searching' }))
        .subscribe((text) => got.push(`${ms(Date.now() - t0)} ${text}`));
      // another chat's status, whose start goes in the same batch
      indicators.botStatus({ dialogId: 'chat2', botId: 4, status: 'thinking' }).subscribe();
      await advance(1);
      expect(batches.map((b) => b.calls.map(call))).toEqual([['4@chat1 SEARCHING 30', '4@chat2 THINKING 30']]);
      await advance(99);
      reply.next('the answer'); // at 100: the app sends its message now; the batch goes on for chat2
      expect(got).toEqual(['100 the answer']); // the reply, untouched and at once
      expect(batches[0]?.signal?.aborted).toBe(false);
      await advance(400);
      expect(calls).toEqual([]); // nothing while the batch is on its way
      // at 500 (10.1 s for the timeout): the start of chat1 landed after the reply's message, or may have
      if (outcome === 'landed') batches[0]?.answer(landedOk(batches[0].calls));
      if (outcome === 'network') batches[0]?.fail(networkDown());
      if (outcome === 'refused')
        batches[0]?.answer([
          { ok: false, error: new B24Error({ code: 'ACCESS_DENIED', kind: 'access' }) },
          { ok: true, result: { result: true } },
        ]);
      if (outcome === 'disposed') {
        indicators.dispose();
        batches[0]?.answer(landedOk(batches[0].calls));
      }
      await advance(outcome === 'timeout' ? 9_600 : 1);
      const chat1 = calls.filter((c) => c.params.dialogId === 'chat1');
      const at = outcome === 'timeout' ? 10_000 : 500;
      if (outcome === 'refused' || outcome === 'disposed') expect(chat1).toEqual([]);
      else expect(chat1.map(callSince(t0))).toEqual([`${at} 4@chat1 SEARCHING 1`]);
      const mine = brief(
        heard.filter((e) => e.indicatorId === 1),
        t0,
      );
      expect(mine.slice(0, 2)).toEqual(['100 dropped start stopped', '100 stopped until']);
      expect(mine.slice(2)).toEqual(
        outcome === 'refused'
          ? ['500 dropped clear deadline']
          : outcome === 'disposed'
            ? ['500 dropped clear disposed'] // the clear waiting for the batch, dropped with everything else
            : [`${at} sent clear`],
      );
      // the clear is a request like any other, in the rate budget
      if (outcome === 'landed') expect(indicators.stats().httpRequests).toBe(2);
      await advance(60_000);
      expect(calls.filter((c) => c.params.dialogId === 'chat1')).toHaveLength(chat1.length);
      expect(got).toEqual(['100 the answer']);
      indicators.dispose();
      expect(vi.getTimerCount()).toBe(0);
    }
    expect(unhandled).toEqual([]);
  });

  it('sends no clear while a status of the bot in the chat started since goes on: that one sends its own again', async () => {
    for (const since of ['goes on', 'replied too'] as const) {
      const t0 = Date.now();
      const { indicators, reply, calls, batches } = searchingInABatch();
      await advance(100);
      reply.next('the answer'); // at 100, the start of chat1 on its way in a batch
      await advance(100);
      // at 200 the bot works on the next message in chat1: its start lands at once
      const next = new Subject<string>();
      indicators.botStatus({ dialogId: 'chat1', botId: 4, status: 'composing', until: next }).subscribe();
      await advance(100);
      if (since === 'replied too') next.next('the next answer'); // at 300
      await advance(200);
      batches[0]?.answer(landedOk(batches[0].calls)); // at 500 "searching" landed, after both replies' messages
      await advance(1);
      expect(calls.filter((c) => c.params.dialogId === 'chat1').map(callSince(t0))).toEqual(
        since === 'goes on'
          ? // what lands last shows: the status of the work going on, not nothing
            ['200 4@chat1 COMPOSING 30', '500 4@chat1 COMPOSING 30']
          : // nothing goes on: it comes down
            ['200 4@chat1 COMPOSING 30', '500 4@chat1 SEARCHING 1'],
      );
      indicators.dispose();
    }
  });

  it('clears it also when it shared the status with another that has ended with its reply too by the time the batch lands', async () => {
    for (const other of ['goes on', 'replied too'] as const) {
      const t0 = Date.now();
      const { indicators, reply, calls, batches } = searchingInABatch();
      await advance(50);
      // at 50 another answer of the bot in chat1: its start lands at once
      const next = new Subject<string>();
      indicators.botStatus({ dialogId: 'chat1', botId: 4, status: 'composing', until: next }).subscribe();
      await advance(50);
      reply.next('the answer'); // at 100, the start of "searching" on its way in a batch
      await advance(200);
      if (other === 'replied too') next.next('the next answer'); // at 300
      await advance(200);
      batches[0]?.answer(landedOk(batches[0].calls)); // at 500 "searching" landed, after the replies' messages
      await advance(1_000);
      expect(calls.filter((c) => c.params.dialogId === 'chat1').map(callSince(t0))).toEqual(
        other === 'goes on'
          ? // no clear: the one going on sends its own again, a second after the reply (as it would have anyway)
            ['50 4@chat1 COMPOSING 30', '1100 4@chat1 COMPOSING 30']
          : // nothing goes on: it comes down
            ['50 4@chat1 COMPOSING 30', '500 4@chat1 SEARCHING 1'],
      );
      await advance(60_000);
      if (other === 'replied too') expect(calls.filter((c) => c.params.dialogId === 'chat1')).toHaveLength(2);
      indicators.dispose();
    }
  });

  it('sends no legacy call after two legacy statuses of the bot in the chat ended, one with its reply while its call was on its way', async () => {
    // imbot.chat.sendTyping cannot clear: a "clear" of it shows plain typing for 25 s, after all the work ended
    const t0 = Date.now();
    // the first start is answered 5 s late, everything else at once
    const transport = recordingTransport((c) =>
      c.at === t0 ? setTimeout(() => c.resolve(true), 5_000) : c.resolve(true),
    );
    const indicators = createIndicators({ transport });
    const reply = new Subject<string>();
    const failed = new Subject<never>();
    const legacy = { dialogId: 'chat8', botId: 3, status: 'thinking', legacy: true } as const;
    indicators.botStatus({ ...legacy, until: reply }).subscribe();
    await advance(500);
    indicators.botStatus({ ...legacy, until: failed }).subscribe(); // at 0.5 s
    await advance(500);
    reply.next('the answer'); // at 1 s, with the first one's start on its way
    await advance(500);
    failed.error(new Error('llm failed')); // at 1.5 s: the last one ends (it sends no clear: the method has none)
    await advance(60_000);
    // nothing once the first start has landed (5 s)
    expect(transport.calls.map((c) => `${ms(c.at - t0)} ${c.method}`)).toEqual([
      '0 imbot.chat.sendTyping',
      '500 imbot.chat.sendTyping',
    ]);
    indicators.dispose();
  });

  it('sends no clear for a legacy status (imbot.chat.sendTyping cannot clear), and one for a v2 status beside it', async () => {
    const t0 = Date.now();
    const { transport, calls, batches } = slowBatches();
    const indicators = createIndicators({ transport });
    const reply = new Subject<string>();
    indicators.botStatus({ dialogId: 'chat1', botId: 4, status: 'thinking', until: reply, legacy: true }).subscribe();
    indicators.botStatus({ dialogId: 'chat2', botId: 5, status: 'thinking', until: reply }).subscribe();
    indicators.botStatus({ dialogId: 'chat3', botId: 6, status: 'thinking' }).subscribe();
    await advance(100);
    expect(batches[0]?.calls.map((c) => c.method)).toEqual([
      'imbot.chat.sendTyping',
      'imbot.v2.Chat.InputAction.notify',
      'imbot.v2.Chat.InputAction.notify',
    ]);
    reply.next('the answer'); // at 100, both replies at once
    await advance(400);
    batches[0]?.answer(landedOk(batches[0].calls));
    await advance(60_000);
    expect(calls.filter((c) => c.params.dialogId !== 'chat3').map(callSince(t0))).toEqual(['500 5@chat2 THINKING 1']);
    indicators.dispose();
  });
});

describe('createIndicators: statuses of one bot in one chat at once', () => {
  // The portal keeps one status per chat and sender: two replies of one bot in one chat share it.
  /**
   * A portal that answers each call `lateBy(c)` ms after it came (0: at once; below 0: fails at once, not landing, as
   * with a network error); `landed` lists the calls as they land, written as `call` writes them, with the time they
   * landed: what the portal shows is what landed last.
   */
  const landing = (t0: number, lateBy: (c: RecordedCall) => number) => {
    const landed: string[] = [];
    const transport = recordingTransport((c) => {
      const land = () => {
        landed.push(`${ms(Date.now() - t0)} ${call(c)}`);
        c.resolve({ result: true });
      };
      const delay = lateBy(c);
      if (delay < 0) c.reject(new B24Error({ code: 'NETWORK_ERROR', kind: 'network' }));
      else if (delay > 0) setTimeout(land, delay);
      else land();
    });
    return { transport, landed };
  };

  /** For `landing`: the calls of `code` from its first renewal (at 27 s) on land `lateMs` late, the others at once. */
  const renewalOf = (code: string, t0: number, lateMs: number) => (c: RecordedCall) =>
    c.at - t0 >= 27_000 && c.params.statusMessageCode === code ? lateMs : 0;

  it('sends no clear while another status of the bot in the chat goes on; the last one to end clears', async () => {
    const transport = recordingTransport();
    const heard: IndicatorEvent[] = [];
    const indicators = createIndicators({ transport, onEvent: (e) => heard.push(e) });
    const first = new Subject<never>();
    const second = new Subject<never>();
    indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', until: first }).subscribe();
    await advance(2_000);
    indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', until: second }).subscribe();
    await advance(3_000);
    first.error(new Error('llm failed')); // at 5 s
    await advance(24_010);
    // the second keeps its status up: no clear at 5 s, its renewal at 29 s
    expect(times(transport.calls)).toEqual([0, 2_000, 29_000]);
    expect(transport.calls.every((c) => c.params.duration === 30)).toBe(true);
    second.error(new Error('llm failed too')); // at 29.01 s
    await advance(100_000);
    expect(transport.calls.map(call)).toEqual([
      '3@chat8 THINKING 30',
      '3@chat8 THINKING 30',
      '3@chat8 THINKING 30',
      '3@chat8 THINKING 1',
    ]);
    expect(times(transport.calls).at(-1)).toBe(29_010);
    expect(brief(heard).filter((e) => e.includes('clear'))).toEqual(['29010 sent clear']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sends the status of the one going on again at once when the one that ended showed another', async () => {
    const transport = recordingTransport();
    const indicators = createIndicators({ transport });
    const events: IndicatorEvent[] = [];
    const thinking = indicators
      .botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking' })
      .subscribe((e) => events.push(e));
    await advance(1_000);
    const searching = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'searching' }).subscribe();
    await advance(4_000);
    searching.unsubscribe(); // at 5 s: the portal shows "searching", the work that goes on is thinking
    await advance(1);
    expect(transport.calls.map(call)).toEqual(['3@chat8 THINKING 30', '3@chat8 SEARCHING 30', '3@chat8 THINKING 30']);
    expect(times(transport.calls)).toEqual([0, 1_000, 5_000]);
    expect(brief(events)).toEqual(['0 sent start', '5000 sent change']);
    // renewed a period after the change, and cleared when it ends before its reply
    await advance(27_000);
    expect(times(transport.calls).at(-1)).toBe(32_000);
    thinking.unsubscribe();
    await advance(1);
    expect(transport.calls.map(call).at(-1)).toBe('3@chat8 THINKING 1');
    expect(transport.calls).toHaveLength(5);
  });

  it('sends nothing more when the one going on shows what the one that ended showed', async () => {
    const transport = recordingTransport();
    const indicators = createIndicators({ transport });
    const status = new Subject<'thinking' | 'composing'>();
    const a = indicators.botStatus({ dialogId: 5, botId: 3, status }).subscribe();
    status.next('thinking');
    await advance(1_000);
    const b = indicators.botStatus({ dialogId: '5', botId: '3', status: 'composing' }).subscribe();
    await advance(1_000);
    status.next('composing');
    await advance(1_000);
    b.unsubscribe();
    await advance(10_000);
    expect(transport.calls.map(call)).toEqual(['3@5 THINKING 30', '3@5 COMPOSING 30', '3@5 COMPOSING 30']);
    a.unsubscribe();
    await advance(1);
    expect(transport.calls.map(call).at(-1)).toBe('3@5 COMPOSING 1');
  });

  it('keeps statuses of other bots and other chats apart: each clears its own', async () => {
    const transport = recordingTransport();
    const indicators = createIndicators({ transport });
    const subs = [
      indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking' }).subscribe(),
      indicators.botStatus({ dialogId: 'chat8', botId: 4, status: 'thinking' }).subscribe(),
      indicators.botStatus({ dialogId: 'chat9', botId: 3, status: 'thinking' }).subscribe(),
      indicators.botStatus({ dialogId: 'sg8', botId: 3, status: 'thinking' }).subscribe(),
    ];
    await advance(1_000);
    for (const sub of subs.slice(0, 3)) sub.unsubscribe();
    await advance(1);
    expect(transport.calls.slice(4).map(call)).toEqual([
      '3@chat8 THINKING 1',
      '4@chat8 THINKING 1',
      '3@chat9 THINKING 1',
    ]);
    subs[3]?.unsubscribe();
    await advance(1);
    expect(transport.calls.map(call).at(-1)).toBe('3@sg8 THINKING 1');
  });

  it('sends the status of the one going on again a second after the other one replied: the reply hides it', async () => {
    const transport = recordingTransport();
    const heard: IndicatorEvent[] = [];
    const indicators = createIndicators({ transport, onEvent: (e) => heard.push(e) });
    const first = new Subject<string>();
    const second = new Subject<string>();
    indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', until: first }).subscribe();
    await advance(1_000);
    indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'composing', until: second }).subscribe();
    await advance(4_000);
    first.next('the first reply'); // at 5 s: its message, once it lands, hides the status the two share
    await advance(2_000);
    expect(transport.calls.map(call)).toEqual(['3@chat8 THINKING 30', '3@chat8 COMPOSING 30', '3@chat8 COMPOSING 30']);
    expect(times(transport.calls)).toEqual([0, 1_000, 6_000]);
    second.next('the second reply'); // at 7 s: nothing goes on, and its own message hides the status
    await advance(100_000);
    expect(transport.calls).toHaveLength(3);
    expect(brief(heard).filter((e) => e.includes('clear'))).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it.each([
    ['at the same moment', 0],
    ['a millisecond before', 1],
    ['two milliseconds before', 2],
    ['half a second before', 500],
  ])(
    'sends the status of the one going on once after the other one replied when its renewal falls due %s it goes again',
    async (_when, before) => {
      // Its renewal is due within the second after the reply, before it is to send its own again: the reply's message
      // may yet hide that renewal, and the call that goes a second after the reply (with the full lease) renews it as
      // well, before what is up lapses. Two calls for one status a moment apart are a request of the budget for nothing.
      const transport = recordingTransport();
      const heard: IndicatorEvent[] = [];
      const indicators = createIndicators({ transport, onEvent: (e) => heard.push(e) });
      const reply = new Subject<string>();
      indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', until: reply }).subscribe();
      await advance(1_000);
      const going = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'composing' }).subscribe();
      await advance(26_000 + before);
      reply.next('the reply'); // the one going on renews at 28 s, and is to send its own again a second after this
      await advance(3_000);
      expect(transport.calls.slice(2).map(callSince(0))).toEqual([`${ms(28_000 + before)} 3@chat8 COMPOSING 30`]);
      // and renewed a period after that, once
      await advance(27_000);
      expect(transport.calls.slice(3).map((c) => ms(c.at))).toEqual([ms(55_000 + before)]);
      going.unsubscribe();
      await advance(1);
      expect(transport.calls.map(call).slice(4)).toEqual(['3@chat8 COMPOSING 1']);
      indicators.dispose();
    },
  );

  it.each([
    ['at once', false],
    ['after its dwell', true],
  ])(
    'sends a status change of the one going on due %s within the second after the other one replied with its sending again',
    async (_when, dwell) => {
      // The reply's message hides the status they share, also a change sent before it landed: sent then, the change
      // would be hidden and the second-later call it cancelled would not go, the work going on with no status until its
      // renewal 27 s later. It goes with that call instead, a moment later (one call, the newest status).
      const transport = recordingTransport();
      const indicators = createIndicators({ transport });
      const reply = new Subject<string>();
      indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', until: reply }).subscribe();
      await advance(1_000);
      const phase = new BehaviorSubject<AgentStatus>('thinking');
      const going = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: phase }).subscribe();
      await advance(3_500);
      if (dwell) phase.next('checking'); // at 4.5 s: "checking" stands until 5.5 s
      await advance(500);
      reply.next('the reply'); // at 5 s: the one going on is to send its own again at 6 s
      await advance(200);
      phase.next('searching'); // at 5.2 s: due at once, or at 5.5 s after the dwell of "checking"
      await advance(2_000);
      expect(transport.calls.slice(dwell ? 3 : 2).map(callSince(0))).toEqual(['6000 3@chat8 SEARCHING 30']);
      // renewed a period after that
      await advance(27_000);
      expect(times(transport.calls.slice(dwell ? 4 : 3))).toEqual([33_000]);
      going.unsubscribe();
      await advance(1);
      expect(transport.calls.map(call).at(-1)).toBe('3@chat8 SEARCHING 1');
      expect(vi.getTimerCount()).toBe(0);
      indicators.dispose();
    },
  );

  it.each([
    ['', undefined],
    [', with a change made in that second', 'composing'],
  ] as const)(
    'sends the status of the one going on, due again after a lost call, no sooner than a second after the other one replied%s',
    async (_with, change) => {
      // "thinking" (the newer, which renews the status the two share) is down from 27 s to 29 s: its renewal at 27 s is
      // given up at 28.75 s, and it is to go again at 29.75 s. "searching" replies at 29.5 s: sent a quarter of a second
      // later, before the reply's message landed, the status would be hidden with it, as would a change sent at once
      // (cancelling that call), the work going on with no status until its renewal 27 s later. It goes a second after
      // the reply, as when nothing was pending, with the newest status.
      vi.spyOn(Math, 'random').mockReturnValue(0.5); // retries 250, 500, 1000, 2000 ms apart
      const transport = thinkingRefused(27_000, 29_000, networkDown);
      const indicators = createIndicators({ transport });
      const reply = new Subject<string>();
      indicators.botStatus({ dialogId: 'chat1', botId: 4, status: 'searching', until: reply }).subscribe();
      const phase = new BehaviorSubject<AgentStatus>('thinking');
      const going = indicators.botStatus({ dialogId: 'chat1', botId: 4, status: phase }).subscribe();
      await advance(29_500);
      reply.next('the reply'); // at 29.5 s
      await advance(100);
      if (change) phase.next(change); // at 29.6 s
      await advance(2_000);
      const shows = change ? 'COMPOSING' : 'THINKING';
      expect(transport.calls.filter((c) => c.at > 29_000).map(callSince(0))).toEqual([`30500 4@chat1 ${shows} 30`]);
      // renewed a period after that
      await advance(27_000);
      expect(times(transport.calls.filter((c) => c.at > 31_000))).toEqual([57_500]);
      going.unsubscribe();
      await advance(1);
      expect(transport.calls.map(call).at(-1)).toBe(`4@chat1 ${shows} 1`);
      expect(vi.getTimerCount()).toBe(0);
      indicators.dispose();
      vi.restoreAllMocks();
    },
  );

  it('sends the status of the one going on, due again after a reply, no sooner than a second after a later reply', async () => {
    // Two of the three statuses of the bot in the chat reply 0.8 s apart: the one going on, to send its own again a
    // second after the first reply, would send it 0.2 s after the second, before that one's message hid the status.
    const transport = recordingTransport();
    const indicators = createIndicators({ transport });
    const first = new Subject<string>();
    const second = new Subject<string>();
    indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', until: first }).subscribe();
    indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'searching', until: second }).subscribe();
    const going = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'composing' }).subscribe();
    await advance(5_000);
    first.next('the first reply'); // at 5 s
    await advance(800);
    second.next('the second reply'); // at 5.8 s
    await advance(2_000);
    expect(transport.calls.slice(3).map(callSince(0))).toEqual(['6800 3@chat8 COMPOSING 30']);
    going.unsubscribe();
    await advance(1);
    expect(transport.calls.map(call).at(-1)).toBe('3@chat8 COMPOSING 1');
    expect(vi.getTimerCount()).toBe(0);
    indicators.dispose();
  });

  it.each([
    ['long before the hold ends: when it ends', 30_000, undefined, 37_000],
    ['long before the hold ends, with a change in the hold: when it ends', 30_000, 32_000, 37_000],
    ['just before the hold ends: a second after the reply', 36_500, undefined, 37_500],
  ])(
    'sends the status of the one going on, refused for the operating limit, after the other one replied %s',
    async (_when, replyAt, changeAt, goesAt) => {
      // "thinking"'s renewal at 27 s is refused for the operating limit: the scheduler holds the method until 37 s,
      // failing calls without a request until then, and the status is to go again once it is over. Sent a second after
      // the reply instead, it would only fail (and go again 10 s after that); sent before the reply's message landed, it
      // would be hidden with the status. A change meanwhile goes with it, not into the hold.
      const transport = thinkingRefused(27_000, 28_000, operatingLimit);
      const indicators = createIndicators({ transport });
      const reply = new Subject<string>();
      indicators.botStatus({ dialogId: 'chat1', botId: 4, status: 'searching', until: reply }).subscribe();
      const phase = new BehaviorSubject<AgentStatus>('thinking');
      const going = indicators.botStatus({ dialogId: 'chat1', botId: 4, status: phase }).subscribe();
      await advance(replyAt);
      reply.next('the reply');
      if (changeAt) {
        await advance(changeAt - replyAt);
        phase.next('composing');
      }
      await advance(15_000);
      const shows = changeAt ? 'COMPOSING' : 'THINKING';
      expect(transport.calls.slice(2).map(callSince(0))).toEqual([
        '27000 4@chat1 THINKING 30',
        `${goesAt} 4@chat1 ${shows} 30`,
      ]);
      going.unsubscribe();
      await advance(1);
      expect(transport.calls.map(call).at(-1)).toBe(`4@chat1 ${shows} 1`);
      expect(vi.getTimerCount()).toBe(0);
      indicators.dispose();
    },
  );

  it.each([
    ['', undefined],
    [', with a change made while it waits', 'composing'],
  ] as const)(
    'sends the status of the one going on, due again after the other one replied, once the operating hold a refusal then began is over%s',
    async (_with, change) => {
      // "thinking"'s renewal at 27 s is answered at 27.5 s with a refusal for the operating limit: the scheduler holds
      // the method until 37.5 s. "searching" replied at 27.2 s, so "thinking" was to go again at 28.2 s: sent then, in
      // the hold, it would fail without a request and go again only 10 s after that, at 38.2 s. It goes as the hold
      // ends, with the newest status (a change meanwhile waits for it, not going into the hold).
      const transport = recordingTransport((c) => {
        if (c.at >= 27_000 && c.at < 28_000 && c.params.statusMessageCode === 'IMBOT_AGENT_ACTION_THINKING') {
          setTimeout(() => c.reject(operatingLimit()), 500);
        } else c.resolve({ result: true });
      });
      const indicators = createIndicators({ transport });
      const reply = new Subject<string>();
      indicators.botStatus({ dialogId: 'chat1', botId: 4, status: 'searching', until: reply }).subscribe();
      const phase = new BehaviorSubject<AgentStatus>('thinking');
      const going = indicators.botStatus({ dialogId: 'chat1', botId: 4, status: phase }).subscribe();
      await advance(27_200);
      reply.next('the reply'); // at 27.2 s
      await advance(2_800);
      if (change) phase.next(change); // at 30 s
      await advance(15_000);
      const shows = change ? 'COMPOSING' : 'THINKING';
      expect(transport.calls.slice(2).map(callSince(0))).toEqual([
        '27000 4@chat1 THINKING 30',
        `37500 4@chat1 ${shows} 30`,
      ]);
      going.unsubscribe();
      await advance(1);
      expect(transport.calls.map(call).at(-1)).toBe(`4@chat1 ${shows} 1`);
      expect(vi.getTimerCount()).toBe(0);
      indicators.dispose();
    },
  );

  it('sends the status of the one going on again a second after the other one replied within its show delay', async () => {
    // That one sent nothing (it never showed), but its reply's message hides the status of the bot in the chat all
    // the same: without sending again, the status of the work going on would be down until its renewal at 27 s.
    const transport = recordingTransport();
    const indicators = createIndicators({ transport });
    const going = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking' }).subscribe();
    await advance(1_000);
    const reply = new Subject<string>();
    indicators
      .botStatus({ dialogId: 'chat8', botId: 3, status: 'composing', until: reply, delayMs: 2_000 })
      .subscribe();
    await advance(1_000);
    reply.next('the reply'); // at 2 s, within its show delay
    await advance(2_000);
    expect(transport.calls.map(call)).toEqual(['3@chat8 THINKING 30', '3@chat8 THINKING 30']);
    expect(times(transport.calls)).toEqual([0, 3_000]);
    // renewed a period after that
    await advance(27_000);
    expect(times(transport.calls)).toEqual([0, 3_000, 30_000]);
    going.unsubscribe();
    await advance(1);
    expect(transport.calls.map(call).at(-1)).toBe('3@chat8 THINKING 1');
    expect(vi.getTimerCount()).toBe(0);
    indicators.dispose();
  });

  it('clears when the other status of the chat never showed (still in its show-delay), or already ended', async () => {
    const transport = recordingTransport();
    const indicators = createIndicators({ transport });
    const a = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking' }).subscribe();
    const late = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'searching', delayMs: 5_000 }).subscribe();
    const until = new Subject<string>();
    indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', until }).subscribe();
    await advance(1_000);
    until.next('the reply'); // ended with its reply: nothing of it keeps the status up
    await advance(500); // before its sending again after that reply
    a.unsubscribe();
    await advance(1);
    expect(transport.calls.map(call)).toEqual(['3@chat8 THINKING 30', '3@chat8 THINKING 30', '3@chat8 THINKING 1']);
    late.unsubscribe();
  });

  it('clears what the one that ended showed when the one going on ends before its own status left', async () => {
    const transport = recordingTransport();
    const indicators = createIndicators({ transport, limits: { perSecond: 2, burst: 2 } }); // one request at once
    const thinking = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking' }).subscribe();
    await advance(1);
    // its start waits for the rate budget; "thinking" is up on the portal
    const searching = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'searching' }).subscribe();
    await advance(100);
    thinking.unsubscribe(); // hands over: "searching" is due at once, but still waits for the budget
    await advance(100);
    searching.unsubscribe(); // the last one ends: "thinking" must come down, not stay up for its 30 s
    await advance(60_000);
    expect(transport.calls.map(call)).toEqual(['3@chat8 THINKING 30', '3@chat8 SEARCHING 1']);
    // the same when the two show the same code (no hand-over), and when the first one's work fails
    const same = createIndicators({ transport, limits: { perSecond: 2, burst: 2 } });
    const failing = new Subject<never>();
    same.botStatus({ dialogId: 'chat9', botId: 3, status: 'thinking', until: failing }).subscribe();
    await advance(1);
    const second = same.botStatus({ dialogId: 'chat9', botId: 3, status: 'thinking' }).subscribe();
    await advance(100);
    failing.error(new Error('llm failed'));
    second.unsubscribe();
    await advance(60_000);
    expect(transport.calls.slice(2).map(call)).toEqual(['3@chat9 THINKING 30', '3@chat9 THINKING 1']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('clears what the one that ended showed once the operating hold is over, unless its lease ran out first', async () => {
    for (const leaseSec of [30, 5]) {
      // the portal refuses chat1's start for the operating limit: the scheduler holds the method from 1 s to 11 s
      const transport = recordingTransport((c) =>
        c.params.dialogId === 'chat1' ? c.reject(operatingLimit()) : c.resolve({ result: true }),
      );
      const indicators = createIndicators({ transport });
      const a = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', leaseSec }).subscribe();
      await advance(1_000);
      indicators.botStatus({ dialogId: 'chat1', botId: 3, status: 'thinking' }).subscribe();
      await advance(1_000);
      // fails at once without a request, as does its hand-over: "thinking" stays up
      const b = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'searching' }).subscribe();
      await advance(1_000);
      a.unsubscribe();
      await advance(1_000);
      b.unsubscribe();
      await advance(60_000);
      const chat8 = transport.calls.filter((c) => c.params.dialogId === 'chat8');
      if (leaseSec === 30) {
        expect(chat8.map(call)).toEqual(['3@chat8 THINKING 30', '3@chat8 SEARCHING 1']);
        expect(times(chat8)).toEqual([0, 11_000]);
      } else expect(chat8.map(call)).toEqual(['3@chat8 THINKING 5']); // lapsed at 5 s, before the hold ended
      indicators.dispose();
    }
  });

  it('sends no hand-over that the portal must refuse as it refused the one that ended (same bot, token, chat)', async () => {
    for (const otherToken of ['token-a', 'token-b']) {
      // the bot is taken out of the chat at 5 s: every notify of that bot and token there is refused from then on
      const t0 = Date.now();
      const transport = recordingTransport((c) =>
        c.at - t0 >= 5_000 && c.params.botToken === 'token-a'
          ? c.reject(new B24Error({ code: 'ACCESS_DENIED', status: 400 }))
          : c.resolve({ result: true }),
      );
      const heard: IndicatorEvent[] = [];
      const indicators = createIndicators({ transport, onEvent: (e) => heard.push({ ...e, at: e.at - t0 }) });
      const status = new Subject<'thinking' | 'composing'>();
      const reply = new Subject<string>();
      indicators.botStatus({ dialogId: 'chat8', botId: 3, botToken: 'token-a', status }).subscribe();
      status.next('thinking');
      await advance(1_000);
      const target = { dialogId: 'chat8', botId: 3, botToken: otherToken, status: 'searching', until: reply } as const;
      indicators.botStatus(target).subscribe();
      await advance(1_000);
      status.next('composing'); // lands at 2 s: the portal shows "composing", the work going on searches
      await advance(3_000);
      status.next('thinking'); // refused: the first one stops, the portal still shows "composing"
      await advance(1_000);
      reply.next('the reply');
      await advance(60_000);
      const calls = transport.calls.map(callSince(t0));
      if (otherToken === 'token-a') {
        // the second one's call would be refused the same way: it fails with that error, without a request
        expect(calls).toEqual([
          '0 3@chat8 THINKING 30',
          '1000 3@chat8 SEARCHING 30',
          '2000 3@chat8 COMPOSING 30',
          '5000 3@chat8 THINKING 30',
        ]);
        const of = (id: number) => brief(heard.filter((e) => e.indicatorId === id));
        expect(of(1)).toEqual(['0 sent start', '2000 sent change', '5000 failed change', '5000 stopped failed']);
        expect(of(2)).toEqual(['1000 sent start', '5000 failed change', '5000 stopped failed']);
        expect(indicators.stats()).toMatchObject({ httpRequests: 4, failed: { access: 2 } });
      } else expect(calls.at(-1)).toBe('5000 3@chat8 SEARCHING 30'); // another token: it may well be shown
      indicators.dispose();
    }
  });

  it('sends the status of the one going on again when the one that ended asked for it but what landed is another', async () => {
    const transport = recordingTransport();
    const indicators = createIndicators({ transport, limits: { perSecond: 2, burst: 2 } }); // one request at once
    const status = new Subject<'thinking' | 'searching'>();
    indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking' }).subscribe();
    await advance(1_000);
    const a = indicators.botStatus({ dialogId: 'chat8', botId: 3, status }).subscribe();
    status.next('searching'); // lands at 1 s: the portal shows "searching"
    await advance(1_500);
    indicators.botStatus({ dialogId: 'chat9', botId: 3, status: 'thinking' }).subscribe(); // takes the budget
    status.next('thinking'); // waits for the budget
    await advance(100);
    a.unsubscribe(); // its "thinking" never leaves: the portal still shows "searching", the work going on thinks
    await advance(2_000);
    const chat8 = transport.calls.filter((c) => c.params.dialogId === 'chat8');
    expect(chat8.map(call)).toEqual(['3@chat8 THINKING 30', '3@chat8 SEARCHING 30', '3@chat8 THINKING 30']);
    expect(times(chat8)).toEqual([0, 1_000, 3_000]);
    indicators.dispose();
  });

  it.each([
    // "thinking" stays up
    ['the operating limit', operatingLimit()],
    ['auth (a token the transport could not refresh)', new B24Error({ code: 'expired_token', status: 401 })],
  ])(
    'sends nothing more when what landed is what the one going on shows: the change of the one that ended was refused for %s',
    async (_, refusal) => {
      const transport = recordingTransport((c) =>
        c.params.statusMessageCode === 'IMBOT_AGENT_ACTION_SEARCHING' ? c.reject(refusal) : c.resolve({ result: true }),
      );
      const heard: IndicatorEvent[] = [];
      const indicators = createIndicators({ transport, onEvent: (e) => heard.push(e) });
      const status = new Subject<'thinking' | 'searching'>();
      indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking' }).subscribe();
      await advance(1_000);
      const a = indicators.botStatus({ dialogId: 'chat8', botId: 3, status }).subscribe();
      status.next('thinking');
      await advance(1_000);
      status.next('searching'); // refused at 2 s
      await advance(1_000);
      a.unsubscribe(); // at 3 s: the portal shows "thinking", as the one going on does
      await advance(20_000);
      expect(transport.calls.map(call)).toEqual(['3@chat8 THINKING 30', '3@chat8 THINKING 30', '3@chat8 SEARCHING 30']);
      expect(brief(heard.filter((e) => e.indicatorId === 1))).toEqual(['0 sent start']);
      indicators.dispose();
    },
  );

  it('sends the status of the one going on again when a call of the one that ended may have landed', async () => {
    // every try of the change to "searching" meets a network error: each may have landed, so what is up is unknown
    const transport = recordingTransport((c) =>
      c.params.statusMessageCode === 'IMBOT_AGENT_ACTION_SEARCHING'
        ? c.reject(new B24Error({ code: 'NETWORK_ERROR', kind: 'network' }))
        : c.resolve({ result: true }),
    );
    vi.spyOn(Math, 'random').mockReturnValue(0.5); // retries 250, 500, 1000, 2000 ms apart
    const indicators = createIndicators({ transport });
    const status = new Subject<'thinking' | 'searching'>();
    indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking' }).subscribe();
    await advance(1_000);
    const a = indicators.botStatus({ dialogId: 'chat8', botId: 3, status }).subscribe();
    status.next('thinking');
    await advance(1_000);
    status.next('searching'); // tried 5 times, given up at 5.75 s
    await advance(4_500);
    a.unsubscribe(); // at 6.5 s, before it would go again
    await advance(1);
    expect(transport.calls.map(call).slice(3)).toEqual([
      ...Array(4).fill('3@chat8 SEARCHING 30'),
      '3@chat8 THINKING 30',
    ]);
    expect(times(transport.calls).at(-1)).toBe(6_500);
    indicators.dispose();
    vi.restoreAllMocks();
  });

  it('sends nothing more when the change of the one that ended never left (queued for the rate budget)', async () => {
    for (const end of ['unsubscribe', 'error'] as const) {
      const transport = recordingTransport();
      const indicators = createIndicators({ transport, limits: { perSecond: 2, burst: 2 } }); // one request at once
      const status = new Subject<'thinking' | 'searching'>();
      const until = new Subject<never>();
      indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking' }).subscribe();
      await advance(1_000);
      const a = indicators.botStatus({ dialogId: 'chat8', botId: 3, status, until }).subscribe();
      status.next('thinking'); // lands at 1 s: the portal shows "thinking", as the one going on does
      await advance(1_500);
      indicators.botStatus({ dialogId: 'chat9', botId: 3, status: 'thinking' }).subscribe(); // takes the budget
      status.next('searching'); // waits for the budget
      await advance(100);
      // its "searching" never leaves, so it cannot land: what is up is what the one going on shows
      if (end === 'unsubscribe') a.unsubscribe();
      else until.error(new Error('llm failed'));
      await advance(5_000);
      const chat8 = transport.calls.filter((c) => c.params.dialogId === 'chat8');
      expect(chat8.map(call)).toEqual(['3@chat8 THINKING 30', '3@chat8 THINKING 30']);
      indicators.dispose();
    }
  });

  it('sends nothing more when the one that ended showed another status but what landed last is the one going on', async () => {
    const transport = recordingTransport();
    const indicators = createIndicators({ transport });
    const a = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking' }).subscribe();
    await advance(1_000);
    indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'searching' }).subscribe(); // lands at 1 s
    await advance(4_000);
    a.unsubscribe(); // at 5 s: its "thinking" landed before "searching", which the portal shows
    await advance(1_000);
    expect(transport.calls.map(call)).toEqual(['3@chat8 THINKING 30', '3@chat8 SEARCHING 30']);
    indicators.dispose();
  });

  it('sends the status of the one going on again when what the one that ended still has on its way is another', async () => {
    for (const [changed, end] of [
      [true, 'unsubscribe'],
      [false, 'unsubscribe'],
      [true, 'error'],
    ] as const) {
      // the change of "thinking" to "analyzing" at 27 s never settles: dropped as the one that ended stops, it may
      // still land
      const t0 = Date.now();
      const transport = recordingTransport((c) =>
        c.params.statusMessageCode === 'IMBOT_AGENT_ACTION_ANALYZING' ? undefined : c.resolve({ result: true }),
      );
      const indicators = createIndicators({ transport });
      const status = new Subject<'thinking' | 'searching' | 'analyzing'>();
      const until = new Subject<never>();
      const a = indicators.botStatus({ dialogId: 'chat8', botId: 3, status, until }).subscribe();
      status.next('thinking');
      await advance(1_000);
      indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'searching', leaseSec: 60 }).subscribe(); // lands last
      await advance(26_000);
      status.next('analyzing'); // at 27 s (its renewal is skipped: "searching" is up until 61 s)
      await advance(100);
      // at 27.1 s, while that change is on its way: held behind it, this change never leaves
      if (changed) status.next('searching');
      await advance(100);
      // at 27.2 s: the portal shows "searching" unless the change to "analyzing" lands
      if (end === 'unsubscribe') a.unsubscribe();
      else until.error(new Error('llm failed'));
      await advance(1_000);
      expect(transport.calls.map(callSince(t0))).toEqual([
        '0 3@chat8 THINKING 30',
        '1000 3@chat8 SEARCHING 60',
        '27000 3@chat8 ANALYZING 30',
        '27200 3@chat8 SEARCHING 60',
      ]);
      indicators.dispose();
    }
  });

  it('sends the status of the one going on once more when the call the one that ended had on its way lands after the hand-over', async () => {
    for (const end of ['unsubscribe', 'error'] as const) {
      // the change of "searching" to "analyzing" at 27 s is answered (lands) 500 ms later, after the hand-over's "thinking" landed
      const t0 = Date.now();
      const { transport, landed } = landing(t0, renewalOf('IMBOT_AGENT_ACTION_ANALYZING', t0, 500));
      const indicators = createIndicators({ transport });
      const until = new Subject<never>();
      const phase = new BehaviorSubject<'searching' | 'analyzing'>('searching');
      const a = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: phase, until }).subscribe();
      await advance(1_000);
      indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', leaseSec: 60 }).subscribe(); // lands at 1 s
      await advance(26_000);
      phase.next('analyzing'); // at 27 s: its renewal is skipped ("thinking" is up until 61 s), a change goes
      await advance(100);
      // at 27.1 s, while that change is on its way: the portal shows "thinking" unless that change lands
      if (end === 'unsubscribe') a.unsubscribe();
      else until.error(new Error('llm failed'));
      await advance(2_000);
      expect(transport.calls.map(callSince(t0))).toEqual([
        '0 3@chat8 SEARCHING 30',
        '1000 3@chat8 THINKING 60',
        '27000 3@chat8 ANALYZING 30',
        '27100 3@chat8 THINKING 60',
        '27500 3@chat8 THINKING 60',
      ]);
      // what the portal shows is what lands last: the status of the work going on
      expect(landed.at(-1)).toBe('27500 3@chat8 THINKING 60');
      expect(landed.at(-2)).toBe('27500 3@chat8 ANALYZING 30');
      indicators.dispose();
    }
  });

  it('sends the clear of the last one to end after the call the one that ended before it still had on its way', async () => {
    for (const handOverMs of [0, 200]) {
      // the change of "searching" to "analyzing" at 27 s lands 500 ms later; the hand-over's "thinking" at once, or 200 ms later
      const t0 = Date.now();
      const { transport, landed } = landing(t0, (c) => {
        const late = c.at - t0 >= 27_000 && c.params.duration !== 1;
        return !late ? 0 : c.params.statusMessageCode === 'IMBOT_AGENT_ACTION_ANALYZING' ? 500 : handOverMs;
      });
      const indicators = createIndicators({ transport });
      const phase = new BehaviorSubject<'searching' | 'analyzing'>('searching');
      const a = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: phase }).subscribe();
      await advance(1_000);
      const b = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', leaseSec: 60 }).subscribe();
      await advance(26_000);
      phase.next('analyzing'); // at 27 s: its renewal is skipped ("thinking" is up until 61 s), a change goes
      await advance(100);
      a.unsubscribe(); // at 27.1 s, while that change is on its way: "thinking" goes again
      await advance(100);
      b.unsubscribe(); // at 27.2 s: the status must come down, and stay down once that change has landed
      await advance(60_000);
      // the clear waits for that change (after its own last call): it lands last, and nothing is left up
      expect(landed).toEqual([
        '0 3@chat8 SEARCHING 30',
        '1000 3@chat8 THINKING 60',
        `${27_100 + handOverMs} 3@chat8 THINKING 60`,
        '27500 3@chat8 ANALYZING 30',
        '27500 3@chat8 THINKING 1',
      ]);
      expect(vi.getTimerCount()).toBe(0);
      indicators.dispose();
    }
  });

  it('sends the status of the one going on once more when the call the one that replied had on its way lands after that', async () => {
    for (const lateMs of [2_500, 500]) {
      // the change of "searching" to "analyzing" at 27 s lands 2.5 s later, after the one going on sent its own again (a second
      // after the reply), or 500 ms later, before that: then that re-send is enough, and none goes before it
      const t0 = Date.now();
      // answered late, aborted or not: an abort does not call back a request already sent
      const { transport, landed } = landing(t0, renewalOf('IMBOT_AGENT_ACTION_ANALYZING', t0, lateMs));
      const indicators = createIndicators({ transport });
      const reply = new Subject<string>();
      const phase = new BehaviorSubject<'searching' | 'analyzing'>('searching');
      indicators.botStatus({ dialogId: 'chat8', botId: 3, status: phase, until: reply }).subscribe();
      await advance(1_000);
      indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', leaseSec: 60 }).subscribe(); // lands at 1 s
      await advance(26_000);
      phase.next('analyzing'); // at 27 s: its renewal is skipped ("thinking" is up until 61 s), a change goes
      await advance(100);
      reply.next('the reply'); // at 27.1 s, while that change is on its way
      await advance(5_000);
      expect(transport.calls.map(callSince(t0))).toEqual([
        '0 3@chat8 SEARCHING 30',
        '1000 3@chat8 THINKING 60',
        '27000 3@chat8 ANALYZING 30',
        '28100 3@chat8 THINKING 60',
        ...(lateMs > 1_100 ? [`${27_000 + lateMs} 3@chat8 THINKING 60`] : []),
      ]);
      // what the portal shows is what lands last: the status of the work going on
      expect(landed.at(-1)).toMatch(/THINKING 60$/);
      indicators.dispose();
    }
  });

  it('sends the clear of the last one to end after the call the one that replied before it still had on its way', async () => {
    // the change of "searching" to "analyzing" at 27 s lands 2.5 s later
    const t0 = Date.now();
    const { transport, landed } = landing(t0, renewalOf('IMBOT_AGENT_ACTION_ANALYZING', t0, 2_500));
    const indicators = createIndicators({ transport });
    const reply = new Subject<string>();
    const phase = new BehaviorSubject<'searching' | 'analyzing'>('searching');
    indicators.botStatus({ dialogId: 'chat8', botId: 3, status: phase, until: reply }).subscribe();
    await advance(1_000);
    const b = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', leaseSec: 60 }).subscribe();
    await advance(26_000);
    phase.next('analyzing'); // at 27 s: its renewal is skipped ("thinking" is up until 61 s), a change goes
    await advance(100);
    reply.next('the reply'); // at 27.1 s, while that change is on its way
    await advance(100);
    b.unsubscribe(); // at 27.2 s: the status must come down, and stay down once that change has landed
    await advance(60_000);
    expect(landed).toEqual([
      '0 3@chat8 SEARCHING 30',
      '1000 3@chat8 THINKING 60',
      '29500 3@chat8 ANALYZING 30',
      '29500 3@chat8 THINKING 1',
    ]);
    expect(vi.getTimerCount()).toBe(0);
    indicators.dispose();
  });

  it("sends the status of one that started as the other ended again when that one's clear lands after its start", async () => {
    for (const clearing of ['late', 'retried'] as const) {
      // the clear of the first is answered 3 s late, or fails at once (the network) and is retried 250-375 ms later
      const t0 = Date.now();
      const random = vi.spyOn(Math, 'random').mockReturnValue(0.5); // the retry's jitter
      let failed = false;
      const { transport, landed } = landing(t0, (c) => {
        if (c.params.duration !== 1) return 0;
        if (clearing === 'late') return 3_000;
        if (failed) return 0;
        failed = true;
        return -1; // fails
      });
      const indicators = createIndicators({ transport });
      const until = new Subject<never>();
      indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'searching', until }).subscribe();
      await advance(1_000);
      until.error(new Error('llm failed')); // at 1 s: the last status of the bot in the chat clears
      await advance(100);
      // at 1.1 s the bot works on the next message in the chat: its start lands at once, before that clear
      const b = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking' }).subscribe();
      await advance(5_000);
      // what the portal shows is what lands last: the status of the work going on, not nothing
      expect(landed.at(-1)).toMatch(/THINKING 30$/);
      expect(landed.filter((l) => l.endsWith(' 1'))).toHaveLength(1); // the clear landed, once
      b.unsubscribe();
      await advance(60_000);
      expect(landed.at(-1)).toMatch(/THINKING 1$/);
      random.mockRestore();
      indicators.dispose();
    }
  });

  it('renews only the newest one while its call is up, also when it renews less often than an older one', async () => {
    const transport = recordingTransport();
    const indicators = createIndicators({ transport });
    const a = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking' }).subscribe(); // renews every 27 s
    await advance(1_000);
    // at 1 s: "searching" shows (60 s lease, renewed every 57 s); a renewal of "thinking" would put "thinking" back up
    // for 30 s over it, and keeps up nothing that is not up already
    const b = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'searching', leaseSec: 60 }).subscribe();
    await advance(119_000);
    b.unsubscribe(); // at 120 s: "thinking" goes on, and shows again at once
    await advance(30_000);
    expect(transport.calls.map((c) => `${ms(c.at)} ${call(c)}`)).toEqual([
      '0 3@chat8 THINKING 30',
      '1000 3@chat8 SEARCHING 60',
      '58000 3@chat8 SEARCHING 60',
      '115000 3@chat8 SEARCHING 60',
      '120000 3@chat8 THINKING 30',
      '147000 3@chat8 THINKING 30',
    ]);
    a.unsubscribe();
    indicators.dispose();
  });

  it('sends the status of the one going on again when the one that ended had a shorter lease, which lapses first', async () => {
    const transport = recordingTransport();
    const indicators = createIndicators({ transport });
    const b = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', leaseSec: 60 }).subscribe();
    await advance(1_000);
    const a = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking' }).subscribe(); // 30 s lease
    await advance(1_000);
    // at 2 s: the portal shows the "thinking" of the one that ends, up to 31 s; the other renews only at 57 s
    a.unsubscribe();
    await advance(40_000);
    expect(transport.calls.map((c) => `${ms(c.at)} ${call(c)}`)).toEqual([
      '0 3@chat8 THINKING 60',
      '1000 3@chat8 THINKING 30',
      '2000 3@chat8 THINKING 60',
    ]);
    b.unsubscribe();
    indicators.dispose();
  });

  it("sends the status of one that started as the other ended again when that one's start lands after its own", async () => {
    // the start of "thinking" lands 3 s late; everything else at once
    const t0 = Date.now();
    const { transport, landed } = landing(t0, (c) =>
      c.params.statusMessageCode === 'IMBOT_AGENT_ACTION_THINKING' && c.params.duration === 30 ? 3_000 : 0,
    );
    const indicators = createIndicators({ transport });
    const a = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking' }).subscribe();
    await advance(500);
    a.unsubscribe(); // at 0.5 s, its start on its way: its clear waits for it
    await advance(500);
    // at 1 s the bot works on the next message in the chat: its start lands at once, so that clear is moot
    const b = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'searching' }).subscribe();
    await advance(5_000);
    // what the portal shows is what lands last: the status of the work going on, not that of the one that ended
    expect(landed).toEqual(['1000 3@chat8 SEARCHING 30', '3000 3@chat8 THINKING 30', '3000 3@chat8 SEARCHING 30']);
    b.unsubscribe();
    indicators.dispose();
  });

  it('clears after the reply of the last one to end once a call of one that ended before it landed after that reply', async () => {
    // The start of "thinking" lands 500 ms late, after the reply's message: it would show for its lease (30 s) over the
    // answer. The clear follows it, as the last one's own call on its way in a batch would be followed.
    const t0 = Date.now();
    const { transport, landed } = landing(t0, (c) =>
      c.params.statusMessageCode === 'IMBOT_AGENT_ACTION_THINKING' && c.params.duration === 30 ? 500 : 0,
    );
    const indicators = createIndicators({ transport });
    const reply = new Subject<string>();
    indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'searching', until: reply }).subscribe();
    await advance(1_000);
    const b = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking' }).subscribe();
    await advance(100);
    b.unsubscribe(); // at 1.1 s, its start on its way: "searching" goes again
    await advance(100);
    reply.next('the reply'); // at 1.2 s
    await advance(60_000);
    expect(transport.calls.filter((c) => c.at - t0 >= 1_200).map(callSince(t0))).toEqual(['1500 3@chat8 SEARCHING 1']);
    expect(landed).toEqual([
      '0 3@chat8 SEARCHING 30',
      '1100 3@chat8 SEARCHING 30',
      '1500 3@chat8 THINKING 30',
      '1500 3@chat8 SEARCHING 1',
    ]);
    expect(vi.getTimerCount()).toBe(0);
    indicators.dispose();
  });

  it('follows the call of one that ended without its reply with the clear of the last one, ending with its reply', async () => {
    const endings = ['unsubscribed', 'error', 'error, clearOnError off'] as const;
    const outcomes = ['landed', 'network', 'refused', 'goes on', 'disposed'] as const;
    for (const ending of endings)
      for (const outcome of outcomes) {
        const t0 = Date.now();
        // the start of "thinking" is answered when the test says so, everything else at once
        let held: RecordedCall | undefined;
        const transport = recordingTransport((c) => {
          if (c.params.statusMessageCode === 'IMBOT_AGENT_ACTION_THINKING' && c.params.duration === 30) held = c;
          else c.resolve({ result: true });
        });
        const heard: IndicatorEvent[] = [];
        const indicators = createIndicators({ transport, onEvent: (e) => heard.push(e) });
        const reply = new Subject<string>();
        indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'searching', until: reply }).subscribe();
        await advance(1_000);
        const until = new Subject<never>();
        const thinking = { dialogId: 'chat8', botId: 3, status: 'thinking', until } as const;
        const a = indicators
          .botStatus(ending === 'error, clearOnError off' ? { ...thinking, clearOnError: false } : thinking)
          .subscribe({ error: () => {} });
        await advance(100);
        // at 1.1 s, its start on its way (not aborted: the other hears when it lands)
        if (ending === 'unsubscribed') a.unsubscribe();
        else until.error(new Error('llm failed'));
        await advance(100);
        reply.next('the reply'); // at 1.2 s: the last one ends with its reply
        await advance(100);
        if (outcome === 'goes on') {
          // at 1.3 s the bot works on the next message in the chat: its start lands at once
          indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'composing' }).subscribe();
        }
        await advance(100);
        if (outcome === 'disposed') indicators.dispose(); // at 1.4 s
        await advance(100);
        // at 1.5 s the start of "thinking" is answered, after the reply's message
        if (outcome === 'landed' || outcome === 'goes on' || outcome === 'disposed') held?.resolve({ result: true });
        if (outcome === 'network') held?.reject(networkDown());
        if (outcome === 'refused') held?.reject(new B24Error({ code: 'ACCESS_DENIED', kind: 'access' }));
        await advance(1);
        const after = transport.calls.filter((c) => c.at - t0 >= 1_200).map(callSince(t0));
        const mine = brief(
          heard.filter((e) => e.indicatorId === 1),
          t0,
        );
        const last = mine.slice(mine.indexOf('1200 stopped until') + 1); // what became of its clear
        const expected = {
          // it put "thinking" up over the answer, or may have: it comes down at once, not in 30 s
          landed: { after: ['1500 3@chat8 SEARCHING 1'], last: ['1500 sent clear'] },
          network: { after: ['1500 3@chat8 SEARCHING 1'], last: ['1500 sent clear'] },
          // it put nothing up, and the reply's message hid what was
          refused: { after: [], last: ['1500 dropped clear deadline'] },
          // what lands last shows: the status of the work going on, which sends its own again, not nothing
          'goes on': {
            after: ['1300 3@chat8 COMPOSING 30', '1500 3@chat8 COMPOSING 30'],
            last: ['1500 dropped clear merged'],
          },
          // the clear waiting for that call, dropped with everything else
          disposed: { after: [], last: ['1400 dropped clear disposed'] },
        }[outcome];
        expect({ after, last }, `${ending}, ${outcome}`).toEqual(expected);
        await advance(60_000);
        // nothing more but the renewals of the work going on
        const more = transport.calls.filter((c) => c.at - t0 > 1_500 && !/COMPOSING 30$/.test(call(c)));
        expect(more, `${ending}, ${outcome}`).toEqual([]);
        indicators.dispose();
        expect(vi.getTimerCount()).toBe(0);
      }
    expect(unhandled).toEqual([]);
  });

  it('sends that clear after the call the last one had on its way alone too, which it does not abort then', async () => {
    for (const [thinkingMs, searchingMs, own] of [
      [500, 200, 'landed'],
      [300, 400, 'landed'],
      [500, 200, 'refused'],
      [300, 400, 'refused'],
    ] as const) {
      // the start of "thinking" (at 1 s) and the change of "searching" sent again as it ends (at 1.1 s) are answered
      // late; that change lands, or is refused outright
      const t0 = Date.now();
      const landed: string[] = [];
      const transport = recordingTransport((c) => {
        const late = c.params.duration === 30 && c.at - t0 >= 1_000;
        const thinking = c.params.statusMessageCode === 'IMBOT_AGENT_ACTION_THINKING';
        setTimeout(
          () => {
            if (!thinking && late && own === 'refused')
              return c.reject(new B24Error({ code: 'ACCESS_DENIED', kind: 'access' }));
            landed.push(`${ms(Date.now() - t0)} ${call(c)}`);
            c.resolve({ result: true });
          },
          late ? (thinking ? thinkingMs : searchingMs) : 0,
        );
      });
      const indicators = createIndicators({ transport });
      const reply = new Subject<string>();
      indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'searching', until: reply }).subscribe();
      await advance(1_000);
      const b = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking' }).subscribe();
      await advance(100);
      b.unsubscribe(); // at 1.1 s, its start on its way: "searching" goes again
      await advance(100);
      reply.next('the reply'); // at 1.2 s, with both on their way
      // aborted, its call might still land after that clear (an abort does not call back a request already sent)
      expect(transport.calls.map((c) => c.signal?.aborted)).toEqual([false, false, false]);
      await advance(60_000);
      // the clear goes once both were answered: whichever landed would show over the answer for its lease
      const searching = own === 'landed' ? [`${1_100 + searchingMs} 3@chat8 SEARCHING 30`] : [];
      const thinking = [`${1_000 + thinkingMs} 3@chat8 THINKING 30`];
      const clear = `${Math.max(1_000 + thinkingMs, 1_100 + searchingMs)} 3@chat8 SEARCHING 1`;
      expect(landed.slice(1), `${thinkingMs}, ${searchingMs}, ${own}`).toEqual([
        ...(thinkingMs > searchingMs ? [...searching, ...thinking] : [...thinking, ...searching]),
        clear,
      ]);
      expect(vi.getTimerCount()).toBe(0);
      indicators.dispose();
    }
  });

  it('sends nothing after the reply of the last one to end when no call of one that ended before it is on its way', async () => {
    const transport = recordingTransport();
    const heard: IndicatorEvent[] = [];
    const indicators = createIndicators({ transport, onEvent: (e) => heard.push(e) });
    const reply = new Subject<string>();
    indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'searching', until: reply }).subscribe();
    const b = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking' }).subscribe();
    await advance(1_000);
    b.unsubscribe(); // its start landed: "searching" goes again
    await advance(100);
    reply.next('the reply');
    await advance(60_000);
    expect(transport.calls.map(call)).toEqual(['3@chat8 SEARCHING 30', '3@chat8 THINKING 30', '3@chat8 SEARCHING 30']);
    expect(brief(heard).slice(-2)).toEqual(['1000 sent change', '1100 stopped until']);
    indicators.dispose();
  });

  it('publishes the stop of the refused one before the failure of the hand-over it caused', async () => {
    const t0 = Date.now();
    // the bot is taken out of the chat at 3 s: every notify of it there is refused from then on
    const transport = recordingTransport((c) =>
      c.at - t0 >= 3_000 ? c.reject(new B24Error({ code: 'ACCESS_DENIED', status: 400 })) : c.resolve({ result: true }),
    );
    const heard: string[] = [];
    const indicators = createIndicators({
      transport,
      onEvent: (e) => heard.push(`${e.indicatorId} ${brief([e], t0)[0]}`),
    });
    const status = new Subject<'thinking' | 'composing'>();
    indicators.botStatus({ dialogId: 'chat8', botId: 3, status }).subscribe();
    status.next('thinking');
    await advance(1_000);
    indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'searching' }).subscribe();
    await advance(1_000);
    status.next('composing'); // lands at 2 s: the portal shows "composing"
    await advance(1_000);
    status.next('thinking'); // refused: the first one stops, and the second one's hand-over fails without a request
    await advance(1);
    expect(heard.slice(3)).toEqual([
      '1 3000 failed change',
      '1 3000 stopped failed',
      '2 3000 failed change',
      '2 3000 stopped failed',
    ]);
    indicators.dispose();
  });

  it('sends no clear for a status that the reply of the one going on took down', async () => {
    const transport = recordingTransport();
    const indicators = createIndicators({ transport, limits: { perSecond: 2, burst: 2 } }); // one request at once
    const thinking = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking' }).subscribe();
    await advance(1);
    const reply = new Subject<string>();
    indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'searching', until: reply }).subscribe();
    await advance(100);
    thinking.unsubscribe(); // hands over: "searching" waits for the budget
    await advance(100);
    reply.next('the reply'); // the bot's message hides "thinking"; "searching" never left
    await advance(1);
    // A new status of the bot in the chat that ends before its start leaves: nothing is up, so nothing to clear.
    const next = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'composing' }).subscribe();
    await advance(1);
    next.unsubscribe();
    await advance(60_000);
    expect(transport.calls.map(call)).toEqual(['3@chat8 THINKING 30']);
    indicators.dispose();
  });

  it('sends no clear when the one going on ends before its own status left, after the other replied with none on its way', async () => {
    const transport = recordingTransport();
    const indicators = createIndicators({ transport, limits: { perSecond: 2, burst: 2 } }); // one request at once
    const reply = new Subject<string>();
    indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', until: reply }).subscribe();
    await advance(1);
    const b = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'searching' }).subscribe(); // waits
    await advance(100);
    reply.next('the reply'); // its "thinking" landed: the reply's message hides it, and nothing of it is on its way
    await advance(100);
    b.unsubscribe(); // its "searching" never left: nothing is up, so nothing to clear
    await advance(60_000);
    expect(transport.calls.map(call)).toEqual(['3@chat8 THINKING 30']);
    indicators.dispose();
  });

  it('sends no clear for a pair of statuses that never showed anything', async () => {
    // starts never settle, clears land
    const transport = recordingTransport((c) => (c.params.duration === 1 ? c.resolve({ result: true }) : undefined));
    const indicators = createIndicators({ transport, limits: { perSecond: 2, burst: 2 } });
    const other = indicators.botStatus({ dialogId: 'chat1', botId: 3, status: 'thinking' }).subscribe();
    await advance(1); // chat1's start holds the budget: both of chat8 wait
    const a = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking' }).subscribe();
    const b = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'searching' }).subscribe();
    a.unsubscribe();
    b.unsubscribe();
    await advance(60_000);
    expect(transport.calls.map(call).filter((c) => c.includes('chat8'))).toEqual([]);
    other.unsubscribe();
    indicators.dispose();
  });

  it('sends the status of the one going on again when one with clearOnError off ends, and no clear for it', async () => {
    for (const end of ['unsubscribe', 'error'] as const) {
      const t0 = Date.now();
      const transport = recordingTransport();
      const indicators = createIndicators({ transport });
      const b = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking' }).subscribe();
      await advance(1_000);
      const until = new Subject<never>();
      const a = indicators
        .botStatus({ dialogId: 'chat8', botId: 3, status: 'searching', until, clearOnError: false })
        .subscribe();
      await advance(4_000);
      // at 5 s: the portal shows its "searching", landed last; the work that goes on is thinking
      if (end === 'unsubscribe') a.unsubscribe();
      else until.error(new Error('llm failed'));
      await advance(1);
      expect(transport.calls.map(callSince(t0)).slice(-2)).toEqual([
        '1000 3@chat8 SEARCHING 30',
        '5000 3@chat8 THINKING 30',
      ]);
      b.unsubscribe();
      await advance(60_000);
      expect(transport.calls.map(call)).toEqual([
        '3@chat8 THINKING 30',
        '3@chat8 SEARCHING 30',
        '3@chat8 THINKING 30',
        '3@chat8 THINKING 1',
      ]);
      indicators.dispose();
    }
  });

  it('leaves the call on its way of one with clearOnError off that ends to land, and sends the other again after it', async () => {
    for (const end of ['unsubscribe', 'error'] as const) {
      // the change of "searching" to "analyzing" at 27 s lands 500 ms later, aborted or not: an abort does not call back a request
      const t0 = Date.now();
      const { transport, landed } = landing(t0, renewalOf('IMBOT_AGENT_ACTION_ANALYZING', t0, 500));
      const indicators = createIndicators({ transport });
      const until = new Subject<never>();
      const phase = new BehaviorSubject<'searching' | 'analyzing'>('searching');
      const a = indicators
        .botStatus({ dialogId: 'chat8', botId: 3, status: phase, until, clearOnError: false })
        .subscribe();
      await advance(1_000);
      indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', leaseSec: 60 }).subscribe(); // lands at 1 s
      await advance(26_000);
      phase.next('analyzing'); // at 27 s: its renewal is skipped ("thinking" is up until 61 s), a change goes
      await advance(100);
      // at 27.1 s, while that change is on its way: the portal shows "thinking" unless that change lands
      if (end === 'unsubscribe') a.unsubscribe();
      else until.error(new Error('llm failed'));
      await advance(2_000);
      expect(transport.calls[2]?.signal?.aborted).toBe(false);
      expect(transport.calls.map(callSince(t0))).toEqual([
        '0 3@chat8 SEARCHING 30',
        '1000 3@chat8 THINKING 60',
        '27000 3@chat8 ANALYZING 30',
        '27100 3@chat8 THINKING 60',
        '27500 3@chat8 THINKING 60',
      ]);
      // what the portal shows is what lands last: the status of the work going on
      expect(landed.at(-1)).toBe('27500 3@chat8 THINKING 60');
      indicators.dispose();
    }
  });

  it('sends the clear of the last one to end after the call one with clearOnError off had on its way as it ended', async () => {
    // the change of "searching" to "analyzing" at 27 s lands 500 ms later
    const t0 = Date.now();
    const { transport, landed } = landing(t0, renewalOf('IMBOT_AGENT_ACTION_ANALYZING', t0, 500));
    const indicators = createIndicators({ transport });
    const until = new Subject<never>();
    const phase = new BehaviorSubject<'searching' | 'analyzing'>('searching');
    indicators.botStatus({ dialogId: 'chat8', botId: 3, status: phase, until, clearOnError: false }).subscribe();
    await advance(1_000);
    const b = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', leaseSec: 60 }).subscribe();
    await advance(26_000);
    phase.next('analyzing'); // at 27 s: its renewal is skipped ("thinking" is up until 61 s), a change goes
    await advance(100);
    until.error(new Error('llm failed')); // at 27.1 s, while that change is on its way: no clear for it
    await advance(100);
    b.unsubscribe(); // at 27.2 s: the status must come down, and stay down once that change has landed
    await advance(60_000);
    expect(landed).toEqual([
      '0 3@chat8 SEARCHING 30',
      '1000 3@chat8 THINKING 60',
      '27100 3@chat8 THINKING 60',
      '27500 3@chat8 ANALYZING 30',
      '27500 3@chat8 THINKING 1',
    ]);
    expect(vi.getTimerCount()).toBe(0);
    indicators.dispose();
  });

  it('clears what one that ended before it left to it when the last one to end has clearOnError off', async () => {
    for (const end of ['unsubscribe', 'error'] as const) {
      // the change of "searching" to "analyzing" at 27 s lands 500 ms later
      const t0 = Date.now();
      const { transport, landed } = landing(t0, renewalOf('IMBOT_AGENT_ACTION_ANALYZING', t0, 500));
      const indicators = createIndicators({ transport });
      const phase = new BehaviorSubject<'searching' | 'analyzing'>('searching');
      const a = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: phase }).subscribe();
      await advance(1_000);
      const until = new Subject<never>();
      const b = indicators
        .botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', leaseSec: 60, until, clearOnError: false })
        .subscribe();
      await advance(26_000);
      phase.next('analyzing'); // at 27 s: its renewal is skipped ("thinking" is up until 61 s), a change goes
      await advance(100);
      a.unsubscribe(); // at 27.1 s, while that change is on its way: its clear is left to the one going on
      await advance(100);
      // at 27.2 s: no clear for its own status, but the one that ended before it asked for one
      if (end === 'unsubscribe') b.unsubscribe();
      else until.error(new Error('llm failed'));
      await advance(60_000);
      expect(landed).toEqual([
        '0 3@chat8 SEARCHING 30',
        '1000 3@chat8 THINKING 60',
        '27100 3@chat8 THINKING 60',
        '27500 3@chat8 ANALYZING 30',
        '27500 3@chat8 THINKING 1',
      ]);
      expect(vi.getTimerCount()).toBe(0);
      indicators.dispose();
    }
    // and when its own start never left (waiting for the rate budget) while the status of the first is up
    const transport = recordingTransport();
    const indicators = createIndicators({ transport, limits: { perSecond: 2, burst: 2 } }); // one request at once
    const thinking = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking' }).subscribe();
    await advance(1);
    const searching = indicators
      .botStatus({ dialogId: 'chat8', botId: 3, status: 'searching', clearOnError: false })
      .subscribe();
    await advance(100);
    thinking.unsubscribe();
    await advance(100);
    searching.unsubscribe(); // "thinking" must come down, not stay up for its 30 s
    await advance(60_000);
    expect(transport.calls.map(call)).toEqual(['3@chat8 THINKING 30', '3@chat8 SEARCHING 1']);
    indicators.dispose();
  });

  it('clears what one that ended before it left to it also after a call of its own failed as a landed one may', async () => {
    // every "searching" meets a network error: it may have landed or not, so "thinking" may still be up
    const transport = recordingTransport((c) =>
      c.params.statusMessageCode === 'IMBOT_AGENT_ACTION_SEARCHING'
        ? c.reject(networkDown())
        : c.resolve({ result: true }),
    );
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.5); // retries 250, 500, 1000, 2000 ms apart
    const indicators = createIndicators({ transport });
    const thinking = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking' }).subscribe();
    const until = new Subject<never>();
    indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'searching', until, clearOnError: false }).subscribe();
    await advance(100);
    thinking.unsubscribe(); // its "thinking" landed: its clear is left to the one going on
    await advance(400);
    until.error(new Error('llm failed')); // at 0.5 s: no clear of its own, but "thinking" may be up
    await advance(60_000);
    expect(transport.calls.map(call).at(-1)).toBe('3@chat8 SEARCHING 1');
    random.mockRestore();
    indicators.dispose();
  });

  it('clears what one that ended before it left to it until that status lapses, counted from when its call landed', async () => {
    // "thinking" goes at 0 s and lands 3 s late: up until 33 s, not 30 s. Every "searching" is refused outright (it
    // puts nothing up), so at 30.2 s, when the last one ends, "thinking" is still up and its clear must go. The first
    // ends after its call landed (at 4 s), or while it is on its way (at 1 s: not aborted, it lands all the same).
    for (const firstEndsAt of [4_000, 1_000])
      for (const clearOnError of [false, true]) {
        const t0 = Date.now();
        const landed: string[] = [];
        const transport = recordingTransport((c) => {
          const land = () => {
            landed.push(`${ms(Date.now() - t0)} ${call(c)}`);
            c.resolve({ result: true });
          };
          if (c.params.duration === 1) land();
          else if (c.params.statusMessageCode === 'IMBOT_AGENT_ACTION_THINKING') setTimeout(land, 3_000);
          else c.reject(new B24Error({ code: 'expired_token', kind: 'auth' }));
        });
        const indicators = createIndicators({ transport });
        const thinking = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking' }).subscribe();
        await advance(firstEndsAt - 500);
        const until = new Subject<never>();
        indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'searching', until, clearOnError }).subscribe();
        await advance(500);
        thinking.unsubscribe(); // its clear is left to the one going on
        await advance(30_200 - firstEndsAt);
        until.error(new Error('llm failed')); // at 30.2 s, before its renewal
        await advance(60_000);
        expect({ firstEndsAt, clearOnError, landed }).toEqual({
          firstEndsAt,
          clearOnError,
          landed: ['3000 3@chat8 THINKING 30', '30200 3@chat8 SEARCHING 1'],
        });
        expect(vi.getTimerCount()).toBe(0);
        indicators.dispose();
      }
  });

  it('clears what one that ended alone left to the one started since, also when that one has clearOnError off', async () => {
    // Found by createIndicators.property.test.ts: the first one's start lands 3 s late, after the second started; its
    // clear is moot then (the second sends its own again), but the second ended before that landed, and "thinking"
    // stayed up for its lease after all work had ended.
    const t0 = Date.now();
    const landed: string[] = [];
    // an abort before the portal acted on a call stops it
    const transport = recordingTransport((c) => {
      const late =
        c.params.duration === 30 &&
        (c.params.statusMessageCode === 'IMBOT_AGENT_ACTION_THINKING' || c.at - t0 >= 2_000);
      const land = () => {
        landed.push(`${ms(Date.now() - t0)} ${call(c)}`);
        c.resolve({ result: true });
      };
      if (!late) return land();
      const timer = setTimeout(land, 3_000);
      c.signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        c.reject(networkDown());
      });
    });
    const indicators = createIndicators({ transport });
    const first = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking' }).subscribe();
    await advance(1);
    first.unsubscribe(); // alone, its start on its way: its clear waits for it
    await advance(1_000);
    const second = indicators
      .botStatus({ dialogId: 'chat8', botId: 3, status: 'searching', clearOnError: false })
      .subscribe();
    await advance(2_100); // "thinking" lands at 3 s, over "searching": the second sends its own again
    second.unsubscribe(); // at 3.1 s, that call on its way: no clear of its own, but "thinking" was left to it
    await advance(60_000);
    // the clear follows that call (not aborted: an abort does not call back a request already sent)
    expect(landed).toEqual([
      '1000 3@chat8 SEARCHING 30',
      '3000 3@chat8 THINKING 30',
      '6000 3@chat8 SEARCHING 30',
      '6000 3@chat8 SEARCHING 1',
    ]);
    expect(vi.getTimerCount()).toBe(0);
    indicators.dispose();
  });

  it('sends no clear when the last one to end has clearOnError off and nothing was left to it', async () => {
    const transport = recordingTransport();
    const indicators = createIndicators({ transport });
    const reply = new Subject<string>();
    indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'searching', until: reply }).subscribe();
    const until = new Subject<never>();
    indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', until, clearOnError: false }).subscribe();
    await advance(1_000);
    reply.next('the reply');
    await advance(2_000); // "thinking" goes again a second after the reply
    until.error(new Error('llm failed'));
    await advance(60_000);
    expect(transport.calls.map(call)).toEqual(['3@chat8 SEARCHING 30', '3@chat8 THINKING 30', '3@chat8 THINKING 30']);
    indicators.dispose();
  });

  it('keeps trying the last clear until what one that ended before it put up lapses, not only its own status', async () => {
    // Found by integration/test/botWork.property.test.ts: the last one's clear gave up at its own status's lapse while
    // the longer lease another one had put up stayed visible, 20 s after all work had ended.
    const portalBusyUntil = 35_000;
    const transport = recordingTransport((c) =>
      c.params.duration === 1 && c.at < portalBusyUntil
        ? c.reject(new B24Error({ code: 'QUERY_LIMIT_EXCEEDED', status: 503, kind: 'rate' }))
        : c.resolve({ result: true }),
    );
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const indicators = createIndicators({ transport });
    const untilB = new Subject<never>();
    indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', until: untilB }).subscribe(); // up to 30 s
    await advance(1_000);
    const untilA = new Subject<never>();
    indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', until: untilA, leaseSec: 60 }).subscribe();
    await advance(1_000); // its "thinking" landed last: up until 61 s
    untilA.error(new Error('llm failed')); // the other goes on: no clear
    await advance(8_000);
    untilB.error(new Error('llm failed')); // at 10 s the last one ends: its clear meets a busy portal until 35 s
    await advance(60_000);
    const clears = transport.calls.filter((c) => c.params.duration === 1);
    expect(clears.at(-1)?.at).toBeGreaterThanOrEqual(portalBusyUntil);
    expect(clears.at(-1)?.at).toBeLessThan(61_000);
    random.mockRestore();
    indicators.dispose();
  });

  it('sends the status of the one going on again after a reply when the one due to send its own again ends first', async () => {
    const transport = recordingTransport();
    const indicators = createIndicators({ transport });
    const a = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'searching' }).subscribe();
    const reply = new Subject<string>();
    indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'searching', until: reply }).subscribe();
    await advance(1);
    const b = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'searching' }).subscribe(); // lands at once
    await advance(100);
    reply.next('the reply'); // its message hides "searching": the newest is to send its own again a second later
    await advance(100);
    b.unsubscribe(); // at 0.2 s, before it did: the one going on does it instead, when it was due (README)
    await advance(5_000);
    // a second after the reply, not a second after that end: nothing would show for up to 2 s
    expect(transport.calls.map((c) => `${ms(c.at)} ${call(c)}`).slice(3)).toEqual(['1100 3@chat8 SEARCHING 30']);
    a.unsubscribe();
    indicators.dispose();
  });

  it('sends the status of the one going on again after a reply when the one that was to send its own again ends as it does', async () => {
    const t0 = Date.now();
    const transport = recordingTransport();
    const indicators = createIndicators({ transport });
    const a = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'searching' }).subscribe();
    const reply = new Subject<string>();
    indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'searching', until: reply }).subscribe();
    await advance(1);
    const b = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'searching' }).subscribe();
    await advance(99);
    reply.next('the reply'); // at 0.1 s: the newest is to send its own again at 1.1 s
    await advance(1_000);
    b.unsubscribe(); // at 1.1 s, its call made but not yet sent: the one going on sends its own, now that it is due
    await advance(5_000);
    expect(transport.calls.map(callSince(t0)).slice(3)).toEqual(['1100 3@chat8 SEARCHING 30']);
    a.unsubscribe();
    indicators.dispose();
  });

  it('sends the status of the one going on again when the one that renewed in time ends, and what is up lapses first', async () => {
    const transport = recordingTransport();
    const indicators = createIndicators({ transport });
    const a = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', leaseSec: 60 }).subscribe();
    const b = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'searching' }).subscribe(); // renews at 27 s
    await advance(1_000);
    const c = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking' }).subscribe(); // lands last
    await advance(1_000);
    // at 2 s: "thinking" is up until 31 s, which the one going on asks for; the other one renews before that
    c.unsubscribe();
    await advance(1_000);
    // at 3 s that one ends too: the one left renews only at 57 s
    b.unsubscribe();
    await advance(1);
    expect(transport.calls.map((c) => `${ms(c.at)} ${call(c)}`).slice(3)).toEqual(['3000 3@chat8 THINKING 60']);
    a.unsubscribe();
    indicators.dispose();
  });

  it('renews the status they share once per lease, by the newest (whose status shows), not once per status', async () => {
    const transport = recordingTransport();
    const indicators = createIndicators({ transport });
    const subs = [indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking' }).subscribe()];
    await advance(1_000);
    subs.push(indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'searching' }).subscribe());
    await advance(1_000);
    subs.push(indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'composing' }).subscribe());
    await advance(118_000);
    // one work alone: 5 calls in 2 minutes; three at once: their starts, then the newest's renewals every 27 s
    expect(transport.calls.map((c) => `${ms(c.at)} ${call(c)}`)).toEqual([
      '0 3@chat8 THINKING 30',
      '1000 3@chat8 SEARCHING 30',
      '2000 3@chat8 COMPOSING 30',
      '29000 3@chat8 COMPOSING 30',
      '56000 3@chat8 COMPOSING 30',
      '83000 3@chat8 COMPOSING 30',
      '110000 3@chat8 COMPOSING 30',
    ]);
    for (const sub of subs) sub.unsubscribe();
    await advance(1);
    expect(transport.calls.map(call).slice(7)).toEqual(['3@chat8 COMPOSING 1']);
    indicators.dispose();
  });

  it('renews the status they share when the newest ends, before what it put up lapses, and then on its own', async () => {
    const transport = recordingTransport();
    const heard: IndicatorEvent[] = [];
    const indicators = createIndicators({ transport, onEvent: (e) => heard.push(e) });
    const a = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking' }).subscribe();
    await advance(1_000);
    const fails = new Subject<never>();
    indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', until: fails }).subscribe();
    await advance(39_000);
    fails.error(new Error('llm failed')); // at 40 s: its renewal at 28 s keeps "thinking" up until 58 s
    await advance(80_000);
    expect(transport.calls.map((c) => `${ms(c.at)} ${call(c)}`)).toEqual([
      '0 3@chat8 THINKING 30',
      '1000 3@chat8 THINKING 30',
      '28000 3@chat8 THINKING 30',
      '55000 3@chat8 THINKING 30',
      '82000 3@chat8 THINKING 30',
      '109000 3@chat8 THINKING 30',
    ]);
    expect(brief(heard).filter((e) => !e.includes('stopped'))).toEqual([
      '0 sent start',
      '1000 sent start',
      '28000 renewed renew',
      '55000 sent change',
      '82000 renewed renew',
      '109000 renewed renew',
    ]);
    a.unsubscribe();
    indicators.dispose();
  });

  it('renews the status they share in time when the newest ends after the others skipped, before its renewal', async () => {
    const transport = recordingTransport();
    const indicators = createIndicators({ transport });
    const a = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', leaseSec: 10 }).subscribe();
    await advance(1_000);
    const b = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', leaseSec: 10 }).subscribe();
    await advance(6_500);
    // at 7.5 s: "a" skipped its renewal at 7 s (next due at 14 s); b's start, up until 11 s, is not renewed at 8 s
    b.unsubscribe();
    await advance(10_000);
    // "a" renews 3 s before what b put up lapses (its own margin), then every 7 s
    expect(transport.calls.map((c) => `${ms(c.at)} ${call(c)}`)).toEqual([
      '0 3@chat8 THINKING 10',
      '1000 3@chat8 THINKING 10',
      '8000 3@chat8 THINKING 10',
      '15000 3@chat8 THINKING 10',
    ]);
    a.unsubscribe();
    indicators.dispose();
  });

  it('renews the status they share in time when the newest ends and the one that skipped is not the newest left', async () => {
    const transport = recordingTransport();
    const indicators = createIndicators({ transport });
    const a = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', leaseSec: 10 }).subscribe();
    const b = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking' }).subscribe(); // renews at 27 s
    await advance(1_000);
    const c = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', leaseSec: 10 }).subscribe();
    await advance(13_500);
    // at 14.5 s: c renewed at 8 s (up until 18 s), "a" skipped at 7 s and 14 s (next due at 21 s); b, the newest left,
    // renews only at 27 s
    c.unsubscribe();
    await advance(10_000);
    // "a" renews 3 s before what c put up lapses (at 15 s), not at 21 s, 3 s after it lapsed; then every 7 s
    expect(transport.calls.map((c) => `${ms(c.at)} ${call(c)}`)).toEqual([
      '0 3@chat8 THINKING 10',
      '0 3@chat8 THINKING 30',
      '1000 3@chat8 THINKING 10',
      '8000 3@chat8 THINKING 10',
      '15000 3@chat8 THINKING 10',
      '22000 3@chat8 THINKING 10',
    ]);
    a.unsubscribe();
    b.unsubscribe();
    indicators.dispose();
  });

  // e2e property run, seed 101 with 80 works: the newest ended before an older status's renewal came due, which then
  // went as its own last call would lapse, though the newest's renewal since kept the status up for longer.
  it('does not renew the status they share after the newest ends while what it renewed since is up (none skipped yet)', async () => {
    const transport = recordingTransport();
    const heard: IndicatorEvent[] = [];
    const indicators = createIndicators({ transport, onEvent: (e) => heard.push(e) });
    const phase = new BehaviorSubject<AgentStatus>('typing');
    const a = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: phase, leaseSec: 5 }).subscribe();
    const b = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'typing' }).subscribe(); // renews at 27 s
    await advance(2_000);
    const c = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'typing', leaseSec: 5 }).subscribe();
    await advance(300);
    phase.next('translating'); // at 2.3 s: a's renewal is due at 4.8 s, 2.5 s after this change
    await advance(2_400);
    // at 4.7 s: c renewed at 4.5 s ("typing" up until 9.5 s), before a's renewal came due (a skipped none)
    c.unsubscribe();
    await advance(5_000);
    // "a" renews 2.5 s before what c put up lapses (its own margin), not at 4.8 s, 0.3 s after c's renewal
    expect(transport.calls.map((x) => `${ms(x.at)} ${call(x)}`)).toEqual([
      '0 3@chat8 undefined 5',
      '0 3@chat8 undefined 30',
      '2000 3@chat8 undefined 5',
      '2300 3@chat8 TRANSLATING 5',
      '4500 3@chat8 undefined 5',
      '7000 3@chat8 TRANSLATING 5',
      '9500 3@chat8 TRANSLATING 5',
    ]);
    expect(brief(heard, 7_000).filter((e) => !e.startsWith('-'))).toEqual(['0 sent change', '2500 renewed renew']);
    a.unsubscribe();
    b.unsubscribe();
    indicators.dispose();
  });

  // e2e property run, seeds 23-25 with 40 works: an older status's phase change (a shorter lease) landed after the
  // newest ended, and the one taking over waited for the lapse of the newest's call.
  it.each([
    ['at the moment the newest ends (its call lands after the hand-over)', 0],
    ['after the newest ended', 500],
  ])(
    'keeps the status they share up when an older one changes it with a shorter lease %s',
    async (_when, changeAfter) => {
      const transport = recordingTransport();
      const indicators = createIndicators({ transport });
      const phase = new BehaviorSubject<AgentStatus>('checking');
      const a = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: phase, leaseSec: 10 }).subscribe();
      await advance(1_000);
      const b = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', leaseSec: 5 }).subscribe();
      await advance(1_000);
      const c = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking' }).subscribe();
      // b skips at 3.5 s and "a" at 7 s: c keeps THINKING up until 32 s
      await advance(6_000);
      c.unsubscribe(); // at 8 s: b, the newest left, takes over
      await advance(changeAfter);
      phase.next('thinking'); // "a" puts THINKING up with its 10 s lease, which lapses long before 32 s
      await advance(12_000 - changeAfter);
      // b renews every 2.5 s from 10.5 s ("a", kept up by b, skips), not at 29.5 s as c's call would have lapsed
      expect(transport.calls.map(callSince(0))).toEqual([
        '0 3@chat8 CHECKING 10',
        '1000 3@chat8 THINKING 5',
        '2000 3@chat8 THINKING 30',
        `${8_000 + changeAfter} 3@chat8 THINKING 10`,
        '10500 3@chat8 THINKING 5',
        '13000 3@chat8 THINKING 5',
        '15500 3@chat8 THINKING 5',
        '18000 3@chat8 THINKING 5',
      ]);
      a.unsubscribe();
      b.unsubscribe();
      indicators.dispose();
    },
  );

  // A slow portal: each renewal is timed from the status's own last call, not from when that call landed (renewals
  // put off by the latency would land as late after what is up lapsed, less the margin: down every period).
  it('keeps the status up though each call takes 4 s to land (10 s leases)', async () => {
    const t0 = Date.now();
    const { transport, landed } = landing(t0, () => 4_000); // a slow portal: 4 s for each call (10 s leases)
    const indicators = createIndicators({ transport });
    const a = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', leaseSec: 10 }).subscribe();
    await advance(1_000);
    const b = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', leaseSec: 10 }).subscribe();
    await advance(22_000);
    // b, the newest, renews every 7 s ("a", kept up by b, skips), not 4 s after each of its calls would
    expect(transport.calls.map(callSince(t0))).toEqual([
      '0 3@chat8 THINKING 10',
      '1000 3@chat8 THINKING 10',
      '8000 3@chat8 THINKING 10',
      '15000 3@chat8 THINKING 10',
      '22000 3@chat8 THINKING 10',
    ]);
    // each lands before what landed last lapses (10 s): the status never goes down while the work goes on
    const at = landed.map((x) => Number(x.split(' ')[0]));
    for (let i = 1; i < at.length; i++) expect(at[i]).toBeLessThan((at[i - 1] as number) + 10_000);
    expect(at).toHaveLength(4);
    a.unsubscribe();
    b.unsubscribe();
    indicators.dispose();
  });

  it('hands the status on when one errors through its status stream, and to a legacy status of the bot', async () => {
    const transport = recordingTransport();
    const indicators = createIndicators({ transport });
    const status = new Subject<'thinking'>();
    indicators.botStatus({ dialogId: 'chat8', botId: 3, status }).subscribe({ error: () => {} });
    const legacy = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', legacy: true }).subscribe();
    status.next('thinking'); // lands after the legacy status's start: the portal shows "thinking"
    await advance(1_000);
    status.error(new Error('status source failed'));
    await advance(1);
    // no clear: the legacy status (plain typing) goes on, and says so at once
    expect(transport.calls.map((c) => `${c.method} ${c.params.duration}`)).toEqual([
      'imbot.chat.sendTyping undefined',
      'imbot.v2.Chat.InputAction.notify 30',
      'imbot.chat.sendTyping undefined',
    ]);
    expect(times(transport.calls)).toEqual([0, 0, 1_000]);
    legacy.unsubscribe();
  });
});

describe('createIndicators: a clear still to go when another status of the bot in the chat ends with its reply', () => {
  // The reply's message hides every status of its bot in its chat: a clear of work that ended before, not sent yet
  // (retried after a refusal, or queued for the rate budget), would only show the status for its second over the answer.
  const rateLimited = () => new B24Error({ code: 'QUERY_LIMIT_EXCEEDED', status: 503, kind: 'rate' });
  // the rate back-off has jitter: fixed at its middle, a clear refused at 1 s goes again at 2, 4 and 6 s
  beforeEach(() => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /**
   * A portal that refuses the first `refusals` clears for the rate limit (also inside a `batch`, with `batching`) and
   * lands everything else at once; `landed` lists what landed, with its time.
   */
  const refusingClears = (t0: number, refusals: number, batching: boolean) => {
    const landed: string[] = [];
    const refuses = (c: { params: Record<string, unknown> }) => {
      if (c.params.duration === 1 && refusals-- > 0) return true;
      landed.push(`${ms(Date.now() - t0)} ${call(c)}`);
      return false;
    };
    const single = recordingTransport((c) => (refuses(c) ? c.reject(rateLimited()) : c.resolve({ result: true })));
    const transport: Transport = batching
      ? {
          call: single.call,
          batch: async (calls) =>
            calls.map(
              (c): BatchItemResult =>
                refuses(c) ? { ok: false, error: rateLimited() } : { ok: true, result: { result: true } },
            ),
        }
      : single;
    return { transport, landed };
  };

  it('drops the clear of work that ended before, retried after a refusal, once the other replies', async () => {
    for (const batching of [false, true]) {
      const t0 = Date.now();
      const { transport, landed } = refusingClears(t0, 3, batching);
      const heard: IndicatorEvent[] = [];
      const indicators = createIndicators({ transport, onEvent: (e) => heard.push(e) });
      const failing = new Subject<never>();
      indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', until: failing }).subscribe();
      await advance(1_000);
      failing.error(new Error('llm failed')); // at 1 s: its clear is refused, and retried
      await advance(100);
      const reply = new Subject<string>();
      indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'composing', until: reply }).subscribe();
      await advance(3_900);
      // at 5 s, the clear to go again at 6 s: the message hides the status of the bot in the chat, which it took down
      reply.next('the answer');
      await advance(60_000);
      // one request at a time, the start waits behind the clear (which goes first, not to take it down); in a batch it
      // goes along with the clear, which alone is refused
      expect(landed, `batching: ${batching}`).toEqual([
        '0 3@chat8 THINKING 30',
        ...(batching ? ['2000 3@chat8 COMPOSING 30'] : []),
      ]);
      const mine = brief(
        heard.filter((e) => e.indicatorId === 1),
        t0,
      );
      expect(mine, `batching: ${batching}`).toEqual([
        '0 sent start',
        '1000 stopped until',
        '5000 dropped clear merged',
      ]);
      expect(vi.getTimerCount()).toBe(0);
      indicators.dispose();
    }
    expect(unhandled).toEqual([]);
  });

  it('drops the clear of work that ended before, still queued for the rate budget, once the other replies (also within its show delay, or on the legacy method)', async () => {
    // The replies in the show delay and on the legacy method tell the scheduler nothing through a call: the first sent
    // none, and the legacy method sends no clear. Their messages hide the status of the bot in the chat all the same.
    for (const other of [{}, { delayMs: 500 }, { legacy: true }] as const) {
      const transport = recordingTransport();
      const heard: IndicatorEvent[] = [];
      const indicators = createIndicators({
        transport,
        limits: { perSecond: 2, burst: 2 },
        onEvent: (e) => heard.push(e),
      });
      const a = indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking' }).subscribe();
      await advance(100);
      a.unsubscribe(); // at 0.1 s: its clear waits for the budget (one request at once), as does a start below
      const reply = new Subject<string>();
      indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'composing', until: reply, ...other }).subscribe();
      await advance(100);
      reply.next('the answer'); // at 0.2 s
      await advance(60_000);
      const t0 = heard[0]?.at ?? 0;
      expect(transport.calls.map(call), JSON.stringify(other)).toEqual(['3@chat8 THINKING 30']);
      expect(
        brief(
          heard.filter((e) => e.indicatorId === 1),
          t0,
        ),
        JSON.stringify(other),
      ).toEqual(['0 sent start', '100 stopped unsubscribed', '200 dropped clear merged']);
      // the start queued behind that clear goes nowhere either: its reply came first
      if (Object.keys(other).length === 0)
        expect(brief(heard, t0)).toEqual([
          '0 sent start',
          '100 stopped unsubscribed',
          '200 dropped clear merged',
          '200 dropped start stopped',
          '200 stopped until',
        ]);
      expect(vi.getTimerCount()).toBe(0);
      indicators.dispose();
    }
    expect(unhandled).toEqual([]);
  });

  it('lets a clear on its way as the other replies land (a request cannot be called back), but not go again', async () => {
    for (const outcome of ['landed', 'refused', 'network', 'follows'] as const) {
      const t0 = Date.now();
      // the clear (or, for 'follows', the start of the work that ended) is answered when the test says so
      let held: RecordedCall | undefined;
      const transport = recordingTransport((c) => {
        const first = c.params.statusMessageCode === 'IMBOT_AGENT_ACTION_THINKING' && c.params.duration === 30;
        if (outcome === 'follows' ? first : c.params.duration === 1 && !held) held = c;
        else c.resolve({ result: true });
      });
      const heard: IndicatorEvent[] = [];
      const indicators = createIndicators({ transport, onEvent: (e) => heard.push(e) });
      const failing = new Subject<never>();
      indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', until: failing }).subscribe();
      await advance(1_000);
      failing.error(new Error('llm failed')); // at 1 s: its clear leaves, or follows its start still on its way
      await advance(100);
      const reply = new Subject<string>();
      indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'composing', until: reply }).subscribe();
      await advance(100);
      reply.next('the answer'); // at 1.2 s
      expect(held?.signal?.aborted).toBe(false);
      await advance(300);
      // at 1.5 s, after the reply's message
      if (outcome === 'refused')
        held?.reject(new B24Error({ code: 'QUERY_LIMIT_EXCEEDED', status: 503, kind: 'rate' }));
      else if (outcome === 'network') held?.reject(networkDown());
      else held?.resolve({ result: true });
      await advance(60_000);
      const after = transport.calls.filter((c) => c.at - t0 >= 1_200).map(callSince(t0));
      const mine = brief(
        heard.filter((e) => e.indicatorId === 1),
        t0,
      );
      const expected = {
        // it may land after the message: it shows for its second
        landed: { after: [], last: '1500 sent clear' },
        // refused, it put nothing up; failed on the way, it landed or not: either way the message hid what was up
        refused: { after: [], last: '1500 dropped clear merged' },
        network: { after: [], last: '1500 dropped clear merged' },
        // the start it follows landed after the message and put the status back up: the clear takes it down
        follows: { after: ['1500 3@chat8 THINKING 1'], last: '1500 sent clear' },
      }[outcome];
      expect({ after, last: mine.at(-1) }, outcome).toEqual(expected);
      expect(vi.getTimerCount()).toBe(0);
      indicators.dispose();
    }
    expect(unhandled).toEqual([]);
  });

  it('still retries the clear of work that ended after the other replied', async () => {
    const t0 = Date.now();
    const { transport, landed } = refusingClears(t0, 2, false);
    const heard: IndicatorEvent[] = [];
    const indicators = createIndicators({ transport, onEvent: (e) => heard.push(e) });
    const failing = new Subject<never>();
    indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'thinking', until: failing }).subscribe();
    await advance(100);
    const reply = new Subject<string>();
    indicators.botStatus({ dialogId: 'chat8', botId: 3, status: 'composing', until: reply }).subscribe();
    await advance(400);
    reply.next('the answer'); // at 0.5 s: "thinking" goes again a second later
    await advance(1_500);
    failing.error(new Error('llm failed')); // at 2 s: its clear, made after the reply, is refused twice
    await advance(60_000);
    expect(landed).toEqual([
      '0 3@chat8 THINKING 30',
      '100 3@chat8 COMPOSING 30',
      '1500 3@chat8 THINKING 30',
      '5000 3@chat8 THINKING 1',
    ]);
    expect(brief(heard.filter((e) => e.indicatorId === 1)).at(-1)).toBe('5000 sent clear');
    expect(vi.getTimerCount()).toBe(0);
    indicators.dispose();
  });
});

describe('createIndicators: botStatus after a call was given up (network down)', () => {
  // the scheduler's retries have jitter: fixed at its middle, they go 250, 500, 1000, 2000 ms apart
  beforeEach(() => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('sends the status again a second after its renewal was given up, not at the next renewal 27 s later', async () => {
    // Down from 27 s to 31 s: the renewal at 27 s is retried until 28.75 s, then given up (its next retry would come
    // after the status lapses at 30 s). The work goes on, so the status goes again at 29.75 s with the full lease,
    // is retried while the network is down and lands at 31.5 s; the renewals follow it.
    const { transport, stats } = outage((at) => at >= 27_000 && at < 31_000);
    const indicators = createIndicators({ transport });
    const events: IndicatorEvent[] = [];
    indicators.botStatus({ dialogId: 'chat1', botId: 4, status: 'thinking' }).subscribe((e) => events.push(e));
    await advance(60_000);
    expect(brief(events)).toEqual([
      '0 sent start',
      '28750 dropped renew retries',
      '31500 sent start',
      '56750 renewed renew',
    ]);
    expect(times(transport.calls).filter((t) => t > 28_750)).toEqual([29_750, 30_000, 30_500, 31_500, 56_750]);
    expect(transport.calls.at(-2)?.params).toMatchObject({
      statusMessageCode: 'IMBOT_AGENT_ACTION_THINKING',
      duration: 30,
    });
    expect(stats.inFlight).toBe(1);
    indicators.dispose();
    expect(unhandled).toEqual([]);
  });

  it('sends it again once per renewal period while the outage lasts, and clears it when the work fails', async () => {
    const { transport, stats } = outage((at) => at >= 27_000 && at < 80_000);
    const events: IndicatorEvent[] = [];
    const indicators = createIndicators({ transport, onEvent: (e) => events.push(e) });
    const until = new Subject<string>();
    indicators.botStatus({ dialogId: 'chat1', botId: 4, status: 'thinking', until }).subscribe();
    await advance(90_000);
    until.error(new Error('llm failed'));
    await advance(60_000);
    expect(brief(events)).toEqual([
      '0 sent start',
      '28750 dropped renew retries',
      // sent again at 29.75 s, retried until 33.5 s and given up: no more tries until the renewal 27 s after it
      '33500 dropped start retries',
      '58500 dropped renew retries',
      '63250 dropped start retries',
      '86500 renewed renew',
      '90000 stopped until',
      '90000 sent clear',
    ]);
    expect(times(transport.calls).filter((t) => t > 33_500 && t < 86_500)).toEqual([
      56_750, 57_000, 57_500, 58_500, 59_500, 59_750, 60_250, 61_250, 63_250,
    ]);
    expect(stats.inFlight).toBe(1);
    indicators.dispose();
  });

  it('does not send it again after a fatal or auth error', async () => {
    const refusal = (code: string) => {
      // the renewal at 27 s is refused
      const transport = recordingTransport((c) =>
        transport.calls.length === 2 ? c.reject(new B24Error({ code })) : c.resolve({ result: true }),
      );
      const indicators = createIndicators({ transport });
      const events: IndicatorEvent[] = [];
      const t0 = Date.now();
      indicators
        .botStatus({ dialogId: 'chat1', botId: 4, status: 'thinking' })
        .subscribe((e) => events.push({ ...e, at: e.at - t0 }));
      return { transport, indicators, events };
    };
    const expired = refusal('expired_token');
    await advance(60_000);
    expect(brief(expired.events)).toEqual(['0 sent start', '27000 failed renew', '54000 renewed renew']);
    expired.indicators.dispose();
    const access = refusal('ACCESS_DENIED');
    await advance(60_000);
    expect(brief(access.events)).toEqual(['0 sent start', '27000 failed renew', '27000 stopped failed']);
    expect(access.transport.calls).toHaveLength(2);
  });

  it('sends it again once the method is no longer held after an operating refusal, not at the next renewal', async () => {
    const blocked = (from: number, until: number) =>
      recordingTransport((c) =>
        c.at >= from && c.at < until ? c.reject(operatingLimit()) : c.resolve({ result: true }),
      );
    // The portal blocks the notify method from 27 s to 40 s. The renewal at 27 s is refused and the scheduler holds
    // the method until 37 s; the status goes again then, is refused (the block lasts), and waits for the next
    // renewal, 27 s after that try: one try per hold, not one a second.
    const transport = blocked(27_000, 40_000);
    const indicators = createIndicators({ transport });
    const events: IndicatorEvent[] = [];
    indicators.botStatus({ dialogId: 'chat1', botId: 4, status: 'thinking' }).subscribe((e) => events.push(e));
    await advance(70_000);
    expect(brief(events)).toEqual(['0 sent start', '27000 failed renew', '37000 failed start', '64000 renewed renew']);
    expect(times(transport.calls)).toEqual([0, 27_000, 37_000, 64_000]);
    indicators.dispose();
    // With a 600 s lease the renewal after the refused one is ~10 minutes away: the status is up again at 607 s,
    // not at 1,194 s.
    const t0 = Date.now();
    const long = createIndicators({ transport: blocked(t0 + 590_000, t0 + 600_000) });
    const longEvents: IndicatorEvent[] = [];
    long
      .botStatus({ dialogId: 'chat1', botId: 4, status: 'thinking', leaseSec: 600 })
      .subscribe((e) => longEvents.push({ ...e, at: e.at - t0 }));
    await advance(700_000);
    expect(brief(longEvents)).toEqual(['0 sent start', '597000 failed renew', '607000 sent start']);
    long.dispose();
    expect(unhandled).toEqual([]);
  });

  it.each([
    ['long before it ends', 30_000],
    ['just before it ends', 36_500],
  ])(
    'sends a change made in the operating hold %s once the hold is over, with the status due again then',
    async (_when, changeAt) => {
      // The renewal at 27 s is refused for the operating limit: the scheduler holds the method until 37 s, and the
      // status is to go again then. A change sent at once would fail in the hold (without a request) and go again only
      // 10 s after it, the status down until then while the work goes on: it waits for the call at 37 s, which sends it.
      const transport = recordingTransport((c) =>
        c.at >= 27_000 && c.at < 28_000 ? c.reject(operatingLimit()) : c.resolve({ result: true }),
      );
      const indicators = createIndicators({ transport });
      const events: IndicatorEvent[] = [];
      const phase = new BehaviorSubject<AgentStatus>('thinking');
      const going = indicators
        .botStatus({ dialogId: 'chat1', botId: 4, status: phase })
        .subscribe((e) => events.push(e));
      await advance(changeAt);
      phase.next('composing');
      await advance(40_000 - changeAt);
      expect(brief(events)).toEqual(['0 sent start', '27000 failed renew', '37000 sent start']);
      expect(transport.calls.map(callSince(0))).toEqual([
        '0 4@chat1 THINKING 30',
        '27000 4@chat1 THINKING 30',
        '37000 4@chat1 COMPOSING 30',
      ]);
      // renewed a period after that call
      await advance(30_000);
      expect(times(transport.calls.slice(3))).toEqual([64_000]);
      going.unsubscribe();
      await advance(1);
      expect(transport.calls.map(call).at(-1)).toBe('4@chat1 COMPOSING 1');
      expect(vi.getTimerCount()).toBe(0);
      indicators.dispose();
    },
  );

  it.each([
    ['a change long before it ends', [[40_000, 'composing']]],
    ['a change just before it ends', [[46_500, 'composing']]],
    [
      'two changes in it',
      [
        [40_000, 'searching'],
        [43_000, 'composing'],
      ],
    ],
  ] as const)(
    'sends %s, in an operating hold with no call due as it ends, once it is over: the newest, in one call',
    async (_what, changes) => {
      // The portal refuses notify for the operating limit from 27 s to 45 s. The renewal at 27 s is refused (held until
      // 37 s); the status goes again at 37 s and is refused too: held until 47 s, and its one try of the period is spent,
      // so nothing of it is due as this hold ends. A change then went at once, failed in the hold without a request and
      // put the status off until 10 s after it (50 s, or 56.5 s): down though the block lifted at 45 s. It waits for the
      // hold's end instead, and the newest status goes then, in one call.
      const transport = recordingTransport((c) =>
        c.at >= 27_000 && c.at < 45_000 ? c.reject(operatingLimit()) : c.resolve({ result: true }),
      );
      const indicators = createIndicators({ transport });
      const events: IndicatorEvent[] = [];
      const phase = new BehaviorSubject<AgentStatus>('thinking');
      const going = indicators
        .botStatus({ dialogId: 'chat1', botId: 4, status: phase })
        .subscribe((e) => events.push(e));
      let now = 0;
      for (const [at, status] of changes) {
        await advance(at - now);
        now = at;
        phase.next(status);
      }
      await advance(60_000 - now);
      expect(brief(events)).toEqual(['0 sent start', '27000 failed renew', '37000 failed start', '47000 sent change']);
      expect(transport.calls.map(callSince(0))).toEqual([
        '0 4@chat1 THINKING 30',
        '27000 4@chat1 THINKING 30',
        '37000 4@chat1 THINKING 30',
        '47000 4@chat1 COMPOSING 30',
      ]);
      // renewed a period after that call
      await advance(20_000);
      expect(times(transport.calls.slice(4))).toEqual([74_000]);
      going.unsubscribe();
      await advance(1);
      expect(transport.calls.map(call).at(-1)).toBe('4@chat1 COMPOSING 1');
      expect(vi.getTimerCount()).toBe(0);
      indicators.dispose();
    },
  );

  it('sends a change made in an operating hold with no call due as it ends once, refused again: no more calls than before', async () => {
    // The portal refuses notify from 27 s on. As above, nothing of the status is due as the hold from 37 s ends at
    // 47 s; the change at 40 s goes then, in place of the try again it spent failing in the hold, and is refused: the
    // status then waits for its renewal (74 s), once per renewal period, as before (50 s and 77 s), not at 57 s too.
    const transport = recordingTransport((c) =>
      c.at >= 27_000 ? c.reject(operatingLimit()) : c.resolve({ result: true }),
    );
    const indicators = createIndicators({ transport });
    const phase = new BehaviorSubject<AgentStatus>('thinking');
    indicators.botStatus({ dialogId: 'chat1', botId: 4, status: phase }).subscribe();
    await advance(40_000);
    phase.next('composing');
    await advance(50_000);
    expect(transport.calls.map(callSince(0))).toEqual([
      '0 4@chat1 THINKING 30',
      '27000 4@chat1 THINKING 30',
      '37000 4@chat1 THINKING 30',
      '47000 4@chat1 COMPOSING 30',
      '74000 4@chat1 COMPOSING 30',
      '84000 4@chat1 COMPOSING 30',
    ]);
    indicators.dispose();
  });

  it.each([
    ['long before it ends', 30_000],
    ['just before it ends', 36_500],
  ])(
    'sends a change that failed %s in an operating hold another status began once that hold is over, not 10 s after',
    async (_when, changeAt) => {
      // The portal refuses the renewal of the status in chat1 at 27 s for the operating limit: the scheduler holds the
      // method (for every chat) until 37 s. The status in chat2 changes in that hold: the change fails there without a
      // request, and goes again as the hold ends, the time the scheduler holds it until, not 10 s after the failure
      // (40 s, or 46.5 s), which would leave the status down though calls of the method go again from 37 s.
      const transport = recordingTransport((c) =>
        c.at >= 27_000 && c.at < 28_000 && c.params.dialogId === 'chat1'
          ? c.reject(operatingLimit())
          : c.resolve({ result: true }),
      );
      const indicators = createIndicators({ transport });
      indicators.botStatus({ dialogId: 'chat1', botId: 4, status: 'thinking' }).subscribe();
      await advance(20_000);
      const events: IndicatorEvent[] = [];
      const phase = new BehaviorSubject<AgentStatus>('thinking');
      const going = indicators
        .botStatus({ dialogId: 'chat2', botId: 4, status: phase })
        .subscribe((e) => events.push(e));
      await advance(changeAt - 20_000);
      phase.next('composing');
      await advance(50_000 - changeAt);
      expect(brief(events)).toEqual(['20000 sent start', `${changeAt} failed change`, '37000 sent start']);
      expect(transport.calls.filter((c) => c.params.dialogId === 'chat2').map(callSince(0))).toEqual([
        '20000 4@chat2 THINKING 30',
        '37000 4@chat2 COMPOSING 30',
      ]);
      going.unsubscribe();
      await advance(1);
      expect(transport.calls.map(call).at(-1)).toBe('4@chat2 COMPOSING 1');
      indicators.dispose();
      expect(vi.getTimerCount()).toBe(0);
    },
  );

  it('sends it again once per operating hold with a short lease, not also right after the next renewal', async () => {
    // Renewed every 9 s; the portal refuses notify for the operating limit from 9 s to 12 s. The renewal at 9 s is
    // refused and the method held until 19 s; the renewal at 18 s fails without a request; the status goes at 19 s.
    const t0 = Date.now();
    const transport = recordingTransport((c) =>
      c.at - t0 >= 9_000 && c.at - t0 < 12_000 ? c.reject(operatingLimit()) : c.resolve({ result: true }),
    );
    const indicators = createIndicators({ transport });
    const events: IndicatorEvent[] = [];
    indicators
      .botStatus({ dialogId: 'chat1', botId: 4, status: 'thinking', leaseSec: 12 })
      .subscribe((e) => events.push({ ...e, at: e.at - t0 }));
    await advance(40_000);
    expect(transport.calls.map((c) => ms(c.at - t0))).toEqual([0, 9_000, 19_000, 28_000, 37_000]);
    expect(brief(events)).toEqual([
      '0 sent start',
      '9000 failed renew',
      '18000 failed renew',
      '19000 sent start',
      '28000 renewed renew',
      '37000 renewed renew',
    ]);
    indicators.dispose();
  });

  it('sends it again a second after the reply of another status of the bot in the chat, in place of a renewal due before', async () => {
    // "thinking" is down from 27 s to 31 s: given up at 28.75 s, sent again at 29.75 s, landed at 31.5 s; its
    // renewal is due at 56.75 s. "searching" of the same bot in the chat replies at 56.5 s: its message hides the
    // status they share, also after that renewal, which would go before the message landed; the call a second after
    // the reply renews it instead, with its full lease, before it lapses at 59.75 s. "thinking", the newer of the
    // two, renews the status they share (`StatusPeers.kept`)
    const transport = thinkingRefused(27_000, 31_000, networkDown);
    const indicators = createIndicators({ transport });
    const events: IndicatorEvent[] = [];
    const reply = new Subject<string>();
    indicators.botStatus({ dialogId: 'chat1', botId: 4, status: 'searching', until: reply, leaseSec: 60 }).subscribe();
    indicators.botStatus({ dialogId: 'chat1', botId: 4, status: 'thinking' }).subscribe((e) => events.push(e));
    await advance(56_500);
    reply.next('the reply'); // at 56.5 s
    await advance(2_000);
    expect(brief(events)).toEqual([
      '0 sent start',
      '28750 dropped renew retries',
      '31500 sent start',
      '57500 sent start',
    ]);
    indicators.dispose();
  });

  it.each([
    ['lifts before the hold ends', 45_000, ['47000 sent start', '74000 renewed renew']],
    ['lasts', 100_000, ['47000 failed start', '74000 failed renew']],
  ])(
    'sends it again after the reply of another status of the bot in the chat in an operating hold it knows of once the hold is over, when the block %s',
    async (_when, blockEnds, last) => {
      // The portal refuses notify for the operating limit from 27 s. "thinking" is refused at 27 s (held until 37 s),
      // goes again at 37 s and is refused again (held until 47 s): its one try of the period spent, nothing of it is
      // due as this hold ends. "searching" of the same bot in the chat replies at 40 s. A second after the reply,
      // "thinking" went, failed in the hold without a request (a `failed` event for nothing), and went again at 47 s:
      // it waits for the hold's end instead. Refused again then, it waits for its renewal (74 s): no call at 57 s.
      const transport = recordingTransport((c) =>
        c.at >= 27_000 && c.at < blockEnds ? c.reject(operatingLimit()) : c.resolve({ result: true }),
      );
      const indicators = createIndicators({ transport });
      const events: IndicatorEvent[] = [];
      const reply = new Subject<string>();
      indicators
        .botStatus({ dialogId: 'chat1', botId: 4, status: 'searching', until: reply, leaseSec: 60 })
        .subscribe();
      indicators.botStatus({ dialogId: 'chat1', botId: 4, status: 'thinking' }).subscribe((e) => events.push(e));
      await advance(40_000);
      reply.next('the reply'); // at 40 s
      await advance(40_000);
      expect(brief(events)).toEqual(['0 sent start', '27000 failed renew', '37000 failed start', ...last]);
      expect(transport.calls.map(callSince(0))).toEqual([
        '0 4@chat1 SEARCHING 60',
        '0 4@chat1 THINKING 30',
        '27000 4@chat1 THINKING 30',
        '37000 4@chat1 THINKING 30',
        '47000 4@chat1 THINKING 30',
        '74000 4@chat1 THINKING 30',
      ]);
      indicators.dispose();
    },
  );

  it.each([
    ['long before it ends, with the status due again then', 30_000, ['37000', '64000', '74000']],
    ['just before it ends, with the status due again then', 36_500, ['37500', '64500', '74500']],
    ['just before it ends, with its one try of the period spent', 46_500, ['37000', '47500', '74500']],
  ])(
    'sends it no more often than with no reply when another status of the bot in the chat replies in an operating hold %s',
    async (_when, replyAt, after) => {
      // The portal refuses notify for the operating limit from 27 s on. Without a reply, "thinking" goes at 27 s (held
      // until 37 s), once again as the hold ends (refused: held until 47 s, its one try of the period spent), then at
      // its renewal (64 s) and once as that hold ends (74 s). "searching" of the same bot in the chat replies in a hold:
      // "thinking" goes no sooner than a second after the reply (its message hides the status), in place of the try due
      // then or, with none due, of the one the hold spent. Refused again, it waits for its renewal, as with no reply: a
      // fresh try for each reply in the block was one more refused request per reply.
      const transport = recordingTransport((c) =>
        c.at >= 27_000 ? c.reject(operatingLimit()) : c.resolve({ result: true }),
      );
      const indicators = createIndicators({ transport });
      const reply = new Subject<string>();
      indicators
        .botStatus({ dialogId: 'chat1', botId: 4, status: 'searching', until: reply, leaseSec: 60 })
        .subscribe();
      indicators.botStatus({ dialogId: 'chat1', botId: 4, status: 'thinking' }).subscribe();
      await advance(replyAt);
      reply.next('the reply');
      await advance(80_000 - replyAt);
      expect(transport.calls.map(callSince(0))).toEqual([
        '0 4@chat1 SEARCHING 60',
        '0 4@chat1 THINKING 30',
        '27000 4@chat1 THINKING 30',
        ...after.map((at) => `${at} 4@chat1 THINKING 30`),
      ]);
      indicators.dispose();
      expect(vi.getTimerCount()).toBe(0);
    },
  );

  it.each([
    ['long before it ends', 30_000, ['37000', '64000', '74000']],
    ['just before it ends', 36_500, ['37000', '64000', '74000']],
  ])(
    'sends it no more often than with no hand-over when another status of the bot in the chat ends without a reply in an operating hold %s',
    async (_when, endAt, after) => {
      // The portal refuses notify for the operating limit from 27 s on. Without a hand-over, "thinking" goes at 27 s
      // (held until 37 s), once again as the hold ends (refused: held until 47 s, its one try of the period spent), then
      // at its renewal (64 s) and once as that hold ends (74 s). "searching" of the same bot in the chat, whose
      // "composing" landed last, fails in the hold: the portal shows "composing", and "thinking" takes over with the try
      // due as the hold ends. Refused again, it waits for its renewal, as with no hand-over: a fresh try for each
      // hand-over in the block was one more refused request per hand-over (47 s, and its renewal from there).
      const transport = recordingTransport((c) =>
        c.at >= 27_000 ? c.reject(operatingLimit()) : c.resolve({ result: true }),
      );
      const indicators = createIndicators({ transport });
      const searching = new Subject<AgentStatus>();
      indicators.botStatus({ dialogId: 'chat1', botId: 4, status: searching }).subscribe({ error: () => {} });
      searching.next('searching');
      indicators.botStatus({ dialogId: 'chat1', botId: 4, status: 'thinking' }).subscribe();
      await advance(5_000);
      searching.next('composing'); // at 5 s: lands after "thinking", and is what the portal shows
      await advance(endAt - 5_000);
      searching.error(new Error('llm failed')); // no clear: "thinking" goes on, and hands over
      await advance(80_000 - endAt);
      expect(transport.calls.map(callSince(0))).toEqual([
        '0 4@chat1 SEARCHING 30',
        '0 4@chat1 THINKING 30',
        '5000 4@chat1 COMPOSING 30',
        '27000 4@chat1 THINKING 30',
        ...after.map((at) => `${at} 4@chat1 THINKING 30`),
      ]);
      indicators.dispose();
      expect(vi.getTimerCount()).toBe(0);
    },
  );

  it.each([
    ['lifts before the hold ends', 45_000, ['47000 sent start', '74000 renewed renew']],
    ['lasts', 100_000, ['47000 failed start', '74000 failed renew']],
  ])(
    'sends it once the hold is over after the hand-over of another status of the bot in the chat in an operating hold with its one try spent, when the block %s',
    async (_when, blockEnds, last) => {
      // The portal refuses notify for the operating limit from 27 s. "thinking" is refused at 27 s (held until 37 s),
      // goes again at 37 s and is refused again (held until 47 s): its one try of the period spent, nothing of it is
      // due as this hold ends. "searching" of the same bot in the chat, whose "composing" landed last, fails at 40 s:
      // the portal shows "composing", and "thinking" takes over as the hold ends (47 s). It went only at its renewal
      // (64 s): the hand-over waited for the hold's end as a change, which found nothing new to send, and "composing"
      // of the status that ended stayed up though the block had lifted. Refused again, it waits for its renewal (74 s),
      // as with no hand-over: no call at 57 s.
      const transport = recordingTransport((c) =>
        c.at >= 27_000 && c.at < blockEnds ? c.reject(operatingLimit()) : c.resolve({ result: true }),
      );
      const indicators = createIndicators({ transport });
      const events: IndicatorEvent[] = [];
      const searching = new Subject<AgentStatus>();
      indicators
        .botStatus({ dialogId: 'chat1', botId: 4, status: searching, leaseSec: 60 })
        .subscribe({ error: () => {} });
      searching.next('searching');
      indicators.botStatus({ dialogId: 'chat1', botId: 4, status: 'thinking' }).subscribe((e) => events.push(e));
      await advance(5_000);
      searching.next('composing'); // at 5 s: lands after "thinking", and is what the portal shows
      await advance(35_000);
      searching.error(new Error('llm failed')); // at 40 s: no clear, "thinking" goes on and hands over
      await advance(40_000);
      expect(brief(events)).toEqual(['0 sent start', '27000 failed renew', '37000 failed start', ...last]);
      expect(transport.calls.map(callSince(0))).toEqual([
        '0 4@chat1 SEARCHING 60',
        '0 4@chat1 THINKING 30',
        '5000 4@chat1 COMPOSING 60',
        '27000 4@chat1 THINKING 30',
        '37000 4@chat1 THINKING 30',
        '47000 4@chat1 THINKING 30',
        '74000 4@chat1 THINKING 30',
      ]);
      indicators.dispose();
      expect(vi.getTimerCount()).toBe(0);
    },
  );

  it('sends it again once more when the call after the hand-over of another status of the bot in the chat is given up too, outside an operating hold', async () => {
    // "thinking" is down (network) from 27 s to 34 s: its renewal at 27 s is given up at 28.75 s, and it is to go again
    // at 29.75 s. "searching" of the same bot in the chat, whose "composing" landed last, fails at 29.5 s: "thinking"
    // takes over with the call due at 29.75 s, which is given up too (33.5 s). The portal may show "composing": it goes
    // again a second later, as after the first loss, not at its renewal 27 s after that (no hold: the network may be
    // back, and it is).
    const transport = thinkingRefused(27_000, 34_000, networkDown);
    const indicators = createIndicators({ transport });
    const events: IndicatorEvent[] = [];
    const searching = new Subject<AgentStatus>();
    indicators.botStatus({ dialogId: 'chat1', botId: 4, status: searching }).subscribe({ error: () => {} });
    searching.next('searching');
    indicators.botStatus({ dialogId: 'chat1', botId: 4, status: 'thinking' }).subscribe((e) => events.push(e));
    await advance(5_000);
    searching.next('composing'); // at 5 s: lands after "thinking", and is what the portal shows
    await advance(24_500);
    searching.error(new Error('llm failed')); // at 29.5 s: no clear, "thinking" goes on and takes over
    await advance(10_000);
    expect(brief(events)).toEqual([
      '0 sent start',
      '28750 dropped renew retries',
      '33500 dropped start retries',
      '34500 sent start',
    ]);
    expect(times(transport.calls.filter((c) => c.at > 29_000))).toEqual([
      29_750, 30_000, 30_500, 31_500, 33_500, 34_500,
    ]);
    indicators.dispose();
  });

  it('sends it a second after the reply of another status of the bot in the chat in an operating hold though a renewal goes before', async () => {
    // "thinking" (from 1 s) renews every 9.8 s. The status in chat2 is refused for the operating limit at 10 s: the
    // scheduler holds the method until 20 s, and the renewal of "thinking" at 10.8 s fails in that hold without a
    // request; it is to go again as the hold ends. "searching" of the same bot in chat1 replies at 19.9 s: "thinking"
    // goes at 20.9 s, once the reply's message has hidden the status. Its renewal at 20.6 s goes before that (what is up
    // would lapse first) and may land before the message: the call at 20.9 s still goes, or the status is down for 9.8 s.
    const transport = recordingTransport((c) =>
      c.at >= 10_000 && c.at < 11_000 && c.params.dialogId === 'chat2'
        ? c.reject(operatingLimit())
        : c.resolve({ result: true }),
    );
    const indicators = createIndicators({ transport });
    const reply = new Subject<string>();
    indicators.botStatus({ dialogId: 'chat1', botId: 4, status: 'searching', until: reply, leaseSec: 60 }).subscribe();
    await advance(1_000);
    indicators.botStatus({ dialogId: 'chat1', botId: 4, status: 'thinking', leaseSec: 10, marginMs: 200 }).subscribe();
    await advance(9_000);
    indicators.botStatus({ dialogId: 'chat2', botId: 4, status: 'thinking' }).subscribe();
    await advance(9_900);
    reply.next('the reply'); // at 19.9 s
    await advance(3_000);
    expect(transport.calls.filter((c) => c.params.dialogId === 'chat1').map(callSince(0))).toEqual([
      '0 4@chat1 SEARCHING 60',
      '1000 4@chat1 THINKING 10',
      '20600 4@chat1 THINKING 10',
      '20900 4@chat1 THINKING 10',
    ]);
    indicators.dispose();
  });

  it('sends it again once more when the call after the reply of another status of the bot in the chat is given up too, outside an operating hold', async () => {
    // "thinking" is down (network) from 27 s to 35 s: its renewal at 27 s is given up at 28.75 s, and it is to go again
    // at 29.75 s. "searching" of the same bot in the chat replies at 29.5 s: "thinking" goes at 30.5 s instead, and is
    // given up too (34.25 s). The reply's message has hidden the status: it goes again a second later, as after the
    // first loss, not at its renewal 27 s after that (no hold: the network may be back, and it is).
    const transport = thinkingRefused(27_000, 35_000, networkDown);
    const indicators = createIndicators({ transport });
    const events: IndicatorEvent[] = [];
    const reply = new Subject<string>();
    indicators.botStatus({ dialogId: 'chat1', botId: 4, status: 'searching', until: reply, leaseSec: 60 }).subscribe();
    indicators.botStatus({ dialogId: 'chat1', botId: 4, status: 'thinking' }).subscribe((e) => events.push(e));
    await advance(29_500);
    reply.next('the reply'); // at 29.5 s
    await advance(10_000);
    expect(brief(events)).toEqual([
      '0 sent start',
      '28750 dropped renew retries',
      '34250 dropped start retries',
      '35250 sent start',
    ]);
    expect(times(transport.calls.filter((c) => c.at > 29_000))).toEqual([
      30_500, 30_750, 31_250, 32_250, 34_250, 35_250,
    ]);
    indicators.dispose();
  });

  it('does not send it again when the reply came between the loss and the second try', async () => {
    const { transport } = outage((at) => at >= 27_000);
    const indicators = createIndicators({ transport });
    const events: IndicatorEvent[] = [];
    const until = new Subject<string>();
    indicators.botStatus({ dialogId: 'chat1', botId: 4, status: 'thinking', until }).subscribe((e) => events.push(e));
    await advance(29_000);
    until.next('the reply');
    await advance(60_000);
    expect(brief(events)).toEqual(['0 sent start', '28750 dropped renew retries', '29000 stopped until']);
    expect(times(transport.calls).filter((t) => t > 28_750)).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    indicators.dispose();
  });
});

describe('createIndicators: dispose, events, stats', () => {
  it('stops every indicator, aborts calls in flight, leaves no timer and refuses new indicators', async () => {
    const transport = recordingTransport(() => {});
    const heard: IndicatorEvent[] = [];
    const indicators = createIndicators({ transport, onEvent: (e) => heard.push(e) });
    const all: IndicatorEvent[] = [];
    indicators.events.subscribe((e) => all.push(e));
    const keys = new Subject<void>();
    let completed = 0;
    indicators.userTyping({ dialogId: 1, keystrokes: keys }).subscribe({ complete: () => completed++ });
    indicators.botStatus({ dialogId: 2, botId: 3, status: 'thinking' }).subscribe({ complete: () => completed++ });
    keys.next();
    await advance(1);
    expect(transport.calls).toHaveLength(2);
    indicators.dispose();
    indicators.dispose();
    expect(completed).toBe(2);
    expect(transport.calls.every((c) => c.signal?.aborted)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    expect(transport.calls).toHaveLength(2); // dispose sends no clear
    expect(heard.map((e) => `${e.type} ${'reason' in e ? e.reason : ''}`)).toEqual([
      'dropped stopped',
      'stopped disposed',
      'dropped stopped',
      'stopped disposed',
    ]);
    expect(all).toEqual(heard);

    const late: IndicatorEvent[] = [];
    indicators.userTyping({ dialogId: 1, keystrokes: keys }).subscribe((e) => late.push(e));
    keys.next();
    expect(transport.calls).toHaveLength(2);
    expect(late.map((e) => e.type)).toEqual(['stopped']);
    expect(indicators.stats()).toMatchObject({
      httpRequests: 2,
      callsSent: 0,
      activeIndicators: 0,
      indicators: 0,
      dropped: { stopped: 2 },
      events: { sent: 0, renewed: 0, dropped: 2, failed: 0, stopped: 3 },
    });
    await advance(100_000);
    expect(unhandled).toEqual([]);
  });

  it('keeps working when onEvent throws', async () => {
    const reported: unknown[] = [];
    config.onUnhandledError = (e) => reported.push(e);
    try {
      const transport = recordingTransport();
      const indicators = createIndicators({
        transport,
        onEvent: () => {
          throw new Error('listener bug');
        },
      });
      const keys = new Subject<void>();
      const events: IndicatorEvent[] = [];
      indicators.userTyping({ dialogId: 1, keystrokes: keys }).subscribe((e) => events.push(e));
      keys.next();
      await advance(20_000);
      keys.next();
      await advance(24_010);
      expect(brief(events)).toEqual(['0 sent start', '22000 renewed renew', '44000 stopped idle']);
      expect(reported.length).toBeGreaterThan(0);
      indicators.dispose();
    } finally {
      config.onUnhandledError = null;
    }
  });
});

describe('renewals after a slow reply', () => {
  it('keeps renewing a held status once the portal answers fast again', async () => {
    let slow = 1; // the first request takes 8 s (a cold portal), every later one 20 ms
    const transport: Transport = {
      call: () =>
        new Promise((resolve) => {
          setTimeout(() => resolve({ result: true }), slow-- > 0 ? 8_000 : 20);
        }),
    };
    const events: IndicatorEvent[] = [];
    const indicators = createIndicators({ transport, onEvent: (e) => events.push(e) });
    indicators.botStatus({ dialogId: 'chat1', botId: 1, status: 'thinking' }).subscribe();
    await vi.advanceTimersByTimeAsync(180_000);
    const brief = events.map((e) => `${Math.round(e.at / 1000)}s ${e.type}${'reason' in e ? ` ${e.reason}` : ''}`);
    // lease 30 s, renewed every 27 s; the portal has answered in 20 ms since 8 s. A slow reply costs no renewal:
    // the renewal's deadline counts from when the call it renews left, and that call was slow to land as well.
    expect(brief.filter((b) => b.includes('dropped'))).toEqual([]);
    expect(brief.filter((b) => b.endsWith('renewed')).length).toBeGreaterThanOrEqual(4);
    indicators.dispose();
  });
});

describe('scheduler re-entrancy', () => {
  it('sends no call for an indicator stopped by a listener while its call was being batched', async () => {
    const sent: { at: number; calls: readonly TransportCall[] }[] = [];
    const transport: Transport = {
      call: async (method, params) => {
        sent.push({ at: Date.now(), calls: [{ method, params }] });
        return true;
      },
      batch: async (calls) => {
        sent.push({ at: Date.now(), calls });
        return calls.map(() => ({ ok: true as const, result: true }));
      },
    };
    let x: Subscription | undefined;
    const events: IndicatorEvent[] = [];
    const indicators = createIndicators({
      transport,
      onEvent: (e) => {
        events.push(e);
        // a listener that reacts to Y's dropped renewal by stopping X
        if (e.type === 'dropped' && e.dialogId === 'chat2') x?.unsubscribe();
      },
    });
    const yKeys = new Subject<void>();
    const xKeys = new Subject<void>();
    // margin 0: the renewal is due at its deadline, so the scheduler drops it ('deadline') when it pumps
    indicators
      .userTyping({ dialogId: 'chat2', keystrokes: yKeys, policy: { lifetimeMs: 1_000, marginMs: 0, idleMs: 1_000 } })
      .subscribe();
    x = indicators.userTyping({ dialogId: 'chat1', keystrokes: xKeys }).subscribe();
    yKeys.next();
    await vi.advanceTimersByTimeAsync(900);
    yKeys.next();
    await vi.advanceTimersByTimeAsync(99); // t = 999
    // X's start and Y's renewal are both ready in the same pump
    await vi.advanceTimersByTimeAsync(1);
    xKeys.next();
    await vi.advanceTimersByTimeAsync(50);
    const dialogsSent = sent.flatMap((r) => r.calls.map((c) => c.params.DIALOG_ID));
    expect(events.some((e) => e.type === 'dropped' && e.dialogId === 'chat2')).toBe(true);
    expect(x?.closed).toBe(true);
    expect(dialogsSent).not.toContain('chat1');
    indicators.dispose();
  });

  it('sends nothing once a listener of a dropped call disposes the indicators mid-pump', async () => {
    const dialogs: unknown[] = [];
    const transport: Transport = {
      call: async (_m, params) => {
        dialogs.push(params.DIALOG_ID);
        return true;
      },
      batch: async (calls) => {
        for (const c of calls) dialogs.push(c.params.DIALOG_ID);
        return calls.map(() => ({ ok: true as const, result: true }));
      },
    };
    const indicators = createIndicators({
      transport,
      onEvent: (e) => {
        if (e.type === 'dropped' && e.dialogId === 'chat2') indicators.dispose();
      },
    });
    const yKeys = new Subject<void>();
    const xKeys = new Subject<void>();
    indicators
      .userTyping({ dialogId: 'chat2', keystrokes: yKeys, policy: { lifetimeMs: 1_000, marginMs: 0, idleMs: 1_000 } })
      .subscribe();
    indicators.userTyping({ dialogId: 'chat1', keystrokes: xKeys }).subscribe();
    yKeys.next();
    await vi.advanceTimersByTimeAsync(900);
    yKeys.next();
    await vi.advanceTimersByTimeAsync(100); // t = 1000: Y's renewal is due at its deadline
    xKeys.next();
    await vi.advanceTimersByTimeAsync(50);
    expect(indicators.stats().events.dropped).toBeGreaterThan(0);
    expect(dialogs).toEqual(['chat2']); // Y's start only: nothing after dispose()
  });
});

describe('createIndicators: a long-running bot releases what its ended indicators held', () => {
  /**
   * A portal with batch, answering after 20 to 920 ms; it refuses every call for one chat in 50 (a fatal
   * `CHAT_NOT_FOUND`), in a batch for that command only.
   */
  function slowPortal(): Transport {
    let requests = 0;
    const answer = (call: TransportCall): BatchItemResult =>
      Number(String(call.params.dialogId ?? call.params.DIALOG_ID).slice(4)) % 50 === 7
        ? { ok: false, error: new B24Error({ code: 'CHAT_NOT_FOUND', status: 400 }) }
        : { ok: true, result: call.method.startsWith('imbot.v2.') ? { result: true } : true };
    const later = <T>(signal: AbortSignal | undefined, value: () => T) =>
      new Promise<T>((resolve, reject) => {
        const timer = setTimeout(
          () => {
            signal?.removeEventListener('abort', aborted);
            try {
              resolve(value());
            } catch (error) {
              reject(error);
            }
          },
          20 + ((++requests * 397) % 900),
        );
        const aborted = () => {
          clearTimeout(timer);
          reject(new B24Error({ code: 'ABORTED', kind: 'network' }));
        };
        signal?.addEventListener('abort', aborted, { once: true });
      });
    return {
      call: (method, params, options) =>
        later(options?.signal, () => {
          const item = answer({ method, params });
          if (!item.ok) throw item.error;
          return item.result;
        }),
      batch: (calls, options) => later(options?.signal, () => calls.map(answer)),
    };
  }

  /**
   * Starts the indicators of chat `i + 1` (in a function of its own: see `watchRelease`): a bot status, in every fifth
   * chat a second one of the same bot (a peer), in every tenth the user typing too. Each subscriber, status stream
   * and `until` is watched for garbage collection: whatever still holds an indicator (a channel, a timer) or a status (the
   * peer registry) holds one of them too.
   * Returns how they end: by the reply, an unsubscribe, an error of the status stream (then the peer's reply) or
   * `until` completing.
   */
  function start(indicators: ReturnType<typeof createIndicators>, i: number, release: ReleaseWatch) {
    const dialogId = `chat${i + 1}` as const;
    // what a status holds of its own (its target, in its spec): held by the indicator and the peer registry alike
    const status = release.watch(new BehaviorSubject<'thinking' | 'searching'>('thinking'));
    const until = release.watch(new Subject<void>());
    const keys = new Subject<void>();
    const subs: Subscription[] = [];
    const watch = () => release.watch({ next() {}, error() {} });
    subs.push(indicators.botStatus({ dialogId, botId: 1, status, until }).subscribe(watch()));
    if (i % 5 === 0)
      subs.push(indicators.botStatus({ dialogId, botId: 1, status: 'readingDocs', until }).subscribe(watch()));
    if (i % 10 === 0) {
      subs.push(indicators.userTyping({ dialogId, keystrokes: keys }).subscribe(watch()));
      keys.next();
    }
    return () => {
      if (i % 4 === 0) until.next();
      else if (i % 4 === 1) for (const sub of subs) sub.unsubscribe();
      else if (i % 4 === 2) {
        status.error(new Error('the work failed'));
        until.next(); // the peer's reply
      } else until.complete();
      keys.complete();
    };
  }

  it("holds nothing of 1,000 chats' statuses, typing and peers once they ended: no timer, channel or peer entry", async () => {
    const indicators = createIndicators({ transport: slowPortal() });
    const release = watchRelease();
    const going = await startAndEnd((i) => start(indicators, i, release), advance, {
      goOnMs: 45_000,
      count: 1_000,
      midway: () => indicators.stats().indicators,
    });
    expect(going).toBe(1_000 + 200 + 100 - 20); // those of the refused chats ended
    await advance(60_000);

    const stats = indicators.stats();
    expect(stats).toMatchObject({ indicators: 0, activeIndicators: 0 });
    expect(stats.batchedCalls).toBeGreaterThan(0);
    expect(stats.failed.input).toBe(20);
    expect(vi.getTimerCount()).toBe(0);
    vi.useRealTimers(); // stillHeld() takes turns of the event loop
    expect(await release.stillHeld()).toEqual([]);
    indicators.dispose();
  });

  it('holds nothing of them after dispose(), also of those whose calls were on their way', async () => {
    const indicators = createIndicators({ transport: slowPortal() });
    const release = watchRelease();
    await startAndEnd((i) => start(indicators, i, release), advance, { goOnMs: 20_000, count: 500, atOnce: true });
    await advance(3);
    indicators.dispose();
    await advance(1_000);

    expect(indicators.stats()).toMatchObject({ indicators: 0, activeIndicators: 0 });
    expect(vi.getTimerCount()).toBe(0);
    vi.useRealTimers();
    expect(await release.stillHeld()).toEqual([]);
  });
});
