import { B24Error, isB24Error, type Transport } from '@b24-typing/core';
import { Observable } from 'rxjs';
import type { BotEvent } from './BotEvent';
import { inputError } from './inputError';
import { typeBotEvent } from './typeBotEvent';

export interface BotEventsOptions {
  readonly botId: number;
  /** Required with a webhook transport (the bot's registration token), not with OAuth. */
  readonly botToken?: string;
  /**
   * Where the first subscription starts: a `nextOffset` you persisted (see `onOffset`). Default: whatever the portal
   * still holds. A later subscription to the same stream (`retry()`, `repeat()`) continues where the last one got to.
   */
  readonly offset?: number;
  /** Events per poll, 1–1000. Default 100. */
  readonly limit?: number;
  /** Also receive user events (`withUserEvents`). A boolean: `'false'` from an environment variable is refused. */
  readonly withUserEvents?: boolean;
  /** Pause after a poll that drained the queue. Default 5,000 ms (the platform recommends 5–30 s). */
  readonly intervalMs?: number;
  /** Pause before the next poll when `hasMore` was true. Default 2,000 ms (the platform asks for ≥ 2 s). */
  readonly hasMoreDelayMs?: number;
  /**
   * Exponential backoff after a failed poll: `initialMs × factor^(n−1)` ± `jitter`, kept between `initialMs` and
   * `maxMs` (jitter never takes a delay past `maxMs`; `initialMs` wins should it be the larger).
   */
  readonly backoff?: {
    /**
     * Default `intervalMs`, at least 1 s: a failed poll (a 429 above all) is never retried sooner than an idle
     * poll would be, since the platform recommends polling every 5–30 s and backing off on 429 (reference §4.4,
     * §7), and a short `intervalMs` (0 for a busy test rig) never turns the backoff into a retry loop.
     */
    readonly initialMs?: number;
    /** At least 1 (1 for a constant delay). Default 2. */
    readonly factor?: number;
    /** Longest delay, jitter included. Default 60 s. */
    readonly maxMs?: number;
    /** Fraction of the delay randomised either way, from 0 to 1, within `initialMs` and `maxMs`. Default 0.2. */
    readonly jitter?: number;
  };
  /**
   * Called after each successful poll with the offset that confirms everything delivered so far, and when the
   * subscriber leaves mid-page with the offset just past the last event it was delivered. If it throws, or
   * returns a promise that rejects (an async save), the stream errors with that (the offset was not saved, so polling
   * on would hide that). Polling does not wait for the promise.
   */
  readonly onOffset?: (nextOffset: number) => void;
  /**
   * Called after each failed poll that will be retried, with its error (anything a transport threw that is not a
   * `B24Error` arrives as core's `TRANSPORT_ERROR`, kind `network`) and the delay before the retry, before that wait
   * starts: retries are otherwise silent, so an outage of hours would go unnoticed. Not called for the errors that
   * end the stream (those reach the subscriber) nor after `close()`. If it throws, the stream errors with what it
   * threw (or its promise rejects), as with `onOffset`: a failure to report an outage should not itself go unreported.
   */
  readonly onRetry?: (error: B24Error, delayMs: number) => void;
  /**
   * Source of randomness for the jitter (tests pin it), a fraction from 0 to 1: a draw outside is held at the nearer
   * end, one that is no number means no jitter. Default `Math.random`. If it throws, the stream errors with it.
   */
  readonly random?: () => number;
}

/** How many delivered event ids are remembered to skip repeats: ten pages of the largest `limit`. */
const REMEMBERED_IDS = 10_000;

/** The last event a bot gets (reference §4.4): it was unregistered, and Event.get has nothing more for it. */
const LAST_EVENT = 'ONIMBOTV2DELETE';

/** Kinds after which polling again cannot help: the stream errors instead of retrying. */
const FATAL = new Set(['input', 'access', 'auth']);

/**
 * Events for a bot in fetch mode, by polling `imbot.v2.Event.get` (reference §4.4). Each poll passes the
 * previous `nextOffset`, which confirms everything delivered before it, so an error between polls loses
 * nothing: the next poll asks again from the last confirmed offset, and an event id already delivered is
 * skipped. Each page is delivered in id order. Follows `hasMore` after `hasMoreDelayMs`, idles `intervalMs`
 * otherwise, backs off on `rate`, `operating`, `server`, `network` and `timeout` errors, and errors the stream
 * on `input`, `access` and `auth` ones (a wrong bot id or token does not fix itself). Completes after this bot's
 * `ONIMBOTV2DELETE`, the last event it gets, and once the transport is closed (`CLIENT_CLOSED`): the poll after
 * `close()` ends the stream instead of backing off for good (the `Transport` contract has no close event, so that
 * is when the pause before it ends). Unsubscribing aborts the poll in flight and stops polling at once.
 * Timers are taken from the global scope when scheduled.
 */
