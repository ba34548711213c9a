import fc from 'fast-check';
import { Subject } from 'rxjs';
import { expect, it, vi } from 'vitest';
import { recordingTransport } from '../test/recordingTransport';
import { watchUnhandled } from '@b24-typing/test-utils';
import { B24Error } from './B24Error';
import { createIndicators } from './createIndicators';
import { VirtualClock } from './createScheduler.test.fixture';
import { createTypingIndicators } from './createTypingIndicators';
import type { IndicatorEvent } from './IndicatorEvent';
import type { TypingPolicy } from './typingSignals';
import type { Transport } from './Transport';

// The shared userTyping behaviour is tested for both factories in createIndicators.test.ts; this is what differs.
const unhandled = watchUnhandled().rejections;

it('has userTyping and no botStatus', () => {
  const indicators = createTypingIndicators({ transport: recordingTransport() });
  expect(Object.keys(indicators).sort()).toEqual(['dispose', 'events', 'stats', 'userTyping']);
  indicators.dispose();
});

it('retries a start that met a network blip, so the indicator still shows while the person types', async () => {
  let n = 0;
  const transport = recordingTransport((c) =>
    n++ === 0 ? c.reject(new B24Error({ code: 'NETWORK_ERROR', kind: 'network' })) : c.resolve(true),
  );
  const indicators = createTypingIndicators({ transport });
  const keys = new Subject<void>();
  const events: IndicatorEvent[] = [];
  indicators.userTyping({ dialogId: 'chat1', keystrokes: keys }).subscribe((e) => events.push(e));
  keys.next();
  await vi.advanceTimersByTimeAsync(600);
  expect(transport.calls.map((c) => c.at)).toEqual([0, 500]);
  expect(events).toEqual([
    expect.objectContaining({ type: 'sent', at: 500, call: expect.objectContaining({ reason: 'start' }) }),
  ]);
  expect(indicators.stats()).toMatchObject({ callsSent: 1, httpRequests: 2, failed: { network: 1 }, batchedCalls: 0 });
  indicators.dispose();
  expect(vi.getTimerCount()).toBe(0);
  expect(unhandled).toEqual([]);
});

it('sends no start later than idleMs after its keystroke while requests time out: one who stopped is not shown typing', async () => {
  // the transport never answers: each request times out after 10 s, and a retry of the start 500 ms later would show
  // "typing" from 10.5 s to 35.5 s for a keystroke at 0
  const t0 = Date.now();
  const transport = recordingTransport(() => {});
  const indicators = createTypingIndicators({ transport });
  const keys = new Subject<void>();
  const events: IndicatorEvent[] = [];
  indicators.userTyping({ dialogId: 'chat1', keystrokes: keys }).subscribe((e) => events.push(e));
  keys.next(); // one keystroke at 0, then silence
  await vi.advanceTimersByTimeAsync(60_000);
  expect(transport.calls.map((c) => c.at - t0)).toEqual([0]);
  expect(events.map((e) => `${e.at - t0} ${e.type}${'reason' in e ? ` ${e.reason}` : ''}`)).toEqual([
    '10000 dropped retries',
    '22000 stopped idle',
  ]);
  indicators.dispose();
  expect(unhandled).toEqual([]);
});

/** What one call does: lands, or is refused (input: fatal; auth: not), after `latencyMs`; or the transport throws. */
interface Reply {
  readonly kind: 'ok' | 'input' | 'auth' | 'throw';
  readonly latencyMs: number;
}

/**
 * Two composers typing into one factory's indicators, in virtual time: every transport call, every event and the
 * final stats, as lines to compare. Keystrokes of the second composer are those at multiples of 3 ms.
 */
async function typingRun(
  factory: typeof createIndicators | typeof createTypingIndicators,
  inputs: readonly { readonly at: number; readonly sent: boolean }[],
  replies: readonly Reply[],
  policy: TypingPolicy,
  endAt: number,
): Promise<string[]> {
  const clock = new VirtualClock();
  const log: string[] = [];
  const transport: Transport = {
    call(_method, params, options) {
      const reply = replies[log.filter((l) => l.includes('call')).length % replies.length] as Reply;
      log.push(`${clock.now()} call ${params.DIALOG_ID}`);
      if (reply.kind === 'throw') throw new B24Error({ code: 'INVALID_ARGUMENT', status: 400 });
      return new Promise((resolve, reject) => {
        options?.signal?.addEventListener('abort', () => reject(new B24Error({ code: 'ABORTED', kind: 'network' })));
        clock.schedule(() => {
          if (reply.kind === 'ok') resolve(true);
          else reject(new B24Error({ code: reply.kind === 'input' ? 'ERROR_ARGUMENT' : 'expired_token', status: 400 }));
        }, reply.latencyMs);
      });
    },
  };
  const onEvent = (e: IndicatorEvent) =>
    log.push(
      `${e.at} ${e.indicatorId} ${e.type} ${'call' in e ? e.call?.reason : ''} ${'reason' in e ? e.reason : ''}`,
    );
  const indicators = factory({ transport, clock, onEvent });
  const sent = new Subject<void>();
  const keys = [new Subject<void>(), new Subject<void>()];
  const first = keys.map((k, i) =>
    indicators.userTyping({ dialogId: `chat${i + 1}`, keystrokes: k, sent, policy }).subscribe(),
  );
  for (const { at, sent: isSent } of [...inputs].sort((a, b) => a.at - b.at)) {
    await clock.advanceTo(at);
    if (isSent) sent.next();
    else keys[at % 3 === 0 ? 1 : 0]?.next();
  }
  await clock.advanceTo(endAt);
  if (endAt % 2) first[0]?.unsubscribe();
  else indicators.dispose();
  await clock.advanceTo(endAt + 60_000);
  log.push(JSON.stringify(indicators.stats()));
  indicators.dispose();
  return log;
}

it('makes the same calls and events as createIndicators for the same typing, when no retry is involved', async () => {
  // The two differ by design only in retries (here 500 ms and 1 s, there the scheduler's backoff) and in the
  // scheduler's hold after an operating refusal; with replies that are never retried they must agree exactly.
  vi.useRealTimers(); // the virtual clock drains promise callbacks between its actions with setImmediate
  await fc.assert(
    fc.asyncProperty(
      fc.uniqueArray(fc.record({ at: fc.integer({ min: 0, max: 40_000 }), sent: fc.boolean() }), {
        maxLength: 20,
        selector: (input) => input.at,
      }),
      fc.array(
        fc.record({
          kind: fc.constantFrom('ok', 'ok', 'ok', 'input', 'auth', 'throw'),
          latencyMs: fc.constantFrom(0, 50, 3_000, 8_000),
        }),
        { minLength: 1, maxLength: 4 },
      ),
      fc.record({
        lifetimeMs: fc.constantFrom(7_000, 10_000),
        marginMs: fc.constantFrom(0, 1, 3_000),
        idleMs: fc.constantFrom(1, 4_000, 7_000),
      }),
      fc.integer({ min: 0, max: 50_000 }),
      async (inputs, replies, policy, end) => {
        // after the last input: a keystroke and an unsubscribe in the same instant are not compared (see below)
        const endAt = Math.max(end, ...inputs.map((i) => i.at + 1));
        const scheduled = await typingRun(createIndicators, inputs, replies as Reply[], policy, endAt);
        const direct = await typingRun(createTypingIndicators, inputs, replies as Reply[], policy, endAt);
        expect(direct).toEqual(scheduled);
      },
    ),
    { numRuns: 300 },
  );
  expect(unhandled).toEqual([]);
});
