import type { VirtualClock } from './VirtualClock';

/** How often `holdFor` looks at what the portal shows: fine enough to catch a lapse between two renewals. */
export const SAMPLE_MS = 1_000;

/**
 * Lets `ms` of `clock`'s time pass, looking every `SAMPLE_MS` whether `showing()`: the instants it was not. Sampling
 * the emulator's indicators, not our client's calls, is what asserts that users saw the status without a gap.
 */
export async function holdFor(clock: VirtualClock, showing: () => boolean, ms: number): Promise<number[]> {
  const gaps: number[] = [];
  const to = clock.now() + ms;
  while (clock.now() < to) {
    await clock.advanceBy(Math.min(SAMPLE_MS, to - clock.now()));
    if (!showing()) gaps.push(clock.now());
  }
  return gaps;
}
