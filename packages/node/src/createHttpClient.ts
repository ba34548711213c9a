import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { B24Error } from '@b24-typing/core';
import type { Socket } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { checkHttpOptions } from './checkHttpOptions';
import { unexpectedAnswer } from './readEnvelope';

/** Connection and timeout settings shared by both transports. Every number has a default. */
export interface HttpOptions {
  /** Most open connections per origin (the portal, the OAuth server). Default 32. */
  readonly connections?: number;
  /** Time to open a TCP/TLS connection. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** Time from sending a request to the end of the response headers. Default 30 s (the cloud allows 60 s). */
  readonly headersTimeoutMs?: number;
  /** Longest silence between two chunks of a response body. Default 30 s. */
  readonly bodyTimeoutMs?: number;
  /**
   * Longest a whole `call` or `batch` may take, everything included: connecting, the request, the response body,
   * and for OAuth after an expired token the wait for the refresh and the retry. Then the request is aborted and
   * the call fails with `TIMEOUT` (kind `timeout`). The timeouts above are idle timers (a server that sends a byte
   * every 29 s never trips `bodyTimeoutMs`); this one is not. A token refresh is bounded by it too. Default 15 s.
   */
  readonly timeoutMs?: number;
  /** How long an idle keep-alive connection is kept. Default 10 s. */
  readonly keepAliveTimeoutMs?: number;
  /**
   * Largest response body read; a larger one fails as `ERROR_UNEXPECTED_ANSWER` of the kind its status gives, as any
   * reply that is no envelope does (`server` for a 2xx). Default 8 MiB.
   */
  readonly maxResponseBytes?: number;
  /**
   * Extra certificate authorities (PEM) to trust, for an on-premise portal behind a private CA, in addition to
   * Node's bundled roots (which Node's own `ca` option would replace: the OAuth transport's token endpoint,
   * `oauth.bitrix.info`, must stay trusted), and to those of the file `NODE_EXTRA_CA_CERTS` names, read when the
   * transport is made. Certificates are always verified: there is deliberately no switch to turn verification off.
   */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
}

export interface HttpReply {
  readonly status: number;
  readonly text: string;
}

/** A keep-alive connection pool per origin (undici's `Agent`), with every failure turned into a `B24Error`. */
export interface HttpClient {
  post(url: URL, body: string, headers: Record<string, string>, signal?: AbortSignal): Promise<HttpReply>;
  close(): Promise<void>;
}

export function createHttpClient(options: HttpOptions = {}): HttpClient {
  checkHttpOptions(options);
  const connect = buildConnector({
    timeout: options.connectTimeoutMs ?? 10_000,
    // One context for the pool, built once: handing undici the ~140 roots as `ca` made every connection parse
    // them again (a batched run took three times as long).
    ...(options.ca === undefined
      ? {}
      : {
          secureContext: tls.createSecureContext({
            ca: [...tls.rootCertificates, ...extraCaCerts(), ...[options.ca].flat()],
          }),
        }),
  });
  /**
   * Sockets still connecting (a TCP or TLS handshake not done yet). undici's `destroy()` leaves such a socket alone
   * until it connects or its `connectTimeoutMs` runs out, so `close()` ends these itself.
   */
  const connecting = new Set<Socket>();
  const agent = new Agent({
    connections: options.connections ?? 32,
    connect(connectOptions, callback) {
      let done = false;
      // undici's connector returns the socket it opens (its type says `void`); should that change, `close()` would have
      // nothing to end here, which the test "close() drops a connection still being made" catches.
      const socket = connect(connectOptions, (...args) => {
        done = true;
        if (socket) connecting.delete(socket);
        callback(...args);
      }) as unknown as Socket | undefined;
      if (socket && !done) connecting.add(socket);
    },
    headersTimeout: options.headersTimeoutMs ?? 30_000,
    bodyTimeout: options.bodyTimeoutMs ?? 30_000,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 10_000,
  });
  const maxBytes = options.maxResponseBytes ?? 8 * 1024 * 1024;
  /** Set by close(): the pool refuses new requests from then on. */
  let closing: Promise<void> | undefined;
  /** Our requests not settled yet: `close()` waits for these, not for what undici still holds of aborted ones. */
  const pending = new Set<Promise<unknown>>();

  const post = async (
    url: URL,
    body: string,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<HttpReply> => {
    let status: number | undefined;
    try {
      const response = await untilAborted(
        agent.request({
          origin: url.origin,
          path: url.pathname + url.search,
          method: 'POST',
          headers,
          body,
          signal,
        }),
        signal,
      );
      status = response.statusCode;
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > maxBytes) {
          response.body.destroy();
          throw unexpectedAnswer(status, `response body larger than ${maxBytes} bytes (HTTP ${status})`);
        }
        chunks.push(chunk);
      }
      return { status, text: UTF8.decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)) };
    } catch (error) {
      throw toB24Error(error, status, signal);
    }
  };

  return {
    async post(url, body, headers, signal) {
      if (signal?.aborted) throw abortedError();
      if (closing) throw closedError();
      const request = post(url, body, headers, signal);
      pending.add(request);
      try {
        return await request;
      } finally {
        pending.delete(request);
      }
    },
    close() {
      // Once: undici rejects a second close of the same agent with its own ClientDestroyedError. Our requests
      // (each bounded by its caller's deadline) are let finish; then the pool is destroyed, not closed: all it can
      // still hold is idle sockets and requests aborted while queued, which undici keeps until their connection is
      // made or times out (`connectTimeoutMs`, which may be longer than `timeoutMs`); connections still being made
      // are ended here too.
      closing ??= Promise.allSettled([...pending])
        .then(() => agent.destroy())
        .then(() => {
          // After the pool is destroyed, so undici does not open another connection for a request it still holds.
          // Destroyed with an error, so the connector's callback runs and clears its connect timer.
          for (const socket of connecting) socket.destroy(closedError());
        });
      return closing;
    },
  };
}

