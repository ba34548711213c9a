import { AGENT_STATUS_CODES } from '@b24-typing/core';
import { createMessageList } from './createMessageList';
import type { MessageListOptions, Outgoing } from './createMessageList';
import type { MessageEntry, TimelineEntry } from '@b24-typing/emulator';
import type { FeedEntry } from './emulatorFeed';
import type { History } from './loadHistory';

export interface Person {
  readonly id: number;
  readonly name: string;
  /** A bot (the emulator's state says): its messages may offer buttons, which are looked up (see `offersButtons`). */
  readonly bot?: boolean;
}

interface Typer {
  readonly senderId: number;
  readonly statusMessageCode: string | null;
  readonly visibleUntil: number;
}

/** Avatar backgrounds, each dark enough for a white initial (contrast 4.5:1 or more). */
const COLORS = ['#0b7fab', '#5a7f00', '#c2302b', '#a35f00', '#5b4bd1', '#00806b', '#b52a78', '#51687c'];

const byId = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

/** What the portal says a bot is doing, by documented code ("Agent is preparing a response…"). */
const ACTIONS: Readonly<Record<string, string>> = {
  [AGENT_STATUS_CODES.thinking]: 'thinking',
  [AGENT_STATUS_CODES.searching]: 'searching for information',
  [AGENT_STATUS_CODES.generating]: 'preparing a response',
  [AGENT_STATUS_CODES.analyzing]: 'analyzing the request',
  [AGENT_STATUS_CODES.processing]: 'processing data',
  [AGENT_STATUS_CODES.translating]: 'translating text',
  [AGENT_STATUS_CODES.connecting]: 'connecting to the service',
  [AGENT_STATUS_CODES.checking]: 'checking data',
  [AGENT_STATUS_CODES.calculating]: 'calculating',
  [AGENT_STATUS_CODES.readingDocs]: 'reviewing documents',
  [AGENT_STATUS_CODES.composing]: 'composing a response',
};

/**
 * A name in a sentence, isolated from the words around it (`<bdi>`: its own direction, by its first letter): an
 * Arabic or Hebrew name would otherwise join the bidi run of what follows it and reorder the sentence.
 */
export function isolated(text: string): HTMLElement {
  const element = document.createElement('bdi');
  element.textContent = text;
  return element;
}

/** A line of text and names, as nodes; `wording` gives its text (to compare without redrawing). */
type Line = readonly (string | HTMLElement)[];
const wording = (line: Line): string =>
  line.map((part) => (typeof part === 'string' ? part : part.textContent)).join('');

/**
 * Writes a line into a live region only when its words change: a screen reader reads the region out at every
 * rewrite, the same words again included (a page that retries every few seconds would repeat itself).
 */
export function say(region: HTMLElement, ...line: Line): void {
  if (region.textContent !== wording(line)) region.replaceChildren(...line);
}

/** Parts of a line joined as English lists them ("A, B, and C"), each kept whole (a name stays its own `<bdi>`). */
function listed(items: readonly Line[]): Line {
  const parts = new Intl.ListFormat('en', { type: 'conjunction' }).formatToParts(items.map((_, i) => String(i)));
  return parts.flatMap((part) => (part.type === 'literal' ? [part.value] : items[Number(part.value)]!));
}

/** An avatar's letter: the first character as a person sees it, an emoji whole (`slice(0, 1)` would halve it). */
export const initial = (text: string): string =>
  ([...new Intl.Segmenter().segment(text)][0]?.segment ?? '').toUpperCase();

/**
 * The chat as the portal shows it, driven only by the emulator's timeline: messages of this chat, and who is
 * "typing" (or, for a bot, "thinking…") right now. Everyone's indicator is listed in the side panel, your own
 * included (that is what the others see); the line under the messages shows the others, as a messenger does.
 */
