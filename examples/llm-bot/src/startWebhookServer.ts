import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { B24InputError } from '@b24-typing/core';
import type { BotEvent } from '@b24-typing/node';
import { parseBotEvent } from '@b24-typing/node';

export interface WebhookServerOptions {
  /** Default 0: any free port. */
  readonly port?: number;
  /** Default 127.0.0.1: expose it through a tunnel or proxy for a real portal, not by binding 0.0.0.0. */
  readonly host?: string;
  /** Verifies `auth.application_token` of every POST; events that do not carry it are refused with 401. */
  readonly applicationToken: string;
  /**
   * Takes a verified event; `false` when it cannot (its queue is full): the POST is answered 503, a failed delivery
   * the portal may retry (reference §4.4), rather than a 200 for an event that is then dropped. One that throws, or
   * returns a promise that rejects, did not take it either: answered 500 and reported through `onRejected`.
   */
  readonly onEvent: (event: BotEvent) => boolean | void | PromiseLike<boolean | void>;
  /** Why a POST was not answered 200 (refused, or its event not taken), for the log. */
  readonly onRejected?: (reason: string) => void;
}

export interface WebhookServer {
  /** Where the portal should POST, e.g. `http://127.0.0.1:41234/bitrix24/events`. */
  readonly url: string;
  close(): Promise<void>;
}

const PATH = '/bitrix24/events';
const MAX_BODY = 1 << 20;

/**
 * Webhook-mode events: a node:http endpoint that answers 200 as soon as `parseBotEvent` accepted the body and
 * `onEvent` took it (the platform expects a quick 200 and does not promise retries); the answer is produced after.
 */
export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  // Refused here, before anything listens or registers: parseBotEvent would refuse every event for want of it (400),
  // and the bot would run deaf.
  if (typeof options.applicationToken !== 'string' || options.applicationToken === '') {
    throw new B24InputError(
      'applicationToken',
      'a non-empty string (the application_token the portal signs events with)',
    );
  }
  // Refused here, before anything listens: listen() would throw Node's RangeError for the port, and an empty host
  // would listen on every interface rather than the loopback the default keeps it to.
  const { port = 0, host = '127.0.0.1' } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new B24InputError('port', 'an integer from 0 (any free port) to 65535', String(port));
  }
  if (typeof host !== 'string' || host.trim() === '') {
    throw new B24InputError(
      'host',
      'a non-empty host name or address',
      typeof host === 'string' ? JSON.stringify(host) : typeof host,
    );
  }
  /**
   * `onRejected`, which must not throw into the request's handler: that would be an unhandled rejection and a POST
   * never answered. A log that fails has nowhere left to report to: the answer goes out regardless.
   */
  const report = (reason: string) => {
    try {
      options.onRejected?.(reason);
    } catch {
      // nothing to tell it to
    }
  };
  const server: Server = createServer((req, res) => {
    if (req.method !== 'POST' || pathOf(req.url) !== PATH) {
      res.writeHead(404).end();
      return;
    }
    readBody(req).then(
      async (body) => {
        let event: BotEvent;
        try {
          event = parseBotEvent(body, { applicationToken: options.applicationToken });
        } catch (error) {
          const kind = (error as { kind?: string }).kind;
          report(messageOf(error));
          res.writeHead(kind === 'auth' ? 401 : 400, { 'content-type': 'text/plain' }).end('rejected');
          return;
        }
        let taken: boolean;
        try {
          taken = (await options.onEvent(event)) !== false;
        } catch (error) {
          // Not taken: a failed delivery (500), which the portal may retry (reference §4.4), not a 200 for an event
          // that is lost; thrown here it would be an unhandled rejection, the POST never answered.
          report(`could not take the event: ${messageOf(error)}`);
          res.writeHead(500, { 'content-type': 'text/plain' }).end('failed');
          return;
        }
        res.writeHead(taken ? 200 : 503, { 'content-type': 'text/plain' }).end(taken ? 'ok' : 'busy');
      },
      // `connection: close`: the rest of an oversized upload is not worth reading on this socket.
      () => res.writeHead(413, { connection: 'close' }).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  const address = bound.address.includes(':') ? `[${bound.address}]` : bound.address;
  return {
    url: `http://${address}:${bound.port}${PATH}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * The path of a request target, without its query; undefined for one that is no URL path (`//`, `//[`): thrown in the
 * request listener, that would be an uncaught exception, the bot stopped by one request from anyone who can reach it.
 */
function pathOf(target: string | undefined): string | undefined {
  try {
    return new URL(target ?? '/', 'http://bot.local').pathname;
  } catch {
    return undefined;
  }
}

/**
 * The body, up to `MAX_BODY`. Past it the rest is drained unread rather than the socket destroyed: destroying it
 * mid-upload reaches the sender as a connection reset, never as the 413 that tells it why.
 */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        req.off('data', onData);
        chunks.length = 0;
        req.resume();
        reject(new Error('body too large'));
      } else chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
