import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { post, type Reply } from '../test/http';
import { startEmulator } from './startEmulator';
import type { CallEntry, Emulator, PlanOption, VisibilityInterval } from './types';

/**
 * The emulator against a small model written from the platform reference (`/work/shared/reference/bitrix24-rest.md`,
 * cited as §n), not from the emulator's code: random sequences of indicator calls, messages, edits, batches and clock
 * advances go over HTTP; after each step the replies, what is visible and the visibility history must match the model.
 * Where the reference is silent the model follows the emulator's README and says so.
 *
 * `FC_NUM_RUNS` raises the run count for a long run (the default keeps this file under a few seconds).
 */

const T0 = 1_800_000_000_000;
const RUNS = Number(process.env.FC_NUM_RUNS ?? 100);

const WRITING = 'im.dialog.writing';
const SEND_TYPING = 'imbot.chat.sendTyping';
const NOTIFY = 'imbot.v2.Chat.InputAction.notify';
const MESSAGE_ADD = 'im.message.add';
const MESSAGE_UPDATE = 'im.message.update';
const BOT_SEND = 'imbot.v2.Chat.Message.send';
const METHODS = [WRITING, SEND_TYPING, NOTIFY, MESSAGE_ADD, MESSAGE_UPDATE, BOT_SEND] as const;
type Method = (typeof METHODS)[number];

/** §2: the 11 documented codes and their EN texts. */
const CODE_TEXTS: Record<string, string> = {
  IMBOT_AGENT_ACTION_THINKING: 'Agent is thinking...',
  IMBOT_AGENT_ACTION_SEARCHING: 'Agent is searching for information...',
  IMBOT_AGENT_ACTION_GENERATING: 'Agent is preparing a response...',
  IMBOT_AGENT_ACTION_ANALYZING: 'Agent is analyzing the request...',
  IMBOT_AGENT_ACTION_PROCESSING: 'Agent is processing data...',
  IMBOT_AGENT_ACTION_TRANSLATING: 'Agent is translating text...',
  IMBOT_AGENT_ACTION_CONNECTING: 'Agent is connecting to the service...',
  IMBOT_AGENT_ACTION_CHECKING: 'Agent is checking data...',
  IMBOT_AGENT_ACTION_CALCULATING: 'Agent is calculating...',
  IMBOT_AGENT_ACTION_READING_DOCS: 'Agent is reviewing documents...',
  IMBOT_AGENT_ACTION_COMPOSING: 'Agent is composing a response...',
};

// The portal: the emulator's default seed (README "The default portal") plus a workgroup chat 7 (`sg5`) with the agent.
const USERS = new Set([1, 2, 3, 10, 11]);
const GROUPS = new Map<number, { members: ReadonlySet<number>; workgroup: number | null }>([
  [1, { members: new Set([1, 2, 3, 10, 11]), workgroup: null }],
  [2, { members: new Set([1, 2]), workgroup: null }],
  [7, { members: new Set([1, 2, 10]), workgroup: 5 }],
]);
/** Owner identity per bot: `'custom' + botToken` under a webhook (§1.2, §1.3), else the OAuth application. */
const BOT_APPS = new Map([
  [10, 'customagent-bot-token'],
  [11, 'local.emulator.app'],
]);
/** Who calls: the webhooks of users 1-3, or `app`, the OAuth application `local.emulator.app` acting as user 1 (§5). */
type Caller = 1 | 2 | 3 | 'app';
const CALLERS: readonly Caller[] = [1, 2, 3, 'app'];
const userOf = (caller: Caller): number => (caller === 'app' ? 1 : caller);

// ---------------------------------------------------------------------------------------------------------------
// The model

/** A chat as a key: `chat<N>` for a group chat, `p<a>_<b>` for the private chat of users a < b. */
type ChatKey = string;
const privateKey = (a: number, b: number): ChatKey => (a < b ? `p${a}_${b}` : `p${b}_${a}`);
/** The dialog id `sender` uses for a chat (§1.3: `chat{chatId}`, or the counterpart's user id). */
function dialogOf(chat: ChatKey, sender: number): string {
  const m = /^p(\d+)_(\d+)$/.exec(chat);
  if (!m) return chat;
  return Number(m[1]) === sender ? m[2]! : m[1]!;
}

/** PHP `intval` on what the portal received (JSON scalars or query strings). */
function intval(value: unknown): number {
  if (typeof value === 'number') return Math.trunc(value);
  if (typeof value === 'string') {
    const m = /^[ \t\n\r\v\f]*([+-]?\d+)/.exec(value);
    return m ? Number(m[1]) : 0;
  }
  return 0;
}
/** PHP 8 `is_numeric` for the values generated here. */
const isNumeric = (v: unknown): boolean =>
  typeof v === 'number' ||
  (typeof v === 'string' && /^[ \t\n\r\v\f]*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[ \t\n\r\v\f]*$/.test(v));
const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);
/**
 * `Dialog::hasAccess` (yuliai/bitrix-modules@026c2eea im/lib/dialog.php): a `chat`/`sg`/`crm` id in any case needs
 * the group chat it names (`sg<N>`: the workgroup's; `crm<N>`: none) with the caller in it; a user id must be a user
 * (an unknown one is a NullUser, which refuses: methods.test.ts).
 */
function hasDialogAccess(dialogId: string, user: number): boolean {
  const m = /^(chat|sg|crm)(\d+)$/i.exec(dialogId);
  if (!m) return USERS.has(Number(dialogId));
  const [prefix, n] = [m[1]!.toLowerCase(), Number(m[2])];
  const id = prefix === 'chat' ? n : prefix === 'sg' ? [...GROUPS].find(([, g]) => g.workgroup === n)?.[0] : undefined;
  return id !== undefined && (GROUPS.get(id)?.members.has(user) ?? false);
}

