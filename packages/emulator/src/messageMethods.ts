import type { ChatModel, Message } from './ChatModel';
import { restError } from './errorCatalog';
import { hasDialogAccess, isDialogId } from './indicatorMethods';
import type { MethodContext, MethodDefinition } from './methodContext';
import { intval, isset, phpTrim, recordOf, stringOf, upperKeys, withoutFinalNewline } from './paramValues';
import type { Params } from './phpQuery';
import { resolveBotV2, resolveDialogV2, subjectV2 } from './resolveBot';
import { isoSeconds } from './timeBlock';

const MAX_MESSAGE = 20_000;

/** `im.message.add` as the calling user: hides the caller's indicator and sends bot events. */
function messageAdd(raw: Params, context: MethodContext): unknown {
  const params = upperKeys(raw);
  const { model, auth } = context;
  context.record.senderId = auth.userId;
  let dialogId = stringOf(params.DIALOG_ID);
  if (dialogId === null || dialogId === '') {
    // Legacy form: USER_ID for a private message or CHAT_ID for a chat.
    if (params.USER_ID !== undefined) {
      const userId = intval(params.USER_ID);
      if (userId <= 0) throw restError('USER_ID_EMPTY');
      dialogId = String(userId);
    } else {
      const chatId = intval(params.CHAT_ID);
      if (chatId <= 0) throw restError('CHAT_ID_EMPTY');
      dialogId = `chat${chatId}`;
    }
  }
  context.record.dialogId = dialogId;
  if (/^chat/i.test(dialogId) && intval(dialogId.slice(4)) <= 0) throw restError('CHAT_ID_EMPTY');
  if (/^\d+$/.test(dialogId) && intval(dialogId) <= 0) throw restError('USER_ID_EMPTY');
  const text = stringOf(params.MESSAGE) ?? '';
  if (phpTrim(text) === '' && params.ATTACH === undefined) throw restError('MESSAGE_EMPTY');
  const chat = model.resolveDialog(dialogId, auth.userId, { allowSg: false, create: true });
  if (!chat?.members.has(auth.userId)) throw restError('ACCESS_ERROR');
  context.record.chatId = chat.id;
  return model.addMessage(chat, auth.userId, text, context.now).id;
}

/** `im.message.update`: an edit by the author hides their indicator (cause `edit`). */
function messageUpdate(raw: Params, context: MethodContext): unknown {
  const params = upperKeys(raw);
  const { model, auth } = context;
  context.record.senderId = auth.userId;
  const messageId = intval(params.MESSAGE_ID);
  if (messageId <= 0) throw restError('MESSAGE_ID_ERROR');
  const message = model.message(messageId);
  if (!message || message.authorId !== auth.userId) throw restError('CANT_EDIT_MESSAGE');
  context.record.chatId = message.chatId;
  model.editMessage(message, stringOf(params.MESSAGE) ?? '', context.now);
  return true;
}

/** `imbot.v2.Chat.Message.send`: the bot's reply, which hides the bot's indicator in that chat. */
function chatMessageSend(params: Params, context: MethodContext): unknown {
  const bot = resolveBotV2(params, context);
  const chat = resolveDialogV2(params, bot, context);
  const fields = recordOf(params.fields);
  let text = stringOf(fields?.message) ?? '';
  if (phpTrim(text) === '' && fields?.attach === undefined) throw restError('EMPTY_MESSAGE');
  // §4.3 counts characters: code points, as PHP's mb_ functions do. UTF-16 units would cut astral text (emoji) at
  // half the limit, and slicing them could split a surrogate pair.
  if (text.length > MAX_MESSAGE) {
    const chars = Array.from(text);
    if (chars.length > MAX_MESSAGE) text = `${chars.slice(0, MAX_MESSAGE).join('')} (...)`;
  }
  const message = context.model.addMessage(chat, bot.id, text, context.now);
  return { id: message.id, uuidMap: {} };
}

/** `im.dialog.messages.get`'s page size: 20 unless `LIMIT` says otherwise, never above 50 (restdocs-ru). */
const HISTORY_LIMIT = { default: 20, max: 50 } as const;

/**
 * A message id parameter of `im.dialog.messages.get`, which the source checks with `preg_match('/^\d{1,}$/i', …)`:
 * digits only (PCRE's `$` lets one final newline through), so a sign, a fraction or a word is refused with `code`.
 */
