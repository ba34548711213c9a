import type { Transport } from '@b24-typing/core';
import type { NodeTransport } from '@b24-typing/node';
import { afterAll } from 'vitest';
import type { VirtualClock } from './VirtualClock';

/**
 * For a test file that makes node transports as it goes (in hooks and tests alike): a function that gives `transport`
 * with each of its requests held by `clock` until settled (`VirtualClock.tracked`), and keeps it to be closed after
 * the file's last test, so no keep-alive connection outlives the emulator. Called once, at the top of the file.
 */
export function trackedTransports(clock: VirtualClock): (transport: NodeTransport) => Transport {
  const transports: NodeTransport[] = [];
  afterAll(async () => {
    await Promise.all(transports.map((transport) => transport.close()));
  });
  return (transport) => {
    transports.push(transport);
    return clock.tracked(transport);
  };
}
