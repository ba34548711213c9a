import type { BotStatusOptions, DialogId, StatusTarget } from '@b24-typing/core';
import { expectTypeOf, test } from 'vitest';
import type {
  BotEvent,
  JoinChatEvent,
  MessageAddEvent,
  MessageUpdateEvent,
  V1CommandAddEvent,
  V1JoinChatEvent,
  V1MessageAddEvent,
  V1MessageDeleteEvent,
  V1MessageUpdateEvent,
} from './BotEvent';

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

/** A v1 bot's `withStatus({ legacy: true })` target: a legacy event's `DIALOG_ID` must go in as is, without a cast. */
function legacyTarget(dialogId: StatusTarget['dialogId']): StatusTarget {
  return { dialogId, botId: 1, status: 'thinking', legacy: true };
}

test("a legacy v1 event's DIALOG_ID goes to withStatus({ legacy: true }) without a cast, its ids and flags typed", () => {
  expectTypeOf<V1MessageAddEvent['data']['PARAMS']['DIALOG_ID']>().toExtend<StatusTarget['dialogId']>();
  const event = {} as BotEvent;
  if (event.type === 'ONIMBOTMESSAGEADD') {
    const { PARAMS, USER } = event.data;
    expectTypeOf(legacyTarget(PARAMS.DIALOG_ID).dialogId).toEqualTypeOf<StatusTarget['dialogId']>();
    expectTypeOf(PARAMS.CHAT_AUTHOR_ID).toEqualTypeOf<number | undefined>();
    expectTypeOf(PARAMS.CHAT_USER_COUNT).toEqualTypeOf<number | undefined>();
    expectTypeOf(PARAMS.MENTIONED_LIST).toEqualTypeOf<Readonly<Record<string, number>> | undefined>();
    expectTypeOf(PARAMS.SYSTEM).toEqualTypeOf<boolean | undefined>();
    expectTypeOf(USER?.IS_CONNECTOR).toEqualTypeOf<boolean | undefined>();
    expectTypeOf(USER?.IS_NETWORK).toEqualTypeOf<boolean | undefined>();
    expectTypeOf(event.event_handler_id).toEqualTypeOf<number | undefined>();
    const bot = event.data.BOT['567'];
    expectTypeOf(bot?.AUTH?.expires).toEqualTypeOf<number | undefined>();
    expectTypeOf(bot?.AUTH?.user_id).toEqualTypeOf<number | undefined>();
    expectTypeOf(bot?.expires_in).toEqualTypeOf<number | undefined>();
  }
});

test("a join event's top-level dialogId, when sent, goes to botStatus without a cast", () => {
  expectTypeOf<JoinChatEvent['data']['dialogId']>().toEqualTypeOf<DialogId | undefined>();
  expectTypeOf<NonNullable<JoinChatEvent['data']['dialogId']>>().toExtend<BotStatusOptions['dialogId']>();
});

test("a legacy v1 join event's DIALOG_ID goes to withStatus({ legacy: true }) without a cast, its ids typed", () => {
  expectTypeOf<V1JoinChatEvent['data']['PARAMS']['DIALOG_ID']>().toExtend<StatusTarget['dialogId']>();
  const event = {} as BotEvent;
  if (event.type === 'ONIMBOTJOINCHAT') {
    const { PARAMS, USER } = event.data;
    expectTypeOf(legacyTarget(PARAMS.DIALOG_ID).dialogId).toEqualTypeOf<StatusTarget['dialogId']>();
    expectTypeOf(PARAMS.USER_ID).toEqualTypeOf<number | undefined>();
    expectTypeOf(PARAMS.CHAT_ID).toEqualTypeOf<number | undefined>();
    expectTypeOf(PARAMS.ACCESS_HISTORY).toEqualTypeOf<number | undefined>();
    expectTypeOf(USER?.ID).toEqualTypeOf<number | undefined>();
    expectTypeOf(event.event_handler_id).toEqualTypeOf<number | undefined>();
    expectTypeOf(event.data.BOT['571']?.BOT_ID).toEqualTypeOf<number | undefined>();
  }
});

