import { filter, isObservable, map, type Observable, of, type SchedulerLike } from 'rxjs';
import { type AgentStatus, isAgentStatus, statusMessageCode } from './AgentStatus';
import { B24Error } from './B24Error';
import type { DriverSignal, IndicatorSpec } from './IndicatorSpec';
import { type BotStatusOptions, type BotTarget, type PreparedCall, resolveBotTarget } from './resolveBotTarget';
import { resolvedStatusSignals, type StatusSignal } from './statusSignals';
import type { DialogId } from './validateDialogId';

// A class, so that one `botStatus` call's subscribers share the methods (no closures per indicator).
class BotSpec implements IndicatorSpec<StatusSignal> {
  readonly kind = 'botStatus';
  readonly endReason = 'until';
  readonly dialogId: DialogId;
  readonly lifetimeMs: number;
  constructor(
    readonly target: BotTarget,
    readonly timers: SchedulerLike,
  ) {
    this.dialogId = target.dialogId;
    this.lifetimeMs = target.lifetimeMs;
  }

  signals(report: (error: B24Error) => void, host: { readonly lost: Observable<unknown> }): Observable<StatusSignal> {
    const { status: source, legacy, until, policy } = this.target;
    const statuses: Observable<AgentStatus> = isObservable(source)
      ? source.pipe(
          filter((value) => {
            if (isAgentStatus(value)) return true;
            try {
              statusMessageCode(value);
            } catch (error) {
              report(B24Error.from(error));
            }
            return false;
          }),
        )
      : of(source);
    return resolvedStatusSignals(
      legacy ? statuses.pipe(map((): AgentStatus => 'typing')) : statuses,
      until,
      policy,
      this.timers,
      host.lost,
    );
  }

  drive(s: StatusSignal): DriverSignal {
    return { call: this.target.callFor(s, s.type) };
  }

  /** A status is up (the last signal was not a clear) and nothing will take it down but a clear. */
  abortClear(last: StatusSignal | undefined): PreparedCall | undefined {
    return last && last.type !== 'clear' && this.target.policy.clearOnError
      ? this.target.callFor({ statusMessageCode: last.statusMessageCode, durationSec: 1 }, 'clear')
      : undefined;
  }
}

/** Validates a `botStatus` request before any subscription, never echoing the bot token. */
export function botStatusSpec(options: BotStatusOptions, timers: SchedulerLike): IndicatorSpec<StatusSignal> {
  return new BotSpec(resolveBotTarget(options), timers);
}
