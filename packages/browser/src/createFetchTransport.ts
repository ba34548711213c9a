import {
  B24Error,
  B24InputError,
  checkBatch,
  checkCall,
  encodePhpQuery,
  isB24Error,
  parseBatchResult,
} from '@b24-typing/core';
import type { Transport, TransportCall, TransportCallOptions } from '@b24-typing/core';

/** What `auth` is asked for: the token in use, or (after `expired_token`) a fresh one. */
export interface AuthRequest {
  readonly refresh: boolean;
}

export interface FetchTransportOptions {
  /** The portal's REST root from the OAuth reply or the app frame, e.g. `https://example.bitrix24.com/rest/`. */
  readonly clientEndpoint: string;
  /**
   * Returns the current access token. Called with `{ refresh: true }` once after the portal answers
   * `expired_token`; the app refreshes however it does (its backend, `BX24.refreshAuth`, …) and returns the new
   * token. Concurrent calls that hit the same expired token share one refresh.
   */
  readonly auth: (request: AuthRequest) => string | PromiseLike<string>;
  /** Gives up on a request after this long (kind `'timeout'`). Default 15 000 ms. */
  readonly timeoutMs?: number;
  /** Allows plain http to a host other than this machine (a test rig on a private network). Default false. */
  readonly allowInsecure?: boolean;
  /** Defaults to the global `fetch`, looked up at call time (so polyfills and test shims installed later apply). */
  readonly fetch?: typeof fetch;
}

/**
 * A `Transport` for code running in a browser with an OAuth access token (an app page, a widget, a SPA backed by
 * your own token endpoint). The token travels in the body, never in the URL, so it stays out of logs and referrers.
 *
 * The body is form-encoded in PHP bracket syntax (as BX24.js sends it), not JSON: a form POST with no custom
 * header is a CORS "simple request", so the portal is reached in one round trip with no preflight. For a typing
 * indicator that is the latency a person sees between the first key and the dots appearing on the other side.
 */
export function createFetchTransport(options: FetchTransportOptions): Transport {
  if (options === null || typeof options !== 'object') throw new B24InputError('options', 'an object');
  const { auth } = options;
  const endpoint = normaliseEndpoint(options.clientEndpoint, options.allowInsecure === true);
  if (typeof auth !== 'function') throw new B24InputError('auth', 'a function returning the access token');
  const timeoutMs = options.timeoutMs ?? 15_000;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) throw new B24InputError('timeoutMs', 'a positive number');

  // The refresh started for one stale token; every caller that failed with that same token waits for it.
  let refreshing: { readonly from: string; readonly token: Promise<string> } | undefined;

  const token = async (refresh: boolean): Promise<string> => {
    let value: unknown;
    try {
      value = await auth({ refresh });
    } catch (cause) {
      if (isB24Error(cause)) throw cause;
      // The app's own error is not attached: it may well quote the refresh token or a client secret.
      const name = cause instanceof Error ? ` (${cause.name})` : '';
      throw new B24Error({
        code: 'AUTH_FAILED',
        kind: 'auth',
        message: `${refresh ? 'auth({ refresh: true })' : 'auth()'} failed${name}`,
      });
    }
    if (typeof value !== 'string' || value === '') {
      throw new B24Error({ code: 'NO_AUTH_FOUND', kind: 'auth', message: 'auth() returned no access token' });
    }
    return value;
  };

  const refreshFrom = (stale: string): Promise<string> => {
    if (refreshing?.from === stale) return refreshing.token;
    const current = { from: stale, token: token(true) };
    refreshing = current;
    current.token.catch(() => {
      if (refreshing === current) refreshing = undefined;
    });
    return current.token;
  };

  /** `query` is the params already encoded (so bad input fails before any request); the token goes last. */
  const post = async (method: string, query: string, signal?: AbortSignal): Promise<unknown> => {
    throwIfAborted(signal);
    const withAuth = (auth: string): string => (query === '' ? '' : `${query}&`) + encodePhpQuery({ auth });
    const first = await token(false);
    throwIfAborted(signal);
    try {
      return await request(options.fetch, endpoint + method, withAuth(first), timeoutMs, signal);
    } catch (error) {
      if (!(isB24Error(error) && (error.code === 'expired_token' || error.code === 'invalid_token'))) throw error;
      const fresh = await refreshFrom(first);
      throwIfAborted(signal);
      return request(options.fetch, endpoint + method, withAuth(fresh), timeoutMs, signal);
    }
  };

  return {
    call(method: string, params: Record<string, unknown>, callOptions: TransportCallOptions = {}): Promise<unknown> {
      let query: string;
      try {
        checkCall(method, params);
        query = encodePhpQuery(params);
      } catch (error) {
        return Promise.reject(error);
      }
      return post(method, query, callOptions.signal);
    },
    async batch(calls: readonly TransportCall[], callOptions: TransportCallOptions = {}) {
      checkBatch(calls);
      const cmd = calls.map((c, i) => `${c.method}?${encodePhpQuery(c.params, `calls[${i}].params`)}`);
      if (cmd.length === 0) return [];
      return parseBatchResult(await post('batch', encodePhpQuery({ halt: 0, cmd }), callOptions.signal), cmd.length);
    },
  };
}