/** `\Bitrix\Im\Common::isDialogId` (§1.1). */
const isDialogId = (d: string) => /^([0-9]+|(chat|sg|crm)[0-9]+)$/i.test(d);

/**
 * What a call should get. `errors` lists the acceptable codes: one, except where the reference does not fix the order
 * of two checks; `'any'` where it names no code at all (imbot.v2 binder errors, §1.3 and "Not found / unknowns").
 */
type Outcome =
  | { ok: true; result: unknown; operating?: { operating: number; resetAt: number } }
  | { ok: false; status: number; errors: readonly string[] | 'any' };

const fail = (status: number, ...errors: string[]): Outcome => ({ ok: false, status, errors });
const binderError: Outcome = { ok: false, status: 400, errors: 'any' };

interface Shown {
  since: number;
  until: number;
  code: string | null;
}

interface Config {
  plan: PlanOption;
  rateLimitStatus: 503 | 429;
  clientLifetimeSec: number | undefined;
  operating: { budgetSec: number; costs: Record<Method, number> } | undefined;
}

class Model {
  now = T0;
  /** The indicator the current call started (for its timeline entry), null when it showed none. */
  lastShown: Shown | null = null;
  /** Visible indicators, one per (chat, sender) (§3: the client's timer key is `dialogId|userId`). */
  readonly shown = new Map<string, Shown>();
  readonly intervals = new Map<string, VisibilityInterval[]>();
  readonly messages: { id: number; author: number; chat: ChatKey }[] = [];
  queryLimitExceeded = 0;
  operationTimeLimit = 0;
  requests = 0;
  /** §7 counter in thousandths of a request, so the drain (Y per second, i.e. Y thousandths per ms) stays exact. */
  private level = 0;
  private last: number | null = null;
  /** §7 operating usage: per `identity|method`, one-minute buckets with the time of their first call. */
  private readonly usage = new Map<string, Map<number, { sec: number; firstAt: number }>>();

  constructor(readonly config: Config) {}

  get lifetimeMs(): number {
    // §2/§3: no duration → the web client's default, 25 s (the emulator's `clientLifetimeSec`).
    return (this.config.clientLifetimeSec ?? 25) * 1000;
  }

  private limits(): { perSecond: number; burst: number } | null {
    const { plan } = this.config;
    if (plan === 'off') return null;
    // §7: standard 2/s, X = 50; enterprise 5/s, X = 250.
    if (plan === 'standard') return { perSecond: 2, burst: 50 };
    if (plan === 'enterprise') return { perSecond: 5, burst: 250 };
    return plan;
  }

  /** Lapses every indicator whose timer ran out by `now` (§3 "the timer expires"). */
  expire(): void {
    for (const [key, s] of [...this.shown]) {
      if (s.until > this.now) continue;
      this.shown.delete(key);
      const open = this.intervals.get(key)!.at(-1)!;
      open.to = s.until;
      open.endCause = 'expired';
    }
  }

  /** §3: a call (re)starts the indicator with a fresh timer and the new status. */
  show(chat: ChatKey, sender: number, code: string | null, lifetimeMs: number): void {
    const key = `${chat}|${sender}`;
    const list = this.intervals.get(key) ?? [];
    this.intervals.set(key, list);
    const last = list.at(-1);
    if (this.shown.has(key)) last!.calls++;
    else if (last && last.endCause === 'expired' && last.to === this.now) {
      // README "Observation": a renewal at the very instant of expiry continues the interval (no visible gap).
      last.to = null;
      last.endCause = null;
      last.calls++;
    } else list.push({ from: this.now, to: null, endCause: null, calls: 1 });
    this.lastShown = { since: this.now, until: this.now + lifetimeMs, code };
    this.shown.set(key, this.lastShown);
  }

  /** §3: a new message, or an edit, by the sender hides that sender's indicator in that chat. */
  hide(chat: ChatKey, sender: number, cause: 'message' | 'edit'): void {
    const key = `${chat}|${sender}`;
    if (!this.shown.delete(key)) return;
    const open = this.intervals.get(key)!.at(-1)!;
    open.to = this.now;
    open.endCause = cause;
  }

  /** §7: one HTTP request (a batch is one). A refused one is not counted (the reference is silent; README's choice). */
  admit(): boolean {
    this.requests++;
    this.lastShown = null;
    const limits = this.limits();
    if (!limits) return true;
    if (this.last !== null) this.level = Math.max(0, this.level - (this.now - this.last) * limits.perSecond);
    this.last = this.now;
    // "When the counter exceeds X, the next request is blocked."
    if (this.level > limits.burst * 1000) {
      this.queryLimitExceeded++;
      return false;
    }
    this.level += 1000;
    return true;
  }

  private buckets(key: string) {
    const buckets = this.usage.get(key) ?? new Map<number, { sec: number; firstAt: number }>();
    this.usage.set(key, buckets);
    // §7: a bucket drops out 10 minutes after the first call charged into it (`operating_reset_at`).
    for (const [start, b] of buckets) if (b.firstAt + 600_000 <= this.now) buckets.delete(start);
    return buckets;
  }

  /** The next instant a charged operating bucket drops out, if any. */
  nextReset(): number | null {
    let next: number | null = null;
    for (const buckets of this.usage.values()) {
      for (const b of buckets.values()) {
        const at = b.firstAt + 600_000;
        if (at > this.now && (next === null || at < next)) next = at;
      }
    }
    return next;
  }

