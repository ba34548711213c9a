import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { watchUnhandled } from '@b24-typing/test-utils';
import { B24Error } from './B24Error';
import { createDirectDispatcher } from './createDirectDispatcher';
import { VirtualClock } from './createScheduler.test.fixture';
import type { CallOutcome, IndicatorCall } from './Dispatcher';
import type { Transport } from './Transport';

interface Pending {
  readonly method: string;
  readonly params: Record<string, unknown>;
  readonly signal: AbortSignal | undefined;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** A transport whose calls settle when the test says so. */
function controlledTransport() {
  const calls: Pending[] = [];
  const transport: Transport = {
    call(method, params, options) {
      return new Promise((resolve, reject) => {
        calls.push({ method, params, signal: options?.signal, resolve, reject });
      });
    },
  };
  return { transport, calls };
}

function call(n: number, extra: Partial<IndicatorCall> = {}): IndicatorCall {
  return {
    method: 'im.dialog.writing',
    params: { DIALOG_ID: `chat${n}` },
    reason: 'start',
    deadline: Infinity,
    ...extra,
  };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

/** Call `n` as its retry goes (and is dropped): due at `notBefore`, with the error its last attempt met. */
const retry = (n: number, notBefore: number, error: B24Error) => ({ ...call(n, { notBefore }), error });

/**
 * Virtual time whose `flush()` runs retries and waits but stops short of the 10 s request timeout: a settle the
 * test makes is a microtask, which a flush would otherwise jump past. The timeout has tests of its own.
 */
const virtualClock = () => new VirtualTimeScheduler(VirtualAction, 9_999);

/** One channel of a direct dispatcher on virtual time, over a transport the test settles, hearing every outcome. */
function oneChannel() {
  const clock = virtualClock();
  const { transport, calls } = controlledTransport();
  const outcomes: CallOutcome[] = [];
  const dispatcher = createDirectDispatcher({ transport, clock });
  const channel = dispatcher.open((o) => outcomes.push(o));
  return { clock, calls, outcomes, dispatcher, channel };
}

const unhandled = watchUnhandled({ fakeTimers: false }).rejections;

describe('createDirectDispatcher', () => {
  it('calls the transport at once with the params and an abort signal, and reports the result', async () => {
    const clock = virtualClock();
    const { transport, calls } = controlledTransport();
    const outcomes: CallOutcome[] = [];
    const dispatcher = createDirectDispatcher({ transport, clock });
    dispatcher.open((o) => outcomes.push(o)).submit(call(1));
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } });
    expect(calls[0]?.signal).toBeInstanceOf(AbortSignal);
    clock.frame = 40;
    calls[0]?.resolve(true);
    await tick();
    expect(outcomes).toEqual([{ type: 'sent', call: call(1), result: true, at: 40 }]);
    expect(dispatcher.stats()).toMatchObject({ callsSent: 1, httpRequests: 1, batchedCalls: 0, activeIndicators: 1 });
  });

  it('keeps one call in flight per indicator; the newest waiting call replaces the older one', async () => {
    const { calls, outcomes, dispatcher, channel } = oneChannel();
    channel.submit(call(1));
    channel.submit(call(2));
    channel.submit(call(3));
    expect(calls).toHaveLength(1);
    expect(outcomes).toEqual([{ type: 'dropped', call: call(2), reason: 'merged', at: 0 }]);
    calls[0]?.resolve(true);
    await tick();
    expect(calls).toHaveLength(2);
    expect(calls[1]?.params).toEqual({ DIALOG_ID: 'chat3' });
    // another indicator is not held up by the first one's call in flight
    dispatcher.open(() => {}).submit(call(9));
    expect(calls).toHaveLength(3);
  });

  it('on close drops the waiting call and aborts the one in flight, ignoring how it settles later', async () => {
    const { calls, outcomes, dispatcher, channel } = oneChannel();
    channel.submit(call(1));
    channel.submit(call(2));
    channel.close();
    expect(calls[0]?.signal?.aborted).toBe(true);
    expect(outcomes.map((o) => [o.type, o.type === 'dropped' && o.reason, o.call.params.DIALOG_ID])).toEqual([
      ['dropped', 'stopped', 'chat2'],
      ['dropped', 'stopped', 'chat1'],
    ]);
    calls[0]?.reject(new B24Error({ code: 'ABORTED' }));
    channel.submit(call(3));
    channel.close();
    await tick();
    expect(calls).toHaveLength(1);
    expect(outcomes).toHaveLength(3);
    expect(outcomes[2]).toMatchObject({ type: 'dropped', reason: 'stopped' });
    expect(dispatcher.stats()).toMatchObject({ activeIndicators: 0, dropped: { stopped: 3 } });
    expect(unhandled).toEqual([]);
  });

