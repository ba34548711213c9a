/** Public types of the emulator. Kept in one file so tests and other packages can read the whole contract at once. */

/** Leaky-bucket numbers of the portal plan (reference §7): standard 2/s burst 50, enterprise 5/s burst 250. */
export type PlanOption = 'standard' | 'enterprise' | 'off' | { perSecond: number; burst: number };

export type CorsOption = 'loopback' | boolean | readonly string[];

export interface SeedUser {
  id?: number;
  name: string;
  lastName?: string;
  workPosition?: string;
}

export interface SeedChat {
  id?: number;
  title: string;
  /** Member user ids (bots are users too: a bot's id is its user id). */
  members?: readonly number[];
  /** Workgroup (`sg<N>`) this chat belongs to, so `sg<N>` dialog ids resolve to it in imbot.v2. */
  workgroupId?: number;
}

export interface SeedBot {
  id?: number;
  code: string;
  name: string;
  /** Webhook-mode identity (`'custom' + botToken`). Give either botToken or clientId. */
  botToken?: string;
  /** Owner OAuth application. */
  clientId?: string;
  type?: 'bot' | 'supervisor' | 'personal' | 'openline';
  eventMode?: 'fetch' | 'webhook';
  webhookUrl?: string;
  /** Chats the bot joins. */
  chats?: readonly number[];
  /** `auth[application_token]` of its webhook events. Default: the owner app's token, else generated. */
  applicationToken?: string;
}

export interface SeedWebhook {
  userId: number;
  code: string;
  scopes?: readonly string[];
  /**
   * The `application_token` of this local integration: webhook-mode events of bots registered through this
   * webhook are signed with it (a portal shows it in the integration's settings). Default: generated.
   */
  applicationToken?: string;
}

export interface SeedApp {
  clientId: string;
  clientSecret: string;
  scopes?: readonly string[];
}

export interface SeedInput {
  users?: readonly SeedUser[];
  chats?: readonly SeedChat[];
  bots?: readonly SeedBot[];
  webhooks?: readonly SeedWebhook[];
  apps?: readonly SeedApp[];
  /** `[chatId, userId]` pairs to add as members. */
  members?: readonly (readonly [number, number])[];
}

export interface SeedResult {
  users: number[];
  chats: number[];
  bots: number[];
}

export interface FaultSpec {
  /**
   * Method name (case-insensitive, e.g. `im.dialog.writing`, `batch`), `'oauth.token'` for the refresh endpoint
   * `/oauth/token/`, or `'*'` for every REST call (not `/oauth/token/`: name it). Default `'*'`.
   */
  method?: string;
  /** Reply with this HTTP status and error code (`{error, error_description}` envelope). */
  status?: number;
  error?: string;
  description?: string;
  /** Destroy the connection without a reply (once the request is read: the timeline says whose call it was). */
  reset?: boolean;
  /** Never reply (the socket stays open until the client gives up or the emulator closes). */
  hang?: boolean;
  /** Delay before the call is processed (combine with nothing to add latency, or with an error). */
  latencyMs?: number;
  /** Chance in 0..1 that a matching call is hit (seeded PRNG). Default 1. */
  probability?: number;
  /** Hit only the next N matching calls, then retire. Default: unlimited. */
  times?: number;
  /**
   * Reply with this raw body instead of running the call (the portal was not reached: a proxy's HTML 502 page,
   * `''` for an empty body). Status: `status`, default 200. Combines with `truncate` / `stallBody`.
   */
  body?: string;
  /** Content-Type of `body`. Default `application/json; charset=utf-8`. */
  contentType?: string;
  /**
   * Break the reply body (the real one: the call did run; or the `body` / error of this fault): only its first
   * half is sent. Alone, as a complete HTTP message (Content-Length of the half: broken JSON); with `reset`, the
   * whole length is announced and the connection is destroyed after the half (a body cut mid-transfer).
   */
  truncate?: boolean;
  /** Send the headers (announcing the whole length) and half the body, then nothing: a body that hangs. */
  stallBody?: boolean;
}

export interface Fault extends FaultSpec {
  id: number;
  hits: number;
}

export type HideCause = 'expired' | 'replaced' | 'message' | 'edit';

