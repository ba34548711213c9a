import type { IncomingMessage, ServerResponse } from 'node:http';
import { livePage } from './livePage';
import { openEventStream, parseCursor } from './openEventStream';
import { parseJson, readBody } from './parseBody';
import type { Params } from './phpQuery';
import type { Portal } from './Portal';
import { sendResponse } from './sendResponse';
import type { FaultSpec, SeedInput } from './types';

/** What the live page needs: chats with members, visible indicators and recent messages. No secrets. */
function snapshot(portal: Portal): Record<string, unknown> {
  const { model } = portal;
  const indicators = model.indicatorStates();
  return {
    now: portal.now(),
    epoch: portal.epoch,
    users: [...model.users.values()].map((u) => ({ id: u.id, name: model.displayName(u.id), bot: u.botId !== null })),
    chats: [...model.chats.values()].map((chat) => ({
      id: chat.id,
      type: chat.type,
      dialogId: `chat${chat.id}`,
      title: chat.type === 'private' ? [...chat.members].map((id) => model.displayName(id)).join(' & ') : chat.title,
      members: [...chat.members],
      indicators: indicators.filter((i) => i.chatId === chat.id),
      messages: model.recentMessages(chat.id, 20).map((m) => ({
        id: m.id,
        authorId: m.authorId,
        author: model.displayName(m.authorId),
        text: m.text,
        date: m.date,
        edited: m.edited,
      })),
    })),
    bots: [...model.bots.values()].map((b) => ({
      id: b.id,
      code: b.code,
      name: model.displayName(b.id),
      eventMode: b.eventMode,
      queued: b.events.length,
    })),
    stats: portal.stats,
  };
}

/**
 * The methods each control route takes, so that a right route called with the wrong method (a GET of `seed` typed
 * into a browser, a PUT of `faults`) is told 405 and what to use instead of a 404 that says the route does not exist.
 */
function allowedMethods(path: string): string | null {
  if (path === 'faults') return 'GET, POST, DELETE';
  if (path.startsWith('faults/')) return 'DELETE';
  if (['seed', 'reset', 'tokens', 'messages'].includes(path)) return 'POST';
  const reads = ['', 'events', 'state', 'timeline', 'stats', 'fixtures', 'bots', 'deliveries'];
  return reads.includes(path) || path.startsWith('bots/') ? 'GET' : null;
}

/**
 * The REST parser reads a JSON array as PHP would (keys "0", "1" …), which for a control body means an object with
 * none of the expected fields: a bare list (say, of users to seed) would be answered 200 and do nothing.
 */
function isJsonArray(body: Uint8Array): boolean {
  for (const byte of body) {
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    return byte === 0x5b; // [
  }
  return false;
}

/** A user id field of a control body; `Number(undefined)` would reach the portal as "unknown user NaN". */
function userIdField(body: Params, name: string, fallback?: number): number {
  const value = body[name] ?? fallback;
  const id = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof id === 'number' && Number.isSafeInteger(id) && id > 0) return id;
  throw new Error(`${name} must be a user id (a positive integer), got ${JSON.stringify(value) ?? 'undefined'}`);
}

