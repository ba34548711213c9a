import { afterEach, beforeEach, vi } from 'vitest';

/**
 * For every test of the calling file: records unhandled rejections (a guarantee under test is that there are
 * none, whatever the transport does) and, unless `fakeTimers` is false, runs on fake timers starting at 0, so
 * `asyncScheduler` and promise settlement interleave in virtual time.
 */
export function watchUnhandled({ fakeTimers = true } = {}): { readonly rejections: unknown[] } {
  const state = { rejections: [] as unknown[] };
  const listener = (reason: unknown) => state.rejections.push(reason);
  beforeEach(() => {
    if (fakeTimers) vi.useFakeTimers({ now: 0 });
    state.rejections.length = 0;
    process.on('unhandledRejection', listener);
  });
  afterEach(() => {
    process.off('unhandledRejection', listener);
    if (fakeTimers) vi.useRealTimers();
  });
  return state;
}
