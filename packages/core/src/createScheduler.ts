import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import { B24Error, type ErrorKind } from './B24Error';
import { B24InputError, describeValue } from './B24InputError';
import { MAX_BATCH } from './checkBatch';
import type { CallOutcome, DispatchStats, Dispatcher, DropReason, IndicatorCall, IndicatorChannel } from './Dispatcher';
import { LeakyBucket, type LimitsOption, resolveLimits } from './LeakyBucket';
import { SchedulerHeap } from './schedulerHeap';
import { validateMs } from './validateMs';
import type { BatchItemResult, Transport, TransportCall } from './Transport';

export interface SchedulerOptions {
  readonly transport: Transport;
  /** Rate limits of the portal; default `'standard'` (2/s, burst 50). */
  readonly limits?: LimitsOption;
  /** Time source and the one timer; default `asyncScheduler`. Pass a virtual-time scheduler in tests. */
  readonly clock?: SchedulerLike;
  /** Calls per `batch` request, 1..50; default 50. Batching is on only when the transport has `batch`. */
  readonly maxBatch?: number;
  /** A request that has not settled after this long is aborted and counts as a `timeout`; default 10,000 ms. */
  readonly requestTimeoutMs?: number;
  /** Retries after `network`/`server`/`timeout` errors, always within the call's deadline; default 4. */
  readonly maxRetries?: number;
  /** First retry delay; doubles per attempt, with jitter (50–150 %). Default 250 ms. */
  readonly retryBaseMs?: number;
  /** A batch going out anyway takes along renewals due within this long; default 1,000 ms. 0 turns it off. */
  readonly piggybackMs?: number;
  /** Requests kept free below the portal's burst (see `LeakyBucket`); default 1. */
  readonly headroom?: number;
  /** Random source for jitter, in [0, 1); default `Math.random` (resolved at call time). */
  readonly random?: () => number;
  /**
   * Hears each call that landed (`surely`) or may have (a network, server or timeout error can hide one that did),
   * also one whose indicator stopped while it was on its way: bot statuses sharing a chat learn from it what the
   * portal shows, which is not always what they last asked for (`StatusPeerRegistry`). `ended`: its indicator had
   * stopped (its channel closed) by then, so what it shows may undo a hand-over made meanwhile.
   */
  readonly onLanded?: (call: IndicatorCall, surely: boolean, ended: boolean) => void;
  /**
   * When what a clear takes down lapses, if the caller knows better than the clear's own deadline (its indicator's
   * last call's lifetime): another bot status of the bot in the chat that ended before it may have put up a longer
   * one, which this clear takes down too (`StatusPeerRegistry.lapseOf`). The clear is kept until the later of the two.
   */
  readonly lapseOf?: (call: IndicatorCall) => number | undefined;
  /**
   * Whether a status that `call` (a clear) would take down goes on, shown by another indicator (`StatusPeerRegistry.goesOn`):
   * the clear that follows a call landed after its indicator's reply (`IndicatorCall.peer` `'alone'`, `'reply'`) is not
   * sent then, and that indicator sends its own again instead (`onLanded`).
   */
  readonly goesOn?: (call: IndicatorCall) => boolean;
}

/** The per-portal scheduler: a `Dispatcher` that also hears of replies no call of theirs told it of (`replied`). */
export interface Scheduler extends Dispatcher {
  /**
   * A reply of a bot came that no call told of (its status ended in its show delay, or on the legacy method, which
   * cannot clear): its message hides the bot's status in the chat all the same, so the clears of it not sent yet are
   * dropped, as after any reply (`hide`). `shows(call)`: whether a clear's call is of that bot and chat.
   */
  replied(shows: (call: IndicatorCall) => boolean): void;
}

type EntryState = 'held' | 'waiting' | 'ready' | 'flight' | 'done';

interface Entry {
  readonly channel: Channel;
  readonly call: IndicatorCall;
  /** Place in line among ready calls, lowest first: see `rankOf`. */
  readonly rank: number;
  readonly deadline: number;
  readonly notBefore: number;
  readonly seq: number;
  readonly attempt: number;
  /** The error the call's last attempt met, if one failed: a drop of it says so (`dropped`'s `error`). */
  error: B24Error | undefined;
  state: EntryState;
}

interface Flight {
  readonly entries: Entry[];
  readonly controller: AbortController;
  readonly timeoutAt: number;
  /** When it was sent: a rate refusal of one sent before the last penalty tells nothing new (`penalize`). */
  readonly sentAt: number;
  settled: boolean;
  /**
   * The final calls (clears, each on a channel of its own) that wait for this request to settle, with the closed
   * channel whose call it carries (or that took over the status of the call it carries, `late`): whether that call
   * landed decides whether a clear is still due.
   */
  readonly followers: Follower[];
}

interface Follower {
  readonly closed: Channel;
  readonly clear: Channel;
  /** An indicator that sent a call for the same status meanwhile (see `clearing`). */
  newer: Channel | null;
  /**
   * It follows a call that left before its indicator's reply (`IndicatorCall.peer` `'alone'`, `'reply'`), or one of an
   * indicator that ended before it (`late`): the reply's message hid what was up, so the clear goes only if such a call
   * landed (or may have) after it (`landed` tells `closed`), and no other does it.
   */
  readonly replied: boolean;
}

interface Channel {
  readonly onOutcome: (outcome: CallOutcome) => void;
  /** The one call waiting for this indicator (held, waiting or ready), if any. */
  queued: Entry | null;
  /** The request carrying this indicator's call, if one is in flight. */
  flight: Flight | null;
  closed: boolean;
  /**
   * When the status lapses unless a call not landed yet does: once a call with a `duration` landed (or may have: it did,
   * or failed in a way that may hide that it did), its lease counted from then, which a slow round trip or a wait for
   * the budget pushes past any deadline, counted from when a call was made. A call refused outright or dropped changes
   * nothing: the status is as it was before. A clear after it is useless. +Infinity once a call that says nothing of
   * how long it shows (no `duration`) landed or may have, or one of a closed indicator did (`follow` keeps its clear's
   * own deadline then, or that call's lease from when it left if later), until the next call's deadline stands for it.
   * -Infinity while no call may have landed (none left, or each was refused outright): no status is up.
   */
  lapsesAt: number;
}

/**
 * When what `call` puts up lapses if it landed (or may have) at `now`: its lease (`duration`, in seconds) from then.
 * Undefined for a clear, and for a call that says nothing of how long it shows (typing, the legacy method).
 */
