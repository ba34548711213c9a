import querystring from 'node:querystring';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { B24Error } from '@b24-typing/core';
import type { JoinChatEvent, MessageAddEvent, V1JoinChatEvent, V1MessageAddEvent } from './BotEvent';
import { parseBotEvent } from './parseBotEvent';
import { parsePhpQuery } from './parsePhpQuery';

const TOKEN = 'app-token-7f3a9c21';

/** A body the way the portal builds it: PHP `http_build_query`, every scalar a string (reference §4.4). */
function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

const messageAdd = {
  event: 'ONIMBOTV2MESSAGEADD',
  'data[bot][id]': '17',
  'data[bot][code]': 'helper',
  'data[bot][auth][application_token]': 'bot-level-token',
  'data[bot][auth][expires_in]': '3600',
  'data[message][id]': '901',
  'data[message][chatId]': '44',
  'data[message][authorId]': '3',
  'data[message][text]': 'Hi & welcome = 100% [ok]',
  'data[message][isSystem]': '0',
  'data[message][viewedByOthers]': '1',
  'data[chat][id]': '44',
  'data[chat][dialogId]': '3',
  'data[chat][type]': 'private',
  'data[user][id]': '3',
  'data[user][name]': 'Анна',
  'data[user][bot]': '0',
  'data[language]': 'en',
  ts: '1763700000',
  'auth[application_token]': TOKEN,
  'auth[domain]': 'portal.example',
};

