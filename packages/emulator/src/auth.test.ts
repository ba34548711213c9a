import { connect } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { get, post } from '../test/http';
import { startEmulator } from './startEmulator';
import type { Emulator } from './types';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const NOTIFY = 'imbot.v2.Chat.InputAction.notify';
const params = { botId: 11, dialogId: 'chat1' };

describe('webhook auth', () => {
  it('refuses an unknown code and a code used with another user id with INVALID_CREDENTIALS 403', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const wrongCode = await post(`${emulator.url}/rest/1/not-the-code/im.dialog.writing`, { DIALOG_ID: 'chat1' });
    expect([wrongCode.status, wrongCode.body.error]).toEqual([403, 'INVALID_CREDENTIALS']);
    const wrongUser = await post(`${emulator.url}/rest/2/emulatorwebhook1/im.dialog.writing`, { DIALOG_ID: 'chat1' });
    expect([wrongUser.status, wrongUser.body.error]).toEqual([403, 'INVALID_CREDENTIALS']);
  });

  it('acts as the webhook user: the indicator belongs to that user', async () => {
    emulator = await startEmulator({ plan: 'off' });
    await post(`${emulator.webhookUrl(2)}im.dialog.writing`, { DIALOG_ID: 'chat1' });
    expect(emulator.indicators().map((i) => i.senderId)).toEqual([2]);
  });
});

describe('OAuth auth', () => {
  it('takes the token from the body, the query, access_token, or a Bearer header', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const token = emulator.fixtures.oauth.accessToken;
    const viaBody = await post(`${emulator.restUrl}${NOTIFY}`, { ...params, auth: token });
    const viaQuery = await post(`${emulator.restUrl}${NOTIFY}.json?auth=${token}`, params);
    const viaAccessToken = await post(`${emulator.restUrl}${NOTIFY}`, { ...params, access_token: token });
    const viaBearer = await post(`${emulator.restUrl}${NOTIFY}`, params, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect([viaBody.status, viaQuery.status, viaAccessToken.status, viaBearer.status]).toEqual([200, 200, 200, 200]);
    expect(viaBearer.body.result).toEqual({ result: true });
  });

  it('answers a missing or unknown token with 401 NO_AUTH_FOUND', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const missing = await post(`${emulator.restUrl}${NOTIFY}`, params);
    const unknown = await post(`${emulator.restUrl}${NOTIFY}`, { ...params, auth: 'nope' });
    expect([missing.status, missing.body.error]).toEqual([401, 'NO_AUTH_FOUND']);
    expect([unknown.status, unknown.body.error]).toEqual([401, 'NO_AUTH_FOUND']);
  });

  it('expires tokens after tokenTtlSec (injected clock) with 401 expired_token, and refresh rotates both tokens', async () => {
    let t = 1_800_000_000_000;
    emulator = await startEmulator({ plan: 'off', tokenTtlSec: 60, now: () => t });
    const { accessToken, refreshToken, clientId } = emulator.fixtures.oauth;
    const { clientSecret } = emulator.fixtures.app;
    t += 59_999;
    expect((await post(`${emulator.restUrl}${NOTIFY}`, { ...params, auth: accessToken })).status).toBe(200);
    t += 1;
    const expired = await post(`${emulator.restUrl}${NOTIFY}`, { ...params, auth: accessToken });
    expect([expired.status, expired.body.error]).toEqual([401, 'expired_token']);
    expect(expired.body.error_description).toBe('The access token provided has expired');

    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: clientId,
      client_secret: clientSecret,
      refresh_token: refreshToken,
    });
    const refreshed = await post(emulator.oauthUrl, form.toString());
    expect(refreshed.status).toBe(200);
    expect(Object.keys(refreshed.body).sort()).toEqual(
      [
        'access_token',
        'client_endpoint',
        'domain',
        'expires',
        'expires_in',
        'member_id',
        'refresh_token',
        'scope',
        'server_endpoint',
        'status',
        'user_id',
      ].sort(),
    );
    expect(refreshed.body).toMatchObject({
      expires_in: 60,
      expires: Math.floor(t / 1000) + 60,
      user_id: 1,
      client_endpoint: emulator.restUrl,
    });
    expect(refreshed.body.refresh_token).not.toBe(refreshToken);
    const again = await post(`${emulator.restUrl}${NOTIFY}`, { ...params, auth: refreshed.body.access_token });
    expect(again.status).toBe(200);

    // The old refresh token was rotated away.
    const reused = await post(emulator.oauthUrl, form.toString());
    expect([reused.status, reused.body.error]).toEqual([400, 'invalid_grant']);
    // The query form works too (GET, as the docs show).
    const viaQuery = await get(
      `${emulator.oauthUrl}?${new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, client_secret: clientSecret, refresh_token: refreshed.body.refresh_token })}`,
    );
    expect(viaQuery.status).toBe(200);
  });

  it('refuses bad refresh requests with the OAuth error codes', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const { refreshToken, clientId } = emulator.fixtures.oauth;
    const base = {
      grant_type: 'refresh_token',
      client_id: clientId,
      client_secret: emulator.fixtures.app.clientSecret,
      refresh_token: refreshToken,
    };
    const cases: [Record<string, string>, number, string][] = [
      [{ ...base, grant_type: 'password' }, 400, 'invalid_request'],
      [{ grant_type: 'refresh_token', client_id: clientId }, 400, 'invalid_request'],
      [{ ...base, client_secret: 'wrong' }, 401, 'invalid_client'],
      [{ ...base, client_id: 'unknown.app' }, 401, 'invalid_client'],
      [{ ...base, refresh_token: 'unknown' }, 400, 'invalid_grant'],
    ];
    for (const [form, status, error] of cases) {
      const reply = await post(emulator.oauthUrl, new URLSearchParams(form).toString());
      expect([reply.status, reply.body.error]).toEqual([status, error]);
      expect(reply.text).not.toContain(emulator.fixtures.app.clientSecret);
    }
  });

  it('answers a refresh body above maxBodyBytes with 413 REQUEST_ENTITY_TOO_LARGE, as /rest/ and /_emulator/ do (README: maxBodyBytes)', async () => {
    // §5 lists no answer for an oversize body (a web server in front refuses it before the authorization server
    // reads a field), so the emulator's one documented answer applies: not the OAuth server's `invalid_request`.
    emulator = await startEmulator({ plan: 'off', maxBodyBytes: 256 });
    const { refreshToken, clientId } = emulator.fixtures.oauth;
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: clientId,
      client_secret: emulator.fixtures.app.clientSecret,
      refresh_token: refreshToken,
    });
    const big = await post(emulator.oauthUrl, `${form}&padding=${'x'.repeat(256)}`);
    expect({ status: big.status, error: big.body.error, connection: big.headers.connection }).toEqual({
      status: 413,
      error: 'REQUEST_ENTITY_TOO_LARGE',
      connection: 'close',
    });
    expect(big.text).not.toContain(emulator.fixtures.app.clientSecret);
    // Nothing was spent: the refresh token still works within the limit.
    const ok = await post(emulator.oauthUrl, form.toString());
    expect(ok.status).toBe(200);
  });

  it('issues tokens for any seeded user, programmatically and over /_emulator/tokens', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const tokens = emulator.issueToken(2);
    await post(`${emulator.restUrl}im.dialog.writing`, { DIALOG_ID: 'chat1', auth: tokens.accessToken });
    const viaControl = await post(`${emulator.url}/_emulator/tokens`, { userId: 3 });
    await post(`${emulator.restUrl}im.dialog.writing`, { DIALOG_ID: 'chat1', auth: viaControl.body.accessToken });
    expect(
      emulator
        .indicators()
        .map((i) => i.senderId)
        .sort(),
    ).toEqual([2, 3]);
  });
});

