import { afterEach, describe, expect, it } from 'vitest';
import { post } from '../test/http';
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
});
