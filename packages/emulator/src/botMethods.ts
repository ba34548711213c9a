import { restError } from './errorCatalog';
import type { MethodContext, MethodDefinition } from './methodContext';
import { charLength, intArgument, phpBase64Decode, phpEmpty, phpTrim, recordOf, stringOf, truthy } from './paramValues';
import type { Params } from './phpQuery';
import { resolveBotV2, subjectV2 } from './resolveBot';
import { RestError } from './RestError';

const BOT_TYPES = new Set(['bot', 'supervisor', 'personal', 'openline', 'network']);
const MAX_BOTS_PER_APP = 100;
/** The largest side, in px, of a bot avatar the platform takes (imbot.v2 `avatar`, v1 `PERSONAL_PHOTO`). */
const MAX_AVATAR_SIDE = 5000;

/**
 * Type and pixel size of a base64 PNG/JPEG/GIF avatar; null when it is none of these (also for imbot.update's
 * `PERSONAL_PHOTO`, which counts only as an image). Decoded as `CRestUtil::saveFile` decodes both (phpBase64Decode):
 * a data URL is not unwrapped, its header letters decode with the rest, so it is no image, as on the platform.
 */
export function avatarInfo(base64: string): { width: number; height: number } | null {
  const bytes = phpBase64Decode(base64);
  if (bytes.length >= 24 && bytes.readUInt32BE(0) === 0x89504e47) {
    return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  }
  if (bytes.length >= 10 && bytes.subarray(0, 3).toString('latin1') === 'GIF') {
    return { width: bytes.readUInt16LE(6), height: bytes.readUInt16LE(8) };
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    for (let i = 2; i + 9 < bytes.length; ) {
      if (bytes[i] !== 0xff) break;
      const marker = bytes[i + 1]!;
      const length = bytes.readUInt16BE(i + 2);
      if (marker >= 0xc0 && marker <= 0xc3)
        return { width: bytes.readUInt16BE(i + 7), height: bytes.readUInt16BE(i + 5) };
      i += 2 + length;
    }
    return { width: 0, height: 0 };
  }
  return null;
}

/**
 * The image `CRestUtil::saveFile` makes of a file parameter, as imbot.update's `PERSONAL_PHOTO` and imbot.v2's
 * `processAvatar` pass it on (yuliai/bitrix-modules rest_util.php saveFile): a `[name, base64]` pair's second value or
 * the value itself; `''` and `'false'` make no file, nor does a decode that is empty. Then its pixel size (avatarInfo),
 * null when it is no PNG, JPEG or GIF.
 */
export function savedImage(value: unknown): { width: number; height: number } | null {
  const content = value !== null && typeof value === 'object' ? Object.values(value)[1] : value;
  const base64 = stringOf(content);
  if (base64 === null || base64 === '' || base64 === 'false') return null;
  return avatarInfo(base64);
}

/** Whether an image is one `Image::getInfo` reads a width and a height of 1..MAX_AVATAR_SIDE px from. */
export function fitsAvatar(info: { width: number; height: number }): boolean {
  return [info.width, info.height].every((side) => side > 0 && side <= MAX_AVATAR_SIDE);
}

/**
 * imbot.v2's avatar check (imbot/lib/V2/Controller/Bot.php processAvatar, for register and update alike):
 * `properties.avatar`, else `PERSONAL_PHOTO`, when not `empty()`, must save as an image (savedImage; else
 * BOT_AVATAR_INCORRECT_TYPE) of 1..5000 px a side (else BOT_AVATAR_INCORRECT_SIZE). The model does not store it.
 */
function checkAvatar(properties: Params): void {
  const raw = properties.avatar ?? properties.PERSONAL_PHOTO;
  if (phpEmpty(raw)) return;
  const info = savedImage(raw);
  if (!info) throw restError('BOT_AVATAR_INCORRECT_TYPE');
  if (!fitsAvatar(info)) throw restError('BOT_AVATAR_INCORRECT_SIZE');
}

/** Whether a bot's handler address is one the platform would POST events to: an absolute http(s) URL. */
export function isCallbackUrl(url: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(url).protocol);
  } catch {
    return false;
  }
}

function checkCallback(webhookUrl: string): void {
  if (!isCallbackUrl(webhookUrl)) throw restError('BOT_INVALID_CALLBACK');
}