interface TimelineBase {
  /** Sequence number, strictly increasing. */
  seq: number;
  /** Emulator clock, epoch milliseconds. */
  time: number;
}

/**
 * A REST method call (one per batch sub-command too; the outer `batch` is recorded as well).
 *
 * `dialogId`, `chatId`, `senderId` and `botId` say whose call it was, so a test can tell whose indicator a failure
 * held up. A call refused before its method ran (the leaky bucket's `QUERY_LIMIT_EXCEEDED`, an injected error
 * fault, a reset, hang or `body` fault, `insufficient_scope`, `OPERATION_TIME_LIMIT`, an auth error; a batch command
 * refused by a fault, the scope or past the 50th too) has them read from its parameters without acting on them, for
 * the indicator methods and the imbot.v2 calls that name a bot: the dialog as passed, its chat where it resolves
 * without creating one, the sender (the authenticated user for `im.dialog.writing`, the bot's user id for imbot
 * calls), the bot. Credentials that did not authenticate vouch for nobody: an auth error gives what the parameters
 * name (dialog, bot, a `chat<N>`'s chat) and no user sender. A `batch` refused as a whole (bucket, error fault, reset,
 * hang or `body` fault, auth) has an entry for each command as well, though none ran (the batch's status and code, its
 * `batchId`), before its own. They stay null when nothing could be read (the client hung up mid-body), a body that
 * cannot be parsed, other methods. The reply to a refusal is unchanged (reference §6, §7): this record is for tests
 * only.
 */
export interface CallEntry extends TimelineBase {
  kind: 'call';
  method: string;
  /** Dialog id as the caller passed it (null when absent or unreadable). */
  dialogId: string | null;
  /** The chat the dialog id resolves to (for a refusal: only if it already exists). */
  chatId: number | null;
  /** User id of whoever the indicator is for (the user, or the bot's user id). */
  senderId: number | null;
  botId: number | null;
  status: number;
  error: string | null;
  /** `duration` after clamping (v2), null when not given. */
  durationSec: number | null;
  statusMessageCode: string | null;
  /** True when the call made an indicator visible (a success on a resolvable chat). */
  shown: boolean;
  visibleUntil: number | null;
  /** How the call authenticated: `'none'` when it was refused before or at authentication. */
  auth: 'webhook' | 'oauth' | 'none';
  /** Id shared by a `batch` call and its sub-commands (null outside batches). */
  batchId: number | null;
}

export interface HideEntry extends TimelineBase {
  kind: 'hide';
  chatId: number;
  dialogId: string;
  senderId: number;
  cause: HideCause;
}

export interface MessageEntry extends TimelineBase {
  kind: 'message';
  chatId: number;
  dialogId: string;
  authorId: number;
  messageId: number;
  text: string;
  edited: boolean;
  /** A soft delete (`im.message.delete`, or an update to an empty text): `text` is the deleted text. */
  deleted: boolean;
}

export type TimelineEntry = CallEntry | HideEntry | MessageEntry;

/** A maximal interval during which an indicator was continuously visible (replacements do not break it). */
export interface VisibilityInterval {
  from: number;
  /** Null while still visible. */
  to: number | null;
  /** Why it ended (null while still visible). */
  endCause: Exclude<HideCause, 'replaced'> | null;
  /** Number of calls that (re)started it within the interval. */
  calls: number;
}

export interface IndicatorState {
  chatId: number;
  dialogId: string;
  senderId: number;
  senderName: string;
  statusMessageCode: string | null;
  /** English display text, e.g. "Agent is thinking..." or "Anna is typing...". */
  text: string;
  since: number;
  visibleUntil: number;
}

export interface EmulatorStats {
  /** HTTP requests to `/rest/` and `/oauth/token/` (a batch is one). */
  requests: number;
  /** Requests to `/oauth/token/` (included in `requests`). */
  oauthRequests: number;
  /** Replies with `QUERY_LIMIT_EXCEEDED` from the leaky bucket. */
  queryLimitExceeded: number;
  /** Replies with `OPERATION_TIME_LIMIT`. */
  operationTimeLimit: number;
  /** Method calls, counting batch sub-commands, by lower-case method name. */
  byMethod: Record<string, number>;
  /** Replies by HTTP status. */
  byStatus: Record<string, number>;
  /** Batches that ran: each top-level `batch` request, and each nested `BATCH` command (the same methodsBatch). */
  batches: number;
  faultsHit: number;
}