export function createChatView(options: {
  chatId: number;
  me: number;
  people: Map<number, Person>;
  /** The person pressed Retry on a message that did not go out. */
  retry: (message: Outgoing) => void;
  /** The person deleted a message that did not go out (it is gone from the list). */
  deleted: (message: Outgoing) => void;
  /** One she deleted while its call was open was stored: take its words back out of the composer (true if done). */
  storedAfterAll: (message: Outgoing) => boolean;
  /** Someone not in `people` (a user or bot added after the page loaded): look them up, then call `rename()`. */
  unknown: (id: number) => void;
  /** Someone else's message came (the list reads it out). */
  received: MessageListOptions['received'];
  /** The texts of messages' buttons, listed under their words or in their place (see `MessageListOptions`). */
  buttons: MessageListOptions['buttons'];
}) {
  const { chatId, me, people } = options;
  const typers = new Map<number, Typer>();
  /**
   * Whether the page hears the stream now. Cut off, nobody is shown typing (it is not known), yet `typers` is kept: a
   * reconnect brings only what came since, and who was typing before and has neither stopped nor lapsed still is.
   */
  let live = true;

  const name = (id: number): string => {
    const person = people.get(id);
    if (!person) options.unknown(id);
    return person?.name ?? `User ${id}`;
  };

  const avatar = (id: number, big = false): HTMLElement => {
    const span = document.createElement('span');
    span.className = big ? 'avatar big' : 'avatar';
    span.style.background = COLORS[id % COLORS.length]!;
    span.textContent = initial(name(id));
    span.setAttribute('aria-hidden', 'true'); // the name is written next to it
    return span;
  };

  /**
   * What they are doing: "typing", or a bot's action in the portal's words ("preparing a response"). A code the
   * portal does not know it shows as plain typing, and so does this page.
   */
  const action = (typer: Typer): string => (typer.statusMessageCode && ACTIONS[typer.statusMessageCode]) || 'typing';

  const who = (id: number): HTMLElement => isolated(name(id));

  const describe = (typer: Typer): Line =>
    typer.senderId === me ? [`You are ${action(typer)}…`] : [who(typer.senderId), ` is ${action(typer)}…`];

  /**
   * The line under the messages, one sentence that names them, grouped by what they do: "Bob and Carol are typing…",
   * "Bob is typing and Agent is preparing a response…"; past three in a group, two names and how many more. A count
   * alone ("3 people are typing…") said neither who nor that one of them was a bot working on an answer.
   */
  const sentence = (others: readonly Typer[]): Line => {
    const groups = new Map<string, number[]>();
    for (const typer of others) groups.set(action(typer), [...(groups.get(action(typer)) ?? []), typer.senderId]);
    const clauses = [...groups].map(([doing, ids]): Line => {
      const named = ids.length > 3 ? [...ids.slice(0, 2).map(who), `${ids.length - 2} others`] : ids.map(who);
      return [...listed(named.map((name) => [name])), ` ${ids.length === 1 ? 'is' : 'are'} ${doing}`];
    });
    return clauses.length === 0 ? [] : [...listed(clauses), '…'];
  };

  /** What the typing views show now; they are redrawn only when it changes (the clock ticks every 250 ms). */
  let shown = '';

  function renderTypers(): void {
    const now = Date.now();
    for (const [id, typer] of typers) if (typer.visibleUntil <= now) typers.delete(id);
    const showing = live ? [...typers.values()] : [];
    const key = showing.map((typer) => wording(describe(typer))).join('\n');
    if (key === shown) return;
    shown = key;
    const list = byId<HTMLUListElement>('live');
    list.replaceChildren(
      ...showing.map((typer) => {
        const li = document.createElement('li');
        li.dataset.sender = String(typer.senderId);
        const text = document.createElement('span');
        text.append(...describe(typer));
        li.append(avatar(typer.senderId), text);
        return li;
      }),
    );
    byId('live-empty').hidden = showing.length > 0;
    // The line under the messages (a live region: a screen reader says who started typing) shows the others.
    const others = showing.filter((t) => t.senderId !== me);
    byId('typing-dots').hidden = others.length === 0;
    say(byId('typing-text'), ...sentence(others));
  }

  const messages = createMessageList({
    me,
    name,
    avatar,
    retry: options.retry,
    deleted: options.deleted,
    storedAfterAll: options.storedAfterAll,
    received: options.received,
    buttons: options.buttons,
    // A bot's; someone not known yet may be one. Never hers: this page sends no buttons.
    offersButtons: (id) => id !== me && (people.get(id)?.bot ?? true),
  });

  /** Takes in one entry of this chat; false for the rest. Renders nothing (see `renderTypers`). */
  function take(entry: FeedEntry): boolean {
    if (entry.kind === 'reset') {
      typers.clear();
      messages.clear();
      messages.startedOver();
    } else if (entry.kind === 'message' && entry.chatId === chatId) {
      messages.add(entry);
    } else if (entry.kind === 'call' && entry.chatId === chatId && entry.shown && entry.senderId !== null) {
      typers.set(entry.senderId, {
        senderId: entry.senderId,
        statusMessageCode: entry.statusMessageCode,
        visibleUntil: entry.visibleUntil ?? entry.time,
      });
    } else if (entry.kind === 'hide' && entry.chatId === chatId) {
      // A renewal comes as `replaced` and then its call: kept in place, or the renewed name would move to the end of
      // the typing line, and the line (a live region) would be read out again for the same people.
      if (entry.cause !== 'replaced') typers.delete(entry.senderId);
    } else {
      return false;
    }
    return true;
  }

  return {
    avatar,
    /** What this page sends: `outgoing(text)`, then `sent(message, id)` or `failed(message, reason)`. */
    outgoing: messages.outgoing,
    sending: messages.sending,
    sent: messages.sent,
    failed: messages.failed,
    replaced: messages.replaced,
    /** The emulator started over while the page was away (a snapshot of another epoch): before `load`. */
    startedOver: messages.startedOver,
    /** The newest message id shown (0 for none): where a history read after a gap may stop. */
    newest: messages.newest,
    /** Applies one timeline entry; entries of other chats are ignored. */
    apply(entry: FeedEntry): void {
      if (take(entry)) renderTypers();
    },
    /** Rebuilds the chat from the emulator's whole timeline: on connecting, and on a reconnect that could not resume. */
    load(entries: readonly TimelineEntry[]): void {
      byId('live-empty').textContent = 'Nobody is typing.';
      live = true;
      typers.clear();
      messages.load(entries.filter((e): e is MessageEntry => e.kind === 'message' && e.chatId === chatId));
      for (const entry of entries) if (entry.kind !== 'message') take(entry);
      renderTypers();
    },
    /**
     * Back on the stream after a cut, with what the emulator recorded meanwhile (and only that): taken in on top of
     * what the page shows. Messages that came are news, as in `load`; who was typing is known again. `gap`: the
     * emulator had dropped the first of those entries (see `FeedEvent`): the messages shown stay, the list marks where
     * some may be missing, and who was typing before is forgotten (they may have stopped in what was dropped: a bot
     * status would otherwise show on for its whole lease); the entries kept say who is typing now. `history`: the
     * chat's messages as they are now, which bring those shown up to date and fill in what they can of those dropped
     * (see `catchUp`). Returns what the list's gap mark says, if there is one.
     */
    resume(entries: readonly TimelineEntry[], gap = false, history?: History): string | undefined {
      byId('live-empty').textContent = 'Nobody is typing.';
      live = true;
      if (gap) typers.clear();
      const missing = messages.catchUp(
        entries.filter((e): e is MessageEntry => e.kind === 'message' && e.chatId === chatId),
        gap,
        history,
      );
      for (const entry of entries) if (entry.kind !== 'message') take(entry);
      renderTypers();
      return missing;
    },
    /** `people` has changed: names are written again. */
    rename(): void {
      messages.rename();
      renderTypers();
    },
    /**
     * Cut off from the stream: who is typing is unknown, so nobody is shown as typing, and the panel says it does
     * not know ("Nobody is typing." would be a guess) until `load` or `resume` brings the emulator's state again.
     */
    disconnected(): void {
      byId('live-empty').textContent = 'Not known while reconnecting…';
      live = false;
      renderTypers();
    },
    /**
     * Drops indicators whose time ran out (the emulator also reports it, a little later, when it sweeps); dates the
     * messages of yesterday once it is past midnight.
     */
    tick(): void {
      renderTypers();
      messages.redate();
    },
  };
}
