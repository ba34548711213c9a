import { connect, createServer } from 'node:net';
import type { Socket } from 'node:net';

export interface Relay {
  /** `http://127.0.0.1:<port>`: give the page this as its emulator. */
  readonly url: string;
  /**
   * Cuts the page off the emulator's event stream, as a dropped connection or a sleeping laptop does, while the
   * emulator runs on: every open connection is closed, and new requests for `/_emulator/events` or
   * `/_emulator/timeline` are closed unanswered. Other requests (REST) go through.
   */
  cutFeed(): void;
  /** Lets the feed through again. */
  restoreFeed(): void;
  /**
   * Holds the event streams open now without closing them, as a proxy that keeps a connection it no longer forwards
   * (or a half-open TCP connection): nothing more of them reaches the page, and no error either. Requests made after
   * it, a new stream's included, go through.
   */
  stallFeed(): void;
  close(): Promise<void>;
}

const FEED = /^GET \/_emulator\/(?:events|timeline)\b/;
const STREAM = /^GET \/_emulator\/events\b/;

/** A TCP relay to `127.0.0.1:<targetPort>` (the port stays the same when the emulator restarts on it). */
export async function startRelay(targetPort: number): Promise<Relay> {
  const open = new Set<Socket>();
  /** The page's end of each event stream, and those `stallFeed` holds. */
  const streams = new Set<Socket>();
  const stalled = new WeakSet<Socket>();
  let cut = false;
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    open.add(client);
    open.add(upstream);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
      streams.delete(client);
    };
    client.on('data', (chunk: Buffer) => {
      // A request line starts a chunk (the browser neither pipelines nor splits one), so this sees each request.
      const line = chunk.toString('latin1', 0, 32);
      if (cut && FEED.test(line)) end();
      else {
        if (STREAM.test(line)) streams.add(client);
        upstream.write(chunk);
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!stalled.has(client)) client.write(chunk);
    });
    for (const socket of [client, upstream]) {
      socket.on('close', end);
      socket.on('error', end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    cutFeed() {
      cut = true;
      for (const socket of open) socket.destroy();
    },
    restoreFeed() {
      cut = false;
    },
    stallFeed() {
      for (const socket of streams) stalled.add(socket);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
