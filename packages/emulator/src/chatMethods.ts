import type { Chat, ChatModel } from './ChatModel';
import { restError } from './errorCatalog';
import { chatIdOf, isChatId } from './indicatorMethods';
import type { AuthContext, CallRecord, MethodContext, MethodDefinition } from './methodContext';
import { arrayArgument, intArgument, intval, isset, phpEmpty, phpTrim, stringOf, upperKeys } from './paramValues';
import type { Params } from './phpQuery';
import {
  accessDeniedV2,
  bindDialogV2,
  checkMemberV2,
  resolveBotV1,
  resolveBotV2,
  resolveDialogV2,
  subjectBotV1,
  subjectV2,
} from './resolveBot';
import { RestError } from './RestError';

/**
 * The user ids of a `USERS` parameter: a JSON array or a form's `USERS[]=…` (a PHP array either way), each through
 * `intval`, those > 0, each once; null when it is no array at all.
 */
function userIdsOf(value: unknown): number[] | null {
  if (value === null || typeof value !== 'object') return null;
  const ids = Object.values(value)
    .map(intval)
    .filter((id) => id > 0);
  return [...new Set(ids)];
}

/**
 * `im.chat.add` (bitrix-tools/b24-rest-docs api-reference/chats/im-chat-add.md; module source im_rest.php
 * chatCreate): a group chat of the caller and `USERS`, owned by `OWNER_ID` ("can be omitted: the owner is whoever
 * makes the request"), titled `TITLE`. Result: the chat id. `USERS` is required by the page, and an older copy of the
 * source (`!is_array(USERS) || empty(USERS)`) refuses it as USERS_EMPTY 400, while the newest lets a chat start with its
 * creator alone: the docs are followed, so a `USERS` that is no array or names no id > 0 is USERS_EMPTY. Ids of users
 * the portal does not have are left out (the model has no other use for them); an `OWNER_ID` that is no known user
 * leaves the caller the owner. Without a `TITLE` (PHP-trimmed) the model names the chat after its members, as the
 * platform makes a title of their names. Each bot among the members hears it joined (ChatModel.createChat), from the
 * caller. `TYPE` `OPEN` makes a chat like `CHAT` (the model has no open chats); `MESSAGE`, `DESCRIPTION`, `COLOR`,
 * `AVATAR`, `ENTITY_TYPE`, `ENTITY_ID` are not modelled. The documented WRONG_REQUEST ("Chat can't be created")
 * cannot occur: the model refuses nothing past USERS_EMPTY.
 */
function chatAdd(raw: Params, context: MethodContext): unknown {
  const params = upperKeys(raw);
  const { model, auth } = context;
  const userIds = userIdsOf(params.USERS);
  if (!userIds || userIds.length === 0) throw restError('USERS_EMPTY');
  const ownerId = intval(params.OWNER_ID);
  const memberIds = userIds.filter((id) => model.users.has(id));
  const named = phpTrim(stringOf(params.TITLE) ?? '');
  const title =
    named !== '' ? named : [...new Set([auth.userId, ...memberIds])].map((id) => model.displayName(id)).join(', ');
  const chat = model.createChat(
    {
      title,
      ownerId: ownerId > 0 && model.users.has(ownerId) ? ownerId : auth.userId,
      memberIds,
      addedBy: auth.userId,
    },
    context.now,
  );
  context.record.chatId = chat.id;
  context.record.dialogId = `chat${chat.id}`;
  return chat.id;
}

/**
 * The `CHAT_ID` the im_rest.php chat-member handlers (chatUserAdd, chatUserDelete, so the `imbot.chat.*` ones too) go
 * on with: a `DIALOG_ID` that is set (`isset`) replaces it, as `Dialog::getChatId` reads it when `Common::isChatId`
 * passes (`chatN` in any case is N, `sgN` the workgroup's chat, `crmN` 0, so CHAT_ID_EMPTY); any other DIALOG_ID (a
 * user id, a word, `''`) is DIALOG_ID_EMPTY 400, before `CHAT_ID` is read. Neither method page documents `DIALOG_ID`;
 * the source reads it, and a caller holding only a dialog id (an event's `DIALOG_ID`) can pass it.
 */