  private operatingState(key: string) {
    let operating = 0;
    let oldest = Number.POSITIVE_INFINITY;
    for (const b of this.buckets(key).values()) {
      operating += b.sec;
      oldest = Math.min(oldest, b.firstAt);
    }
    return { operating, resetAt: Math.floor(((Number.isFinite(oldest) ? oldest : this.now) + 600_000) / 1000) };
  }

  /**
   * One method call (plain, or a batch command) by `caller`. §7: per method and webhook or app, once the
   * 10-minute usage exceeds the budget the method answers 429 `OPERATION_TIME_LIMIT`. Which calls are charged is not
   * in the reference; the model charges completed calls only, as the emulator does (README "Limits").
   */
  call(method: Method, params: Record<string, unknown>, caller: Caller): Outcome {
    this.lastShown = null;
    const op = this.config.operating;
    const key = `${caller}|${method}`;
    if (op && this.operatingState(key).operating > op.budgetSec) {
      this.operationTimeLimit++;
      return fail(429, 'OPERATION_TIME_LIMIT');
    }
    const outcome = this.run(method, params, caller);
    if (outcome.ok && op) {
      const buckets = this.buckets(key);
      const start = Math.floor(this.now / 60_000) * 60_000;
      const b = buckets.get(start);
      if (b) b.sec += op.costs[method];
      else buckets.set(start, { sec: op.costs[method], firstAt: this.now });
      return { ...outcome, operating: this.operatingState(key) };
    }
    return outcome;
  }

  /** StartWriting's chat (§1.1): `chat<N>` or a user id (private chat created), never yourself, never `sg`/`crm`. */
  private startWritingChat(dialogId: string, sender: number): ChatKey | null {
    if (dialogId === String(sender)) return null;
    const chat = /^chat(\d+)$/.exec(dialogId);
    if (chat) return GROUPS.has(Number(chat[1])) ? `chat${Number(chat[1])}` : null;
    if (/^\d+$/.test(dialogId)) return USERS.has(Number(dialogId)) ? privateKey(sender, Number(dialogId)) : null;
    return null; // §1.1 [I]: sg…/crm… go through intval() → 0 → no chat
  }

