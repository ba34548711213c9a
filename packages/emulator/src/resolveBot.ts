import type { Bot, Chat } from './ChatModel';
import { restError } from './errorCatalog';
import type { MethodContext } from './methodContext';
import { intval, stringOf } from './paramValues';
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
  const botId = intval(params.botId ?? params.BOT_ID);
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
  if (!chat.members.has(bot.id)) throw new RestError('ACCESS_DENIED', 'Access denied', 400);
  return chat;
}
