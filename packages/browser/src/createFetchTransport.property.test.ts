import { AsyncLocalStorage } from 'node:async_hooks';
import { classifyError, isB24Error } from '@b24-typing/core';
import { watchUnhandled } from '@b24-typing/test-utils';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { expectNoSecretShown } from '../test/expectSecretsCut';
import { createFetchTransport } from './createFetchTransport';

/** What the scripted portal does with a request whose token it knows (a stale one is always refused). */
type Answer =
  | { readonly kind: 'ok' | 'network'; readonly delay: number }
  | { readonly kind: 'portal' | 'html'; readonly code: string; readonly status: number; readonly delay: number }
  | { readonly kind: 'hang'; readonly honoursAbort: boolean };

/** What `auth` does when asked: `delay` 0 answers synchronously; `new` is a refresh to a new token. */
interface AuthStep {
  readonly outcome: 'token' | 'new' | 'same' | 'fail' | 'blank' | 'hang';
  readonly delay: number;
  /** Blanks around the token (a file's line break): cut off before it is sent. */
  readonly padded: boolean;
}

interface CallPlan {
  readonly at: number;
  readonly batch: boolean;
  /** `before`: aborted before the call; a number: this long after it started; undefined: never. */
  readonly abort: 'before' | number | undefined;
}

interface Scenario {
  readonly timeoutMs: number;
  readonly answers: readonly Answer[];
  readonly staleCode: 'expired_token' | 'invalid_token';
  readonly access: readonly AuthStep[];
  readonly refreshes: readonly AuthStep[];
  readonly initiallyValid: boolean;
  /** When the token in use lapses on the portal. */
  readonly lapses: readonly number[];
  readonly calls: readonly CallPlan[];
  /** What tokens are made of (RFC 6750's b64token: `/`, `+` and `=` too, which JSON and URL encoders escape). */
  readonly suffix: string;
}

const delay = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 6_000 }));

const answer: fc.Arbitrary<Answer> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constantFrom('ok' as const, 'network' as const), delay }) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom(
          ['portal', 'QUERY_LIMIT_EXCEEDED', 503],
          ['portal', 'ACCESS_DENIED', 403],
          ['portal', 'ERROR_ARGUMENT', 400],
          ['portal', 'INTERNAL_SERVER_ERROR', 500],
          ['portal', 'NO_AUTH_FOUND', 401],
          ['portal', 'OPERATION_TIME_LIMIT', 503],
          ['html', '', 200],
          ['html', '', 403],
          ['html', '', 404],
          ['html', '', 429],
          ['html', '', 502],
          ['html', '', 504],
        ),
        delay,
      )
      .map(([[kind, code, status], delay]) => ({
        kind: kind as 'portal' | 'html',
        code: code as string,
        status: status as number,
        delay,
      })),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('hang' as const), honoursAbort: fc.boolean() }) },
);

const step = (...outcomes: AuthStep['outcome'][]): fc.Arbitrary<AuthStep> =>
  fc.record({ outcome: fc.constantFrom(...outcomes), delay, padded: fc.boolean() });

const scenario: fc.Arbitrary<Scenario> = fc.record({
  timeoutMs: fc.integer({ min: 1_000, max: 5_000 }),
  answers: fc.array(answer, { minLength: 1, maxLength: 6 }),
  staleCode: fc.constantFrom('expired_token' as const, 'invalid_token' as const),
  access: fc.array(
    fc.oneof({ weight: 6, arbitrary: step('token') }, { weight: 1, arbitrary: step('fail', 'blank', 'hang') }),
    { minLength: 1, maxLength: 4 },
  ),
  refreshes: fc.array(
    fc.oneof({ weight: 4, arbitrary: step('new') }, { weight: 3, arbitrary: step('same', 'fail', 'blank', 'hang') }),
    { minLength: 1, maxLength: 4 },
  ),
  initiallyValid: fc.boolean(),
  lapses: fc.array(fc.integer({ min: 0, max: 6_000 }), { minLength: 1, maxLength: 5 }),
  calls: fc.array(
    fc.record({
      at: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 4_000 })),
      batch: fc.boolean(),
      abort: fc.oneof(
        { weight: 4, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.constant('before' as const) },
        { weight: 2, arbitrary: fc.integer({ min: 0, max: 6_000 }) },
      ),
    }),
    { minLength: 2, maxLength: 10 },
  ),
  suffix: fc.stringMatching(/^[A-Za-z0-9\-._~+/]{4,10}=*$/),
});

const later = (ms: number, run: () => void) => (ms ? setTimeout(run, ms) : run());

/** PHP's json_encode, as the portal writes its replies: `/` is escaped too (JSON.stringify leaves it). */
const php = (value: unknown) => JSON.stringify(value).replaceAll('/', '\\/');

interface Request {
  readonly call: number;
  readonly token: string;
  readonly seq: number;
  stale?: boolean;
}
interface Refresh {
  readonly call: number;
  readonly stale: string;
  readonly seq: number;
  settled?: number;
  failed?: boolean;
  result?: string;
}
interface Outcome {
  readonly plan: CallPlan;
  readonly start: number;
  abortedAt?: number;
  settledAt?: number;
  settleSeq?: number;
  value?: unknown;
  error?: unknown;
}

