// The headline promise for bots, end to end (core README, "Quick start: a bot" and "Semantics and defaults"): while
// a bot works on a reply its status is up in that chat, whatever phases the work goes through, and it never shows
// after the reply. Random scenarios of a few bots answering in a few chats, over real HTTP to the emulator through the node
// webhook transport, in virtual time (one clock for the emulator's `now` and the indicators' `clock`). Everything is
// judged on the emulator's side: what a person in the chat would have seen, never what our client says it did; but
// which of a bot's works in a chat sent a call, which only our client's events tell, (6) and (7) read from those.
import { type AgentStatus, createIndicators, type IndicatorEvent, type Transport, withStatus } from '@b24-typing/core';
import { type CallEntry, type Emulator, type MessageEntry, startEmulator } from '@b24-typing/emulator';
import { createWebhookTransport } from '@b24-typing/node';
import fc from 'fast-check';
import {
  concat,
  EMPTY,
  map,
  merge,
  mergeMap,
  NEVER,
  type Observable,
  of,
  type Subscription,
  throwError,
  timer,
} from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkScenarios, TALLY_RUNS } from './checkScenarios';
import { envNumber } from './envNumber';
import { type FaultPlan, faultPlans, SlowWire, scheduleFaults } from './faultPlans';
import { playSeeded } from './playSeeded';
import { rateStreaks } from './rateStreaks';
import { refusedByItsCommands } from './refusedByItsCommands';
import { type Interval, uncovered } from './uncovered';
import { VirtualClock } from './VirtualClock';

/**
 * `E2E_RUNS=1000 npx vitest run test/botWork.property.test.ts` for a long run; the default keeps CI fast. Fewer than
 * TALLY_RUNS (`E2E_RUNS=5` for a quick look) check every property but not the tallies, which so few need not reach.
 */
const RUNS = envNumber('E2E_RUNS', 100, 1);
const SEED = envNumber('E2E_SEED');
/** Works per scenario: `E2E_MAX_WORKS=40` for a run that leans on the rate budget. */
const MAX_WORKS = envNumber('E2E_MAX_WORKS', 8, 1);
/**
 * One scenario (a counterexample) run alone: `E2E_ONLY='{"works":[…],…}'`, as the line a failing sweep ends with
 * (`replayLine`) sets it.
 */
const ONLY = process.env.E2E_ONLY === undefined ? undefined : replayed(process.env.E2E_ONLY);

const BOTS = [
  { id: 201, code: 'alpha', name: 'Alpha', botToken: 'alpha-bot-token' },
  { id: 202, code: 'beta', name: 'Beta', botToken: 'beta-bot-token' },
  { id: 203, code: 'gamma', name: 'Gamma', botToken: 'gamma-bot-token' },
] as const;
const CHATS = [101, 102] as const;

/** README "Semantics and defaults": the message hides the shared status, the newest left sends its own a second later. */
const REPLY_GAP_MS = 1_000;
/**
 * After the portal refused a call: a renewal is due `marginMs` (3 s) before the lapse, a call given up or refused is
 * sent again 1 s later (README), plus the retries' and rate back-off's jitter.
 */
const RECOVERY_MS = 5_000;
/**
 * "a rate refusal backs off": the scheduler waits `1000 / perSecond` ms, doubled with each refusal in a row (up to
 * 30 s), before the next request, so the recovery after the n-th refusal in a row grows by as much.
 */
const RATE_BACKOFF_MS = 500;
/** "its retries ran out": a call is tried 5 times (core's scheduler, `maxRetries` 4) before it is dropped. */
const ATTEMPTS = 5;
/**
 * README "Semantics and defaults": a renewal goes `marginMs` (3 s, capped at half the lease) before the lease lapses, or
 * up to `piggybackMs` (1 s) earlier in a batch that goes anyway.
 */
const MARGIN_MS = 3_000;
const PIGGYBACK_MS = 1_000;
/** "a new status is sent at once": with no fault, a work's status lands the moment the work starts. */
const START_TOLERANCE_MS = 0;
/**
 * Core README, "When the reply came": a call on its way then that lands after the reply's message is taken down by a
 * clear sent as soon as its request is answered (or failed), which the rate budget may hold a little: this long.
 */
const LATE_CLEAR_MS = 1_000;
/** Property (3): nothing of a bot is visible this long after all work ended (a clear shows for its 1 s). */
const QUIET_MS = 2_000;
/** Waited after the last work before the books are closed: beyond the longest lease here, 60 s. */
const TAIL_MS = 65_000;

const STATUSES: readonly AgentStatus[] = [
  'typing',
  'thinking',
  'searching',
  'generating',
  'analyzing',
  'processing',
  'translating',
  'connecting',
  'checking',
  'calculating',
  'readingDocs',
  'composing',
];

type Outcome = 'reply' | 'error' | 'unsubscribe';
/**
 * What a reply does after its value, `afterValueMs` later (0: in the same notification, as `of(text)` does): completes,
 * fails, is unsubscribed from, or stays open until the scenario is over (then unsubscribed from). Whichever, the status
 * ended at the value (core README: "`until` emits → stop"), and what follows sends nothing: a clear after the value
 * would show the status for its second over the answer.
 */
