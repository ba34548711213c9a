import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { BOT_METHODS } from './botMethods';
import { type Bot, type BotEvent, ChatModel } from './ChatModel';
import { corsHeaders, originAllowed } from './corsHeaders';
import { createPrng } from './createPrng';
import { deliverWebhook } from './deliverWebhook';
import { ERROR_CATALOG, type ErrorCode, restError } from './errorCatalog';
import { FaultBook } from './FaultBook';
import { INDICATOR_METHODS } from './indicatorMethods';
import { livePage } from './livePage';
import { LeakyBucket } from './LeakyBucket';
import { MESSAGE_METHODS } from './messageMethods';
import { type AuthContext, type CallRecord, emptyRecord, type MethodDefinition } from './methodContext';
import { OperatingLimiter } from './OperatingLimiter';
import { truthy } from './paramValues';
import { mergeParams, parseBody, parseJson, readBody } from './parseBody';
import { httpBuildQuery, type Params, parseQuery } from './phpQuery';
import { RestError } from './RestError';
import { timeBlock } from './timeBlock';
import { Timeline, visibilityFrom } from './Timeline';
import type {
  BotCredentials,
  Emulator,
  EmulatorFixtures,
  EmulatorOptions,
  EmulatorStats,
  Fault,
  FaultSpec,
  MessageEntry,
  OAuthTokens,
  PlanOption,
  SeedInput,
  TimelineEntry,
  WebhookDelivery,
} from './types';

const METHODS: ReadonlyMap<string, MethodDefinition> = new Map(
  [...INDICATOR_METHODS, ...MESSAGE_METHODS, ...BOT_METHODS].map((m) => [m.name.toLowerCase(), m]),
);
/** Hidden alias of `im.dialog.writing` (reference §1.1). */
const ALIASES: ReadonlyMap<string, string> = new Map([['im.chat.sendtyping', 'im.dialog.writing']]);
const BATCH_MAX_LENGTH = 50;
const NOT_IN_BATCH = new Set(['batch', 'download', 'upload']);
const DEFAULT_SCOPES = ['im', 'imbot'];

export const PLANS = {
  standard: { perSecond: 2, burst: 50 },
  enterprise: { perSecond: 5, burst: 250 },
} as const;

function planLimits(plan: PlanOption): { perSecond: number; burst: number } | null {
  if (plan === 'off') return null;
  if (plan === 'standard' || plan === 'enterprise') return PLANS[plan];
  if (!(plan.perSecond > 0 && plan.burst >= 1)) throw new TypeError('plan needs perSecond > 0 and burst >= 1');
  return { perSecond: plan.perSecond, burst: plan.burst };
}

interface Webhook {
  userId: number;
  code: string;
  scopes: Set<string>;
}
interface App {
  clientId: string;
  clientSecret: string;
  scopes: Set<string>;
  applicationToken: string;
}
interface TokenRecord {
  userId: number;
  clientId: string;
  expiresAt: number;
}

/** JSON with PHP's array rules: a map with keys 0..n-1 is a list, an empty map is `[]`. */
function phpCollection(map: Map<string, unknown>): unknown {
  if (map.size === 0) return [];
  const keys = [...map.keys()];
  if (keys.every((key, index) => key === String(index))) return [...map.values()];
  return Object.fromEntries(map);
}