  it('turns a synchronous throw into an outcome (retried as a network error), never an exception', async () => {
    const secret = new Error('GET https://x/rest/1/topsecret/im.dialog.writing failed');
    let attempts = 0;
    const transport: Transport = {
      call() {
        attempts++;
        throw secret;
      },
    };
    const clock = virtualClock();
    const outcomes: CallOutcome[] = [];
    const dispatcher = createDirectDispatcher({ transport, clock });
    expect(() => dispatcher.open((o) => outcomes.push(o)).submit(call(1))).not.toThrow();
    for (let i = 0; i < 3; i++) {
      await tick();
      clock.flush();
    }
    expect(attempts).toBe(3);
    expect(outcomes).toEqual([expect.objectContaining({ type: 'dropped', reason: 'retries' })]);
    expect(JSON.stringify(dispatcher.stats())).not.toContain('topsecret');
    expect(dispatcher.stats().failed).toEqual({ network: 3 });
    expect(unhandled).toEqual([]);
  });

  it.each([
    ['ACCESS_DENIED', true],
    ['CHAT_NOT_FOUND', true],
    ['expired_token', false],
  ])('reports a %s rejection as failed (fatal: %s), does not retry it, and moves on', async (code, fatal) => {
    const { calls, outcomes, channel } = oneChannel();
    channel.submit(call(1));
    channel.submit(call(2));
    calls[0]?.reject(new B24Error({ code }));
    await tick();
    expect(outcomes[0]).toMatchObject({ type: 'failed', fatal, error: { code } });
    expect(calls.map((c) => c.params.DIALOG_ID)).toEqual(['chat1', 'chat2']);
    expect(unhandled).toEqual([]);
  });

  it.each(['QUERY_LIMIT_EXCEEDED', 'INTERNAL_SERVER_ERROR', 'NETWORK_ERROR'])(
    'retries a %s rejection 500 ms and then 1 s later, then drops the call',
    async (code) => {
      const clock = virtualClock();
      const { transport, calls } = controlledTransport();
      const outcomes: CallOutcome[] = [];
      const dispatcher = createDirectDispatcher({ transport, clock });
      dispatcher.open((o) => outcomes.push(o)).submit(call(1));
      const sentAt: number[] = [];
      for (let i = 0; i < 3; i++) {
        sentAt.push(clock.frame);
        expect(calls).toHaveLength(i + 1);
        calls[i]?.reject(new B24Error({ code }));
        await tick();
        clock.flush();
      }
      expect(sentAt).toEqual([0, 500, 1500]);
      expect(calls).toHaveLength(3);
      expect(outcomes).toEqual([expect.objectContaining({ type: 'dropped', reason: 'retries' })]);
      expect(Object.values(dispatcher.stats().failed)).toEqual([3]);
      expect(dispatcher.stats().dropped.retries).toBe(1);
    },
  );

  it('does not retry an OPERATION_TIME_LIMIT: the method stays blocked for this app for up to 10 minutes', async () => {
    const clock = new VirtualClock();
    const { transport, calls } = controlledTransport();
    const dispatcher = createDirectDispatcher({ transport, clock });
    const outcomes: CallOutcome[] = [];
    const channel = dispatcher.open((o) => outcomes.push(o));
    const blocked = new B24Error({ code: 'OPERATION_TIME_LIMIT', status: 429 });
    channel.submit(call(1));
    calls[0]?.reject(blocked);
    await clock.advanceTo(30_000);
    expect(calls).toHaveLength(1);
    expect(outcomes).toEqual([expect.objectContaining({ type: 'failed', fatal: false, error: blocked, at: 0 })]);
    expect(dispatcher.stats()).toMatchObject({ httpRequests: 1, failed: { operating: 1 }, dropped: { retries: 0 } });
    // not fatal: the indicator's next call still goes
    channel.submit(call(2));
    expect(calls).toHaveLength(2);
  });

