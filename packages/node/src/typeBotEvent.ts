import { B24Error, B24InputError, type DialogApi, type DialogId, validateDialogId } from '@b24-typing/core';
import type { BotEvent, EventAuth } from './BotEvent';

/**
 * Turns a raw event (a parsed form body or an `Event.get` item) into a typed `BotEvent`. Form bodies carry every
 * scalar as a string (`true`→`"1"`, `null`→`""`, reference §4.4), so known numeric and boolean fields are
 * restored by name; `dialogId` (v1: `DIALOG_ID`) stays a string even when it looks like a number, and is checked
 * with core's `validateDialogId` so it can go straight to `botStatus`/`withStatus`. Unknown fields pass through.
 * `eventHandlerId` is a webhook body's top-level `event_handler_id`, which only the v1 events' types have a place for.
 */
export function typeBotEvent(
  eventType: string,
  data: unknown,
  meta: { eventId?: unknown; date?: unknown; ts?: unknown; auth?: unknown; eventHandlerId?: unknown },
): BotEvent {
  const base = {
    ...(meta.eventId === undefined ? {} : { eventId: requireNumber(meta.eventId, 'eventId') }),
    ...(typeof meta.date === 'string' ? { date: meta.date } : {}),
    ...(meta.ts === undefined || meta.ts === '' ? {} : { ts: requireNumber(meta.ts, 'ts') }),
    ...(meta.auth === undefined ? {} : { auth: shape(meta.auth, AUTH, 'auth') as EventAuth }),
  };
  const type = eventType.toUpperCase();
  switch (type) {
    case 'ONIMBOTV2MESSAGEADD':
    case 'ONIMBOTV2MESSAGEUPDATE':
      return withData(type, base, data, (d) => ({
        ...d,
        bot: bot(d.bot),
        message: required(shape(d.message, MESSAGE, 'data.message'), ['id', 'chatId', 'authorId'], 'data.message', {
          text: '',
        }),
        chat: chat(d.chat),
        user: required(shape(d.user, USER, 'data.user'), ['id'], 'data.user'),
      }));
    case 'ONIMBOTV2JOINCHAT':
      return withData(type, base, data, ({ dialogId: sent, ...d }) => ({
        ...d,
        bot: bot(d.bot),
        // The docs list it beside `chat`, the same id as `chat.dialogId`: checked as that one is when sent, not
        // required, since `chat.dialogId` (required) already says where to reply. Empty (a form's `null`) is not
        // sent, as for `ts` and `event_handler_id`: refusing the join over it would cost the greeting.
        ...(sent === undefined || sent === '' || sent === null
          ? {}
          : { dialogId: dialogId(sent, 'v2', 'data.dialogId') }),
        chat: chat(d.chat),
        ...(d.user === undefined ? {} : { user: required(shape(d.user, USER, 'data.user'), ['id'], 'data.user') }),
      }));
    case 'ONIMBOTV2DELETE':
      return withData(type, base, data, (d) => ({ ...d, bot: bot(d.bot) }));
    case 'ONIMBOTMESSAGEADD':
    case 'ONIMBOTMESSAGEUPDATE':
    case 'ONIMBOTMESSAGEDELETE':
    case 'ONIMBOTJOINCHAT':
    case 'ONIMCOMMANDADD':
      return withData(
        type,
        base,
        data,
        ({ USER: user, ...d }) => ({
          ...d,
          ...(type === 'ONIMCOMMANDADD'
            ? { COMMAND: v1Entries(d.COMMAND, 'data.COMMAND', V1_COMMAND, 'COMMAND_ID') }
            : { BOT: v1Entries(d.BOT, 'data.BOT', V1_BOT, 'BOT_ID') }),
          PARAMS: v1ParamsOf(type, d.PARAMS),
          // Empty when its ID is 0 (docs): left out of a form body, `[]` in JSON (PHP's json_encode of an empty array).
          ...(user === undefined || isEmptyList(user) ? {} : { USER: shape(user, V1_USER, 'data.USER') }),
        }),
        meta.eventHandlerId,
      );
    case 'ONIMBOTDELETE': {
      const d = required(shape(data, V1_BOT_DELETE, 'data'), ['BOT_ID'], 'data');
      return { type, ...base, ...v1HandlerId(meta.eventHandlerId), data: d } as BotEvent;
    }
    default:
      return { type: 'other', eventType: type, ...base, data: data === undefined ? {} : record(data, 'data') };
  }
}