export interface WebhookDelivery {
  botId: number;
  url: string;
  event: string;
  time: number;
  /** HTTP status of the bot's handler, or null when the connection failed. */
  status: number | null;
  error: string | null;
  /** The form-encoded body as sent. */
  body: string;
}

/** One method call as the portal read it (`received()`), a batch command included. */
export interface ReceivedCall {
  /** The method name as called (a batch command's as written in its query string). */
  method: string;
  /** Shared with the `batch` call that carried it (the timeline's `batchId`); null outside batches. */
  batchId: number | null;
  /**
   * The parameters the method was handed, as parsed (reference §5): a JSON body keeps its types (arrays stay arrays,
   * `null` stays); a form body, the query and a batch command's query string give strings in nested records (PHP
   * bracket syntax). `auth`/`access_token` are taken out; any other credential the caller sent (`botToken`,
   * `CLIENT_ID`) is kept, as sent: this is for tests in the same process and is not served over HTTP.
   */
  params: Record<string, unknown>;
}

export interface OAuthTokens {
  accessToken: string;
  refreshToken: string;
  userId: number;
  clientId: string;
  /** Epoch ms when the access token expires. */
  expiresAt: number;
}

export interface BotCredentials {
  id: number;
  code: string;
  /** Webhook-mode token (null for bots owned by an OAuth application). */
  botToken: string | null;
  clientId: string | null;
  /** `auth[application_token]` carried by this bot's webhook events. */
  applicationToken: string;
}

/** Known credentials of the default seed, so tests can call the emulator without a setup step. */
export interface EmulatorFixtures {
  users: { id: number; name: string }[];
  chats: { id: number; dialogId: string; title: string; members: number[] }[];
  /** Webhook owner: user 1. */
  webhookUserId: number;
  /** The default webhook (local integration) of user 1; REST-registered bots behind it sign events with its `applicationToken`. */
  webhook: { userId: number; code: string; applicationToken: string };
  app: { clientId: string; clientSecret: string; applicationToken: string };
  /** OAuth tokens for user 1 issued to `app`. */
  oauth: OAuthTokens;
  /** `agent`: a webhook-mode (botToken) bot in fetch mode; `helper`: owned by `app` (OAuth). Both in chat 1. */
  bots: { agent: BotCredentials; helper: BotCredentials };
}

export interface EmulatorOptions {
  /** TCP port, default 0 (random free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Leaky bucket; default `'standard'`. */
  plan?: PlanOption;
  /**
   * HTTP status of `QUERY_LIMIT_EXCEEDED`: 503 (general docs, default) or 429 (what the imbot.v2 docs say).
   * Clients must classify by the error code, so tests can run both.
   */
  rateLimitStatus?: 503 | 429;
  /** OAuth access-token lifetime, default 3600 s. */
  tokenTtlSec?: number;
  /** How long a client shows an indicator sent without a duration (im.dialog.writing, sendTyping, notify without duration). Default 25 s. */
  clientLifetimeSec?: number;
  /**
   * Operating limit per method and identity, 10 one-minute buckets. `budgetSec` default 480 (cloud example);
   * `costSec` is the server time charged per call (default: the real processing time, i.e. about zero).
   * `false` switches it off.
   */
  operating?: false | { budgetSec?: number; costSec?: number | ((method: string) => number) };
  /** Seed for the PRNG behind fault probabilities and generated tokens. Default 1. */
  seed?: number;
  /** Injected clock (epoch ms). Default `Date.now`, read at call time. */
  now?: () => number;
  /** Extra users/chats/bots/webhooks/apps on top of the default seed. */
  initial?: SeedInput;
  /** Skip the default seed (users 1-3, chats 1-2, bots agent/helper, app, webhook of user 1). */
  emptySeed?: boolean;
  faults?: readonly FaultSpec[];
  /** Origins allowed by CORS. Default `'loopback'` (any http(s) origin on 127.0.0.1/localhost/[::1]). */
  cors?: CorsOption;
  /** Serve HTTPS with this certificate and key (PEM). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Largest accepted request body, default 1 MiB. */
  maxBodyBytes?: number;
  /**
   * How many timeline entries are kept: the newest `timelineLimit` (a positive integer), default 100,000. Older
   * ones are dropped, so a long-running emulator does not grow without bound. `seq` keeps counting up (never
   * reused or reset), so `timeline()`, `/_emulator/timeline?since=` and `/_emulator/events?since=` go on working;
   * a poller that fell behind sees the first entry's `seq` above `since + 1`: the entries in between are gone.
   * Everything computed from the timeline sees only what is kept (`visibility`, `visibleThroughout`, `messages`).
   * Listeners and SSE subscribers still get every entry as it is added.
   */
  timelineLimit?: number;
  /** The portal's domain, reported in events (`auth[domain]`), default `<host>:<port>`. A token refresh reports the OAuth server's `oauth.bitrix.info`, as documented (reference §5). */
  domain?: string;
}

