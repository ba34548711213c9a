import type { MessageEntry } from '@b24-typing/emulator';
import type { History, HistoryMessage } from './loadHistory';
import { keptText } from './keptText';
import { readOut } from './readOut';
import { buttonsLine, looksBlank, readText, shownText } from './shownText';

/** A message this page is sending: what the person wrote, until the emulator's stream reports it. */
export interface Outgoing {
  readonly text: string;
}

interface Pending extends Outgoing {
  readonly li: HTMLLIElement;
  /** Page clock; the emulator runs on this machine's clock too. */
  readonly startedAt: number;
  /** The message id `im.message.add` answered with. */
  id?: number;
  /**
   * When (page clock) a call for it last failed without an answer to say so (lost, cut off, unreadable): the portal
   * may have stored it then. Unset while every failure was the portal's refusal: then it was never stored.
   */
  lostAt?: number;
  /**
   * "Not sent" because the page stopped waiting, while its call still waits for the portal's answer: the portal may
   * store it any moment until then, so an echo of its text is its own.
   */
  waiting?: boolean;
  /** She deleted it while its call was still open (`waiting`): gone from the list, until the portal says it stored it. */
  deleted?: boolean;
}

export interface MessageListOptions {
  readonly me: number;
  readonly name: (id: number) => string;
  readonly avatar: (id: number) => HTMLElement;
  /** The person pressed Retry on a message that did not go out. */
  readonly retry: (message: Outgoing) => void;
  /** The person deleted a message that did not go out: it is gone from the list, its text is for the composer. */
  readonly deleted: (message: Outgoing) => void;
  /**
   * A message she deleted while its call was still open was stored after all (it is back in the list, as sent): its
   * words given back to the composer would post it twice. True if they were taken back out (she had not changed them).
   */
  readonly storedAfterAll: (message: Outgoing) => boolean;
  /** Someone else's message came (live, or while the stream was cut): news to her, as it is read out. */
  readonly received: (entry: Heard) => void;
  /**
   * The texts of the buttons of messages `ids` (`[]` for none), by id, from the chat's history: the stream gives a
   * message's text only, and a bot's choices (its keyboard, its menu) are listed under the words, or in their place
   * for one without any (see `shownText`). Asked together for the messages shown at once (a rebuild), so a long list
   * costs a few calls. One left out is not in the chat's history (yet): asked again when it is shown again.
   */
  readonly buttons: (ids: readonly number[]) => Promise<ReadonlyMap<number, readonly string[]>>;
  /**
   * Whether a message with words by `authorId` may offer buttons, so is worth a lookup: a bot's. The page shares the
   * portal's request budget (2 calls a second on the standard plan) with her sends and typing, and a busy chat of
   * people would spend it on lookups that find nothing. A message without words is looked up whoever wrote it.
   */
  readonly offersButtons: (authorId: number) => boolean;
}

/** A message news to the reader: from the stream, or filled in after a gap from the chat's history. */
type Heard = Pick<MessageEntry, 'messageId' | 'authorId' | 'text'>;

const byId = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
/** When a message was written: the time if today, else its day (and year if another) too, as messengers show it. */
function stamp(ms: number): string {
  const date = new Date(ms);
  const today = new Date();
  const time = { hour: '2-digit', minute: '2-digit' } as const;
  if (date.toDateString() === today.toDateString()) return date.toLocaleTimeString([], time);
  const year = date.getFullYear() === today.getFullYear() ? {} : ({ year: 'numeric' } as const);
  return date.toLocaleString([], { day: 'numeric', month: 'short', ...year, ...time });
}

/** Where a reconnect found part of the chat's history dropped (see `markGap`); shown in the list. */
const GAP =
  'Some messages and changes from while this page was disconnected may be missing: the emulator no longer keeps them all.';

/**
 * The gap's words once the chat's history (`im.dialog.messages.get`) filled in what it could: all of what was
 * written meanwhile, or only from the oldest of them on (`since`, when it was written). Edits to older messages, and
 * who typed, are not in them.
 */
function gapWords(since: number | undefined): string {
  if (since === undefined) {
    return 'Every message from while this page was disconnected is shown, but edits to older ones may be missing: the emulator no longer keeps them all.';
  }
  return `Some messages from while this page was disconnected may be missing: the emulator no longer keeps them all. Those from ${stamp(since)} on are shown; older ones are not, nor are edits to them.`;
}

/** How long a screen reader has to read out that a message shown as "Not sent" went out after all. */
const TOLD_MS = 5_000;

