import { sleep } from './sleep';

/**
 * Waits for `work`, but no longer than `ms`; the timer is released either way so it never holds the process.
 * True when `work` settled in time: a caller whose work may still be under way after the wait can say so.
 */
export async function within(ms: number, work: Promise<unknown>): Promise<boolean> {
  const timer = new AbortController();
  const settled = work.then(
    () => true,
    () => true,
  );
  // Rejected only by the abort below, once the race is over.
  const timedOut = sleep(ms, timer.signal).then(
    () => false,
    () => false,
  );
  const done = await Promise.race([settled, timedOut]);
  timer.abort();
  return done;
}
