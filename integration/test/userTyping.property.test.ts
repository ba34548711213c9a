// The headline promise for people typing, end to end (core README, "Quick start: a chat composer" and "Semantics and
// defaults", user typing): "is typing" shows on the first keystroke, stays up while the person types, is not renewed
// once they pause, and stops when they send. Random scenarios of a few users (each with their own webhook, as each
// types in their own browser) typing in a few dialogs, over real HTTP to the emulator through the node webhook
// transport, in virtual time (one clock for the emulator's `now` and the indicators' `clock`), through
// `createIndicators` (the scheduler) or `createTypingIndicators` (calls straight to the transport). Everything is judged
// on the emulator's side only: what the others in the chat would have seen, never what our client says it did.
import { createIndicators, createTypingIndicators, type DialogId } from '@b24-typing/core';
import { type CallEntry, type Emulator, type MessageEntry, startEmulator } from '@b24-typing/emulator';
import { createWebhookTransport } from '@b24-typing/node';
import fc from 'fast-check';
import { type Observable, Subject, type Subscription } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkScenarios, TALLY_RUNS } from './checkScenarios';
import { envNumber } from './envNumber';
import { type FaultPlan, faultPlans, scheduleFaults } from './faultPlans';
import { playSeeded } from './playSeeded';
import { rateStreaks } from './rateStreaks';
import { refusedByItsCommands } from './refusedByItsCommands';
import { type Interval, uncovered } from './uncovered';
import { VirtualClock } from './VirtualClock';

/**
 * `E2E_RUNS=2000 npx vitest run test/userTyping.property.test.ts` for a long run; the default keeps CI fast. Fewer than
 * TALLY_RUNS (`E2E_RUNS=5` for a quick look) check every property but not the tallies, which so few need not reach.
 */
const RUNS = envNumber('E2E_RUNS', 150, 1);
const SEED = envNumber('E2E_SEED');
/** Typing sessions per scenario: `E2E_MAX_SESSIONS=30` for a run where dialogs and users overlap more. */
const MAX_SESSIONS = envNumber('E2E_MAX_SESSIONS', 8, 1);
/**
 * One scenario (a counterexample) run alone: `E2E_ONLY='{"sessions":[…],…}'`, as the line a failing sweep ends with
 * (`replayLine`) sets it.
 */
const ONLY = process.env.E2E_ONLY === undefined ? undefined : (JSON.parse(process.env.E2E_ONLY) as Scenario);

const USERS = [1, 2, 3] as const;
const CHATS = [101, 102] as const;
/** Each user's dialogs: the two group chats and a private dialog (the other party's id, as the sender passes it). */
const DIALOGS: Record<number, readonly DialogId[]> = {
  1: ['chat101', 'chat102', '2'],
  2: ['chat101', 'chat102', '3'],
  3: ['chat101', 'chat102', '1'],
};

/** README "Semantics and defaults", user typing: the client shows it 25 s, renewed every 25 − 3 s, idle after 6 s. */
const LIFETIME_MS = 25_000;
const PERIOD_MS = 22_000;
const IDLE_MS = 6_000;
/** "the first keystroke after idle → call at once (no debounce)": with no fault, at that very virtual moment. */
const START_TOLERANCE_MS = 0;
/**
 * After the portal refused a call (or the connection dropped): the scheduler retries up to 4 times, 250 ms doubling
 * with jitter (at most 375 + 750 + 1,500 + 3,000 ms), `createTypingIndicators` 500 ms and 1 s later; a call given up
 * makes the next keystroke (within `idleMs`, while the person types) start afresh.
 */
const RETRIES_MS = 5_700;
const RECOVERY_MS = RETRIES_MS + IDLE_MS;
/**
 * "a rate refusal backs off": the scheduler waits `1000 / perSecond` ms, doubled with each refusal in a row (up to
 * 30 s), before its next request.
 */
const RATE_BACKOFF_MS = 500;
/**
 * How long after the last keystroke a call of `createIndicators` may reach the portal, refusals or not: a start goes
 * until `idleMs` after its keystroke (its deadline, core README: "a user-typing start waits for it at most `idleMs`"),
 * a renewal, due only within `idleMs` of a keystroke, until the indicator it renews lapses (`lifetimeMs − marginMs`
 * after being due). The scheduler retries within those deadlines and drops what missed them.
 */