  it('a retry that succeeds reports the call sent; one that would miss the deadline is dropped instead', async () => {
    const { clock, calls, outcomes, channel } = oneChannel();
    channel.submit(call(1));
    calls[0]?.reject(new B24Error({ code: 'NETWORK_ERROR' }));
    await tick();
    clock.flush();
    calls[1]?.resolve(true);
    await tick();
    expect(outcomes).toEqual([expect.objectContaining({ type: 'sent', at: 500 })]);
    channel.submit(call(2, { reason: 'renew', deadline: 900 }));
    calls[2]?.reject(new B24Error({ code: 'NETWORK_ERROR' }));
    await tick();
    expect(outcomes[1]).toMatchObject({ type: 'dropped', reason: 'retries', at: 500 });
    clock.flush();
    expect(calls).toHaveLength(3);
    // one due at the deadline goes: useless only after it (marginMs 0), as a call ready then
    channel.submit(call(3, { reason: 'renew', deadline: 1_000 }));
    calls[3]?.reject(new B24Error({ code: 'NETWORK_ERROR' }));
    await tick();
    clock.flush();
    expect(calls.map((c) => c.params.DIALOG_ID)).toEqual(['chat1', 'chat1', 'chat2', 'chat3', 'chat3']);
  });

  it('a newer call supersedes a retry, waiting or not yet scheduled, and goes out at once', async () => {
    const { clock, calls, outcomes, channel } = oneChannel();
    channel.submit(call(1));
    calls[0]?.reject(new B24Error({ code: 'NETWORK_ERROR' }));
    await tick();
    // the retry waits for 500 ms; a newer call replaces it
    channel.submit(call(2));
    expect(calls.map((c) => c.params.DIALOG_ID)).toEqual(['chat1', 'chat2']);
    expect(outcomes).toEqual([expect.objectContaining({ type: 'dropped', reason: 'merged' })]);
    // a newer call waiting behind one that fails: the failed one is not retried
    channel.submit(call(3));
    calls[1]?.reject(new B24Error({ code: 'NETWORK_ERROR' }));
    await tick();
    clock.flush();
    expect(calls.map((c) => c.params.DIALOG_ID)).toEqual(['chat1', 'chat2', 'chat3']);
    expect(outcomes[1]).toMatchObject({ type: 'dropped', reason: 'merged', call: { params: { DIALOG_ID: 'chat2' } } });
  });

  it('says which error a call was given up after: the last one it met, so a rate refusal is told from an outage', async () => {
    const { clock, calls, outcomes, dispatcher, channel } = oneChannel();
    channel.submit(call(1));
    const errors = [
      new B24Error({ code: 'NETWORK_ERROR' }),
      new B24Error({ code: 'INTERNAL_SERVER_ERROR', status: 500 }),
      new B24Error({ code: 'QUERY_LIMIT_EXCEEDED', status: 503 }),
    ];
    for (const [i, error] of errors.entries()) {
      expect(calls).toHaveLength(i + 1);
      calls[i]?.reject(error);
      await tick();
      clock.flush();
    }
    expect(outcomes).toEqual([
      { type: 'dropped', call: retry(1, 1_500, errors[1]!), reason: 'retries', at: 1_500, error: errors[2] },
    ]);
    expect(outcomes[0]?.type === 'dropped' && outcomes[0].error?.kind).toBe('rate');
    // the call that met no error carries none, also on the same channel after one that did
    const other = dispatcher.open((o) => outcomes.push(o));
    other.submit(call(2));
    other.submit(call(3)); // merged into by the next one
    other.submit(call(4));
    other.close();
    expect(outcomes.slice(1).map((o) => [o.type === 'dropped' && o.reason, o.type === 'dropped' && o.error])).toEqual([
      ['merged', undefined],
      ['stopped', undefined],
      ['stopped', undefined],
    ]);
  });

