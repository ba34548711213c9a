import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Portal } from './Portal';

const HEARTBEAT_MS = 15_000;

/**
 * How far a subscriber may fall behind the live stream, in bytes written but not yet taken by its socket, before it
 * is dropped. Dropping loses it nothing it cannot get back: its EventSource reconnects (`retry: 1000`) with the id
 * of the last event it read and is replayed the rest from the timeline (or, past `timelineLimit`, sees the seq gap).
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
  if (cursor) {
    let since = cursor.since;
    if (reset) {
      res.write(`id: ${reset.seq}@${epoch}\ndata: ${JSON.stringify(reset)}\n\n`);
      since = 0;
    }
    for (const entry of portal.timeline.list(since)) {
      res.write(`id: ${entry.seq}@${epoch}\ndata: ${JSON.stringify(entry)}\n\n`);
    }
  }
  // The replay above is bounded by the timeline; what a subscriber leaves unread after it must be bounded too.
  const allowance = res.writableLength + SSE_MAX_BACKLOG_BYTES;
  const send = (frame: string): void => {
    if (res.destroyed) return;
    res.write(frame);
    if (res.writableLength > allowance) res.destroy();
  };
  const unsubscribe = portal.timeline.subscribe((entry) => {
    send(`id: ${entry.seq}@${portal.epoch}\ndata: ${JSON.stringify(entry)}\n\n`);
  });
  const heartbeat = setInterval(() => send(': ping\n\n'), HEARTBEAT_MS);
  heartbeat.unref?.();
  portal.sseClients.add(res);
  res.on('close', () => {
    unsubscribe();
    clearInterval(heartbeat);
    portal.sseClients.delete(res);
  });
  return true;
}