/** `imbot.v2.Bot.register`: idempotent on `fields.code` for the same application (reference §4.2). */
function botRegister(params: Params, context: MethodContext): unknown {
  const { model, auth } = context;
  const fields = recordOf(params.fields);
  let appId: string;
  let botToken: string | null = null;
  if (auth.type === 'oauth') appId = auth.clientId ?? '';
  else {
    botToken = stringOf(fields?.botToken ?? params.botToken ?? params.BOT_TOKEN);
    if (!botToken) throw restError('BOT_TOKEN_NOT_SPECIFIED');
    if (charLength(botToken) > 40) throw restError('BOT_TOKEN_INVALID_LENGTH');
    appId = `custom${botToken}`;
  }
  const code = phpTrim(stringOf(fields?.code) ?? '');
  if (!fields || code === '') throw restError('BOT_CODE_REQUIRED');
  const existing = [...model.bots.values()].find((bot) => bot.code === code);
  if (existing) {
    if (existing.appId !== appId) throw restError('BOT_CODE_ALREADY_TAKEN');
    context.record.botId = existing.id;
    return { bot: model.botObject(existing), users: [model.userObject(existing.id)] };
  }
  const properties = recordOf(fields.properties);
  const name = phpTrim(stringOf(properties?.name) ?? '');
  if (!properties || name === '') throw restError('BOT_PROPERTIES_REQUIRED');
  const type = stringOf(fields.type) ?? 'bot';
  if (!BOT_TYPES.has(type)) throw restError('BOT_INVALID_TYPE');
  const eventMode = stringOf(fields.eventMode) ?? 'fetch';
  if (eventMode !== 'fetch' && eventMode !== 'webhook') throw restError('BOT_INVALID_EVENT_MODE');
  const webhookUrl = stringOf(fields.webhookUrl);
  if (eventMode === 'webhook' && !webhookUrl) throw restError('BOT_WEBHOOK_URL_REQUIRED');
  if (webhookUrl) checkCallback(webhookUrl);
  checkAvatar(properties);
  if ([...model.bots.values()].filter((bot) => bot.appId === appId).length >= MAX_BOTS_PER_APP) {
    throw restError('BOT_LIMIT_EXCEEDED');
  }
  const bot = model.addBot({
    code,
    name,
    lastName: stringOf(properties.lastName) ?? '',
    workPosition: stringOf(properties.workPosition) ?? '',
    botToken,
    clientId: auth.type === 'oauth' ? auth.clientId : null,
    type,
    eventMode,
    webhookUrl: webhookUrl ?? null,
    isHidden: fields.isHidden !== undefined && truthy(fields.isHidden),
    isReactionsEnabled: fields.isReactionsEnabled === undefined || truthy(fields.isReactionsEnabled),
    isSupportOpenline: fields.isSupportOpenline !== undefined && truthy(fields.isSupportOpenline),
    backgroundId: stringOf(fields.backgroundId),
    applicationToken: auth.applicationToken,
  });
  context.record.botId = bot.id;
  return { bot: model.botObject(bot), users: [model.userObject(bot.id)] };
}

/**
 * `imbot.v2.Bot.update` (reference §4.1/§4.2): the bot is resolved like any v2 call (under a webhook with its
 * current `botToken`); `fields` may change `botToken` (rotation, webhook identities only; a token another bot
 * already answers to fails with `BOT_TOKEN_ROTATION_FAILED`), `eventMode` / `webhookUrl` (validated as in
 * register) and `properties` `name` / `lastName` / `workPosition`; a `properties.avatar` is checked first, as the
 * source processes it before the rest (checkAvatar), and not stored. The result shape is not in the reference:
 * `{bot}` as in register. Everything is validated before anything changes.
 */
