import type { Bot, BotEvent, LegacyHandler } from './ChatModel';
import { httpBuildQuery } from './phpQuery';

/**
 * The form body of a v1 event POSTed to a legacy bot's handler (reference §4.4 "Legacy v1 events"; bitrix-tools/
 * b24-rest-docs …/outdated/messages/events/on-imbot-message-add.md): `event`, `event_handler_id`, `data` with the
 * credentials of each bot it is for under `BOT[<id>]` (the auth keys, the same again as `AUTH`, `BOT_ID`, `BOT_CODE`;
 * `client_id` for an OAuth application's bot) next to the event's own `PARAMS` and `USER`, then `ts` and the top-level
 * `auth` whose `application_token` handlers verify. `ONIMBOTDELETE` carries just `{BOT_ID, BOT_CODE}` as its data
 * (the module source's `onBotDelete`). Encoded as the v2 webhook body is (`http_build_query`: every scalar a string).
 */
export function legacyEventBody(
  bot: Bot,
  event: BotEvent,
  handler: LegacyHandler,
  auth: Record<string, unknown>,
  nowMs: number,
): string {
  const botAuth = bot.clientId ? { ...auth, client_id: bot.clientId } : auth;
  const data =
    event.type === 'ONIMBOTDELETE'
      ? event.data
      : { BOT: { [bot.id]: { ...botAuth, AUTH: botAuth, BOT_ID: bot.id, BOT_CODE: bot.code } }, ...event.data };
  return httpBuildQuery({
    event: event.type,
    event_handler_id: handler.id,
    data,
    ts: Math.floor(nowMs / 1000),
    auth,
  });
}
