import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { ServerResponse } from 'node:http';
import { type Bot, type BotEvent, ChatModel, type LegacyEventType } from './ChatModel';
import { checkedClock } from './ClockError';
import { createPrng } from './createPrng';
import { deliverWebhook } from './deliverWebhook';
import { FaultBook } from './FaultBook';
import { LeakyBucket } from './LeakyBucket';
import { legacyEventBody } from './legacyEventBody';
import type { AuthContext, CallRecord } from './methodContext';
import { OperatingLimiter } from './OperatingLimiter';
import type { Params } from './phpQuery';
import { DEFAULT_TIMELINE_LIMIT, Timeline } from './Timeline';
import { checkedCost, checkScopes, fail, isPositiveNumber, shown, validateOptions } from './validateOptions';
import { validateSeed } from './validateSeed';
import type {
  BotCredentials,
  CorsOption,
  EmulatorFixtures,
  EmulatorOptions,
  EmulatorStats,
  OAuthTokens,
  PlanOption,
  SeedInput,
  SeedResult,
  SeedWebhook,
  ReceivedCall,
  WebhookDelivery,
} from './types';
import { webhookEventBody } from './webhookEventBody';

export const PLANS = {
  standard: { perSecond: 2, burst: 50 },
  enterprise: { perSecond: 5, burst: 250 },
} as const;

const DEFAULT_SCOPES = ['im', 'imbot'];
const REFRESH_TOKEN_TTL_MS = 180 * 86_400_000;
const WEBHOOK_TIMEOUT_MS = 10_000;
/** How soon the expiry timer asks an injected clock again after it failed (see `scheduleSweep`). */
const CLOCK_RETRY_MS = 1000;
/** Webhook delivery records kept (`deliveries()`): the newest ones. */
export const DELIVERY_LIMIT = 1000;
/** Method calls whose params are kept (`received()`): the newest ones. */
export const RECEIVED_LIMIT = 1000;

/** Limits of a plan `validateOptions` accepted; null for `'off'`. */
function planLimits(plan: PlanOption): { perSecond: number; burst: number } | null {
  if (plan === 'off') return null;
  if (plan === 'standard' || plan === 'enterprise') return PLANS[plan];
  return { perSecond: plan.perSecond, burst: plan.burst };
}

export interface Webhook {
  userId: number;
  code: string;
  scopes: Set<string>;
  /** The local integration's `application_token`: events of bots registered through this webhook carry it. */
  applicationToken: string;
}

export interface App {
  clientId: string;
  clientSecret: string;
  scopes: Set<string>;
  applicationToken: string;
}

export interface TokenRecord {
  userId: number;
  clientId: string;
  expiresAt: number;
}

/** A message text: a string with something in it (the platform refuses empty ones: `MESSAGE_EMPTY`). */
export function checkText(where: string, text: unknown): asserts text is string {
  if (!(typeof text === 'string' && text.trim() !== '')) {
    fail(where, `text must be a non-empty string, got ${shown(text)}`);
  }
}

function emptyStats(): EmulatorStats {
  return {
    requests: 0,
    oauthRequests: 0,
    queryLimitExceeded: 0,
    operationTimeLimit: 0,
    byMethod: {},
    byStatus: {},
    batches: 0,
    faultsHit: 0,
  };
}

/**
 * Everything one emulated portal knows: the chat model, credentials, limits, faults, the timeline and counters.
 * The HTTP handlers read and change it; `startEmulator` wraps it in the public `Emulator` object.
 */