describe('refresh token lifetime', () => {
  it('§5: a refresh token lives 180 days, then the authorization server answers invalid_grant', async () => {
    let t = 1_800_000_000_000;
    emulator = await startEmulator({ plan: 'off', now: () => t });
    const { clientId, clientSecret } = emulator.fixtures.app;
    const refresh = (refreshToken: string) =>
      post(
        emulator!.oauthUrl,
        new URLSearchParams({
          grant_type: 'refresh_token',
          client_id: clientId,
          client_secret: clientSecret,
          refresh_token: refreshToken,
        }).toString(),
      );
    t += 180 * 86_400_000 - 1;
    const inTime = await refresh(emulator.fixtures.oauth.refreshToken);
    expect(inTime.status).toBe(200);
    t += 180 * 86_400_000;
    const late = await refresh(inTime.body.refresh_token);
    expect([late.status, late.body.error]).toEqual([400, 'invalid_grant']);
  });
});

describe('a refresh whose client hangs up mid-body', () => {
  it('counts no reply it never sent (no 400 in byStatus) and keeps serving', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const url = new URL(emulator.oauthUrl);
    const socket = connect(Number(url.port), url.hostname);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type=refr`,
    );
    await vi.waitFor(() => expect(emulator!.stats().oauthRequests).toBe(1));
    socket.destroy();
    const { clientId, clientSecret } = emulator.fixtures.app;
    const form = { grant_type: 'refresh_token', client_id: clientId, client_secret: clientSecret };
    const next = await post(emulator.oauthUrl, new URLSearchParams({ ...form, refresh_token: 'x' }).toString());
    expect(next.body.error).toBe('invalid_grant');
    await get(`${emulator.url}/_emulator/stats`); // one more round trip: the hang-up has been handled by now
    expect(emulator.stats().byStatus).toEqual({ 400: 1 });
  });
});

describe('token refresh reply', () => {
  it('names the OAuth server as its domain, oauth.bitrix.info, as documented (reference §5), not the portal', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const { clientId, clientSecret } = emulator.fixtures.app;
    const query = new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: clientId,
      client_secret: clientSecret,
      refresh_token: emulator.fixtures.oauth.refreshToken,
    });
    const refreshed = await get(`${emulator.oauthUrl}?${query}`);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.domain).toBe('oauth.bitrix.info');
    expect(refreshed.body.client_endpoint).toBe(emulator.restUrl);
  });
});

describe('access token lifetime', () => {
  // README: `tokenTtlSec` defaults to 3600; reference §5: the refresh reply says `expires_in: 3600`, so a client that
  // plans its refresh on it meets `expired_token` exactly an hour after the token was issued, not earlier or later.
  it('§5: without tokenTtlSec an access token lives 3600 s, and a refresh reports expires_in 3600', async () => {
    let t = 1_800_000_000_000;
    emulator = await startEmulator({ plan: 'off', operating: false, now: () => t });
    const { accessToken, refreshToken, clientId } = emulator.fixtures.oauth;
    t += 3_599_999;
    expect((await post(`${emulator.restUrl}${NOTIFY}`, { ...params, auth: accessToken })).status).toBe(200);
    t += 1;
    const expired = await post(`${emulator.restUrl}${NOTIFY}`, { ...params, auth: accessToken });
    expect([expired.status, expired.body.error]).toEqual([401, 'expired_token']);
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: clientId,
      client_secret: emulator.fixtures.app.clientSecret,
      refresh_token: refreshToken,
    });
    const refreshed = await post(emulator.oauthUrl, form.toString());
    expect(refreshed.body).toMatchObject({ expires_in: 3600, expires: Math.floor(t / 1000) + 3600 });
  });
});