export function botEvents(transport: Transport, options: BotEventsOptions): Observable<BotEvent> {
  if (typeof transport?.call !== 'function') throw inputError('transport', 'an object with a call method');
  const { botId, botToken } = options ?? ({} as BotEventsOptions);
  if (!Number.isSafeInteger(botId) || botId <= 0) throw inputError('botId', 'a positive integer');
  if (botToken !== undefined && (typeof botToken !== 'string' || botToken === '')) {
    throw inputError('botToken', 'a non-empty string when given');
  }
  const limit = options.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw inputError('limit', 'an integer from 1 to 1000');
  if (options.offset !== undefined && (!Number.isSafeInteger(options.offset) || options.offset < 0)) {
    throw inputError('offset', 'a non-negative integer');
  }
  const intervalMs = delay(options.intervalMs, 5_000, 'intervalMs');
  const hasMoreDelayMs = delay(options.hasMoreDelayMs, 2_000, 'hasMoreDelayMs');
  const initialMs = delay(options.backoff?.initialMs, Math.max(intervalMs, 1_000), 'backoff.initialMs');
  const maxMs = delay(options.backoff?.maxMs, 60_000, 'backoff.maxMs');
  // A factor below 1 shrinks the delay after each failure, a jitter above 1 (20 meant as "20 %") makes it negative,
  // run as 0 ms: either way a failing poll (a 429) would be retried in a loop.
  const factor = nonNegative(options.backoff?.factor, 2, 'backoff.factor');
  if (factor < 1) throw inputError('backoff.factor', 'at least 1');
  const jitter = nonNegative(options.backoff?.jitter, 0.2, 'backoff.jitter');
  if (jitter > 1) throw inputError('backoff.jitter', 'a fraction from 0 to 1 (0.2 for 20 %)');
  // Unchecked, `backoff: 5000` was quietly the default backoff, and `withUserEvents: 'false'` (an environment
  // variable passed on as it is) asked the portal for user events.
  if (options.backoff !== undefined && (typeof options.backoff !== 'object' || options.backoff === null)) {
    throw inputError('backoff', 'an object ({ initialMs, factor, maxMs, jitter })');
  }
  if (options.withUserEvents !== undefined && typeof options.withUserEvents !== 'boolean') {
    throw inputError('withUserEvents', 'a boolean');
  }
  // Checked here: otherwise the first poll (a network call) would run before a misspelt callback failed the stream.
  for (const field of ['onOffset', 'onRetry', 'random'] as const) {
    if (options[field] !== undefined && typeof options[field] !== 'function') throw inputError(field, 'a function');
  }

  /**
   * The offset the last subscription reached. A new subscription (`retry()` after an error, `repeat()`, a subscribe
   * after an unsubscribe) starts there rather than at the `offset` option: the portal's queue is consumed, not
   * replayed, so starting over from the option only handed out again what was delivered but not yet confirmed.
   */
  let reached = options.offset;

  return new Observable<BotEvent>((subscriber) => {
    /**
     * Taken from `reached` when the first poll runs, not on subscribe: `take(n)` + `repeat()` subscribes again from
     * inside the delivery of an event, before the subscription it replaces has confirmed its page, so an offset read
     * then was behind what had been delivered and the page came again.
     */
    let offset: number | undefined;
    let started = false;
    // Ids delivered lately, oldest first: a repeat is skipped by its id, not by comparing it with the highest id
    // delivered, which lost every event a page (or a later one) brings below it (reference §4.4 orders nothing).
    const delivered = new Set<number>();
    let failures = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let controller: AbortController | undefined;
    const random = options.random ?? Math.random;
    // An async callback (`(offset) => db.save(offset)`) that rejects fails the stream as a throw does, rather than
    // going unhandled (which ends a Node process) while polling goes on with the offset unsaved.
    const failIfRejected = (returned: unknown) => {
      if (typeof (returned as PromiseLike<unknown> | undefined)?.then === 'function') {
        (returned as PromiseLike<unknown>).then(undefined, (error: unknown) => subscriber.error(error));
      }
    };
    /**
     * Moves the offset forward to `next` (never back), for this subscription and the next, and hands it to `onOffset`:
     * false when that threw (the stream has errored with it).
     */
    const confirm = (next: number): boolean => {
      offset = next;
      if (reached === undefined || next > reached) reached = next;
      try {
        failIfRejected(options.onOffset?.(next));
        return true;
      } catch (error) {
        subscriber.error(error);
        return false;
      }
    };

    // Every delay is at most 2^31 - 1 ms, since Node runs a longer one after 1 ms (a poll loop): the options are
    // checked, the backoff is capped where it is computed.
    const schedule = (delayMs: number) => {
      timer = globalThis.setTimeout(poll, delayMs);
    };

    const poll = async () => {
      timer = undefined;
      if (!started) {
        started = true;
        offset = reached;
      }
      controller = new AbortController();
      const params: Record<string, unknown> = { botId, limit };
      if (botToken !== undefined) params.botToken = botToken;
      if (offset !== undefined) params.offset = offset;
      if (options.withUserEvents) params.withUserEvents = true;
      let page: Page;
      try {
        page = readPage(await transport.call('imbot.v2.Event.get', params, { signal: controller.signal }));
      } catch (error) {
        if (subscriber.closed) return;
        // isB24Error, not instanceof: the transport may be built on another copy of core (an ESM app loading
        // this package's CommonJS build), and its refusals must still end the stream rather than be retried.
        const b24 = isB24Error(error) ? error : undefined;
        // The app closed the transport (at shutdown): no poll can succeed any more, and a close it asked for is not
        // a failure, so the stream ends quietly (an error with no handler would be reported as unhandled).
        if (b24?.code === 'CLIENT_CLOSED') {
          subscriber.complete();
          return;
        }
        if (b24 && FATAL.has(b24.kind)) {
          subscriber.error(b24);
          return;
        }
        failures++;
        const base = Math.min(maxMs, initialMs * factor ** (failures - 1));
        let delayMs: number;
        try {
          // Jitter spreads the retries between a floor and a ceiling. Never below `initialMs`: it must not bring a
          // retry (a 429's above all) sooner than the backoff's start, by default an idle poll. Never above `maxMs`,
          // the longest a user was promised a retry waits, unless `initialMs` is above it (then the floor wins).
          // `random` is the user's too: what it throws errors the stream, as `onRetry`'s does, rather than escaping
          // this timer callback as an unhandled rejection that leaves the stream stalled.
          const jittered = base * (1 + jitter * (2 * fraction(random()) - 1));
          // Capped here rather than in `schedule`, so `onRetry` is told the delay actually waited, in whole ms.
          delayMs = Math.round(Math.min(MAX_DELAY_MS, Math.max(initialMs, Math.min(maxMs, jittered))));
          failIfRejected(options.onRetry?.(B24Error.from(error), delayMs));
        } catch (thrown) {
          subscriber.error(thrown);
          return;
        }
        if (subscriber.closed) return;
        schedule(delayMs);
        return;
      }
      if (subscriber.closed) return;
      failures = 0;
      let deleted = false;
      for (const [index, item] of page.events.entries()) {
        if (item.numericId !== undefined && delivered.has(item.numericId)) continue;
        // The subscriber left before this event: the page's offset would confirm it undelivered. One that left on the
        // page's last event (take(n), a "stop" message) still gets the offset saved, or a restart would repeat it;
        // one that left mid-page gets the offset of what it was delivered, so a restart repeats only the rest.
        if (subscriber.closed) {
          // As after a page's last event: the subscriber has gone, but what onOffset throws escapes nowhere.
          const partial = partialOffset(page, index, offset);
          if (partial !== undefined) confirm(partial);
          return;
        }
        if (item.numericId !== undefined) {
          delivered.add(item.numericId);
          // The oldest goes first: repeats come from the pages not yet confirmed, a few at most.
          if (delivered.size > REMEMBERED_IDS) delivered.delete(delivered.values().next().value as number);
        }
        if (isLastEvent(item.event, botId)) deleted = true;
        subscriber.next(item.event);
      }
      // An older offset is ignored: passed back (or persisted through onOffset) it would have the portal hand out
      // events already emitted again.
      if (page.nextOffset !== undefined && (offset === undefined || page.nextOffset >= offset)) {
        if (!confirm(page.nextOffset)) return;
      }
      if (subscriber.closed) return;
      if (deleted) {
        subscriber.complete();
        return;
      }
      schedule(page.hasMore ? hasMoreDelayMs : intervalMs);
    };

    schedule(0);
    return () => {
      if (timer !== undefined) globalThis.clearTimeout(timer);
      controller?.abort();
    };
  });
}

