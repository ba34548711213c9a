import type { TimelineEntry } from '@b24-typing/emulator';
import { Observable } from 'rxjs';

/** A timeline entry, or `reset` when the emulator went back to its seed (its new epoch with it). */
export type FeedEntry =
  | TimelineEntry
  | { readonly kind: 'reset'; readonly seq: number; readonly time: number; readonly epoch: string };

export type FeedEvent =
  /**
   * (Re)connected: the emulator's whole timeline so far, for the view to rebuild from; live entries follow.
   * `startedOver`: it is in another epoch than when this page last heard from it, so it was reset or restarted
   * meanwhile (perhaps while the page was cut off): the tokens and message numbers of before mean nothing to it.
   */
  | { readonly kind: 'snapshot'; readonly entries: readonly TimelineEntry[]; readonly startedOver: boolean }
  /** The stream broke (the emulator stopped or restarts); the next attempt is in `retryInMs`. */
  | { readonly kind: 'disconnected'; readonly retryInMs: number }
  | FeedEntry;

/** Waits between attempts to reconnect: quick at first (a restart takes a second), then every 5 s. */
const RETRY_MS = [500, 1000, 2000, 5000];

/**
 * The emulator's timeline, kept current: a snapshot (`/_emulator/timeline`), then its server-sent events
 * (`/_emulator/events`) from the snapshot's last entry on. When the stream breaks, it says so and starts over with
 * a fresh snapshot rather than letting EventSource resume by itself, so the view is rebuilt from what the emulator
 * has now. Whether the emulator started over (a reset or a new process) is told by its epoch (`<process>-<resets>`,
 * in every snapshot and `reset` event), not guessed from its numbers: a new process may have numbered past the old
 * one by the time the page is back, and a reset keeps counting. `epoch` is the one the page started with.
 */
export function emulatorFeed(emulatorUrl: string, epoch?: string): Observable<FeedEvent> {
  return new Observable<FeedEvent>((subscriber) => {
    let source: EventSource | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    /** The epoch of what the page shows. */
    let known = epoch;
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
      let snapshot: { entries: TimelineEntry[]; epoch: string; lastSeq: number };
      try {
        const response = await fetch(`${emulatorUrl}/_emulator/timeline`, { cache: 'no-store' });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        snapshot = (await response.json()) as typeof snapshot;
      } catch {
        retry();
        return;
      }
      if (closed) return;
      // With its epoch, the stream opens with a `reset` event should the emulator start over before it connects.
      const cursor = new URLSearchParams({ since: String(snapshot.lastSeq), epoch: snapshot.epoch });
      const events = new EventSource(`${emulatorUrl}/_emulator/events?${cursor}`);
      source = events;
      events.onopen = () => {
        failures = 0;
        const startedOver = known !== undefined && snapshot.epoch !== known;
        known = snapshot.epoch;
        subscriber.next({ kind: 'snapshot', entries: snapshot.entries, startedOver });
      };
      events.onmessage = (message: MessageEvent<string>) => {
        const entry = JSON.parse(message.data) as FeedEntry;
        if (entry.kind === 'reset') known = entry.epoch;
        subscriber.next(entry);
      };
      // EventSource would reconnect by itself from the last id it saw; see above for why not.
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
