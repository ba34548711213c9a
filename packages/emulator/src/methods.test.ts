import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, type Reply } from '../test/http';
import { startEmulator } from './startEmulator';
import type { Emulator } from './types';
import { pngOf } from '../test/pngs';

/**
 * Every method x documented error code x HTTP status (reference §1, §4, §6), one row each. Rows run against one
 * emulator with the rate limit off; each row's setup leaves state the later rows do not depend on.
 */
let emulator: Emulator;
let hook: string;
let hookUser3: string;
let imOnlyHook: string;

beforeAll(async () => {
  emulator = await startEmulator({ plan: 'off' });
  emulator.seed({
    apps: [{ clientId: 'other.app', clientSecret: 'other-secret' }],
    bots: [{ id: 20, code: 'other', name: 'Other', clientId: 'other.app', chats: [1] }],
    // A workgroup chat (`sg7`) of user 1 only, for im.dialog.writing's access check.
    chats: [{ id: 30, title: 'Workgroup', members: [1], workgroupId: 7 }],
    webhooks: [
      { userId: 3, code: 'hookofuser3' },
      { userId: 2, code: 'imonlyhook', scopes: ['im'] },
    ],
  });
  hook = emulator.webhookUrl(1);
  hookUser3 = emulator.webhookUrl(3);
  imOnlyHook = `${emulator.url}/rest/2/imonlyhook/`;
});
afterAll(() => emulator.close());

type Auth = 'webhook' | 'oauth' | 'user3' | 'imonly';
interface Row {
  name: string;
  method: string;
  auth?: Auth;
  params: Record<string, unknown>;
  status: number;
  error?: string;
  /** The `error_description`, where two refusals share a code (ACCESS_ERROR) and only the text tells them apart. */
  description?: string;
  result?: unknown;
}

const AGENT = { botId: 10, botToken: 'agent-bot-token' };
/** `IM_MESSAGE_DELETED`, the text a soft delete leaves (avshatalov48/bitrix-core-business, im lang/en im_messenger.php). */
const DELETED_TEXT = 'This message has been deleted.';
const PNG_6000 = pngOf(6000, 10);

