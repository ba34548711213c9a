import fc from 'fast-check';
import { concat, EMPTY, map, mergeMap, NEVER, type Observable, of, Subject, throwError, timer } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { watchUnhandled } from '@b24-typing/test-utils';
import type { AgentStatus } from './AgentStatus';
import { B24Error } from './B24Error';
import { createIndicators } from './createIndicators';
import type { Transport } from './Transport';
import { withStatus } from './withStatus';

/** What the transport does with one call. */
type Behaviour =
  | {
      readonly kind: 'resolve' | 'reject';
      readonly delay: number;
      readonly code: string;
      readonly honoursAbort: boolean;
    }
  | { readonly kind: 'throw' }
  | { readonly kind: 'hang'; readonly honoursAbort: boolean };

const behaviour: fc.Arbitrary<Behaviour> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('resolve' as const, 'reject' as const),
    delay: fc.integer({ min: 0, max: 5_000 }),
    code: fc.constantFrom(
      'QUERY_LIMIT_EXCEEDED',
      'ACCESS_DENIED',
      'INTERNAL_SERVER_ERROR',
      'expired_token',
      'BOT_NOT_FOUND',
    ),
    honoursAbort: fc.boolean(),
  }),
  fc.constant({ kind: 'throw' as const }),
  fc.record({ kind: fc.constant('hang' as const), honoursAbort: fc.boolean() }),
);

interface Script {
  readonly sync: readonly number[];
  readonly steps: ReadonlyArray<{ readonly delay: number; readonly value: number }>;
  readonly end: 'complete' | 'error' | 'never';
  readonly endDelay: number;
}

const script: fc.Arbitrary<Script> = fc.record({
  sync: fc.array(fc.integer(), { maxLength: 2 }),
  steps: fc.array(fc.record({ delay: fc.integer({ min: 0, max: 40_000 }), value: fc.integer() }), { maxLength: 4 }),
  end: fc.constantFrom('complete' as const, 'error' as const, 'never' as const),
  endDelay: fc.integer({ min: 0, max: 40_000 }),
});

const FAILURE = new Error('reply failed');

/** A cold reply stream from a script: synchronous values, timed values, then its end. */
function replyOf(s: Script): Observable<number> {
  const timed = s.steps.map((step) => timer(step.delay).pipe(map(() => step.value)));
  const end: Observable<never> =
    s.end === 'never'
      ? NEVER
      : timer(s.endDelay).pipe(mergeMap(() => (s.end === 'error' ? throwError(() => FAILURE) : EMPTY)));
  return concat(of(...s.sync), ...timed, end);
}

interface Call {
  readonly params: Record<string, unknown>;
  readonly signal: AbortSignal | undefined;
  /** Made after the reply's first notification or the unsubscribe reached the subscriber. */
  readonly afterEnd: boolean;
  /** Calls made before this one and still on their way (neither settled nor aborted) when it was made. */
  readonly pending: number;
  settled: boolean;
}

/** A transport that does what the generated behaviours say, in turn, and records every call. */
function scriptedTransport(behaviours: readonly Behaviour[], ended: () => boolean) {
  const calls: Call[] = [];
  const transport: Transport = {
    call(_method, params, options) {
      const b = behaviours[calls.length % behaviours.length] as Behaviour;
      const pending = calls.filter((c) => !c.settled && !c.signal?.aborted).length;
      const call: Call = { params, signal: options?.signal, afterEnd: ended(), pending, settled: false };
      calls.push(call);
      if (b.kind === 'throw') {
        call.settled = true;
        throw new Error('transport bug');
      }
      return new Promise((resolve, reject) => {
        const settle = (fn: () => void) => {
          call.settled = true;
          fn();
        };
        if (b.kind !== 'hang') {
          setTimeout(
            () =>
              settle(() => (b.kind === 'resolve' ? resolve({ result: true }) : reject(new B24Error({ code: b.code })))),
            b.delay,
          );
        }
        if (b.honoursAbort) {
          options?.signal?.addEventListener('abort', () =>
            settle(() => reject(new B24Error({ code: 'ABORTED', kind: 'network' }))),
          );
        }
      });
    },
  };
  return { transport, calls };
}

type Note = readonly [kind: 'N' | 'E' | 'C', at: number, value?: unknown];

