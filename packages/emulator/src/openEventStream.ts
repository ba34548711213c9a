import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Portal } from './Portal';

const HEARTBEAT_MS = 15_000;

/**
 * `/_emulator/events`: each timeline entry as `id: seq` + `data: json`. `?since=seq` replays history; a
 * reconnecting EventSource's `Last-Event-ID` takes precedence so a reconnect does not replay it twice.
 */
export function openEventStream(
  portal: Portal,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  cors: Record<string, string>,
): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    ...cors,
  });
  res.write('retry: 1000\n\n');
  const lastEventId = req.headers['last-event-id'];
  const since = Number(
    typeof lastEventId === 'string' && lastEventId !== '' ? lastEventId : (url.searchParams.get('since') ?? 'NaN'),
  );
  if (Number.isFinite(since)) {
    for (const entry of portal.timeline.list(since)) res.write(`id: ${entry.seq}\ndata: ${JSON.stringify(entry)}\n\n`);
  }
  const unsubscribe = portal.timeline.subscribe((entry) => {
    res.write(`id: ${entry.seq}\ndata: ${JSON.stringify(entry)}\n\n`);
  });
  const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
  heartbeat.unref?.();
  portal.sseClients.add(res);
  res.on('close', () => {
    unsubscribe();
    clearInterval(heartbeat);
    portal.sseClients.delete(res);
  });
}