const rows: Row[] = [
  // im.dialog.writing (§1.1)
  { name: 'chat dialog', method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' }, status: 200, result: true },
  { name: 'lower-case key', method: 'im.dialog.writing', params: { dialog_id: 'chat1' }, status: 200, result: true },
  { name: 'private dialog', method: 'im.dialog.writing', params: { DIALOG_ID: '2' }, status: 200, result: true },
  { name: 'CHAT_ID form', method: 'im.dialog.writing', params: { CHAT_ID: 1 }, status: 200, result: true },
  {
    name: 'bad dialog id',
    method: 'im.dialog.writing',
    params: { DIALOG_ID: 'room1' },
    status: 400,
    error: 'DIALOG_ID_EMPTY',
  },
  {
    name: 'empty dialog id',
    method: 'im.dialog.writing',
    params: { DIALOG_ID: '' },
    status: 400,
    error: 'DIALOG_ID_EMPTY',
  },
  // §1.1 [S] dialogWriting (yuliai/bitrix-modules@8ecc53df im/classes/general/im_rest.php): `if
  // (isset($arParams['DIALOG_ID'])) … else if (isset($arParams['CHAT_ID'])) …`, then StartWriting($arParams['DIALOG_ID'])
  // unconditionally. With neither, StartWriting gets null: not `chat…`, not the caller, intval() → 0 → NullChat →
  // false → ACCESS_ERROR 403. CHAT_ID_EMPTY is thrown only inside the CHAT_ID branch.
  { name: 'no dialog at all', method: 'im.dialog.writing', params: {}, status: 403, error: 'ACCESS_ERROR' },
  // `isset` is false for null, so a JSON null is as good as absent: the CHAT_ID branch, or neither.
  {
    name: '§1.1 DIALOG_ID null is not set: neither id',
    method: 'im.dialog.writing',
    params: { DIALOG_ID: null },
    status: 403,
    error: 'ACCESS_ERROR',
  },
  {
    name: '§1.1 DIALOG_ID null is not set: CHAT_ID is read',
    method: 'im.dialog.writing',
    params: { DIALOG_ID: null, CHAT_ID: 1 },
    status: 200,
    result: true,
  },
  {
    name: '§1.1 CHAT_ID null is not set: neither id, not CHAT_ID_EMPTY',
    method: 'im.dialog.writing',
    params: { CHAT_ID: null },
    status: 403,
    error: 'ACCESS_ERROR',
  },
  { name: 'CHAT_ID 0', method: 'im.dialog.writing', params: { CHAT_ID: 0 }, status: 400, error: 'CHAT_ID_EMPTY' },
  {
    // §1.1: CHAT_ID goes through intval(), which skips only C whitespace (" \t\n\v\f\r"): after a no-break space
    // there are no leading digits, so it is 0.
    name: '§1.1 CHAT_ID after a no-break space is intval 0',
    method: 'im.dialog.writing',
    params: { CHAT_ID: '\u00a01' },
    status: 400,
    error: 'CHAT_ID_EMPTY',
  },
  {
    name: '§1.1 CHAT_ID after a tab and a vertical tab is still read',
    method: 'im.dialog.writing',
    params: { CHAT_ID: '\t\x0B1' },
    status: 200,
    result: true,
  },
  { name: 'to yourself', method: 'im.dialog.writing', params: { DIALOG_ID: '1' }, status: 403, error: 'ACCESS_ERROR' },
  { name: 'sg id', method: 'im.dialog.writing', params: { DIALOG_ID: 'sg1' }, status: 403, error: 'ACCESS_ERROR' },
  // How the portal reads DIALOG_ID (yuliai/bitrix-modules@026c2eea): im/classes/general/im_messenger.php
  // CIMMessenger::StartWriting does `else if ($dialogId == $userId) return false;` with `$userId = intval(...)`, a
  // PHP 8 loose comparison, so a numeric string is compared as a number: `01` is user 1, yourself; then
  // `$dialogId = intval($dialogId)`. im/lib/common.php isDialogId is `$id && preg_match('/^(…)$/i', $id)`: PHP's
  // truthiness refuses `0`, and PCRE's `$` also matches before one final "\n"; a leading space fails the pattern.
  {
    name: 'to yourself with a leading zero (== compares numbers)',
    method: 'im.dialog.writing',
    params: { DIALOG_ID: '01' },
    status: 403,
    error: 'ACCESS_ERROR',
  },
  {
    name: 'to yourself as a JSON number',
    method: 'im.dialog.writing',
    params: { DIALOG_ID: 1 },
    status: 403,
    error: 'ACCESS_ERROR',
  },
  {
    name: 'user 0 is falsy to isDialogId',
    method: 'im.dialog.writing',
    params: { DIALOG_ID: '0' },
    status: 400,
    error: 'DIALOG_ID_EMPTY',
  },
  {
    name: 'a leading space fails isDialogId',
    method: 'im.dialog.writing',
    params: { DIALOG_ID: ' 2' },
    status: 400,
    error: 'DIALOG_ID_EMPTY',
  },
  {
    name: 'a final newline passes isDialogId (PCRE $)',
    method: 'im.dialog.writing',
    params: { DIALOG_ID: '2\n' },
    status: 200,
    result: true,
  },
  {
    name: 'to yourself with a final newline',
    method: 'im.dialog.writing',
    params: { DIALOG_ID: '1\n' },
    status: 403,
    error: 'ACCESS_ERROR',
  },
  {
    name: 'chat with a final newline',
    method: 'im.dialog.writing',
    params: { DIALOG_ID: 'chat1\n' },
    status: 200,
    result: true,
  },
  // isDialogId is case-insensitive, but CIMMessenger::StartWriting takes only a lower-case `chat` prefix as a chat and
  // sends anything else through intval(): `CHAT1` is user 0, nobody (§1.1).
  {
    name: 'upper-case CHAT1',
    method: 'im.dialog.writing',
    params: { DIALOG_ID: 'CHAT1' },
    status: 403,
    error: 'ACCESS_ERROR',
  },
  {
    name: 'mixed-case Chat1',
    method: 'im.dialog.writing',
    params: { DIALOG_ID: 'Chat1' },
    status: 403,
    error: 'ACCESS_ERROR',
  },
  {
    name: 'unknown chat',
    method: 'im.dialog.writing',
    params: { DIALOG_ID: 'chat999' },
    status: 403,
    error: 'ACCESS_ERROR',
  },
  {
    name: 'unknown user',
    method: 'im.dialog.writing',
    params: { DIALOG_ID: '999' },
    status: 403,
    error: 'ACCESS_ERROR',
  },
  // Dialog access (yuliai/bitrix-modules@026c2eea, the newer copy: the older 8ecc53df has no such check):
  // im/classes/general/im_rest.php dialogWriting, after the DIALOG_ID / CHAT_ID checks and before StartWriting:
  // `if (!\Bitrix\Im\Dialog::hasAccess($arParams['DIALOG_ID'])) throw new RestException("You don't have access to this
  // dialog", "ACCESS_ERROR", CRestServer::STATUS_FORBIDDEN);`. im/lib/dialog.php hasAccess: for an isChatId id
  // (`/^(chat|sg|crm)[0-9]{1,}$/i`, any case) `V2\Chat::getInstance(getChatId(…))->checkAccess($userId)`: no chat is
  // NOT_FOUND, a group chat needs a relation (im/lib/V2/Chat/GroupChat.php checkAccessInternal); for a user id
  // `V2\Entity\User\User::getInstance($dialogId)->checkAccess($userId)`, which passes for oneself and for intranet
  // users (im/lib/V2/Entity/User/User.php). StartWriting's own refusals keep "Action unavailable".
  {
    name: 'a group chat the caller is not in',
    method: 'im.dialog.writing',
    auth: 'user3',
    params: { DIALOG_ID: 'chat2' },
    status: 403,
    error: 'ACCESS_ERROR',
    description: "You don't have access to this dialog",
  },
  {
    name: 'CHAT_ID of a group chat the caller is not in',
    method: 'im.dialog.writing',
    auth: 'user3',
    params: { CHAT_ID: 2 },
    status: 403,
    error: 'ACCESS_ERROR',
    description: "You don't have access to this dialog",
  },
  {
    name: 'hidden alias: a group chat the caller is not in',
    method: 'im.chat.sendTyping',
    auth: 'user3',
    params: { DIALOG_ID: 'chat2' },
    status: 403,
    error: 'ACCESS_ERROR',
    description: "You don't have access to this dialog",
  },
  {
    name: 'a group chat the caller is in',
    method: 'im.dialog.writing',
    auth: 'user3',
    params: { DIALOG_ID: 'chat1' },
    status: 200,
    result: true,
  },
  {
    name: 'a private dialog with an intranet user (User::checkAccess passes)',
    method: 'im.dialog.writing',
    auth: 'user3',
    params: { DIALOG_ID: '2' },
    status: 200,
    result: true,
  },
  {
    name: 'an unknown chat is no access (NOT_FOUND), not StartWriting',
    method: 'im.dialog.writing',
    params: { DIALOG_ID: 'chat999' },
    status: 403,
    error: 'ACCESS_ERROR',
    description: "You don't have access to this dialog",
  },
  {
    name: 'DIALOG_ID_EMPTY comes before the access check',
    method: 'im.dialog.writing',
    auth: 'user3',
    params: { DIALOG_ID: 'room2' },
    status: 400,
    error: 'DIALOG_ID_EMPTY',
  },
  {
    name: 'yourself passes the access check, StartWriting refuses',
    method: 'im.dialog.writing',
    params: { DIALOG_ID: '1' },
    status: 403,
    error: 'ACCESS_ERROR',
    description: 'Action unavailable',
  },
  {
    name: 'hasAccess reads CHAT2 in any case: no relation',
    method: 'im.dialog.writing',
    auth: 'user3',
    params: { DIALOG_ID: 'CHAT2' },
    status: 403,
    error: 'ACCESS_ERROR',
    description: "You don't have access to this dialog",
  },
  {
    name: 'hasAccess reads CHAT1 in any case: a member passes, StartWriting refuses',
    method: 'im.dialog.writing',
    params: { DIALOG_ID: 'CHAT1' },
    status: 403,
    error: 'ACCESS_ERROR',
    description: 'Action unavailable',
  },
  {
    name: 'sg of a workgroup the caller is in: access, StartWriting refuses',
    method: 'im.dialog.writing',
    params: { DIALOG_ID: 'sg7' },
    status: 403,
    error: 'ACCESS_ERROR',
    description: 'Action unavailable',
  },
  {
    name: 'sg of a workgroup the caller is not in',
    method: 'im.dialog.writing',
    auth: 'user3',
    params: { DIALOG_ID: 'sg7' },
    status: 403,
    error: 'ACCESS_ERROR',
    description: "You don't have access to this dialog",
  },
  {
    name: 'sg of no workgroup chat',
    method: 'im.dialog.writing',
    params: { DIALOG_ID: 'sg1' },
    status: 403,
    error: 'ACCESS_ERROR',
    description: "You don't have access to this dialog",
  },
  {
    // Dialog::getChatId reads only `crm|TYPE|ID`, which isDialogId refuses: `crm1` is chat 0, NOT_FOUND.
    name: 'crm1 names no chat',
    method: 'im.dialog.writing',
    params: { DIALOG_ID: 'crm1' },
    status: 403,
    error: 'ACCESS_ERROR',
    description: "You don't have access to this dialog",
  },
  { name: 'hidden alias', method: 'im.chat.sendTyping', params: { DIALOG_ID: 'chat1' }, status: 200, result: true },
  // imbot.chat.sendTyping (§1.2)
  {
    name: 'no client id',
    method: 'imbot.chat.sendTyping',
    params: { BOT_ID: 10, DIALOG_ID: 'chat1' },
    status: 403,
    error: 'ACCESS_DENIED',
  },
  {
    name: 'ok',
    method: 'imbot.chat.sendTyping',
    params: { BOT_ID: 10, CLIENT_ID: 'agent-bot-token', DIALOG_ID: 'chat1' },
    status: 200,
    result: true,
  },
  {
    name: 'first bot of the app',
    method: 'imbot.chat.sendTyping',
    params: { CLIENT_ID: 'agent-bot-token', DIALOG_ID: 'chat1' },
    status: 200,
    result: true,
  },
  // im/lib/common.php isDialogId (`$id && preg_match(…)`), the same check as im.dialog.writing's: `0` is falsy.
  {
    name: 'user 0 is falsy to isDialogId',
    method: 'imbot.chat.sendTyping',
    params: { BOT_ID: 10, CLIENT_ID: 'agent-bot-token', DIALOG_ID: '0' },
    status: 400,
    error: 'DIALOG_ID_EMPTY',
  },
  {
    name: 'unknown bot',
    method: 'imbot.chat.sendTyping',
    params: { BOT_ID: 999, CLIENT_ID: 'agent-bot-token', DIALOG_ID: 'chat1' },
    status: 400,
    error: 'BOT_ID_ERROR',
  },
  // §1.2 [S] step 2: a BOT_ID that is given (isset) must name a bot; only an omitted one falls back to the first.
  {
    name: 'BOT_ID 0 is given, not omitted',
    method: 'imbot.chat.sendTyping',
    params: { BOT_ID: 0, CLIENT_ID: 'agent-bot-token', DIALOG_ID: 'chat1' },
    status: 400,
    error: 'BOT_ID_ERROR',
  },
  {
    name: 'empty BOT_ID is given, not omitted',
    method: 'imbot.chat.sendTyping',
    params: { BOT_ID: '', CLIENT_ID: 'agent-bot-token', DIALOG_ID: 'chat1' },
    status: 400,
    error: 'BOT_ID_ERROR',
  },
  {
    name: 'BOT_ID "10abc" is no bot key',
    method: 'imbot.chat.sendTyping',
    params: { BOT_ID: '10abc', CLIENT_ID: 'agent-bot-token', DIALOG_ID: 'chat1' },
    status: 400,
    error: 'BOT_ID_ERROR',
  },
  {
    name: 'BOT_ID "10" as a string',
    method: 'imbot.chat.sendTyping',
    params: { BOT_ID: '10', CLIENT_ID: 'agent-bot-token', DIALOG_ID: 'chat1' },
    status: 200,
    result: true,
  },
  {
    name: 'app without bots',
    method: 'imbot.chat.sendTyping',
    params: { CLIENT_ID: 'nobody', DIALOG_ID: 'chat1' },
    status: 400,
    error: 'BOT_ID_ERROR',
  },
  {
    name: 'bot of another app',
    method: 'imbot.chat.sendTyping',
    params: { BOT_ID: 11, CLIENT_ID: 'agent-bot-token', DIALOG_ID: 'chat1' },
    status: 400,
    error: 'APP_ID_ERROR',
  },
  {
    name: 'bad dialog',
    method: 'imbot.chat.sendTyping',
    params: { BOT_ID: 10, CLIENT_ID: 'agent-bot-token', DIALOG_ID: 'x' },
    status: 400,
    error: 'DIALOG_ID_EMPTY',
  },
  {
    name: 'chat without the bot still true',
    method: 'imbot.chat.sendTyping',
    params: { BOT_ID: 10, CLIENT_ID: 'agent-bot-token', DIALOG_ID: 'chat2' },
    status: 200,
    result: true,
  },
  {
    name: 'OAuth app bot',
    method: 'imbot.chat.sendTyping',
    auth: 'oauth',
    params: { BOT_ID: 11, DIALOG_ID: 'chat1' },
    status: 200,
    result: true,
  },
  // imbot.v2.Chat.InputAction.notify (§1.3)
  {
    name: 'ok',
    method: 'imbot.v2.Chat.InputAction.notify',
    params: { ...AGENT, dialogId: 'chat1' },
    status: 200,
    result: { result: true },
  },
  {
    name: 'upper-case bot keys',
    method: 'imbot.v2.Chat.InputAction.notify',
    params: { BOT_ID: 10, BOT_TOKEN: 'agent-bot-token', dialogId: 'chat1' },
    status: 200,
    result: { result: true },
  },
  {
    name: 'deprecated clientId',
    method: 'imbot.v2.Chat.InputAction.notify',
    params: { botId: 10, clientId: 'agent-bot-token', dialogId: 'chat1' },
    status: 200,
    result: { result: true },
  },
  {
    name: 'OAuth without botToken',
    method: 'imbot.v2.Chat.InputAction.notify',
    auth: 'oauth',
    params: { botId: 11, dialogId: 'chat1' },
    status: 200,
    result: { result: true },
  },
  {
    name: 'chatId instead of dialogId',
    method: 'imbot.v2.Chat.InputAction.notify',
    params: { ...AGENT, chatId: 1 },
    status: 200,
    result: { result: true },
  },
  {
    name: 'private dialog with the bot',
    method: 'imbot.v2.Chat.InputAction.notify',
    params: { ...AGENT, dialogId: '2' },
    status: 200,
    result: { result: true },
  },
  {
    name: 'no botToken on webhook',
    method: 'imbot.v2.Chat.InputAction.notify',
    params: { botId: 10, dialogId: 'chat1' },
    status: 400,
    error: 'BOT_TOKEN_NOT_SPECIFIED',
  },
  {
    name: 'no botId',
    method: 'imbot.v2.Chat.InputAction.notify',
    params: { botToken: 'agent-bot-token', dialogId: 'chat1' },
    status: 400,
    error: 'BOT_ID_REQUIRED',
  },
  {
    name: 'unknown bot',
    method: 'imbot.v2.Chat.InputAction.notify',
    params: { botId: 999, botToken: 'agent-bot-token', dialogId: 'chat1' },
    status: 400,
    error: 'BOT_NOT_FOUND',
  },
  {
    name: 'bot of another owner',
    method: 'imbot.v2.Chat.InputAction.notify',
    params: { botId: 11, botToken: 'agent-bot-token', dialogId: 'chat1' },
    status: 400,
    error: 'BOT_OWNERSHIP_ERROR',
  },
  {
    name: 'OAuth app does not own it',
    method: 'imbot.v2.Chat.InputAction.notify',
    auth: 'oauth',
    params: { botId: 20, dialogId: 'chat1' },
    status: 400,
    error: 'BOT_OWNERSHIP_ERROR',
  },
  {
    name: 'bot not in chat',
    method: 'imbot.v2.Chat.InputAction.notify',
    params: { ...AGENT, dialogId: 'chat2' },
    status: 400,
    error: 'ACCESS_DENIED',
  },
  {
    name: 'unknown chat',
    method: 'imbot.v2.Chat.InputAction.notify',
    params: { ...AGENT, dialogId: 'chat999' },
    status: 400,
    error: 'CHAT_NOT_FOUND',
  },
  {
    name: 'unresolvable dialog',
    method: 'imbot.v2.Chat.InputAction.notify',
    params: { ...AGENT, dialogId: 'room' },
    status: 400,
    error: 'CHAT_NOT_FOUND',
  },
  {
    name: 'numeric dialogId in JSON',
    method: 'imbot.v2.Chat.InputAction.notify',
    params: { ...AGENT, dialogId: 2 },
    status: 400,
    error: 'ERROR_ARGUMENT',
  },
  {
    name: 'no dialogId',
    method: 'imbot.v2.Chat.InputAction.notify',
    params: { ...AGENT },
    status: 400,
    error: 'ERROR_ARGUMENT',
  },
  {
    name: 'DIALOGID is case-sensitive',
    method: 'imbot.v2.Chat.InputAction.notify',
    params: { ...AGENT, DIALOG_ID: 'chat1' },
    status: 400,
    error: 'ERROR_ARGUMENT',
  },
  {
    name: 'non-numeric duration',
    method: 'imbot.v2.Chat.InputAction.notify',
    params: { ...AGENT, dialogId: 'chat1', duration: 'soon' },
    status: 400,
    error: 'ERROR_ARGUMENT',
  },
  {
    // §1.3: the binder takes `duration` only if is_numeric, and is_numeric('') is false in PHP: not "no duration".
    name: '§1.3 empty duration is non-numeric, not absent',
    method: 'imbot.v2.Chat.InputAction.notify',
    params: { ...AGENT, dialogId: 'chat1', duration: '' },
    status: 400,
    error: 'ERROR_ARGUMENT',
  },
  {
    // §1.3: is_numeric allows only " \t\n\r\v\f" around the number; a no-break space makes it non-numeric.
    name: '§1.3 duration with a no-break space is non-numeric',
    method: 'imbot.v2.Chat.InputAction.notify',
    params: { ...AGENT, dialogId: 'chat1', duration: '\u00a05' },
    status: 400,
    error: 'ERROR_ARGUMENT',
  },
  {
    name: '§1.3 duration with leading and trailing ASCII whitespace is numeric',
    method: 'imbot.v2.Chat.InputAction.notify',
    params: { ...AGENT, dialogId: 'chat1', duration: ' \f5\n' },
    status: 200,
  },
  // imbot.v2.Chat.Message.send (§4.3)
  {
    name: 'ok',
    method: 'imbot.v2.Chat.Message.send',
    params: { ...AGENT, dialogId: 'chat1', fields: { message: 'Hello' } },
    status: 200,
  },
  {
    name: 'empty message',
    method: 'imbot.v2.Chat.Message.send',
    params: { ...AGENT, dialogId: 'chat1', fields: { message: '  ' } },
    status: 400,
    error: 'EMPTY_MESSAGE',
  },
  {
    name: 'a no-break space is a message (PHP trim)',
    method: 'imbot.v2.Chat.Message.send',
    params: { ...AGENT, dialogId: 'chat1', fields: { message: '\u00a0' } },
    status: 200,
  },
  {
    name: "nothing but PHP trim's characters is empty",
    method: 'imbot.v2.Chat.Message.send',
    params: { ...AGENT, dialogId: 'chat1', fields: { message: '\0\x0B' } },
    status: 400,
    error: 'EMPTY_MESSAGE',
  },
  {
    // FieldsValidationService::checkMessage (@026c2eea): `'' && empty($this->fields['ATTACH'])`, PHP's empty():
    // an attach given as '' or '0' (or []) is none.
    name: 'an empty attach does not make an empty message one',
    method: 'imbot.v2.Chat.Message.send',
    params: { ...AGENT, dialogId: 'chat1', fields: { message: ' ', attach: '' } },
    status: 400,
    error: 'EMPTY_MESSAGE',
  },
  {
    name: 'no fields',
    method: 'imbot.v2.Chat.Message.send',
    params: { ...AGENT, dialogId: 'chat1' },
    status: 400,
    error: 'EMPTY_MESSAGE',
  },
  // The attach as the send path checks it (yuliai/bitrix-modules@026c2eea im/lib/V2/Message/Send/
  // FieldsValidationService.php, run by imbot/lib/V2/Controller/Chat/Message.php sendAction): `checkMessage` refuses a
  // MESSAGE that is not a string, and no MESSAGE only when ATTACH is not set (`!isset`); then `checkAttach` runs
  // `GetAttachByJson` on every ATTACH that is set, and no attach is ATTACH_ERROR "Incorrect attach params", however
  // falsy the ATTACH (im.message.add lets an empty() one through). A JSON null is not set.
  {
    name: 'a message that is not a string (is_string)',
    method: 'imbot.v2.Chat.Message.send',
    params: { ...AGENT, dialogId: 'chat1', fields: { message: 5 } },
    status: 400,
    error: 'EMPTY_MESSAGE',
    description: 'Wrong message type',
  },
  {
    name: 'an attach that is no attach (a plain string), without a message: ATTACH_ERROR',
    method: 'imbot.v2.Chat.Message.send',
    params: { ...AGENT, dialogId: 'chat1', fields: { attach: 'x' } },
    status: 400,
    error: 'ATTACH_ERROR',
    description: 'Incorrect attach params',
  },
  {
    name: 'a text does not excuse a bad attach (a block list of strings)',
    method: 'imbot.v2.Chat.Message.send',
    params: { ...AGENT, dialogId: 'chat1', fields: { message: 'hi', attach: ['card'] } },
    status: 400,
    error: 'ATTACH_ERROR',
  },
  {
    name: 'an empty message with a bad attach is ATTACH_ERROR, not EMPTY_MESSAGE',
    method: 'imbot.v2.Chat.Message.send',
    params: { ...AGENT, dialogId: 'chat1', fields: { message: '', attach: [{ MESSAGE: ' ' }] } },
    status: 400,
    error: 'ATTACH_ERROR',
  },
  {
    name: 'an attach that is set but empty ("") is checked too: ATTACH_ERROR',
    method: 'imbot.v2.Chat.Message.send',
    params: { ...AGENT, dialogId: 'chat1', fields: { message: 'hi', attach: '' } },
    status: 400,
    error: 'ATTACH_ERROR',
  },
  {
    name: 'no message and an attach "": past checkMessage (isset), then ATTACH_ERROR',
    method: 'imbot.v2.Chat.Message.send',
    params: { ...AGENT, dialogId: 'chat1', fields: { attach: '' } },
    status: 400,
    error: 'ATTACH_ERROR',
  },
  {
    name: 'an attach given as JSON null is not set',
    method: 'imbot.v2.Chat.Message.send',
    params: { ...AGENT, dialogId: 'chat1', fields: { message: 'hi', attach: null } },
    status: 200,
  },
  {
    name: 'an attach with BLOCKS and no message is sent',
    method: 'imbot.v2.Chat.Message.send',
    params: { ...AGENT, dialogId: 'chat1', fields: { attach: { BLOCKS: [{ MESSAGE: 'card' }] } } },
    status: 200,
  },
  {
    name: 'the chat access prefilter runs before the attach is checked',
    method: 'imbot.v2.Chat.Message.send',
    params: { ...AGENT, dialogId: 'chat2', fields: { message: 'hi', attach: 'x' } },
    status: 400,
    error: 'ACCESS_DENIED',
  },
  {
    name: 'no botToken',
    method: 'imbot.v2.Chat.Message.send',
    params: { botId: 10, dialogId: 'chat1', fields: { message: 'x' } },
    status: 400,
    error: 'BOT_TOKEN_NOT_SPECIFIED',
  },
  {
    name: 'no botId',
    method: 'imbot.v2.Chat.Message.send',
    params: { botToken: 'agent-bot-token', dialogId: 'chat1', fields: { message: 'x' } },
    status: 400,
    error: 'BOT_ID_REQUIRED',
  },
  {
    name: 'unknown bot',
    method: 'imbot.v2.Chat.Message.send',
    params: { botId: 998, botToken: 'agent-bot-token', dialogId: 'chat1', fields: { message: 'x' } },
    status: 400,
    error: 'BOT_NOT_FOUND',
  },
  {
    name: 'other owner',
    method: 'imbot.v2.Chat.Message.send',
    params: { botId: 20, botToken: 'agent-bot-token', dialogId: 'chat1', fields: { message: 'x' } },
    status: 400,
    error: 'BOT_OWNERSHIP_ERROR',
  },
  {
    name: 'not a member',
    method: 'imbot.v2.Chat.Message.send',
    params: { ...AGENT, dialogId: 'chat2', fields: { message: 'x' } },
    status: 400,
    error: 'ACCESS_DENIED',
  },
  {
    name: 'unknown chat',
    method: 'imbot.v2.Chat.Message.send',
    params: { ...AGENT, dialogId: 'chat77', fields: { message: 'x' } },
    status: 400,
    error: 'CHAT_NOT_FOUND',
  },
  // im.message.add
  { name: 'ok', method: 'im.message.add', params: { DIALOG_ID: 'chat1', MESSAGE: 'hi' }, status: 200 },
  {
    name: 'empty message',
    method: 'im.message.add',
    params: { DIALOG_ID: 'chat1', MESSAGE: '' },
    status: 400,
    error: 'MESSAGE_EMPTY',
  },
  {
    // messageAdd runs PHP's trim(), which strips only " \t\n\r\0\x0B": a no-break space is text, not emptiness.
    name: 'a no-break space is a message (PHP trim)',
    method: 'im.message.add',
    params: { DIALOG_ID: 'chat1', MESSAGE: '\u00a0' },
    status: 200,
  },
  {
    name: "nothing but PHP trim's characters, NUL and vertical tab included, is empty",
    method: 'im.message.add',
    params: { DIALOG_ID: 'chat1', MESSAGE: ' \t\n\r\0\x0B' },
    status: 400,
    error: 'MESSAGE_EMPTY',
  },
  // im.message.add as the module source runs it (yuliai/bitrix-modules@026c2eea im/classes/general/im_rest.php
  // messageAdd): MESSAGE first (`isset` → `is_string` or MESSAGE_EMPTY "Wrong message type" → `trim`, empty without
  // ATTACH → MESSAGE_EMPTY); then a set DIALOG_ID becomes CHAT_ID (`isChatId` → `Dialog::getChatId`) or USER_ID
  // (`intval`); then `if (isset(USER_ID))` (intval <= 0 → USER_ID_EMPTY, no such user → USER_NOT_FOUND "User not
  // found", 400) `else if (isset(CHAT_ID))` (intval <= 0 → CHAT_ID_EMPTY) `else` PARAMS_ERROR "Incorrect params" 400.
  {
    name: 'no dialog at all: PARAMS_ERROR "Incorrect params"',
    method: 'im.message.add',
    params: { MESSAGE: 'hi' },
    status: 400,
    error: 'PARAMS_ERROR',
    description: 'Incorrect params',
  },
  {
    name: 'the message is checked before the dialog',
    method: 'im.message.add',
    params: { MESSAGE: ' ' },
    status: 400,
    error: 'MESSAGE_EMPTY',
  },
  {
    name: 'a message that is not a string (is_string)',
    method: 'im.message.add',
    params: { DIALOG_ID: 'chat1', MESSAGE: 5 },
    status: 400,
    error: 'MESSAGE_EMPTY',
    description: 'Wrong message type',
  },
  {
    name: 'an empty DIALOG_ID is set: intval gives user 0',
    method: 'im.message.add',
    params: { DIALOG_ID: '', MESSAGE: 'hi' },
    status: 400,
    error: 'USER_ID_EMPTY',
  },
  {
    name: 'a DIALOG_ID that is no chat id is read as a user id (intval 0)',
    method: 'im.message.add',
    params: { DIALOG_ID: 'room1', MESSAGE: 'hi' },
    status: 400,
    error: 'USER_ID_EMPTY',
  },
  {
    name: 'an unknown user',
    method: 'im.message.add',
    params: { DIALOG_ID: '999', MESSAGE: 'hi' },
    status: 400,
    error: 'USER_NOT_FOUND',
    description: 'User not found',
  },
  {
    // Dialog::getChatId knows `crm` only as `crm|TYPE|ID`: `crm1` is chat 0.
    name: 'crm1 is chat 0',
    method: 'im.message.add',
    params: { DIALOG_ID: 'crm1', MESSAGE: 'hi' },
    status: 400,
    error: 'CHAT_ID_EMPTY',
  },
  {
    // Dialog::getChatId turns `sg7` into the workgroup's chat (chat 30, user 1 a member).
    name: 'sg<N> posts to the workgroup chat',
    method: 'im.message.add',
    params: { DIALOG_ID: 'sg7', MESSAGE: 'hi' },
    status: 200,
  },
  {
    // DIALOG_ID chat2 sets CHAT_ID, but the USER_ID branch is asked first: a private message to user 1.
    name: 'USER_ID wins over a chat DIALOG_ID',
    method: 'im.message.add',
    auth: 'user3',
    params: { DIALOG_ID: 'chat2', USER_ID: 1, MESSAGE: 'hi' },
    status: 200,
  },
  {
    name: 'USER_ID 0',
    method: 'im.message.add',
    params: { USER_ID: 0, MESSAGE: 'hi' },
    status: 400,
    error: 'USER_ID_EMPTY',
  },
  // A chat the caller may not write to is refused below messageAdd: `CIMMessenger::Add` (im_messenger.php @026c2eea)
  // returns false for a `NullChat` (no such chat) and for `!$chat->canDo(Action::Send)`, and messageAdd answers any
  // false with `RestException("Message isn't added", "PARAMS_ERROR", STATUS_WRONG_REQUEST)`.
  {
    name: 'not a member: the send is refused, PARAMS_ERROR "Message isn\'t added"',
    method: 'im.message.add',
    auth: 'user3',
    params: { DIALOG_ID: 'chat2', MESSAGE: 'hi' },
    status: 400,
    error: 'PARAMS_ERROR',
    description: "Message isn't added",
  },
  {
    name: 'unknown chat (a NullChat): PARAMS_ERROR "Message isn\'t added"',
    method: 'im.message.add',
    params: { DIALOG_ID: 'chat404', MESSAGE: 'hi' },
    status: 400,
    error: 'PARAMS_ERROR',
    description: "Message isn't added",
  },
  {
    name: 'unknown chat by CHAT_ID',
    method: 'im.message.add',
    params: { CHAT_ID: 404, MESSAGE: 'hi' },
    status: 400,
    error: 'PARAMS_ERROR',
    description: "Message isn't added",
  },
  // The CHAT_ID branch's two ACCESS_ERROR 403 checks (messageAdd @026c2eea) both come down to the general chat:
  // `CanSendMessageToGeneralChat`, and `Chat::isActionAllowed('chatN', 'SEND')`, whose `SEND` is false only under
  // `GetChatOptions()['GENERAL']` (im_chat.php @026c2eea: every other entity type, SONET_GROUP included, merges the
  // default `SEND => true`). A workgroup chat the caller is not in is therefore refused by the send, not by them.
  {
    name: 'a workgroup chat (SONET_GROUP) the caller is not in: PARAMS_ERROR, not ACCESS_ERROR',
    method: 'im.message.add',
    auth: 'user3',
    params: { CHAT_ID: 30, MESSAGE: 'hi' },
    status: 400,
    error: 'PARAMS_ERROR',
    description: "Message isn't added",
  },
  // ATTACH as messageAdd reads it (yuliai/bitrix-modules@026c2eea im_rest.php): after the recipient, before the send,
  // `$attach = CIMMessageParamAttach::GetAttachByJson($arParams['ATTACH'])`; no attach and a PHP-truthy ATTACH is
  // ATTACH_ERROR "Incorrect attach params" 400. An empty MESSAGE passes the first check when ATTACH is not empty().
  {
    name: 'an empty message with an ATTACH that is no attach (a plain string): ATTACH_ERROR',
    method: 'im.message.add',
    params: { DIALOG_ID: 'chat1', MESSAGE: '', ATTACH: 'x' },
    status: 400,
    error: 'ATTACH_ERROR',
    description: 'Incorrect attach params',
  },
  {
    name: 'a text does not excuse a bad ATTACH (a number is no array)',
    method: 'im.message.add',
    params: { DIALOG_ID: 'chat1', MESSAGE: 'hi', ATTACH: 5 },
    status: 400,
    error: 'ATTACH_ERROR',
  },
  {
    name: 'an ATTACH without MESSAGE whose every block is refused (a blank MESSAGE block)',
    method: 'im.message.add',
    params: { DIALOG_ID: 'chat1', ATTACH: [{ MESSAGE: ' ' }] },
    status: 400,
    error: 'ATTACH_ERROR',
  },
  {
    // No BLOCKS key: the array itself is the block list, so its values ('hi') are the blocks, and a string is none.
    name: 'ATTACH {MESSAGE: "hi"} is no block list: ATTACH_ERROR',
    method: 'im.message.add',
    params: { DIALOG_ID: 'chat1', ATTACH: { MESSAGE: 'hi' } },
    status: 400,
    error: 'ATTACH_ERROR',
  },
  {
    name: 'the recipient is checked before ATTACH',
    method: 'im.message.add',
    params: { DIALOG_ID: '999', MESSAGE: '', ATTACH: 'x' },
    status: 400,
    error: 'USER_NOT_FOUND',
  },
  {
    name: 'ATTACH is checked before the send (a chat the caller is not in)',
    method: 'im.message.add',
    auth: 'user3',
    params: { DIALOG_ID: 'chat2', MESSAGE: 'hi', ATTACH: 'x' },
    status: 400,
    error: 'ATTACH_ERROR',
  },
  {
    name: 'an empty MESSAGE and an empty() ATTACH ("0"): MESSAGE_EMPTY',
    method: 'im.message.add',
    params: { DIALOG_ID: 'chat1', MESSAGE: '', ATTACH: '0' },
    status: 400,
    error: 'MESSAGE_EMPTY',
  },
  {
    // isset('') passes the first check, GetAttachByJson('') is null and '' is falsy: no ATTACH_ERROR, and the send
    // of nothing is refused.
    name: 'no MESSAGE and ATTACH "": not ATTACH_ERROR, the send refuses it',
    method: 'im.message.add',
    params: { DIALOG_ID: 'chat1', ATTACH: '' },
    status: 400,
    error: 'PARAMS_ERROR',
    description: "Message isn't added",
  },
  {
    name: 'an ATTACH with BLOCKS and no MESSAGE is posted',
    method: 'im.message.add',
    params: { DIALOG_ID: 'chat1', ATTACH: { BLOCKS: [{ MESSAGE: 'card' }] } },
    status: 200,
  },
  // im.dialog.messages.get: bitrix24/b24restdocs api-reference/chats/messages/im-dialog-messages-get.md (parameters,
  // errors DIALOG_ID_EMPTY, ACCESS_ERROR) and bitrix-tools/b24-rest-docs, the same path (LIMIT default 20, max 50;
  // errors with their statuses: DIALOG_ID_EMPTY 400, FIRST_ID_STRING 400, LAST_ID_STRING 400, ACCESS_ERROR 403 "You do
  // not have access to the specified dialog").
  { name: 'chat dialog', method: 'im.dialog.messages.get', params: { DIALOG_ID: 'chat1' }, status: 200 },
  { name: 'lower-case keys', method: 'im.dialog.messages.get', params: { dialog_id: 'chat1', limit: 1 }, status: 200 },
  { name: 'private dialog', method: 'im.dialog.messages.get', params: { DIALOG_ID: '2' }, status: 200 },
  {
    name: 'no dialog id',
    method: 'im.dialog.messages.get',
    params: {},
    status: 400,
    error: 'DIALOG_ID_EMPTY',
    description: "Dialog ID can't be empty",
  },
  {
    name: 'bad dialog id',
    method: 'im.dialog.messages.get',
    params: { DIALOG_ID: 'room1' },
    status: 400,
    error: 'DIALOG_ID_EMPTY',
  },
  {
    name: 'a group chat the caller is not in',
    method: 'im.dialog.messages.get',
    auth: 'user3',
    params: { DIALOG_ID: 'chat2' },
    status: 403,
    error: 'ACCESS_ERROR',
    description: 'You do not have access to the specified dialog',
  },
  {
    name: 'unknown chat',
    method: 'im.dialog.messages.get',
    params: { DIALOG_ID: 'chat404' },
    status: 403,
    error: 'ACCESS_ERROR',
  },
  {
    name: 'non-numeric FIRST_ID',
    method: 'im.dialog.messages.get',
    params: { DIALOG_ID: 'chat1', FIRST_ID: 'abc' },
    status: 400,
    error: 'FIRST_ID_STRING',
    description: "First ID can't be string",
  },
  {
    name: 'negative LAST_ID',
    method: 'im.dialog.messages.get',
    params: { DIALOG_ID: 'chat1', LAST_ID: '-1' },
    status: 400,
    error: 'LAST_ID_STRING',
    description: "Last ID can't be string",
  },
  // CHAT_ID (yuliai/bitrix-modules@026c2eea im/classes/general/im_rest.php dialogMessagesGet, first of all:
  // `if (isset($arParams['CHAT_ID']) && intval($arParams['CHAT_ID']) > 0) $arParams['DIALOG_ID'] =
  // 'chat'.$arParams['CHAT_ID'];`, then `isDialogId($arParams['DIALOG_ID'])` or DIALOG_ID_EMPTY, then Dialog::hasAccess).
  // A CHAT_ID > 0 replaces DIALOG_ID whatever it was; anything else (0, negative, not a number) leaves DIALOG_ID alone,
  // and with no DIALOG_ID either the answer is DIALOG_ID_EMPTY: this method has no CHAT_ID_EMPTY.
  {
    name: 'CHAT_ID alone names the chat',
    method: 'im.dialog.messages.get',
    params: { CHAT_ID: 1 },
    status: 200,
  },
  {
    name: 'CHAT_ID > 0 wins over DIALOG_ID: its chat is the one checked',
    method: 'im.dialog.messages.get',
    auth: 'user3',
    params: { DIALOG_ID: 'chat1', CHAT_ID: '2' },
    status: 403,
    error: 'ACCESS_ERROR',
    description: 'You do not have access to the specified dialog',
  },
  {
    name: 'CHAT_ID 0 leaves DIALOG_ID in charge',
    method: 'im.dialog.messages.get',
    auth: 'user3',
    params: { DIALOG_ID: 'chat1', CHAT_ID: 0 },
    status: 200,
  },
  {
    name: 'CHAT_ID 0 and no DIALOG_ID: DIALOG_ID_EMPTY, not CHAT_ID_EMPTY',
    method: 'im.dialog.messages.get',
    params: { CHAT_ID: 0 },
    status: 400,
    error: 'DIALOG_ID_EMPTY',
  },
  {
    name: 'a negative CHAT_ID is not > 0: DIALOG_ID_EMPTY without a DIALOG_ID',
    method: 'im.dialog.messages.get',
    params: { CHAT_ID: '-2' },
    status: 400,
    error: 'DIALOG_ID_EMPTY',
  },
  {
    // intval('1abc') is 1, but the source appends the CHAT_ID as sent: `chat1abc` fails isDialogId.
    name: 'CHAT_ID with trailing junk replaces a good DIALOG_ID and fails isDialogId as sent',
    method: 'im.dialog.messages.get',
    params: { DIALOG_ID: 'chat1', CHAT_ID: '1abc' },
    status: 400,
    error: 'DIALOG_ID_EMPTY',
  },
  {
    // intval skips leading C whitespace, the concatenation keeps it: `chat 1`.
    name: 'CHAT_ID after a space is intval 1 but `chat 1` as a dialog id',
    method: 'im.dialog.messages.get',
    params: { DIALOG_ID: 'chat1', CHAT_ID: ' 1' },
    status: 400,
    error: 'DIALOG_ID_EMPTY',
  },
  {
    name: 'im scope only is enough',
    method: 'im.dialog.messages.get',
    auth: 'imonly',
    params: { DIALOG_ID: 'chat1' },
    status: 200,
  },
  // im.message.update
  {
    name: 'bad id',
    method: 'im.message.update',
    params: { MESSAGE_ID: 0, MESSAGE: 'x' },
    status: 400,
    error: 'MESSAGE_ID_ERROR',
  },
  // yuliai/bitrix-modules@026c2eea im_rest.php messageUpdate: MESSAGE_ID (else ID) through intval, <= 0 is
  // MESSAGE_ID_ERROR 400; every refusal after it is `RestException("Time has expired for modification or you don't
  // have access", "CANT_EDIT_MESSAGE", CRestServer::STATUS_FORBIDDEN)`, 403.
  {
    name: 'MESSAGE_ID wins over ID (isset(MESSAGE_ID) replaces ID)',
    method: 'im.message.update',
    params: { MESSAGE_ID: 0, ID: 1, MESSAGE: 'x' },
    status: 400,
    error: 'MESSAGE_ID_ERROR',
    description: "Message ID can't be empty",
  },
  {
    name: 'not the author',
    method: 'im.message.update',
    params: { MESSAGE_ID: 123456, MESSAGE: 'x' },
    status: 403,
    error: 'CANT_EDIT_MESSAGE',
    description: "Time has expired for modification or you don't have access",
  },
  {
    // Nothing to change (no MESSAGE, ATTACH, KEYBOARD or MENU): messageUpdate checks nothing and answers true.
    name: 'no MESSAGE: true, unchecked',
    method: 'im.message.update',
    params: { MESSAGE_ID: 123456 },
    status: 200,
    result: true,
  },
  {
    name: 'ATTACH alone is checked (CheckPossibilityUpdateMessage)',
    method: 'im.message.update',
    params: { MESSAGE_ID: 123456, ATTACH: 'N' },
    status: 403,
    error: 'CANT_EDIT_MESSAGE',
  },
  {
    name: 'KEYBOARD alone is checked',
    method: 'im.message.update',
    params: { MESSAGE_ID: 123456, KEYBOARD: 'N' },
    status: 403,
    error: 'CANT_EDIT_MESSAGE',
  },
  // im.message.delete (yuliai/bitrix-modules@026c2eea im_rest.php messageDelete): MESSAGE_ID (else ID) through intval,
  // <= 0 is MESSAGE_ID_ERROR 400; a false from CIMMessenger::Delete is CANT_EDIT_MESSAGE 403.
  {
    name: 'bad id',
    method: 'im.message.delete',
    params: { MESSAGE_ID: 'abc' },
    status: 400,
    error: 'MESSAGE_ID_ERROR',
    description: "Message ID can't be empty",
  },
  { name: 'no id', method: 'im.message.delete', params: {}, status: 400, error: 'MESSAGE_ID_ERROR' },
  {
    name: 'unknown message',
    method: 'im.message.delete',
    params: { ID: 123456 },
    status: 403,
    error: 'CANT_EDIT_MESSAGE',
    description: "Time has expired for modification or you don't have access",
  },
  // imbot.v2.Bot.register (§4.2)
  {
    name: 'ok (webhook mode)',
    method: 'imbot.v2.Bot.register',
    params: {
      fields: {
        code: 'echo',
        botToken: 'echo-token',
        properties: { name: 'Echo' },
        eventMode: 'webhook',
        webhookUrl: 'http://127.0.0.1:9/hook',
      },
    },
    status: 200,
  },
  {
    name: 'no botToken',
    method: 'imbot.v2.Bot.register',
    params: { fields: { code: 'x1', properties: { name: 'X' } } },
    status: 400,
    error: 'BOT_TOKEN_NOT_SPECIFIED',
  },
  {
    name: 'token too long',
    method: 'imbot.v2.Bot.register',
    params: { fields: { code: 'x1', botToken: 't'.repeat(41), properties: { name: 'X' } } },
    status: 400,
    error: 'BOT_TOKEN_INVALID_LENGTH',
  },
  {
    // §4.1: "Maximum 40 characters": 40 emoji are 40 characters (80 UTF-16 units, 160 bytes).
    name: '§4.1 a botToken of 40 characters outside the BMP',
    method: 'imbot.v2.Bot.register',
    params: { fields: { code: 'emoji40', botToken: '\u{1F600}'.repeat(40), properties: { name: 'X' } } },
    status: 200,
  },
  {
    name: '§4.1 a botToken of 41 characters outside the BMP',
    method: 'imbot.v2.Bot.register',
    params: { fields: { code: 'emoji41', botToken: '\u{1F600}'.repeat(41), properties: { name: 'X' } } },
    status: 400,
    error: 'BOT_TOKEN_INVALID_LENGTH',
  },
  {
    name: 'no code',
    method: 'imbot.v2.Bot.register',
    params: { fields: { botToken: 'tok', properties: { name: 'X' } } },
    status: 400,
    error: 'BOT_CODE_REQUIRED',
  },
  {
    name: 'no properties',
    method: 'imbot.v2.Bot.register',
    params: { fields: { code: 'x2', botToken: 'tok' } },
    status: 400,
    error: 'BOT_PROPERTIES_REQUIRED',
  },
  {
    name: 'bad type',
    method: 'imbot.v2.Bot.register',
    params: { fields: { code: 'x3', botToken: 'tok', properties: { name: 'X' }, type: 'robot' } },
    status: 400,
    error: 'BOT_INVALID_TYPE',
  },
  {
    name: 'bad event mode',
    method: 'imbot.v2.Bot.register',
    params: { fields: { code: 'x4', botToken: 'tok', properties: { name: 'X' }, eventMode: 'push' } },
    status: 400,
    error: 'BOT_INVALID_EVENT_MODE',
  },
  {
    name: 'webhook without url',
    method: 'imbot.v2.Bot.register',
    params: { fields: { code: 'x5', botToken: 'tok', properties: { name: 'X' }, eventMode: 'webhook' } },
    status: 400,
    error: 'BOT_WEBHOOK_URL_REQUIRED',
  },
  {
    name: 'bad url',
    method: 'imbot.v2.Bot.register',
    params: {
      fields: { code: 'x6', botToken: 'tok', properties: { name: 'X' }, eventMode: 'webhook', webhookUrl: 'ftp://x' },
    },
    status: 400,
    error: 'BOT_INVALID_CALLBACK',
  },
  {
    name: 'code of another app',
    method: 'imbot.v2.Bot.register',
    params: { fields: { code: 'agent', botToken: 'tok', properties: { name: 'X' } } },
    status: 400,
    error: 'BOT_CODE_ALREADY_TAKEN',
  },
  {
    name: 'avatar not an image',
    method: 'imbot.v2.Bot.register',
    params: { fields: { code: 'x7', botToken: 'tok', properties: { name: 'X', avatar: 'aGVsbG8=' } } },
    status: 400,
    error: 'BOT_AVATAR_INCORRECT_TYPE',
  },
  {
    name: 'avatar too large',
    method: 'imbot.v2.Bot.register',
    params: { fields: { code: 'x8', botToken: 'tok', properties: { name: 'X', avatar: PNG_6000 } } },
    status: 400,
    error: 'BOT_AVATAR_INCORRECT_SIZE',
  },
  // imbot.v2.Bot.unregister (§4.2: resolved like every v2 bot call, §1.3; success in botEvents.test.ts)
  {
    name: 'no botToken',
    method: 'imbot.v2.Bot.unregister',
    params: { botId: 10 },
    status: 400,
    error: 'BOT_TOKEN_NOT_SPECIFIED',
  },
  {
    name: 'no botId',
    method: 'imbot.v2.Bot.unregister',
    params: { botToken: 'agent-bot-token' },
    status: 400,
    error: 'BOT_ID_REQUIRED',
  },
  {
    name: 'unknown bot',
    method: 'imbot.v2.Bot.unregister',
    params: { botId: 555, botToken: 'agent-bot-token' },
    status: 400,
    error: 'BOT_NOT_FOUND',
  },
  {
    name: 'other owner',
    method: 'imbot.v2.Bot.unregister',
    params: { botId: 11, botToken: 'agent-bot-token' },
    status: 400,
    error: 'BOT_OWNERSHIP_ERROR',
  },
  {
    name: 'other application over OAuth',
    method: 'imbot.v2.Bot.unregister',
    auth: 'oauth',
    params: { botId: 20 },
    status: 400,
    error: 'BOT_OWNERSHIP_ERROR',
  },
  // imbot.v2.Event.get (§4.4)
  { name: 'ok', method: 'imbot.v2.Event.get', params: { ...AGENT }, status: 200 },
  {
    name: 'no botToken',
    method: 'imbot.v2.Event.get',
    params: { botId: 10 },
    status: 400,
    error: 'BOT_TOKEN_NOT_SPECIFIED',
  },
  {
    name: 'no botId',
    method: 'imbot.v2.Event.get',
    params: { botToken: 'agent-bot-token' },
    status: 400,
    error: 'BOT_ID_REQUIRED',
  },
  {
    name: 'unknown bot',
    method: 'imbot.v2.Event.get',
    params: { botId: 555, botToken: 'agent-bot-token' },
    status: 400,
    error: 'BOT_NOT_FOUND',
  },
  {
    name: 'other owner',
    method: 'imbot.v2.Event.get',
    params: { botId: 11, botToken: 'agent-bot-token' },
    status: 400,
    error: 'BOT_OWNERSHIP_ERROR',
  },
  // system (§6)
  { name: 'unknown method', method: 'im.nothing.here', params: {}, status: 404, error: 'ERROR_METHOD_NOT_FOUND' },
  {
    name: 'scope missing',
    method: 'imbot.v2.Chat.InputAction.notify',
    auth: 'imonly',
    params: { ...AGENT, dialogId: 'chat1' },
    status: 403,
    error: 'insufficient_scope',
  },
];

function urlFor(auth: Auth, method: string): string {
  if (auth === 'oauth') return `${emulator.restUrl}${method}`;
  if (auth === 'user3') return `${hookUser3}${method}`;
  if (auth === 'imonly') return `${imOnlyHook}${method}`;
  return `${hook}${method}`;
}

describe.each([...new Set(rows.map((r) => r.method))])('%s', (method) => {
  it.each(
    rows.filter((r) => r.method === method).map((r) => [`${r.name} → ${r.status} ${r.error ?? 'ok'}`, r] as const),
  )('%s', async (_label, row) => {
    const params = row.auth === 'oauth' ? { ...row.params, auth: emulator.fixtures.oauth.accessToken } : row.params;
    const reply = await post(urlFor(row.auth ?? 'webhook', row.method), params);
    expect(reply.status).toBe(row.status);
    if (row.error) {
      expect(reply.body.error).toBe(row.error);
      expect(typeof reply.body.error_description).toBe('string');
      if (row.description !== undefined) expect(reply.body.error_description).toBe(row.description);
      expect(reply.body.time).toBeUndefined();
    } else {
      expect(reply.body.error).toBeUndefined();
      expect(reply.body.time.operating).toBeTypeOf('number');
      if ('result' in row) expect(reply.body.result).toEqual(row.result);
    }
    // The timeline has the call with the same status.
    const last = emulator
      .timeline()
      .filter((e) => e.kind === 'call')
      .at(-1);
    expect(last).toMatchObject({ status: row.status, error: row.error ?? null });
  });
});

describe('result shapes', () => {
  it('Message.send returns {id, uuidMap} and truncates past 20,006 characters (Message::setMessage)', async () => {
    const reply = await post(`${hook}imbot.v2.Chat.Message.send`, {
      ...AGENT,
      dialogId: 'chat1',
      fields: { message: 'a'.repeat(20_007) },
    });
    expect(reply.body.result).toEqual({ id: expect.any(Number), uuidMap: {} });
    const stored = emulator.messages(1).find((m) => m.messageId === reply.body.result.id);
    expect(stored?.text).toBe(`${'a'.repeat(20_000)} (...)`);
  });

  it('§4.3: the limit counts characters, not UTF-16 units: astral characters are neither cut early nor split', async () => {
    const send = (message: string) =>
      post(`${hook}imbot.v2.Chat.Message.send`, { ...AGENT, dialogId: 'chat1', fields: { message } });
    const textOf = (id: number) => emulator.messages(1).find((m) => m.messageId === id)?.text;
    const whole = '😀'.repeat(20_006);
    expect(textOf((await send(whole)).body.result.id)).toBe(whole);
    const longer = `a${'😀'.repeat(20_006)}`;
    expect(textOf((await send(longer)).body.result.id)).toBe(`a${'😀'.repeat(19_999)} (...)`);
  });

  it('im.message.add returns the new message id; im.message.update edits it', async () => {
    const added = await post(`${hook}im.message.add`, { DIALOG_ID: 'chat1', MESSAGE: 'first' });
    expect(added.body.result).toBeTypeOf('number');
    const updated = await post(`${hook}im.message.update`, { MESSAGE_ID: added.body.result, MESSAGE: 'second' });
    expect(updated.body.result).toBe(true);
    expect(
      emulator
        .timeline()
        .filter((e) => e.kind === 'message' && e.messageId === added.body.result)
        .map((e) => e.kind === 'message' && e.text),
    ).toEqual(['first', 'second']);
  });

  it('im.message.add stores the message trimmed (messageAdd trims MESSAGE before CIMMessenger::Add)', async () => {
    // yuliai/bitrix-modules@026c2eea im_rest.php messageAdd: `$arParams['MESSAGE'] = trim($arParams['MESSAGE']);`, then
    // `$arMessageFields["MESSAGE"] = $arParams['MESSAGE']`. PHP trim: " \t\n\r\0\x0B", a no-break space stays.
    const added = await post(`${hook}im.message.add`, { DIALOG_ID: 'chat1', MESSAGE: ' \n\u00a0padded\t\n' });
    expect(emulator.messages(1).find((m) => m.messageId === added.body.result)?.text).toBe('\u00a0padded');
  });

  it('Bot.register is idempotent on code for the same owner and returns bot + users', async () => {
    const fields = { code: 'idem', botToken: 'idem-token', properties: { name: 'Idem' } };
    const first = await post(`${hook}imbot.v2.Bot.register`, { fields });
    const second = await post(`${hook}imbot.v2.Bot.register`, {
      fields: { ...fields, properties: { name: 'Changed' } },
    });
    expect(first.status).toBe(200);
    expect(second.body.result.bot.id).toBe(first.body.result.bot.id);
    expect(first.body.result.bot).toMatchObject({ code: 'idem', type: 'bot', eventMode: 'fetch', moduleId: 'rest' });
    expect(second.body.result.users[0].name).toBe('Idem');
  });

  it('notify clamps duration to 1..600 and degrades unknown status codes to plain typing', async () => {
    await post(`${hook}imbot.v2.Chat.InputAction.notify`, {
      ...AGENT,
      dialogId: 'chat1',
      duration: 9999,
      statusMessageCode: 'IMBOT_AGENT_ACTION_SEARCHING',
    });
    let call = emulator
      .timeline()
      .filter((e) => e.kind === 'call')
      .at(-1);
    expect(call).toMatchObject({ durationSec: 600, statusMessageCode: 'IMBOT_AGENT_ACTION_SEARCHING' });
    await post(`${hook}imbot.v2.Chat.InputAction.notify`, {
      ...AGENT,
      dialogId: 'chat1',
      duration: '0',
      statusMessageCode: 'IMBOT_MADE_UP',
    });
    call = emulator
      .timeline()
      .filter((e) => e.kind === 'call')
      .at(-1);
    expect(call).toMatchObject({ durationSec: 1, statusMessageCode: null, shown: true });
    expect(emulator.indicators().find((i) => i.senderId === 10)?.text).toBe('Agent is typing...');
  });
});

// Reference §4.2, Bot.register errors: "`BOT_LIMIT_EXCEEDED` (100 bots/app)". The 100 is written out here: a
// changed limit in botMethods.ts must fail this test. Under a webhook the app is `'custom'.botToken` (§1.2, §1.3).
describe('imbot.v2.Bot.register: 100 bots per app (§4.2)', () => {
  let own: Emulator;
  beforeAll(async () => {
    own = await startEmulator({ plan: 'off' });
  });
  afterAll(() => own.close());

  const register = (code: string, botToken: string) =>
    post(`${own.webhookUrl()}imbot.v2.Bot.register`, { fields: { code, botToken, properties: { name: code } } });

  it('registers the 100th bot of an app, refuses the 101st with BOT_LIMIT_EXCEEDED 400, and other apps go on', async () => {
    const statuses: number[] = [];
    for (let i = 1; i <= 100; i++) statuses.push((await register(`limit${i}`, 'limit-token')).status);
    expect(statuses).toEqual(Array.from({ length: 100 }, () => 200));
    const over = await register('limit101', 'limit-token');
    expect([over.status, over.body.error]).toEqual([400, 'BOT_LIMIT_EXCEEDED']);
    // Idempotent on code (§4.2): an existing bot is returned, not counted again.
    const again = await register('limit100', 'limit-token');
    expect(again.status).toBe(200);
    // The limit is per app: another botToken is another app.
    expect((await register('limit101', 'other-limit-token')).status).toBe(200);
  });
});

/**
 * `im.message.update` as the module source runs it (yuliai/bitrix-modules@026c2eea im_rest.php messageUpdate and
 * im_messenger.php `Update` / `CheckPossibilityUpdateMessage(IM_CHECK_UPDATE, …)`): `MESSAGE_ID`, else `ID`; then one
 * check per part that is set (ATTACH, KEYBOARD as the caller, MENU as `BOT_ID`), and `MESSAGE` through `Update`, which
 * cuts past 20,006 characters, turns `[BR]` into a newline, trims, and asks the same check: the message exists, is
 * under three days old (`DATE_CREATE + 259200 < time()` refuses), and is the caller's. Nothing set: `true`, unchecked.
 */
describe("im.message.update: the source's checks and what it stores", () => {
  let own: Emulator;
  let clock: number;
  let update: (params: Record<string, unknown>) => Promise<Reply>;
  /** The newest timeline entry of message `id`: the post, or its latest edit. */
  const textOf = (id: number) =>
    own
      .timeline()
      .filter((e) => e.kind === 'message' && e.messageId === id)
      .at(-1);
  beforeAll(async () => {
    clock = Date.UTC(2026, 0, 5, 12, 0, 0);
    own = await startEmulator({ plan: 'off', now: () => clock });
    const url = own.webhookUrl(1);
    update = (params) => post(`${url}im.message.update`, params);
  });
  afterAll(() => own.close());

  it('takes ID when there is no MESSAGE_ID', async () => {
    const id = own.postMessage({ from: 1, dialogId: 'chat1', text: 'first' });
    const reply = await update({ ID: id, MESSAGE: 'second' });
    expect(reply.status).toBe(200);
    expect(reply.body.result).toBe(true);
    expect(textOf(id)).toMatchObject({ text: 'second', edited: true });
  });

  it('changes nothing without MESSAGE: true, no edit, the text kept', async () => {
    const id = own.postMessage({ from: 1, dialogId: 'chat1', text: 'keep me' });
    const reply = await update({ MESSAGE_ID: id });
    expect(reply.body.result).toBe(true);
    expect(textOf(id)).toMatchObject({ text: 'keep me', edited: false });
  });

  it('stores the text as Update does: [BR] a newline, PHP-trimmed', async () => {
    const id = own.postMessage({ from: 1, dialogId: 'chat1', text: 'x' });
    // PHP trim strips " \t\n\r\0\x0B" only: the no-break space stays, and so does the newline [br] made before it.
    await update({ MESSAGE_ID: id, MESSAGE: ' line one[BR]line two[br]\u00a0\t\n' });
    expect(textOf(id)).toMatchObject({ text: 'line one\nline two\n\u00a0' });
  });

  it('cuts a text longer than 20,006 characters to 20,000 and " (...)"', async () => {
    const id = own.postMessage({ from: 1, dialogId: 'chat1', text: 'x' });
    await update({ MESSAGE_ID: id, MESSAGE: 'a'.repeat(20_006) });
    expect(textOf(id)).toMatchObject({ text: 'a'.repeat(20_006) });
    await update({ MESSAGE_ID: id, MESSAGE: 'b'.repeat(20_007) });
    expect(textOf(id)).toMatchObject({ text: `${'b'.repeat(20_000)} (...)` });
  });

  it('lets the author edit for three days to the second, then answers CANT_EDIT_MESSAGE 403', async () => {
    const id = own.postMessage({ from: 1, dialogId: 'chat1', text: 'old' });
    clock += 259_200_000;
    expect((await update({ MESSAGE_ID: id, MESSAGE: 'just in time' })).body.result).toBe(true);
    clock += 1000;
    const late = await update({ MESSAGE_ID: id, MESSAGE: 'too late' });
    expect(late.status).toBe(403);
    expect(late.body).toMatchObject({
      error: 'CANT_EDIT_MESSAGE',
      error_description: "Time has expired for modification or you don't have access",
    });
    expect(textOf(id)).toMatchObject({ text: 'just in time' });
    // Without a part to change, even an expired message answers true: nothing is checked.
    expect((await update({ MESSAGE_ID: id })).body.result).toBe(true);
  });

  it('checks ATTACH and KEYBOARD as the caller, MENU with MESSAGE_ID as BOT_ID (the caller when BOT_ID is not set)', async () => {
    const id = own.postMessage({ from: 1, dialogId: 'chat1', text: 'parts' });
    expect((await update({ MESSAGE_ID: id, ATTACH: 'N' })).body.result).toBe(true);
    expect((await update({ MESSAGE_ID: id, KEYBOARD: 'N' })).body.result).toBe(true);
    expect((await update({ MESSAGE_ID: id, MENU: 'N' })).body.result).toBe(true);
    expect((await update({ MESSAGE_ID: id, MENU: 'N', BOT_ID: 1 })).body.result).toBe(true);
    for (const params of [
      { MESSAGE_ID: id, MENU: 'N', BOT_ID: 2 },
      // CheckPossibilityUpdateMessage(IM_CHECK_UPDATE, $arParams['MESSAGE_ID'], …): with only ID that is 0.
      { ID: id, MENU: 'N' },
    ]) {
      const reply = await update(params);
      expect(reply.status).toBe(403);
      expect(reply.body.error).toBe('CANT_EDIT_MESSAGE');
    }
    // One passed check covers the parts after it: ATTACH's check stands for MENU's.
    expect((await update({ MESSAGE_ID: id, ATTACH: 'N', MENU: 'N', BOT_ID: 2 })).body.result).toBe(true);
    expect(textOf(id)).toMatchObject({ text: 'parts', edited: false });
  });

  it('refuses an ATTACH that is no attach with ATTACH_ERROR 400, after the check; "N" or an empty one clears', async () => {
    const id = own.postMessage({ from: 1, dialogId: 'chat1', text: 'card' });
    for (const attach of ['x', [{ MESSAGE: ' ' }], { MESSAGE: 'hi' }]) {
      const reply = await update({ MESSAGE_ID: id, ATTACH: attach, MESSAGE: 'never' });
      expect([reply.status, reply.body.error, reply.body.error_description]).toEqual([
        400,
        'ATTACH_ERROR',
        'Incorrect attach params',
      ]);
    }
    // The text after a refused ATTACH is not stored: ATTACH is checked first.
    expect(textOf(id)).toMatchObject({ text: 'card', edited: false });
    for (const attach of ['N', '', '0', [{ MESSAGE: 'card' }]]) {
      expect((await update({ MESSAGE_ID: id, ATTACH: attach })).body.result).toBe(true);
    }
    // Not the caller's message: CANT_EDIT_MESSAGE comes before ATTACH is read.
    const other = own.postMessage({ from: 2, dialogId: 'chat1', text: 'theirs' });
    expect((await update({ MESSAGE_ID: other, ATTACH: 'x' })).body.error).toBe('CANT_EDIT_MESSAGE');
  });

  it("refuses another user's message with CANT_EDIT_MESSAGE 403, before and after its text", async () => {
    const id = own.postMessage({ from: 2, dialogId: 'chat1', text: 'not yours' });
    for (const params of [{ MESSAGE: 'mine now' }, { ATTACH: 'N' }, { KEYBOARD: 'N' }]) {
      const reply = await update({ MESSAGE_ID: id, ...params });
      expect(reply.status).toBe(403);
      expect(reply.body.error).toBe('CANT_EDIT_MESSAGE');
    }
    expect(textOf(id)).toMatchObject({ text: 'not yours', edited: false });
  });

  // CIMMessenger::Update: `$text = trim(str_replace(['[BR]', '[br]'], "\n", $text)); if ($text == '') return
  // self::Delete($id, $userId, false, $byEvent);` — a soft delete (DeleteService, DeletionMode::Soft).
  it('deletes the message when MESSAGE is empty once [BR]s are newlines and it is trimmed', async () => {
    for (const empty of ['', ' [BR][br]\t']) {
      const id = own.postMessage({ from: 1, dialogId: 'chat1', text: 'to go' });
      const reply = await update({ MESSAGE_ID: id, MESSAGE: empty });
      expect(reply.status).toBe(200);
      expect(reply.body.result).toBe(true);
      expect(textOf(id)).toMatchObject({ text: DELETED_TEXT, edited: false, deleted: true });
    }
  });

  it('deletes with the delete check: no three-day limit, and a deleted message can no longer be changed', async () => {
    const id = own.postMessage({ from: 1, dialogId: 'chat1', text: 'old news' });
    clock += 259_200_000 + 1000;
    expect((await update({ MESSAGE_ID: id, MESSAGE: 'too late' })).status).toBe(403);
    expect((await update({ MESSAGE_ID: id, MESSAGE: '' })).body.result).toBe(true);
    for (const params of [{ MESSAGE: 'back again' }, { MESSAGE: '' }, { ATTACH: 'N' }]) {
      const reply = await update({ MESSAGE_ID: id, ...params });
      expect(reply.status).toBe(403);
      expect(reply.body.error).toBe('CANT_EDIT_MESSAGE');
    }
    expect(own.timeline().filter((e) => e.kind === 'message' && e.messageId === id)).toHaveLength(2);
  });

  it("refuses to empty another user's message: CANT_EDIT_MESSAGE 403, the message kept", async () => {
    const id = own.postMessage({ from: 2, dialogId: 'chat1', text: 'still here' });
    const reply = await update({ MESSAGE_ID: id, MESSAGE: '' });
    expect(reply.status).toBe(403);
    expect(reply.body.error).toBe('CANT_EDIT_MESSAGE');
    expect(textOf(id)).toMatchObject({ text: 'still here', deleted: false });
  });
});

/**
 * `im.message.delete` as the module source runs it (yuliai/bitrix-modules@026c2eea im_rest.php messageDelete,
 * im_messenger.php `Delete` / `CheckPossibilityUpdateMessage(IM_CHECK_DELETE, …)`): `MESSAGE_ID`, else `ID`, through
 * intval; the caller's own message that is not deleted yet, at any age (the three-day limit is for updates); a soft
 * delete (`DeletionMode::Soft`): the message stays in the history with the deleted text and `IS_DELETED`.
 */
describe("im.message.delete: the source's checks and the soft delete", () => {
  let own: Emulator;
  let clock: number;
  let url: string;
  const remove = (params: Record<string, unknown>) => post(`${url}im.message.delete`, params);
  const history = async () =>
    (await post(`${url}im.dialog.messages.get`, { DIALOG_ID: 'chat1', LIMIT: 50 })).body.result.messages as {
      id: number;
      text: string;
      params: unknown;
    }[];
  beforeAll(async () => {
    clock = Date.UTC(2026, 0, 5, 12, 0, 0);
    own = await startEmulator({ plan: 'off', now: () => clock });
    url = own.webhookUrl(1);
  });
  afterAll(() => own.close());

  it("soft-deletes the caller's message: true, kept in the history as deleted, the timeline entry marked", async () => {
    const id = own.postMessage({ from: 1, dialogId: 'chat1', text: 'regret' });
    clock += 1000;
    const reply = await remove({ MESSAGE_ID: id });
    expect(reply.status).toBe(200);
    expect(reply.body.result).toBe(true);
    expect((await history()).find((m) => m.id === id)).toMatchObject({
      text: DELETED_TEXT,
      params: { IS_DELETED: 'Y' },
    });
    expect(own.timeline().filter((e) => e.kind === 'message' && e.messageId === id)).toHaveLength(2);
    expect(
      own
        .timeline()
        .filter((e) => e.kind === 'message')
        .at(-1),
    ).toMatchObject({
      kind: 'message',
      time: clock,
      messageId: id,
      authorId: 1,
      dialogId: 'chat1',
      text: DELETED_TEXT,
      edited: false,
      deleted: true,
    });
    // The message a test posted is still listed once, as posted: a delete is no new message.
    expect(own.messages(1).filter((e) => e.messageId === id)).toEqual([expect.objectContaining({ text: 'regret' })]);
  });

  it('takes ID when there is no MESSAGE_ID, and MESSAGE_ID when both are set', async () => {
    const first = own.postMessage({ from: 1, dialogId: 'chat1', text: 'one' });
    expect((await remove({ ID: first })).body.result).toBe(true);
    const second = own.postMessage({ from: 1, dialogId: 'chat1', text: 'two' });
    const both = await remove({ MESSAGE_ID: 0, ID: second });
    expect(both.status).toBe(400);
    expect(both.body.error).toBe('MESSAGE_ID_ERROR');
    expect((await history()).find((m) => m.id === second)).toMatchObject({ text: 'two', params: null });
  });

  it('has no three-day limit, but refuses a message deleted already', async () => {
    const id = own.postMessage({ from: 1, dialogId: 'chat1', text: 'ancient' });
    clock += 30 * 86_400_000;
    expect((await remove({ MESSAGE_ID: id })).body.result).toBe(true);
    const again = await remove({ MESSAGE_ID: id });
    expect(again.status).toBe(403);
    expect(again.body).toMatchObject({
      error: 'CANT_EDIT_MESSAGE',
      error_description: "Time has expired for modification or you don't have access",
    });
  });

  it("refuses another user's message and an unknown one with CANT_EDIT_MESSAGE 403", async () => {
    const id = own.postMessage({ from: 2, dialogId: 'chat1', text: 'theirs' });
    for (const messageId of [id, 999_999]) {
      const reply = await remove({ MESSAGE_ID: messageId });
      expect(reply.status).toBe(403);
      expect(reply.body.error).toBe('CANT_EDIT_MESSAGE');
    }
    expect((await history()).find((m) => m.id === id)).toMatchObject({ text: 'theirs', params: null });
  });
});

/**
 * The text `im.message.add` stores, as the module source does it (yuliai/bitrix-modules@026c2eea): messageAdd trims
 * MESSAGE and calls `CIMMessenger::Add`, which for a chat or private message (`MESSAGE_TYPE` C / P, not `'S'`) builds
 * `new \Bitrix\Im\V2\Message($arFields)`; its `MESSAGE` setter (im/lib/V2/Message.php `setMessage`) runs
 * `trim(str_replace(['[BR]', '[br]', '#BR#'], "\n", $value))`, then past `MESSAGE_MAX_LENGTH + 6` (20,006, `mb_strlen`)
 * keeps `mb_substr($value, 0, 20000) . ' (...)'`. Unlike `CIMMessenger::Update` it converts and trims before it
 * counts. A text that is then empty, with no attachment, is refused by `Chat::sendMessage` (`isCompletelyEmpty` →
 * EMPTY_MESSAGE), a false from `CIMMessenger::Add`, which messageAdd answers PARAMS_ERROR "Message isn't added".
 */
describe('im.message.add: the text CIMMessenger::Add stores', () => {
  const add = (params: Record<string, unknown>) => post(`${hook}im.message.add`, { DIALOG_ID: 'chat1', ...params });
  const textOf = (id: number) => emulator.messages(1).find((m) => m.messageId === id)?.text;

  it('turns [BR], [br] and #BR# into newlines, then PHP-trims', async () => {
    const added = await add({ MESSAGE: 'one[BR]two[br]three#BR#four[Br]five[BR]' });
    expect(added.status).toBe(200);
    expect(textOf(added.body.result)).toBe('one\ntwo\nthree\nfour[Br]five');
  });

  it('cuts a text longer than 20,006 characters (code points) to 20,000 and " (...)"', async () => {
    expect(textOf((await add({ MESSAGE: 'a'.repeat(20_006) })).body.result)).toBe('a'.repeat(20_006));
    expect(textOf((await add({ MESSAGE: 'b'.repeat(20_007) })).body.result)).toBe(`${'b'.repeat(20_000)} (...)`);
    expect(textOf((await add({ MESSAGE: '😀'.repeat(20_007) })).body.result)).toBe(`${'😀'.repeat(20_000)} (...)`);
  });

  it('counts after [BR] became a newline and the end was trimmed (Update counts first)', async () => {
    const kept = await add({ MESSAGE: `${'c'.repeat(20_000)}[BR][BR]` });
    expect(textOf(kept.body.result)).toBe('c'.repeat(20_000));
    const cut = await add({ MESSAGE: `${'d'.repeat(20_004)}[BR][BR]d` });
    expect(textOf(cut.body.result)).toBe(`${'d'.repeat(20_000)} (...)`);
  });

  it('a text that is nothing but [BR] is not added; with an attachment or a keyboard it is, without text', async () => {
    const before = emulator.messages(1).length;
    const bare = await add({ MESSAGE: ' [BR]#BR# ' });
    expect([bare.status, bare.body.error, bare.body.error_description]).toEqual([
      400,
      'PARAMS_ERROR',
      "Message isn't added",
    ]);
    expect(emulator.messages(1)).toHaveLength(before);
    const attached = await add({ MESSAGE: '[br]', ATTACH: [{ MESSAGE: 'card' }] });
    expect(attached.status).toBe(200);
    expect(textOf(attached.body.result)).toBe('');
    const keyboard = await add({ MESSAGE: '[BR]', KEYBOARD: [{ TEXT: 'yes', COMMAND: 'yes' }] });
    expect(keyboard.status).toBe(200);
    expect(textOf(keyboard.body.result)).toBe('');
  });
});

/**
 * Which ATTACH is an attach: `CIMMessageParamAttach::GetAttachByJson` (yuliai/bitrix-modules@b2acc890
 * im/classes/general/im_message_param.php): a JSON string is decoded, anything but an array is none; the blocks are
 * `BLOCKS` when set, else the array itself; each block adds by its first key (USER, LINK, RICH_LINK, MESSAGE, GRID,
 * IMAGE, FILE, DELIMITER), each `Add*` refusing what it cannot use; no block added is no attach.
 */
describe('im.message.add: ATTACH as GetAttachByJson reads it', () => {
  const add = (params: Record<string, unknown>) => post(`${hook}im.message.add`, { DIALOG_ID: 'chat1', ...params });

  it.each([
    ['a JSON string', '[{"MESSAGE":"card"}]'],
    ['a JSON string with BLOCKS', '{"BLOCKS":[{"MESSAGE":"card"}]}'],
    ['a list of blocks of which one is usable', [{ MESSAGE: '' }, { HTML: '<b>x</b>' }, { MESSAGE: 'card' }]],
    ['a USER with a NAME', [{ USER: { NAME: 'Ann' } }]],
    ['a list of USERs', [{ USER: [{ NAME: '' }, { NAME: 'Ann' }] }]],
    ['a LINK with a URL', [{ LINK: { LINK: 'https://example.com/' } }]],
    ['a LINK to a user, named', [{ LINK: { USER_ID: 1, NAME: 'Ann' } }]],
    ['a RICH_LINK with a path', [{ RICH_LINK: { LINK: '/company/' } }]],
    ['a MESSAGE as TEXT', [{ MESSAGE: { TEXT: 'card' } }]],
    ['a GRID LINE without NAME or VALUE', [{ GRID: [{ DISPLAY: 'LINE' }] }]],
    ['a GRID row with a VALUE', [{ GRID: [{ NAME: '', VALUE: '1' }] }]],
    ['one IMAGE (not in a list)', [{ IMAGE: { LINK: 'https://example.com/a.png' } }]],
    ['FILEs of which one has a URL', [{ FILE: [{ LINK: 'x' }, { LINK: 'http://example.com/a.txt' }] }]],
    ['a DELIMITER', [{ DELIMITER: { SIZE: 100 } }]],
  ])('posts %s', async (_label, attach) => {
    const reply = await add({ MESSAGE: '', ATTACH: attach });
    expect([reply.status, reply.body.error]).toEqual([200, undefined]);
  });

  it.each([
    ['true', true],
    ['a string that is no JSON', '{MESSAGE: card'],
    ['a JSON string of a number', '5'],
    ['a list of strings', ['card']],
    ['BLOCKS that are no list', { BLOCKS: 'card' }],
    ['only blocks GetAttachByJson does not read (HTML)', [{ HTML: '<b>x</b>' }]],
    ['a USER without a NAME', [{ USER: { USER_ID: 1 } }]],
    ['a LINK without a URL or a named target', [{ LINK: { NAME: 'x', LINK: 'javascript:alert(1)' } }]],
    ['a LINK to a user without a NAME', [{ LINK: { USER_ID: 1 } }]],
    ['a MESSAGE TEXT of spaces', [{ MESSAGE: { TEXT: '  ' } }]],
    ['a GRID whose rows are all blank', [{ GRID: [{ NAME: ' ', VALUE: '' }, { DISPLAY: 'BLOCK' }] }]],
    ['an IMAGE without a URL', [{ IMAGE: { LINK: 'ftp://example.com/a.png' } }]],
    ['a FILE without a LINK', [{ FILE: [{ NAME: 'a.txt' }] }]],
  ])('refuses %s with ATTACH_ERROR 400 and posts nothing', async (_label, attach) => {
    const before = emulator.messages(1).length;
    const reply = await add({ MESSAGE: 'hi', ATTACH: attach });
    expect([reply.status, reply.body.error, reply.body.error_description]).toEqual([
      400,
      'ATTACH_ERROR',
      'Incorrect attach params',
    ]);
    expect(emulator.messages(1)).toHaveLength(before);
  });

  it('reads a form-encoded ATTACH (PHP arrays with 0..n keys are lists)', async () => {
    const good = await post(`${hook}im.message.add`, 'DIALOG_ID=chat1&ATTACH[0][MESSAGE]=card');
    expect([good.status, good.body.error]).toEqual([200, undefined]);
    const bad = await post(`${hook}im.message.add`, 'DIALOG_ID=chat1&ATTACH[0][MESSAGE]=');
    expect([bad.status, bad.body.error]).toEqual([400, 'ATTACH_ERROR']);
  });
});

/**
 * REPLY_ID as messageAdd checks it (yuliai/bitrix-modules@026c2eea im/classes/general/im_rest.php): when
 * `isset(REPLY_ID) && (int)REPLY_ID > 0`, after the recipient, ATTACH, KEYBOARD and MENU checks and before
 * `CIMMessenger::Add`, `new \Bitrix\Im\V2\Message(REPLY_ID)`; `checkAccess()` failing (no such message, or a chat the
 * caller has no access to: im/lib/V2/Message.php @026c2eea `checkAccess`) is REPLY_ACCESS_ERROR 403 "Action
 * unavailable", and a message whose chat's dialog id (for the caller) is not the recipient's is
 * REPLY_FROM_OTHER_CHAT_ERROR 403 "You can only reply to a message within the same chat". A refusal posts nothing.
 */
describe('im.message.add: REPLY_ID as messageAdd checks it', () => {
  const add = (url: string, params: Record<string, unknown>) => post(`${url}im.message.add`, params);
  const idOf = async (url: string, params: Record<string, unknown>): Promise<number> => {
    const reply = await add(url, params);
    expect([reply.status, reply.body.error]).toEqual([200, undefined]);
    return reply.body.result as number;
  };
  const refused = (reply: Reply, code: string, text: string): void => {
    expect([reply.status, reply.body.error, reply.body.error_description]).toEqual([403, code, text]);
  };
  const NO_ACCESS = ['REPLY_ACCESS_ERROR', 'Action unavailable'] as const;
  const OTHER_CHAT = ['REPLY_FROM_OTHER_CHAT_ERROR', 'You can only reply to a message within the same chat'] as const;

  it('posts a reply to a message of the same chat, group or private, by DIALOG_ID, CHAT_ID or USER_ID', async () => {
    const inChat = await idOf(hook, { DIALOG_ID: 'chat1', MESSAGE: 'question' });
    await idOf(hookUser3, { DIALOG_ID: 'chat1', MESSAGE: 'answer', REPLY_ID: inChat });
    await idOf(hook, { CHAT_ID: 1, MESSAGE: 'answer', REPLY_ID: String(inChat) });
    const inPrivate = await idOf(hook, { DIALOG_ID: '2', MESSAGE: 'question' });
    await idOf(hook, { DIALOG_ID: '2', MESSAGE: 'answer', REPLY_ID: inPrivate });
    await idOf(hook, { USER_ID: 2, MESSAGE: 'answer', REPLY_ID: inPrivate });
  });

  it('ignores a REPLY_ID that is not > 0 as (int) reads it', async () => {
    for (const replyId of [0, '0', -3, 'abc', '']) {
      await idOf(hook, { DIALOG_ID: 'chat1', MESSAGE: 'plain', REPLY_ID: replyId });
    }
  });

  it('refuses a message that does not exist with REPLY_ACCESS_ERROR 403 and posts nothing', async () => {
    const before = emulator.messages(1).length;
    refused(await add(hook, { DIALOG_ID: 'chat1', MESSAGE: 'hi', REPLY_ID: 999_999 }), ...NO_ACCESS);
    expect(emulator.messages(1)).toHaveLength(before);
  });

  it('refuses a message of a chat the caller cannot see with REPLY_ACCESS_ERROR 403', async () => {
    const secret = await idOf(hook, { DIALOG_ID: 'chat2', MESSAGE: 'team only' });
    const before = emulator.messages(1).length;
    refused(await add(hookUser3, { DIALOG_ID: 'chat1', MESSAGE: 'hi', REPLY_ID: secret }), ...NO_ACCESS);
    expect(emulator.messages(1)).toHaveLength(before);
  });

  it('refuses a message of another chat the caller can see with REPLY_FROM_OTHER_CHAT_ERROR 403', async () => {
    const elsewhere = await idOf(hook, { DIALOG_ID: 'chat2', MESSAGE: 'team' });
    const inPrivate = await idOf(hook, { DIALOG_ID: '2', MESSAGE: 'private' });
    const before = emulator.messages(1).length;
    refused(await add(hook, { DIALOG_ID: 'chat1', MESSAGE: 'hi', REPLY_ID: elsewhere }), ...OTHER_CHAT);
    refused(await add(hook, { DIALOG_ID: 'chat1', MESSAGE: 'hi', REPLY_ID: inPrivate }), ...OTHER_CHAT);
    expect(emulator.messages(1)).toHaveLength(before);
    // The private dialog with user 2 is not the one with user 3, nor the group chat.
    const inChat = await idOf(hook, { DIALOG_ID: 'chat1', MESSAGE: 'group' });
    refused(await add(hook, { DIALOG_ID: '3', MESSAGE: 'hi', REPLY_ID: inPrivate }), ...OTHER_CHAT);
    refused(await add(hook, { USER_ID: 2, MESSAGE: 'hi', REPLY_ID: inChat }), ...OTHER_CHAT);
  });

  it('checks REPLY_ID after ATTACH and before the send refuses the chat', async () => {
    const inChat = await idOf(hook, { DIALOG_ID: 'chat1', MESSAGE: 'general' });
    const inTeam = await idOf(hook, { DIALOG_ID: 'chat2', MESSAGE: 'team' });
    const badAttach = await add(hook, { DIALOG_ID: 'chat1', MESSAGE: 'hi', ATTACH: 'x', REPLY_ID: 999_999 });
    expect([badAttach.status, badAttach.body.error]).toEqual([400, 'ATTACH_ERROR']);
    const noRecipient = await add(hook, { MESSAGE: 'hi', REPLY_ID: 999_999 });
    expect([noRecipient.status, noRecipient.body.error]).toEqual([400, 'PARAMS_ERROR']);
    // User 3 is not in chat 2 (the send would refuse it: PARAMS_ERROR 400), and chat 77 does not exist.
    refused(await add(hookUser3, { DIALOG_ID: 'chat2', MESSAGE: 'hi', REPLY_ID: inTeam }), ...NO_ACCESS);
    refused(await add(hook, { DIALOG_ID: 'chat77', MESSAGE: 'hi', REPLY_ID: inChat }), ...OTHER_CHAT);
    // A text that only [BR]s made non-empty is refused by the send, after the reply check.
    refused(await add(hook, { DIALOG_ID: 'chat1', MESSAGE: '[BR]', REPLY_ID: inTeam }), ...OTHER_CHAT);
  });

  it('lets a reply quote a deleted message (checkAccess does not look at deletion)', async () => {
    const gone = await idOf(hook, { DIALOG_ID: 'chat1', MESSAGE: 'oops' });
    const deleted = await post(`${hook}im.message.delete`, { ID: gone });
    expect(deleted.body.result).toBe(true);
    await idOf(hook, { DIALOG_ID: 'chat1', MESSAGE: 'about that', REPLY_ID: gone });
  });
});

/**
 * The text `imbot.v2.Chat.Message.send` stores. The imbot module's controller (imbot/lib/V2/Controller/Chat/Message.php
 * `sendAction`; stored at yuliai/bitrix-modules@e0668513 and @8c347630, the same send path in both, not at @026c2eea)
 * runs `FieldsValidationService::prepareFields`, whose `checkMessage` (im/lib/V2/Message/Send/FieldsValidationService.php
 * @026c2eea) trims MESSAGE and refuses `'' && empty(ATTACH)` with EMPTY_MESSAGE, before any `[BR]` is converted; then
 * `\CIMMessenger::Add($fields)` (im_messenger.php @026c2eea): a chat or private message goes through
 * `\Bitrix\Im\V2\Message::setMessage`, as for im.message.add: `[BR]`/`[br]`/`#BR#` to newlines, trim, past 20,006
 * characters cut to 20,000 and ` (...)`. A text that is then empty, with no attachment or keyboard, is refused by
 * `Chat::sendMessage` (`isCompletelyEmpty`), `Add` returns false and the controller answers SENDING_FAILED.
 */
describe('imbot.v2.Chat.Message.send: the text CIMMessenger::Add stores', () => {
  const send = (fields: Record<string, unknown>) =>
    post(`${hook}imbot.v2.Chat.Message.send`, { ...AGENT, dialogId: 'chat1', fields });
  const textOf = (id: number) => emulator.messages(1).find((m) => m.messageId === id)?.text;

  it('turns [BR], [br] and #BR# into newlines, then PHP-trims', async () => {
    const sent = await send({ message: 'one[BR]two[br]three#BR#four[Br]five[BR]' });
    expect(sent.status).toBe(200);
    expect(textOf(sent.body.result.id)).toBe('one\ntwo\nthree\nfour[Br]five');
  });

  it('keeps up to 20,006 characters whole and counts after [BR] became a newline and the end was trimmed', async () => {
    expect(textOf((await send({ message: 'a'.repeat(20_006) })).body.result.id)).toBe('a'.repeat(20_006));
    const kept = await send({ message: `${'c'.repeat(20_000)}[BR][BR]` });
    expect(textOf(kept.body.result.id)).toBe('c'.repeat(20_000));
    const cut = await send({ message: `${'d'.repeat(20_004)}[BR][BR]d` });
    expect(textOf(cut.body.result.id)).toBe(`${'d'.repeat(20_000)} (...)`);
  });

  it('checks for an empty message before [BR] is converted: nothing but [BR] is SENDING_FAILED, not EMPTY_MESSAGE', async () => {
    const before = emulator.messages(1).length;
    const bare = await send({ message: ' [BR]#BR# ' });
    expect([bare.status, bare.body.error, bare.body.error_description]).toEqual([
      400,
      'SENDING_FAILED',
      'Sending failed',
    ]);
    expect(emulator.messages(1)).toHaveLength(before);
    const blank = await send({ message: ' \n ' });
    expect(blank.body.error).toBe('EMPTY_MESSAGE');
    const attached = await send({ message: '[br]', attach: [{ MESSAGE: 'card' }] });
    expect(attached.status).toBe(200);
    expect(textOf(attached.body.result.id)).toBe('');
    const keyboard = await send({ message: '[BR]', keyboard: [{ TEXT: 'yes', COMMAND: 'yes' }] });
    expect(keyboard.status).toBe(200);
    expect(textOf(keyboard.body.result.id)).toBe('');
  });
});

/**
 * `imbot.v2.Chat.Message.send`'s `fields.attach` goes through the same `CIMMessageParamAttach::GetAttachByJson` as
 * im.message.add's ATTACH (FieldsValidationService::checkAttach, yuliai/bitrix-modules@026c2eea), so the same values
 * are attaches; a refused one is ATTACH_ERROR and sends nothing.
 */
describe('imbot.v2.Chat.Message.send: fields.attach as GetAttachByJson reads it', () => {
  const send = (fields: Record<string, unknown>) =>
    post(`${hook}imbot.v2.Chat.Message.send`, { ...AGENT, dialogId: 'chat1', fields });

  it.each([
    ['a JSON string', '[{"MESSAGE":"card"}]'],
    ['a LINK with a URL', [{ LINK: { LINK: 'https://example.com/' } }]],
    ['a GRID LINE', [{ GRID: [{ DISPLAY: 'LINE' }] }]],
    ['a DELIMITER', [{ DELIMITER: { SIZE: 100 } }]],
  ])('sends %s', async (_label, attach) => {
    const reply = await send({ message: 'hi', attach });
    expect([reply.status, reply.body.error]).toEqual([200, undefined]);
  });

  it.each([
    ['true', true],
    ['0', 0],
    ['a string that is no JSON', '{MESSAGE: card'],
    ['{MESSAGE: "hi"} without BLOCKS', { MESSAGE: 'hi' }],
    ['only blocks GetAttachByJson does not read (HTML)', [{ HTML: '<b>x</b>' }]],
    ['an IMAGE without a URL', [{ IMAGE: { LINK: 'ftp://example.com/a.png' } }]],
  ])('refuses %s with ATTACH_ERROR 400 and sends nothing', async (_label, attach) => {
    const before = emulator.messages(1).length;
    const reply = await send({ message: 'hi', attach });
    expect([reply.status, reply.body.error, reply.body.error_description]).toEqual([
      400,
      'ATTACH_ERROR',
      'Incorrect attach params',
    ]);
    expect(emulator.messages(1)).toHaveLength(before);
  });

  it('reads a form-encoded attach', async () => {
    const url = `${hook}imbot.v2.Chat.Message.send`;
    const base = 'botId=10&botToken=agent-bot-token&dialogId=chat1';
    const good = await post(url, `${base}&fields[attach][0][MESSAGE]=card`);
    expect([good.status, good.body.error]).toEqual([200, undefined]);
    const bad = await post(url, `${base}&fields[message]=hi&fields[attach][0][MESSAGE]=`);
    expect([bad.status, bad.body.error]).toEqual([400, 'ATTACH_ERROR']);
  });
});

// im.dialog.messages.get (bitrix24/b24restdocs api-reference/chats/messages/im-dialog-messages-get.md; the RU page,
// bitrix-tools/b24-rest-docs at the same path, gives LIMIT's default 20 and maximum 50): without LAST_ID and FIRST_ID
// the newest messages, newest first; LAST_ID pages back (ids below it), FIRST_ID forward (ids above it, oldest first,
// FIRST_ID 0 from the very first).
describe('im.dialog.messages.get: paging and result shape', () => {
  let own: Emulator;
  let get: (params: Record<string, unknown>) => Promise<Reply>;
  /** Ids of the 60 messages of chat1, oldest first. */
  let ids: number[];
  beforeAll(async () => {
    own = await startEmulator({ plan: 'off' });
    const url = own.webhookUrl(1);
    get = (params) => post(`${url}im.dialog.messages.get`, params);
    ids = [];
    for (let i = 1; i <= 60; i++) {
      ids.push(own.postMessage({ from: i % 2 === 0 ? 2 : 10, dialogId: 'chat1', text: `line ${i}` }));
    }
    own.postMessage({ from: 1, dialogId: 'chat2', text: 'elsewhere' });
  });
  afterAll(() => own.close());

  const idsOf = (body: Reply['body']): number[] => body.result.messages.map((m: { id: number }) => m.id);

  it('answers the 20 newest by default, newest first, with chat_id, the authors and no files', async () => {
    const reply = await get({ DIALOG_ID: 'chat1' });
    expect(reply.status).toBe(200);
    expect(Object.keys(reply.body.result)).toEqual(['chat_id', 'messages', 'users', 'files']);
    expect(reply.body.result.chat_id).toBe(1);
    expect(idsOf(reply.body)).toEqual(ids.slice(-20).reverse());
    expect(reply.body.result.files).toEqual([]);
    const newest = reply.body.result.messages[0];
    expect(newest).toEqual({
      id: ids[59],
      chat_id: 1,
      author_id: 2,
      date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/),
      text: 'line 60',
      params: null,
    });
    expect(
      reply.body.result.users.map((u: Record<string, unknown>) => [u.id, u.name, u.first_name, u.last_name, u.bot]),
    ).toEqual([
      [2, 'Bob Builder', 'Bob', 'Builder', false],
      [10, expect.any(String), expect.any(String), expect.any(String), true],
    ]);
  });

  it('pages back with LAST_ID (the smallest id of the last page) until the chat runs out', async () => {
    const first = await get({ DIALOG_ID: 'chat1', LIMIT: 25 });
    expect(idsOf(first.body)).toEqual(ids.slice(-25).reverse());
    const second = await get({ DIALOG_ID: 'chat1', LIMIT: 25, LAST_ID: Math.min(...idsOf(first.body)) });
    expect(idsOf(second.body)).toEqual(ids.slice(-50, -25).reverse());
    const third = await get({ DIALOG_ID: 'chat1', LIMIT: '25', LAST_ID: String(Math.min(...idsOf(second.body))) });
    expect(idsOf(third.body)).toEqual(ids.slice(0, 10).reverse());
  });

  it('pages forward with FIRST_ID, oldest first; FIRST_ID 0 starts at the very first message', async () => {
    const first = await get({ DIALOG_ID: 'chat1', FIRST_ID: 0, LIMIT: 5 });
    expect(idsOf(first.body)).toEqual(ids.slice(0, 5));
    const next = await get({ DIALOG_ID: 'chat1', FIRST_ID: ids[4], LIMIT: 5 });
    expect(idsOf(next.body)).toEqual(ids.slice(5, 10));
    // FIRST_ID wins over LAST_ID, which is then not even read (the source's `if … elseif`).
    const both = await get({ DIALOG_ID: 'chat1', FIRST_ID: ids[57], LAST_ID: 'x' });
    expect(idsOf(both.body)).toEqual(ids.slice(58));
  });

  it('reads the chat CHAT_ID names, over DIALOG_ID (dialogMessagesGet replaces DIALOG_ID with chat<CHAT_ID>)', async () => {
    const reply = await get({ DIALOG_ID: 'chat1', CHAT_ID: 2 });
    expect(reply.status).toBe(200);
    expect(reply.body.result.chat_id).toBe(2);
    expect(reply.body.result.messages.map((m: { text: string }) => m.text)).toEqual(['elsewhere']);
    const call = own
      .timeline()
      .filter((e) => e.kind === 'call' && e.method === 'im.dialog.messages.get')
      .at(-1);
    expect(call).toMatchObject({ dialogId: 'chat2', chatId: 2 });
  });

  it('gives at most 50 messages (LIMIT is capped, not refused)', async () => {
    const reply = await get({ DIALOG_ID: 'chat1', LIMIT: 500 });
    expect(reply.status).toBe(200);
    expect(idsOf(reply.body)).toEqual(ids.slice(-50).reverse());
  });

  it('marks an edited message IS_EDITED and shows its words as they are now', async () => {
    const id = own.postMessage({ from: 2, dialogId: 'chat2', text: 'a typo' });
    own.editMessage(id, 'fixed');
    const reply = await get({ DIALOG_ID: 'chat2', LIMIT: 1 });
    expect(reply.body.result.messages).toEqual([
      expect.objectContaining({ id, text: 'fixed', params: { IS_EDITED: 'Y' } }),
    ]);
  });

  it('reads a private dialog by the other party’s id; one never written in is empty', async () => {
    const id = own.postMessage({ from: 2, dialogId: '1', text: 'just us' });
    const reply = await get({ DIALOG_ID: '2' });
    expect(idsOf(reply.body)).toEqual([id]);
    expect(reply.body.result.chat_id).toBe(own.messages().find((m) => m.messageId === id)?.chatId);
    const none = await get({ DIALOG_ID: '3' });
    expect(none.body.result).toEqual({ chat_id: 0, messages: [], users: [], files: [] });
  });
});

