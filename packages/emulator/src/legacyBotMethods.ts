import { fitsAvatar, isCallbackUrl, savedImage } from './botMethods';
import type { LegacyEventType } from './ChatModel';
import { restError } from './errorCatalog';
import type { MethodContext, MethodDefinition } from './methodContext';
import { isset, phpEmpty, phpTrim, recordOf, stringOf, upperKeys } from './paramValues';
import type { Params } from './phpQuery';
import { resolveBotV1, subjectBotV1 } from './resolveBot';

/**
 * `imbot.register`'s handler parameters in the order the module source checks them, the v1 event each binds, and
 * whether it is required (the name its "isn't specified" error gives it). `EVENT_CONTEXT_GET` (a later addition to
 * the source, not on the method's page) is not modelled.
 */
const HANDLER_PARAMS = [
  ['EVENT_MESSAGE_ADD', 'ONIMBOTMESSAGEADD', true],
  ['EVENT_MESSAGE_UPDATE', 'ONIMBOTMESSAGEUPDATE', false],
  ['EVENT_MESSAGE_DELETE', 'ONIMBOTMESSAGEDELETE', false],
  ['EVENT_WELCOME_MESSAGE', 'ONIMBOTJOINCHAT', true],
  ['EVENT_BOT_DELETE', 'ONIMBOTDELETE', true],
] as const;

/** v1 `TYPE` letters as the model's bot types (the v2 names where there is one; `H`, "human", has none). */
const LEGACY_TYPES: Readonly<Record<string, string>> = { B: 'bot', O: 'openline', H: 'human', S: 'supervisor' };

/** Documented bots per application ("Максимальное количество ботов для одного приложения: 5", imbot-register.md). */
const MAX_LEGACY_BOTS_PER_APP = 5;

