import { B24InputError, describeValue } from './B24InputError';

/**
 * What a bot is doing, shown as "Agent is thinking…" etc. Friendly names map to the 11 documented
 * `IMBOT_AGENT_ACTION_*` codes; `typing` shows the plain "typing" indicator; a raw `IMBOT_…` code is passed as is
 * (portals may register more, e.g. CoPilot's).
 */
export type AgentStatus =
  | 'typing'
  | 'thinking'
  | 'searching'
  | 'generating'
  | 'analyzing'
  | 'processing'
  | 'translating'
  | 'connecting'
  | 'checking'
  | 'calculating'
  | 'readingDocs'
  | 'composing'
  | `IMBOT_${string}`;

/** Friendly name → documented `statusMessageCode` (reference §2). */
export const AGENT_STATUS_CODES = {
  thinking: 'IMBOT_AGENT_ACTION_THINKING',
  searching: 'IMBOT_AGENT_ACTION_SEARCHING',
  generating: 'IMBOT_AGENT_ACTION_GENERATING',
  analyzing: 'IMBOT_AGENT_ACTION_ANALYZING',
  processing: 'IMBOT_AGENT_ACTION_PROCESSING',
  translating: 'IMBOT_AGENT_ACTION_TRANSLATING',
  connecting: 'IMBOT_AGENT_ACTION_CONNECTING',
  checking: 'IMBOT_AGENT_ACTION_CHECKING',
  calculating: 'IMBOT_AGENT_ACTION_CALCULATING',
  readingDocs: 'IMBOT_AGENT_ACTION_READING_DOCS',
  composing: 'IMBOT_AGENT_ACTION_COMPOSING',
} as const satisfies Record<Exclude<AgentStatus, 'typing' | `IMBOT_${string}`>, `IMBOT_${string}`>;

/** Raw codes: upper-case letters, digits and underscores, as the portal's lang keys are written. */
const RAW_CODE = /^IMBOT_[A-Z0-9_]{1,100}$/;

/**
 * The `statusMessageCode` to send for a status, `undefined` for plain typing. Throws {@link B24InputError} for
 * anything else: an unknown code would not fail on the portal, it would silently degrade to "typing".
 */
export function statusMessageCode(status: unknown, field = 'status'): string | undefined {
  if (status === 'typing') return undefined;
  if (typeof status === 'string') {
    if (Object.hasOwn(AGENT_STATUS_CODES, status)) return AGENT_STATUS_CODES[status as keyof typeof AGENT_STATUS_CODES];
    if (RAW_CODE.test(status)) return status;
  }
  throw new B24InputError(
    field,
    `"typing", one of ${Object.keys(AGENT_STATUS_CODES).join(', ')}, or a raw "IMBOT_…" code (A-Z, 0-9, _)`,
    describeValue(status),
  );
}

/** True for a value {@link statusMessageCode} accepts. */
export function isAgentStatus(value: unknown): value is AgentStatus {
  try {
    statusMessageCode(value);
    return true;
  } catch {
    return false;
  }
}
