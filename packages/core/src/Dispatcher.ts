import type { B24Error, ErrorKind } from './B24Error';

/**
 * The internal seam between the indicators and the way their calls reach the transport. The indicator host
 * (`createIndicatorHost`) speaks only to a `Dispatcher`: for `createIndicators`, the per-portal scheduler
 * (`createDispatcher` → `createScheduler`), which spends the portal's rate budget, batches and drops stale calls;
 * for `createTypingIndicators`, `createDirectDispatcher`, which sends at once. Not part of the public API: users
 * configure it through the factories' options.
 */
export interface Dispatcher {
  /** Registers one active indicator. Its calls go through the returned channel; `onOutcome` hears what became of each. */
  open(onOutcome: (outcome: CallOutcome) => void): IndicatorChannel;
  stats(): DispatchStats;
  /** Drops everything queued, aborts everything in flight and releases the timer. */
  dispose(): void;
}

/** Why a call is made; starts and status changes go before renewals when the budget is tight. */
export type CallReason = 'start' | 'change' | 'renew' | 'clear';

/** How a bot status's final call ended it among the statuses of its bot in its chat: see `IndicatorCall.peer`. */
export type PeerEnd = true | 'reply' | 'lapse' | 'handed' | 'alone';

export interface IndicatorCall {
  readonly method: string;
  readonly params: Record<string, unknown>;
  readonly reason: CallReason;
  /**
   * Clock time (ms, the dispatcher's clock) after which the call is useless: for a renewal, the moment the
   * indicator it renews lapses; for a user-typing start, `idleMs` after its keystroke (the person may have
   * stopped). `Infinity` for calls that must go out whenever they can.
   */
  readonly deadline: number;
  /**
   * Clock time before which the call must not go out; omitted or past means now. A renewal submitted ahead with
   * its due time waits under the dispatcher's single timer, so indicators need no timer of their own (the
   * scheduler keeps one timer however many indicators are active). A newer `submit` still replaces it.
   */
  readonly notBefore?: number;
  /**
   * A final call (a clear) of an indicator that stops while another of the same status goes on: it is not sent,
   * since that one keeps the status up; but if that one ends before a call of its own left (still queued, or
   * refused outright), what this one may have put up is still there, so that one's clear goes on this one's behalf.
   * `'reply'`: it ended with its reply, whose message hid its status: only its call still on its way may put it back.
   * `'lapse'`: it ended without a reply and without a clear of its own (`clearOnError` off): its call still on its way
   * is not aborted either (a clear of the last one to end waits for it), but nothing of it is left to that clear.
   * `'handed'`: the last one to end, without a clear of its own: it clears only what others left to it (`true`, or
   * `'reply'` with a call on its way); with nothing left to it, it is no final call at all.
   * `'alone'`: it ended with its reply and no other status of the same bot in the chat goes on: a call of it in flight
   * alone is aborted, as without a final call; one in a request that goes on (a `batch` with other indicators' calls)
   * may land after the reply's message and show the status over it, as may a call of one that ended before it, still
   * on its way (then its own is not aborted either). After `'reply'` or `'alone'` the clear follows such calls once one
   * landed or may have, if no status of the bot in the chat goes on by then (it is not sent else). Either also drops
   * the clears of that status not sent yet (of one that ended before): the reply's message hid what they would take down.
   */
  readonly peer?: PeerEnd;
}

/** One active indicator's path to the transport: at most one call in flight, at most one queued. */
export interface IndicatorChannel {
  /** Queues a call. A call still queued for this indicator is replaced (merged): only the newest matters. */
  submit(call: IndicatorCall): void;
  /**
   * The indicator stopped: its queued call is dropped, its call in flight is aborted (the scheduler lets a batch it
   * shares with live indicators go on, and with `final` any request but an `'alone'` one's: an abort does not call back
   * one already sent).
   * `final` (a clear) then goes out on its own, after any call of this indicator still on its way, and its outcome
   * still reaches `onOutcome`. If no call of this indicator ever went to the transport (or, in the scheduler, each
   * one that did was refused outright, or the status has lapsed), `final` is dropped instead (`stopped`,
   * `disposed`, or `deadline`): nothing is up, and a clear would show the status for its duration. Idempotent (a
   * later `final` still goes, or is dropped). `createDirectDispatcher` sends no `final`: user typing, its one user,
   * never clears.
   */
  close(final?: IndicatorCall): void;
}

export type DropReason = 'stopped' | 'merged' | 'deadline' | 'disposed' | 'retries';

export type CallOutcome =
  | { readonly type: 'sent'; readonly call: IndicatorCall; readonly result: unknown; readonly at: number }
  | {
      readonly type: 'dropped';
      readonly call: IndicatorCall;
      readonly reason: DropReason;
      readonly at: number;
      /**
       * The error its last attempt met, if one failed (a network, server, timeout or rate error, retried rather than
       * `failed`; or, for a clear that waited out an operating hold, that refusal), whatever the reason it was then
       * given up for: an app tells a busy portal from an outage by it. None for a call no attempt of which failed.
       */
      readonly error?: B24Error;
      /**
       * Dropped (`stopped`) as its indicator stopped while the call was on its way: the request went and, aborted or
       * not, may still land. A call dropped before it left never lands. Not in `IndicatorEvent`: for bot statuses
       * sharing a chat, which weigh what may still land when one of them ends (`StatusPeerRegistry.leave`).
       */
      readonly left?: true;
    }
  | {
      readonly type: 'failed';
      readonly call: IndicatorCall;
      readonly error: B24Error;
      /** `input`/`access` errors stop the indicator: retrying cannot help. */
      readonly fatal: boolean;
      readonly at: number;
      /**
       * Refused for the operating limit (`error.kind` `'operating'`): when the hold on its method ends, the calls of
       * the method failing without a request until then (`OPERATING_HOLD_MS`), also for a hold a refusal of another
       * indicator's call began. Not in `IndicatorEvent`: for a bot status, to go again as it ends (`statusSignals`).
       */
      readonly holdEnds?: number;
    };

export interface DispatchStats {
  /** Indicator calls that reached the portal successfully. */
  readonly callsSent: number;
  /** HTTP requests made (a batch of 50 is one). */
  readonly httpRequests: number;
  /** Calls that went out inside a `batch` request. */
  readonly batchedCalls: number;
  readonly dropped: Readonly<Record<DropReason, number>>;
  readonly failed: Readonly<Partial<Record<ErrorKind, number>>>;
  readonly activeIndicators: number;
}
