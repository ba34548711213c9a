import { isObservable, NEVER, type Observable } from 'rxjs';
import { type AgentStatus, statusMessageCode } from './AgentStatus';
import { B24InputError, describeValue } from './B24InputError';
import type { CallReason, PeerEnd } from './Dispatcher';
import { resolveStatusPolicy, type StatusPolicy, type StatusSignal } from './statusSignals';
import { validateBotId, validateBotToken } from './validateBot';
import { type DialogId, validateDialogId } from './validateDialogId';
import { requireObservable } from './requireObservable';

/** Who shows the status where, and for how long. */
export interface BotStatusOptions extends Partial<StatusPolicy> {
  readonly dialogId: DialogId | number;
  /** The bot's id; a numeric string (as events deliver it) is accepted. */
  readonly botId: number | `${number}`;
  /** Required for webhook auth (imbot.v2 `botToken`, legacy `CLIENT_ID`); not needed with OAuth. */
  readonly botToken?: string;
  /** One status, or a stream of them as the work moves through its phases. */
  readonly status: AgentStatus | Observable<AgentStatus>;
  /** The end of the work, usually the reply: its first value, completion or error stops the indicator. */
  readonly until?: Observable<unknown>;
  /**
   * Use the deprecated `imbot.chat.sendTyping` (plain "typing", no status, no duration: renewed within the
   * client's 25 s and never cleared, so `leaseSec` and `clearOnError` do not apply) instead of
   * `imbot.v2.Chat.InputAction.notify`.
   */
  readonly legacy?: boolean;
}

export interface BotTarget {
  readonly dialogId: DialogId;
  /** The sender: the portal keeps one status per chat and sender, whichever method sent it. */
  readonly botId: number;
  readonly status: AgentStatus | Observable<AgentStatus>;
  readonly until: Observable<unknown>;
  readonly legacy: boolean;
  readonly policy: StatusPolicy;
  /** How long one call keeps the indicator up: the lease, or the client's 25 s for the legacy method. */
  readonly lifetimeMs: number;
  callFor(signal: Pick<StatusSignal, 'statusMessageCode' | 'durationSec'>, reason: CallReason): PreparedCall;
}

export interface PreparedCall {
  readonly method: string;
  readonly params: Record<string, unknown>;
  readonly reason: CallReason;
  /** See `IndicatorCall.deadline`. Left out, the host sets it: a renewal's lapse, `Infinity` for any other call. */
  readonly deadline?: number;
  /** See `IndicatorCall.peer`. */
  readonly peer?: PeerEnd;
}

/** The legacy method has no duration: clients show it 25 s (reference §3). */
const LEGACY_LIFETIME_SEC = 25;

/** Validates everything about a bot status before any subscription, so bad input never reaches the portal. */
export function resolveBotTarget(options: BotStatusOptions): BotTarget {
  if (typeof options !== 'object' || options === null) {
    throw new B24InputError('options', 'an object with dialogId, botId and status', describeValue(options));
  }
  const legacy = options.legacy === true;
  const dialogId = validateDialogId(options.dialogId, legacy ? 'legacy' : 'v2');
  const botId = validateBotId(options.botId);
  const botToken = validateBotToken(options.botToken);
  const status = options.status;
  if (!isObservable(status)) statusMessageCode(status);
  const until = options.until === undefined ? NEVER : requireObservable(options.until, 'until');
  // The policy's fields, read from the options themselves (a field left undefined takes its default).
  const resolved = resolveStatusPolicy(options);
  const policy = legacy ? { ...resolved, leaseSec: LEGACY_LIFETIME_SEC, clearOnError: false } : resolved;

  return new ResolvedBotTarget(dialogId, status, until, legacy, policy, botId, botToken);
}

/** A class rather than a literal with a `callFor` closure: one per status, and a portal may hold 100,000. */
class ResolvedBotTarget implements BotTarget {
  readonly lifetimeMs: number;
  /** A secret: a private field, so that it never shows in JSON or a debugger's property list by accident. */
  readonly #botToken: string | undefined;

  constructor(
    readonly dialogId: DialogId,
    readonly status: AgentStatus | Observable<AgentStatus>,
    readonly until: Observable<unknown>,
    readonly legacy: boolean,
    readonly policy: StatusPolicy,
    readonly botId: number,
    botToken: string | undefined,
  ) {
    this.lifetimeMs = policy.leaseSec * 1000;
    this.#botToken = botToken;
  }

  callFor(signal: Pick<StatusSignal, 'statusMessageCode' | 'durationSec'>, reason: CallReason): PreparedCall {
    const { botId, dialogId } = this;
    const botToken = this.#botToken;
    if (this.legacy) {
      return {
        method: 'imbot.chat.sendTyping',
        reason,
        params: { BOT_ID: botId, DIALOG_ID: dialogId, ...(botToken === undefined ? {} : { CLIENT_ID: botToken }) },
      };
    }
    return {
      method: 'imbot.v2.Chat.InputAction.notify',
      reason,
      params: {
        botId,
        // The server's autowiring requires a string (`"5"`, not `5`) in a JSON body (reference §1.3).
        dialogId: String(dialogId),
        ...(botToken === undefined ? {} : { botToken }),
        ...(signal.statusMessageCode === undefined ? {} : { statusMessageCode: signal.statusMessageCode }),
        duration: signal.durationSec,
      },
    };
  }
}
