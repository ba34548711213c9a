import { B24Error, B24InputError, checkBatch, checkCall, classifyError, validateMs } from '@b24-typing/core';
import type { BatchItemResult, Transport, TransportCall, TransportCallOptions } from '@b24-typing/core';
import { checkOptions } from './keystrokes';

/** The part of BX24.js's `ajaxResult` we read. */
export interface Bx24AjaxResult {
  data(): unknown;
  /** Falsy on success; BX24.js returns an `ajaxError` `{ status, ex: { error, error_description } }`. */
  error(): unknown;
  /**
   * The HTTP status BX24.js got (a batch command has the batch's). BX24.js takes any 4xx reply for an answer, and one
   * without an `error` (an empty body, a proxy's JSON) for a success: only this says it failed.
   */
  readonly status?: unknown;
}

/** The part of the `BX24` global (BX24.js, `//api.bitrix24.com/api/v1/`) an app inside a portal frame has. */
export interface Bx24Like {
  callMethod(method: string, params: Record<string, unknown>, callback: (result: Bx24AjaxResult) => void): unknown;
  callBatch?(
    calls: readonly { method: string; params: Record<string, unknown> }[],
    callback: (results: readonly Bx24AjaxResult[] | Record<string, Bx24AjaxResult>) => void,
    haltOnError?: boolean,
  ): unknown;
  /** BX24.js's tokens (`false` before it is initialised): only read to keep the access token out of messages. */
  getAuth?(): unknown;
}

export interface Bx24TransportOptions {
  /**
   * Gives up on a call after this long (kind `'timeout'`). BX24.js never calls back after a network error, an
   * HTTP 5xx (`QUERY_LIMIT_EXCEEDED` included) or a batch that failed as a whole, nor while the parent frame does
   * not answer its token refresh: without a timeout such a call would stay pending for good. Default 15 000 ms.
   */
  readonly timeoutMs?: number;
}

// checkEncodable before createBx24Transport, toError and tokenOf after it: the portal-frame chat app's bundle gzips
// smaller in this order.

/**
 * Refuses params on which BX24.js's `ajax.prepareData` (api/v1) would throw, by walking them as it does: `for…in` with
 * `arData.hasOwnProperty(i)` on every object (a TypeError on one made with `Object.create(null)`), into every value
 * of type `object` (a cycle overflows the stack: RangeError), every key and other value through encodeURIComponent (a
 * lone surrogate: URIError; a symbol: TypeError; a BigInt is its digits). Such a throw comes from the params, so it
 * is the caller's input, not to be retried. Checked here, before BX24 is asked, because BX24.js does not always
 * encode at once: a call made before it is initialised, or once its token has expired, waits for init (a timer) or
 * for the parent frame's new token (a `message` event), and a throw there was an uncaught page error and the call a
 * timeout. (core's encodePhpQuery would cost the portal-frame bundle more than its 6,000 B ceiling spares, and
 * throws on other params than BX24.js.) Refused too, though prepareData does not throw on it: a boxed primitive of any
 * realm, known by its `toString` tag (`instanceof` misses another realm's), which prepareData sends mangled or not at
 * all: a String object of this realm as its bare text, unescaped and without its name (its `isString` branch: `new
 * String('a&b=1')` adds a param `b`), one of another realm as its characters, a Number, Boolean, BigInt or Symbol
 * object (no own keys) left out. What else it sends mangled without throwing passes, as the README says: a Map or Set
 * left out, a `toJSON` value by its fields.
 */
function checkEncodable(params: unknown): void {
  const walk = (value: unknown): void => {
    if (typeof value !== 'object') encodeURIComponent(value as string);
    else if (/ (String|Number|Boolean|BigInt|Symbol)]/.test({}.toString.call(value))) throw 0;
    else {
      for (const key in value) {
        // biome-ignore lint/suspicious/noPrototypeBuiltins: BX24.js calls it on the object itself; its TypeError is the point
        if (value!.hasOwnProperty(key)) {
          encodeURIComponent(key);
          walk((value as never)[key]);
        }
      }
    }
  };
  try {
    walk(params);
  } catch {
    throw new B24InputError('params', 'encodable by BX24.js');
  }
}

/**
 * A `Transport` over an app's `BX24` object, for apps running inside a portal frame: BX24.js already holds the
 * token and refreshes it through the parent frame, so this only maps callbacks to promises and errors to
 * `B24Error`. BX24.js cannot cancel a request; an aborted or timed-out call rejects at once and its late answer
 * is ignored. BX24.js encodes the params itself: those it would throw on reject as input before it is asked
 * ({@link checkEncodable}).
 */
