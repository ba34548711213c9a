import { B24Error } from '@b24-typing/core';
import { checkEndpoint } from './checkEndpoint';
import { createHttpClient } from './createHttpClient';
import { createRedactor, ROTATED_KEPT, type Redactor } from './createRedactor';
import { createRestTransport, type NodeTransport, type TransportOptions } from './createRestTransport';
import { describe } from './createWebhookTransport';
import { inputError } from './inputError';
import { readEnvelope, unexpectedAnswer } from './readEnvelope';
import { USER_AGENT } from './userAgent';
import { DEFAULT_TIMEOUT_MS, withDeadline } from './withDeadline';

/**
 * The tokens after a refresh, for you to persist: Bitrix24 issues a new refresh token each time. The reply's
 * `domain` is left out: it is the authorization server's (`oauth.bitrix.info`), not the portal's (reference §5).
 */
export interface OAuthTokens {
  readonly accessToken: string;
  readonly refreshToken: string;
  /** Unix time (s) the access token expires, when the server said. */
  readonly expires?: number;
  readonly expiresIn?: number;
  readonly scope?: string;
  readonly memberId?: string;
  readonly clientEndpoint?: string;
  readonly serverEndpoint?: string;
  /** The user the token acts for (`user_id`). */
  readonly userId?: number;
  /** The portal's licence status (`status`, e.g. `L` local, `F` free, `P` paid). */
  readonly status?: string;
}

export interface OAuthTransportOptions extends TransportOptions {
  /**
   * The portal's REST root from the install/event payload, e.g. `https://portal.bitrix24.com/rest/`. A refresh reply
   * naming another (the portal moved to a new domain) replaces it, if it passes the same checks.
   */
  readonly clientEndpoint: string;
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /**
   * The token endpoint, used for every refresh when given. Without it the refresh goes where `serverEndpoint` points.
   */
  readonly oauthEndpoint?: string;
  /**
   * The authorization server's REST root from the install/event payload or your saved `OAuthTokens` (`server_endpoint`,
   * e.g. `https://oauth.bitrix.info/rest/`, `https://oauth.bitrix24.tech/rest/` for RU-region portals). Without
   * `oauthEndpoint`, refreshes go to its `/oauth/token/` (that root minus `/rest/`, as jssdk does, reference §5), and a
   * refresh reply naming another moves them there, if it passes the same checks. Without either, to
   * `https://oauth.bitrix.info/oauth/token/`.
   */
  readonly serverEndpoint?: string;
  /**
   * Called with the new tokens after each refresh, before the waiting calls are retried, but not waited for: a
   * slow or hanging save (a database pool that never hands out a connection) must not hold those calls, and a
   * throw or rejection does not fail them, since the tokens are already in use. Calls come in refresh order;
   * if two saves can overlap, keep the one with the later `expires`.
   */
  readonly onTokens?: (tokens: OAuthTokens) => void | Promise<void>;
  /**
   * The tokens your store holds now, for transports that share one app install (several workers of one bot, two
   * processes): Bitrix24 takes a refresh token once and rotates it (reference §5), so once one of them refreshed and
   * saved through `onTokens`, the others hold a spent refresh token. When a call meets `expired_token` or
   * `invalid_token`, the transport asks this first (concurrent calls share one ask): a pair with another access token
   * than the one that expired is adopted and the call retried with it, without a refresh (its `clientEndpoint` and
   * `serverEndpoint` followed as a refresh reply's); otherwise it refreshes as without a store. An adopted access token
   * that has expired too (saved long ago by a worker since gone) gets that call a refresh with the adopted refresh
   * token and a second retry, and no more. A refresh refused with `invalid_grant` is then not final: each later
   * expired call asks again and adopts a refresh token other than the refused one (another worker's save has landed);
   * while the store still holds the refused one, the call fails at once without asking the token endpoint. A pair
   * holding a refresh token this transport has already spent (its own save has not landed) is ignored. A throw, a
   * rejection or anything but `{ accessToken, refreshToken }` (non-empty strings) counts as an empty store: the call
   * refreshes with its own tokens. An answer that takes longer than `timeoutMs` fails the waiting calls as a transient
   * `TIMEOUT` without a refresh, which could no longer be waited for; a wait nobody is left for ends when `close()`
   * resolves. The tokens it returns are kept out of every error, as the others. The store must hold the newest pair
   * before a transport is made with it (save an install's tokens first): a pair in it is taken over the transport's
   * own once its token expires, since nothing tells which is newer, and an older, dead one would cost it its session.
   */
  readonly loadTokens?: () => StoredTokens | undefined | Promise<StoredTokens | undefined>;
}

