import type { Chat, ChatModel, Message } from './ChatModel';
import { restError } from './errorCatalog';
import { RestError } from './RestError';
import { chatIdOf, hasDialogAccess, isChatId, isDialogId } from './indicatorMethods';
import type { AuthContext, CallRecord, MethodContext, MethodDefinition } from './methodContext';
import { checkAttach, checkSetAttach } from './checkAttach';
import { type Button, checkKeyboard, keyboardOf } from './checkKeyboard';
import { checkMenu, menuOf } from './checkMenu';
import {
  charLength,
  intval,
  isset,
  phpEmpty,
  phpTrim,
  recordOf,
  stringOf,
  upperKeys,
  withoutFinalNewline,
} from './paramValues';
import type { Params } from './phpQuery';
import { resolveBotV1, resolveBotV2, resolveDialogV2, subjectBotV1, subjectV2 } from './resolveBot';
import { isoSeconds } from './timeBlock';

const MAX_MESSAGE = 20_000;

/**
 * The legacy senders' cut (`CIMMessenger::Update`, `\Bitrix\Im\V2\Message::setMessage`): a text past 20,006
 * characters (`mb_strlen`: code points) keeps its first 20,000 and ` (...)`; up to 20,006 it is kept whole.
 */
function cutPastLimit(text: string): string {
  if (charLength(text) <= MAX_MESSAGE + 6) return text;
  return `${Array.from(text).slice(0, MAX_MESSAGE).join('')} (...)`;
}

/**
 * The text `im.message.add` stores. `CIMMessenger::Add` sends a chat or private message (not `MESSAGE_TYPE` 'S') as
 * `new \Bitrix\Im\V2\Message($arFields)`, whose `MESSAGE` setter (yuliai/bitrix-modules@026c2eea
 * im/lib/V2/Message.php `setMessage`) turns `[BR]`, `[br]` and `#BR#` into newlines and PHP-trims before it cuts, the
 * other order from `CIMMessenger::Update`: trailing `[BR]`s do not count towards the limit.
 */