/** Runs a scenario in virtual time and checks every invariant; throws on the first broken one. */
async function run(s: Scenario): Promise<void> {
  const context = new AsyncLocalStorage<number>();
  let seq = 0;
  let generation = 0;
  const tokenOf = (g: number) => `tok${g}x${s.suffix}`;
  const secretOf = (g: number) => `refresh${g}x${s.suffix}`;
  let current = tokenOf(0);
  const issued = [current];
  const valid = new Set(s.initiallyValid ? [current] : []);
  const requests: Request[] = [];
  const refreshes: Refresh[] = [];
  const outcomes: Outcome[] = [];
  const timeouts: number[] = []; // seq of each TIMEOUT
  let accessAsked = 0;
  const accessFailures = new Set<number>(); // calls whose auth({ refresh: false }) failed

  for (const at of s.lapses) setTimeout(() => valid.delete(current), at);

  const fetch = ((_url: string, init: RequestInit) => {
    const call = context.getStore() as number;
    const token = new URLSearchParams(String(init.body)).get('auth') as string;
    const request: Request = { call, token, seq: ++seq };
    requests.push(request);
    const batch = String(init.body).startsWith('halt=');
    const a = s.answers[(requests.length - 1) % s.answers.length] as Answer;
    // The token quoted back as a portal might: JSON-escaped by PHP and URL-encoded (as the body carried it).
    const quoted = `Wrong token ${token} (${encodeURIComponent(token)})`;
    return new Promise((resolve, reject) => {
      const reply = (status: number, body: string) =>
        resolve({ ok: status >= 200 && status < 300, status, text: async () => body } as Response);
      if (a.kind === 'hang') {
        if (a.honoursAbort)
          init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
        return;
      }
      later(a.delay, () => {
        if (!valid.has(token)) {
          request.stale = true;
          return reply(401, php({ error: s.staleCode, error_description: quoted }));
        }
        if (a.kind === 'network') return reject(new TypeError('fetch failed'));
        if (a.kind === 'html') return reply(a.status, `<html><body>${a.status}</body></html>`);
        if (a.kind === 'portal') return reply(a.status, php({ error: a.code, error_description: quoted }));
        reply(200, php({ result: batch ? { result: [true], result_error: [] } : true }));
      });
    });
  }) as unknown as typeof globalThis.fetch;

  const auth = ({ refresh }: { refresh: boolean }): string | Promise<string> => {
    const call = context.getStore() as number;
    let st: AuthStep;
    let record: Refresh | undefined;
    if (refresh) {
      st = s.refreshes[refreshes.length % s.refreshes.length] as AuthStep;
      const mine = requests.filter((r) => r.call === call);
      record = { call, stale: (mine[mine.length - 1] as Request).token, seq: ++seq };
      refreshes.push(record);
    } else {
      st = s.access[accessAsked++ % s.access.length] as AuthStep;
    }
    const answerNow = (): string => {
      const pad = (t: string) => (st.padded ? ` ${t}\r\n` : t);
      switch (st.outcome) {
        case 'new': {
          valid.delete(current);
          current = tokenOf(++generation);
          issued.push(current, secretOf(generation));
          valid.add(current);
          return pad(current);
        }
        case 'fail':
          throw new Error(`auth failed with ${secretOf(generation)} for ${current}`);
        case 'blank':
          return ' \n';
        default:
          return pad(current); // `token`, and `same`: the stale one handed back
      }
    };
    const settle = (result: string | undefined) => {
      if (record) Object.assign(record, { settled: ++seq, failed: result === undefined, result: result?.trim() });
      if (!refresh && result === undefined) accessFailures.add(call);
    };
    if (st.outcome === 'hang') return new Promise<string>(() => {});
    if (st.delay === 0) {
      try {
        const result = answerNow();
        settle(result.trim() ? result : undefined);
        return result;
      } catch (error) {
        settle(undefined);
        throw error;
      }
    }
    return new Promise<string>((resolve, reject) =>
      setTimeout(() => {
        try {
          const result = answerNow();
          settle(result.trim() ? result : undefined);
          resolve(result);
        } catch (error) {
          settle(undefined);
          reject(error);
        }
      }, st.delay),
    );
  };

  const transport = createFetchTransport({
    clientEndpoint: 'https://example.bitrix24.com/rest/',
    auth,
    fetch,
    timeoutMs: s.timeoutMs,
  });
  s.calls.forEach((plan, id) => {
    setTimeout(() => {
      const controller = new AbortController();
      const outcome: Outcome = { plan, start: Date.now() };
      outcomes[id] = outcome;
      const abort = () => {
        outcome.abortedAt = Date.now();
        controller.abort();
      };
      if (plan.abort === 'before') abort();
      else if (plan.abort !== undefined) setTimeout(abort, plan.abort);
      const options = { signal: controller.signal };
      const pending = context.run(id, () =>
        plan.batch
          ? transport.batch!([{ method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } }], options)
          : transport.call('im.dialog.writing', { DIALOG_ID: 'chat1' }, options),
      );
      const settled = () => {
        if (outcome.settledAt !== undefined) throw new Error(`call ${id} settled twice`);
        outcome.settledAt = Date.now();
        outcome.settleSeq = ++seq;
      };
      pending.then(
        (value) => {
          settled();
          outcome.value = value;
        },
        (error: unknown) => {
          settled();
          outcome.error = error;
          if ((error as { code?: string }).code === 'TIMEOUT') timeouts.push(seq);
        },
      );
    }, plan.at);
  });

  await vi.advanceTimersByTimeAsync(30_000);

  s.calls.forEach((plan, id) => {
    const o = outcomes[id] as Outcome;
    const where = `call ${id}`;
    // Settles, by its abort or timeout at the latest.
    expect(o.settledAt, `${where} settled`).toBeDefined();
    const deadline = Math.min(o.start + s.timeoutMs, o.abortedAt ?? Number.POSITIVE_INFINITY);
    expect(o.settledAt as number, `${where} settled by its abort or timeout`).toBeLessThanOrEqual(deadline);
    const mine = requests.filter((r) => r.call === id);
    // No request after it settled; at most one retry, and only after a stale token.
    for (const r of mine) expect(r.seq, `${where} sent after it settled`).toBeLessThan(o.settleSeq as number);
    expect(mine.length, `${where} requests`).toBeLessThanOrEqual(2);
    if (mine.length === 2) {
      const [first, retry] = mine as [Request, Request];
      expect(first.stale, `${where} retried without a stale token`).toBe(true);
      // The retry carries a token a refresh gave: one for that stale token, or one still in progress when it was met.
      const given = refreshes
        .filter((r) => r.result !== undefined && (r.stale === first.token || (r.settled as number) > first.seq))
        .map((r) => r.result);
      expect(given, `${where} retried with ${retry.token}`).toContain(retry.token);
    }
    if (plan.abort === 'before') {
      expect(o.error).toMatchObject({ code: 'ABORTED' });
      expect(mine).toHaveLength(0);
    }
    if (o.error === undefined) {
      expect(o.value).toEqual(plan.batch ? [{ ok: true, result: true }] : true);
      return;
    }
    const error = o.error as { code: string; kind: string; status?: number };
    expect(isB24Error(error), `${where} rejected with a B24Error`).toBe(true);
    // No token, refresh token or secret in what the error shows.
    expectNoSecretShown(error, issued, where);
    // The kind is core's classification.
    const expected =
      error.code === 'ERROR_UNEXPECTED_ANSWER'
        ? classifyError('', error.status)
        : error.code === 'AUTH_FAILED'
          ? 'auth'
          : error.code === 'TIMEOUT'
            ? 'timeout'
            : error.code === 'NETWORK_ERROR'
              ? 'network'
              : classifyError(error.code, error.status);
    expect(error.kind, `${where} kind of ${error.code}`).toBe(expected);
    if (error.code === 'ABORTED') expect(o.abortedAt, `${where} ABORTED without an abort`).toBeDefined();
    if (error.code === 'TIMEOUT') expect(o.settledAt).toBe(o.start + s.timeoutMs);
    // A refresh that failed before this call met the stale token is not reused.
    if (error.code === 'AUTH_FAILED' && !accessFailures.has(id)) {
      const stale = mine.find((r) => r.stale) as Request;
      expect(stale, `${where} AUTH_FAILED without a stale token`).toBeDefined();
      const failed = refreshes.filter((r) => r.failed && (r.settled as number) > stale.seq);
      expect(failed.length, `${where} given a refresh that had failed before`).toBeGreaterThan(0);
    }
  });

  // Calls that meet the same stale token share one refresh while it is pending, unless a call gave up on it.
  refreshes.forEach((later, i) => {
    for (const earlier of refreshes.slice(0, i)) {
      const pending = earlier.settled === undefined || earlier.settled > later.seq;
      const gaveUp = timeouts.some((t) => t > earlier.seq && t < later.seq);
      if (earlier.stale === later.stale && pending && !gaveUp) {
        throw new Error(`a second refresh for the same stale token while the first was pending (refresh ${i})`);
      }
    }
  });
}

describe('createFetchTransport under scripted fetch and auth (property)', () => {
  // Each run sets its own fake timers.
  const { rejections } = watchUnhandled({ fakeTimers: false });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('settles every call once, in time, classified, without secrets, sharing one refresh per stale token', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        vi.useFakeTimers({ now: 0, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
        try {
          await run(s);
        } finally {
          vi.useRealTimers();
        }
        // Unhandled rejections are reported after a macrotask: give them one.
        await new Promise((resolve) => setImmediate(resolve));
        expect(rejections).toEqual([]);
      }),
      { numRuns: 200 },
    );
  }, 60_000);
});
