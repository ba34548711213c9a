import { createServer } from 'node:http';
import type { Emulator } from '@b24-typing/emulator';
import { afterAll, afterEach, expect } from 'vitest';

/** A POST the handler received, as it came: the path with its query, the content type, and the raw body. */
export interface Delivery {
  readonly url: string;
  readonly contentType: string;
  readonly body: Buffer;
}

/** A bot's HTTP side on 127.0.0.1, as `startEventHandler` gives it. */
export interface EventHandler {
  /** `http://127.0.0.1:<port>`: a bot's handler URL is this and any path (and query) the test chooses. */
  readonly base: string;
  /** POSTs that came with no `nextDelivery` waiting for them, oldest first. */
  readonly unclaimed: readonly Delivery[];
  /** The next POST to the handler: resolved by its arrival, no polling and no sleep. */
  nextDelivery(): Promise<Delivery>;
}

/**
 * The bot's event handler for one test file, over real HTTP so the emulator's webhook deliveries reach it as the
 * platform's would: answers every POST 200 and hands it, raw (`parseBotEvent` reads the bytes), to `nextDelivery`.
 * After each test, once `emulator` has settled, nothing may be left unclaimed: a POST one test caused would otherwise
 * be read as the next test's. Awaited at the top of the test file; closed after its last test.
 */
export async function startEventHandler(emulator: Emulator): Promise<EventHandler> {
  const unclaimed: Delivery[] = [];
  const waiting: ((delivery: Delivery) => void)[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      res.writeHead(200).end('ok');
      const delivery = {
        url: req.url ?? '',
        contentType: req.headers['content-type'] ?? '',
        body: Buffer.concat(chunks),
      };
      const waiter = waiting.shift();
      if (waiter) waiter(delivery);
      else unclaimed.push(delivery);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('the handler has no port');

  afterEach(async () => {
    await emulator.settled();
    // Emptied before the check, so a test that failed midway (a delivery left, or a wait that never got one) fails
    // alone: the next test neither reads its POST nor loses its own to the stale wait.
    waiting.length = 0;
    expect(unclaimed.splice(0)).toEqual([]);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  return {
    base: `http://127.0.0.1:${address.port}`,
    unclaimed,
    nextDelivery() {
      const delivery = unclaimed.shift();
      return delivery ? Promise.resolve(delivery) : new Promise((resolve) => waiting.push(resolve));
    },
  };
}