  it('a call replaced, stopped or disposed after a failed attempt carries the error it met; the newer call none', async () => {
    const { clock, calls, outcomes, channel, dispatcher } = oneChannel();
    const blip = new B24Error({ code: 'NETWORK_ERROR' });
    const busy = new B24Error({ code: 'QUERY_LIMIT_EXCEEDED', status: 503 });
    channel.submit(call(1));
    calls[0]?.reject(blip);
    await tick();
    // waiting for its retry: replaced by a newer call
    channel.submit(call(2));
    expect(outcomes).toEqual([{ type: 'dropped', call: retry(1, 500, blip), reason: 'merged', at: 0, error: blip }]);
    // one waiting behind a call that fails: the failed one is merged into it, with its error
    channel.submit(call(3));
    calls[1]?.reject(busy);
    await tick();
    expect(outcomes[1]).toEqual({ type: 'dropped', call: call(2), reason: 'merged', at: 0, error: busy });
    // chat3 went, failed: its retry is in flight when the channel closes; chat4, waiting behind it, never failed
    calls[2]?.reject(blip);
    await tick();
    clock.flush();
    expect(calls).toHaveLength(4);
    channel.submit(call(4));
    channel.close();
    expect(outcomes.slice(2)).toEqual([
      { type: 'dropped', call: call(4), reason: 'stopped', at: 500 },
      { type: 'dropped', call: retry(3, 500, blip), reason: 'stopped', at: 500, error: blip },
    ]);
    expect(outcomes[2]?.type === 'dropped' && outcomes[2].error).toBeUndefined();
    // disposed while waiting for its retry
    const later = oneChannel();
    later.channel.submit(call(5));
    later.calls[0]?.reject(busy);
    await tick();
    later.dispatcher.dispose();
    expect(later.outcomes).toEqual([
      { type: 'dropped', call: retry(5, 500, busy), reason: 'disposed', at: 0, error: busy },
    ]);
    dispatcher.dispose();
  });

  it('merges a renewal due while a call is in flight, as createScheduler does: that call renews the indicator', async () => {
    const { calls, outcomes, channel } = oneChannel();
    channel.submit(call(1));
    channel.submit(call(1, { reason: 'renew', deadline: 100 }));
    expect(outcomes).toMatchObject([{ type: 'dropped', reason: 'merged', call: { reason: 'renew' } }]);
    calls[0]?.resolve(true);
    await tick();
    expect(calls).toHaveLength(1);
    expect(outcomes.map((o) => o.type)).toEqual(['dropped', 'sent']);
    // a renewal submitted ahead (notBefore) still waits behind the call for its time
    channel.submit(call(1, { reason: 'change' }));
    channel.submit(call(1, { reason: 'renew', deadline: 1_000, notBefore: 500 }));
    expect(outcomes).toHaveLength(2);
    expect(calls).toHaveLength(2);
  });

  it('drops a waiting call whose deadline passed while another was in flight', async () => {
    const { clock, calls, outcomes, channel } = oneChannel();
    channel.submit(call(1));
    channel.submit(call(2, { reason: 'change', deadline: 100 }));
    clock.frame = 101;
    calls[0]?.resolve(true);
    await tick();
    expect(calls).toHaveLength(1);
    expect(outcomes.map((o) => o.type === 'dropped' && o.reason)).toEqual([false, 'deadline']);
  });

  it('holds a call until its notBefore time', () => {
    const clock = virtualClock();
    const { transport, calls } = controlledTransport();
    const dispatcher = createDirectDispatcher({ transport, clock });
    const channel = dispatcher.open(() => {});
    channel.submit(call(1, { notBefore: 50 }));
    expect(calls).toHaveLength(0);
    clock.flush();
    expect(clock.frame).toBe(50);
    expect(calls).toHaveLength(1);
    channel.close();
    const other = dispatcher.open(() => {});
    other.submit(call(2, { notBefore: 500 }));
    other.close();
    expect(clock.actions).toHaveLength(0);
  });

  it('on dispose aborts everything, releases every channel and refuses new calls', async () => {
    const { transport, calls } = controlledTransport();
    const outcomes: CallOutcome[] = [];
    const dispatcher = createDirectDispatcher({ transport, clock: virtualClock() });
    dispatcher.open((o) => outcomes.push(o)).submit(call(1));
    dispatcher.open((o) => outcomes.push(o)).submit(call(2));
    dispatcher.dispose();
    expect(calls.every((c) => c.signal?.aborted)).toBe(true);
    expect(outcomes.map((o) => o.type === 'dropped' && o.reason)).toEqual(['disposed', 'disposed']);
    dispatcher.open((o) => outcomes.push(o)).submit(call(3));
    expect(calls).toHaveLength(2);
    expect(outcomes[2]).toMatchObject({ type: 'dropped', reason: 'disposed' });
    expect(dispatcher.stats()).toMatchObject({ activeIndicators: 0, dropped: { disposed: 3 } });
    for (const c of calls) c.reject(new B24Error({ code: 'ABORTED' }));
    await tick();
    expect(outcomes).toHaveLength(3);
    expect(unhandled).toEqual([]);
  });