function botUpdate(params: Params, context: MethodContext): unknown {
  const { model } = context;
  const bot = resolveBotV2(params, context);
  const fields = recordOf(params.fields);
  if (!fields) throw RestError.argument('fields', 'Could not find value for parameter {fields}');
  const properties = recordOf(fields.properties);
  if (properties) checkAvatar(properties);
  const newToken = context.auth.type === 'webhook' ? stringOf(fields.botToken) : null;
  if (newToken !== null) {
    if (newToken === '') throw restError('BOT_TOKEN_NOT_SPECIFIED');
    if (charLength(newToken) > 40) throw restError('BOT_TOKEN_INVALID_LENGTH');
    const taken = [...model.bots.values()].some((other) => other.id !== bot.id && other.appId === `custom${newToken}`);
    if (taken) throw restError('BOT_TOKEN_ROTATION_FAILED');
  }
  const eventMode = stringOf(fields.eventMode) ?? bot.eventMode;
  if (eventMode !== 'fetch' && eventMode !== 'webhook') throw restError('BOT_INVALID_EVENT_MODE');
  const webhookUrl = stringOf(fields.webhookUrl) ?? bot.webhookUrl;
  if (eventMode === 'webhook' && !webhookUrl) throw restError('BOT_WEBHOOK_URL_REQUIRED');
  if (fields.webhookUrl !== undefined && webhookUrl) checkCallback(webhookUrl);
  const rawName = properties ? stringOf(properties.name) : null;
  const name = rawName === null ? undefined : phpTrim(rawName);
  if (properties && properties.name !== undefined && !name) throw restError('BOT_PROPERTIES_REQUIRED');

  if (newToken) {
    bot.botToken = newToken;
    bot.appId = `custom${newToken}`;
  }
  bot.eventMode = eventMode;
  bot.webhookUrl = webhookUrl ?? null;
  const user = model.users.get(bot.id);
  if (user && properties) {
    if (name) user.name = name;
    const lastName = stringOf(properties.lastName);
    if (lastName !== null) user.lastName = lastName;
    const workPosition = stringOf(properties.workPosition);
    if (workPosition !== null) user.workPosition = workPosition;
  }
  return { bot: model.botObject(bot) };
}

/**
 * `imbot.v2.Bot.unregister` (reference §4.2 lists it; §4.4: the bot's last event is `ONIMBOTV2DELETE`). The
 * reference gives no parameters, result or errors of its own, so it follows the other v2 bot calls: the bot is
 * resolved like any v2 call (`botId`, and `botToken` under a webhook: `BOT_TOKEN_NOT_SPECIFIED`, `BOT_ID_REQUIRED`,
 * `BOT_NOT_FOUND`, `BOT_OWNERSHIP_ERROR`, §1.3). The result is a bare `true`: what the public method page shows
 * (bitrix24/b24restdocs `…/imbot.v2/bots/bot-unregister.md`), not yet in the reference. The delete event goes
 * out like any other: POSTed in webhook mode, queued for `Event.get` in fetch mode, where the bot stays readable
 * until an `Event.get` has returned it; after that, and for every other method at once, `BOT_NOT_FOUND`.
 */
function botUnregister(params: Params, context: MethodContext): unknown {
  const bot = resolveBotV2(params, context);
  context.model.removeBot(bot, context.now);
  return true;
}

/**
 * `imbot.v2.Event.get`: events from `offset` on; passing an offset confirms (drops) the ones below it. An
 * unregistered bot can still read its queue; once a reply has carried its `ONIMBOTV2DELETE`, it is gone.
 * Edges as the portal's `EventService::fetchEventsForRest` (bitrix-modules `im/lib/V2/EventLog/EventService.php`;
 * the reference, §4.4, gives only "limit 1–1000, default 100"): `int $offset, int $limit` parameters, limit clamped
 * to 1..1000, and `hasMore` means "the page is full", so a client that pages on `hasMore` makes one more call to
 * an empty page, as it will against a portal.
 */
function eventGet(params: Params, context: MethodContext): unknown {
  const bot = resolveBotV2(params, context, { retired: true });
  const offset = Math.max(0, intArgument(params, 'offset') ?? 0);
  const limit = Math.min(1000, Math.max(1, intArgument(params, 'limit') ?? 100));
  bot.events = bot.events.filter((event) => event.eventId >= offset);
  const events = bot.events.slice(0, limit);
  const last = events.at(-1);
  if (context.model.retiredBots.has(bot.id) && events.some((event) => event.type === 'ONIMBOTV2DELETE')) {
    context.model.retiredBots.delete(bot.id);
  }
  return {
    events,
    nextOffset: last ? last.eventId + 1 : offset,
    hasMore: events.length >= limit,
  };
}

export const BOT_METHODS: readonly MethodDefinition[] = [
  { name: 'imbot.v2.Bot.register', scope: 'imbot', handler: botRegister },
  { name: 'imbot.v2.Bot.update', scope: 'imbot', handler: botUpdate, subject: subjectV2 },
  { name: 'imbot.v2.Bot.unregister', scope: 'imbot', handler: botUnregister, subject: subjectV2 },
  { name: 'imbot.v2.Event.get', scope: 'imbot', handler: eventGet, subject: subjectV2 },
];
