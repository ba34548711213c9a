import { createServer, type RequestListener, type Server } from 'node:http';

/** One POST a receiver got: the path with its query, the content type, the raw body and its form fields. */
export interface Received {
  url: string;
  contentType: string;
  body: string;
  form: URLSearchParams;
}

const servers: Server[] = [];

/**
 * Serves `handler` on a free loopback port until closeReceivers(), and gives the URL of its `/bot/events` path:
 * the place a test registers as a bot's handler, so the emulator's webhook deliveries go over real HTTP.
 */
export async function listenLoopback(handler: RequestListener): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return `http://127.0.0.1:${port}/bot/events`;
}

/** A bot's event handler on loopback that records each POST; it answers `status`, or never when that is null. */
export async function startReceiver(status: number | null = 200): Promise<{ url: string; requests: Received[] }> {
  const requests: Received[] = [];
  const url = await listenLoopback((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const contentType = req.headers['content-type'] ?? '';
      requests.push({ url: req.url ?? '', contentType, body, form: new URLSearchParams(body) });
      if (status === null) return;
      res.statusCode = status;
      res.end('ok');
    });
  });
  return { url, requests };
}

/**
 * Closes every receiver started so far; tests call it in afterEach, after closing the emulator. Open connections are
 * dropped first, as a handler that never answers would otherwise hold close() for ever.
 */
export async function closeReceivers(): Promise<void> {
  const closing = servers.splice(0).map((server) => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  await Promise.all(closing);
}