function chatIdParam(params: Params, model: ChatModel): unknown {
  if (!isset(params.DIALOG_ID)) return params.CHAT_ID;
  const dialogId = stringOf(params.DIALOG_ID) ?? '';
  if (!isChatId(dialogId)) throw restError('DIALOG_ID_EMPTY');
  return chatIdOf(model, dialogId);
}

/**
 * `\Bitrix\Im\Chat::isActionAllowed('chatN', EXTEND | LEAVE)` as chatUserAdd / chatUserDelete ask it
 * (im/lib/chat.php; `CIMChat::GetChatOptions`, yuliai/bitrix-modules@026c2eea im/classes/general/im_chat.php): the
 * chat's entity type decides, and a workgroup chat (`SONET_GROUP`) has both `false`: its members are the workgroup's,
 * so no one is added or removed through the chat. Every other chat the model has, and one that does not exist (no
 * entity type), allows both. The general chat (`GENERAL`, also `false`, asked before this as "Action unavailable") is
 * not in the model.
 */
function entityAllows(chat: Chat | undefined): boolean {
  return chat?.workgroupId == null;
}

/**
 * `im.chat.user.add` and `imbot.chat.user.add`, one handler in the module source (im_rest.php chatUserAdd, then
 * `CIMChat::AddUser`; bitrix-tools/b24-rest-docs api-reference/chats/chat-users/im-chat-user-add.md and
 * api-reference/chat-bots/chats/imbot-chat-user-add.md), checked in its order: `DIALOG_ID` for `CHAT_ID` (chatIdParam:
 * DIALOG_ID_EMPTY 400); `CHAT_ID` through `intval`, CHAT_ID_EMPTY 400 if not > 0; a workgroup chat, ACCESS_ERROR 403
 * "It is forbidden to add users to this chat" (entityAllows; the pages list the code and text); for the imbot method
 * the bot (`getBotId`, resolveBotV1: ACCESS_DENIED 403, BOT_ID_ERROR, APP_ID_ERROR 400), who then acts instead of the
 * caller; then the one acting must be a member with the right to add members ("a chat participant with the right to add
 * participants", `canDo(Action::Extend)`; mayAdd), so a chat that does not exist, a private chat and a chat they are
 * not in are refused: for `im.chat.user.add` ACCESS_DENIED_EXTEND 403, the page's code and text (the source's REST
 * wrapper sends WRONG_REQUEST 400), for `imbot.chat.user.add` the source's WRONG_REQUEST 400 "You don't have access or
 * user already member in chat" (its page has the code too, with "already a member"). The `USERS` the portal has and the
 * chat has not yet are added; `HIDE_HISTORY` (default `Y`) says whether the earlier history stays hidden from them.
 * Each bot added hears it joined (ChatModel.addMembers), from the one acting. `true`, also when nobody was new: the im
 * page lists no error for that, and `AddUser` returns true (the imbot page's "user is already in the chat" is not what
 * the source does). Not modelled: the general chat's ACCESS_ERROR "Action unavailable" (checked before the
 * workgroup's), the extranet's "User IDs must be passed in array format": the model has neither.
 */
function chatUserAdd(raw: Params, context: MethodContext, how: { bot: boolean }): unknown {
  const params = upperKeys(raw);
  const { model } = context;
  const chatId = intval(chatIdParam(params, model));
  if (chatId <= 0) throw restError('CHAT_ID_EMPTY');
  context.record.chatId = chatId;
  context.record.dialogId = `chat${chatId}`;
  const chat = model.chats.get(chatId);
  if (!entityAllows(chat)) throw restError('ACCESS_ERROR', 'It is forbidden to add users to this chat');
  const actorId = how.bot ? resolveBotV1(params, context).id : context.auth.userId;
  if (!chat || !mayAdd(chat, actorId)) {
    throw how.bot
      ? restError('WRONG_REQUEST', "You don't have access or user already member in chat")
      : restError('ACCESS_DENIED_EXTEND');
  }
  // The source: `HIDE_HISTORY` 'N' shows it, any other value as PHP's `(bool)`; unset, the documented default `Y`.
  const hide = params.HIDE_HISTORY;
  const hideHistory = !isset(hide) || (hide !== 'N' && !phpEmpty(hide));
  model.addMembers(chat, userIdsOf(params.USERS) ?? [intval(params.USERS)], actorId, hideHistory, context.now);
  return true;
}

