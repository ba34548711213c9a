import type { SchedulerLike, Subscriber, Subscription } from 'rxjs';
import { asyncScheduler, Observable, Subject } from './rx';
import type { B24Error } from './B24Error';
import { B24InputError, describeValue } from './B24InputError';
import type { CallOutcome, DispatchStats, Dispatcher, IndicatorCall, IndicatorChannel } from './Dispatcher';
import type { IndicatorCallInfo, IndicatorEvent, IndicatorEventType, StopReason } from './IndicatorEvent';
import type { IndicatorSlot, IndicatorSpec } from './IndicatorSpec';
import type { PreparedCall } from './resolveBotTarget';
import type { Transport } from './Transport';

/** What `createIndicators` and `createTypingIndicators` share: the transport, the clock and who hears events. */
export interface IndicatorHostOptions {
  /** How calls reach the portal (`@b24-typing/node`, `@b24-typing/browser` or your own). */
  readonly transport: Transport;
  /** Time source and timers; default `asyncScheduler`. A `TestScheduler` gives virtual time in tests. */
  readonly clock?: SchedulerLike;
  /** Hears every event of every indicator, including those after an unsubscribe (a final clear, say). */
  readonly onEvent?: (event: IndicatorEvent) => void;
}

export interface IndicatorStats extends DispatchStats {
  /** Events so far, by type. */
  readonly events: Readonly<Record<IndicatorEventType, number>>;
  /** Indicators subscribed and not stopped for good. */
  readonly indicators: number;
}

/** The part of a set of indicators that does not depend on their kind. */
export interface IndicatorHost {
  /** An indicator driven by `spec`: subscribing starts it, unsubscribing stops it. */
  indicator<S>(spec: IndicatorSpec<S>): Observable<IndicatorEvent>;
  /** Every event of every indicator (hot); completes on `dispose()`. */
  readonly events: Observable<IndicatorEvent>;
  stats(): IndicatorStats;
  /** Stops every indicator (no clear is sent), aborts calls in flight and releases every timer. Idempotent. */
  dispose(): void;
}

/** Validates the shared options and throws {@link B24InputError} on bad ones, before anything is created. */
export function resolveHostOptions(options: IndicatorHostOptions): {
  readonly transport: Transport;
  readonly clock: SchedulerLike;
  readonly onEvent: ((event: IndicatorEvent) => void) | undefined;
} {
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
  if (typeof clock.now !== 'function' || typeof clock.schedule !== 'function') {
    throw new B24InputError('clock', 'an RxJS SchedulerLike (now and schedule)', describeValue(clock));
  }
  return { transport, clock, onEvent };
}

/**
 * Runs indicators of any kind over one dispatcher: each subscription observes its spec's signals, submits their
 * calls through its own channel and publishes what becomes of them, to its subscriber and to `events`.
 */
