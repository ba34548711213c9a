import { B24InputError } from '@b24-typing/core';
import { Observable } from './rx';

/** A composer: `<textarea>`, a text `<input>` or a contenteditable element. */
export type ComposerElement = HTMLTextAreaElement | HTMLInputElement | HTMLElement;

const TYPES = ['input', 'compositionstart', 'compositionupdate', 'compositionend'] as const;

/**
 * Typing activity in a composer, one value (the DOM event) per change a person makes: an `input` event (insert,
 * delete, paste, drop, undo…) or an IME composition step (`compositionstart`/`update`/`end`).
 *
 * Listening to `input` rather than `keydown` is the point: keys that change nothing (arrows, modifiers, Tab,
 * Escape, Backspace in an empty box) fire no `input`, while paste, drop and dictation do, with no key at all.
 * During a composition the browser also fires `input` for each step (Chrome, Firefox, before `compositionend`;
 * Safari with `insertFromComposition` after it); those are skipped so a composition is not counted twice.
 * Each event is judged on its own (`isComposing`, `inputType`), never by a "composing" flag: a script that sets the
 * value mid-composition ends it with no `compositionend`, and such a flag would then drop all later typing.
 *
 * Listeners are added on subscribe and all removed on unsubscribe.
 */
export function keystrokes(element: ComposerElement): Observable<Event> {
  checkElement(element);
  return new Observable<Event>((subscriber) => {
    // Skipped: `input` events that only mirror an IME composition, which the composition events already counted:
    // `insertCompositionText`, `deleteCompositionText`, and Safari's `insertFromComposition`, `deleteByComposition`
    // (no other input type has "Composition" in its name; a literal rather than a module constant: the bundle is
    // smaller). Composition events carry neither field (`test(undefined)` tests "undefined"), so they always pass.
    const onEvent = (event: Event): void => {
      const { isComposing, inputType } = event as InputEvent;
      if (isComposing || /Composition/.test(inputType)) return;
      subscriber.next(event);
    };
    for (const type of TYPES) element.addEventListener(type, onEvent);
    return () => {
      for (const type of TYPES) element.removeEventListener(type, onEvent);
    };
  });
}

/**
 * Duck-typed, so no DOM global is needed to check (and the module loads in Node): anything that takes event
 * listeners. `?.` on a primitive reads its wrapper, so strings and numbers fail here too.
 */
export function checkElement(element: unknown): asserts element is HTMLElement {
  if (typeof (element as EventTarget | null)?.addEventListener !== 'function') {
    throw new B24InputError('element', 'a DOM element (textarea, input or contenteditable)');
  }
}

/** An options bag that is not an object (null included) is named as such rather than failing as a TypeError. */
export function checkOptions(options: unknown): asserts options is object {
  if (typeof options !== 'object' || options === null) throw new B24InputError('options', 'an object');
}
