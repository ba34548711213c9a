import { AGENT_STATUS_CODES } from '@b24-typing/core';
import { type CallEntry, type MessageEntry, type TimelineEntry, visibilityFrom } from '@b24-typing/emulator';

export interface StatusShown {
  /** Friendly name (`thinking`) or the raw code. */
  readonly status: string;
  /** Emulator time, ms. */
  readonly at: number;
}

export interface Conversation {
  readonly question: MessageEntry;
  /** The bot's first message in that chat after the question, if it came (see `readConversation` on pairing). */
  readonly reply: MessageEntry | undefined;
  /** Every status call of the bot in that chat after the question (renewals and clears included; see pairing). */
  readonly calls: readonly CallEntry[];
  /** Status changes as the chat showed them: consecutive repeats (renewals) folded, clears left out. */
  readonly statuses: readonly StatusShown[];
  /** Calls with `duration: 1` (a clear). */
  readonly clears: readonly CallEntry[];
  /** Status calls that reached the portal after the reply message. Must be none. */
  readonly callsAfterReply: readonly CallEntry[];
  /** The status stayed visible without a gap from the first status call until the reply hid it. */
  readonly continuous: boolean;
}

const NAMES = new Map<string, string>(Object.entries(AGENT_STATUS_CODES).map(([name, code]) => [code, name]));
const NOTIFY = 'imbot.v2.chat.inputaction.notify';

/**
 * One bot conversation as the emulator saw it: the user's message `questionId`, the bot's status calls in that
 * chat after it, and the bot's reply. This is the oracle view the demo's smoke run and the end-to-end test
 * judge the bot by.
 *
 * Pairing is by order alone: the reply is the bot's first message in that chat after the question, and the calls are
 * all of the bot's after it. Nothing on the timeline links a reply to its question (the bot sends no `replyId`, and
 * the emulator's message entries carry none), and the bot may skip a question or answer it with an apology. So ask
 * one question and read its conversation before asking the next in the same chat: with two asked at once, the
 * second's `reply` is the first's answer and its calls include the first's. The smoke run does so; the tests that ask
 * two at once in one chat read its messages, or only the calls after the first reply, instead.
 */
export function readConversation(
  entries: readonly TimelineEntry[],
  { questionId, botId }: { questionId: number; botId: number },
): Conversation | undefined {
  const question = entries.find((e): e is MessageEntry => e.kind === 'message' && e.messageId === questionId);
  if (!question) return undefined;
  const { chatId } = question;
  const later = entries.filter((e) => e.seq > question.seq);
  const reply = later.find(
    (e): e is MessageEntry => e.kind === 'message' && e.chatId === chatId && e.authorId === botId,
  );
  const calls = later.filter(
    (e): e is CallEntry =>
      e.kind === 'call' && e.method.toLowerCase() === NOTIFY && e.chatId === chatId && e.senderId === botId,
  );
  const clears = calls.filter((c) => c.durationSec === 1);
  const statuses: StatusShown[] = [];
  for (const call of calls) {
    if (!call.shown || call.durationSec === 1 || (reply && call.seq > reply.seq)) continue;
    const status = call.statusMessageCode ? (NAMES.get(call.statusMessageCode) ?? call.statusMessageCode) : 'typing';
    if (statuses.at(-1)?.status !== status) statuses.push({ status, at: call.time });
  }
  const callsAfterReply = reply ? calls.filter((c) => c.seq > reply.seq) : [];
  let continuous = false;
  const first = calls.find((c) => c.shown);
  if (reply && first) {
    const intervals = visibilityFrom(entries, chatId, botId).filter(
      (i) => i.from <= reply.time && (i.to ?? Infinity) >= first.time,
    );
    continuous =
      intervals.length === 1 &&
      intervals[0]!.from <= first.time &&
      intervals[0]!.to === reply.time &&
      intervals[0]!.endCause === 'message';
  }
  return { question, reply, calls, statuses, clears, callsAfterReply, continuous };
}

/** The conversation as lines for a person: status sequence with times from the question, then the verdict. */
export function describeConversation(c: Conversation): string[] {
  const t = (at: number) => `+${((at - c.question.time) / 1000).toFixed(2)} s`;
  const lines = [
    `status sequence: ${[...c.statuses.map((s) => s.status), c.reply ? 'reply' : '(no reply)'].join(' → ')}`,
  ];
  for (const s of c.statuses) lines.push(`  ${t(s.at).padStart(9)}  ${s.status}`);
  if (c.reply) lines.push(`  ${t(c.reply.time).padStart(9)}  reply: ${JSON.stringify(c.reply.text.slice(0, 70))}…`);
  for (const clear of c.clears) lines.push(`  ${t(clear.time).padStart(9)}  clear (duration 1)`);
  lines.push(
    `notify calls: ${c.calls.length} (${c.calls.length - c.statuses.length - c.clears.length} renewals, ${c.clears.length} clears), ` +
      `${c.callsAfterReply.length} after the reply; visible without a gap until the reply: ${c.continuous ? 'yes' : 'no'}`,
  );
  return lines;
}
