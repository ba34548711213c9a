import { getEventListeners } from 'node:events';
import { classifyError, isB24Error } from '@b24-typing/core';
import { fakeBx24, type Reply, watchUnhandled } from '@b24-typing/test-utils';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { expectNoSecretShown } from '../test/expectSecretsCut';
import type { Bx24AjaxResult } from './createBx24Transport';
import { createBx24Transport } from './createBx24Transport';

/** What the scripted portal answers one request with, after `delay` ms of virtual time. */
type Answer =
  | { readonly kind: 'ok' | 'network' | 'hang'; readonly delay: number }
  | { readonly kind: 'error'; readonly code: string; readonly status: number; readonly delay: number }
  /** An empty `error` (`{ error: null, result }`), with or without a result. */
  | {
      readonly kind: 'empty';
      readonly error: null | '' | 0 | false;
      readonly status: number;
      readonly result: boolean;
      readonly delay: number;
    }
  /** No envelope: an empty body, or a proxy's JSON without `error` and `result`. */
  | { readonly kind: 'bare'; readonly status: number; readonly body: boolean; readonly delay: number }
  | { readonly kind: 'html'; readonly status: number; readonly delay: number }
  /** A batch reply: each command's result, error, or neither (left out); to a call, a plain success. */
  | { readonly kind: 'batch'; readonly items: readonly ('ok' | 'error' | 'missing')[]; readonly delay: number };

/**
 * How the BX24 object hands a call its answer: BX24.js's (the fake's) own way, never (it keeps the callback), twice
 * (a late success after it), a throw (BX24 not initialised), or a BX24-like's status-only error without `ex`, `delay` 0 being synchronous.
 */
type Delivery =
  | { readonly kind: 'library' | 'never' | 'throws' }
  | { readonly kind: 'twice'; readonly delay: number }
  | { readonly kind: 'like'; readonly status: number; readonly delay: number }
  /** A BX24-like's success: `data()` true, a falsy `error()`. */
  | { readonly kind: 'likeOk'; readonly error: undefined | null | false | 0 | ''; readonly delay: number };

interface CallPlan {
  readonly at: number;
  readonly batch: number; // 0: a call; else a batch of this many commands
  readonly method: number;
  readonly delivery: Delivery;
  /** Which controller's signal (shared by the calls that pick the same), or none. */
  readonly signal: number | undefined;
}

interface Scenario {
  readonly client: 'BX24' | 'BX.rest';
  /** A BX24-like may have no `getAuth`, or one that throws (not initialised): then no token is known to cut. */
  readonly getAuth: 'yes' | 'missing' | 'throws';
  readonly timeoutMs: number;
  readonly answers: readonly Answer[];
  readonly calls: readonly CallPlan[];
  /** When each controller aborts: `before` any call, at a time, or never. */
  readonly aborts: readonly ('before' | number | undefined)[];
  /** When the page's own postMessage traffic reaches the window. */
  readonly chatter: readonly number[];
  /** What tokens and secrets are made of (`/`, `+` and `=` too, which a URL encoder escapes). */
  readonly suffix: string;
}

const delay = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2_000 }));

const answer: fc.Arbitrary<Answer> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom('ok' as const, 'network' as const), delay }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('hang' as const), delay }) },
  // BX24.js refreshes the token through the parent frame (a `message` event) and sends again.
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('error' as const),
      code: fc.constant('expired_token'),
      status: fc.constant(401),
      delay,
    }),
  },
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.constantFrom(
          ['invalid_token', 401],
          ['ACCESS_DENIED', 403],
          ['ERROR_ARGUMENT', 400],
          ['QUERY_LIMIT_EXCEEDED', 503],
          ['QUERY_LIMIT_EXCEEDED', 429],
          ['INTERNAL_SERVER_ERROR', 500],
          ['NO_AUTH_FOUND', 401],
          ['OPERATION_TIME_LIMIT', 429],
          ['SOME_NEW_CODE', 404],
          ['SOME_NEW_CODE', 200],
        ),
        delay,
      )
      .map(([[code, status], delay]) => ({
        kind: 'error' as const,
        code: code as string,
        status: status as number,
        delay,
      })),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('empty' as const),
      error: fc.constantFrom(null, '' as const, 0 as const, false as const),
      status: fc.constantFrom(200, 403, 404),
      result: fc.boolean(),
      delay,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('bare' as const),
      status: fc.constantFrom(200, 304, 400, 401, 403, 404, 408, 429),
      body: fc.boolean(),
      delay,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('html' as const), status: fc.constantFrom(200, 403, 502), delay }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('batch' as const),
      items: fc.array(fc.constantFrom('ok' as const, 'error' as const, 'missing' as const), {
        minLength: 1,
        maxLength: 3,
      }),
      delay,
    }),
  },
);