  private run(method: Method, raw: Record<string, unknown>, caller: Caller): Outcome {
    const user = userOf(caller);
    const upper = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k.toUpperCase(), v]));
    switch (method) {
      case WRITING: {
        // §1.1: keys upper-cased; a set DIALOG_ID must pass isDialogId; else a set CHAT_ID must be > 0. "Set" is
        // PHP isset: null is absent. Neither: StartWriting(null) resolves no chat, so ACCESS_ERROR (§1.1 [S]).
        let dialogId: string | null = null;
        if (upper.DIALOG_ID !== undefined && upper.DIALOG_ID !== null) {
          dialogId = str(upper.DIALOG_ID) ?? '';
          if (!isDialogId(dialogId)) return fail(400, 'DIALOG_ID_EMPTY');
        } else if (upper.CHAT_ID !== undefined && upper.CHAT_ID !== null) {
          const chatId = intval(upper.CHAT_ID);
          if (chatId <= 0) return fail(400, 'CHAT_ID_EMPTY');
          dialogId = `chat${chatId}`;
        }
        // Dialog::hasAccess before StartWriting (yuliai/bitrix-modules@026c2eea dialogWriting; methods.test.ts).
        if (dialogId !== null && !hasDialogAccess(dialogId, user)) return fail(403, 'ACCESS_ERROR');
        const chat = dialogId === null ? null : this.startWritingChat(dialogId, user);
        if (!chat) return fail(403, 'ACCESS_ERROR');
        this.show(chat, user, null, this.lifetimeMs);
        return { ok: true, result: true };
      }
      case SEND_TYPING: {
        // §1.2 [S], in the source's order. The client id is the OAuth application's; under a webhook 'custom'.CLIENT_ID.
        let appId = 'local.emulator.app';
        if (caller !== 'app') {
          const clientId = str(upper.CLIENT_ID);
          if (!clientId) return fail(403, 'ACCESS_DENIED');
          appId = `custom${clientId}`;
        }
        let botId = intval(upper.BOT_ID);
        if (upper.BOT_ID !== undefined && botId > 0) {
          if (!BOT_APPS.has(botId)) return fail(400, 'BOT_ID_ERROR');
          if (BOT_APPS.get(botId) !== appId) return fail(400, 'APP_ID_ERROR');
        } else {
          botId = [...BOT_APPS].find(([, app]) => app === appId)?.[0] ?? 0;
          if (!botId) return fail(400, 'BOT_ID_ERROR');
        }
        const dialogId = str(upper.DIALOG_ID) ?? '';
        if (!isDialogId(dialogId)) return fail(400, 'DIALOG_ID_EMPTY');
        // Step 5: StartWriting's outcome is ignored; it shows wherever StartWriting succeeds (no membership check).
        const chat = this.startWritingChat(dialogId, botId);
        if (chat) this.show(chat, botId, null, this.lifetimeMs);
        return { ok: true, result: true };
      }
      case NOTIFY:
      case BOT_SEND: {
        // §1.3 processBeforeAction: the owner from the OAuth token, or under a webhook from the bot token; then
        // botId, bot, owner. All imbot.v2 errors are 400.
        let appId = 'local.emulator.app';
        if (caller !== 'app') {
          const token = str(raw.botToken ?? raw.BOT_TOKEN ?? raw.clientId ?? raw.CLIENT_ID);
          if (!token) return fail(400, 'BOT_TOKEN_NOT_SPECIFIED');
          appId = `custom${token}`;
        }
        const botId = intval(raw.botId ?? raw.BOT_ID);
        if (botId <= 0) return fail(400, 'BOT_ID_REQUIRED');
        if (!BOT_APPS.has(botId)) return fail(400, 'BOT_NOT_FOUND');
        if (BOT_APPS.get(botId) !== appId) return fail(400, 'BOT_OWNERSHIP_ERROR');
        // Autowire: `dialogId` must be a string (binder error otherwise; its code is not in the reference), or an
        // integer `chatId` stands for `chat<N>` (only positive ones are generated: the reference says no more).
        const dialogId =
          raw.dialogId === undefined && raw.chatId !== undefined ? `chat${intval(raw.chatId)}` : raw.dialogId;
        if (typeof dialogId !== 'string') return binderError;
        // The bot's own id: the reference does not say what a private chat with oneself resolves to; refused here.
        if (dialogId === String(botId)) return binderError;
        let chat: ChatKey | null = null;
        let m = /^chat(\d+)$/.exec(dialogId);
        if (m && GROUPS.has(Number(m[1]))) chat = `chat${Number(m[1])}`;
        m = /^sg(\d+)$/.exec(dialogId);
        if (m) {
          const found = [...GROUPS].find(([, g]) => g.workgroup === Number(m![1]));
          if (found) chat = `chat${found[0]}`;
        }
        // A user id: the private chat with the bot, created if missing. [I] An unknown user resolves to chat 0.
        if (/^\d+$/.test(dialogId) && USERS.has(Number(dialogId))) chat = privateKey(botId, Number(dialogId));
        let access: Outcome | null = null;
        if (!chat) access = fail(400, 'CHAT_NOT_FOUND');
        else if (chat.startsWith('chat') && !GROUPS.get(Number(chat.slice(4)))!.members.has(botId)) {
          access = fail(400, 'ACCESS_DENIED'); // §1.3: the bot is not a participant
        }
        if (method === BOT_SEND) {
          if (access) return access;
          this.hide(chat!, botId, 'message'); // §3, §4.3
          return { ok: true, result: { id: expect.any(Number), uuidMap: {} } };
        }
        // §1.3: duration must pass is_numeric and is clamped to 1..600; absent/null → the client default (§2).
        const rawDuration = raw.duration;
        let lifetimeMs = this.lifetimeMs;
        if (rawDuration !== undefined && rawDuration !== null) {
          // The reference does not order this binder check against the access prefilter: either error may come.
          if (!isNumeric(rawDuration)) return access ? { ok: false, status: 400, errors: 'any' } : binderError;
          lifetimeMs = Math.min(600, Math.max(1, Math.trunc(Number(rawDuration)))) * 1000;
        }
        if (access) return access;
        // §1.3: an unknown statusMessageCode is replaced by null (plain typing), no error.
        const code =
          typeof raw.statusMessageCode === 'string' && raw.statusMessageCode in CODE_TEXTS
            ? raw.statusMessageCode
            : null;
        this.show(chat!, botId, code, lifetimeMs);
        return { ok: true, result: { result: true } }; // §1.3: the nested result
      }
      case MESSAGE_ADD: {
        // Only valid sends are generated (im.message.add errors are not in the reference).
        const dialogId = str(upper.DIALOG_ID)!;
        const chat = dialogId.startsWith('chat') ? dialogId : privateKey(user, Number(dialogId));
        this.hide(chat, user, 'message'); // §3 handleMessageAdd
        return { ok: true, result: expect.any(Number) };
      }
      case MESSAGE_UPDATE: {
        const message = this.messages.find((m) => m.id === intval(upper.MESSAGE_ID))!;
        this.hide(message.chat, user, 'edit'); // §3 handleMessageUpdate
        return { ok: true, result: true };
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// What is generated

/** A call before it is bound to the model (edits pick one of the caller's messages when they run). */
type CallSpec =
  | { method: typeof WRITING; caller: Caller; params: Record<string, unknown>; alias: boolean }
  | { method: typeof SEND_TYPING; caller: Caller; params: Record<string, unknown> }
  | { method: typeof NOTIFY; caller: Caller; params: Record<string, unknown> }
  | { method: typeof MESSAGE_ADD; caller: Caller; target: number }
  | { method: typeof BOT_SEND; caller: Caller; target: number }
  | { method: typeof MESSAGE_UPDATE; caller: Caller; pick: number }
  | { method: 'batch'; caller: Caller };

type Step =
  | { kind: 'advance'; ms: number }
  | { kind: 'toExpiry'; delta: -1 | 0 | 1 }
  | { kind: 'toReset'; delta: -1 | 0 | 1 }
  | { kind: 'call'; call: CallSpec }
  | { kind: 'batch'; caller: Caller; calls: CallSpec[]; halt: boolean; haltAs: number; list: boolean; fill: boolean }
  | { kind: 'probe'; a: number; b: number; pick: number };

/** Mostly user 1 in chat 1, so that renewals, hides and limits meet the same indicator and the same budget. */
const caller = fc.oneof({ weight: 3, arbitrary: fc.constant<Caller>(1) }, fc.constantFrom(...CALLERS));
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 4 });
/** Mostly dialogs that resolve, so that calls get far enough to show, hide and be limited. */
const dialogIds = fc.oneof(
  { weight: 3, arbitrary: fc.constant('chat1') },
  { weight: 3, arbitrary: fc.constantFrom('chat2', 'chat7', '1', '2', '3', '10', '11') },
  {
    weight: 1,
    arbitrary: fc.constantFrom('chat999', 'chat0', 'sg5', 'sg6', 'crm1', '99', '', 'abc', 'chat'),
  },
);
const codes = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...Object.keys(CODE_TEXTS)) },
  { weight: 1, arbitrary: fc.constantFrom('NOPE', '', 'IMBOT_AGENT_ACTION_') },
);
const durations = fc.oneof(
  fc.integer({ min: -5, max: 700 }),
  fc.constantFrom(1, 2, 5, 30, 600, 601, 100_000, 0.5, 2.9),
  fc.constantFrom('30', ' 7', '2.9', '-3', '1e2', '5 ', 'abc', '', '1x'),
);