/** What `loadTokens` answers: the pair your store holds now (an `OAuthTokens` you saved will do). */
export interface StoredTokens {
  readonly accessToken: string;
  readonly refreshToken: string;
  /**
   * Where the pair is valid, when the refresh that issued it moved the portal or the authorization server: taken with
   * the pair, under the checks a refresh reply's `client_endpoint`/`server_endpoint` get (one they refuse is ignored).
   */
  readonly clientEndpoint?: string;
  readonly serverEndpoint?: string;
}

/** Error codes after which a refresh can help (reference §6, §9.1). */
const REFRESHABLE = new Set(['expired_token', 'invalid_token']);

/**
 * A transport for an OAuth application. The access token goes in the `auth` body field (never the URL, so it
 * stays out of access logs). On `expired_token`/`invalid_token` it refreshes once through the token endpoint
 * and retries; concurrent calls that hit the same expired token share one refresh. A failed refresh
 * (`invalid_grant`: the refresh token is dead too) fails those calls with an `auth` error and does not loop;
 * later calls that meet an expired token fail the same way without asking the token endpoint again: for good after
 * a verdict on the refresh token or the client, for `REFUSAL_MEMORY_MS` after one on the portal's state
 * (`PAYMENT_REQUIRED`, a scope), which its admin can change, or an `invalid_request`, which a proxy may have sent.
 * Transports sharing one install share its tokens through `onTokens` and `loadTokens`: each takes the store's pair
 * before refreshing, and after an `invalid_grant` (another one spent the refresh token first). Each call gets an
 * error object of its own.
 *
 * @example
 * ```ts
 * const transport = createOAuthTransport({
 *   clientEndpoint: auth.client_endpoint, accessToken: auth.access_token, refreshToken: auth.refresh_token,
 *   clientId: process.env.B24_CLIENT_ID!, clientSecret: process.env.B24_CLIENT_SECRET!,
 *   onTokens: (tokens) => db.saveTokens(tokens),
 * });
 * ```
 */