/**
 * What a field must be: a value of another type, an object or array above all (a form's `field[x]=1`), is refused,
 * so that the type's promise holds in the bot's code. `null` (JSON) is a field not sent, for a `string` as for a
 * `number` (a required one then is refused, a defaulted one takes its default): a portal that sends `null` where the
 * docs say string is not refused for it. `string?` is a string the docs give as `string|null`: `null` is kept.
 */
type Kind = 'number' | 'boolean' | 'string' | 'string?';
type Schema = Readonly<Record<string, Kind>>;

const AUTH: Schema = {
  expires: 'number',
  expires_in: 'number',
  user_id: 'number',
  application_token: 'string',
  domain: 'string',
};
const BOT: Schema = {
  id: 'number',
  code: 'string',
  isHidden: 'boolean',
  isSupportOpenline: 'boolean',
  isReactionsEnabled: 'boolean',
  countMessage: 'number',
  countCommand: 'number',
  countChat: 'number',
  countUser: 'number',
};
const MESSAGE: Schema = {
  id: 'number',
  chatId: 'number',
  authorId: 'number',
  text: 'string',
  /** `string|null` in entities.md#message. */
  date: 'string?',
  /** A message sent without one carries `null` (as the emulator sends it). */
  uuid: 'string?',
  isSystem: 'boolean',
  viewedByOthers: 'boolean',
  // `forward` is `object|null` (entities.md#message: `{id, userId, chatId, date}`): passed through as sent.
};
const CHAT: Schema = {
  id: 'number',
  dialogId: 'string',
  type: 'string',
  name: 'string',
  entityType: 'string',
  owner: 'number',
};
const USER: Schema = {
  id: 'number',
  name: 'string',
  firstName: 'string',
  lastName: 'string',
  bot: 'boolean',
  active: 'boolean',
  extranet: 'boolean',
  network: 'boolean',
  connector: 'boolean',
};
/** A v1 bot entry carries the bot's auth keys itself, beside the same keys under `AUTH` (on-imbot-message-add.md). */
const V1_BOT: Schema = {
  ...AUTH,
  BOT_ID: 'number',
  BOT_CODE: 'string',
};
/** The `PARAMS` fields both v1 chat events carry (on-imbot-message-add.md, on-imbot-join-chat.md). */
const V1_CHAT_PARAMS: Schema = {
  DIALOG_ID: 'string',
  FROM_USER_ID: 'number',
  TO_USER_ID: 'number',
  CHAT_ID: 'number',
  CHAT_AUTHOR_ID: 'number',
  CHAT_TYPE: 'string',
  MESSAGE_TYPE: 'string',
  LANGUAGE: 'string',
};
/**
 * The chat's bound object, strings on every page that lists them (the message, edit, deletion and command pages; the
 * join's lists the first two): a JSON number comes out a string, as it does for the join.
 */
const V1_CHAT_ENTITY: Schema = {
  CHAT_ENTITY_TYPE: 'string',
  CHAT_ENTITY_ID: 'string',
  CHAT_ENTITY_DATA_1: 'string',
  CHAT_ENTITY_DATA_2: 'string',
  CHAT_ENTITY_DATA_3: 'string',
};
/**
 * The integers of on-imbot-message-add.md are numbers. `SYSTEM` (a `Y`/`N` string there) has been a boolean since
 * the first version and stays one; the other `Y`/`N` strings (`PUSH`, `CHAT_EXTRANET`, …) pass through as sent.
 */
const V1_PARAMS: Schema = {
  ...V1_CHAT_PARAMS,
  ...V1_CHAT_ENTITY,
  MESSAGE: 'string',
  MESSAGE_ID: 'number',
  TO_CHAT_ID: 'number',
  AUTHOR_ID: 'number',
  CHAT_USER_COUNT: 'number',
  CHAT_PREV_MESSAGE_ID: 'number',
  RID: 'number',
  FAKE_RELATION: 'number',
  SYSTEM: 'boolean',
};
/**
 * An edit or a deletion (on-imbot-message-update.md, on-imbot-message-delete.md) carries the message event's fields,
 * read as there, and the message's id again as `ID`.
 */