/** Drops the keys whose value is undefined, so they are absent from the JSON body and the query string. */
const defined = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const writingCall = fc
  .record({
    caller,
    key: fc.constantFrom('DIALOG_ID', 'dialog_id', 'Dialog_Id', 'CHAT_ID', 'none'),
    alias: fc.boolean(),
    dialogId: fc.oneof({ weight: 5, arbitrary: dialogIds }, { weight: 1, arbitrary: fc.constantFrom(2, 3, 10) }),
    chatId: fc.constantFrom(1, '2', 7, 0, -1, 'x', '999'),
    // A JSON null for the id not chosen (or both, with 'none'): PHP isset reads it as absent.
    nulls: fc.boolean(),
  })
  .map(({ caller, key, dialogId, chatId, alias, nulls }): CallSpec => {
    const unset = nulls ? { DIALOG_ID: null, CHAT_ID: null } : {};
    const params =
      key === 'none'
        ? unset
        : key === 'CHAT_ID'
          ? { ...(nulls ? { DIALOG_ID: null } : {}), CHAT_ID: chatId }
          : { ...(nulls ? { CHAT_ID: null } : {}), [key]: dialogId };
    return { method: WRITING, alias, caller, params };
  });

const sendTypingCall = fc
  .record({
    caller,
    BOT_ID: optional(fc.oneof({ weight: 3, arbitrary: fc.constant(10) }, fc.constantFrom(11, 11, 999, '10'))),
    CLIENT_ID: optional(
      fc.oneof(
        { weight: 4, arbitrary: fc.constant('agent-bot-token') },
        fc.constantFrom('wrong', 'local.emulator.app', ''),
      ),
    ),
    DIALOG_ID: optional(dialogIds),
  })
  .map(({ caller, ...params }): CallSpec => ({ method: SEND_TYPING, caller, params: defined(params) }));

const notifyCall = fc
  .record({
    caller,
    botKey: fc.constantFrom('botId', 'botId', 'botId', 'BOT_ID'),
    botId: fc.oneof(
      { weight: 5, arbitrary: fc.constant(10) },
      { weight: 2, arbitrary: fc.constant(11) },
      { weight: 1, arbitrary: fc.constantFrom(999, 0, '10') },
    ),
    tokenKey: fc.constantFrom('botToken', 'botToken', 'botToken', 'BOT_TOKEN', 'clientId', 'none'),
    token: fc.oneof(
      { weight: 6, arbitrary: fc.constant('agent-bot-token') },
      { weight: 1, arbitrary: fc.constant('nope') },
    ),
    dialogId: fc.oneof(
      { weight: 8, arbitrary: dialogIds },
      { weight: 1, arbitrary: fc.constantFrom(1, undefined, null) },
    ),
    // §1.3: names are case-sensitive (`DialogId`, `Duration` are not read); an integer `chatId` may replace dialogId.
    dialogKey: fc.constantFrom('dialogId', 'dialogId', 'dialogId', 'dialogId', 'DialogId', 'chatId'),
    chatId: fc.constantFrom(1, 2, 7, 999, '1'),
    statusMessageCode: optional(codes),
    codeKey: fc.constantFrom('statusMessageCode', 'statusMessageCode', 'statusMessageCode', 'STATUSMESSAGECODE'),
    duration: fc.option(durations, { nil: undefined, freq: 3 }),
    durationKey: fc.constantFrom('duration', 'duration', 'duration', 'Duration'),
  })
  .map(
    (c): CallSpec => ({
      method: NOTIFY,
      caller: c.caller,
      params: defined({
        [c.botKey]: c.botId,
        ...(c.tokenKey === 'none' ? {} : { [c.tokenKey]: c.token }),
        [c.dialogKey]: c.dialogKey === 'chatId' ? c.chatId : c.dialogId,
        [c.codeKey]: c.statusMessageCode,
        [c.durationKey]: c.duration,
      }),
    }),
  );

/** Index into the caller's valid targets; 0 is chat 1. */
const target = fc.oneof({ weight: 2, arbitrary: fc.constant(0) }, fc.nat(20));
const messageCall = fc.record({ caller, target }).map((c): CallSpec => ({ method: MESSAGE_ADD, ...c }));
const botSendCall = fc.record({ caller, target }).map((c): CallSpec => ({ method: BOT_SEND, ...c }));
const editCall = fc.record({ caller, pick: fc.nat(20) }).map((c): CallSpec => ({ method: MESSAGE_UPDATE, ...c }));

