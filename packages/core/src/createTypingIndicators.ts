import type { Observable } from 'rxjs';
import { createDirectDispatcher } from './createDirectDispatcher';
import {
  createIndicatorHost,
  type IndicatorHostOptions,
  type IndicatorStats,
  resolveHostOptions,
} from './createIndicatorHost';
import type { IndicatorEvent } from './IndicatorEvent';
import { type UserTypingOptions, userTypingSpec } from './userTypingSpec';

export type TypingIndicatorsOptions = IndicatorHostOptions;

/** What a chat composer needs: `createIndicators`' result without `botStatus`. */
export interface TypingIndicators {
  /** A person typing: `im.dialog.writing` on the first keystroke, renewed while typing continues. */
  userTyping(options: UserTypingOptions): Observable<IndicatorEvent>;
  /** Every event of every indicator (hot); completes on `dispose()`. */
  readonly events: Observable<IndicatorEvent>;
  stats(): IndicatorStats;
  /** Stops every indicator (no clear is sent), aborts calls in flight and releases every timer. Idempotent. */
  dispose(): void;
}

/**
 * The user-typing half of {@link createIndicators}, for a browser composer, where it is bundled: the same
 * `userTyping` (same policy, same events, same validation), without bot statuses and without the per-portal
 * scheduler. One person typing makes about three calls a minute, so its calls go straight to the transport, one
 * in flight per indicator, the newest waiting behind it, a stale renewal dropped; core's share of the bundle is under half the size.
 * A process that shows many indicators on one portal (a bot, a bridge) wants `createIndicators` and its budget.
 */
export function createTypingIndicators(options: TypingIndicatorsOptions): TypingIndicators {
  const resolved = resolveHostOptions(options); // the dispatcher takes its transport and clock
  // (destructured: the bundle is smaller; none of the host's methods uses `this`. The rest is the host's `events`,
  // `stats` and `dispose`, in its order.)
  const { indicator, ...host } = createIndicatorHost(
    resolved.clock,
    createDirectDispatcher(resolved),
    resolved.onEvent,
  );
  return { userTyping: (opts) => indicator(userTypingSpec(opts, resolved.clock)), ...host };
}