function normaliseEndpoint(value: unknown, allowInsecure: boolean): string {
  const field = 'clientEndpoint';
  let url: URL;
  try {
    url = new URL(typeof value === 'string' ? value : '');
  } catch {
    throw new B24InputError(field, 'an absolute URL such as "https://example.bitrix24.com/rest/"', describe(value));
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new B24InputError(field, 'an http(s) URL');
  if (url.search || url.hash || url.username || url.password) {
    throw new B24InputError(field, 'a URL without query, fragment or user info');
  }
  // A token sent in clear text is a leaked token; loopback (an emulator, a dev proxy) is the one safe exception.
  if (url.protocol === 'http:' && !allowInsecure && !/^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(url.hostname)) {
    throw new B24InputError(field, 'https for a host other than this machine (or pass allowInsecure: true)');
  }
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? 'a string that is not a URL' : `${value === null ? 'null' : typeof value}`;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw aborted();
}

function aborted(): B24Error {
  return new B24Error({ code: 'ABORTED', kind: 'network', message: 'the call was aborted' });
}

/** One HTTP round trip, mapped onto the Transport contract: the envelope's `result`, or a classified B24Error. */
async function request(
  fetchOption: typeof fetch | undefined,
  url: string,
  body: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<unknown> {
  const fetchFn = fetchOption ?? globalThis.fetch;
  const controller = new AbortController();
  let timedOut = false;
  const onAbort = (): void => controller.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = globalThis.setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  try {
    let response: Response;
    let text: string;
    try {
      response = await fetchFn(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body,
        credentials: 'omit',
        signal: controller.signal,
      });
      text = await response.text();
    } catch (cause) {
      if (signal?.aborted) throw aborted();
      if (timedOut) {
        throw new B24Error({ code: 'TIMEOUT', kind: 'timeout', message: `no answer within ${timeoutMs} ms`, cause });
      }
      throw new B24Error({ code: 'NETWORK_ERROR', kind: 'network', message: 'the request did not complete', cause });
    }
    let envelope: unknown;
    try {
      envelope = JSON.parse(text);
    } catch {
      envelope = undefined;
    }
    if (envelope !== null && typeof envelope === 'object' && 'error' in envelope) {
      throw B24Error.fromResponse(envelope as { error?: unknown; error_description?: unknown }, response.status);
    }
    if (!response.ok || envelope === null || typeof envelope !== 'object' || !('result' in envelope)) {
      throw new B24Error({
        code: 'ERROR_UNEXPECTED_ANSWER',
        message: `unexpected answer (HTTP ${response.status})`,
        status: response.status,
        kind: response.status === 408 || response.status === 504 ? 'timeout' : 'server',
      });
    }
    return (envelope as { result: unknown }).result;
  } finally {
    globalThis.clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}