const callSpec: fc.Arbitrary<CallSpec> = fc.oneof(
  { weight: 4, arbitrary: writingCall },
  { weight: 2, arbitrary: sendTypingCall },
  { weight: 5, arbitrary: notifyCall },
  { weight: 2, arbitrary: messageCall },
  { weight: 2, arbitrary: botSendCall },
  { weight: 2, arbitrary: editCall },
);

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .oneof(
        fc.constant(0),
        fc.integer({ min: 1, max: 999 }),
        fc.integer({ min: 1_000, max: 30_000 }),
        fc.integer({ min: 60_000, max: 700_000 }),
      )
      .map((ms): Step => ({ kind: 'advance', ms })),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(-1, 0, 1).map((delta): Step => ({ kind: 'toExpiry', delta: delta as -1 | 0 | 1 })),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(-1, 0, 1).map((delta): Step => ({ kind: 'toReset', delta: delta as -1 | 0 | 1 })),
  },
  { weight: 10, arbitrary: callSpec.map((call): Step => ({ kind: 'call', call })) },
  {
    weight: 3,
    arbitrary: fc
      .record({
        caller,
        calls: fc.array(
          fc.oneof(
            { weight: 12, arbitrary: callSpec },
            { weight: 1, arbitrary: fc.constant<CallSpec>({ method: 'batch', caller: 1 }) },
          ),
          { minLength: 1, maxLength: 6 },
        ),
        halt: fc.boolean(),
        /** §8: `halt` is `true/false/1/0`. */
        haltAs: fc.nat(2),
        list: fc.boolean(),
        /** One batch in eight is padded past 50 commands. */
        fill: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
      })
      .map((b): Step => ({ kind: 'batch', ...b })),
  },
  {
    weight: 2,
    arbitrary: fc.record({ a: fc.nat(), b: fc.nat(), pick: fc.nat() }).map((p): Step => ({ kind: 'probe', ...p })),
  },
);

const costs = fc.record(
  Object.fromEntries(METHODS.map((m) => [m, fc.integer({ min: 0, max: 6 })])) as Record<Method, fc.Arbitrary<number>>,
);
const config: fc.Arbitrary<Config> = fc.record({
  plan: fc.oneof(
    fc.constant<PlanOption>('off'),
    fc.constantFrom<PlanOption>('standard', 'enterprise'),
    fc.record({ perSecond: fc.integer({ min: 1, max: 5 }), burst: fc.integer({ min: 1, max: 8 }) }),
  ),
  rateLimitStatus: fc.constantFrom(503 as const, 429 as const),
  clientLifetimeSec: optional(fc.integer({ min: 1, max: 40 })),
  operating: optional(fc.record({ budgetSec: fc.integer({ min: 1, max: 20 }), costs })),
});

// ---------------------------------------------------------------------------------------------------------------
// Running a scenario

/** Valid message targets for a caller (the generator only sends what the reference says succeeds). */
function messageTargets(sender: number): string[] {
  const groups = [...GROUPS].filter(([, g]) => g.members.has(sender)).map(([id]) => `chat${id}`);
  const people = [1, 2, 3, 10, 11].filter((u) => u !== sender).map(String);
  return [...groups, ...people];
}

/** A concrete call: the method, its params, and which caller's webhook sends it. Null when nothing fits (an edit with no message). */
function bind(
  spec: CallSpec,
  model: Model,
): { method: Method | 'batch'; params: Record<string, unknown>; caller: Caller; path: string } | null {
  switch (spec.method) {
    case MESSAGE_ADD: {
      const targets = messageTargets(userOf(spec.caller));
      return {
        method: MESSAGE_ADD,
        path: MESSAGE_ADD,
        caller: spec.caller,
        params: { DIALOG_ID: targets[spec.target % targets.length], MESSAGE: `m${spec.target}` },
      };
    }
    case BOT_SEND: {
      // The caller's own bot: the agent (webhook, botToken) or the helper (the OAuth application's).
      const botId = spec.caller === 'app' ? 11 : 10;
      const targets = messageTargets(botId);
      return {
        method: BOT_SEND,
        path: BOT_SEND,
        caller: spec.caller,
        params: {
          botId,
          ...(spec.caller === 'app' ? {} : { botToken: 'agent-bot-token' }),
          dialogId: targets[spec.target % targets.length],
          fields: { message: 'reply' },
        },
      };
    }
    case MESSAGE_UPDATE: {
      const own = model.messages.filter((m) => m.author === userOf(spec.caller));
      if (own.length === 0) return null;
      return {
        method: MESSAGE_UPDATE,
        path: MESSAGE_UPDATE,
        caller: spec.caller,
        params: { MESSAGE_ID: own[spec.pick % own.length]!.id, MESSAGE: 'edited' },
      };
    }
    default: {
      // §1.1: `im.chat.sendTyping` is a hidden alias of im.dialog.writing. Whether it shares the method's operating
      // budget (§7 "that method") the reference does not say, so it is only used with the operating limit off.
      const alias = 'alias' in spec && spec.alias && !model.config.operating;
      return {
        method: spec.method,
        path: alias ? 'im.chat.sendTyping' : spec.method,
        caller: spec.caller,
        params: 'params' in spec ? spec.params : {},
      };
    }
  }
}

/** `method?query` as a batch command (§8: PHP bracket syntax for nested values). */
function command(method: string, params: Record<string, unknown>): string {
  const pairs: string[] = [];
  const add = (key: string, value: unknown) => {
    if (value === null || value === undefined) return;
    if (typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) add(`${key}[${k}]`, v);
    } else pairs.push(`${key}=${encodeURIComponent(String(value))}`);
  };
  for (const [k, v] of Object.entries(params)) add(k, v);
  return `${method}?${pairs.join('&')}`;
}

/** A batch command's params as the portal reads them: every scalar a string, nulls gone (§8 [I]). */
function asQuery(params: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined) continue;
    out[k] = typeof v === 'object' ? asQuery(v as Record<string, unknown>) : String(v);
  }
  return out;
}

