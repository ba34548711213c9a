import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { corsHeaders, originAllowed } from './corsHeaders';
import { restError } from './errorCatalog';
import { handleControl } from './handleControl';
import { handleOAuth } from './handleOAuth';
import { handleRest } from './handleRest';
import { checkText, Portal } from './Portal';
import { sendResponse } from './sendResponse';
import { visibilityFrom } from './Timeline';
import type { Emulator, EmulatorOptions, MessageEntry, TimelineEntry } from './types';

/** CORS first (a refused preflight ends here), then the route: `/_emulator`, `/oauth/token/`, `/rest/`. */
async function route(portal: Portal, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://emulator.local');
  } catch {
    sendResponse(res, 400, { error: 'INVALID_REQUEST', error_description: 'Malformed URL' });
    return;
  }
  const origin = req.headers.origin;
  let cors: Record<string, string> = {};
  if (typeof origin === 'string') {
    const allowed = originAllowed(origin, portal.cors);
    if (req.method === 'OPTIONS') {
      if (!allowed) {
        sendResponse(res, 403, {
          error: 'CORS_ORIGIN_NOT_ALLOWED',
          error_description: 'Origin is not on the allow-list',
        });
        return;
      }
      res.writeHead(
        204,
        corsHeaders(origin, {
          requestHeaders: req.headers['access-control-request-headers'] as string | undefined,
          privateNetwork: req.headers['access-control-request-private-network'] === 'true',
        }),
      );
      res.end();
      return;
    }
    if (allowed) cors = corsHeaders(origin, null);
  }
  try {
    if (url.pathname === '/') {
      sendResponse(res, 302, '', { location: '/_emulator/', ...cors }, 'text/plain');
    } else if (url.pathname === '/_emulator' || url.pathname.startsWith('/_emulator/')) {
      // Not a bare prefix test: `/_emulatorreset` would reset the emulator.
      await handleControl(portal, req, res, url, cors);
    } else if (url.pathname === '/oauth/token' || url.pathname === '/oauth/token/') {
      await handleOAuth(portal, req, res, url, cors);
    } else if (url.pathname.startsWith('/rest/')) {
      await handleRest(portal, req, res, url, cors);
    } else {
      sendResponse(res, 404, { error: 'NOT_FOUND', error_description: 'Not found' }, cors);
    }
  } catch {
    // A failure no handler answered: the documented internal error (reference §6), with the CORS headers, so a
    // browser app sees the server's error rather than an opaque network failure.
    if (!res.headersSent) {
      portal.countStatus(500);
      sendResponse(res, 500, restError('INTERNAL_SERVER_ERROR').toBody(), cors);
    } else res.destroy();
  }
}

/** Start a portal emulator on loopback. Resolves once it is listening. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const portal = new Portal(options);
  const host = options.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    route(portal, req, res).catch(() => {
      if (!res.headersSent) sendResponse(res, 500, restError('INTERNAL_SERVER_ERROR').toBody());
      else res.destroy();
    });
  };
  let server: Server;
  try {
    server = options.tls
      ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler)
      : createHttpServer(handler);
  } catch (error) {
    // OpenSSL's text names the failing step, never the key material.
    portal.close();
    throw new TypeError(`startEmulator: tls.cert / tls.key could not be used: ${(error as Error).message}`);
  }
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      portal.close();
      const where = `${host.includes(':') ? `[${host}]` : host}:${options.port ?? 0}`;
      const failure = new Error(`startEmulator: cannot listen on ${where}: ${error.code ?? error.message}`, {
        cause: error,
      });
      if (error.code) Object.assign(failure, { code: error.code });
      reject(failure);
    };
    server.once('error', onError);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const baseUrl = `${options.tls ? 'https' : 'http'}://${urlHost}:${port}`;
  portal.listening(baseUrl, options.domain ?? `${urlHost}:${port}`);

  const emulator: Emulator = {
    url: baseUrl,
    port,
    restUrl: `${baseUrl}/rest/`,
    oauthUrl: `${baseUrl}/oauth/token/`,
    liveUrl: `${baseUrl}/_emulator/`,
    get fixtures() {
      return portal.fixtures;
    },
    webhookUrl: (userId = 1, scopes) => portal.webhookUrl(userId, scopes),
    bot: (idOrCode) => portal.botCredentials(idOrCode),
    webhookApplicationToken: (userId = 1) => portal.webhookApplicationToken(userId),
    issueToken: (userId, opts) => portal.issueToken(userId, opts),
    seed: (input) => portal.seed(input),
    timeline(): TimelineEntry[] {
      portal.model.sweep();
      return portal.timeline.list();
    },
    visibility(dialogId, senderId) {
      portal.model.sweep();
      const chat = portal.model.resolveDialog(dialogId, senderId, { allowSg: true, create: false });
      return chat ? visibilityFrom(portal.timeline.list(), chat.id, senderId) : [];
    },
    visibleThroughout(dialogId, senderId, from, to) {
      return emulator
        .visibility(dialogId, senderId)
        .some((interval) => interval.from <= from && (interval.to ?? portal.now()) >= to);
    },
    indicators: () => portal.model.indicatorStates(),
    messages(chatId?: number): MessageEntry[] {
      return portal.timeline
        .list()
        .filter(
          (e): e is MessageEntry =>
            e.kind === 'message' && !e.edited && !e.deleted && (chatId === undefined || e.chatId === chatId),
        );
    },
    postMessage: ({ from, dialogId, text }) => portal.postMessage(from, dialogId, text),
    editMessage(messageId, text) {
      const message = portal.model.message(messageId);
      if (!message) throw new TypeError(`editMessage: unknown message ${String(messageId)}`);
      // As im.message.update refuses it (CANT_EDIT_MESSAGE): an edit would give a deleted message new words.
      if (message.deleted) throw new TypeError(`editMessage: message ${messageId} is deleted`);
      checkText('editMessage', text);
      portal.model.editMessage(message, text);
    },
    stats: () => structuredClone(portal.stats),
    addFault: (fault) => portal.faults.add(fault),
    faults: () => portal.faults.list(),
    clearFaults: () => portal.faults.clear(),
    deliveries: () => portal.deliveries.map((d) => ({ ...d })),
    received: () => structuredClone(portal.received),
    async settled() {
      while (portal.pending.size > 0) await Promise.all([...portal.pending]);
    },
    reset: () => portal.reset(),
    close() {
      portal.close();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
  return emulator;
}