export class Portal {
  readonly now: () => number;
  /**
   * The latest reading `now()` returned. A request whose very first reading fails has no time of its own: its
   * timeline entry is stamped with this one, so the timeline stays in time order (the constructor reads the clock,
   * so there always is one).
   */
  lastKnownNow = 0;
  readonly tokenTtlMs: number;
  readonly clientLifetimeMs: number;
  readonly maxBodyBytes: number;
  readonly cors: CorsOption;
  readonly timeline: Timeline;
  readonly bucket: LeakyBucket | null;
  readonly operating: OperatingLimiter | null;
  readonly faults: FaultBook;
  readonly deliveries: WebhookDelivery[] = [];
  readonly received: ReceivedCall[] = [];
  readonly pending = new Set<Promise<void>>();
  /**
   * Event-stream subscribers, each with the way to send it a frame: behind whatever of its replay it has not taken
   * yet (`openEventStream`), so a reset reaches it after the entries from before the reset, not among them.
   */
  readonly sseClients = new Map<ServerResponse, (frame: string) => void>();
  stats: EmulatorStats = emptyStats();
  model!: ChatModel;
  webhooks!: Map<string, Webhook>;
  apps!: Map<string, App>;
  accessTokens!: Map<string, TokenRecord>;
  refreshTokens!: Map<string, TokenRecord>;
  fixtures!: EmulatorFixtures;
  baseUrl = '';
  domain = '';
  memberId = '';
  private batchCounter = 0;
  private readonly instance = randomBytes(4).toString('hex');
  private resets = 0;
  /** Seq and time of the latest reset; seq 0 before any. */
  private lastReset = { seq: 0, time: 0 };
  private sweepTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  /**
   * Aborted by close(): webhook deliveries still waiting for a handler. Each listens on its signal while it waits, and a
   * portal may have any number waiting (a burst of messages to a slow handler): no listener limit, which would only
   * print a MaxListenersExceededWarning for what is no leak (each delivery removes its listener when it ends).
   */
  private readonly closing = withoutListenerLimit(new AbortController());
  /** Fault latency timers still running; close() clears them so nothing keeps the process alive. */
  private readonly delays = new Set<ReturnType<typeof setTimeout>>();
  private readonly random: () => number;

  constructor(readonly options: EmulatorOptions) {
    validateOptions(options);
    const clock = options.now;
    const read = clock ? checkedClock(clock) : () => Date.now();
    this.now = () => {
      const t = read();
      this.lastKnownNow = t;
      return t;
    };
    this.tokenTtlMs = (options.tokenTtlSec ?? 3600) * 1000;
    this.clientLifetimeMs = (options.clientLifetimeSec ?? 25) * 1000;
    this.maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
    this.cors = options.cors ?? 'loopback';
    this.timeline = new Timeline(options.timelineLimit ?? DEFAULT_TIMELINE_LIMIT);
    const limits = planLimits(options.plan ?? 'standard');
    this.bucket = limits ? new LeakyBucket(limits.perSecond, limits.burst) : null;
    this.operating = options.operating === false ? null : new OperatingLimiter(options.operating?.budgetSec ?? 480);
    this.random = createPrng(options.seed ?? 1);
    this.faults = new FaultBook(this.random);
    this.build();
  }

  /** Server time charged to the operating limit for one call (option, else the real processing time). */
  operatingCost(method: string, startedMs: number): number {
    const cost = this.options.operating === false ? undefined : this.options.operating?.costSec;
    if (typeof cost === 'function') return checkedCost(method, cost(method));
    return cost ?? Math.max(0, this.now() - startedMs) / 1000;
  }

  /** Base URL known once listening; until then generated URLs are relative. */
  listening(baseUrl: string, domain: string): void {
    this.baseUrl = baseUrl;
    this.domain = domain;
    this.memberId = this.makeToken('');
  }

  makeToken(prefix: string): string {
    let hex = '';
    for (let i = 0; i < 4; i++) {
      hex += Math.floor(this.random() * 0x100000000)
        .toString(16)
        .padStart(8, '0');
    }
    return `${prefix}${hex}`;
  }

  nextBatchId(): number {
    return ++this.batchCounter;
  }

  countStatus(status: number): void {
    this.stats.byStatus[status] = (this.stats.byStatus[status] ?? 0) + 1;
  }

  /** Keeps a copy of what a method call was handed (`received()`): the handler's own reading cannot change it. */
  receive(method: string, params: Params, batchId: number | null): void {
    this.received.push({ method, batchId, params: structuredClone(params) });
    if (this.received.length > RECEIVED_LIMIT) this.received.splice(0, this.received.length - RECEIVED_LIMIT);
  }

  countMethod(name: string): void {
    const key = name.toLowerCase();
    this.stats.byMethod[key] = (this.stats.byMethod[key] ?? 0) + 1;
  }