const V1_MESSAGE_CHANGE_PARAMS: Schema = { ...V1_PARAMS, ID: 'number' };
/**
 * A command (on-im-command-add.md) comes in the message that called it: the message event's fields, read as there,
 * and the parent chat and message of a thread.
 */
const V1_COMMAND_PARAMS: Schema = { ...V1_PARAMS, CHAT_PARENT_ID: 'number', CHAT_PARENT_MID: 'number' };
/** A command called (on-im-command-add.md): its bot's entry as under `BOT`, then the command and its message. */
const V1_COMMAND: Schema = {
  ...V1_BOT,
  COMMAND: 'string',
  COMMAND_ID: 'number',
  COMMAND_PARAMS: 'string',
  COMMAND_CONTEXT: 'string',
  MESSAGE_ID: 'number',
};
/** The whole `data` of on-imbot-delete.md. */
const V1_BOT_DELETE: Schema = { BOT_ID: 'number', BOT_CODE: 'string' };
/**
 * The integers of on-imbot-join-chat.md are numbers, `ACCESS_HISTORY` (`1`/`0`, an integer there) among them;
 * `SILENT_JOIN`, a `Y`/`N` string there, passes through as sent.
 */
const V1_JOIN_PARAMS: Schema = {
  ...V1_CHAT_PARAMS,
  BOT_ID: 'number',
  USER_ID: 'number',
  ACCESS_HISTORY: 'number',
  CHAT_ENTITY_TYPE: 'string',
  CHAT_ENTITY_ID: 'string',
};
/** The author's `Y`/`N` flags, all four booleans as the v2 `user`'s `bot`, `extranet`, `network`, `connector`. */
const V1_USER: Schema = {
  ID: 'number',
  NAME: 'string',
  FIRST_NAME: 'string',
  LAST_NAME: 'string',
  IS_BOT: 'boolean',
  IS_EXTRANET: 'boolean',
  IS_CONNECTOR: 'boolean',
  IS_NETWORK: 'boolean',
};

/**
 * The frame every event with an object `data` shares: `data` must be an object, `read` types its fields, and a v1
 * event's `handlerId` (the body's `event_handler_id`; v2 events have none) is kept before `data`.
 */
function withData(
  type: string,
  base: object,
  data: unknown,
  read: (d: Record<string, unknown>) => Record<string, unknown>,
  handlerId?: unknown,
): BotEvent {
  const d = record(data, 'data');
  return { type, ...base, ...v1HandlerId(handlerId), data: read(d) } as BotEvent;
}

function bot(value: unknown) {
  const b = required(shape(value, BOT, 'data.bot'), ['id'], 'data.bot');
  return b.auth === undefined ? b : { ...b, auth: shape(b.auth, AUTH, 'data.bot.auth') };
}

/** The body's top-level `event_handler_id`, kept as a number, for the v1 events' `event_handler_id`. */
function v1HandlerId(handlerId: unknown): { event_handler_id?: number } {
  return handlerId === undefined || handlerId === ''
    ? {}
    : { event_handler_id: requireNumber(handlerId, 'event_handler_id') };
}

/**
 * `data.BOT` of a v1 event, keyed by bot id (`data.COMMAND` of `ONIMCOMMANDADD`, keyed by command id, alike). qs
 * (Express's extended `urlencoded`) makes `data[BOT][10][…]` an array, compacted, for ids up to 20: each entry still
 * names its id in `key` (BOT_ID, COMMAND_ID), so it is keyed by that, as the portal sent it.
 */
function v1Entries(value: unknown, path: string, schema: Schema, key: string): Record<string, unknown> {
  const entries: Record<string, unknown> = {};
  const listed = Array.isArray(value);
  for (const [id, entry] of Object.entries(listed ? (value as unknown[]) : record(value, path))) {
    const typed = v1Entry(entry, `${path}.${id}`, schema, key);
    entries[listed ? String(typed[key]) : allowedKey(id, path)] = typed;
  }
  return entries;
}

