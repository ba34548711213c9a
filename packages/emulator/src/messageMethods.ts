import { restError } from './errorCatalog';
import type { MethodContext, MethodDefinition } from './methodContext';
import { intval, phpTrim, recordOf, stringOf, upperKeys } from './paramValues';
import type { Params } from './phpQuery';
import { resolveBotV2, resolveDialogV2, subjectV2 } from './resolveBot';

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

export const MESSAGE_METHODS: readonly MethodDefinition[] = [
  { name: 'im.message.add', scope: 'im', handler: messageAdd },
  { name: 'im.message.update', scope: 'im', handler: messageUpdate },
  { name: 'imbot.v2.Chat.Message.send', scope: 'imbot', handler: chatMessageSend, subject: subjectV2 },
];
