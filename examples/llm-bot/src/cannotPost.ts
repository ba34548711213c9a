import { B24Error } from '@b24-typing/core';

/**
 * Refusals that prove the bot cannot post in the dialog at all. The status call and `imbot.v2.Chat.Message.send` pass
 * the same checks (reference §1.3, §4.3), so either refused with one of these means the other would be too: the bot
 * is gone (`BOT_NOT_FOUND`) or another application's (`BOT_OWNERSHIP_ERROR`), the chat is gone (`CHAT_NOT_FOUND`) or
 * the bot is not a member of it (`ACCESS_DENIED`; on a portal without REST on its plan the same code refuses every
 * call alike). Other `input`/`access` refusals (`ERROR_ARGUMENT` for a duration, say) may be that call's alone.
 */
const CANNOT_POST = new Set(['ACCESS_DENIED', 'BOT_NOT_FOUND', 'BOT_OWNERSHIP_ERROR', 'CHAT_NOT_FOUND']);

export function cannotPost(error: unknown): error is B24Error {
  return error instanceof B24Error && CANNOT_POST.has(error.code);
}
