import {
  B24Error,
  B24InputError,
  checkBatch,
  checkCall,
  classifyError,
  encodePhpQuery,
  isB24Error,
  parseBatchResult,
  validateMs,
} from '@b24-typing/core';
import type { Transport, TransportCall, TransportCallOptions } from '@b24-typing/core';
import { checkOptions } from './keystrokes';

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
   * token. Concurrent calls that hit the same expired token share one refresh. A call that is aborted or times out
   * stops waiting for it at once (the app's own work goes on; a later call may use its result).
   */
  readonly auth: (request: AuthRequest) => string | PromiseLike<string>;
  /**
   * Gives up on a call after this long (kind `'timeout'`), all of it: waiting for `auth`, the request, and after
   * `expired_token` the refresh and the retry. Default 15 000 ms.
   */
  readonly timeoutMs?: number;
  /** Allows plain http to a host other than this machine (a test rig on a private network). Default false. */
  readonly allowInsecure?: boolean;
  /** Defaults to the global `fetch`, looked up at call time (so polyfills and test shims installed later apply). */
  readonly fetch?: typeof fetch;
}

// normaliseEndpoint and staleToken before createFetchTransport, throwIfAborted after it: the chat app's bundle gzips
// smaller in this order.

/**
 * The REST root with a trailing slash, so `endpoint + method` is the method's URL. The value is never quoted in
 * an error: a webhook URL carries its secret code.
 */
function normaliseEndpoint(value: unknown, allowInsecure: boolean): string {
  const field = 'clientEndpoint';
  let url: URL;
  try {
    url = new URL(typeof value === 'string' ? value : '');
  } catch {
    // A string is not echoed (it may hold a webhook code); anything else is named by its type.
    throw new B24InputError(
      field,
      'an absolute URL such as "https://example.bitrix24.com/rest/"',
      typeof value === 'string' ? undefined : value === null ? 'null' : typeof value,
    );
  }
  const { protocol, href } = url;
  // A token sent in clear text is a leaked token; loopback (an emulator, a dev proxy) is the one safe exception.
  if (
    protocol !== 'https:' &&
    !(protocol === 'http:' && (allowInsecure || /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(url.hostname)))
  ) {
    throw new B24InputError(field, 'an https URL, or http on this machine or with allowInsecure: true');
  }
  // Compared with what is left without them: an empty `?` or `#` would otherwise pass, and the method's URL
  // would end up in the query (`…/rest/?/im.dialog.writing`).
  if (href !== url.origin + url.pathname) {
    throw new B24InputError(field, 'a URL without query, fragment or user info');
  }
  return href.replace(/\/?$/, '/');
}

/** Whatever `send` throws: only a portal error has one of these codes (a DOMException's `code` is a number). */
function staleToken(error: unknown): boolean {
  return /^(expired|invalid)_token$/.test((error as B24Error | undefined)?.code as string);
}

/**
 * A `Transport` for code running in a browser with an OAuth access token (an app page, a widget, a SPA backed by
 * your own token endpoint). The token travels in the body, never in the URL, so it stays out of logs and referrers.
 *
 * The body is form-encoded in PHP bracket syntax (as BX24.js sends it), not JSON: a form POST with no custom
 * header is a CORS "simple request", so the portal is reached in one round trip with no preflight. For a typing
 * indicator that is the latency a person sees between the first key and the dots appearing on the other side.
 *
 * Errors leave `kind` to core's classification of their `code` where that already gives the right one.
 */
