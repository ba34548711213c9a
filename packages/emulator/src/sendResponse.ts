import type { ServerResponse } from 'node:http';
import { bodyAbandoned } from './parseBody';
import type { FaultSpec } from './types';

/** How an injected fault spoils a reply body (see `FaultSpec.truncate` / `stallBody`). */
export type Breakage = Pick<FaultSpec, 'truncate' | 'stallBody' | 'reset'>;

/**
 * Writes a complete response once; a response that is already under way (or gone) is left alone. With a
 * `breakage`, only the first half of the body goes out: as a whole (shorter) message, then a dropped connection,
 * or then silence. A reply to a request whose body was left unread (413) closes the connection (`bodyAbandoned`).
 */
export function sendResponse(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  contentType = 'application/json; charset=utf-8',
  breakage: Breakage | null = null,
): void {
  if (res.headersSent || res.destroyed) return;
  const whole = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const broken = Boolean(breakage && (breakage.truncate || breakage.stallBody));
  const half = whole.subarray(0, Math.floor(whole.length / 2));
  const cutShort = broken && !breakage!.reset && !breakage!.stallBody;
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': String(cutShort ? half.length : whole.length),
    'cache-control': 'no-store',
    ...headers,
    // Node then ends the socket once the reply is out, instead of reading the rest of the body to keep it alive.
    ...(res.req && bodyAbandoned(res.req) ? { connection: 'close' } : {}),
  });
  if (!broken || cutShort) {
    res.end(broken ? half : whole);
    return;
  }
  res.flushHeaders();
  // The socket stays open after a stall until the client gives up or the emulator closes.
  res.write(half, () => {
    if (breakage!.reset) res.socket?.destroy();
  });
}
