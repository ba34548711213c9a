import type { IncomingMessage, ServerResponse } from 'node:http';
import { livePage } from './livePage';
import { openEventStream, parseCursor } from './openEventStream';
import type { Params } from './phpQuery';
import type { Portal } from './Portal';
import { portalSnapshot } from './portalSnapshot';
import { sendResponse } from './sendResponse';
import type { FaultSpec, SeedInput } from './types';

/** One control request as a handler sees it. */
export interface ControlRequest {
  portal: Portal;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  cors: Record<string, string>;
  /** What a pattern route's group matched (`<key>` of `bots/<key>`), as it came in the URL; `''` for exact routes. */
  param: string;
  /** A JSON reply with the CORS headers. */
  send(status: number, body: unknown): void;
  /** The body as a JSON object; throws (answered 400) for invalid JSON or an array. */
  readJson(): Promise<Params>;
}

export type ControlHandler = (request: ControlRequest) => void | Promise<void>;

/** The methods a route can declare. HEAD is never declared: every GET route answers it (see `handleControl`). */
export type ControlMethod = 'GET' | 'POST' | 'DELETE';

export interface ControlRoute {
  /** The path under `/_emulator/`, trailing slash removed: exact, or a pattern whose first group becomes `param`. */
  path: string | RegExp;
  /** The handler per method; the order here is the order of the `Allow` header. */
  methods: Partial<Record<ControlMethod, ControlHandler>>;
}

/** A user id field of a control body; `Number(undefined)` would reach the portal as "unknown user NaN". */
function userIdField(body: Params, name: string, fallback?: number): number {
  const value = body[name] ?? fallback;
  const id = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof id === 'number' && Number.isSafeInteger(id) && id > 0) return id;
  throw new Error(`${name} must be a user id (a positive integer), got ${JSON.stringify(value) ?? 'undefined'}`);
}

const BAD_SINCE = { error: 'BAD_REQUEST', error_description: 'since must be a timeline seq (digits)' };

/**
 * Every `/_emulator/…` route, declared once: `handleControl` serves a request from it and derives from it the
 * `Allow` header of a 405, so the routes served and the methods advertised cannot drift apart.
 */
export const controlRoutes: readonly ControlRoute[] = [
  {
    path: '',
    methods: {
      GET({ res, url, cors }) {
        if (url.pathname.endsWith('/')) {
          sendResponse(res, 200, livePage(), cors, 'text/html; charset=utf-8');
        } else {
          // The page loads `state` and `events` relative to its own URL: they must resolve under /_emulator/.
          sendResponse(res, 301, '', { location: `/_emulator/${url.search}`, ...cors }, 'text/plain');
        }
      },
    },
  },
  {
    path: 'events',
    methods: {
      GET({ portal, req, res, url, cors, send }) {
        if (!openEventStream(portal, req, res, url, cors)) send(400, BAD_SINCE);
      },
    },
  },
  { path: 'state', methods: { GET: ({ portal, send }) => send(200, portalSnapshot(portal)) } },
  {
    path: 'timeline',
    methods: {
      GET({ portal, url, send }) {
        const cursor = parseCursor(url.searchParams.get('since'), url.searchParams.get('epoch'));
        if (cursor === 'invalid') {
          send(400, BAD_SINCE);
          return;
        }
        portal.model.sweep();
        // A stale cursor (another process, or from before a reset) gets everything kept and `reset: true`.
        const reset = cursor !== null && portal.cursorIsStale(cursor.since, cursor.epoch);
        const entries = portal.timeline.list(reset ? 0 : (cursor?.since ?? 0));
        send(200, {
          entries,
          epoch: portal.epoch,
          lastSeq: portal.timeline.lastSeq,
          ...(reset ? { reset: true } : {}),
        });
      },
    },
  },
  { path: 'stats', methods: { GET: ({ portal, send }) => send(200, portal.stats) } },
  {
    path: 'fixtures',
    methods: {
      GET: ({ portal, send }) =>
        send(200, {
          ...portal.fixtures,
          url: portal.baseUrl,
          webhookUrl: portal.webhookUrl(portal.fixtures.webhookUserId),
        }),
    },
  },
  {
    path: 'bots',
    methods: {
      GET: ({ portal, send }) =>
        send(200, { bots: [...portal.model.bots.keys()].map((id) => portal.botCredentials(id)) }),
    },
  },
  {
    path: /^bots\/(.+)$/,
    methods: {
      GET({ portal, param, send }) {
        const key = decodeURIComponent(param);
        const bot = portal.botCredentials(/^\d+$/.test(key) ? Number(key) : key);
        send(bot ? 200 : 404, bot ?? { error: 'NOT_FOUND', error_description: `No bot ${key}` });
      },
    },
  },
  {
    path: 'seed',
    methods: { POST: async ({ portal, send, readJson }) => send(200, portal.seed((await readJson()) as SeedInput)) },
  },
  {
    path: 'faults',
    methods: {
      GET: ({ portal, send }) => send(200, { faults: portal.faults.list() }),
      POST: async ({ portal, send, readJson }) => send(200, portal.faults.add({ ...(await readJson()) } as FaultSpec)),
      DELETE({ portal, send }) {
        portal.faults.clear();
        send(200, { faults: [] });
      },
    },
  },
  {
    path: /^faults\/(.+)$/,
    methods: {
      DELETE({ portal, param, send }) {
        const removed = portal.faults.remove(Number(param));
        send(removed ? 200 : 404, { removed });
      },
    },
  },
  {
    path: 'reset',
    methods: {
      POST({ portal, send }) {
        portal.reset();
        send(200, { reset: true });
      },
    },
  },
  {
    path: 'tokens',
    methods: {
      async POST({ portal, send, readJson }) {
        const body = await readJson();
        const clientId = typeof body.clientId === 'string' ? { clientId: body.clientId } : {};
        send(200, portal.issueToken(userIdField(body, 'userId', 1), clientId));
      },
    },
  },
  {
    path: 'messages',
    methods: {
      async POST({ portal, send, readJson }) {
        const body = await readJson();
        // A numeric dialog id (a private chat) may come as a JSON number; the text is checked as it came.
        const dialogId = typeof body.dialogId === 'number' ? String(body.dialogId) : body.dialogId;
        send(200, { id: portal.postMessage(userIdField(body, 'from'), dialogId as string, body.text as string) });
      },
    },
  },
  { path: 'deliveries', methods: { GET: ({ portal, send }) => send(200, { deliveries: portal.deliveries }) } },
];
