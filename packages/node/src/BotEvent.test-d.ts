import type { BotStatusOptions, StatusTarget } from '@b24-typing/core';
import { expectTypeOf, test } from 'vitest';
import type { BotEvent, JoinChatEvent, MessageAddEvent, MessageUpdateEvent } from './BotEvent';

test("an event's dialogId goes to botStatus and withStatus without a cast", () => {
  expectTypeOf<MessageAddEvent['data']['chat']['dialogId']>().toExtend<BotStatusOptions['dialogId']>();
  expectTypeOf<MessageUpdateEvent['data']['chat']['dialogId']>().toExtend<StatusTarget['dialogId']>();
  expectTypeOf<JoinChatEvent['data']['chat']['dialogId']>().toExtend<BotStatusOptions['dialogId']>();
  const event = {} as BotEvent;
  if (event.type === 'ONIMBOTV2MESSAGEADD') {
    const target: StatusTarget = { dialogId: event.data.chat.dialogId, botId: event.data.bot.id, status: 'thinking' };
    expectTypeOf(target.dialogId).toEqualTypeOf<StatusTarget['dialogId']>();
  }
  // A plain string is what needed the cast before: it must still be refused.
  expectTypeOf<string>().not.toExtend<BotStatusOptions['dialogId']>();
});