  recordCall(
    method: string,
    rec: CallRecord,
    status: number,
    error: string | null,
    auth: AuthContext | null,
    batchId: number | null,
    time: number,
  ): void {
    this.timeline.push({
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

  // ---- credentials ----

  issueToken(userId: number, opts: { clientId?: string; ttlSec?: number } = {}): OAuthTokens {
    const clientId = opts.clientId ?? this.fixtures.app.clientId;
    if (typeof clientId !== 'string' || !this.apps.has(clientId)) {
      fail('issueToken', `unknown OAuth application ${shown(clientId)}`);
    }
    if (!this.model.users.has(userId)) fail('issueToken', `unknown user ${shown(userId)}`);
    if (opts.ttlSec !== undefined && !isPositiveNumber(opts.ttlSec)) {
      fail('issueToken', `ttlSec must be a positive number, got ${shown(opts.ttlSec)}`);
    }
    const now = this.now();
    const record: TokenRecord = { userId, clientId, expiresAt: now + (opts.ttlSec ?? this.tokenTtlMs / 1000) * 1000 };
    const accessToken = this.makeToken('');
    const refreshToken = this.makeToken('');
    this.accessTokens.set(accessToken, record);
    this.refreshTokens.set(refreshToken, { ...record, expiresAt: now + REFRESH_TOKEN_TTL_MS });
    return { accessToken, refreshToken, userId, clientId, expiresAt: record.expiresAt };
  }

  /** A webhook URL for a user, creating a webhook (default scopes `im`, `imbot`) if the user has none. */
  webhookUrl(userId: number, scopes?: readonly string[]): string {
    checkScopes('webhookUrl', 'scopes', scopes);
    let hook = [...this.webhooks.values()].find((h) => h.userId === userId);
    if (!hook) {
      if (!this.model.users.has(userId)) fail('webhookUrl', `unknown user ${shown(userId)}`);
      hook = this.addWebhook({ userId, code: `emulatorwebhook${userId}`, ...(scopes ? { scopes } : {}) });
    }
    return `${this.baseUrl}/rest/${userId}/${hook.code}/`;
  }

  /** The `application_token` of a user's webhook, creating the webhook like `webhookUrl` does. */
  webhookApplicationToken(userId: number): string {
    this.webhookUrl(userId);
    return [...this.webhooks.values()].find((h) => h.userId === userId)!.applicationToken;
  }

  private addWebhook(input: SeedWebhook): Webhook {
    const hook: Webhook = {
      userId: input.userId,
      code: input.code,
      scopes: new Set(input.scopes ?? DEFAULT_SCOPES),
      applicationToken: input.applicationToken ?? this.makeToken('hook'),
    };
    this.webhooks.set(hook.code, hook);
    return hook;
  }

  /** Credentials of a bot by id or code (what its webhook events are signed with included). */
  botCredentials(idOrCode: number | string): BotCredentials | null {
    const bots = [...this.model.bots.values()];
    const bot = typeof idOrCode === 'number' ? this.model.bots.get(idOrCode) : bots.find((b) => b.code === idOrCode);
    return bot ? this.credentialsOf(bot) : null;
  }

  private addApp(clientId: string, clientSecret: string, scopes?: readonly string[]): App {
    const app: App = {
      clientId,
      clientSecret,
      scopes: new Set(scopes ?? DEFAULT_SCOPES),
      applicationToken: this.makeToken('app'),
    };
    this.apps.set(clientId, app);
    return app;
  }

  // ---- seeding ----

  /** Adds to the portal; the whole input is checked first (`validateSeed`), so a bad seed changes nothing. */
  seed(input: SeedInput): SeedResult {
    validateSeed(input, {
      model: this.model,
      webhookCodes: new Set(this.webhooks.keys()),
      appIds: new Set(this.apps.keys()),
    });
    for (const app of input.apps ?? []) this.addApp(app.clientId, app.clientSecret, app.scopes);
    for (const hook of input.webhooks ?? []) this.addWebhook(hook);
    const result = this.model.seed(input);
    for (const id of result.bots) {
      const bot = this.model.bots.get(id)!;
      const app = bot.clientId ? this.apps.get(bot.clientId) : undefined;
      const given = input.bots?.find((b) => b.code === bot.code)?.applicationToken;
      if (given) bot.applicationToken = given;
      else if (app) bot.applicationToken = app.applicationToken;
    }
    this.refreshFixtureLists();
    return result;
  }

  /** The default portal: three people, a group chat with two bots, a second chat without bots. */
  private build(now = this.now()): void {
    this.model = new ChatModel(
      this.timeline,
      this.now,
      (prefix) => this.makeToken(prefix),
      (bot, event) => this.onBotEvent(bot, event),
      () => this.refreshFixtureLists(),
    );
    this.webhooks = new Map();
    this.apps = new Map();
    this.accessTokens = new Map();
    this.refreshTokens = new Map();
    const app = this.addApp('local.emulator.app', 'emulator-client-secret');
    this.fixtures = {
      users: [],
      chats: [],
      webhookUserId: 1,
      webhook: { userId: 1, code: '', applicationToken: '' },
      app: { clientId: app.clientId, clientSecret: app.clientSecret, applicationToken: app.applicationToken },
      oauth: { accessToken: '', refreshToken: '', userId: 1, clientId: app.clientId, expiresAt: 0 },
      bots: {} as EmulatorFixtures['bots'],
    };
    if (!this.options.emptySeed) {
      this.seed({
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
      // Fixed, readable tokens for the default user, so tests and examples can hard-code them.
      const record: TokenRecord = { userId: 1, clientId: app.clientId, expiresAt: now + this.tokenTtlMs };
      this.accessTokens.set('emulator-access-token', record);
      this.refreshTokens.set('emulator-refresh-token', { ...record, expiresAt: now + REFRESH_TOKEN_TTL_MS });
      this.fixtures.oauth = {
        accessToken: 'emulator-access-token',
        refreshToken: 'emulator-refresh-token',
        userId: 1,
        clientId: app.clientId,
        expiresAt: record.expiresAt,
      };
      this.fixtures.bots = {
        agent: this.credentialsOf(this.model.bots.get(10)!),
        helper: this.credentialsOf(this.model.bots.get(11)!),
      };
      const hook = this.webhooks.get('emulatorwebhook1')!;
      this.fixtures.webhook = { userId: 1, code: hook.code, applicationToken: hook.applicationToken };
    }
    if (this.options.initial) this.seed(this.options.initial);
    for (const fault of this.options.faults ?? []) this.faults.add(fault);
    this.refreshFixtureLists();
  }

  private credentialsOf(bot: Bot): BotCredentials {
    return {
      id: bot.id,
      code: bot.code,
      botToken: bot.botToken,
      clientId: bot.clientId,
      applicationToken: bot.applicationToken,
    };
  }

  private refreshFixtureLists(): void {
    const model = this.model;
    this.fixtures.users = [...model.users.values()].map((u) => ({ id: u.id, name: model.displayName(u.id) }));
    this.fixtures.chats = [...model.chats.values()]
      .filter((c) => c.type === 'chat')
      .map((c) => ({ id: c.id, dialogId: `chat${c.id}`, title: c.title, members: [...c.members] }));
  }

  /**
   * Identifies what a timeline cursor belongs to: this process (random, not from the seed, so a restart with the same
   * seed differs) and how many resets it has had. A cursor from another epoch is stale (see `cursorIsStale`).
   */
  get epoch(): string {
    return `${this.instance}-${this.resets}`;
  }

  /**
   * Whether a client's cursor (`since` seq, optionally with the epoch it came from) cannot be resumed here: another
   * epoch; a seq this process never reached (an older process's); or one from before the latest reset.
   */
  cursorIsStale(since: number, epoch: string | null): boolean {
    if (epoch !== null) return epoch !== this.epoch;
    if (since <= 0) return false; // no cursor: from the start
    return since > this.timeline.lastSeq || since < this.lastReset.seq;
  }

  /** The `reset` event: its own seq (spent by the clearing) and the new epoch. */
  resetEvent(): { kind: 'reset'; seq: number; time: number; epoch: string } {
    return { kind: 'reset', seq: this.lastReset.seq, time: this.lastReset.time, epoch: this.epoch };
  }

  /**
   * Back to the initial seed. The clearing spends one timeline seq, and SSE subscribers get it as
   * `{kind: 'reset', seq, time, epoch}` with that id; timeline sequence numbers keep growing.
   */
  reset(): void {
    // The clock is read first and once: one that fails (ClockError) leaves the portal as it was, not half reset.
    const time = this.now();
    const seq = this.timeline.clear();
    this.faults.clear();
    this.bucket?.reset();
    this.operating?.reset();
    this.deliveries.length = 0;
    this.received.length = 0;
    this.stats = emptyStats();
    this.build(time);
    this.resets++;
    this.lastReset = { seq, time };
    const event = this.resetEvent();
    const frame = `id: ${seq}@${event.epoch}\ndata: ${JSON.stringify(event)}\n\n`;
    for (const send of this.sseClients.values()) send(frame);
  }

  // ---- messages and events ----

  postMessage(from: number, dialogId: string, text: string): number {
    if (!this.model.users.has(from)) fail('postMessage', `unknown user ${shown(from)}`);
    if (typeof dialogId !== 'string') fail('postMessage', `dialogId must be a string, got ${shown(dialogId)}`);
    checkText('postMessage', text);
    const chat = this.model.resolveDialog(dialogId, from, { allowSg: true, create: true });
    if (!chat) fail('postMessage', `unknown dialog ${shown(dialogId)}`);
    if (!chat.members.has(from)) fail('postMessage', `user ${from} is not a member of ${dialogId}`);
    const id = this.model.addMessage(chat, from, text).id;
    this.scheduleSweep();
    return id;
  }

  /**
   * Webhook-mode delivery: one POST, no retries (reference §4.4); fetch-mode events wait in the bot's queue. A legacy
   * (v1) bot's events go, in v1 format only, to the handler its app bound for that event type (`imbot.register`), if
   * any: the same POST, the same timeout, the same `deliveries()` record.
   */
  private onBotEvent(bot: Bot, event: BotEvent): void {
    // An unregistered bot left its group chats: `fixtures.chats` lists members.
    if (event.type === 'ONIMBOTV2DELETE' || event.type === 'ONIMBOTDELETE') this.refreshFixtureLists();
    if (bot.legacy) {
      const handler = this.model.legacyHandlers.get(bot.appId)?.[event.type as LegacyEventType];
      if (!handler) return;
      this.deliver(bot, event.type, handler.url, legacyEventBody(bot, event, handler, this.eventAuth(bot), this.now()));
      return;
    }
    if (bot.eventMode !== 'webhook' || !bot.webhookUrl) return;
    this.deliver(bot, event.type, bot.webhookUrl, webhookEventBody(bot, event, this.eventAuth(bot), this.now()));
  }

  /**
   * The `auth` of an event to `bot`: the portal's endpoints and the bot's `application_token`; for an OAuth
   * application's bot also tokens issued to it (the app acts as its bot: a user 1 need not exist, the bot always does).
   */
  private eventAuth(bot: Bot): Record<string, unknown> {
    const app = bot.clientId ? this.apps.get(bot.clientId) : undefined;
    const auth: Record<string, unknown> = {
      domain: this.domain,
      client_endpoint: `${this.baseUrl}/rest/`,
      server_endpoint: `${this.baseUrl}/rest/`,
      member_id: this.memberId,
      status: 'L',
      application_token: bot.applicationToken,
    };
    if (app) {
      const tokens = this.issueToken(bot.id, { clientId: app.clientId });
      Object.assign(auth, {
        access_token: tokens.accessToken,
        refresh_token: tokens.refreshToken,
        expires: Math.floor(tokens.expiresAt / 1000),
        expires_in: this.tokenTtlMs / 1000,
        scope: [...app.scopes].join(','),
        user_id: tokens.userId,
      });
    }
    return auth;
  }

  /** One POST of an event body to a handler, recorded in `deliveries()` and awaited by `settled()`. */
  private deliver(bot: Bot, type: string, url: string, body: string): void {
    const delivery: WebhookDelivery = {
      botId: bot.id,
      url,
      event: type,
      time: this.now(),
      status: null,
      error: null,
      body,
    };
    this.deliveries.push(delivery);
    if (this.deliveries.length > DELIVERY_LIMIT) this.deliveries.splice(0, this.deliveries.length - DELIVERY_LIMIT);
    const promise = deliverWebhook(url, body, WEBHOOK_TIMEOUT_MS, this.closing.signal).then((outcome) => {
      delivery.status = outcome.status;
      delivery.error = outcome.error;
      this.pending.delete(promise);
    });
    this.pending.add(promise);
  }

  // ---- indicator expiry in real time, so the SSE stream and the live page see `expired` hides ----

  /**
   * Never throws: it runs after a call was answered and recorded (a throw would fail that call a second time) and
   * from a timer (a throw there would be an uncaught exception that ends the process). An injected clock that has
   * gone bad is asked again after `CLOCK_RETRY_MS`, so expiries reach the stream once it recovers.
   */
  scheduleSweep(): void {
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    this.sweepTimer = null;
    const next = this.model.nextExpiry();
    if (next === null || this.closed) return;
    let delay = CLOCK_RETRY_MS;
    try {
      delay = Math.min(2 ** 31 - 1, Math.max(0, next - this.now()) + 5);
    } catch {
      // The clock failed: retry later (above).
    }
    this.sweepTimer = setTimeout(() => {
      this.sweepTimer = null;
      try {
        this.model.sweep();
      } catch {
        // The clock failed: nothing is swept now; scheduleSweep retries.
      }
      this.scheduleSweep();
    }, delay);
    this.sweepTimer.unref?.();
  }

  /** Waits `ms` (a fault's latency); after close() it never resolves and holds no timer. */
  delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) return;
      const timer = setTimeout(() => {
        this.delays.delete(timer);
        resolve();
      }, ms);
      this.delays.add(timer);
    });
  }

  close(): void {
    this.closed = true;
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    for (const timer of this.delays) clearTimeout(timer);
    this.delays.clear();
    this.closing.abort();
    for (const client of this.sseClients.keys()) client.end();
  }
}

function withoutListenerLimit(controller: AbortController): AbortController {
  setMaxListeners(0, controller.signal);
  return controller;
}