/** Start a portal emulator on loopback. Resolves once it is listening. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const now = options.now ?? (() => Date.now());
  const host = options.host ?? '127.0.0.1';
  const tokenTtlMs = (options.tokenTtlSec ?? 3600) * 1000;
  const clientLifetimeMs = (options.clientLifetimeSec ?? 25) * 1000;
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const corsOption = options.cors ?? 'loopback';
  const limits = planLimits(options.plan ?? 'standard');
  const operatingOption = options.operating === false ? null : (options.operating ?? {});
  const random = createPrng(options.seed ?? 1);
  const makeToken = (prefix: string): string => {
    let hex = '';
    for (let i = 0; i < 4; i++)
      hex += Math.floor(random() * 0x100000000)
        .toString(16)
        .padStart(8, '0');
    return `${prefix}${hex}`;
  };

  const timeline = new Timeline();
  const bucket = limits ? new LeakyBucket(limits.perSecond, limits.burst) : null;
  const operating = operatingOption ? new OperatingLimiter(operatingOption.budgetSec ?? 480) : null;
  const faults = new FaultBook(random);
  const deliveries: WebhookDelivery[] = [];
  const pending = new Set<Promise<void>>();
  const sockets = new Set<Socket>();
  const sseClients = new Set<ServerResponse>();
  let baseUrl = '';
  let domain = '';
  let memberId = '';
  let sweepTimer: ReturnType<typeof setTimeout> | null = null;
  let batchCounter = 0;
  let stats: EmulatorStats = emptyStats();

  let model: ChatModel;
  let webhooks: Map<string, Webhook>;
  let apps: Map<string, App>;
  let accessTokens: Map<string, TokenRecord>;
  let refreshTokens: Map<string, TokenRecord>;
  let fixtures: EmulatorFixtures;

  function emptyStats(): EmulatorStats {
    return {
      requests: 0,
      queryLimitExceeded: 0,
      operationTimeLimit: 0,
      byMethod: {},
      byStatus: {},
      batches: 0,
      faultsHit: 0,
    };
  }

  function issueToken(userId: number, opts: { clientId?: string; ttlSec?: number } = {}): OAuthTokens {
    const clientId = opts.clientId ?? fixtures.app.clientId;
    if (!apps.has(clientId)) throw new TypeError(`unknown OAuth application ${JSON.stringify(clientId)}`);
    if (!model.users.has(userId)) throw new TypeError(`unknown user ${userId}`);
    const record: TokenRecord = { userId, clientId, expiresAt: now() + (opts.ttlSec ?? tokenTtlMs / 1000) * 1000 };
    const accessToken = makeToken('');
    const refreshToken = makeToken('');
    accessTokens.set(accessToken, record);
    refreshTokens.set(refreshToken, { ...record, expiresAt: now() + 180 * 86_400_000 });
    return { accessToken, refreshToken, userId, clientId, expiresAt: record.expiresAt };
  }

  function addApp(clientId: string, clientSecret: string, scopes?: readonly string[]): App {
    const app: App = {
      clientId,
      clientSecret,
      scopes: new Set(scopes ?? DEFAULT_SCOPES),
      applicationToken: makeToken('app'),
    };
    apps.set(clientId, app);
    return app;
  }

  function botCredentials(bot: Bot): BotCredentials {
    return {
      id: bot.id,
      code: bot.code,
      botToken: bot.botToken,
      clientId: bot.clientId,
      applicationToken: bot.applicationToken,
    };
  }

  function seed(input: SeedInput) {
    for (const app of input.apps ?? []) addApp(app.clientId, app.clientSecret, app.scopes);
    for (const hook of input.webhooks ?? []) {
      webhooks.set(hook.code, { userId: hook.userId, code: hook.code, scopes: new Set(hook.scopes ?? DEFAULT_SCOPES) });
    }
    const result = model.seed(input);
    for (const id of result.bots) {
      const bot = model.bots.get(id)!;
      const app = bot.clientId ? apps.get(bot.clientId) : undefined;
      if (app) bot.applicationToken = app.applicationToken;
    }
    return result;
  }

  /** The default portal: three people, a group chat with two bots, a second chat without bots. */
  function build(): void {
    model = new ChatModel(timeline, now, makeToken, onBotEvent);
    webhooks = new Map();
    apps = new Map();
    accessTokens = new Map();
    refreshTokens = new Map();
    const app = addApp('local.emulator.app', 'emulator-client-secret');
    fixtures = {
      users: [],
      chats: [],
      webhookUserId: 1,
      app: { clientId: app.clientId, clientSecret: app.clientSecret, applicationToken: app.applicationToken },
      oauth: { accessToken: '', refreshToken: '', userId: 1, clientId: app.clientId, expiresAt: 0 },
      bots: {} as EmulatorFixtures['bots'],
    };
    if (!options.emptySeed) {
      seed({
        users: [
          { id: 1, name: 'Alice', lastName: 'Admin' },
          { id: 2, name: 'Bob', lastName: 'Builder' },
          { id: 3, name: 'Carol', lastName: 'Chen' },
        ],
        chats: [
          { id: 1, title: 'General', members: [1, 2, 3] },
          { id: 2, title: 'Team', members: [1, 2] },
        ],
        bots: [
          { id: 10, code: 'agent', name: 'Agent', botToken: 'agent-bot-token', chats: [1] },
          { id: 11, code: 'helper', name: 'Helper', clientId: app.clientId, chats: [1] },
        ],
        webhooks: [{ userId: 1, code: 'emulatorwebhook1' }],
      });
      const oauth = issueToken(1);
      // Fixed, readable tokens for the default user: tests and examples can hard-code them.
      accessTokens.set('emulator-access-token', accessTokens.get(oauth.accessToken)!);
      accessTokens.delete(oauth.accessToken);
      refreshTokens.set('emulator-refresh-token', refreshTokens.get(oauth.refreshToken)!);
      refreshTokens.delete(oauth.refreshToken);
      fixtures.oauth = { ...oauth, accessToken: 'emulator-access-token', refreshToken: 'emulator-refresh-token' };
      fixtures.bots = { agent: botCredentials(model.bots.get(10)!), helper: botCredentials(model.bots.get(11)!) };
    }
    if (options.initial) seed(options.initial);
    for (const fault of options.faults ?? []) faults.add(fault);
    refreshFixtureLists();
  }

  function refreshFixtureLists(): void {
    fixtures.users = [...model.users.values()].map((u) => ({ id: u.id, name: model.displayName(u.id) }));
    fixtures.chats = [...model.chats.values()]
      .filter((c) => c.type === 'chat')
      .map((c) => ({ id: c.id, dialogId: `chat${c.id}`, title: c.title, members: [...c.members] }));
  }

  // ---- events to bots ----

  function onBotEvent(bot: Bot, event: BotEvent): void {
    if (bot.eventMode !== 'webhook' || !bot.webhookUrl) return;
    const app = bot.clientId ? apps.get(bot.clientId) : undefined;
    const auth: Record<string, unknown> = {
      domain,
      client_endpoint: `${baseUrl}/rest/`,
      server_endpoint: `${baseUrl}/rest/`,
      member_id: memberId,
      status: 'L',
      application_token: bot.applicationToken,
    };
    if (app) {
      const tokens = issueToken(1, { clientId: app.clientId });
      Object.assign(auth, {
        access_token: tokens.accessToken,
        refresh_token: tokens.refreshToken,
        expires: Math.floor(tokens.expiresAt / 1000),
        expires_in: tokenTtlMs / 1000,
        scope: [...app.scopes].join(','),
        user_id: 1,
      });
    }
    const { bot: _fullBot, ...rest } = event.data;
    const payload = {
      event: event.type,
      data: { bot: { id: bot.id, code: bot.code, auth }, ...rest },
      ts: Math.floor(now() / 1000),
      auth,
    };
    const body = httpBuildQuery(payload);
    const url = bot.webhookUrl;
    const delivery: WebhookDelivery = {
      botId: bot.id,
      url,
      event: event.type,
      time: now(),
      status: null,
      error: null,
      body,
    };
    deliveries.push(delivery);
    const promise = deliverWebhook(url, body, 10_000).then((outcome) => {
      delivery.status = outcome.status;
      delivery.error = outcome.error;
      pending.delete(promise);
    });
    pending.add(promise);
  }

  // ---- indicator expiry in real time, so the SSE stream and the live page see `expired` hides ----

  function scheduleSweep(): void {
    if (sweepTimer) clearTimeout(sweepTimer);
    sweepTimer = null;
    const next = model.nextExpiry();
    if (next === null || closed) return;
    const delay = Math.min(2 ** 31 - 1, Math.max(0, next - now()) + 5);
    sweepTimer = setTimeout(() => {
      sweepTimer = null;
      model.sweep();
      scheduleSweep();
    }, delay);
    sweepTimer.unref?.();
  }

  // ---- responses ----

  function count(status: number): void {
    stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
  }

  function send(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
    contentType = 'application/json; charset=utf-8',
  ): void {
    if (res.headersSent || res.destroyed) return;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': contentType,
      'content-length': String(Buffer.byteLength(text)),
      'cache-control': 'no-store',
      ...headers,
    });
    res.end(text);
  }

  function sendError(res: ServerResponse, error: RestError, headers: Record<string, string>): number {
    count(error.status);
    send(res, error.status, error.toBody(), headers);
    return error.status;
  }

  function faultError(fault: Fault): RestError {
    const code = fault.error ?? 'INTERNAL_SERVER_ERROR';
    const known = (ERROR_CATALOG as Record<string, readonly [number, string]>)[code];
    return new RestError(code, fault.description ?? known?.[1] ?? 'Injected fault', fault.status ?? known?.[0] ?? 500);
  }

  // ---- REST ----

  function authenticate(
    route: { userId: number; code: string } | null,
    params: Params,
    req: IncomingMessage,
  ): AuthContext {
    if (route) {
      const hook = webhooks.get(route.code);
      if (!hook || hook.userId !== route.userId) throw restError('INVALID_CREDENTIALS');
      return {
        type: 'webhook',
        userId: hook.userId,
        scopes: hook.scopes,
        identity: `hook:${hook.code}`,
        clientId: null,
      };
    }
    let token = params.auth ?? params.access_token;
    const header = req.headers.authorization;
    if ((token === undefined || token === '') && header && /^Bearer\s+/i.test(header))
      token = header.replace(/^Bearer\s+/i, '');
    if (typeof token !== 'string' || token === '') throw restError('NO_AUTH_FOUND');
    const record = accessTokens.get(token);
    if (!record) throw restError('NO_AUTH_FOUND');
    if (record.expiresAt <= now()) throw restError('expired_token');
    const app = apps.get(record.clientId);
    return {
      type: 'oauth',
      userId: record.userId,
      scopes: app?.scopes ?? new Set(),
      identity: `app:${record.clientId}`,
      clientId: record.clientId,
    };
  }

  function record(
    method: string,
    rec: CallRecord,
    status: number,
    error: string | null,
    auth: AuthContext | null,
    batchId: number | null,
    time: number,
  ): void {
    timeline.push({
      kind: 'call',
      time,
      method,
      dialogId: rec.dialogId,
      chatId: rec.chatId,
      senderId: rec.senderId,
      botId: rec.botId,
      status,
      error,
      durationSec: rec.durationSec,
      statusMessageCode: rec.statusMessageCode,
      shown: rec.shown,
      visibleUntil: rec.visibleUntil,
      auth: auth?.type ?? 'none',
      batchId,
    });
  }

  /** One method call after auth: lookup, scope, operating limit, handler. Shared by plain calls and batch rows. */
  function invoke(
    methodName: string,
    params: Params,
    auth: AuthContext,
    batchId: number | null,
  ): { result: unknown; operating: { operating: number; resetAt: number } | undefined } {
    const key = methodName.toLowerCase();
    const definition = METHODS.get(ALIASES.get(key) ?? key);
    stats.byMethod[key] = (stats.byMethod[key] ?? 0) + 1;
    const rec = emptyRecord();
    const started = now();
    const name = definition?.name ?? methodName;
    try {
      if (!definition) throw restError('ERROR_METHOD_NOT_FOUND');
      if (batchId !== null) {
        const fault = faults.match(definition.name, true);
        if (fault) {
          stats.faultsHit++;
          throw faultError(fault);
        }
      }
      if (!auth.scopes.has(definition.scope)) {
        throw auth.type === 'webhook'
          ? restError('insufficient_scope')
          : restError('insufficient_scope', 'The request requires higher privileges than provided by the access token');
      }
      const opKey = `${auth.identity}|${definition.name}`;
      if (operating?.blocked(opKey, started)) {
        stats.operationTimeLimit++;
        throw restError('OPERATION_TIME_LIMIT');
      }
      model.sweep(started);
      const result = definition.handler(params, { auth, model, now: started, clientLifetimeMs, record: rec });
      let op: { operating: number; resetAt: number } | undefined;
      if (operating && operatingOption) {
        const cost = operatingOption.costSec;
        const seconds =
          typeof cost === 'function' ? cost(definition.name) : (cost ?? Math.max(0, now() - started) / 1000);
        operating.charge(opKey, started, seconds);
        op = operating.state(opKey, now());
      }
      record(name, rec, 200, null, auth, batchId, started);
      scheduleSweep();
      return { result, operating: op ?? { operating: 0, resetAt: Math.floor((started + 600_000) / 1000) } };
    } catch (error) {
      const restErr = error instanceof RestError ? error : restError('INTERNAL_SERVER_ERROR');
      record(name, rec, restErr.status, restErr.code, auth, batchId, started);
      throw restErr;
    }
  }

  function runBatch(params: Params, auth: AuthContext, batchId: number): unknown {
    const cmd = params.cmd;
    const halt = truthy(params.halt);
    const results = new Map<string, unknown>();
    const errors = new Map<string, unknown>();
    const times = new Map<string, unknown>();
    const entries: [string, unknown][] =
      cmd !== null && typeof cmd === 'object'
        ? Array.isArray(cmd)
          ? cmd.map((value, index) => [String(index), value])
          : Object.entries(cmd)
        : [];
    let index = 0;
    for (const [key, value] of entries) {
      if (index++ >= BATCH_MAX_LENGTH) {
        errors.set(key, restError('ERROR_BATCH_LENGTH_EXCEEDED').toBody());
        if (halt) break;
        continue;
      }
      const started = now();
      const text = typeof value === 'string' ? substituteResults(value, results) : '';
      const question = text.indexOf('?');
      const method = (question < 0 ? text : text.slice(0, question)).trim().replace(/\.json$/i, '');
      try {
        if (NOT_IN_BATCH.has(method.toLowerCase())) {
          stats.byMethod[method.toLowerCase()] = (stats.byMethod[method.toLowerCase()] ?? 0) + 1;
          const error = restError('ERROR_BATCH_METHOD_NOT_ALLOWED');
          record(method, emptyRecord(), error.status, error.code, auth, batchId, started);
          throw error;
        }
        const sub = parseQuery(question < 0 ? '' : text.slice(question + 1));
        delete sub.auth;
        const { result } = invoke(method, sub, auth, batchId);
        results.set(key, result);
        const finished = now();
        const t = timeBlock(started, finished);
        times.set(key, {
          start: t.start,
          finish: t.finish,
          duration: t.duration,
          processing: t.processing,
          date_start: t.date_start,
          date_finish: t.date_finish,
        });
      } catch (error) {
        const restErr = error instanceof RestError ? error : restError('INTERNAL_SERVER_ERROR');
        errors.set(key, restErr.toBody());
        if (halt) break;
      }
    }
    return {
      result: phpCollection(results),
      result_error: phpCollection(errors),
      result_total: [],
      result_next: [],
      result_time: phpCollection(times),
    };
  }

  /** `$result[key][field]` references to earlier results in a batch row (reference §8). */
  function substituteResults(text: string, results: Map<string, unknown>): string {
    return text.replace(/\$result\[([^\]]+)\]((?:\[[^\]]+\])*)/g, (match, key: string, path: string) => {
      let value: unknown = results.get(key);
      for (const part of path.match(/\[([^\]]+)\]/g) ?? []) {
        const name = part.slice(1, -1);
        value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined;
      }
      if (value === undefined || (value !== null && typeof value === 'object')) return match;
      return encodeURIComponent(String(value));
    });
  }

  async function handleRest(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    cors: Record<string, string>,
  ): Promise<void> {
    const started = now();
    stats.requests++;
    const segments = url.pathname
      .replace(/^\/rest\/?/, '')
      .split('/')
      .filter(Boolean)
      .map(safeDecode);
    let route: { userId: number; code: string } | null = null;
    let methodName: string;
    if (segments.length === 3 && /^\d+$/.test(segments[0]!)) {
      route = { userId: Number(segments[0]), code: segments[1]! };
      methodName = segments[2]!;
    } else if (segments.length === 1) {
      methodName = segments[0]!;
    } else {
      stats.byMethod[segments.join('/')] = (stats.byMethod[segments.join('/')] ?? 0) + 1;
      sendError(res, restError('ERROR_METHOD_NOT_FOUND'), cors);
      return;
    }
    methodName = methodName.replace(/\.json$/i, '');
    const isBatch = methodName.toLowerCase() === 'batch';
    let auth: AuthContext | null = null;
    let recorded = false;
    try {
      const fault = faults.match(methodName, false);
      if (fault) {
        stats.faultsHit++;
        if (fault.latencyMs) await delay(fault.latencyMs);
        if (fault.reset) {
          record(methodName, emptyRecord(), 0, 'RESET', null, null, started);
          req.socket.destroy();
          return;
        }
        if (fault.hang) {
          record(methodName, emptyRecord(), 0, 'HANG', null, null, started);
          return;
        }
        if (fault.status !== undefined || fault.error !== undefined) throw faultError(fault);
      }
      const body = await readBody(req, maxBodyBytes);
      const params = mergeParams(parseQuery(url.search.slice(1)), parseBody(body, req.headers['content-type']));
      if (bucket && !bucket.take(started)) {
        stats.queryLimitExceeded++;
        const limited = restError('QUERY_LIMIT_EXCEEDED');
        throw options.rateLimitStatus === 429 ? new RestError(limited.code, limited.message, 429) : limited;
      }
      auth = authenticate(route, params, req);
      delete params.auth;
      delete params.access_token;
      let result: unknown;
      let op: { operating: number; resetAt: number } | undefined;
      if (isBatch) {
        stats.batches++;
        stats.byMethod.batch = (stats.byMethod.batch ?? 0) + 1;
        const batchId = ++batchCounter;
        result = runBatch(params, auth, batchId);
        record('batch', emptyRecord(), 200, null, auth, batchId, started);
        recorded = true;
        op = { operating: 0, resetAt: Math.floor((started + 600_000) / 1000) };
      } else {
        recorded = true;
        ({ result, operating: op } = invoke(methodName, params, auth, null));
      }
      count(200);
      send(res, 200, { result, time: timeBlock(started, now(), op) }, cors);
    } catch (error) {
      if (error instanceof RestError) {
        // Errors before the handler ran (fault, body, limit, auth) still belong on the timeline.
        if (!recorded) record(methodName, emptyRecord(), error.status, error.code, auth, null, started);
        sendError(res, error, cors);
      } else {
        sendError(res, restError('INTERNAL_SERVER_ERROR'), cors);
      }
    }
  }

  // ---- OAuth refresh ----

  async function handleOAuth(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    cors: Record<string, string>,
  ): Promise<void> {
    const oauthError = (status: number, error: string, description: string) => {
      count(status);
      send(res, status, { error, error_description: description }, cors);
    };
    let params: Params;
    try {
      const body = await readBody(req, maxBodyBytes);
      params = mergeParams(parseQuery(url.search.slice(1)), parseBody(body, req.headers['content-type']));
    } catch (error) {
      if (error instanceof RestError) oauthError(error.status, 'invalid_request', error.message);
      return;
    }
    if (params.grant_type !== 'refresh_token') {
      oauthError(400, 'invalid_request', 'grant_type must be refresh_token');
      return;
    }
    const { client_id: clientId, client_secret: clientSecret, refresh_token: refreshToken } = params;
    if (typeof clientId !== 'string' || typeof clientSecret !== 'string' || typeof refreshToken !== 'string') {
      oauthError(400, 'invalid_request', 'client_id, client_secret and refresh_token are required');
      return;
    }
    const app = apps.get(clientId);
    if (!app || app.clientSecret !== clientSecret) {
      oauthError(401, 'invalid_client', 'Invalid client credentials');
      return;
    }
    const stored = refreshTokens.get(refreshToken);
    if (!stored || stored.clientId !== clientId || stored.expiresAt <= now()) {
      oauthError(400, 'invalid_grant', 'Invalid refresh token');
      return;
    }
    refreshTokens.delete(refreshToken);
    const tokens = issueToken(stored.userId, { clientId });
    count(200);
    send(
      res,
      200,
      {
        access_token: tokens.accessToken,
        client_endpoint: `${baseUrl}/rest/`,
        domain,
        expires: Math.floor(tokens.expiresAt / 1000),
        expires_in: Math.round(tokenTtlMs / 1000),
        member_id: memberId,
        refresh_token: tokens.refreshToken,
        scope: [...app.scopes].join(','),
        server_endpoint: `${baseUrl}/rest/`,
        status: 'L',
        user_id: tokens.userId,
      },
      cors,
    );
  }

  // ---- control & observation ----

  function snapshot(): Record<string, unknown> {
    const indicators = model.indicatorStates();
    return {
      now: now(),
      users: [...model.users.values()].map((u) => ({ id: u.id, name: model.displayName(u.id), bot: u.botId !== null })),
      chats: [...model.chats.values()].map((chat) => ({
        id: chat.id,
        type: chat.type,
        dialogId: `chat${chat.id}`,
        title: chat.type === 'private' ? [...chat.members].map((id) => model.displayName(id)).join(' & ') : chat.title,
        members: [...chat.members],
        indicators: indicators.filter((i) => i.chatId === chat.id),
        messages: model.messages
          .filter((m) => m.chatId === chat.id)
          .slice(-20)
          .map((m) => ({
            id: m.id,
            authorId: m.authorId,
            author: model.displayName(m.authorId),
            text: m.text,
            date: m.date,
            edited: m.edited,
          })),
      })),
      bots: [...model.bots.values()].map((b) => ({
        id: b.id,
        code: b.code,
        name: model.displayName(b.id),
        eventMode: b.eventMode,
        queued: b.events.length,
      })),
      stats: stats,
    };
  }

  function openSse(req: IncomingMessage, res: ServerResponse, url: URL, cors: Record<string, string>): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      ...cors,
    });
    res.write('retry: 1000\n\n');
    // A reconnecting EventSource sends Last-Event-ID: resume after it rather than replaying `?since=` again.
    const lastEventId = req.headers['last-event-id'];
    const since = Number(
      typeof lastEventId === 'string' && lastEventId !== '' ? lastEventId : (url.searchParams.get('since') ?? 'NaN'),
    );
    if (Number.isFinite(since)) {
      for (const entry of timeline.list(since)) res.write(`id: ${entry.seq}\ndata: ${JSON.stringify(entry)}\n\n`);
    }
    const unsubscribe = timeline.subscribe((entry) => {
      res.write(`id: ${entry.seq}\ndata: ${JSON.stringify(entry)}\n\n`);
    });
    const heartbeat = setInterval(() => res.write(': ping\n\n'), 15_000);
    heartbeat.unref?.();
    sseClients.add(res);
    const stop = () => {
      unsubscribe();
      clearInterval(heartbeat);
      sseClients.delete(res);
    };
    res.on('close', stop);
  }

  async function handleControl(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    cors: Record<string, string>,
  ): Promise<void> {
    const path = url.pathname.replace(/^\/_emulator\/?/, '').replace(/\/$/, '');
    const method = req.method ?? 'GET';
    const readJson = async (): Promise<Params> => parseJson(await readBody(req, maxBodyBytes));
    try {
      if (path === '' && method === 'GET') {
        send(res, 200, livePage(), cors, 'text/html; charset=utf-8');
      } else if (path === 'events' && method === 'GET') {
        openSse(req, res, url, cors);
      } else if (path === 'state' && method === 'GET') {
        send(res, 200, snapshot(), cors);
      } else if (path === 'timeline' && method === 'GET') {
        model.sweep();
        send(res, 200, { entries: timeline.list(Number(url.searchParams.get('since') ?? 0) || 0) }, cors);
      } else if (path === 'stats' && method === 'GET') {
        send(res, 200, stats, cors);
      } else if (path === 'fixtures' && method === 'GET') {
        send(res, 200, { ...fixtures, url: baseUrl, webhookUrl: emulator.webhookUrl() }, cors);
      } else if (path === 'seed' && method === 'POST') {
        const result = seed((await readJson()) as SeedInput);
        refreshFixtureLists();
        send(res, 200, result, cors);
      } else if (path === 'faults' && method === 'GET') {
        send(res, 200, { faults: faults.list() }, cors);
      } else if (path === 'faults' && method === 'POST') {
        send(res, 200, faults.add({ ...(await readJson()) } as FaultSpec), cors);
      } else if (path === 'faults' && method === 'DELETE') {
        faults.clear();
        send(res, 200, { faults: [] }, cors);
      } else if (path.startsWith('faults/') && method === 'DELETE') {
        send(res, faults.remove(Number(path.slice(7))) ? 200 : 404, { removed: true }, cors);
      } else if (path === 'reset' && method === 'POST') {
        emulator.reset();
        send(res, 200, { reset: true }, cors);
      } else if (path === 'tokens' && method === 'POST') {
        const body = await readJson();
        const userId = Number(body.userId ?? 1);
        send(res, 200, issueToken(userId, typeof body.clientId === 'string' ? { clientId: body.clientId } : {}), cors);
      } else if (path === 'messages' && method === 'POST') {
        const body = await readJson();
        const id = emulator.postMessage({
          from: Number(body.from),
          dialogId: String(body.dialogId),
          text: String(body.text ?? ''),
        });
        send(res, 200, { id }, cors);
      } else if (path === 'deliveries' && method === 'GET') {
        send(res, 200, { deliveries }, cors);
      } else {
        send(
          res,
          404,
          { error: 'NOT_FOUND', error_description: `No control route ${method} /_emulator/${path}` },
          cors,
        );
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      send(res, 400, { error: 'BAD_REQUEST', error_description: message }, cors);
    }
  }

  // ---- server ----

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://emulator.local');
    } catch {
      send(res, 400, { error: 'INVALID_REQUEST', error_description: 'Malformed URL' });
      return;
    }
    const origin = req.headers.origin;
    let cors: Record<string, string> = {};
    if (typeof origin === 'string') {
      const allowed = originAllowed(origin, corsOption);
      if (req.method === 'OPTIONS') {
        if (!allowed) {
          send(res, 403, { error: 'CORS_ORIGIN_NOT_ALLOWED', error_description: 'Origin is not on the allow-list' });
          return;
        }
        const headers = corsHeaders(origin, {
          requestHeaders: req.headers['access-control-request-headers'] as string | undefined,
          privateNetwork: req.headers['access-control-request-private-network'] === 'true',
        });
        res.writeHead(204, headers);
        res.end();
        return;
      }
      if (allowed) cors = corsHeaders(origin, null);
    }
    if (url.pathname === '/' || url.pathname === '') {
      send(res, 302, '', { location: '/_emulator/', ...cors }, 'text/plain');
    } else if (url.pathname.startsWith('/_emulator')) {
      await handleControl(req, res, url, cors);
    } else if (url.pathname === '/oauth/token' || url.pathname === '/oauth/token/') {
      await handleOAuth(req, res, url, cors);
    } else if (url.pathname.startsWith('/rest/')) {
      await handleRest(req, res, url, cors);
    } else {
      send(res, 404, { error: 'NOT_FOUND', error_description: 'Not found' }, cors);
    }
  }

  build();
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    onRequest(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, restError('INTERNAL_SERVER_ERROR').toBody());
      else res.destroy();
    });
  };
  const server: Server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler)
    : createHttpServer(handler);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  let closed = false;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  baseUrl = `${options.tls ? 'https' : 'http'}://${urlHost}:${port}`;
  domain = options.domain ?? `${urlHost}:${port}`;
  memberId = makeToken('');

  const emulator: Emulator = {
    url: baseUrl,
    port,
    restUrl: `${baseUrl}/rest/`,
    oauthUrl: `${baseUrl}/oauth/token/`,
    liveUrl: `${baseUrl}/_emulator/`,
    get fixtures() {
      return fixtures;
    },
    webhookUrl(userId = 1, scopes?: readonly string[]) {
      let hook = [...webhooks.values()].find((h) => h.userId === userId);
      if (!hook) {
        if (!model.users.has(userId)) throw new TypeError(`unknown user ${userId}`);
        hook = { userId, code: `emulatorwebhook${userId}`, scopes: new Set(scopes ?? DEFAULT_SCOPES) };
        webhooks.set(hook.code, hook);
      }
      return `${baseUrl}/rest/${userId}/${hook.code}/`;
    },
    issueToken,
    seed(input) {
      const result = seed(input);
      refreshFixtureLists();
      return result;
    },
    timeline(): TimelineEntry[] {
      model.sweep();
      return timeline.list();
    },
    visibility(dialogId, senderId) {
      model.sweep();
      const chat = model.resolveDialog(dialogId, senderId, { allowSg: true, create: false });
      if (!chat) return [];
      return visibilityFrom(timeline.list(), chat.id, senderId);
    },
    visibleThroughout(dialogId, senderId, from, to) {
      return emulator
        .visibility(dialogId, senderId)
        .some((interval) => interval.from <= from && (interval.to === null || interval.to >= to));
    },
    indicators: () => model.indicatorStates(),
    messages(chatId?: number): MessageEntry[] {
      return timeline
        .list()
        .filter(
          (e): e is MessageEntry => e.kind === 'message' && !e.edited && (chatId === undefined || e.chatId === chatId),
        );
    },
    postMessage({ from, dialogId, text }) {
      if (!model.users.has(from)) throw new TypeError(`unknown user ${from}`);
      const chat = model.resolveDialog(dialogId, from, { allowSg: true, create: true });
      if (!chat) throw new TypeError(`unknown dialog ${JSON.stringify(dialogId)}`);
      if (!chat.members.has(from)) throw new TypeError(`user ${from} is not a member of ${dialogId}`);
      const id = model.addMessage(chat, from, text).id;
      scheduleSweep();
      return id;
    },
    editMessage(messageId, text) {
      const message = model.messages.find((m) => m.id === messageId);
      if (!message) throw new TypeError(`unknown message ${messageId}`);
      model.editMessage(message, text);
    },
    stats: () => structuredClone(stats),
    addFault: (fault) => faults.add(fault),
    faults: () => faults.list(),
    clearFaults: () => faults.clear(),
    deliveries: () => deliveries.map((d) => ({ ...d })),
    async settled() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    reset() {
      timeline.clear();
      faults.clear();
      bucket?.reset();
      operating?.reset();
      deliveries.length = 0;
      stats = emptyStats();
      build();
      for (const client of sseClients) client.write(`data: ${JSON.stringify({ kind: 'reset', time: now() })}\n\n`);
    },
    close() {
      closed = true;
      if (sweepTimer) clearTimeout(sweepTimer);
      for (const client of sseClients) client.end();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
  return emulator;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export type { ErrorCode };