/**
 * This bot's `ONIMBOTV2DELETE`, typed or not: one whose fields do not read (delivered as `other`) is still the last
 * event in this bot's queue, and polling on would only meet `BOT_NOT_FOUND`. Only a bot id that reads as another
 * bot's keeps the stream going, as it does for a typed one.
 */
function isLastEvent(event: BotEvent, botId: number): boolean {
  if (event.type === LAST_EVENT) return event.data.bot.id === botId;
  if (event.type !== 'other' || event.eventType !== LAST_EVENT) return false;
  const bot = event.data.bot;
  const id = typeof bot === 'object' && bot !== null ? wholeNumber((bot as Record<string, unknown>).id) : undefined;
  return id === undefined || id === botId;
}

/**
 * The offset for a page the subscriber left before `stop`, its first event not delivered: one past the last event id
 * before it, since an offset confirms the ids below it (reference §4.4) and the page is in id order. Never past the
 * page's own `nextOffset` (the portal may hold it back), never behind `offset`, and none when an event left behind
 * has no id (its place among the ids is unknown) or no event with an id came before `stop`.
 */
function partialOffset(page: Page, stop: number, offset: number | undefined): number | undefined {
  if (page.nextOffset === undefined) return undefined;
  if (page.events.slice(stop).some((item) => item.numericId === undefined)) return undefined;
  let last: number | undefined;
  for (const item of page.events.slice(0, stop)) last = item.numericId ?? last;
  if (last === undefined) return undefined;
  const partial = Math.min(last + 1, page.nextOffset);
  return offset === undefined || partial > offset ? partial : undefined;
}