function recorder(notes: Note[], onFirst?: () => void) {
  const note = (n: Note) => {
    onFirst?.();
    notes.push(n);
  };
  return {
    next: (v: unknown) => note(['N', Date.now(), v]),
    error: (e: unknown) => note(['E', Date.now(), e]),
    complete: () => note(['C', Date.now()]),
  };
}

const unhandled = watchUnhandled().rejections;

const STATUSES: AgentStatus[] = ['typing', 'thinking', 'searching', 'composing', 'IMBOT_AGENT_ACTION_CHECKING'];

describe('withStatus (property)', () => {
  it('is indistinguishable from the reply, starts no call after it, and leaves nothing behind', async () => {
    await fc.assert(
      fc.asyncProperty(
        script,
        fc.array(behaviour, { minLength: 1, maxLength: 5 }),
        fc.record({
          statuses: fc.array(
            fc.record({ delay: fc.integer({ min: 0, max: 20_000 }), status: fc.constantFrom(...STATUSES) }),
            { minLength: 1, maxLength: 4 },
          ),
          leaseSec: fc.integer({ min: 1, max: 40 }),
          delayMs: fc.constantFrom(0, 0, 500, 3_000),
          minDwellMs: fc.constantFrom(0, 1_000),
          clearOnError: fc.boolean(),
          legacy: fc.boolean(),
        }),
        fc.option(fc.integer({ min: 0, max: 60_000 }), { nil: undefined }),
        async (s, behaviours, opts, unsubscribeAt) => {
          vi.clearAllTimers(); // a failed run must not leak into the next one
          vi.setSystemTime(0);
          let ended = false;
          const { transport, calls } = scriptedTransport(behaviours, () => ended);
          const indicators = createIndicators({ transport });
          const status = new Subject<AgentStatus>();
          for (const step of opts.statuses) setTimeout(() => status.next(step.status), step.delay);
          const reply = replyOf(s);

          const plain: Note[] = [];
          const piped: Note[] = [];
          let inFlightAtEnd: Call[] = [];
          const markEnd = () => {
            if (ended) return;
            ended = true;
            inFlightAtEnd = calls.filter((c) => !c.settled);
          };
          const a = reply.subscribe(recorder(plain));
          const b = reply
            .pipe(
              withStatus(indicators, {
                dialogId: 'chat1',
                botId: 1,
                status: opts.statuses.length === 1 ? (opts.statuses[0]?.status as AgentStatus) : status,
                leaseSec: opts.leaseSec,
                delayMs: opts.delayMs,
                minDwellMs: opts.minDwellMs,
                clearOnError: opts.clearOnError,
                legacy: opts.legacy,
              }),
            )
            .subscribe(recorder(piped, markEnd));
          if (unsubscribeAt !== undefined) {
            await vi.advanceTimersByTimeAsync(unsubscribeAt);
            a.unsubscribe();
            b.unsubscribe();
            markEnd();
          }
          await vi.advanceTimersByTimeAsync(100_000);

          // same values, order, completion or error, at the same (virtual) times
          expect(piped).toEqual(plain);
          // nothing started after the end but, if the reply never came, the clear (retried by the scheduler)
          const late = calls.filter((c) => c.afterEnd);
          const gotValue = plain.some((n) => n[0] === 'N');
          if (gotValue) expect(late).toEqual([]);
          for (const c of late) expect(c.params.duration).toBe(1);
          if (opts.legacy || !opts.clearOnError) expect(late).toEqual([]);
          // no status went out before the end: a clear would be the only one, shown for its 1 s
          if (late.length === calls.length) expect(late).toEqual([]);
          // the clear lands last: it leaves only once no call before it is on its way (an abort would not stop
          // one already sent); without a clear to follow, whatever was in flight at the end was aborted
          for (const c of late) expect(c.pending).toBe(0);
          if (gotValue || opts.legacy || !opts.clearOnError)
            for (const c of inFlightAtEnd) expect(c.signal?.aborted).toBe(true);

          a.unsubscribe();
          b.unsubscribe();
          // A clear may still be retried until its deadline (one lease after the last call, ≤ 40 s here) plus
          // the scheduler's request timeout (10 s); after that nothing may be left.
          await vi.advanceTimersByTimeAsync(60_000);
          expect(vi.getTimerCount()).toBe(0);
          indicators.dispose();
          expect(vi.getTimerCount()).toBe(0);
          expect(unhandled).toEqual([]);
        },
      ),
      { numRuns: 1_000 },
    );
  });
});
