import { readFileSync } from 'node:fs';
import { type Emulator, startEmulator } from '@b24-typing/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createErrorLog } from '../test/errorLog';
import { createWebhookTransport } from './createWebhookTransport';

/** A self-signed certificate for 127.0.0.1, made for these tests (test/fixtures, valid until 2126). */
const cert = readFileSync(new URL('../test/fixtures/loopback-cert.pem', import.meta.url));
const key = readFileSync(new URL('../test/fixtures/loopback-key.pem', import.meta.url));
let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator({ plan: 'off', tls: { cert, key } });
});
afterAll(async () => {
  await emu.close();
});

describe('https', () => {
  it('verifies the certificate, and trusts a private CA only when given', async () => {
    expect(emu.url).toMatch(/^https:/);
    const log = createErrorLog();
    const untrusted = createWebhookTransport(emu.webhookUrl(1));
    expect(await log.rejection(untrusted.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
      kind: 'network',
    });
    await untrusted.close();
    // The TLS failure's cause (certificate details) stays inspectable; the webhook code is not in it.
    const code = new URL(emu.webhookUrl(1)).pathname.split('/')[3]!;
    expect(log.expectNoSecrets([code])).toBe(1);
    const trusted = createWebhookTransport(emu.webhookUrl(1), { ca: cert });
    await expect(trusted.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
    await trusted.close();
  });
});