/**
 * Whether `actorId` may add members to `chat` (`canDo(Action::Extend)` as the model has it): a group chat they are
 * in. The model has no managers or per-chat rights, so every member may, as the im.chat.user.add page describes.
 */
function mayAdd(chat: Chat, actorId: number): boolean {
  return chat.type === 'chat' && chat.members.has(actorId);
}

/**
 * `im.chat.user.delete`, `im.chat.leave`, `imbot.chat.user.delete` and `imbot.chat.leave`, one handler in the module
 * source (im_rest.php chatUserDelete, then `CIMChat::DeleteUser`), checked in its order: `DIALOG_ID` for `CHAT_ID`
 * (chatIdParam: DIALOG_ID_EMPTY 400); `CHAT_ID` and `USER_ID` through `intval`; CHAT_ID_EMPTY 400 if the chat id is not
 * > 0; a workgroup chat, ACCESS_ERROR 403 "It is forbidden to delete users of this chat" (entityAllows: `LEAVE`, for
 * all four methods, a leave included, as the pages list it); for the imbot methods the bot (`getBotId`, resolveBotV1:
 * ACCESS_DENIED 403, BOT_ID_ERROR, APP_ID_ERROR 400), who then acts instead of the caller; for the `user.delete`
 * methods USER_ID_EMPTY 400 ("User ID can't be empty") if the user id is not > 0. Whom: `USER_ID` if > 0, else the one
 * acting; so a leave, whose pages document `CHAT_ID` (and `BOT_ID`) only, removes the `USER_ID` it is given as the
 * source does. Then the right to remove (`canDo(Action::Kick)`, and "only the chat's author removes others",
 * `IM_ERROR_KICK`; mayRemove), then whether the user is in the chat. For the im methods the codes and texts are the
 * pages' (bitrix-tools/b24-rest-docs and bitrix24/b24restdocs api-reference/chats/chat-users/im-chat-user-delete.md,
 * im-chat-leave.md): ACCESS_DENIED_KICK 403 (a chat that does not exist, a private dialog, a chat the caller is not in,
 * another member removed by a non-owner; for `im.chat.leave` the page's "the user is not a member of the chat"), then
 * USER_NOT_FOUND 400 ("The specified user is not in the chat"), where the source's REST wrapper sends WRONG_REQUEST
 * 400; followed as for `im.chat.user.add`. For the imbot methods page and source agree: every refusal of `DeleteUser`
 * is WRONG_REQUEST 400 "You don't have access or user isn't member in chat"
 * (api-reference/chat-bots/chats/imbot-chat-user-delete.md; the `imbot.chat.leave` page lists no code for it and the
 * source's is taken). The owner may leave (LEAVE_OWNER_FORBIDDEN, ACCESS_ERROR 403, is for entity chats such as the
 * general one, which the model has not), and the chat passes on (ChatModel.removeMember). The general chat's
 * ACCESS_ERROR "Action unavailable" (checked before the workgroup's) is not modelled: the model has none. `true` on
 * success.
 */
function chatUserDelete(raw: Params, context: MethodContext, how: { leave: boolean; bot: boolean }): unknown {
  const params = upperKeys(raw);
  const { model } = context;
  const chatId = intval(chatIdParam(params, model));
  const userId = intval(params.USER_ID);
  if (chatId <= 0) throw restError('CHAT_ID_EMPTY');
  context.record.chatId = chatId;
  context.record.dialogId = `chat${chatId}`;
  const chat = model.chats.get(chatId);
  if (!entityAllows(chat)) throw restError('ACCESS_ERROR', 'It is forbidden to delete users of this chat');
  const actorId = how.bot ? resolveBotV1(params, context).id : context.auth.userId;
  if (!how.leave && userId <= 0) throw restError('USER_ID_EMPTY', "User ID can't be empty");
  const target = userId > 0 ? userId : actorId;
  if (how.bot) {
    if (!chat || !mayRemove(chat, actorId, target) || !chat.members.has(target)) {
      throw restError('WRONG_REQUEST', "You don't have access or user isn't member in chat");
    }
  } else {
    if (!chat || !mayRemove(chat, actorId, target)) throw restError('ACCESS_DENIED_KICK');
    if (!chat.members.has(target)) throw restError('USER_NOT_FOUND', 'The specified user is not in the chat');
  }
  model.removeMember(chat, target);
  return true;
}

