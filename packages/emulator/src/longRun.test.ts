import { afterEach, describe, expect, it } from 'vitest';
import { get, post } from '../test/http';
import { DELIVERY_LIMIT, TOKEN_SWEEP_AT } from './Portal';
import { startEmulator } from './startEmulator';
import type { Emulator } from './types';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const call = (emulator: Emulator, token: string) =>
  post(`${emulator.restUrl}im.dialog.writing`, { DIALOG_ID: 'chat1', auth: token });

describe('a long run stays bounded (injected clock, no waiting)', () => {
  it('expired tokens are forgotten once there are many; valid ones never are', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    emulator = await startEmulator({ plan: 'off', now: () => now });
    const keeper = emulator.issueToken(2, { ttlSec: 86_400 });
    const shortLived = emulator.issueToken(3, { ttlSec: 1 });
    for (let i = 0; i < TOKEN_SWEEP_AT - 3; i++) emulator.issueToken(1, { ttlSec: 1 });
    now += 2000;
    // Not yet past the threshold: an expired token is still known as expired.
    expect((await call(emulator, shortLived.accessToken)).body.error).toBe('expired_token');
    emulator.issueToken(1, { ttlSec: 1 }); // one more: past it, expired ones are dropped
    expect((await call(emulator, shortLived.accessToken)).body.error).toBe('NO_AUTH_FOUND');
    expect((await call(emulator, keeper.accessToken)).body.result).toBe(true);
    // Refresh tokens live 180 days: all still valid, none dropped (the fixture's, issued at start, refreshes).
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: emulator.fixtures.app.clientId,
      client_secret: emulator.fixtures.app.clientSecret,
      refresh_token: shortLived.refreshToken,
    });
    expect((await post(emulator.oauthUrl, form.toString())).status).toBe(200);
  });

  it(`webhook delivery records: the newest ${DELIVERY_LIMIT} are kept`, async () => {
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
    for (let i = 1; i <= DELIVERY_LIMIT + 5; i++) emulator.postMessage({ from: 2, dialogId: 'chat1', text: `m${i}` });
    await emulator.settled();
    const deliveries = emulator.deliveries();
    expect(deliveries).toHaveLength(DELIVERY_LIMIT);
    expect(deliveries[0]!.body).toContain('m6');
    expect(deliveries.at(-1)!.body).toContain(`m${DELIVERY_LIMIT + 5}`);
    expect((await get(`${emulator.url}/_emulator/deliveries`)).body.deliveries).toHaveLength(DELIVERY_LIMIT);
    // Messages themselves are kept, as a portal keeps them; editing an early one finds it by id.
    emulator.editMessage(1, 'm1 edited');
    expect(emulator.timeline().at(-1)).toMatchObject({ kind: 'message', messageId: 1, edited: true });
    expect(() => emulator!.editMessage(DELIVERY_LIMIT + 6, 'x')).toThrow('editMessage: unknown message');
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
