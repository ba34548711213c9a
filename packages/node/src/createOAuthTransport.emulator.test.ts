import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { getEventListeners } from 'node:events';
import { inspect } from 'node:util';
import { B24Error } from '@b24-typing/core';
import { type Emulator, startEmulator } from '@b24-typing/emulator';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createErrorLog } from '../test/errorLog';
import { expectClosesOnce } from '../test/expectClosesOnce';
import { startEchoServer } from '../test/startEchoServer';
import { startMirrorServer } from '../test/startMirrorServer';
import { startStubServer, until } from '../test/startStubServer';
import {
  createOAuthTransport,
  type OAuthTokens,
  type OAuthTransportOptions,
  type StoredTokens,
} from './createOAuthTransport';

const log = createErrorLog();
let emu: Emulator;
/** The emulator's clock, moved by hand so tokens expire without waiting. */
let clock = Date.now();
const secrets = new Set<string>();

beforeAll(async () => {
  emu = await startEmulator({ plan: 'off', now: () => clock, tokenTtlSec: 3600 });
  secrets.add(emu.fixtures.app.clientSecret);
});
afterAll(async () => {
  await emu.close();
});

function oauth(
  tokens: { accessToken: string; refreshToken: string },
  onTokens?: OAuthTransportOptions['onTokens'],
  options: Partial<OAuthTransportOptions> = {},
) {
  secrets.add(tokens.accessToken);
  secrets.add(tokens.refreshToken);
  return createOAuthTransport({
    clientEndpoint: emu.restUrl,
    oauthEndpoint: emu.oauthUrl,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    clientId: emu.fixtures.app.clientId,
    clientSecret: emu.fixtures.app.clientSecret,
    ...(onTokens ? { onTokens } : {}),
    ...options,
  });
}

/** The token endpoint's next reply (one): `fields` as its JSON body; the emulator's own unless `on` another's. */
function refreshReply(fields: Record<string, unknown>, on: Emulator = emu): void {
  on.addFault({
    method: 'oauth.token',
    status: 200,
    body: JSON.stringify(fields),
    contentType: 'application/json',
    times: 1,
  });
}

/**
 * The portal moved to another domain: an emulator there (the test closes it), and the token endpoint's next reply a
 * token valid there that says where it is now (`client_endpoint`: `endpoint` of the new REST root).
 */
async function movedPortal(endpoint: (restUrl: string) => string = (restUrl) => restUrl) {
  const moved = await startEmulator({ plan: 'off', now: () => clock, seed: 2 });
  const next = moved.issueToken(1);
  secrets.add(next.accessToken).add(next.refreshToken);
  refreshReply({
    access_token: next.accessToken,
    refresh_token: next.refreshToken,
    expires_in: 3600,
    client_endpoint: endpoint(moved.restUrl),
  });
  return moved;
}

/** A token pair that expires in one second of emulator time, then a jump past it. */
function expiredTokens() {
  const tokens = emu.issueToken(1, { ttlSec: 1 });
  clock += 2_000;
  return tokens;
}

/** An OAuth transport on an expired token, whose refreshes are counted (and their tokens kept secret). */
function refreshCounted() {
  let refreshes = 0;
  const t = oauth(expiredTokens(), (next) => {
    refreshes++;
    secrets.add(next.accessToken).add(next.refreshToken);
  });
  return { t, refreshes: () => refreshes };
}

/** Replies by HTTP status since `before` (REST and `/oauth/token/` replies alike). */
function statusDelta(before: Record<string, number>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [status, n] of Object.entries(emu.stats().byStatus)) {
    if (n !== (before[status] ?? 0)) delta[status] = n - (before[status] ?? 0);
  }
  return delta;
}

