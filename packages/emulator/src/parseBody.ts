import type { IncomingMessage } from 'node:http';
import { restError } from './errorCatalog';
import { RestError } from './RestError';
import { assignPath, DEFAULT_PARSE_LIMITS, nullRecord, type ParseLimits, type Params, parseQuery } from './phpQuery';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Requests whose body `readBody` stopped reading (413): their connection closes after the reply. */
const abandoned = new WeakSet<IncomingMessage>();

/**
 * True when the rest of this request's body was left unread. The reply must then say `Connection: close` and the
 * socket must go: kept alive, Node would read and discard whatever the client goes on sending (an endless chunked
 * upload until its 300 s request timeout), holding a socket and CPU for nothing.
 */
export function bodyAbandoned(req: IncomingMessage): boolean {
  return abandoned.has(req);
}

/**
 * Reads the body up to `maxBytes`. A larger one (declared or as it arrives) is answered 413: reading stops there,
 * nothing more is buffered, and the connection is closed after the reply (`bodyAbandoned`).
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = (): void => {
      abandoned.add(req);
      req.pause();
      reject(restError('REQUEST_ENTITY_TOO_LARGE'));
    };
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBytes) {
      tooLarge();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        req.off('data', onData);
        chunks.length = 0;
        tooLarge();
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', (error) => {
      if (!abandoned.has(req)) reject(error);
    });
  });
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw RestError.argument('body', 'Request data is not valid UTF-8');
  }
}

/** Copies parsed JSON into null-prototype records, enforcing the depth limit. Arrays stay arrays. */
function sanitize(value: unknown, depth: number, limits: ParseLimits): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > limits.maxDepth) throw RestError.argument('body', `Nesting deeper than ${limits.maxDepth} levels`);
  if (Array.isArray(value)) return value.map((item) => sanitize(item, depth + 1, limits));
  const out = nullRecord();
  for (const key of Object.keys(value)) out[key] = sanitize((value as Params)[key], depth + 1, limits);
  return out;
}

export function parseJson(bytes: Uint8Array, limits: ParseLimits = DEFAULT_PARSE_LIMITS): Params {
  const text = decodeUtf8(bytes);
  if (text.trim() === '') return nullRecord();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw RestError.argument('body', 'Request body is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object') {
    throw RestError.argument('body', 'Request body must be a JSON object');
  }
  const clean = sanitize(parsed, 0, limits);
  if (Array.isArray(clean)) {
    const out = nullRecord();
    clean.forEach((item, index) => {
      out[String(index)] = item;
    });
    return out;
  }
  return clean as Params;
}

function boundaryOf(contentType: string): string | null {
  const match = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  return match ? (match[1] ?? match[2] ?? '').trim() : null;
}

/** multipart/form-data with PHP bracket names; file parts become their text content (uploads are not modelled). */
export function parseMultipart(body: Buffer, contentType: string, limits: ParseLimits = DEFAULT_PARSE_LIMITS): Params {
  const boundary = boundaryOf(contentType);
  if (!boundary) throw RestError.argument('body', 'multipart/form-data without a boundary');
  const out = nullRecord();
  const delimiter = Buffer.from(`--${boundary}`);
  let position = body.indexOf(delimiter);
  let count = 0;
  while (position >= 0) {
    const start = position + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = body.subarray(start + 2, next - 2);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd >= 0) {
      const headers = part.subarray(0, headerEnd).toString('latin1');
      const name = /name="([^"]*)"/i.exec(headers)?.[1];
      if (name) {
        if (++count > limits.maxKeys) throw RestError.argument('body', `More than ${limits.maxKeys} parameters`);
        assignPath(out, decodeUtf8(Buffer.from(name, 'latin1')), decodeUtf8(part.subarray(headerEnd + 4)), limits);
      }
    }
    position = next;
  }
  return out;
}

/**
 * Bitrix24's `CRestUtil::getRequestData` (reference §5): the Content-Type without its parameters, compared as the
 * source does (exactly, case and all), decides. `application/json` is JSON; PHP itself has parsed a form or multipart
 * body; anything else, a JSON-looking text included, goes through `parse_str`. Guessing JSON from the text would
 * let a client that forgets the header pass here and fail on a portal.
 */
export function parseBody(
  body: Buffer,
  contentType: string | undefined,
  limits: ParseLimits = DEFAULT_PARSE_LIMITS,
): Params {
  if (body.length === 0) return nullRecord();
  const mediaType = (contentType ?? '').replace(/;.*$/, '').trim();
  if (mediaType === 'application/json') return parseJson(body, limits);
  if (mediaType.toLowerCase() === 'multipart/form-data') return parseMultipart(body, contentType ?? '', limits);
  return parseQuery(decodeUtf8(body).replace(/^\s+|\s+$/g, ''), limits);
}

/** Query merged under the body: the body wins (reference §5). */
export function mergeParams(query: Params, body: Params): Params {
  const out = nullRecord();
  for (const key of Object.keys(query)) out[key] = query[key];
  for (const key of Object.keys(body)) out[key] = body[key];
  return out;
}