export interface Emulator {
  /** Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** OAuth `client_endpoint`: `<url>/rest/`. */
  readonly restUrl: string;
  /** OAuth refresh endpoint: `<url>/oauth/token/`. */
  readonly oauthUrl: string;
  /** Live HTML page: `<url>/_emulator/`. */
  readonly liveUrl: string;
  readonly fixtures: EmulatorFixtures;
  /** Webhook base URL for a user, ending in `/` (creates a webhook for that user if none exists). Default user 1. */
  webhookUrl(userId?: number, scopes?: readonly string[]): string;
  /**
   * The `application_token` a bot's webhook events carry (`auth[application_token]`), by id or code; null when no
   * such bot. For a bot registered through a webhook it is that webhook's token ({@link Emulator.webhookApplicationToken}),
   * for one owned by an OAuth application the application's token.
   */
  bot(idOrCode: number | string): BotCredentials | null;
  /** The `application_token` of a user's webhook (local integration), creating the webhook like `webhookUrl`. Default user 1. */
  webhookApplicationToken(userId?: number): string;
  /** Issue fresh OAuth tokens for a user (default app). */
  issueToken(userId: number, options?: { clientId?: string; ttlSec?: number }): OAuthTokens;
  seed(input: SeedInput): SeedResult;
  /** The timeline so far, oldest first: its newest `timelineLimit` entries (expired indicators are materialised up to `now()`). */
  timeline(): TimelineEntry[];
  /** Continuous visibility intervals of one indicator. `dialogId` as the sender would pass it (`chat1`, or the other user's id). */
  visibility(dialogId: string, senderId: number): VisibilityInterval[];
  /** Whether the indicator was visible during the whole of [from, to]; a still-open interval counts up to `now()`. */
  visibleThroughout(dialogId: string, senderId: number, from: number, to: number): boolean;
  /** Indicators visible now. */
  indicators(): IndicatorState[];
  /**
   * Message entries of the timeline (as first posted; edits and deletions left out), of one chat or all: computed from the timeline,
   * so only among the entries it keeps (`timelineLimit`). The chats themselves keep every message, as a portal does.
   */
  messages(chatId?: number): MessageEntry[];
  /** Post a message as a user (same effects as `im.message.add`: hides their indicator, sends bot events). */
  postMessage(input: { from: number; dialogId: string; text: string }): number;
  /** Edit a message (hides the author's indicator, cause `edit`); a deleted one is refused, as `im.message.update` refuses it. */
  editMessage(messageId: number, text: string): void;
  stats(): EmulatorStats;
  addFault(fault: FaultSpec): Fault;
  faults(): Fault[];
  clearFaults(): void;
  /** Webhook delivery attempts, oldest first: the newest 1,000. */
  deliveries(): WebhookDelivery[];
  /**
   * What each method call received, oldest first: the newest 1,000. So a test can check what a client's encoding
   * (JSON body, form body, batch command) came to on the portal's side, which no method's result shows.
   */
  received(): ReceivedCall[];
  /** Wait until every pending webhook delivery has settled. */
  settled(): Promise<void>;
  /**
   * Back to the initial seed: clears timeline, messages, issued tokens, buckets, counters; faults return to the `faults`
   * option. Starts a new epoch: event streams get `{kind: 'reset'}`, and a stream or timeline poller that resumes from a
   * cursor of before is told so (README, "Reset and restart").
   */
  reset(): void;
  close(): Promise<void>;
}