function addedText(trimmed: string): string {
  return cutPastLimit(phpTrim(trimmed.replace(/\[BR\]|\[br\]|#BR#/g, '\n')));
}

/**
 * messageAdd's REPLY_ID check (yuliai/bitrix-modules@026c2eea im/classes/general/im_rest.php), which runs only when
 * `isset(REPLY_ID) && (int)REPLY_ID > 0`, on `new \Bitrix\Im\V2\Message((int)REPLY_ID)`: `checkAccess()`
 * (im/lib/V2/Message.php @026c2eea) fails for a message that does not exist and for one in a chat the caller has no
 * access to (here: is not a member of; the start id and tariff limits it also asks about are not modelled), and
 * messageAdd answers REPLY_ACCESS_ERROR 403 "Action unavailable"; then the message's chat must have, for the caller,
 * the dialog id the message goes to (`getChat()->getDialogId() !== (string)DIALOG_ID`: `chatN`, or in a private chat
 * the other user's id, PrivateChat::getDialogId), else REPLY_FROM_OTHER_CHAT_ERROR 403. A deleted message passes: the
 * check does not look at deletion. The source then stores the id as the new message's `REPLY_ID` param, which
 * `im.dialog.messages.get` does not show (`CIMMessageParam::PrepareValues` keeps only the params `GetDefault` lists,
 * and REPLY_ID is not one, im_message_param.php @b2acc890), so the model keeps nothing.
 */
function checkReply(value: unknown, dialogId: string, context: MethodContext): void {
  const { model, auth } = context;
  const reply = repliedTo(value, auth.userId, model);
  if (reply === null) return;
  if (reply === 'missing' || reply === 'no-access') throw restError('REPLY_ACCESS_ERROR');
  if (model.dialogIdFor(reply, auth.userId) !== dialogId) throw restError('REPLY_FROM_OTHER_CHAT_ERROR');
}

/**
 * The message a reply id names, as both send paths read it (messageAdd, and the V2 `ReplyValidator`): nothing to
 * check (null) unless it is set and `(int)` > 0; then `Message::checkAccess` for `userId`: `'missing'` when there is no
 * such message (MessageError::NOT_FOUND), `'no-access'` when its chat does not have `userId` (the chat's own access
 * check; start ids and tariff limits are not modelled); else that chat. A deleted message is still there.
 */
function repliedTo(value: unknown, userId: number, model: ChatModel): Chat | 'missing' | 'no-access' | null {
  if (!isset(value)) return null;
  const replyId = intval(value);
  if (replyId <= 0) return null;
  const message = model.message(replyId);
  if (!message) return 'missing';
  const chat = model.chats.get(message.chatId);
  return chat?.members.has(userId) ? chat : 'no-access';
}

/**
 * `im.message.add` as the calling user: hides the caller's indicator and sends bot events. Checks in the order of the
 * module source (yuliai/bitrix-modules@026c2eea im/classes/general/im_rest.php messageAdd): the message first (a
 * string, not empty once PHP-trimmed, unless ATTACH is not empty()), then the recipient: a set DIALOG_ID becomes
 * CHAT_ID when it is a chat id, else USER_ID (`intval`); USER_ID is asked before CHAT_ID, and neither is PARAMS_ERROR;
 * the CHAT_ID branch's ACCESS_ERROR checks (see below) come next, then ATTACH (checkAttach: a truthy one that is no
 * attach is ATTACH_ERROR, so an empty text cannot ride on a bad one), then KEYBOARD (checkKeyboard: KEYBOARD_ERROR)
 * and MENU (checkMenu: MENU_ERROR), both for the `BOT_ID` param (0 when unset), then REPLY_ID (checkReply), then the
 * send. The text is stored as `CIMMessenger::Add` stores it (addedText), with the keyboard and menu made of the params.
 */
function messageAdd(raw: Params, context: MethodContext): unknown {
  const params = upperKeys(raw);
  const { model, auth } = context;
  context.record.senderId = auth.userId;
  let text = '';
  if (isset(params.MESSAGE)) {
    if (typeof params.MESSAGE !== 'string') throw restError('MESSAGE_EMPTY', 'Wrong message type');
    text = phpTrim(params.MESSAGE);
    if (text === '' && phpEmpty(params.ATTACH)) throw restError('MESSAGE_EMPTY');
  } else if (!isset(params.ATTACH)) {
    throw restError('MESSAGE_EMPTY');
  }
  let userId = params.USER_ID;
  let chatId = params.CHAT_ID;
  if (isset(params.DIALOG_ID)) {
    const given = stringOf(params.DIALOG_ID) ?? '';
    context.record.dialogId = given;
    if (isChatId(given)) chatId = chatIdOf(model, given);
    else userId = intval(params.DIALOG_ID);
  }
  let dialogId: string;
  if (isset(userId)) {
    const id = intval(userId);
    if (id <= 0) throw restError('USER_ID_EMPTY');
    if (!model.users.has(id)) throw restError('USER_NOT_FOUND');
    dialogId = String(id);
  } else if (isset(chatId)) {
    const id = intval(chatId);
    if (id <= 0) throw restError('CHAT_ID_EMPTY');
    dialogId = `chat${id}`;
  } else {
    throw restError('PARAMS_ERROR', 'Incorrect params');
  }
  context.record.dialogId = dialogId;
  // The CHAT_ID branch has two ACCESS_ERROR 403 checks, after CHAT_ID_EMPTY and before ATTACH: "Action unavailable"
  // when the chat is the general one (`CIMChat::GetGeneralChatId()`) and `CanSendMessageToGeneralChat` refuses, then
  // "It is forbidden to send messages to this chat" when `\Bitrix\Im\Chat::isActionAllowed('chatN', 'SEND')` is
  // false. That option is false only for the general chat's entity type (`CIMChat::GetChatOptions`, im_chat.php
  // @026c2eea: every other type merges the default `SEND => true`), and both come down to
  // `GeneralChat::hasManageMessagesAccess` (im/lib/V2/Chat/GeneralChat.php), the general chat's MANAGE_MESSAGES right
  // (its owner, its managers, nobody, or every user). The model has no general chat, no managers and no such right,
  // so neither check can refuse here.
  checkAttach(params.ATTACH);
  const keyboard = checkKeyboard(params.KEYBOARD, intval(params.BOT_ID));
  const menu = checkMenu(params.MENU, intval(params.BOT_ID));
  checkReply(params.REPLY_ID, dialogId, context);
  // The send itself (`CIMMessenger::Add`, im_messenger.php @026c2eea) refuses a chat that does not exist (`NullChat`)
  // and one the caller may not send to (`!$chat->canDo(Action::Send)`: here, not a member) by returning false, and
  // messageAdd answers any false as PARAMS_ERROR "Message isn't added" 400, not ACCESS_ERROR.
  const chat = model.resolveDialog(dialogId, auth.userId, { allowSg: false, create: true });
  if (!chat?.members.has(auth.userId)) throw restError('PARAMS_ERROR', "Message isn't added");
  context.record.chatId = chat.id;
  // A text that only `[BR]`s made non-empty is empty now, and `Chat::sendMessage` refuses a message with no text and
  // no attachment or keyboard (`isCompletelyEmpty`): false again, so the same PARAMS_ERROR.
  const stored = addedText(text);
  if (stored === '' && phpEmpty(params.ATTACH) && !keyboard) {
    throw restError('PARAMS_ERROR', "Message isn't added");
  }
  return model.addMessage(chat, auth.userId, stored, context.now, { keyboard, menu }).id;
}

/** How long an author may edit a message: `CheckPossibilityUpdateMessage` refuses once `DATE_CREATE + 259200 < time()`. */
const EDIT_WINDOW_SEC = 259_200;

/**
 * `CIMMessenger::CheckPossibilityUpdateMessage($type, id, userId)` (yuliai/bitrix-modules@026c2eea im_messenger.php)
 * as far as the model goes, for `IM_CHECK_UPDATE` (`'update'`) and `IM_CHECK_DELETE` (`'delete'`): a positive id and
 * user, a message that exists and is not deleted, written by that user, and for an update under three days old (whole
 * seconds, as the database keeps `DATE_CREATE`); a delete has no age limit. Forwarded, open-line and system messages,
 * the admin's way into the general chat, and the pass a bot caller gets on a deleted message, are not modelled.
 */
function canChange(
  model: ChatModel,
  messageId: number,
  userId: number,
  now: number,
  type: 'update' | 'delete',
): Message | null {
  if (messageId <= 0 || userId <= 0) return null;
  const message = model.message(messageId);
  if (!message) return null;
  if (message.deleted) return null;
  if (type === 'update' && Math.floor(message.date / 1000) + EDIT_WINDOW_SEC < Math.floor(now / 1000)) return null;
  return message.authorId === userId ? message : null;
}

/**
 * `CIMMessenger::Delete(id, userId)`: the delete check, then a soft delete (`DeletionMode::Soft`; the complete delete
 * an admin gets in the general chat is not modelled). False, which every REST caller answers CANT_EDIT_MESSAGE 403,
 * when the check refuses. `userId` is who deletes: the caller, or for the imbot methods the bot.
 */
function deleteMessage(context: MethodContext, messageId: number, userId = context.auth.userId): boolean {
  const { model, now } = context;
  const message = canChange(model, messageId, userId, now, 'delete');
  if (!message) return false;
  context.record.chatId = message.chatId;
  model.deleteMessage(message, now);
  return true;
}

/** The id `im.message.update` and `im.message.delete` act on: `MESSAGE_ID` when set (replacing `ID`), through intval. */
function messageIdOf(params: Params): number {
  const messageId = intval(isset(params.MESSAGE_ID) ? params.MESSAGE_ID : params.ID);
  if (messageId <= 0) throw restError('MESSAGE_ID_ERROR');
  return messageId;
}

/**
 * The text `CIMMessenger::Update` stores: past 20,006 characters (`mb_strlen`) cut to 20,000 and ` (...)`, then
 * `[BR]`/`[br]` as newlines, PHP-trimmed.
 */
function updatedText(raw: string): string {
  return phpTrim(cutPastLimit(raw).replace(/\[BR\]|\[br\]/g, '\n'));
}

/**
 * What im.message.update makes a message's KEYBOARD or MENU: an empty() value or `'N'` clears it (null); any other
 * must make buttons (`make`: keyboardOf, menuOf), else `code` 400. messageUpdate sets each as it goes, so a KEYBOARD
 * set before a MENU that is refused stays set, as `CIMMessageParam::Set` has already stored it.
 */
function changedButtons(
  value: unknown,
  make: (value: unknown) => Button[] | null,
  code: 'KEYBOARD_ERROR' | 'menu_ERROR',
): Button[] | null {
  if (phpEmpty(value) || value === 'N') return null;
  const buttons = make(value);
  if (!buttons) throw restError(code);
  return buttons;
}

/**
 * `im.message.update`, in the order of the module source (yuliai/bitrix-modules@026c2eea im_rest.php messageUpdate):
 * `MESSAGE_ID` (else `ID`) through `intval`, MESSAGE_ID_ERROR 400 if not > 0; then each part that is set is checked
 * with `CheckPossibilityUpdateMessage`, once: ATTACH and KEYBOARD as the caller, MENU (when neither came first) with
 * `MESSAGE_ID` as `BOT_ID` (the caller when it is not set: `is_null`); then `MESSAGE` goes through `CIMMessenger::Update`, which checks again. Every refusal is
 * CANT_EDIT_MESSAGE 403. With none of them set nothing is checked and the answer is `true`. ATTACH is checked, not
 * stored: the model has no attachments. An ATTACH that is not empty() or 'N' must then be an attach, as for
 * im.message.add (checkAttach: ATTACH_ERROR 400), before KEYBOARD, MENU or MESSAGE are looked at. KEYBOARD and MENU
 * replace the message's keyboard and menu, or clear them (changedButtons: KEYBOARD_ERROR, `menu_ERROR` 400). An edit
 * of the text by the author hides their indicator (cause `edit`).
 * A text that `Update` makes empty (`if ($text == '') return self::Delete(…)`) deletes the message instead, with the
 * delete check: no three-day limit (the public page says it too: "Если передать пустое значение, сообщение будет
 * удалено", bitrix-tools/b24-rest-docs api-reference/chats/messages/im-message-update.md).
 */
function messageUpdate(raw: Params, context: MethodContext): unknown {
  const params = upperKeys(raw);
  const userId = context.auth.userId;
  context.record.senderId = userId;
  const messageId = messageIdOf(params);
  const botId = intval(params.BOT_ID);
  // MENU's check reads MESSAGE_ID itself (0 when only ID was given) and, when BOT_ID is set, checks for that user.
  const menuEditor = { messageId: intval(params.MESSAGE_ID), userId: isset(params.BOT_ID) ? botId : userId };
  return applyUpdate(params, context, { messageId, userId, botId, menuEditor });
}

/**
 * Who an update acts as: the message (`messageId`) and its author (`userId`) that ATTACH, KEYBOARD and MESSAGE are
 * checked for, the `BOT_ID` the new buttons are made for (`botId`), and the pair MENU is checked for (`menuEditor`).
 */
interface Editor {
  messageId: number;
  userId: number;
  botId: number;
  menuEditor: { messageId: number; userId: number };
}

/**
 * The part after the id checks that `messageUpdate` and `botMessageUpdate` share (the same code in the module
 * source): each part that is set is checked with `CheckPossibilityUpdateMessage`, once (see messageUpdate); ATTACH
 * checked, not stored; KEYBOARD and MENU replaced or cleared (changedButtons); MESSAGE through `CIMMessenger::Update`,
 * which checks again, and deletes a message whose text it makes empty. `true`.
 */
function applyUpdate(params: Params, context: MethodContext, editor: Editor): true {
  const { model, now } = context;
  const { messageId, userId, botId, menuEditor } = editor;
  let checked: Message | null | undefined;
  const check = (id: number, checkedFor: number): void => {
    checked ??= canChange(model, id, checkedFor, now, 'update');
    if (!checked) throw restError('CANT_EDIT_MESSAGE');
    context.record.chatId = checked.chatId;
  };
  if (isset(params.ATTACH)) {
    check(messageId, userId);
    // `empty(ATTACH) || ATTACH == 'N'` clears the attach; anything else must be one.
    if (params.ATTACH !== 'N') checkAttach(params.ATTACH);
  }
  if (isset(params.KEYBOARD)) {
    check(messageId, userId);
    checked!.keyboard = changedButtons(params.KEYBOARD, (value) => keyboardOf(value, botId), 'KEYBOARD_ERROR');
  }
  // The menu is set on MENU's own message id, which is the checked message unless ATTACH or KEYBOARD checked
  // another (im.message.update's `ID`) first.
  if (isset(params.MENU)) {
    check(menuEditor.messageId, menuEditor.userId);
    const menu = changedButtons(params.MENU, (value) => menuOf(value, botId), 'menu_ERROR');
    if (checked!.id === menuEditor.messageId) checked!.menu = menu;
  }
  if (isset(params.MESSAGE)) {
    const text = updatedText(stringOf(params.MESSAGE) ?? '');
    if (text === '') {
      if (!deleteMessage(context, messageId, userId)) throw restError('CANT_EDIT_MESSAGE');
      return true;
    }
    const message = canChange(model, messageId, userId, now, 'update');
    if (!message) throw restError('CANT_EDIT_MESSAGE');
    context.record.chatId = message.chatId;
    model.editMessage(message, text, now);
  }
  return true;
}

/**
 * `im.message.delete` (yuliai/bitrix-modules@026c2eea im_rest.php messageDelete): `MESSAGE_ID` (else `ID`) through
 * `intval`, MESSAGE_ID_ERROR 400 if not > 0; then `CIMMessenger::Delete`, whose false is CANT_EDIT_MESSAGE 403
 * (the caller's own message, not deleted yet, of any age). `true`.
 */
function messageDelete(raw: Params, context: MethodContext): unknown {
  const params = upperKeys(raw);
  context.record.senderId = context.auth.userId;
  if (!deleteMessage(context, messageIdOf(params))) throw restError('CANT_EDIT_MESSAGE');
  return true;
}

/**
 * `fields.replyId` of `imbot.v2.Chat.Message.send`, as `FieldsValidationService::checkReply` asks `ReplyValidator`
 * (yuliai/bitrix-modules@026c2eea im/lib/V2/Message/Reply/ReplyValidator.php): nothing unless `(int)` > 0 (repliedTo,
 * as for im.message.add); a message that does not exist is MESSAGE_NOT_FOUND; one in a chat the bot is not in fails
 * the chat's access check, ACCESS_DENIED "Access denied" as the send's own chat check answers it (resolveDialogV2);
 * one of another chat than the one posted to (chat ids compared, not dialog ids) is REPLY_ERROR "You can only reply to
 * a message within the same chat". imbot.v2 errors are 400 (reference §1.3). The v2 page documents `replyId` (the
 * message the bot answers) but none of these codes.
 */
function checkReplyV2(value: unknown, botId: number, chat: Chat, model: ChatModel): void {
  const reply = repliedTo(value, botId, model);
  if (reply === null) return;
  if (reply === 'missing') throw restError('MESSAGE_NOT_FOUND');
  if (reply === 'no-access') throw new RestError('ACCESS_DENIED', 'Access denied', 400);
  if (reply.id !== chat.id) throw restError('REPLY_ERROR');
}

/**
 * `imbot.v2.Chat.Message.send`: the bot's reply, which hides the bot's indicator in that chat. The imbot controller
 * (yuliai/bitrix-modules imbot/lib/V2/Controller/Chat/Message.php `sendAction`, read at @e0668513 and @8c347630) runs
 * its chat access prefilter first (resolveDialogV2), then `FieldsValidationService::prepareFields` (@026c2eea):
 * `checkMessage` (a set message must be a string, EMPTY_MESSAGE "Wrong message type"; PHP-trimmed, before any `[BR]`
 * is converted, it may be empty only with an ATTACH that is not empty(); no message at all needs an ATTACH that is
 * set), then `checkAttach` (checkSetAttach: every set attach must be one, ATTACH_ERROR), `checkKeyboard` (an
 * empty() `keyboard` is none, any other must be one: KEYBOARD_ERROR, checkKeyboard; the controller sets `BOT_ID` to the
 * bot, so its buttons are the bot's) and `checkReply` (checkReplyV2). `fields.menu` is not among the fields the
 * controller passes on (`ALLOWED_FIELDS_SEND`), so it is neither checked nor kept. It then sends through
 * `\CIMMessenger::Add`, which stores the text as for im.message.add (addedText). A text that only `[BR]`s made
 * non-empty is then refused by `Chat::sendMessage` and `Add` returns false: SENDING_FAILED.
 */
function chatMessageSend(params: Params, context: MethodContext): unknown {
  const bot = resolveBotV2(params, context);
  const chat = resolveDialogV2(params, bot, context);
  const fields = recordOf(params.fields);
  let text = '';
  if (isset(fields?.message)) {
    if (typeof fields?.message !== 'string') throw restError('EMPTY_MESSAGE', 'Wrong message type');
    text = phpTrim(fields.message);
    if (text === '' && phpEmpty(fields.attach)) throw restError('EMPTY_MESSAGE');
  } else if (!isset(fields?.attach)) {
    throw restError('EMPTY_MESSAGE');
  }
  checkSetAttach(fields?.attach);
  const keyboard = checkKeyboard(fields?.keyboard, bot.id);
  checkReplyV2(fields?.replyId, bot.id, chat, context.model);
  const stored = addedText(text);
  if (stored === '' && phpEmpty(fields?.attach) && !keyboard) throw restError('SENDING_FAILED');
  const message = context.model.addMessage(chat, bot.id, stored, context.now, { keyboard });
  return { id: message.id, uuidMap: {} };
}

/**
 * The chat `Bot::addMessage` (yuliai/bitrix-modules im/lib/bot.php, as stored) sends a legacy bot's message to, or
 * null where it returns false: an `isChatId` dialog id is `Dialog::getChatId`'s chat (`chatN`, `sgN` the workgroup's;
 * 0 is false), which must exist and have the bot among its members (`CIMMessenger::Add` refuses a `NullChat` and a
 * chat the author may not send to, as for im.message.add); any other is `intval`'s user, whose private chat with the
 * bot `CIMMessage::Add` creates when missing (none for an unknown user or the bot itself).
 */
function botMessageChat(model: ChatModel, dialogId: string, botId: number): Chat | null {
  if (isChatId(dialogId)) {
    const chat = model.chats.get(chatIdOf(model, dialogId));
    return chat?.members.has(botId) ? chat : null;
  }
  const userId = intval(dialogId);
  if (!model.users.has(userId)) return null;
  return model.resolveDialog(String(userId), botId, { allowSg: false, create: true });
}

/**
 * `imbot.message.add` (deprecated v1; bitrix-tools/b24-rest-docs api-reference/chat-bots/outdated/messages/
 * imbot-message-add.md), in the order of the module source (yuliai/bitrix-modules@026c2eea im_rest.php
 * botMessageAdd): the bot (resolveBotV1: ACCESS_DENIED 403, BOT_ID_ERROR, APP_ID_ERROR), `DIALOG_ID` (isDialogId, else
 * DIALOG_ID_EMPTY), `MESSAGE` (a string, not empty once PHP-trimmed, else MESSAGE_EMPTY "Message can't be empty":
 * unlike im.message.add, an ATTACH does not stand in for it), then ATTACH (checkAttach), KEYBOARD and MENU (checkKeyboard,
 * checkMenu, both for the bot). `Bot::addMessage` then sends as the bot (botMessageChat); its false, and a text that
 * only `[BR]`s made non-empty with no ATTACH or KEYBOARD (`Chat::sendMessage` refuses it), are WRONG_REQUEST
 * "Message isn't added" 400. The text is stored as for im.message.add (addedText); `SYSTEM` 'Y' into a chat first puts
 * the bot's full name and `:[br]` before it, as `Bot::addMessage` does (the system flag itself is not modelled). The
 * message hides the bot's indicator in that chat (the legacy path's `imbot.chat.sendTyping`, as v2's send does) and is
 * heard by no bot (a bot's message never is). Result: the message id. Not modelled: the `FROM_USER_ID` +
 * `TO_USER_ID` system message to a private dialog (so `DIALOG_ID` is always required), `URL_PREVIEW`,
 * `SKIP_CONNECTOR`, the general chat's send right.
 */
function botMessageAdd(raw: Params, context: MethodContext): unknown {
  const params = upperKeys(raw);
  const { model } = context;
  const bot = resolveBotV1(params, context);
  const dialogId = stringOf(params.DIALOG_ID) ?? '';
  context.record.dialogId = dialogId;
  if (!isDialogId(dialogId)) throw restError('DIALOG_ID_EMPTY');
  const text = typeof params.MESSAGE === 'string' ? phpTrim(params.MESSAGE) : '';
  if (text === '') throw restError('MESSAGE_EMPTY', "Message can't be empty");
  checkAttach(params.ATTACH);
  const keyboard = checkKeyboard(params.KEYBOARD, bot.id);
  const menu = checkMenu(params.MENU, bot.id);
  const chat = botMessageChat(model, dialogId, bot.id);
  if (!chat) throw restError('WRONG_REQUEST', "Message isn't added");
  context.record.chatId = chat.id;
  const system = params.SYSTEM === 'Y' && isChatId(dialogId);
  const stored = addedText(system ? `${model.displayName(bot.id)}:[br]${text}` : text);
  if (stored === '' && phpEmpty(params.ATTACH) && !keyboard) throw restError('WRONG_REQUEST', "Message isn't added");
  return model.addMessage(chat, bot.id, stored, context.now, { keyboard, menu }).id;
}

/** The `MESSAGE_ID` the legacy bot update and delete act on, through intval: MESSAGE_ID_ERROR 400 if not > 0. */
function botMessageIdOf(params: Params): number {
  const messageId = intval(params.MESSAGE_ID);
  if (messageId <= 0) throw restError('MESSAGE_ID_ERROR');
  return messageId;
}

/**
 * `imbot.message.update` (deprecated v1; …/outdated/messages/imbot-message-update.md; yuliai/bitrix-modules@026c2eea
 * im_rest.php botMessageUpdate): the bot (resolveBotV1), `MESSAGE_ID` only (botMessageIdOf; there is no `ID`), then
 * im.message.update's checks and changes (applyUpdate) with the bot as the author every part is checked for, MENU
 * included, and as the keyboard's and menu's `BOT_ID`: CANT_EDIT_MESSAGE 403 for a message that is not the bot's, is
 * unknown, deleted or over three days old. An edit of the text hides the bot's indicator (cause `edit`); a text
 * `CIMMessenger::Update` makes empty deletes the message. `true`.
 */
function botMessageUpdate(raw: Params, context: MethodContext): unknown {
  const params = upperKeys(raw);
  const bot = resolveBotV1(params, context);
  const messageId = botMessageIdOf(params);
  const menuEditor = { messageId, userId: bot.id };
  return applyUpdate(params, context, { messageId, userId: bot.id, botId: bot.id, menuEditor });
}

/**
 * `imbot.message.delete` (deprecated v1; …/outdated/messages/imbot-message-delete.md; yuliai/bitrix-modules@026c2eea
 * im_rest.php botMessageDelete): the bot (resolveBotV1), `MESSAGE_ID` (botMessageIdOf), then `CIMMessenger::Delete` as
 * the bot, whose false is CANT_EDIT_MESSAGE 403 (not the bot's message, unknown, or deleted already). A soft delete,
 * as im.message.delete's; `COMPLETE` 'Y' (a complete delete) is not modelled. `true`.
 */
function botMessageDelete(raw: Params, context: MethodContext): unknown {
  const params = upperKeys(raw);
  const bot = resolveBotV1(params, context);
  if (!deleteMessage(context, botMessageIdOf(params), bot.id)) throw restError('CANT_EDIT_MESSAGE');
  return true;
}

/**
 * Whose legacy bot message call a refused one was: the bot (subjectBotV1) and, for `imbot.message.add`, the dialog as
 * passed and the chat it names, without creating a private one.
 */
function botMessageSubject(raw: Params, auth: AuthContext | null, model: ChatModel, record: CallRecord): void {
  const params = upperKeys(raw);
  subjectBotV1(params, auth, model, record);
  if (!isset(params.DIALOG_ID)) return;
  const dialogId = stringOf(params.DIALOG_ID) ?? '';
  record.dialogId = dialogId;
  if (!isDialogId(dialogId)) return;
  const chat = model.resolveDialog(withoutFinalNewline(dialogId), record.senderId ?? 0, {
    allowSg: true,
    create: false,
  });
  record.chatId = chat?.id ?? null;
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

/**
 * A message as `im.dialog.messages.get` lists it: `params` only says what the model has, an edit, a KEYBOARD or MENU
 * (the buttons the send kept; both are params `CIMMessageParam::GetDefault` lists), or a deletion (a soft delete
 * leaves `IS_DELETED` as the only param; `\Bitrix\Im\Chat::getMessages` lists deleted messages like others).
 */
function historyMessage(message: Message): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  if (message.deleted) params.IS_DELETED = 'Y';
  else {
    if (message.edited) params.IS_EDITED = 'Y';
    if (message.keyboard) params.KEYBOARD = message.keyboard;
    if (message.menu) params.MENU = message.menu;
  }
  return {
    id: message.id,
    chat_id: message.chatId,
    author_id: message.authorId,
    date: isoSeconds(message.date),
    text: message.text,
    params: Object.keys(params).length > 0 ? params : null,
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
 * The dialog `im.dialog.messages.get` reads. Unlike dialogWriting, CHAT_ID comes first and wins
 * (yuliai/bitrix-modules@026c2eea im/classes/general/im_rest.php dialogMessagesGet: `if (isset($arParams['CHAT_ID']) &&
 * intval($arParams['CHAT_ID']) > 0) $arParams['DIALOG_ID'] = 'chat'.$arParams['CHAT_ID'];`). The CHAT_ID is appended
 * as sent, not as intval read it, so `1abc` or ` 1` make a dialog id that fails isDialogId; a CHAT_ID that is not > 0
 * is simply ignored, so there is no CHAT_ID_EMPTY here.
 */
function historyDialogId(params: Params): string {
  if (isset(params.CHAT_ID) && intval(params.CHAT_ID) > 0) return `chat${stringOf(params.CHAT_ID)}`;
  return stringOf(params.DIALOG_ID) ?? '';
}

/**
 * `im.dialog.messages.get`: a page of a dialog's history. Without `FIRST_ID` the newest first, below `LAST_ID` when
 * given (paging back); with `FIRST_ID` those above it, oldest first (paging forward; 0 is from the start). Checks in the
 * source's order (`CIMRestService::dialogMessagesGet`): CHAT_ID over DIALOG_ID, the dialog id, the caller's access
 * (`Dialog::hasAccess`, as for `im.dialog.writing`), then `FIRST_ID`, or else `LAST_ID`. A read: nothing is created,
 * so a private dialog never written in has no chat (`chat_id` 0) and no messages.
 */
function dialogMessagesGet(raw: Params, context: MethodContext): unknown {
  const params = upperKeys(raw);
  const { model, auth } = context;
  const dialogId = historyDialogId(params);
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
  { name: 'im.message.delete', scope: 'im', handler: messageDelete },
  { name: 'im.dialog.messages.get', scope: 'im', handler: dialogMessagesGet },
  { name: 'imbot.v2.Chat.Message.send', scope: 'imbot', handler: chatMessageSend, subject: subjectV2 },
  { name: 'imbot.message.add', scope: 'imbot', handler: botMessageAdd, subject: botMessageSubject },
  { name: 'imbot.message.update', scope: 'imbot', handler: botMessageUpdate, subject: botMessageSubject },
  { name: 'imbot.message.delete', scope: 'imbot', handler: botMessageDelete, subject: botMessageSubject },
];
