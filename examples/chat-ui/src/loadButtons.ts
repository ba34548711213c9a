import type { Transport } from '@b24-typing/core';

/**
 * The texts of the buttons in a message's `params.KEYBOARD` (or the items of its `params.MENU`) as
 * `im.dialog.messages.get` lists them (the buttons, or an object with `BUTTONS` or `ITEMS`; `'N'` or none for none), in
 * their order; a line break (`TYPE: 'NEWLINE'`) is no button. Whatever is not a button's text is skipped: the page
 * shows what it can read, and never fails on it.
 */
export function buttonTexts(keyboard: unknown): string[] {
  const list = keyboard as { BUTTONS?: unknown; ITEMS?: unknown } | null | undefined;
  const buttons = Array.isArray(keyboard) ? keyboard : (list?.BUTTONS ?? list?.ITEMS);
  if (!Array.isArray(buttons)) return [];
  return buttons.flatMap((button: { TEXT?: unknown; TYPE?: unknown } | null) =>
    button?.TYPE !== 'NEWLINE' && typeof button?.TEXT === 'string' ? [button.TEXT] : [],
  );
}

/**
 * The choices a message offers, from its `params` as `im.dialog.messages.get` lists them: its keyboard's buttons (under
 * the message), then its menu's items (the message's own menu): the page lists both, as it presses neither.
 */
export function messageButtons(params: unknown): string[] {
  const { KEYBOARD, MENU } = (params ?? {}) as { KEYBOARD?: unknown; MENU?: unknown };
  return [...buttonTexts(KEYBOARD), ...buttonTexts(MENU)];
}

/** Messages per call: the most `im.dialog.messages.get` gives (its docs: 20 by default, 50 at most). */
const PAGE_SIZE = 50;

/**
 * The texts of the buttons of messages `messageIds` (`[]` for none), by id, read as a Bitrix24 app reads them: the
 * stream (the emulator's, as a portal's pull event would be for a text) tells only a message's text, not what it
 * offers. Pages of `im.dialog.messages.get` forward (`FIRST_ID`, oldest first), each from just below the lowest id not
 * read yet, 50 at a time: a rebuilt list of a hundred messages costs two calls, not a hundred (which would use up the
 * portal's rate limit, and her own messages would be refused), and ids far apart skip what lies between them. A message
 * the chat's history does not list is left out. Rejects as a call does, or when a reply is not a page of messages.
 */
export async function loadButtons(
  transport: Transport,
  dialogId: string,
  messageIds: readonly number[],
): Promise<Map<number, string[]>> {
  const found = new Map<number, string[]>();
  let left = [...new Set(messageIds)].sort((a, b) => a - b);
  while (left.length > 0) {
    const params = { DIALOG_ID: dialogId, FIRST_ID: left[0]! - 1, LIMIT: PAGE_SIZE };
    const result = (await transport.call('im.dialog.messages.get', params)) as { messages?: unknown } | null;
    if (!Array.isArray(result?.messages)) throw new Error('im.dialog.messages.get answered without messages');
    const messages = result.messages as readonly { id?: unknown; params?: unknown }[];
    const wanted = new Set(left);
    let last = left[0]!;
    for (const message of messages) {
      if (typeof message?.id !== 'number') continue;
      if (wanted.has(message.id)) found.set(message.id, messageButtons(message.params));
      last = Math.max(last, message.id);
    }
    // A short page is the chat's end: what is above it is no message of this chat (yet).
    left = messages.length < PAGE_SIZE ? [] : left.filter((id) => id > last);
  }
  return found;
}
