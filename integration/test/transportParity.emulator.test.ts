// Differential test of every transport against one emulator: the same portal reply must become the same value, or
// the same B24Error (`code`, `kind`, `status`), whichever transport made the call ("the same error classification as
// core"). Each row is one portal behaviour; a transport that differs on purpose says so in the row, with where that
// difference is documented.
import { createBx24Transport, createFetchTransport } from '@b24-typing/browser';
import { type ErrorKind, isB24Error, type Transport, type TransportCall } from '@b24-typing/core';
import { type Emulator, type FaultSpec, startEmulator } from '@b24-typing/emulator';
import { createOAuthTransport, createWebhookTransport } from '@b24-typing/node';
// BX24.js itself needs a portal frame; this is the workspace's stand-in for it, speaking HTTP here.
import { fakeBx24, type Reply } from '@b24-typing/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oauthOptionsFor } from './oauthOptionsFor';

type Name = 'webhook' | 'oauth' | 'fetch' | 'bx24';
const NAMES: readonly Name[] = ['webhook', 'oauth', 'fetch', 'bx24'];

/** What a call came to: its value, or the parts of the B24Error that say what to do about it. */
type Outcome = { value: unknown } | { code: string; kind: ErrorKind; status?: number };

interface Row {
  readonly name: string;
  /** Injected before each transport's call, cleared after it. */
  readonly faults?: readonly FaultSpec[];
  /** Default `im.dialog.writing { DIALOG_ID: 'chat1' }`. */
  readonly method?: string;
  readonly params?: Record<string, unknown>;
  /** A batch instead of a call: `expected` is then one outcome per command, or the batch's rejection. */
  readonly batch?: readonly TransportCall[];
  /** Token refreshes each transport is expected to make (default none). */
  readonly refreshes?: Partial<Record<Name, number>>;
  /** The call's signal, made afresh for each transport. */
  readonly signal?: () => AbortSignal;
  readonly expected: Outcome | readonly Outcome[];
  /** Deliberate, documented differences: the outcome that transport gives instead, and where it is documented. */
  readonly differs?: Partial<Record<Name, { readonly outcome: Outcome | readonly Outcome[]; readonly why: string }>>;
}

const value = (v: unknown): Outcome => ({ value: v });
const error = (code: string, kind: ErrorKind, status?: number): Outcome =>
  status === undefined ? { code, kind } : { code, kind, status };
