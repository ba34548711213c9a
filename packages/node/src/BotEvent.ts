import type { DialogId } from '@b24-typing/core';

/**
 * Typed bot events, as `parseBotEvent` (webhook mode) and `botEvents` (fetch mode) deliver them. Field names
 * are the platform's own (reference §4.4), so the Bitrix24 docs apply unchanged; numbers and booleans are
 * restored from the strings a form body carries. Fields the platform may add later stay reachable through
 * the index signatures, as strings (form) or as sent (JSON).
 */

/** The `auth` block of a webhook POST. Present only in webhook mode; `application_token` is the one to verify. */
export interface EventAuth {
  readonly application_token?: string;
  readonly access_token?: string;
  readonly refresh_token?: string;
  readonly expires?: number;
  readonly expires_in?: number;
  readonly scope?: string;
  readonly domain?: string;
  readonly server_endpoint?: string;
  readonly client_endpoint?: string;
  readonly member_id?: string;
  readonly user_id?: number;
  readonly status?: string;
  readonly [key: string]: unknown;
}

export interface EventBot {
  readonly id: number;
  readonly code?: string;
  /** Webhook mode only: the bot's own OAuth block. Never use its `application_token` to verify the event. */
  readonly auth?: EventAuth;
  readonly [key: string]: unknown;
}

export interface EventMessage {
  readonly id: number;
  readonly chatId: number;
  readonly authorId: number;
  /** `null` when the portal has none (entities.md#message: `string|null`); a form body carries that as `''`. */
  readonly date?: string | null;
  readonly text: string;
  readonly isSystem?: boolean;
  /** `null` for a message sent without one (JSON, `Event.get`); `''` in a form body. */
  readonly uuid?: string | null;
  readonly params?: unknown;
  readonly viewedByOthers?: boolean;
  readonly [key: string]: unknown;
}

export interface EventChat {
  readonly id: number;
  /**
   * Reply to this: `chat<N>` for a group chat, `sg<N>` for a workgroup chat, the counterpart's user id for a
   * private one. Always a string, checked with core's `validateDialogId`, so it goes to `botStatus` as is.
   */
  readonly dialogId: DialogId;
  readonly type?: string;
  readonly name?: string;
  readonly entityType?: string;
  readonly owner?: number;
  readonly [key: string]: unknown;
}

export interface EventUser {
  readonly id: number;
  readonly name?: string;
  readonly firstName?: string;
  readonly lastName?: string;
  readonly bot?: boolean;
  readonly [key: string]: unknown;
}

interface EventBase<T extends string, D> {
  readonly type: T;
  readonly data: D;
  /** Fetch mode: the event's id (offsets are built from it). */
  readonly eventId?: number;
  /** Fetch mode: when it happened, as the portal formats it. */
  readonly date?: string;
  /** Webhook mode: the portal's timestamp. */
  readonly ts?: number;
  /** Webhook mode: the top-level auth block (already verified by `parseBotEvent`). */
  readonly auth?: EventAuth;
}

export interface MessageEventData {
  readonly bot: EventBot;
  readonly message: EventMessage;
  readonly chat: EventChat;
  readonly user: EventUser;
  readonly language?: string;
  readonly [key: string]: unknown;
}

export interface JoinChatEventData {
  readonly bot: EventBot;
  /**
   * The chat's id again, as events.md#onimbotv2joinchat lists it beside `chat`: checked and typed as
   * `chat.dialogId` is when sent, but optional, so reply to `chat.dialogId`, which every join event carries.
   */
  readonly dialogId?: DialogId;
  readonly chat: EventChat;
  /** Who added the bot. Listed by the docs, yet optional: a join the bot cannot attribute still reads. */
  readonly user?: EventUser;
  readonly language?: string;
  readonly [key: string]: unknown;
}

export interface BotDeleteEventData {
  readonly bot: EventBot;
  readonly [key: string]: unknown;
}