/** Its `AUTH` block is read as v2's `data.bot.auth`, so `expires`, `expires_in` and `user_id` are numbers in both. */
function v1Entry(value: unknown, path: string, schema: Schema, key: string) {
  const b = required(shape(value, schema, path), [key], path);
  return b.AUTH === undefined ? b : { ...b, AUTH: shape(b.AUTH, AUTH, `${path}.AUTH`) };
}

function chat(value: unknown) {
  const c = required(shape(value, CHAT, 'data.chat'), ['id', 'dialogId'], 'data.chat');
  return { ...c, dialogId: dialogId(c.dialogId, 'v2', 'data.chat.dialogId') };
}

/** `data.PARAMS` of each v1 event that has one, by the event's schema. */
function v1ParamsOf(type: string, value: unknown) {
  switch (type) {
    case 'ONIMBOTJOINCHAT':
      return v1JoinParams(value);
    // The group-chat samples of both pages have no FROM_USER_ID; a deletion's MESSAGE, a notice, may be left out.
    case 'ONIMBOTMESSAGEUPDATE':
      return v1Params(value, V1_MESSAGE_CHANGE_PARAMS, ['MESSAGE_ID', 'DIALOG_ID'], { MESSAGE: '' });
    case 'ONIMBOTMESSAGEDELETE':
      return v1Params(value, V1_MESSAGE_CHANGE_PARAMS, ['MESSAGE_ID', 'DIALOG_ID'], {});
    case 'ONIMCOMMANDADD': {
      // The bots in the chat: `{ "<botId>": "<botId>" }`, read as MENTIONED_LIST.
      const p = v1Params(value, V1_COMMAND_PARAMS);
      return p.BOT_IN_CHAT === undefined
        ? p
        : { ...p, BOT_IN_CHAT: mentions(p.BOT_IN_CHAT, 'data.PARAMS.BOT_IN_CHAT') };
    }
    default:
      return v1Params(value, V1_PARAMS);
  }
}

function v1Params(
  value: unknown,
  schema: Schema,
  fields: readonly string[] = ['MESSAGE_ID', 'DIALOG_ID', 'FROM_USER_ID'],
  defaults: Record<string, unknown> = { MESSAGE: '' },
): Record<string, unknown> {
  const p = required(shape(value, schema, 'data.PARAMS'), fields, 'data.PARAMS', defaults);
  const mentioned = p.MENTIONED_LIST;
  return {
    ...p,
    DIALOG_ID: v1DialogId(p.DIALOG_ID),
    ...(mentioned === undefined ? {} : { MENTIONED_LIST: mentions(mentioned, 'data.PARAMS.MENTIONED_LIST') }),
  };
}

/** `DIALOG_ID` is the one field a greeting needs: `FROM_USER_ID` and the `CHAT_*` ones belong to one chat kind each. */
function v1JoinParams(value: unknown) {
  const p = required(shape(value, V1_JOIN_PARAMS, 'data.PARAMS'), ['DIALOG_ID'], 'data.PARAMS');
  return { ...p, DIALOG_ID: v1DialogId(p.DIALOG_ID) };
}

/**
 * A v1 bot answers with the legacy methods (`withStatus({ legacy: true })`, `imbot.message.add`), so its
 * `DIALOG_ID` is checked with their rule: `chat<N>` or a user id, no `sg<N>`.
 */
function v1DialogId(value: unknown): DialogId {
  return dialogId(value, 'legacy', 'data.PARAMS.DIALOG_ID');
}

/**
 * `{ "<userId>": "<userId>" }`, each id a number (MENTIONED_LIST; BOT_IN_CHAT's bot ids alike). An array is read too, keyed by its ids again: qs (Express's extended
 * `urlencoded`) makes ids up to 20 one, compacted, and PHP's `json_encode` writes an empty list as `[]`.
 */
function mentions(value: unknown, path: string): Record<string, unknown> {
  const listed = Array.isArray(value);
  const out: Record<string, unknown> = {};
  for (const [key, id] of Object.entries(listed ? (value as unknown[]) : record(value, path))) {
    const number = convert(id, 'number', `${path}.${key}`);
    if (listed && number === undefined) continue;
    out[listed ? String(number) : allowedKey(key, path)] = number;
  }
  return out;
}

