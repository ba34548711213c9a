import { Observable } from './rx';
import { checkElement, checkOptions } from './keystrokes';
import type { ComposerElement } from './keystrokes';

export interface SubmitsOptions {
  /**
   * Also count Enter without Shift in the composer as a send (the usual chat convention; Shift+Enter stays a
   * newline). That Enter's default action is prevented: otherwise it would insert a newline after the send,
   * which reads as a fresh keystroke and would start a new indicator the moment the message went out. In an
   * `<input>` (or on a button) inside a form, Enter is left to submit the form, and that `submit` is the send. Nor is
   * Enter a send where the browser does not submit on it: its form's submit button is disabled (the app says there
   * is nothing to send), or the form has none and more than one text field (no implicit submission at all): give
   * such a form a submit button (it may be hidden), or make the composer a `<textarea>`.
   * An Enter someone else already cancelled is no send: an autocomplete picker (mentions, emoji, slash commands)
   * that takes Enter to pick an entry (see below for which listeners run early enough).
   */
  readonly enterToSend?: boolean;
}

/**
 * The last Enter a `submits` cancelled itself, shared by all of them: the app's own `submits` and bindTyping's
 * `sentOn` on one composer both see the same Enter, and the second must not take the first one's
 * `preventDefault()` for a picker's. The last one is enough: every listener of an Enter runs during its dispatch,
 * before the next key is pressed (it keeps that one event, and so its composer, alive until then).
 */
let prevented: Event | undefined;

/**
 * The moments a message is sent from a composer: its form's `submit`, and with `enterToSend`, Enter without
 * Shift in a text field (not while an IME composition is open: that Enter commits the composition; once for a
 * held Enter). Emits the DOM event; the app does the sending (and its own `preventDefault()` on `submit`).
 *
 * The form is the composer's form at the moment of the submit (`form`, which honours `form="…"`; the closest
 * `<form>` for a contenteditable), so a composer moved to another form, or put into one after subscribing, is
 * followed. `submit` is heard while it captures down from the composer's root (its document or shadow root), so
 * a form handler that stops its propagation does not hide it.
 *
 * An Enter cancelled before it reaches this listener on the composer is no send: a picker's listener capturing on
 * the composer or an ancestor (the document), or one added to the composer before subscribing. One that runs later
 * (added to the composer after subscribing, or bubbling on an ancestor) comes too late: the send is out and the
 * newline prevented. An app that sends from its own earlier keydown handler and cancels Enter cannot be told from
 * a picker, so it is no send either: such an app sends on a `submits` instead, or passes its sends as `sentOn`.
 */
export function submits(element: ComposerElement | HTMLFormElement, options: SubmitsOptions = {}): Observable<Event> {
  checkElement(element);
  checkOptions(options);
  const { enterToSend } = options;
  return new Observable<Event>((subscriber) => {
    // A composer in a shadow root listens there, connected or not yet (a web component subscribing in its constructor,
    // before the page appends it: the form's `submit` will not leave the shadow root). Otherwise its document: where a
    // detached composer (its root is then itself or a detached ancestor) will most likely be put.
    const root = (element.getRootNode?.() as ShadowRoot | undefined)?.host
      ? element.getRootNode()
      : element.ownerDocument;
    const onSubmit = (event: Event): void => {
      // `target === element` first: a form's own `form` may be one of its controls, named "form".
      if (event.target === element || event.target === ('form' in element ? element.form : element.closest?.('form'))) {
        subscriber.next(event);
      }
    };
    const onKeyDown = (key: KeyboardEvent): void => {
      // `key.composedPath()[0]` is what has the focus, inside a web component's shadow root too (the target is only its
      // host there). It and `key.target` are read where needed, not held in locals: the bundle is smaller.
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
        (key.defaultPrevented && key !== prevented) ||
        ((key.target as HTMLTextAreaElement).form && (key.target as HTMLTextAreaElement).type !== 'textarea') ||
        !(
          (key.composedPath()[0] as HTMLElement).isContentEditable || (key.composedPath()[0] as HTMLInputElement).select
        )
      )
        return;
      key.preventDefault();
      prevented = key;
      // A held Enter repeats: one send (an app that clears the composer only once the portal answers would send
      // the same message again), yet no newline from the repeats either.
      if (!key.repeat) subscriber.next(key);
    };
    root?.addEventListener('submit', onSubmit, true);
    if (enterToSend) (element as HTMLElement).addEventListener('keydown', onKeyDown);
    return () => {
      root?.removeEventListener('submit', onSubmit, true);
      if (enterToSend) (element as HTMLElement).removeEventListener('keydown', onKeyDown);
    };
  });
}
