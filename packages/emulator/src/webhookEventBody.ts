import type { Bot, BotEvent } from './ChatModel';
import { httpBuildQuery } from './phpQuery';

/**
 * The form body of an event POSTed to a webhook-mode bot (reference §4.4): `event`, `data` with `bot: {id, code,
 * auth}` instead of the full bot object, `ts`, and the top-level `auth` whose `application_token` handlers verify.
 */
export function webhookEventBody(bot: Bot, event: BotEvent, auth: Record<string, unknown>, nowMs: number): string {
  const { bot: _fullBot, ...rest } = event.data;
  return httpBuildQuery({
    event: event.type,
    data: { bot: { id: bot.id, code: bot.code, auth }, ...rest },
    ts: Math.floor(nowMs / 1000),
    auth,
  });
}
