import { types } from 'node:util';
import {
  B24Error,
  B24InputError,
  type BatchItemResult,
  checkBatch,
  checkCall,
  encodePhpQuery,
  MAX_BATCH,
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
    try {
      // `params` is plain data already (`jsonParams`): nothing here can throw, nor call a toJSON a second time.
      return { ok: true, value: readEnvelope(await http.post(url, JSON.stringify(body), headers, signal)) };
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
    // Only what was sent can come back quoted in a portal's error: the credentials among the params as JSON wrote them.
    let secrets = callSecrets;
    try {
      // `callOptions` too, before its `signal` reaches undici (which took `{ signal: {} }` for a network error).
      checkCall(method, params, '', callOptions);
      // Refused as the pool itself refuses after close: an abort that came first still reads as ABORTED.
      if (closing) throw callOptions?.signal?.aborted ? abortedError() : closedError();
      // Once per call, not per attempt: each toJSON is asked once, as JSON asks it, though a refresh retries the call.
      const data = jsonParams(params);
      // From the data, not `params`: a token a toJSON gives is sent (and may be quoted back), and no getter is read twice.
      secrets = [...callSecrets, ...secretParams(data)];
      // One deadline for all of it: the request, and after an expired token the wait for the refresh and the retry.
      const run = withDeadline(timeoutMs, callOptions?.signal, async (signal) => {
        let outcome = await attempt(method, data, signal);
        for (let recovered = 0; !outcome.ok; recovered++) {
          if (recovered === MAX_RECOVERIES || !auth.recover) throw outcome.error;
          if (!(outcome.error instanceof B24Error)) throw outcome.error;
          if (!(await auth.recover(outcome.error, outcome.credentials, signal, recovered))) throw outcome.error;
          outcome = await attempt(method, data, signal);
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
      throw auth.redactor.error(error, secrets);
    }
  };

  return {
    call(method, params, callOptions) {
      return send(method, params, callOptions);
    },
    async batch(given, callOptions) {
      const calls = readCalls(given);
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
      // Each call's params read once, as `call` reads them, then encoded and searched for credentials as that data: a
      // getter that throws is named by its path, and a token a toJSON gives is scrubbed from what the portal quotes.
      const data = calls.map((c, i) => jsonParams(c.params, `calls[${i}].params`));
      const cmd = calls.map((c, i) => `${c.method}?${encodePhpQuery(data[i]!, `calls[${i}].params`)}`);
      const callSecrets = data.flatMap((params) => secretParams(params));
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

/** Under the `u` flag a paired surrogate is one code point, so only a lone one is in `Cs`. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * `params` as the plain data JSON.stringify would write for it, each value checked on the way by the rules core's
 * encodePhpQuery applies to a `batch` command, and refused by the same path in the same words: what JSON does not
 * carry as given. It writes NaN, Infinity and an invalid Date as null (`"duration": null` for a NaN duration), leaves
 * a function out, writes a `Map`, `Set`, `WeakMap` or `WeakSet` (of any realm: known by its tag) as `{}` (its entries
 * are not own properties), and a lone surrogate (text cut inside an emoji) as `\ud83d`, which PHP's json_decode
 * refuses (the portal would lose the whole body). Other class instances go by their own fields.
 *
 * A value with its own `toJSON` (a URL, a date library's value, a Date) is replaced by what that returns, asked once
 * and with the key, as JSON asks it, and the result is checked by the same rules: JSON.stringify itself would send it
 * unchecked (`{ toJSON: () => NaN }` as null). So the result is what gets stringified, and JSON asks no toJSON again.
 * One that throws is named by its path (its error is not kept: it may quote the value); so is a getter that throws (the
 * same: not even as `cause`, a getter loading a credential may quote it), a cycle, and nesting deeper than `batch`
 * takes (32 levels). `field` names the params in those errors (`calls[3].params` for a batch command). The top level is
 * read by its own fields, as `batch` reads it. A bigint becomes a string of its digits (JSON would refuse it), the same
 * PHP value after `json_decode` as `batch`'s digits: a JSON number would be an int (`dialogId` must be a string) and
 * past 2^63 a float that loses digits. A boxed primitive (`new String(…)`) is its primitive, as JSON unwraps it.
 */
function jsonParams(params: Record<string, unknown>, field = 'params'): Record<string, unknown> {
  // The arrays and objects on the path being read: meeting one again is a cycle; one shared by two siblings is not.
  const path: object[] = [];
  const plain = (value: unknown, key: string, at: string): unknown => {
    const kind = typeof value;
    if ((kind === 'object' || kind === 'function' || kind === 'bigint') && value !== null) {
      const toJSON = readValue(() => (value as { toJSON?: unknown }).toJSON, at);
      if (typeof toJSON === 'function') {
        // A Date's toJSON gives null for an invalid one. Known by its internal slot, not `instanceof`, which another
        // realm's Date (node:vm) is not: it was sent as null.
        if (types.isDate(value) && Number.isNaN(+value)) throw inputError(at, 'a valid Date');
        try {
          value = toJSON.call(value, key);
        } catch {
          throw inputError(at, 'an object whose toJSON does not throw');
        }
      }
    }
    if (types.isBoxedPrimitive(value)) value = (value as { valueOf(): unknown }).valueOf();
    switch (typeof value) {
      case 'string':
        if (LONE_SURROGATE.test(value)) throw inputError(at, 'well-formed text');
        return value;
      case 'number':
        if (Number.isFinite(value)) return value;
        throw inputError(at, 'a finite number');
      case 'bigint':
        return String(value);
      case 'boolean':
      case 'undefined':
        return value;
      case 'object':
        if (value === null) return value;
        return container(value, at);
    }
    throw inputError(at, 'a string, number, boolean, null, Date, array or object', `a ${typeof value}`);
  };
  const container = (value: object, at: string): unknown => {
    // As deep as `batch` takes, 32 levels below the params (`path` holds the params too): past that, PHP's json_decode
    // would give up only at 512 and the portal lose the whole body, where batch refuses it.
    if (path.length > 32) throw inputError(at, 'nested at most 32 levels deep');
    if (path.includes(value)) throw inputError(at, 'free of cycles');
    if (/(Map|Set)]/.test(Object.prototype.toString.call(value))) {
      throw inputError(at, 'a plain object or array (not a Map or Set)');
    }
    path.push(value);
    let data: unknown;
    if (Array.isArray(value)) {
      // By index up to its length, as JSON reads an array (a hole is null).
      data = Array.from({ length: value.length }, (_, index) => {
        const itemAt = `${at}[${index}]`;
        return plain(
          readValue(() => value[index], itemAt),
          String(index),
          itemAt,
        );
      });
    } else {
      // The keys Object.entries reads, each value read on its own, so a getter that throws is named by its path.
      data = Object.fromEntries(
        Object.keys(value).map((key) => {
          // Named by the object holding it, as `batch` names it: the key itself would make the error's text malformed.
          if (LONE_SURROGATE.test(key)) throw inputError(at, 'well-formed text');
          const itemAt = `${at}.${key}`;
          return [
            key,
            plain(
              readValue(() => (value as Record<string, unknown>)[key], itemAt),
              key,
              itemAt,
            ),
          ];
        }),
      );
    }
    path.pop();
    return data;
  };
  try {
    return container(params, field) as Record<string, unknown>;
  } catch (error) {
    // Anything else (a Proxy whose traps throw, nesting too deep for the stack) as JSON.stringify's own failure was.
    if (error instanceof B24InputError) throw error;
    throw inputError(field, 'JSON-serialisable');
  }
}

/**
 * A property read through a getter that may throw: refused as input named by `at`, its error dropped (not kept as
 * `cause` either: a getter that loads a token may quote it), so it cannot reach the caller as a raw error, which a
 * dispatcher would take for a network failure and retry.
 */
function readValue(read: () => unknown, at: string): unknown {
  try {
    return read();
  } catch {
    throw inputError(at, 'a value whose getter does not throw');
  }
}

/**
 * A batch's calls, each `{ method, params }` read once, for `checkBatch` and the encoding alike: a getter that throws
 * is named as checkBatch names a bad call (`calls[2].params`). Anything but an array of at most 50 goes as given, for
 * checkBatch to refuse (a sparse array of a million would otherwise be read through first); so does a call that is no
 * object.
 */
function readCalls(calls: unknown): readonly TransportCall[] {
  if (!Array.isArray(calls) || calls.length > MAX_BATCH) return calls as readonly TransportCall[];
  return Array.from({ length: calls.length }, (_, i) => {
    const call = readValue(() => calls[i], `calls[${i}]`) as Partial<TransportCall> | undefined;
    if (typeof call !== 'object' || call === null) return call as never;
    return {
      method: readValue(() => call.method, `calls[${i}].method`),
      params: readValue(() => call.params, `calls[${i}].params`),
    } as TransportCall;
  });
}