/**
 * The rule the status call for `api` applies (imbot.v2 accepts `sg<N>` too, the legacy method does not), checked
 * here so a bad id fails as a malformed event, with the body's error code, instead of later at the first status call.
 */
function dialogId(value: unknown, api: DialogApi, path: string): DialogId {
  try {
    return validateDialogId(value, api, path);
  } catch (error) {
    if (error instanceof B24InputError) throw malformedEvent(`${path}: must be ${error.rule}`);
    throw error;
  }
}

export function malformedEvent(rule: string): B24Error {
  return new B24Error({ code: 'INVALID_EVENT_BODY', kind: 'input', message: rule });
}

/** `[]`: how PHP's `json_encode` writes an empty array, which the docs show as an empty object. */
function isEmptyList(value: unknown): boolean {
  return Array.isArray(value) && value.length === 0;
}

function record(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw malformedEvent(`${path}: must be an object`);
  return value as Record<string, unknown>;
}

/**
 * A copy of `value` with the schema's fields converted. A field read as not sent (`null`, or a number's `''`) is left
 * out, as a form body leaves out what it does not send: `'name' in chat` says whether there is a name.
 */
function shape(value: unknown, schema: Schema, path: string): Record<string, unknown> {
  const source = record(value, path);
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(source)) {
    const kind = Object.hasOwn(schema, key) ? schema[key] : undefined;
    const field = allowedKey(key, path);
    if (kind === undefined) out[field] = raw;
    else {
      const converted = convert(raw, kind, `${path}.${key}`);
      if (converted !== undefined) out[field] = converted;
    }
  }
  return out;
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Refuses the keys `parseBotEvent` refuses in a webhook body. An `Event.get` item is JSON that no such check has
 * seen, where `"__proto__"` is an ordinary own key, and copying it by assignment would make it the copy's
 * prototype: fields the portal never sent would show through. `botEvents` delivers the item untyped instead.
 */
function allowedKey(key: string, path: string): string {
  if (FORBIDDEN.has(key)) throw malformedEvent(`${path}: the field name "${key}" is not allowed`);
  return key;
}

function required(
  value: Record<string, unknown>,
  fields: readonly string[],
  path: string,
  defaults: Record<string, unknown> = {},
): Record<string, unknown> {
  for (const field of fields) {
    if (value[field] === undefined || value[field] === '') throw malformedEvent(`${path}.${field}: is required`);
  }
  for (const [field, fallback] of Object.entries(defaults)) {
    if (value[field] === undefined) value[field] = fallback;
  }
  return value;
}

function convert(raw: unknown, kind: Kind, path: string): unknown {
  switch (kind) {
    case 'string?':
      return raw === null ? raw : requireString(raw, path);
    case 'string':
      return raw === null ? undefined : requireString(raw, path);
    case 'number':
      return raw === '' || raw === null ? undefined : requireNumber(raw, path);
    case 'boolean':
      return toBoolean(raw, path);
  }
}

/** A JSON number reads as its string; anything else but a string (an object, an array, a boolean) is refused. */
function requireString(raw: unknown, path: string): string {
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number') return String(raw);
  throw malformedEvent(`${path}: must be a string`);
}

function requireNumber(raw: unknown, path: string): number {
  if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
  if (typeof raw === 'string' && /^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  throw malformedEvent(`${path}: must be a number`);
}

/**
 * The platform's boolean spellings: `1/0` (http_build_query), `Y/N` (classic REST), `true/false` (JSON); `null` (a
 * form's `''`) is false. Anything else (an object, an array, another string) is refused, not passed on as a boolean.
 */
function toBoolean(raw: unknown, path: string): boolean {
  if (typeof raw === 'boolean') return raw;
  if (raw === null || raw === '') return false;
  if (typeof raw === 'number') return raw !== 0;
  if (typeof raw === 'string') {
    const v = raw.toUpperCase();
    if (v === '1' || v === 'Y' || v === 'TRUE') return true;
    if (v === '0' || v === 'N' || v === 'FALSE') return false;
  }
  throw malformedEvent(`${path}: must be a boolean`);
}