const SCHEDULER_LATEST_CALL_MS = IDLE_MS + LIFETIME_MS - PERIOD_MS;
/** Waited after the last event before the books are closed: beyond a renewal period and a lifetime. */
const TAIL_MS = 60_000;

type Flavour = 'scheduler' | 'direct';
type End = 'send' | 'hide' | 'none';
interface Session {
  user: number;
  dialog: number;
  startMs: number;
  /** The wait before each keystroke (the first one's counts from `startMs`). */
  keyDelays: number[];
  /** After the last keystroke: the message goes out (`sent`, then `im.message.add`), the page is hidden, or nothing. */
  end: End;
  endDelayMs: number;
}
interface Scenario {
  /** Per user: `createIndicators` or `createTypingIndicators`. */
  flavours: Flavour[];
  sessions: Session[];
  faults: FaultPlan<'batch' | 'im.dialog.writing'>[];
  seed: number;
}

const keyDelay = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 30, max: 400 }) },
  { weight: 4, arbitrary: fc.integer({ min: 400, max: 5_000 }) },
  // around the idle time, either side
  { weight: 1, arbitrary: fc.integer({ min: 5_000, max: 9_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 9_000, max: 40_000 }) },
);
const session: fc.Arbitrary<Session> = fc.record({
  // User 0 in dialog 0 most often, so that sessions of one person in one dialog follow each other closely.
  user: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 2 }) }),
  dialog: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 2 }) }),
  startMs: fc.integer({ min: 0, max: 90_000 }),
  keyDelays: fc.array(keyDelay, { minLength: 0, maxLength: 150, size: 'large' }),
  end: fc.oneof(
    { weight: 3, arbitrary: fc.constant<End>('send') },
    { weight: 1, arbitrary: fc.constant<End>('hide') },
    { weight: 2, arbitrary: fc.constant<End>('none') },
  ),
  endDelayMs: fc.oneof(
    { weight: 1, arbitrary: fc.constant(0) },
    { weight: 3, arbitrary: fc.integer({ min: 1, max: 3_000 }) },
  ),
});
const scenario: fc.Arbitrary<Scenario> = fc.record({
  flavours: fc.array(fc.constantFrom<Flavour>('scheduler', 'direct'), { minLength: 3, maxLength: 3 }),
  sessions: fc.array(session, { minLength: 1, maxLength: MAX_SESSIONS }),
  faults: faultPlans(
    fc.oneof(
      { weight: 3, arbitrary: fc.constant('im.dialog.writing' as const) },
      { weight: 1, arbitrary: fc.constant('batch' as const) },
    ),
    120_000,
  ),
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
});

const clock = new VirtualClock(Date.parse('2026-01-01T00:00:00Z'));
let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator({
    plan: 'standard',
    now: () => clock.now(),
    initial: { chats: CHATS.map((id) => ({ id, title: `typing ${id}`, members: [...USERS] })) },
  });
});

afterAll(async () => {
  await emulator?.close();
});

/** What the scenarios exercised, so a run that checked nothing (every session too short, say) cannot pass unnoticed. */
const tally = {
  scenarios: 0,
  faulted: 0,
  refusals: 0,
  /**
   * Refusals the emulator could not attribute (no user or no dialog; a refused `batch` whose commands are on the
   * timeline is attributed by them): they excuse every indicator.
   */
  unattributed: 0,
  writingCalls: 0,
  directUsers: 0,
  schedulerUsers: 0,
  freshStarts: 0,
  stretches: 0,
  coveredMs: 0,
  /** Stretches of typing with a gap that only a refusal window covered. */
  excusedStretches: 0,
  /** Typing time (in `coveredMs`) inside a refusal window of its indicator: a lapse there would be excused. */
  excusableMs: 0,
  /** Calls more than `idleMs` after the last keystroke that a spell of refusals excused (a retry). */
  excusedCalls: 0,
  /** Calls of `createIndicators` in a spell of refusals, held to `SCHEDULER_LATEST_CALL_MS` all the same. */
  strictCalls: 0,
  renewalsSeen: 0,
  afterSendChecks: 0,
  afterHideChecks: 0,
  idleLapses: 0,
  callPairs: 0,
};

/** What one person did in one dialog, on our side, in time order. */
type Act = { kind: 'key' | 'send' | 'hide'; at: number; text?: string };