/** A raw reply (200 unless told) the emulator sends instead of running the call: values no indicator method returns. */
const raw = (body: unknown, status = 200): FaultSpec => ({
  status,
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
const unexpected = (status: number, kind: ErrorKind) => error('ERROR_UNEXPECTED_ANSWER', kind, status);
const TIMEOUT = error('TIMEOUT', 'timeout');
const html = (status: number): FaultSpec => ({
  status,
  body: '<html><body>Bad gateway</body></html>',
  contentType: 'text/html',
});

// packages/browser/README.md, createBx24Transport: "BX24.js never calls back after a network error, an HTTP 5xx (a
// 503 QUERY_LIMIT_EXCEEDED too), a body that is not JSON or a batch that failed as a whole, so `timeoutMs` gives
// `TIMEOUT`" (reference §9.2: BX24.js's ajax.isSuccess reads 2xx, 304 and 4xx only, and parses with no catch).
const BX24_SILENT = 'BX24.js never calls back (browser README, createBx24Transport; reference §9.2)';
const bx24Silent = { bx24: { outcome: TIMEOUT, why: BX24_SILENT } };
// An incoming webhook has no token to refresh (node README: only the OAuth transport refreshes), and BX24.js
// refreshes on expired_token only (browser README: "invalid_token reaches you as kind auth").
const NO_REFRESH =
  'no refresh: a webhook has no token (node README), BX24.js refreshes only expired_token (browser README)';

const rows: readonly Row[] = [
  // Success values: the envelope's `result`, whatever it is (falsy ones included).
  { name: 'success true', expected: value(true) },
  { name: 'success false', faults: [raw({ result: false, time: {} })], expected: value(false) },
  { name: 'success 0', faults: [raw({ result: 0, time: {} })], expected: value(0) },
  { name: "success ''", faults: [raw({ result: '', time: {} })], expected: value('') },
  { name: 'success null', faults: [raw({ result: null, time: {} })], expected: value(null) },
  {
    name: 'success object (v2 nested result)',
    faults: [raw({ result: { result: true, list: [1, 'a'] }, time: {} })],
    expected: value({ result: true, list: [1, 'a'] }),
  },
  {
    name: "empty error with a result ({error: '', result})",
    faults: [raw({ error: '', result: true })],
    expected: value(true),
  },
  // Documented error codes with their documented statuses (reference §6, §7).
  {
    name: 'QUERY_LIMIT_EXCEEDED 503',
    faults: [{ status: 503, error: 'QUERY_LIMIT_EXCEEDED' }],
    expected: error('QUERY_LIMIT_EXCEEDED', 'rate', 503),
    differs: bx24Silent,
  },
  {
    name: 'QUERY_LIMIT_EXCEEDED 429 (imbot.v2 docs)',
    faults: [{ status: 429, error: 'QUERY_LIMIT_EXCEEDED' }],
    expected: error('QUERY_LIMIT_EXCEEDED', 'rate', 429),
  },
  {
    name: 'OPERATION_TIME_LIMIT 429',
    faults: [{ status: 429, error: 'OPERATION_TIME_LIMIT' }],
    expected: error('OPERATION_TIME_LIMIT', 'operating', 429),
  },
  {
    name: 'expired_token 401, then a refresh and the retry',
    refreshes: { oauth: 1, fetch: 1, bx24: 1 },
    faults: [{ status: 401, error: 'expired_token', times: 1 }],
    expected: value(true),
    differs: { webhook: { outcome: error('expired_token', 'auth', 401), why: NO_REFRESH } },
  },
  {
    name: 'invalid_token 401, then a refresh and the retry',
    refreshes: { oauth: 1, fetch: 1 },
    faults: [{ status: 401, error: 'invalid_token', times: 1 }],
    expected: value(true),
    differs: {
      webhook: { outcome: error('invalid_token', 'auth', 401), why: NO_REFRESH },
      bx24: { outcome: error('invalid_token', 'auth', 401), why: NO_REFRESH },
    },
  },
  {
    name: 'NO_AUTH_FOUND 401',
    faults: [{ status: 401, error: 'NO_AUTH_FOUND' }],
    expected: error('NO_AUTH_FOUND', 'auth', 401),
  },
  {
    name: 'ACCESS_DENIED 403',
    faults: [{ status: 403, error: 'ACCESS_DENIED' }],
    expected: error('ACCESS_DENIED', 'access', 403),
  },
  {
    name: 'ERROR_METHOD_NOT_FOUND 404 (a real unknown method)',
    method: 'im.no.such.method',
    params: {},
    expected: error('ERROR_METHOD_NOT_FOUND', 'input', 404),
  },
  {
    name: 'INTERNAL_SERVER_ERROR 500',
    faults: [{ status: 500, error: 'INTERNAL_SERVER_ERROR' }],
    expected: error('INTERNAL_SERVER_ERROR', 'server', 500),
    differs: bx24Silent,
  },
  {
    name: 'DIALOG_ID_EMPTY 400 (real)',
    params: { DIALOG_ID: 'bogus' },
    expected: error('DIALOG_ID_EMPTY', 'input', 400),
  },
  { name: 'ACCESS_ERROR 403 (real)', params: { DIALOG_ID: 'chat999' }, expected: error('ACCESS_ERROR', 'access', 403) },
  {
    name: 'empty error with a result ({error: null, result})',
    faults: [raw({ error: null, result: 7 })],
    expected: value(7),
  },
  {
    name: 'an unknown code falls back on its status (429: rate)',
    faults: [{ status: 429, error: 'SOME_NEW_LIMIT' }],
    expected: error('SOME_NEW_LIMIT', 'rate', 429),
  },
  { name: 'an error that is not a string', faults: [raw({ error: 42 })], expected: unexpected(200, 'server') },
  { name: "200 with {error: ''}", faults: [raw({ error: '' })], expected: unexpected(200, 'server') },
  // Replies that are no envelope: the status alone classifies them (core's classifyError('', status)).
  { name: 'HTML 502 from a proxy', faults: [html(502)], expected: unexpected(502, 'server'), differs: bx24Silent },
  { name: 'HTML 504 from a gateway', faults: [html(504)], expected: unexpected(504, 'timeout'), differs: bx24Silent },
  { name: 'HTML 403 from a WAF', faults: [html(403)], expected: unexpected(403, 'access'), differs: bx24Silent },
  {
    name: "HTML 401 from a proxy's login",
    faults: [html(401)],
    expected: unexpected(401, 'auth'),
    differs: bx24Silent,
  },
  { name: 'JSON 403 without error', faults: [raw({ message: 'blocked' }, 403)], expected: unexpected(403, 'access') },
  // A gateway's JSON whose `error` is no code (an object, `true`) is no envelope either: its status classifies it.
  {
    name: "an API gateway's JSON 429 with an error object",
    faults: [raw({ error: { code: 'TooManyRequests', message: 'Rate limit is exceeded' } }, 429)],
    expected: unexpected(429, 'rate'),
  },
  {
    name: "a WAF's JSON 403 with an error object",
    faults: [raw({ error: { code: 403, message: 'Forbidden' } }, 403)],
    expected: unexpected(403, 'access'),
  },
  { name: 'JSON 401 with error: true', faults: [raw({ error: true }, 401)], expected: unexpected(401, 'auth') },
  {
    name: 'JSON 404 with an error object',
    faults: [raw({ error: { message: 'no route' } }, 404)],
    expected: unexpected(404, 'input'),
  },
  { name: 'JSON 200 that is no object', faults: [raw([])], expected: unexpected(200, 'server') },
  { name: 'JSON 200 without result', faults: [raw({ time: {} })], expected: unexpected(200, 'server') },
  {
    name: 'empty 200',
    faults: [raw('')],
    expected: unexpected(200, 'server'),
    differs: {
      // The fake follows BX24.js: an empty body is `{ result: {} }` to it, indistinguishable from a real `{}` result
      // (packages/browser/src/createBx24Transport.test.ts: "A 2xx stays what BX24.js says it is").
      bx24: { outcome: value({}), why: 'BX24.js reads an empty body as { result: {} } (createBx24Transport.test.ts)' },
    },
  },
  {
    name: 'truncated JSON (a whole message)',
    faults: [{ truncate: true }],
    expected: unexpected(200, 'server'),
    differs: bx24Silent,
  },
  {
    name: 'body cut mid-transfer (connection reset after headers)',
    faults: [{ truncate: true, reset: true }],
    expected: unexpected(200, 'server'),
    differs: bx24Silent,
  },
  {
    name: '302 without Location',
    faults: [raw('', 302)],
    expected: unexpected(302, 'input'),
    differs: {
      // createBx24Transport.test.ts: "BX24.js itself never calls back after a 300 (ajax.isSuccess takes 304 and 4xx
      // only)"; so, like a 5xx, a timeout.
      bx24: { outcome: TIMEOUT, why: 'BX24.js ajax.isSuccess refuses 3xx but 304 (createBx24Transport.test.ts)' },
    },
  },
  {
    name: 'connection reset',
    faults: [{ reset: true }],
    expected: error('NETWORK_ERROR', 'network'),
    differs: bx24Silent,
  },
  // Stalls: the client's own timeout is the point, so these run with a short one.
  { name: 'no answer (hang)', faults: [{ hang: true }], expected: TIMEOUT },
  { name: 'body stalls after headers', faults: [{ stallBody: true }], expected: TIMEOUT },
  {
    name: 'aborted before sending',
    signal: () => AbortSignal.abort(),
    expected: error('ABORTED', 'network'),
  },
  {
    name: 'aborted while waiting',
    faults: [{ hang: true }],
    signal: () => AbortSignal.timeout(100),
    expected: error('ABORTED', 'network'),
  },
  // batch: one request, per-command results.
  { name: 'empty batch', batch: [], expected: [] },
  {
    name: 'batch with mixed per-command results',
    faults: [{ method: 'imbot.chat.sendTyping', status: 500, error: 'INTERNAL_SERVER_ERROR' }],
    batch: [
      { method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } },
      { method: 'im.dialog.writing', params: { DIALOG_ID: 'bogus' } },
      { method: 'im.dialog.writing', params: { DIALOG_ID: 'chat999' } },
      { method: 'im.no.such.method', params: {} },
      { method: 'imbot.chat.sendTyping', params: { DIALOG_ID: 'chat1' } },
      { method: 'im.dialog.writing', params: { DIALOG_ID: 'chat2' } },
    ],
    // A command's error has no HTTP status of its own (core's parseBatchResult): the batch's 200 is not its.
    expected: [
      value(true),
      error('DIALOG_ID_EMPTY', 'input'),
      error('ACCESS_ERROR', 'access'),
      error('ERROR_METHOD_NOT_FOUND', 'input'),
      error('INTERNAL_SERVER_ERROR', 'server'),
      value(true),
    ],
  },
  {
    name: 'batch after expired_token: a refresh and the retry',
    refreshes: { oauth: 1, fetch: 1, bx24: 1 },
    faults: [{ method: 'batch', status: 401, error: 'expired_token', times: 1 }],
    batch: [{ method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } }],
    expected: [value(true)],
    differs: { webhook: { outcome: error('expired_token', 'auth', 401), why: NO_REFRESH } },
  },
  {
    name: 'batch refused as a whole (QUERY_LIMIT_EXCEEDED 503)',
    faults: [{ method: 'batch', status: 503, error: 'QUERY_LIMIT_EXCEEDED' }],
    batch: [{ method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } }],
    expected: error('QUERY_LIMIT_EXCEEDED', 'rate', 503),
    differs: bx24Silent,
  },
  {
    name: 'batch answered by a proxy (HTML 502)',
    faults: [{ ...html(502), method: 'batch' }],
    batch: [{ method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } }],
    expected: unexpected(502, 'server'),
    differs: bx24Silent,
  },
];

