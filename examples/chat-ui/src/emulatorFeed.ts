import type { TimelineEntry } from '@b24-typing/emulator';
import { Observable } from 'rxjs';

/** A timeline entry, or `reset` when the emulator went back to its seed. */
export type FeedEntry = TimelineEntry | { readonly kind: 'reset'; readonly time: number };

export type FeedEvent =
  /**
   * (Re)connected: the emulator's whole timeline so far, for the view to rebuild from; live entries follow.
   * `restarted`: its sequence numbers went back, so it is a new emulator process, whose tokens are its seed's.
   */
  | { readonly kind: 'snapshot'; readonly entries: readonly TimelineEntry[]; readonly restarted: boolean }
  /** The stream broke (the emulator stopped or restarts); the next attempt is in `retryInMs`. */
  | { readonly kind: 'disconnected'; readonly retryInMs: number }
  | FeedEntry;

/** Waits between attempts to reconnect: quick at first (a restart takes a second), then every 5 s. */
const RETRY_MS = [500, 1000, 2000, 5000];

/**
 * The emulator's timeline, kept current: a snapshot (`/_emulator/timeline`), then its server-sent events
 * (`/_emulator/events`) from the snapshot's last entry on. When the stream breaks, it says so and starts over with
 * a fresh snapshot rather than letting EventSource resume by itself: a restarted emulator numbers its entries from
 * 1 again, and resuming after the old process's last id would skip everything the new one says.
 */
export function emulatorFeed(emulatorUrl: string): Observable<FeedEvent> {
  return new Observable<FeedEvent>((subscriber) => {
    let source: EventSource | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    /** The newest entry seen, from any connection. */
    let lastSeq = 0;
    let closed = false;

    const retry = (): void => {
      source?.close();
      source = undefined;
      if (closed || timer !== undefined) return;
      const retryInMs = RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)]!;
      subscriber.next({ kind: 'disconnected', retryInMs });
      timer = setTimeout(() => {
        timer = undefined;
        void connect();
      }, retryInMs);
    };

    const connect = async (): Promise<void> => {
      let entries: TimelineEntry[];
      try {
        const response = await fetch(`${emulatorUrl}/_emulator/timeline`, { cache: 'no-store' });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        entries = ((await response.json()) as { entries: TimelineEntry[] }).entries;
      } catch {
        retry();
        return;
      }
      if (closed) return;
      const newest = entries.at(-1)?.seq ?? 0;
      const events = new EventSource(`${emulatorUrl}/_emulator/events?since=${newest}`);
      source = events;
      events.onopen = () => {
        failures = 0;
        subscriber.next({ kind: 'snapshot', entries, restarted: newest < lastSeq });
        lastSeq = newest;
      };
      events.onmessage = (message: MessageEvent<string>) => {
        const entry = JSON.parse(message.data) as FeedEntry;
        if ('seq' in entry) lastSeq = entry.seq;
        subscriber.next(entry);
      };
      // EventSource would reconnect by itself with the last id it saw; see above for why not.
      events.onerror = retry;
    };

    void connect();
    return () => {
      closed = true;
      clearTimeout(timer);
      source?.close();
    };
  });
}
