import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from './startEmulator';
import type { Emulator } from './types';

/** A throwaway self-signed certificate for 127.0.0.1, made with the system openssl. */
function makeCertificate(): { cert: string; key: string } | null {
  const dir = mkdtempSync(join(tmpdir(), 'b24-emulator-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const tls = makeCertificate();
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