export function createOAuthTransport(options: OAuthTransportOptions): NodeTransport {
  if (typeof options !== 'object' || options === null) throw inputError('options', 'an object');
  const insecure = options.allowInsecure === true;
  /** Where calls go; a refresh reply may move it (`client_endpoint`: the portal changed its domain). */
  let root = restRoot(options.clientEndpoint, insecure);
  /** An explicit token endpoint: it wins over `serverEndpoint` and every refresh reply's `server_endpoint`. */
  const fixedTokenUrl =
    options.oauthEndpoint === undefined ? undefined : checkEndpoint(options.oauthEndpoint, 'oauthEndpoint', insecure);
  /** Where refreshes go otherwise; a refresh reply may move it (`server_endpoint`). */
  let tokenUrl =
    options.serverEndpoint === undefined ? new URL(DEFAULT_TOKEN_URL) : tokenUrlOf(options.serverEndpoint, insecure);
  for (const field of ['accessToken', 'refreshToken', 'clientId', 'clientSecret'] as const) {
    if (typeof options[field] !== 'string' || options[field] === '') throw inputError(field, 'a non-empty string');
  }
  for (const field of ['onTokens', 'loadTokens'] as const) {
    if (options[field] !== undefined && typeof options[field] !== 'function') throw inputError(field, 'a function');
  }

  const redactor = createRedactor();
  const { clientId, clientSecret, onTokens, loadTokens } = options;
  let accessToken = options.accessToken;
  let refreshToken = options.refreshToken;
  redactor.add(accessToken);
  redactor.add(refreshToken);
  redactor.add(clientSecret);
  /**
   * Bumped whenever the access token changes (a refresh, or a pair adopted from `loadTokens`): a failure tagged with an
   * older generation used a stale token.
   */
  let generation = 0;
  /**
   * The generation a renewal took from the store instead of refreshing: its access token has not been tried yet, and
   * may have expired in the store (saved long ago by a worker since gone). A call whose retry meets that expiry may
   * renew once more (a refresh with the stored refresh token, as that pair is no news then), and no more.
   */
  let adoptedAt: number | undefined;
  /** The shared renewal (store, then refresh) the calls that met the current token's expiry wait for. */
  let renewing: Promise<void> | undefined;
  /**
   * Set when the token endpoint refused the refresh (`REFUSALS`): later expired calls fail with it at once instead of
   * asking the endpoint again. A verdict on the refresh token or the client (`invalid_grant`, `invalid_client`) holds
   * for good, since retrying cannot help; one that can pass (`PASSING_REFUSALS`: the portal's state, or an
   * `invalid_request` a proxy may have sent) only for `REFUSAL_MEMORY_MS` from `at`, so a portal that was paid for or
   * given its scope back, or a proxy whose fault is over, is served again without a restart. With `loadTokens`, an
   * `invalid_grant` holds only until the store offers a refresh token not in `spent` (the refused one is): another
   * worker's save has landed.
   */
  let refused: { error: B24Error; at: number } | undefined;
  /**
   * The refresh tokens this transport sent to the token endpoint (each is spent then, or was refused): a pair from the
   * store holding one is behind this transport (its own save has not landed) and is not adopted. Only the newest
   * `ROTATED_KEPT`, as the redactor keeps them: a refresh comes about hourly, a store that far behind is not waited for.
   */
  const spent = new Set<string>();
  const oauthHttp = createHttpClient(options);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  /** Set by `close()`: the time by which it promises to resolve, so a refresh started after it ends by then too. */
  let closeBy: number | undefined;
  /**
   * Aborted once `close()` has let the calls in flight finish: nobody is left to wait for the store then, so a wait for
   * `loadTokens` ends (its timer would hold the process open up to `timeoutMs` after `close()` resolved, and no refresh
   * may follow it).
   */
  const closed = new AbortController();

  /** How long a renewal (the store's answer and the refresh) may take: `timeoutMs`, and no later than `close()` said. */
  const budget = (): number =>
    closeBy === undefined ? timeoutMs : Math.max(1, Math.min(timeoutMs, Math.ceil(closeBy - Date.now())));

  const refresh = async (deadline: number): Promise<void> => {
    spend(refreshToken);
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: clientId,
      client_secret: clientSecret,
      refresh_token: refreshToken,
    });
    let reply: unknown;
    let status = 0;
    try {
      // Shared by every call waiting for it, so no call's signal or deadline ends it, but it has one of its own: a
      // token endpoint that trickles its reply would otherwise hold later calls and `close()` for good.
      const response = await withDeadline(Math.max(1, deadline - Date.now()), undefined, (signal) =>
        oauthHttp.post(
          fixedTokenUrl ?? tokenUrl,
          form.toString(),
          {
            'content-type': 'application/x-www-form-urlencoded',
            accept: 'application/json',
            'user-agent': USER_AGENT,
          },
          signal,
        ),
      );
      reply = readTokenReply(response.status, response.text);
      status = response.status;
    } catch (error) {
      const failure = refreshFailed(error);
      // Only the token endpoint's own answer is a verdict on the refresh token; a proxy's page or JSON is not.
      if (REFUSALS.has(failure.code)) refused = { error: failure, at: Date.now() };
      throw failure;
    }
    const tokens = toTokens(reply, status);
    accessToken = tokens.accessToken;
    refreshToken = tokens.refreshToken;
    follow(tokens);
    redactor.rotate(accessToken, refreshToken);
    generation++;
    if (onTokens) {
      try {
        // Not awaited (see `onTokens`); its rejection is handled here so it never surfaces as unhandled.
        Promise.resolve(onTokens(tokens)).catch(() => {});
      } catch {
        // A synchronous throw: the same, the calls go on with the new token.
      }
    }
  };

  /**
   * Takes the endpoints that come with new tokens (a refresh reply, a stored pair): the token is valid where they say
   * the portal is now, as jssdk follows it (reference §9.1), but only an endpoint the constructor would take: the
   * token must not go to plain http off this machine. One it would refuse is ignored rather than failing the renewal,
   * whose tokens are already in use. Likewise the authorization server, for the next refresh (RU-region portals are
   * served by oauth.bitrix24.tech, reference §5); an explicit `oauthEndpoint` still wins.
   */
  const follow = (moved: { readonly clientEndpoint?: string; readonly serverEndpoint?: string }): void => {
    root = followed(root, moved.clientEndpoint, (value) => restRoot(value, insecure));
    tokenUrl = followed(tokenUrl, moved.serverEndpoint, (value) => tokenUrlOf(value, insecure));
  };

  const spend = (token: string): void => {
    spent.delete(token);
    spent.add(token);
    for (const oldest of spent) {
      if (spent.size <= ROTATED_KEPT) break;
      spent.delete(oldest);
    }
  };

  /** The remembered refusal, if it still holds; one whose time is up is forgotten here. */
  const activeRefusal = () => {
    if (!refused) return undefined;
    // A clock set back (elapsed below 0) ends it too, rather than stretching it by however far it went.
    const elapsed = Date.now() - refused.at;
    const forMs = PASSING_REFUSALS.has(refused.error.code) ? REFUSAL_MEMORY_MS : Number.POSITIVE_INFINITY;
    if (elapsed >= 0 && elapsed < forMs) return refused;
    refused = undefined;
    return undefined;
  };

  /**
   * Takes the store's pair when it is news: not the pair held, and no refresh token this transport spent (a store
   * behind it). Resolves `true` when the access token changed, so the waiting calls retry with it. `'timeout'` when the
   * store did not answer by `deadline`.
   */
  const adoptStored = async (deadline: number): Promise<boolean | 'timeout'> => {
    const stored = await loadStored(redactor, loadTokens, deadline - Date.now(), closed.signal);
    if (stored === 'timeout') return 'timeout';
    if (stored === undefined || spent.has(stored.refreshToken)) return false;
    if (stored.accessToken === accessToken && stored.refreshToken === refreshToken) return false;
    const changed = stored.accessToken !== accessToken;
    accessToken = stored.accessToken;
    refreshToken = stored.refreshToken;
    follow(stored);
    refused = undefined; // a refresh token other than the refused one
    if (changed) generation++;
    return changed;
  };

  /**
   * What the calls that met the current token's expiry wait for, shared: the store's pair if it is news (no refresh
   * then), else a refresh with the tokens held; after an `invalid_grant`, the store once more, since the worker that
   * spent the refresh token may have saved its pair by now. Not `fromStore` when a call's retry with a pair just taken
   * from the store met its expiry: that call has had its adoption, and it gets a refresh now rather than another pair.
   */
  const renew = async (fromStore: boolean): Promise<void> => {
    const deadline = Date.now() + budget();
    if (loadTokens && fromStore) {
      const adopted = await adoptStored(deadline);
      // A refresh started with no time left could rotate the refresh token and lose the reply that carries the new one.
      if (adopted === 'timeout') {
        throw new B24Error({ code: 'TIMEOUT', kind: 'timeout', message: 'no tokens from loadTokens in time' });
      }
      if (adopted) {
        adoptedAt = generation;
        return;
      }
    }
    const refusal = activeRefusal();
    if (refusal) throw refusal.error; // the store holds the refused refresh token still (each waiter gets a copy)
    try {
      await refresh(deadline);
    } catch (failure) {
      if (loadTokens && failure instanceof B24Error && failure.code === 'invalid_grant') {
        if ((await adoptStored(deadline)) === true) return;
      }
      throw failure;
    }
  };

  const transport = createRestTransport(
    {
      prepare: (method, params) => ({
        url: new URL(method, root),
        body: { ...params, auth: accessToken },
        credentials: generation,
      }),
      async recover(error, credentials, signal, recovered) {
        if (!REFRESHABLE.has(error.code)) return false;
        // A second retry only after one with a pair adopted instead of a refresh: at most one of each per call.
        if (recovered > 0 && credentials !== adoptedAt) return false;
        const refusal = activeRefusal();
        // Only a store can mend a refusal, and only one of the refresh token: another worker's save may hold a new one.
        if (refusal && !(loadTokens && refusal.error.code === 'invalid_grant')) throw ownCopy(refusal.error);
        if (credentials === generation || refusal) {
          if (!renewing) {
            renewing = renew(recovered === 0).finally(() => {
              renewing = undefined;
            });
            // Each waiter takes the failure through its own handler, but every waiter may have been aborted by
            // then (even this call, just before it starts waiting): the failure must not go unhandled.
            renewing.catch(() => {});
          }
          // Each waiter gets an error of its own: one caller changing it must not change what the others see.
          await untilSettled(renewing, signal).catch((failure: unknown) => {
            throw ownCopy(failure);
          });
        }
        return true;
      },
      redactor,
    },
    options,
  );
  const close = transport.close;
  let closing: Promise<void> | undefined;
  transport.close = () => {
    closeBy ??= Date.now() + timeoutMs;
    // The token client closes after the calls in flight, which may still need it to refresh (and a refresh
    // nobody waits for any more, which may have rotated the refresh token, still reaches onTokens).
    closing ??= close().then(() => {
      closed.abort();
      return oauthHttp.close();
    });
    return closing;
  };
  return describe(transport, () => `OAuthTransport(${root.origin})`);
}

