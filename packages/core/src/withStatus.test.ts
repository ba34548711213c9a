import { concat, from, mergeMap, NEVER, Observable, of, Subject, throwError, timer } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { recordingTransport } from '../test/recordingTransport';
import { B24InputError } from './B24InputError';
import { createIndicators, type Indicators } from './createIndicators';
import { createTypingIndicators } from './createTypingIndicators';
import { withStatus } from './withStatus';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);
const target = { dialogId: 'chat8', botId: 3, botToken: 'tkn', status: 'thinking' } as const;

describe('withStatus', () => {
  it('shows the status while the reply runs and stops it before the reply reaches the subscriber', async () => {
    const transport = recordingTransport(() => {}); // never settles
    const indicators = createIndicators({ transport });
    const reply = new Subject<string>();
    const seen: string[] = [];
    let abortedWhenSeen: boolean | undefined;
    reply.pipe(withStatus(indicators, target)).subscribe((v) => {
      abortedWhenSeen = transport.calls[0]?.signal?.aborted;
      seen.push(v);
    });
    await advance(1);
    expect(transport.calls).toHaveLength(1);
    expect(transport.calls[0]?.params).toMatchObject({
      dialogId: 'chat8',
      statusMessageCode: 'IMBOT_AGENT_ACTION_THINKING',
    });
    await advance(5_000);
    reply.next('answer');
    expect(seen).toEqual(['answer']);
    expect(abortedWhenSeen).toBe(true);
    reply.next('more');
    reply.complete();
    await advance(100_000);
    expect(seen).toEqual(['answer', 'more']);
    expect(transport.calls).toHaveLength(1); // no clear: the reply itself hides the indicator
    expect(vi.getTimerCount()).toBe(0);
  });

  it('makes no call at all for a synchronous reply', async () => {
    const transport = recordingTransport();
    const indicators = createIndicators({ transport });
    const seen: number[] = [];
    of(1, 2, 3)
      .pipe(withStatus(indicators, target))
      .subscribe((v) => seen.push(v));
    await advance(60_000);
    expect(seen).toEqual([1, 2, 3]);
    expect(transport.calls).toHaveLength(0);
  });

  it('shows nothing for a reply that comes within delayMs', async () => {
    const transport = recordingTransport();
    const indicators = createIndicators({ transport });
    timer(300)
      .pipe(withStatus(indicators, { ...target, delayMs: 500 }))
      .subscribe();
    await advance(60_000);
    expect(transport.calls).toHaveLength(0);
  });

  it('passes an error on unchanged and clears the status', async () => {
    const transport = recordingTransport();
    const indicators = createIndicators({ transport });
    const failure = new Error('llm failed');
    let caught: unknown;
    concat(
      timer(2_000),
      throwError(() => failure),
    )
      .pipe(withStatus(indicators, target))
      .subscribe({ error: (e) => (caught = e) });
    await advance(1_999);
    expect(transport.calls).toHaveLength(1);
    // the first value already stopped the indicator: no clear after it
    await advance(10);
    expect(caught).toBe(failure);
    expect(transport.calls).toHaveLength(1);

    let caught2: unknown;
    timer(2_000)
      .pipe(mergeMap(() => throwError(() => failure)))
      .pipe(withStatus(indicators, { ...target, status: 'searching' }))
      .subscribe({ error: (e) => (caught2 = e) });
    await advance(2_010);
    expect(caught2).toBe(failure);
    expect(transport.calls.slice(1).map((c) => c.params.duration)).toEqual([30, 1]);
    expect(transport.calls[2]?.params.statusMessageCode).toBe('IMBOT_AGENT_ACTION_SEARCHING');
  });

  it('shows nothing for a reply that fails before its status went out (no clear either)', async () => {
    const transport = recordingTransport();
    const indicators = createIndicators({ transport });
    const failure = new Error('llm failed');
    let caught: unknown;
    from(Promise.reject(failure))
      .pipe(withStatus(indicators, target))
      .subscribe({ error: (e) => (caught = e) });
    const sub = NEVER.pipe(withStatus(indicators, target)).subscribe();
    sub.unsubscribe();
    await advance(60_000);
    expect(caught).toBe(failure);
    expect(transport.calls).toHaveLength(0);
  });

  it('clears when unsubscribed before the reply', async () => {
    const transport = recordingTransport();
    const indicators = createIndicators({ transport });
    let torn = false;
    const reply = new Observable<never>(() => () => (torn = true));
    const sub = reply.pipe(withStatus(indicators, target)).subscribe();
    await advance(3_000);
    sub.unsubscribe();
    expect(torn).toBe(true);
    await advance(10);
    expect(transport.calls.map((c) => c.params.duration)).toEqual([30, 1]);
  });

  it('stops and clears the status when unsubscribed though the teardown of the reply throws', async () => {
    const transport = recordingTransport();
    const indicators = createIndicators({ transport });
    const reply = new Observable<never>(() => () => {
      throw new Error('teardown failed');
    });
    const sub = reply.pipe(withStatus(indicators, target)).subscribe();
    await advance(3_000);
    // Thrown to the one who unsubscribes, as without withStatus.
    expect(() => sub.unsubscribe()).toThrow(/teardown failed/);
    await advance(120_000);
    expect(transport.calls.map((c) => c.params.duration)).toEqual([30, 1]);
    expect(indicators.stats().indicators).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps the status up for a second reply in the same chat when the first fails, and clears after the last', async () => {
    const transport = recordingTransport();
    const indicators = createIndicators({ transport });
    const failure = new Error('llm failed');
    const errors: unknown[] = [];
    const first = new Subject<string>();
    const second = new Subject<string>();
    first.pipe(withStatus(indicators, target)).subscribe({ error: (e) => errors.push(e) });
    await advance(1_000);
    second.pipe(withStatus(indicators, target)).subscribe({ error: (e) => errors.push(e) });
    await advance(2_000);
    first.error(failure); // at 3 s, while the second reply is still being produced
    await advance(7_000);
    expect(transport.calls.map((c) => c.params.duration)).toEqual([30, 30]);
    second.error(failure); // at 10 s: the last one clears
    await advance(10);
    expect(errors).toEqual([failure, failure]);
    expect(transport.calls.map((c) => c.params.duration)).toEqual([30, 30, 1]);
    expect(transport.calls[2]?.params).toMatchObject({ dialogId: 'chat8', botId: 3 });
  });

  it('tells an Indicators of your own how the reply ended as a Subject would: every until subscriber, a late one too', () => {
    const heard: string[] = [];
    const untils: Observable<unknown>[] = [];
    const listen = (name: string, until: Observable<unknown>) =>
      until.subscribe({
        next: () => heard.push(`${name} next`),
        error: (e: Error) => heard.push(`${name} error ${e.message}`),
        complete: () => heard.push(`${name} complete`),
      });
    const indicators: Indicators = {
      ...createIndicators({ transport: recordingTransport() }),
      botStatus: ({ until = NEVER }) =>
        new Observable<never>(() => {
          untils.push(until);
          listen('a', until);
          const b = listen('b', until);
          listen('c', until).unsubscribe(); // left: hears nothing
          return () => {
            heard.push('status unsubscribed');
            b.unsubscribe();
          };
        }),
    };
    const replies = [new Subject<number>(), new Subject<number>(), new Subject<number>()];
    for (const reply of replies) {
      reply.pipe(withStatus(indicators, target)).subscribe({
        next: (v) => heard.push(`reply ${v}`),
        error: (e: Error) => heard.push(`reply error ${e.message}`),
        complete: () => heard.push('reply complete'),
      });
    }
    const late = (i: number) => {
      heard.push('late:');
      listen('late', untils[i] as Observable<unknown>);
    };
    replies[0]?.next(1);
    late(0);
    replies[1]?.error(new Error('boom'));
    late(1);
    replies[2]?.complete();
    late(2);
    expect(heard).toEqual([
      'a next',
      'b next',
      'reply 1',
      'late:',
      'a error boom',
      'b error boom',
      'reply error boom',
      'status unsubscribed',
      'late:',
      'late error boom',
      'a complete',
      'b complete',
      'reply complete',
      'status unsubscribed',
      'late:',
      'late complete',
    ]);
  });

  it('validates the target when the pipeline is built', () => {
    const transport = recordingTransport();
    const indicators = createIndicators({ transport });
    expect(() => withStatus(indicators, { ...target, dialogId: 'general' as never })).toThrow(B24InputError);
    expect(() => withStatus(indicators, { ...target, leaseSec: 1000 })).toThrow(/leaseSec/);
    expect(transport.calls).toHaveLength(0);
  });

  it('refuses, when the pipeline is built, indicators that cannot show a bot status (not a silent no-op)', async () => {
    const transport = recordingTransport();
    for (const indicators of [createTypingIndicators({ transport }), undefined, {}]) {
      expect(() => withStatus(indicators as never, target)).toThrow(B24InputError);
      expect(() => withStatus(indicators as never, target)).toThrow(/indicators/);
    }
    expect(transport.calls).toHaveLength(0);
  });

  it('passes the reply through after dispose, with no call', async () => {
    const transport = recordingTransport();
    const indicators = createIndicators({ transport });
    indicators.dispose();
    const seen: number[] = [];
    let done = false;
    timer(1_000)
      .pipe(withStatus(indicators, target))
      .subscribe({ next: (v) => seen.push(v), complete: () => (done = true) });
    await advance(1_000);
    expect(seen).toEqual([0]);
    expect(done).toBe(true);
    expect(transport.calls).toHaveLength(0);
  });
});
