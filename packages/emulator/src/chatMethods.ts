import { restError } from './errorCatalog';
import type { MethodContext, MethodDefinition } from './methodContext';
import { intval, isset, phpEmpty, phpTrim, stringOf, upperKeys } from './paramValues';
import type { Params } from './phpQuery';

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
 * `im.chat.user.add` (bitrix-tools/b24-rest-docs api-reference/chats/chat-users/im-chat-user-add.md; module source
 * im_rest.php chatUserAdd and `CIMChat::AddUser`): `CHAT_ID` through `intval`, CHAT_ID_EMPTY 400 if not > 0; then
 * the caller must be a member with the right to add members ("a chat participant with the right to add
 * participants"): in the model every member of a group chat has it, the owner included, so a chat that does not
 * exist, a private chat and a chat the caller is not in are ACCESS_DENIED_EXTEND 403 (`canDo(Action::Extend)`). The
 * `USERS` the portal has and the chat has not yet are added; `HIDE_HISTORY` (default `Y`) says whether the earlier
 * history stays hidden from them. Each bot added hears it joined (ChatModel.addMembers), from the caller. `true`,
 * also when nobody was new: the page lists no error for that, and `AddUser` returns true. The general chat's
 * ACCESS_ERROR ("Action unavailable", "It is forbidden to add users to this chat") is not modelled: the model has none.
 */
function chatUserAdd(raw: Params, context: MethodContext): unknown {
  const params = upperKeys(raw);
  const { model, auth } = context;
  const chatId = intval(params.CHAT_ID);
  if (chatId <= 0) throw restError('CHAT_ID_EMPTY');
  context.record.chatId = chatId;
  context.record.dialogId = `chat${chatId}`;
  const chat = model.chats.get(chatId);
  if (chat?.type !== 'chat' || !chat.members.has(auth.userId)) throw restError('ACCESS_DENIED_EXTEND');
  // The source: `HIDE_HISTORY` 'N' shows it, any other value as PHP's `(bool)`; unset, the documented default `Y`.
  const hide = params.HIDE_HISTORY;
  const hideHistory = !isset(hide) || (hide !== 'N' && !phpEmpty(hide));
  model.addMembers(chat, userIdsOf(params.USERS) ?? [intval(params.USERS)], auth.userId, hideHistory, context.now);
  return true;
}

/**
 * `im.chat.user.delete` and `im.chat.leave`, one handler in the module source (im_rest.php chatUserDelete, then
 * `CIMChat::DeleteUser`), checked in its order: `CHAT_ID` and `USER_ID` through `intval`; CHAT_ID_EMPTY 400 if the
 * chat id is not > 0; for `im.chat.user.delete` USER_ID_EMPTY 400 ("User ID can't be empty") if the user id is not
 * > 0. Whom: `USER_ID` if > 0, else the caller; so `im.chat.leave`, whose page documents `CHAT_ID` only, removes the
 * `USER_ID` it is given as the source does. Then the right to remove (`canDo(Action::Kick)`, and "only the chat's
 * author removes others", `IM_ERROR_KICK`): the caller must be in the group chat, and may remove only themselves
 * unless they own it; a chat that does not exist, a private dialog, a chat the caller is not in and another member
 * removed by a non-owner are ACCESS_DENIED_KICK 403 (for `im.chat.leave` the page's "the user is not a member of the
 * chat"). Last, a user who is not in the chat is USER_NOT_FOUND 400 ("The specified user is not in the chat"). The
 * codes and texts are the pages' (bitrix-tools/b24-rest-docs and bitrix24/b24restdocs api-reference/chats/chat-users/
 * im-chat-user-delete.md, im-chat-leave.md): the source's REST wrapper turns every refusal of `DeleteUser` but an
 * owner's forbidden leave into WRONG_REQUEST 400, and the pages are followed, as for `im.chat.user.add`. The owner
 * may leave (LEAVE_OWNER_FORBIDDEN, ACCESS_ERROR 403, is for entity chats such as the general one, which the model
 * has not), and the chat passes on (ChatModel.removeMember). The general chat's ACCESS_ERROR ("Action unavailable",
 * "It is forbidden to delete users of this chat") is not modelled: the model has none. `true` on success.
 * `DIALOG_ID`, which the source also reads, is not modelled (neither page documents it, as for `im.chat.user.add`).
 */
function chatUserDelete(raw: Params, context: MethodContext, leave: boolean): unknown {
  const params = upperKeys(raw);
  const { model, auth } = context;
  const chatId = intval(params.CHAT_ID);
  const userId = intval(params.USER_ID);
  if (chatId <= 0) throw restError('CHAT_ID_EMPTY');
  context.record.chatId = chatId;
  context.record.dialogId = `chat${chatId}`;
  if (!leave && userId <= 0) throw restError('USER_ID_EMPTY', "User ID can't be empty");
  const target = userId > 0 ? userId : auth.userId;
  const chat = model.chats.get(chatId);
  if (chat?.type !== 'chat' || !chat.members.has(auth.userId)) throw restError('ACCESS_DENIED_KICK');
  if (target !== auth.userId && chat.ownerId !== auth.userId) throw restError('ACCESS_DENIED_KICK');
  if (!chat.members.has(target)) throw restError('USER_NOT_FOUND', 'The specified user is not in the chat');
  model.removeMember(chat, target);
  return true;
}

export const CHAT_METHODS: readonly MethodDefinition[] = [
  { name: 'im.chat.add', scope: 'im', handler: chatAdd },
  { name: 'im.chat.user.add', scope: 'im', handler: chatUserAdd },
  { name: 'im.chat.user.delete', scope: 'im', handler: (raw, context) => chatUserDelete(raw, context, false) },
  { name: 'im.chat.leave', scope: 'im', handler: (raw, context) => chatUserDelete(raw, context, true) },
];
