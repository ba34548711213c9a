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
  close(): Promise<void>;
}

const FEED = /^GET \/_emulator\/(?:events|timeline)\b/;

/** A TCP relay to `127.0.0.1:<targetPort>` (the port stays the same when the emulator restarts on it). */
export async function startRelay(targetPort: number): Promise<Relay> {
  const open = new Set<Socket>();
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
    };
    client.on('data', (chunk: Buffer) => {
      // A request line starts a chunk (the browser neither pipelines nor splits one), so this sees each request.
      if (cut && FEED.test(chunk.toString('latin1', 0, 32))) end();
      else upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
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
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