/** A short client timeout where a stall is the point (TIMEOUT expected), a generous one elsewhere. */
const STALL_MS = 250;
const NORMAL_MS = 5_000;

let emulator: Emulator;
/** The one OAuth identity all token transports share; a refresh (OAuth transport, or `auth` of fetch) renews it. */
let tokens: { accessToken: string; refreshToken: string };

beforeAll(async () => {
  emulator = await startEmulator({ plan: 'off', operating: false });
  tokens = { ...emulator.fixtures.oauth };
});

afterAll(async () => {
  await emulator?.close();
});

/** BX24.js's XHR, over real HTTP to the emulator: what it cannot read (a failed connection) is `'network'`. */
function httpPortal(restUrl: string) {
  return async (method: string, _params: Record<string, unknown>, body: string): Promise<Reply> => {
    try {
      const response = await fetch(`${restUrl}${method}.json`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
        // A stalled reply is given up after a while, so nothing is left open once the transport has timed out.
        signal: AbortSignal.timeout(STALL_MS * 4),
      });
      return { status: response.status, text: await response.text() };
    } catch {
      return 'network';
    }
  };
}

interface Made {
  readonly transport: Transport;
  readonly close: () => Promise<void>;
  /** How many times the transport (or, for BX24, BX24.js) had the token refreshed. */
  readonly refreshes: () => number;
}

