import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, type Reply } from '../test/http';
import { startEmulator } from './startEmulator';
import type { Emulator } from './types';

/**
 * KEYBOARD, MENU and replies over HTTP, as the docs describe them (bitrix-tools/b24-rest-docs
 * api-reference/chats/messages/im-message-add.md, im-message-update.md, keyboards.md, menu.md; chat-bots-v2
 * imbot.v2/messages/chat-message-send.md, message-keyboards.md) and the im module checks them.
 */
let emulator: Emulator;
let hook: string;

beforeAll(async () => {
  emulator = await startEmulator({ plan: 'off' });
  hook = emulator.webhookUrl(1);
});
afterAll(() => emulator.close());

const AGENT = { botId: 10, botToken: 'agent-bot-token' };
const LINK_BUTTON = { TEXT: 'Site', LINK: 'https://example.com' };

const refused = (reply: Reply, status: number, code: string, text: string): void => {
  expect([reply.status, reply.body.error, reply.body.error_description]).toEqual([status, code, text]);
};

/** The params `im.dialog.messages.get` lists for message `id` of chat 1. */
async function paramsOf(id: number): Promise<Record<string, unknown> | null> {
  const page = await post(`${hook}im.dialog.messages.get`, { DIALOG_ID: 'chat1', LIMIT: 50 });
  const found = (page.body.result.messages as { id: number; params: Record<string, unknown> | null }[]).find(
    (m) => m.id === id,
  );
  expect(found).toBeDefined();
  return found!.params;
}

describe('im.message.add: KEYBOARD and MENU', () => {
  const add = (params: Record<string, unknown>) => post(`${hook}im.message.add`, { DIALOG_ID: 'chat1', ...params });

  it('refuses a KEYBOARD that makes no keyboard with KEYBOARD_ERROR 400 and stores nothing', async () => {
    for (const keyboard of [[{ TEXT: 'no action' }], 'not json', [{ TEXT: ' ', LINK: '/a' }], { BUTTONS: 'x' }]) {
      const before = emulator.messages(1).length;
      refused(await add({ MESSAGE: 'hi', KEYBOARD: keyboard }), 400, 'KEYBOARD_ERROR', 'Incorrect keyboard params');
      expect(emulator.messages(1)).toHaveLength(before);
    }
  });

  it('refuses a MENU that makes no menu with MENU_ERROR 400 and stores nothing', async () => {
    const before = emulator.messages(1).length;
    refused(await add({ MESSAGE: 'hi', MENU: { ITEMS: [{ TEXT: 'x' }] } }), 400, 'MENU_ERROR', 'Incorrect menu params');
    refused(await add({ MESSAGE: 'hi', MENU: 'x' }), 400, 'MENU_ERROR', 'Incorrect menu params');
    expect(emulator.messages(1)).toHaveLength(before);
  });

  it('checks KEYBOARD after ATTACH and before MENU and REPLY_ID', async () => {
    const badAll = { MESSAGE: 'hi', KEYBOARD: [{ TEXT: 'x' }], MENU: 'x', REPLY_ID: 999_999 };
    expect((await add({ ...badAll, ATTACH: 'x' })).body.error).toBe('ATTACH_ERROR');
    expect((await add(badAll)).body.error).toBe('KEYBOARD_ERROR');
    expect((await add({ ...badAll, KEYBOARD: [LINK_BUTTON] })).body.error).toBe('MENU_ERROR');
    expect((await add({ ...badAll, KEYBOARD: '', MENU: '' })).body.error).toBe('REPLY_ACCESS_ERROR');
  });

  it('stores a valid KEYBOARD and MENU on the message, where im.dialog.messages.get shows them', async () => {
    const added = await add({
      MESSAGE: 'pick one',
      KEYBOARD: { BUTTONS: [LINK_BUTTON, { TYPE: 'NEWLINE' }, { TEXT: 'Echo', COMMAND: 'echo' }] },
      MENU: [{ TEXT: 'Copy', ACTION: 'COPY', ACTION_VALUE: 'text' }],
    });
    expect([added.status, added.body.error]).toEqual([200, undefined]);
    const params = await paramsOf(added.body.result);
    expect(params?.KEYBOARD).toEqual([
      expect.objectContaining({ TYPE: 'BUTTON', TEXT: 'Site', LINK: 'https://example.com' }),
      { TYPE: 'NEWLINE' },
      expect.objectContaining({ TYPE: 'BUTTON', TEXT: 'Echo', COMMAND: 'echo' }),
    ]);
    expect(params?.MENU).toEqual([expect.objectContaining({ TEXT: 'Copy', ACTION: 'COPY', ACTION_VALUE: 'text' })]);
    // A JSON string is read as the object it encodes; an empty() KEYBOARD is no keyboard.
    const json = await add({ MESSAGE: 'json', KEYBOARD: JSON.stringify([LINK_BUTTON]) });
    expect((await paramsOf(json.body.result))?.KEYBOARD).toHaveLength(1);
    const none = await add({ MESSAGE: 'plain', KEYBOARD: '', MENU: '' });
    expect(await paramsOf(none.body.result)).toBeNull();
  });

  it('reads a form-encoded KEYBOARD', async () => {
    const good = await post(
      `${hook}im.message.add`,
      'DIALOG_ID=chat1&MESSAGE=hi&KEYBOARD[0][TEXT]=a&KEYBOARD[0][LINK]=/x',
    );
    expect([good.status, good.body.error]).toEqual([200, undefined]);
    const bad = await post(`${hook}im.message.add`, 'DIALOG_ID=chat1&MESSAGE=hi&KEYBOARD[0][TEXT]=a');
    expect([bad.status, bad.body.error]).toEqual([400, 'KEYBOARD_ERROR']);
  });

  it('a soft delete drops the keyboard and menu', async () => {
    const added = await add({ MESSAGE: 'gone soon', KEYBOARD: [LINK_BUTTON], MENU: [LINK_BUTTON] });
    await post(`${hook}im.message.delete`, { ID: added.body.result });
    expect(await paramsOf(added.body.result)).toEqual({ IS_DELETED: 'Y' });
  });
});

