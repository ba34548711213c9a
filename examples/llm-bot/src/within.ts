import { sleep } from './sleep';

/** Waits for `work`, but no longer than `ms`; the timer is released either way so it never holds the process. */
export async function within(ms: number, work: Promise<unknown>): Promise<void> {
  const timer = new AbortController();
  await Promise.race([work, sleep(ms, timer.signal).catch(() => {})]);
  timer.abort();
}