function makeTransport(name: Name, timeoutMs: number): Made {
  const none = async () => {};
  let refreshes = 0;
  const counted = () => refreshes;
  switch (name) {
    case 'webhook': {
      const transport = createWebhookTransport(emulator.webhookUrl(1), { timeoutMs });
      return { transport, close: () => transport.close(), refreshes: counted };
    }
    case 'oauth': {
      const transport = createOAuthTransport({
        ...oauthOptionsFor(emulator, tokens),
        onTokens: (fresh) => {
          refreshes++;
          tokens = { accessToken: fresh.accessToken, refreshToken: fresh.refreshToken };
        },
        timeoutMs,
      });
      return { transport, close: () => transport.close(), refreshes: counted };
    }
    case 'fetch': {
      const auth = ({ refresh }: { refresh: boolean }) => {
        if (refresh) {
          refreshes++;
          tokens = { ...emulator.issueToken(1) };
        }
        return tokens.accessToken;
      };
      const transport = createFetchTransport({ clientEndpoint: emulator.restUrl, auth, timeoutMs });
      return { transport, close: none, refreshes: counted };
    }
    case 'bx24': {
      // The parent frame refreshes as the portal's page does: with a token the portal issued.
      const newToken = () => {
        tokens = { ...emulator.issueToken(1) };
        return tokens.accessToken;
      };
      const bx24 = fakeBx24(httpPortal(emulator.restUrl), { accessToken: tokens.accessToken, newToken });
      return {
        transport: createBx24Transport(bx24, { timeoutMs }),
        close: none,
        refreshes: () => bx24.state.refreshes,
      };
    }
  }
}

