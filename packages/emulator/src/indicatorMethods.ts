import { type ChatModel, STATUS_TEXTS } from './ChatModel';
import { restError } from './errorCatalog';
import type { AuthContext, CallRecord, MethodContext, MethodDefinition } from './methodContext';
import { intArgument, intval, isset, stringOf, upperKeys, withoutFinalNewline } from './paramValues';
import type { Params } from './phpQuery';
import { resolveBotV1, resolveBotV2, resolveDialogV2, subjectBotV1, subjectV2 } from './resolveBot';

/**
 * `\Bitrix\Im\Common::isDialogId` (reference §1.1): `$id && preg_match('/^([0-9]{1,}|(chat|sg|crm)[0-9]{1,})$/i', $id)`.
 * PHP's truthiness refuses `0` before the pattern is tried, and PCRE's `$` also matches before one final "\n", so
 * `2\n` passes on a portal where a JavaScript `$` would refuse it.
 */
export function isDialogId(dialogId: string): boolean {
  return dialogId !== '0' && /^([0-9]+|(chat|sg|crm)[0-9]+)\n?$/i.test(dialogId);
}

/**
 * `\Bitrix\Im\Common::isChatId`: `/^(chat|sg|crm)[0-9]{1,}$/i`, any case, with PCRE's `$` letting one final "\n"
 * through. `Dialog::getChatId` (chatIdOf) reads such an id; any other dialog id names a user.
 */
export function isChatId(dialogId: string): boolean {
  return /^(chat|sg|crm)\d+\n?$/i.test(dialogId);
}

/**
 * `\Bitrix\Im\Dialog::getChatId` for an id that passed isChatId: `chat<N>` is N (whether or not that chat exists),
 * `sg<N>` the workgroup's chat, `crm<N>` nothing (only `crm|TYPE|ID` names a CRM chat); 0 for none.
 */
export function chatIdOf(model: ChatModel, dialogId: string): number {
  const id = withoutFinalNewline(dialogId);
  const chat = /^chat(\d+)$/i.exec(id);
  if (chat) return Number(chat[1]);
  if (/^sg\d+$/i.test(id)) return model.resolveDialog(id, 0, { allowSg: true, create: false })?.id ?? 0;
  return 0;
}

/**
 * `CIMMessenger::StartWriting`'s `$dialogId == $userId` (PHP 8, `$userId` an int) for a dialog id that passed
 * isDialogId and has no `chat` prefix: a numeric string compares as a number (`01`, `1\n` are user 1), anything else
 * (`sg1`, `CHAT1`) as a string, never equal to a user id.
 */
function isOwnDialog(dialogId: string, userId: number): boolean {
  return /^\d+\n?$/.test(dialogId) && intval(dialogId) === userId;
}

/**
 * The chat `CIMMessenger::StartWriting` reaches (reference §1.1). Only a lower-case `chat` prefix names a chat (its
 * `mb_substr($dialogId, 0, 4) == 'chat'` is case-sensitive, unlike isDialogId; `Dialog::getChatId` then reads it with
 * a PCRE `$`, so one final "\n" is allowed); anything else goes through intval(), so `02` is user 2 and `CHAT1`,
 * `sg1` and `crm1` are user 0: no chat.
 */
function startWritingChat(model: ChatModel, dialogId: string, senderId: number, create = true) {
  const options = { allowSg: false, create };
  if (dialogId.startsWith('chat')) return model.resolveDialog(withoutFinalNewline(dialogId), senderId, options);
  const userId = intval(dialogId);
  return userId > 0 ? model.resolveDialog(String(userId), senderId, options) : null;
}

/**
 * The dialog `im.dialog.writing` is for: `DIALOG_ID` as given, else `chat<CHAT_ID>`; null when neither names one.
 * "Given" is the source's `isset`, so `DIALOG_ID: null` falls through to `CHAT_ID` (reference §1.1).
 */
