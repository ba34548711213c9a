import { afterEach, describe, expect, it } from 'vitest';
import { post } from '../test/http';
import { closeReceivers, startReceiver } from '../test/startReceiver';
import { pngOf, TINY_PNG } from '../test/pngs';
import { startEmulator } from './startEmulator';
import type { Emulator } from './types';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
  await closeReceivers();
});

/** The documented v1 registration of a webhook integration (imbot-register.md's cURL example). */
function registration(handler: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    CODE: 'newbot',
    TYPE: 'B',
    EVENT_HANDLER: handler,
    OPENLINE: 'N',
    PROPERTIES: { NAME: 'NewBot', WORK_POSITION: 'Support bot' },
    CLIENT_ID: 'legacy-client',
    ...extra,
  };
}

describe('imbot.register (v1) and v1 events', () => {
  it('a v1 bot registered over REST gets ONIMBOTMESSAGEADD when a user writes to it, and answers with sendTyping + imbot.message.add', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const { url, requests } = await startReceiver();
    const hook = emulator.webhookUrl();
    const reg = await post(`${hook}imbot.register`, registration(url));
    expect(reg.status).toBe(200);
    const botId = reg.body.result as number;
    expect(typeof botId).toBe('number');

    const sent = await post(`${emulator.webhookUrl(2)}im.message.add`, {
      DIALOG_ID: String(botId),
      MESSAGE: 'Hi & hello',
    });
    expect(sent.status).toBe(200);
    const messageId = sent.body.result as number;
    await emulator.settled();

    expect(requests).toHaveLength(1);
    const { url: path, contentType, form } = requests[0]!;
    // A webhook registration's handler is bound with its CLIENT_ID in the query (the module source's botRegister).
    expect(path).toBe('/bot/events?CLIENT_ID=legacy-client');
    expect(contentType).toBe('application/x-www-form-urlencoded');
    expect(form.get('event')).toBe('ONIMBOTMESSAGEADD');
    expect(form.get('event_handler_id')).toMatch(/^\d+$/);
    const bot = `data[BOT][${botId}]`;
    expect(form.get(`${bot}[BOT_ID]`)).toBe(String(botId));
    expect(form.get(`${bot}[BOT_CODE]`)).toBe('newbot');
    const appToken = emulator.webhookApplicationToken(1);
    expect(form.get(`${bot}[application_token]`)).toBe(appToken);
    expect(form.get(`${bot}[AUTH][application_token]`)).toBe(appToken);
    expect(form.get(`${bot}[AUTH][client_endpoint]`)).toBe(`${emulator.url}/rest/`);
    expect(form.get('data[PARAMS][MESSAGE]')).toBe('Hi & hello');
    expect(form.get('data[PARAMS][MESSAGE_ID]')).toBe(String(messageId));
    expect(form.get('data[PARAMS][DIALOG_ID]')).toBe('2');
    expect(form.get('data[PARAMS][FROM_USER_ID]')).toBe('2');
    expect(form.get('data[PARAMS][AUTHOR_ID]')).toBe('2');
    expect(form.get('data[PARAMS][TO_USER_ID]')).toBe(String(botId));
    expect(form.get('data[PARAMS][MESSAGE_TYPE]')).toBe('P');
    expect(form.get('data[PARAMS][CHAT_TYPE]')).toBe('P');
    expect(form.get('data[PARAMS][SYSTEM]')).toBe('N');
    expect(form.get('data[PARAMS][LANGUAGE]')).toBe('en');
    // A private dialog has no CHAT_* fields (on-imbot-message-add.md) but CHAT_USER_COUNT, 2: the page's sample and
    // Bot::addAdditionalParams have it, its table says it is absent.
    expect(form.get('data[PARAMS][CHAT_ID]')).toBeNull();
    expect(form.get('data[PARAMS][CHAT_USER_COUNT]')).toBe('2');
    const chatId = Number(form.get('data[PARAMS][TO_CHAT_ID]'));
    expect(chatId).toBeGreaterThan(0);
    expect(form.get('data[USER][ID]')).toBe('2');
    expect(form.get('data[USER][NAME]')).toBe('Bob Builder');
    expect(form.get('data[USER][FIRST_NAME]')).toBe('Bob');
    expect(form.get('data[USER][IS_BOT]')).toBe('N');
    expect(form.get('ts')).toMatch(/^\d+$/);
    expect(form.get('auth[application_token]')).toBe(appToken);
    // v1 format only: no v2 keys.
    expect([...form.keys()].some((key) => key.startsWith('data[bot]') || key.startsWith('data[message]'))).toBe(false);
    expect(emulator.deliveries()[0]).toMatchObject({ botId, event: 'ONIMBOTMESSAGEADD', status: 200, error: null });

    // The framework answers in the dialog the event named, with the CLIENT_ID it registered with.
    const dialogId = form.get('data[PARAMS][DIALOG_ID]')!;
    const typing = await post(`${hook}imbot.chat.sendTyping`, {
      BOT_ID: botId,
      DIALOG_ID: dialogId,
      CLIENT_ID: 'legacy-client',
    });
    expect(typing.body.result).toBe(true);
    expect(emulator.indicators()).toEqual([expect.objectContaining({ chatId, senderId: botId, dialogId: '2' })]);
    const reply = await post(`${hook}imbot.message.add`, {
      BOT_ID: botId,
      DIALOG_ID: dialogId,
      MESSAGE: 'echo: Hi',
      CLIENT_ID: 'legacy-client',
    });
    expect(reply.status).toBe(200);
    expect(emulator.indicators()).toEqual([]);
    const hide = emulator.timeline().find((e) => e.kind === 'hide' && e.senderId === botId);
    expect(hide).toMatchObject({ chatId, cause: 'message' });
    expect(emulator.messages(chatId).map((m) => [m.authorId, m.text])).toEqual([
      [2, 'Hi & hello'],
      [botId, 'echo: Hi'],
    ]);
    // The bot's own message is heard by no bot.
    await emulator.settled();
    expect(requests).toHaveLength(1);
  });

  it('in a group chat a B bot hears only a message that mentions it, with the mention cut from MESSAGE', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const { url, requests } = await startReceiver();
    const reg = await post(`${emulator.webhookUrl()}imbot.register`, registration(url));
    const botId = reg.body.result as number;
    emulator.seed({ members: [[1, botId]] });

    emulator.postMessage({ from: 3, dialogId: 'chat1', text: 'nothing for bots here' });
    emulator.postMessage({
      from: 3,
      dialogId: 'chat1',
      text: `[USER=${botId}]NewBot[/USER], how do I set up the menu?`,
    });
    await emulator.settled();

    expect(requests).toHaveLength(1);
    const { form } = requests[0]!;
    expect(form.get('data[PARAMS][MESSAGE]')).toBe('how do I set up the menu?');
    expect(form.get('data[PARAMS][MESSAGE_ORIGINAL]')).toBe(`[USER=${botId}]NewBot[/USER], how do I set up the menu?`);
    expect(form.get('data[PARAMS][TO_USER_ID]')).toBe(String(botId));
    expect(form.get(`data[PARAMS][MENTIONED_LIST][${botId}]`)).toBe(String(botId));
    expect(form.get('data[PARAMS][DIALOG_ID]')).toBe('chat1');
    expect(form.get('data[PARAMS][TO_CHAT_ID]')).toBe('1');
    expect(form.get('data[PARAMS][CHAT_ID]')).toBe('1');
    expect(form.get('data[PARAMS][CHAT_TITLE]')).toBe('General');
    expect(form.get('data[PARAMS][MESSAGE_TYPE]')).toBe('C');
    expect(form.get('data[PARAMS][FROM_USER_ID]')).toBe('3');
  });

  it('over OAuth: no CLIENT_ID needed, the bot entry carries the app tokens and client_id, and no v2 event is queued', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const { url, requests } = await startReceiver();
    const auth = emulator.fixtures.oauth.accessToken;
    const { CLIENT_ID: _none, ...params } = registration(url, { CODE: 'oauthbot' });
    const reg = await post(`${emulator.url}/rest/imbot.register?auth=${auth}`, params);
    expect(reg.status).toBe(200);
    const botId = reg.body.result as number;
    emulator.postMessage({ from: 2, dialogId: String(botId), text: 'ping' });
    await emulator.settled();

    expect(requests).toHaveLength(1);
    const { url: path, form } = requests[0]!;
    expect(path).toBe('/bot/events');
    const bot = `data[BOT][${botId}]`;
    expect(form.get(`${bot}[client_id]`)).toBe(emulator.fixtures.app.clientId);
    expect(form.get(`${bot}[access_token]`)).toBeTruthy();
    expect(form.get(`${bot}[AUTH][access_token]`)).toBe(form.get(`${bot}[access_token]`));
    expect(form.get('auth[application_token]')).toBe(emulator.fixtures.app.applicationToken);
    const events = await post(`${emulator.url}/rest/imbot.v2.Event.get?auth=${auth}`, { botId });
    expect(events.body.result.events).toEqual([]);
  });

  it('refuses as documented: no client id, missing or bad handlers, no code, no name, a sixth bot', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const hook = emulator.webhookUrl();
    const register = (params: Record<string, unknown>) => post(`${hook}imbot.register`, params);
    const url = 'http://127.0.0.1:9/events';

    const { CLIENT_ID: _none, ...noClient } = registration(url);
    expect((await register(noClient)).body).toEqual({
      error: 'ACCESS_DENIED',
      error_description: 'Access denied! Client ID not specified',
    });
    expect((await register(noClient)).status).toBe(403);
    const bare = { CODE: 'x', PROPERTIES: { NAME: 'X' }, CLIENT_ID: 'c' };
    let reply = await register(bare);
    expect([reply.status, reply.body.error, reply.body.error_description]).toEqual([
      400,
      'EVENT_MESSAGE_ADD_ERROR',
      'Handler for "Message add" event isn\'t specified',
    ]);
    reply = await register({ ...bare, EVENT_MESSAGE_ADD: 'not a url' });
    expect([reply.body.error, reply.body.error_description]).toEqual(['EVENT_MESSAGE_ADD_ERROR', 'Wrong handler URL']);
    reply = await register({ ...bare, EVENT_MESSAGE_ADD: url });
    expect([reply.body.error, reply.body.error_description]).toEqual([
      'EVENT_WELCOME_MESSAGE_ERROR',
      'Handler for "Welcome message" event isn\'t specified',
    ]);
    reply = await register({ ...bare, EVENT_MESSAGE_ADD: url, EVENT_WELCOME_MESSAGE: url });
    expect(reply.body.error).toBe('EVENT_BOT_DELETE_ERROR');
    // EVENT_HANDLER stands for every handler: a bad one is the first handler's error, a good one wins over the rest.
    reply = await register({ ...bare, EVENT_HANDLER: 'mailto:bot@example.com' });
    expect([reply.body.error, reply.body.error_description]).toEqual(['EVENT_MESSAGE_ADD_ERROR', 'Wrong handler URL']);
    reply = await register({ ...bare, EVENT_HANDLER: url, EVENT_MESSAGE_UPDATE: 'ftp://x' });
    expect(typeof reply.body.result).toBe('number');
    reply = await register(registration(url, { CODE: '' }));
    expect([reply.status, reply.body.error, reply.body.error_description]).toEqual([
      400,
      'CODE_ERROR',
      "Bot code isn't specified",
    ]);
    reply = await register(registration(url, { PROPERTIES: { WORK_POSITION: 'nameless' } }));
    expect([reply.body.error, reply.body.error_description]).toEqual(['NAME_ERROR', "Bot name isn't specified"]);

    const ids: number[] = [];
    for (let i = 1; i <= 5; i++) ids.push((await register(registration(url, { CODE: `bot${i}` }))).body.result);
    expect(new Set(ids).size).toBe(5);
    // A sixth is refused (5 per app, imbot-register.md).
    reply = await register(registration(url, { CODE: 'bot6' }));
    expect([reply.status, reply.body.error]).toEqual([400, 'MAX_COUNT_ERROR']);
    // A CODE some bot already has gives that bot's id and creates nothing (Bot::register), for another app too.
    reply = await register(registration(url, { CODE: 'bot1', CLIENT_ID: 'other-client' }));
    expect(reply.body.result).toBe(ids[0]);
  });

  it('imbot.unregister sends ONIMBOTDELETE {BOT_ID, BOT_CODE} and the bot is gone', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const { requests, url } = await startReceiver();
    const hook = emulator.webhookUrl();
    const botId = (await post(`${hook}imbot.register`, registration(url))).body.result as number;

    let reply = await post(`${hook}imbot.unregister`, { CLIENT_ID: 'legacy-client' });
    expect([reply.status, reply.body.error]).toEqual([400, 'BOT_ID_ERROR']);
    reply = await post(`${hook}imbot.unregister`, { BOT_ID: botId, CLIENT_ID: 'someone-else' });
    expect([reply.status, reply.body.error]).toEqual([400, 'APP_ID_ERROR']);
    reply = await post(`${hook}imbot.unregister`, { BOT_ID: botId, CLIENT_ID: 'legacy-client' });
    expect(reply.body.result).toBe(true);
    await emulator.settled();

    expect(requests).toHaveLength(1);
    const { form } = requests[0]!;
    expect(form.get('event')).toBe('ONIMBOTDELETE');
    expect(form.get('data[BOT_ID]')).toBe(String(botId));
    expect(form.get('data[BOT_CODE]')).toBe('newbot');
    expect(form.get('auth[application_token]')).toBe(emulator.webhookApplicationToken(1));
    reply = await post(`${hook}imbot.message.add`, {
      BOT_ID: botId,
      DIALOG_ID: '2',
      MESSAGE: 'still here?',
      CLIENT_ID: 'legacy-client',
    });
    expect(reply.body.error).toBe('BOT_ID_ERROR');
  });

  it('imbot.update (v1) changes the CODE and rebinds the handlers it is given, with CLIENT_ID appended; true', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const first = await startReceiver();
    const second = await startReceiver();
    const hook = emulator.webhookUrl();
    const botId = (await post(`${hook}imbot.register`, registration(first.url))).body.result as number;

    const reply = await post(`${hook}imbot.update`, {
      BOT_ID: botId,
      CLIENT_ID: 'legacy-client',
      FIELDS: { CODE: 'renamed', EVENT_MESSAGE_ADD: second.url, PROPERTIES: { NAME: 'Renamed' } },
    });
    expect([reply.status, reply.body.result]).toEqual([200, true]);
    await post(`${emulator.webhookUrl(2)}im.message.add`, { DIALOG_ID: String(botId), MESSAGE: 'after the update' });
    await emulator.settled();

    expect(first.requests).toHaveLength(0);
    expect(second.requests).toHaveLength(1);
    const { url: path, form } = second.requests[0]!;
    expect(path).toBe('/bot/events?CLIENT_ID=legacy-client');
    expect(form.get('event')).toBe('ONIMBOTMESSAGEADD');
    expect(form.get(`data[BOT][${botId}][BOT_CODE]`)).toBe('renamed');
  });

  it('imbot.update (v1) refuses as documented: no client id, unknown or foreign bot, a bad handler, both names empty, nothing to update', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const hook = emulator.webhookUrl();
    const url = 'http://127.0.0.1:9/events';
    const botId = (await post(`${hook}imbot.register`, registration(url))).body.result as number;
    const update = (params: Record<string, unknown>) => post(`${hook}imbot.update`, params);
    const mine = { BOT_ID: botId, CLIENT_ID: 'legacy-client' };

    let reply = await update({ BOT_ID: botId, FIELDS: { CODE: 'x' } });
    expect([reply.status, reply.body.error]).toEqual([403, 'ACCESS_DENIED']);
    reply = await update({ CLIENT_ID: 'legacy-client', FIELDS: { CODE: 'x' } });
    expect([reply.status, reply.body.error]).toEqual([400, 'BOT_ID_ERROR']);
    reply = await update({ ...mine, BOT_ID: botId + 100, FIELDS: { CODE: 'x' } });
    expect([reply.status, reply.body.error]).toEqual([400, 'BOT_ID_ERROR']);
    reply = await update({ ...mine, CLIENT_ID: 'someone-else', FIELDS: { CODE: 'x' } });
    expect([reply.status, reply.body.error]).toEqual([400, 'APP_ID_ERROR']);
    reply = await update({ ...mine, FIELDS: { EVENT_WELCOME_MESSAGE: 'not a url' } });
    expect([reply.status, reply.body.error, reply.body.error_description]).toEqual([
      400,
      'EVENT_WELCOME_MESSAGE_ERROR',
      'Wrong handler URL',
    ]);
    reply = await update({ ...mine, FIELDS: { EVENT_HANDLER: 'mailto:bot@example.com' } });
    expect([reply.body.error, reply.body.error_description]).toEqual(['EVENT_MESSAGE_ADD_ERROR', 'Wrong handler URL']);
    reply = await update({ ...mine, FIELDS: { PROPERTIES: { NAME: '', LAST_NAME: '' } } });
    expect([reply.status, reply.body.error, reply.body.error_description]).toEqual([
      400,
      'NAME_ERROR',
      "Bot name isn't specified",
    ]);
    // One empty name alone is no error (the source asks for both set and both empty).
    reply = await update({ ...mine, FIELDS: { PROPERTIES: { NAME: '' } } });
    expect(reply.body.result).toBe(true);
    // A PERSONAL_PHOTO counts only when it saves as an image of at most 5000 x 5000 px: empty, `false`, base64 of
    // something else ("hello"), or a PNG 6000 px wide is no field to update.
    const photos = ['', 'false', 'aGVsbG8=', ['bot.png', 'aGVsbG8='], pngOf(6000, 10)].map((photo) => ({
      PROPERTIES: { PERSONAL_PHOTO: photo },
    }));
    for (const fields of [
      undefined,
      {},
      { CODE: '', EVENT_HANDLER: '' },
      { PROPERTIES: { NICKNAME: 'x' } },
      ...photos,
    ]) {
      reply = await update({ ...mine, ...(fields ? { FIELDS: fields } : {}) });
      expect([reply.status, reply.body.error, reply.body.error_description]).toEqual([
        400,
        'WRONG_REQUEST',
        "Update fields can't be empty",
      ]);
    }
  });

  it('imbot.update (v1) takes a PERSONAL_PHOTO that is an image, a base64 string or a [name, base64] pair, as the update', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const hook = emulator.webhookUrl();
    const botId = (await post(`${hook}imbot.register`, registration('http://127.0.0.1:9/events'))).body
      .result as number;
    const png = TINY_PNG;
    for (const photo of [png, ['bot.png', png]]) {
      const reply = await post(`${hook}imbot.update`, {
        BOT_ID: botId,
        CLIENT_ID: 'legacy-client',
        FIELDS: { PROPERTIES: { PERSONAL_PHOTO: photo } },
      });
      expect([reply.status, reply.body.result]).toEqual([200, true]);
    }
  });

  it('imbot.update (v1) drops a PERSONAL_PHOTO sent as a data URL: saveFile base64-decodes the whole string, header too', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const hook = emulator.webhookUrl();
    const botId = (await post(`${hook}imbot.register`, registration('http://127.0.0.1:9/events'))).body
      .result as number;
    const png = TINY_PNG;
    for (const photo of [`data:image/png;base64,${png}`, ['bot.png', `data:image/png;base64,${png}`]]) {
      const reply = await post(`${hook}imbot.update`, {
        BOT_ID: botId,
        CLIENT_ID: 'legacy-client',
        FIELDS: { PROPERTIES: { PERSONAL_PHOTO: photo } },
      });
      expect([reply.status, reply.body.error, reply.body.error_description]).toEqual([
        400,
        'WRONG_REQUEST',
        "Update fields can't be empty",
      ]);
    }
  });

  it('MESSAGE_UPDATE / MESSAGE_DELETE handlers are bound for a supervisor (S), ignored for a B bot', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const { requests, url } = await startReceiver();
    const hook = emulator.webhookUrl();
    const plain = (await post(`${hook}imbot.register`, registration(url))).body.result as number;
    const supervisor = (
      await post(`${hook}imbot.register`, registration(url, { CODE: 'watcher', TYPE: 'S', CLIENT_ID: 'watch' }))
    ).body.result as number;
    emulator.seed({
      members: [
        [1, plain],
        [1, supervisor],
      ],
    });
    const id = emulator.postMessage({ from: 2, dialogId: 'chat1', text: `[USER=${plain}]NewBot[/USER] hello` });
    emulator.editMessage(id, `[USER=${plain}]NewBot[/USER] hello again`);
    await emulator.settled();

    const seen = requests.map((r) => [r.form.get('event'), r.url.split('CLIENT_ID=')[1]]);
    expect(seen).toEqual([
      ['ONIMBOTMESSAGEADD', 'legacy-client'],
      ['ONIMBOTMESSAGEADD', 'watch'],
      ['ONIMBOTMESSAGEUPDATE', 'watch'],
    ]);
    const update = requests[2]!.form;
    expect(update.get('data[PARAMS][MESSAGE]')).toBe('hello again');
    expect(update.get('data[PARAMS][MESSAGE_ID]')).toBe(String(id));
  });

  it("in a private dialog ONIMBOTMESSAGEUPDATE / ONIMBOTMESSAGEDELETE carry their pages' PARAMS: ID, the message row, FROM_USER_ID, USER", async () => {
    const created = Date.UTC(2026, 1, 26, 9, 27, 30);
    let now = created;
    emulator = await startEmulator({ plan: 'off', now: () => now });
    const { requests, url } = await startReceiver();
    const user2 = emulator.webhookUrl(2);
    const botId = (
      await post(`${emulator.webhookUrl()}imbot.register`, registration(url, { CODE: 'watcher', TYPE: 'S' }))
    ).body.result as number;
    const id = (await post(`${user2}im.message.add`, { DIALOG_ID: String(botId), MESSAGE: 'How do I add a watcher?' }))
      .body.result as number;
    now += 60_000;
    expect(
      (await post(`${user2}im.message.update`, { MESSAGE_ID: id, MESSAGE: 'How do I add an observer?' })).status,
    ).toBe(200);
    expect((await post(`${user2}im.message.delete`, { MESSAGE_ID: id })).status).toBe(200);
    await emulator.settled();

    expect(requests.map((r) => r.form.get('event'))).toEqual([
      'ONIMBOTMESSAGEADD',
      'ONIMBOTMESSAGEUPDATE',
      'ONIMBOTMESSAGEDELETE',
    ]);
    const chatId = requests[0]!.form.get('data[PARAMS][TO_CHAT_ID]');
    const params = (form: URLSearchParams) =>
      Object.fromEntries([...form].filter(([key]) => key.startsWith('data[PARAMS]')).map(([k, v]) => [k.slice(12), v]));
    // on-imbot-message-update.md "Личный чат с ботом": the message row (CIMMessenger::Update) and the edit's
    // addAdditionalParams; no TO_CHAT_ID, SYSTEM (the add event's).
    expect(params(requests[1]!.form)).toEqual({
      '[ID]': String(id),
      '[CHAT_ID]': chatId,
      '[AUTHOR_ID]': '2',
      '[MESSAGE]': 'How do I add an observer?',
      '[MESSAGE_TYPE]': 'P',
      '[CHAT_AUTHOR_ID]': '2',
      '[CHAT_ENTITY_ID]': '',
      '[FROM_USER_ID]': '2',
      '[TO_USER_ID]': String(botId),
      '[CHAT_USER_COUNT]': '2',
      '[DIALOG_ID]': '2',
      '[MESSAGE_ID]': String(id),
      '[CHAT_TYPE]': 'P',
      '[LANGUAGE]': 'en',
    });
    expect(requests[1]!.form.get('data[USER][ID]')).toBe('2');
    // on-imbot-message-delete.md: MESSAGE is the deletion notice (IM_MESSAGE_DELETED_OUT, with the message's date),
    // not the text it had; no CHAT_USER_COUNT (Bot::onMessageDelete adds no additional params).
    expect(params(requests[2]!.form)).toEqual({
      '[ID]': String(id),
      '[CHAT_ID]': chatId,
      '[AUTHOR_ID]': '2',
      '[MESSAGE]': 'Message of 26.02.2026 09:27:30 has been deleted.',
      '[MESSAGE_TYPE]': 'P',
      '[CHAT_AUTHOR_ID]': '2',
      '[CHAT_ENTITY_ID]': '',
      '[FROM_USER_ID]': '2',
      '[TO_USER_ID]': String(botId),
      '[DIALOG_ID]': '2',
      '[MESSAGE_ID]': String(id),
      '[CHAT_TYPE]': 'P',
      '[LANGUAGE]': 'en',
    });
    expect(requests[2]!.form.get('data[USER][ID]')).toBe('2');
  });

  it("in a group chat ONIMBOTMESSAGEUPDATE / ONIMBOTMESSAGEDELETE have no FROM_USER_ID and no USER (their pages' samples)", async () => {
    emulator = await startEmulator({ plan: 'off' });
    const { requests, url } = await startReceiver();
    const botId = (
      await post(`${emulator.webhookUrl()}imbot.register`, registration(url, { CODE: 'watcher', TYPE: 'S' }))
    ).body.result as number;
    emulator.seed({ members: [[1, botId]] });
    const id = emulator.postMessage({
      from: 2,
      dialogId: 'chat1',
      text: `[USER=${botId}]NewBot[/USER], list the tasks`,
    });
    emulator.editMessage(id, `[USER=${botId}]NewBot[/USER], make a task list`);
    await post(`${emulator.webhookUrl(2)}im.message.delete`, { MESSAGE_ID: id });
    await emulator.settled();

    expect(requests.map((r) => r.form.get('event'))).toEqual([
      'ONIMBOTMESSAGEADD',
      'ONIMBOTMESSAGEUPDATE',
      'ONIMBOTMESSAGEDELETE',
    ]);
    const add = requests[0]!.form;
    const update = requests[1]!.form;
    expect(update.get('data[PARAMS][ID]')).toBe(String(id));
    expect(update.get('data[PARAMS][MESSAGE_ID]')).toBe(String(id));
    expect(update.get('data[PARAMS][CHAT_ID]')).toBe('1');
    expect(update.get('data[PARAMS][AUTHOR_ID]')).toBe('2');
    expect(update.get('data[PARAMS][MESSAGE]')).toBe('make a task list');
    expect(update.get('data[PARAMS][MESSAGE_ORIGINAL]')).toBe(`[USER=${botId}]NewBot[/USER], make a task list`);
    expect(update.get('data[PARAMS][TO_USER_ID]')).toBe(String(botId));
    expect(update.get(`data[PARAMS][MENTIONED_LIST][${botId}]`)).toBe(String(botId));
    expect(update.get('data[PARAMS][CHAT_USER_COUNT]')).toBe(add.get('data[PARAMS][CHAT_USER_COUNT]'));
    expect(update.get('data[PARAMS][CHAT_ENTITY_TYPE]')).toBe('');
    expect(update.get('data[PARAMS][DIALOG_ID]')).toBe('chat1');
    expect(update.get('data[PARAMS][CHAT_TYPE]')).toBe('C');
    const del = requests[2]!.form;
    expect(del.get('data[PARAMS][ID]')).toBe(String(id));
    expect(del.get('data[PARAMS][DIALOG_ID]')).toBe('chat1');
    expect(del.get('data[PARAMS][MESSAGE]')).toMatch(
      /^Message of \d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d has been deleted\.$/,
    );
    for (const form of [update, del]) {
      expect(form.get('data[PARAMS][FROM_USER_ID]')).toBeNull();
      expect(form.get('data[PARAMS][TO_CHAT_ID]')).toBeNull();
      expect(form.get('data[PARAMS][SYSTEM]')).toBeNull();
      expect(form.get('data[PARAMS][CHAT_TITLE]')).toBeNull();
      expect([...form.keys()].some((key) => key.startsWith('data[USER]'))).toBe(false);
    }
    for (const key of ['CHAT_USER_COUNT', 'MESSAGE_ORIGINAL', 'TO_USER_ID', `MENTIONED_LIST][${botId}`]) {
      expect(del.get(`data[PARAMS][${key}]`)).toBeNull();
    }
  });
});
