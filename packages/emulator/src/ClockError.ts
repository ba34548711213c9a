import { shown } from './validateOptions';

/**
 * An injected `now()` (`EmulatorOptions.now`) that returned no finite number, or threw. A TypeError like every
 * misuse of the emulator's API, but its own class: the request that ran into it is not at fault, so the control
 * routes answer it 500 rather than the 400 they give a bad body (README: the call that read it fails with 500).
 */
export class ClockError extends TypeError {
  override name = 'ClockError';
}

/** `clock` wrapped so that it returns a finite number or throws a `ClockError` (never spreads NaN). */
export function checkedClock(clock: () => number): () => number {
  return () => {
    let t: unknown;
    try {
      t = clock();
    } catch (error) {
      throw new ClockError(`startEmulator: now() threw: ${error instanceof Error ? error.message : shown(error)}`, {
        cause: error,
      });
    }
    // A clock gone bad would leak NaN into expiry, the bucket and envelopes; fail the call instead.
    if (!(typeof t === 'number' && Number.isFinite(t))) {
      throw new ClockError(`startEmulator: now() must return a finite number (epoch ms), got ${shown(t)}`);
    }
    return t;
  };
}
