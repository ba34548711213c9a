import { B24Error, type BatchItemResult, type ErrorKind, type Transport } from '@b24-typing/core';
import { within } from './within';

/** Longer than a status request may take: core's scheduler aborts one after 10 s. */
export const REQUEST_LIMIT_MS = 10_000;
/** Refusals that put nothing up (core README: "Refused outright, it put nothing up: no clear"). */
const REFUSED: ReadonlySet<ErrorKind> = new Set(['rate', 'operating', 'auth', 'input', 'access']);

/**
 * The indicators' transport, watched: the status requests of each dialog still on their way. Core aborts a status
 * call in flight when its reply comes only if the call went alone; one that left in a `batch` with other dialogs'
 * calls goes on (an abort would take theirs too), and may land after the reply's message. Core then sends that
 * status's clear once the batch is answered, which still shows the status over the answer for about a second.
 * `settled` lets the reply wait for both: the batch, then the clear, so that the message, sent last, hides them. The
 * clear is waited for by its outcome (`cleared`), not by a moment's pause: core sends it in its rate budget, which a
 * backoff after a rate refusal holds for up to seconds, so it may leave well after the batch landed. At once when none
 * is on its way (the usual case); ends early, rejecting, when `signal` aborts (stop() does not wait out a slow portal).
 */
export function trackStatusCalls(transport: Transport): {
  readonly transport: Transport;
  settled(dialogId: string, signal: AbortSignal, cleared?: () => Promise<void>): Promise<void>;
} {
  const onTheirWay = new Map<string, Set<Promise<unknown>>>();
  /** By batch, once it has an outcome: the dialogs whose status call it may have put up, which core then clears. */
  const putUp = new WeakMap<Promise<unknown>, ReadonlySet<string>>();
  const track = <T>(params: readonly Record<string, unknown>[], request: Promise<T>): Promise<T> => {
    const dialogs = new Set(params.map(dialogOf));
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
          batch: (calls, options) => {
            const request = transport.batch!(calls, options);
            // Before `track`'s own handlers, so that whoever waits for the batch finds this set.
            request.then(
              (items) => {
                const up = calls
                  .filter((_, i) => !refusedOutright(Array.isArray(items) ? items[i] : undefined))
                  .map((c) => dialogOf(c.params));
                putUp.set(request, new Set(up));
              },
              (error: unknown) =>
                putUp.set(request, new Set(refused(error) ? [] : calls.map((c) => dialogOf(c.params)))),
            );
            return track(
              calls.map((c) => c.params),
              request,
            );
          },
        }
      : {}),
  };
  return {
    transport: watched,
    settled: async (dialogId, signal, cleared) => {
      const until = Date.now() + REQUEST_LIMIT_MS;
      let onAbort = () => {};
      const aborted = new Promise<void>((resolve) => {
        onAbort = resolve;
        signal.addEventListener('abort', onAbort, { once: true });
      });
      try {
        // Again after each wait: once a batch that carried the status lands after the reply came, core sends that
        // status's clear (it may have landed over the answer): sent before the message, it is hidden by it.
        for (let requests = onTheirWay.get(dialogId); requests && Date.now() < until; ) {
          const awaited = [...requests];
          await within(until - Date.now(), Promise.race([Promise.allSettled(awaited), aborted]));
          signal.throwIfAborted();
          const clearing = cleared && awaited.some((request) => putUp.get(request)?.has(dialogId));
          await within(clearing ? until - Date.now() : 0, clearing ? Promise.race([cleared(), aborted]) : aborted);
          signal.throwIfAborted();
          requests = onTheirWay.get(dialogId);
        }
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
      signal.throwIfAborted();
    },
  };
}

function dialogOf(params: Record<string, unknown>): string {
  return String(params.dialogId ?? params.DIALOG_ID);
}

/** Whether the portal refused the call in a way that shows nothing (as core judges it: then it sends no clear). */
function refused(error: unknown): boolean {
  return REFUSED.has(B24Error.from(error).kind);
}

/** A batch item the portal refused so (a missing or malformed one may hide a call that ran: core clears it). */
function refusedOutright(item: unknown): boolean {
  return (
    typeof item === 'object' &&
    item !== null &&
    (item as BatchItemResult).ok === false &&
    refused((item as { error?: unknown }).error)
  );
}