describe('parseBotEvent', () => {
  it('parses a form-encoded ONIMBOTV2MESSAGEADD and restores numbers and booleans', () => {
    const event = parseBotEvent(form(messageAdd), { applicationToken: TOKEN }) as MessageAddEvent;
    expect(event.type).toBe('ONIMBOTV2MESSAGEADD');
    expect(event.ts).toBe(1763700000);
    expect(event.data.bot).toMatchObject({ id: 17, code: 'helper', auth: { expires_in: 3600 } });
    expect(event.data.message).toMatchObject({
      id: 901,
      chatId: 44,
      authorId: 3,
      text: 'Hi & welcome = 100% [ok]',
      isSystem: false,
      viewedByOthers: true,
    });
    // dialogId looks numeric but is a dialog id: it stays a string.
    expect(event.data.chat.dialogId).toBe('3');
    expect(event.data.user).toMatchObject({ id: 3, name: 'Анна', bot: false });
    expect(event.data.language).toBe('en');
    expect(event.auth?.domain).toBe('portal.example');
  });

  it('accepts the same event as JSON, as bytes, and as an object a framework parsed', () => {
    const json = JSON.stringify({
      event: 'ONIMBOTV2MESSAGEADD',
      data: {
        bot: { id: 17 },
        message: { id: 901, chatId: 44, authorId: 3, text: 'x', isSystem: false },
        chat: { id: 44, dialogId: 'chat44' },
        user: { id: 3 },
      },
      auth: { application_token: TOKEN },
    });
    for (const body of [json, new TextEncoder().encode(json), JSON.parse(json) as Record<string, unknown>]) {
      const event = parseBotEvent(body, { applicationToken: TOKEN }) as MessageAddEvent;
      expect(event.data.message.id).toBe(901);
      expect(event.data.chat.dialogId).toBe('chat44');
    }
  });

  it('reads an ArrayBuffer and other binary views as bytes, as fetch-style frameworks hand the body over', () => {
    // `await req.arrayBuffer()` (Hono, Next route handlers, Bun) is an ArrayBuffer: it was read as a parsed object
    // with no fields and refused as a wrong application token (kind 'auth'), sending the user after the wrong fault.
    const bytes = new TextEncoder().encode(form(messageAdd));
    const padded = new Uint8Array(bytes.byteLength + 8);
    padded.set(bytes, 4);
    const bodies: [string, ArrayBuffer | ArrayBufferView][] = [
      ['ArrayBuffer', bytes.slice().buffer],
      ['DataView over part of a buffer', new DataView(padded.buffer, 4, bytes.byteLength)],
      ['Int8Array', new Int8Array(bytes.slice().buffer)],
    ];
    for (const [name, body] of bodies) {
      const event = parseBotEvent(body, { applicationToken: TOKEN }) as MessageAddEvent;
      expect(event.type, name).toBe('ONIMBOTV2MESSAGEADD');
      expect(event.data.message.text, name).toBe('Hi & welcome = 100% [ok]');
    }
    expect(() =>
      parseBotEvent(new ArrayBuffer(5 * 4 + 1), { applicationToken: TOKEN, limits: { maxLength: 5 } }),
    ).toThrow(expect.objectContaining({ kind: 'input', message: expect.stringMatching(/longer than 5/) }));
  });

  it('refuses what holds a body instead of the body (a Promise, a Request, a stream, a Blob) as input, not as a wrong token', () => {
    // `parseBotEvent(req.text(), …)` without await, or `req.body` of a fetch Request (a ReadableStream), was read as a
    // parsed object with no fields and refused as a wrong application token (kind 'auth'): the user would chase tokens.
    const text = form(messageAdd);
    const request = new Request('http://bot.local/', { method: 'POST', body: text });
    const holders: [string, unknown][] = [
      ['Promise', Promise.resolve(text)],
      ['Request', request],
      ['ReadableStream', new Request('http://bot.local/', { method: 'POST', body: text }).body],
      ['Blob', new Blob([text])],
      ['node Readable', Readable.from([text])],
    ];
    for (const [name, body] of holders) {
      expect(() => parseBotEvent(body as string, { applicationToken: TOKEN }), name).toThrow(
        expect.objectContaining({
          kind: 'input',
          code: 'INVALID_EVENT_BODY',
          message: expect.stringMatching(/^body: .*read .*first/),
        }),
      );
    }
  });

  it('reads the FormData of `await req.formData()` and a URLSearchParams as the form they hold, not as a wrong token', async () => {
    // Fetch-style handlers (Next route handlers, Hono, Bun) parse a form body with `await req.formData()`: its fields
    // are no own properties, so it was read as an object without fields and refused as a wrong token (kind 'auth').
    const text = form(messageAdd);
    const formData = await new Request('http://bot.local/', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: text,
    }).formData();
    for (const [name, body] of [
      ['FormData', formData],
      ['URLSearchParams', new URLSearchParams(text)],
    ] as const) {
      const event = parseBotEvent(body, { applicationToken: TOKEN }) as MessageAddEvent;
      expect(event.type, name).toBe('ONIMBOTV2MESSAGEADD');
      expect(event.data.message, name).toMatchObject({ id: 901, text: 'Hi & welcome = 100% [ok]' });
      expect(event.data.chat.dialogId, name).toBe('3');
    }
    const wrong = new URLSearchParams({ ...messageAdd, 'auth[application_token]': 'wrong' });
    expect(() => parseBotEvent(wrong, { applicationToken: TOKEN })).toThrow(
      expect.objectContaining({ code: 'WRONG_APPLICATION_TOKEN', kind: 'auth' }),
    );
    // A file field is no part of an event: a malformed body, not a wrong token.
    const upload = new FormData();
    for (const [key, value] of new URLSearchParams(text)) upload.append(key, value);
    upload.append('file', new Blob(['x']), 'x.txt');
    expect(() => parseBotEvent(upload, { applicationToken: TOKEN })).toThrow(
      expect.objectContaining({ code: 'INVALID_EVENT_BODY', kind: 'input' }),
    );
  });

  it('reads a form a framework parsed without nesting it (bracket keys left flat, as querystring.parse leaves them)', () => {
    // Express's `urlencoded({ extended: false })` and Fastify's formbody parse with node:querystring: `auth[application_token]`
    // stays one key, and a repeated key (`a[]=1&a[]=2`) becomes an array.
    const flat = { ...querystring.parse(form(messageAdd)) };
    const event = parseBotEvent(flat, { applicationToken: TOKEN }) as MessageAddEvent;
    expect(event.type).toBe('ONIMBOTV2MESSAGEADD');
    expect(event.data.message).toMatchObject({ id: 901, text: 'Hi & welcome = 100% [ok]' });
    expect(event.data.chat.dialogId).toBe('3');
    const listed = parseBotEvent({ ...flat, 'data[message][params][LIKE][]': ['3', '5'] }, { applicationToken: TOKEN });
    expect((listed as MessageAddEvent).data.message).toMatchObject({ params: { LIKE: ['3', '5'] } });
    expect(() => parseBotEvent({ ...flat, 'auth[application_token]': 'wrong' }, { applicationToken: TOKEN })).toThrow(
      expect.objectContaining({ code: 'WRONG_APPLICATION_TOKEN' }),
    );
    expect(() => parseBotEvent({ ...flat, 'data[__proto__][x]': '1' }, { applicationToken: TOKEN })).toThrow(
      expect.objectContaining({ kind: 'input' }),
    );
  });

  it('types join, update and delete events', () => {
    const auth = { 'auth[application_token]': TOKEN };
    const join = parseBotEvent(
      form({
        event: 'ONIMBOTV2JOINCHAT',
        'data[bot][id]': '17',
        'data[chat][id]': '5',
        'data[chat][dialogId]': 'chat5',
        'data[user][id]': '1',
        ...auth,
      }),
      { applicationToken: TOKEN },
    );
    expect(join).toMatchObject({
      type: 'ONIMBOTV2JOINCHAT',
      data: { bot: { id: 17 }, chat: { id: 5, dialogId: 'chat5' }, user: { id: 1 } },
    });
    const update = parseBotEvent(form({ ...messageAdd, event: 'onimbotv2messageupdate' }), { applicationToken: TOKEN });
    expect(update.type).toBe('ONIMBOTV2MESSAGEUPDATE');
    const deleted = parseBotEvent(form({ event: 'ONIMBOTV2DELETE', 'data[bot][id]': '17', ...auth }), {
      applicationToken: TOKEN,
    });
    expect(deleted).toMatchObject({ type: 'ONIMBOTV2DELETE', data: { bot: { id: 17 } } });
  });

  it('parses the legacy v1 ONIMBOTMESSAGEADD shape', () => {
    const event = parseBotEvent(
      form({
        event: 'ONIMBOTMESSAGEADD',
        'data[BOT][39][BOT_ID]': '39',
        'data[BOT][39][BOT_CODE]': 'legacy',
        'data[PARAMS][MESSAGE]': 'hello',
        'data[PARAMS][MESSAGE_ID]': '1001',
        'data[PARAMS][DIALOG_ID]': 'chat1157',
        'data[PARAMS][FROM_USER_ID]': '27',
        'data[PARAMS][TO_CHAT_ID]': '1157',
        'data[USER][ID]': '27',
        'auth[application_token]': TOKEN,
      }),
      { applicationToken: TOKEN },
    ) as V1MessageAddEvent;
    expect(event.type).toBe('ONIMBOTMESSAGEADD');
    expect(event.data.BOT['39']).toMatchObject({ BOT_ID: 39, BOT_CODE: 'legacy' });
    expect(event.data.PARAMS).toMatchObject({
      MESSAGE: 'hello',
      MESSAGE_ID: 1001,
      DIALOG_ID: 'chat1157',
      FROM_USER_ID: 27,
      TO_CHAT_ID: 1157,
    });
    expect(event.data.USER).toMatchObject({ ID: 27 });
  });

  it('types the legacy v1 ONIMBOTJOINCHAT a v1 bot greets on, its token checked as for any event', () => {
    // It came as type 'other', PARAMS all strings: the greeting had to check DIALOG_ID and convert the ids itself.
    const body = form({
      event: 'ONIMBOTJOINCHAT',
      event_handler_id: '459',
      'data[BOT][571][BOT_ID]': '571',
      'data[BOT][571][BOT_CODE]': 'BOT',
      'data[PARAMS][CHAT_TYPE]': 'C',
      'data[PARAMS][BOT_ID]': '571',
      'data[PARAMS][USER_ID]': '27',
      'data[PARAMS][CHAT_ID]': '1157',
      'data[PARAMS][ACCESS_HISTORY]': '1',
      'data[PARAMS][DIALOG_ID]': 'chat1157',
      'data[USER][ID]': '27',
      ts: '1772094525',
      'auth[application_token]': TOKEN,
    });
    const event = parseBotEvent(body, { applicationToken: TOKEN }) as V1JoinChatEvent;
    expect(event.type).toBe('ONIMBOTJOINCHAT');
    expect(event.event_handler_id).toBe(459);
    expect(event.data.BOT['571']).toEqual({ BOT_ID: 571, BOT_CODE: 'BOT' });
    expect(event.data.PARAMS).toEqual({
      CHAT_TYPE: 'C',
      BOT_ID: 571,
      USER_ID: 27,
      CHAT_ID: 1157,
      ACCESS_HISTORY: 1,
      DIALOG_ID: 'chat1157',
    });
    expect(event.data.USER).toEqual({ ID: 27 });
    expect(() => parseBotEvent(body, { applicationToken: 'another-token' })).toThrow(
      expect.objectContaining({ kind: 'auth', code: 'WRONG_APPLICATION_TOKEN' }),
    );
    expect(() => parseBotEvent(body.replace('chat1157', 'sg12'), { applicationToken: TOKEN })).toThrow(
      expect.objectContaining({ kind: 'input', code: 'INVALID_EVENT_BODY' }),
    );
  });

  it("keeps a v1 event's event_handler_id and refuses a DIALOG_ID no legacy call takes, as a malformed body", () => {
    // The docs' body (on-imbot-message-add.md): event_handler_id "403" was dropped, and DIALOG_ID "room1" parsed, to
    // be refused only at the bot's first status call.
    const v1 = {
      event: 'ONIMBOTMESSAGEADD',
      event_handler_id: '403',
      'data[BOT][567][BOT_ID]': '567',
      'data[PARAMS][MESSAGE]': 'Привет',
      'data[PARAMS][FROM_USER_ID]': '27',
      'data[PARAMS][DIALOG_ID]': '27',
      'data[PARAMS][MESSAGE_ID]': '84331',
      ts: '1771928985',
      'auth[application_token]': TOKEN,
    };
    const event = parseBotEvent(form(v1), { applicationToken: TOKEN }) as V1MessageAddEvent;
    expect(event).toMatchObject({ type: 'ONIMBOTMESSAGEADD', event_handler_id: 403, ts: 1771928985 });
    expect(event.data.PARAMS.DIALOG_ID).toBe('27');
    for (const bad of ['room1', 'sg12']) {
      expect(
        () => parseBotEvent(form({ ...v1, 'data[PARAMS][DIALOG_ID]': bad }), { applicationToken: TOKEN }),
        bad,
      ).toThrow(
        expect.objectContaining({
          kind: 'input',
          code: 'INVALID_EVENT_BODY',
          message: expect.stringMatching(/^data\.PARAMS\.DIALOG_ID: must be a dialog id/),
        }),
      );
    }
  });

  it('reads a v1 event Express parsed with qs, which turns bot ids up to 20 under data[BOT] into an array', () => {
    // What `qs.parse` (Express's `urlencoded({ extended: true })`) returns for data[BOT][10][…]&data[BOT][12][…]
    // (qs 6.17: an index up to its arrayLimit of 20 makes an array, compacted): the ids survive only as BOT_ID.
    const parsed = {
      event: 'ONIMBOTMESSAGEADD',
      data: {
        BOT: [
          { BOT_ID: '10', BOT_CODE: 'agent' },
          { BOT_ID: '12', BOT_CODE: 'helper' },
        ],
        PARAMS: { MESSAGE: 'hello', MESSAGE_ID: '1001', DIALOG_ID: 'chat1', FROM_USER_ID: '2' },
      },
      auth: { application_token: TOKEN },
    };
    const event = parseBotEvent(parsed, { applicationToken: TOKEN }) as V1MessageAddEvent;
    expect(event.data.BOT).toEqual({
      '10': { BOT_ID: 10, BOT_CODE: 'agent' },
      '12': { BOT_ID: 12, BOT_CODE: 'helper' },
    });
    expect(event.data.PARAMS).toMatchObject({ MESSAGE_ID: 1001, DIALOG_ID: 'chat1' });
    // An entry whose id does not read is still a malformed body.
    const bad = { ...parsed, data: { ...parsed.data, BOT: [{ BOT_CODE: 'agent' }] } };
    expect(() => parseBotEvent(bad, { applicationToken: TOKEN })).toThrow(
      expect.objectContaining({ code: 'INVALID_EVENT_BODY', kind: 'input' }),
    );
  });

  it('delivers other event types untyped instead of failing', () => {
    const event = parseBotEvent(
      form({ event: 'ONIMBOTV2REACTIONCHANGE', 'data[reaction]': 'like', 'auth[application_token]': TOKEN }),
      { applicationToken: TOKEN },
    );
    expect(event).toMatchObject({ type: 'other', eventType: 'ONIMBOTV2REACTIONCHANGE', data: { reaction: 'like' } });
  });

  it('rejects a wrong or missing top-level token with an auth error that does not echo either token', () => {
    const wrong = { ...messageAdd, 'auth[application_token]': 'not-the-token' };
    const { 'auth[application_token]': _, ...missing } = messageAdd;
    // The bot-level token proves nothing: only the top-level one counts.
    const botLevel = { ...messageAdd, 'data[bot][auth][application_token]': TOKEN, 'auth[application_token]': 'x' };
    for (const fields of [wrong, missing, botLevel]) {
      let caught: unknown;
      try {
        parseBotEvent(form(fields), { applicationToken: TOKEN });
      } catch (error) {
        caught = error;
      }
      expect(caught).toMatchObject({ name: 'B24Error', code: 'WRONG_APPLICATION_TOKEN', kind: 'auth' });
      expect(String(caught)).not.toContain(TOKEN);
      expect(JSON.stringify(caught)).not.toContain('not-the-token');
    }
  });

  it('rejects malformed bodies with typed input errors', () => {
    const cases: unknown[] = [
      '{"event": ',
      '[1,2]',
      form({ event: 'ONIMBOTV2MESSAGEADD', 'auth[application_token]': TOKEN }),
      form({ ...messageAdd, 'data[message][id]': 'abc' }),
      form({ ...messageAdd, 'data[chat][dialogId]': '' }),
      `__proto__[x]=1&auth[application_token]=${TOKEN}`,
      JSON.stringify({ auth: { application_token: TOKEN }, event: 'X', data: JSON.parse('{"__proto__": {"x": 1}}') }),
      42,
    ];
    for (const body of cases) {
      expect(() => parseBotEvent(body as string, { applicationToken: TOKEN }), String(body)).toThrow(
        expect.objectContaining({ kind: 'input' }),
      );
    }
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('checks dialogId as botStatus will, so a malformed one is a typed input error naming the field', () => {
    for (const bad of ['chat', 'chatabc', 'user5', '0', 'chat0', 'sg-1', '3.5', ' ', 'chat 7']) {
      let caught: unknown;
      try {
        parseBotEvent(form({ ...messageAdd, 'data[chat][dialogId]': bad }), { applicationToken: TOKEN });
      } catch (error) {
        caught = error;
      }
      expect(caught, bad).toBeInstanceOf(B24Error);
      expect(caught, bad).toMatchObject({ kind: 'input', code: 'INVALID_EVENT_BODY' });
      expect((caught as B24Error).message, bad).toMatch(/^data\.chat\.dialogId: must be a dialog id/);
    }
    const join = { ...messageAdd, event: 'ONIMBOTV2JOINCHAT', 'data[chat][dialogId]': 'chat-4' };
    expect(() => parseBotEvent(form(join), { applicationToken: TOKEN })).toThrow(/data\.chat\.dialogId/);
    const json = JSON.stringify({
      event: 'ONIMBOTV2MESSAGEADD',
      data: {
        bot: { id: 17 },
        message: { id: 1, chatId: 44, authorId: 3 },
        chat: { id: 44, dialogId: {} },
        user: { id: 3 },
      },
      auth: { application_token: TOKEN },
    });
    expect(() => parseBotEvent(json, { applicationToken: TOKEN })).toThrow(
      expect.objectContaining({ kind: 'input', code: 'INVALID_EVENT_BODY' }),
    );
  });

  it('accepts every dialog id form imbot.v2 uses, a JSON number included, as the string botStatus takes', () => {
    for (const [sent, typed] of [
      ['chat1157', 'chat1157'],
      ['sg12', 'sg12'],
      ['27', '27'],
    ] as const) {
      const event = parseBotEvent(form({ ...messageAdd, 'data[chat][dialogId]': sent }), {
        applicationToken: TOKEN,
      }) as MessageAddEvent;
      expect(event.data.chat.dialogId).toBe(typed);
    }
    const json = JSON.stringify({
      event: 'ONIMBOTV2JOINCHAT',
      data: { bot: { id: 17 }, chat: { id: 44, dialogId: 27 } },
      auth: { application_token: TOKEN },
    });
    expect((parseBotEvent(json, { applicationToken: TOKEN }) as JoinChatEvent).data.chat.dialogId).toBe('27');
  });

  it('enforces size and depth limits', () => {
    const deep = `${'a'}${'[b]'.repeat(30)}=1&auth[application_token]=${TOKEN}&event=X`;
    expect(() => parseBotEvent(deep, { applicationToken: TOKEN })).toThrow(/deeper than 20/);
    expect(() => parseBotEvent(form(messageAdd), { applicationToken: TOKEN, limits: { maxLength: 100 } })).toThrow(
      /longer than 100/,
    );
  });

  it('refuses a body over 1 MiB and JSON nested deeper than 20 by default, as the README says', () => {
    const body = form(messageAdd);
    const padded = `${body}&pad=${'x'.repeat(1024 * 1024 - body.length - 5)}`;
    expect(padded).toHaveLength(1024 * 1024);
    expect(parseBotEvent(padded, { applicationToken: TOKEN })).toMatchObject({ type: 'ONIMBOTV2MESSAGEADD' });
    expect(() => parseBotEvent(`${padded}x`, { applicationToken: TOKEN })).toThrow(
      expect.objectContaining({ kind: 'input', message: expect.stringMatching(/longer than 1048576/) }),
    );
    const nested = (levels: number) => JSON.parse(`${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`);
    const json = (levels: number) =>
      JSON.stringify({ event: 'X', auth: { application_token: TOKEN }, data: nested(levels) });
    // The same bound for JSON as for a form body, where data[a]…[a]=1 is 20 levels deep with 19 brackets (a[b][c] is
    // 3): JSON took one level more than the same event sent as a form.
    const brackets = (levels: number) => `data${'[a]'.repeat(levels)}=1&event=X&auth[application_token]=${TOKEN}`;
    for (const body of [brackets(19), json(19)]) {
      expect(parseBotEvent(body, { applicationToken: TOKEN }), body.slice(0, 30)).toMatchObject({ type: 'other' });
    }
    for (const body of [brackets(20), json(20)]) {
      expect(() => parseBotEvent(body, { applicationToken: TOKEN }), body.slice(0, 30)).toThrow(
        expect.objectContaining({ kind: 'input', message: expect.stringMatching(/deeper than 20/) }),
      );
    }
  });

  it('refuses limits that are not positive whole numbers instead of parsing without them', () => {
    // maxDepth NaN disabled the depth check, and a deeply nested JSON body then overflowed the stack (a RangeError).
    const deep = `{"event":"X","auth":{"application_token":"${TOKEN}"},"data":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    for (const limits of [{ maxDepth: Number.NaN }, { maxLength: -1 }, { maxPairs: 1.5 }, { maxLength: Infinity }]) {
      expect(() => parseBotEvent(deep, { applicationToken: TOKEN, limits }), JSON.stringify(limits)).toThrow(
        expect.objectContaining({ name: 'B24InputError', kind: 'input', field: `limits.${Object.keys(limits)[0]}` }),
      );
    }
    expect(() => parsePhpQuery('a=1', { maxDepth: Number.NaN })).toThrow(
      expect.objectContaining({ name: 'B24InputError', field: 'limits.maxDepth' }),
    );
  });

  it('requires an application token option', () => {
    expect(() => parseBotEvent(form(messageAdd), { applicationToken: '' })).toThrow(
      expect.objectContaining({ kind: 'input', field: 'applicationToken' }),
    );
  });
});
