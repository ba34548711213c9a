import {
  B24Error,
  type BatchItemResult,
  type Transport,
  type TransportCall,
  type TransportCallOptions,
} from '@b24-typing/core';
import { createHttpClient, type HttpOptions } from './createHttpClient';
import { type Redactor, secretParams } from './createRedactor';
import { encodePhpQuery } from './encodePhpQuery';
import { inputError } from './inputError';
import { readEnvelope } from './readEnvelope';
import { USER_AGENT } from './userAgent';

/** What both transports return: core's `Transport` with `batch` always present, and a way to free the sockets. */
export interface NodeTransport extends Transport {
  batch(calls: readonly TransportCall[], options?: TransportCallOptions): Promise<readonly BatchItemResult[]>;
  /** Closes the connection pools. Calls made afterwards reject with a `network` error. */
  close(): Promise<void>;
}

/** Options both transports accept. */
export interface TransportOptions extends HttpOptions {
  /** Permit plain http to a non-loopback host. Off: a webhook code or token must not cross a network in clear. */
  readonly allowInsecure?: boolean;
}

/** The portal's `BATCH_MAX_LENGTH` (reference §8). */
export const MAX_BATCH = 50;

/** How a transport authenticates; the webhook and OAuth transports differ only here. */
export interface RestAuth {
  /** The URL and JSON body for one call, and a tag naming the credentials used (for refresh coalescing). */
  prepare(
    method: string,
    params: Record<string, unknown>,
  ): { url: URL; body: Record<string, unknown>; credentials: number };
  /** After an error: resolves `true` when new credentials are ready and the call should be retried once. */
  recover?(error: B24Error, credentials: number, signal: AbortSignal | undefined): Promise<boolean>;
  readonly redactor: Redactor;
}

const METHOD = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/;

export function createRestTransport(auth: RestAuth, options: HttpOptions): NodeTransport {
  const http = createHttpClient(options);
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
      json = JSON.stringify(body);
    } catch {
      throw inputError('params', 'JSON-serialisable (no bigint, no cycles)');
    }
    try {
      return { ok: true, value: readEnvelope(await http.post(url, json, headers, signal)) };
    } catch (error) {
      return { ok: false, error, credentials };
    }
  };

  const send = async (
    method: string,
    params: Record<string, unknown>,
    signal?: AbortSignal,
    callSecrets: readonly string[] = [],
  ): Promise<unknown> => {
    try {
      checkCall(method, params, 'method', 'params');
      const first = await attempt(method, params, signal);
      if (first.ok) return first.value;
      if (!(first.error instanceof B24Error) || !auth.recover) throw first.error;
      if (!(await auth.recover(first.error, first.credentials, signal))) throw first.error;
      const second = await attempt(method, params, signal);
      if (second.ok) return second.value;
      throw second.error;
    } catch (error) {
      throw auth.redactor.error(error, [...callSecrets, ...(isRecord(params) ? secretParams(params) : [])]);
    }
  };

  return {
    call(method, params, callOptions) {
      return send(method, params, callOptions?.signal);
    },
    async batch(calls, callOptions) {
      if (!Array.isArray(calls)) throw inputError('calls', 'an array');
      if (calls.length > MAX_BATCH) {
        throw inputError('calls', `at most ${MAX_BATCH} calls (one batch request)`, String(calls.length));
      }
      if (calls.length === 0) return [];
      const cmd = calls.map((c: TransportCall, i) => {
        checkCall(c?.method, c?.params, `calls[${i}].method`, `calls[${i}].params`);
        if (c.method.toLowerCase() === 'batch')
          throw inputError(`calls[${i}].method`, 'a method other than batch (batches do not nest)');
        return `${c.method}?${encodePhpQuery(c.params, `calls[${i}].params`)}`;
      });
      const callSecrets = calls.flatMap((c) => secretParams(c.params));
      const result = await send('batch', { halt: 0, cmd }, callOptions?.signal, callSecrets);
      return readBatch(result, calls.length, auth.redactor, callSecrets);
    },
    close() {
      return http.close();
    },
  };
}

function checkCall(
  method: unknown,
  params: unknown,
  methodField: string,
  paramsField: string,
): asserts method is string {
  if (typeof method !== 'string' || !METHOD.test(method)) {
    throw inputError(methodField, 'a REST method name such as "im.dialog.writing"');
  }
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw inputError(paramsField, 'a plain object');
  }
}

/**
 * Maps `{ result, result_error }` back onto the calls, in order. PHP serialises these as lists or as objects
 * with numeric keys depending on gaps, and empty ones as `[]`; indexing by position reads all three.
 */
function readBatch(
  result: unknown,
  count: number,
  redactor: Redactor,
  callSecrets: readonly string[],
): BatchItemResult[] {
  if (typeof result !== 'object' || result === null) {
    throw new B24Error({ code: 'ERROR_UNEXPECTED_ANSWER', kind: 'server', message: 'batch reply without results' });
  }
  const { result: results, result_error: errors } = result as { result?: unknown; result_error?: unknown };
  const items: BatchItemResult[] = [];
  for (let i = 0; i < count; i++) {
    const error = entry(errors, i);
    if (error !== undefined && error !== null) {
      const body = typeof error === 'object' ? (error as { error?: unknown; error_description?: unknown }) : { error };
      items.push({ ok: false, error: redactor.error(B24Error.fromResponse(body), callSecrets) as B24Error });
    } else if (hasEntry(results, i)) {
      items.push({ ok: true, result: entry(results, i) });
    } else {
      items.push({
        ok: false,
        error: new B24Error({
          code: 'BATCH_COMMAND_SKIPPED',
          kind: 'server',
          message: `batch command ${i} has neither a result nor an error`,
        }),
      });
    }
  }
  return items;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasEntry(collection: unknown, index: number): boolean {
  return typeof collection === 'object' && collection !== null && Object.hasOwn(collection, String(index));
}

function entry(collection: unknown, index: number): unknown {
  return hasEntry(collection, index) ? (collection as Record<string, unknown>)[String(index)] : undefined;
}