export function createIndicatorHost(
  clock: SchedulerLike,
  dispatcher: Dispatcher,
  onEvent: ((event: IndicatorEvent) => void) | undefined,
  // What an event tells of its call: a user-typing call has nothing more to tell (see `statusCallInfo`).
  describeCall = (call: IndicatorCall): IndicatorCallInfo => ({ method: call.method, reason: call.reason }),
): IndicatorHost {
  const events = new Subject<IndicatorEvent>();
  // Subscribed like any observer, so a throwing listener is reported the RxJS way and cannot break an indicator.
  if (onEvent) events.subscribe(onEvent);
  const counts: Record<IndicatorEventType, number> = { sent: 0, renewed: 0, dropped: 0, failed: 0, stopped: 0 };
  let nextId = 1;
  let disposed: true | undefined;

  /**
   * One subscribed indicator: a plain object with methods on its prototype (no closure per indicator but the
   * channel's listener), because a portal may hold 100,000 of them.
   */
  class Indicator<S> implements IndicatorSlot<S> {
    /** The spec's, for its own use (see `IndicatorSlot`): declared only, so that no field is emitted for it. */
    declare last?: S;
    #channel: IndicatorChannel | undefined;
    /** When the last call lapses on the clients (its time plus the lifetime): a renewal's and a clear's deadline. */
    #lapseAt = -Infinity;
    #ended?: true;
    #signalsSub: Subscription | undefined;
    #lost: Subscriber<CallOutcome> | undefined;

    #spec!: IndicatorSpec<S>;
    #subscriber!: Subscriber<IndicatorEvent>;
    #id = nextId++;

    #publish(event: IndicatorEvent): void {
      counts[event.type]++;
      if (!this.#subscriber.closed) this.#subscriber.next(event);
      events.next(event);
    }

    #base(at = clock.now()) {
      return { indicatorId: this.#id, indicator: this.#spec.kind, dialogId: this.#spec.dialogId, at };
    }

    #onOutcome(o: CallOutcome): void {
      // the event's own fields (a drop's `error` only if an attempt failed: none, not an undefined one), then those of
      // every event, in the order the other events have them
      this.#publish({
        ...(o.type === 'sent'
          ? { type: o.call.reason === 'renew' ? ('renewed' as const) : ('sent' as const) }
          : o.type === 'dropped'
            ? { type: 'dropped' as const, reason: o.reason, ...(o.error && { error: o.error }) }
            : { type: 'failed' as const, error: o.error, fatal: o.fatal }),
        ...this.#base(o.at),
        call: describeCall(o.call),
      });
      // input/access errors: the portal will refuse every further call just the same
      if (o.type === 'failed' && o.fatal) this.#finish('failed', 'complete');
      // Given up (retries, deadline) or refused for a passing reason: the indicator may be down while the person
      // types, so its signals start afresh (not after auth errors: the transport already refreshed, a retry would
      // fail again; a drop because it stopped or was disposed changes nothing, nor one merged into a newer call).
      else if (o.type === 'failed' ? o.error.kind !== 'auth' : o.type === 'dropped' && o.reason !== 'merged')
        this.#lost?.next(o);
    }

    /**
     * The outcome of each call that did not land, for signals that start afresh then. Their one subscriber is held
     * without a Subject or a teardown (unsubscribed, it hears nothing): a status holds it as long as it lives.
     */
    get lost(): Observable<CallOutcome> {
      return new Observable((s) => {
        this.#lost = s;
      });
    }

    // A clear goes last: the channel drops what is queued, waits for the call in flight (aborted, a request already
    // sent may still land, and landing after the clear would put the status back up), then sends it.
    #closeChannel(clear?: PreparedCall): void {
      const c = this.#channel;
      this.#channel = undefined;
      c?.close(clear && { deadline: this.#lapseAt, ...clear });
    }

    #submit(p: PreparedCall): void {
      const deadline = p.reason === 'renew' ? this.#lapseAt : Infinity;
      this.#lapseAt = clock.now() + this.#spec.lifetimeMs;
      this.#channel ??= dispatcher.open((o) => this.#onOutcome(o));
      this.#channel.submit({ deadline, ...p }); // the prepared method, params and reason, and a deadline unless it has one
    }

    /** `end`: what the subscriber hears last (`error` with `error`); none when it left (`unsubscribe`). */
    #finish(reason: StopReason, end?: 'complete' | 'error', error?: unknown, clear?: PreparedCall): void {
      if (this.#ended) return;
      this.#ended = true;
      live.delete(this);
      this.#closeChannel(clear);
      this.#publish({ type: 'stopped', reason, ...this.#base() });
      // Last: a bot status's teardown may hand its status to another of the bot in the chat, whose events (a refusal,
      // say) then follow this one's stop, which caused them. If the teardown of an input throws (the user's
      // `keystrokes`, `until` or status stream), its error reaches whoever unsubscribed, as in RxJS; on any other end
      // it is dropped and the subscriber ends as it would: else it would never end, RxJS would report the error as
      // unhandled, and dispose() would stop short of the other indicators.
      try {
        this.#signalsSub?.unsubscribe();
      } catch (e) {
        if (!end) throw e;
      }
      if (end) this.#subscriber[end](error);
    }

    dispose(): void {
      this.#finish('disposed', 'complete');
    }

    /** Signals observer. */
    next(signal: S): void {
      if (this.#ended) return;
      const s = this.#spec.drive(signal, this);
      if (!s) return;
      if ('stop' in s) {
        this.#closeChannel();
        this.#publish({ type: 'stopped', reason: s.stop, ...this.#base() });
      } else if (s.call.reason === 'clear') {
        this.#closeChannel(s.call);
      } else {
        this.#submit(s.call);
      }
    }

    /** Signals observer. */
    error(error: unknown): void {
      this.#finish('error', 'error', error);
    }

    /** Signals observer. */
    complete(): void {
      this.#finish(this.#spec.endReason, 'complete');
    }

    /** Teardown: the subscriber left. */
    unsubscribe(): void {
      this.#finish('unsubscribed', undefined, undefined, this.#spec.abortClear?.(this));
    }

    /**
     * Takes its spec and subscriber (here rather than in a constructor: the bundle is smaller), subscribes to the
     * spec's signals and returns the teardown. On a disposed host it stops (`disposed`) and completes at once, as
     * `dispose()` stops a live one: its teardown then finds it ended and does nothing.
     */
    start(spec: IndicatorSpec<S>, subscriber: Subscriber<IndicatorEvent>): this {
      this.#spec = spec;
      this.#subscriber = subscriber;
      if (disposed) this.dispose();
      else {
        live.add(this as Indicator<unknown>);
        this.#signalsSub = spec
          .signals((error: B24Error) => this.#publish({ type: 'failed', error, fatal: false, ...this.#base() }), this)
          .subscribe(this);
        if (this.#ended) this.#signalsSub.unsubscribe();
      }
      return this;
    }
  }

  const live = new Set<Indicator<unknown>>();

  return {
    indicator<S>(spec: IndicatorSpec<S>): Observable<IndicatorEvent> {
      return new Observable<IndicatorEvent>((subscriber) => new Indicator<S>().start(spec, subscriber));
    },

    events: events.asObservable(),

    stats() {
      return { ...dispatcher.stats(), events: { ...counts }, indicators: live.size };
    },

    dispose() {
      if (disposed) return;
      disposed = true;
      // Indicators first (their channels close, calls in flight abort), then what is left: pending clears. The set
      // itself, not a copy (the bundle is smaller): an indicator leaves it only as it ends, and none joins it once
      // disposed, so each live one is met once whatever an event's listener does meanwhile.
      for (const ind of live) ind.dispose();
      dispatcher.dispose();
      events.complete();
    },
  };
}
