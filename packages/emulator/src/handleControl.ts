import type { IncomingMessage, ServerResponse } from 'node:http';
import { ClockError } from './ClockError';
import { type ControlMethod, type ControlRoute, controlRoutes } from './controlRoutes';
import { bodyAbandoned, parseJson, readBody } from './parseBody';
import type { Params } from './phpQuery';
import type { Portal } from './Portal';
import { RestError } from './RestError';
import { sendResponse } from './sendResponse';

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

/** The route declared for `path`, with what its pattern's group matched. */
function findRoute(path: string): { route: ControlRoute; param: string } | null {
  for (const route of controlRoutes) {
    if (typeof route.path === 'string') {
      if (route.path === path) return { route, param: '' };
      continue;
    }
    const match = route.path.exec(path);
    if (match) return { route, param: match[1] ?? '' };
  }
  return null;
}

/**
 * `/_emulator/…`: served from `controlRoutes`. A known route called with a method it does not take (a GET of `seed`
 * typed into a browser, a PUT of `faults`) is told 405 and, in `Allow`, what to use instead, rather than a 404 that
 * says the route does not exist.
 */
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
  const found = findRoute(path);
  if (!found) {
    send(404, { error: 'NOT_FOUND', error_description: `No control route ${method} /_emulator/${path}` });
    return;
  }
  const { route, param } = found;
  // HEAD is GET without the body (RFC 9110 §9.3.2); Node's response drops the body of a HEAD by itself.
  const served = method === 'HEAD' ? 'GET' : method;
  const handler = Object.hasOwn(route.methods, served) ? route.methods[served as ControlMethod] : undefined;
  if (!handler) {
    const allow = Object.keys(route.methods)
      .flatMap((name) => (name === 'GET' ? ['GET', 'HEAD'] : [name]))
      .join(', ');
    sendResponse(
      res,
      405,
      { error: 'METHOD_NOT_ALLOWED', error_description: `${method} /_emulator/${path} is not allowed; use ${allow}` },
      { allow, ...cors },
    );
    return;
  }
  try {
    await handler({ portal, req, res, url, cors, param, send, readJson });
  } catch (error) {
    const description = error instanceof Error ? error.message : String(error);
    // A broken injected clock is the emulator's failure, not the request's: 500, as on /rest/ (README).
    if (error instanceof ClockError) send(500, { error: 'INTERNAL_SERVER_ERROR', error_description: description });
    // A body over `maxBodyBytes` is refused as everywhere else (README: 413, connection closed), not as a bad body.
    else if (error instanceof RestError && bodyAbandoned(req)) send(error.status, error.toBody());
    else send(400, { error: 'BAD_REQUEST', error_description: description });
  }
}