/** A plain HTTP reply against the model: the result (and §5 `time.operating*` while the limiter is on), or the error. */
function expectReply(reply: Reply, outcome: Outcome) {
  if (outcome.ok) {
    expect({ status: reply.status, result: reply.body.result }).toEqual({ status: 200, result: outcome.result });
    if (outcome.operating) {
      expect([reply.body.time.operating, reply.body.time.operating_reset_at]).toEqual([
        outcome.operating.operating,
        outcome.operating.resetAt,
      ]);
    }
  } else {
    expect(reply.status).toBe(outcome.status);
    // §5/§6: the error envelope is `{error, error_description}` and has no `time`.
    expect(typeof reply.body.error_description).toBe('string');
    expect(reply.body.time).toBeUndefined();
    if (outcome.errors !== 'any') expect(outcome.errors).toContain(reply.body.error);
    else expect(typeof reply.body.error).toBe('string');
  }
}

async function scenario(cfg: Config, steps: readonly Step[]): Promise<void> {
  const model = new Model(cfg);
  const e: Emulator = await startEmulator({
    now: () => model.now,
    plan: cfg.plan,
    rateLimitStatus: cfg.rateLimitStatus,
    ...(cfg.clientLifetimeSec !== undefined ? { clientLifetimeSec: cfg.clientLifetimeSec } : {}),
    operating: cfg.operating
      ? { budgetSec: cfg.operating.budgetSec, costSec: (m) => cfg.operating!.costs[m as Method] }
      : false,
    tokenTtlSec: 1e9, // token expiry is not what this test is about
    initial: { chats: [{ id: 7, title: 'Project', members: [1, 2], workgroupId: 5 }], members: [[7, 10]] },
  });
  try {
    const hooks = new Map([1, 2, 3].map((u) => [u, e.webhookUrl(u)]));
    /** §5: a webhook URL, or the OAuth client endpoint with the access token as `auth` in the body. */
    const send = (who: Caller, path: string, body: Record<string, unknown>) =>
      who === 'app'
        ? post(`${e.restUrl}${path}`, { ...body, auth: e.fixtures.oauth.accessToken })
        : post(`${hooks.get(who)}${path}`, body);
    let seen = e.timeline().at(-1)?.seq ?? 0;
    /** Call entries the step added to the timeline. */
    const newCalls = () => {
      const entries = e.timeline().filter((x): x is CallEntry => x.kind === 'call' && x.seq > seen);
      seen = e.timeline().at(-1)?.seq ?? seen;
      return entries;
    };
    for (const s of steps) {
      if (s.kind === 'advance') model.now += s.ms;
      else if (s.kind === 'toExpiry') {
        const next = Math.min(...[...model.shown.values()].map((x) => x.until));
        model.now = Number.isFinite(next) ? Math.max(model.now, next + s.delta) : model.now + 1_000;
      } else if (s.kind === 'toReset') {
        // To the instant an operating bucket drops out (§7 `operating_reset_at`), or just before or after it.
        const next = model.nextReset();
        model.now = next === null ? model.now + 60_000 : Math.max(model.now, next + s.delta);
      } else if (s.kind === 'probe') {
        const keys = [...model.intervals.keys()];
        const span = model.now - T0;
        const t1 = T0 + (s.a % (span + 1));
        const t2 = t1 + (s.b % (model.now - t1 + 1));
        model.expire();
        for (const key of keys.length ? [keys[s.pick % keys.length]!] : []) {
          const [chat, sender] = key.split('|') as [string, string];
          const dialogId = dialogOf(chat, Number(sender));
          const expected = model.intervals.get(key)!.some((i) => i.from <= t1 && (i.to ?? model.now) >= t2);
          expect(e.visibleThroughout(dialogId, Number(sender), t1, t2), `${key} over [${t1 - T0}, ${t2 - T0}]`).toBe(
            expected,
          );
        }
      } else if (s.kind === 'call') {
        const bound = bind(s.call, model);
        if (!bound || bound.method === 'batch') continue;
        model.expire();
        const outcome = model.admit()
          ? model.call(bound.method, bound.params, bound.caller)
          : fail(cfg.rateLimitStatus, 'QUERY_LIMIT_EXCEEDED');
        const reply = await send(bound.caller, bound.path, bound.params);
        expectReply(reply, outcome);
        if (outcome.ok && bound.method === MESSAGE_ADD) {
          const chat = String(bound.params.DIALOG_ID);
          model.messages.push({
            id: reply.body.result,
            author: userOf(bound.caller),
            chat: chat.startsWith('chat') ? chat : privateKey(userOf(bound.caller), Number(chat)),
          });
        }
        const calls = newCalls();
        expect(calls).toHaveLength(1);
        checkEntry(calls[0]!, outcome, model);
      } else {
        model.expire();
        const admitted = model.admit();
        const rows: {
          key: string;
          text: string;
          method: Method | 'batch';
          params: Record<string, unknown>;
          caller: Caller;
        }[] = [];
        if (s.fill) {
          // §8: more than 50 commands: the 51st and later each get ERROR_BATCH_LENGTH_EXCEEDED in result_error.
          for (let i = 0; i < 48; i++) {
            const params = { DIALOG_ID: 'chat1' };
            rows.push({ key: '', text: command(WRITING, params), method: WRITING, params, caller: s.caller });
          }
        }
        for (const spec of s.calls) {
          const bound = bind({ ...spec, caller: s.caller }, model);
          if (!bound) continue;
          rows.push({ key: '', text: command(bound.path, bound.params), ...bound, params: asQuery(bound.params) });
        }
        rows.forEach((row, i) => {
          row.key = s.list ? String(i) : `c${i}`;
        });
        const cmd = s.list ? rows.map((r) => r.text) : Object.fromEntries(rows.map((r) => [r.key, r.text]));
        const halt = [
          [true, 1, '1'],
          [false, 0, '0'],
        ][s.halt ? 0 : 1]![s.haltAs];
        const reply = await send(s.caller, 'batch', { cmd, halt });
        const calls = newCalls();
        // The batch's own entry comes last, after its commands'; a nested `batch` command is one of them, refused with
        // 405 or, past the 50th, with 400.
        const batchCalls = calls.filter((c, i) => !(c.method === 'batch' && i === calls.length - 1));
        const own = calls.at(-1)!;
        expect(own.method).toBe('batch');
        expect(batchCalls.every((c) => c.batchId === own.batchId)).toBe(true);
        if (!admitted) {
          // Refused as a whole (§7): nothing ran, yet every command is on the timeline, refused the same (none of them
          // halts it, none is past a limit: none ran), then the batch's own entry.
          const refused = fail(cfg.rateLimitStatus, 'QUERY_LIMIT_EXCEEDED');
          expectReply(reply, refused);
          model.lastShown = null;
          expect(batchCalls.map((c) => c.method)).toEqual(rows.map((r) => r.text.slice(0, r.text.indexOf('?'))));
          for (const entry of [...batchCalls, own]) checkEntry(entry, refused, model);
          continue;
        }
        // §8: the batch itself is 200; each command's outcome is in result / result_error.
        expect(reply.status).toBe(200);
        const { result, result_error: errors } = reply.body.result;
        let ran = 0;
        let succeeded = 0;
        let failed = 0;
        for (const [index, row] of rows.entries()) {
          let outcome: Outcome;
          model.lastShown = null;
          if (index >= 50) outcome = fail(400, 'ERROR_BATCH_LENGTH_EXCEEDED');
          else if (row.method === 'batch') outcome = fail(405, 'ERROR_BATCH_METHOD_NOT_ALLOWED');
          else outcome = model.call(row.method, row.params, row.caller);
          if (outcome.ok) succeeded++;
          else failed++;
          if (outcome.ok) {
            expect(result[row.key], `command ${row.key} ${row.text}`).toEqual(outcome.result);
            expect(errors[row.key]).toBeUndefined();
            if (row.method === MESSAGE_ADD) {
              const chat = String(row.params.DIALOG_ID);
              model.messages.push({
                id: result[row.key],
                author: userOf(row.caller),
                chat: chat.startsWith('chat') ? chat : privateKey(userOf(row.caller), Number(chat)),
              });
            }
          } else {
            expect(result[row.key], `command ${row.key} ${row.text}`).toBeUndefined();
            const error = errors[row.key]?.error;
            if (outcome.errors === 'any') expect(typeof error).toBe('string');
            else expect(outcome.errors, `command ${row.key} ${row.text}`).toContain(error);
          }
          // every command is on the timeline, the ones past 50 (not run) too
          checkEntry(batchCalls[ran++]!, outcome, model);
          if (!outcome.ok && s.halt) break; // §8: halt stops at the first failing command
        }
        expect(batchCalls).toHaveLength(ran);
        // §8: an empty collection serialises as `[]`.
        if (succeeded === 0) expect(result).toEqual([]);
        if (failed === 0) expect(errors).toEqual([]);
      }
      compareVisible(e, model);
    }
    model.expire();
    compareVisible(e, model);
    for (const [key, intervals] of model.intervals) {
      const [chat, sender] = key.split('|') as [string, string];
      expect(e.visibility(dialogOf(chat, Number(sender)), Number(sender)), key).toEqual(intervals);
    }
    expect(e.stats()).toMatchObject({
      requests: model.requests,
      queryLimitExceeded: model.queryLimitExceeded,
      operationTimeLimit: model.operationTimeLimit,
    });
  } finally {
    await e.close();
  }
}

