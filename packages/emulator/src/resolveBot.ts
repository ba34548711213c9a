import type { Bot, Chat, ChatModel } from './ChatModel';
import { restError } from './errorCatalog';
import type { AuthContext, CallRecord, MethodContext } from './methodContext';
import { intval, isset, phpIntKey, stringOf } from './paramValues';
import type { Params } from './phpQuery';
import { RestError } from './RestError';

/**
 * imbot.v2 `BotController::processBeforeAction` (reference §1.3): the owner identity comes from the OAuth token,
 * or under a webhook from `botToken` (or the deprecated `clientId`) as `'custom' + token`; then `botId`.
 * `retired`: also an unregistered bot whose last event is still unread (`Event.get` only).
 */
export function resolveBotV2(params: Params, context: MethodContext, options: { retired?: boolean } = {}): Bot {
  let appId: string;
  if (context.auth.type === 'oauth') {
    appId = context.auth.clientId ?? '';
  } else {
    const token = stringOf(params.botToken ?? params.BOT_TOKEN ?? params.clientId ?? params.CLIENT_ID);
    if (!token) throw restError('BOT_TOKEN_NOT_SPECIFIED');
    appId = `custom${token}`;
  }
  const botId = botIdOf(params);
  if (botId <= 0) throw restError('BOT_ID_REQUIRED');
  context.record.botId = botId;
  const bot = context.model.bots.get(botId) ?? (options.retired ? context.model.retiredBots.get(botId) : undefined);
  if (!bot) throw restError('BOT_NOT_FOUND');
  context.record.senderId = bot.id;
  if (bot.appId !== appId) throw restError('BOT_OWNERSHIP_ERROR');
  return bot;
}

/** imbot.v2 dialog autowiring: `dialogId` (a string) or an integer `chatId`; then the membership check. */
export function resolveDialogV2(params: Params, bot: Bot, context: MethodContext): Chat {
  const chat = bindDialogV2(params, bot, context);
  checkMemberV2(chat, bot);
  return chat;
}

/**
 * imbot.v2 dialog autowiring alone (`dialogId`, or an integer `chatId`; CHAT_NOT_FOUND): for an action with more
 * arguments, which the binder reads, and refuses, before the access prefilters run (checkMemberV2).
 */
export function bindDialogV2(params: Params, bot: Bot, context: MethodContext): Chat {
  let dialogId = params.dialogId;
  if (dialogId === undefined && params.chatId !== undefined) {
    if (intval(params.chatId) <= 0) throw restError('CHAT_NOT_FOUND');
    dialogId = `chat${intval(params.chatId)}`;
  }
  if (dialogId === undefined || dialogId === null) {
    throw RestError.argument('dialogId', 'Could not find value for parameter {dialogId}');
  }
  if (typeof dialogId !== 'string') {
    throw RestError.argument(
      'dialogId',
      `Invalid value ${JSON.stringify(dialogId)} to match with parameter {dialogId}. Should be value of type string.`,
    );
  }
  context.record.dialogId = dialogId;
  const chat = context.model.resolveDialog(dialogId, bot.id, { allowSg: true, create: true });
  if (!chat) throw restError('CHAT_NOT_FOUND');
  context.record.chatId = chat.id;
  return chat;
}

/** The imbot.v2 chat access prefilter (`CheckEntityAccess`): the bot must be in the chat, else ACCESS_DENIED 400. */
export function checkMemberV2(chat: Chat, bot: Bot): void {
  if (!chat.members.has(bot.id)) throw accessDeniedV2();
}

/** `ChatError::ACCESS_DENIED` as imbot.v2 sends it: 400 (reference §1.3), the page's "Access denied". */
export function accessDeniedV2(): RestError {
  return new RestError('ACCESS_DENIED', 'Access denied', 400);
}

/** `botId`, or the documented `BOT_ID` fallback, as imbot.v2 reads it (0 when absent). */
function botIdOf(params: Params): number {
  return intval(params.botId ?? params.BOT_ID);
}

