import type { Subscription } from 'rxjs';
import { B24Error, type ErrorKind } from './B24Error';
import type { DispatcherOptions } from './createDispatcher';
import type { CallOutcome, DispatchStats, Dispatcher, DropReason, IndicatorCall, IndicatorChannel } from './Dispatcher';

/**
 * A request unsettled after this long is aborted and counts as a `timeout` (retried like one), as in
 * `createScheduler`: a transport that never settles would otherwise hold its indicator's every later call.
 */
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * A call as it waits or goes. A retry is the call again, with its time and the error its last attempt met, which a
 * drop of it reports (the `dropped` outcome's `error`): kept on the call rather than beside it, so that a call stopped,
 * replaced or given up says what it met, and a newer call nothing (the bundle is smaller too). Events never show it:
 * they describe a call by its method and reason (`createIndicatorHost`).
 */
type Retry = IndicatorCall & { readonly error?: B24Error };

/**
 * The dispatcher of `createTypingIndicators`: each indicator's call goes to the transport at once, one in flight
 * per indicator, the newest waiting behind it (a renewal due meanwhile is merged into it); a retryable error is retried twice within the call's deadline
 * (a newer call supersedes the retry). No rate budget, no batching (that is `createScheduler`'s job, for
 * processes with many indicators); `limits` is ignored. Whatever the transport does (resolves, rejects, throws
 * synchronously, never settles: timed out after 10 s) becomes an outcome: nothing escapes as an exception or an unhandled rejection.
 */
export function createDirectDispatcher({ transport, clock }: DispatcherOptions): Dispatcher {
  const channels = new Set<() => void>();
  let disposed: true | undefined;
  let callsSent = 0;
  let httpRequests = 0;
  const dropped: Record<DropReason, number> = { stopped: 0, merged: 0, deadline: 0, disposed: 0, retries: 0 };
  const failed: Partial<Record<ErrorKind, number>> = {};
  const countFailed = (kind: ErrorKind) => {
    failed[kind] = (failed[kind] ?? 0) + 1;
  };

  const open = (onOutcome: (outcome: CallOutcome) => void): IndicatorChannel => {
    let inFlight: { readonly call: Retry; readonly controller: AbortController } | undefined;
    let queued: Retry | undefined;
    /** The one timer: the request's timeout while a call is in flight, else the wait before a retry. */
    let wait: Subscription | undefined;
    let closed: true | undefined;
    /** Retries spent on the call in flight or waiting; a newly submitted call starts at 0. */
    let retries = 0;

    const report = (outcome: CallOutcome) => {
      if (outcome.type === 'sent') callsSent++;
      else if (outcome.type === 'dropped') dropped[outcome.reason]++;
      else countFailed(outcome.error.kind);
      try {
        onOutcome(outcome);
      } catch {
        // A listener's bug must not stop the channel.
      }
    };
    const drop = (call: Retry, reason: DropReason) =>
      report({ type: 'dropped', reason, error: call.error, call, at: clock.now() });
    const unwait = () => {
      wait?.unsubscribe();
      wait = undefined;
    };

    const pump = () => {
      if (closed || inFlight || !queued || wait) return;
      const now = clock.now();
      const call = queued;
      // (without a notBefore, `undefined > now` is false)
      if (call.notBefore! > now) {
        wait = clock.schedule(() => {
          wait = undefined;
          pump();
        }, call.notBefore! - now);
        return;
      }
      queued = undefined;
      if (now > call.deadline) {
        drop(call, 'deadline');
        pump();
        return;
      }
      const controller = new AbortController();
      const entry = { call, controller };
      inFlight = entry;
      httpRequests++;
      // fail() clears `wait` whichever way it goes (a retry's wait, or the next call's timeout, replaces it)
      wait = clock.schedule(() => {
        const error = new B24Error({ code: 'TIMEOUT', message: `no answer within ${REQUEST_TIMEOUT_MS} ms` });
        controller.abort(error);
        fail(error);
      }, REQUEST_TIMEOUT_MS);
      const fail = (error: unknown) => {
        if (inFlight !== entry) return; // aborted, or timed out and given up or retried: reported already
        const b24 = B24Error.from(error);
        const at = clock.now();
        // The waits before each retry after a retryable error: a start that met a blip still shows while typing goes
        // on. NaN once the retries are spent (`at + undefined`): never before the deadline, below. (This and the
        // kinds below are literals rather than module constants: the bundle is smaller.)
        const notBefore = at + [500, 1_000][retries]!;
        // Errors a second attempt can get past: the portal was busy or out of budget, or the network hiccuped. Not
        // `operating`: the portal blocks the method for this app until its execution time drops out (up to 10 min),
        // so a retry within an indicator's life is a refused request. (`createScheduler` also holds the method for
        // 10 s after one; here, one person's typing makes a call every 20 s or so, and a hold would spare little for
        // its bytes.)
        if (!/^(network|server|timeout|rate)$/.test(b24.kind)) {
          settle(entry, { type: 'failed', error: b24, fatal: /^(input|access)$/.test(b24.kind), call, at });
          return;
        }
        countFailed(b24.kind);
        // a newer call waiting supersedes the retry; otherwise retry (if any is left) while it can still arrive in time:
        // also one due at the deadline, as a call ready then (useless only after it)
        if (queued || !(notBefore <= call.deadline)) {
          settle(entry, { type: 'dropped', reason: queued ? 'merged' : 'retries', error: b24, call, at });
        } else {
          retries++;
          inFlight = undefined;
          unwait();
          queued = { ...call, notBefore, error: b24 };
          pump();
        }
      };
      // The executor turns a transport that throws synchronously into a rejection.
      new Promise((resolve) => resolve(transport.call(call.method, call.params, { signal: controller.signal }))).then(
        (result) => settle(entry, { type: 'sent', call, result, at: clock.now() }),
        fail,
      );
    };
    const settle = (entry: typeof inFlight, outcome: CallOutcome) => {
      if (inFlight !== entry) return; // aborted: its outcome was reported when it was aborted
      inFlight = undefined;
      unwait();
      report(outcome);
      pump();
    };

    const close = (reason: DropReason) => {
      if (closed) return;
      closed = true;
      channels.delete(closeForDispose);
      unwait();
      const waiting = queued;
      const flying = inFlight;
      queued = inFlight = undefined;
      if (waiting) drop(waiting, reason);
      if (flying) {
        flying.controller.abort();
        drop(flying.call, reason);
      }
    };
    const closeForDispose = () => close('disposed');

    if (disposed) closed = true;
    else channels.add(closeForDispose);

    return {
      submit(call) {
        // A renewal due now (no `notBefore`: user typing submits each call when it is due) while a call is on its way
        // is merged, as in `createScheduler`: that call renews the indicator, and a second request behind it would
        // renew it again at once (or, given up past its deadline, restart it on the next keystroke).
        if (closed || (inFlight && call.reason === 'renew' && !call.notBefore)) {
          drop(call, inFlight ? 'merged' : disposed ? 'disposed' : 'stopped');
          return;
        }
        if (queued) drop(queued, 'merged');
        queued = call;
        retries = 0;
        // a newer call replaces the one waiting for its time: wait for the newer one's time instead
        if (!inFlight) unwait();
        pump();
      },
      // No final call: `userTyping`, the one indicator sent this way, never clears (no `abortClear`, no `clear` signal);
      // bot statuses, which do, go through `createScheduler`.
      close: () => close('stopped'),
    };
  };

  return {
    open,
    stats(): DispatchStats {
      return {
        callsSent,
        httpRequests,
        batchedCalls: 0,
        dropped: { ...dropped },
        failed: { ...failed },
        activeIndicators: channels.size,
      };
    },
    dispose() {
      disposed = true;
      // The set itself, not a copy (the bundle is smaller): a channel leaves it only as it closes, and none joins it
      // once disposed, so the walk meets each open channel once whatever a listener does meanwhile.
      for (const close of channels) close();
    },
  };
}