/** Where refreshes go when neither `oauthEndpoint` nor `serverEndpoint` says (reference §5). */
const DEFAULT_TOKEN_URL = 'https://oauth.bitrix.info/oauth/token/';

/**
 * The token endpoint of an authorization server's REST root (`server_endpoint`): `/oauth/token/` beside its `/rest/`,
 * as jssdk builds it (reference §5, §9.1). Checked as `clientEndpoint` is: the refresh token and client secret must
 * not go to plain http off this machine.
 */
function tokenUrlOf(value: unknown, insecure: boolean): URL {
  const root = restRoot(value, insecure, 'serverEndpoint');
  return new URL(`${root.pathname.replace(/\/rest\/$/, '/')}oauth/token/`, root.origin);
}

/** The REST root calls are made under: a checked endpoint without query or fragment, ending in `/`. */
function restRoot(value: unknown, insecure: boolean, field = 'clientEndpoint'): URL {
  const endpoint = checkEndpoint(value, field, insecure);
  if (endpoint.search !== '' || endpoint.hash !== '') {
    throw inputError(field, 'a URL without query or fragment');
  }
  return new URL(endpoint.pathname.endsWith('/') ? endpoint.href : `${endpoint.href}/`);
}

/**
 * Where a refresh reply says to go now (`value`, read by `parse` as the constructor reads that option), or `current`
 * when it says nothing or names an endpoint the constructor would refuse: that is ignored rather than failing the
 * refresh, whose rotated tokens are already in use.
 */
