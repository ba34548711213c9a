import { describe, expect, it } from 'vitest';
import { B24Error } from '@b24-typing/core';
import type {
  BotEvent,
  JoinChatEvent,
  MessageAddEvent,
  V1BotDeleteEvent,
  V1CommandAddEvent,
  V1JoinChatEvent,
  V1MessageAddEvent,
  V1MessageDeleteEvent,
  V1MessageUpdateEvent,
} from './BotEvent';
import { parsePhpQuery } from './parsePhpQuery';
import { typeBotEvent } from './typeBotEvent';

/** `fields` (a form body, every scalar a string) read as `parseBotEvent` reads it, then typed: the event `E` it holds. */
function typedForm<E extends BotEvent = BotEvent>(fields: Record<string, string>): E {
  const raw = parsePhpQuery(new URLSearchParams(fields).toString());
  return typeBotEvent(String(raw.event), raw.data, { ts: raw.ts, eventHandlerId: raw.event_handler_id }) as E;
}

/**
 * The author of the outdated v1 pages' samples (user 27) as `data[USER]` of a form body carries her, and as typed;
 * her `Y`/`N` flags (`N` in the samples) apart, as some pages leave them out: `ID` a number, the flags booleans.
 */
const userForm: Record<string, string> = {
  'data[USER][ID]': '27',
  'data[USER][NAME]': 'Светлана Иванова',
  'data[USER][FIRST_NAME]': 'Светлана',
  'data[USER][LAST_NAME]': 'Иванова',
  'data[USER][WORK_POSITION]': '',
  'data[USER][GENDER]': 'F',
};
const USER = {
  ID: 27,
  NAME: 'Светлана Иванова',
  FIRST_NAME: 'Светлана',
  LAST_NAME: 'Иванова',
  WORK_POSITION: '',
  GENDER: 'F',
};
const userFlagsForm: Record<string, string> = {
  'data[USER][IS_BOT]': 'N',
  'data[USER][IS_CONNECTOR]': 'N',
  'data[USER][IS_NETWORK]': 'N',
  'data[USER][IS_EXTRANET]': 'N',
};
const USER_FLAGS = { IS_BOT: false, IS_CONNECTOR: false, IS_NETWORK: false, IS_EXTRANET: false };

/** The `data[BOT][571]` entry of the outdated message and join pages, tokens left out, and as typed. */
const bot571: Record<string, string> = {
  'data[BOT][571][expires]': '1772096136',
  'data[BOT][571][expires_in]': '3600',
  'data[BOT][571][user_id]': '571',
  'data[BOT][571][AUTH][expires]': '1772096136',
  'data[BOT][571][AUTH][user_id]': '571',
  'data[BOT][571][BOT_ID]': '571',
  'data[BOT][571][BOT_CODE]': 'BOT',
};
const BOT_571 = {
  expires: 1772096136,
  expires_in: 3600,
  user_id: 571,
  AUTH: { expires: 1772096136, user_id: 571 },
  BOT_ID: 571,
  BOT_CODE: 'BOT',
};

/**
 * The group-chat ONIMBOTMESSAGEADD of b24-rest-docs (chat-bots/outdated/messages/events/on-imbot-message-add.md), as
 * the portal POSTs it: a form built by `http_build_query`, every scalar a string. Tokens are left out.
 */
const groupMention: Record<string, string> = {
  event: 'ONIMBOTMESSAGEADD',
  event_handler_id: '403',
  'data[BOT][567][expires]': '1771943628',
  'data[BOT][567][expires_in]': '3600',
  'data[BOT][567][user_id]': '567',
  'data[BOT][567][BOT_ID]': '567',
  'data[BOT][567][BOT_CODE]': 'BOT1',
  'data[PARAMS][MESSAGE]': ', как настроить левое меню',
  'data[PARAMS][MESSAGE_TYPE]': 'C',
  'data[PARAMS][FROM_USER_ID]': '27',
  'data[PARAMS][DIALOG_ID]': 'chat1157',
  'data[PARAMS][TO_CHAT_ID]': '1157',
  'data[PARAMS][AUTHOR_ID]': '27',
  'data[PARAMS][SYSTEM]': 'N',
  'data[PARAMS][CHAT_ID]': '1157',
  'data[PARAMS][CHAT_TITLE]': 'Бурый чат №18',
  'data[PARAMS][CHAT_AUTHOR_ID]': '27',
  'data[PARAMS][CHAT_TYPE]': 'C',
  'data[PARAMS][CHAT_AVATAR]': '0',
  'data[PARAMS][CHAT_ENTITY_ID]': '',
  'data[PARAMS][CHAT_EXTRANET]': 'N',
  'data[PARAMS][CHAT_PREV_MESSAGE_ID]': '80961',
  'data[PARAMS][RID]': '27',
  'data[PARAMS][IS_MANAGER]': 'N',
  'data[PARAMS][PUSH]': 'Y',
  'data[PARAMS][FAKE_RELATION]': '0',
  'data[PARAMS][CHAT_USER_COUNT]': '2',
  'data[PARAMS][MENTIONED_LIST][567]': '567',
  'data[PARAMS][MESSAGE_ORIGINAL]': '[USER=567]NewBot[/USER] , как настроить левое меню',
  'data[PARAMS][TO_USER_ID]': '567',
  'data[PARAMS][MESSAGE_ID]': '84351',
  'data[PARAMS][LANGUAGE]': 'ru',
  ...userForm,
  ...userFlagsForm,
  'data[USER][IS_NETWORK]': 'Y',
  ts: '1771940028',
};

/** The docs' sample tokens, checked never to show in an error. */
const ACCESS_TOKEN = 'a98b9d690000071b0000084400000237f0f107589d1e';
const REFRESH_TOKEN = '990ac5690000071b0000084400000237';
const APPLICATION_TOKEN = '831c76b092f9f135d9b6b36c3a720757';

/**
 * The private-chat event's `data[BOT][567]` entry of the same page, tokens included: the bot's auth keys, then the same
 * keys again under `AUTH` ("the bot's authorization parameters in `auth` format"), `client_id` in both.
 */
const botAuth: Record<string, string> = {};
for (const prefix of ['data[BOT][567]', 'data[BOT][567][AUTH]']) {
  Object.assign(botAuth, {
    [`${prefix}[access_token]`]: ACCESS_TOKEN,
    [`${prefix}[expires]`]: '1771932585',
    [`${prefix}[expires_in]`]: '3600',
    [`${prefix}[scope]`]: 'imbot',
    [`${prefix}[domain]`]: 'some-domain.bitrix24.ru',
    [`${prefix}[server_endpoint]`]: 'https://oauth.bitrix24.tech/rest/',
    [`${prefix}[status]`]: 'F',
    [`${prefix}[client_endpoint]`]: 'https://some-domain.bitrix24.ru/rest/',
    [`${prefix}[member_id]`]: 'bac1cd5c8940947a75e0d71b1a84e348',
    [`${prefix}[refresh_token]`]: REFRESH_TOKEN,
    [`${prefix}[user_id]`]: '567',
    [`${prefix}[client_id]`]: 'a7eff906dd1d950269258a599214f69e',
    [`${prefix}[application_token]`]: APPLICATION_TOKEN,
  });
}

/** `typedForm` for the tests of one event: its fields reached without a cast. */
const typed = typedForm<V1MessageAddEvent>;