/**
 * Whether `actorId` may take `targetId` out of `chat` (`canDo(Action::Kick)` and `IM_ERROR_KICK`, as the model has
 * them): a group chat the actor is in, and the actor leaving or owning it. The model has no managers, so "the bot must
 * be the chat's administrator" (imbot.v2.Chat.User.delete's page) is its owner.
 */
function mayRemove(chat: Chat, actorId: number, targetId: number): boolean {
  return chat.type === 'chat' && chat.members.has(actorId) && (targetId === actorId || chat.ownerId === actorId);
}

/**
 * Whose `imbot.chat.leave` / `imbot.chat.user.delete` / `imbot.chat.user.add` a refused call was: the bot as the
 * legacy calls name it (subjectBotV1) and the chat of `CHAT_ID`, or of a `chatN` `DIALOG_ID` (which wins), without
 * checking either.
 */
function botChatSubject(raw: Params, auth: AuthContext | null, model: ChatModel, record: CallRecord): void {
  const params = upperKeys(raw);
  subjectBotV1(params, auth, model, record);
  const dialogId = isset(params.DIALOG_ID) ? (stringOf(params.DIALOG_ID) ?? '') : null;
  const chatId = dialogId === null ? intval(params.CHAT_ID) : isChatId(dialogId) ? chatIdOf(model, dialogId) : 0;
  if (chatId <= 0) return;
  record.chatId = chatId;
  record.dialogId = `chat${chatId}`;
}

/**
 * `imbot.v2.Chat.leave` (bitrix-tools/b24-rest-docs api-reference/chat-bots/chat-bots-v2/imbot.v2/chats/
 * chat-leave.md; yuliai/bitrix-modules imbot/lib/V2/Controller/Chat.php leaveAction): the bot as every v2 call
 * resolves it, the dialog (`dialogId`, or an integer `chatId`), its membership (ACCESS_DENIED 400, "the bot is not a
 * member of the chat"), then `deleteUser` of the bot itself. A private dialog cannot be left: the model answers it
 * ACCESS_DENIED, the only refusal the page lists past the bot (what `PrivateChat::deleteUser` sends is not in the
 * copy read). A workgroup chat is left like any other: leaveAction has no `CheckActionAccess(Action::Leave)` prefilter
 * and `Chat::deleteUser` checks no right (imbot.v2.Chat.User.delete of the bot itself, which asks `Leave`, is
 * refused there). `{result: true}`. No event, and an indicator already up lapses on its own, as for
 * `im.chat.user.delete` (ChatModel.removeMember).
 */
function v2ChatLeave(params: Params, context: MethodContext): unknown {
  const bot = resolveBotV2(params, context);
  const chat = resolveDialogV2(params, bot, context);
  if (!mayRemove(chat, bot.id, bot.id)) throw accessDeniedV2();
  context.model.removeMember(chat, bot.id);
  return { result: true };
}

/**
 * `imbot.v2.Chat.User.delete` (…/imbot.v2/chats/chat-user-delete.md; imbot/lib/V2/Controller/Chat/User.php
 * deleteAction): the bot (processBeforeAction), then the action's arguments as the binder reads them, `Chat $chat`
 * (dialogId / chatId, CHAT_NOT_FOUND) and `int $userId` (missing or JSON null: ERROR_ARGUMENT "Could not find value for
 * parameter {userId}"; not numeric: "Invalid value …"), then the prefilters, which read those arguments: the bot's
 * membership, ACCESS_DENIED, and `CheckActionAccess(Action::Kick, userId)`, ACCESS_DENIED as well ("the bot is not a
 * member of the chat or has no right to remove users"; mayRemove: the bot must own the chat to remove another).
 * `Permission::specifyAction` makes a Kick of the bot itself a `Leave` (`LeaveOwner` for the chat's owner), and a
 * workgroup chat (`ExtendedType::Sonet`) gives both to `ROLE_NONE` (im/lib/V2/Permission.php), so there the bot cannot
 * remove itself (entityAllows), while a Kick of another member keeps the default rights. A user who is not in the chat
 * is `{result: true}`, as the page says ("idempotent"; the source drops a lone USER_NOT_FOUND). `{result: true}`.
 */
