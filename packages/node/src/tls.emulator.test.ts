import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { type Emulator, startEmulator } from '@b24-typing/emulator';
import { makeCertificate } from '@b24-typing/test-utils';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createErrorLog } from '../test/errorLog';
import { createOAuthTransport } from './createOAuthTransport';
import { createWebhookTransport } from './createWebhookTransport';

/** A self-signed certificate for 127.0.0.1, made for these tests (test/fixtures, valid until 2126). */
const cert = readFileSync(new URL('../test/fixtures/loopback-cert.pem', import.meta.url));
const key = readFileSync(new URL('../test/fixtures/loopback-key.pem', import.meta.url));
let emu: Emulator;

/** The emulator's clock, moved by hand so a token expires without waiting. */
let clock = Date.now();

beforeAll(async () => {
  emu = await startEmulator({ plan: 'off', tls: { cert, key }, now: () => clock });
});
afterAll(async () => {
  await emu.close();
});

describe('https', () => {
  it('verifies the certificate, and trusts a private CA only when given', async () => {
    expect(emu.url).toMatch(/^https:/);
    const log = createErrorLog();
    const untrusted = createWebhookTransport(emu.webhookUrl(1));
    // Transient on purpose (a poller keeps trying: an expired certificate gets renewed), but recognisable: the
    // message names Node's reason, so a log or an alert can tell a certificate from a lost connection.
    expect(await log.rejection(untrusted.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
      code: 'NETWORK_ERROR',
      kind: 'network',
      message: 'network error (DEPTH_ZERO_SELF_SIGNED_CERT)',
      cause: expect.objectContaining({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
    });
    await untrusted.close();
    // The TLS failure's cause (certificate details) stays inspectable; the webhook code is not in it.
    const code = new URL(emu.webhookUrl(1)).pathname.split('/')[3]!;
    expect(log.expectNoSecrets([code])).toBe(1);
    const trusted = createWebhookTransport(emu.webhookUrl(1), { ca: cert });
    await expect(trusted.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
    await trusted.close();
  });

  it('adds ca to the default roots instead of replacing them: the public token endpoint stays trusted', async () => {
    // Node's `ca` option replaces Mozilla's roots. The OAuth transport gives the same options to its token client,
    // so an on-premise portal's private CA made https://oauth.bitrix.info untrusted and every refresh a network error.
    const contexts = vi.spyOn(tls, 'createSecureContext');
    try {
      const trusted = createWebhookTransport(emu.webhookUrl(1), { ca: cert });
      await expect(trusted.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
      await trusted.close();
      const oauth = createOAuthTransport({
        clientEndpoint: emu.restUrl,
        oauthEndpoint: emu.oauthUrl,
        ...emu.issueToken(1, { ttlSec: 1 }), // expired below: the call refreshes through the token client
        clientId: emu.fixtures.app.clientId,
        clientSecret: emu.fixtures.app.clientSecret,
        ca: [cert],
      });
      clock += 2_000;
      await expect(oauth.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
      await oauth.close();
      // The webhook's pool, then the OAuth portal's and the token endpoint's: each trusts the roots and the CA given
      // (the calls above went through, so the context with the CA is the one the connections used).
      const given = contexts.mock.calls.filter(([options]) => options?.ca !== undefined);
      expect(given).toHaveLength(3);
      for (const [options] of given) {
        const ca = [options!.ca].flat();
        expect(ca.map(String)).toEqual(expect.arrayContaining([...tls.rootCertificates, String(cert)]));
      }
    } finally {
      contexts.mockRestore();
    }
  });
});

describe('https with NODE_EXTRA_CA_CERTS', () => {
  /** The portal's certificate, trusted by the process only through NODE_EXTRA_CA_CERTS. */
  const extra = makeCertificate();
  let extraEmu: Emulator;
  let dir: string;
  const saved = process.env.NODE_EXTRA_CA_CERTS;

  beforeAll(async () => {
    extraEmu = await startEmulator({ plan: 'off', tls: extra });
    dir = mkdtempSync(join(tmpdir(), 'b24-node-extra-ca-'));
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
    else process.env.NODE_EXTRA_CA_CERTS = saved;
    rmSync(dir, { recursive: true, force: true });
    await extraEmu.close();
  });

  it('keeps trusting the certificates of NODE_EXTRA_CA_CERTS when ca is given, reading the file once per pool', async () => {
    const file = join(dir, 'extra.pem');
    writeFileSync(file, extra.cert);
    process.env.NODE_EXTRA_CA_CERTS = file;
    // `ca` names another CA (an on-premise portal's); the one the process trusts through the variable must stay.
    const transport = createWebhookTransport(extraEmu.webhookUrl(1), { ca: cert });
    // Read when the pool was made: the connections opened below (several, concurrently) do not read it again.
    rmSync(file);
    const calls = Array.from({ length: 4 }, () => transport.call('im.dialog.writing', { DIALOG_ID: 'chat1' }));
    await expect(Promise.all(calls)).resolves.toEqual([true, true, true, true]);
    await transport.close();
    // And the `ca` given is trusted as before.
    const own = createWebhookTransport(emu.webhookUrl(1), { ca: cert });
    await expect(own.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
    await own.close();
  });

  it('ignores a NODE_EXTRA_CA_CERTS file it cannot read, as Node does, and still trusts ca', async () => {
    process.env.NODE_EXTRA_CA_CERTS = join(dir, 'missing.pem');
    const transport = createWebhookTransport(emu.webhookUrl(1), { ca: cert });
    await expect(transport.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
    await transport.close();
    const log = createErrorLog();
    const untrusted = createWebhookTransport(extraEmu.webhookUrl(1), { ca: cert });
    expect(await log.rejection(untrusted.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
      kind: 'network',
    });
    await untrusted.close();
  });
});