type AfterValue = 'complete' | 'error' | 'unsubscribe' | 'open';
interface Work {
  bot: number;
  chat: number;
  startMs: number;
  durationMs: number;
  outcome: Outcome;
  status: AgentStatus;
  phases: { atMs: number; status: AgentStatus }[];
  leaseSec: number | undefined;
  /** README: with `clearOnError: false` a work that ends without its reply sends no clear of its own. */
  clearOnError: boolean;
  /** With `outcome` `reply`: how the reply ends after its value (`AfterValue`), and how long after it. */
  afterValue: AfterValue;
  afterValueMs: number;
}
interface Scenario {
  works: Work[];
  faults: FaultPlan<'batch' | 'imbot.v2.Chat.InputAction.notify'>[];
  seed: number;
}

/** A scenario as a counterexample printed it: one printed before replies went on after their value lacks those fields. */
type Printed = Omit<Scenario, 'works'> & {
  works: (Omit<Work, 'afterValue' | 'afterValueMs'> & Partial<Pick<Work, 'afterValue' | 'afterValueMs'>>)[];
};

/**
 * Reads a counterexample to replay (`E2E_ONLY`). A reply of one printed before replies went on after their value
 * completed with it, at once (`of(text)`): so a missing `afterValue` is `complete` and a missing `afterValueMs` 0, lest
 * the old scenario replay as another, its replies left open for good, which need not fail as it did.
 */
function replayed(json: string): Scenario {
  const printed = JSON.parse(json) as Printed;
  return {
    ...printed,
    works: printed.works.map((w) => ({
      ...w,
      afterValue: w.afterValue ?? 'complete',
      afterValueMs: w.afterValueMs ?? 0,
    })),
  };
}

const status = fc.constantFrom(...STATUSES);
const work: fc.Arbitrary<Work> = fc.record({
  // Bot 0 in chat 0 most often, so that works of one bot in one chat overlap.
  bot: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 2 }) }),
  chat: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) }),
  // Some at the same moment as others: their calls leave together, in one batch.
  startMs: fc.oneof(
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 60_000 }) },
    { weight: 1, arbitrary: fc.constantFrom(0, 20_000, 40_000) },
  ),
  durationMs: fc.oneof(
    { weight: 1, arbitrary: fc.constant(0) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: 3_000 }) },
    { weight: 4, arbitrary: fc.integer({ min: 0, max: 90_000 }) },
  ),
  outcome: fc.oneof(
    { weight: 3, arbitrary: fc.constant<Outcome>('reply') },
    { weight: 1, arbitrary: fc.constant<Outcome>('error') },
    { weight: 1, arbitrary: fc.constant<Outcome>('unsubscribe') },
  ),
  status,
  phases: fc.array(fc.record({ atMs: fc.integer({ min: 0, max: 90_000 }), status }), { maxLength: 4 }),
  leaseSec: fc.constantFrom(undefined, 5, 10, 60),
  clearOnError: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  afterValue: fc.oneof(
    { weight: 3, arbitrary: fc.constant<AfterValue>('complete') },
    { weight: 1, arbitrary: fc.constant<AfterValue>('error') },
    { weight: 1, arbitrary: fc.constant<AfterValue>('unsubscribe') },
    { weight: 1, arbitrary: fc.constant<AfterValue>('open') },
  ),
  // At once, or past a renewal (27 s by default, 7 s with a 10 s lease) or a whole lease, which a status the value did
  // not stop would reach.
  afterValueMs: fc.oneof(
    { weight: 2, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 3_000 }) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 70_000 }) },
  ),
});
const scenario: fc.Arbitrary<Scenario> = fc.record({
  works: fc.array(work, { minLength: 1, maxLength: MAX_WORKS }),
  // `slow`: a request sent before a reply may land after its message (a portal works on requests concurrently)
  faults: faultPlans(fc.constantFrom('batch' as const, 'imbot.v2.Chat.InputAction.notify' as const), 90_000, {
    slow: fc.constant('batch' as const),
  }),
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
});

const clock = new VirtualClock(Date.parse('2026-01-01T00:00:00Z'));
let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator({
    plan: 'standard',
    now: () => clock.now(),
    initial: {
      chats: CHATS.map((id) => ({ id, title: `work ${id}`, members: [1, ...BOTS.map((b) => b.id)] })),
      bots: BOTS.map((b) => ({ ...b, chats: [...CHATS] })),
    },
  });
});

afterAll(async () => {
  await emulator?.close();
});

/** What happened to one work, on our side: when it started and ended (its reply's `next`, its error, the unsubscribe). */
interface Run {
  index: number;
  work: Work;
  botId: number;
  chatId: number;
  start: number;
  end: number | undefined;
  text: string;
  delivered: 'value' | 'error' | 'complete' | undefined;
  deliveredAt: number | undefined;
  sub: Subscription | undefined;
  /** Its indicator's id in events: indicators are numbered as they are subscribed, one per work. */
  indicatorId: number;
  /** How many indicator events there were when its value reached us: those after it came after the value. */
  eventsAtValue: number | undefined;
  /** How the reply ended after its value (`AfterValue`), when, and how many indicator events there were by then. */
  closed: { how: 'complete' | 'error' | 'unsubscribe'; at: number; events: number } | undefined;
}