describe('im.message.update: KEYBOARD and MENU', () => {
  const idOf = async (params: Record<string, unknown>): Promise<number> => {
    const reply = await post(`${hook}im.message.add`, { DIALOG_ID: 'chat1', MESSAGE: 'base', ...params });
    expect(reply.status).toBe(200);
    return reply.body.result as number;
  };
  const update = (params: Record<string, unknown>) => post(`${hook}im.message.update`, params);

  it('replaces the keyboard and menu, and "N" or an empty value clears them', async () => {
    const id = await idOf({ KEYBOARD: [LINK_BUTTON] });
    const changed = await update({ MESSAGE_ID: id, KEYBOARD: [{ TEXT: 'New', LINK: '/new' }], MENU: [LINK_BUTTON] });
    expect(changed.body.result).toBe(true);
    const params = await paramsOf(id);
    expect(params?.KEYBOARD).toEqual([expect.objectContaining({ TEXT: 'New', LINK: '/new' })]);
    expect(params?.MENU).toEqual([expect.objectContaining({ TEXT: 'Site' })]);
    expect((await update({ MESSAGE_ID: id, KEYBOARD: 'N', MENU: '' })).body.result).toBe(true);
    expect(await paramsOf(id)).toBeNull();
  });

  it('refuses a bad KEYBOARD with KEYBOARD_ERROR and a bad MENU with menu_ERROR (as the source and page spell it)', async () => {
    const id = await idOf({ KEYBOARD: [LINK_BUTTON] });
    refused(
      await update({ MESSAGE_ID: id, KEYBOARD: [{ TEXT: 'x' }] }),
      400,
      'KEYBOARD_ERROR',
      'Incorrect keyboard params',
    );
    refused(await update({ MESSAGE_ID: id, MENU: [{ TEXT: 'x' }] }), 400, 'menu_ERROR', 'Incorrect menu params');
    expect((await paramsOf(id))?.KEYBOARD).toEqual([expect.objectContaining({ TEXT: 'Site' })]);
    // Whose message it is comes first: CANT_EDIT_MESSAGE 403 before the keyboard is read.
    const refusedFirst = await update({ MESSAGE_ID: 999_999, KEYBOARD: [{ TEXT: 'x' }] });
    expect([refusedFirst.status, refusedFirst.body.error]).toEqual([403, 'CANT_EDIT_MESSAGE']);
  });
});