/**
 * undici heeds an abort only once a request has a socket: one queued behind a connection still being made (a TLS
 * handshake that hangs) or behind `connections` busy ones would wait for that, up to `connectTimeoutMs` or longer.
 * So the caller stops waiting at the abort itself; undici drops the request when it would have sent it, and a reply
 * that still came is discarded.
 */
function untilAborted<T extends { body: { destroy(): unknown } }>(
  request: Promise<T>,
  signal: AbortSignal | undefined,
): Promise<T> {
  if (!signal) return request;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortedError());
    signal.addEventListener('abort', onAbort, { once: true });
    request.then(
      (response) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) response.body.destroy();
        resolve(response);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Decodes as fetch's `text()` does, which is how the browser transports read the same replies: a leading byte order
 * mark is dropped (an on-premise portal with a PHP file saved "with BOM" sends one before every reply, and
 * `JSON.parse` refuses it), and a malformed sequence becomes U+FFFD.
 */
const UTF8 = new TextDecoder();

/**
 * The certificates the process trusts through `NODE_EXTRA_CA_CERTS` (a corporate proxy's CA, say). Node adds them to
 * its default store, which a context of our own replaces, and `tls.rootCertificates` does not list them: so they are
 * read here, once per pool like the rest of the context. A file that cannot be read is ignored, as Node ignores it
 * (with a warning it already printed at startup).
 */
function extraCaCerts(): string[] {
  const file = process.env.NODE_EXTRA_CA_CERTS;
  if (!file) return [];
  try {
    return [readFileSync(file, 'utf8')];
  } catch {
    return [];
  }
}

export function closedError(cause?: unknown): B24Error {
  return new B24Error({ code: 'CLIENT_CLOSED', kind: 'network', message: 'transport is closed', cause });
}

export function abortedError(cause?: unknown): B24Error {
  return new B24Error({ code: 'ABORTED', kind: 'network', message: 'the call was aborted', cause });
}

const TIMEOUTS: Readonly<Record<string, string>> = {
  UND_ERR_CONNECT_TIMEOUT: 'connecting',
  UND_ERR_HEADERS_TIMEOUT: 'waiting for the response headers',
  UND_ERR_BODY_TIMEOUT: 'reading the response body',
};

/**
 * undici's errors carry socket addresses, never the request path, but their messages are not ours to promise
 * anything about: the message here is built from the error code only. `status` is set once headers arrived:
 * a body that breaks off after that is a broken reply (`unexpectedAnswer`: `server` for a 2xx, else what its
 * status says), not a lost connection.
 */
function toB24Error(error: unknown, status: number | undefined, signal: AbortSignal | undefined): B24Error {
  withoutWireBytes(error);
  if (signal?.aborted) return abortedError(error);
  if (error instanceof B24Error) return error;
  const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : 'UNKNOWN';
  const stage = TIMEOUTS[code];
  if (stage !== undefined) {
    return new B24Error({
      code: 'TIMEOUT',
      kind: 'timeout',
      message: `timed out ${stage} (${code})`,
      ...(status === undefined ? {} : { status }),
      cause: error,
    });
  }
  if (status !== undefined) return unexpectedAnswer(status, `the response broke off (HTTP ${status}, ${code})`, error);
  if (code === 'UND_ERR_DESTROYED' || code === 'UND_ERR_CLOSED') {
    return closedError(error);
  }
  return new B24Error({ code: 'NETWORK_ERROR', kind: 'network', message: `network error (${code})`, cause: error });
}

/**
 * undici's parse error (`HTTPParserError`, a reply that is no HTTP) keeps the bytes it could not read as `data`, and
 * the error becomes our `cause`, which loggers print. From a port that sends back what it gets (a misconfigured
 * endpoint, a broken proxy) those bytes are our own request: the webhook code in its path, the `auth` token or the
 * refresh form in its body, none of which the redactor sees there. Dropped, the cause still names the failure.
 */
function withoutWireBytes(error: unknown): void {
  if (typeof error === 'object' && error !== null && 'data' in error) Reflect.deleteProperty(error, 'data');
}
