import { Observable } from 'rxjs';
import { checkElement } from './keystrokes';
import type { ComposerElement } from './keystrokes';

export interface SubmitsOptions {
  /**
   * Also count Enter without Shift in the composer as a send (the usual chat convention; Shift+Enter stays a
   * newline). That Enter's default action is prevented: otherwise it would insert a newline after the send,
   * which reads as a fresh keystroke and would start a new indicator the moment the message went out.
   */
  readonly enterToSend?: boolean;
}

/**
 * The moments a message is sent from a composer: its form's `submit`, and with `enterToSend`, Enter without
 * Shift (not while an IME composition is open: that Enter commits the composition). Emits the DOM event; the
 * app does the sending (and its own `preventDefault()` on `submit`).
 */
export function submits(element: ComposerElement | HTMLFormElement, options: SubmitsOptions = {}): Observable<Event> {
  checkElement(element);
  const enterToSend = options.enterToSend ?? false;
  return new Observable<Event>((subscriber) => {
    const form =
      element.tagName === 'FORM'
        ? element
        : ((element as HTMLInputElement).form ??
          (typeof element.closest === 'function' ? element.closest('form') : null));
    const onSubmit = (event: Event): void => subscriber.next(event);
    const onKeyDown = (event: Event): void => {
      const key = event as KeyboardEvent;
      // keyCode 229 is the "IME is handling this key" marker some browsers send instead of isComposing.
      if (key.key !== 'Enter' || key.shiftKey || key.isComposing || key.keyCode === 229) return;
      key.preventDefault();
      subscriber.next(event);
    };
    form?.addEventListener('submit', onSubmit);
    if (enterToSend) element.addEventListener('keydown', onKeyDown);
    return () => {
      form?.removeEventListener('submit', onSubmit);
      if (enterToSend) element.removeEventListener('keydown', onKeyDown);
    };
  });
}
