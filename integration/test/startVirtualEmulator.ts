import { type Emulator, startEmulator } from '@b24-typing/emulator';
import { afterAll } from 'vitest';
import { VirtualClock } from './VirtualClock';

/**
 * A standard-plan emulator for one test file, on a `VirtualClock` of its own that starts at 2026-01-01: the emulator's
 * `now` and the indicators' `clock` read the same virtual time, so what the portal shows is asserted to the
 * millisecond and the wall clock never counts. Awaited at the top of the test file (the emulator starts as the file
 * is collected); closed after the file's last test, after the file's own `afterAll` hooks (vitest runs them as a
 * stack), so transports and handlers the file closes there go first.
 */
export async function startVirtualEmulator(): Promise<{ clock: VirtualClock; emulator: Emulator }> {
  const clock = new VirtualClock(Date.parse('2026-01-01T00:00:00Z'));
  const emulator = await startEmulator({ plan: 'standard', now: () => clock.now() });
  afterAll(async () => {
    await emulator.close();
  });
  return { clock, emulator };
}