interface Page {
  readonly events: readonly { readonly event: BotEvent; readonly numericId?: number }[];
  readonly nextOffset?: number;
  readonly hasMore: boolean;
}

/** `{events, nextOffset, hasMore}`; v2 sometimes nests it one level deeper in `result`, which is accepted too. */
function readPage(result: unknown): Page {
  let body = result as Record<string, unknown> | null;
  if (body && typeof body === 'object' && !Array.isArray(body.events) && typeof body.result === 'object') {
    body = body.result as Record<string, unknown>;
  }
  if (!body || typeof body !== 'object' || !Array.isArray(body.events)) {
    throw new B24Error({ code: 'ERROR_UNEXPECTED_ANSWER', kind: 'server', message: 'Event.get reply without events' });
  }
  const events = body.events.map((raw: unknown) => {
    const item = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const numericId = wholeNumber(item.eventId);
    const type = typeof item.type === 'string' ? item.type : String(item.type ?? 'UNKNOWN');
    let event: BotEvent;
    try {
      event = typeBotEvent(type, item.data, { eventId: numericId, date: item.date });
    } catch {
      // A malformed event is still delivered, untyped: dropping it would lose it, erroring would stall the queue.
      event = {
        type: 'other',
        eventType: type.toUpperCase(),
        data: (typeof item.data === 'object' && item.data !== null ? item.data : {}) as Record<string, unknown>,
        ...(numericId === undefined ? {} : { eventId: numericId }),
        ...(typeof item.date === 'string' ? { date: item.date } : {}),
      };
    }
    return numericId === undefined ? { event } : { event, numericId };
  });
  const nextOffset = wholeNumber(body.nextOffset);
  return {
    events: byId(events),
    ...(nextOffset === undefined ? {} : { nextOffset }),
    hasMore: body.hasMore === true || body.hasMore === 'Y' || body.hasMore === 1 || body.hasMore === '1',
  };
}

/**
 * The page's events with ids in id order (the order they happened in), each event without an id left in its place:
 * the reference (§4.4) does not say Event.get sorts a page, and `nextOffset` confirms the whole page whatever its order.
 */
function byId<T extends { readonly numericId?: number }>(events: readonly T[]): T[] {
  const sorted = events.filter((item) => item.numericId !== undefined).sort((a, b) => a.numericId! - b.numericId!);
  let next = 0;
  return events.map((item) => (item.numericId === undefined ? item : sorted[next++]!));
}

/**
 * A non-negative whole number, or a string of digits (PHP may send one); anything else is `undefined`. `Number()`
 * alone reads `""`, `false`, `null` and `[]` as 0 and `true` as 1: an offset of 0 confirms nothing and would be
 * persisted, an event id of 0 would be skipped as a repeat.
 */
function wholeNumber(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/**
 * `random`'s draw as a fraction from 0 to 1: one outside is held at the nearer end, and one that is no number (a
 * `random` that forgets to return gives undefined) means no jitter. Taken as it came, NaN made the delay NaN, which a
 * timer runs at once: a failing poll (a 429) retried in a loop, below `initialMs`.
 */
function fraction(draw: unknown): number {
  return typeof draw === 'number' && !Number.isNaN(draw) ? Math.min(1, Math.max(0, draw)) : 0.5;
}

/** The longest delay a timer holds (2^31 - 1 ms, 24.8 days), as for the transports' timeouts. */
const MAX_DELAY_MS = 2 ** 31 - 1;

function delay(value: number | undefined, fallback: number, field: string): number {
  const ms = nonNegative(value, fallback, field);
  if (ms > MAX_DELAY_MS) throw inputError(field, 'at most 2^31 - 1 milliseconds (what a timer holds)');
  return ms;
}

function nonNegative(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw inputError(field, 'a non-negative finite number');
  }
  return value;
}
