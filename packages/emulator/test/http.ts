import { request } from 'node:http';
import { expect } from 'vitest';
import type { TimelineEntry } from '../src/types';

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

/** Reads SSE `data:` payloads until `count` arrived. */
export async function readEvents(url: string, count: number, during: () => Promise<unknown>): Promise<TimelineEntry[]> {
  const res = await fetch(url);
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const out: TimelineEntry[] = [];
  let buffer = '';
  const reading = (async () => {
    while (out.length < count) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = frame
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('\n');
        if (data) out.push(JSON.parse(data));
        end = buffer.indexOf('\n\n');
      }
    }
    await reader.cancel();
  })();
  await during();
  await reading;
  return out;
}