export function createBx24Transport(bx24: Bx24Like, options: Bx24TransportOptions = {}): Transport {
  if (typeof bx24 !== 'object' || bx24 === null || typeof bx24.callMethod !== 'function') {
    throw new B24InputError('BX24', 'the BX24 object of BX24.js (with callMethod)');
  }
  checkOptions(options);
  // From 2^31 ms on, a timer's delay overflows and it fires at once.
  const timeoutMs = validateMs(options.timeoutMs ?? 15_000, 'timeoutMs', 1);
  /**
   * Runs a callback-style BX24 request as a promise that honours `signal` and `timeoutMs` and never throws
   * synchronously. Whichever comes first (the answer, the abort, the timer) settles it and puts the others away.
   * `check` checks the input (the options argument too) before `callOptions.signal` is read: bad input rejects
   * before a signal is read, a timer set or BX24 asked. `tokens` holds the access tokens BX24 had when the call
   * started and took while it was pending, for `toError`: BX24.js may refresh it (for this call's `expired_token` or
   * another's), even twice, before the answer comes, and the portal may quote the one it got. They are let go once the
   * call settles, so that a call BX24.js never answers (it keeps the callback) does not keep a token. A set, because
   * every `message` event on the window adds (a page's own postMessage traffic too, for as long as the call waits):
   * it holds one entry per distinct token, not one per event. `start` gets `seen`, which adds the one BX24 holds now
   * and returns them all.
   */
  const settle = <T>(
    check: () => void,
    callOptions: TransportCallOptions | undefined,
    start: (resolve: (value: T) => void, reject: (error: unknown) => void, seen: () => Set<unknown>) => void,
  ): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      // A throw here rejects the promise (the executor's contract): nothing has started yet.
      check();
      const signal = callOptions?.signal;
      const aborted = () => new B24Error({ code: 'ABORTED', message: 'the call was aborted' });
      if (signal?.aborted) throw aborted();
      const tokens = new Set<unknown>();
      // BX24.js takes a refreshed token in its `message` listener on this window (the parent frame's answer) and sends
      // again with it at once: read here, after that listener, it is the token a request of this call may have gone
      // with, though BX24 may hold another one by the time the answer comes. Listening wraps nothing of the app's BX24.
      const seen = () => tokens.add(tokenOf(bx24));
      seen(); // the one it holds as the call starts
      const done =
        <A>(fn: (arg: A) => void) =>
        (arg: A): void => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', abort);
          globalThis.removeEventListener?.('message', seen);
          tokens.clear();
          fn(arg);
        };
      const fail = done(reject);
      const abort = () => fail(aborted());
      const timer = setTimeout(
        () => fail(new B24Error({ code: 'TIMEOUT', message: `no answer from BX24 within ${timeoutMs} ms` })),
        timeoutMs,
      );
      // (no `once`: whatever settles the call removes it, the abort too)
      signal?.addEventListener('abort', abort);
      globalThis.addEventListener?.('message', seen);
      try {
        start(done(resolve), fail, seen);
      } catch (error) {
        // BX24 itself (a BX24-like not initialised): checkEncodable passed the params. (Left out of it, as no param of
        // ours is one: an object with `nodeType` that prepareData takes for a DOM node, on which it may throw too.)
        fail(
          error instanceof B24Error
            ? error
            : new B24Error({ code: 'BX24_ERROR', message: 'BX24 threw while sending', kind: 'network', cause: error }),
        );
      }
    });
  const transport: Transport = {
    call: (method: string, params: Record<string, unknown>, callOptions?: TransportCallOptions): Promise<unknown> =>
      settle(
        () => {
          checkCall(method, params, '', callOptions);
          checkEncodable(params);
        },
        callOptions,
        (resolve, reject, seen) => {
          bx24.callMethod(method, params, (result) => {
            const error = toError(result, seen, params);
            if (error) reject(error);
            else resolve(result.data());
          });
        },
      ),
  };
  if (typeof bx24.callBatch === 'function') {
    const callBatch = bx24.callBatch.bind(bx24);
    transport.batch = (calls: readonly TransportCall[], callOptions?: TransportCallOptions) => {
      return settle<readonly BatchItemResult[]>(
        () => {
          // Each call's `method` and `params` read once, by checkBatch: the calls as read (a fresh array of plain
          // `{ method, params }`, a method a name checkCall passed) are the ones sent, and walked as BX24.js walks them.
          calls = checkBatch(calls, callOptions);
          checkEncodable(calls);
        },
        callOptions,
        (resolve, _, seen) => {
          if (!calls.length) return resolve([]);
          callBatch(
            calls,
            (results) => {
              // `calls` has no holes (checkBatch): one item per command, in order.
              resolve(
                calls.map((_, i): BatchItemResult => {
                  const result = (results as Record<string, Bx24AjaxResult | undefined>)[i];
                  // BX24.js leaves a command out when the reply has neither its result nor its error: skipped, as core's
                  // parseBatchResult reads the same reply for the other transports.
                  const error =
                    typeof result?.error === 'function'
                      ? toError(result, seen, calls, true)
                      : new B24Error({
                          code: 'BATCH_COMMAND_SKIPPED', // kind `server`: the code is not listed and there is no status
                          message: `batch command ${i} has neither a result nor an error`,
                        });
                  return error ? { ok: false, error } : { ok: true, result: result!.data() };
                }),
              );
            },
            false,
          );
        },
      );
    };
  }
  return transport;
}