/** Runs one scenario against a reset emulator and returns every broken promise, described (empty: all held). */
async function runScenario(s: Scenario): Promise<string[]> {
  emulator.reset();
  return playSeeded(s.seed, (rejections) => play(s, rejections));
}

async function play(s: Scenario, rejections: unknown[]): Promise<string[]> {
  const problems: string[] = [];
  const t0 = clock.now();
  const sendErrors: unknown[] = [];

  /** One browser per user: their own webhook, their own indicators. */
  const people = USERS.map((userId, i) => {
    const webhook = createWebhookTransport(emulator.webhookUrl(userId));
    const transport = clock.tracked(webhook);
    const flavour = s.flavours[i] ?? 'direct';
    const indicators =
      flavour === 'scheduler'
        ? createIndicators({ transport, limits: 'standard', clock })
        : createTypingIndicators({ transport, clock });
    return { userId, transport, flavour, indicators };
  });
  for (const p of people) tally[p.flavour === 'direct' ? 'directUsers' : 'schedulerUsers']++;

  /** Per user and dialog: the composer's inputs, its subscription while the page shows, and what the person did. */
  const composers = new Map<
    string,
    { keys: Subject<void>; sent: Subject<void>; sub: Subscription | undefined; acts: Act[] }
  >();
  const composer = (user: number, dialogId: string) => {
    const key = `${user}|${dialogId}`;
    let c = composers.get(key);
    if (!c) {
      c = { keys: new Subject<void>(), sent: new Subject<void>(), sub: undefined, acts: [] };
      composers.set(key, c);
    }
    return c;
  };

  scheduleFaults(clock, emulator, s.faults);

  let lastEventMs = 0;
  s.sessions.forEach((ses, index) => {
    const person = people[ses.user]!;
    const dialogId = DIALOGS[person.userId]![ses.dialog]!;
    const c = composer(person.userId, dialogId);
    let at = ses.startMs;
    for (const d of ses.keyDelays) {
      at += d;
      clock.schedule(() => {
        c.acts.push({ kind: 'key', at: clock.now() });
        // The page shows (again): the composer is bound, as `bindTyping` does it.
        c.sub ??= (
          person.indicators.userTyping({ dialogId, keystrokes: c.keys, sent: c.sent }) as Observable<unknown>
        ).subscribe();
        c.keys.next();
      }, at);
    }
    at += ses.endDelayMs;
    lastEventMs = Math.max(lastEventMs, at);
    if (ses.end === 'send') {
      const text = `message ${index}`;
      clock.schedule(() => {
        c.acts.push({ kind: 'send', at: clock.now(), text });
        c.sent.next();
        person.transport
          .call('im.message.add', { DIALOG_ID: dialogId, MESSAGE: text })
          .catch((e: unknown) => sendErrors.push(e));
      }, at);
    } else if (ses.end === 'hide') {
      clock.schedule(() => {
        c.acts.push({ kind: 'hide', at: clock.now() });
        c.sub?.unsubscribe();
        c.sub = undefined;
      }, at);
    }
  });

  const lastFault = Math.max(0, ...s.faults.map((f) => f.atMs));
  await clock.advanceBy(Math.max(lastEventMs, lastFault) + TAIL_MS);
  const timersBeforeDispose = clock.actions.length;
  for (const c of composers.values()) c.sub?.unsubscribe();
  for (const p of people) p.indicators.dispose();
  const timersAfterDispose = clock.actions.length;
  if (sendErrors.length > 0) problems.push(`messages failed: ${sendErrors.map(String).join('; ')}`);

  // Everything below reads the emulator only.
  const timeline = emulator.timeline();
  const refusals = timeline.filter((e): e is CallEntry => e.kind === 'call' && e.error !== null);
  /**
   * The refusals of calls: a refused `batch` whose commands are on the timeline is refused in them, each saying whose
   * call it was, so its own entry is not counted again.
   */
  const callRefusals = refusals.filter((e) => !refusedByItsCommands(e, timeline));
  /**
   * Whether a call entry is one of this user's in this dialog, as far as the emulator could tell: a field it could
   * not read (a request it could not read: null) matches everyone.
   */
  const byUser = (e: CallEntry, userId: number) => e.senderId === null || e.senderId === userId;
  const concerns = (e: CallEntry, userId: number, dialogId: string) =>
    byUser(e, userId) && (e.dialogId === null || e.dialogId === dialogId);
  /**
   * The windows in which one indicator may be down because the portal refused its calls (the retries, then the next
   * keystroke; longer after rate refusals in a row): only its own refusals and those the emulator could not
   * attribute count, so a lapse of one person's indicator is not excused by a refusal of another's. Except that a
   * rate refusal holds every call of a `createIndicators` (core README: "a rate refusal backs off", the scheduler's
   * bucket is shared by its indicators), so under the scheduler one of the user's rate refusals counts in each of
   * their dialogs.
   */
  const refusalWindowsOf = (userId: number, dialogId: string): Interval[] => {
    const sharesBackoff = people.find((p) => p.userId === userId)?.flavour === 'scheduler';
    const windows: Interval[] = [];
    // The scheduler backs off per portal client, i.e. per user here: their refused requests in a row, whatever the
    // dialog. A `batch` is theirs by its commands (its own entry names nobody); a message says nothing of it.
    const streaks = rateStreaks(timeline, (request) => {
      const calls = request.length > 1 ? request.filter((e) => e.method !== 'batch') : request;
      return calls.some((e) => e.method !== 'im.message.add' && byUser(e, userId));
    });
    /** Batches with a window already: one request is one loss, however many of its commands concern the indicator. */
    const counted = new Set<number>();
    for (const e of callRefusals) {
      if (e.method === 'im.message.add' || !byUser(e, userId)) continue;
      const rateStreak = streaks.get(e) ?? 0;
      if (!concerns(e, userId, dialogId) && !(sharesBackoff && e.error === 'QUERY_LIMIT_EXCEEDED')) continue;
      if (e.batchId !== null && counted.has(e.batchId)) continue;
      if (e.batchId !== null) counted.add(e.batchId);
      const backoff = rateStreak === 0 ? 0 : Math.min(30_000, RATE_BACKOFF_MS * 2 ** (rateStreak - 1));
      // "at most once per renewal period": a call lost again soon after one was lost waits for the renewal timer,
      // armed at the restart (the keystroke after the earlier loss). That keystroke started this call, so it is no
      // later than this refusal, though it may come long after the earlier loss (the person paused, and typed again
      // before the timer of the earlier start ran out).
      const earlier = windows.find(([a]) => a >= e.time - PERIOD_MS - RECOVERY_MS)?.[0];
      const renewal = earlier === undefined ? 0 : e.time + PERIOD_MS + RETRIES_MS;
      windows.push([e.time, Math.max(e.time + RECOVERY_MS + backoff, renewal)]);
    }
    return windows;
  };
  // A dropped connection leaves no entry when the request never reached a handler: count the plan too.
  const faulted = refusals.length > 0 || s.faults.length > 0;
  tally.scenarios++;
  if (faulted) tally.faulted++;
  tally.refusals += callRefusals.length;
  tally.unattributed += callRefusals.filter((e) => e.senderId === null || e.dialogId === null).length;

  for (const [key, c] of composers) {
    const [userText, dialogId] = key.split('|') as [string, string];
    const userId = Number(userText);
    const where = `user ${userId} in ${dialogId}`;
    const strict = people.find((p) => p.userId === userId)?.flavour === 'scheduler';
    const refusalWindows = refusalWindowsOf(userId, dialogId);
    /** Refusal windows that overlap, merged: a call retried through several refusals in a row is judged from the first. */
    const refusalSpells: [number, number][] = [];
    for (const [a, b] of [...refusalWindows].sort((x, y) => x[0] - y[0])) {
      const last = refusalSpells.at(-1);
      if (last && a <= last[1]) last[1] = Math.max(last[1], b);
      else refusalSpells.push([a, b]);
    }
    const spellAt = (t: number) => refusalSpells.find(([a, b]) => a <= t && t <= b);
    const acts = c.acts;
    const keys = acts.filter((a) => a.kind === 'key').map((a) => a.at);
    const calls = timeline.filter(
      (e): e is CallEntry =>
        e.kind === 'call' && e.method === 'im.dialog.writing' && e.senderId === userId && e.dialogId === dialogId,
    );
    const shown = calls.filter((e) => e.shown);
    tally.writingCalls += calls.length;
    const messages = timeline.filter(
      (e): e is MessageEntry => e.kind === 'message' && e.authorId === userId && e.dialogId === dialogId,
    );
    const visible: Interval[] = emulator
      .visibility(dialogId, userId)
      .map((i) => [i.from, i.to ?? Number.POSITIVE_INFINITY] as const);
    const visibleAt = (t: number) => visible.some(([a, b]) => a <= t && t < b);

    // Stretches of typing: keystrokes less than `idleMs` apart with no send or hide between them.
    const stretches: { first: number; last: number; fresh: boolean }[] = [];
    let previous: Act | undefined;
    for (const act of acts) {
      if (act.kind === 'key') {
        const cur = stretches.at(-1);
        if (previous?.kind === 'key' && cur && act.at - previous.at < IDLE_MS) cur.last = act.at;
        else stretches.push({ first: act.at, last: act.at, fresh: previous === undefined || previous.kind !== 'key' });
      }
      previous = act;
    }

    for (const st of stretches) {
      tally.stretches++;
      // (1) The first keystroke shows it at once: a call lands at that very moment after a send, a hide or on the
      // first keystroke ever; after a pause, either the last call still shows or a new one lands then.
      // (Sent or hidden in that same instant: the message hides it at once, and the start may be dropped unsent.)
      const endsAtOnce = acts.some((x) => x.kind !== 'key' && x.at === st.first);
      if (!faulted && !endsAtOnce) {
        const startCall = shown.find((e) => e.time >= st.first);
        if (st.fresh) {
          tally.freshStarts++;
          if (!startCall || startCall.time - st.first > START_TOLERANCE_MS)
            problems.push(`${where}: typing from ${rel(st.first)}, first call landed at ${rel(startCall?.time)}`);
        } else if (!visibleAt(st.first)) {
          problems.push(`${where}: typing again at ${rel(st.first)} after a pause, not shown then`);
        }
      }
      // (2) It stays up while the person types, except after a refusal (the retries, then the next keystroke).
      const gaps = uncovered(st.first, st.last, [...visible, ...(faulted ? refusalWindows : [])]);
      tally.coveredMs += st.last - st.first;
      if (gaps.length === 0 && uncovered(st.first, st.last, visible).length > 0) tally.excusedStretches++;
      if (faulted) {
        const outside = uncovered(st.first, st.last, refusalWindows).reduce((sum, [a, b]) => sum + b - a, 0);
        tally.excusableMs += st.last - st.first - outside;
      }
      if (gaps.length > 0)
        problems.push(
          `${where}: typing ${rel(st.first)}..${rel(st.last)}, not shown during ${gaps.map(([a, b]) => `${rel(a)}..${rel(b)}`).join(', ')}`,
        );
    }

    // (3) After a send, no call lands after the message until the next keystroke (which starts one: (1)); and none
    // after a hide (the page stopped its indicator; it lapses by itself).
    acts.forEach((act, i) => {
      if (act.kind === 'key') return;
      // (a keystroke in the same instant, after the send, starts afresh: acts are in the order they happened)
      const next = acts.slice(i + 1).find((x) => x.kind === 'key')?.at ?? Number.POSITIVE_INFINITY;
      let after: CallEntry[];
      if (act.kind === 'send') {
        const message = messages.find((m) => m.text === act.text);
        if (!message) {
          problems.push(`${where}: message sent at ${rel(act.at)} missing`);
          return;
        }
        tally.afterSendChecks++;
        after = calls.filter((e) => e.seq > message.seq && e.time < next);
        if (visibleAt(message.time) && !visible.some(([a]) => a === message.time))
          problems.push(`${where}: still shown after the message at ${rel(message.time)}`);
      } else {
        tally.afterHideChecks++;
        after = calls.filter((e) => e.time > act.at && e.time < next);
      }
      if (after.length > 0)
        problems.push(
          `${where}: ${act.kind} at ${rel(act.at)}, then calls at ${after.map((e) => rel(e.time)).join(', ')}`,
        );
    });

    // (4) No renewal after the person paused: every call lands within `idleMs` of a keystroke (later by the retries
    // after a refusal), so the indicator lapses by itself at the client lifetime after the last call. Under the
    // scheduler, whose retries keep to each call's deadline, a refusal excuses no more than `SCHEDULER_LATEST_CALL_MS`.
    for (const e of calls) {
      const lastKey = [...keys].reverse().find((k) => k <= e.time);
      // A call retried (a rate refusal backs off, doubling) was due when the spell of refusals began.
      const due = spellAt(e.time)?.[0] ?? e.time;
      if (lastKey === undefined || due - lastKey > IDLE_MS)
        problems.push(`${where}: call at ${rel(e.time)}, last keystroke at ${rel(lastKey)}`);
      else if (strict && e.time - lastKey > SCHEDULER_LATEST_CALL_MS)
        problems.push(`${where}: call at ${rel(e.time)} after refusals, last keystroke at ${rel(lastKey)}`);
      else if (e.time > lastKey) tally.renewalsSeen++;
      if (lastKey !== undefined && due - lastKey <= IDLE_MS && e.time - lastKey > IDLE_MS) tally.excusedCalls++;
      if (strict && due < e.time) tally.strictCalls++;
    }
    for (const [a, b] of visible) {
      const lastKey = [...keys].reverse().find((k) => k <= b);
      const latest = (strict ? SCHEDULER_LATEST_CALL_MS : IDLE_MS) + LIFETIME_MS;
      if (b === Number.POSITIVE_INFINITY || lastKey === undefined || b - lastKey > latest) {
        if (!faulted || strict || b === Number.POSITIVE_INFINITY)
          problems.push(`${where}: shown ${rel(a)}..${rel(b)}, last keystroke at ${rel(lastKey)}`);
      } else if (b - lastKey > IDLE_MS) tally.idleLapses++;
    }

    // (5) As few calls as the policy needs: one per renewal period, or a fresh start after a send or a hide. Judged
    // with no fault: a refusal makes a call go again.
    if (!faulted) {
      for (let i = 1; i < shown.length; i++) {
        const [a, b] = [shown[i - 1]!.time, shown[i]!.time];
        tally.callPairs++;
        if (b - a >= PERIOD_MS) continue;
        if (acts.some((x) => x.kind !== 'key' && a <= x.at && x.at <= b)) continue;
        problems.push(`${where}: calls at ${rel(a)} and ${rel(b)}, ${b - a} ms apart with no send or hide between`);
      }
    }
  }

  // The users' calls keep the portal's rate limit.
  const qle = emulator.stats().queryLimitExceeded;
  if (qle > 0) problems.push(`${qle} QUERY_LIMIT_EXCEEDED from the standard plan's bucket`);

  // (6) No unhandled rejection, no timer left.
  if (rejections.length > 0) problems.push(`unhandled rejections: ${rejections.map(String).join('; ')}`);
  if (timersBeforeDispose > 0) problems.push(`${timersBeforeDispose} timers left ${TAIL_MS} ms after the last event`);
  if (timersAfterDispose > 0) problems.push(`${timersAfterDispose} timers left after dispose`);
  // `E2E_DEBUG=1`: what the emulator saw, to read a failing scenario by (replay it with `E2E_ONLY='<scenario JSON>'`).
  if (process.env.E2E_DEBUG && problems.length > 0) {
    for (const [key, c] of composers) console.log(key, c.acts.map((a) => `${a.kind}${rel(a.at)}`).join(' '));
    for (const e of timeline) console.log(rel(e.time), JSON.stringify({ ...e, time: undefined }));
  }
  return problems;

  function rel(t: number | undefined): string {
    return t === undefined ? 'never' : `+${t - t0}`;
  }
}

describe('user typing end to end (property): im.dialog.writing over HTTP to the emulator, in virtual time', () => {
  it(
    `${RUNS} random scenarios: shown at the first keystroke, up while typing, gone after a send, no renewal after a pause`,
    async () => {
      if ((await checkScenarios(scenario, runScenario, { runs: RUNS, seed: SEED, only: ONLY })) === 'only') return;
      if (process.env.E2E_RUNS) console.log(`user typing property: ${JSON.stringify(tally)}`);
      if (RUNS < TALLY_RUNS) return;
      // The scenarios did reach what the properties are about.
      expect(tally.freshStarts).toBeGreaterThan(0);
      expect(tally.renewalsSeen).toBeGreaterThan(0);
      expect(tally.afterSendChecks).toBeGreaterThan(0);
      expect(tally.afterHideChecks).toBeGreaterThan(0);
      expect(tally.idleLapses).toBeGreaterThan(0);
      expect(tally.callPairs).toBeGreaterThan(0);
      expect(tally.faulted).toBeGreaterThan(0);
      expect(tally.directUsers).toBeGreaterThan(0);
      expect(tally.schedulerUsers).toBeGreaterThan(0);
    },
    Math.max(20_000, RUNS * 300),
  );
});
