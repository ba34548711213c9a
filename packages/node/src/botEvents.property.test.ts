import { B24Error, type Transport } from '@b24-typing/core';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import type { BotEvent } from './BotEvent';
import { type BotEventsOptions, botEvents } from './botEvents';

/**
 * A portal that honours `offset` as reference §4.4 documents it (a page is the held events from `offset` on, at most
 * `limit`, `nextOffset` confirms those below it, `hasMore` says more are held), with the faults a real one has:
 * pages out of id order, a `nextOffset` held back (a later page repeats ids), a repeated id in a page, empty pages,
 * unreadable `nextOffset`s, events that arrive out of id order, failures of every kind, hangs until a timeout,
 * malformed events and the bot's ONIMBOTV2DELETE. A scripted Transport (core's interface) as in botEvents.test.ts;
 * fake timers move the clock, so every delay is checked to the millisecond.
 */
const BOT = 9;
/** Taken before any fake timers: lets the real event loop report an unhandled rejection between runs. */
const realImmediate = globalThis.setImmediate;
const FATAL = new Set(['input', 'access', 'auth']);

type Kind = 'join' | 'malformed' | 'untyped' | 'lowercase' | 'noId' | 'otherDelete' | 'delete' | 'malformedDelete';
interface PortalEvent {
  readonly id: number;
  readonly kind: Kind;
  readonly arriveAt: number;
  readonly idAsString: boolean;
}

function rawEvent(e: PortalEvent): unknown {
  const eventId = e.idAsString ? String(e.id) : e.id;
  const date = '2026-11-21T10:00:00+00:00';
  // chat.id names the event when the portal sent no readable eventId.
  const join = { bot: { id: BOT }, chat: { id: e.id, dialogId: `chat${e.id}` } };
  switch (e.kind) {
    case 'join':
      return { eventId, type: 'ONIMBOTV2JOINCHAT', date, data: join };
    case 'malformed':
      return { eventId, type: 'ONIMBOTV2JOINCHAT', date, data: { ...join, chat: { id: e.id, dialogId: 'chatX' } } };
    case 'untyped':
      return { eventId, data: join };
    case 'lowercase':
      return { eventId, type: 'onimbotv2joinchat', date, data: join };
    case 'noId':
      return { ...(e.idAsString ? { eventId: null } : {}), type: 'ONIMBOTV2JOINCHAT', date, data: join };
    case 'otherDelete':
      return { eventId, type: 'ONIMBOTV2DELETE', date, data: { bot: { id: BOT - 1 } } };
    case 'delete':
      return { eventId, type: 'ONIMBOTV2DELETE', date, data: { bot: { id: BOT, code: 'agent' } } };
    case 'malformedDelete':
      return { eventId, type: 'ONIMBOTV2DELETE', date, data: { bot: { id: String(BOT), countChat: [] } } };
  }
}

const EXPECTED_TYPE: Record<Kind, [string, string?]> = {
  join: ['ONIMBOTV2JOINCHAT'],
  malformed: ['other', 'ONIMBOTV2JOINCHAT'],
  untyped: ['other', 'UNKNOWN'],
  lowercase: ['ONIMBOTV2JOINCHAT'],
  noId: ['ONIMBOTV2JOINCHAT'],
  otherDelete: ['ONIMBOTV2DELETE'],
  delete: ['ONIMBOTV2DELETE'],
  malformedDelete: ['other', 'ONIMBOTV2DELETE'],
};
const isOwnDelete = (kind: Kind) => kind === 'delete' || kind === 'malformedDelete';

type NextOffsetAs = 'number' | 'string' | 'missing' | 'empty' | 'true' | 'fraction' | 'older';
type Action =
  | {
      readonly type: 'ok';
      readonly latency: number;
      readonly order: readonly number[];
      readonly holdBack: number;
      readonly dup: boolean;
      readonly nested: boolean;
      readonly nextOffsetAs: NextOffsetAs;
      readonly empty: boolean;
    }
  | { readonly type: 'fail'; readonly latency: number; readonly code: string; readonly status?: number }
  | { readonly type: 'hang'; readonly ms: number }
  | { readonly type: 'bad'; readonly latency: number }
  | { readonly type: 'throw' }
  | { readonly type: 'closed' };