describe('imbot.v2.Chat.Message.send: fields.keyboard and fields.replyId', () => {
  const send = (fields: Record<string, unknown>, dialogId = 'chat1') =>
    post(`${hook}imbot.v2.Chat.Message.send`, { ...AGENT, dialogId, fields });

  it('refuses a keyboard that makes none with KEYBOARD_ERROR 400 and stores nothing; keeps a valid one', async () => {
    const before = emulator.messages(1).length;
    refused(
      await send({ message: 'hi', keyboard: [{ TEXT: 'x' }] }),
      400,
      'KEYBOARD_ERROR',
      'Incorrect keyboard params',
    );
    expect(emulator.messages(1)).toHaveLength(before);
    const sent = await send({
      message: 'pick',
      keyboard: { BOT_ID: 10, BUTTONS: [LINK_BUTTON, { TEXT: 'Put', ACTION: 'PUT', ACTION_VALUE: '/help' }] },
    });
    expect([sent.status, sent.body.error]).toEqual([200, undefined]);
    expect((await paramsOf(sent.body.result.id))?.KEYBOARD).toEqual([
      expect.objectContaining({ BOT_ID: 10, LINK: 'https://example.com' }),
      expect.objectContaining({ BOT_ID: 10, ACTION: 'PUT' }),
    ]);
  });

  it('posts a reply to a message of the same chat; ignores a replyId that is not > 0', async () => {
    const question = await post(`${hook}im.message.add`, { DIALOG_ID: 'chat1', MESSAGE: 'question' });
    for (const replyId of [question.body.result, String(question.body.result), 0, 'abc']) {
      const reply = await send({ message: 'answer', replyId });
      expect([reply.status, reply.body.error]).toEqual([200, undefined]);
    }
  });

  it('refuses a reply to a missing message, to a chat the bot is not in, and to another chat', async () => {
    const before = emulator.messages().length;
    refused(await send({ message: 'a', replyId: 999_999 }), 400, 'MESSAGE_NOT_FOUND', 'Message not found');
    const team = await post(`${hook}im.message.add`, { DIALOG_ID: 'chat2', MESSAGE: 'team only' });
    refused(await send({ message: 'a', replyId: team.body.result }), 400, 'ACCESS_DENIED', 'Access denied');
    const inPrivate = await send({ message: 'hello' }, '1');
    expect(inPrivate.status).toBe(200);
    refused(
      await send({ message: 'a', replyId: inPrivate.body.result.id }),
      400,
      'REPLY_ERROR',
      'You can only reply to a message within the same chat',
    );
    // Only the two setup messages were posted.
    expect(emulator.messages()).toHaveLength(before + 2);
  });

  it('checks the keyboard before the reply', async () => {
    const reply = await send({ message: 'a', keyboard: [{ TEXT: 'x' }], replyId: 999_999 });
    expect(reply.body.error).toBe('KEYBOARD_ERROR');
  });
});

describe('ATTACH over 30 KB (imbot-message-add.md: ATTACH_OVERSIZE)', () => {
  const big = [{ MESSAGE: 'a'.repeat(31 * 1024) }];

  it('im.message.add refuses it with ATTACH_OVERSIZE 400 and posts nothing', async () => {
    const before = emulator.messages(1).length;
    const reply = await post(`${hook}im.message.add`, { DIALOG_ID: 'chat1', MESSAGE: 'hi', ATTACH: big });
    refused(reply, 400, 'ATTACH_OVERSIZE', 'You have exceeded the maximum allowable size of attach');
    expect(emulator.messages(1)).toHaveLength(before);
  });

  it('imbot.v2.Chat.Message.send refuses it with ATTACH_ERROR and the oversize text', async () => {
    const reply = await post(`${hook}imbot.v2.Chat.Message.send`, {
      ...AGENT,
      dialogId: 'chat1',
      fields: { message: 'hi', attach: big },
    });
    refused(reply, 400, 'ATTACH_ERROR', 'You have exceeded the maximum allowable size of attach');
  });
});