const delivery: fc.Arbitrary<Delivery> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'library' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'never' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'throws' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('likeOk' as const),
      error: fc.constantFrom(undefined, null, false as const, 0 as const, '' as const),
      delay,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('twice' as const), delay }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('like' as const), status: fc.constantFrom(0, 200, 403, 504), delay }),
  },
);

const scenario: fc.Arbitrary<Scenario> = fc.record({
  client: fc.constantFrom('BX24' as const, 'BX.rest' as const),
  getAuth: fc.oneof(
    { weight: 4, arbitrary: fc.constant('yes' as const) },
    { weight: 1, arbitrary: fc.constantFrom('missing' as const, 'throws' as const) },
  ),
  timeoutMs: fc.integer({ min: 500, max: 5_000 }),
  answers: fc.array(answer, { minLength: 1, maxLength: 8 }),
  calls: fc.array(
    fc.record({
      at: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 4_000 })),
      batch: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 })),
      method: fc.nat(3),
      delivery,
      signal: fc.option(fc.nat(2), { nil: undefined }),
    }),
    { minLength: 1, maxLength: 10 },
  ),
  aborts: fc.array(
    fc.oneof(
      { weight: 2, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.constant('before' as const) },
      { weight: 3, arbitrary: fc.integer({ min: 0, max: 8_000 }) },
    ),
    { minLength: 3, maxLength: 3 },
  ),
  chatter: fc.array(fc.integer({ min: 0, max: 8_000 }), { maxLength: 5 }),
  suffix: fc.stringMatching(/^[A-Za-z0-9\-._~+/]{4,10}=*$/),
});

/** What a call or one batch command comes to, as the README and the doc comments tell; `any`: only the general checks. */
type Expected =
  | { readonly value: unknown }
  | { readonly error: { readonly code: string; readonly kind: string; readonly status?: number } }
  | 'never'
  | 'resent'
  | 'any';

const unexpected = (status: number) => ({
  error: { code: 'ERROR_UNEXPECTED_ANSWER', kind: classifyError('', status), status },
});
const readNothing = { error: { code: 'ERROR_UNEXPECTED_ANSWER', kind: 'server', status: undefined } };

/** The outcome of a call (not a batch) whose last request got `a`. */
function expectCall(a: Answer, client: Scenario['client']): Expected {
  const rest = client === 'BX.rest';
  switch (a.kind) {
    case 'ok':
    case 'batch':
      return { value: true };
    case 'hang':
      return 'never';
    case 'network':
      return rest ? { error: { code: 'NETWORK_ERROR', kind: 'network', status: undefined } } : 'never';
    case 'html':
      return rest ? readNothing : 'never';
    case 'error':
      if (a.status >= 500) return rest ? readNothing : 'never';
      if (a.code === 'expired_token' && !rest) return 'resent';
      return { error: { code: a.code, kind: classifyError(a.code, a.status), status: a.status } };
    case 'empty':
      // An empty `error` is no error: what is left is read as if it were not there.
      if (a.status >= 300) return unexpected(a.status);
      return a.result
        ? { value: { ok: 1 } }
        : { error: { code: 'ERROR_UNEXPECTED_ANSWER', kind: 'server', status: 200 } };
    case 'bare':
      if (!a.body && rest) {
        return a.status === 200
          ? { error: { code: 'BLANK_ANSWER', kind: 'server', status: 200 } }
          : { error: { code: 'BLANK_ANSWER_WITH_ERROR_CODE', kind: classifyError('', a.status), status: a.status } };
      }
      if (a.status >= 300) return unexpected(a.status);
      return a.body ? { error: { code: 'ERROR_UNEXPECTED_ANSWER', kind: 'server', status: a.status } } : { value: {} };
  }
}

