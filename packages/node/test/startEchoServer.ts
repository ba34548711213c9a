import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './listenOnLoopback';

/**
 * A careless server on loopback that quotes the whole request (URL and body) back in its error text, so tests
 * can check that the transport scrubs its own secrets from server error messages. The emulator never does
 * this, on purpose: it is the well-behaved portal.
 */
export async function startEchoServer() {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const description = `cannot handle ${req.url} with ${Buffer.concat(chunks).toString('utf8')}`;
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: 'ERROR_ARGUMENT', error_description: description }));
    });
  });
  const url = await listenOnLoopback(server);
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