/**
 * The legacy (v1, deprecated) bot's messages, as bitrix-tools/b24-rest-docs api-reference/chat-bots/outdated/messages/
 * imbot-message-add.md, imbot-message-update.md and imbot-message-delete.md document them and the module source
 * (im_rest.php botMessageAdd, botMessageUpdate, botMessageDelete) checks them. A clock that stands still: an indicator
 * ends here only when something hides it.
 */
describe('imbot.message.add / update / delete (legacy v1 bot)', () => {
  let legacy: Emulator;
  let url: string;
  const BOT = { BOT_ID: 10, CLIENT_ID: 'agent-bot-token' };

  beforeAll(async () => {
    legacy = await startEmulator({ plan: 'off', now: () => Date.UTC(2026, 0, 5, 12) });
    url = legacy.webhookUrl(1);
  });
  afterAll(() => legacy.close());

  const call = (method: string, params: Record<string, unknown>) => post(`${url}${method}`, params);
  const add = (params: Record<string, unknown>) => call('imbot.message.add', { ...BOT, DIALOG_ID: 'chat1', ...params });
  const history = async (dialogId = 'chat1') =>
    (await call('im.dialog.messages.get', { DIALOG_ID: dialogId, LIMIT: 50 })).body.result.messages as {
      id: number;
      author_id: number;
      text: string;
      params: Record<string, unknown> | null;
    }[];
  const botIndicators = () => legacy.indicators().filter((i) => i.senderId === 10);
  const lastHide = () =>
    legacy
      .timeline()
      .filter((x) => x.kind === 'hide')
      .at(-1);

  it("hides the bot's imbot.chat.sendTyping indicator with its reply, which the history lists like any message", async () => {
    await call('imbot.chat.sendTyping', { ...BOT, DIALOG_ID: 'chat1' });
    expect(botIndicators()).toEqual([expect.objectContaining({ chatId: 1 })]);
    const reply = await add({ MESSAGE: ' Hello[BR]there ' });
    expect([reply.status, typeof reply.body.result]).toEqual([200, 'number']);
    expect(botIndicators()).toEqual([]);
    expect(lastHide()).toMatchObject({ chatId: 1, senderId: 10, cause: 'message' });
    expect((await history()).find((m) => m.id === reply.body.result)).toMatchObject({
      author_id: 10,
      text: 'Hello\nthere',
    });
    expect(legacy.messages(1).at(-1)).toMatchObject({
      messageId: reply.body.result,
      authorId: 10,
      text: 'Hello\nthere',
    });
  });

  it('writes to a user as the bot in their private dialog, creating it', async () => {
    await call('imbot.chat.sendTyping', { ...BOT, DIALOG_ID: '1' });
    expect(botIndicators()).toHaveLength(1);
    const reply = await add({ DIALOG_ID: '1', MESSAGE: 'hi user' });
    expect(reply.status).toBe(200);
    expect(botIndicators()).toEqual([]);
    // User 1 reads the dialog with the bot under the bot's id.
    expect((await history('10')).map((m) => [m.id, m.author_id, m.text])).toEqual([[reply.body.result, 10, 'hi user']]);
  });

  it("acts for the app's first bot without BOT_ID, and keeps a KEYBOARD and MENU made for the bot", async () => {
    const reply = await call('imbot.message.add', {
      CLIENT_ID: 'agent-bot-token',
      DIALOG_ID: 'chat1',
      MESSAGE: 'pick',
      KEYBOARD: [LINK_BUTTON],
      MENU: [LINK_BUTTON],
    });
    expect(reply.status).toBe(200);
    const message = (await history()).find((m) => m.id === reply.body.result);
    expect(message?.author_id).toBe(10);
    expect(message?.params?.KEYBOARD).toEqual([expect.objectContaining({ BOT_ID: 10, LINK: 'https://example.com' })]);
    expect(message?.params?.MENU).toEqual([expect.objectContaining({ BOT_ID: 10, TEXT: 'Site' })]);
  });

  it("puts the bot's name before a SYSTEM message to a chat, as Bot::addMessage does", async () => {
    const reply = await add({ MESSAGE: 'notice', SYSTEM: 'Y' });
    expect((await history()).find((m) => m.id === reply.body.result)?.text).toBe('Agent:\nnotice');
  });

  it('refuses in the source order with the documented codes and stores nothing', async () => {
    const other = await call('imbot.v2.Bot.register', {
      botToken: 'other-app',
      fields: { code: 'other', properties: { name: 'Other' } },
    });
    const otherId = other.body.result.bot.id as number;
    const before = legacy.messages().length;
    const cases: [Record<string, unknown>, number, string, string][] = [
      [{ CLIENT_ID: undefined }, 403, 'ACCESS_DENIED', 'Access denied! Client ID not specified'],
      [{ BOT_ID: 999 }, 400, 'BOT_ID_ERROR', 'Bot not found'],
      [{ BOT_ID: otherId }, 400, 'APP_ID_ERROR', 'Bot was installed by another rest application'],
      [{ DIALOG_ID: '', MESSAGE: '' }, 400, 'DIALOG_ID_EMPTY', "Dialog ID can't be empty"],
      [{ MESSAGE: ' ', ATTACH: 'x' }, 400, 'MESSAGE_EMPTY', "Message can't be empty"],
      // Unlike im.message.add, an ATTACH does not stand in for the text.
      [{ MESSAGE: undefined, ATTACH: [{ MESSAGE: 'a' }] }, 400, 'MESSAGE_EMPTY', "Message can't be empty"],
      [{ MESSAGE: ['x'] }, 400, 'MESSAGE_EMPTY', "Message can't be empty"],
      [{ ATTACH: 'x', KEYBOARD: 'x' }, 400, 'ATTACH_ERROR', 'Incorrect attach params'],
      [{ KEYBOARD: [{ TEXT: 'x' }], MENU: 'x' }, 400, 'KEYBOARD_ERROR', 'Incorrect keyboard params'],
      [{ MENU: [{ TEXT: 'x' }] }, 400, 'MENU_ERROR', 'Incorrect menu params'],
      // Bot::addMessage returns false: a chat the bot is not in, one that does not exist, an unknown user, itself.
      [{ DIALOG_ID: 'chat2' }, 400, 'WRONG_REQUEST', "Message isn't added"],
      [{ DIALOG_ID: 'chat999' }, 400, 'WRONG_REQUEST', "Message isn't added"],
      [{ DIALOG_ID: '999' }, 400, 'WRONG_REQUEST', "Message isn't added"],
      [{ DIALOG_ID: '10' }, 400, 'WRONG_REQUEST', "Message isn't added"],
      [{ MESSAGE: '[BR]' }, 400, 'WRONG_REQUEST', "Message isn't added"],
    ];
    for (const [params, status, code, text] of cases) {
      const body = Object.fromEntries(
        Object.entries({ ...BOT, DIALOG_ID: 'chat1', MESSAGE: 'hi', ...params }).filter(([, v]) => v !== undefined),
      );
      refused(await call('imbot.message.add', body), status, code, text);
    }
    expect(legacy.messages()).toHaveLength(before);
  });

  it("edits the bot's own message, which hides its indicator (cause edit); replaces its keyboard", async () => {
    const id = (await add({ MESSAGE: 'draft', KEYBOARD: [LINK_BUTTON] })).body.result as number;
    await call('imbot.chat.sendTyping', { ...BOT, DIALOG_ID: 'chat1' });
    const update = await call('imbot.message.update', {
      ...BOT,
      MESSAGE_ID: id,
      MESSAGE: 'final',
      KEYBOARD: [{ TEXT: 'New', LINK: '/new' }],
    });
    expect([update.status, update.body.result]).toEqual([200, true]);
    expect(botIndicators()).toEqual([]);
    expect(lastHide()).toMatchObject({ chatId: 1, senderId: 10, cause: 'edit' });
    const message = (await history()).find((m) => m.id === id);
    expect(message?.text).toBe('final');
    expect(message?.params).toMatchObject({ IS_EDITED: 'Y', KEYBOARD: [expect.objectContaining({ TEXT: 'New' })] });
  });

  it("refuses an update without MESSAGE_ID (ID is not read), of a message that is not the bot's, and a bad MENU", async () => {
    const id = (await add({ MESSAGE: 'mine' })).body.result as number;
    const users = (await post(`${url}im.message.add`, { DIALOG_ID: 'chat1', MESSAGE: 'a user' })).body.result;
    const update = (params: Record<string, unknown>) => call('imbot.message.update', { ...BOT, ...params });
    refused(await update({ ID: id, MESSAGE: 'x' }), 400, 'MESSAGE_ID_ERROR', "Message ID can't be empty");
    const cant = "Time has expired for modification or you don't have access";
    refused(await update({ MESSAGE_ID: users, MESSAGE: 'x' }), 403, 'CANT_EDIT_MESSAGE', cant);
    refused(await update({ MESSAGE_ID: users, MENU: [LINK_BUTTON] }), 403, 'CANT_EDIT_MESSAGE', cant);
    refused(await update({ MESSAGE_ID: id, MENU: [{ TEXT: 'x' }] }), 400, 'menu_ERROR', 'Incorrect menu params');
    refused(
      await update({ CLIENT_ID: '', MESSAGE_ID: id }),
      403,
      'ACCESS_DENIED',
      'Access denied! Client ID not specified',
    );
    expect((await history()).find((m) => m.id === users)?.text).toBe('a user');
    // A text that Update makes empty deletes the bot's message.
    expect((await update({ MESSAGE_ID: id, MESSAGE: '[BR]' })).body.result).toBe(true);
    expect((await history()).find((m) => m.id === id)?.params).toEqual({ IS_DELETED: 'Y' });
  });

  it('records whose call a refused one was: the bot (BOT_ID, else the first of the app) and the dialog', async () => {
    const lastCall = () =>
      legacy
        .timeline()
        .filter((x) => x.kind === 'call')
        .at(-1);
    legacy.addFault({ method: 'imbot.message.add', status: 503, error: 'QUERY_LIMIT_EXCEEDED', times: 2 });
    await add({ MESSAGE: 'hi' });
    expect(lastCall()).toMatchObject({
      error: 'QUERY_LIMIT_EXCEEDED',
      botId: 10,
      senderId: 10,
      dialogId: 'chat1',
      chatId: 1,
    });
    await call('imbot.message.add', { CLIENT_ID: 'agent-bot-token', DIALOG_ID: 'chat2', MESSAGE: 'hi' });
    expect(lastCall()).toMatchObject({
      error: 'QUERY_LIMIT_EXCEEDED',
      botId: 10,
      senderId: 10,
      dialogId: 'chat2',
      chatId: 2,
    });
    legacy.addFault({ method: 'imbot.message.delete', status: 503, error: 'QUERY_LIMIT_EXCEEDED', times: 1 });
    await call('imbot.message.delete', { ...BOT, MESSAGE_ID: 1 });
    expect(lastCall()).toMatchObject({
      method: 'imbot.message.delete',
      error: 'QUERY_LIMIT_EXCEEDED',
      botId: 10,
      senderId: 10,
    });
  });

  it("deletes the bot's own message (a soft delete), once; not a user's", async () => {
    const id = (await add({ MESSAGE: 'oops' })).body.result as number;
    const users = (await post(`${url}im.message.add`, { DIALOG_ID: 'chat1', MESSAGE: 'keep' })).body.result;
    const remove = (params: Record<string, unknown>) => call('imbot.message.delete', { ...BOT, ...params });
    refused(await remove({ ID: id }), 400, 'MESSAGE_ID_ERROR', "Message ID can't be empty");
    expect((await remove({ MESSAGE_ID: id })).body.result).toBe(true);
    expect((await history()).find((m) => m.id === id)?.params).toEqual({ IS_DELETED: 'Y' });
    const entries = legacy.timeline().filter((x) => x.kind === 'message' && x.messageId === id);
    expect(entries.at(-1)).toMatchObject({ authorId: 10, deleted: true });
    const cant = "Time has expired for modification or you don't have access";
    refused(await remove({ MESSAGE_ID: id }), 403, 'CANT_EDIT_MESSAGE', cant);
    refused(await remove({ MESSAGE_ID: users }), 403, 'CANT_EDIT_MESSAGE', cant);
    refused(await remove({ BOT_ID: 999, MESSAGE_ID: users }), 400, 'BOT_ID_ERROR', 'Bot not found');
  });
});
