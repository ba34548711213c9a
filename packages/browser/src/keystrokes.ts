import { B24InputError } from '@b24-typing/core';
import { filter, fromEvent, merge } from './rx';
import type { Observable } from 'rxjs';

/** A composer: `<textarea>`, a text `<input>` or a contenteditable element. */
export type ComposerElement = HTMLTextAreaElement | HTMLInputElement | HTMLElement;

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
  // Skipped: `input` events that only mirror an IME composition, which the composition events already counted:
  // `insertCompositionText`, `deleteCompositionText`, and Safari's `insertFromComposition`, `deleteByComposition`
  // (no other input type has "Composition" in its name; a literal rather than a module constant, as are the event
  // types below: the bundle is smaller). Composition events carry neither field (`test(undefined)` tests
  // "undefined"), so they always pass.
  //
  // Skipped too: an `input` that changed nothing, which Chromium fires for a paste of an empty clipboard and for an
  // undo of typing that a script has since wiped (the app emptying its composer after a send): its content is still
  // the one at the `beforeinput` just before it. That content is kept for the next event only (`false` after any
  // other, which no content equals): a script's `execCommand` (a toolbar's undo, an emoji picker's insertText) fires
  // an `input` with no `beforeinput` of its own, and an older one's content would drop a real change (an undo back to
  // what a Backspace's `beforeinput` saw). Content is a field's value or a contenteditable's HTML (so formatting counts);
  // on anything else (a web component's host without a `value`) the event itself stands for it, so input there always
  // counts. A value the browser sanitizes (`type=email` drops a trailing space) hides such an edit: it does not
  // count. Only events with an `inputType` are compared: a `beforeinput` may have no `input` after it (Backspace in an
  // empty box), and the composition that follows must still count from its start; a script's plain `Event('input')`
  // counts too.
  // Shared by the subscriptions: each sees every event and records the same content.
  let before: unknown;
  return merge(
    ...(['beforeinput', 'input', 'compositionstart', 'compositionupdate', 'compositionend'] as const).map((type) =>
      fromEvent<Event>(element, type),
    ),
  ).pipe(
    filter((event) => {
      const { type, inputType, isComposing } = event as InputEvent;
      const content = (element as HTMLTextAreaElement).value ?? (element.isContentEditable ? element.innerHTML : event);
      const same = inputType !== undefined && content === before;
      before = type === 'beforeinput' && content;
      return type !== 'beforeinput' && !(isComposing || /Composition/.test(inputType) || same);
    }),
  );
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
