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
import { type BotStatusOptions, type BotTarget, type PreparedCall, resolveBotTarget } from './resolveBotTarget';
import { type StatusSignal, statusSignals } from './statusSignals';
import type { Transport } from './Transport';
import { resolveTypingPolicy, type TypingPolicy, type TypingSignal, typingSignals } from './typingSignals';
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

/**
 * What kind of indicator and how it is driven. Shared by every subscription of one `userTyping`/`botStatus`
 * observable, so it holds no per-subscription state (that lives on the {@link Indicator}).
 */
interface IndicatorSpec<S> {
  readonly kind: IndicatorKind;
  readonly dialogId: DialogId;
  /** How long one call keeps the indicator up: renewals and clears are useless after that (their deadline). */
  readonly lifetimeMs: number;
  /** Why it stopped when its signals complete. */
  readonly endReason: StopReason;
  /** The pure timing stream, built per subscription (`report` hears invalid input that does not stop it). */
  signals(report: (error: B24Error) => void): Observable<S>;
  /** What a signal asks for; `undefined` for none. */
  drive(signal: S): DriverSignal | undefined;
  /** The call that takes the indicator down when its subscriber leaves early, given its last signal, if due. */
  abortClear?(last: S | undefined): PreparedCall | undefined;
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
  let nextId = 1;
  let disposed = false;

  const publish = (event: IndicatorEvent, subscriber: Subscriber<IndicatorEvent>) => {
    counts[event.type]++;
    if (!subscriber.closed) subscriber.next(event);
    events.next(event);
  };

  /**
   * One subscribed indicator: a plain object with methods on its prototype (no closure per indicator but the
   * channel's listener), because a portal may hold 100,000 of them. It observes its signals, submits their
   * calls through its channel and publishes what becomes of them.
   */
  class Indicator<S> {
    channel: IndicatorChannel | undefined;
    lastCallAt = Number.NEGATIVE_INFINITY;
    ended = false;
    signalsSub: Subscription | undefined;
    last: S | undefined;

    constructor(
      readonly spec: IndicatorSpec<S>,
      readonly subscriber: Subscriber<IndicatorEvent>,
      readonly id: number,
    ) {}

    base(at = clock.now()) {
      return { indicatorId: this.id, indicator: this.spec.kind, dialogId: this.spec.dialogId, at };
    }

    outcomeEvent(o: CallOutcome): IndicatorEvent {
      const common = { ...this.base(o.at), call: callInfo(o.call) };
      if (o.type === 'sent') return { type: o.call.reason === 'renew' ? 'renewed' : 'sent', ...common };
      if (o.type === 'dropped') return { type: 'dropped', reason: o.reason, ...common };
      return { type: 'failed', error: o.error, fatal: o.fatal, ...common };
    }

    onOutcome(o: CallOutcome): void {
      publish(this.outcomeEvent(o), this.subscriber);
      // input/access errors: the portal will refuse every further call just the same
      if (o.type === 'failed' && o.fatal) this.finish('failed', 'complete');
    }

    closeChannel(): void {
      const c = this.channel;
      this.channel = undefined;
      c?.close();
    }

    submit(p: PreparedCall): void {
      const now = clock.now();
      const deadline = p.reason === 'renew' ? this.lastCallAt + this.spec.lifetimeMs : Number.POSITIVE_INFINITY;
      this.lastCallAt = now;
      this.channel ??= dispatcher.open((o) => this.onOutcome(o));
      this.channel.submit({ method: p.method, params: p.params, reason: p.reason, deadline });
    }

    // The clear goes on a channel of its own: the indicator's channel is closed first, which aborts a renewal
    // in flight (one landing after the clear would put the status back up).
    sendClear(p: PreparedCall): void {
      this.closeChannel();
      let clearChannel: IndicatorChannel | undefined;
      let settled = false;
      clearChannel = dispatcher.open((o) => {
        publish(this.outcomeEvent(o), this.subscriber);
        settled = true;
        // after dispose there is no channel left to close
        if (!(o.type === 'dropped' && o.reason === 'disposed')) clearChannel?.close();
      });
      clearChannel.submit({ ...p, deadline: this.lastCallAt + this.spec.lifetimeMs });
      if (settled && !disposed) clearChannel.close();
    }

    finish(reason: StopReason, then?: 'complete' | { readonly error: unknown }): void {
      if (this.ended) return;
      this.ended = true;
      live.delete(this);
      this.signalsSub?.unsubscribe();
      this.closeChannel();
      publish({ type: 'stopped', reason, ...this.base() }, this.subscriber);
      if (then === 'complete') this.subscriber.complete();
      else if (then) this.subscriber.error(then.error);
    }