function writingDialogId(params: Params): string | null {
  if (isset(params.DIALOG_ID)) return stringOf(params.DIALOG_ID) ?? '';
  const chatId = intval(params.CHAT_ID);
  return chatId > 0 ? `chat${chatId}` : null;
}

/** dialogWriting's text when `Dialog::hasAccess` fails; StartWriting's own refusals keep the catalog's text. */
const NO_DIALOG_ACCESS = "You don't have access to this dialog";

/**
 * `\Bitrix\Im\Dialog::hasAccess($dialogId)` for the caller, which dialogWriting asks before StartWriting in the newer
 * module copy (yuliai/bitrix-modules@026c2eea im/classes/general/im_rest.php; the older 8ecc53df has no such check).
 * im/lib/dialog.php: an `isChatId` id (`/^(chat|sg|crm)[0-9]{1,}$/i`, any case, unlike StartWriting) goes through
 * `getChatId` (`chat<N>`, `sg<N>` → the workgroup's chat; `crm` only as `crm|TYPE|ID`, so `crm1` is chat 0) and
 * `V2\Chat::checkAccess`: no chat is NOT_FOUND; a group chat (V2/Chat/GroupChat.php; the emulator has no open chats)
 * needs the caller's relation; a private chat (V2/Chat/PrivateChat.php) asks the companion, which for a caller with no
 * relation is a NullUser, and a NullUser refuses everyone (NullUser.php is not in that copy; read from
 * buynitskysergey/bitrix.modules@a90806c9 im/lib/V2/Entity/User/NullUser.php): so both come down to membership. Any
 * other id is a user: `V2\Entity\User\User::getInstance($id)` is a NullUser when there is no such user, which
 * refuses; oneself and every other user pass (all are intranet users here; `checkAccess` also refuses a caller who
 * does not exist, which an authenticated call here never is). No id at all is `getInstance(null)`: see dialogWriting.
 */
export function hasDialogAccess(model: ChatModel, dialogId: string, userId: number): boolean {
  if (!isChatId(dialogId)) return model.users.has(intval(withoutFinalNewline(dialogId)));
  return model.chats.get(chatIdOf(model, dialogId))?.members.has(userId) ?? false;
}

function showIndicator(
  context: MethodContext,
  chat: Parameters<MethodContext['model']['show']>[0],
  senderId: number,
  code: string | null,
  lifetimeMs: number,
): void {
  const indicator = context.model.show(chat, senderId, code, lifetimeMs, context.now);
  context.record.shown = true;
  context.record.visibleUntil = indicator.visibleUntil;
}

/** `im.dialog.writing`: a user's "is typing" in a chat or private dialog; no duration (client lifetime). */
function dialogWriting(raw: Params, context: MethodContext): unknown {
  const params = upperKeys(raw);
  const userId = context.auth.userId;
  context.record.senderId = userId;
  const dialogId = writingDialogId(params);
  // CHAT_ID_EMPTY only in the source's `isset(CHAT_ID)` branch. With neither id, `Dialog::hasAccess(null)` asks
  // `User::getInstance(null)`, a NullUser, which refuses (the older copy, without the check, reached StartWriting(null)
  // and its "Action unavailable"; reference §1.1).
  if (dialogId === null && isset(params.CHAT_ID)) throw restError('CHAT_ID_EMPTY');
  if (dialogId === null) throw restError('ACCESS_ERROR', NO_DIALOG_ACCESS);
  context.record.dialogId = dialogId;
  if (!isDialogId(dialogId)) throw restError('DIALOG_ID_EMPTY');
  if (!hasDialogAccess(context.model, dialogId, userId)) throw restError('ACCESS_ERROR', NO_DIALOG_ACCESS);
  // CIMMessenger::StartWriting: not yourself, and only `chat<N>` or a user id.
  if (isOwnDialog(dialogId, userId)) throw restError('ACCESS_ERROR');
  const chat = startWritingChat(context.model, dialogId, userId);
  if (!chat) throw restError('ACCESS_ERROR');
  context.record.chatId = chat.id;
  showIndicator(context, chat, userId, null, context.clientLifetimeMs);
  return true;
}