function followed(current: URL, value: string | undefined, parse: (value: string) => URL): URL {
  if (value === undefined) return current;
  try {
    return parse(value);
  } catch {
    return current;
  }
}

/**
 * The token endpoint answers `{access_token, refresh_token, …}` or `{error, error_description}`, not an envelope.
 * An empty `error` (`null`, `""`) is no error, as in `readEnvelope` and the jssdk: dropping such a reply would lose
 * the refresh token it rotated, and the next refresh would be refused for good.
 */
function readTokenReply(status: number, text: string): unknown {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return readEnvelope({ status, text }); // throws unexpectedAnswer: the kind its status gives
  }
  const error = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
  if (typeof error === 'string' && error) {
    throw B24Error.fromResponse(body as { error?: unknown; error_description?: unknown }, status);
  }
  // An `error` that is no code (a gateway's `{ "error": { "code": 403 } }`) is no answer of the token endpoint either.
  if (error || status < 200 || status >= 300) return readEnvelope({ status, text });
  return body;
}

/**
 * The tokens of a refresh reply (a 2xx, `status`). JSON without both tokens (a gateway's `{"status":"ok"}`, an endpoint
 * that is no token endpoint) is no answer of the token endpoint, as a proxy's page is not: `unexpectedAnswer`, the
 * kind its status gives (`server` for a 2xx) and the status kept, not remembered, so the next expired call refreshes
 * again. As `auth` it would end a `botEvents` stream over a reply the transport itself treats as passing.
 */
