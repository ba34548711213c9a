/**
 * What a message without words shows while its buttons are not known yet: the emulator's stream gives a message's
 * text only, and a bot's message may be only an attach, or buttons under a text that was only `[BR]`s (the portal
 * keeps `''`). A blank bubble would say nothing; this says what the page is missing.
 */
export const NO_TEXT = '[buttons or an attachment]';

/** What a message without words, and without buttons (the chat's history says so), carries: an attach. */
export const ATTACHMENT = '[attachment]';

/**
 * The words a message's bubble shows (and a screen reader reads out): its text, or for one without any, what it
 * carries instead. `buttons`: the texts of its buttons (the chat's history), `[]` for none, undefined while not known.
 * Buttons are listed, not offered: pressing one is the bot's business, which this page is not. Plain text, as a
 * message's is: the view writes it as text, so a button's `<b>` shows as typed.
 */
export function shownText(text: string, buttons?: readonly string[]): string {
  if (text !== '') return text;
  if (buttons === undefined) return NO_TEXT;
  return buttons.length > 0 ? `[buttons: ${buttons.join(' / ')}]` : ATTACHMENT;
}