test("the other legacy v1 events' DIALOG_ID goes to withStatus({ legacy: true }) without a cast, their ids typed", () => {
  expectTypeOf<V1MessageUpdateEvent['data']['PARAMS']['DIALOG_ID']>().toExtend<StatusTarget['dialogId']>();
  expectTypeOf<V1MessageDeleteEvent['data']['PARAMS']['DIALOG_ID']>().toExtend<StatusTarget['dialogId']>();
  expectTypeOf<V1CommandAddEvent['data']['PARAMS']['DIALOG_ID']>().toExtend<StatusTarget['dialogId']>();
  const event = {} as BotEvent;
  if (event.type === 'ONIMBOTMESSAGEUPDATE') {
    expectTypeOf(event.data.PARAMS.MESSAGE).toEqualTypeOf<string>();
    expectTypeOf(event.data.PARAMS.MESSAGE_ID).toEqualTypeOf<number>();
    expectTypeOf(event.data.PARAMS.MENTIONED_LIST).toEqualTypeOf<Readonly<Record<string, number>> | undefined>();
    expectTypeOf(event.data.USER?.IS_BOT).toEqualTypeOf<boolean | undefined>();
    expectTypeOf(event.event_handler_id).toEqualTypeOf<number | undefined>();
  }
  if (event.type === 'ONIMBOTMESSAGEDELETE') {
    expectTypeOf(event.data.PARAMS.ID).toEqualTypeOf<number | undefined>();
    expectTypeOf(event.data.BOT['571']?.BOT_ID).toEqualTypeOf<number | undefined>();
  }
  if (event.type === 'ONIMBOTDELETE') {
    expectTypeOf(event.data.BOT_ID).toEqualTypeOf<number>();
    expectTypeOf(event.event_handler_id).toEqualTypeOf<number | undefined>();
  }
  if (event.type === 'ONIMCOMMANDADD') {
    expectTypeOf(event.data.COMMAND['103']?.COMMAND_ID).toEqualTypeOf<number | undefined>();
    expectTypeOf(event.data.COMMAND['103']?.MESSAGE_ID).toEqualTypeOf<number | undefined>();
    expectTypeOf(event.data.PARAMS.BOT_IN_CHAT).toEqualTypeOf<Readonly<Record<string, number>> | undefined>();
    expectTypeOf(event.data.PARAMS.SYSTEM).toEqualTypeOf<boolean | undefined>();
  }
});

test("a legacy edit's and deletion's PARAMS type the message event's fields the runtime reads", () => {
  type Update = V1MessageUpdateEvent['data']['PARAMS'];
  type Delete = V1MessageDeleteEvent['data']['PARAMS'];
  for (const key of ['RID', 'CHAT_PREV_MESSAGE_ID', 'FAKE_RELATION', 'TO_CHAT_ID'] as const) {
    expectTypeOf<Update[typeof key]>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Delete[typeof key]>().toEqualTypeOf<number | undefined>();
    expectTypeOf<V1CommandAddEvent['data']['PARAMS'][typeof key]>().toEqualTypeOf<number | undefined>();
  }
  expectTypeOf<Update['SYSTEM']>().toEqualTypeOf<boolean | undefined>();
});

test('the legacy CHAT_ENTITY_* fields are strings wherever a page lists them', () => {
  for (const key of ['CHAT_ENTITY_TYPE', 'CHAT_ENTITY_ID', 'CHAT_ENTITY_DATA_1', 'CHAT_ENTITY_DATA_3'] as const) {
    expectTypeOf<V1MessageAddEvent['data']['PARAMS'][typeof key]>().toEqualTypeOf<string | undefined>();
    expectTypeOf<V1MessageUpdateEvent['data']['PARAMS'][typeof key]>().toEqualTypeOf<string | undefined>();
    expectTypeOf<V1MessageDeleteEvent['data']['PARAMS'][typeof key]>().toEqualTypeOf<string | undefined>();
    expectTypeOf<V1CommandAddEvent['data']['PARAMS'][typeof key]>().toEqualTypeOf<string | undefined>();
  }
  expectTypeOf<V1JoinChatEvent['data']['PARAMS']['CHAT_ENTITY_ID']>().toEqualTypeOf<string | undefined>();
  // The join's page lists no CHAT_ENTITY_DATA_*.
  expectTypeOf<V1JoinChatEvent['data']['PARAMS']['CHAT_ENTITY_DATA_1']>().toEqualTypeOf<unknown>();
});

test("a v2 message's date and uuid may be null, as the platform sends them; its text and the chat's name never", () => {
  expectTypeOf<MessageAddEvent['data']['message']['date']>().toEqualTypeOf<string | null | undefined>();
  expectTypeOf<MessageAddEvent['data']['message']['uuid']>().toEqualTypeOf<string | null | undefined>();
  expectTypeOf<MessageAddEvent['data']['message']['text']>().toEqualTypeOf<string>();
  expectTypeOf<MessageAddEvent['data']['chat']['name']>().toEqualTypeOf<string | undefined>();
  expectTypeOf<V1MessageAddEvent['data']['PARAMS']['MESSAGE']>().toEqualTypeOf<string>();
});