/** The timeline's record of one call: its status and error, and whether and until when it made an indicator visible. */
function checkEntry(entry: CallEntry, outcome: Outcome, model: Model) {
  expect(entry.time).toBe(model.now);
  if (outcome.ok) expect([entry.status, entry.error]).toEqual([200, null]);
  else {
    expect(entry.status).toBe(outcome.status);
    if (outcome.errors !== 'any') expect(outcome.errors).toContain(entry.error);
  }
  expect({ shown: entry.shown, visibleUntil: entry.visibleUntil }, `${entry.method} entry`).toEqual({
    shown: model.lastShown !== null,
    visibleUntil: model.lastShown?.until ?? null,
  });
}

/** What a person in each chat sees now (§3), compared with `indicators()`. */
function compareVisible(e: Emulator, model: Model) {
  model.expire();
  const actual = e
    .indicators()
    .map((i) => ({
      key: `${i.dialogId}|${i.senderId}`,
      since: i.since,
      until: i.visibleUntil,
      code: i.statusMessageCode,
      text: i.text,
    }))
    .sort((a, b) => a.key.localeCompare(b.key));
  const expected = [...model.shown]
    .map(([key, s]) => {
      const [chat, sender] = key.split('|') as [string, string];
      return {
        key: `${dialogOf(chat, Number(sender))}|${sender}`,
        since: s.since,
        until: s.until,
        code: s.code,
        text: s.code ? CODE_TEXTS[s.code] : expect.stringMatching(/ is typing\.\.\.$/),
      };
    })
    .sort((a, b) => a.key.localeCompare(b.key));
  expect(actual).toEqual(expected);
}

describe('indicators and limits against a model of the reference (property)', () => {
  it(
    'random calls, batches, messages, edits and clock advances: replies, visible indicators, history and limits match',
    async () => {
      await fc.assert(
        fc.asyncProperty(config, fc.array(step, { minLength: 1, maxLength: 40 }), (cfg, steps) => scenario(cfg, steps)),
        { numRuns: RUNS },
      );
    },
    Math.max(20_000, RUNS * 50),
  );
});
