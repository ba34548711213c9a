import { afterEach, describe, expect, it } from 'vitest';
import { get, post } from '../test/http';
import { startEmulator } from './startEmulator';
import type { Emulator } from './types';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

describe('startEmulator', () => {
  it('listens on 127.0.0.1 with a random port and answers a webhook call with the documented envelope', async () => {
    emulator = await startEmulator();
    expect(emulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(emulator.port).toBeGreaterThan(0);
    const reply = await post(`${emulator.webhookUrl()}im.dialog.writing.json`, { DIALOG_ID: 'chat1' });
    expect(reply.status).toBe(200);
    expect(reply.body.result).toBe(true);
    expect(Object.keys(reply.body.time).sort()).toEqual(
      [
        'date_finish',
        'date_start',
        'duration',
        'finish',
        'operating',
        'operating_reset_at',
        'processing',
        'start',
      ].sort(),
    );
    expect(reply.body.time.date_start).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
  });

  it('uses the injected clock for the envelope, the timeline and indicator expiry', async () => {
    let t = 1_700_000_000_000;
    emulator = await startEmulator({ now: () => t });
    const reply = await post(`${emulator.webhookUrl()}im.dialog.writing`, { DIALOG_ID: 'chat1' });
    expect(reply.body.time.start).toBe(1_700_000_000);
    expect(emulator.indicators()).toHaveLength(1);
    t += 24_999;
    expect(emulator.indicators()).toHaveLength(1);
    t += 1;
    expect(emulator.indicators()).toHaveLength(0);
    const hide = emulator.timeline().find((e) => e.kind === 'hide');
    expect(hide).toMatchObject({ kind: 'hide', cause: 'expired', time: 1_700_000_025_000, senderId: 1, chatId: 1 });
  });

  it('closes cleanly and frees the port', async () => {
    const first = await startEmulator();
    const port = first.port;
    await first.close();
    emulator = await startEmulator({ port });
    expect(emulator.port).toBe(port);
  });

  it('rejects bad options with the option name', async () => {
    await expect(startEmulator({ plan: { perSecond: 0, burst: 5 } })).rejects.toThrow('perSecond');
    await expect(startEmulator({ tokenTtlSec: -1 })).rejects.toThrow('tokenTtlSec');
    await expect(startEmulator({ clientLifetimeSec: Number.NaN })).rejects.toThrow('clientLifetimeSec');
    await expect(startEmulator({ port: 70_000 })).rejects.toThrow('port');
    await expect(startEmulator({ timelineLimit: 0 })).rejects.toThrow('timelineLimit');
  });

  it('emptySeed starts with no users; initial adds to the default seed; domain is reported', async () => {
    const empty = await startEmulator({ emptySeed: true });
    expect(empty.fixtures.users).toEqual([]);
    await empty.close();
    emulator = await startEmulator({
      domain: 'portal.example',
      initial: { users: [{ id: 50, name: 'Zed' }], chats: [{ id: 9, title: 'Z', members: [1, 50] }] },
    });
    expect(emulator.fixtures.users.map((u) => u.id)).toEqual(expect.arrayContaining([1, 2, 3, 10, 11, 50]));
    expect((await post(`${emulator.webhookUrl(50)}im.dialog.writing`, { DIALOG_ID: 'chat9' })).status).toBe(200);
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: emulator.fixtures.app.clientId,
      client_secret: emulator.fixtures.app.clientSecret,
      refresh_token: emulator.fixtures.oauth.refreshToken,
    });
    // A refresh names the OAuth server, not the portal (reference §5).
    expect((await post(emulator.oauthUrl, form.toString())).body.domain).toBe('oauth.bitrix.info');
  });

  it('serves control routes only under /_emulator: a path that merely starts with it is an unknown path', async () => {
    emulator = await startEmulator({ plan: 'off' });
    await post(`${emulator.webhookUrl()}im.dialog.writing`, { DIALOG_ID: 'chat1' });
    for (const path of ['/_emulatorstate', '/_emulatorfixtures', '/_emulator_x/stats']) {
      const reply = await get(`${emulator.url}${path}`);
      expect({ path, status: reply.status, error: reply.body.error }).toEqual({
        path,
        status: 404,
        error: 'NOT_FOUND',
      });
    }
    expect((await post(`${emulator.url}/_emulatorreset`, {})).status).toBe(404);
    expect(emulator.indicators()).toHaveLength(1);
    expect((await get(`${emulator.url}/_emulator/state`)).status).toBe(200);
  });
});
