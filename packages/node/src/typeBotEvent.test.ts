import { describe, expect, it } from 'vitest';
import { B24Error } from '@b24-typing/core';
import type { V1MessageAddEvent } from './BotEvent';
import { parsePhpQuery } from './parsePhpQuery';
import { typeBotEvent } from './typeBotEvent';

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
  'data[USER][ID]': '27',
  'data[USER][NAME]': 'Светлана Иванова',
  'data[USER][WORK_POSITION]': '',
  'data[USER][GENDER]': 'F',
  'data[USER][IS_BOT]': 'N',
  'data[USER][IS_CONNECTOR]': 'N',
  'data[USER][IS_NETWORK]': 'Y',
  'data[USER][IS_EXTRANET]': 'N',
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

/** `fields` read as `parseBotEvent` reads a form body, then typed. */
function typed(fields: Record<string, string>): V1MessageAddEvent {
  const raw = parsePhpQuery(new URLSearchParams(fields).toString());
  return typeBotEvent(String(raw.event), raw.data, {
    ts: raw.ts,
    eventHandlerId: raw.event_handler_id,
  }) as V1MessageAddEvent;
}

function refusal(fields: Record<string, string>): unknown {
  try {
    typed(fields);
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
    expect(typed(groupMention).data.USER).toEqual({
      ID: 27,
      NAME: 'Светлана Иванова',
      WORK_POSITION: '',
      GENDER: 'F',
      IS_BOT: false,
      IS_CONNECTOR: false,
      IS_NETWORK: true,
      IS_EXTRANET: false,
    });
    const connector = typed({ ...groupMention, 'data[USER][IS_CONNECTOR]': 'Y', 'data[USER][IS_NETWORK]': 'N' });
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