const CLEAN: Action = {
  type: 'ok',
  latency: 0,
  order: [],
  holdBack: 0,
  dup: false,
  nested: false,
  nextOffsetAs: 'number',
  empty: false,
};

const RETRIED: readonly (readonly [string, number?])[] = [
  ['QUERY_LIMIT_EXCEEDED', 503],
  ['QUERY_LIMIT_EXCEEDED', 429],
  ['ERROR_UNEXPECTED_ANSWER', 429],
  ['OPERATION_TIME_LIMIT'],
  ['INTERNAL_SERVER_ERROR', 500],
  ['ERROR_UNEXPECTED_ANSWER', 502],
  ['NETWORK_ERROR'],
  ['TIMEOUT'],
  ['ERROR_UNEXPECTED_ANSWER', 504],
];
const REFUSED: readonly (readonly [string, number?])[] = [
  ['BOT_NOT_FOUND', 400],
  ['BOT_OWNERSHIP_ERROR', 400],
  ['ACCESS_DENIED', 403],
  ['SCOPE_ERROR', 403],
  ['AUTH_ERROR', 401],
  ['NO_AUTH_FOUND', 401],
  ['expired_token', 401],
];

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      type: fc.constant('ok' as const),
      latency: fc.integer({ min: 0, max: 3000 }),
      order: fc.array(fc.integer({ min: 0, max: 99 }), { maxLength: 8 }),
      holdBack: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, fc.integer({ min: 1, max: 4 })),
      dup: fc.boolean(),
      nested: fc.boolean(),
      nextOffsetAs: fc.oneof(
        { weight: 6, arbitrary: fc.constant('number' as const) },
        fc.constantFrom<NextOffsetAs>('string', 'missing', 'empty', 'true', 'fraction', 'older'),
      ),
      empty: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, fc.constant(true)),
    }),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({
        type: fc.constant('fail' as const),
        latency: fc.integer({ min: 0, max: 3000 }),
        failure: fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(...RETRIED) },
          { weight: 1, arbitrary: fc.constantFrom(...REFUSED) },
        ),
      })
      .map(({ type, latency, failure: [code, status] }) => ({
        type,
        latency,
        code,
        ...(status === undefined ? {} : { status }),
      })),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('hang' as const), ms: fc.integer({ min: 1, max: 30_000 }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('bad' as const), latency: fc.integer({ min: 0, max: 100 }) }) },
  { weight: 1, arbitrary: fc.constant({ type: 'throw' as const }) },
  { weight: 1, arbitrary: fc.constant({ type: 'closed' as const }) },
);

type Leave =
  | { readonly at: 'never' }
  | { readonly at: 'next'; readonly n: number }
  | { readonly at: 'onOffset'; readonly n: number; readonly throws: boolean }
  | { readonly at: 'onRetry'; readonly n: number }
  | { readonly at: 'outside'; readonly ms: number };

const leaveArb: fc.Arbitrary<Leave> = fc.oneof(
  fc.constant({ at: 'never' as const }),
  fc.record({ at: fc.constant('next' as const), n: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ at: fc.constant('onOffset' as const), n: fc.integer({ min: 1, max: 6 }), throws: fc.boolean() }),
  fc.record({ at: fc.constant('onRetry' as const), n: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ at: fc.constant('outside' as const), ms: fc.integer({ min: 0, max: 60_000 }) }),
);