    dispose(): void {
      this.finish('disposed', 'complete');
    }

    /** Signals observer. */
    next(signal: S): void {
      if (this.ended) return;
      this.last = signal;
      const s = this.spec.drive(signal);
      if (!s) return;
      if ('stop' in s) {
        this.closeChannel();
        publish({ type: 'stopped', reason: s.stop, ...this.base() }, this.subscriber);
      } else if (s.call.reason === 'clear') {
        this.sendClear(s.call);
      } else {
        this.submit(s.call);
      }
    }

    /** Signals observer. */
    error(error: unknown): void {
      this.finish('error', { error });
    }

    /** Signals observer. */
    complete(): void {
      this.finish(this.spec.endReason, 'complete');
    }

    /** Teardown: the subscriber left. */
    unsubscribe(): void {
      if (this.ended) return;
      const clear = this.spec.abortClear?.(this.last);
      this.finish('unsubscribed');
      if (clear) this.sendClear(clear);
    }

    report(error: B24Error): void {
      publish({ type: 'failed', error, fatal: false, ...this.base() }, this.subscriber);
    }
  }

  const live = new Set<Indicator<unknown>>();

  function indicator<S>(spec: IndicatorSpec<S>): Observable<IndicatorEvent> {
    return new Observable<IndicatorEvent>((subscriber) => {
      const ind = new Indicator(spec, subscriber, nextId++);
      if (disposed) {
        publish({ type: 'stopped', reason: 'disposed', ...ind.base() }, subscriber);
        subscriber.complete();
        return;
      }
      live.add(ind as Indicator<unknown>);
      ind.signalsSub = spec.signals((error) => ind.report(error)).subscribe(ind);
      if (ind.ended) ind.signalsSub.unsubscribe();
      return ind;
    });
  }

  function requireObservable(value: unknown, field: string): Observable<unknown> {
    if (!isObservable(value)) throw new B24InputError(field, 'an Observable', describeValue(value));
    return value;
  }

  // Specs are objects with prototype methods too: one per `userTyping`/`botStatus` call, shared by its subscribers.
  class TypingSpec implements IndicatorSpec<TypingSignal> {
    readonly kind = 'userTyping';
    readonly endReason = 'complete';
    readonly lifetimeMs: number;
    constructor(
      readonly dialogId: DialogId,
      readonly keystrokes: Observable<unknown>,
      readonly sent: Observable<unknown>,
      readonly policy: TypingPolicy,
    ) {
      this.lifetimeMs = policy.lifetimeMs;
    }

    signals(): Observable<TypingSignal> {
      return typingSignals(this.keystrokes, this.sent, this.policy, timers);
    }

    drive(s: TypingSignal): DriverSignal | undefined {
      // completion itself stops the indicator (with reason `complete`)
      if (s.type === 'stop') return s.reason === 'complete' ? undefined : { stop: s.reason };
      return { call: { method: 'im.dialog.writing', params: { DIALOG_ID: this.dialogId }, reason: s.type } };
    }
  }

  class BotSpec implements IndicatorSpec<StatusSignal> {
    readonly kind = 'botStatus';
    readonly endReason = 'until';
    readonly dialogId: DialogId;
    readonly lifetimeMs: number;
    constructor(readonly target: BotTarget) {
      this.dialogId = target.dialogId;
      this.lifetimeMs = target.lifetimeMs;
    }

    signals(report: (error: B24Error) => void): Observable<StatusSignal> {
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
      return statusSignals(legacy ? statuses.pipe(map((): AgentStatus => 'typing')) : statuses, until, policy, timers);
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

  return {
    userTyping(opts) {
      if (typeof opts !== 'object' || opts === null) {
        throw new B24InputError('options', 'an object with dialogId and keystrokes', describeValue(opts));
      }
      const dialogId = validateDialogId(opts.dialogId, 'im');
      const keystrokes = requireObservable(opts.keystrokes, 'keystrokes');
      const sent = opts.sent === undefined ? NEVER : requireObservable(opts.sent, 'sent');
      return indicator(new TypingSpec(dialogId, keystrokes, sent, resolveTypingPolicy(opts.policy)));
    },

    botStatus(opts) {
      return indicator(new BotSpec(resolveBotTarget(opts)));
    },

    events: events.asObservable(),

    stats() {
      return { ...dispatcher.stats(), events: { ...counts }, indicators: live.size };
    },

    dispose() {
      if (disposed) return;
      disposed = true;
      // Indicators first (their channels close, calls in flight abort), then what is left: pending clears.
      for (const ind of [...live]) ind.dispose();
      dispatcher.dispose();
      events.complete();
    },
  };
}
