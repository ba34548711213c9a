import { filter, isObservable, map, type Observable, of, type SchedulerLike } from 'rxjs';
import { type AgentStatus, isAgentStatus, statusMessageCode } from './AgentStatus';
import { B24Error } from './B24Error';
import type { DriverSignal, IndicatorSlot, IndicatorSpec } from './IndicatorSpec';
import { type BotStatusOptions, type BotTarget, type PreparedCall, resolveBotTarget } from './resolveBotTarget';
import type { StatusPeerRegistry } from './StatusPeerRegistry';
import { type PeerStatus, resolvedStatusSignals, type StatusPeers, type StatusSignal } from './statusSignals';
import type { DialogId } from './validateDialogId';

// A class, so that one `botStatus` call's subscribers share the methods (no closures per indicator). It is also how
// they meet the other statuses of their bot in their chat (`StatusPeers`).
// What the target already holds is read through getters: one spec per status in a bot, and 100,000 add up.
class BotSpec implements IndicatorSpec<StatusSignal>, StatusPeers {
  constructor(
    readonly target: BotTarget,
    readonly timers: SchedulerLike,
    readonly registry: StatusPeerRegistry | undefined,
  ) {}

  get kind(): 'botStatus' {
    return 'botStatus';
  }

  get endReason(): 'until' {
    return 'until';
  }

  get dialogId(): DialogId {
    return this.target.dialogId;
  }

  get lifetimeMs(): number {
    return this.target.lifetimeMs;
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
      this.registry && this,
    );
  }

  get botId(): number {
    return this.target.botId;
  }

  join(status: PeerStatus): void {
    this.registry?.join(status);
  }

  leave(status: PeerStatus, handOver: boolean, replied: boolean): void {
    this.registry?.leave(status, handOver, replied);
  }

  replied(): void {
    this.registry?.replied(this.botId, this.dialogId);
  }

  shared(): boolean {
    return this.registry?.shared(this) === true;
  }

  kept(status: PeerStatus): boolean {
    return this.registry?.kept(status) === true;
  }

  drive(s: StatusSignal, slot: IndicatorSlot<StatusSignal>): DriverSignal | undefined {
    slot.last = s; // for abortClear
    let { peer } = s;
    // The legacy method cannot clear (a call shows plain typing for 25 s): after a reply nothing follows a call still
    // on its way, and nothing of it is left to the clear of another (`'lapse'`: it is only heard when it lands). Its
    // reply's message hides the bot's status in the chat all the same: no call tells the scheduler (`replied`).
    if (this.target.legacy && (peer === 'alone' || peer === 'reply')) {
      this.replied();
      if (peer === 'alone') return undefined;
      peer = 'lapse';
    }
    const call = this.target.callFor(s, s.type);
    return { call: peer ? { ...call, peer } : call };
  }

  /**
   * A status is up (the last signal was not a clear) and nothing will take it down but a clear, unless another status
   * of the bot in the chat goes on: that one keeps it up (the subscription's teardown hands it over), and clears for
   * this one too if it ends before a call of its own left (`peer`). With `clearOnError` off there is no clear, but a
   * shared status's call on its way is not aborted either (`'lapse'`): the others must hear when it lands; and the last
   * one still clears what others left to it (`'handed'`).
   */
  abortClear({ last }: IndicatorSlot<StatusSignal>): PreparedCall | undefined {
    if (!last || last.type === 'clear' || (!this.registry && !this.target.policy.clearOnError)) return undefined;
    const clear = this.target.callFor({ statusMessageCode: last.statusMessageCode, durationSec: 1 }, 'clear');
    const shared = this.shared();
    if (this.target.policy.clearOnError) return shared ? { ...clear, peer: true } : clear;
    return { ...clear, peer: shared ? 'lapse' : 'handed' };
  }
}

/**
 * Validates a `botStatus` request before any subscription, never echoing the bot token. `registry`: the statuses of
 * the same `createIndicators`, so that one does not clear the status of another of its bot in its chat.
 */
export function botStatusSpec(
  options: BotStatusOptions,
  timers: SchedulerLike,
  registry?: StatusPeerRegistry,
): IndicatorSpec<StatusSignal> {
  return new BotSpec(resolveBotTarget(options), timers, registry);
}