/** The outcome of a batch of `n` commands whose last request got `a`: one `Expected` per command, or for the whole. */
function expectBatch(a: Answer, n: number, client: Scenario['client']): Expected | Expected[] {
  const rest = client === 'BX.rest';
  if (a.kind === 'ok') return Array.from({ length: n }, () => ({ value: true }));
  if (a.kind === 'batch') {
    return Array.from({ length: n }, (_, i) => {
      const item = a.items[i % a.items.length];
      if (item === 'ok') return { value: true };
      if (item === 'error') return { error: { code: 'ERROR_ARGUMENT', kind: 'input', status: undefined } };
      return { error: { code: 'BATCH_COMMAND_SKIPPED', kind: 'server', status: undefined } };
    });
  }
  if (a.kind === 'hang') return 'never';
  if (a.kind === 'error' && a.code === 'expired_token' && !rest) return 'resent';
  // BX24.js never calls back for a batch that failed as a whole; BX.rest hands each command the batch's error (or
  // for a reply that is no envelope, whatever it made of it).
  if (!rest) return 'never';
  if (a.kind === 'network') {
    return Array.from({ length: n }, () => ({ error: { code: 'NETWORK_ERROR', kind: 'network', status: undefined } }));
  }
  if (a.kind === 'error') {
    const code = a.status >= 500 ? 'ERROR_UNEXPECTED_ANSWER' : a.code;
    return Array.from({ length: n }, () => ({ error: { code, kind: classifyError(code), status: undefined } }));
  }
  return 'any';
}

const credentials = (suffix: string) => ({
  botToken: `bot"${suffix}`,
  clientId: `app.${suffix}`,
  secret: `sec&${suffix}`,
});

/** The four kinds of call the scenarios make, each with its credentials; the call's id is in `DIALOG_ID`. */
const calls = (id: number, suffix: string) => {
  const { botToken, clientId, secret } = credentials(suffix);
  return [
    { method: 'im.dialog.writing', params: { DIALOG_ID: `chat${id}` } },
    {
      method: 'imbot.v2.Chat.InputAction.notify',
      params: { botId: 7, botToken, dialogId: `chat${id}`, DIALOG_ID: `chat${id}` },
    },
    { method: 'imbot.chat.sendTyping', params: { DIALOG_ID: `chat${id}`, CLIENT_ID: clientId } },
    { method: 'app.custom.notify', params: { DIALOG_ID: `chat${id}`, options: { webhookSecret: secret } } },
  ];
};

interface Outcome {
  readonly plan: CallPlan;
  readonly start: number;
  readonly signal: AbortSignal | undefined;
  abortedAt?: number;
  abortSeq?: number;
  /** The signal was aborted when the call was made. */
  before?: boolean;
  /** The first callback: when, and what the portal's last reply to this call was (undefined for `like`). */
  answered?: { at: number; seq: number; answer: Answer | undefined };
  settledAt?: number;
  settleSeq?: number;
  value?: unknown;
  error?: unknown;
}

