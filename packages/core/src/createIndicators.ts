import type { Observable } from 'rxjs';
// createIndicatorHost first: a bundler lays modules out in the order they are first imported, and with the host before
// the bot-status modules' imports a browser composer's bundle (createTypingIndicators) gzips 14 B smaller.
import { createIndicatorHost, type IndicatorHostOptions, resolveHostOptions } from './createIndicatorHost';
import { botStatusSpec } from './botStatusSpec';
import { createDispatcher, type RateLimits } from './createDispatcher';
import { createTimerWheel } from './createTimerWheel';
import { StatusPeerRegistry } from './StatusPeerRegistry';
import type { TypingIndicators } from './createTypingIndicators';
import type { IndicatorCall } from './Dispatcher';
import type { IndicatorCallInfo, IndicatorEvent } from './IndicatorEvent';
import type { BotStatusOptions } from './resolveBotTarget';
import { userTypingSpec } from './userTypingSpec';

export type { IndicatorStats } from './createIndicatorHost';
export type { UserTypingOptions } from './userTypingSpec';

export interface IndicatorsOptions extends IndicatorHostOptions {
  /** The portal's REST rate budget: `'standard'` (2/s, burst 50, the default) or `'enterprise'` (5/s, 250). */
  readonly limits?: RateLimits;
}

/** Everything `createTypingIndicators` has, and bot statuses. */
export interface Indicators extends TypingIndicators {
  /** A bot at work: `imbot.v2.Chat.InputAction.notify` with its status, until `until`. */
  botStatus(options: BotStatusOptions): Observable<IndicatorEvent>;
}

/**
 * One place for the indicators of a portal: they share the transport, the rate budget (the per-portal
 * scheduler, which batches) and one timer. Validates its options and throws {@link B24InputError} on bad ones.
 * A browser composer that only shows its user typing can take `createTypingIndicators` instead, under half the size.
 */
export function createIndicators(options: IndicatorsOptions): Indicators {
  const { transport, clock, onEvent } = resolveHostOptions(options);
  // Every delayed action of every indicator and of the scheduler shares one timer of `clock`.
  const timers = createTimerWheel(clock);
  // The portal keeps one status per chat and bot: a bot answering two messages in one chat shows one status.
  const peers = new StatusPeerRegistry(timers, (shows) => dispatcher.replied(shows));
  const dispatcher = createDispatcher({
    transport,
    clock: timers,
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    onLanded: (call, surely, ended) => peers.landed(call, surely, ended),
    lapseOf: (call) => peers.lapseOf(call),
    goesOn: (call) => peers.goesOn(call),
  });
  const host = createIndicatorHost(clock, dispatcher, onEvent, statusCallInfo);
  return {
    userTyping: (opts) => host.indicator(userTypingSpec(opts, timers)),
    botStatus: (opts) => host.indicator(botStatusSpec(opts, timers, peers)),
    events: host.events,
    stats: host.stats,
    dispose: () => {
      peers.clear();
      host.dispose();
    },
  };
}

/**
 * What an event tells of its call, a bot status's code and lease included. Passed to the host here, so that
 * `createTypingIndicators` (user typing only, whose calls have neither) leaves it out of a browser bundle.
 */
function statusCallInfo(call: IndicatorCall): IndicatorCallInfo {
  const { statusMessageCode: code, duration } = call.params;
  return {
    method: call.method,
    reason: call.reason,
    ...(typeof code === 'string' ? { statusMessageCode: code } : {}),
    ...(typeof duration === 'number' ? { duration } : {}),
  };
}