describe('OAuth transport against the emulator', () => {
  it('calls with a valid token (auth in the body, never in the URL)', async () => {
    const t = oauth(emu.fixtures.oauth);
    await expect(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
    await expect(
      t.call('imbot.v2.Chat.InputAction.notify', { botId: emu.fixtures.bots.helper.id, dialogId: 'chat1' }),
    ).resolves.toEqual({ result: true });
    expect(
      emu
        .timeline()
        .filter((e) => e.kind === 'call')
        .at(-1),
    ).toMatchObject({ auth: 'oauth', shown: true });
    await t.close();
  });

  it('refreshes an expired token once, retries, and hands the new tokens to onTokens', async () => {
    const tokens = expiredTokens();
    const seen: OAuthTokens[] = [];
    const t = oauth(tokens, (next) => {
      seen.push(next);
      secrets.add(next.accessToken).add(next.refreshToken);
    });
    const before = emu.stats().byStatus;
    const refreshesBefore = emu.stats().oauthRequests;
    await expect(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
    expect(seen).toHaveLength(1);
    expect(emu.stats().oauthRequests - refreshesBefore).toBe(1);
    expect(seen[0]).toMatchObject({
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      expiresIn: 3600,
    });
    expect(seen[0]!.accessToken).not.toBe(tokens.accessToken);
    // one 401 (expired), then two 200s: the refresh and the retry
    expect(statusDelta(before)).toEqual({ 401: 1, 200: 2 });
    // Later calls use the new token directly.
    await expect(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
    expect(statusDelta(before)).toEqual({ 401: 1, 200: 3 });
    await t.close();
  });

  it('hands onTokens every field of the refresh reply but domain: userId and status too (reference §5)', async () => {
    const tokens = emu.issueToken(2, { ttlSec: 1 });
    clock += 2_000;
    const seen: OAuthTokens[] = [];
    const t = oauth(tokens, (next) => {
      seen.push(next);
      secrets.add(next.accessToken).add(next.refreshToken);
    });
    await expect(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
    expect(seen).toEqual([
      {
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        expires: expect.any(Number),
        expiresIn: 3600,
        scope: expect.any(String),
        memberId: expect.any(String),
        clientEndpoint: emu.restUrl,
        serverEndpoint: expect.any(String),
        userId: 2,
        status: 'L',
      },
    ]);
    await t.close();
  });

  it('refuses a refresh reply with an empty refresh token, and leaves out numbers that are not numbers', async () => {
    const saved: OAuthTokens[] = [];
    const t = oauth(expiredTokens(), (next) => {
      saved.push(next);
    });
    // An empty refresh token would be sent back at the next refresh and refused for good: the reply is no use.
    refreshReply({ access_token: 'fresh-access-1', refresh_token: '', expires: 1_900_000_000 });
    expect(await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
      code: 'ERROR_UNEXPECTED_ANSWER',
      kind: 'server',
      status: 200,
    });
    expect(saved).toEqual([]);
    // `expires: "soon"` would be NaN: an app scheduling its next refresh from it would never, or always, refresh.
    refreshReply({
      access_token: 'fresh-access-2',
      refresh_token: 'fresh-refresh-2',
      expires: 'soon',
      expires_in: '3600',
    });
    await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }));
    expect(saved).toEqual([{ accessToken: 'fresh-access-2', refreshToken: 'fresh-refresh-2', expiresIn: 3600 }]);
    await t.close();
  });

  // JSON that is no token reply (a gateway's `{"status":"ok"}`, a misrouted endpoint's envelope) says nothing about the
  // refresh token, like a proxy's page: the kind its status gives, the status kept, and the next call refreshes again.
  // As `auth` it ended a botEvents stream for good, though the transport itself asks the token endpoint again.
  it('gives a 200 token reply without tokens the kind its status gives, with the status, and refreshes again', async () => {
    const { t, refreshes } = refreshCounted();
    for (const fields of [{ status: 'ok' }, { result: { access_token: 'nested' } }, { access_token: 'only-access' }]) {
      refreshReply(fields);
      const error = await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }));
      expect(error, JSON.stringify(fields)).toMatchObject({
        code: 'ERROR_UNEXPECTED_ANSWER',
        kind: 'server',
        status: 200,
      });
    }
    await expect(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
    expect(refreshes()).toBe(1);
    await t.close();
  });

  it('takes a token reply with an empty error (null, "") as the success it is, as the REST envelope does', async () => {
    for (const error of [null, '']) {
      // Taken for a failure, the reply's rotated refresh token would be dropped and the old one is used up: the next
      // refresh would be refused (invalid_grant) for good.
      const next = emu.issueToken(1);
      secrets.add(next.accessToken).add(next.refreshToken);
      refreshReply({
        error,
        access_token: next.accessToken,
        refresh_token: next.refreshToken,
        expires_in: 3600,
      });
      const saved: OAuthTokens[] = [];
      const t = oauth(expiredTokens(), (tokens) => {
        saved.push(tokens);
      });
      await expect(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }), JSON.stringify(error)).resolves.toBe(true);
      expect(saved).toEqual([{ accessToken: next.accessToken, refreshToken: next.refreshToken, expiresIn: 3600 }]);
      await t.close();
    }
  });

  it('follows the client_endpoint of a refresh reply when the portal moved to another domain (reference §5)', async () => {
    // The portal's new home: the refresh hands out a token valid there, and says where it is now, as the constructor
    // takes it (no trailing slash is the same root).
    const moved = await movedPortal((restUrl) => restUrl.replace(/\/$/, ''));
    try {
      const saved: OAuthTokens[] = [];
      const t = oauth(expiredTokens(), (tokens) => {
        saved.push(tokens);
      });
      const calls = () => moved.timeline().filter((e) => e.kind === 'call').length;
      // The retry after the refresh goes to the new domain (the old one does not know the new token) ...
      await expect(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
      expect(calls()).toBe(1);
      // ... and so do later calls, a batch too, and what the transport says it points to.
      await expect(t.batch([{ method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } }])).resolves.toEqual([
        { ok: true, result: true },
      ]);
      expect(moved.stats().requests).toBe(2);
      expect(String(t)).toBe(`OAuthTransport(${new URL(moved.restUrl).origin})`);
      expect(saved).toHaveLength(1);
      await t.close();
    } finally {
      await moved.close();
    }
  });

  it('ignores a refresh reply client_endpoint the constructor would refuse, and keeps calling the one it has', async () => {
    for (const clientEndpoint of [
      'http://portal.example.com/rest/', // plain http off loopback: the token would cross the network in clear
      `${emu.restUrl}?x=1`,
      'not a url',
      'ftp://127.0.0.1/rest/',
    ]) {
      const next = emu.issueToken(1);
      secrets.add(next.accessToken).add(next.refreshToken);
      refreshReply({
        access_token: next.accessToken,
        refresh_token: next.refreshToken,
        client_endpoint: clientEndpoint,
      });
      const t = oauth(expiredTokens());
      await expect(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }), clientEndpoint).resolves.toBe(true);
      await expect(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }), clientEndpoint).resolves.toBe(true);
      expect(String(t)).toBe(`OAuthTransport(${new URL(emu.restUrl).origin})`);
      await t.close();
    }
  });

  describe('token endpoint from serverEndpoint (reference §5: server_endpoint minus /rest/, as jssdk)', () => {
    /** A transport with no `oauthEndpoint`: where it refreshes comes from `serverEndpoint` and the refresh replies. */
    function viaServer(tokens: { accessToken: string; refreshToken: string }, extra: Partial<OAuthTransportOptions>) {
      secrets.add(tokens.accessToken).add(tokens.refreshToken);
      return createOAuthTransport({
        clientEndpoint: emu.restUrl,
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken,
        clientId: emu.fixtures.app.clientId,
        clientSecret: emu.fixtures.app.clientSecret,
        onTokens: (next) => {
          secrets.add(next.accessToken).add(next.refreshToken);
        },
        ...extra,
      });
    }

    /** A refresh reply whose access token has already expired, so the next call refreshes again, naming `server`. */
    function staleReplyNaming(at: Emulator, server: string) {
      const stale = emu.issueToken(1, { ttlSec: 1 });
      clock += 2_000;
      secrets.add(stale.accessToken).add(stale.refreshToken);
      at.addFault({
        method: 'oauth.token',
        status: 200,
        body: JSON.stringify({
          access_token: stale.accessToken,
          refresh_token: stale.refreshToken,
          server_endpoint: server,
        }),
        contentType: 'application/json',
        times: 1,
      });
    }

    it('refreshes at the serverEndpoint given, not at oauth.bitrix.info, when there is no oauthEndpoint', async () => {
      // An RU-region portal's tokens name oauth.bitrix24.tech; the default host would refuse its refresh token.
      const t = viaServer(expiredTokens(), { serverEndpoint: emu.restUrl });
      const before = emu.stats().oauthRequests;
      await expect(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
      expect(emu.stats().oauthRequests - before).toBe(1);
      await t.close();
    });

    it('follows the server_endpoint of a refresh reply at the next refresh, ignoring one the constructor would refuse', async () => {
      const authority = await startEmulator({ plan: 'off', now: () => clock, seed: 3 });
      try {
        const t = viaServer(expiredTokens(), { serverEndpoint: emu.restUrl });
        const before = emu.stats().oauthRequests;
        // First refresh at `serverEndpoint`; its reply names another authorization server (and a plain-http one
        // off this machine next, which must not get the refresh token: ignored).
        staleReplyNaming(emu, authority.restUrl);
        await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }));
        staleReplyNaming(authority, 'http://oauth.example.com/rest/');
        await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }));
        expect(authority.stats().oauthRequests).toBe(1);
        // Still the authority named last by a reply that passed the checks: it hands out a working token now.
        const next = emu.issueToken(1);
        secrets.add(next.accessToken).add(next.refreshToken);
        refreshReply({ access_token: next.accessToken, refresh_token: next.refreshToken }, authority);
        await expect(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
        expect(authority.stats().oauthRequests).toBe(2);
        expect(emu.stats().oauthRequests - before).toBe(1);
        await t.close();
      } finally {
        await authority.close();
      }
    });

    it('refreshes at an explicit oauthEndpoint whatever serverEndpoint and the replies say', async () => {
      const authority = await startEmulator({ plan: 'off', now: () => clock, seed: 3 });
      try {
        const t = viaServer(expiredTokens(), { oauthEndpoint: emu.oauthUrl, serverEndpoint: authority.restUrl });
        const before = emu.stats().oauthRequests;
        staleReplyNaming(emu, authority.restUrl);
        await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }));
        await expect(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
        expect(emu.stats().oauthRequests - before).toBe(2);
        expect(authority.stats().oauthRequests).toBe(0);
        await t.close();
      } finally {
        await authority.close();
      }
    });
  });

  it('coalesces 10 concurrent calls on an expired token into exactly one refresh', async () => {
    const { t, refreshes } = refreshCounted();
    const before = emu.stats().byStatus;
    const refreshesBefore = emu.stats().oauthRequests;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        i % 2 === 0
          ? t.call('im.dialog.writing', { DIALOG_ID: 'chat1' })
          : t.batch([{ method: 'im.dialog.writing', params: { DIALOG_ID: 'chat2' } }]),
      ),
    );
    expect(results.filter((r) => r === true)).toHaveLength(5);
    expect(results.filter((r) => Array.isArray(r) && r[0]?.ok)).toHaveLength(5);
    expect(refreshes()).toBe(1);
    expect(emu.stats().oauthRequests - refreshesBefore).toBe(1); // counted at the token endpoint, not by the client
    // 10 rejected, then 1 refresh + 10 retries; the refresh token is single-use, so a second refresh would fail.
    expect(statusDelta(before)).toEqual({ 401: 10, 200: 11 });
    await t.close();
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('database down');
      },
    ],
    ['rejects', () => Promise.reject(new Error('database down'))],
    // A transport that waited for this one would hold the call for good (the test times out).
    ['never settles', () => new Promise<void>(() => {})],
  ] as const)(
    'retries with the new tokens and keeps them when onTokens %s',
    async (_, save) => {
      const tokens = expiredTokens();
      let saved: OAuthTokens | undefined;
      const t = oauth(tokens, (next) => {
        saved = next;
        secrets.add(next.accessToken).add(next.refreshToken);
        return save();
      });
      const refreshesBefore = emu.stats().oauthRequests;
      await expect(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
      expect(saved).toBeDefined(); // called before the retry, though not waited for
      // The new tokens stay in use: the next call needs no refresh.
      await expect(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
      expect(emu.stats().oauthRequests - refreshesBefore).toBe(1);
      await t.close();
    },
    5_000,
  );

  it('refreshes once and retries on invalid_token too, as jssdk does (reference §6)', async () => {
    // A token still valid by the emulator's clock: only the portal's invalid_token asks for the refresh.
    let refreshes = 0;
    const t = oauth(emu.issueToken(1), (next) => {
      refreshes++;
      secrets.add(next.accessToken).add(next.refreshToken);
    });
    emu.addFault({ method: 'im.dialog.writing', times: 1, status: 401, error: 'invalid_token' });
    const before = emu.stats().oauthRequests;
    await expect(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
    expect(refreshes).toBe(1);
    expect(emu.stats().oauthRequests - before).toBe(1);
    await t.close();
  });

  it('retries a call that met the old token after the shared refresh ended, without refreshing again', async () => {
    // Call B's expired_token comes back only once call A's refresh is done: B was sent with the old token, so the
    // new one is already there for it. A second refresh would spend the single-use refresh token for nothing.
    const held: import('node:http').ServerResponse[] = [];
    const portal = await startStubServer();
    portal.reply((_req, res) => {
      held.push(res);
    });
    const tokens = emu.issueToken(1);
    const seen: OAuthTokens[] = [];
    const t = oauth(
      tokens,
      (next) => {
        seen.push(next);
        secrets.add(next.accessToken).add(next.refreshToken);
      },
      { clientEndpoint: `${portal.url}/rest/` },
    );
    const expired = (res: import('node:http').ServerResponse) =>
      res
        .writeHead(401, { 'content-type': 'application/json', connection: 'close' })
        .end('{"error":"expired_token","error_description":"The access token provided has expired"}');
    const before = emu.stats().oauthRequests;
    const a = t.call('im.dialog.writing', { DIALOG_ID: 'chat1' });
    const b = t.call('im.dialog.writing', { DIALOG_ID: 'chat2' });
    await until(() => held.length === 2);
    portal.reply((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', connection: 'close' }).end('{"result":true}');
    });
    expired(held[0]!);
    await expect(a).resolves.toBe(true); // refreshed, retried
    expect(seen).toHaveLength(1);
    expired(held[1]!);
    await expect(b).resolves.toBe(true); // retried with the token A's refresh brought
    expect(seen).toHaveLength(1);
    expect(emu.stats().oauthRequests - before).toBe(1);
    await t.close();
    await portal.close();
  });

  it('fails every waiting call with an auth error when the refresh is refused, without looping', async () => {
    const tokens = expiredTokens();
    const t = oauth({ accessToken: tokens.accessToken, refreshToken: 'revoked-refresh-token' });
    const before = emu.stats().byStatus;
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, () => t.call('im.dialog.writing', { DIALOG_ID: 'chat1' })),
    );
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      const error = log.seen((outcome as PromiseRejectedResult).reason);
      expect(error).toMatchObject({ name: 'B24Error', code: 'invalid_grant', kind: 'auth', status: 400 });
    }
    // 10 rejected calls + one refused refresh (400); no retry, no second refresh.
    expect(statusDelta(before)).toEqual({ 401: 10, 400: 1 });
    // The refusal sticks: a later call fails the same way without asking the token endpoint again.
    expect(await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
      code: 'invalid_grant',
    });
    expect(statusDelta(before)).toEqual({ 401: 11, 400: 1 });
    await t.close();
  });

  // The README lists the token endpoint's own codes (reference §5); only invalid_grant and invalid_client were tested,
  // so dropping any other from the list (a 400 `invalid_request` read as a plain `input` error, forgotten and asked
  // again on every expired call) went unnoticed.
  it.each([
    ['invalid_request', 400],
    ['invalid_scope', 400],
    ['insufficient_scope', 403],
    ['bad_verification_code', 400],
    ['PAYMENT_REQUIRED', 402],
  ] as const)(
    'takes the token endpoint refusing with %s (HTTP %i) as an auth error, and does not refresh again',
    async (code, status) => {
      const { t, refreshes } = refreshCounted();
      const before = emu.stats().oauthRequests;
      emu.addFault({ method: 'oauth.token', status, error: code, times: 1 });
      expect(await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
        code,
        kind: 'auth',
        status,
      });
      // Remembered: the next call fails the same way without asking the token endpoint again (for a while only, for
      // PAYMENT_REQUIRED, the scopes and invalid_request: below).
      expect(await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
        code,
        kind: 'auth',
      });
      expect(emu.stats().oauthRequests - before).toBe(1);
      expect(refreshes()).toBe(0);
      await t.close();
    },
  );

  // A lapsed subscription or a scope taken away is the portal's state, which its admin changes (reference §5): a
  // long-running bot used to fail every expired call for good after one such refusal, until it was restarted.
  // `invalid_request` too: nothing in the reply tells a proxy's own `{"error":"invalid_request"}` 400 (a transient
  // fault in front of the token endpoint) from the token endpoint's, and one such blip cost the session for good.
  it.each([
    ['PAYMENT_REQUIRED', 402],
    ['insufficient_scope', 403],
    ['invalid_scope', 400],
    ['invalid_request', 400],
  ] as const)(
    'asks the token endpoint again 5 minutes after it refused with %s (HTTP %i), and no sooner',
    async (code, status) => {
      /** The remembered refusal's span (README): 5 minutes. */
      const memoryMs = 5 * 60_000;
      vi.useFakeTimers({ toFake: ['Date'] });
      try {
        const { t, refreshes } = refreshCounted();
        const call = () => t.call('im.dialog.writing', { DIALOG_ID: 'chat1' });
        const before = emu.stats().oauthRequests;
        emu.addFault({ method: 'oauth.token', status, error: code, times: 2 });
        expect(await log.rejection(call())).toMatchObject({ code, kind: 'auth', status });
        vi.advanceTimersByTime(memoryMs - 1);
        expect(await log.rejection(call())).toMatchObject({ code, kind: 'auth' });
        expect(emu.stats().oauthRequests - before).toBe(1);
        // Still refused when asked again: remembered for another 5 minutes, not asked on every call.
        vi.advanceTimersByTime(1);
        expect(await log.rejection(call())).toMatchObject({ code, kind: 'auth', status });
        expect(emu.stats().oauthRequests - before).toBe(2);
        vi.advanceTimersByTime(memoryMs - 1);
        expect(await log.rejection(call())).toMatchObject({ code, kind: 'auth' });
        expect(emu.stats().oauthRequests - before).toBe(2);
        // Paid for, or the scope given back: the next refresh works, and so do the calls.
        vi.advanceTimersByTime(1);
        await expect(call()).resolves.toBe(true);
        await expect(call()).resolves.toBe(true);
        expect(emu.stats().oauthRequests - before).toBe(3);
        expect(refreshes()).toBe(1);
        await t.close();
      } finally {
        vi.useRealTimers();
        emu.clearFaults(); // what a failed run left, so it fails alone
      }
    },
  );

  it('does not stretch a remembered PAYMENT_REQUIRED when the clock is set back', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const { t, refreshes } = refreshCounted();
      emu.addFault({ method: 'oauth.token', status: 402, error: 'PAYMENT_REQUIRED', times: 1 });
      expect(await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
        code: 'PAYMENT_REQUIRED',
      });
      vi.setSystemTime(Date.now() - 3_600_000); // NTP, or a VM resumed: an hour back
      await expect(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
      expect(refreshes()).toBe(1);
      await t.close();
    } finally {
      vi.useRealTimers();
      emu.clearFaults();
    }
  });

  it.each([
    ['invalid_grant', { refreshToken: 'revoked-refresh-token' }],
    ['invalid_client', { clientSecret: 'definitely-wrong-secret' }],
  ] as const)('keeps the refusal %s (a verdict on the refresh token or the client) for good', async (code, wrong) => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      secrets.add('definitely-wrong-secret');
      const t = oauth(expiredTokens(), undefined, wrong);
      const before = emu.stats().oauthRequests;
      expect(await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
        code,
        kind: 'auth',
      });
      vi.advanceTimersByTime(24 * 3_600_000);
      expect(await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({ code });
      expect(emu.stats().oauthRequests - before).toBe(1);
      await t.close();
    } finally {
      vi.useRealTimers();
      emu.clearFaults();
    }
  });

  it('keeps a transient token-endpoint failure transient: the next call refreshes again', async () => {
    const { t, refreshes } = refreshCounted();
    // A gateway page in front of the token endpoint, once.
    emu.addFault({
      method: 'oauth.token',
      status: 502,
      body: '<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>',
      contentType: 'text/html',
      times: 1,
    });
    expect(await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
      code: 'ERROR_UNEXPECTED_ANSWER',
      kind: 'server',
      status: 502,
    });
    // A dropped connection and a cut JSON reply of the token endpoint are just as transient.
    emu.addFault({ method: 'oauth.token', reset: true, times: 1 });
    expect(await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
      kind: 'network',
    });
    emu.addFault({ method: 'oauth.token', status: 503, body: '{"error":"temporarily_unav', times: 1 });
    expect(await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
      code: 'ERROR_UNEXPECTED_ANSWER',
      kind: 'server',
      status: 503,
    });
    await expect(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
    expect(refreshes()).toBe(1);
    await t.close();
  });

  // Neither is a verdict on the refresh token, so the next call asks again:
  // - a WAF's block page, a proxy's own login (HTML);
  // - a gateway's JSON with an `error` of its own (Spring's default error body, say). The token endpoint refuses with
  //   invalid_grant, invalid_client, invalid_request … (reference §5); that JSON was taken as a refusal of the refresh
  //   token: kind `auth` (which ends botEvents), and every later expired call failed with it.
  it.each([
    {
      what: "a proxy's page",
      statuses: [403, 401, 404] as const,
      code: 'ERROR_UNEXPECTED_ANSWER',
      contentType: 'text/html',
      body: (status: number) => `<html><head><title>${status}</title></head><body>nginx</body></html>`,
    },
    {
      what: "a proxy's JSON refusal (no OAuth error code)",
      statuses: [403, 401] as const,
      code: 'Forbidden',
      contentType: 'application/json',
      body: (status: number) =>
        JSON.stringify({ timestamp: '2026-11-22T00:00:00Z', status, error: 'Forbidden', path: '/oauth/token/' }),
    },
    {
      what: "an API gateway's JSON whose error is an object, not a code",
      statuses: [403, 401, 404] as const,
      code: 'ERROR_UNEXPECTED_ANSWER',
      contentType: 'application/json',
      body: (status: number) => JSON.stringify({ error: { code: status, message: 'Access denied by policy' } }),
    },
  ])(
    'gives $what in front of the token endpoint the kind its status gives, and forgets it',
    async ({ statuses, code, contentType, body }) => {
      const { t, refreshes } = refreshCounted();
      const kinds = { 403: 'access', 401: 'auth', 404: 'input' } as const;
      for (const status of statuses) {
        emu.addFault({ method: 'oauth.token', status, body: body(status), contentType, times: 1 });
        expect(await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' })), `${status}`).toMatchObject({
          code,
          kind: kinds[status],
          status,
        });
      }
      await expect(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
      expect(refreshes()).toBe(1);
      await t.close();
    },
  );

  it('close() called again returns the same promise, and calls after it are refused', async () => {
    await expectClosesOnce(oauth(emu.fixtures.oauth), log);
  });

  it('reports a wrong client secret as an auth error without showing the secret', async () => {
    const tokens = expiredTokens();
    secrets.add('definitely-wrong-secret');
    const t = createOAuthTransport({
      clientEndpoint: emu.restUrl,
      oauthEndpoint: emu.oauthUrl,
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      clientId: emu.fixtures.app.clientId,
      clientSecret: 'definitely-wrong-secret',
    });
    expect(await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
      code: 'invalid_client',
      kind: 'auth',
    });
    await t.close();
  });

  it('does not refresh on auth errors a refresh cannot fix', async () => {
    const t = oauth({ accessToken: 'never-issued-token', refreshToken: emu.issueToken(1).refreshToken });
    const before = emu.stats().requests;
    expect(await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
      code: 'NO_AUTH_FOUND',
      kind: 'auth',
    });
    expect(emu.stats().requests - before).toBe(1);
    await t.close();
  });

  it('maps the other portal errors under OAuth too', async () => {
    const t = oauth(emu.fixtures.oauth);
    expect(await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'x' }))).toMatchObject({ kind: 'input' });
    expect(
      await log.rejection(
        t.call('imbot.v2.Chat.InputAction.notify', { botId: emu.fixtures.bots.agent.id, dialogId: 'chat1' }),
      ),
    ).toMatchObject({ code: 'BOT_OWNERSHIP_ERROR', kind: 'access' });
    emu.addFault({ status: 503, error: 'QUERY_LIMIT_EXCEEDED', times: 1 });
    expect(await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({ kind: 'rate' });
    await t.close();
  });

  it('lets one caller abort while it waits for a shared refresh, without disturbing the others', async () => {
    const tokens = expiredTokens();
    const t = oauth(tokens, (next) => {
      secrets.add(next.accessToken).add(next.refreshToken);
    });
    const controller = new AbortController();
    const aborted = t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }, { signal: controller.signal });
    const other = t.call('im.dialog.writing', { DIALOG_ID: 'chat1' });
    controller.abort();
    expect(await log.rejection(aborted)).toMatchObject({ code: 'ABORTED' });
    await expect(other).resolves.toBe(true);
    await t.close();
  });

  it('asks for a refresh again after one that handed back the expired token', async () => {
    const stale = expiredTokens();
    // A token endpoint (or a cache in front of it) that answers with the token that has just expired, and a
    // working refresh token.
    const next = emu.issueToken(1);
    secrets.add(next.accessToken).add(next.refreshToken);
    emu.addFault({
      method: 'oauth.token',
      body: JSON.stringify({ access_token: stale.accessToken, refresh_token: next.refreshToken, expires_in: 3600 }),
      times: 1,
    });
    const t = oauth(stale, (tokens) => {
      secrets.add(tokens.accessToken).add(tokens.refreshToken);
    });
    const refreshesBefore = emu.stats().oauthRequests;
    expect(await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
      code: 'expired_token',
      kind: 'auth',
    });
    await expect(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
    expect(emu.stats().oauthRequests - refreshesBefore).toBe(2);
    await t.close();
  });

  it('cuts the access token, also a refreshed one, out of a call error and a batch command error quoting it', async () => {
    let current = expiredTokens().accessToken;
    const t = oauth({ accessToken: current, refreshToken: emu.issueToken(1).refreshToken }, (tokens) => {
      current = tokens.accessToken;
      secrets.add(tokens.accessToken).add(tokens.refreshToken);
    });
    await t.call('im.dialog.writing', { DIALOG_ID: 'chat2' }); // refreshes: `current` is now the new token
    const quoting = () => ({ status: 400, error: 'ERROR_ARGUMENT', description: `auth=${current} is not valid here` });
    emu.addFault({ method: 'im.dialog.writing', ...quoting(), times: 2 });
    const single = await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }));
    const [command] = await t.batch([{ method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } }]);
    const commandError = log.seen((command as { error: unknown }).error);
    for (const error of [single, commandError]) {
      expect(error).toMatchObject({ code: 'ERROR_ARGUMENT', message: 'ERROR_ARGUMENT: auth=*** is not valid here' });
    }
    await t.close();
  });

  it('cuts the access token it was made with out of an error quoting it, before any refresh', async () => {
    const tokens = emu.issueToken(1);
    const t = oauth(tokens);
    emu.addFault({
      method: 'im.dialog.writing',
      status: 400,
      error: 'ERROR_ARGUMENT',
      description: `auth=${tokens.accessToken} is not valid here`,
      times: 1,
    });
    expect(await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
      code: 'ERROR_ARGUMENT',
      message: 'ERROR_ARGUMENT: auth=*** is not valid here',
    });
    await t.close();
  });

  it('maps a refused refresh quoting the refresh token and client secret to an auth error with neither in it', async () => {
    const tokens = expiredTokens();
    const { clientSecret } = emu.fixtures.app;
    emu.addFault({
      method: 'oauth.token',
      status: 400,
      error: 'invalid_grant',
      description: `refresh_token=${tokens.refreshToken}&client_secret=${clientSecret} revoked`,
      times: 1,
    });
    const t = oauth(tokens);
    const error = await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }));
    expect(error).toMatchObject({ code: 'invalid_grant', kind: 'auth', status: 400 });
    expect(error.message).toBe('token refresh failed: invalid_grant: refresh_token=***&client_secret=*** revoked');
    // Remembered and thrown again for a later call, and again without either secret (the closing test greps all).
    expect(await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
      message: error.message,
    });
    await t.close();
  });

  it('scrubs a client secret from a token endpoint error quoting the form-encoded refresh request', async () => {
    // The refresh goes as a form, which encodes a space as `+` and `(` `)` `!` `'` as `%28` …, unlike
    // encodeURIComponent: an error text quoting the request carries the secret in that form.
    const echo = await startEchoServer();
    const clientSecret = "echoed secret*(6)!'";
    secrets.add(clientSecret).add('echoed+secret');
    const t = oauth(expiredTokens(), undefined, { oauthEndpoint: `${echo.url}/oauth/token/`, clientSecret });
    const error = await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }));
    expect(error).toMatchObject({ code: 'ERROR_ARGUMENT', status: 400 });
    expect(String(error.message)).toContain('client_secret=***&');
    expect(JSON.stringify(error)).not.toContain('echoed');
    await t.close();
    await echo.close();
  });

  it("keeps a refresh request sent back as the reply out of the error's cause: client secret, refresh token", async () => {
    // A token endpoint that mirrors the request is no HTTP server: undici's parse error, the cause of the transient
    // failure every waiting call gets, carried the whole refresh form as its `data`.
    const mirror = await startMirrorServer();
    const tokens = expiredTokens();
    const t = oauth(tokens, undefined, { oauthEndpoint: `${mirror.url}/oauth/token/` });
    const error = await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }));
    expect(error).toMatchObject({ code: 'NETWORK_ERROR', kind: 'network' });
    expect(error.cause).toMatchObject({ name: 'HTTPParserError' });
    const printed = inspect(error, { depth: 10, showHidden: true });
    for (const secret of [emu.fixtures.app.clientSecret, tokens.refreshToken]) expect(printed).not.toContain(secret);
    await t.close();
    await mirror.close();
  });

  it('stops waiting for a hanging token endpoint at once on abort, leaving no listener on the signal', async () => {
    const t = oauth(expiredTokens(), undefined, { headersTimeoutMs: 200 });
    emu.addFault({ method: 'oauth.token', hang: true, times: 1 });
    const controller = new AbortController();
    const refreshesBefore = emu.stats().oauthRequests;
    const aborted = t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }, { signal: controller.signal });
    const other = t.call('im.dialog.writing', { DIALOG_ID: 'chat1' });
    await vi.waitFor(() => expect(emu.stats().oauthRequests).toBe(refreshesBefore + 1));
    controller.abort();
    expect(await log.rejection(aborted)).toMatchObject({ code: 'ABORTED', kind: 'network' });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    // The refresh itself goes on for the others (it may rotate the refresh token), until its own timeout here.
    expect(await log.rejection(other)).toMatchObject({ code: 'TIMEOUT', kind: 'timeout' });
    await t.close();
  });

  it('times out a token reply whose body stalls halfway, as a transient timeout', async () => {
    const t = oauth(expiredTokens(), undefined, { bodyTimeoutMs: 150 });
    emu.addFault({ method: 'oauth.token', stallBody: true, times: 1 });
    expect(await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
      code: 'TIMEOUT',
      kind: 'timeout',
      status: 200,
    });
    await t.close();
  });

  it('leaves no unhandled rejection when the call that started a failing refresh stopped waiting for it', async () => {
    // The gap to hit: the expired reply has been read (undici no longer heeds the abort) but the call has not begun
    // to wait for the refresh it is about to start, so it starts that refresh already aborted and nobody waits for
    // it. An abort there used to leave the refresh with no one to take its failure. undici reports a complete reply
    // on this channel; the abort follows it after `turns` alternating turns of the tick and microtask queues, then
    // `microtasks` more microtasks. Whole turns alone step over the gap (0, 1, 2 … of them never landed in it, so the
    // catch this test is named for went untested), so the sweep goes microtask by microtask until a call lands in it:
    // aborted before its refresh request was made, and the refresh made all the same.
    const path = (message: unknown) => (message as { request: { path: string } }).request.path;
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    let gapHit = false;
    try {
      sweep: for (let turns = 0; turns < 8; turns++) {
        for (let microtasks = 0; microtasks < 12; microtasks++) {
          const t = oauth(expiredTokens());
          emu.addFault({ method: 'oauth.token', status: 400, error: 'invalid_grant', times: 1 });
          const controller = new AbortController();
          const order: string[] = [];
          const abortAfter = (n: number, m: number): void => {
            if (n % 2 === 1) process.nextTick(abortAfter, n - 1, m);
            else if (n > 0 || m > 0) queueMicrotask(() => (n > 0 ? abortAfter(n - 1, m) : abortAfter(0, m - 1)));
            else {
              order.push('abort');
              controller.abort();
            }
          };
          const onReply = (message: unknown) => {
            if (path(message).startsWith('/rest/')) abortAfter(turns, microtasks);
          };
          const onRequest = (message: unknown) => {
            if (path(message).startsWith('/oauth/')) order.push('refresh');
          };
          subscribe('undici:request:trailers', onReply);
          subscribe('undici:request:create', onRequest);
          try {
            const call = t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }, { signal: controller.signal });
            expect(await log.rejection(call)).toMatchObject({ code: 'ABORTED' });
          } finally {
            unsubscribe('undici:request:trailers', onReply);
            unsubscribe('undici:request:create', onRequest);
          }
          await t.close(); // waits for a refresh still in flight
          await new Promise((resolve) => setImmediate(resolve));
          emu.clearFaults();
          if (order.join() === 'abort,refresh') {
            gapHit = true;
            break sweep;
          }
        }
      }
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(gapHit).toBe(true);
    expect(unhandled).toEqual([]);
  });

  describe('timeoutMs', () => {
    /**
     * Only the timers a call could leave behind, and `Date`: setImmediate and the monotonic clocks stay real, so
     * sockets still work. Date too, because a deadline is taken from the clock more than once (a renewal's, then its
     * refresh's share of it): a real clock that ticks a millisecond between two readings would set a timer a
     * millisecond short of the faked time the test advances, now and then, on a loaded machine.
     */
    const fakeTimers = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    beforeAll(async () => {
      // A call on real timers first, so undici's shared tick timer is a real one (see createWebhookTransport.test).
      const warm = oauth(emu.fixtures.oauth);
      await warm.call('im.dialog.writing', { DIALOG_ID: 'chat1' });
      await warm.close();
    });
    afterEach(() => {
      vi.useRealTimers();
      emu.clearFaults();
    });

    it('runs one deadline across the expired call, the refresh and the retry', async () => {
      const t = oauth(expiredTokens()); // timeoutMs: the default 15 s
      // The token endpoint takes 10 s (on the faked clock); the retry then hangs. The hang is added when the expired
      // reply arrives, so it cannot catch the first request.
      emu.addFault({ method: 'oauth.token', latencyMs: 10_000, times: 1 });
      const onHeaders = (message: unknown) => {
        if ((message as { request: { path: string } }).request.path.startsWith('/rest/')) {
          unsubscribe('undici:request:headers', onHeaders);
          emu.addFault({ method: 'im.dialog.writing', hang: true, times: 1 });
        }
      };
      subscribe('undici:request:headers', onHeaders);
      fakeTimers();
      const before = emu.stats().requests;
      const call = log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }));
      let settled = false;
      call.then(() => (settled = true));
      await until(() => emu.stats().requests === before + 2); // the expired call, the refresh
      await vi.advanceTimersByTimeAsync(10_000);
      await until(() => emu.stats().requests === before + 3); // the retry, with the new token
      expect(emu.stats().faultsHit).toBeGreaterThanOrEqual(2);
      await vi.advanceTimersByTimeAsync(4_999);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(await call).toMatchObject({ code: 'TIMEOUT', kind: 'timeout', message: 'no answer within 15000 ms' });
      await t.close(); // undici's keep-alive timers for the idle sockets go with it; ours must be gone already
      expect(vi.getTimerCount()).toBe(0);
    });

    it('bounds a refresh nobody waits for any more by timeoutMs too: transient, and a graceful close() is not held', async () => {
      const t = oauth(expiredTokens(), undefined, { timeoutMs: 3_000 });
      /** A call that starts a refresh on a hanging token endpoint and is aborted while it waits. */
      const abandonRefresh = async () => {
        emu.addFault({ method: 'oauth.token', hang: true, times: 1 });
        const refreshesBefore = emu.stats().oauthRequests;
        const controller = new AbortController();
        const call = log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }, { signal: controller.signal }));
        await until(() => emu.stats().oauthRequests === refreshesBefore + 1);
        controller.abort();
        expect(await call).toMatchObject({ code: 'ABORTED', kind: 'network' });
      };

      fakeTimers();
      await abandonRefresh();
      await vi.advanceTimersByTimeAsync(3_000); // the refresh's own deadline
      expect(vi.getTimerCount()).toBe(0);
      vi.useRealTimers();
      // It failed as a timeout, not a refusal: the next call refreshes again, and it works.
      const refreshesBefore = emu.stats().oauthRequests;
      await expect(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).resolves.toBe(true);
      expect(emu.stats().oauthRequests).toBe(refreshesBefore + 1);

      clock += 3_601_000; // the new token expires too
      fakeTimers();
      await abandonRefresh();
      // The refresh goes on (it may rotate the refresh token), and close() waits for it, but only up to its deadline.
      const closing = t.close();
      let closed = false;
      closing.then(() => (closed = true));
      await vi.advanceTimersByTimeAsync(2_999);
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
      expect(closed).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await closing;
      expect(vi.getTimerCount()).toBe(0);
    });
    it('ends a refresh that starts after close() by the time close() promised, not a whole timeoutMs later', async () => {
      const t = oauth(expiredTokens()); // timeoutMs: the default 15 s
      // The expired reply takes 14 s, so the refresh starts 4 s after close(); the token endpoint never answers.
      emu.addFault({ method: 'im.dialog.writing', latencyMs: 14_000, times: 1 });
      emu.addFault({ method: 'oauth.token', hang: true, times: 1 });
      fakeTimers(); // Date too: close() promises "within timeoutMs" by the clock.
      const turns = async () => {
        for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
      };
      const before = emu.stats().requests;
      const refreshesBefore = emu.stats().oauthRequests;
      const call = log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }));
      await until(() => emu.stats().requests === before + 1);
      await vi.advanceTimersByTimeAsync(10_000);
      const closing = t.close();
      let closed = false;
      closing.then(() => (closed = true));
      await vi.advanceTimersByTimeAsync(4_000);
      await until(() => emu.stats().oauthRequests === refreshesBefore + 1);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(await call).toMatchObject({ code: 'TIMEOUT', kind: 'timeout' }); // the call's own deadline
      await vi.advanceTimersByTimeAsync(9_999);
      await turns();
      expect(closed).toBe(false); // the refresh may still rotate the tokens: close() waits for it
      await vi.advanceTimersByTimeAsync(1); // 15 s after close(): the refresh is given up
      await turns();
      expect(closed).toBe(true);
      expect(vi.getTimerCount()).toBe(0);
    });
  });

  it.each([
    ['while its first request is out', 'im.dialog.writing'],
    ['while its refresh is out', 'oauth.token'],
  ] as const)('close() lets a call in flight finish though it meets an expired token %s', async (_, slow) => {
    let saved: OAuthTokens | undefined;
    const t = oauth(expiredTokens(), (next) => {
      saved = next;
      secrets.add(next.accessToken).add(next.refreshToken);
    });
    emu.addFault({ method: slow, latencyMs: 300, times: 1 });
    const before = emu.stats().requests;
    const call = t.call('im.dialog.writing', { DIALOG_ID: 'chat1' });
    await until(() => emu.stats().requests > before + (slow === 'oauth.token' ? 1 : 0));
    const closing = t.close();
    // New calls are refused at once; the one in flight refreshes, retries and succeeds ("calls in flight finish").
    expect(await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
      code: 'CLIENT_CLOSED',
      kind: 'network',
    });
    await expect(call).resolves.toBe(true);
    expect(saved).toBeDefined(); // the rotated refresh token reached onTokens
    await closing;
    await expect(t.close()).resolves.toBeUndefined(); // a second close() (SIGINT then SIGTERM) is no error
    emu.clearFaults();
  });

  // Several workers of one bot (two processes, two transports) share one app install and one token store. Bitrix24
  // rotates the refresh token on each refresh and the token endpoint takes a refresh token once (the emulator drops
  // it when used): a worker still holding the old one was refused (invalid_grant), remembered for good, and stayed
  // dead until restarted. `loadTokens` lets it read what the store holds now.
  describe('a token store shared by several transports (loadTokens)', () => {
    /** An in-memory store: `save` is what onTokens does, `load` what loadTokens does; `hold` delays the saves. */
    function sharedStore(initial: { accessToken: string; refreshToken: string }) {
      let stored = { accessToken: initial.accessToken, refreshToken: initial.refreshToken };
      let held: OAuthTokens | undefined;
      let holding = false;
      const counts = { loads: 0, saves: 0 };
      return {
        counts,
        save: (tokens: OAuthTokens) => {
          secrets.add(tokens.accessToken).add(tokens.refreshToken);
          counts.saves++;
          if (holding) held = tokens;
          else stored = { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken };
        },
        load: () => {
          counts.loads++;
          return { ...stored };
        },
        /** From now on saves wait until `land()`: a slow database, or another process's save not there yet. */
        hold: () => {
          holding = true;
        },
        land: () => {
          holding = false;
          if (held) stored = { accessToken: held.accessToken, refreshToken: held.refreshToken };
        },
      };
    }
    /** A worker on the shared store. */
    function worker(store: ReturnType<typeof sharedStore>, tokens: { accessToken: string; refreshToken: string }) {
      return oauth(tokens, store.save, { loadTokens: store.load });
    }
    /** Two transports on one expired pair (workers of one bot), sharing a store that holds it. */
    function twoWorkers() {
      const tokens = expiredTokens();
      const store = sharedStore(tokens);
      return { store, a: worker(store, tokens), b: worker(store, tokens) };
    }
    const writing = (t: ReturnType<typeof oauth>, signal?: AbortSignal) =>
      t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }, signal ? { signal } : undefined);

    it('adopts the tokens another transport saved instead of refreshing, and shares one load among concurrent calls', async () => {
      const { store, a, b } = twoWorkers();
      const refreshesBefore = emu.stats().oauthRequests;
      await expect(writing(a)).resolves.toBe(true); // A refreshes and saves the rotated pair
      expect(emu.stats().oauthRequests - refreshesBefore).toBe(1);
      expect(store.counts.saves).toBe(1);
      const loadsBefore = store.counts.loads;
      const before = emu.stats().byStatus;
      // B's access token expired too: it takes A's pair from the store and retries, without a refresh (which would
      // spend A's refresh token, or be refused with its own spent one).
      const results = await Promise.all(Array.from({ length: 5 }, () => writing(b)));
      expect(results).toEqual([true, true, true, true, true]);
      expect(store.counts.loads - loadsBefore).toBe(1);
      expect(emu.stats().oauthRequests - refreshesBefore).toBe(1);
      expect(store.counts.saves).toBe(1); // adopted tokens are no news to the store
      expect(statusDelta(before)).toEqual({ 401: 5, 200: 5 });
      // Later calls of B use the adopted token directly, and both go on when it expires in turn.
      await expect(writing(b)).resolves.toBe(true);
      expect(statusDelta(before)).toEqual({ 401: 5, 200: 6 });
      clock += 3_601_000;
      await expect(writing(b)).resolves.toBe(true); // B refreshes this time, and saves
      await expect(writing(a)).resolves.toBe(true); // A adopts B's pair
      expect(emu.stats().oauthRequests - refreshesBefore).toBe(2);
      expect(store.counts.saves).toBe(2);
      await a.close();
      await b.close();
    });

    it('heals the transport that lost the race when both refresh the same expired pair at once', async () => {
      const { store, a, b } = twoWorkers();
      // The first refresh to arrive waits 10 s (virtual) before the token endpoint reads it: the other one spends
      // the shared refresh token first, so the delayed one is refused (invalid_grant), by then after the winner saved.
      emu.addFault({ method: 'oauth.token', latencyMs: 10_000, times: 1 });
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      try {
        const before = emu.stats().byStatus;
        const refreshesBefore = emu.stats().oauthRequests;
        const calls = Promise.allSettled([writing(a), writing(a), writing(b), writing(b)]);
        await until(() => emu.stats().oauthRequests === refreshesBefore + 2);
        await until(() => store.counts.saves === 1); // the winner's save landed
        await vi.advanceTimersByTimeAsync(10_000);
        const outcomes = await calls;
        expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
        // Both refreshed, one was refused; the loser took the winner's saved pair from the store and retried.
        expect(emu.stats().oauthRequests - refreshesBefore).toBe(2);
        expect(statusDelta(before)).toEqual({ 401: 4, 400: 1, 200: 5 });
        expect(store.counts.saves).toBe(1);
        vi.useRealTimers();
        await expect(writing(a)).resolves.toBe(true);
        await expect(writing(b)).resolves.toBe(true);
        expect(emu.stats().oauthRequests - refreshesBefore).toBe(2);
      } finally {
        vi.useRealTimers();
        emu.clearFaults();
        await a.close();
        await b.close();
      }
    });

    it('fails at once after an invalid_grant while the store holds the refused token, and heals when the save lands', async () => {
      const { store, a, b } = twoWorkers();
      store.hold(); // A's save is slow
      const refreshesBefore = emu.stats().oauthRequests;
      await expect(writing(a)).resolves.toBe(true);
      // B finds its own pair in the store, refreshes with the refresh token A spent, and is refused.
      expect(await log.rejection(writing(b))).toMatchObject({ code: 'invalid_grant', kind: 'auth', status: 400 });
      expect(emu.stats().oauthRequests - refreshesBefore).toBe(2);
      // Still the refused token in the store: refused at once, the token endpoint not asked again.
      expect(await log.rejection(writing(b))).toMatchObject({ code: 'invalid_grant', kind: 'auth' });
      expect(emu.stats().oauthRequests - refreshesBefore).toBe(2);
      store.land();
      // A's pair is in the store now: B takes it and works again, without a restart and without a refresh.
      await expect(writing(b)).resolves.toBe(true);
      await expect(writing(b)).resolves.toBe(true);
      expect(emu.stats().oauthRequests - refreshesBefore).toBe(2);
      await a.close();
      await b.close();
    });

    // A refresh token counts as spent once its refresh is started, reached the token endpoint or not (a connection cut
    // before it read the request). That costs nothing: the transport still holds it, and the store's pair holding it
    // is its own pair then, so the next expired call refreshes with it again.
    it('refreshes again with a refresh token whose refresh never reached the token endpoint, the store holding it', async () => {
      const tokens = expiredTokens();
      const store = sharedStore(tokens);
      const t = worker(store, tokens);
      emu.addFault({ method: 'oauth.token', reset: true, times: 1 });
      const refreshesBefore = emu.stats().oauthRequests;
      expect(await log.rejection(writing(t))).toMatchObject({ kind: 'network' });
      await expect(writing(t)).resolves.toBe(true);
      expect(emu.stats().oauthRequests - refreshesBefore).toBe(2);
      expect(store.counts.saves).toBe(1);
      await t.close();
    });

    it('keeps its own newer tokens when the store is behind it (its own save failed)', async () => {
      const tokens = expiredTokens();
      const store = sharedStore(tokens);
      store.hold(); // the save never lands
      const t = worker(store, tokens);
      const refreshesBefore = emu.stats().oauthRequests;
      await expect(writing(t)).resolves.toBe(true);
      clock += 3_601_000;
      // The store still holds the pair this transport refreshed away from: adopting it would retry with a dead
      // access token and then refresh with a spent refresh token. It refreshes with its own instead.
      await expect(writing(t)).resolves.toBe(true);
      await expect(writing(t)).resolves.toBe(true);
      expect(emu.stats().oauthRequests - refreshesBefore).toBe(2);
      await t.close();
    });

    const answers: [what: string, load: () => unknown][] = [
      [
        'throws',
        () => {
          throw new Error('database down');
        },
      ],
      ['rejects', () => Promise.reject(new Error('database down'))],
      ['returns undefined', () => undefined],
      ['returns no tokens', () => ({ accessToken: 42, refreshToken: '' })],
      ['returns null', () => null],
      [
        'returns an object whose getter throws',
        () => ({
          get accessToken(): string {
            throw new Error('boom');
          },
          refreshToken: 'x',
        }),
      ],
    ];
    it.each(answers)('refreshes with its own tokens when loadTokens %s', async (_, load) => {
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      try {
        let loads = 0;
        let refreshes = 0;
        const t = oauth(
          expiredTokens(),
          (next) => {
            refreshes++;
            secrets.add(next.accessToken).add(next.refreshToken);
          },
          {
            loadTokens: (() => {
              loads++;
              return load();
            }) as OAuthTransportOptions['loadTokens'],
          },
        );
        await expect(writing(t)).resolves.toBe(true);
        expect(loads).toBe(1);
        expect(refreshes).toBe(1);
        await t.close();
        await new Promise((resolve) => setImmediate(resolve));
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
      expect(unhandled).toEqual([]);
    });

    it('bounds a loadTokens that never settles by the deadline, and asks the token endpoint nothing then', async () => {
      let hang = true;
      let loads = 0;
      const t = oauth(
        expiredTokens(),
        (next) => {
          secrets.add(next.accessToken).add(next.refreshToken);
        },
        {
          timeoutMs: 3_000,
          loadTokens: () => {
            loads++;
            return hang ? new Promise<never>(() => {}) : undefined;
          },
        },
      );
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      try {
        const refreshesBefore = emu.stats().oauthRequests;
        const call = log.rejection(writing(t));
        await until(() => loads === 1);
        await vi.advanceTimersByTimeAsync(3_000);
        expect(await call).toMatchObject({ code: 'TIMEOUT', kind: 'timeout' });
        // Not started with no time left (it could rotate the refresh token and lose the reply): the next call does.
        expect(emu.stats().oauthRequests).toBe(refreshesBefore);
        expect(vi.getTimerCount()).toBe(0);
        vi.useRealTimers();
        hang = false;
        await expect(writing(t)).resolves.toBe(true);
        expect(emu.stats().oauthRequests).toBe(refreshesBefore + 1);
      } finally {
        vi.useRealTimers();
        await t.close();
      }
    });

    // A CLI that closes expects to exit: a wait for the store that nobody is left for must not keep its timer (up to
    // timeoutMs) running after close() resolved, and must not go on to a refresh after it.
    it.each([
      ['every caller aborted before close()', true],
      ['close() called while its caller waits, ending with that call', false],
    ] as const)('ends a loadTokens wait nobody is left for when close() resolves: %s', async (_, abort) => {
      let loads = 0;
      const t = oauth(expiredTokens(), undefined, {
        timeoutMs: 3_000,
        loadTokens: () => {
          loads++;
          return new Promise<never>(() => {});
        },
      });
      // A call on real timers first, so undici's shared tick timer is a real one (see createWebhookTransport.test).
      const warm = oauth(emu.issueToken(1));
      await writing(warm);
      await warm.close();
      // The expired reply takes 1 s: the wait for the store starts then, and would run 1 s past the call's deadline.
      emu.addFault({ method: 'im.dialog.writing', latencyMs: 1_000, times: 1 });
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      try {
        const before = emu.stats().requests;
        const refreshesBefore = emu.stats().oauthRequests;
        const controller = new AbortController();
        const call = log.rejection(writing(t, controller.signal));
        const closing = abort ? undefined : t.close();
        await until(() => emu.stats().requests === before + 1);
        await vi.advanceTimersByTimeAsync(1_000);
        await until(() => loads === 1);
        if (abort) {
          controller.abort();
          expect(await call).toMatchObject({ code: 'ABORTED', kind: 'network' });
          await t.close();
        } else {
          await vi.advanceTimersByTimeAsync(2_000); // the call's own deadline
          expect(await call).toMatchObject({ code: 'TIMEOUT', kind: 'timeout' });
          await closing;
        }
        expect(vi.getTimerCount()).toBe(0);
        for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
        expect(emu.stats().oauthRequests).toBe(refreshesBefore); // nor a refresh after close()
        expect(loads).toBe(1);
      } finally {
        vi.useRealTimers();
        emu.clearFaults();
        await t.close();
      }
    });

    it('follows the portal a stored pair names (a saved OAuthTokens as is), as it follows a refresh reply', async () => {
      // A refreshed, the reply moved the portal (a new domain), and A saved the whole OAuthTokens, clientEndpoint too.
      const moved = await movedPortal();
      try {
        const tokens = expiredTokens();
        let stored: StoredTokens = tokens;
        const a = oauth(tokens, (saved) => {
          stored = saved;
        });
        const b = oauth(tokens, undefined, { loadTokens: () => stored });
        await expect(writing(a)).resolves.toBe(true);
        const calls = () => moved.timeline().filter((e) => e.kind === 'call').length;
        expect(calls()).toBe(1);
        // B takes A's pair and goes where it is valid: the old portal does not know the new token.
        await expect(writing(b)).resolves.toBe(true);
        await expect(writing(b)).resolves.toBe(true);
        expect(calls()).toBe(3);
        expect(String(b)).toBe(`OAuthTransport(${new URL(moved.restUrl).origin})`);
        await a.close();
        await b.close();
      } finally {
        await moved.close();
      }
    });

    it('ignores a stored clientEndpoint the constructor would refuse, and still adopts the pair', async () => {
      for (const clientEndpoint of ['http://portal.example.com/rest/', `${emu.restUrl}?x=1`, 'not a url', 42]) {
        const stored = emu.issueToken(1);
        secrets.add(stored.accessToken).add(stored.refreshToken);
        const t = oauth(expiredTokens(), undefined, {
          loadTokens: () => ({ ...stored, clientEndpoint }) as StoredTokens,
        });
        const refreshesBefore = emu.stats().oauthRequests;
        await expect(writing(t), String(clientEndpoint)).resolves.toBe(true);
        expect(emu.stats().oauthRequests).toBe(refreshesBefore); // adopted, not refreshed
        expect(String(t)).toBe(`OAuthTransport(${new URL(emu.restUrl).origin})`);
        await t.close();
      }
    });

    it('refreshes where a stored serverEndpoint points, as after a refresh reply naming it', async () => {
      const authority = await startEmulator({ plan: 'off', now: () => clock, seed: 3 });
      try {
        // The store's pair (valid for 10 s) was saved by a worker whose refresh reply named another authorization
        // server (an RU-region portal's oauth.bitrix24.tech); the pair's refresh token is good only there.
        const pair = emu.issueToken(1, { ttlSec: 10 });
        secrets.add(pair.accessToken).add(pair.refreshToken);
        const t = createOAuthTransport({
          clientEndpoint: emu.restUrl,
          serverEndpoint: emu.restUrl,
          ...expiredTokens(),
          clientId: emu.fixtures.app.clientId,
          clientSecret: emu.fixtures.app.clientSecret,
          onTokens: (next) => {
            secrets.add(next.accessToken).add(next.refreshToken);
          },
          loadTokens: () => ({ ...pair, serverEndpoint: authority.restUrl }),
        });
        const before = emu.stats().oauthRequests;
        await expect(writing(t)).resolves.toBe(true); // adopted
        clock += 20_000;
        const next = emu.issueToken(1);
        secrets.add(next.accessToken).add(next.refreshToken);
        refreshReply({ access_token: next.accessToken, refresh_token: next.refreshToken }, authority);
        await expect(writing(t)).resolves.toBe(true); // the store's pair is no news: refreshed, at the authority
        expect(authority.stats().oauthRequests).toBe(1);
        expect(emu.stats().oauthRequests).toBe(before);
        await t.close();
      } finally {
        await authority.close();
      }
    });

    it('refreshes within the same call when the pair it adopted has expired too (its worker died long ago)', async () => {
      const dead = emu.issueToken(1, { ttlSec: 1 }); // saved an hour ago by a worker that is gone
      secrets.add(dead.accessToken).add(dead.refreshToken);
      const store = sharedStore(dead);
      const t = worker(store, expiredTokens());
      const before = emu.stats().byStatus;
      const refreshesBefore = emu.stats().oauthRequests;
      // Adopted, retried, expired again: refreshed with the stored refresh token, retried once more, and it works.
      await expect(writing(t)).resolves.toBe(true);
      expect(store.counts.loads).toBe(1);
      expect(emu.stats().oauthRequests - refreshesBefore).toBe(1);
      expect(store.counts.saves).toBe(1);
      expect(statusDelta(before)).toEqual({ 401: 2, 200: 2 });
      await expect(writing(t)).resolves.toBe(true);
      expect(statusDelta(before)).toEqual({ 401: 2, 200: 3 });
      await t.close();
    });

    it('gives up on a call after one adoption and one refresh when both hand out dead tokens, and does not loop', async () => {
      let loads = 0;
      const t = oauth(
        expiredTokens(),
        (next) => {
          secrets.add(next.accessToken).add(next.refreshToken);
        },
        {
          // Each answer a pair other than the one held, and dead: adopting it again and again would never end.
          loadTokens: () => {
            loads++;
            const pair = emu.issueToken(1, { ttlSec: 1 });
            clock += 2_000;
            secrets.add(pair.accessToken).add(pair.refreshToken);
            return pair;
          },
        },
      );
      const stale = emu.issueToken(1, { ttlSec: 1 });
      secrets.add(stale.accessToken).add(stale.refreshToken);
      refreshReply({ access_token: stale.accessToken, refresh_token: stale.refreshToken }); // dead on arrival too
      const before = emu.stats().byStatus;
      const refreshesBefore = emu.stats().oauthRequests;
      try {
        expect(await log.rejection(writing(t))).toMatchObject({ code: 'expired_token' });
        expect(emu.stats().oauthRequests - refreshesBefore).toBe(1);
        expect(loads).toBe(1);
        expect(statusDelta(before)).toEqual({ 401: 3, 200: 1 });
      } finally {
        emu.clearFaults();
        await t.close();
      }
    });

    it('cuts the tokens it loaded out of an error quoting them', async () => {
      const stored = emu.issueToken(1);
      secrets.add(stored.accessToken).add(stored.refreshToken);
      const t = oauth(expiredTokens(), undefined, {
        loadTokens: () => ({ accessToken: stored.accessToken, refreshToken: stored.refreshToken }),
      });
      await expect(writing(t)).resolves.toBe(true); // adopted, no refresh
      emu.addFault({
        method: 'im.dialog.writing',
        status: 400,
        error: 'ERROR_ARGUMENT',
        description: `auth=${stored.accessToken} refresh=${stored.refreshToken}`,
        times: 1,
      });
      expect(await log.rejection(writing(t))).toMatchObject({
        code: 'ERROR_ARGUMENT',
        message: 'ERROR_ARGUMENT: auth=*** refresh=***',
      });
      await t.close();
    });
  });

  it('gives each later call its own error for a remembered refusal, with the same fields', async () => {
    const t = oauth({ accessToken: expiredTokens().accessToken, refreshToken: 'revoked-refresh-token' });
    const first = await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }));
    const second = await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }));
    const third = await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }));
    expect(second).not.toBe(first);
    expect(third).not.toBe(second);
    const fields = (e: Record<string, unknown>) => ({
      name: e.name,
      code: e.code,
      kind: e.kind,
      status: e.status,
      message: e.message,
      json: JSON.stringify(e),
    });
    expect(fields(second)).toEqual(fields(first));
    expect(fields(third)).toEqual(fields(first));
    expect(second).toBeInstanceOf(B24Error);
    // One caller changing its error changes nothing for the others.
    (second as { message: string }).message = 'changed by a caller';
    expect(third.message).toBe(first.message);
    await t.close();
  });

  it('never shows a token or the client secret in any error it produced', () => {
    expect(log.expectNoSecrets([...secrets])).toBeGreaterThanOrEqual(15);
  });
});