/**
 * Whose `im.dialog.writing` a refused call was: the dialog as passed, the authenticated user, and the chat where it
 * resolves without creating one (a private dialog is relative to its sender: none without one; 0 is nobody).
 */
function dialogWritingSubject(raw: Params, auth: AuthContext | null, model: ChatModel, record: CallRecord): void {
  const dialogId = writingDialogId(upperKeys(raw));
  record.dialogId = dialogId;
  record.senderId = auth?.userId ?? null;
  if (dialogId === null || !isDialogId(dialogId)) return;
  record.chatId = startWritingChat(model, dialogId, auth?.userId ?? 0, false)?.id ?? null;
}

/** `imbot.chat.sendTyping` (deprecated v1): checks in the source's order, then `true` whatever StartWriting did. */
function chatSendTyping(raw: Params, context: MethodContext): unknown {
  const params = upperKeys(raw);
  const botId = resolveBotV1(params, context).id;
  const dialogId = stringOf(params.DIALOG_ID) ?? '';
  context.record.dialogId = dialogId;
  if (!isDialogId(dialogId)) throw restError('DIALOG_ID_EMPTY');
  // Bot::startWriting -> CIMMessenger::StartWriting: chat existence and "not yourself" are its only checks, no
  // membership (reference §1.1), so the members of a chat the bot is not in see it too. Its outcome is ignored.
  const chat = startWritingChat(context.model, dialogId, botId);
  if (chat) {
    context.record.chatId = chat.id;
    showIndicator(context, chat, botId, null, context.clientLifetimeMs);
  }
  return true;
}

/**
 * Whose `imbot.chat.sendTyping` a refused call was: the bot as the legacy calls name it (subjectBotV1), the dialog as
 * passed and the chat it names.
 */
function chatSendTypingSubject(raw: Params, auth: AuthContext | null, model: ChatModel, record: CallRecord): void {
  const params = upperKeys(raw);
  subjectBotV1(params, auth, model, record);
  const dialogId = stringOf(params.DIALOG_ID) ?? '';
  record.dialogId = dialogId;
  if (!isDialogId(dialogId)) return;
  record.chatId = startWritingChat(model, dialogId, record.senderId ?? 0, false)?.id ?? null;
}

/** `imbot.v2.Chat.InputAction.notify`: duration clamped to 1..600, unknown codes degrade to plain typing. */
function inputActionNotify(params: Params, context: MethodContext): unknown {
  const bot = resolveBotV2(params, context);
  const chat = resolveDialogV2(params, bot, context);
  // Absent or null is "no duration"; anything else must pass is_numeric (§1.3), then it is clamped.
  const given = intArgument(params, 'duration');
  const duration = given === undefined ? null : Math.min(600, Math.max(1, given));
  const rawCode = stringOf(params.statusMessageCode);
  const code = rawCode && Object.hasOwn(STATUS_TEXTS, rawCode) ? rawCode : null;
  context.record.durationSec = duration;
  context.record.statusMessageCode = code;
  showIndicator(context, chat, bot.id, code, duration !== null ? duration * 1000 : context.clientLifetimeMs);
  return { result: true };
}

export const INDICATOR_METHODS: readonly MethodDefinition[] = [
  { name: 'im.dialog.writing', scope: 'im', handler: dialogWriting, subject: dialogWritingSubject },
  { name: 'imbot.chat.sendTyping', scope: 'imbot', handler: chatSendTyping, subject: chatSendTypingSubject },
  { name: 'imbot.v2.Chat.InputAction.notify', scope: 'imbot', handler: inputActionNotify, subject: subjectV2 },
];
