import { B24Error } from '@b24-typing/core';
import type { HttpReply } from './createHttpClient';

/**
 * Reads a portal reply: `result` on success, a `B24Error` from `{ error, error_description }` otherwise. Anything
 * that is not such an envelope (an HTML 502 from a proxy, an empty or truncated body) is a `server` error that
 * keeps the HTTP status, never a JSON parse exception; `timeout` for 408 and 504 (a gateway that gave up waiting),
 * as core classifies those statuses and the browser transports do.
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
    if (envelope.error) {
      throw B24Error.fromResponse(envelope, status);
    }
    if (status >= 200 && status < 300 && 'result' in envelope) return envelope.result;
  }
  const what = text === '' ? 'an empty body' : body === undefined ? 'a body that is not JSON' : 'JSON without result';
  throw new B24Error({
    code: 'ERROR_UNEXPECTED_ANSWER',
    kind: status === 408 || status === 504 ? 'timeout' : 'server',
    status,
    message: `unexpected reply: HTTP ${status} with ${what}`,
  });
}
