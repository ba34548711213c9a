import {
  asyncScheduler,
  filter,
  isObservable,
  map,
  NEVER,
  Observable,
  of,
  type SchedulerLike,
  Subject,
  type Subscriber,
  type Subscription,
  tap,
} from 'rxjs';
import { type AgentStatus, isAgentStatus, statusMessageCode } from './AgentStatus';
import { B24Error } from './B24Error';
import { B24InputError, describeValue } from './B24InputError';
import { createDispatcher, type RateLimits } from './createDispatcher';
import { createTimerWheel } from './createTimerWheel';
import type { CallOutcome, DispatchStats, IndicatorCall, IndicatorChannel } from './Dispatcher';
import type {
  IndicatorCallInfo,
  IndicatorEvent,
  IndicatorEventType,
  IndicatorKind,
  StopReason,
} from './IndicatorEvent';
import { type BotStatusOptions, type PreparedCall, resolveBotTarget } from './resolveBotTarget';
import { type StatusSignal, statusSignals } from './statusSignals';
import type { Transport } from './Transport';
import { resolveTypingPolicy, type TypingPolicy, typingSignals } from './typingSignals';
import { type DialogId, validateDialogId } from './validateDialogId';

export interface IndicatorsOptions {
  /** How calls reach the portal (`@b24-typing/node`, `@b24-typing/browser` or your own). */
  readonly transport: Transport;
  /** The portal's REST rate budget: `'standard'` (2/s, burst 50, the default) or `'enterprise'` (5/s, 250). */
  readonly limits?: RateLimits;
  /** Time source and timers; default `asyncScheduler`. A `TestScheduler` gives virtual time in tests. */
  readonly clock?: SchedulerLike;
  /** Hears every event of every indicator, including those after an unsubscribe (a final clear, say). */
  readonly onEvent?: (event: IndicatorEvent) => void;
}

export interface UserTypingOptions {
  /** `chat<N>` or a user id (`im.dialog.writing` does not take `sg<N>`). */
  readonly dialogId: DialogId | number;
  /** Anything that means "typed": each value counts as a keystroke. */
  readonly keystrokes: Observable<unknown>;
  /** The message went out: stop, and start afresh on the next keystroke. */
  readonly sent?: Observable<unknown>;
  readonly policy?: Partial<TypingPolicy>;
}

export interface IndicatorStats extends DispatchStats {
  /** Events so far, by type. */
  readonly events: Readonly<Record<IndicatorEventType, number>>;
  /** Indicators subscribed and not stopped for good. */
  readonly indicators: number;
}

export interface Indicators {
  /** A person typing: `im.dialog.writing` on the first keystroke, renewed while typing continues. */
  userTyping(options: UserTypingOptions): Observable<IndicatorEvent>;
  /** A bot at work: `imbot.v2.Chat.InputAction.notify` with its status, until `until`. */
  botStatus(options: BotStatusOptions): Observable<IndicatorEvent>;
  /** Every event of every indicator (hot); completes on `dispose()`. */
  readonly events: Observable<IndicatorEvent>;
  stats(): IndicatorStats;
  /** Stops every indicator (no clear is sent), aborts calls in flight and releases every timer. Idempotent. */
  dispose(): void;
}

type DriverSignal = { readonly stop: StopReason } | { readonly call: PreparedCall };

interface IndicatorSpec {
  readonly kind: IndicatorKind;
  readonly dialogId: DialogId;
  /** How long one call keeps the indicator up: renewals and clears are useless after that (their deadline). */
  readonly lifetimeMs: number;
  /** Why it stopped when its signals complete. */
  readonly endReason: StopReason;
  build(report: (error: B24Error) => void): {
    readonly signals: Observable<DriverSignal>;
    /** The call that takes the indicator down when its subscriber leaves early, if one is due. */
    readonly abortClear?: () => PreparedCall | undefined;
  };
}

const EVENT_TYPES: readonly IndicatorEventType[] = ['sent', 'renewed', 'dropped', 'failed', 'stopped'];

function callInfo(call: IndicatorCall): IndicatorCallInfo {
  const { statusMessageCode: code, duration } = call.params;
  return {
    method: call.method,
    reason: call.reason,
    ...(typeof code === 'string' ? { statusMessageCode: code } : {}),
    ...(typeof duration === 'number' ? { duration } : {}),
  };
}

