import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { listenOnLoopback } from './listenOnLoopback';

export type StubHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * A bare server on loopback whose every answer the test writes (`reply`), for what the emulator does not do on
 * purpose: a body that trickles a byte at a time and never ends. It counts requests and the sockets still open, so
 * a test can see that the client gave a connection up. By default it answers `{"result":true}` and closes the
 * connection (no keep-alive: undici's idle-socket timer would otherwise sit among a test's fake timers).
 */
export async function startStubServer() {
  let handler: StubHandler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', connection: 'close' }).end('{"result":true}');
  };
  let requests = 0;
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    requests++;
    req.resume();
    req.on('end', () => handler(req, res));
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const url = await listenOnLoopback(server);
  return {
    url,
    /** A webhook base URL on this server (the code is a dummy). */
    webhook: `${url}/rest/1/stubwebhookcode/`,
    reply(next: StubHandler) {
      handler = next;
    },
    requests: () => requests,
    openSockets: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Waits, on real turns of the event loop (never on timers, which a test may have faked), until `ready()`. */
export async function until(ready: () => boolean, ms = 5_000): Promise<void> {
  const started = performance.now();
  while (!ready()) {
    if (performance.now() - started > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
