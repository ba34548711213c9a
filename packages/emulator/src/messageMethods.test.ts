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
