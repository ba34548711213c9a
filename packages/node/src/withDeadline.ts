import { B24Error } from '@b24-typing/core';

/** The default `timeoutMs`: the browser transports' too. */
export const DEFAULT_TIMEOUT_MS = 15_000;

/**
 * Runs `run` under one signal that aborts when the caller's `signal` does or when `timeoutMs` has passed, whichever
 * comes first. undici's own timeouts are idle timers (a byte every 29 s keeps a 30 s `bodyTimeout` from firing);
 * this one bounds the whole of `run`, the OAuth refresh and the retry included, and aborting it aborts the request
 * in flight, so its socket is freed and a graceful `close()` is not held past it.
 *
 * Only an `ABORTED` failure is translated: the caller's abort stays `ABORTED` (it wins over the timer), one caused
 * by the timer becomes `TIMEOUT` (kind `timeout`). Any other failure is passed on as it is, and the timer and the
 * listener on `signal` are gone once `run` settles.
 */
export async function withDeadline<T>(
  timeoutMs: number,
  signal: AbortSignal | undefined,
  run: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let timedOut = false;
  const abort = (): void => controller.abort();
  // Already aborted: the request sees it and rejects as it always did (after any input error of its own).
  if (signal?.aborted) controller.abort();
  else signal?.addEventListener('abort', abort, { once: true });
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  try {
    return await run(controller.signal);
  } catch (error) {
    if (error instanceof B24Error && error.code === 'ABORTED' && !signal?.aborted && timedOut) {
      throw new B24Error({ code: 'TIMEOUT', kind: 'timeout', message: `no answer within ${timeoutMs} ms` });
    }
    throw error;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', abort);
  }
}
