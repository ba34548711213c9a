import { request } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { get, post } from '../test/http';
import { startEmulator } from './startEmulator';
import type { Emulator } from './types';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/** What arrived on the wire: status, announced length, the bytes, and how the body ended. */
function rawPost(
  url: string,
  body: string,
  signal?: AbortSignal,
): Promise<{ status: number; length: string | undefined; text: string; ended: 'complete' | 'aborted' }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        ...(signal ? { signal } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        const done = (ended: 'complete' | 'aborted') =>
          resolve({
            status: res.statusCode ?? 0,
            length: res.headers['content-length'],
            text: Buffer.concat(chunks).toString(),
            ended,
          });
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done('complete'));
        res.on('aborted', () => done('aborted'));
        res.on('error', () => done('aborted'));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const writingUrl = (e: Emulator) => `${e.webhookUrl()}im.dialog.writing`;
const callErrors = (e: Emulator) => e.timeline().flatMap((entry) => (entry.kind === 'call' ? [entry.error] : []));

describe('body faults', () => {
  it('replies with a raw body instead of running the call: a proxy HTML 502, an empty 200', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const page = '<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>';
    emulator.addFault({ status: 502, body: page, contentType: 'text/html', times: 1 });
    emulator.addFault({ body: '', times: 1 });
    const html = await post(writingUrl(emulator), 'DIALOG_ID=chat1');
    expect([html.status, html.headers['content-type'], html.text]).toEqual([502, 'text/html', page]);
    const empty = await post(writingUrl(emulator), 'DIALOG_ID=chat1');
    expect([empty.status, empty.headers['content-type'], empty.text]).toEqual([
      200,
      'application/json; charset=utf-8',
      '',
    ]);
    // Neither call reached the method: no indicator was shown.
    expect(emulator.indicators()).toEqual([]);
    expect(callErrors(emulator)).toEqual(['BODY', 'BODY']);
    expect(emulator.stats().byStatus).toMatchObject({ 502: 1, 200: 1 });
  });

  it('truncate: the call runs, its JSON reply arrives cut in half as a complete message', async () => {
    emulator = await startEmulator({
      plan: 'off',
      faults: [{ method: 'im.dialog.writing', truncate: true, times: 1 }],
    });
    const cut = await rawPost(writingUrl(emulator), 'DIALOG_ID=chat1');
    expect(cut.ended).toBe('complete');
    expect(cut.status).toBe(200);
    expect(Number(cut.length)).toBe(Buffer.byteLength(cut.text));
    expect(cut.text.startsWith('{"result":true,"time":')).toBe(true);
    expect(() => JSON.parse(cut.text)).toThrow(SyntaxError);
    expect(emulator.indicators().map((i) => i.senderId)).toEqual([1]); // the portal did execute it
    const whole = await rawPost(writingUrl(emulator), 'DIALOG_ID=chat1');
    expect(JSON.parse(whole.text).result).toBe(true);
    expect(cut.text.length).toBeLessThan(whole.text.length);
  });

  it('truncate + reset: the whole length is announced, half arrives, the connection drops', async () => {
    emulator = await startEmulator({ plan: 'off', faults: [{ truncate: true, reset: true, times: 1 }] });
    const reply = await rawPost(writingUrl(emulator), 'DIALOG_ID=chat1');
    expect(reply.status).toBe(200);
    expect(reply.ended).toBe('aborted');
    expect(Number(reply.length)).toBeGreaterThan(Buffer.byteLength(reply.text));
    expect(reply.text.length).toBeGreaterThan(0);
    expect(emulator.indicators()).toHaveLength(1);
  });

  it('truncates an error reply too (fault error + truncate)', async () => {
    emulator = await startEmulator({ plan: 'off', faults: [{ error: 'QUERY_LIMIT_EXCEEDED', truncate: true }] });
    const reply = await rawPost(writingUrl(emulator), 'DIALOG_ID=chat1');
    expect(reply.status).toBe(503);
    expect(reply.text.startsWith('{"error":"QUERY_')).toBe(true);
    expect(() => JSON.parse(reply.text)).toThrow();
  });

  it('stallBody: headers and half the body, then silence until the client gives up', async () => {
    emulator = await startEmulator({ plan: 'off' });
    emulator.addFault({ stallBody: true, times: 1 });
    const res = await fetch(writingUrl(emulator), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'DIALOG_ID=chat1',
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    const text = new TextDecoder().decode(first.value);
    expect(text.startsWith('{"result":true')).toBe(true);
    expect(Buffer.byteLength(text)).toBeLessThan(Number(res.headers.get('content-length')));
    // Nothing more comes: the next read is still pending after the server handled another request.
    let more = false;
    const next = reader.read().then(() => {
      more = true;
    });
    expect((await post(writingUrl(emulator), 'DIALOG_ID=chat1')).status).toBe(200);
    expect(more).toBe(false);
    await reader.cancel();
    await next;
  });

  it('is set over /_emulator/faults, and bad combinations are refused with the field named', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const added = await post(`${emulator.url}/_emulator/faults`, {
      status: 502,
      body: '<html>bad gateway</html>',
      contentType: 'text/html',
    });
    expect(added.body).toMatchObject({ id: 1, status: 502, body: '<html>bad gateway</html>' });
    expect((await post(writingUrl(emulator), 'DIALOG_ID=chat1')).text).toBe('<html>bad gateway</html>');
    for (const [spec, field] of [
      [{ body: 5 }, 'fault.body'],
      [{ truncate: true, stallBody: true }, 'fault.truncate'],
      [{ hang: true, body: '' }, 'fault.hang'],
      [{ body: '', error: 'X' }, 'fault.body'],
      [{ stallBody: true, reset: true }, 'fault.stallBody'],
      [{ body: 'x', contentType: 'text/html\r\nx-evil: 1' }, 'fault.contentType'],
    ] as const) {
      const bad = await post(`${emulator.url}/_emulator/faults`, spec);
      expect([bad.status, bad.body.error_description]).toEqual([400, expect.stringContaining(field)]);
    }
    expect(emulator.faults()).toHaveLength(1);
  });

  it('inside a batch only error replies apply; a body fault breaks the batch reply itself', async () => {
    emulator = await startEmulator({
      plan: 'off',
      faults: [{ method: 'im.dialog.writing', body: 'oops', status: 500 }],
    });
    const batch = await post(`${emulator.webhookUrl()}batch`, { cmd: { a: 'im.dialog.writing?DIALOG_ID=chat1' } });
    expect([batch.status, batch.body.result.result.a]).toEqual([200, true]);
    emulator.clearFaults();
    emulator.addFault({ method: 'batch', truncate: true });
    const broken = await post(`${emulator.webhookUrl()}batch`, { cmd: { a: 'im.dialog.writing?DIALOG_ID=chat1' } });
    expect(typeof broken.body).toBe('string');
  });
});

