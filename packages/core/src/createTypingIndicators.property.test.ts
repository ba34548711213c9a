import fc from 'fast-check';
import { Subject } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { watchUnhandled } from '@b24-typing/test-utils';
import { B24Error } from './B24Error';
import { createTypingIndicators } from './createTypingIndicators';
import type { IndicatorEvent } from './IndicatorEvent';
import type { Transport } from './Transport';
import { renewalPeriod } from './typingSignals';

/** Errors as a portal or a network gives them, by reply kind. */
const ERRORS = {
  network: () => new B24Error({ code: 'NETWORK_ERROR', kind: 'network' }),
  rate: () => new B24Error({ code: 'QUERY_LIMIT_EXCEEDED', status: 503 }),
  input: () => new B24Error({ code: 'ERROR_ARGUMENT', status: 400 }),
  operating: () => new B24Error({ code: 'OPERATION_TIME_LIMIT', status: 429 }),
  auth: () => new B24Error({ code: 'expired_token', status: 401 }),
};

/**
 * What the transport does with one call: lands or fails after `latencyMs` (0: on a microtask), never answers
 * (`hang`), or throws at once (`throw`, a bug in it).
 */
interface Reply {
  readonly kind: 'ok' | keyof typeof ERRORS | 'hang' | 'throw';
  readonly latencyMs: number;
}

/** Failures a second attempt can get past (README: network, server, timeout, rate); a transport bug is `network`. */
const PASSING: ReadonlySet<Reply['kind']> = new Set(['network', 'rate', 'throw']);

/**
 * A moment in a run, totally ordered: the virtual millisecond, then the order things happened within it (a keystroke,
 * a call it made, a `sent` right after it, all in one tick). `ms * TICKS + n` stays an exact integer here.
 */
const TICKS = 1_000_000;

interface Call {
  readonly at: number;
  readonly pos: number;
  end: number;
  endPos: number;
  /** `failed`: refused by the portal or the network; `timeout`: aborted by the dispatcher's request timeout. */
  outcome: 'pending' | 'landed' | 'failed' | 'timeout' | 'aborted';
  readonly kind: Reply['kind'];
  /** Made after `sent` and before the next keystroke, after a fatal refusal, or after unsubscribe. */
  readonly whileStopped: boolean;
  /**
   * 1 or 2 if it may retry the call before it: made on a timer 500 ms, then 1 s after that one failed for a passing
   * reason and was not given up (README); else 0.
   */
  readonly retry: number;
  /** Its failure was the last straw: given up (a `dropped` event, `retries`). */
  givenUp?: true;
}

/** How long the timeline waits before a step, relative to the policy (so that each policy meets each case). */
type Gap = { readonly unit: 'zero' | 'tiny' | 'short' | 'long' | 'huge'; readonly frac: number };

const gap: fc.Arbitrary<Gap> = fc.record({
  unit: fc.constantFrom('zero', 'tiny', 'short', 'short', 'short', 'long', 'huge'),
  frac: fc.integer({ min: 0, max: 1_000 }),
});

const reply: fc.Arbitrary<Reply> = fc.record({
  kind: fc.constantFrom('ok', 'ok', 'ok', 'ok', 'network', 'rate', 'input', 'operating', 'auth', 'hang', 'throw'),
  latencyMs: fc.constantFrom(0, 1, 50, 3_000, 10_000, 12_000),
});

const unhandled = watchUnhandled().rejections;

