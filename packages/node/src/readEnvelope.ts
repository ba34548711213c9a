import { B24Error, classifyError } from '@b24-typing/core';
import type { HttpReply } from './createHttpClient';

/**
 * A reply that is not a portal envelope (a proxy's HTML page, an empty, cut or oversized body):
 * `ERROR_UNEXPECTED_ANSWER` with the HTTP status and the kind core's `classifyError` gives that status alone (a
 * code it does not list, here `''`), as the browser transports do: 401 `auth`, 403 `access`, 429 `rate`, 408 and
 * 504 `timeout` (a gateway that gave up waiting), other 4xx `input`, 2xx and 5xx `server`.
 */
export function unexpectedAnswer(status: number, message: string, cause?: unknown): B24Error {
  return new B24Error({ code: 'ERROR_UNEXPECTED_ANSWER', kind: classifyError('', status), status, message, cause });
}

/**
 * Reads a portal reply: `result` on success, a `B24Error` from `{ error, error_description }` otherwise. Anything
 * that is not such an envelope (an HTML 502 from a proxy, an empty or truncated body) is `unexpectedAnswer`, never
 * a JSON parse exception.
 *
 * An empty `error` (`null`, `""`, `0`, `false`) is no error, as in the browser transports and the jssdk: the
 * portal never sends one, and `{ error: null, result }` is a success.
 */
export function readEnvelope(reply: HttpReply): unknown {
  const { status, text } = reply;
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const envelope = body as { result?: unknown; error?: unknown; error_description?: unknown };
    // Only a code is the portal's error (reference §6: letters, digits and `_`). A gateway's JSON whose `error` is an
    // object or `true` (`{ "error": { "code": 429, … } }`) is no envelope: its status says what it is, below.
    if (typeof envelope.error === 'string' && envelope.error) throw B24Error.fromResponse(envelope, status);
    if (status >= 200 && status < 300 && 'result' in envelope) return envelope.result;
  }
  const what = text === '' ? 'an empty body' : body === undefined ? 'a body that is not JSON' : 'JSON without result';
  // Redirects are not followed (a POST would not survive one intact); the Location is left out of the message,
  // since for a webhook it repeats the secret code in the path.
  const hint = status >= 300 && status < 400 ? ': a redirect, set the endpoint to the address it points to' : '';
  throw unexpectedAnswer(status, `unexpected reply: HTTP ${status} with ${what}${hint}`);
}
