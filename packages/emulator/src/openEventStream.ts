import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Portal } from './Portal';
import type { TimelineEntry } from './types';

const HEARTBEAT_MS = 15_000;

/**
 * How far a subscriber may fall behind the live stream, in bytes not yet taken by its socket (in the socket's buffer
 * or queued behind its replay), before it is dropped. A replay is not counted: it is handed over only as fast as the
 * socket takes it, from the timeline's own entries. Dropping loses it nothing it cannot get back: its EventSource
 * reconnects (`retry: 1000`) with the id of the last event it read and is replayed the rest from the timeline (or,
 * past `timelineLimit`, sees the seq gap).
 * Dropping its oldest events with a marker instead would cost the same catch-up plus a new event kind every
 * consumer must understand, and bytes already queued in a socket cannot be taken back anyway.
 */
export const SSE_MAX_BACKLOG_BYTES = 4 * 1024 * 1024;

/** A timeline cursor: the seq after which to go on, and the epoch it came from when the client said so. */
export interface Cursor {
  since: number;
  epoch: string | null;
}

/**
 * Reads `since=<seq>` (and `epoch=<epoch>`) from a query, or an SSE id `<seq>@<epoch>` / `<seq>`. Null when absent;
 * `'invalid'` when present but not a cursor.
 */
export function parseCursor(since: string | null, epoch: string | null): Cursor | null | 'invalid' {
  if (since === null || since === '') return epoch === null ? null : { since: 0, epoch };
  const match = /^(\d{1,15})(?:@([\w-]{1,64}))?$/.exec(since);
  if (!match) return 'invalid';
  return { since: Number(match[1]), epoch: match[2] ?? epoch };
}

/**
 * `/_emulator/events`: each timeline entry as `id: <seq>@<epoch>` + `data: json`. `?since=seq[&epoch=…]` replays
 * history; a reconnecting EventSource's `Last-Event-ID` takes precedence so a reconnect does not replay it twice.
 * A cursor that cannot be resumed here (another process, or from before a reset: `Portal.cursorIsStale`) first gets
 * the `reset` event, then everything kept, so the client rebuilds instead of silently missing what it never saw.
 */
export function openEventStream(
  portal: Portal,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  cors: Record<string, string>,
): boolean {
  const lastEventId = req.headers['last-event-id'];
  const fromHeader = typeof lastEventId === 'string' && lastEventId !== '';
  let cursor = fromHeader
    ? parseCursor(lastEventId, null)
    : parseCursor(url.searchParams.get('since'), url.searchParams.get('epoch'));
  // An id this emulator never wrote is a stale cursor, not a client error; a bad `since` in a URL is one.
  if (cursor === 'invalid' && !fromHeader) return false;
  if (cursor === 'invalid') cursor = { since: 0, epoch: '' };
  // Read before the headers go out: a clock that fails (ClockError) must still get its 500, not a silent stream.
  const reset =
    cursor && portal.cursorIsStale(cursor.since, cursor.epoch) ? { ...portal.resetEvent(), time: portal.now() } : null;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    ...cors,
  });
  // A HEAD gets the stream's headers only: Node drops the writes of a HEAD response, so left open it would hold a
  // subscriber, and every later request on the connection, until the client hung up.
  if (req.method === 'HEAD') {
    res.end();
    return true;
  }
  res.write('retry: 1000\n\n');
  const epoch = portal.epoch;
  const frameOf = (entry: { seq: number }, of: string): string =>
    `id: ${entry.seq}@${of}\ndata: ${JSON.stringify(entry)}\n\n`;
  // What the subscriber is still owed, oldest first: its replay (entries, framed as they go out, under the epoch they
  // come from) and then live frames. It is handed to the socket only as fast as the socket takes it, so a replay of
  // the whole timeline is not queued in the socket at once, once per subscriber, exempt from the bound below.
  let queue: (TimelineEntry | string)[] = [];
  let next = 0;
  /** Bytes of the live frames in `queue` not written yet (the replay's entries are the timeline's own). */
  let queuedBytes = 0;
  if (cursor) {
    let since = cursor.since;
    if (reset) {
      res.write(frameOf(reset, epoch));
      since = 0;
    }
    queue = portal.timeline.list(since);
  }
  const pump = (): void => {
    // Ended by close(): a write after the end would be an 'error' event nobody listens for.
    while (next < queue.length && !res.destroyed && !res.writableEnded) {
      const item = queue[next]!;
      queue[next++] = ''; // written: hold on to it no longer
      let frame: string;
      if (typeof item === 'string') {
        frame = item;
        queuedBytes -= Buffer.byteLength(frame);
      } else frame = frameOf(item, epoch);
      if (!res.write(frame)) break; // 'drain' goes on
    }
    if (next === queue.length) {
      queue = [];
      next = 0;
    } else if (next > 1024 && next * 2 > queue.length) {
      queue = queue.slice(next);
      next = 0;
    }
  };
  res.on('drain', pump);
  // A subscriber that leaves more than the bound unread (in its socket and queued here) is dropped.
  const send = (frame: string): void => {
    if (res.destroyed || res.writableEnded) return;
    queue.push(frame);
    queuedBytes += Buffer.byteLength(frame);
    pump();
    if (res.writableLength + queuedBytes > SSE_MAX_BACKLOG_BYTES) res.destroy();
  };
  const unsubscribe = portal.timeline.subscribe((entry) => send(frameOf(entry, portal.epoch)));
  const heartbeat = setInterval(() => send(': ping\n\n'), HEARTBEAT_MS);
  heartbeat.unref?.();
  portal.sseClients.set(res, send);
  res.on('close', () => {
    unsubscribe();
    clearInterval(heartbeat);
    portal.sseClients.delete(res);
  });
  pump();
  return true;
}
