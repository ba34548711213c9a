import { NEVER, type Observable, type SchedulerLike } from 'rxjs';
import { B24InputError, describeValue } from './B24InputError';
import type { DriverSignal, IndicatorSpec } from './IndicatorSpec';
import { requireObservable } from './requireObservable';
import { resolveTypingPolicy, type TypingPolicy, type TypingSignal, typingSignals } from './typingSignals';
import { type DialogId, validateDialogId } from './validateDialogId';

export interface UserTypingOptions {
  /** `chat<N>` or a user id (`im.dialog.writing` does not take `sg<N>`). */
  readonly dialogId: DialogId | number;
  /** Anything that means "typed": each value counts as a keystroke. */
  readonly keystrokes: Observable<unknown>;
  /** The message went out: stop, and start afresh on the next keystroke. */
  readonly sent?: Observable<unknown>;
  readonly policy?: Partial<TypingPolicy>;
}

// A class, so that one `userTyping` call's subscribers share the methods (no closures per indicator).
class TypingSpec implements IndicatorSpec<TypingSignal> {
  readonly kind = 'userTyping';
  readonly endReason = 'complete';
  readonly lifetimeMs: number;
  constructor(
    readonly dialogId: DialogId,
    readonly keystrokes: Observable<unknown>,
    readonly sent: Observable<unknown>,
    readonly policy: TypingPolicy,
    readonly timers: SchedulerLike,
  ) {
    this.lifetimeMs = policy.lifetimeMs;
  }

  signals(): Observable<TypingSignal> {
    return typingSignals(this.keystrokes, this.sent, this.policy, this.timers);
  }

  drive(s: TypingSignal): DriverSignal | undefined {
    // completion itself stops the indicator (with reason `complete`)
    if (s.type === 'stop') return s.reason === 'complete' ? undefined : { stop: s.reason };
    return { call: { method: 'im.dialog.writing', params: { DIALOG_ID: this.dialogId }, reason: s.type } };
  }
}

/** Validates a `userTyping` request before any subscription, so bad input never reaches the portal. */
export function userTypingSpec(options: UserTypingOptions, timers: SchedulerLike): IndicatorSpec<TypingSignal> {
  if (typeof options !== 'object' || options === null) {
    throw new B24InputError('options', 'an object with dialogId and keystrokes', describeValue(options));
  }
  const dialogId = validateDialogId(options.dialogId, 'im');
  const keystrokes = requireObservable(options.keystrokes, 'keystrokes');
  const sent = options.sent === undefined ? NEVER : requireObservable(options.sent, 'sent');
  return new TypingSpec(dialogId, keystrokes, sent, resolveTypingPolicy(options.policy), timers);
}