export type MessageAddEvent = EventBase<'ONIMBOTV2MESSAGEADD', MessageEventData>;
export type MessageUpdateEvent = EventBase<'ONIMBOTV2MESSAGEUPDATE', MessageEventData>;
export type JoinChatEvent = EventBase<'ONIMBOTV2JOINCHAT', JoinChatEventData>;
/** The last event a bot gets: it was unregistered. */
export type BotDeleteEvent = EventBase<'ONIMBOTV2DELETE', BotDeleteEventData>;

/**
 * A bot of the legacy v1 payload, keyed by its id under `BOT`: the bot's own auth keys, the same keys
 * again under `AUTH`, then its id and code. The auth numbers are numbers in both, as in v2's `data.bot.auth`.
 */
export interface V1EventBot extends EventAuth {
  readonly BOT_ID: number;
  readonly BOT_CODE?: string;
  /** The bot's OAuth block in the `auth` format. Never use its `application_token` to verify the event. */
  readonly AUTH?: EventAuth;
  readonly client_id?: string;
}

/** A legacy v1 event: webhook mode only, with the body's top-level `event_handler_id`. */
interface V1EventBase<T extends string, D> extends EventBase<T, D> {
  /** Webhook mode: the id of the `event.bind` handler the portal called (the body's top-level `event_handler_id`). */
  readonly event_handler_id?: number;
}

/**
 * The `PARAMS` fields every v1 chat event carries (`V1_CHAT_PARAMS` of typeBotEvent.ts: on-imbot-message-add.md,
 * on-imbot-join-chat.md), typed once so the message, join, edit and deletion `PARAMS` cannot drift apart.
 */
interface V1ChatParams {
  /**
   * Reply here: `chat<N>` for a group chat, the user's id (`"27"`) for a private one. Always a string, checked with
   * core's `validateDialogId` by the legacy API's rule (no `sg<N>`), so it goes to `withStatus({ legacy: true })` and
   * `imbot.message.add` as is.
   */
  readonly DIALOG_ID: DialogId;
  readonly FROM_USER_ID?: number;
  readonly TO_USER_ID?: number;
  /** Group chats only, as `CHAT_AUTHOR_ID`. */
  readonly CHAT_ID?: number;
  readonly CHAT_AUTHOR_ID?: number;
  readonly CHAT_TYPE?: string;
  readonly MESSAGE_TYPE?: string;
  readonly LANGUAGE?: string;
  readonly [key: string]: unknown;
}

/**
 * The chat's bound object (`V1_CHAT_ENTITY` of typeBotEvent.ts): strings on the message, edit, deletion and command
 * pages, a JSON number read as one. The join's page lists the first two alone.
 */
interface V1ChatEntityParams {
  readonly CHAT_ENTITY_TYPE?: string;
  readonly CHAT_ENTITY_ID?: string;
  readonly CHAT_ENTITY_DATA_1?: string;
  readonly CHAT_ENTITY_DATA_2?: string;
  readonly CHAT_ENTITY_DATA_3?: string;
}

/**
 * The message's `PARAMS` fields the message event, its edit, its deletion and a command share (`V1_PARAMS` of
 * typeBotEvent.ts, which their schemas extend): the platform sends an edit and a deletion with the message's fields.
 */
interface V1MessageParams extends V1ChatParams, V1ChatEntityParams {
  readonly MESSAGE_ID: number;
  readonly AUTHOR_ID?: number;
  readonly TO_CHAT_ID?: number;
  readonly CHAT_PREV_MESSAGE_ID?: number;
  readonly RID?: number;
  readonly FAKE_RELATION?: number;
  /** Group chats only, as `CHAT_ID`. */
  readonly CHAT_USER_COUNT?: number;
  readonly SYSTEM?: boolean;
  /** The users and bots the message mentions (group chats), keyed by their id as a string. */
  readonly MENTIONED_LIST?: Readonly<Record<string, number>>;
}

