import type { SchedulerLike, Subscription } from 'rxjs';
import { asyncScheduler, Observable } from './rx';
import { B24InputError, describeValue } from './B24InputError';
import { validateMs } from './validateMs';

/** When a user's "is typing" indicator is (re)sent. Every number is in milliseconds. */
export interface TypingPolicy {
  /** How long a client shows the indicator after a call (the current web client: 25 s). */
  readonly lifetimeMs: number;
  /** Renew this long before the indicator lapses, for network latency. Capped at half the lifetime. */
  readonly marginMs: number;
  /** A renewal goes out only if a keystroke happened at most this long ago; otherwise the indicator goes idle. */
  readonly idleMs: number;
}

/** Why a typing indicator stopped being renewed. */
export type TypingStopReason = 'idle' | 'sent' | 'complete';

export type TypingSignal =
  | { readonly type: 'start' | 'renew'; readonly at: number }
  | { readonly type: 'stop'; readonly reason: TypingStopReason; readonly at: number };

/**
 * Fills in defaults and refuses nonsense before anything is subscribed. A field given as `undefined` takes its default,
 * as a missing one does (`{ idleMs: config.idleMs }` when the config has none); a policy that is not an object is
 * refused, as other options are, rather than read as "every field missing".
 */
export function resolveTypingPolicy(policy: Partial<TypingPolicy> = {}, field = 'policy'): TypingPolicy {
  if (typeof policy !== 'object' || policy === null) throw new B24InputError(field, 'an object', describeValue(policy));
  // The defaults (DEFAULT_TYPING_POLICY, below, is built from them).
  const { lifetimeMs = 25_000, marginMs = 3_000, idleMs = 6_000 } = policy;
  validateMs(lifetimeMs, `${field}.lifetimeMs`, 1);
  validateMs(marginMs, `${field}.marginMs`);
  validateMs(idleMs, `${field}.idleMs`, 1);
  if (idleMs > lifetimeMs) {
    throw new B24InputError(`${field}.idleMs`, `at most lifetimeMs (${lifetimeMs})`, describeValue(idleMs));
  }
  return { lifetimeMs, marginMs, idleMs };
}

/**
 * The policy used when none is given (25 s lifetime, renewed 3 s early, idle after 6 s without a key): built by
 * `resolveTypingPolicy`, whose defaults are the one copy of these numbers. Marked pure, so that a bundle that does not
 * read it leaves it out.
 */
export const DEFAULT_TYPING_POLICY: TypingPolicy = /* @__PURE__ */ resolveTypingPolicy();

/** The renewal period: lifetime minus margin, but never less than half the lifetime (a large margin would spin). */
export function renewalPeriod(lifetimeMs: number, marginMs: number): number {
  return Math.max(lifetimeMs - marginMs, lifetimeMs / 2);
}

/**
 * When to call `im.dialog.writing`, given keystrokes (and sends). Pure timing, no I/O:
 *
 * - the first keystroke after idle gives `start` at once (leading edge: no debounce before the indicator shows);
 * - every `lifetimeMs - marginMs` after the last call a timer checks whether a keystroke happened in the last
 *   `idleMs`: then `renew`, else `stop` (`idle`): a person who stopped typing does not keep "typing" for 25 s more;
 * - `sent` emitting gives `stop` (`sent`): the message already hid the indicator, and the next keystroke is a
 *   fresh `start`;
 * - `keystrokes` completing gives `stop` (`complete`) if active, then completes; an error in either input is
 *   passed on;
 * - `lost` emitting (a call was given up or refused, so the indicator may be down) makes the next keystroke a
 *   `start` at once rather than wait for the renewal: once per renewal period, and none while nobody types.
 *
 * Timers run on `scheduler` (virtual time in tests); the stream holds no timer while idle. `sent` and `lost` not
 * given: none is subscribed.
 */
export function typingSignals(
  keystrokes: Observable<unknown>,
  sent?: Observable<unknown>,
  policy?: Partial<TypingPolicy>, // resolveTypingPolicy defaults it
  scheduler: SchedulerLike = asyncScheduler,
  lost?: Observable<unknown>,
): Observable<TypingSignal> {
  const p = resolveTypingPolicy(policy);
  const period = renewalPeriod(p.lifetimeMs, p.marginMs);
  return new Observable<TypingSignal>((subscriber) => {
    /** An error of either input (`keystrokes`, `sent`) ends the signals with it. */
    const fail = (e: unknown) => subscriber.error(e);
    // The flags start undefined, which reads as false: a minified bundle declares them without initial values.
    let active: boolean | undefined;
    /** A call was lost since the last one went out: the next keystroke starts afresh. */
    let lapsed: boolean | undefined;
    /**
     * A start for a lost call went out since the last renewal. Another loss then waits for the renewal: one extra
     * call per renewal period at most, so a portal refusing every call (rate, operating limit) is not asked again on
     * every keystroke, while a single lost call (a network blip) is made good at once.
     */
    let restarted: boolean | undefined;
    /** Set by the keystroke that armed the renewal check, the only reader. */
    let lastKeystroke: number;
    let timer: Subscription | undefined;

    const cancelTimer = () => {
      timer?.unsubscribe();
      timer = undefined;
    };
    /**
     * (Re)arms the renewal check. Called before the signal it goes with is emitted: a subscriber that unsubscribes as
     * it hears that signal (`take(1)`, say) then cancels the new timer in its teardown instead of leaving it behind.
     */
    const arm = () => {
      cancelTimer();
      timer = scheduler.schedule(() => {
        timer = undefined;
        const now = scheduler.now();
        if (now - lastKeystroke <= p.idleMs) {
          lapsed = restarted = false;
          arm();
          subscriber.next({ type: 'renew', at: now });
        } else stop('idle'); // active while the check is armed; there is no timer left to cancel
      }, period);
    };
    const stop = (reason: TypingStopReason) => {
      if (!active) return;
      active = false;
      cancelTimer();
      subscriber.next({ type: 'stop', reason, at: scheduler.now() });
    };

    // Each input is a finalizer of the subscriber (the timer is the last): RxJS runs every one of them, so all are
    // let go though the teardown of one throws (its error still reaches whoever unsubscribed).
    subscriber.add(
      lost?.subscribe(() => {
        lapsed = !restarted;
      }),
    );
    subscriber.add(sent?.subscribe({ next: () => stop('sent'), error: fail }));
    subscriber.add(
      keystrokes.subscribe({
        next: () => {
          lastKeystroke = scheduler.now();
          if (active && !lapsed) return;
          restarted = active;
          active = true;
          lapsed = false;
          arm();
          subscriber.next({ type: 'start', at: lastKeystroke });
        },
        error: fail,
        complete: () => {
          stop('complete');
          subscriber.complete();
        },
      }),
    );
    return cancelTimer;
  });
}
