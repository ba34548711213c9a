/**
 * What a message without words shows while its buttons are not known yet: the emulator's stream gives a message's
 * text only, and a bot's message may be only an attach, or buttons under a text that was only `[BR]`s (the portal
 * keeps `''`). A blank bubble would say nothing; this says what the page is missing.
 */
export const NO_TEXT = '[buttons or an attachment]';

/** What a message without words, and without buttons (the chat's history says so), carries: an attach. */
export const ATTACHMENT = '[attachment]';

/**
 * What a message whose words show nothing says instead: only no-break spaces (PHP's `trim` keeps them, so the portal
 * stores such a text), or a zero-width space. Its bubble would look empty, as if the page had lost what it said.
 */
export const BLANK = '[blank message]';

/**
 * Whether a text shows nothing: only spaces of any kind (a no-break space among them), new lines and invisible format
 * characters (a zero-width space or joiner, a byte order mark). The composer sends no such text, and one of someone
 * else's that the portal kept shows `BLANK`.
 */
export function looksBlank(text: string): boolean {
  return /^[\s\p{Cf}]*$/u.test(text);
}

/**
 * The words a message's bubble shows (and a screen reader reads out): its text, or for one without any, what it
 * carries instead, or for one whose words show nothing, that it is blank. `buttons`: the texts of its buttons (the
 * chat's history), `[]` for none, undefined while not known.
 * Buttons are listed, not offered: pressing one is the bot's business, which this page is not. Plain text, as a
 * message's is: the view writes it as text, so a button's `<b>` shows as typed.
 */
export function shownText(text: string, buttons?: readonly string[]): string {
  if (!looksBlank(text)) return text;
  if (text !== '') return BLANK;
  if (buttons === undefined) return NO_TEXT;
  return buttons.length > 0 ? buttonsLine(buttons) : ATTACHMENT;
}

/**
 * A message's buttons (its keyboard, its menu) as the page lists them: in the place of its words when it has none
 * (`shownText`), else under them. One wording for both, so that a person reads a bot's choices alike in either.
 */
export function buttonsLine(buttons: readonly string[]): string {
  return `[buttons: ${buttons.join(' / ')}]`;
}

/**
 * What a screen reader reads out of a message: what its bubble shows, the words (`shownText`) and, for one that has
 * words, the buttons listed under them. Without the buttons a listener would not know the bot offered choices.
 */
export function readText(text: string, buttons?: readonly string[]): string {
  const shown = shownText(text, buttons);
  return text === '' || buttons === undefined || buttons.length === 0 ? shown : `${shown} ${buttonsLine(buttons)}`;
}