function v2ChatUserDelete(params: Params, context: MethodContext): unknown {
  const bot = resolveBotV2(params, context);
  const chat = bindDialogV2(params, bot, context);
  const userId = intArgument(params, 'userId');
  if (userId === undefined) throw RestError.argument('userId', 'Could not find value for parameter {userId}');
  checkMemberV2(chat, bot);
  if (!mayRemove(chat, bot.id, userId) || (userId === bot.id && !entityAllows(chat))) throw accessDeniedV2();
  if (chat.members.has(userId)) context.model.removeMember(chat, userId);
  return { result: true };
}

/**
 * `imbot.v2.Chat.User.add` (…/imbot.v2/chats/chat-user-add.md; imbot/lib/V2/Controller/Chat/User.php addAction): the
 * bot (processBeforeAction), then the action's arguments as the binder reads them, `Chat $chat` (dialogId / chatId,
 * CHAT_NOT_FOUND) and `array $userIds = []` (no array: ERROR_ARGUMENT "… Should be value of type array."; absent,
 * none), then the prefilters: the bot's membership, ACCESS_DENIED, and `CheckActionAccess(Action::Extend)`,
 * ACCESS_DENIED as well: a private dialog takes no one else (mayAdd), a workgroup chat no one at all (`Permission`'s
 * `Extend` is `ROLE_NONE` for `ExtendedType::Sonet`, im/lib/V2/Permission.php). The ids through `intval`; those the
 * portal has not are skipped ("non-existent or inactive users are ignored without an error"), members already in too.
 * Each bot added hears it joined, from the bot; `AddUsersConfig`'s `hideHistory` is null, as an im.chat.user.add
 * without `HIDE_HISTORY`, so hidden. `{result: true}`. The page's "the bot must be the chat's administrator" is not
 * modelled apart: `Action::Extend` is the right the source checks, and its default for a plain chat
 * (`getDefaultManageUsersAdd`, MEMBER) is every member's, as im.chat.user.add has it.
 */
function v2ChatUserAdd(params: Params, context: MethodContext): unknown {
  const bot = resolveBotV2(params, context);
  const chat = bindDialogV2(params, bot, context);
  const userIds = (arrayArgument(params, 'userIds') ?? []).map(intval);
  checkMemberV2(chat, bot);
  if (!mayAdd(chat, bot.id) || !entityAllows(chat)) throw accessDeniedV2();
  context.model.addMembers(chat, userIds, bot.id, true, context.now);
  return { result: true };
}

export const CHAT_METHODS: readonly MethodDefinition[] = [
  { name: 'im.chat.add', scope: 'im', handler: chatAdd },
  { name: 'im.chat.user.add', scope: 'im', handler: (raw, context) => chatUserAdd(raw, context, { bot: false }) },
  {
    name: 'im.chat.user.delete',
    scope: 'im',
    handler: (raw, context) => chatUserDelete(raw, context, { leave: false, bot: false }),
  },
  {
    name: 'im.chat.leave',
    scope: 'im',
    handler: (raw, context) => chatUserDelete(raw, context, { leave: true, bot: false }),
  },
  {
    name: 'imbot.chat.user.add',
    scope: 'imbot',
    handler: (raw, context) => chatUserAdd(raw, context, { bot: true }),
    subject: botChatSubject,
  },
  {
    name: 'imbot.chat.user.delete',
    scope: 'imbot',
    handler: (raw, context) => chatUserDelete(raw, context, { leave: false, bot: true }),
    subject: botChatSubject,
  },
  {
    name: 'imbot.chat.leave',
    scope: 'imbot',
    handler: (raw, context) => chatUserDelete(raw, context, { leave: true, bot: true }),
    subject: botChatSubject,
  },
  { name: 'imbot.v2.Chat.leave', scope: 'imbot', handler: v2ChatLeave, subject: subjectV2 },
  { name: 'imbot.v2.Chat.User.add', scope: 'imbot', handler: v2ChatUserAdd, subject: subjectV2 },
  { name: 'imbot.v2.Chat.User.delete', scope: 'imbot', handler: v2ChatUserDelete, subject: subjectV2 },
];
