import { createFetchTransport } from '@b24-typing/browser';
import { startEmulator } from '@b24-typing/emulator';
import type { Emulator } from '@b24-typing/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteAs } from '../test/deleteAs';
import { loadHistory } from './loadHistory';

/** A chat's history, read over HTTP from an emulator as the page reads it (its fetch transport, OAuth). */
describe('loadHistory', () => {
  let emulator: Emulator;
  /** The ids of the messages written in chat1, oldest first. */
  const ids: number[] = [];
  const calls = () => emulator.timeline().filter((e) => e.kind === 'call' && e.method === 'im.dialog.messages.get');
  const read = (since: number, dialogId = 'chat1') => {
    const transport = createFetchTransport({
      clientEndpoint: `${emulator.url}/rest/`,
      auth: () => emulator.fixtures.oauth.accessToken,
    });
    return loadHistory(transport, dialogId, since);
  };
  beforeAll(async () => {
    emulator = await startEmulator({ plan: 'off' });
    for (let i = 1; i <= 170; i++) ids.push(emulator.postMessage({ from: 2, dialogId: 'chat1', text: `line ${i}` }));
  });
  afterAll(() => emulator?.close());

  it('pages back until it reaches the message given, oldest first', async () => {
    const before = calls().length;
    const history = await read(ids[100]!);
    // Pages of 50 from the newest: the second reaches back past message 101.
    expect(calls().length - before).toBe(2);
    expect(history.whole).toBe(true);
    expect(history.messages.map((m) => m.id)).toEqual(ids.slice(-100));
    expect(history.messages.at(-1)).toEqual({
      id: ids[169],
      authorId: 2,
      text: 'line 170',
      date: expect.any(Number),
      edited: false,
      deleted: false,
      buttons: [],
    });
  });

  it('stops after 3 pages, not whole, when the message given is further back', async () => {
    const before = calls().length;
    const history = await read(ids[5]!);
    expect(calls().length - before).toBe(3);
    expect(history.whole).toBe(false);
    expect(history.messages.map((m) => m.id)).toEqual(ids.slice(-150));
  });

  it('is whole when the chat runs out first, and says which are edited', async () => {
    const id = emulator.postMessage({ from: 2, dialogId: 'chat2', text: 'a typo' });
    emulator.editMessage(id, 'fixed');
    const history = await read(0, 'chat2');
    expect(history).toEqual({ messages: [expect.objectContaining({ id, text: 'fixed', edited: true })], whole: true });
  });

  it('says which are deleted, in the words the portal shows instead', async () => {
    const id = emulator.postMessage({ from: 2, dialogId: 'chat2', text: 'wrong chat' });
    await deleteAs(emulator, 2, id);
    const history = await read(0, 'chat2');
    expect(history.messages.at(-1)).toEqual(
      expect.objectContaining({ id, text: 'This message has been deleted.', edited: false, deleted: true }),
    );
  });

  it("reads a message that carries a keyboard and a menu (params.KEYBOARD, MENU): its words, not edited, its buttons' texts", async () => {
    const transport = createFetchTransport({
      clientEndpoint: `${emulator.url}/rest/`,
      auth: () => emulator.fixtures.oauth.accessToken,
    });
    const keyboard = { BUTTONS: [{ TEXT: 'Yes', COMMAND: 'yes' }, { TYPE: 'NEWLINE' }, { TEXT: 'No', COMMAND: 'no' }] };
    const menu = [{ TEXT: 'Why?', COMMAND: 'why' }];
    const id = Number(
      await transport.call('im.message.add', {
        DIALOG_ID: 'chat2',
        MESSAGE: 'Deploy?',
        KEYBOARD: keyboard,
        MENU: menu,
      }),
    );
    // The portal lists it with its keyboard in `params` (and no IS_EDITED).
    const page = (await transport.call('im.dialog.messages.get', { DIALOG_ID: 'chat2', LIMIT: 1 })) as {
      messages: { id: number; params: Record<string, unknown> | null }[];
    };
    expect(page.messages[0]).toMatchObject({ id, params: { KEYBOARD: expect.any(Array), MENU: expect.any(Array) } });
    const history = await read(0, 'chat2');
    expect(history.messages.at(-1)).toEqual({
      id,
      authorId: 1,
      text: 'Deploy?',
      date: expect.any(Number),
      edited: false,
      deleted: false,
      buttons: ['Yes', 'No', 'Why?'],
    });
  });

  it('rejects as the call does', async () => {
    await expect(read(0, 'chat404')).rejects.toMatchObject({ code: 'ACCESS_ERROR' });
  });
});