describe('createTypingIndicators: userTyping (property)', () => {
  /**
   * A person types in bursts (gaps shorter and longer than `idleMs`), sends at random (right after a keystroke, twice
   * in a row), and the composer unsubscribes at a random point (also from within its subscriber, as `take(n)` does);
   * each call lands, fails (network, rate, operating, auth, input) or hangs after a random delay, or the transport
   * throws. The model of the client: a call that landed shows the indicator for `lifetimeMs`, a message (`sent`) hides
   * it; an aborted call never lands.
   */
  it('shows the indicator from the first keystroke while typing goes on, with no call it should not make', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.option(
          fc.record({
            lifetimeMs: fc.oneof(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 60, max: 40_000 })),
            marginPct: fc.integer({ min: 0, max: 120 }),
            idlePct: fc.integer({ min: 0, max: 100 }),
          }),
          { nil: undefined },
        ),
        fc.array(
          fc.record({
            gap,
            action: fc.constantFrom('key', 'key', 'sent'),
            // a burst of keystrokes after this one, each the given per mille of idleMs after the one before it
            burst: fc.record({ keys: fc.nat({ max: 30 }), every: fc.integer({ min: 0, max: 1_000 }) }),
          }),
          { maxLength: 20 },
        ),
        // unsubscribe before that step (none: after the last one), or from within the subscriber as it hears that event
        fc.record({
          beforeStep: fc.option(fc.nat({ max: 20 }), { nil: undefined }),
          gap,
          inEvent: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
        }),
        // the first calls do these, in turn, and every later one lands after 50 ms; or all calls do them, in turn
        fc.array(reply, { maxLength: 8 }),
        fc.boolean(),
        async (p, steps, unsubscribe, replies, cycle) => {
          vi.clearAllTimers(); // a failed run must not leak into the next one
          vi.setSystemTime(0);
          const policy = p && {
            lifetimeMs: p.lifetimeMs,
            marginMs: Math.floor((p.lifetimeMs * p.marginPct) / 100),
            idleMs: Math.max(1, Math.floor((p.lifetimeMs * p.idlePct) / 100)),
          };
          const L = policy?.lifetimeMs ?? 25_000;
          const I = policy?.idleMs ?? 6_000;
          const R = renewalPeriod(L, policy?.marginMs ?? 3_000);
          // Fake timers wait whole milliseconds (a 2.5 ms period fires after 2 ms): the period the clock keeps.
          const period = Math.floor(R);
          const waitFor = ({ unit, frac }: Gap) =>
            unit === 'zero'
              ? 0
              : unit === 'tiny'
                ? 1 + (frac % 3)
                : unit === 'short'
                  ? Math.floor((I * frac) / 1_000)
                  : unit === 'long'
                    ? I + 1 + Math.floor((R * frac) / 1_000)
                    : Math.ceil(I + R) + 1 + Math.floor((L * frac) / 1_000);

          let seq = 0;
          const tick = () => Date.now() * TICKS + ++seq;
          let stopped = false;
          const calls: Call[] = [];
          /**
           * README: a call given up or refused (not input/access/auth) makes the next keystroke call at once, at most
           * once per renewal period. `lost`: such a call since the last one; `restarted`: a keystroke restarted the
           * indicator since its last renewal or fresh start.
           */
          let lost = false;
          let restarted = false;
          let inKeystroke = false;
          const transport: Transport = {
            call(_method, _params, options) {
              const prev = calls.at(-1);
              const retry =
                prev &&
                !inKeystroke &&
                !prev.givenUp &&
                (prev.outcome === 'timeout' || (prev.outcome === 'failed' && PASSING.has(prev.kind))) &&
                Date.now() - prev.end === [500, 1_000][prev.retry]
                  ? prev.retry + 1
                  : 0;
              if (!inKeystroke && !retry) lost = restarted = false; // a renewal
              const r: Reply = replies[cycle ? calls.length % replies.length : calls.length] ?? {
                kind: 'ok',
                latencyMs: 50,
              };
              const call: Call = {
                at: Date.now(),
                pos: tick(),
                end: Number.POSITIVE_INFINITY,
                endPos: Number.POSITIVE_INFINITY,
                outcome: 'pending',
                kind: r.kind,
                whileStopped: stopped,
                retry,
              };
              calls.push(call);
              if (r.kind === 'throw') {
                call.outcome = 'failed';
                call.end = call.at;
                call.endPos = tick();
                throw new Error('transport bug');
              }
              return new Promise((resolve, reject) => {
                const finish = (outcome: Call['outcome'], settle: () => void) => {
                  if (call.outcome !== 'pending') return;
                  call.outcome = outcome;
                  call.end = Date.now();
                  call.endPos = tick();
                  clearTimeout(timer);
                  options?.signal?.removeEventListener('abort', abort);
                  settle();
                };
                const abort = () => {
                  const reason: unknown = options?.signal?.reason;
                  const timedOut = reason instanceof B24Error && reason.kind === 'timeout';
                  finish(timedOut ? 'timeout' : 'aborted', () =>
                    reject(new B24Error({ code: 'ABORTED', kind: 'network' })),
                  );
                };
                options?.signal?.addEventListener('abort', abort);
                const answer = () =>
                  r.kind === 'ok'
                    ? finish('landed', () => resolve(true))
                    : r.kind !== 'hang' && finish('failed', () => reject(ERRORS[r.kind as keyof typeof ERRORS]()));
                const timer = r.kind === 'hang' || r.latencyMs === 0 ? undefined : setTimeout(answer, r.latencyMs);
                if (r.kind !== 'hang' && r.latencyMs === 0) void Promise.resolve().then(answer);
              });
            },
          };

          const events: IndicatorEvent[] = [];
          /** The indicator went idle (its `stopped` event) since the last keystroke. */
          let wentIdle = false;
          const indicators = createTypingIndicators({
            transport,
            onEvent: (e) => {
              events.push(e);
              if (e.type === 'stopped' && e.reason === 'idle') wentIdle = true;
              const given = e.type === 'dropped' && (e.reason === 'retries' || e.reason === 'deadline');
              const last = calls.at(-1);
              if (given && last) last.givenUp = true;
              if (given || (e.type === 'failed' && e.call && !e.fatal && e.error.kind !== 'auth')) lost = true;
            },
          });
          const keystrokes: { at: number; before: number; after: number }[] = [];
          const sents: number[] = [];
          /** Refused for good (an input error): no call may follow. */
          const fatal = () => calls.find((c) => c.outcome === 'failed' && c.kind === 'input');
          const allSettled = () => expect(calls.filter((c) => c.outcome === 'pending')).toEqual([]);

          /** When the composer unsubscribed. */
          let endPos = Number.POSITIVE_INFINITY;
          const keys = new Subject<void>();
          const sent = new Subject<void>();
          let heard = 0;
          const sub = indicators
            .userTyping({ dialogId: 'chat1', keystrokes: keys, sent, ...(policy && { policy }) })
            .subscribe(() => {
              if (++heard !== unsubscribe.inEvent) return;
              endPos = tick();
              sub.unsubscribe();
              stopped = true;
              allSettled();
            });

          /** Waits, then tells whether the subscriber has unsubscribed meanwhile: then nothing is left to fire. */
          const waitAndSeeEnd = async (ms: number) => {
            await vi.advanceTimersByTimeAsync(ms);
            if (endPos === Number.POSITIVE_INFINITY) return false;
            expect(vi.getTimerCount()).toBe(0);
            expect(keys.observed || sent.observed).toBe(false);
            return true;
          };

          const unsubscribeNow = async () => {
            if (await waitAndSeeEnd(waitFor(unsubscribe.gap))) return;
            const last = keystrokes.at(-1);
            // Idle for certain (no keystroke within idleMs at the check after the last one), sent, or never started:
            // the stream holds no timer, and no call is on its way.
            if (!last || sents.at(-1)! > last.after || Date.now() - last.at > I + R) {
              allSettled();
              expect(vi.getTimerCount()).toBe(0);
            }
            endPos = tick();
            sub.unsubscribe();
            stopped = true;
            // whatever was in flight is aborted, and nothing is left to fire
            allSettled();
            expect(vi.getTimerCount()).toBe(0);
            expect(keys.observed || sent.observed).toBe(false);
          };

          run: for (const [i, step] of steps.entries()) {
            if (i === unsubscribe.beforeStep) {
              await unsubscribeNow();
              break;
            }
            if (await waitAndSeeEnd(waitFor(step.gap))) break;
            if (step.action === 'sent') {
              sents.push(tick());
              sent.next();
              stopped = true;
              // the call in flight is aborted; no renewal timer, no retry waits
              allSettled();
              expect(vi.getTimerCount()).toBe(0);
              continue;
            }
            for (let k = 0; k <= step.burst.keys; k++) {
              if (k > 0 && (await waitAndSeeEnd(Math.floor((I * step.burst.every) / 1_000)))) break run;
              const last = keystrokes.at(-1);
              const fresh = !last || sents.at(-1)! > last.after || wentIdle || Date.now() - last.at > I + R;
              const restart = !fresh && lost && !restarted;
              stopped = fatal() !== undefined;
              const before = tick();
              const made = calls.length;
              inKeystroke = true;
              keys.next();
              inKeystroke = false;
              keystrokes.push({ at: Date.now(), before, after: tick() });
              wentIdle = false;
              if (endPos !== Number.POSITIVE_INFINITY) break run; // unsubscribed as it heard an event
              // leading edge: the first keystroke after start, sent, idle or a lost call calls in the same tick; never
              // two calls
              expect(calls.length - made).toBeLessThanOrEqual(1);
              if ((fresh || restart) && !stopped)
                expect({ fresh, restart, calls: calls.length - made }).toMatchObject({ calls: 1 });
              if (calls.length > made) {
                restarted = !fresh;
                lost = false;
              }
            }
          }
          if (endPos === Number.POSITIVE_INFINITY) await unsubscribeNow();
          else await waitAndSeeEnd(0);
          await vi.advanceTimersByTimeAsync(60_000);

          // Nothing after unsubscribe, after a fatal refusal, or after `sent` before the next keystroke.
          expect(calls.filter((c) => c.whileStopped)).toEqual([]);
          expect(calls.filter((c) => c.pos > endPos)).toEqual([]);
          const fatalCall = fatal();
          if (fatalCall) expect(calls.filter((c) => c.pos > fatalCall.endPos)).toEqual([]);

          // Every call is due: a keystroke within idleMs before it (and no `sent` since), or, made on a timer, it
          // retries a call that failed for a passing reason (network, rate, timeout; not operating, auth or input):
          // 500 ms, then 1 s after the failure (README), no more.
          const sentBetween = (from: number, to: number) => sents.some((s) => s > from && s < to);
          const failures = calls.filter((c) => c.outcome === 'failed' || c.outcome === 'timeout');
          calls.forEach((c, i) => {
            const byKey = keystrokes.some((k) => k.before < c.pos && k.at >= c.at - I && !sentBetween(k.before, c.pos));
            expect({ call: i, at: c.at, due: byKey || c.retry > 0 }).toEqual({ call: i, at: c.at, due: true });
          });

          // No bursts: within one renewal period one call (a start or a renewal), plus one per `sent` in it (the next
          // keystroke starts afresh), and their retries; after a failure, each of those may restart once on a
          // keystroke (README: at most once per renewal period).
          calls.forEach((c, i) => {
            const inPeriod = calls.filter((o) => o.pos <= c.pos && o.at > c.at - period);
            const retries = inPeriod.filter((o) => o.retry > 0).length;
            const sentsIn = sents.filter((s) => s < c.pos && s > (c.at - period) * TICKS).length;
            const failed = failures.some((f) => f.endPos < c.pos && f.end >= c.at - 2 * R - 1_000);
            expect({ call: i, at: c.at, calls: inPeriod.length }).toEqual({
              call: i,
              at: c.at,
              calls: expect.toSatisfy((n: number) => n <= (1 + sentsIn) * (failed ? 2 : 1) + retries),
            });
          });

          // While the person types (a keystroke within idleMs, no `sent` since), the indicator shows or a call that
          // will show it is on its way: from the first keystroke on, with no lapse between renewals. Except after a
          // failure, for as long as it takes the next keystroke or renewal to make it good.
          const required = keystrokes
            .map((k) => {
              const ends = [(k.at + I) * TICKS, endPos, ...sents.filter((s) => s > k.after)];
              if (fatalCall) ends.push(fatalCall.endPos);
              return { from: k.after, to: Math.min(...ends) };
            })
            .filter((r) => r.from < r.to);
          const covered = calls.flatMap((c) => {
            const flight = { from: c.pos, to: c.endPos };
            if (c.outcome !== 'landed') return [flight];
            const hiddenBy = sents.find((s) => s > c.endPos) ?? Number.POSITIVE_INFINITY;
            return [flight, { from: c.endPos, to: Math.min((c.end + L + 1) * TICKS - 1, hiddenBy) }];
          });
          const excused = failures.map((f) => ({ from: f.endPos, to: (f.end + Math.max(I, R) + 1_500) * TICKS }));
          const within = (t: number, r: { from: number; to: number }) => r.from <= t && t < r.to;
          // A gap starts where a required stretch starts or where a covering stretch ends.
          for (const t of [...required.map((r) => r.from), ...covered.map((c) => c.to)]) {
            if (!required.some((r) => within(t, r)) || excused.some((e) => within(t, e))) continue;
            expect({ at: Math.floor(t / TICKS), shown: covered.some((c) => within(t, c)) }).toEqual({
              at: Math.floor(t / TICKS),
              shown: true,
            });
          }

          // Events tell the same story: one `sent` or `renewed` per call that landed.
          expect(events.filter((e) => e.type === 'sent' || e.type === 'renewed').length).toBe(
            calls.filter((c) => c.outcome === 'landed').length,
          );
          indicators.dispose();
          expect(vi.getTimerCount()).toBe(0);
          expect(unhandled).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
