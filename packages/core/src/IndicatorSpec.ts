import type { Observable } from 'rxjs';
import type { B24Error } from './B24Error';
import type { CallOutcome } from './Dispatcher';
import type { IndicatorKind, StopReason } from './IndicatorEvent';
import type { PreparedCall } from './resolveBotTarget';
import type { DialogId } from './validateDialogId';

/** What one signal asks of its indicator: a call, or to stop (for now; the signals go on). */
export type DriverSignal = { readonly stop: StopReason } | { readonly call: PreparedCall };

/**
 * What the host holds for one subscription of a spec, where the spec may keep what it needs of it (a bot status: its
 * last signal, for its `abortClear`). On the host's object rather than in the host's own fields, so that user typing,
 * which keeps nothing, does not carry it into a browser bundle.
 */
export interface IndicatorSlot<S> {
  last?: S;
}

/**
 * What kind of indicator and how it is driven (`userTypingSpec`, `botStatusSpec`). Shared by every subscription
 * of one `userTyping`/`botStatus` observable, so it holds no per-subscription state. Internal: the seam that
 * lets `createTypingIndicators` leave the bot-status code out of a browser bundle.
 */
export interface IndicatorSpec<S> {
  readonly kind: IndicatorKind;
  readonly dialogId: DialogId;
  /** How long one call keeps the indicator up: renewals and clears are useless after that (their deadline). */
  readonly lifetimeMs: number;
  /** Why it stopped when its signals complete. */
  readonly endReason: StopReason;
  /**
   * The pure timing stream, built per subscription (`report` hears invalid input that does not stop it; `host.lost`
   * emits the outcome of a call of this indicator that did not land, for signals that start afresh then; subscribe
   * to it once).
   */
  signals(report: (error: B24Error) => void, host: { readonly lost: Observable<CallOutcome> }): Observable<S>;
  /** What a signal asks for; `undefined` for none. `slot`: this subscription's, the same each time. */
  drive(signal: S, slot: IndicatorSlot<S>): DriverSignal | undefined;
  /** The call that takes the indicator down when its subscriber leaves early, if due (`slot` as `drive` left it). */
  abortClear?(slot: IndicatorSlot<S>): PreparedCall | undefined;
}
