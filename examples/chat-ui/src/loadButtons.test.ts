import { createFetchTransport } from '@b24-typing/browser';
import { startEmulator } from '@b24-typing/emulator';
import type { Emulator } from '@b24-typing/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentSends } from '../test/agentSends';
import { buttonTexts, loadButtons, messageButtons } from './loadButtons';

describe('buttonTexts', () => {
  it("lists the buttons' texts in their order, a line break no button", () => {
    expect(
      buttonTexts([{ TEXT: 'Yes', COMMAND: 'yes' }, { TYPE: 'NEWLINE' }, { TEXT: '<b>No</b>', COMMAND: 'no' }]),
    ).toEqual(['Yes', '<b>No</b>']);
    expect(buttonTexts({ BUTTONS: [{ TEXT: 'Site', LINK: '/site' }] })).toEqual(['Site']);
    expect(buttonTexts({ ITEMS: [{ TEXT: 'Help', COMMAND: 'help' }] })).toEqual(['Help']);
  });

  it('is none for no keyboard, or one it cannot read', () => {
    for (const none of [undefined, null, 'N', {}, [null, { TEXT: 5 }]]) expect(buttonTexts(none)).toEqual([]);
  });
});

describe('messageButtons', () => {
  it("lists a message's keyboard, then its menu (params.KEYBOARD, params.MENU)", () => {
    const params = { KEYBOARD: [{ TEXT: 'Yes', COMMAND: 'yes' }], MENU: [{ TEXT: 'Help', COMMAND: 'help' }] };
    expect(messageButtons(params)).toEqual(['Yes', 'Help']);
    expect(messageButtons({ MENU: [{ TEXT: 'Help', COMMAND: 'help' }] })).toEqual(['Help']);
  });

  it('is none for params without either, or none at all', () => {
    for (const none of [undefined, null, {}, { IS_EDITED: 'Y' }, 'N']) expect(messageButtons(none)).toEqual([]);
  });
});

/** Messages' buttons, read over HTTP from an emulator as the page reads them (its fetch transport, OAuth). */
describe('loadButtons', () => {
  let emulator: Emulator;
  const transport = () =>
    createFetchTransport({ clientEndpoint: `${emulator.url}/rest/`, auth: () => emulator.fixtures.oauth.accessToken });
  const read = (messageIds: readonly number[], dialogId = 'chat1') => loadButtons(transport(), dialogId, messageIds);
  const calls = () => emulator.timeline().filter((e) => e.kind === 'call' && e.method === 'im.dialog.messages.get');
  beforeAll(async () => {
    emulator = await startEmulator({ plan: 'off' });
  });
  afterAll(() => emulator?.close());

  it("reads the texts of a bot's buttons, the message among others", async () => {
    const keyboard = [{ TEXT: 'Yes', COMMAND: 'yes' }, { TYPE: 'NEWLINE' }, { TEXT: '<b>No</b>', COMMAND: 'no' }];
    emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'before' });
    const id = await agentSends(emulator, { message: '[BR]', keyboard });
    emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'after' });
    // The stream says only that its text is empty.
    expect(emulator.messages(1).find((m) => m.messageId === id)?.text).toBe('');
    expect(await read([id])).toEqual(new Map([[id, ['Yes', '<b>No</b>']]]));
  });

  it('is none for an attach alone', async () => {
    const id = await agentSends(emulator, { attach: [{ MESSAGE: 'a card' }] });
    expect(emulator.messages(1).find((m) => m.messageId === id)?.text).toBe('');
    expect(await read([id])).toEqual(new Map([[id, []]]));
  });

  it('reads the buttons of a message with words too, and the items of its menu', async () => {
    const id = Number(
      await transport().call('im.message.add', {
        DIALOG_ID: 'chat1',
        MESSAGE: 'Deploy?',
        KEYBOARD: [{ TEXT: 'Yes', COMMAND: 'yes' }],
        MENU: [{ TEXT: 'Why?', COMMAND: 'why' }],
      }),
    );
    // The stream says only its words.
    expect(emulator.messages(1).find((m) => m.messageId === id)?.text).toBe('Deploy?');
    expect(await read([id])).toEqual(new Map([[id, ['Yes', 'Why?']]]));
  });

  it('reads many messages a page of 50 at a time, not one call each, and skips over the ones not asked for', async () => {
    const ids: number[] = [];
    for (let i = 1; i <= 120; i++) ids.push(emulator.postMessage({ from: 2, dialogId: 'chat1', text: `line ${i}` }));
    const asked = [...ids.slice(0, 60), ids[119]!];
    const before = calls().length;
    const found = await read(asked);
    // 60 in a row: two pages (50, then 10 of the next 50); the last one, far above them, a page of its own.
    expect(calls().length - before).toBe(3);
    expect([...found.keys()]).toEqual(asked);
    expect([...found.values()].every((buttons) => buttons.length === 0)).toBe(true);
  });

  it("leaves out a message the chat's history does not list, and rejects as the call does", async () => {
    const other = emulator.postMessage({ from: 2, dialogId: 'chat2', text: 'elsewhere' });
    const here = emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'here' });
    expect(await read([other, here])).toEqual(new Map([[here, []]]));
    expect(await read([here + 100])).toEqual(new Map());
    await expect(read([1], 'chat404')).rejects.toMatchObject({ code: 'ACCESS_ERROR' });
  });

  it('makes no call for no message', async () => {
    const before = calls().length;
    expect(await read([])).toEqual(new Map());
    expect(calls().length).toBe(before);
  });
});