  it('gives up on a call the transport never settles after 10 s: aborted as a timeout and retried like one', async () => {
    const clock = new VirtualTimeScheduler();
    const signals: { at: number; signal: AbortSignal | undefined }[] = [];
    const transport: Transport = {
      call(_method, _params, options) {
        signals.push({ at: clock.frame, signal: options?.signal });
        return new Promise(() => {});
      },
    };
    const outcomes: CallOutcome[] = [];
    const dispatcher = createDirectDispatcher({ transport, clock });
    dispatcher.open((o) => outcomes.push(o)).submit(call(1));
    clock.flush();
    // 10 s, then the retries 500 ms and 1 s after each timeout
    expect(signals.map((s) => s.at)).toEqual([0, 10_500, 21_500]);
    expect(signals.every((s) => s.signal?.aborted)).toBe(true);
    expect(signals[0]?.signal?.reason).toMatchObject({
      name: 'B24Error',
      code: 'TIMEOUT',
      kind: 'timeout',
      message: 'no answer within 10000 ms', // as the scheduler's and the transports' own timeouts
    });
    expect(outcomes).toEqual([expect.objectContaining({ type: 'dropped', reason: 'retries', at: 31_500 })]);
    expect(dispatcher.stats().failed).toEqual({ timeout: 3 });
    expect(clock.actions).toHaveLength(0);
  });

  it('ignores how a timed-out call settles later, and lets the next call go', async () => {
    const clock = new VirtualTimeScheduler();
    const { transport, calls } = controlledTransport();
    const outcomes: CallOutcome[] = [];
    const channel = createDirectDispatcher({ transport, clock }).open((o) => outcomes.push(o));
    channel.submit(call(1));
    clock.flush();
    // timed out three times (the call and its two retries); the first one's answer arrives only now
    expect(calls).toHaveLength(3);
    calls[0]?.resolve(true);
    await tick();
    expect(outcomes).toEqual([expect.objectContaining({ type: 'dropped', reason: 'retries' })]);
    channel.submit(call(2));
    expect(calls).toHaveLength(4);
  });

  it('leaves no timer behind a call that settled, or one in flight when its channel closed', async () => {
    const { clock, calls, channel } = oneChannel();
    channel.submit(call(1));
    expect(clock.actions).toHaveLength(1);
    calls[0]?.resolve(true);
    await tick();
    expect(clock.actions).toHaveLength(0);
    channel.submit(call(2));
    channel.close();
    expect(calls[1]?.signal?.aborted).toBe(true);
    expect(clock.actions).toHaveLength(0);
  });

  it('survives a listener that throws', async () => {
    const { transport, calls } = controlledTransport();
    const channel = createDirectDispatcher({ transport, clock: virtualClock() }).open(() => {
      throw new Error('listener bug');
    });
    channel.submit(call(1));
    channel.submit(call(2));
    calls[0]?.resolve(true);
    await tick();
    expect(calls).toHaveLength(2);
    expect(unhandled).toEqual([]);
  });

  it('on close drops a call waiting for its retry and releases the wait: nothing goes after it', async () => {
    const { clock, calls, outcomes, dispatcher, channel } = oneChannel();
    channel.submit(call(1, { deadline: 25_000 }));
    calls[0]?.reject(new B24Error({ code: 'INTERNAL_SERVER_ERROR', status: 500 }));
    await tick(); // its retry waits 500 ms: nothing in flight now
    expect(clock.actions).toHaveLength(1);
    channel.close();
    expect(clock.actions).toHaveLength(0);
    clock.flush();
    expect(calls).toHaveLength(1);
    expect(outcomes.map((o) => `${o.type} ${o.call.reason} ${o.type === 'dropped' ? o.reason : ''}`)).toEqual([
      'dropped start stopped',
    ]);
    expect(dispatcher.stats()).toMatchObject({ activeIndicators: 0, dropped: { stopped: 1 } });
  });
});