// Dialog::hasAccess for a private chat named `chat<N>`, an unknown user and no dialog at all (yuliai/bitrix-modules@026c2eea
// im/classes/general/im_rest.php: dialogWriting and dialogMessagesGet call `\Bitrix\Im\Dialog::hasAccess` with the
// DIALOG_ID as given, null when neither id is). im/lib/dialog.php hasAccess (stored at b2acc890): a `chat<N>` id goes to
// `V2\Chat::getInstance($chatId)->checkAccess($userId)` (im/lib/V2/Chat.php@026c2eea: `final` checkAccess, NOT_FOUND
// without a chat, else checkAccessInternal); any other id, null included, to
// `V2\Entity\User\User::getInstance($dialogId)->checkAccess($userId)`. im/lib/V2/Chat/PrivateChat.php (stored at
// 1e97fbba): checkAccessInternal is `$this->getCompanion($userId)->checkAccess($userId)`, and getCompanion answers
// `new NullUser()` when `$userId` has no relation to the chat. im/lib/V2/Entity/User/User.php (stored at 793dd136):
// getInstance answers NullUser for null or an id <= 0, UserFactory::getUserById (same commit) for an id with no user;
// the `final` checkAccess refuses a caller who does not exist, passes oneself, else asks checkAccessInternal, which
// NullUser overrides to refuse (buynitskysergey/bitrix.modules@a90806c9 im/lib/V2/Entity/User/NullUser.php:
// checkAccessWithoutCaching returns false; yuliai/bitrix-modules stores no NullUser.php). A companion who is an
// intranet user passes (User::checkAccessInternal).
describe('Dialog::hasAccess: private chats by chat id, unknown users, no dialog', () => {
  let own: Emulator;
  let privateChat: number;
  const call = (userId: number, method: string, params: Record<string, unknown>) =>
    post(`${own.webhookUrl(userId)}${method}`, params);
  const refusal = (reply: Reply) => [reply.status, reply.body.error, reply.body.error_description];
  const NO_WRITING = [403, 'ACCESS_ERROR', "You don't have access to this dialog"];
  const NO_READING = [403, 'ACCESS_ERROR', 'You do not have access to the specified dialog'];

  beforeAll(async () => {
    own = await startEmulator({ plan: 'off' });
    const id = own.postMessage({ from: 2, dialogId: '1', text: 'just us' });
    privateChat = own.messages().find((m) => m.messageId === id)!.chatId;
  });
  afterAll(() => own.close());

  it('refuses a non-member writing to a private chat as chat<N> or CHAT_ID (companion is a NullUser)', async () => {
    expect(refusal(await call(3, 'im.dialog.writing', { DIALOG_ID: `chat${privateChat}` }))).toEqual(NO_WRITING);
    expect(refusal(await call(3, 'im.dialog.writing', { CHAT_ID: privateChat }))).toEqual(NO_WRITING);
    expect(refusal(await call(3, 'im.chat.sendTyping', { DIALOG_ID: `CHAT${privateChat}` }))).toEqual(NO_WRITING);
    expect(own.indicators().filter((i) => i.senderId === 3)).toEqual([]);
  });

  it('refuses a non-member reading a private chat as chat<N>', async () => {
    expect(refusal(await call(3, 'im.dialog.messages.get', { DIALOG_ID: `chat${privateChat}` }))).toEqual(NO_READING);
  });

  it('lets a member write to and read the private chat as chat<N> (the companion passes)', async () => {
    const writing = await call(1, 'im.dialog.writing', { DIALOG_ID: `chat${privateChat}` });
    expect([writing.status, writing.body.result]).toEqual([200, true]);
    const reading = await call(2, 'im.dialog.messages.get', { DIALOG_ID: `chat${privateChat}` });
    expect(reading.status).toBe(200);
    expect(reading.body.result.messages.map((m: { text: string }) => m.text)).toEqual(['just us']);
  });

  it('refuses an unknown user id as no access (NullUser), reading and writing', async () => {
    expect(refusal(await call(1, 'im.dialog.writing', { DIALOG_ID: '999' }))).toEqual(NO_WRITING);
    expect(refusal(await call(1, 'im.dialog.messages.get', { DIALOG_ID: '999' }))).toEqual(NO_READING);
  });

  it('refuses neither DIALOG_ID nor CHAT_ID as no access: hasAccess(null) asks a NullUser', async () => {
    expect(refusal(await call(1, 'im.dialog.writing', {}))).toEqual(NO_WRITING);
    expect(refusal(await call(1, 'im.dialog.writing', { DIALOG_ID: null }))).toEqual(NO_WRITING);
  });

  it('still passes one’s own id and a known user’s (StartWriting refuses oneself)', async () => {
    expect(refusal(await call(1, 'im.dialog.writing', { DIALOG_ID: '1' }))).toEqual([
      403,
      'ACCESS_ERROR',
      'Action unavailable',
    ]);
    expect((await call(1, 'im.dialog.messages.get', { DIALOG_ID: '3' })).status).toBe(200);
  });
});