/** What the scenarios exercised, so a run that checked nothing (every work too short, say) cannot pass unnoticed. */
const tally = {
  scenarios: 0,
  faulted: 0,
  refusals: 0,
  /** Refusals the emulator could not attribute to a bot: they excuse every status. */
  unattributed: 0,
  statusCalls: 0,
  afterReplyChecks: 0,
  overlapping: 0,
  sharedRenewals: 0,
  coveredMs: 0,
  clearsChecked: 0,
  /** Replies that ended after their value, later than it, by each way (`AfterValue`): the status had ended before. */
  endedAfterValue: { complete: 0, error: 0, unsubscribe: 0, open: 0 },
  /** Status calls on their way at a reply (a slow request) that landed after its message, and were then cleared. */
  lateLandings: 0,
  lateCleared: 0,
};

/** Runs one scenario against a reset emulator and returns every broken promise, described (empty: all held). */
async function runScenario(s: Scenario): Promise<string[]> {
  emulator.reset();
  return playSeeded(s.seed, (rejections) => play(s, rejections));
}

async function play(s: Scenario, rejections: unknown[]): Promise<string[]> {
  const problems: string[] = [];
  const t0 = clock.now();
  const webhook = createWebhookTransport(emulator.webhookUrl(1));
  const wire = new SlowWire(clock, clock.tracked(webhook) as Required<Transport>);
  const transport = wire.transport;
  const renewals: { at: number; indicatorId: number }[] = [];
  /** Every indicator event, in order: which of a work's came after its value, and after its reply ended. */
  const events: IndicatorEvent[] = [];
  const indicators = createIndicators({
    transport,
    limits: 'standard',
    clock,
    onEvent: (e) => {
      events.push(e);
      if (e.type === 'renewed') renewals.push({ at: e.at, indicatorId: e.indicatorId });
    },
  });
  let subscribed = 0;
  const sendErrors: unknown[] = [];

  const runs: Run[] = s.works.map((w, index) => ({
    index,
    work: w,
    botId: BOTS[w.bot]!.id,
    chatId: CHATS[w.chat]!,
    start: t0 + w.startMs,
    end: undefined,
    text: `reply ${index}`,
    delivered: undefined,
    deliveredAt: undefined,
    sub: undefined,
    indicatorId: 0,
    eventsAtValue: undefined,
    closed: undefined,
  }));

  scheduleFaults(clock, emulator, s.faults, wire);
  const close = (run: Run, how: 'complete' | 'error' | 'unsubscribe') => {
    run.closed ??= { how, at: clock.now(), events: events.length };
  };

  for (const run of runs) {
    const w = run.work;
    const bot = BOTS[w.bot]!;
    const dialogId = `chat${run.chatId}` as const;
    clock.schedule(() => {
      const done = timer(w.outcome === 'unsubscribe' ? w.durationMs + 1 : w.durationMs, clock);
      /** What the reply does after its value: at once (in the value's notification) or `afterValueMs` later. */
      const ending$: Observable<never> =
        w.afterValue === 'complete'
          ? EMPTY
          : w.afterValue === 'error'
            ? throwError(() => new Error(`work ${run.index} failed after its reply`))
            : NEVER;
      const afterValue$ = w.afterValueMs === 0 ? ending$ : timer(w.afterValueMs, clock).pipe(mergeMap(() => ending$));
      const reply$: Observable<string> =
        w.outcome === 'error'
          ? done.pipe(mergeMap(() => throwError(() => new Error(`work ${run.index} failed`))))
          : done.pipe(mergeMap(() => concat(of(run.text), afterValue$)));
      const phase$: AgentStatus | Observable<AgentStatus> =
        w.phases.length === 0
          ? w.status
          : merge(of(w.status), ...w.phases.map((p) => timer(p.atMs, clock).pipe(map(() => p.status))));
      run.indicatorId = ++subscribed;
      run.sub = reply$
        .pipe(
          withStatus(indicators, {
            dialogId,
            botId: bot.id,
            botToken: bot.botToken,
            status: phase$,
            ...(w.leaseSec === undefined ? {} : { leaseSec: w.leaseSec }),
            ...(w.clearOnError ? {} : { clearOnError: false }),
          }),
        )
        .subscribe({
          next: (text) => {
            run.end = clock.now();
            run.delivered = 'value';
            run.deliveredAt = clock.now();
            run.eventsAtValue = events.length;
            // The reply, as the bot example sends it; the message hides the bot's status (reference §3).
            transport
              .call('imbot.v2.Chat.Message.send', {
                botId: bot.id,
                botToken: bot.botToken,
                dialogId,
                fields: { message: text },
              })
              .catch((e: unknown) => sendErrors.push(e));
            if (w.afterValue !== 'unsubscribe') return;
            const unsubscribe = () => {
              close(run, 'unsubscribe');
              run.sub?.unsubscribe();
            };
            // (`run.sub` is set by now: the value comes on a timer, after `subscribe` returned)
            if (w.afterValueMs === 0) unsubscribe();
            else clock.schedule(unsubscribe, w.afterValueMs);
          },
          error: () => {
            if (run.delivered === 'value') return close(run, 'error');
            run.end = clock.now();
            run.delivered = 'error';
            run.deliveredAt = clock.now();
          },
          complete: () => {
            if (run.delivered === 'value') close(run, 'complete');
            if (run.delivered === undefined) run.delivered = 'complete';
          },
        });
      if (w.outcome === 'unsubscribe') {
        clock.schedule(() => {
          run.end = clock.now();
          run.sub?.unsubscribe();
        }, w.durationMs);
      }
    }, w.startMs);
  }

  const lastEnd = Math.max(
    ...s.works.map(
      (w) => w.startMs + w.durationMs + (w.outcome === 'reply' && w.afterValue !== 'open' ? w.afterValueMs : 0),
    ),
    ...s.faults.map((f) => f.atMs),
  );
  await clock.advanceBy(lastEnd + TAIL_MS);
  // The replies still open, at the end of the scenario: left, they send nothing (what a clear would show lands by then).
  for (const run of runs)
    if (run.delivered === 'value' && !run.closed) {
      close(run, 'unsubscribe');
      run.sub?.unsubscribe();
    }
  await clock.advanceBy(QUIET_MS);
  const timersBeforeDispose = clock.actions.length;
  indicators.dispose();
  const timersAfterDispose = clock.actions.length;

  // Our side of the scenario did what it was told (the reply stream is untouched by the status).
  for (const run of runs) {
    const w = run.work;
    const wantAt = run.start + w.durationMs;
    if (run.end !== wantAt) problems.push(`work ${run.index}: ended at ${rel(run.end)}, not ${rel(wantAt)}`);
    if (w.outcome === 'reply' && (run.delivered !== 'value' || run.deliveredAt !== wantAt))
      problems.push(`work ${run.index}: reply ${run.delivered} at ${rel(run.deliveredAt)}, expected at ${rel(wantAt)}`);
    if (w.outcome === 'error' && (run.delivered !== 'error' || run.deliveredAt !== wantAt))
      problems.push(`work ${run.index}: error ${run.delivered} at ${rel(run.deliveredAt)}, expected at ${rel(wantAt)}`);
  }
  if (sendErrors.length > 0) problems.push(`reply sends failed: ${sendErrors.map(String).join('; ')}`);
  for (const run of runs) {
    const w = run.work;
    if (w.outcome !== 'reply' || run.deliveredAt === undefined) continue;
    const c = run.closed;
    const wantHow = w.afterValue === 'open' ? 'unsubscribe' : w.afterValue;
    const wantAt = w.afterValue === 'open' ? t0 + lastEnd + TAIL_MS : run.deliveredAt + w.afterValueMs;
    if (c?.how !== wantHow || c.at !== wantAt)
      problems.push(
        `work ${run.index}: after its reply ${c?.how} at ${rel(c?.at)}, expected ${wantHow} at ${rel(wantAt)}`,
      );
  }

  // (7) The status ends at the reply's value, whatever the reply does after it (core README: "`until` emits → stop"):
  // its indicator stopped before the value reached us, and sent nothing after it (a call alone on its way then is
  // aborted), but for a call on its way in a `batch` (a slow request) and the clear that follows it ("When the reply
  // came"); the reply's end after its value, a completion, an error or an unsubscribe, sends nothing at all (a clear
  // then would show the status for its second over the answer). These are our client's events: what (1) to (3) make
  // of them on the emulator's side would miss a status of a bot still kept up by another of its works in that chat.
  for (const run of runs) {
    if (run.work.outcome !== 'reply' || run.eventsAtValue === undefined || run.deliveredAt === undefined) continue;
    const r = run.deliveredAt;
    const where = `work ${run.index} (replied at ${rel(r)}, then ${run.closed?.how} at ${rel(run.closed?.at)})`;
    const own = (from: number, to = events.length) =>
      events.slice(from, to).filter((e) => e.indicatorId === run.indicatorId);
    const stops = own(0).filter((e) => e.type === 'stopped');
    if (
      stops.length !== 1 ||
      stops[0]!.reason !== 'until' ||
      stops[0]!.at !== r ||
      !own(0, run.eventsAtValue).includes(stops[0]!)
    )
      problems.push(
        `${where}: its status stopped ${stops.map((e) => `(${e.type === 'stopped' ? e.reason : ''}) at ${rel(e.at)}`).join(', ') || 'never'}${stops.length === 1 ? ' after the value' : ''}`,
      );
    /** Requests on their way as the value came: what their calls put up is taken down after it. */
    const onItsWay = wire.requests.filter((q) => q.sentAt <= r && q.landedAt >= r);
    const after = own(run.eventsAtValue);
    const calls = after.filter(
      (e) =>
        (e.type === 'sent' || e.type === 'renewed') &&
        !(onItsWay.length > 0 && (e.call.duration === 1 || onItsWay.some((q) => q.landedAt === e.at))),
    );
    if (calls.length > 0) problems.push(`${where}: its status sent after the value ${calls.map(eventText).join(', ')}`);
    if (run.closed && run.closed.at > r) tally.endedAfterValue[run.work.afterValue]++;
    const afterEnd = run.closed && onItsWay.length === 0 ? own(run.closed.events) : [];
    if (afterEnd.length > 0)
      problems.push(`${where}: its status went on after the reply's end: ${afterEnd.map(eventText).join(', ')}`);
  }

  // Everything below reads the emulator only.
  const timeline = emulator.timeline();
  const refusals = timeline.filter((e): e is CallEntry => e.kind === 'call' && e.error !== null);
  /**
   * The refusals of calls: a refused `batch` whose commands are on the timeline is refused in them, each saying whose
   * call it was, so its own entry is not counted again.
   */
  const callRefusals = refusals.filter((e) => !refusedByItsCommands(e, timeline));
  // The scheduler's own requests: a reply message that went through says nothing of its back-off.
  const streaks = rateStreaks(timeline, (request) => request[0]!.method !== 'imbot.v2.Chat.Message.send');
  /** Each refusal, and the window after it in which a status it held up may be down (the recovery, the back-off). */
  const refused = callRefusals
    .filter((e) => e.method !== 'imbot.v2.Chat.Message.send')
    .map((e) => {
      const rateStreak = streaks.get(e) ?? 0;
      const backoff = rateStreak === 0 ? 0 : Math.min(30_000, RATE_BACKOFF_MS * 2 ** (rateStreak - 1));
      return { entry: e, window: [e.time, e.time + RECOVERY_MS + backoff] as Interval };
    });
  /** Refusals the emulator could not attribute (no bot: a request it could not read): they excuse every status. */
  const unattributed = (e: CallEntry) => e.senderId === null;
  /** The refusals that may hold up a status of `botId` in `chatId` (see `refusalWindowsOf`). */
  const refusalsOf = (botId: number, chatId: number) =>
    refused.filter(
      ({ entry: e }) =>
        e.error === 'QUERY_LIMIT_EXCEEDED' ||
        unattributed(e) ||
        (e.senderId === botId && (e.chatId === null || e.chatId === chatId)),
    );
  /**
   * The windows in which the status of `botId` in `chatId` may be down because the portal refused a call: its own
   * refusals, those the emulator could not attribute, and any rate refusal (core README: "a rate refusal backs off",
   * and the scheduler's budget is shared by every status), so a lapse is not excused by another bot's refusal.
   */
  const refusalWindowsOf = (botId: number, chatId: number): Interval[] =>
    refusalsOf(botId, chatId).map(({ window }) => window);
  const faulted = refusals.length > 0 || s.faults.length > 0;
  tally.scenarios++;
  if (faulted) tally.faulted++;
  tally.refusals += callRefusals.length;
  tally.unattributed += callRefusals.filter(unattributed).length;
  tally.statusCalls += timeline.filter((e) => e.kind === 'call' && e.shown).length;
  const ends = runs.map((r) => r.end ?? Number.POSITIVE_INFINITY);
  const allEnded = Math.max(...ends);
  /** When a call that landed at `c.time` was sent: earlier by the time its request was held on the way (`SlowWire`). */
  const sentAt = (c: CallEntry) =>
    c.time - Math.max(0, ...wire.requests.filter((q) => q.landedAt === c.time).map((q) => q.landedAt - q.sentAt));
  /** While a request was held on its way, what it carries was late: a status going again may be down so long. */
  const slowWindows: Interval[] = wire.requests.map((q) => [q.sentAt, q.landedAt]);
  const lastSlowLanding = Math.max(Number.NEGATIVE_INFINITY, ...wire.requests.map((q) => q.landedAt));

  for (const chatId of CHATS) {
    for (const bot of BOTS) {
      const mine = runs.filter((r) => r.chatId === chatId && r.botId === bot.id);
      const shown = timeline.filter(
        (e): e is CallEntry => e.kind === 'call' && e.shown && e.chatId === chatId && e.senderId === bot.id,
      );
      const messages = timeline.filter(
        (e): e is MessageEntry => e.kind === 'message' && e.chatId === chatId && e.authorId === bot.id,
      );
      const visible: Interval[] = emulator
        .visibility(`chat${chatId}`, bot.id)
        .map((i) => [i.from, i.to ?? Number.POSITIVE_INFINITY] as const);
      const where = `bot ${bot.id} in chat${chatId}`;
      const refusalWindows = refusalWindowsOf(bot.id, chatId);
      const refusalsHere = refusalsOf(bot.id, chatId);

      // (1) Never after the reply: once its message is in, nothing of the bot shows there while none of its other
      // work there runs, but a call that was on its way as the reply came (a slow request): landing after the message,
      // it is taken down by a clear sent within LATE_CLEAR_MS (core README, "When the reply came"). Such a clear may
      // follow a request that failed as well (it may have landed).
      for (const run of mine) {
        if (run.work.outcome !== 'reply') continue;
        const message = messages.find((m) => m.text === run.text);
        if (!message) {
          problems.push(`${where}: work ${run.index}: reply message missing`);
          continue;
        }
        const r = message.time;
        const others = mine.filter((o) => o !== run);
        if (others.some((o) => o.start <= r && (o.end ?? Number.POSITIVE_INFINITY) >= r)) continue;
        tally.afterReplyChecks++;
        const nextStart = Math.min(...others.filter((o) => o.start > r).map((o) => o.start));
        const onItsWay = wire.requests.filter((q) => q.sentAt <= r && q.landedAt >= r);
        /**
         * By when the clear after a late landing at `t` is sent: LATE_CLEAR_MS, or the recovery after a refusal of a
         * request sent by then, also one carrying the clear itself (refused, it goes again after the retry or rate
         * back-off, in the rate budget like any call, however long that request was on its way): each such refusal
         * pushes it on.
         */
        const clearBy = (t: number) => {
          let by = t + LATE_CLEAR_MS;
          for (let more = true; more; ) {
            more = false;
            for (const { entry, window } of refusalsHere)
              if (sentAt(entry) <= by && by < window[1]) {
                by = window[1];
                more = true;
              }
          }
          return by;
        };
        const clearedAfter = (c: CallEntry) =>
          shown.some((d) => d.durationSec === 1 && d.seq > c.seq && sentAt(d) <= clearBy(c.time));
        const late = shown.filter((c) => {
          if (c.seq <= message.seq || c.time >= nextStart) return false;
          if (c.durationSec === 1)
            return !onItsWay.some((q) => q.landedAt <= c.time && sentAt(c) <= clearBy(q.landedAt));
          if (!onItsWay.some((q) => q.landedAt === c.time)) return true;
          tally.lateLandings++;
          if (!clearedAfter(c)) return true;
          tally.lateCleared++;
          return false;
        });
        if (late.length > 0)
          problems.push(
            `${where}: work ${run.index} replied at ${rel(r)}, then status shown at ${late.map((c) => `${rel(c.time)} (${c.statusMessageCode}, ${c.durationSec} s)`).join(', ')}`,
          );
      }

      // (2) Never lapses while work goes on: from the first status landing to the end of each work, a status of
      // the bot is visible there, except a second after a reply of its other work and after a refusal. The one due
      // to send its own again may end in that second: the newest of the rest then does, still a second after the reply
      // (createIndicators.test.ts, "… when the one due to send its own again ends first").
      const replyWindows: Interval[] = messages.map((m) => [m.time, m.time + REPLY_GAP_MS]);
      for (const run of mine) {
        const end = run.end ?? Number.POSITIVE_INFINITY;
        if (end <= run.start) continue;
        const atStart = visible.some(([a, b]) => a <= run.start && b > run.start);
        const first = atStart ? run.start : shown.find((c) => c.time >= run.start)?.time;
        if (first === undefined || first >= end) {
          if (!faulted) problems.push(`${where}: work ${run.index} (${rel(run.start)}..${rel(end)}) never showed`);
          continue;
        }
        if (!faulted && first - run.start > START_TOLERANCE_MS)
          problems.push(`${where}: work ${run.index} started at ${rel(run.start)}, first shown at ${rel(first)}`);
        const gaps = uncovered(first, end, [...visible, ...replyWindows, ...refusalWindows, ...slowWindows]);
        tally.coveredMs += end - first;
        if (mine.some((o) => o !== run && o.start < end && (o.end ?? Number.POSITIVE_INFINITY) > run.start))
          tally.overlapping++;
        if (gaps.length > 0)
          problems.push(
            `${where}: work ${run.index} (${rel(run.start)}..${rel(end)}): no status during ${gaps.map(([a, b]) => `${rel(a)}..${rel(b)}`).join(', ')}`,
          );
      }

      // (3) Nothing visible at all some time after all work ended (later by the recovery after a refusal).
      // A clear refused as often as it is tried is dropped ("its retries ran out"): then what was up stays for its
      // lease, but no longer.
      const lastRecovery = Math.max(Number.NEGATIVE_INFINITY, ...refusalWindows.map(([, b]) => b));
      // Attempts are requests: a `batch` and its commands (each refused with it) are one.
      const clearLost = new Set(refusals.filter((e) => e.time >= allEnded).map((e) => e.batchId ?? e)).size >= ATTEMPTS;
      /** When the last call of the bot there sent by `t` lapses (one on its way then lands later: a slow request). */
      const lapseBy = (t: number) =>
        shown.filter((c) => sentAt(c) <= t).at(-1)?.visibleUntil ?? Number.NEGATIVE_INFINITY;
      // So too when a work there ends without its reply, with `clearOnError: false` and none of the bot's other work
      // there going on: no clear of its own, and none left to another (a later one may never show, nor clear). One that
      // ends at the same moment does not go on (works started together, a slow request, make that happen).
      const unclearedBy = mine
        .filter(
          (x) =>
            x.work.outcome !== 'reply' &&
            !x.work.clearOnError &&
            !mine.some((o) => o !== x && o.start <= x.end! && (o.end ?? Number.POSITIVE_INFINITY) > x.end!),
        )
        .map((x) => lapseBy(x.end!));
      const noClear = unclearedBy.length > 0;
      const last = [...mine].sort((a, b) => (a.end ?? 0) - (b.end ?? 0)).at(-1);
      const quietFrom = clearLost
        ? lapseBy(Number.POSITIVE_INFINITY)
        : Math.max(allEnded + QUIET_MS, lastRecovery + QUIET_MS, lastSlowLanding + QUIET_MS, ...unclearedBy);
      const lingering = visible.filter(([, b]) => b > quietFrom);
      if (lingering.length > 0)
        problems.push(
          `${where}: visible after all work ended at ${rel(allEnded)}: ${lingering.map(([a, b]) => `${rel(a)}..${rel(b)}`).join(', ')}`,
        );
      // … and the last work there, ended without its reply while its status was up, landed its clear.
      if (!faulted && last && !noClear && last.work.outcome !== 'reply' && last.end !== undefined) {
        // (a clear that already landed, showing for its second, is nothing to clear)
        const upAtEnd =
          visible.some(([a, b]) => a <= last.end! && b > last.end!) &&
          shown.filter((c) => c.time < last.end!).at(-1)?.durationSec !== 1;
        const clear = shown.find((c) => c.time >= last.end! && c.durationSec === 1);
        if (upAtEnd) tally.clearsChecked++;
        if (upAtEnd && !clear) problems.push(`${where}: work ${last.index} ended without reply, no clear landed`);
      }
    }
  }

  // (6) As few requests as the status needs: while works of a bot in a chat share its status (two or more running)
  // and the newest renews at least as often as the others, only the newest renews it, so two renewals there are a
  // renewal period apart (less a piggyback), not one per work. Judged with no fault: a refusal makes a status go again.
  if (!faulted) {
    const runOf = new Map(runs.map((r) => [r.indicatorId, r]));
    // A work starting or ending in the very millisecond of a renewal counts as running then: which of the two core
    // heard first is a tie between timers due that millisecond (seeds 53 and 60 with 40 works: a status renewed as one
    // with a longer lease started, which then did not keep it up; the newest corrected what that renewal put up as the
    // other failed a millisecond later).
    const running = (r: Run, t: number) => r.start <= t && t <= (r.end ?? Number.POSITIVE_INFINITY);
    const periodOf = (r: Run) => {
      const lease = (r.work.leaseSec ?? 30) * 1000;
      return lease - Math.min(MARGIN_MS, lease / 2);
    };
    for (const chatId of CHATS) {
      for (const bot of BOTS) {
        const mine = runs.filter((r) => r.chatId === chatId && r.botId === bot.id);
        /** The newest work's renewal period while it keeps the status up for the others at `t`, else undefined. */
        const keeperPeriod = (t: number) => {
          const now = mine.filter((r) => running(r, t)).sort((a, b) => a.indicatorId - b.indicatorId);
          const newest = now.at(-1);
          if (now.length < 2 || !newest || now.some((r) => periodOf(r) < periodOf(newest))) return undefined;
          return periodOf(newest);
        };
        const theirs = renewals.filter((e) => mine.includes(runOf.get(e.indicatorId) as Run));
        for (let i = 1; i < theirs.length; i++) {
          const [a, b] = [theirs[i - 1]!, theirs[i]!];
          const [pa, pb] = [keeperPeriod(a.at), keeperPeriod(b.at)];
          if (pa === undefined || pb === undefined) continue;
          // A reply between them hid the status: it must be sent again, whoever's turn it was.
          const replied = mine.some(
            (r) => r.work.outcome === 'reply' && r.end !== undefined && a.at < r.end && r.end <= b.at,
          );
          if (replied) continue;
          tally.sharedRenewals++;
          if (b.at - a.at < Math.min(pa, pb) - PIGGYBACK_MS)
            problems.push(
              `bot ${bot.id} in chat${chatId}: renewed at ${rel(a.at)} and ${rel(b.at)} while shared (works ${runOf.get(a.indicatorId)?.index}, ${runOf.get(b.indicatorId)?.index})`,
            );
        }
      }
    }
  }

  // (4) The scheduler keeps the portal's rate limit: no QUERY_LIMIT_EXCEEDED of the emulator's own bucket.
  const qle = emulator.stats().queryLimitExceeded;
  if (qle > 0) problems.push(`${qle} QUERY_LIMIT_EXCEEDED from the standard plan's bucket`);

  // (5) No unhandled rejection, no timer left.
  if (rejections.length > 0) problems.push(`unhandled rejections: ${rejections.map(String).join('; ')}`);
  if (timersBeforeDispose > 0) problems.push(`${timersBeforeDispose} timers left ${TAIL_MS} ms after all work ended`);
  if (timersAfterDispose > 0) problems.push(`${timersAfterDispose} timers left after dispose`);
  // `E2E_DEBUG=1`: what the emulator saw, to read a failing scenario by (replay it with `E2E_ONLY='<scenario JSON>'`).
  if (process.env.E2E_DEBUG && problems.length > 0)
    for (const e of timeline) console.log(rel(e.time), JSON.stringify({ ...e, time: undefined }));
  return problems;

  function rel(t: number | undefined): string {
    return t === undefined ? 'never' : `+${t - t0}`;
  }

  function eventText(e: IndicatorEvent): string {
    const call = 'call' in e && e.call ? ` ${e.call.statusMessageCode ?? 'typing'} ${e.call.duration} s` : '';
    return `${e.type}${call} at ${rel(e.at)}`;
  }
}

