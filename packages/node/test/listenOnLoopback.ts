import type { Server } from 'node:net';

/**
 * Starts `server` on a free port of 127.0.0.1 (nothing a test starts listens beyond this machine) and gives its base
 * URL, `http://127.0.0.1:<port>`: what every stub server of these tests does first.
 */
export async function listenOnLoopback(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return `http://127.0.0.1:${port}`;
}