/**
 * Whose imbot.v2 call a refused one was, read as `resolveBotV2` / `resolveDialogV2` read it but without checking or
 * creating anything: the bot, the bot as sender when it exists (whoever sent the call: the indicator would be the
 * bot's), the dialog as passed (or `chat<chatId>`) and its chat. A private dialog is relative to the bot: none when
 * there is no such bot (0 is nobody).
 */
export function subjectV2(params: Params, _auth: AuthContext | null, model: ChatModel, record: CallRecord): void {
  const botId = botIdOf(params);
  const bot = botId > 0 ? model.bots.get(botId) : undefined;
  if (botId > 0) record.botId = botId;
  if (bot) record.senderId = bot.id;
  const chatId = intval(params.chatId);
  const dialogId =
    typeof params.dialogId === 'string'
      ? params.dialogId
      : params.dialogId === undefined && chatId > 0
        ? `chat${chatId}`
        : null;
  record.dialogId = dialogId;
  if (dialogId === null) return;
  record.chatId = model.resolveDialog(dialogId, bot?.id ?? 0, { allowSg: true, create: false })?.id ?? null;
}

/** The app a legacy imbot call acts for: the OAuth application, or under a webhook `'custom' + CLIENT_ID`. */
function legacyAppId(params: Params, auth: AuthContext): string | null {
  if (auth.type === 'oauth') return auth.clientId;
  const clientId = stringOf(params.CLIENT_ID);
  return clientId ? `custom${clientId}` : null;
}

/** The bot a legacy imbot call acts for without a `BOT_ID`: the app's first (oldest registered). */
function firstBotOf(model: ChatModel, appId: string): Bot | undefined {
  return [...model.bots.values()].find((bot) => bot.appId === appId);
}

/**
 * The bot a legacy (v1, deprecated) imbot call acts for, checked as every v1 bot method of the module source checks it
 * (yuliai/bitrix-modules@026c2eea im/classes/general/im_rest.php: botSendTyping, botMessageAdd, botMessageUpdate,
 * botMessageDelete share the code; reference §1.2): no client id (neither an OAuth application nor a webhook's
 * `CLIENT_ID`) is ACCESS_DENIED 403; a `BOT_ID` that is set (`isset`: 0 and '' included) must be a bot's key,
 * BOT_ID_ERROR, and the app's, APP_ID_ERROR; without one the app's first bot, else BOT_ID_ERROR. All 400. `params`
 * are upper-keyed (the source's `array_change_key_case`).
 */
export function resolveBotV1(params: Params, context: MethodContext): Bot {
  const { model, auth } = context;
  const appId = legacyAppId(params, auth);
  if (!appId) throw restError('ACCESS_DENIED');
  let bot: Bot | undefined;
  if (isset(params.BOT_ID)) {
    const key = phpIntKey(params.BOT_ID);
    if (key !== null && key > 0) context.record.botId = key;
    bot = key === null ? undefined : model.bots.get(key);
    if (!bot) throw restError('BOT_ID_ERROR');
    if (bot.appId !== appId) throw restError('APP_ID_ERROR');
  } else {
    bot = firstBotOf(model, appId);
    if (!bot) throw restError('BOT_ID_ERROR');
    context.record.botId = bot.id;
  }
  context.record.senderId = bot.id;
  return bot;
}

/**
 * The bot part of a refused legacy imbot call's subject (upper-keyed `params`), read as resolveBotV1 reads it without
 * checking: `BOT_ID`, else the app's first bot (known only when the credentials authenticated), and the bot as sender
 * when it exists.
 */
export function subjectBotV1(params: Params, auth: AuthContext | null, model: ChatModel, record: CallRecord): void {
  const given = isset(params.BOT_ID);
  let botId = given ? (phpIntKey(params.BOT_ID) ?? 0) : 0;
  const appId = auth && !given ? legacyAppId(params, auth) : null;
  if (appId) botId = firstBotOf(model, appId)?.id ?? 0;
  if (botId > 0) record.botId = botId;
  if (model.bots.has(botId)) record.senderId = botId;
}