/**
 * One place for the indicators of a portal: they share the transport, the rate budget and the clock.
 * Validates its options and throws {@link B24InputError} on bad ones.
 */
export function createIndicators(options: IndicatorsOptions): Indicators {
  if (typeof options !== 'object' || options === null) {
    throw new B24InputError('options', 'an object with a transport', describeValue(options));
  }
  const { transport, onEvent } = options;
  if (typeof transport !== 'object' || transport === null || typeof transport.call !== 'function') {
    throw new B24InputError(
      'transport',
      'an object with a call(method, params, options) function',
      describeValue(transport),
    );
  }
  if (onEvent !== undefined && typeof onEvent !== 'function') {
    throw new B24InputError('onEvent', 'a function', describeValue(onEvent));
  }
  const clock = options.clock ?? asyncScheduler;
  if (typeof clock?.now !== 'function' || typeof clock.schedule !== 'function') {
    throw new B24InputError('clock', 'an RxJS SchedulerLike (now and schedule)', describeValue(options.clock));
  }
  // Every delayed action of every indicator and of the scheduler shares one timer of `clock`.
  const timers = createTimerWheel(clock);
  const dispatcher = createDispatcher({
    transport,
    clock: timers,
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  });
  const events = new Subject<IndicatorEvent>();
  // Subscribed like any observer, so a throwing listener is reported the RxJS way and cannot break an indicator.
  if (onEvent) events.subscribe({ next: onEvent });
  const counts = Object.fromEntries(EVENT_TYPES.map((t) => [t, 0])) as Record<IndicatorEventType, number>;
  const live = new Set<() => void>();
  let nextId = 1;
  let disposed = false;

  const publish = (event: IndicatorEvent, subscriber: Subscriber<IndicatorEvent>) => {
    counts[event.type]++;
    if (!subscriber.closed) subscriber.next(event);
    events.next(event);
  };

  function indicator(spec: IndicatorSpec): Observable<IndicatorEvent> {
    return new Observable<IndicatorEvent>((subscriber) => {
      const id = nextId++;
      const base = () => ({ indicatorId: id, indicator: spec.kind, dialogId: spec.dialogId, at: clock.now() });
      if (disposed) {
        publish({ type: 'stopped', reason: 'disposed', ...base() }, subscriber);
        subscriber.complete();
        return;
      }
      let channel: IndicatorChannel | undefined;
      let lastCallAt = Number.NEGATIVE_INFINITY;
      let ended = false;
      let signalsSub: Subscription | undefined;

      const outcomeEvent = (o: CallOutcome): IndicatorEvent => {
        const common = {
          indicatorId: id,
          indicator: spec.kind,
          dialogId: spec.dialogId,
          at: o.at,
          call: callInfo(o.call),
        };
        if (o.type === 'sent') return { type: o.call.reason === 'renew' ? 'renewed' : 'sent', ...common };
        if (o.type === 'dropped') return { type: 'dropped', reason: o.reason, ...common };
        return { type: 'failed', error: o.error, fatal: o.fatal, ...common };
      };
      const onOutcome = (o: CallOutcome) => {
        publish(outcomeEvent(o), subscriber);
        // input/access errors: the portal will refuse every further call just the same
        if (o.type === 'failed' && o.fatal) finish('failed', 'complete');
      };
      const closeChannel = () => {
        const c = channel;
        channel = undefined;
        c?.close();
      };
      const submit = (p: PreparedCall) => {
        const now = clock.now();
        const deadline = p.reason === 'renew' ? lastCallAt + spec.lifetimeMs : Number.POSITIVE_INFINITY;
        lastCallAt = now;
        channel ??= dispatcher.open(onOutcome);
        channel.submit({ method: p.method, params: p.params, reason: p.reason, deadline });
      };
      // The clear goes on a channel of its own: the indicator's channel is closed first, which aborts a renewal
      // in flight (one landing after the clear would put the status back up).
      const sendClear = (p: PreparedCall) => {
        closeChannel();
        let clearChannel: IndicatorChannel | undefined;
        let settled = false;
        clearChannel = dispatcher.open((o) => {
          publish(outcomeEvent(o), subscriber);
          settled = true;
          // after dispose there is no channel left to close
          if (!(o.type === 'dropped' && o.reason === 'disposed')) clearChannel?.close();
        });
        clearChannel.submit({ ...p, deadline: lastCallAt + spec.lifetimeMs });
        if (settled && !disposed) clearChannel.close();
      };
      const finish = (reason: StopReason, then?: 'complete' | { readonly error: unknown }) => {
        if (ended) return;
        ended = true;
        live.delete(disposeThis);
        signalsSub?.unsubscribe();
        closeChannel();
        publish({ type: 'stopped', reason, ...base() }, subscriber);
        if (then === 'complete') subscriber.complete();
        else if (then) subscriber.error(then.error);
      };
      const disposeThis = () => finish('disposed', 'complete');
      live.add(disposeThis);

      const { signals, abortClear } = spec.build((error) =>
        publish({ type: 'failed', error, fatal: false, ...base() }, subscriber),
      );
      signalsSub = signals.subscribe({
        next: (s) => {
          if (ended) return;
          if ('stop' in s) {
            closeChannel();
            publish({ type: 'stopped', reason: s.stop, ...base() }, subscriber);
          } else if (s.call.reason === 'clear') {
            sendClear(s.call);
          } else {
            submit(s.call);
          }
        },
        error: (error: unknown) => finish('error', { error }),
        complete: () => finish(spec.endReason, 'complete'),
      });
      if (ended) signalsSub.unsubscribe();
      return () => {
        if (ended) return;
        const clear = abortClear?.();
        finish('unsubscribed');
        if (clear) sendClear(clear);
      };
    });
  }

  function requireObservable(value: unknown, field: string): Observable<unknown> {
    if (!isObservable(value)) throw new B24InputError(field, 'an Observable', describeValue(value));
    return value;
  }

  return {
    userTyping(opts) {
      if (typeof opts !== 'object' || opts === null) {
        throw new B24InputError('options', 'an object with dialogId and keystrokes', describeValue(opts));
      }
      const dialogId = validateDialogId(opts.dialogId, 'im');
      const keystrokes = requireObservable(opts.keystrokes, 'keystrokes');
      const sent = opts.sent === undefined ? NEVER : requireObservable(opts.sent, 'sent');
      const policy = resolveTypingPolicy(opts.policy);
      const call = (reason: 'start' | 'renew'): PreparedCall => ({
        method: 'im.dialog.writing',
        params: { DIALOG_ID: dialogId },
        reason,
      });
      return indicator({
        kind: 'userTyping',
        dialogId,
        lifetimeMs: policy.lifetimeMs,
        endReason: 'complete',
        build: () => ({
          signals: typingSignals(keystrokes, sent, policy, timers).pipe(
            // completion itself stops the indicator (with reason `complete`)
            filter((s) => !(s.type === 'stop' && s.reason === 'complete')),
            map((s): DriverSignal => (s.type === 'stop' ? { stop: s.reason } : { call: call(s.type) })),
          ),
        }),
      });
    },

    botStatus(opts) {
      const target = resolveBotTarget(opts);
      return indicator({
        kind: 'botStatus',
        dialogId: target.dialogId,
        lifetimeMs: target.lifetimeMs,
        endReason: 'until',
        build: (report) => {
          let shown: StatusSignal | undefined;
          let over = false;
          const source = target.status;
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
          const signals = statusSignals(
            target.legacy ? statuses.pipe(map((): AgentStatus => 'typing')) : statuses,
            target.until,
            target.policy,
            timers,
          ).pipe(
            tap((s) => {
              if (s.type === 'clear') over = true;
              else shown = s;
            }),
            map((s): DriverSignal => ({ call: target.callFor(s, s.type) })),
          );
          const abortClear = () =>
            shown && !over && target.policy.clearOnError
              ? target.callFor({ statusMessageCode: shown.statusMessageCode, durationSec: 1 }, 'clear')
              : undefined;
          return { signals, abortClear };
        },
      });
    },

    events: events.asObservable(),

    stats() {
      return { ...dispatcher.stats(), events: { ...counts }, indicators: live.size };
    },

    dispose() {
      if (disposed) return;
      disposed = true;
      // Indicators first (their channels close, calls in flight abort), then what is left: pending clears.
      for (const stop of [...live]) stop();
      dispatcher.dispose();
      events.complete();
    },
  };
}