/** `/_emulator/…`: the live page, SSE, JSON snapshots, seed, faults, tokens, messages and reset. */
export async function handleControl(
  portal: Portal,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  cors: Record<string, string>,
): Promise<void> {
  const path = url.pathname.replace(/^\/_emulator\/?/, '').replace(/\/$/, '');
  const method = req.method ?? 'GET';
  const send = (status: number, body: unknown) => sendResponse(res, status, body, cors);
  const readJson = async (): Promise<Params> => {
    const body = await readBody(req, portal.maxBodyBytes);
    if (isJsonArray(body)) throw new Error('Request body must be a JSON object, not an array');
    return parseJson(body);
  };
  try {
    if (path === '' && method === 'GET' && !url.pathname.endsWith('/')) {
      // The page loads `state` and `events` relative to its own URL: they must resolve under /_emulator/.
      sendResponse(res, 301, '', { location: `/_emulator/${url.search}`, ...cors }, 'text/plain');
    } else if (path === '' && method === 'GET') {
      sendResponse(res, 200, livePage(), cors, 'text/html; charset=utf-8');
    } else if (path === 'events' && method === 'GET') {
      if (!openEventStream(portal, req, res, url, cors)) {
        send(400, { error: 'BAD_REQUEST', error_description: 'since must be a timeline seq (digits)' });
      }
    } else if (path === 'state' && method === 'GET') {
      send(200, snapshot(portal));
    } else if (path === 'timeline' && method === 'GET') {
      const cursor = parseCursor(url.searchParams.get('since'), url.searchParams.get('epoch'));
      if (cursor === 'invalid') {
        send(400, { error: 'BAD_REQUEST', error_description: 'since must be a timeline seq (digits)' });
        return;
      }
      portal.model.sweep();
      // A stale cursor (another process, or from before a reset) gets everything kept and `reset: true`.
      const reset = cursor !== null && portal.cursorIsStale(cursor.since, cursor.epoch);
      const entries = portal.timeline.list(reset ? 0 : (cursor?.since ?? 0));
      send(200, { entries, epoch: portal.epoch, lastSeq: portal.timeline.lastSeq, ...(reset ? { reset: true } : {}) });
    } else if (path === 'stats' && method === 'GET') {
      send(200, portal.stats);
    } else if (path === 'fixtures' && method === 'GET') {
      send(200, {
        ...portal.fixtures,
        url: portal.baseUrl,
        webhookUrl: portal.webhookUrl(portal.fixtures.webhookUserId),
      });
    } else if (path === 'bots' && method === 'GET') {
      send(200, { bots: [...portal.model.bots.keys()].map((id) => portal.botCredentials(id)) });
    } else if (path.startsWith('bots/') && method === 'GET') {
      const key = decodeURIComponent(path.slice('bots/'.length));
      const bot = portal.botCredentials(/^\d+$/.test(key) ? Number(key) : key);
      send(bot ? 200 : 404, bot ?? { error: 'NOT_FOUND', error_description: `No bot ${key}` });
    } else if (path === 'seed' && method === 'POST') {
      send(200, portal.seed((await readJson()) as SeedInput));
    } else if (path === 'faults' && method === 'GET') {
      send(200, { faults: portal.faults.list() });
    } else if (path === 'faults' && method === 'POST') {
      send(200, portal.faults.add({ ...(await readJson()) } as FaultSpec));
    } else if (path === 'faults' && method === 'DELETE') {
      portal.faults.clear();
      send(200, { faults: [] });
    } else if (path.startsWith('faults/') && method === 'DELETE') {
      const removed = portal.faults.remove(Number(path.slice('faults/'.length)));
      send(removed ? 200 : 404, { removed });
    } else if (path === 'reset' && method === 'POST') {
      portal.reset();
      send(200, { reset: true });
    } else if (path === 'tokens' && method === 'POST') {
      const body = await readJson();
      const clientId = typeof body.clientId === 'string' ? { clientId: body.clientId } : {};
      send(200, portal.issueToken(userIdField(body, 'userId', 1), clientId));
    } else if (path === 'messages' && method === 'POST') {
      const body = await readJson();
      // A numeric dialog id (a private chat) may come as a JSON number; the text is checked as it came.
      const dialogId = typeof body.dialogId === 'number' ? String(body.dialogId) : body.dialogId;
      send(200, { id: portal.postMessage(userIdField(body, 'from'), dialogId as string, body.text as string) });
    } else if (path === 'deliveries' && method === 'GET') {
      send(200, { deliveries: portal.deliveries });
    } else {
      const allow = allowedMethods(path);
      if (allow) {
        sendResponse(
          res,
          405,
          {
            error: 'METHOD_NOT_ALLOWED',
            error_description: `${method} /_emulator/${path} is not allowed; use ${allow}`,
          },
          { allow, ...cors },
        );
      } else {
        send(404, { error: 'NOT_FOUND', error_description: `No control route ${method} /_emulator/${path}` });
      }
    }
  } catch (error) {
    send(400, { error: 'BAD_REQUEST', error_description: error instanceof Error ? error.message : String(error) });
  }
}