function toTokens(body: unknown, status: number): OAuthTokens {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (
    typeof b.access_token !== 'string' ||
    b.access_token === '' ||
    typeof b.refresh_token !== 'string' ||
    b.refresh_token === ''
  ) {
    throw unexpectedAnswer(status, `token refresh reply without tokens (HTTP ${status})`);
  }
  // A number, or a numeric string (PHP may send either); anything else is left out, not passed on as NaN.
  const num = (v: unknown) => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
    return Number.isFinite(n) ? n : undefined;
  };
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const id = (v: number | undefined) => (Number.isSafeInteger(v) && (v as number) > 0 ? v : undefined);
  const optional = {
    expires: num(b.expires),
    expiresIn: num(b.expires_in),
    scope: str(b.scope),
    memberId: str(b.member_id),
    clientEndpoint: str(b.client_endpoint),
    serverEndpoint: str(b.server_endpoint),
    userId: id(num(b.user_id)),
    status: str(b.status),
  };
  return {
    accessToken: b.access_token,
    refreshToken: b.refresh_token,
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
  };
}

/**
 * The authorization server's error codes (reference §5: its error-codes page, and `bad_verification_code`, which the
 * PHP SDK reads as a dead grant too). Only these are its verdict on the refresh token or the client; a gateway or WAF
 * in front of it answers with codes of its own (Spring's `{"status":403,"error":"Forbidden"}`, say).
 */
const REFUSALS = new Set([
  'invalid_grant',
  'invalid_client',
  'invalid_request',
  'invalid_scope',
  'insufficient_scope',
  'bad_verification_code',
  'PAYMENT_REQUIRED',
]);

/**
 * The refusals that are no verdict on the refresh token or the client, so they are remembered only for
 * `REFUSAL_MEMORY_MS`:
 * - the portal's state: its subscription lapsed (`PAYMENT_REQUIRED`) or the application lost a scope (reference §5).
 *   Paying or re-granting the scope mends them;
 * - `invalid_request`: a proxy or gateway in front of the token endpoint may answer with its own
 *   `{"error":"invalid_request"}` 400 during a fault of its own, and nothing in the reply tells it from the token
 *   endpoint's (reference §5). Remembered for good, one such blip would cost the session until a restart; the token
 *   endpoint's own (a malformed refresh request, which this transport does not send) is asked again no more often
 *   than a lapsed portal.
 * `invalid_grant`, `invalid_client` and `bad_verification_code` are definitive (re-authorise, fix the secret): kept.
 */
const PASSING_REFUSALS = new Set(['PAYMENT_REQUIRED', 'insufficient_scope', 'invalid_scope', 'invalid_request']);

/**
 * How long a refusal in `PASSING_REFUSALS` fails expired calls without asking the token endpoint again: 5 minutes.
 * Paying or re-granting a scope is a person's work in the portal's admin pages, so a bot back within 5 minutes of it
 * is soon enough, and so it is after a proxy's fault, while a portal left unpaid for weeks (or a lasting
 * `invalid_request`) costs the authorization server at most 12 refresh requests an hour per transport (one at a time,
 * shared by the calls waiting), not one per indicator call, which the reference warns may get the application
 * blocked (§5).
 */
const REFUSAL_MEMORY_MS = 5 * 60_000;