/** Runs a scenario in virtual time and checks every invariant; throws on the first broken one. */
async function run(s: Scenario): Promise<void> {
  const frame = new EventTarget();
  vi.stubGlobal('addEventListener', frame.addEventListener.bind(frame));
  vi.stubGlobal('removeEventListener', frame.removeEventListener.bind(frame));
  let seq = 0;
  let requests = 0;
  const tokenOf = (n: number) => `tok${n}x${s.suffix}`;
  const issued = [tokenOf(0)];
  const last = new Map<number, Answer>(); // the last answer the portal gave each call
  const outcomes: Outcome[] = [];
  let broken: unknown;
  // The transport's own timers (set right from its module), to tell them from the fake's and the test's.
  const timers = new Set<unknown>();
  const { setTimeout: fakeSet, clearTimeout: fakeClear } = globalThis;
  vi.stubGlobal('setTimeout', (run: () => void, ms: number) => {
    const id = fakeSet(() => {
      timers.delete(id);
      run();
    }, ms);
    if (/createBx24Transport\.ts/.test(new Error().stack?.split('\n')[2] ?? '')) timers.add(id);
    return id;
  });
  vi.stubGlobal('clearTimeout', (id: unknown) => {
    timers.delete(id);
    fakeClear(id as never);
  });

  const bx = fakeBx24(
    (method, params, body) => {
      const id = Number(/DIALOG_ID(?:=|%3D)chat(\d+)/.exec(body)?.[1]);
      // A cap on requests, so that a run of expired_token cannot refresh for ever.
      const a: Answer =
        requests < 30 ? (s.answers[requests++ % s.answers.length] as Answer) : { kind: 'hang', delay: 0 };
      last.set(id, a);
      // The portal quotes back what it got, decoded and as it went, and the token BX24 holds when it answers.
      const quote = () => {
        const held = (bx.getAuth() as { access_token: string }).access_token;
        return `Wrong ${decodeURIComponent(body)} (${body}) ${held} ${encodeURIComponent(held)}`;
      };
      const reply = (): Reply | undefined => {
        switch (a.kind) {
          case 'ok':
            return {
              status: 200,
              body: { result: method === 'batch' ? { result: [true, true, true], result_error: [] } : true, time: {} },
            };
          case 'network':
            return 'network';
          case 'error':
            return { status: a.status, body: { error: a.code, error_description: quote() } };
          case 'empty':
            return { status: a.status, body: a.result ? { error: a.error, result: { ok: 1 } } : { error: a.error } };
          case 'bare':
            return a.body ? { status: a.status, body: { message: quote() } } : { status: a.status, text: '' };
          case 'html':
            return { status: a.status, text: `<html>${quote()}</html>` };
          case 'batch': {
            if (method !== 'batch') return { status: 200, body: { result: true, time: {} } };
            const cmd = (params as { cmd: Record<string, string> }).cmd;
            const result: Record<string, unknown> = {};
            const result_error: Record<string, unknown> = {};
            Object.keys(cmd).forEach((key, i) => {
              const item = a.items[i % a.items.length];
              if (item === 'ok') result[key] = true;
              if (item === 'error') result_error[key] = { error: 'ERROR_ARGUMENT', error_description: quote() };
            });
            return { status: 200, body: { result: { result, result_error, result_total: [] }, time: {} } };
          }
        }
        return undefined;
      };
      if (a.kind === 'hang') return new Promise<Reply>(() => {});
      return new Promise<Reply | undefined>((resolve) => setTimeout(() => resolve(reply()), a.delay));
    },
    {
      client: s.client,
      frame,
      accessToken: tokenOf(0),
      newToken: (n) => {
        issued.push(tokenOf(n));
        return tokenOf(n);
      },
    },
  );

  // The BX24 object the transport gets: the fake, whose answers come as the call's plan says.
  type Callback = (result: unknown) => void;
  const deliver = (id: number, callback: Callback) => (result: unknown) => {
    const o = outcomes[id] as Outcome;
    o.answered ??= { at: Date.now(), seq: ++seq, answer: last.get(id) };
    callback(result);
  };
  const twice =
    (plan: CallPlan, callback: Callback) =>
    (result: unknown): void => {
      callback(result);
      if (plan.delivery.kind === 'twice') {
        const late = { data: () => 'late', error: () => undefined, status: 200 };
        setTimeout(() => callback(plan.batch ? [late] : late), plan.delivery.delay);
      }
    };
  const like = (plan: CallPlan, id: number, callback: Callback): boolean => {
    const d = plan.delivery;
    if (d.kind === 'never') return true;
    if (d.kind === 'throws') {
      (outcomes[id] as Outcome).answered = { at: Date.now(), seq: ++seq, answer: undefined };
      throw new Error('BX24 is not initialised');
    }
    if (d.kind !== 'like' && d.kind !== 'likeOk') return false;
    const result =
      d.kind === 'like'
        ? { data: () => undefined, error: () => ({ status: d.status }) }
        : { data: () => true, error: () => d.error, status: 200 };
    const answer = () => {
      (outcomes[id] as Outcome).answered ??= { at: Date.now(), seq: ++seq, answer: undefined };
      callback(plan.batch ? Array.from({ length: plan.batch }, () => result) : result);
    };
    if (d.delay) setTimeout(answer, d.delay);
    else answer();
    return true;
  };
  const idOf = (params: unknown) => Number(/DIALOG_ID":"chat(\d+)/.exec(JSON.stringify(params))?.[1]);
  const bx24 = {
    getAuth:
      s.getAuth === 'yes'
        ? bx.getAuth
        : s.getAuth === 'throws'
          ? () => {
              throw new Error('BX24 is not initialised');
            }
          : undefined,
    callMethod(method: string, params: Record<string, unknown>, callback: (result: Bx24AjaxResult) => void) {
      const id = idOf(params);
      const plan = (outcomes[id] as Outcome).plan;
      if (like(plan, id, callback as Callback)) return;
      bx.callMethod(method, params, deliver(id, twice(plan, callback as Callback)));
    },
    callBatch(
      batch: readonly { method: string; params: Record<string, unknown> }[],
      callback: (results: readonly Bx24AjaxResult[] | Record<string, Bx24AjaxResult>) => void,
      halt?: boolean,
    ) {
      expect(halt).toBe(false);
      const id = idOf(batch);
      const plan = (outcomes[id] as Outcome).plan;
      if (like(plan, id, callback as Callback)) return;
      bx.callBatch(batch, deliver(id, twice(plan, callback as Callback)), halt);
    },
  };

  const transport = createBx24Transport(bx24, { timeoutMs: s.timeoutMs });
  const controllers = s.aborts.map(() => new AbortController());
  const abortSeqs: (number | undefined)[] = [];
  s.aborts.forEach((when, i) => {
    const abort = () => {
      abortSeqs[i] = ++seq;
      (controllers[i] as AbortController).abort();
    };
    if (when === 'before') abort();
    else if (when !== undefined) setTimeout(abort, when);
  });
  for (const at of s.chatter)
    setTimeout(() => frame.dispatchEvent(new MessageEvent('message', { data: 'chatter' })), at);

  s.calls.forEach((plan, id) => {
    setTimeout(() => {
      const signal = plan.signal === undefined ? undefined : controllers[plan.signal]?.signal;
      const outcome: Outcome = { plan, start: Date.now(), signal };
      outcomes[id] = outcome;
      const aborted = () => {
        outcome.abortedAt = Date.now();
        outcome.abortSeq = abortSeqs[plan.signal as number];
      };
      if (signal?.aborted) {
        aborted();
        outcome.before = true;
      } else signal?.addEventListener('abort', aborted, { once: true });
      const all = calls(id, s.suffix);
      const options = signal ? { signal } : undefined;
      const pending = plan.batch
        ? transport.batch!(
            Array.from({ length: plan.batch }, (_, i) => all[(plan.method + i) % all.length] as (typeof all)[0]),
            options,
          )
        : transport.call(all[plan.method]!.method, all[plan.method]!.params, options);
      const settled = () => {
        outcome.settledAt = Date.now();
        outcome.settleSeq = ++seq;
        // (checked here, thrown at the end: a throw in a promise handler would only be an unhandled rejection)
        try {
          leftBehind();
        } catch (error) {
          broken ??= error;
        }
      };
      const leftBehind = () => {
        // A settled call keeps no timer, no `message` listener and no abort listener: at most one each per pending one.
        const pending = outcomes.filter((o) => o.settledAt === undefined);
        expect(timers.size, `timers left when call ${id} settled`).toBeLessThanOrEqual(pending.length);
        expect(
          getEventListeners(frame, 'message').length,
          `message listeners when call ${id} settled`,
        ).toBeLessThanOrEqual(1 + pending.length);
        if (signal) {
          const mine = (o: Outcome) => o.signal === signal && !o.before;
          const ours = signal.aborted ? 0 : outcomes.filter(mine).length;
          expect(
            getEventListeners(signal, 'abort').length,
            `abort listeners when call ${id} settled`,
          ).toBeLessThanOrEqual(ours + pending.filter(mine).length);
        }
      };
      pending.then(
        (value) => {
          settled();
          outcome.value = value;
        },
        (error: unknown) => {
          settled();
          outcome.error = error;
        },
      );
    }, plan.at);
  });

  // Long enough for every call to settle and every scripted answer and refresh to have come.
  await vi.advanceTimersByTimeAsync(120_000);
  if (broken) throw broken;

  const secrets = [...(s.getAuth === 'yes' ? issued : []), ...Object.values(credentials(s.suffix))];
  const checkError = (error: unknown, where: string, expected: Expected) => {
    expect(isB24Error(error), `${where} rejected with a B24Error: ${String(error)}`).toBe(true);
    const e = error as { code: string; kind: string; status?: number };
    expectNoSecretShown(error, secrets, where);
    // The kind is core's classification (a reply without an envelope: by its status alone).
    // (a throw of BX24 while sending: the request did not go out)
    const kind =
      e.code === 'BX24_ERROR'
        ? 'network'
        : e.code === 'ERROR_UNEXPECTED_ANSWER' && e.status !== undefined
          ? classifyError('', e.status)
          : classifyError(e.code, e.status);
    expect(e.kind, `${where} kind of ${e.code} (${e.status})`).toBe(kind);
    if (typeof expected === 'object' && 'error' in expected) {
      expect({ code: e.code, kind: e.kind, status: e.status }, where).toEqual(expected.error);
    } else if (typeof expected === 'object') {
      expect.fail(`${where} rejected with ${e.code} where ${JSON.stringify(expected)} was due`);
    }
  };

  s.calls.forEach((plan, id) => {
    const o = outcomes[id] as Outcome;
    const where = `call ${id}`;
    expect(o.settledAt, `${where} settled`).toBeDefined();
    const deadline = Math.min(o.start + s.timeoutMs, o.abortedAt ?? Number.POSITIVE_INFINITY);
    expect(o.settledAt as number, `${where} settled by its abort or timeout`).toBeLessThanOrEqual(deadline);
    // An abort before the call settled rejects it at once (before anything else happens) with ABORTED.
    if (o.abortSeq !== undefined && (o.settleSeq as number) > o.abortSeq) {
      expect(o.error, `${where} aborted`).toMatchObject({ code: 'ABORTED', kind: 'network' });
      expect(o.settledAt, `${where} rejected at once on abort`).toBe(o.abortedAt);
      const between = outcomes.filter(
        (x) => x.answered && x.answered.seq > (o.abortSeq as number) && x.answered.seq < (o.settleSeq as number),
      );
      if (!o.before) expect(between, `${where} rejected at once on abort`).toEqual([]);
      if (o.before) expect(o.answered, `${where} asked BX24 with an aborted signal`).toBeUndefined();
    }
    const code = (o.error as { code?: string } | undefined)?.code;
    if (code === 'ABORTED') expect(o.abortedAt, `${where} ABORTED without an abort`).toBeDefined();
    if (code === 'TIMEOUT') {
      expect(o.settledAt, `${where} TIMEOUT before timeoutMs`).toBe(o.start + s.timeoutMs);
      expect(
        o.answered === undefined || o.answered.at >= o.start + s.timeoutMs,
        `${where} TIMEOUT after an answer`,
      ).toBe(true);
    }
    // Settled by its answer: what that answer says.
    const byAnswer =
      o.answered !== undefined &&
      (o.abortSeq === undefined || o.answered.seq < o.abortSeq) &&
      o.answered.at < o.start + s.timeoutMs;
    if (!byAnswer) {
      if (o.error === undefined || !['ABORTED', 'TIMEOUT'].includes(code as string)) {
        // An answer that came in the very ms of the timeout may win.
        expect(o.answered?.at, `${where} settled without an answer, abort or timeout`).toBe(o.start + s.timeoutMs);
      }
      if (o.error !== undefined) checkError(o.error, where, 'any');
      return;
    }
    const answered = o.answered as NonNullable<Outcome['answered']>;
    const d = plan.delivery;
    if (d.kind === 'throws') {
      checkError(o.error, where, { error: { code: 'BX24_ERROR', kind: 'network', status: undefined } });
      return;
    }
    const like: Expected | undefined =
      d.kind === 'likeOk'
        ? { value: true }
        : d.kind !== 'like'
          ? undefined
          : d.status === 0
            ? { error: { code: 'NETWORK_ERROR', kind: 'network', status: undefined } }
            : unexpected(d.status);
    const expected: Expected | Expected[] =
      like !== undefined
        ? plan.batch
          ? Array.from({ length: plan.batch }, () => like)
          : like
        : plan.batch
          ? expectBatch(answered.answer as Answer, plan.batch, s.client)
          : expectCall(answered.answer as Answer, s.client);
    expect(expected, `${where} answered where no answer was due`).not.toBe('never');
    expect(expected, `${where} answered expired_token`).not.toBe('resent');
    if (!plan.batch) {
      if (o.error !== undefined) checkError(o.error, where, expected as Expected);
      else expect(o.value, `${where} resolved`).toEqual((expected as { value: unknown }).value);
      return;
    }
    expect(o.error, `${where} batch rejected`).toBeUndefined();
    const items = o.value as readonly { ok: boolean; result?: unknown; error?: unknown }[];
    expect(items, `${where} one result per command`).toHaveLength(plan.batch);
    items.forEach((item, i) => {
      const due = Array.isArray(expected) ? (expected[i] as Expected) : expected;
      if (item.ok) {
        if (due !== 'any') expect({ value: item.result }, `${where}[${i}]`).toEqual(due);
      } else checkError(item.error, `${where}[${i}]`, due);
    });
  });

  // Nothing is left behind: the window keeps BX24.js's own listener only, no signal a listener, no timer runs.
  expect(getEventListeners(frame, 'message'), 'message listeners left').toHaveLength(1);
  controllers.forEach(({ signal }, i) => {
    // Only the test's own (once) listeners, on a signal that never aborted.
    const ours = signal.aborted ? 0 : s.calls.filter((p) => p.signal === i).length;
    expect(getEventListeners(signal, 'abort'), `abort listeners left on signal ${i}`).toHaveLength(ours);
  });
  expect(vi.getTimerCount(), 'timers left').toBe(0);
}

/** Small by default, to keep the file fast; `PROPERTY_RUNS=50000` for a long run. */
const runs = Number(process.env.PROPERTY_RUNS) || 200;

describe('createBx24Transport under a scripted BX24 (property)', () => {
  // Each run sets its own fake timers.
  const { rejections } = watchUnhandled({ fakeTimers: false });
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it(
    'settles every call and batch once, in time, as documented, without a token or secret, leaving nothing behind',
    async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          vi.useFakeTimers({ now: 0, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
          try {
            await run(s);
          } finally {
            // (the stubbed timers first: unstubbing restores the fake ones)
            vi.unstubAllGlobals();
            vi.useRealTimers();
          }
          // Unhandled rejections are reported after a macrotask: give them one.
          await new Promise((resolve) => setImmediate(resolve));
          expect(rejections).toEqual([]);
        }),
        { numRuns: runs },
      );
    },
    60_000 + runs * 50,
  );
});
