import type { Transport } from '@b24-typing/core';
import { within } from './within';

/** Longer than a status request may take: core's scheduler aborts one after 10 s. */
const REQUEST_LIMIT_MS = 10_000;

/**
 * The indicators' transport, watched: the status requests of each dialog still on their way. Core aborts a status
 * call in flight when its reply comes only if the call went alone; one that left in a `batch` with other dialogs'
 * calls goes on (an abort would take theirs too), and may land after the reply's message. Core then sends that
 * status's clear once the batch is answered, which still shows the status over the answer for about a second.
 * `settled` lets the reply wait for both: the batch, then (a moment after it, when core sends it) the clear, so that
 * the message, sent last, hides them. At once when none is on its way (the usual case); ends early, rejecting, when
 * `signal` aborts (stop() does not wait out a slow portal).
 */
export function trackStatusCalls(transport: Transport): {
  readonly transport: Transport;
  settled(dialogId: string, signal: AbortSignal): Promise<void>;
} {
  const onTheirWay = new Map<string, Set<Promise<unknown>>>();
  const track = <T>(params: readonly Record<string, unknown>[], request: Promise<T>): Promise<T> => {
    const dialogs = new Set(params.map((p) => String(p.dialogId ?? p.DIALOG_ID)));
    for (const dialogId of dialogs) {
      const requests = onTheirWay.get(dialogId) ?? new Set();
      requests.add(request);
      onTheirWay.set(dialogId, requests);
    }
    const forget = () => {
      for (const dialogId of dialogs) {
        const requests = onTheirWay.get(dialogId);
        requests?.delete(request);
        if (requests?.size === 0) onTheirWay.delete(dialogId);
      }
    };
    request.then(forget, forget);
    return request;
  };
  const watched: Transport = {
    call: (method, params, options) => track([params], transport.call(method, params, options)),
    ...(transport.batch
      ? {
          batch: (calls, options) =>
            track(
              calls.map((c) => c.params),
              transport.batch!(calls, options),
            ),
        }
      : {}),
  };
  return {
    transport: watched,
    settled: async (dialogId, signal) => {
      const until = Date.now() + REQUEST_LIMIT_MS;
      let onAbort = () => {};
      const aborted = new Promise<void>((resolve) => {
        onAbort = resolve;
        signal.addEventListener('abort', onAbort, { once: true });
      });
      try {
        // Again after each wait, a moment later: once a batch that carried the status lands after the reply came, core
        // sends that status's clear (it may have landed over the answer): sent before the message, it is hidden by it.
        for (let requests = onTheirWay.get(dialogId); requests && Date.now() < until; ) {
          await within(until - Date.now(), Promise.race([Promise.allSettled(requests), aborted]));
          signal.throwIfAborted();
          await within(0, aborted);
          requests = onTheirWay.get(dialogId);
        }
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
      signal.throwIfAborted();
    },
  };
}
