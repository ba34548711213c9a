import type { Observable, SchedulerLike } from 'rxjs';
import { B24InputError, describeValue } from './B24InputError';
import type { DriverSignal, IndicatorSpec } from './IndicatorSpec';
import { requireObservable } from './requireObservable';
import { resolveTypingPolicy, type TypingPolicy, type TypingSignal, typingSignals } from './typingSignals';
import { checkDialogId, type DialogId } from './validateDialogId';

export interface UserTypingOptions {
  /** `chat<N>` or a user id (`im.dialog.writing` does not take `sg<N>`). */
  readonly dialogId: DialogId | number;
  /** Anything that means "typed": each value counts as a keystroke. */
  readonly keystrokes: Observable<unknown>;
  /** The message went out: stop, and start afresh on the next keystroke. */
  readonly sent?: Observable<unknown>;
  readonly policy?: Partial<TypingPolicy>;
}

/** Validates a `userTyping` request before any subscription, so bad input never reaches the portal. */
export function userTypingSpec(options: UserTypingOptions, timers: SchedulerLike): IndicatorSpec<TypingSignal> {
  if (typeof options !== 'object' || options === null) {
    throw new B24InputError('options', 'an object with dialogId and keystrokes', describeValue(options));
  }
  const dialogId = checkDialogId(options.dialogId); // validateDialogId(options.dialogId, 'im')
  const keystrokes = requireObservable(options.keystrokes, 'keystrokes');
  // Not given: left undefined, and typingSignals subscribes to no `sent` at all.
  const sent = options.sent === undefined ? undefined : requireObservable(options.sent, 'sent');
  const policy = resolveTypingPolicy(options.policy);
  // Built once per `userTyping` call: every subscription to that indicator shares these two functions.
  return {
    kind: 'userTyping',
    dialogId,
    lifetimeMs: policy.lifetimeMs,
    endReason: 'complete',
    signals: (_, host) => typingSignals(keystrokes, sent, policy, timers, host.lost),
    drive: (s: TypingSignal): DriverSignal | undefined => {
      // completion itself stops the indicator (with reason `complete`)
      if (s.type === 'stop') return s.reason === 'complete' ? undefined : { stop: s.reason };
      // A start is stale once its keystroke is `idleMs` old: the person may have stopped, and no renewal would go then
      // either. Retried after requests that time out (10 s each), or kept queued while the scheduler backs off after
      // a rate refusal, it would land 10-20 s after the keystroke and show "typing" for a whole lifetime. Dropped
      // (`deadline`, `retries`), it counts as lost: the next keystroke starts afresh. (A renewal's deadline, the
      // lapse of the call before it, is the host's.)
      return {
        call: {
          method: 'im.dialog.writing',
          params: { DIALOG_ID: dialogId },
          reason: s.type,
          ...(s.type === 'start' && { deadline: s.at + policy.idleMs }),
        },
      };
    },
  };
}
