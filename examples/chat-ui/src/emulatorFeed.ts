import type { TimelineEntry } from '@b24-typing/emulator';
import { Observable } from 'rxjs';
import type { History } from './loadHistory';

/** A timeline entry, or `reset` when the emulator went back to its seed (its new epoch with it). */
export type FeedEntry =
  | TimelineEntry
  | { readonly kind: 'reset'; readonly seq: number; readonly time: number; readonly epoch: string };

export type FeedEvent =
  /**
   * Connected (or reconnected, where it could not resume): the emulator's whole timeline so far, for the view to
   * rebuild from; live entries follow.
   * `startedOver`: it is in another epoch than when this page last heard from it, so it was reset or restarted
   * meanwhile (perhaps while the page was cut off): the tokens and message numbers of before mean nothing to it.
   */
  | { readonly kind: 'snapshot'; readonly entries: readonly TimelineEntry[]; readonly startedOver: boolean }
  /**
   * Reconnected to the same emulator, in the same epoch: what it recorded since the last entry the page had (only
   * that, in order; live entries follow). The view takes them in on top of what it shows, as if they came live.
   * `gap`: the emulator no longer had the entries right after the page's last (it keeps only its newest
   * `timelineLimit`, and the page was away longer than that): these are the ones it kept, and what came in between
   * (messages, edits, who stopped typing) is unknown. What the page showed before is still true of its time (the same
   * emulator, the same numbers), so it is kept rather than thrown away, and the view says that some may be missing.
   */
  | {
      readonly kind: 'resumed';
      readonly entries: readonly TimelineEntry[];
      readonly gap: boolean;
      /**
       * With a gap: the chat's history as it is now (`history`, read after the timeline and before the stream opens, so
       * nothing the stream brings is older than it), for the view to bring up to date what it shows of it (an edit
       * dropped with the rest) and fill in what it does not show. Undefined without a gap, or when it could not be read.
       */
      readonly history?: History;
    }
  /** The stream broke (the emulator stopped or restarts); the next attempt is in `retryInMs`. */
  | { readonly kind: 'disconnected'; readonly retryInMs: number }
  | FeedEntry;

/** Waits between attempts to reconnect: quick at first (a restart takes a second), then every 5 s. */
const RETRY_MS = [500, 1000, 2000, 5000];

/**
 * How often, by default (the `watchMs` setting), a stream that brought nothing is checked against the emulator's
 * timeline. A stream can stall without closing (a proxy that holds the connection, a half-open one after a network
 * change): EventSource then reports nothing, and the emulator's heartbeat (`: ping` every 15 s) is an SSE comment,
 * which EventSource does not surface. So a silent stream is asked after: the timeline from its last entry on
 * (`since`: a few bytes when all is well). What the timeline has and the stream did not bring within the next period,
 * or a check that fails or gets no answer by then, means the stream is dead: it is said ("reconnecting…") and started
 * over. A quiet emulator costs one small request per period, and the page notices a stall within two periods of
 * something it missed.
 */
export const WATCH_MS = 5_000;

/**
 * The emulator's timeline, kept current: a snapshot (`/_emulator/timeline`), then its server-sent events
 * (`/_emulator/events`) from the snapshot's last entry on. When the stream breaks, it says so and reconnects on its own
 * schedule (EventSource's own retry is silent). It resumes: the timeline from the last entry the page has (`since`,
 * with its epoch), so a reconnect costs what was missed, not the whole history again, then the stream from there.
 * Only when the emulator started over is that a fresh snapshot, to rebuild the view from; when it dropped entries the
 * page never had (it keeps a bounded timeline), it resumes from what it kept, says there is a gap, and hands over the
 * chat's history as it is now (`history`: the page's REST calls, as a Bitrix24 app would read it), for what the page
 * shows of it; a history that cannot be read leaves the gap as it is, and the page goes on. Whether the
 * emulator started over (a reset or a new process) is told by its
 * epoch (`<process>-<resets>`, in every snapshot and `reset` event), not guessed from its numbers: a new process may
 * have numbered past the old one by the time the page is back, and a reset keeps counting. `epoch` is the one the
 * page started with. A stream that stalls without closing is found out by its silence (checked every `watchMs`, see
 * `WATCH_MS`) and started over the same way.
 */
