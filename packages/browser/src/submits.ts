import { Observable } from 'rxjs';
import { checkElement, checkOptions } from './keystrokes';
import type { ComposerElement } from './keystrokes';

export interface SubmitsOptions {
  /**
   * Also count Enter without Shift in the composer as a send (the usual chat convention; Shift+Enter stays a
   * newline). That Enter's default action is prevented: otherwise it would insert a newline after the send,
   * which reads as a fresh keystroke and would start a new indicator the moment the message went out. In an
   * `<input>` (or on a button) inside a form, Enter is left to submit the form, and that `submit` is the send.
   */
  readonly enterToSend?: boolean;
}

/**
 * The moments a message is sent from a composer: its form's `submit`, and with `enterToSend`, Enter without
 * Shift in a text field (not while an IME composition is open: that Enter commits the composition; once for a
 * held Enter). Emits the DOM event; the app does the sending (and its own `preventDefault()` on `submit`).
 *
 * The form is the composer's form at the moment of the submit (`form`, which honours `form="…"`; the closest
 * `<form>` for a contenteditable), so a composer moved to another form, or put into one after subscribing, is
 * followed. `submit` is heard while it captures down from the composer's root (its document or shadow root), so
 * a form handler that stops its propagation does not hide it.
 */
export function submits(element: ComposerElement | HTMLFormElement, options: SubmitsOptions = {}): Observable<Event> {
  checkElement(element);
  checkOptions(options);
  const { enterToSend } = options;
  return new Observable<Event>((subscriber) => {
    // A detached composer has no root yet to listen on: its document is where it will most likely be put.
    const root = element.isConnected ? element.getRootNode() : element.ownerDocument;
    const onSubmit = (event: Event): void => {
      const { target } = event;
      // `target === element` first: a form's own `form` may be one of its controls, named "form".
      if (target === element || target === ('form' in element ? element.form : element.closest?.('form'))) {
        subscriber.next(event);
      }
    };
    const onKeyDown = (event: Event): void => {
      const key = event as KeyboardEvent;
      const { form, type } = event.target as HTMLTextAreaElement;
      // What has the focus, inside a web component's shadow root too (the target is only its host there).
      const focused = event.composedPath()[0] as HTMLInputElement;
      // keyCode 229 is the "IME is handling this key" marker some browsers send instead of isComposing. On a form
      // control other than a textarea, Enter is the form's implicit submit or a button's click: preventing it
      // would stop the page's own send, so it is left alone and the form's `submit` is heard instead. Nor is Enter
      // a send where the focus is not in a text field (only inputs and textareas have `select`): on a link or a
      // custom button in the form given, it activates that.
      if (
        key.key !== 'Enter' ||
        key.shiftKey ||
        key.isComposing ||
        key.keyCode === 229 ||
        (form && type !== 'textarea') ||
        !(focused.isContentEditable || focused.select)
      )
        return;
      key.preventDefault();
      // A held Enter repeats: one send (an app that clears the composer only once the portal answers would send
      // the same message again), yet no newline from the repeats either.
      if (!key.repeat) subscriber.next(event);
    };
    root?.addEventListener('submit', onSubmit, true);
    if (enterToSend) element.addEventListener('keydown', onKeyDown);
    return () => {
      root?.removeEventListener('submit', onSubmit, true);
      if (enterToSend) element.removeEventListener('keydown', onKeyDown);
    };
  });
}
