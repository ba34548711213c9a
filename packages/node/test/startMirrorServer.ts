import { createServer, type Socket } from 'node:net';
import { listenOnLoopback } from './listenOnLoopback';

/**
 * A port on loopback that sends back every byte it gets, no HTTP at all: what a misconfigured endpoint or a broken
 * proxy can do. undici cannot read our own request as a reply, and its parse error keeps the bytes it got (`data`):
 * the webhook code in the path, the `auth` token or the refresh form in the body. For tests that check those stay out
 * of the error and its cause.
 */
export async function startMirrorServer() {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (chunk) => socket.write(chunk));
  });
  const url = await listenOnLoopback(server);
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