export function emulatorFeed(
  emulatorUrl: string,
  epoch: string,
  watchMs: number,
  history: () => Promise<History>,
): Observable<FeedEvent> {
  return new Observable<FeedEvent>((subscriber) => {
    let source: EventSource | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let watch: ReturnType<typeof setInterval> | undefined;
    let failures = 0;
    /** The epoch of what the page shows. */
    let known = epoch;
    /** The last entry handed to the subscriber (a snapshot's or the stream's): where a reconnect resumes. */
    let last: number | undefined;
    let closed = false;

    const retry = (): void => {
      source?.close();
      source = undefined;
      clearInterval(watch);
      watch = undefined;
      if (closed || timer !== undefined) return;
      const retryInMs = RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)]!;
      subscriber.next({ kind: 'disconnected', retryInMs });
      timer = setTimeout(() => {
        timer = undefined;
        void connect();
      }, retryInMs);
    };

    const connect = async (): Promise<void> => {
      let snapshot: { entries: TimelineEntry[]; epoch: string; lastSeq: number; reset?: true };
      /** Where it resumes from, if it does: `since` the last entry the page has, in the epoch it has it from. */
      const from = last === undefined ? undefined : { since: last, epoch: known };
      try {
        const query = from ? `?${new URLSearchParams({ since: String(from.since), epoch: from.epoch })}` : '';
        const response = await fetch(`${emulatorUrl}/_emulator/timeline${query}`, { cache: 'no-store' });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        snapshot = (await response.json()) as typeof snapshot;
      } catch {
        retry();
        return;
      }
      if (closed) return;
      // Resumed, unless the emulator says it cannot (another epoch: it answers with every entry it keeps, and the view
      // is rebuilt from them). Entries right after the page's last may be gone (it fell further behind than the
      // emulator keeps): still resumed, the same numbering goes on, but with a gap the view must own up to.
      const first = snapshot.entries[0];
      const resumed = from !== undefined && snapshot.reset !== true;
      const gap = resumed && first !== undefined && first.seq > from.since + 1;
      // What was dropped may have changed what the page shows (an edit): the chat's history has its messages as they
      // are now. Read after the timeline, it is no older than its last entry; what the stream brings from there on is
      // applied after it. One that cannot be read does not hold the page up: the gap stays unfilled, the stream goes on.
      let read: History | undefined;
      if (gap) {
        try {
          read = await history();
        } catch (error) {
          console.warn('could not read the chat history after a gap', error);
        }
        if (closed) return;
      }
      // With its epoch, the stream opens with a `reset` event should the emulator start over before it connects.
      const cursor = new URLSearchParams({ since: String(snapshot.lastSeq), epoch: snapshot.epoch });
      const events = new EventSource(`${emulatorUrl}/_emulator/events?${cursor}`);
      source = events;
      /** Whether the stream brought an entry since the last check. */
      let heard = false;
      /** What the timeline had at the last check that the stream had not brought yet. */
      let owed: { readonly epoch: string; readonly lastSeq: number } | undefined;
      let checking = false;
      const check = (): void => {
        if (source !== events) return;
        // No answer within a period (held as the stream is), or what the timeline had is still not here: dead.
        if (checking || (owed && (known !== owed.epoch || (last ?? 0) < owed.lastSeq))) {
          retry();
          return;
        }
        owed = undefined;
        if (heard) {
          heard = false;
          return;
        }
        checking = true;
        const cursor = new URLSearchParams({ since: String(last ?? 0), epoch: known });
        fetch(`${emulatorUrl}/_emulator/timeline?${cursor}`, { cache: 'no-store' })
          .then(async (response) => {
            if (!response.ok) throw new Error(`HTTP ${response.status}`);
            return (await response.json()) as { epoch: string; lastSeq: number };
          })
          .then(
            (timeline) => {
              checking = false;
              if (timeline.epoch !== known || timeline.lastSeq > (last ?? 0)) {
                owed = { epoch: timeline.epoch, lastSeq: timeline.lastSeq };
              }
            },
            () => {
              checking = false;
              if (source === events) retry();
            },
          );
      };
      events.onopen = () => {
        failures = 0;
        const startedOver = snapshot.epoch !== known;
        known = snapshot.epoch;
        last = snapshot.lastSeq;
        if (resumed)
          subscriber.next({ kind: 'resumed', entries: snapshot.entries, gap, ...(read && { history: read }) });
        else subscriber.next({ kind: 'snapshot', entries: snapshot.entries, startedOver });
        clearInterval(watch);
        watch = setInterval(check, watchMs);
      };
      events.onmessage = (message: MessageEvent<string>) => {
        const entry = JSON.parse(message.data) as FeedEntry;
        if (entry.kind === 'reset') known = entry.epoch;
        last = entry.seq;
        heard = true;
        subscriber.next(entry);
      };
      // EventSource would reconnect by itself from the last id it saw; see above for why not.
      events.onerror = retry;
    };

    void connect();
    return () => {
      closed = true;
      clearTimeout(timer);
      clearInterval(watch);
      source?.close();
    };
  });
}
