import { createFetchTransport } from '@b24-typing/browser';
import { startEmulator } from '@b24-typing/emulator';
import type { Emulator } from '@b24-typing/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentSends } from '../test/agentSends';
import { buttonTexts, loadButtons } from './loadButtons';

describe('buttonTexts', () => {
  it("lists the buttons' texts in their order, a line break no button", () => {
    expect(
      buttonTexts([{ TEXT: 'Yes', COMMAND: 'yes' }, { TYPE: 'NEWLINE' }, { TEXT: '<b>No</b>', COMMAND: 'no' }]),
    ).toEqual(['Yes', '<b>No</b>']);
    expect(buttonTexts({ BUTTONS: [{ TEXT: 'Site', LINK: '/site' }] })).toEqual(['Site']);
  });

  it('is none for no keyboard, or one it cannot read', () => {
    for (const none of [undefined, null, 'N', {}, [null, { TEXT: 5 }]]) expect(buttonTexts(none)).toEqual([]);
  });
});

/** A message's buttons, read over HTTP from an emulator as the page reads them (its fetch transport, OAuth). */
describe('loadButtons', () => {
  let emulator: Emulator;
  const read = (messageId: number, dialogId = 'chat1') => {
    const transport = createFetchTransport({
      clientEndpoint: `${emulator.url}/rest/`,
      auth: () => emulator.fixtures.oauth.accessToken,
    });
    return loadButtons(transport, dialogId, messageId);
  };
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
    expect(await read(id)).toEqual(['Yes', '<b>No</b>']);
  });

  it('is none for an attach alone', async () => {
    const id = await agentSends(emulator, { attach: [{ MESSAGE: 'a card' }] });
    expect(emulator.messages(1).find((m) => m.messageId === id)?.text).toBe('');
    expect(await read(id)).toEqual([]);
  });

  it("rejects for a message the chat's history does not list, and as the call does", async () => {
    const other = emulator.postMessage({ from: 2, dialogId: 'chat2', text: 'elsewhere' });
    await expect(read(other)).rejects.toThrow(`did not list message ${other}`);
    await expect(read(1, 'chat404')).rejects.toMatchObject({ code: 'ACCESS_ERROR' });
  });
});
