import { asyncScheduler, NEVER, Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { type AgentStatus, statusMessageCode } from './AgentStatus';
import type { CallReason } from './Dispatcher';
import { renewalPeriod } from './typingSignals';
import { validateLeaseSec } from './validateBot';
import { validateMs } from './validateMs';

/** When a bot's status indicator is (re)sent. */
export interface StatusPolicy {
  /** `duration` of each call in seconds (1..600): how long the status stays up if nothing renews it. */
  readonly leaseSec: number;
  /** Renew this long before the lease lapses, for network latency. Capped at half the lease. */
  readonly marginMs: number;
  /** A shown status stays at least this long before the next change goes out, so phases do not flicker. */
  readonly minDwellMs: number;
  /** Show nothing until the work has run this long: a reply that comes sooner shows no indicator at all. */
  readonly delayMs: number;
  /** If the work ends without a reply (error, abort, nothing emitted), send `duration: 1` to take the status down. */
  readonly clearOnError: boolean;
}

export const DEFAULT_STATUS_POLICY: StatusPolicy = {
  leaseSec: 30,
  marginMs: 3_000,
  minDwellMs: 1_000,
  delayMs: 0,
  clearOnError: true,
};

export interface StatusSignal {
  /** `start` shows the first status, `change` a new one, `renew` extends the lease, `clear` takes it down. */
  readonly type: CallReason;
  readonly status: AgentStatus;
  /** What to send as `statusMessageCode`; `undefined` for plain typing. */
  readonly statusMessageCode: string | undefined;
  /** What to send as `duration`: the lease, or 1 for `clear`. */
  readonly durationSec: number;
  readonly at: number;
}

/** Fills in defaults and refuses nonsense before anything is subscribed. */
export function resolveStatusPolicy(policy: Partial<StatusPolicy> = {}): StatusPolicy {
  const p = { ...DEFAULT_STATUS_POLICY, ...policy };
  validateLeaseSec(p.leaseSec);
  validateMs(p.marginMs, 'marginMs');
  validateMs(p.minDwellMs, 'minDwellMs');
  validateMs(p.delayMs, 'delayMs');
  return { ...p, clearOnError: p.clearOnError !== false };
}

interface Shown {
  readonly status: AgentStatus;
  readonly code: string | undefined;
}

/**
 * When to call `imbot.v2.Chat.InputAction.notify`, given the work's status and its end (`until`, usually the
 * reply). Pure timing, no I/O:
 *
 * - the first status gives `start` after `delayMs` (at once by default) with `duration = leaseSec`;
 * - `renew` every `leaseSec − margin` while the work runs;
 * - a different status gives `change` at once, or when the shown one has stood `minDwellMs`; repeats (also by
 *   another name for the same code) give nothing, and the latest status wins a pending change;
 * - `until` emitting ends the stream (the reply hides the indicator); `until` completing without a value or
 *   erroring ends it with `clear` (`duration: 1`) if a status was shown, as does an error of `status` (which is
 *   then passed on). Nothing is emitted after the end, and every timer is released.
 *
 * `status` completing keeps the last status up. An invalid status errors the stream (after `clear`).
 */
export function statusSignals(
  status: Observable<AgentStatus>,
  until: Observable<unknown> = NEVER,
  policy: Partial<StatusPolicy> = {},
  scheduler: SchedulerLike = asyncScheduler,
): Observable<StatusSignal> {
  const p = resolveStatusPolicy(policy);
  const period = renewalPeriod(p.leaseSec * 1000, p.marginMs);
  return new Observable<StatusSignal>((subscriber) => {
    let latest: Shown | undefined;
    let shown: Shown | undefined;
    let shownAt = Number.NEGATIVE_INFINITY;
    let showTimer: Subscription | undefined;
    let dwellTimer: Subscription | undefined;
    let renewTimer: Subscription | undefined;
    let ended = false;

    const emit = (type: CallReason, what: Shown, durationSec = p.leaseSec) => {
      subscriber.next({ type, status: what.status, statusMessageCode: what.code, durationSec, at: scheduler.now() });
    };
    const cancelTimers = () => {
      for (const t of [showTimer, dwellTimer, renewTimer]) t?.unsubscribe();
      showTimer = dwellTimer = renewTimer = undefined;
    };
    const armRenewal = () => {
      renewTimer?.unsubscribe();
      renewTimer = scheduler.schedule(() => {
        renewTimer = undefined;
        if (!shown) return;
        emit('renew', shown);
        armRenewal();
      }, period);
    };
    const show = (type: 'start' | 'change') => {
      if (!latest) return;
      shown = latest;
      shownAt = scheduler.now();
      emit(type, shown);
      armRenewal();
    };
    const end = (clear: boolean) => {
      if (ended) return false;
      ended = true;
      cancelTimers();
      if (clear && shown && p.clearOnError) emit('clear', shown, 1);
      return true;
    };
    const onStatus = (value: AgentStatus) => {
      latest = { status: value, code: statusMessageCode(value) };
      if (!shown) {
        if (showTimer) return; // the delayed start will pick up the latest status
        if (p.delayMs > 0) {
          showTimer = scheduler.schedule(() => {
            showTimer = undefined;
            show('start');
          }, p.delayMs);
        } else {
          show('start');
        }
        return;
      }
      if (latest.code === shown.code) {
        // back to what is shown: a pending change is moot
        dwellTimer?.unsubscribe();
        dwellTimer = undefined;
        return;
      }
      if (dwellTimer) return; // the pending change will pick up the latest status
      const wait = shownAt + p.minDwellMs - scheduler.now();
      if (wait <= 0) {
        show('change');
        return;
      }
      dwellTimer = scheduler.schedule(() => {
        dwellTimer = undefined;
        if (latest && shown && latest.code !== shown.code) show('change');
      }, wait);
    };

    let replied = false;
    const untilSub = until.subscribe({
      next: () => {
        replied = true;
        if (end(false)) subscriber.complete();
      },
      error: () => {
        if (end(true)) subscriber.complete();
      },
      complete: () => {
        if (end(!replied)) subscriber.complete();
      },
    });
    if (ended) return () => untilSub.unsubscribe();
    const statusSub = status.subscribe({
      next: (value) => {
        if (ended) return;
        try {
          onStatus(value);
        } catch (error) {
          if (end(true)) subscriber.error(error);
        }
      },
      error: (error: unknown) => {
        if (end(true)) subscriber.error(error);
      },
    });
    return () => {
      ended = true;
      cancelTimers();
      untilSub.unsubscribe();
      statusSub.unsubscribe();
    };
  });
}