/** The start of a message, to name what a button is for: a long one is cut short (by character, never mid-emoji). */
function excerpt(text: string, max = 40): string {
  // Characters as a person sees them: a flag or a family emoji is several code points (`[...text]` would split it).
  const characters = [...new Intl.Segmenter().segment(text)].map((s) => s.segment);
  return characters.length > max ? `${characters.slice(0, max - 1).join('')}…` : text;
}

/**
 * The messages of the chat: the ones the emulator's stream reports, in its order, and under them the ones this
 * page is sending that the stream has not reported yet ("Sending…", or "Not sent" with Retry and Delete: Delete
 * hands its text to `deleted`, for the composer). What the person wrote is never lost and never put back into the
 * composer over a new draft. A sent message becomes the stream's when that arrives: by the id `im.message.add`
 * answered, or by its text when the answer was lost although the portal stored the message (a timeout, a broken
 * reply), so a retry does not post it twice.
 *
 * The list follows the newest message while the reader is at its end (also when it shrinks: a taller composer, a
 * smaller window); someone reading older messages is left where they are and told that more came.
 */
export function createMessageList(options: MessageListOptions) {
  const { me, name, avatar } = options;
  const list = byId<HTMLOListElement>('messages');
  const jump = byId<HTMLButtonElement>('jump');
  const shown = new Map<number, HTMLLIElement>();
  /** The buttons of the messages, by id, once known: kept through a rebuild (`load`), as ids are. */
  const buttonsOf = new Map<number, readonly string[]>();
  /** Messages whose buttons are being asked for (once each; again when they appear again after a failure). */
  const asking = new Set<number>();
  /** Messages to ask for, together, once the task that showed them is done (see `write`). */
  const toAsk = new Set<number>();
  /** The words a shown message's bubble was written from (`write`): written again once its buttons are known. */
  const wordsIn = new WeakMap<HTMLLIElement, string>();
  /**
   * News read out before its buttons were known (as "[buttons or an attachment]", or its words alone): read out once
   * more when they are, so a screen reader hears what the bubble now shows, as a sighted reader sees it change.
   */
  const toldWithout = new Map<number, Heard>();
  /** Counts the emulator's starts over: an answer about a number of before is not about the message with it now. */
  let era = 0;
  /** Oldest first; their items are the last ones in the list. */
  const outbox: Pending[] = [];
  /** Deleted while their call was still open: the portal may store them yet (then they are shown after all). */
  const withdrawn: Pending[] = [];

  let pinned = true;
  /** Where the list was scrolled to when last seen: by the scroll handler, or by the list itself (`scrollToEnd`). */
  let lastTop = 0;
  const scrollToEnd = (): void => {
    list.scrollTop = list.scrollHeight;
    // Its scroll event comes with the next frame, as one with any scroll after it: she may have dragged the list back
    // up by then (the scroll bar), and that scroll up, measured from where she was before, would read as none.
    lastTop = list.scrollTop;
    pinned = true;
    jump.hidden = true;
  };
  list.addEventListener('scroll', () => {
    // A scroll toward older messages does not pin the list again: a smooth one (Page Up, the wheel) is still within
    // reach of the end for its first frames, and a message coming then would pull the reader back down.
    // Nor does one that did not go up unpin it: the list's own scroll to the end (the "New messages" button) may be
    // reported only after the window narrowed in the same frame, far from the new end; the resize brings it there.
    const near = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    const down = list.scrollTop >= lastTop;
    pinned = pinned ? near || down : near && down;
    lastTop = list.scrollTop;
    if (pinned) jump.hidden = true;
  });
  /**
   * A key, the wheel or a swipe starts a scroll toward older messages: she reads back from now on, not once it has
   * gone 40 px.
   */
  const readBack = (): void => {
    if (list.scrollTop > 0) pinned = false;
  };
  list.addEventListener('keydown', (event) => {
    // Also from a note's button (the keys bubble up and scroll the list), but Shift+Space there presses the button.
    const up =
      ['PageUp', 'ArrowUp', 'Home'].includes(event.key) ||
      (event.key === ' ' && event.shiftKey && event.target === list);
    if (up) readBack();
  });
  list.addEventListener(
    'wheel',
    (event) => {
      if (event.deltaY < 0) readBack();
    },
    { passive: true },
  );
  // A finger moving down the screen (on a phone) drags older messages into view: from its first move, as a key does.
  let fingerY: number | undefined;
  list.addEventListener('touchstart', (event) => (fingerY = event.touches[0]?.clientY), { passive: true });
  list.addEventListener(
    'touchmove',
    (event) => {
      const y = event.touches[0]?.clientY;
      if (y !== undefined && fingerY !== undefined && y > fingerY) readBack();
      fingerY = y;
    },
    { passive: true },
  );
  // The "New messages" button floats over the list but is not in it: a swipe that starts on it would scroll nothing
  // (the browser scrolls what is under the finger, and nothing under it scrolls). It scrolls the list as a swipe
  // anywhere else does, by the finger's moves; a tap, which does not move, still presses it. (No `touch-action: none`
  // on it: Chromium then no longer takes a tap on it for a click.)
  let jumpFingerY: number | undefined;
  jump.addEventListener('touchstart', (event) => (jumpFingerY = event.touches[0]?.clientY), { passive: true });
  jump.addEventListener(
    'touchmove',
    (event) => {
      const y = event.touches[0]?.clientY;
      if (y === undefined || jumpFingerY === undefined) return;
      if (y > jumpFingerY) readBack();
      list.scrollTop += jumpFingerY - y;
      jumpFingerY = y;
    },
    { passive: true },
  );
  new ResizeObserver(() => {
    if (pinned) scrollToEnd();
  }).observe(list);
  // A message at the end that grows (a "Not sent" note with its buttons, an edit) stays in view, as a new one does.
  new MutationObserver(() => {
    if (pinned) scrollToEnd();
  }).observe(list, { childList: true, subtree: true, characterData: true });
  // The button hides once pressed: the focus it took would fall to the page, and the next keys typed nowhere.
  // A click leaves it in the composer (as the send button does); from the keyboard it goes back there.
  jump.addEventListener('mousedown', (event) => event.preventDefault());
  jump.addEventListener('click', () => {
    const hadFocus = document.activeElement === jump;
    scrollToEnd();
    if (hadFocus) byId('message').focus();
  });

  /** Who wrote it; "You" on one's own (not shown, but read out: the side and the colour say it to the eye). */
  const authorName = (id: number): string => (id === me ? 'You' : name(id));

  /** A message item: avatar, and a bubble with the author, the text (plain text, never HTML) and a footer. */
  function item(authorId: number, text: string): HTMLLIElement {
    const li = document.createElement('li');
    li.className = authorId === me ? 'message mine' : 'message';
    li.dataset.author = String(authorId);
    const bubble = document.createElement('div');
    bubble.className = 'bubble';
    const author = document.createElement('div');
    author.className = 'author';
    author.textContent = authorName(authorId);
    const body = document.createElement('span');
    body.className = 'text';
    body.dir = 'auto'; // Hebrew or Arabic reads right to left, its punctuation included, in an English page too
    body.textContent = text;
    const footer = document.createElement('span');
    footer.className = 'time';
    bubble.append(author, body, footer);
    li.append(avatar(authorId), bubble);
    return li;
  }

  const footer = (li: HTMLLIElement) => li.querySelector<HTMLElement>('.time')!;
  /** Writes when it was sent in the footer, and keeps it to write it again once that day is no longer today. */
  const dated = (li: HTMLLIElement, ms: number): void => {
    li.dataset.time = String(ms);
    footer(li).textContent = stamp(ms);
  };
  const undated = (li: HTMLLIElement, text: string): void => {
    delete li.dataset.time;
    footer(li).textContent = text;
  };
  let today = new Date().toDateString();

  /**
   * Takes away a "Not sent" note: the message went out after all. Should the focus be on its Retry or Delete (she went
   * there from the keyboard), it goes back to the composer, not to the page, where her next keys would type nothing.
   */
  const dropNote = (li: HTMLLIElement): void => {
    const note = li.querySelector('.send-error');
    if (note?.contains(document.activeElement)) byId('message').focus();
    note?.remove();
  };

  /**
   * Says that a message shown as "Not sent" went out after all. A screen reader read "Not sent" out (its note is an
   * alert), so it reads this out the same way; to the eye, the note's going and the time in its place say it. Not shown,
   * and gone after `TOLD_MS`: it would otherwise stay in the message's text, read again with it each time.
   */
  function wentOut(li: HTMLLIElement, message: Pending): void {
    const which = excerpt(message.text);
    let words = `Sent after all: ${which}.`;
    if (message.deleted) {
      const taken = options.storedAfterAll(message);
      words = `Sent after all, although you deleted it: ${which}.${taken ? ' Taken back out of the composer.' : ''}`;
    }
    const told = document.createElement('span');
    told.className = 'visually-hidden';
    told.setAttribute('role', 'alert');
    told.textContent = words;
    li.querySelector('.bubble')!.append(told);
    setTimeout(() => told.remove(), TOLD_MS);
  }

  /** Marks an item as the portal's message `id`, written at `time`. */
  function settle(li: HTMLLIElement, id: number, time: number): void {
    li.classList.remove('pending', 'failed');
    li.dataset.messageId = String(id);
    dropNote(li);
    dated(li, time);
    shown.set(id, li);
  }

  /**
   * Writes message `id`'s words in its bubble (plain text, never HTML), and under them the buttons it offers (a bot's
   * keyboard or menu), listed as text: a person sees that the bot offered choices. One without words (a bot's attach,
   * or its buttons under a text that was only `[BR]`s) would be a blank bubble: it says what it carries instead, its
   * buttons' texts, in the look of a note (`.no-text`), not of words. One whose words show nothing (no-break spaces,
   * which the portal keeps) says it is blank, in that look too. The stream tells words only: the buttons are asked for
   * once each (see `askButtons`), unless the chat's history told them already (`bringUpToDate`), and for a message
   * with words only when its author may offer any (`offersButtons`: a bot).
   */
  function write(li: HTMLLIElement, id: number, text: string): void {
    wordsIn.set(li, text);
    const buttons = buttonsOf.get(id);
    li.classList.toggle('no-text', looksBlank(text));
    const body = li.querySelector('.text')!;
    const words = shownText(text, buttons);
    if (body.textContent !== words) body.textContent = words;
    let under = li.querySelector<HTMLElement>('.buttons');
    if (text === '' || !buttons?.length) under?.remove();
    else {
      if (!under) {
        under = document.createElement('div');
        under.className = 'buttons';
        under.dir = 'auto';
        body.after(under);
      }
      const line = buttonsLine(buttons);
      if (under.textContent !== line) under.textContent = line;
    }
    if (buttons !== undefined || asking.has(id)) return;
    if (text !== '' && !options.offersButtons(Number(li.dataset.author))) return;
    asking.add(id);
    if (toAsk.size === 0) queueMicrotask(askButtons);
    toAsk.add(id);
  }

  /**
   * Asks for the buttons of the messages shown since it was last asked, in one go (a rebuild shows them all in one
   * task), and writes them in, reading out those told before they were known.
   */
  function askButtons(): void {
    // Not those the chat's history told meanwhile (a catch-up shows what the stream kept, then reads the history).
    const ids = [...toAsk].filter((id) => asking.has(id));
    toAsk.clear();
    if (ids.length === 0) return;
    const askedIn = era;
    options.buttons(ids).then(
      (found) => {
        if (askedIn !== era) return;
        const lines: string[] = [];
        for (const id of ids) {
          asking.delete(id);
          const buttons = found.get(id);
          if (buttons === undefined) continue; // not listed: asked again when it is shown again
          buttonsOf.set(id, buttons);
          const told = toldWithout.get(id);
          toldWithout.delete(id);
          const li = shown.get(id);
          const text = li && wordsIn.get(li);
          // Gone (a reset, or a rebuild without it): nothing shows it. Else it shows its words as they are now.
          if (text === undefined) continue;
          write(li!, id, text);
          // What it offers changed what is read: an attach or buttons instead of "[buttons or an attachment]".
          if (told && (text === '' || buttons.length > 0)) lines.push(spoken({ ...told, text }));
        }
        if (lines.length > 0) readOut(...lines);
      },
      () => {
        // It keeps saying what it may carry; asked again when it is shown again.
        if (askedIn === era) for (const id of ids) asking.delete(id);
      },
    );
  }

  /**
   * Where message `id` goes: before the first shown message with a greater id (the portal numbers them in the order
   * they were written, and the stream reports them in that order), else above what this page is still sending. So also
   * after a mark of missing messages that comes after the shown ones it follows: it is one of those missing.
   */
  function placeOf(id: number): Element | null {
    let before: Element | null = outbox[0]?.li ?? null;
    for (let li = before ? before.previousElementSibling : list.lastElementChild; li; li = li.previousElementSibling) {
      const other = (li as HTMLElement).dataset.messageId;
      if (other === undefined) continue;
      if (Number(other) < id) break;
      before = li;
    }
    return before;
  }

  /** The greatest id among the messages shown (0 if none). */
  const newest = (): number => {
    let max = 0;
    for (const id of shown.keys()) if (id > max) max = id;
    return max;
  };

  /**
   * Shows one of hers as the portal's message `id`, written at `time`, in its place (see `placeOf`): its echo claimed
   * it, or it never came (dropped with what the emulator no longer kept) and something else told its id. `text`: the
   * words the portal keeps of it (its echo's), which everyone else reads.
   */
  function place(message: Pending, id: number, time: number, text?: string): void {
    const notSent = message.li.classList.contains('failed');
    settle(message.li, id, time);
    if (text !== undefined) message.li.querySelector('.text')!.textContent = text;
    list.insertBefore(message.li, placeOf(id));
    if (notSent) wentOut(message.li, message);
  }

  /**
   * Hers that the portal answered with an id, whose echo the page will not get: it has shown a message written after
   * it (the stream reports them in order), so the echo was in what the emulator dropped. Put in their place, not left
   * under the later ones, dated by its answer (as near as the page knows when it was written).
   */
  function placeMissedEchoes(): void {
    const after = newest();
    for (const message of [...outbox, ...withdrawn]) {
      if (message.id === undefined || message.id > after) continue;
      const from = outbox.includes(message) ? outbox : withdrawn;
      from.splice(from.indexOf(message), 1);
      place(message, message.id, Number(message.li.dataset.time ?? Date.now()));
    }
  }

  /**
   * The outgoing message the stream's own message is: the same id, or else the same text sent since, one still on its
   * way before one marked "Not sent" (the same short answer sent again must not take the failed one's place). A
   * failed one is this page's only if its answer was lost and the portal stored the message before that: one the
   * portal refused, or the same words stored later (sent from another tab, say), leave it "Not sent". Its text is
   * compared as the portal keeps it (`keptText`: a long one cut, `[BR]` a new line), which is what the stream reports.
   */
  function claim(entry: Pick<MessageEntry, 'messageId' | 'text' | 'time'>): Pending | undefined {
    const sameText = (p: Pending) =>
      p.id === undefined &&
      keptText(p.text) === entry.text &&
      entry.time >= p.startedAt - 1000 &&
      (p.li.classList.contains('pending') ||
        p.waiting === true ||
        (p.lostAt !== undefined && entry.time <= p.lostAt + 1000));
    let i = outbox.findIndex((p) => p.id === entry.messageId);
    if (i < 0) i = outbox.findIndex((p) => sameText(p) && p.li.classList.contains('pending'));
    if (i < 0) i = outbox.findIndex(sameText);
    if (i >= 0) return outbox.splice(i, 1)[0];
    // One she deleted, stored all the same: it comes back (its words are no longer hers to send again).
    i = withdrawn.findIndex((p) => p.id === entry.messageId || sameText(p));
    return i < 0 ? undefined : withdrawn.splice(i, 1)[0];
  }

  /** It did not go out: say why, offer to retry or to delete it. */
  function fail(message: Pending, reason: string, answerLost: boolean, code?: string, waiting = false): void {
    const { li } = message;
    message.waiting = waiting;
    if (answerLost) message.lostAt = Date.now();
    // Shown as not sent already (the page stopped waiting for it): its late answer only says whether it may be stored.
    if (li.classList.contains('failed')) return;
    li.classList.remove('pending'); // or it was taken, by an emulator that has since started over
    li.classList.add('failed');
    undated(li, '');
    const note = document.createElement('div');
    note.className = 'send-error';
    note.setAttribute('role', 'alert');
    const why = document.createElement('span');
    why.textContent = `Not sent: ${reason}.`;
    if (code !== undefined) why.title = code; // for a developer who points at it; the words are for the person
    // Named after the message (the visible word first, for voice control): a screen reader's list of buttons would
    // otherwise give the same "Retry" and "Delete" for every message that did not go out.
    const which = excerpt(message.text);
    const retry = document.createElement('button');
    retry.type = 'button';
    retry.textContent = 'Retry';
    retry.setAttribute('aria-label', `Retry: ${which}`);
    retry.addEventListener('click', () => options.retry(message));
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.textContent = 'Delete';
    remove.setAttribute('aria-label', `Delete the unsent message: ${which}`);
    remove.addEventListener('click', () => {
      outbox.splice(outbox.indexOf(message), 1);
      li.remove();
      // Its call still open, the portal may store it yet: then it shows after all (see `claim`), as everyone sees it.
      if (message.waiting) {
        message.deleted = true;
        withdrawn.push(message);
      }
      options.deleted(message);
    });
    note.append(why, retry, remove);
    li.querySelector('.bubble')!.append(note);
  }

  const isPending = (message: Outgoing): message is Pending => outbox.includes(message as Pending);

  /**
   * Adds a message of the stream above what this page is still sending: `sent here` if it is one this page sent,
   * `new` if another (hers from another tab included), undefined if it was shown already.
   */
  function insert(entry: MessageEntry): 'sent here' | 'new' | undefined {
    const known = shown.get(entry.messageId);
    if (known) {
      // An edit (`im.message.update`) comes as the same message again, with its new text; a deletion too (by
      // `im.message.delete`, or an update to no text), with the portal's "This message has been deleted.", no edit.
      if (entry.edited || entry.deleted) {
        // A deleted message offers nothing any more (the portal resets its params).
        if (entry.deleted) buttonsOf.set(entry.messageId, []);
        write(known, entry.messageId, entry.text);
        markChanged(known, entry);
      }
      return undefined;
    }
    const claimed = entry.authorId === me ? claim(entry) : undefined;
    if (claimed) {
      place(claimed, entry.messageId, entry.time, entry.text);
      return 'sent here';
    }
    const li = item(entry.authorId, entry.text);
    // Edited or deleted already when the timeline no longer holds its first entry (it keeps `timelineLimit`).
    markChanged(li, entry);
    settle(li, entry.messageId, entry.time);
    write(li, entry.messageId, entry.text);
    list.insertBefore(li, placeOf(entry.messageId));
    return 'new';
  }

  /** The emulator's messages are gone (it went back to its seed); what this page is sending stays. */
  function clear(): void {
    for (const li of shown.values()) li.remove();
    shown.clear();
    for (const li of list.querySelectorAll('li.gap')) li.remove();
  }

  /**
   * Marks, under the messages shown so far, that some after them may be missing: the page was cut off for longer
   * than the emulator keeps its timeline. What it showed is kept (it is still true), and what it kept comes under this.
   */
  function markGap(): HTMLLIElement {
    const li = document.createElement('li');
    li.className = 'gap';
    li.textContent = GAP;
    list.insertBefore(li, outbox[0]?.li ?? null);
    return li;
  }

  /**
   * Brings what the list shows of the chat's newest messages (`recent`, as they are now) up to date after a gap: a
   * message edited in what was dropped gets its new words (not read out, as a live edit is not), and one of hers whose
   * echo was dropped is recognised (as her echo would be: by id, or by its text when its answer was lost) and put in its
   * place. A message not shown at all (others', or hers from another tab) was dropped with the rest: it is added in its
   * place (by id, as the stream's are), and returned, news to the reader as what the stream kept is. Only the newest
   * ones are there (as far back as the history was read): an older shown message edited meanwhile keeps its words, an
   * answer-lost one of hers stored further back stays "Not sent", and messages written before the oldest of them are
   * not added (the gap says so).
   */
  function bringUpToDate(recent: readonly HistoryMessage[]): Heard[] {
    const added: Heard[] = [];
    for (const message of recent) {
      // They come with it: nothing to ask for (nor to read out again: what is read out comes after this).
      buttonsOf.set(message.id, message.buttons);
      asking.delete(message.id);
      if (!shown.has(message.id)) {
        const entry = { messageId: message.id, authorId: message.authorId, text: message.text, time: message.date };
        const claimed = message.authorId === me ? claim(entry) : undefined;
        if (claimed) {
          place(claimed, message.id, message.date);
        } else {
          const li = item(message.authorId, message.text);
          settle(li, message.id, message.date);
          list.insertBefore(li, placeOf(message.id));
          added.push(entry);
        }
      }
      const known = shown.get(message.id)!;
      write(known, message.id, message.text);
      markChanged(known, message);
    }
    return added;
  }

  /** Marks a shown message edited or deleted, as it now is (a deleted one is no longer "edited"). */
  function markChanged(li: HTMLLIElement, message: { readonly edited: boolean; readonly deleted: boolean }): void {
    if (message.deleted) li.classList.remove('edited');
    else if (!message.edited) return;
    li.classList.add(message.deleted ? 'deleted' : 'edited');
  }

  /**
   * A message as a screen reader reads it out: its author, and what its bubble shows (its words and the buttons under
   * them; one without words what it carries, its buttons once known), not a bare name.
   */
  const spoken = (entry: Heard): string =>
    `${name(entry.authorId)}: ${readText(entry.text, buttonsOf.get(entry.messageId))}`;

  /** Whether the list was loaded before (a later load is a reconnect). */
  let loaded = false;
  /**
   * Read out by a screen reader: each message others write while the page is open. The list itself is no live
   * region: a reconnect rebuilds it, and its whole history would be read again.
   */
  const announce = (entries: readonly Heard[]): void => {
    // At once: read out one by one, the first of a burst (a catch-up) would be dropped from the announcer before a
    // screen reader ever saw it.
    readOut(...entries.map(spoken));
    for (const entry of entries) {
      // Read out before its buttons are known: once more when they are (see `askButtons`).
      if (asking.has(entry.messageId)) toldWithout.set(entry.messageId, entry);
      options.received(entry);
    }
  };
  /**
   * What a batch of the stream brought, told once: `fresh` (news to the reader, once each, in the words it shows) read
   * out but for her own, then one scroll: to the end when `follow` (she was at it, or sent one of them from this
   * page), else the "New messages" button if anything came. Live entries, a resumed stream's and a rebuild's all end
   * here, so they tell the reader alike.
   */
  const tell = (fresh: Iterable<Heard>, follow: boolean): void => {
    let any = false;
    const others: Heard[] = [];
    for (const entry of fresh) {
      any = true;
      if (entry.authorId !== me) others.push(entry);
    }
    announce(others);
    if (follow) scrollToEnd();
    else if (any) jump.hidden = false;
  };

  return {
    /**
     * A message from the stream (any author, this page's included). One sent from this page brings the reader to
     * the end; hers from another tab (or device) does not pull someone reading older messages away.
     */
    add(entry: MessageEntry): void {
      const follow = pinned;
      const added = insert(entry);
      if (added) tell([entry], follow || added === 'sent here');
    },

    /**
     * All the chat's messages, from a snapshot of the timeline: the list is rebuilt, scrolled once. On a reconnect,
     * what came while the stream was cut is new to the reader, as if it came live: read out, and the button shown
     * to someone reading older messages. On opening the page the history is not. A message edited meanwhile is in the
     * timeline once more with its new text: it is one message, read out (and counted) once, in the words it shows.
     */
    load(entries: readonly MessageEntry[]): void {
      const before = loaded ? new Set(shown.keys()) : undefined;
      clear();
      const fresh = new Map<number, MessageEntry>();
      for (const entry of entries) {
        insert(entry);
        if (before && !before.has(entry.messageId)) fresh.set(entry.messageId, entry);
      }
      loaded = true;
      tell(fresh.values(), pinned);
    },

    /**
     * What came while the stream was cut (a reconnect that resumed where the page was): added on top of the list, as
     * if it came live, but read out once each (a message written and edited meanwhile in its last words, as `load`
     * does), and scrolled once. `gap`: the emulator had dropped some of what came (see `markGap`); `history`, the
     * chat's newest messages as they are now, bring up to date and fill in what it dropped of them (see
     * `bringUpToDate`), read out with the rest, oldest first. Returns what the gap's mark says (for a screen reader
     * too): whether those filled in cover all that was written meanwhile, or from when on. Without a history (it could
     * not be read), the mark says only that some may be missing.
     */
    catchUp(entries: readonly MessageEntry[], gap = false, history?: History): string | undefined {
      const follow = pinned;
      /** Shown before the gap: a history that reaches back to one of them (or to the chat's first) covers it all. */
      const before = newest();
      const mark = gap ? markGap() : undefined;
      const fresh = new Map<number, Heard>();
      let sentHere = false;
      for (const entry of entries) {
        const added = insert(entry);
        if (added === 'sent here') sentHere = true;
        else if (added === 'new' || fresh.has(entry.messageId)) fresh.set(entry.messageId, entry);
      }
      if (mark) {
        const recent = history?.messages ?? [];
        for (const entry of bringUpToDate(recent)) fresh.set(entry.messageId, entry);
        // Hers answered with an id, older than the newest (not among them, or the answer came before the reconnect):
        // its echo was dropped, and its answer's time is all the page knows of when it was written.
        placeMissedEchoes();
        // No history (it could not be read), or none in the chat: the mark's first words stand.
        const oldest = recent[0];
        const covered = history?.whole === true || (oldest !== undefined && oldest.id <= before);
        if (oldest) mark.textContent = gapWords(covered ? undefined : oldest.date);
      }
      tell(
        [...fresh.values()].sort((a, b) => a.messageId - b.messageId),
        follow || sentHere,
      );
      return mark?.textContent ?? undefined;
    },

    clear,

    /** The newest message id shown (0 for none). */
    newest,

    /** Writes the authors' names again (someone unknown when their message came has been looked up since). */
    rename(): void {
      for (const li of list.querySelectorAll<HTMLLIElement>('li[data-author]')) {
        const id = Number(li.dataset.author);
        li.querySelector('.author')!.textContent = authorName(id);
        li.querySelector('.avatar')!.replaceWith(avatar(id));
      }
    },

    /** Past midnight, with the page open: the messages of the day before get their date. */
    redate(): void {
      const now = new Date().toDateString();
      if (now === today) return;
      today = now;
      for (const li of list.querySelectorAll<HTMLLIElement>('li[data-time]')) dated(li, Number(li.dataset.time));
    },

    /** A message the person just sent, shown at once at the end of the list. */
    outgoing(text: string): Outgoing {
      // Shown as the portal will keep it (a paste past its limit cut, with " (...)"): what the others will read. Her
      // own words stay in `text`, for Retry and for Delete, which gives them back to the composer whole.
      const pending: Pending = { text, li: item(me, keptText(text)), startedAt: Date.now() };
      pending.li.classList.add('pending');
      undated(pending.li, 'Sending…');
      outbox.push(pending);
      list.append(pending.li);
      scrollToEnd();
      return pending;
    },

    /** Sending (again, after Retry). */
    sending(message: Outgoing): void {
      if (!isPending(message)) return;
      message.li.classList.replace('failed', 'pending');
      message.li.querySelector('.send-error')?.remove();
      undated(message.li, 'Sending…');
    },

    /** The portal took it; the stream will report it (unless it already has). */
    sent(sent: Outgoing, id: number): void {
      const message = sent as Pending;
      const deleted = withdrawn.indexOf(message);
      if (!isPending(message) && deleted < 0) return;
      const notSent = message.li.classList.contains('failed');
      const reported = shown.get(id);
      if (reported) {
        if (deleted >= 0) withdrawn.splice(deleted, 1);
        else outbox.splice(outbox.indexOf(message), 1);
        message.li.remove();
        if (notSent) wentOut(reported, message);
        return;
      }
      message.id = id;
      delete message.waiting;
      // Answered after the page caught up past it (a reconnect that found its echo dropped): no echo will come.
      if (id < newest()) {
        placeMissedEchoes();
        return;
      }
      if (deleted >= 0) return; // shown again with its echo, which its id now claims
      message.li.classList.remove('pending', 'failed'); // "Not sent" while it waited, stored after all
      dropNote(message.li);
      dated(message.li, Date.now());
      if (notSent) wentOut(message.li, message);
    },

    /**
     * A message she deleted while its call was still open is sent again, the same words: the new one stands for it now
     * (its call waits for the deleted one's answer), and it does not come back on its own should the portal store it.
     */
    replaced(message: Outgoing): void {
      const deleted = withdrawn.indexOf(message as Pending);
      if (deleted >= 0) withdrawn.splice(deleted, 1);
    },

    /**
     * It did not go out: say why, offer to retry or to delete it. `answerLost`: no answer said so (the connection
     * broke, the reply was cut off), so the portal may have stored it and its echo may still come. `code`: the
     * portal's error code, shown only as the reason's title. `waiting`: the page stopped waiting, the call did not (its
     * answer comes as `sent` or `failed` again, which then only notes whether it may have been stored).
     */
    failed(message: Outgoing, reason: string, answerLost: boolean, code?: string, waiting?: boolean): void {
      if (isPending(message)) fail(message, reason, answerLost, code, waiting);
      const deleted = withdrawn.indexOf(message as Pending);
      if (deleted < 0) return;
      // Its call is over: refused, it was never stored; lost, its echo is still taken for it as a failed one's is.
      fail(withdrawn[deleted]!, reason, answerLost, code);
      if (!answerLost) withdrawn.splice(deleted, 1);
    },

    /**
     * The emulator started over (a reset, or a new process). What it took from this page but had not reported yet is
     * gone with it, and it numbers its messages from 1 again: such a message must not be taken for the new one with
     * its number. It shows as not sent (Retry, Delete); should it turn up after all (sent to the new one), it is
     * recognised by its text, as one whose answer was lost. Its messages of before go too: a number they had may be a
     * new message's now, which `load` must not take for one she has seen (it would be neither read out nor counted).
     */
    startedOver(): void {
      clear();
      // Its numbers start over: a message with a number of before is another one now.
      buttonsOf.clear();
      asking.clear();
      toAsk.clear();
      toldWithout.clear();
      era++;
      // A deleted one the old emulator stored is gone with it; one never stored is matched by its text (see `claim`).
      for (let i = withdrawn.length - 1; i >= 0; i--) if (withdrawn[i]!.id !== undefined) withdrawn.splice(i, 1);
      for (const message of outbox) {
        if (message.id === undefined) continue;
        delete message.id;
        fail(message, 'the emulator was reset or restarted before it showed it', true);
      }
    },
  };
}
