import { B24InputError } from '@b24-typing/core';
import { Observable } from 'rxjs';

/** A composer: `<textarea>`, a text `<input>` or a contenteditable element. */
export type ComposerElement = HTMLTextAreaElement | HTMLInputElement | HTMLElement;

/** `input` events that only mirror an IME composition, which the composition events already counted. */
const COMPOSITION_INPUT = new Set([
  'insertCompositionText',
  'deleteCompositionText',
  'insertFromComposition',
  'deleteByComposition',
]);

/**
 * Typing activity in a composer, one value (the DOM event) per change a person makes: an `input` event (insert,
 * delete, paste, drop, undo…) or an IME composition step (`compositionstart`/`update`/`end`).
 *
 * Listening to `input` rather than `keydown` is the point: keys that change nothing (arrows, modifiers, Tab,
 * Escape, Backspace in an empty box) fire no `input`, while paste, drop and dictation do, with no key at all.
 * During a composition the browser also fires `input` for each step (Chrome, Firefox, before `compositionend`;
 * Safari with `insertFromComposition` after it); those are skipped so a composition is not counted twice.
 *
 * Listeners are added on subscribe and all removed on unsubscribe.
 */
export function keystrokes(element: ComposerElement): Observable<Event> {
  checkElement(element);
  return new Observable<Event>((subscriber) => {
    let composing = false;
    const onInput = (event: Event): void => {
      const { isComposing, inputType } = event as InputEvent;
      if (composing || isComposing || COMPOSITION_INPUT.has(inputType)) return;
      subscriber.next(event);
    };
    const onComposition = (event: Event): void => {
      composing = event.type !== 'compositionend';
      subscriber.next(event);
    };
    const compositionEvents = ['compositionstart', 'compositionupdate', 'compositionend'] as const;
    element.addEventListener('input', onInput);
    for (const type of compositionEvents) element.addEventListener(type, onComposition);
    return () => {
      element.removeEventListener('input', onInput);
      for (const type of compositionEvents) element.removeEventListener(type, onComposition);
    };
  });
}

/** Duck-typed, so no DOM global is needed to check (and the module loads in Node). */
export function checkElement(element: unknown, field = 'element'): asserts element is HTMLElement {
  if (
    element === null ||
    typeof element !== 'object' ||
    typeof (element as EventTarget).addEventListener !== 'function' ||
    typeof (element as EventTarget).removeEventListener !== 'function'
  ) {
    throw new B24InputError(field, 'a DOM element (textarea, input or contenteditable)');
  }
}