const eventsArb: fc.Arbitrary<PortalEvent[]> = fc
  .record({
    first: fc.integer({ min: 0, max: 3 }),
    items: fc.array(
      fc.record({
        gap: fc.integer({ min: 1, max: 3 }),
        kind: fc.oneof(
          { weight: 6, arbitrary: fc.constant<Kind>('join') },
          fc.constantFrom<Kind>('malformed', 'untyped', 'lowercase', 'noId', 'otherDelete'),
        ),
        arriveAt: fc.integer({ min: 0, max: 40_000 }),
        idAsString: fc.boolean(),
      }),
      { maxLength: 20 },
    ),
    deleteAt: fc.option(fc.record({ index: fc.nat(), malformed: fc.boolean() }), { nil: undefined }),
  })
  .map(({ first, items, deleteAt }) => {
    let id = first;
    const events: PortalEvent[] = items.map((item) => {
      id += item.gap;
      return { id, kind: item.kind, arriveAt: item.arriveAt, idAsString: item.idAsString };
    });
    if (deleteAt === undefined || events.length === 0) return events;
    // The bot's delete is the last event it gets: nothing after it, and it comes once the others have.
    const kept = events.slice(0, (deleteAt.index % events.length) + 1);
    const last = kept.pop()!;
    const arriveAt = Math.max(last.arriveAt, ...kept.map((e) => e.arriveAt));
    kept.push({ ...last, arriveAt, kind: deleteAt.malformed ? 'malformedDelete' : 'delete' });
    return kept;
  });

const optionsArb = fc.record({
  limit: fc.integer({ min: 1, max: 6 }),
  intervalMs: fc.constantFrom(0, 10, 1000, 5000),
  hasMoreDelayMs: fc.constantFrom(0, 10, 2000),
  backoff: fc.option(
    fc.record(
      {
        initialMs: fc.constantFrom(1, 100, 1000, 5000),
        factor: fc.constantFrom(1, 1.5, 2, 4),
        maxMs: fc.constantFrom(50, 3000, 60_000),
        jitter: fc.constantFrom(0, 0.2, 0.5, 1),
      },
      { requiredKeys: [] },
    ),
    { nil: undefined },
  ),
  withUserEvents: fc.boolean(),
});

/** One subscription's view, as an app that persists `onOffset` and restarts from it would have it. */
interface Run {
  readonly index: number;
  readonly startOffset: number | undefined;
  offset: number | undefined;
  readonly delivered: Set<number>;
  ended?: 'complete' | 'error' | 'left';
  error?: unknown;
  failures: number;
  lastRandom?: number | undefined;
  prev?: { end: number; outcome: 'page' | 'retry' | 'final'; delay?: number };
  page?: {
    /** What the subscriber should get, in order (README: by id, an event without one in its place). */
    readonly order: readonly { readonly id: number; readonly numeric: boolean }[];
    cursor: number;
    readonly next: unknown;
    readonly hasMore: boolean;
    reported: boolean;
    /** The offset reported when the subscriber left mid-page: just past the last event it was delivered. */
    partial?: number;
    readonly offsetBefore: number | undefined;
  };
  leftInside?: 'next-last' | 'next-mid' | 'onOffset' | 'onRetry';
  offsetThrew: boolean;
  deleteDelivered: boolean;
  inFlight: boolean;
  polls: number;
}

