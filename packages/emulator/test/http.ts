import { request } from 'node:http';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: replies are asserted field by field in tests
  body: any;
  text: string;
}

/** POST JSON (default), a form string, or raw bytes, and read the reply as JSON when it is JSON. */
export async function post(
  url: string,
  body: unknown,
  options: { contentType?: string; headers?: Record<string, string>; method?: string } = {},
): Promise<Reply> {
  const raw =
    typeof body === 'string' || body instanceof Uint8Array ? body : body === undefined ? '' : JSON.stringify(body);
  const contentType =
    options.contentType ?? (typeof body === 'string' ? 'application/x-www-form-urlencoded' : 'application/json');
  const res = await fetch(url, {
    method: options.method ?? 'POST',
    headers: { 'content-type': contentType, ...options.headers },
    body: raw,
  });
  return read(res);
}

export async function get(url: string, headers: Record<string, string> = {}): Promise<Reply> {
  return read(await fetch(url, { headers }));
}

async function read(res: Response): Promise<Reply> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, headers: Object.fromEntries(res.headers), body, text };
}

/** Raw HTTP for things fetch refuses to send (invalid UTF-8 as is, lying Content-Length). */
export function rawRequest(
  url: string,
  body: Buffer,
  headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