function leaseOf(call: IndicatorCall | undefined, now: number): number | undefined {
  const duration = call?.params.duration;
  return typeof duration === 'number' && call?.reason !== 'clear' ? now + duration * 1000 : undefined;
}

function integerOption(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new B24InputError(field, `an integer from ${min} to ${max}`, describeValue(value));
  }
  return value;
}

/**
 * How long a status change may wait in line for renewals closer to lapsing: as long as a renewal may wait (it is
 * due this long before its deadline, with the default `marginMs`), so that the two take turns by earliest deadline.
 */
const CHANGE_WAIT_MS = 3_000;

/**
 * A ready call's place in line (lower goes first). Starts and clears go before everything: nothing is up yet, or
 * a status must come down. A renewal ranks by its deadline, a change as if it were due `CHANGE_WAIT_MS` after it
 * became ready: a change is not lost by waiting (only the status text is late), a renewal that misses its
 * deadline lets the status lapse while its work goes on. Ranking changes with starts, ahead of every renewal,
 * let one bot changing its status every second on a tight budget starve every other status's renewals.
 */
function rankOf(call: IndicatorCall, readyAt: number): number {
  if (call.reason === 'renew') return call.deadline;
  return call.reason === 'change' ? readyAt + CHANGE_WAIT_MS : Number.NEGATIVE_INFINITY;
}

const RETRYABLE: ReadonlySet<ErrorKind> = new Set(['network', 'server', 'timeout']);
/**
 * `OPERATION_TIME_LIMIT` blocks the method for this app or webhook until enough of its execution time (kept in ten
 * one-minute buckets) drops out: up to 10 minutes, and an error carries no `operating_reset_at` to say when. A
 * retry within an indicator's life is a request spent on a near-certain refusal, so there is none; instead the
 * method is held this long after a refusal, its calls failing at once without a request, and the first call after
 * it probes. 10 s is jssdk's shortest wait for this error: a lifted block is seen within a third of a lease, and a
 * block costs one refused request per method per 10 s (plus those already on their way) however many indicators.
 * A bot status refused for it goes again once the hold is over (`statusSignals`).
 */
export const OPERATING_HOLD_MS = 10_000;
/**
 * Which status a call shows: its method and its params but for what it shows (`duration`, `statusMessageCode`).
 * The portal keeps one indicator per chat and sender, whichever indicator of ours sent it.
 */
function targetOf(call: IndicatorCall): string {
  const { duration: _duration, statusMessageCode: _code, ...target } = call.params;
  return `${call.method} ${JSON.stringify(target)}`;
}

/** The portal refused the call outright: it did not land (a network, server or timeout error may hide one that did). */
const REFUSED: ReadonlySet<ErrorKind> = new Set(['rate', 'operating', 'auth', 'input', 'access']);

/**
 * The per-portal scheduler behind `createIndicators`: every indicator call is a soft real-time job with a
 * deadline (the moment its indicator would lapse), and the portal's rate budget (2 requests/s, burst 50) is
 * what they compete for.
 *
 * - A call that is ready while the local leaky bucket has room goes out at once: latency first when idle.
 * - Calls that are ready together, or wait for the bucket, leave as one `batch` of up to 50 (one unit of
 *   budget), starts (and clears) first, then renewals and status changes by earliest deadline, a change being
 *   due 3 s after it became ready (`rankOf`).
 * - Each indicator has at most one call in flight and one queued; a newer call replaces the queued one, and a
 *   renewal due while a call is in flight is merged into it. Stopped indicators' calls never leave; a renewal
 *   that can no longer arrive before its deadline is dropped rather than spent.
 * - `input`/`access` errors are fatal for their indicator, `rate` shrinks the bucket and backs off, `auth` is
 *   reported (the transport already refreshed), `network`/`server`/`timeout` retry with jitter while the
 *   deadline allows, `operating` is reported and holds its method for 10 s (`OPERATING_HOLD_MS`), a clear waiting for
 *   the hold to end (`awaitHold`). A batch's per-item errors touch only their indicator.
 * - One timer, whatever the number of indicators: queued calls sit in heaps keyed by send time and priority.
 */
