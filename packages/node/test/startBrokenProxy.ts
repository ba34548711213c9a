import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/** How the proxy spoils the emulator's reply. */
export type Breakage = 'pass' | 'html502' | 'empty' | 'cut' | 'truncated' | 'stall' | 'echo';

/**
 * A reverse proxy on loopback in front of the emulator that spoils replies the way real proxies and load
 * balancers do: an HTML 502 page (the portal was not reached), or, after forwarding the request to the emulator,
 * an empty body, a JSON body cut short (complete HTTP message, broken JSON), a body that stops before its
 * Content-Length (connection dropped), or one that stalls halfway (connection kept open). In the last three the emulator did execute the call; only the reply
 * is broken, which is the case a transport must survive.
 */
export async function startBrokenProxy(upstream: string) {
  let mode: Breakage = 'pass';
  let stalled = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      if (mode === 'echo') {
        // A careless server that quotes the whole request (URL and body) back in its error text.
        const description = `cannot handle ${req.url} with ${Buffer.concat(chunks).toString('utf8')}`;
        res
          .writeHead(400, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: 'ERROR_ARGUMENT', error_description: description }));
        return;
      }
      if (mode === 'html502') {
        // A gateway that could not reach the portal: nothing is forwarded.
        res
          .writeHead(502, { 'content-type': 'text/html' })
          .end('<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>');
        return;
      }
      const reply = await fetch(`${upstream}${req.url}`, {
        method: req.method ?? 'POST',
        headers: { 'content-type': String(req.headers['content-type'] ?? 'application/json') },
        body: Buffer.concat(chunks),
      });
      const body = Buffer.from(await reply.arrayBuffer());
      switch (mode) {
        case 'pass':
          res.writeHead(reply.status, { 'content-type': 'application/json' }).end(body);
          return;
        case 'empty':
          res.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': '0' }).end();
          return;
        case 'cut': {
          const half = body.subarray(0, Math.floor(body.length / 2));
          res
            .writeHead(reply.status, { 'content-type': 'application/json', 'content-length': String(half.length) })
            .end(half);
          return;
        }
        case 'truncated':
          res.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': String(body.length) });
          res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
          return;
        case 'stall':
          // Headers and half the body, then silence until the client gives up (closed with the proxy).
          res.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': String(body.length) });
          res.write(body.subarray(0, Math.floor(body.length / 2)), () => {
            stalled++;
          });
          return;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    set(next: Breakage) {
      mode = next;
    },
    /** Replies that went into a stall so far (headers and half a body written). */
    stalled: () => stalled,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