/**
 * `data` of a v1 chat event (message, join, edit, deletion): the bots it is for under `BOT`, keyed by bot id,
 * the event's `PARAMS`, and `USER`, the author (who added the bot, in a join).
 */
interface V1ChatEventData<P> {
  readonly BOT: Readonly<Record<string, V1EventBot>>;
  readonly PARAMS: P;
  /** An empty object in the docs when its `ID` is 0: then absent from a form body. */
  readonly USER?: V1EventUser;
  readonly [key: string]: unknown;
}

/**
 * The legacy v1 payload: upper-case keys, bots keyed by id under `BOT` (on-imbot-message-add.md). The documented
 * integers are numbers and the author's `Y`/`N` flags booleans; `SYSTEM`, a `Y`/`N` string in the docs, is a boolean
 * too. Other fields, the other `Y`/`N` strings of `PARAMS` (`PUSH`, `CHAT_EXTRANET`, …) among them, come as sent.
 */
export interface V1MessageAddEventData
  extends V1ChatEventData<
    V1MessageParams & {
      readonly MESSAGE: string;
      readonly FROM_USER_ID: number;
    }
  > {}
export type V1MessageAddEvent = V1EventBase<'ONIMBOTMESSAGEADD', V1MessageAddEventData>;

/** The user of a v1 event (`data.USER`): its `ID` a number, its `Y`/`N` flags booleans. */
export interface V1EventUser {
  readonly ID?: number;
  readonly NAME?: string;
  readonly FIRST_NAME?: string;
  readonly LAST_NAME?: string;
  readonly WORK_POSITION?: string;
  readonly GENDER?: string;
  readonly IS_BOT?: boolean;
  readonly IS_CONNECTOR?: boolean;
  readonly IS_NETWORK?: boolean;
  readonly IS_EXTRANET?: boolean;
  readonly [key: string]: unknown;
}

/**
 * The legacy v1 join payload (on-imbot-join-chat.md): `BOT` and `USER` (who added the bot) as in the message event,
 * `PARAMS` with the documented integers as numbers, `ACCESS_HISTORY` (`1`/`0`) among them. `SILENT_JOIN` (`Y`/`N`)
 * and other fields come as sent. `DIALOG_ID` is where to greet; in a private chat `TO_USER_ID` is the user and
 * `FROM_USER_ID` the bot itself.
 */
export interface V1JoinChatEventData
  extends V1ChatEventData<
    V1ChatParams & {
      readonly BOT_ID?: number;
      /** Who added the bot, as `USER`. */
      readonly USER_ID?: number;
      /** Group chats only, as `CHAT_ID`. */
      readonly CHAT_ENTITY_TYPE?: string;
      readonly CHAT_ENTITY_ID?: string;
      /** `1` when the bot may read the chat's history, `0` when not. */
      readonly ACCESS_HISTORY?: number;
      /** Copilot group chats only: `Y` when the bot was added without a system message. */
      readonly SILENT_JOIN?: string;
    }
  > {}
export type V1JoinChatEvent = V1EventBase<'ONIMBOTJOINCHAT', V1JoinChatEventData>;

/**
 * `PARAMS` of a legacy edit or deletion (on-imbot-message-update.md, on-imbot-message-delete.md): the message's
 * fields, read as `ONIMBOTMESSAGEADD`'s are, its id twice (`ID`, `MESSAGE_ID`). `FROM_USER_ID`, the author, is sent
 * in private chats only (the docs' group-chat samples have none).
 */
export interface V1MessageChangeParams extends V1MessageParams {
  readonly ID?: number;
  /** An edit: the new text (`''` when not sent). A deletion: the notice that the message was deleted. */
  readonly MESSAGE?: string;
  readonly PLATFORM_CONTEXT?: string;
  readonly MESSAGE_ORIGINAL?: string;
}

/** The legacy edit (on-imbot-message-update.md): `BOT` and `USER` as in `ONIMBOTMESSAGEADD`, `USER` at times absent. */
export interface V1MessageUpdateEventData
  extends V1ChatEventData<V1MessageChangeParams & { readonly MESSAGE: string }> {}