/**
 * BX24.js reports `{ status, ex: { error, error_description } }`. A failed XHR (status 0) never reaches a BX24.js
 * callback; on-premises `BX.rest` / `BX.RestClient` report it as `ERROR_NETWORK` with status 0, a `BX24`-like may
 * leave `ex` out: either way the request never reached the portal (`NETWORK_ERROR`, as the fetch transport). A 3xx/4xx
 * answer without an `error` is a success to BX24.js, a failure here, by its status, and so is a reply without a
 * `result` (`{}`, a proxy's JSON), which is no envelope. BX24.js makes an `ex` of any `error` key, an empty one
 * too (`{ error: null, result }`: `ex` is that null, 0 or false, or the answer with its `error` ""): no error, as in
 * the fetch transport: a reply with one that fails all the same (a 4xx, no `result`) is judged by its status, as one
 * without `error` (a proxy's 404 `{ "error": "" }` is `input`, not the `server` of a portal error without a code), and
 * an `error()` that is an empty string is falsy: a success; one that is a code reads as that code in `ex`, with the
 * result's status (it was judged by its code alone, its status dropped). `seen`: the call's `seen` (its tokens, the
 * one BX24 holds now added). `params`: the call's, or a batch's commands, whose credentials are cut out of a portal
 * error's text. `command`: the result is one command of a batch.
 */
function toError(
  result: Bx24AjaxResult,
  seen: () => Set<unknown>,
  params: object,
  command?: true,
): B24Error | undefined {
  const error: unknown = result.error();
  // A bare code (a non-empty string: not BX24.js's shape) reads as one in `ex`, with the result's status.
  const { status = result.status, ex = typeof error === 'string' ? { error } : undefined } = (error || {}) as {
    status?: unknown;
    ex?: { error?: unknown; error_description?: unknown };
  };
  const httpStatus = typeof status === 'number' && status > 0 ? status : undefined;
  if (!((ex === undefined ? error : (ex?.error ?? ex)) || httpStatus! >= 300 || result.data() === undefined)) {
    return undefined;
  }
  if (ex?.error && typeof ex.error === 'string' && ex.error !== 'ERROR_NETWORK') {
    // A batch command's error has no HTTP status of its own: BX24.js hands it the batch's (200), which core's
    // parseBatchResult, reading the same reply for the other transports, does not.
    // The portal may quote the request back in its error_description: the credentials among the call's params (a
    // batch command's: the batch's) are cut out of the message, and so is the token BX24.js sent it with, one of the
    // call's start, of a refresh while it was pending, or the one it holds now.
    // (scrubSecrets walks nested arrays: the tokens need not be spread into the list)
    return B24Error.fromResponse(ex, command ? undefined : httpStatus, [
      params,
      Array.from(seen(), (token) => ({ token })),
    ]);
  }
  if (httpStatus === undefined) {
    return new B24Error({ code: 'NETWORK_ERROR', message: 'BX24 request did not complete' }); // kind `network`
  }
  // No envelope: classified by its status alone, as core's classifyError reads a bare status and the fetch and
  // node transports do (401 auth, 403 access, 429 rate, 408/504 timeout, other 4xx input, else server).
  return new B24Error({
    code: 'ERROR_UNEXPECTED_ANSWER',
    kind: classifyError('', httpStatus),
    status: httpStatus,
    message: `BX24 request failed (HTTP ${httpStatus})`,
  });
}

/**
 * The access token BX24 holds now. `getAuth()` is false before BX24.js is initialised (which has no `access_token`
 * either, like any primitive); one that throws has nothing to tell.
 */
function tokenOf(bx24: Bx24Like): unknown {
  try {
    return (bx24.getAuth?.() as { access_token?: unknown } | undefined)?.access_token;
  } catch {}
}
