import { createHash, timingSafeEqual } from 'node:crypto';
import { types } from 'node:util';
import { B24Error } from '@b24-typing/core';
import type { BotEvent } from './BotEvent';
import { inputError } from './inputError';
import { checkLimits, type PhpQueryLimits, parsePhpQuery } from './parsePhpQuery';
import { malformedEvent, typeBotEvent } from './typeBotEvent';

export interface ParseBotEventOptions {
  /** The application token the portal issued for your app or bot; every event must carry it in `auth`. */
  readonly applicationToken: string;
  /** Size and nesting bounds for the body. */
  readonly limits?: PhpQueryLimits;
}

/**
 * Reads what a portal POSTs to a bot's `webhookUrl` (form-encoded with PHP brackets, reference §4.4; JSON also
 * accepted) and returns a typed event, after checking the TOP-LEVEL `auth[application_token]` in constant
 * time (`data[bot][auth]` holds another token that proves nothing). Rejects with a `B24Error`: kind `auth`
 * (`WRONG_APPLICATION_TOKEN`) for a missing or wrong token, kind `input` (`INVALID_EVENT_BODY`) for a body
 * that is malformed, too large or too deep. Pass the raw body (a string, or bytes: a Buffer, any typed array or
 * DataView, or the ArrayBuffer `await req.arrayBuffer()` gives), or what a framework already parsed (an object, the
 * FormData of `await req.formData()`, a URLSearchParams).
 *
 * @example
 * ```ts
 * app.post('/bot', express.text({ type: '*\/*' }), (req, res) => {
 *   let event: BotEvent;
 *   try {
 *     event = parseBotEvent(req.body, { applicationToken: process.env.B24_APPLICATION_TOKEN! });
 *   } catch (error) {
 *     // 401 for a missing or wrong token (kind 'auth'), 400 for a malformed body (kind 'input'), as examples/llm-bot
 *     return res.sendStatus(isB24Error(error) && error.kind === 'auth' ? 401 : 400);
 *   }
 *   res.sendStatus(200);
 *   handle(event);
 * });
 * ```
 */
export function parseBotEvent(
  body: string | ArrayBuffer | ArrayBufferView | URLSearchParams | FormData | Record<string, unknown>,
  options: ParseBotEventOptions,
): BotEvent {
  if (typeof options?.applicationToken !== 'string' || options.applicationToken === '') {
    throw inputError('applicationToken', 'a non-empty string');
  }
  const limits = options.limits ?? {};
  if (typeof limits !== 'object') throw inputError('limits', 'an object');
  checkLimits(limits);
  const raw = readBody(body, limits);
  checkTree(raw, limits.maxDepth ?? 20);
  const auth = raw.auth;
  const token =
    typeof auth === 'object' && auth !== null ? (auth as Record<string, unknown>).application_token : undefined;
  if (typeof token !== 'string' || !sameSecret(token, options.applicationToken)) {
    throw new B24Error({
      code: 'WRONG_APPLICATION_TOKEN',
      kind: 'auth',
      message: 'auth.application_token: missing or not the expected application token',
    });
  }
  const event = raw.event;
  if (typeof event !== 'string' || event === '') throw malformedEvent('event: must be a non-empty string');
  return typeBotEvent(event, raw.data, { ts: raw.ts, auth, eventHandlerId: raw.event_handler_id });
}

function readBody(body: unknown, limits: PhpQueryLimits): Record<string, unknown> {
  const maxLength = limits.maxLength ?? 1024 * 1024;
  // An ArrayBuffer (fetch-style frameworks: `await req.arrayBuffer()`), a DataView or any typed array is as much the
  // raw body as a Buffer; read as a parsed object it had no fields and was refused as a wrong token. `types`
  // rather than `instanceof`, which misses a buffer made in another realm (a vm context, a worker's transfer).
  if (types.isAnyArrayBuffer(body)) body = new Uint8Array(body);
  else if (ArrayBuffer.isView(body)) body = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof Uint8Array) {
    if (body.byteLength > maxLength * 4) throw malformedEvent(`body: longer than ${maxLength} characters`);
    body = new TextDecoder('utf-8', { fatal: false }).decode(body);
  }
  if (typeof body === 'string') {
    if (body.length > maxLength) throw malformedEvent(`body: longer than ${maxLength} characters`);
    const text = body.trimStart();
    if (text.startsWith('{')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw malformedEvent('body: invalid JSON');
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw malformedEvent('body: must be a JSON object');
      }
      return parsed as Record<string, unknown>;
    }
    return parsePhpQuery(text.trimEnd(), limits);
  }
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    // What holds a body (a forgotten `await`, a fetch Request or its ReadableStream `body`, a Blob, node's request)
    // has no fields of an event, so read as a parsed one it was refused as a wrong token: a parsed body is plain data.
    const holder = body as Record<string, unknown>;
    if (typeof holder.then === 'function') {
      throw malformedEvent('body: a Promise, not the body: await it (read the body first, e.g. await req.text())');
    }
    if (['arrayBuffer', 'getReader', 'pipe'].some((method) => typeof holder[method] === 'function')) {
      throw malformedEvent(
        'body: a request, stream or Blob, not the body: read it first (await req.text() or await req.arrayBuffer())',
      );
    }
    // `await req.formData()` (Next route handlers, Hono, Bun) or a URLSearchParams: the fields are no own properties,
    // so read as a parsed object it had none and was refused as a wrong token. It is the form itself.
    if (typeof holder.getAll === 'function' && typeof holder.entries === 'function') {
      const form = new URLSearchParams();
      for (const [key, value] of (body as URLSearchParams).entries() as Iterable<[string, unknown]>) {
        if (typeof value !== 'string') throw malformedEvent(`body: the field "${key}" is a file, not text`);
        form.append(key, value);
      }
      return parsePhpQuery(form.toString(), limits);
    }
    const entries = Object.entries(body);
    // A form a framework parsed without nesting it (node:querystring: Express's `urlencoded({ extended: false })`,
    // Fastify's formbody) keeps `auth[application_token]` as one key, a repeated one as an array: it is read as the
    // form it was, or every event would be refused as carrying no token.
    if (
      entries.some(([key]) => key.includes('[')) &&
      entries.every(([, value]) => [value].flat().every((item) => typeof item === 'string'))
    ) {
      const form = new URLSearchParams();
      for (const [key, value] of entries) for (const item of [value].flat()) form.append(key, item as string);
      return parsePhpQuery(form.toString(), limits);
    }
    return body as Record<string, unknown>;
  }
  throw malformedEvent('body: must be a string, bytes or an object');
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Depth and key checks for bodies that did not come through `parsePhpQuery` (JSON, pre-parsed objects). `depth` is
 * the length of the value's key path, as `parsePhpQuery` counts it (`a[b][c]` is 3), so an event is refused at the
 * same depth whether it came as a form or as JSON.
 */
function checkTree(value: unknown, maxDepth: number, depth = 0): void {
  if (depth > maxDepth) throw malformedEvent(`body: nesting deeper than ${maxDepth} levels`);
  if (typeof value !== 'object' || value === null) return;
  for (const key of Object.keys(value)) {
    if (FORBIDDEN.has(key)) throw malformedEvent(`body: the field name "${key}" is not allowed`);
    checkTree((value as Record<string, unknown>)[key], maxDepth, depth + 1);
  }
}

/** Compares digests, so neither the length nor a common prefix of the expected token leaks through timing. */
function sameSecret(actual: string, expected: string): boolean {
  const a = createHash('sha256').update(actual).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