function outcomeOf(thrown: unknown): Outcome {
  if (!isB24Error(thrown)) return error(`not a B24Error: ${String(thrown)}`, 'server');
  return error(thrown.code, thrown.kind, thrown.status);
}

async function run(
  row: Row,
  name: Name,
  expected: Outcome | readonly Outcome[],
): Promise<{ outcome: Outcome | Outcome[]; refreshes: number }> {
  const stalls = !Array.isArray(expected) && (expected as { code?: string }).code === 'TIMEOUT';
  const made = makeTransport(name, stalls ? STALL_MS : NORMAL_MS);
  try {
    return { outcome: await outcomeOfRow(row, made.transport), refreshes: made.refreshes() };
  } finally {
    await made.close();
  }
}

async function outcomeOfRow(row: Row, transport: Transport): Promise<Outcome | Outcome[]> {
  for (const fault of row.faults ?? []) emulator.addFault(fault);
  const options = row.signal ? { signal: row.signal() } : undefined;
  try {
    if (row.batch) {
      const items = await transport.batch!(row.batch, options);
      return items.map((item) => (item.ok ? value(item.result) : outcomeOf(item.error)));
    }
    return value(
      await transport.call(row.method ?? 'im.dialog.writing', row.params ?? { DIALOG_ID: 'chat1' }, options),
    );
  } catch (thrown) {
    return outcomeOf(thrown);
  } finally {
    emulator.clearFaults();
  }
}

describe('transport parity against one emulator', () => {
  it.each(rows.map((row) => [row.name, row] as const))('%s', async (_, row) => {
    const got: Partial<Record<Name, unknown>> = {};
    const want: Partial<Record<Name, unknown>> = {};
    // One transport after another: a fault with `times` belongs to one call.
    for (const name of NAMES) {
      const outcome = row.differs?.[name]?.outcome ?? row.expected;
      want[name] = { outcome, refreshes: row.refreshes?.[name] ?? 0 };
      got[name] = await run(row, name, outcome);
    }
    expect(got).toEqual(want);
  });
});