/**
 * What a failed refresh means for the waiting calls. A refusal by the token endpoint (`invalid_grant`,
 * `invalid_client`, a bad request: `REFUSALS`) leaves them unauthenticated: kind `auth`, remembered (those in
 * `PASSING_REFUSALS` for `REFUSAL_MEMORY_MS`). Anything else keeps its own kind and is not remembered, so the next
 * expired call refreshes again: a transient failure
 * (network, timeout, a 5xx, a rate limit), a reply that is not JSON (a proxy's HTML page: `unexpectedAnswer`, the
 * kind its status gives; a WAF's 403 is `access`, a wrong URL's 404 `input`), and JSON with another code (a proxy's
 * JSON 403: `access` too).
 */
function refreshFailed(error: unknown): B24Error {
  if (!(error instanceof B24Error)) {
    return new B24Error({ code: 'REFRESH_FAILED', kind: 'auth', message: 'token refresh failed' });
  }
  if (!REFUSALS.has(error.code)) return error;
  return new B24Error({
    code: error.code,
    kind: 'auth',
    message: `token refresh failed: ${error.message}`,
    ...(error.status === undefined ? {} : { status: error.status }),
  });
}

/**
 * What `loadTokens` answers within `budgetMs`, its tokens added to `redactor`'s before any use: `undefined` for no
 * store, a throw, a rejection or anything but two non-empty strings (the call goes on as without a store), `'timeout'`
 * when it did not settle in time, or `closed` aborted first (the transport closed: nobody waits for it, and no timer
 * of ours may outlive `close()`). Its promise is raced, never left behind: a later rejection is handled by the race.
 */
async function loadStored(
  redactor: Redactor,
  loadTokens: OAuthTransportOptions['loadTokens'],
  budgetMs: number,
  closed: AbortSignal,
): Promise<StoredTokens | undefined | 'timeout'> {
  if (!loadTokens) return undefined;
  if (closed.aborted) return 'timeout';
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onClose: (() => void) | undefined;
  try {
    const loaded: unknown = await Promise.race([
      Promise.resolve().then(loadTokens),
      new Promise<'timeout'>((resolve) => {
        timer = setTimeout(resolve, Math.max(1, budgetMs), 'timeout');
        onClose = () => resolve('timeout');
        closed.addEventListener('abort', onClose, { once: true });
      }),
    ]);
    if (loaded === 'timeout') return loaded;
    if (typeof loaded !== 'object' || loaded === null) return undefined;
    // Read once each: a getter could answer differently the second time.
    const { accessToken, refreshToken, clientEndpoint, serverEndpoint } = loaded as Record<string, unknown>;
    if (
      typeof accessToken !== 'string' ||
      accessToken === '' ||
      typeof refreshToken !== 'string' ||
      refreshToken === ''
    ) {
      return undefined;
    }
    redactor.rotate(accessToken, refreshToken);
    // An endpoint that is no string is left out, as a refresh reply's is (`toTokens`): the pair still holds.
    return {
      accessToken,
      refreshToken,
      ...(typeof clientEndpoint === 'string' ? { clientEndpoint } : {}),
      ...(typeof serverEndpoint === 'string' ? { serverEndpoint } : {}),
    };
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
    if (onClose) closed.removeEventListener('abort', onClose);
  }
}

/**
 * An error of its own for each call that fails with a shared one (a remembered refusal, a shared refresh's failure):
 * the same name, code, kind, status, message and cause, a stack of its own, so a caller that changes or decorates its
 * error changes nothing for the others. Anything but a plain `B24Error` (a subclass has fields of its own) passes
 * through.
 */
function ownCopy(error: unknown): unknown {
  if (!(error instanceof B24Error) || error.constructor !== B24Error) return error;
  return new B24Error({
    code: error.code,
    message: error.message,
    kind: error.kind,
    ...(error.status === undefined ? {} : { status: error.status }),
    ...(error.cause === undefined ? {} : { cause: error.cause }),
  });
}

/** Waits for the shared refresh, but lets one caller's abort end only that caller's wait. */
function untilSettled(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return promise;
  const aborted = () => new B24Error({ code: 'ABORTED', kind: 'network', message: 'the call was aborted' });
  if (signal.aborted) return Promise.reject(aborted());
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(aborted());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
