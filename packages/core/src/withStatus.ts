import {
  type MonoTypeOperatorFunction,
  NEVER,
  Observable,
  Subscriber,
  Subscription,
  type TeardownLogic,
  type Unsubscribable,
} from 'rxjs';
import { B24InputError, describeValue } from './B24InputError';
import type { Indicators } from './createIndicators';
import type { IndicatorEvent } from './IndicatorEvent';
import { type BotStatusOptions, resolveBotTarget } from './resolveBotTarget';

/** Where and how to show a bot's status while a reply is produced. */
export type StatusTarget = Omit<BotStatusOptions, 'until'>;

/**
 * `reply$.pipe(withStatus(indicators, { dialogId, botId, status }))` shows the bot's status while `reply$` runs and
 * stops it the moment `reply$` emits, completes or errors (before the value reaches you, so nothing you do in
 * reaction can be followed by an indicator call). If the reply fails or you unsubscribe first, the status is
 * cleared, unless another status of the same bot in that chat goes on (the portal keeps one for both). `reply$`
 * itself is not changed in any way: same values, order, completion or error, no delay, whatever the transport does.
 * A reply that arrives synchronously shows no indicator at all.
 *
 * The target and `indicators` are validated here, so bad input throws {@link B24InputError} when the pipeline is
 * built: a failure of `indicators` later is swallowed to keep the reply intact, so one that cannot show a bot status
 * (`createTypingIndicators`' has no `botStatus`) would otherwise show nothing, silently, on every reply.
 */
export function withStatus<T>(indicators: Indicators, target: StatusTarget): MonoTypeOperatorFunction<T> {
  if (typeof indicators?.botStatus !== 'function') {
    throw new B24InputError('indicators', 'what createIndicators returns (with botStatus)', describeValue(indicators));
  }
  resolveBotTarget({ ...target, until: NEVER });
  return (source) =>
    new Observable<T>((subscriber) => {
      const reply = new ReplySubscriber(subscriber);
      source.subscribe(reply);
      reply.showStatus(indicators, target);
    });
}

/**
 * One subscription: the reply's subscriber, which passes every notification on unchanged after it ended the status,
 * and the teardown of both. Objects with methods on their prototypes rather than closures, a Subject and wrapped
 * observers: a bot may hold 100,000 replies at once, and those weighed 3 KB a status more than the status itself.
 */
class ReplySubscriber<T> extends Subscriber<T> {
  readonly #until = new ReplyEnd();
  #status: Subscription | undefined;

  constructor(destination: Subscriber<T>) {
    // Linked here rather than by `super(destination)`: a closed destination unsubscribes this at once, and this
    // one's fields must exist by then.
    super();
    this.destination = destination;
    destination.add(this);
  }

  /** Starts the status unless the reply has already ended (synchronously) or the subscriber left. */
  showStatus(indicators: Indicators, target: StatusTarget): void {
    if (this.#until.ended || this.closed) return;
    try {
      this.#status = indicators.botStatus({ ...target, until: this.#until }).subscribe(new IgnoredEvents());
    } catch {
      // Already validated; a disposed or broken `indicators` must not break the reply either.
    }
  }

  protected override _next(value: T): void {
    this.#until.end('value');
    super._next(value);
  }

  protected override _error(error: unknown): void {
    this.#until.end({ error });
    super._error(error);
  }

  protected override _complete(): void {
    this.#until.end('complete');
    super._complete();
  }

  /**
   * Teardown: the reply first, then the status (which clears it if it is still up), also when the reply's own teardown
   * throws (its error still reaches whoever unsubscribed): else the status would renew for good.
   */
  override unsubscribe(): void {
    try {
      super.unsubscribe();
    } finally {
      this.#status?.unsubscribe();
    }
  }
}

/** How the reply ended, as its `until` tells a late subscriber (a Subject's rules): a value tells it nothing. */
type Ending = 'value' | 'complete' | { readonly error: unknown };

/**
 * The status's `until`: the reply's end, told to its subscribers as a Subject would, without a Subject's
 * subscription objects. Its subscribe function is shared by all (RxJS calls it with the Observable as `this`).
 */
class ReplyEnd extends Observable<void> {
  #ending: Ending | undefined;
  /** Who hears the end: one subscriber from `createIndicators` (an array if another `Indicators` takes more). */
  #heard: Subscriber<void> | Subscriber<void>[] | undefined;

  constructor() {
    super(listenToEnd);
  }

  /** A subscriber of `until`: hears the end, or is told at once how it went. */
  listen(s: Subscriber<void>): void {
    const ending = this.#ending;
    if (ending === 'complete') s.complete();
    else if (typeof ending === 'object') s.error(ending.error);
    else if (ending === undefined) {
      const heard = this.#heard;
      this.#heard = heard === undefined ? s : Array.isArray(heard) ? [...heard, s] : [heard, s];
    }
  }

  get ended(): boolean {
    return this.#ending !== undefined;
  }

  /**
   * Stops the status first, so that no indicator call starts after the reply: nothing done in reaction to it is
   * followed by a new one (a call already on its way in a `batch` with other chats' calls may still land after the
   * reply's message: its clear follows it then, README).
   */
  end(ending: Ending): void {
    if (this.#ending !== undefined) return;
    this.#ending = ending;
    const heard = this.#heard;
    this.#heard = undefined;
    for (const s of Array.isArray(heard) ? heard : heard ? [heard] : []) {
      if (s.closed) continue;
      try {
        if (ending === 'value') s.next();
        else if (ending === 'complete') s.complete();
        else s.error(ending.error);
      } catch {
        // Nothing from the indicator may reach the reply.
      }
    }
  }
}

function listenToEnd(this: Observable<void>, s: Subscriber<void>): void {
  (this as ReplyEnd).listen(s);
}

/**
 * The status's subscriber: its events go to `indicators.events`, and its end (an error too) changes nothing. It holds
 * its teardown (the indicator) itself: a Subscriber keeps even one in an array of 17 slots (150 bytes a status).
 */
class IgnoredEvents extends Subscriber<IndicatorEvent> {
  #teardown: Unsubscribable | (() => void) | undefined;

  override add(teardown: TeardownLogic): void {
    // A Subscription is linked both ways by `add` (it leaves its parents when it ends): that one goes the usual way.
    if (this.#teardown === undefined && !this.closed && teardown && !(teardown instanceof Subscription))
      this.#teardown = teardown;
    else super.add(teardown);
  }

  override unsubscribe(): void {
    const teardown = this.#teardown;
    this.#teardown = undefined;
    try {
      super.unsubscribe();
    } finally {
      if (typeof teardown === 'function') teardown();
      else teardown?.unsubscribe();
    }
  }

  protected override _error(): void {
    this.unsubscribe();
  }
}
