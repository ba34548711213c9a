import {
  B24Error,
  type BatchItemResult,
  checkBatch,
  checkCall,
  encodePhpQuery,
  parseBatchResult,
  type Transport,
  type TransportCall,
  type TransportCallOptions,
} from '@b24-typing/core';
import { abortedError, closedError, createHttpClient, type HttpOptions } from './createHttpClient';
import { type Redactor, secretParams } from './createRedactor';
import { inputError } from './inputError';
import { readEnvelope } from './readEnvelope';
import { USER_AGENT } from './userAgent';
import { DEFAULT_TIMEOUT_MS, withDeadline } from './withDeadline';

/**
 * What both transports return: core's `Transport` with `batch` always present, and a way to free the sockets.
 *
 * Booleans go out as each request's format carries them, on purpose: `call` sends a JSON body, so `true`/`false`
 * stay JSON booleans (as jssdk's `call` sends them); a `batch` command is a query string the portal reads with
 * `parse_str`, where every value is text, so there they become `Y`/`N` (core's `encodePhpQuery`). The portal reads
 * both spellings alike (imbot.v2: `true`/`false` or `Y`/`N`, reference §4.1, §8), so a call means the same alone or
 * batched, and none of the indicator methods takes a boolean; rewriting a JSON body's booleans as `Y`/`N` would
 * change the call for nothing.
 */
export interface NodeTransport extends Transport {
  batch(calls: readonly TransportCall[], options?: TransportCallOptions): Promise<readonly BatchItemResult[]>;
  /**
   * Closes the connection pools. Calls made afterwards reject with a `network` error; calls in flight are let
   * finish (graceful), an OAuth refresh and retry included, each within its `timeoutMs`, so this resolves at most
   * `timeoutMs` after it is called. Calling it again returns the same promise.
   */
  close(): Promise<void>;
}

/** Options both transports accept. */
export interface TransportOptions extends HttpOptions {
  /** Permit plain http to a non-loopback host. Off: a webhook code or token must not cross a network in clear. */
  readonly allowInsecure?: boolean;
}

/** How a transport authenticates; the webhook and OAuth transports differ only here. */
export interface RestAuth {
  /** The URL and JSON body for one call, and a tag naming the credentials used (for refresh coalescing). */
  prepare(
    method: string,
    params: Record<string, unknown>,
  ): { url: URL; body: Record<string, unknown>; credentials: number };
  /**
   * After an error: resolves `true` when new credentials are ready and the call should be retried. `recovered` is how
   * often this call was retried already: a second retry is for credentials that failed as they came (a stored token
   * that had expired too), and there is never a third (`MAX_RECOVERIES`).
   */
  recover?(error: B24Error, credentials: number, signal: AbortSignal | undefined, recovered: number): Promise<boolean>;
  readonly redactor: Redactor;
}

/**
 * How often one call may be retried with new credentials: once after a refresh, twice when the first retry used a
 * stored pair that had expired as well (then a refresh, and no more): never a loop.
 */
const MAX_RECOVERIES = 2;

