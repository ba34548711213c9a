import { request } from 'node:https';
import { makeCertificate } from '@b24-typing/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from './startEmulator';
import type { Emulator } from './types';

/** Skipped, not failed, on a machine without openssl. */
const tls = (() => {
  try {
    return makeCertificate();
  } catch {
    return null;
  }
})();
let emulator: Emulator;

beforeAll(async () => {
  if (tls) emulator = await startEmulator({ plan: 'off', tls });
});
afterAll(() => emulator?.close());

describe.skipIf(!tls)('HTTPS', () => {
  it('serves REST over TLS with the given certificate and reports https URLs', async () => {
    expect(emulator.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(emulator.webhookUrl()).toMatch(/^https:/);
    const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${emulator.webhookUrl()}im.dialog.writing`,
        { method: 'POST', ca: tls!.cert, headers: { 'content-type': 'application/json' } },
        (res) => {
          let body = '';
          res.on('data', (chunk) => {
            body += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ DIALOG_ID: 'chat1' }));
    });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body).result).toBe(true);
  });
});