export function createFetchTransport(options: FetchTransportOptions): Transport {
  checkOptions(options);
  const { auth } = options;
  const endpoint = normaliseEndpoint(options.clientEndpoint, options.allowInsecure === true);
  if (typeof auth !== 'function') throw new B24InputError('auth', 'a function returning the access token');
  // From 2^31 ms on, a timer's delay overflows and it fires at once: every call would time out.
  const timeoutMs = validateMs(options.timeoutMs ?? 15_000, 'timeoutMs', 1);

  // The refresh in progress, which every caller that failed on a stale token waits for (what it gives is newer than
  // any of theirs); once it came, the stale token it replaced (`refreshed`), whose callers still take its token.
  let refreshing: Promise<string> | undefined;
  let refreshed: string | undefined;

  const token = async (refresh: boolean): Promise<string> => {
    let value: unknown;
    try {
      value = await auth({ refresh });
    } catch (cause) {
      if (isB24Error(cause)) throw cause;
      // The app's own error is not attached: it may well quote the refresh token or a client secret.
      throw new B24Error({
        code: 'AUTH_FAILED',
        kind: 'auth',
        message: `auth(${refresh ? '{ refresh: true }' : ''}) failed${cause instanceof Error ? ` (${cause.name})` : ''}`,
      });
    }
    // An access token has no blanks (RFC 6750's b64token): a line break around one (read from a file, a text
    // reply) is cut off rather than sent, where the portal would refuse the token as unknown; blanks alone are none.
    if (typeof value !== 'string' || !value.trim()) {
      throw new B24Error({ code: 'NO_AUTH_FOUND', message: 'auth() returned no access token' });
    }
    return value.trim();
  };

  const refreshFrom = (stale: string): Promise<string> => {
    // A refresh in progress is not replaced: a call that met an older token late would otherwise start a second one
    // for the callers of the newer token still to come.
    if (!refreshing || (refreshed !== undefined && refreshed !== stale)) {
      const current = token(true);
      refreshing = current;
      refreshed = undefined;
      // A failed refresh, or one that handed back the stale token, is forgotten: the next call that meets that
      // token asks again instead of being given the same dead token for good.
      current.then(
        (fresh) => {
          if (refreshing !== current) return;
          if (fresh === stale) refreshing = undefined;
          else refreshed = stale;
        },
        () => {
          if (refreshing === current) refreshing = undefined;
        },
      );
    }
    return refreshing;
  };

  /**
   * One call under one abort and one timer: the token, the request and, after `expired_token`, the shared refresh
   * and one retry. Whatever it waits for, `auth` included, stops as soon as `signal` aborts or the time is up.
   * `callOptions` is checked (core's checkCall) before `signal` is read: a bad one is an input error, not a TypeError.
   * `hidden` holds the credentials (a `botToken`, a `CLIENT_ID`) cut out of a portal error's text: the params', or for
   * a `batch` (whose `cmd` carries them inside its query strings) the commands'.
   */
  const call = async (
    method: string,
    params: Record<string, unknown>,
    callOptions?: TransportCallOptions,
    hidden: object = params,
  ): Promise<unknown> => {
    checkCall(method, params, '', callOptions);
    const query = encodePhpQuery(params);
    const signal = callOptions?.signal;
    throwIfAborted(signal);
    const controller = new AbortController();
    const abort = (): void => controller.abort();
    signal?.addEventListener('abort', abort);
    const timer = setTimeout(abort, timeoutMs);
    // `auth` cannot be cancelled, only no longer waited for: what the call waits on races this. Its listener is
    // on the call's own signal, so nothing is left behind on `signal` (which may serve many calls).
    const stopped = new Promise<never>((_, reject) => controller.signal.addEventListener('abort', reject));
    const until = <T>(value: Promise<T>): Promise<T> => Promise.race([value, stopped]);

    /** One HTTP round trip: the envelope's `result`, or a classified B24Error. */
    const send = async (accessToken: string): Promise<unknown> => {
      const response = await (options.fetch ?? fetch)(endpoint + method, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: (query && `${query}&`) + encodePhpQuery({ auth: accessToken }),
        credentials: 'omit',
        // Not followed: a 307/308 would re-POST the body, token included, to wherever it points. Rejected below as
        // the node transport rejects one (undici gives the 3xx as is, a browser an `opaqueredirect` with status 0).
        redirect: 'manual',
        signal: controller.signal,
      });
      // Any JSON value really; reading `error` or `result` of a primitive gives undefined, of null nothing (`?.`).
      let envelope: { error?: unknown; error_description?: unknown; result?: unknown } | undefined;
      try {
        // A portal's error_description may quote the request back: the token is cut out of the whole reply (no
        // method returns it) before any error, the call's or a batch command's, is built from it. Out of the reply
        // as parsed and written again, not as it came: PHP escapes a b64token's `/` as `\/`. URL-encoded too, as
        // the body carried it (`+`, `/`, `=`).
        envelope = JSON.parse(
          JSON.stringify(JSON.parse(await response.text()))
            .replaceAll(accessToken, '***')
            .replaceAll(encodeURIComponent(accessToken), '***'),
        );
      } catch {
        // Not JSON (a proxy's error page, say), or a body that broke off after the headers: an unexpected answer
        // with the status that came, below, as the node transport reads it (an abort or the timer wins, further on).
      }
      // Status 0 comes only with an opaque reply, here an unfollowed redirect: 300 stands for its hidden 3xx.
      const status = response.status || 300;
      // An empty `error` (null, "", 0) is no error, as in the node transport and the jssdk: `{ error: null, result }`
      // is a success. `result` is never undefined in parsed JSON, so `!== undefined` means "present". Only a code is
      // the portal's error: a gateway's `{ "error": { "code": 429 } }` is no envelope, classified by its status below.
      if (envelope?.error && typeof envelope.error === 'string') throw B24Error.fromResponse(envelope, status, hidden);
      if (envelope?.result !== undefined && response.ok) return envelope.result;
      // No envelope (a proxy's HTML page, an empty body): the status says what it is, as core's classifyError reads
      // a bare status (a code it does not list, here ''): 401 auth, 403 access, 429 rate, 408/504 timeout, other
      // 4xx input, else (a 2xx, a 5xx) server.
      throw new B24Error({
        code: 'ERROR_UNEXPECTED_ANSWER',
        kind: classifyError('', status),
        status,
        // The address it points to is left out: it may repeat the endpoint's secrets.
        message: `unexpected answer (HTTP ${status})`,
      });
    };

    try {
      let first = await until(token(false));
      try {
        // Raced too, not only given the signal: a `fetch` (a polyfill, a shim) may ignore it.
        return await until(send(first));
      } catch (error) {
        if (!staleToken(error)) throw error;
        const stale = first;
        const shared = refreshFrom(stale);
        try {
          first = await until(shared);
          return await until(send(first));
        } catch (error) {
          // A refresh that did not come within this call's time (`first` is still the stale token it was asked for,
          // and not `signal` but the timer stopped the call), or whose token is refused too, is no use to the next
          // call either: it asks `auth` again rather than wait on it, or retry with that token, for good. One that
          // came, where only the retry ran out of time (a slow portal), is still the one to share: a second refresh
          // would be for nothing. (A refresh that failed, or gave the stale token back, is forgotten already.)
          if (refreshing === shared && (first === stale ? !signal?.aborted : staleToken(error))) refreshing = undefined;
          throw error;
        }
      }
    } catch (error) {
      throwIfAborted(signal);
      // Only `signal` (checked just above) and the timer abort the controller.
      if (controller.signal.aborted)
        throw new B24Error({ code: 'TIMEOUT', message: `no answer within ${timeoutMs} ms` });
      // Everything but fetch failing (and the body breaking off) is a B24Error already.
      throw isB24Error(error)
        ? error
        : new B24Error({ code: 'NETWORK_ERROR', message: 'the request did not complete', cause: error });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
    }
  };

  return {
    call,
    // A batch is one call of `batch`; its options are checked before the empty batch returns, too.
    // Each call's `method` and `params` read once, by checkBatch, which refuses one whose getter throws as input.
    async batch(calls: readonly TransportCall[], callOptions?: TransportCallOptions) {
      calls = checkBatch(calls, callOptions);
      const cmd = calls.map((c, i) => `${c.method}?${encodePhpQuery(c.params, `calls[${i}].params`)}`);
      // Aborted already, an empty batch too rejects, as `call` and the node transport's do, though it sends nothing.
      throwIfAborted(callOptions?.signal);
      if (!calls.length) return [];
      return parseBatchResult(await call('batch', { halt: 0, cmd }, callOptions, calls), calls.length, calls);
    },
  };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new B24Error({ code: 'ABORTED', message: 'the call was aborted' });
}
