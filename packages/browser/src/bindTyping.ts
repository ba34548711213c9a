import { B24InputError } from '@b24-typing/core';
import type { DialogId, IndicatorEvent, Indicators, TypingPolicy } from '@b24-typing/core';
import { filter, fromEvent, merge } from './rx';
import type { Observable, Subscription } from 'rxjs';
import { checkElement, checkOptions, keystrokes } from './keystrokes';
import type { ComposerElement } from './keystrokes';
import { submits } from './submits';

export interface BindTypingOptions {
  /** From `createTypingIndicators(...)` (or `createIndicators(...)`): one per page, shared by every composer on it. */
  readonly indicators: Pick<Indicators, 'userTyping'>;
  /** `chat<N>` or a user id, as `im.dialog.writing` takes it. */
  readonly dialogId: DialogId | number;
  /** When a message goes out. Default: `submits(element, { enterToSend })`. */
  readonly sentOn?: Observable<unknown>;
  /** Only used for the default `sentOn`. Default false. */
  readonly enterToSend?: boolean;
  readonly policy?: Partial<TypingPolicy>;
  /** Hears what became of each indicator call (sent, renewed, dropped, failed, stopped), e.g. for a status line. */
  readonly onEvent?: (event: IndicatorEvent) => void;
}

/**
 * One line from a composer to `im.dialog.writing`: its keystrokes start and renew the indicator, a send stops
 * it, and a hidden page (another tab, a minimised window) stops renewing it, since a person cannot be typing
 * there; the next keystroke after coming back starts it afresh. Unsubscribing removes every listener.
 */
export function bindTyping(element: ComposerElement, options: BindTypingOptions): Subscription {
  checkElement(element);
  checkOptions(options);
  const { indicators, sentOn, onEvent, dialogId, policy } = options;
  if (typeof indicators?.userTyping !== 'function') {
    throw new B24InputError('indicators', 'the result of createTypingIndicators() or createIndicators()');
  }
  if (sentOn !== undefined && typeof sentOn?.subscribe !== 'function')
    throw new B24InputError('sentOn', 'an Observable');
  // Otherwise RxJS would only report it, from a timer, when the first event came.
  if (onEvent !== undefined && typeof onEvent !== 'function') throw new B24InputError('onEvent', 'a function');
  // The document the composer is in now, not the one it was bound in: a chat popped out into a popup window (or a
  // Document Picture-in-Picture one) takes the composer there, and the tab it left may be hidden while it is typed in.
  // `visibilitychange` is still heard on the document it was bound in only (see the README's limits).
  const isHidden = (): boolean => element.ownerDocument?.visibilityState === 'hidden';
  // The app holds only a Subscription, so it has no error handler of its own: an error (from its `sentOn`) ends
  // the binding, which onEvent hears as a stop (reason `error`), instead of RxJS throwing it uncaught from a timer.
  return indicators
    .userTyping({
      // `userTyping` checks dialogId (and policy) before anything is subscribed
      dialogId,
      keystrokes: keystrokes(element).pipe(filter(() => !isHidden())),
      // An element always has an ownerDocument; an EventTarget that is none (no document to hide) is never hidden, so
      // listening on it instead changes nothing and spares a branch (bytes) that would skip the listener.
      // (the default `sentOn` reads enterToSend only)
      sent: merge(
        sentOn ?? submits(element, options),
        fromEvent(element.ownerDocument ?? element, 'visibilitychange').pipe(filter(isHidden)),
      ),
      policy,
    })
    .subscribe({ next: onEvent, error() {} });
}