describe('faults on /oauth/token/', () => {
  const refresh = (e: Emulator, refreshToken = e.fixtures.oauth.refreshToken) =>
    post(
      e.oauthUrl,
      new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: e.fixtures.app.clientId,
        client_secret: e.fixtures.app.clientSecret,
        refresh_token: refreshToken,
      }).toString(),
    );

  it("'oauth.token' gets a 5xx (catalog or own code); '*' leaves the endpoint alone", async () => {
    emulator = await startEmulator({ plan: 'off', faults: [{ status: 500, error: 'INTERNAL_SERVER_ERROR' }] });
    emulator.addFault({ method: 'oauth.token', status: 503, error: 'temporarily_unavailable', times: 1 });
    const failed = await refresh(emulator);
    expect([failed.status, failed.body.error]).toEqual([503, 'temporarily_unavailable']);
    // The refresh token was not used up by the failed attempt, and '*' did not hit the endpoint.
    const ok = await refresh(emulator);
    expect(ok.status).toBe(200);
    expect(ok.body.access_token).toEqual(expect.any(String));
    expect(emulator.stats().faultsHit).toBe(1);
  });

  it('resets, hangs and breaks the body of a refresh', async () => {
    emulator = await startEmulator({ plan: 'off' });
    emulator.addFault({ method: 'OAuth.Token', reset: true, times: 1 });
    await expect(refresh(emulator)).rejects.toThrow();
    emulator.addFault({
      method: 'oauth.token',
      status: 502,
      body: '<html>502</html>',
      contentType: 'text/html',
      times: 1,
    });
    expect((await refresh(emulator)).text).toBe('<html>502</html>');
    emulator.addFault({ method: 'oauth.token', truncate: true, times: 1 });
    const cut = await refresh(emulator);
    expect([cut.status, typeof cut.body]).toEqual([200, 'string']); // the refresh ran; its JSON is cut short
    expect(cut.text.startsWith('{"access_token":"')).toBe(true);
    // The rotation happened, so the old refresh token is gone.
    expect((await refresh(emulator)).body.error).toBe('invalid_grant');

    emulator.addFault({ method: 'oauth.token', hang: true, times: 1 });
    const controller = new AbortController();
    const pending = fetch(emulator.oauthUrl, {
      method: 'POST',
      body: 'grant_type=refresh_token',
      signal: controller.signal,
    });
    await vi.waitFor(() => expect(emulator!.stats().faultsHit).toBe(4));
    controller.abort();
    await expect(pending).rejects.toThrow();
  });

  it('stats().requests counts /oauth/token/ requests (oauthRequests too)', async () => {
    emulator = await startEmulator({ plan: 'off' });
    await refresh(emulator);
    await refresh(emulator, 'unknown');
    await post(`${emulator.webhookUrl()}im.dialog.writing`, { DIALOG_ID: 'chat1' });
    expect(emulator.stats()).toMatchObject({ requests: 3, oauthRequests: 2, byStatus: { 200: 2, 400: 1 } });
    expect((await get(`${emulator.url}/_emulator/stats`)).body).toMatchObject({ requests: 3, oauthRequests: 2 });
  });
});