function refusal(fields: Record<string, string>): unknown {
  try {
    typedForm(fields);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('typeBotEvent: legacy ONIMBOTMESSAGEADD', () => {
  it('checks DIALOG_ID with the dialog id rules of the legacy API, as data.chat.dialogId is checked for v2', () => {
    // DIALOG_ID was only a non-empty string: `room1` parsed, and a v1 bot met it at its first status call.
    for (const bad of ['room1', 'chat', 'chatabc', 'chat0', '0', '-3', '3.5', 'chat 7', ' ']) {
      const error = refusal({ ...groupMention, 'data[PARAMS][DIALOG_ID]': bad });
      expect(error, bad).toBeInstanceOf(B24Error);
      expect(error, bad).toMatchObject({ kind: 'input', code: 'INVALID_EVENT_BODY' });
      expect((error as B24Error).message, bad).toMatch(/^data\.PARAMS\.DIALOG_ID: must be a dialog id/);
    }
    // `sg<N>` is imbot.v2's alone: the legacy imbot.chat.sendTyping a v1 bot calls documents chat<N> and user ids.
    expect(refusal({ ...groupMention, 'data[PARAMS][DIALOG_ID]': 'sg12' })).toMatchObject({
      code: 'INVALID_EVENT_BODY',
      message: expect.stringMatching(/^data\.PARAMS\.DIALOG_ID: /),
    });
  });

  it("keeps the docs' dialog ids as the strings the legacy status and message calls take", () => {
    for (const [sent, kept] of [
      ['chat1157', 'chat1157'],
      ['27', '27'],
    ] as const) {
      expect(typed({ ...groupMention, 'data[PARAMS][DIALOG_ID]': sent }).data.PARAMS.DIALOG_ID).toBe(kept);
    }
    const json = typeBotEvent(
      'ONIMBOTMESSAGEADD',
      { BOT: { 567: { BOT_ID: 567 } }, PARAMS: { MESSAGE_ID: 1, DIALOG_ID: 27, FROM_USER_ID: 27 } },
      {},
    ) as V1MessageAddEvent;
    expect(json.data.PARAMS.DIALOG_ID).toBe('27');
  });

  it("turns the user's Y/N flags into booleans alike, IS_CONNECTOR and IS_NETWORK as IS_BOT and IS_EXTRANET", () => {
    expect(typed(groupMention).data.USER).toEqual({ ...USER, ...USER_FLAGS, IS_NETWORK: true });
    const connector = typed({
      ...groupMention,
      'data[USER][IS_CONNECTOR]': 'Y',
      'data[USER][IS_NETWORK]': 'N',
    });
    expect(connector.data.USER).toMatchObject({ IS_CONNECTOR: true, IS_NETWORK: false });
  });

  it("restores every integer the docs list in PARAMS, MENTIONED_LIST's ids included, and leaves their strings alone", () => {
    const { PARAMS } = typed(groupMention).data;
    expect(PARAMS).toMatchObject({
      MESSAGE_ID: 84351,
      FROM_USER_ID: 27,
      TO_CHAT_ID: 1157,
      AUTHOR_ID: 27,
      TO_USER_ID: 567,
      CHAT_ID: 1157,
      CHAT_AUTHOR_ID: 27,
      CHAT_USER_COUNT: 2,
      CHAT_PREV_MESSAGE_ID: 80961,
      RID: 27,
      FAKE_RELATION: 0,
      MENTIONED_LIST: { 567: 567 },
      // Documented as strings: kept as sent (CHAT_AVATAR "0" means no avatar, not a number).
      CHAT_AVATAR: '0',
      CHAT_ENTITY_ID: '',
      CHAT_EXTRANET: 'N',
      IS_MANAGER: 'N',
      PUSH: 'Y',
      CHAT_TITLE: 'Бурый чат №18',
      MESSAGE_TYPE: 'C',
      LANGUAGE: 'ru',
      // A boolean already before the docs called it a Y/N string: kept, so code that reads it keeps working.
      SYSTEM: false,
    });
    expect(PARAMS.MENTIONED_LIST).toEqual({ 567: 567 });
  });

  it('reads MENTIONED_LIST of several ids, as qs and JSON leave it, and refuses one that is not a list of ids', () => {
    const many = typed({
      ...groupMention,
      'data[PARAMS][MENTIONED_LIST][567]': '567',
      'data[PARAMS][MENTIONED_LIST][27]': '27',
    });
    expect(many.data.PARAMS.MENTIONED_LIST).toEqual({ 27: 27, 567: 567 });
    const base = { BOT: { 5: { BOT_ID: 5 } }, USER: { ID: 3 } };
    const params = { MESSAGE_ID: 1, DIALOG_ID: 'chat9', FROM_USER_ID: 3 };
    // qs (Express's extended `urlencoded`) makes ids up to 20 an array, compacted; PHP's json_encode an empty one `[]`:
    // each value is the id, so it keys the entry again.
    const listed = typeBotEvent(
      'ONIMBOTMESSAGEADD',
      { ...base, PARAMS: { ...params, MENTIONED_LIST: ['5', '12'] } },
      {},
    ) as V1MessageAddEvent;
    expect(listed.data.PARAMS.MENTIONED_LIST).toEqual({ 5: 5, 12: 12 });
    const none = typeBotEvent('ONIMBOTMESSAGEADD', { ...base, PARAMS: { ...params, MENTIONED_LIST: [] } }, {});
    expect((none as V1MessageAddEvent).data.PARAMS.MENTIONED_LIST).toEqual({});
    for (const bad of [{ 5: 'five' }, 'x', { __proto__: null, constructor: '1' }]) {
      expect(
        () => typeBotEvent('ONIMBOTMESSAGEADD', { ...base, PARAMS: { ...params, MENTIONED_LIST: bad } }, {}),
        JSON.stringify(bad),
      ).toThrow(
        expect.objectContaining({ code: 'INVALID_EVENT_BODY', message: expect.stringMatching(/MENTIONED_LIST/) }),
      );
    }
  });

  it("restores the numbers of each bot's AUTH block as v2's data.bot.auth, and of the entry's own auth keys", () => {
    // AUTH stayed all strings (expires "1771932585", user_id "567") while data.bot.auth of a v2 event was typed.
    const auth = {
      access_token: ACCESS_TOKEN,
      expires: 1771932585,
      expires_in: 3600,
      scope: 'imbot',
      domain: 'some-domain.bitrix24.ru',
      server_endpoint: 'https://oauth.bitrix24.tech/rest/',
      status: 'F',
      client_endpoint: 'https://some-domain.bitrix24.ru/rest/',
      member_id: 'bac1cd5c8940947a75e0d71b1a84e348',
      refresh_token: REFRESH_TOKEN,
      user_id: 567,
      client_id: 'a7eff906dd1d950269258a599214f69e',
      application_token: APPLICATION_TOKEN,
    };
    const bot = typed({ ...groupMention, ...botAuth }).data.BOT['567'];
    expect(bot).toEqual({ ...auth, AUTH: auth, BOT_ID: 567, BOT_CODE: 'BOT1' });
    // qs makes `data[BOT][567]` an array entry: its AUTH is typed all the same.
    const listed = typeBotEvent(
      'ONIMBOTMESSAGEADD',
      {
        BOT: [{ BOT_ID: '7', AUTH: { expires: '1771932585', expires_in: '3600', user_id: '7' } }],
        PARAMS: { MESSAGE_ID: '1', DIALOG_ID: '3', FROM_USER_ID: '3' },
      },
      {},
    ) as V1MessageAddEvent;
    expect(listed.data.BOT['7']?.AUTH).toEqual({ expires: 1771932585, expires_in: 3600, user_id: 7 });
  });

  it('refuses a bad AUTH number or block by its path alone, never quoting a token', () => {
    for (const [field, value, message] of [
      ['data[BOT][567][AUTH][expires]', 'soon', 'data.BOT.567.AUTH.expires: must be a number'],
      ['data[BOT][567][AUTH][expires_in]', ACCESS_TOKEN, 'data.BOT.567.AUTH.expires_in: must be a number'],
      ['data[BOT][567][AUTH][user_id]', APPLICATION_TOKEN, 'data.BOT.567.AUTH.user_id: must be a number'],
      ['data[BOT][567][expires]', REFRESH_TOKEN, 'data.BOT.567.expires: must be a number'],
    ] as const) {
      const error = refusal({ ...groupMention, ...botAuth, [field]: value });
      expect(error, field).toBeInstanceOf(B24Error);
      expect(error, field).toMatchObject({ kind: 'input', code: 'INVALID_EVENT_BODY', message });
      const shown = `${String(error)} ${JSON.stringify(error)} ${(error as Error).stack}`;
      for (const secret of [ACCESS_TOKEN, REFRESH_TOKEN, APPLICATION_TOKEN]) expect(shown, field).not.toContain(secret);
    }
    const flat = Object.fromEntries(Object.entries(botAuth).filter(([key]) => !key.startsWith('data[BOT][567][AUTH]')));
    expect(refusal({ ...groupMention, ...flat, 'data[BOT][567][AUTH]': ACCESS_TOKEN })).toMatchObject({
      code: 'INVALID_EVENT_BODY',
      message: 'data.BOT.567.AUTH: must be an object',
    });
  });

  it('keeps the top-level event_handler_id as a number', () => {
    // The docs' integer id of the handler (event.bind) the portal called: it was dropped.
    expect(typed(groupMention).event_handler_id).toBe(403);
    expect(typed(groupMention).ts).toBe(1771940028);
    const { event_handler_id: _, ...without } = groupMention;
    expect(typed(without)).not.toHaveProperty('event_handler_id');
    expect(refusal({ ...groupMention, event_handler_id: 'abc' })).toMatchObject({
      code: 'INVALID_EVENT_BODY',
      message: 'event_handler_id: must be a number',
    });
  });
});

/**
 * The ONIMBOTV2JOINCHAT of b24-rest-docs (chat-bots-v2/imbot.v2/events/events.md#onimbotv2joinchat) as a webhook
 * POSTs it: `data.dialogId` beside `data.chat`, every scalar a string.
 */
const v2Join: Record<string, string> = {
  event: 'ONIMBOTV2JOINCHAT',
  'data[bot][id]': '456',
  'data[bot][code]': 'support_bot',
  'data[dialogId]': 'chat5',
  'data[chat][id]': '5',
  'data[chat][dialogId]': 'chat5',
  'data[chat][type]': 'chat',
  'data[chat][owner]': '1',
  'data[user][id]': '1',
  'data[user][bot]': '0',
  'data[language]': 'en',
  ts: '1772093963',
};

const typedJoin = typedForm<JoinChatEvent>;

describe('typeBotEvent: ONIMBOTV2JOINCHAT', () => {
  it('checks the top-level data.dialogId as data.chat.dialogId, by the imbot.v2 rule, and keeps it a string', () => {
    // data.dialogId came through unchecked: `room1` parsed, and a greeting sent to it failed at the first status call.
    expect(typedJoin(v2Join).data.dialogId).toBe('chat5');
    expect(typedJoin({ ...v2Join, 'data[dialogId]': 'sg12' }).data.dialogId).toBe('sg12');
    expect(typedJoin({ ...v2Join, 'data[dialogId]': '27' }).data.dialogId).toBe('27');
    const json = typeBotEvent(
      'ONIMBOTV2JOINCHAT',
      { bot: { id: 456 }, dialogId: 27, chat: { id: 5, dialogId: 27 } },
      {},
    ) as JoinChatEvent;
    expect(json.data.dialogId).toBe('27');
    for (const bad of ['room1', 'chat', 'chat0', '0', '-3', ' ']) {
      expect(() => typedJoin({ ...v2Join, 'data[dialogId]': bad }), JSON.stringify(bad)).toThrow(
        expect.objectContaining({
          kind: 'input',
          code: 'INVALID_EVENT_BODY',
          message: expect.stringMatching(/^data\.dialogId: must be a dialog id/),
        }),
      );
    }
  });

  it('still reads a join event without the top-level dialogId or user: data.chat.dialogId is the one to reply to', () => {
    const { 'data[dialogId]': _, 'data[user][id]': _id, 'data[user][bot]': _bot, ...without } = v2Join;
    const event = typedJoin(without);
    expect(event.data).not.toHaveProperty('dialogId');
    expect(event.data).not.toHaveProperty('user');
    expect(event.data.chat).toEqual({ id: 5, dialogId: 'chat5', type: 'chat', owner: 1 });
    // Sent empty (how a form carries `null`): not sent, as an empty `ts` or `event_handler_id` is.
    expect(typedJoin({ ...v2Join, 'data[dialogId]': '' }).data).not.toHaveProperty('dialogId');
  });
});

/**
 * The two ONIMBOTJOINCHAT bodies of b24-rest-docs (chat-bots/outdated/chats/events/on-imbot-join-chat.md) as the portal
 * POSTs them, every scalar a string: a private chat with the bot, and a group chat. Tokens are left out of PARAMS.
 */
const joinBase: Record<string, string> = {
  event: 'ONIMBOTJOINCHAT',
  event_handler_id: '459',
  ...bot571,
  ...userForm,
  ts: '1772090839',
};
const privateJoin: Record<string, string> = {
  ...joinBase,
  'data[PARAMS][CHAT_TYPE]': 'P',
  'data[PARAMS][MESSAGE_TYPE]': 'P',
  'data[PARAMS][BOT_ID]': '571',
  'data[PARAMS][USER_ID]': '27',
  'data[PARAMS][TO_USER_ID]': '27',
  'data[PARAMS][FROM_USER_ID]': '571',
  'data[PARAMS][DIALOG_ID]': '27',
  'data[PARAMS][LANGUAGE]': 'ru',
};
const groupJoin: Record<string, string> = {
  ...joinBase,
  'data[PARAMS][CHAT_TYPE]': 'C',
  'data[PARAMS][MESSAGE_TYPE]': 'C',
  'data[PARAMS][BOT_ID]': '571',
  'data[PARAMS][USER_ID]': '27',
  'data[PARAMS][CHAT_ID]': '1157',
  'data[PARAMS][CHAT_AUTHOR_ID]': '27',
  'data[PARAMS][CHAT_ENTITY_TYPE]': 'THREAD',
  'data[PARAMS][CHAT_ENTITY_ID]': '',
  'data[PARAMS][ACCESS_HISTORY]': '1',
  'data[PARAMS][DIALOG_ID]': 'chat1157',
  'data[PARAMS][LANGUAGE]': 'ru',
};

const typedV1Join = typedForm<V1JoinChatEvent>;

describe('typeBotEvent: legacy ONIMBOTJOINCHAT', () => {
  it("types the docs' private-chat join: DIALOG_ID the user's id as a string, the ids numbers", () => {
    // It came as type 'other', every field a string: a v1 bot greeting on join checked DIALOG_ID itself.
    const event = typedV1Join(privateJoin);
    expect(event.type).toBe('ONIMBOTJOINCHAT');
    expect(event.event_handler_id).toBe(459);
    expect(event.ts).toBe(1772090839);
    expect(event.data.PARAMS).toEqual({
      CHAT_TYPE: 'P',
      MESSAGE_TYPE: 'P',
      BOT_ID: 571,
      USER_ID: 27,
      TO_USER_ID: 27,
      FROM_USER_ID: 571,
      DIALOG_ID: '27',
      LANGUAGE: 'ru',
    });
    expect(event.data.USER).toEqual(USER);
    expect(event.data.BOT['571']).toEqual(BOT_571);
  });

  it("types the docs' group-chat join: CHAT_ID, CHAT_AUTHOR_ID and ACCESS_HISTORY numbers, the entity strings as sent", () => {
    const { PARAMS } = typedV1Join(groupJoin).data;
    expect(PARAMS).toEqual({
      CHAT_TYPE: 'C',
      MESSAGE_TYPE: 'C',
      BOT_ID: 571,
      USER_ID: 27,
      CHAT_ID: 1157,
      CHAT_AUTHOR_ID: 27,
      CHAT_ENTITY_TYPE: 'THREAD',
      CHAT_ENTITY_ID: '',
      ACCESS_HISTORY: 1,
      DIALOG_ID: 'chat1157',
      LANGUAGE: 'ru',
    });
    expect(typedV1Join({ ...groupJoin, 'data[PARAMS][ACCESS_HISTORY]': '0' }).data.PARAMS.ACCESS_HISTORY).toBe(0);
    // A `Y`/`N` string in the docs (Copilot chats): kept as sent, as the message event's PUSH.
    expect(typedV1Join({ ...groupJoin, 'data[PARAMS][SILENT_JOIN]': 'Y' }).data.PARAMS.SILENT_JOIN).toBe('Y');
  });

  it('checks DIALOG_ID by the legacy rule, as the message event does, and requires it', () => {
    for (const bad of ['room1', 'chat', 'chat0', '0', '-3', 'sg12', ' ']) {
      expect(() => typedV1Join({ ...groupJoin, 'data[PARAMS][DIALOG_ID]': bad }), bad).toThrow(
        expect.objectContaining({
          kind: 'input',
          code: 'INVALID_EVENT_BODY',
          message: expect.stringMatching(/^data\.PARAMS\.DIALOG_ID: /),
        }),
      );
    }
    const { 'data[PARAMS][DIALOG_ID]': _, ...without } = groupJoin;
    expect(() => typedV1Join(without)).toThrow(
      expect.objectContaining({ code: 'INVALID_EVENT_BODY', message: 'data.PARAMS.DIALOG_ID: is required' }),
    );
    expect(() => typedV1Join({ ...groupJoin, 'data[PARAMS][CHAT_ID]': 'x' })).toThrow(
      expect.objectContaining({ code: 'INVALID_EVENT_BODY', message: 'data.PARAMS.CHAT_ID: must be a number' }),
    );
    const json = typeBotEvent(
      'onimbotjoinchat',
      { BOT: { 571: { BOT_ID: 571 } }, PARAMS: { DIALOG_ID: 27, USER_ID: 27 } },
      {},
    ) as V1JoinChatEvent;
    expect(json.data.PARAMS.DIALOG_ID).toBe('27');
  });

  it('reads a join without USER (the docs: empty when its ID is 0), and BOT as qs leaves it', () => {
    const noUser = Object.fromEntries(Object.entries(groupJoin).filter(([key]) => !key.startsWith('data[USER]')));
    expect(typedV1Join(noUser).data).not.toHaveProperty('USER');
    const listed = typeBotEvent(
      'ONIMBOTJOINCHAT',
      { BOT: [{ BOT_ID: '7', BOT_CODE: 'b' }], PARAMS: { DIALOG_ID: 'chat3', ACCESS_HISTORY: '1' } },
      {},
    ) as V1JoinChatEvent;
    expect(listed.data.BOT).toEqual({ 7: { BOT_ID: 7, BOT_CODE: 'b' } });
    expect(() =>
      typeBotEvent('ONIMBOTJOINCHAT', { BOT: { 7: { BOT_ID: 'seven' } }, PARAMS: { DIALOG_ID: 'chat3' } }, {}),
    ).toThrow(expect.objectContaining({ message: 'data.BOT.7.BOT_ID: must be a number' }));
  });

  it("reads a JSON body's USER [] (PHP's json_encode of the empty USER) as no USER, in every legacy event that has one", () => {
    // It was refused: "data.USER: must be an object".
    for (const [type, data] of [
      ['ONIMBOTJOINCHAT', { BOT: {}, PARAMS: { DIALOG_ID: 'chat3' }, USER: [] }],
      ['ONIMBOTMESSAGEADD', { BOT: {}, PARAMS: { DIALOG_ID: 'chat3', MESSAGE_ID: '5', FROM_USER_ID: '0' }, USER: [] }],
      ['ONIMBOTMESSAGEDELETE', { BOT: {}, PARAMS: { DIALOG_ID: 'chat3', MESSAGE_ID: '5' }, USER: [] }],
    ] as const) {
      expect((typeBotEvent(type, data, {}) as V1JoinChatEvent).data, type).not.toHaveProperty('USER');
    }
    // A list with something in it is no user.
    expect(() =>
      typeBotEvent('ONIMBOTJOINCHAT', { BOT: {}, PARAMS: { DIALOG_ID: 'chat3' }, USER: [{ ID: '3' }] }, {}),
    ).toThrow(expect.objectContaining({ message: 'data.USER: must be an object' }));
  });
});

/** The private-chat ONIMBOTMESSAGEUPDATE of chat-bots/outdated/messages/events/on-imbot-message-update.md. */
const privateUpdate: Record<string, string> = {
  event: 'ONIMBOTMESSAGEUPDATE',
  event_handler_id: '455',
  ...bot571,
  'data[PARAMS][ID]': '84531',
  'data[PARAMS][CHAT_ID]': '1453',
  'data[PARAMS][AUTHOR_ID]': '27',
  'data[PARAMS][MESSAGE]': 'Как добавить наблюдателя в задачу?',
  'data[PARAMS][MESSAGE_TYPE]': 'P',
  'data[PARAMS][CHAT_AUTHOR_ID]': '571',
  'data[PARAMS][CHAT_ENTITY_ID]': '',
  'data[PARAMS][CHAT_ENTITY_DATA_1]': '',
  'data[PARAMS][FROM_USER_ID]': '27',
  'data[PARAMS][TO_USER_ID]': '571',
  'data[PARAMS][CHAT_USER_COUNT]': '2',
  'data[PARAMS][PLATFORM_CONTEXT]': 'web',
  'data[PARAMS][DIALOG_ID]': '27',
  'data[PARAMS][MESSAGE_ID]': '84531',
  'data[PARAMS][CHAT_TYPE]': 'P',
  'data[PARAMS][LANGUAGE]': 'ru',
  ...userForm,
  ...userFlagsForm,
  ts: '1772092536',
};

/** The group-chat ONIMBOTMESSAGEUPDATE of the same page: no FROM_USER_ID, no USER, a MENTIONED_LIST. */
const groupUpdate: Record<string, string> = {
  event: 'ONIMBOTMESSAGEUPDATE',
  event_handler_id: '455',
  ...bot571,
  'data[PARAMS][ID]': '84537',
  'data[PARAMS][CHAT_ID]': '1157',
  'data[PARAMS][AUTHOR_ID]': '27',
  'data[PARAMS][MESSAGE]': 'оформи список задач',
  'data[PARAMS][MESSAGE_TYPE]': 'C',
  'data[PARAMS][CHAT_AUTHOR_ID]': '27',
  'data[PARAMS][CHAT_ENTITY_TYPE]': 'THREAD',
  'data[PARAMS][CHAT_ENTITY_ID]': '',
  'data[PARAMS][CHAT_USER_COUNT]': '2',
  'data[PARAMS][MENTIONED_LIST][571]': '571',
  'data[PARAMS][PLATFORM_CONTEXT]': 'web',
  'data[PARAMS][MESSAGE_ORIGINAL]': '[USER=571]NewBot[/USER], оформи список задач',
  'data[PARAMS][TO_USER_ID]': '571',
  'data[PARAMS][DIALOG_ID]': 'chat1157',
  'data[PARAMS][MESSAGE_ID]': '84537',
  'data[PARAMS][CHAT_TYPE]': 'C',
  'data[PARAMS][LANGUAGE]': 'ru',
  ts: '1772097308',
};

/** The group-chat ONIMBOTMESSAGEDELETE of chat-bots/outdated/messages/events/on-imbot-message-delete.md. */
const groupDelete: Record<string, string> = {
  event: 'ONIMBOTMESSAGEDELETE',
  event_handler_id: '457',
  ...bot571,
  'data[PARAMS][ID]': '84537',
  'data[PARAMS][CHAT_ID]': '1157',
  'data[PARAMS][AUTHOR_ID]': '27',
  'data[PARAMS][MESSAGE]': 'Сообщение от 26.02.2026 11:14:02 было удалено',
  'data[PARAMS][MESSAGE_TYPE]': 'C',
  'data[PARAMS][CHAT_AUTHOR_ID]': '27',
  'data[PARAMS][CHAT_ENTITY_TYPE]': 'THREAD',
  'data[PARAMS][CHAT_ENTITY_ID]': '',
  'data[PARAMS][DIALOG_ID]': 'chat1157',
  'data[PARAMS][MESSAGE_ID]': '84537',
  'data[PARAMS][CHAT_TYPE]': 'C',
  'data[PARAMS][LANGUAGE]': 'ru',
  ts: '1772097333',
};

/** The private-chat ONIMBOTMESSAGEDELETE of the same page, with its author. */
const privateDelete: Record<string, string> = {
  ...groupDelete,
  'data[PARAMS][ID]': '84525',
  'data[PARAMS][CHAT_ID]': '1453',
  'data[PARAMS][MESSAGE]': 'Сообщение от 26.02.2026 09:27:30 было удалено',
  'data[PARAMS][MESSAGE_TYPE]': 'P',
  'data[PARAMS][CHAT_AUTHOR_ID]': '571',
  'data[PARAMS][FROM_USER_ID]': '27',
  'data[PARAMS][TO_USER_ID]': '571',
  'data[PARAMS][DIALOG_ID]': '27',
  'data[PARAMS][MESSAGE_ID]': '84525',
  'data[PARAMS][CHAT_TYPE]': 'P',
  ...userForm,
  ...userFlagsForm,
  'data[USER][IS_NETWORK]': 'Y',
  ts: '1772092554',
};

describe('typeBotEvent: legacy ONIMBOTMESSAGEUPDATE and ONIMBOTMESSAGEDELETE', () => {
  it("types the docs' private-chat edit: DIALOG_ID the author's id as a string, the integers numbers, USER as ONIMBOTMESSAGEADD's", () => {
    // They came as type 'other', every field a string: a v1 bot read DIALOG_ID and MESSAGE_ID unchecked.
    const event = typedForm<V1MessageUpdateEvent>(privateUpdate);
    expect(event.type).toBe('ONIMBOTMESSAGEUPDATE');
    expect(event.event_handler_id).toBe(455);
    expect(event.ts).toBe(1772092536);
    expect(event.data.PARAMS).toEqual({
      ID: 84531,
      CHAT_ID: 1453,
      AUTHOR_ID: 27,
      MESSAGE: 'Как добавить наблюдателя в задачу?',
      MESSAGE_TYPE: 'P',
      CHAT_AUTHOR_ID: 571,
      CHAT_ENTITY_ID: '',
      CHAT_ENTITY_DATA_1: '',
      FROM_USER_ID: 27,
      TO_USER_ID: 571,
      CHAT_USER_COUNT: 2,
      PLATFORM_CONTEXT: 'web',
      DIALOG_ID: '27',
      MESSAGE_ID: 84531,
      CHAT_TYPE: 'P',
      LANGUAGE: 'ru',
    });
    expect(event.data.USER).toEqual({ ...USER, ...USER_FLAGS });
    expect(event.data.BOT['571']).toEqual(BOT_571);
  });

  it("types the docs' group-chat edit without FROM_USER_ID or USER, MENTIONED_LIST's ids numbers", () => {
    const event = typedForm<V1MessageUpdateEvent>(groupUpdate);
    expect(event.type).toBe('ONIMBOTMESSAGEUPDATE');
    expect(event.data).not.toHaveProperty('USER');
    expect(event.data.PARAMS).toMatchObject({
      ID: 84537,
      CHAT_ID: 1157,
      CHAT_USER_COUNT: 2,
      MENTIONED_LIST: { 571: 571 },
      CHAT_ENTITY_TYPE: 'THREAD',
      MESSAGE_ORIGINAL: '[USER=571]NewBot[/USER], оформи список задач',
      DIALOG_ID: 'chat1157',
      MESSAGE_ID: 84537,
    });
    expect(event.data.PARAMS.MENTIONED_LIST).toEqual({ 571: 571 });
  });

  it("types the docs' deletions: the group one without an author, the private one with USER's flags booleans", () => {
    const group = typedForm<V1MessageDeleteEvent>(groupDelete);
    expect(group.type).toBe('ONIMBOTMESSAGEDELETE');
    expect(group.event_handler_id).toBe(457);
    expect(group.data.PARAMS).toEqual({
      ID: 84537,
      CHAT_ID: 1157,
      AUTHOR_ID: 27,
      MESSAGE: 'Сообщение от 26.02.2026 11:14:02 было удалено',
      MESSAGE_TYPE: 'C',
      CHAT_AUTHOR_ID: 27,
      CHAT_ENTITY_TYPE: 'THREAD',
      CHAT_ENTITY_ID: '',
      DIALOG_ID: 'chat1157',
      MESSAGE_ID: 84537,
      CHAT_TYPE: 'C',
      LANGUAGE: 'ru',
    });
    expect(group.data.BOT['571']?.BOT_ID).toBe(571);
    const own = typedForm<V1MessageDeleteEvent>(privateDelete);
    expect(own.type).toBe('ONIMBOTMESSAGEDELETE');
    expect(own.data.PARAMS).toMatchObject({ DIALOG_ID: '27', FROM_USER_ID: 27, TO_USER_ID: 571, MESSAGE_ID: 84525 });
    expect(own.data.USER).toEqual({ ...USER, ...USER_FLAGS, IS_NETWORK: true });
  });

  it('checks DIALOG_ID by the legacy rule and requires it and MESSAGE_ID, as ONIMBOTMESSAGEADD does', () => {
    for (const body of [privateUpdate, groupUpdate, groupDelete, privateDelete]) {
      for (const bad of ['room1', 'chat', 'chat0', '0', '-3', 'sg12', ' ']) {
        expect(() => typedForm({ ...body, 'data[PARAMS][DIALOG_ID]': bad }), `${body.event} ${bad}`).toThrow(
          expect.objectContaining({
            kind: 'input',
            code: 'INVALID_EVENT_BODY',
            message: expect.stringMatching(/^data\.PARAMS\.DIALOG_ID: /),
          }),
        );
      }
      for (const field of ['DIALOG_ID', 'MESSAGE_ID']) {
        const { [`data[PARAMS][${field}]`]: _, ...without } = body;
        expect(() => typedForm(without), `${body.event} ${field}`).toThrow(
          expect.objectContaining({ code: 'INVALID_EVENT_BODY', message: `data.PARAMS.${field}: is required` }),
        );
      }
      expect(() => typedForm({ ...body, 'data[PARAMS][CHAT_ID]': 'x' }), body.event).toThrow(
        expect.objectContaining({ code: 'INVALID_EVENT_BODY', message: 'data.PARAMS.CHAT_ID: must be a number' }),
      );
    }
  });

  it('reads the fields ONIMBOTMESSAGEADD has as it does: SYSTEM a boolean, TO_CHAT_ID, RID … numbers, BOT as qs leaves it', () => {
    // The platform (and the emulator) sends an edit and a deletion with the message event's PARAMS (TO_CHAT_ID,
    // SYSTEM, RID, …), though neither page lists them all.
    const event = typedForm<V1MessageUpdateEvent>({
      ...groupUpdate,
      'data[PARAMS][SYSTEM]': 'N',
      'data[PARAMS][TO_CHAT_ID]': '1157',
      'data[PARAMS][FROM_USER_ID]': '27',
      'data[PARAMS][RID]': '27',
      'data[PARAMS][CHAT_PREV_MESSAGE_ID]': '80961',
      'data[PARAMS][FAKE_RELATION]': '0',
    });
    expect(event.data.PARAMS).toMatchObject({
      SYSTEM: false,
      TO_CHAT_ID: 1157,
      FROM_USER_ID: 27,
      RID: 27,
      CHAT_PREV_MESSAGE_ID: 80961,
      FAKE_RELATION: 0,
    });
  });

  it('reads BOT as qs leaves it, and a JSON body, as ONIMBOTMESSAGEADD does', () => {
    const listed = typeBotEvent(
      'onimbotmessagedelete',
      { BOT: [{ BOT_ID: '7' }], PARAMS: { DIALOG_ID: 27, MESSAGE_ID: '5' }, USER: { ID: '3', IS_BOT: 'Y' } },
      {},
    ) as V1MessageDeleteEvent;
    expect(listed.type).toBe('ONIMBOTMESSAGEDELETE');
    expect(listed.data).toEqual({
      BOT: { 7: { BOT_ID: 7 } },
      PARAMS: { DIALOG_ID: '27', MESSAGE_ID: 5 },
      USER: { ID: 3, IS_BOT: true },
    });
  });

  it("keeps an edit's MESSAGE a string, empty when not sent, as ONIMBOTMESSAGEADD's", () => {
    const { 'data[PARAMS][MESSAGE]': _, ...without } = groupUpdate;
    expect(typedForm<V1MessageUpdateEvent>(without).data.PARAMS.MESSAGE).toBe('');
  });
});

describe('typeBotEvent: legacy ONIMBOTDELETE', () => {
  /** chat-bots/outdated/events/on-imbot-delete.md: the bot's id and code, nothing else. */
  const deleted: Record<string, string> = {
    event: 'ONIMBOTDELETE',
    event_handler_id: '439',
    'data[BOT_ID]': '567',
    'data[BOT_CODE]': 'BOT',
    ts: '1772090363',
  };

  it("types the docs' body: BOT_ID a number, BOT_CODE as sent, event_handler_id and ts numbers", () => {
    // It came as type 'other' with BOT_ID "567": a v1 bot compared it with its numeric id and missed its own removal.
    const event = typedForm<V1BotDeleteEvent>(deleted);
    expect(event).toEqual({
      type: 'ONIMBOTDELETE',
      event_handler_id: 439,
      ts: 1772090363,
      data: { BOT_ID: 567, BOT_CODE: 'BOT' },
    });
  });

  it('requires BOT_ID, a number', () => {
    const { 'data[BOT_ID]': _, ...without } = deleted;
    expect(() => typedForm(without)).toThrow(
      expect.objectContaining({ code: 'INVALID_EVENT_BODY', message: 'data.BOT_ID: is required' }),
    );
    expect(() => typedForm({ ...deleted, 'data[BOT_ID]': 'BOT' })).toThrow(
      expect.objectContaining({ code: 'INVALID_EVENT_BODY', message: 'data.BOT_ID: must be a number' }),
    );
  });
});

/**
 * The ONIMCOMMANDADD bodies of b24-rest-docs (chat-bots/outdated/commands/events/on-im-command-add.md): the commands
 * called, keyed by command id under `COMMAND`, each with its bot's auth keys (tokens left out), then `PARAMS`, `USER`.
 */
const commandBase: Record<string, string> = {
  event: 'ONIMCOMMANDADD',
  event_handler_id: '1045',
  'data[COMMAND][103][expires]': '1772113086',
  'data[COMMAND][103][expires_in]': '3600',
  'data[COMMAND][103][user_id]': '1291',
  'data[COMMAND][103][AUTH][expires]': '1772113086',
  'data[COMMAND][103][AUTH][user_id]': '1291',
  'data[COMMAND][103][BOT_ID]': '1291',
  'data[COMMAND][103][BOT_CODE]': 'BOT_GM',
  'data[COMMAND][103][COMMAND]': 'echo',
  'data[COMMAND][103][COMMAND_ID]': '103',
  'data[COMMAND][103][COMMAND_PARAMS]': 'test',
  'data[COMMAND][103][COMMAND_CONTEXT]': 'TEXTAREA',
  'data[COMMAND][103][MESSAGE_ID]': '33899',
  'data[USER][ID]': '1269',
  'data[USER][NAME]': 'Иван Смирнов',
  'data[USER][FIRST_NAME]': 'Иван',
  'data[USER][LAST_NAME]': 'Смирнов',
  'data[USER][GENDER]': 'M',
  ts: '1772109486',
};
const privateCommand: Record<string, string> = {
  ...commandBase,
  'data[PARAMS][MESSAGE]': '/echo test',
  'data[PARAMS][TEMPLATE_ID]': 'acae8d22-4536-4f47-a276-2e3bdf866475',
  'data[PARAMS][MESSAGE_TYPE]': 'P',
  'data[PARAMS][FROM_USER_ID]': '1269',
  'data[PARAMS][DIALOG_ID]': '1269',
  'data[PARAMS][TO_CHAT_ID]': '2737',
  'data[PARAMS][AUTHOR_ID]': '1269',
  'data[PARAMS][SYSTEM]': 'N',
  'data[PARAMS][TO_USER_ID]': '1291',
  'data[PARAMS][SKIP_USER_CHECK]': 'Y',
  'data[PARAMS][PUSH]': 'Y',
  'data[PARAMS][FAKE_RELATION]': '0',
  'data[PARAMS][MESSAGE_ID]': '33899',
  'data[PARAMS][CHAT_TYPE]': 'P',
  'data[PARAMS][LANGUAGE]': 'ru',
};
const groupCommand: Record<string, string> = {
  ...commandBase,
  'data[PARAMS][MESSAGE]': '/echo test',
  'data[PARAMS][MESSAGE_TYPE]': 'C',
  'data[PARAMS][FROM_USER_ID]': '1269',
  'data[PARAMS][DIALOG_ID]': 'chat2725',
  'data[PARAMS][TO_CHAT_ID]': '2725',
  'data[PARAMS][AUTHOR_ID]': '1269',
  'data[PARAMS][SYSTEM]': 'N',
  'data[PARAMS][CHAT_ID]': '2725',
  'data[PARAMS][CHAT_PARENT_ID]': '0',
  'data[PARAMS][CHAT_PARENT_MID]': '0',
  'data[PARAMS][CHAT_TITLE]': 'Новое имя для чата',
  'data[PARAMS][CHAT_AUTHOR_ID]': '1291',
  'data[PARAMS][CHAT_TYPE]': 'C',
  'data[PARAMS][CHAT_AVATAR]': '33079',
  'data[PARAMS][CHAT_ENTITY_ID]': '13',
  'data[PARAMS][CHAT_EXTRANET]': 'N',
  'data[PARAMS][CHAT_PREV_MESSAGE_ID]': '0',
  'data[PARAMS][RID]': '1269',
  'data[PARAMS][IS_MANAGER]': 'N',
  'data[PARAMS][BOT_IN_CHAT][1291]': '1291',
  'data[PARAMS][FAKE_RELATION]': '0',
  'data[PARAMS][MESSAGE_ID]': '33871',
  'data[PARAMS][LANGUAGE]': 'ru',
};

describe('typeBotEvent: legacy ONIMCOMMANDADD', () => {
  it("types the docs' private-chat command: each command keyed by its id, its ids numbers, PARAMS as ONIMBOTMESSAGEADD's", () => {
    // It came as type 'other', every field a string: COMMAND_ID "103", DIALOG_ID unchecked.
    const event = typedForm<V1CommandAddEvent>(privateCommand);
    expect(event.type).toBe('ONIMCOMMANDADD');
    expect(event.event_handler_id).toBe(1045);
    expect(event.ts).toBe(1772109486);
    expect(event.data.COMMAND).toEqual({
      103: {
        expires: 1772113086,
        expires_in: 3600,
        user_id: 1291,
        AUTH: { expires: 1772113086, user_id: 1291 },
        BOT_ID: 1291,
        BOT_CODE: 'BOT_GM',
        COMMAND: 'echo',
        COMMAND_ID: 103,
        COMMAND_PARAMS: 'test',
        COMMAND_CONTEXT: 'TEXTAREA',
        MESSAGE_ID: 33899,
      },
    });
    expect(event.data.PARAMS).toEqual({
      MESSAGE: '/echo test',
      TEMPLATE_ID: 'acae8d22-4536-4f47-a276-2e3bdf866475',
      MESSAGE_TYPE: 'P',
      FROM_USER_ID: 1269,
      DIALOG_ID: '1269',
      TO_CHAT_ID: 2737,
      AUTHOR_ID: 1269,
      SYSTEM: false,
      TO_USER_ID: 1291,
      SKIP_USER_CHECK: 'Y',
      PUSH: 'Y',
      FAKE_RELATION: 0,
      MESSAGE_ID: 33899,
      CHAT_TYPE: 'P',
      LANGUAGE: 'ru',
    });
    expect(event.data.USER).toEqual({
      ID: 1269,
      NAME: 'Иван Смирнов',
      FIRST_NAME: 'Иван',
      LAST_NAME: 'Смирнов',
      GENDER: 'M',
    });
  });

  it("types the docs' group-chat command: the CHAT_* integers and BOT_IN_CHAT's ids numbers, the strings as sent", () => {
    const { PARAMS } = typedForm<V1CommandAddEvent>(groupCommand).data;
    expect(PARAMS).toMatchObject({
      DIALOG_ID: 'chat2725',
      CHAT_ID: 2725,
      CHAT_PARENT_ID: 0,
      CHAT_PARENT_MID: 0,
      CHAT_AUTHOR_ID: 1291,
      CHAT_PREV_MESSAGE_ID: 0,
      RID: 1269,
      CHAT_AVATAR: '33079',
      CHAT_ENTITY_ID: '13',
      CHAT_EXTRANET: 'N',
      IS_MANAGER: 'N',
      CHAT_TITLE: 'Новое имя для чата',
    });
    expect(PARAMS.BOT_IN_CHAT).toEqual({ 1291: 1291 });
    const listed = typeBotEvent(
      'ONIMCOMMANDADD',
      {
        COMMAND: [{ COMMAND_ID: '9', BOT_ID: '7', COMMAND: 'echo' }],
        PARAMS: { MESSAGE_ID: '1', DIALOG_ID: 'chat3', FROM_USER_ID: '3', BOT_IN_CHAT: ['7'] },
      },
      {},
    ) as V1CommandAddEvent;
    // qs makes command ids up to 20 an array, compacted: each entry is keyed by its COMMAND_ID again.
    expect(listed.data.COMMAND).toEqual({ 9: { COMMAND_ID: 9, BOT_ID: 7, COMMAND: 'echo' } });
    expect(listed.data.PARAMS.BOT_IN_CHAT).toEqual({ 7: 7 });
  });

  it('checks DIALOG_ID by the legacy rule, and requires it, MESSAGE_ID, FROM_USER_ID and each COMMAND_ID', () => {
    for (const bad of ['room1', 'chat0', '0', 'sg12', ' ']) {
      expect(() => typedForm({ ...groupCommand, 'data[PARAMS][DIALOG_ID]': bad }), bad).toThrow(
        expect.objectContaining({
          kind: 'input',
          code: 'INVALID_EVENT_BODY',
          message: expect.stringMatching(/^data\.PARAMS\.DIALOG_ID: /),
        }),
      );
    }
    for (const field of ['DIALOG_ID', 'MESSAGE_ID', 'FROM_USER_ID']) {
      const { [`data[PARAMS][${field}]`]: _, ...without } = privateCommand;
      expect(() => typedForm(without), field).toThrow(
        expect.objectContaining({ code: 'INVALID_EVENT_BODY', message: `data.PARAMS.${field}: is required` }),
      );
    }
    const { 'data[COMMAND][103][COMMAND_ID]': _, ...noId } = privateCommand;
    expect(() => typedForm(noId)).toThrow(
      expect.objectContaining({ code: 'INVALID_EVENT_BODY', message: 'data.COMMAND.103.COMMAND_ID: is required' }),
    );
    expect(() => typedForm({ ...privateCommand, 'data[COMMAND][103][BOT_ID]': 'x' })).toThrow(
      expect.objectContaining({ code: 'INVALID_EVENT_BODY', message: 'data.COMMAND.103.BOT_ID: must be a number' }),
    );
    expect(() => typedForm({ ...groupCommand, 'data[PARAMS][BOT_IN_CHAT][1291]': 'x' })).toThrow(
      expect.objectContaining({
        code: 'INVALID_EVENT_BODY',
        message: 'data.PARAMS.BOT_IN_CHAT.1291: must be a number',
      }),
    );
  });
});

describe('typeBotEvent: the legacy CHAT_ENTITY_* fields', () => {
  const entity = {
    CHAT_ENTITY_TYPE: 'SONET_GROUP',
    CHAT_ENTITY_ID: 12,
    CHAT_ENTITY_DATA_1: 3,
    CHAT_ENTITY_DATA_2: '',
    CHAT_ENTITY_DATA_3: 'x',
  };
  const asStrings = {
    CHAT_ENTITY_TYPE: 'SONET_GROUP',
    CHAT_ENTITY_ID: '12',
    CHAT_ENTITY_DATA_1: '3',
    CHAT_ENTITY_DATA_2: '',
    CHAT_ENTITY_DATA_3: 'x',
  };
  const params = { DIALOG_ID: 'chat1157', MESSAGE_ID: '84537', FROM_USER_ID: '27' };

  it('reads them as the strings every message page lists them as, in a JSON body too, for add, edit, deletion and command', () => {
    // The join alone read them as strings; the message event, its edit and its deletion left a JSON number a number,
    // though the edit and deletion types said string.
    for (const type of ['ONIMBOTMESSAGEADD', 'ONIMBOTMESSAGEUPDATE', 'ONIMBOTMESSAGEDELETE']) {
      const event = typeBotEvent(type, { BOT: { 571: { BOT_ID: '571' } }, PARAMS: { ...params, ...entity } }, {});
      expect((event as V1MessageAddEvent).data.PARAMS, type).toMatchObject(asStrings);
    }
    const command = typeBotEvent(
      'ONIMCOMMANDADD',
      { COMMAND: { 103: { COMMAND_ID: '103' } }, PARAMS: { ...params, ...entity } },
      {},
    ) as V1CommandAddEvent;
    expect(command.data.PARAMS).toMatchObject(asStrings);
  });

  it("reads the two a join's page lists as strings, and leaves the ones it does not list as sent", () => {
    const join = typeBotEvent('ONIMBOTJOINCHAT', { BOT: {}, PARAMS: { DIALOG_ID: 'chat1157', ...entity } }, {});
    expect((join as V1JoinChatEvent).data.PARAMS).toMatchObject({
      CHAT_ENTITY_TYPE: 'SONET_GROUP',
      CHAT_ENTITY_ID: '12',
      CHAT_ENTITY_DATA_1: 3,
    });
  });
});

/**
 * The kinds a schema gives its fields ('string', 'boolean', 'number') are promises the types make: a bracket in a form
 * body (`data[PARAMS][MESSAGE][x]=1`) or a JSON value of another type must refuse the event, as a bad number does,
 * not reach the bot as an object where its type says `string`.
 */
describe("typeBotEvent: a field of another type than the schema's kind", () => {
  const v2Message = {
    bot: { id: 456 },
    message: { id: 789, chatId: 5, authorId: 1, text: 'Hello bot!', date: '2025-01-15T10:30:00+03:00', uuid: '' },
    chat: { id: 5, dialogId: 'chat5', type: 'chat', name: 'Support Chat', entityType: '' },
    user: { id: 1, name: 'John Smith', bot: false },
  };
  function v2With(part: 'bot' | 'message' | 'chat' | 'user', field: string, value: unknown) {
    return typeBotEvent('ONIMBOTV2MESSAGEADD', { ...v2Message, [part]: { ...v2Message[part], [field]: value } }, {});
  }
  const notScalar: readonly unknown[] = [{ x: '1' }, ['1'], {}, []];

  it('refuses an object or array where a string field is, from a form body, naming its path', () => {
    // The bot's own `event.data.PARAMS.MESSAGE.trim()` threw a TypeError: the typed event held an object there.
    for (const field of ['data[PARAMS][MESSAGE][x]', 'data[PARAMS][MESSAGE][]', 'data[PARAMS][MESSAGE][0]']) {
      const { 'data[PARAMS][MESSAGE]': _, ...rest } = groupMention;
      expect(refusal({ ...rest, [field]: '1' }), field).toMatchObject({
        kind: 'input',
        code: 'INVALID_EVENT_BODY',
        message: 'data.PARAMS.MESSAGE: must be a string',
      });
    }
    const { 'data[USER][NAME]': _, ...rest } = groupMention;
    expect(refusal({ ...rest, 'data[USER][NAME][first]': 'x' })).toMatchObject({
      code: 'INVALID_EVENT_BODY',
      message: 'data.USER.NAME: must be a string',
    });
  });

  it('refuses an object, array or boolean where a string field is, from a JSON body, naming its path', () => {
    for (const [part, field] of [
      ['message', 'text'],
      ['chat', 'name'],
      ['chat', 'type'],
      ['user', 'name'],
      ['bot', 'code'],
    ] as const) {
      for (const value of [...notScalar, true, false]) {
        expect(() => v2With(part, field, value), `${part}.${field} ${JSON.stringify(value)}`).toThrow(
          expect.objectContaining({
            kind: 'input',
            code: 'INVALID_EVENT_BODY',
            message: `data.${part}.${field}: must be a string`,
          }),
        );
      }
    }
    const command = { COMMAND: { 103: { COMMAND_ID: 103, COMMAND_PARAMS: ['a'] } }, PARAMS: groupParams() };
    expect(() => typeBotEvent('ONIMCOMMANDADD', command, {})).toThrow(
      expect.objectContaining({ message: 'data.COMMAND.103.COMMAND_PARAMS: must be a string' }),
    );
  });

  it('reads null in a string field as not sent, as in a number field: an optional one left out, a defaulted one its default', () => {
    // A portal that sends null where the docs say string (a chat's name, a user's last name) is not refused for it.
    // Left out, as a form body leaves out what it does not send (it was a key holding undefined).
    expect((v2With('chat', 'name', null) as MessageAddEvent).data.chat).not.toHaveProperty('name');
    expect((v2With('user', 'name', null) as MessageAddEvent).data.user).not.toHaveProperty('name');
    expect((v2With('chat', 'owner', null) as MessageAddEvent).data.chat).not.toHaveProperty('owner');
    expect((v2With('chat', 'owner', '') as MessageAddEvent).data.chat).not.toHaveProperty('owner');
    const legacy = typeBotEvent('ONIMBOTMESSAGEADD', { BOT: {}, PARAMS: { ...groupParams(), MESSAGE: null } }, {});
    expect((legacy as V1MessageAddEvent).data.PARAMS.MESSAGE).toBe('');
  });

  it('lets null through where the v2 docs or the platform send it: message.date (string|null), message.uuid', () => {
    // entities.md types Message.date `string|null`; the portal (and the emulator) send a message without one a null uuid.
    const event = v2With('message', 'date', null) as MessageAddEvent;
    expect(event.data.message.date).toBeNull();
    expect((v2With('message', 'uuid', null) as MessageAddEvent).data.message.uuid).toBeNull();
    expect(() => v2With('message', 'date', { at: 1 })).toThrow(
      expect.objectContaining({ message: 'data.message.date: must be a string' }),
    );
    expect(() => v2With('message', 'uuid', true)).toThrow(
      expect.objectContaining({ message: 'data.message.uuid: must be a string' }),
    );
    // A number is still read as its string, as before.
    expect((v2With('chat', 'name', 5) as MessageAddEvent).data.chat.name).toBe('5');
  });

  it('refuses an object, array or unknown spelling where a boolean field is, naming its path', () => {
    for (const value of [...notScalar, 'maybe', '2']) {
      expect(() => v2With('message', 'isSystem', value), JSON.stringify(value)).toThrow(
        expect.objectContaining({
          kind: 'input',
          code: 'INVALID_EVENT_BODY',
          message: 'data.message.isSystem: must be a boolean',
        }),
      );
    }
    expect(refusal({ ...groupMention, 'data[USER][IS_BOT][x]': 'Y' })).toMatchObject({
      code: 'INVALID_EVENT_BODY',
      message: 'data.USER.IS_BOT: must be a boolean',
    });
    const { 'data[PARAMS][SYSTEM]': _, ...rest } = groupMention;
    expect(refusal({ ...rest, 'data[PARAMS][SYSTEM][]': 'N' })).toMatchObject({
      message: 'data.PARAMS.SYSTEM: must be a boolean',
    });
    // The spellings still read, null (a form's '') as false.
    for (const [value, read] of [
      [true, true],
      ['Y', true],
      ['1', true],
      [0, false],
      ['N', false],
      [null, false],
    ]) {
      expect((v2With('message', 'isSystem', value) as MessageAddEvent).data.message.isSystem).toBe(read);
    }
  });

  it('keeps message.forward as sent, an object or null (entities.md: object|null), not read as a boolean', () => {
    // Read as a boolean, a null forward came out `false`; refusing non-booleans would have refused a forwarded message.
    const forward = { id: 12, userId: 3, chatId: 5, date: '2025-01-15T10:30:00+03:00' };
    expect((v2With('message', 'forward', forward) as MessageAddEvent).data.message.forward).toEqual(forward);
    expect((v2With('message', 'forward', null) as MessageAddEvent).data.message.forward).toBeNull();
  });

  it('refuses an object, array or boolean where a number field is, as it did', () => {
    for (const value of [...notScalar, true]) {
      expect(() => v2With('chat', 'owner', value), JSON.stringify(value)).toThrow(
        expect.objectContaining({ code: 'INVALID_EVENT_BODY', message: 'data.chat.owner: must be a number' }),
      );
    }
  });
});

/** The group-chat message's PARAMS as a JSON body carries them. */
function groupParams(): Record<string, unknown> {
  return { DIALOG_ID: 'chat1157', MESSAGE_ID: 84351, FROM_USER_ID: 27, MESSAGE: 'hi' };
}