function readable(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

function backoffOf(options: BotEventsOptions) {
  const intervalMs = options.intervalMs ?? 5000;
  return {
    initialMs: options.backoff?.initialMs ?? Math.max(intervalMs, 1000),
    factor: options.backoff?.factor ?? 2,
    maxMs: options.backoff?.maxMs ?? 60_000,
    jitter: options.backoff?.jitter ?? 0.2,
  };
}

/**
 * What `random` returns: mostly a fraction from 0 to 1, sometimes what a careless source gives (`() => { Math.random() }`
 * returns undefined, a uint32 is no fraction). The documented bounds of a retry hold whatever it is.
 */
const drawArb = fc.oneof(
  { weight: 8, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) },
  fc.constantFrom(Number.NaN, undefined, -1, 2, 4_294_967_295, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
);

async function scenario(
  events: PortalEvent[],
  script: Action[],
  leaves: Leave[],
  randoms: (number | undefined)[],
  opts: Omit<BotEventsOptions, 'botId'>,
) {
  const problems: string[] = [];
  const check = (ok: boolean, message: string) => {
    if (!ok) problems.push(message);
  };
  const kindOf = new Map(events.map((e) => [e.id, e.kind]));
  const everDelivered = new Set<number>();
  const portal = { confirmed: 0, deleteId: events.find((e) => isOwnDelete(e.kind))?.id };
  let persisted: number | undefined;
  let randomIndex = 0;
  const options = { botId: BOT, ...opts } as BotEventsOptions;
  const backoff = backoffOf(options);
  const runs: Run[] = [];

  const serve = (run: Run, action: Extract<Action, { type: 'ok' }>, params: Record<string, unknown>): unknown => {
    const now = Date.now();
    const from = (params.offset as number | undefined) ?? portal.confirmed;
    const held = events.filter((e) => e.id >= from);
    const visible = held.filter((e) => e.arriveAt <= now);
    const taken = action.empty ? [] : visible.slice(0, options.limit ?? 100);
    // The portal confirms nothing past an event not yet committed (one that arrives later with a lower id).
    const firstMissing = held.find((e) => e.arriveAt > now)?.id ?? Number.POSITIVE_INFINITY;
    const kept = taken.length - action.holdBack;
    const nextOffset = Math.min(firstMissing, kept > 0 ? taken[kept - 1]!.id + 1 : from);
    const hasMore = visible.length > taken.length;
    const listed = taken.map((e, i) => ({ e, key: action.order[i] ?? i })).sort((a, b) => a.key - b.key);
    if (action.dup && taken.length > 0) listed.splice((action.order[0] ?? 0) % listed.length, 0, listed[0]!);
    const items = listed.map(({ e }) => rawEvent(e));
    const sorted = listed.filter(({ e }) => e.kind !== 'noId').sort((a, b) => a.e.id - b.e.id);
    let slot = 0;
    const order = listed.map(({ e }) => (e.kind === 'noId' ? e : sorted[slot++]!.e));
    const next = {
      number: nextOffset,
      string: String(nextOffset),
      missing: undefined,
      empty: '',
      true: true,
      fraction: `${nextOffset}.5`,
      older: from - 1,
    }[action.nextOffsetAs];
    const body = { events: items, ...(next === undefined ? {} : { nextOffset: next }), hasMore };
    run.page = {
      order: order.map((e) => ({ id: e.id, numeric: e.kind !== 'noId' })),
      cursor: 0,
      next,
      hasMore,
      reported: false,
      offsetBefore: run.offset,
    };
    return action.nested ? { result: body } : body;
  };

  /** What the previous poll of this run promised: checked when the next one comes, or the run ends. */
  const settlePage = (run: Run) => {
    const page = run.page;
    if (!page) return;
    const next = readable(page.next);
    const accepted = next !== undefined && (page.offsetBefore === undefined || next >= page.offsetBefore);
    // A subscriber that left before the page's last new event must not have it confirmed (the rest comes again);
    // one that left on it, or stayed, must (or a restart repeats the page).
    const expected = run.leftInside === 'next-mid' ? false : accepted;
    check(page.reported === expected, `run ${run.index}: page offset ${String(page.next)} reported ${page.reported}`);
    if (run.leftInside === 'next-mid') {
      // README: one that left mid-page gets the offset just past the last event it was delivered (never past the
      // page's own), unless an event without an id is left behind. Repeats of what it was delivered count as delivered.
      let stop = page.cursor;
      while (stop < page.order.length && page.order[stop]!.numeric && run.delivered.has(page.order[stop]!.id)) stop++;
      const last = page.order
        .slice(0, stop)
        .filter((item) => item.numeric)
        .at(-1)?.id;
      const restNumeric = page.order.slice(stop).every((item) => item.numeric);
      const partial = next !== undefined && last !== undefined && restNumeric ? Math.min(last + 1, next) : undefined;
      const due = partial !== undefined && (page.offsetBefore === undefined || partial > page.offsetBefore);
      check(
        page.partial === (due ? partial : undefined),
        `run ${run.index}: offset ${page.partial} reported for a page left mid-way, expected ${due ? partial : 'none'}`,
      );
    }
    if (run.leftInside === 'next-mid' || run.leftInside === 'next-last' || run.offsetThrew) return;
    check(restOfPageDelivered(run, page), `run ${run.index}: a page not delivered in full`);
  };

  /** Nothing left in the page but repeats of what this run delivered. */
  const restOfPageDelivered = (run: Run, page: NonNullable<Run['page']>) =>
    page.order.slice(page.cursor).every((item) => item.numeric && run.delivered.has(item.id));

  const transportFor = (run: Run): Transport => ({
    call(method, params, callOptions) {
      check(method === 'imbot.v2.Event.get', `method ${method}`);
      const now = Date.now();
      check(!run.ended, `run ${run.index}: polled after the stream ended (${run.ended})`);
      run.polls++;
      check(!run.inFlight, `run ${run.index}: two polls in flight`);
      check(!run.deleteDelivered, `run ${run.index}: polled after the bot's delete`);
      check(params.offset === run.offset, `run ${run.index}: polled offset ${params.offset}, expected ${run.offset}`);
      check(params.botId === BOT && params.limit === (options.limit ?? 100), `run ${run.index}: params`);
      check(params.withUserEvents === (options.withUserEvents ? true : undefined), 'withUserEvents');
      if (run.prev) {
        check(run.prev.outcome !== 'final', `run ${run.index}: polled after a poll that ended the stream`);
        const waited = now - run.prev.end;
        check(waited === run.prev.delay, `run ${run.index}: waited ${waited} ms, expected ${run.prev.delay}`);
      }
      settlePage(run);
      run.page = undefined;
      if (typeof params.offset === 'number') portal.confirmed = Math.max(portal.confirmed, params.offset);
      const action = script.shift() ?? CLEAN;
      run.inFlight = true;
      const signal = callOptions?.signal;
      return new Promise((resolve, reject) => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const done = (outcome: () => void) => {
          if (timer !== undefined) clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          run.inFlight = false;
          outcome();
        };
        const onAbort = () => done(() => reject(new B24Error({ code: 'ABORTED', kind: 'network' })));
        signal?.addEventListener('abort', onAbort);
        const fail = (code: string, status?: number) => {
          const error = new B24Error({ code, ...(status === undefined ? {} : { status }) });
          run.prev = { end: Date.now(), outcome: FATAL.has(error.kind) ? 'final' : 'retry' };
          reject(error);
        };
        const answer = () => {
          // The bot is gone once its delete is confirmed: what Event.get answers then.
          if (portal.deleteId !== undefined && portal.confirmed > portal.deleteId) return fail('BOT_NOT_FOUND', 400);
          switch (action.type) {
            case 'ok': {
              run.failures = 0;
              const body = serve(run, action, params);
              run.prev = {
                end: Date.now(),
                outcome: 'page',
                delay: run.page!.hasMore ? (options.hasMoreDelayMs ?? 2000) : (options.intervalMs ?? 5000),
              };
              return resolve(body);
            }
            case 'fail':
              return fail(action.code, action.status);
            case 'hang':
              return fail('TIMEOUT');
            case 'bad':
              run.prev = { end: Date.now(), outcome: 'retry' };
              return resolve({ error: null, html: '<html>' });
            case 'throw':
              run.prev = { end: Date.now(), outcome: 'retry' };
              return reject(new TypeError('a buggy transport'));
            case 'closed':
              run.prev = { end: Date.now(), outcome: 'final' };
              return reject(new B24Error({ code: 'CLIENT_CLOSED', kind: 'network' }));
          }
        };
        const latency = action.type === 'hang' ? action.ms : 'latency' in action ? action.latency : 0;
        timer = setTimeout(() => done(answer), latency);
      });
    },
  });

  const start = (leave: Leave) => {
    const run: Run = {
      index: runs.length,
      startOffset: persisted,
      offset: persisted,
      delivered: new Set(),
      failures: 0,
      offsetThrew: false,
      deleteDelivered: false,
      inFlight: false,
      polls: 0,
    };
    runs.push(run);
    let offsets = 0;
    let retries = 0;
    let seen = 0;
    let outside: ReturnType<typeof setTimeout> | undefined;
    const subscription = botEvents(transportFor(run), {
      ...options,
      ...(persisted === undefined ? {} : { offset: persisted }),
      random: () => {
        run.lastRandom = randoms[randomIndex++ % randoms.length];
        return run.lastRandom as number;
      },
      onOffset: (offset) => {
        const page = run.page;
        check(run.ended === undefined || run.ended === 'left', `run ${run.index}: onOffset after ${run.ended}`);
        if (page && run.leftInside === 'next-mid') {
          check(page.partial === undefined, `run ${run.index}: two offsets for a page left mid-way`);
          page.partial = offset;
        } else {
          check(
            page !== undefined && readable(page.next) === offset,
            `run ${run.index}: onOffset ${offset} for no page`,
          );
          if (page) page.reported = true;
        }
        check(run.offset === undefined || offset >= run.offset, `run ${run.index}: offset went back to ${offset}`);
        for (const e of events) {
          if (e.id < offset) check(everDelivered.has(e.id), `run ${run.index}: offset ${offset} confirms lost ${e.id}`);
        }
        run.offset = offset;
        offsets++;
        if (leave.at === 'onOffset' && offsets === leave.n) {
          if (leave.throws) {
            run.offsetThrew = true;
            throw new Error('offset store is down');
          }
          persisted = offset;
          run.leftInside = 'onOffset';
          run.ended = 'left';
          subscription?.unsubscribe();
          return;
        }
        persisted = offset;
      },
      onRetry: (error, delayMs) => {
        check(!run.ended, `run ${run.index}: onRetry after the end`);
        check(error instanceof B24Error && !FATAL.has(error.kind), `run ${run.index}: onRetry with ${error.code}`);
        check(run.prev?.outcome === 'retry' && run.prev.end === Date.now(), `run ${run.index}: onRetry not at once`);
        run.failures++;
        const base = Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** (run.failures - 1));
        const draw = run.lastRandom;
        const label = `run ${run.index}: retry ${run.failures} (random ${draw}) in ${delayMs} ms`;
        if (typeof draw === 'number' && draw >= 0 && draw <= 1) {
          const jittered = base * (1 + backoff.jitter * (2 * draw - 1));
          const expected = Math.round(Math.max(backoff.initialMs, Math.min(backoff.maxMs, jittered)));
          check(delayMs === expected, `${label}, expected ${expected}`);
        } else {
          // Never sooner than initialMs, never later than maxMs (unless initialMs is above it), in whole ms.
          const ceiling = Math.max(backoff.initialMs, backoff.maxMs);
          check(Number.isInteger(delayMs) && delayMs >= backoff.initialMs && delayMs <= ceiling, label);
        }
        if (run.prev) run.prev.delay = delayMs;
        retries++;
        if (leave.at === 'onRetry' && retries === leave.n) {
          run.leftInside = 'onRetry';
          run.ended = 'left';
          subscription?.unsubscribe();
        }
      },
    }).subscribe({
      next: (event: BotEvent) => {
        const chat = (event.data as { chat?: { id?: unknown } }).chat;
        const id = event.eventId ?? (chat?.id as number);
        const page = run.page;
        check(kindOf.has(id) && (event.eventId === undefined) === (kindOf.get(id) === 'noId'), `event ${id} unknown`);
        if (!kindOf.has(id) || !page) return;
        const numeric = kindOf.get(id) !== 'noId';
        check(!numeric || !run.delivered.has(id), `run ${run.index}: event ${id} delivered twice`);
        // In page order: all that comes before it is a repeat skipped, or the page was not delivered in order.
        let at = page.cursor;
        while (at < page.order.length && page.order[at]!.id !== id) {
          const skipped = page.order[at]!;
          check(skipped.numeric && run.delivered.has(skipped.id), `run ${run.index}: ${id} before ${skipped.id}`);
          at++;
        }
        check(at < page.order.length, `run ${run.index}: event ${id} not in the page, or out of order`);
        page.cursor = at + 1;
        if (numeric && everDelivered.has(id) && !run.delivered.has(id)) {
          // Delivered by an earlier run: only a page that run never confirmed may come again.
          check(id >= (run.startOffset ?? 0), `run ${run.index}: event ${id} again after a restart`);
        }
        const [type, eventType] = EXPECTED_TYPE[kindOf.get(id)!];
        check(
          event.type === type && (eventType === undefined || (event.type === 'other' && event.eventType === eventType)),
          `run ${run.index}: event ${id} typed ${event.type}`,
        );
        run.delivered.add(id);
        everDelivered.add(id);
        if (isOwnDelete(kindOf.get(id)!)) run.deleteDelivered = true;
        seen++;
        if (leave.at === 'next' && seen === leave.n) {
          run.leftInside = restOfPageDelivered(run, page) ? 'next-last' : 'next-mid';
          run.ended = 'left';
          subscription?.unsubscribe();
        }
      },
      error: (error) => {
        run.ended = 'error';
        run.error = error;
      },
      complete: () => {
        run.ended = 'complete';
      },
    });
    if (leave.at === 'outside') {
      outside = setTimeout(() => {
        if (run.ended) return;
        run.ended = 'left';
        subscription.unsubscribe();
      }, leave.ms);
    }
    return { run, subscription, stop: () => clearTimeout(outside) };
  };

  const drive = async (leave: Leave, maxSteps: number, until = () => false) => {
    const { run, subscription, stop } = start(leave);
    for (let step = 0; step < maxSteps && !run.ended && !until(); step++) {
      if (vi.getTimerCount() === 0) {
        problems.push(`run ${run.index}: stalled, no timer and the stream has not ended`);
        break;
      }
      await vi.advanceTimersToNextTimerAsync();
    }
    stop();
    // The bot's delete, delivered to a subscriber that stayed, completes the stream.
    if (run.deleteDelivered && !run.leftInside && !run.offsetThrew) {
      check(run.ended === 'complete', `run ${run.index}: not completed after the bot's delete (${run.ended})`);
    }
    if (!run.ended) run.ended = 'left';
    subscription.unsubscribe();
    check(!run.inFlight, `run ${run.index}: the poll in flight was not aborted`);
    const polls = run.polls;
    // Long after the end: nothing is polled, reported or delivered, and nothing is left to fire.
    await vi.advanceTimersByTimeAsync(600_000);
    check(vi.getTimerCount() === 0, `run ${run.index}: ${vi.getTimerCount()} timers left after the end`);
    check(run.polls === polls && !run.inFlight, `run ${run.index}: polled after the end, or left a poll in flight`);
    settlePage(run);
    if (run.ended === 'error' && !run.offsetThrew) {
      check(
        run.error instanceof B24Error && FATAL.has(run.error.kind) && run.prev?.outcome === 'final',
        `run ${run.index}: errored with ${String(run.error)}`,
      );
    }
    if (run.offsetThrew) check(run.ended === 'error', `run ${run.index}: onOffset threw, stream ${run.ended}`);
    return run;
  };

  for (const leave of leaves) {
    await drive(leave, 60);
    if (problems.length > 0) return problems;
  }
  // Then a clean run once everything arrived: none of the portal's events may have been lost on the way.
  script.length = 0;
  await vi.advanceTimersByTimeAsync(60_000);
  const last = await drive({ at: 'never' }, 400, () =>
    portal.deleteId === undefined ? events.every((e) => everDelivered.has(e.id)) : false,
  );
  if (portal.deleteId === undefined) {
    for (const e of events) check(everDelivered.has(e.id), `event ${e.id} never delivered`);
  } else {
    for (const e of events) check(everDelivered.has(e.id), `event ${e.id} never delivered before the delete`);
    check(last.ended === 'complete' || last.ended === 'error', `the last run did not end after the delete`);
  }
  return problems;
}

describe('botEvents properties (fake timers, scripted portal)', () => {
  it('delivers every event at most once per subscription and none lost across restarts, backing off as documented', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      await fc.assert(
        fc.asyncProperty(
          eventsArb,
          fc.array(actionArb, { maxLength: 30 }),
          fc.array(leaveArb, { minLength: 1, maxLength: 4 }),
          fc.array(drawArb, { minLength: 1, maxLength: 5 }),
          optionsArb,
          async (events, script, leaves, randoms, { backoff, ...rest }) => {
            vi.useFakeTimers({ now: 0 });
            try {
              const problems = await scenario(events, [...script], leaves, randoms, {
                ...rest,
                ...(backoff === undefined ? {} : { backoff }),
              });
              vi.useRealTimers();
              await new Promise((resolve) => realImmediate(resolve));
              expect(problems).toEqual([]);
              expect(rejections).toEqual([]);
            } finally {
              vi.useRealTimers();
            }
          },
        ),
        { numRuns: 100 },
      );
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });
});