export function createRestTransport(auth: RestAuth, options: HttpOptions): NodeTransport {
  const http = createHttpClient(options);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  /** Calls accepted and not settled: `close()` lets them finish, a retry after a token refresh included. */
  const inFlight = new Set<Promise<unknown>>();
  let closing: Promise<void> | undefined;
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json',
    'user-agent': USER_AGENT,
  };

  /** One request; a failure comes back with the credentials it used, so `recover` can tell a stale token. */
  const attempt = async (
    method: string,
    params: Record<string, unknown>,
    signal: AbortSignal | undefined,
  ): Promise<{ ok: true; value: unknown } | { ok: false; error: unknown; credentials: number }> => {
    const { url, body, credentials } = auth.prepare(method, params);
    let json: string;
    try {
      json = JSON.stringify(body, bigintAsDigits);
    } catch {
      throw inputError('params', 'JSON-serialisable (no cycles)');
    }
    // What JSON does not carry as given is refused as `batch` (core's encodePhpQuery) and the browser refuse it:
    // JSON.stringify writes NaN, Infinity and an invalid Date as null (`"duration": null` for a NaN duration) and
    // leaves a function out, and writes a lone surrogate (text cut inside an emoji) as `\ud83d`, which PHP's
    // json_decode refuses (the portal would lose the whole body).
    const refused = refusedPath(params, 'params');
    if (refused) throw inputError(...refused);
    try {
      return { ok: true, value: readEnvelope(await http.post(url, json, headers, signal)) };
    } catch (error) {
      return { ok: false, error, credentials };
    }
  };

  const send = async (
    method: string,
    params: Record<string, unknown>,
    callOptions: TransportCallOptions | undefined,
    callSecrets: readonly string[] = [],
  ): Promise<unknown> => {
    try {
      // `callOptions` too, before its `signal` reaches undici (which took `{ signal: {} }` for a network error).
      checkCall(method, params, '', callOptions);
      // Refused as the pool itself refuses after close: an abort that came first still reads as ABORTED.
      if (closing) throw callOptions?.signal?.aborted ? abortedError() : closedError();
      // One deadline for all of it: the request, and after an expired token the wait for the refresh and the retry.
      const run = withDeadline(timeoutMs, callOptions?.signal, async (signal) => {
        let outcome = await attempt(method, params, signal);
        for (let recovered = 0; !outcome.ok; recovered++) {
          if (recovered === MAX_RECOVERIES || !auth.recover) throw outcome.error;
          if (!(outcome.error instanceof B24Error)) throw outcome.error;
          if (!(await auth.recover(outcome.error, outcome.credentials, signal, recovered))) throw outcome.error;
          outcome = await attempt(method, params, signal);
        }
        return outcome.value;
      });
      inFlight.add(run);
      try {
        return await run;
      } finally {
        inFlight.delete(run);
      }
    } catch (error) {
      throw auth.redactor.error(error, [...callSecrets, ...(isRecord(params) ? secretParams(params) : [])]);
    }
  };

  return {
    call(method, params, callOptions) {
      return send(method, params, callOptions);
    },
    async batch(calls, callOptions) {
      checkBatch(calls, callOptions);
      // Refused after close() as `call` and a batch with calls are, though it would send nothing: a closed transport
      // answers every request the same way, rather than one that resolves and one that rejects.
      const aborted = callOptions?.signal?.aborted;
      if (closing) throw aborted ? abortedError() : closedError();
      // Aborted already, an empty batch too rejects as `call` and a batch with calls do, though it would send nothing.
      if (calls.length === 0) {
        if (aborted) throw abortedError();
        return [];
      }
      const cmd = calls.map((c, i) => `${c.method}?${encodePhpQuery(c.params, `calls[${i}].params`)}`);
      const callSecrets = calls.flatMap((c) => secretParams(c.params));
      const result = await send('batch', { halt: 0, cmd }, callOptions, callSecrets);
      return parseBatchResult(result, calls.length).map((item) =>
        item.ok ? item : { ok: false, error: auth.redactor.error(item.error, callSecrets) as B24Error },
      );
    },
    close() {
      // The pool stays open for the calls in flight (a retry after a refresh is a new request); each ends within
      // its deadline, so this still resolves within `timeoutMs`.
      closing ??= Promise.allSettled([...inFlight]).then(() => http.close());
      return closing;
    },
  };
}

/**
 * A bigint as a JSON string of its digits, which JSON.stringify would otherwise refuse: core's encodePhpQuery
 * (`batch`, the browser transport) writes it as its digits, a string to PHP's `parse_str`, and a JSON string is the
 * same PHP value after `json_decode`. A JSON number would not be: an int rather than a string (`dialogId` must be a
 * string), and past 2^63 a float that loses digits.
 */
function bigintAsDigits(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? String(value) : value;
}

/** Under the `u` flag a paired surrogate is one code point, so only a lone one is in `Cs`. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Where in `value` (already known to serialise: no cycles) JSON would not carry what was given, and the rule it
 * breaks, as core's encodePhpQuery names and words it for a batch command: a non-finite number, an invalid `Date`, a
 * function or symbol, a key or string with a lone surrogate, a `Map`, `Set`, `WeakMap` or `WeakSet` of any realm
 * (its entries are not own properties, so JSON writes `{}`; other class instances are sent by their own fields). An
 * object with its own `toJSON` (other than a Date) is sent as that gives it, so it is not looked into. A bigint is
 * carried, as its digits.
 */
function refusedPath(value: unknown, path: string): [path: string, rule: string, received?: string] | undefined {
  switch (typeof value) {
    case 'string':
      return LONE_SURROGATE.test(value) ? [path, 'well-formed text'] : undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : [path, 'a finite number'];
    case 'function':
    case 'symbol':
      return [path, 'a string, number, boolean, null, Date, array or object', `a ${typeof value}`];
    case 'object':
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? [path, 'a valid Date'] : undefined;
      if (value === null || typeof (value as { toJSON?: unknown }).toJSON === 'function') return undefined;
      // JSON reads only own properties, which a Map's or Set's entries are not: it would be sent as `{}` (a WeakMap's
      // or WeakSet's cannot be read at all). Known by its tag, as encodePhpQuery knows it: `instanceof` misses one from
      // another realm (node:vm).
      if (/(Map|Set)]/.test(Object.prototype.toString.call(value))) {
        return [path, 'a plain object or array (not a Map or Set)'];
      }
      for (const [key, item] of Object.entries(value)) {
        if (LONE_SURROGATE.test(key)) return [path, 'well-formed text'];
        const found = refusedPath(item, Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`);
        if (found) return found;
      }
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
