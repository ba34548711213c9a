import type { HideCause, TimelineEntry, VisibilityInterval } from './types';

type Draft = TimelineEntry extends infer E ? (E extends TimelineEntry ? Omit<E, 'seq'> : never) : never;

/**
 * Append-only record of calls, hides and messages. Listeners (the SSE stream, the live page) see each entry as it
 * is added; the in-memory list is what `timeline()` and `/_emulator/timeline` return.
 */
export class Timeline {
  private readonly entries: TimelineEntry[] = [];
  private seq = 0;
  private readonly listeners = new Set<(entry: TimelineEntry) => void>();

  push(draft: Draft): TimelineEntry {
    const entry = { ...draft, seq: ++this.seq } as TimelineEntry;
    this.entries.push(entry);
    for (const listener of this.listeners) listener(entry);
    return entry;
  }

  list(sinceSeq = 0): TimelineEntry[] {
    return sinceSeq > 0 ? this.entries.filter((entry) => entry.seq > sinceSeq) : this.entries.slice();
  }

  subscribe(listener: (entry: TimelineEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  clear(): void {
    this.entries.length = 0;
  }
}

/**
 * Continuous visibility of one (chat, sender) indicator, from the timeline alone: a shown call opens (or extends)
 * an interval, a hide ends it unless it is a replacement, which is followed at once by the replacing call.
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