export type V1MessageUpdateEvent = V1EventBase<'ONIMBOTMESSAGEUPDATE', V1MessageUpdateEventData>;

/**
 * The legacy deletion (on-imbot-message-delete.md): `BOT` and `USER` as in `ONIMBOTMESSAGEADD`, `USER` the deleted
 * message's author (empty when `FROM_USER_ID` is 0).
 */
export interface V1MessageDeleteEventData extends V1ChatEventData<V1MessageChangeParams> {}
export type V1MessageDeleteEvent = V1EventBase<'ONIMBOTMESSAGEDELETE', V1MessageDeleteEventData>;

/** The legacy bot's last event (on-imbot-delete.md): it was unregistered. Its whole `data` is the bot's id and code. */
export interface V1BotDeleteEventData {
  readonly BOT_ID: number;
  readonly BOT_CODE?: string;
  readonly [key: string]: unknown;
}
export type V1BotDeleteEvent = V1EventBase<'ONIMBOTDELETE', V1BotDeleteEventData>;

/**
 * A command called, keyed by its id under `data.COMMAND` (on-im-command-add.md): its bot's entry as under a message
 * event's `BOT` (auth keys, `AUTH`, `BOT_ID`, `BOT_CODE`), then the command and the message to answer.
 */
export interface V1EventCommand extends EventAuth {
  readonly COMMAND_ID: number;
  /** The command's code, without the slash. */
  readonly COMMAND?: string;
  readonly COMMAND_PARAMS?: string;
  /** `TEXTAREA` when typed, `KEYBOARD` when a keyboard button called it. */
  readonly COMMAND_CONTEXT?: string;
  /** The message to answer (`imbot.command.answer`). */
  readonly MESSAGE_ID?: number;
  readonly BOT_ID?: number;
  readonly BOT_CODE?: string;
  /** The bot's OAuth block in the `auth` format. Never use its `application_token` to verify the event. */
  readonly AUTH?: EventAuth;
  readonly client_id?: string;
}

/**
 * The legacy command event (on-im-command-add.md): `COMMAND` in place of `BOT`, `PARAMS` the calling message's, read
 * as `ONIMBOTMESSAGEADD`'s, with the thread's parent ids and the chat's bots, and `USER`.
 */
export interface V1CommandAddEventData {
  readonly COMMAND: Readonly<Record<string, V1EventCommand>>;
  readonly PARAMS: V1MessageAddEventData['PARAMS'] & {
    /** Group chats only, as `BOT_IN_CHAT`. */
    readonly CHAT_PARENT_ID?: number;
    readonly CHAT_PARENT_MID?: number;
    /** The bots in the chat, keyed by their id as a string. */
    readonly BOT_IN_CHAT?: Readonly<Record<string, number>>;
  };
  /** The author: an empty object when `FROM_USER_ID` is 0 (docs). */
  readonly USER?: V1EventUser;
  readonly [key: string]: unknown;
}
export type V1CommandAddEvent = V1EventBase<'ONIMCOMMANDADD', V1CommandAddEventData>;

/**
 * Any other event (`ONIMBOTV2MESSAGEDELETE`, `ONIMBOTV2COMMANDADD`, the legacy `ONIMBOTCONTEXTGET`, …): delivered,
 * not typed, so that a new event type never breaks a bot. `eventType` holds the platform's name.
 */
export interface OtherBotEvent extends EventBase<'other', Readonly<Record<string, unknown>>> {
  readonly eventType: string;
}

export type BotEvent =
  | MessageAddEvent
  | MessageUpdateEvent
  | JoinChatEvent
  | BotDeleteEvent
  | V1MessageAddEvent
  | V1JoinChatEvent
  | V1MessageUpdateEvent
  | V1MessageDeleteEvent
  | V1BotDeleteEvent
  | V1CommandAddEvent
  | OtherBotEvent;