/** A work of bot 0 in chat 0 from the start, replied to, with no phases and the defaults: what `RACES` vary. */
const raceWork: Work = {
  bot: 0,
  chat: 0,
  startMs: 0,
  durationMs: 0,
  outcome: 'reply',
  status: 'typing',
  phases: [],
  leaseSec: undefined,
  clearOnError: true,
  afterValue: 'complete',
  afterValueMs: 0,
};

/**
 * Races the random scenarios reach about once in a hundred (or, the second, not at all), played every run: a call on its
 * way in a slow `batch` as the reply comes lands after the reply's message. (1) Its own: a lone status's start, in one
 * batch with another chat's. (2) One of a status that ended before, without its reply (unsubscribed), whose phase change
 * left in a batch with another chat's, the status it shared then ending with its reply. Either way the status it puts
 * back up must come down within a second (core README, "When the reply came").
 */
const RACES: readonly Scenario[] = [
  {
    works: [
      { ...raceWork, chat: 0, durationMs: 1_000, status: 'typing' },
      { ...raceWork, chat: 1, durationMs: 10_000, status: 'thinking' },
    ],
    faults: [{ atMs: 0, method: 'batch', kind: 'slow', times: 1, latencyMs: 2_000 }],
    seed: 1,
  },
  {
    works: [
      {
        ...raceWork,
        durationMs: 1_600,
        outcome: 'unsubscribe',
        status: 'thinking',
        phases: [{ atMs: 1_500, status: 'searching' }],
      },
      { ...raceWork, durationMs: 2_000, status: 'typing' },
      { ...raceWork, chat: 1, durationMs: 10_000, status: 'thinking', phases: [{ atMs: 1_500, status: 'composing' }] },
    ],
    faults: [{ atMs: 1_400, method: 'batch', kind: 'slow', times: 1, latencyMs: 2_000 }],
    seed: 1,
  },
  // The first, the reply ending after its value while the batch is still on its way (it lands at +2000): its call
  // is taken down all the same, and that end sends nothing of its own.
  ...(['unsubscribe', 'error', 'complete'] as const).map(
    (afterValue): Scenario => ({
      works: [
        { ...raceWork, chat: 0, durationMs: 1_000, status: 'typing', afterValue, afterValueMs: 500 },
        { ...raceWork, chat: 1, durationMs: 10_000, status: 'thinking' },
      ],
      faults: [{ atMs: 0, method: 'batch', kind: 'slow', times: 1, latencyMs: 2_000 }],
      seed: 1,
    }),
  ),
];