function historyId(value: unknown, code: 'FIRST_ID_STRING' | 'LAST_ID_STRING'): number {
  const text = stringOf(value);
  if (text === null || !/^\d+\n?$/.test(text)) throw restError(code);
  return intval(text);
}

/** Index of the first of `messages` (in id order) whose id is `id` or more: a chat's history is long in a long run. */
function firstAtOrAbove(messages: readonly Message[], id: number): number {
  let low = 0;
  let high = messages.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (messages[mid]!.id < id) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** A message as `im.dialog.messages.get` lists it: `params` only says what the model has, an edit. */
function historyMessage(message: Message): Record<string, unknown> {
  return {
    id: message.id,
    chat_id: message.chatId,
    author_id: message.authorId,
    date: isoSeconds(message.date),
    text: message.text,
    params: message.edited ? { IS_EDITED: 'Y' } : null,
  };
}

/** An author of the listed messages, in the page's snake_case user shape, as far as the model knows them. */
function historyUser(model: ChatModel, userId: number): Record<string, unknown> {
  const user = model.users.get(userId);
  return {
    id: userId,
    active: true,
    name: model.displayName(userId),
    first_name: user?.name ?? '',
    last_name: user?.lastName ?? '',
    work_position: user?.workPosition ?? '',
    bot: user?.botId != null,
    type: user?.botId != null ? 'bot' : 'user',
  };
}

/**
 * `im.dialog.messages.get`: a page of a dialog's history. Without `FIRST_ID` the newest first, below `LAST_ID` when
 * given (paging back); with `FIRST_ID` those above it, oldest first (paging forward; 0 is from the start). Checks in the
 * source's order (`CIMRestService::dialogMessagesGet`): the dialog id, the caller's access (`Dialog::hasAccess`, as for
 * `im.dialog.writing`), then `FIRST_ID`, or else `LAST_ID`. A read: nothing is created, so a private dialog never
 * written in has no chat (`chat_id` 0) and no messages.
 */
function dialogMessagesGet(raw: Params, context: MethodContext): unknown {
  const params = upperKeys(raw);
  const { model, auth } = context;
  const dialogId = stringOf(params.DIALOG_ID) ?? '';
  context.record.dialogId = dialogId;
  if (!isDialogId(dialogId)) throw restError('DIALOG_ID_EMPTY');
  if (!hasDialogAccess(model, dialogId, auth.userId)) {
    throw restError('ACCESS_ERROR', 'You do not have access to the specified dialog');
  }
  const forward = isset(params.FIRST_ID);
  const from = forward
    ? historyId(params.FIRST_ID, 'FIRST_ID_STRING')
    : isset(params.LAST_ID)
      ? historyId(params.LAST_ID, 'LAST_ID_STRING')
      : 0;
  const asked = isset(params.LIMIT) ? intval(params.LIMIT) : HISTORY_LIMIT.default;
  const limit = asked < 1 ? HISTORY_LIMIT.default : Math.min(asked, HISTORY_LIMIT.max);
  const chat = model.resolveDialog(withoutFinalNewline(dialogId), auth.userId, { allowSg: true, create: false });
  context.record.chatId = chat?.id ?? null;
  const all = chat ? model.chatMessages(chat.id) : [];
  let page: readonly Message[];
  if (forward) {
    const start = firstAtOrAbove(all, from + 1);
    page = all.slice(start, start + limit);
  } else {
    const end = from > 0 ? firstAtOrAbove(all, from) : all.length;
    page = all.slice(Math.max(0, end - limit), end).reverse();
  }
  const authors = [...new Set(page.map((m) => m.authorId).filter((id) => id > 0))];
  return {
    chat_id: chat?.id ?? 0,
    messages: page.map(historyMessage),
    users: authors.map((id) => historyUser(model, id)),
    files: [],
  };
}

export const MESSAGE_METHODS: readonly MethodDefinition[] = [
  { name: 'im.message.add', scope: 'im', handler: messageAdd },
  { name: 'im.message.update', scope: 'im', handler: messageUpdate },
  { name: 'im.dialog.messages.get', scope: 'im', handler: dialogMessagesGet },
  { name: 'imbot.v2.Chat.Message.send', scope: 'imbot', handler: chatMessageSend, subject: subjectV2 },
];
