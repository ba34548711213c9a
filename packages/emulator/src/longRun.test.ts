import { afterEach, describe, expect, it } from 'vitest';
import { get, post } from '../test/http';
import { startEmulator } from './startEmulator';
import type { Emulator } from './types';

/** README (Long runs): webhook delivery records, the newest 1,000. Literal, so a changed limit fails here. */
const DELIVERIES_KEPT = 1000;

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

describe('a long run stays bounded (injected clock, no waiting)', () => {
  it('an expired access token is still answered expired_token after many more are issued, so its client refreshes', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    emulator = await startEmulator({ plan: 'off', now: () => now });
    const old = emulator.issueToken(3, { ttlSec: 1 });
    for (let i = 0; i < 20_000; i++) emulator.issueToken(1, { ttlSec: 1 });
    now += 86_400_000;
    const reply = await post(`${emulator.restUrl}im.dialog.writing`, { DIALOG_ID: 'chat1', auth: old.accessToken });
    expect(reply.body.error).toBe('expired_token');
  });

  it(`webhook delivery records: the newest ${DELIVERIES_KEPT} are kept`, async () => {
    emulator = await startEmulator({ plan: 'off' });
    // Nothing listens on port 9 of loopback: each delivery fails at once (recorded with its error).
    emulator.seed({
      bots: [
        {
          code: 'hooked',
          name: 'Hooked',
          botToken: 'hooked-token',
          type: 'personal',
          eventMode: 'webhook',
          webhookUrl: 'http://127.0.0.1:9/bot',
          chats: [1],
        },
      ],
    });
    for (let i = 1; i <= DELIVERIES_KEPT + 5; i++) emulator.postMessage({ from: 2, dialogId: 'chat1', text: `m${i}` });
    await emulator.settled();
    const deliveries = emulator.deliveries();
    expect(deliveries).toHaveLength(DELIVERIES_KEPT);
    expect(deliveries[0]!.body).toContain('m6');
    expect(deliveries.at(-1)!.body).toContain(`m${DELIVERIES_KEPT + 5}`);
    expect((await get(`${emulator.url}/_emulator/deliveries`)).body.deliveries).toHaveLength(DELIVERIES_KEPT);
    // Messages themselves are kept, as a portal keeps them; editing an early one finds it by id.
    emulator.editMessage(1, 'm1 edited');
    expect(emulator.timeline().at(-1)).toMatchObject({ kind: 'message', messageId: 1, edited: true });
    expect(() => emulator!.editMessage(DELIVERIES_KEPT + 6, 'x')).toThrow('editMessage: unknown message');
    expect(() => emulator!.editMessage(1.5, 'x')).toThrow('editMessage: unknown message');
  });

  it('the live page state shows each chat its newest 20 messages', async () => {
    emulator = await startEmulator({ plan: 'off' });
    for (let i = 1; i <= 50; i++) emulator.postMessage({ from: 1, dialogId: i % 2 ? 'chat1' : 'chat2', text: `m${i}` });
    const state = (await get(`${emulator.url}/_emulator/state`)).body;
    const texts = (id: number) =>
      state.chats.find((c: { id: number }) => c.id === id).messages.map((m: { text: string }) => m.text);
    expect(texts(1)).toEqual(Array.from({ length: 20 }, (_, i) => `m${2 * i + 11}`));
    expect(texts(2)).toHaveLength(20);
  });
});
