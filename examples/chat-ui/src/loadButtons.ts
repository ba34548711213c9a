import type { Transport } from '@b24-typing/core';

/**
 * The texts of the buttons in a message's `params.KEYBOARD` as `im.dialog.messages.get` lists them (the buttons, or
 * an object with `BUTTONS`; `'N'` or none for no keyboard), in their order; a line break (`TYPE: 'NEWLINE'`) is no
 * button. Whatever is not a button's text is skipped: the page shows what it can read, and never fails on it.
 */
export function buttonTexts(keyboard: unknown): string[] {
  const buttons = Array.isArray(keyboard) ? keyboard : (keyboard as { BUTTONS?: unknown } | null)?.BUTTONS;
  if (!Array.isArray(buttons)) return [];
  return buttons.flatMap((button: { TEXT?: unknown; TYPE?: unknown } | null) =>
    button?.TYPE !== 'NEWLINE' && typeof button?.TEXT === 'string' ? [button.TEXT] : [],
  );
}

/**
 * The texts of message `messageId`'s buttons (`[]` for none), read as a Bitrix24 app reads them: the stream (the
 * emulator's, as a portal's pull event would be for a text) tells only its text, and a message without one (a bot's
 * attach, or buttons) would show blank. One `im.dialog.messages.get` of the message alone: `FIRST_ID` the id before
 * it, `LIMIT` 1. Rejects as the call does, or when the reply does not list that message.
 */
export async function loadButtons(transport: Transport, dialogId: string, messageId: number): Promise<string[]> {
  const params = { DIALOG_ID: dialogId, FIRST_ID: messageId - 1, LIMIT: 1 };
  const result = (await transport.call('im.dialog.messages.get', params)) as { messages?: unknown } | null;
  const messages = Array.isArray(result?.messages)
    ? (result.messages as readonly { id?: unknown; params?: unknown }[])
    : [];
  const message = messages.find((m) => m?.id === messageId);
  if (!message) throw new Error(`im.dialog.messages.get did not list message ${messageId}`);
  return buttonTexts((message.params as { KEYBOARD?: unknown } | null)?.KEYBOARD);
}