export function createScheduler(options: SchedulerOptions): Scheduler {
  const transport = options?.transport;
  if (typeof transport !== 'object' || transport === null || typeof transport.call !== 'function') {
    throw new B24InputError('transport', 'an object with a call(method, params) function', describeValue(transport));
  }
  const limits = resolveLimits(options.limits);
  const maxBatch = integerOption(options.maxBatch ?? MAX_BATCH, 'maxBatch', 1, MAX_BATCH);
  const requestTimeoutMs = validateMs(options.requestTimeoutMs ?? 10_000, 'requestTimeoutMs', 1);
  const maxRetries = integerOption(options.maxRetries ?? 4, 'maxRetries', 0, 100);
  const retryBaseMs = validateMs(options.retryBaseMs ?? 250, 'retryBaseMs');
  const piggybackMs = validateMs(options.piggybackMs ?? 1_000, 'piggybackMs');
  const headroom = options.headroom ?? 1;
  if (typeof headroom !== 'number' || !(headroom >= 0)) {
    throw new B24InputError('headroom', 'a number >= 0', describeValue(headroom));
  }
  const clock = options.clock ?? asyncScheduler;
  const random = options.random ?? (() => Math.random());
  const { onLanded, lapseOf, goesOn } = options;

  const bucket = new LeakyBucket(limits, clock.now(), { headroom });
  const waiting = new SchedulerHeap<Entry>(
    (a, b) => a.notBefore < b.notBefore || (a.notBefore === b.notBefore && a.seq < b.seq),
  );
  const ready = new SchedulerHeap<Entry>((a, b) => {
    if (a.rank !== b.rank) return a.rank < b.rank;
    if (a.deadline !== b.deadline) return a.deadline < b.deadline;
    return a.seq < b.seq;
  });
  /**
   * The ready calls that can lapse and wait for the rate budget (or a back-off), earliest deadline first (stale ones
   * skipped, as in `ready`): the one timer wakes at the earliest deadline and drops what can no longer go in time
   * (`expire`), rather than once the budget has room again. A user-typing start dropped then counts as lost at once, so
   * the next keystroke starts afresh instead of renewing a start that will never go.
   */
  const expiring = new SchedulerHeap<Entry>((a, b) => a.deadline < b.deadline);
  /**
   * Those made ready since the last pump: they go into `expiring` only if that pump leaves them waiting for the budget,
   * so that a call that goes at once (most do) costs no heap operation more.
   */
  let fresh: Entry[] = [];
  const flights = new Set<Flight>();
  /** Methods refused for the operating limit, and until when their calls fail without a request. */
  const held = new Map<string, { readonly until: number; readonly error: B24Error }>();
  /**
   * Clears waiting for a request to settle, by the status they take down (`targetOf`). A call for that status that
   * leaves meanwhile (work started again in the same chat) makes the clear moot while its indicator goes on: sent
   * after that call, the clear would take down the new work's status, which nothing but its next renewal brings back.
   */
  const clearing = new Map<string, Follower>();
  /**
   * Statuses that indicators stopped with a `peer` clear may have put up (or with a clear made moot by a live one that
   * sent for the status meanwhile, `follow`), by `targetOf`, and until when (their lease):
   * the other indicator of that status, which keeps it up, may end before a call of its own left, and its clear then
   * takes this one down too (`close`), also one that ends without a clear of its own (`peer: 'handed'`). Moot once a
   * call of a live indicator for it surely lands, unless one of theirs is still on its way (`late`).
   */
  const handed = new Map<string, number>();
  /**
   * Requests still on their way with the last call of an indicator stopped with a `peer` clear, by `targetOf`. That call
   * may land after the clear of the indicator that took its status over and ends last, putting the status back up for
   * its lease after all work ended: that clear waits for each of them too (`close`, `follow`), since two may have ended
   * with one on its way and the older may land last. Each is gone once it settled (`finish`).
   */
  const late = new Map<string, Flight[]>();
  /**
   * Clears without an outcome yet, by the status they take down (`targetOf`), each on its channel. A reply of the bot in
   * the chat (its indicator closed with `peer` `'alone'` or `'reply'`) hides whatever they would take down: one not sent
   * yet (queued for the rate budget, retried after a refusal) is moot then, and dropped rather than shown for its second
   * over the answer (`hide`). Not one that waits for a call on its way (a follower): that call may land after the
   * message, and the clear must follow it.
   */
  const clears = new Map<string, Channel[]>();
  /**
   * Clears that were on their way as such a reply came: not aborted (an abort does not call back a request already
   * sent), but failed, they go no more (`failEntry`).
   */
  const hidden = new Set<Channel>();
  /**
   * While an `input`/`access` refusal is being reported: the status it was for (`targetOf`) and the error. The portal's
   * reasons for those (bot, token, chat, app) are all in that status, not in what it shows, so a call for the same
   * status made meanwhile (another indicator of the bot in the chat taking over, `StatusPeers`) would be refused the
   * same way: it fails at once, without a request.
   */
  let refusing: { readonly target: string; readonly error: B24Error } | undefined;

  let seq = 0;
  let disposed = false;
  let pumping = false;
  let timer: Subscription | null = null;
  let timerAt = Number.POSITIVE_INFINITY;
  let rateStreak = 0;
  /** When the last rate refusal shrank the bucket (`penalize`). */
  let penalizedAt = Number.NEGATIVE_INFINITY;

  let callsSent = 0;
  let httpRequests = 0;
  let batchedCalls = 0;
  let activeIndicators = 0;
  const dropped: Record<DropReason, number> = { stopped: 0, merged: 0, deadline: 0, disposed: 0, retries: 0 };
  const failed: Partial<Record<ErrorKind, number>> = {};

  function notify(channel: Channel, outcome: CallOutcome): void {
    try {
      channel.onOutcome(outcome);
    } catch {
      // A throwing listener must not take down the scheduler or the other indicators.
    }
  }

  /** `left`: the call is on its way (see `CallOutcome`). */
  function drop(entry: Entry, reason: DropReason, now: number, left?: true): void {
    entry.state = 'done';
    if (entry.channel.queued === entry) entry.channel.queued = null;
    dropped[reason] += 1;
    const { call, error } = entry;
    notify(
      entry.channel,
      left
        ? { type: 'dropped', call, reason, at: now, error, left }
        : { type: 'dropped', call, reason, at: now, error },
    );
  }

  function makeEntry(
    channel: Channel,
    call: IndicatorCall,
    rank: number,
    deadline: number,
    notBefore: number,
    attempt: number,
    error?: B24Error,
  ): Entry {
    seq += 1;
    return { channel, call, rank, deadline, notBefore, seq, attempt, error, state: 'held' };
  }

  /** Puts an entry in line (or holds it while its indicator has a call in flight). */
  function enqueue(entry: Entry, now: number): void {
    entry.channel.queued = entry;
    if (entry.channel.flight) {
      entry.state = 'held';
      return;
    }
    if (entry.notBefore > now) {
      entry.state = 'waiting';
      waiting.push(entry);
      arm(entry.notBefore);
    } else {
      makeReady(entry);
      arm(now);
    }
  }

  function arm(at: number): void {
    if (pumping || disposed || at >= timerAt) return;
    timer?.unsubscribe();
    timerAt = at;
    timer = clock.schedule(pump, Math.max(0, at - clock.now()));
  }

  function pump(): void {
    timer = null;
    timerAt = Number.POSITIVE_INFINITY;
    if (disposed) return;
    pumping = true;
    try {
      const now = clock.now();
      for (const flight of flights) if (now >= flight.timeoutAt) timeOut(flight, now);
      for (let top = waiting.peek(); top !== undefined && top.notBefore <= now; top = waiting.peek()) {
        waiting.pop();
        if (top.state !== 'waiting') continue;
        makeReady(top);
      }
      const canBatch = maxBatch > 1 && typeof transport.batch === 'function';
      // A deadline is the renewed call's submit time + its lifetime (or its landing + its lease, if later: `submit`):
      // that call also took the network's latency to land, so a renewal that leaves before the deadline lands in time
      // on a steady network, however slow. (An allowance for latency here dropped every renewal once one-way latency
      // exceeded the margin.) So too a renewal ready at its deadline (`marginMs: 0`): useless only after it, as
      // `createDirectDispatcher` has it too.
      while (ready.size > 0 && bucket.waitMs(now) === 0) {
        let batch: Entry[] = [];
        while (batch.length < (canBatch ? maxBatch : 1) && ready.size > 0) {
          const entry = ready.pop() as Entry;
          if (entry.state !== 'ready') continue;
          const hold = holdOf(entry.call.method, now);
          if (now > entry.deadline) drop(entry, 'deadline', now);
          else if (!hold) batch.push(entry);
          else if (entry.call.reason === 'clear') {
            if (!awaitHold(entry, hold.until, now)) drop(entry, 'deadline', now);
          } else {
            entry.channel.queued = null;
            failEntry(entry, hold.error, now);
          }
        }
        if (clearing.size > 0) noteNewer(batch);
        // The listener of a dropped call may have stopped an indicator already taken into `batch`, or disposed all.
        batch = batch.filter((e) => e.state === 'ready');
        if (disposed) break;
        if (canBatch && batch.length > 0) piggyback(batch, now);
        if (batch.length > 0) send(batch, now);
      }
      if (!disposed) expire(now);
    } finally {
      pumping = false;
    }
    rearm();
  }

  function makeReady(entry: Entry): void {
    entry.state = 'ready';
    ready.push(entry);
    if (entry.deadline !== Number.POSITIVE_INFINITY) fresh.push(entry);
  }

  /**
   * After a pump: while the budget has no room, a ready call whose deadline has come cannot leave in time (the earliest
   * it could, `now + bucket.waitMs(now)`, is past it): dropped now, not when the budget has room again. Not while it has
   * room: a call ready at its deadline still goes (see `pump`); and then every ready call went.
   */
  function expire(now: number): void {
    const made = fresh;
    fresh = [];
    if (ready.size === 0 || bucket.waitMs(now) === 0) return;
    for (const entry of made) if (entry.state === 'ready') expiring.push(entry);
    for (let top = expiring.peek(); top !== undefined && top.deadline <= now; top = expiring.peek()) {
      expiring.pop();
      if (top.state === 'ready') drop(top, 'deadline', now);
      if (disposed) return;
    }
  }

  /** Tells the waiting clears of the statuses that calls about to leave show anew who shows them (`clearing`). */
  function noteNewer(batch: readonly Entry[]): void {
    for (const { call, channel } of batch) {
      const follower = call.reason === 'clear' ? undefined : clearing.get(targetOf(call));
      if (follower) follower.newer = channel;
    }
  }

  /**
   * A request that goes out anyway carries renewals due within `piggybackMs` for free: a little early is harmless
   * for a renewal, and each one taken now is a later request (and timer wake-up) saved.
   */
  function piggyback(batch: Entry[], now: number): void {
    // A start with a show-delay must wait for its time: set aside (a bounded number) and put back.
    const later: Entry[] = [];
    for (let top = waiting.peek(); top !== undefined && batch.length < maxBatch; top = waiting.peek()) {
      if (top.notBefore > now + piggybackMs || later.length >= maxBatch) break;
      waiting.pop();
      if (top.state !== 'waiting') continue;
      if (top.call.reason !== 'renew' || holdOf(top.call.method, now)) later.push(top);
      else batch.push(top);
    }
    for (const entry of later) waiting.push(entry);
  }

  /** The hold on a method refused for the operating limit, while it lasts. */
  function holdOf(method: string, now: number): { readonly until: number; readonly error: B24Error } | undefined {
    const hold = held.size === 0 ? undefined : held.get(method);
    if (hold === undefined || now < hold.until) return hold;
    held.delete(method);
    return undefined;
  }

  function rearm(): void {
    if (disposed) return;
    const now = clock.now();
    let next = Number.POSITIVE_INFINITY;
    while (waiting.size > 0 && (waiting.peek() as Entry).state !== 'waiting') waiting.pop();
    while (ready.size > 0 && (ready.peek() as Entry).state !== 'ready') ready.pop();
    while (expiring.size > 0 && (expiring.peek() as Entry).state !== 'ready') expiring.pop();
    const top = waiting.peek();
    if (top) next = top.notBefore;
    const wait = ready.size > 0 ? bucket.waitMs(now) : 0;
    if (ready.size > 0) next = Math.min(next, now + wait);
    // waiting for the budget, a call's deadline may come first (`expire`), also one made ready since the last pump
    if (wait > 0 && fresh.length > 0) next = Math.min(next, now);
    else if (wait > 0 && expiring.size > 0) next = Math.min(next, (expiring.peek() as Entry).deadline);
    for (const flight of flights) next = Math.min(next, flight.timeoutAt);
    if (next < timerAt) arm(next);
    else if (next === Number.POSITIVE_INFINITY && timer && !pumping) {
      // Nothing left to wait for (the last flight was aborted, say): an idle wake-up would still hold the process.
      timer.unsubscribe();
      timer = null;
      timerAt = next;
    }
  }

  function send(batch: Entry[], now: number): void {
    bucket.take(now);
    const flight: Flight = {
      entries: batch,
      controller: new AbortController(),
      timeoutAt: now + requestTimeoutMs,
      sentAt: now,
      settled: false,
      followers: [],
    };
    for (const entry of batch) {
      entry.state = 'flight';
      entry.channel.queued = null;
      entry.channel.flight = flight;
    }
    flights.add(flight);
    httpRequests += 1;
    let request: Promise<unknown>;
    try {
      if (batch.length === 1) {
        const { method, params } = (batch[0] as Entry).call;
        request = Promise.resolve(transport.call(method, params, { signal: flight.controller.signal }));
      } else {
        batchedCalls += batch.length;
        const calls: TransportCall[] = batch.map((e) => ({ method: e.call.method, params: e.call.params }));
        request = Promise.resolve(transport.batch?.(calls, { signal: flight.controller.signal }));
      }
    } catch (error) {
      request = Promise.reject(error);
    }
    request.then(
      (value) => settle(flight, () => value, null),
      (error: unknown) => settle(flight, null, B24Error.from(error)),
    );
  }

  function timeOut(flight: Flight, now: number): void {
    const error = new B24Error({
      code: 'TIMEOUT',
      kind: 'timeout',
      message: `no answer within ${requestTimeoutMs} ms`,
    });
    finish(flight);
    flight.controller.abort(error);
    failRequest(flight, error, now);
    follow(flight, now);
  }

  /** Releases a flight's indicators; returns the entries still waiting for an answer. */
  function finish(flight: Flight): Entry[] {
    flight.settled = true;
    flights.delete(flight);
    const live: Entry[] = [];
    for (const entry of flight.entries) {
      if (entry.channel.flight === flight) entry.channel.flight = null;
      if (entry.state === 'flight') live.push(entry);
      else if (late.size > 0) {
        const target = targetOf(entry.call);
        const rest = late.get(target)?.filter((f) => f !== flight);
        if (rest?.length === 0) late.delete(target);
        else if (rest) late.set(target, rest);
      }
    }
    return live;
  }

  /**
   * After a request settled (its calls' outcomes known): the clears that waited for it go, each with the deadline
   * of the status it takes down, which is past (so it is dropped) if the call it waited for was refused outright.
   * A clear whose status an indicator still going on has sent meanwhile is moot (`clearing`).
   */
  function follow(flight: Flight, now: number): void {
    /** The statuses whose clear goes now: a follower after a reply needs not send another. */
    let cleared: Set<string> | undefined;
    for (const follower of flight.followers) {
      const { closed, clear, newer } = follower;
      clear.flight = null;
      const entry = clear.queued;
      if (entry?.state !== 'held' || disposed) continue;
      const target = targetOf(entry.call);
      // The calls for its status in this request that landed (or may have), its indicator's or one that ended before it
      // (`late`): what each put up lapses a lease after the request left, later than the clear's own deadline (counted
      // from when its indicator's last call was made) by a wait for the rate budget, or by that call being newer. (From
      // when it left, as that deadline is counted, not from its landing: a clear leaving by then lands in time.)
      let until = Math.min(closed.lapsesAt, entry.deadline);
      for (const e of flight.entries) {
        const lease =
          e.channel.closed && e.channel.lapsesAt === Number.POSITIVE_INFINITY && targetOf(e.call) === target
            ? leaseOf(e.call, flight.timeoutAt - requestTimeoutMs)
            : undefined;
        if (lease !== undefined && lease > until) until = lease;
      }
      const other = newer && !newer.closed ? undefined : late.get(target)?.[0];
      if (other) {
        // still to wait for the call of another indicator of the status, on its way as that one handed it over; what
        // this request put up is still that clear's to take down
        if (until !== entry.deadline) {
          entry.state = 'done';
          clear.queued = makeEntry(clear, entry.call, entry.rank, until, entry.notBefore, 0);
        }
        clear.flight = other;
        other.followers.push(follower);
        continue;
      }
      if (clearing.get(target) === follower) clearing.delete(target);
      if (newer && !newer.closed) {
        // The one that sent for the status meanwhile sends its own again (`onLanded`), but may end before that lands
        // (aborted, refused): what this call put up is then its clear's to take down, also with none of its own
        // (`peer: 'handed'`), as after a `peer` clear; else it would stay up for its lease after all work ended.
        if (closed.lapsesAt >= now) {
          // What this call put up lapses a lease from now at the latest, since it may have landed just now (or, when
          // the clear waited for another's call, at its own deadline).
          const lease = leaseOf(flight.entries.find((e) => e.channel === closed)?.call, now) ?? entry.deadline;
          handOver(entry.call, Math.min(closed.lapsesAt, lease));
        }
        drop(entry, 'merged', now);
        continue;
      }
      if (follower.replied && moot(entry.call, target, cleared)) {
        drop(entry, 'merged', now);
        continue;
      }
      if (until !== entry.deadline) {
        entry.state = 'done';
        enqueue(makeEntry(clear, entry.call, entry.rank, until, entry.notBefore, 0), now);
      } else enqueue(entry, now);
      if (closed.lapsesAt >= now) {
        cleared ??= new Set();
        cleared.add(target);
      }
    }
  }

  /**
   * Whether the clear after a reply (`Follower.replied`) is moot: a status of the bot in the chat goes on (it sends its
   * own again if the call landed, `onLanded`), another clear of it goes now (`cleared`) or waits to go later (`clearing`).
   */
  function moot(call: IndicatorCall, target: string, cleared: Set<string> | undefined): boolean {
    return cleared?.has(target) === true || clearWaits(target) || goesOn?.(call) === true;
  }

  /** Whether a clear of the status `target` waits for a call on its way, to go once it settled (`clearing`). */
  function clearWaits(target: string): boolean {
    return clearing.get(target)?.clear.queued?.state === 'held';
  }

  /**
   * What a call's outcome says of its status, also for a call whose indicator stopped while it was on its way (a
   * clear waits for it): up once it landed or may have, as before if it was refused outright. A refusal for the
   * operating limit from the portal (not one made here while the method is held: that call is still `ready`)
   * holds the method.
   */
  function landed(entry: Entry, error: B24Error | null, now: number): void {
    const { channel } = entry;
    if (error?.kind === 'operating' && entry.state !== 'ready') {
      held.set(entry.call.method, { until: now + OPERATING_HOLD_MS, error });
    }
    const refused = error !== null && REFUSED.has(error.kind);
    const lease = leaseOf(entry.call, now);
    if (refused) lapseBy(channel, entry.call.deadline);
    else channel.lapsesAt = lease === undefined || channel.closed ? Number.POSITIVE_INFINITY : lease;
    // The last call of one that handed its status over, landing (or maybe) now: what it puts up lapses a lease from
    // now, later than the deadline counted from when it was made (`handOver` in `close`). Kept in `handed`, not on the
    // channel: a field more on every channel costs each status bytes (bench cpu, `bytesPerStatus`).
    if (!refused && lease !== undefined && channel.closed && handed.size > 0) {
      const target = targetOf(entry.call);
      const until = handed.get(target);
      if (until !== undefined && until < lease) handed.set(target, lease);
    }
    if (!refused) onLanded?.(entry.call, error === null, channel.closed);
    // A call of an indicator that ended, landing (or maybe) while a clear after a reply waits (`Follower.replied`), put
    // the status back up after the reply's message, whichever request the clear waits for then (`late`): it goes.
    if (!refused && channel.closed && clearing.size > 0 && entry.call.reason !== 'clear') {
      const follower = clearing.get(targetOf(entry.call));
      if (follower?.replied) follower.closed.lapsesAt = Number.POSITIVE_INFINITY;
    }
    // Only once one surely landed, and not while a call of one that handed it over is still on its way (`late`):
    // landing after this one, it puts that status back up. The last one to end takes it down even without a clear of
    // its own (`peer: 'handed'`), so its own call that may have landed does not count.
    if (handed.size > 0 && !channel.closed && error === null) {
      const target = targetOf(entry.call);
      if (!late.has(target)) handed.delete(target);
    }
  }

  /**
   * A reply of the bot in the chat of `target` came: its message hides the status, so the clears of it not sent yet
   * are moot (`clears`). Dropped as `merged`, as a clear after a reply is when another goes on (`follow`): the message
   * did its work. One on its way goes on but is not tried again (`hidden`); one waiting for a call on its way stays.
   */
  function hide(target: string, now: number): void {
    const waiting = clears.get(target);
    if (!waiting) return;
    for (const clear of [...waiting]) {
      const entry = clear.queued;
      if (entry && entry.state !== 'held') drop(entry, 'merged', now);
      else if (!entry && clear.flight) hidden.add(clear);
    }
    rearm();
  }

  function replied(shows: (call: IndicatorCall) => boolean): void {
    const now = clock.now();
    // the listeners of the clears dropped may end or start others: the targets first
    const targets = [...clears].filter(([, [clear]]) => {
      const call = clear?.queued?.call ?? clear?.flight?.entries.find((e) => e.channel === clear)?.call;
      return call !== undefined && shows(call);
    });
    for (const [target] of targets) hide(target, now);
  }

  /** A clear has its outcome. */
  function forget(target: string, clear: Channel): void {
    hidden.delete(clear);
    const rest = clears.get(target)?.filter((c) => c !== clear);
    if (rest?.length) clears.set(target, rest);
    else clears.delete(target);
  }

  /**
   * A call that may never land (`deadline`: the moment the status lapses unless it does) leaves `lapsesAt` as it was,
   * unless no lapse is known (+Infinity): a lease counted from a landing outlasts a deadline counted from when the call
   * before was made, which a renewal refused outright or dropped would otherwise cut short (its clear dropped as useless
   * while the status is still up).
   */
  function lapseBy(channel: Channel, deadline: number): void {
    if (channel.lapsesAt === Number.POSITIVE_INFINITY) channel.lapsesAt = deadline;
  }

  /** A `peer` clear: keeps what its indicator may have put up for the clear of the one going on (`handed`). */
  function handOver(call: IndicatorCall, until: number): void {
    const now = clock.now();
    if (disposed || until <= now) return;
    for (const [target, at] of handed) if (at <= now) handed.delete(target);
    const target = targetOf(call);
    handed.set(target, Math.max(handed.get(target) ?? until, until));
  }

  /** After the indicator's call landed, its held call (if any) may go. */
  function release(entry: Entry, now: number): void {
    const held = entry.channel.queued;
    if (held && held.state === 'held' && !entry.channel.closed) enqueue(held, now);
  }

  function settle(flight: Flight, value: (() => unknown) | null, error: B24Error | null): void {
    if (flight.settled || disposed) return;
    const now = clock.now();
    pumping = true;
    try {
      if (error) {
        finish(flight);
        failRequest(flight, error, now);
        follow(flight, now);
        return;
      }
      const live = finish(flight);
      rateStreak = 0;
      bucket.reward();
      const result = value?.();
      if (flight.entries.length === 1) {
        callsSent += 1;
        const entry = flight.entries[0] as Entry;
        landed(entry, null, now);
        if (entry.state === 'flight') {
          entry.state = 'done';
          notify(entry.channel, { type: 'sent', call: entry.call, result, at: now });
        }
      } else {
        const items = Array.isArray(result) ? (result as readonly BatchItemResult[]) : [];
        let rateHit = false;
        flight.entries.forEach((entry, i) => {
          const item = items[i];
          const itemError = item?.ok
            ? null
            : item
              ? B24Error.from(item.error)
              : new B24Error({
                  code: 'ERROR_UNEXPECTED_ANSWER',
                  kind: 'server',
                  message: 'batch reply has no result for this call',
                });
          if (itemError?.kind === 'rate') rateHit = true;
          if (item?.ok) callsSent += 1;
          // an indicator that stopped while its call was on its way: only its clear still cares
          if (entry.state !== 'flight') landed(entry, itemError, now);
          else if (item?.ok) {
            entry.state = 'done';
            landed(entry, null, now);
            notify(entry.channel, { type: 'sent', call: entry.call, result: item.result, at: now });
          } else failEntry(entry, itemError as B24Error, now);
        });
        if (rateHit) penalize(flight, now);
      }
      follow(flight, now);
      for (const entry of live) release(entry, now);
    } finally {
      pumping = false;
      rearm();
    }
  }

  /**
   * A request of `flight` was refused for the rate: the portal's bucket is full. Not again for one sent before the last
   * refusal shrank ours (so no later than it): in flight with the one refused then, it was refused for the same full
   * bucket. Counted, three requests sent a few milliseconds apart and refused together would quarter the rate and hold
   * every call for ~2 s (a streak of three), where the portal frees a slot in 0.5 s.
   */
  function penalize(flight: Flight, now: number): void {
    if (flight.sentAt <= penalizedAt) return;
    penalizedAt = now;
    rateStreak += 1;
    const base = 1000 / limits.perSecond;
    const backoff = Math.min(30_000, base * 2 ** (rateStreak - 1)) * (0.5 + random() / 2);
    bucket.penalize(now, backoff);
  }

  function failRequest(flight: Flight, error: B24Error, now: number): void {
    if (error.kind === 'rate') penalize(flight, now);
    for (const entry of flight.entries) {
      if (entry.state === 'flight') failEntry(entry, error, now);
      else landed(entry, error, now);
    }
  }

  /**
   * A clear whose method is held (refused by the portal, or due here during the hold) waits for the hold to end and
   * then goes (the first call after it probes): failed, it would leave the status up for the rest of its lease, up to
   * 600 s after the work ended. Not when the status lapses before the hold ends (`deadline`): returns false. One that
   * lapses just as it ends still goes then, as a call ready at its deadline does (`pump`): useless only after it. Every
   * call of the same status is held with it, and a clear goes before them (`rankOf`), so new work's status is not
   * taken down.
   */
  function awaitHold(entry: Entry, until: number, now: number): boolean {
    if (until > entry.deadline) return false;
    entry.state = 'done';
    enqueue(makeEntry(entry.channel, entry.call, entry.rank, entry.deadline, until, entry.attempt, entry.error), now);
    return true;
  }

  /** Decides one call's fate after an error, by kind. */
  function failEntry(entry: Entry, error: B24Error, now: number): void {
    failed[error.kind] = (failed[error.kind] ?? 0) + 1;
    // given up from here on (retries spent, its deadline, a newer call), it says what it met
    entry.error = error;
    // refused outright, the call did not land: the status lapses when it would have without it (a start or change
    // refused after a renewal was lost does not bring it back); any other error may hide a call that landed
    landed(entry, error, now);
    const { channel } = entry;
    const fatal = error.kind === 'input' || error.kind === 'access';
    if (hidden.size > 0 && !fatal && error.kind !== 'auth' && hidden.has(channel)) {
      // a clear on its way as a reply of the bot in the chat came: the message hid what it was to take down, so it is
      // not tried again (refusals that say something of the bot or the app are still reported as such)
      drop(entry, 'merged', now);
      return;
    }
    const hold =
      error.kind === 'operating' && entry.call.reason === 'clear' ? holdOf(entry.call.method, now) : undefined;
    if (hold && awaitHold(entry, hold.until, now)) return;
    entry.state = 'done';
    if (fatal || error.kind === 'auth' || error.kind === 'operating') {
      const outer = refusing;
      if (fatal) refusing = { target: targetOf(entry.call), error };
      // the refusal (this one or an earlier one) holds the method: until when, which the indicator cannot tell itself
      const holdEnds = error.kind === 'operating' ? held.get(entry.call.method)?.until : undefined;
      const failure = { type: 'failed', call: entry.call, error, fatal, at: now } as const;
      notify(channel, holdEnds === undefined ? failure : { ...failure, holdEnds });
      refusing = outer;
      release(entry, now);
      return;
    }
    let notBefore = now;
    let attempt = entry.attempt;
    if (RETRYABLE.has(error.kind)) {
      attempt += 1;
      notBefore = now + retryBaseMs * 2 ** (attempt - 1) * (0.5 + random());
      // A renewal is retried within its own deadline: the later lapse it may wait for the budget until (`submit`) may
      // be that of a call that failed too, which an outage hides as well as it hides this one's landing. One due at
      // its deadline still goes, as a call ready then does (`pump`): useless only after it.
      const until =
        entry.call.reason === 'renew' && entry.deadline !== Number.POSITIVE_INFINITY
          ? entry.call.deadline
          : entry.deadline;
      if (attempt > maxRetries || notBefore > until) {
        drop(entry, 'retries', now);
        release(entry, now);
        return;
      }
    } else if (now >= entry.deadline) {
      drop(entry, 'deadline', now);
      release(entry, now);
      return;
    }
    const newer = channel.queued;
    if (channel.closed) return;
    if (newer) {
      // A newer call for the same indicator supersedes the retry; it keeps the place in line of what it replaces.
      dropped.merged += 1;
      notify(channel, { type: 'dropped', call: entry.call, reason: 'merged', at: now, error });
      if (entry.rank < newer.rank) {
        newer.state = 'done';
        enqueue(
          makeEntry(channel, newer.call, entry.rank, Math.max(entry.deadline, newer.deadline), newer.notBefore, 0),
          now,
        );
      } else {
        release(entry, now);
      }
      return;
    }
    enqueue(makeEntry(channel, entry.call, entry.rank, entry.deadline, notBefore, attempt, error), now);
  }

  /** A channel is one object with prototype methods: a portal may hold 100,000 of them. */
  class OpenChannel implements Channel, IndicatorChannel {
    queued: Entry | null = null;
    flight: Flight | null = null;
    closed = disposed;
    lapsesAt = Number.NEGATIVE_INFINITY;

    constructor(readonly onOutcome: (outcome: CallOutcome) => void) {}

    submit(call: IndicatorCall): void {
      const now = clock.now();
      if (this.closed || disposed) {
        const reason: DropReason = disposed ? 'disposed' : 'stopped';
        dropped[reason] += 1;
        notify(this, { type: 'dropped', call, reason, at: now });
        return;
      }
      if (refusing && targetOf(call) === refusing.target) {
        const { error } = refusing;
        failed[error.kind] = (failed[error.kind] ?? 0) + 1;
        notify(this, { type: 'failed', call, error, fatal: true, at: now });
        return;
      }
      let deadline = call.deadline;
      const notBefore = call.notBefore ?? now;
      let rank = rankOf(call, Math.max(now, notBefore));
      // A call's deadline is when the status lapses unless it lands (or an earlier one's, if that did not land). So
      // too for a renewal merged into the call on its way: refused outright, that call renews nothing.
      lapseBy(this, deadline);
      if (call.reason === 'renew' && this.flight && notBefore <= now) {
        // Due now while a call is already on its way: that call renews the indicator.
        dropped.merged += 1;
        notify(this, { type: 'dropped', call, reason: 'merged', at: now });
        return;
      }
      // A renewal goes until what the last call that landed put up lapses (counted from its landing), not only until
      // its own deadline (counted from when that call was made): a wait for the rate budget (a burst of statuses
      // starting at once) put that call out later, and a renewal dropped at its own deadline leaves the status to lapse
      // while the work goes on, sent again only a second later (`statusSignals`), though the budget had room before.
      if (call.reason === 'renew' && this.lapsesAt > deadline && this.lapsesAt < Number.POSITIVE_INFINITY)
        deadline = this.lapsesAt;
      const previous = this.queued;
      if (previous) {
        // The newer call shows what the replaced one would have: it keeps that one's place in line and, if that one
        // had to go whenever it could (a start or change), its deadline.
        rank = Math.min(rank, previous.rank);
        deadline = Math.max(deadline, previous.deadline);
        drop(previous, 'merged', now);
      }
      enqueue(makeEntry(this, call, rank, deadline, notBefore, 0), now);
    }

    /**
     * When what this indicator put up lapses, for its last call (`deadline`: counted from when its last call was made,
     * or the later lapse of what another status of the bot in the chat put up, `lapse`): its own lapse counted from when
     * its call landed (`lapsesAt`), or a status another put up that outlasts it, if known.
     */
    upTo(deadline: number, lapse: number | undefined): number {
      const known = this.lapsesAt > Number.NEGATIVE_INFINITY && this.lapsesAt < Number.POSITIVE_INFINITY;
      return known ? Math.max(this.lapsesAt, lapse ?? Number.NEGATIVE_INFINITY) : Math.min(deadline, this.lapsesAt);
    }

    close(last?: IndicatorCall): void {
      const lapse = last && lapseOf?.(last);
      if (last && lapse !== undefined && lapse > last.deadline) last = { ...last, deadline: lapse };
      // `flight` stays set until the request settles (finish() clears it), so that a final call given to a later
      // close() still waits for a batch that carries this indicator's last call.
      const flight = this.flight;
      // No clear of its own: one only if another indicator of the status left it one (`handed`) whose status may still
      // be up, else none at all (and its call on its way is aborted, as without a clear).
      const final = last?.peer === 'handed' && !((handed.get(targetOf(last)) ?? 0) > clock.now()) ? undefined : last;
      // Ended with its reply (no clear, or a `peer` one), which hides the bot's status: nothing handed to it is up.
      const replied = final?.peer === 'reply' || final?.peer === 'alone';
      // The last one, ending with its reply while a call of one that ended before it is still on its way (`late`): that
      // call may land after the reply's message, and the clear follows it as it would its own (not aborted then either).
      const follows = final?.peer === 'alone' && late.size > 0 && late.has(targetOf(final));
      if (replied && clears.size > 0 && !this.closed) hide(targetOf(final), clock.now());
      if ((!final || replied) && handed.size > 0) {
        const own = final ?? (this.queued ?? flight?.entries.find((e) => e.channel === this))?.call;
        if (own) handed.delete(targetOf(own));
      }
      if (!this.closed && !disposed) {
        activeIndicators -= 1;
        const now = clock.now();
        if (this.queued) drop(this.queued, 'stopped', now);
        if (flight) {
          for (const entry of flight.entries)
            if (entry.channel === this && entry.state === 'flight') drop(entry, 'stopped', now, true);
          const alone = flight.entries.every((e) => e.channel.closed || e.channel === this);
          if ((!final || (final.peer === 'alone' && !follows)) && alone && flight.followers.length === 0) {
            // Nobody waits for this request any more: stop it (a batch shared with live indicators goes on). Not when
            // a clear follows (this indicator's, or one of another that left the same batch): an abort does not call
            // back a request already on its way, which landing after the clear would show the status for its whole
            // lease; the clear waits for it to settle (or time out). Nor after a `peer` clear: the other indicator of
            // the status took it over, and must hear when this call lands, which would undo that (`onLanded`). After its
            // reply with no other status of the bot in the chat (`'alone'`), as with no final call: the reply came.
            finish(flight);
            flight.controller.abort(new B24Error({ code: 'ABORTED', kind: 'network', message: 'indicator stopped' }));
            this.lapsesAt = Number.POSITIVE_INFINITY; // it may still land
            rearm();
          }
        }
      }
      // dispose() already counted every indicator out
      this.closed = true;
      if (!final) return;
      const pending = flight !== null && !flight.settled;
      let after: Flight | undefined;
      if (final.peer && final.peer !== 'handed') {
        if (pending) late.set(targetOf(final), [...(late.get(targetOf(final)) ?? []), flight]);
        // after its reply, only its call still on its way may put the status back up; with no clear of its own, nothing
        if (final.peer !== 'lapse' && (pending || final.peer === true)) {
          handOver(final, pending ? final.deadline : this.upTo(final.deadline, lapse));
        }
        if (!replied || !(pending || follows)) return;
        // That call (or one of another, `follows`), landing after the reply's message, shows the status over the answer
        // for its lease: the clear follows it, if it landed or may have (`landed`); the message hid whatever was up.
        this.lapsesAt = Number.NEGATIVE_INFINITY;
        after = pending ? flight : late.get(targetOf(final))?.[0];
      } else {
        // A status that another indicator stopped with a `peer` clear may have put up is this one's to take down, also
        // once the call that one still has on its way lands (`late`).
        const up = handed.size > 0 || late.size > 0 ? targetOf(final) : undefined;
        if (up !== undefined && handed.has(up)) {
          this.lapsesAt = Math.max(this.lapsesAt, handed.get(up) as number);
          handed.delete(up);
        }
        after = pending ? flight : up === undefined ? undefined : late.get(up)?.[0];
      }
      // No call of this indicator landed or may have (none left, or each was refused outright) and none is on its
      // way, so no status is up: a clear would show one for its 1 s. The channel, closed now, drops it ('stopped',
      // or 'disposed') and reports that like any dropped call.
      if (!after && this.lapsesAt === Number.NEGATIVE_INFINITY) {
        this.submit(final);
        return;
      }
      // The final call (a clear) travels on a channel of its own, which closes once it has an outcome. It waits for
      // the request that still carries this indicator's last call: landing after the clear, that call would undo it.
      const onOutcome = this.onOutcome;
      const target = targetOf(final);
      const next = open((outcome) => {
        try {
          onOutcome(outcome);
        } finally {
          forget(target, next);
          next.close();
        }
      });
      if (!disposed) clears.set(target, [...(clears.get(target) ?? []), next]);
      if (after) {
        next.flight = after;
        const follower: Follower = { closed: this, clear: next, newer: null, replied };
        after.followers.push(follower);
        // one after a reply defers to a clear of the status already waiting (`moot`)
        if (!replied || !clearWaits(target)) clearing.set(target, follower);
      }
      // A call still on its way may land (`follow` decides once it settled). Else the status is up until `upTo`, not
      // the final call's own deadline: that one counts from when the last call was made, which a wait for the rate
      // budget (a burst of statuses starting at once) puts well before it left, and a clear waiting for the budget
      // would be dropped as useless while what it takes down is still up.
      next.submit({ ...final, deadline: after ? final.deadline : this.upTo(final.deadline, lapse) });
    }
  }

  function open(onOutcome: (outcome: CallOutcome) => void): OpenChannel {
    if (!disposed) activeIndicators += 1;
    return new OpenChannel(onOutcome);
  }

  function stats(): DispatchStats {
    return {
      callsSent,
      httpRequests,
      batchedCalls,
      dropped: { ...dropped },
      failed: { ...failed },
      activeIndicators,
    };
  }

  function dispose(): void {
    if (disposed) return;
    const now = clock.now();
    disposed = true;
    timer?.unsubscribe();
    timer = null;
    const pending: Entry[] = [];
    for (const entry of [...waiting.values(), ...ready.values()])
      if (entry.state === 'waiting' || entry.state === 'ready') pending.push(entry);
    for (const flight of flights) {
      for (const entry of flight.entries) if (entry.state === 'flight') pending.push(entry);
      for (const channel of [...flight.entries.map((e) => e.channel), ...flight.followers.map((f) => f.clear)])
        if (channel.queued?.state === 'held') pending.push(channel.queued);
    }
    waiting.clear();
    ready.clear();
    expiring.clear();
    fresh = [];
    clearing.clear();
    handed.clear();
    late.clear();
    clears.clear();
    hidden.clear();
    const aborting = [...flights];
    for (const flight of aborting) finish(flight);
    for (const entry of pending) {
      if (entry.state === 'done') continue;
      entry.state = 'done';
      entry.channel.queued = null;
      dropped.disposed += 1;
      notify(entry.channel, { type: 'dropped', call: entry.call, reason: 'disposed', at: now, error: entry.error });
    }
    for (const flight of aborting) {
      flight.controller.abort(new B24Error({ code: 'ABORTED', kind: 'network', message: 'scheduler disposed' }));
    }
    activeIndicators = 0;
  }

  return { open, stats, dispose, replied };
}