describe('bot work end to end (property): statuses over HTTP to the emulator, in virtual time', () => {
  it(
    `${RUNS} random scenarios: up while work runs, never after the reply, gone after the end, within the rate limit`,
    async () => {
      if ((await checkScenarios(scenario, runScenario, { runs: RUNS, seed: SEED, only: ONLY })) === 'only') return;
      if (process.env.E2E_RUNS) console.log(`bot work property: ${JSON.stringify(tally)}`);
      if (RUNS < TALLY_RUNS) return;
      // The scenarios did reach what the properties are about.
      expect(tally.afterReplyChecks).toBeGreaterThan(0);
      expect(tally.overlapping).toBeGreaterThan(0);
      expect(tally.sharedRenewals).toBeGreaterThan(0);
      expect(tally.clearsChecked).toBeGreaterThan(0);
      // … and replies that went on after their value, each way, which a status ended by their end would outlive.
      for (const [how, n] of Object.entries(tally.endedAfterValue))
        expect(n, `replies that ended after their value (${how})`).toBeGreaterThan(0);
    },
    Math.max(20_000, RUNS * 200),
  );

  it('the races they seldom reach: a call on its way in a batch at the reply, of the status or of one that ended before', async () => {
    for (const race of RACES) {
      const cleared = tally.lateCleared;
      expect(await runScenario(race)).toEqual([]);
      // the race did happen: its call landed after the reply's message, and was taken down
      expect(tally.lateCleared).toBe(cleared + 1);
    }
  });

  it('replays a counterexample printed before replies went on after their value as it ran: each reply completed with it', async () => {
    const printed = { ...raceWork, durationMs: 1_000 } as Partial<Work>;
    delete printed.afterValue;
    delete printed.afterValueMs;
    const old = replayed(JSON.stringify({ works: [printed], faults: [], seed: 1 }));
    expect(old.works[0]).toMatchObject({ afterValue: 'complete', afterValueMs: 0 });
    // played as it was then: the reply completes at its value (read as printed, no `afterValueMs` made the scenario's
    // end, and the virtual clock with it, NaN)
    expect(await runScenario(old)).toEqual([]);
    // and a counterexample printed since keeps its own
    const since = { ...raceWork, afterValue: 'open', afterValueMs: 500 } satisfies Work;
    expect(replayed(JSON.stringify({ works: [since], faults: [], seed: 1 })).works).toEqual([since]);
  });
});