/** A webhook registration's handler URL as the source binds it: with `CLIENT_ID=<id>` in its query, to know the app by. */
function withClientId(url: string, clientId: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}CLIENT_ID=${clientId}`;
}

/**
 * `imbot.register` (deprecated v1; bitrix-tools/b24-rest-docs api-reference/chat-bots/outdated/bots/imbot-register.md;
 * reference §4.4 "v1 registration"), in the order of the module source (yuliai/bitrix-modules@026c2eea im_rest.php
 * botRegister): the app (the OAuth application, or under a webhook `'custom' + CLIENT_ID`, not `empty()`; neither is
 * ACCESS_DENIED 403 "Access denied! Client ID not specified"); `EVENT_HANDLER` (when not empty) stands for every
 * handler; each handler that is set must be an http(s) URL, else `<PARAM>_ERROR` "Wrong handler URL", and
 * `EVENT_MESSAGE_ADD`, `EVENT_WELCOME_MESSAGE`, `EVENT_BOT_DELETE` are required (`<PARAM>_ERROR` "Handler for … event
 * isn't specified"); `CODE` not `empty()` (CODE_ERROR); then `PROPERTIES` `NAME` or `LAST_NAME` set (`isset`, as the
 * source asks: an empty name passes; NAME_ERROR). All 400. `TYPE` other than `B`, `O`, `H`, `S` is `B`; `O` forces
 * `OPENLINE` `Y`. Result: the bot id. WRONG_AUTH_TYPE (session auth) cannot occur: the emulator has none.
 *
 * Where the sources part, the docs are followed: the page limits an app to 5 bots (MAX_COUNT_ERROR, asked after
 * CODE_ERROR, where the older source had the check; the stored source has none), and ignores `EVENT_MESSAGE_UPDATE` /
 * `EVENT_MESSAGE_DELETE` for `TYPE` `B`/`H` with `OPENLINE` `N` (the stored source binds them anyway). As
 * `Bot::register` does (im/lib/bot.php), a `CODE` some bot already has gives that bot's id and creates nothing (its
 * handlers are bound all the same). A webhook registration's handler URLs get `CLIENT_ID=<id>` appended, as bound by
 * the source, so its events arrive with it in the query. The handlers are the app's (see `ChatModel.legacyHandlers`).
 * The bot hears users in v1 format only (ChatModel `legacy`), and `ONIMBOTJOINCHAT` at the `EVENT_WELCOME_MESSAGE`
 * handler when it is added to a group chat (ChatModel.addMembers). Not modelled: `PERSONAL_PHOTO` and the other
 * profile fields but `WORK_POSITION`, `EVENT_CONTEXT_GET`, the welcome to a private dialog a user opens.
 */
function botRegister(raw: Params, context: MethodContext): unknown {
  const params = upperKeys(raw);
  const { model, auth } = context;
  const clientId = auth.type === 'oauth' ? auth.clientId : null;
  const custom = clientId || phpEmpty(params.CLIENT_ID) ? null : stringOf(params.CLIENT_ID);
  if (!clientId && !custom) throw restError('ACCESS_DENIED');
  const appId = clientId ?? `custom${custom}`;
  const handler = phpEmpty(params.EVENT_HANDLER) ? undefined : params.EVENT_HANDLER;
  const urls: Partial<Record<LegacyEventType, string>> = {};
  for (const [name, event, required] of HANDLER_PARAMS) {
    const value = handler ?? params[name];
    if (phpEmpty(value)) {
      if (required) throw restError(`${name}_ERROR`);
      continue;
    }
    const url = stringOf(value);
    if (url === null || !isCallbackUrl(url)) throw restError(`${name}_ERROR`, 'Wrong handler URL');
    urls[event] = custom ? withClientId(url, custom) : url;
  }
  const code = phpEmpty(params.CODE) ? null : stringOf(params.CODE);
  if (code === null) throw restError('CODE_ERROR');
  if ([...model.bots.values()].filter((bot) => bot.appId === appId).length >= MAX_LEGACY_BOTS_PER_APP) {
    throw restError('MAX_COUNT_ERROR');
  }
  const letter = typeof params.TYPE === 'string' && Object.hasOwn(LEGACY_TYPES, params.TYPE) ? params.TYPE : 'B';
  const openline = letter === 'O' || params.OPENLINE === 'Y';
  if (!(letter === 'S' || letter === 'O' || openline)) {
    delete urls.ONIMBOTMESSAGEUPDATE;
    delete urls.ONIMBOTMESSAGEDELETE;
  }
  const properties = recordOf(params.PROPERTIES);
  if (!properties || !(isset(properties.NAME) || isset(properties.LAST_NAME))) throw restError('NAME_ERROR');
  const existing = [...model.bots.values()].find((bot) => bot.code === code);
  const bot =
    existing ??
    model.addBot({
      code,
      name: stringOf(properties.NAME) ?? '',
      lastName: stringOf(properties.LAST_NAME) ?? '',
      workPosition: stringOf(properties.WORK_POSITION) ?? '',
      botToken: custom,
      clientId,
      type: LEGACY_TYPES[letter]!,
      eventMode: 'webhook',
      isSupportOpenline: openline,
      applicationToken: auth.applicationToken,
      legacy: true,
    });
  model.bindLegacyHandlers(appId, urls);
  context.record.botId = bot.id;
  return bot.id;
}

/**
 * `imbot.unregister` (deprecated v1; …/outdated/bots/imbot-unregister.md; im_rest.php botUnRegister): the app as for
 * every v1 bot call (ACCESS_DENIED 403), then `BOT_ID`, which is required here (the first bot of the app is not taken
 * for a missing one): BOT_ID_ERROR, APP_ID_ERROR 400 (resolveBotV1). The bot is removed as `imbot.v2.Bot.unregister`
 * removes one; a legacy bot's last event is `ONIMBOTDELETE` (a v2 bot's `ONIMBOTV2DELETE`). The app's handlers stay
 * bound (the source's "sticky subscriptions"). `true`.
 */
function botUnregister(raw: Params, context: MethodContext): unknown {
  const params = upperKeys(raw);
  const bot = resolveBotV1(isset(params.BOT_ID) ? params : { ...params, BOT_ID: 0 }, context);
  context.model.removeBot(bot, context.now);
  return true;
}

/**
 * The `PROPERTIES` botUpdate passes on (the page's list): any of them set is something to update, but
 * `PERSONAL_PHOTO` (isPhoto).
 */
const PROFILE_FIELDS = [
  'NAME',
  'LAST_NAME',
  'COLOR',
  'EMAIL',
  'PERSONAL_BIRTHDAY',
  'WORK_POSITION',
  'PERSONAL_WWW',
  'PERSONAL_GENDER',
] as const;

/**
 * Whether botUpdate takes a `PERSONAL_PHOTO` as something to update (yuliai/bitrix-modules@026c2eea im_rest.php
 * botUpdate): only when `CRestUtil::saveFile` makes a file of it (a base64 string, or a `[name, base64]` pair whose
 * second value is the content; `''` and `'false'` are none), `Image::getInfo` reads a width and a height of 1..5000 px
 * from it and its type is `image/…` (savedImage, fitsAvatar). Otherwise it is dropped, and alone it leaves the update empty (WRONG_REQUEST, the
 * page's "pass at least one field"; its 5000x5000 limit). The model reads an image with avatarInfo (PNG, JPEG, GIF), as
 * for imbot.v2.Bot.register's `avatar`: other image types the platform would take are not recognised.
 */
function isPhoto(value: unknown): boolean {
  const info = savedImage(value);
  return info !== null && fitsAvatar(info);
}

/**
 * `imbot.update` (deprecated v1; …/outdated/bots/imbot-update.md), in the order of the module source
 * (yuliai/bitrix-modules@026c2eea im_rest.php botUpdate): the app as for every v1 bot call (ACCESS_DENIED 403), then
 * `BOT_ID`, required as in `imbot.unregister` (BOT_ID_ERROR, APP_ID_ERROR 400, resolveBotV1); then `FIELDS`:
 * `EVENT_HANDLER` (when not empty) stands for every handler, and each handler that is set must be an http(s) URL
 * (`<PARAM>_ERROR` "Wrong handler URL"); none is required here. `CODE` when not `empty()`; `PROPERTIES` `NAME` /
 * `LAST_NAME` set and both empty is NAME_ERROR (one empty name alone is not: an empty `NAME` keeps the old one, as
 * `Bot::update` drops it). Nothing to change, no handler given: WRONG_REQUEST "Update fields can't be empty". All
 * 400. Handlers given are rebound for the app (with `CLIENT_ID=<id>` appended under a webhook, as at registration),
 * `EVENT_MESSAGE_UPDATE` / `EVENT_MESSAGE_DELETE` too: the source drops them for `B`/`H` bots only in register. `TYPE`
 * and `OPENLINE` are not taken ("не поддерживает изменение полей TYPE и OPENLINE", the page). Result: `true`.
 * A `PERSONAL_PHOTO` counts as a field only when it is an image (isPhoto); it is not stored. Not modelled, as in
 * register: the other profile fields but `WORK_POSITION`.
 */
function botUpdate(raw: Params, context: MethodContext): unknown {
  const params = upperKeys(raw);
  const bot = resolveBotV1(isset(params.BOT_ID) ? params : { ...params, BOT_ID: 0 }, context);
  const custom = context.auth.type === 'oauth' ? null : stringOf(params.CLIENT_ID);
  const fields = recordOf(params.FIELDS) ?? {};
  const handler = phpEmpty(fields.EVENT_HANDLER) ? undefined : fields.EVENT_HANDLER;
  const urls: Partial<Record<LegacyEventType, string>> = {};
  for (const [name, event] of HANDLER_PARAMS) {
    const value = handler ?? fields[name];
    if (phpEmpty(value)) continue;
    const url = stringOf(value);
    if (url === null || !isCallbackUrl(url)) throw restError(`${name}_ERROR`, 'Wrong handler URL');
    urls[event] = custom ? withClientId(url, custom) : url;
  }
  const code = phpEmpty(fields.CODE) ? null : stringOf(fields.CODE);
  const properties = recordOf(fields.PROPERTIES);
  const name = properties && isset(properties.NAME) ? (stringOf(properties.NAME) ?? '') : null;
  const lastName = properties && isset(properties.LAST_NAME) ? (stringOf(properties.LAST_NAME) ?? '') : null;
  if (name !== null && lastName !== null && phpEmpty(name) && phpEmpty(lastName)) throw restError('NAME_ERROR');
  const hasProperties =
    properties !== null && (PROFILE_FIELDS.some((key) => isset(properties[key])) || isPhoto(properties.PERSONAL_PHOTO));
  if (code === null && !hasProperties && Object.keys(urls).length === 0) {
    throw restError('WRONG_REQUEST', "Update fields can't be empty");
  }
  if (code !== null) bot.code = code;
  const user = context.model.users.get(bot.id);
  if (user && properties) {
    if (name !== null && phpTrim(name) !== '') user.name = name;
    if (lastName !== null) user.lastName = lastName;
    const workPosition = isset(properties.WORK_POSITION) ? stringOf(properties.WORK_POSITION) : null;
    if (workPosition !== null) user.workPosition = workPosition;
  }
  context.model.bindLegacyHandlers(bot.appId, urls);
  return true;
}

export const LEGACY_BOT_METHODS: readonly MethodDefinition[] = [
  { name: 'imbot.register', scope: 'imbot', handler: botRegister },
  {
    name: 'imbot.unregister',
    scope: 'imbot',
    handler: botUnregister,
    subject: (raw, auth, model, record) => subjectBotV1(upperKeys(raw), auth, model, record),
  },
  {
    name: 'imbot.update',
    scope: 'imbot',
    handler: botUpdate,
    subject: (raw, auth, model, record) => subjectBotV1(upperKeys(raw), auth, model, record),
  },
];
