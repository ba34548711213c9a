import type { HideCause, TimelineEntry, VisibilityInterval } from './types';

type Draft = TimelineEntry extends infer E ? (E extends TimelineEntry ? Omit<E, 'seq'> : never) : never;

/** Default of `EmulatorOptions.timelineLimit`: far beyond any test or example run, small enough for days of a demo. */
export const DEFAULT_TIMELINE_LIMIT = 100_000;

/**
 * Record of calls, hides and messages that keeps the newest `limit` entries. Listeners (the SSE stream, the live
 * page) see each entry as it is added, trimmed or not; the in-memory list is what `timeline()` and
 * `/_emulator/timeline` return.
 *
 * Storage is a ring: the array grows up to `limit`, then each push overwrites the oldest slot, so trimming is O(1)
 * and never copies. `seq` counts up across trims and `clear()`, so the entries held always have consecutive seqs
 * starting at `firstSeq`, and `list(since)` finds its start by arithmetic.
 */
export class Timeline {
  private ring: TimelineEntry[] = [];
  /** Index in `ring` of the oldest entry (0 until the ring is full). */
  private start = 0;
  private seq = 0;
  private readonly listeners = new Set<(entry: TimelineEntry) => void>();

  constructor(readonly limit: number = DEFAULT_TIMELINE_LIMIT) {
    if (!(Number.isInteger(limit) && limit >= 1)) {
      throw new TypeError(`Timeline: limit must be a positive integer, got ${String(limit)}`);
    }
  }

  push(draft: Draft): TimelineEntry {
    const entry = { ...draft, seq: ++this.seq } as TimelineEntry;
    if (this.ring.length < this.limit) this.ring.push(entry);
    else {
      this.ring[this.start] = entry;
      this.start = this.start + 1 === this.limit ? 0 : this.start + 1;
    }
    for (const listener of this.listeners) listener(entry);
    return entry;
  }

  /** Number of entries held (at most `limit`). */
  get size(): number {
    return this.ring.length;
  }

  /** Seq of the oldest entry held; when nothing is held, the seq the next entry will get. */
  get firstSeq(): number {
    return this.seq - this.ring.length + 1;
  }

  /** Entries with `seq > sinceSeq`, oldest first. Entries trimmed by the limit are gone: the first one returned then has a seq above `sinceSeq + 1`. */
  list(sinceSeq = 0): TimelineEntry[] {
    const size = this.ring.length;
    const skip = sinceSeq > 0 ? Math.min(size, Math.max(0, Math.floor(sinceSeq) - this.firstSeq + 1)) : 0;
    const out = new Array<TimelineEntry>(size - skip);
    for (let i = skip; i < size; i++) out[i - skip] = this.ring[(this.start + i) % size]!;
    return out;
  }

  subscribe(listener: (entry: TimelineEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Seq of the newest entry (or of the last `clear()`); 0 when nothing happened yet. */
  get lastSeq(): number {
    return this.seq;
  }

  /**
   * Drops every entry and spends one seq on the clearing itself (returned), so a cursor from before it is always
   * below it: `since < clearedSeq` means "you have not seen the clearing". `seq` keeps counting.
   */
  clear(): number {
    this.ring = [];
    this.start = 0;
    return ++this.seq;
  }
}

/**
 * Continuous visibility of one (chat, sender) indicator, from the timeline alone: a shown call opens (or extends)
 * an interval, a hide ends it unless it is a replacement, which is followed at once by the replacing call.
 *
 * A renewal at the very instant the previous timer ran out continues the interval: the old indicator is visible
 * until `visibleUntil` and the new one from that same instant (reference §3: each notify restarts the client's
 * timer), so there is no moment a person could see it gone. Only an expiry touches like that; a message or an edit
 * hid it for a reason, and what follows is a new indicator.
 */
export function visibilityFrom(
  entries: readonly TimelineEntry[],
  chatId: number,
  senderId: number,
): VisibilityInterval[] {
  const out: VisibilityInterval[] = [];
  let open: VisibilityInterval | null = null;
  for (const entry of entries) {
    if (entry.kind === 'call') {
      if (!entry.shown || entry.chatId !== chatId || entry.senderId !== senderId) continue;
      const last = out.at(-1);
      if (!open && last?.endCause === 'expired' && last.to === entry.time) {
        open = last;
        open.to = null;
        open.endCause = null;
      }
      if (open) open.calls++;
      else {
        open = { from: entry.time, to: null, endCause: null, calls: 1 };
        out.push(open);
      }
    } else if (entry.kind === 'hide') {
      if (entry.chatId !== chatId || entry.senderId !== senderId || !open) continue;
      if (entry.cause === 'replaced') continue;
      open.to = entry.time;
      open.endCause = entry.cause as Exclude<HideCause, 'replaced'>;
      open = null;
    }
  }
  return out;
}
