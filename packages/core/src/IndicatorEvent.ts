import type { B24Error } from './B24Error';
import type { CallReason, DropReason } from './Dispatcher';
import type { DialogId } from './validateDialogId';

/** Which kind of indicator an event belongs to. */
export type IndicatorKind = 'userTyping' | 'botStatus';

/**
 * Why an indicator stopped being renewed: `idle` (no keystroke lately), `sent` (the message went out), `until`
 * (the bot's work ended), `complete` (the keystroke source completed), `unsubscribed`, `failed` (the portal refused
 * it for good: input or access error), `error` (an input stream errored) or `disposed`.
 */
export type StopReason = 'idle' | 'sent' | 'until' | 'complete' | 'unsubscribed' | 'failed' | 'error' | 'disposed';

/** A call as events describe it: never its params, which may hold a bot token. */
export interface IndicatorCallInfo {
  readonly method: string;
  readonly reason: CallReason;
  /** The status sent (imbot.v2), if any. */
  readonly statusMessageCode?: string;
  /** The `duration` sent in seconds (imbot.v2). */
  readonly duration?: number;
}

interface EventBase {
  /** Distinguishes indicators (one per subscription). */
  readonly indicatorId: number;
  readonly indicator: IndicatorKind;
  readonly dialogId: DialogId;
  /** Time on the indicators' clock (ms). */
  readonly at: number;
}

/**
 * What happened to an indicator. `sent`: a start, change or clear reached the portal; `renewed`: a renewal did;
 * `dropped`: a call was given up (its indicator stopped, a newer call replaced it, its deadline passed or its
 * retries ran out);
 * `failed`: it was refused and is not retried (input, access, auth, operating errors; `fatal` ones stop the
 * indicator), or a status value was invalid (no `call`); `stopped`: the indicator stopped being renewed. Network,
 * server, timeout and rate errors are retried, never `failed`: a call given up after them is `dropped`, with the last
 * of them as its `error`, so that an app can tell a busy portal (`kind` `rate`) from an outage (`network`, `timeout`)
 * or a server fault (`server`). A dropped call no attempt of which failed (a renewal merged, a call whose indicator
 * stopped) has no `error`.
 */
export type IndicatorEvent =
  | (EventBase & { readonly type: 'sent' | 'renewed'; readonly call: IndicatorCallInfo })
  | (EventBase & {
      readonly type: 'dropped';
      readonly call: IndicatorCallInfo;
      readonly reason: DropReason;
      /** The error the call's last failed attempt met, as the transport gave it (as `failed`'s); absent if none did. */
      readonly error?: B24Error;
    })
  | (EventBase & {
      readonly type: 'failed';
      readonly call?: IndicatorCallInfo;
      readonly error: B24Error;
      readonly fatal: boolean;
    })
  | (EventBase & { readonly type: 'stopped'; readonly reason: StopReason });

export type IndicatorEventType = IndicatorEvent['type'];
