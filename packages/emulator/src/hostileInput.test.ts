import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, post, rawRequest } from '../test/http';
import { startEmulator } from './startEmulator';
import type { Emulator } from './types';

let emulator: Emulator;
let url: string;
beforeAll(async () => {
  emulator = await startEmulator({ plan: 'off' });
  url = `${emulator.webhookUrl()}im.dialog.writing`;
});
afterAll(() => emulator.close());

async function stillHealthy(): Promise<void> {
  const reply = await post(url, { DIALOG_ID: 'chat1' });
  expect(reply.status).toBe(200);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.prototype).not.toHaveProperty('polluted');
}

describe('hostile input', () => {
  it('keeps __proto__ / constructor keys as data in JSON, form and multipart bodies', async () => {
    const json = await post(
      url,
      JSON.parse('{"DIALOG_ID":"chat1","__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}'),
    );
    expect(json.status).toBe(200);
    const form = await post(url, 'DIALOG_ID=chat1&__proto__[polluted]=1&constructor[prototype][polluted]=1');
    expect(form.status).toBe(200);
    const multipart = new FormData();
    multipart.set('DIALOG_ID', 'chat1');
    multipart.set('__proto__[polluted]', '1');
    const mp = await fetch(url, { method: 'POST', body: multipart });
    expect(mp.status).toBe(200);
    const notify = await post(
      `${emulator.webhookUrl()}imbot.v2.Chat.Message.send`,
      JSON.parse(
        '{"botId":10,"botToken":"agent-bot-token","dialogId":"chat1","fields":{"__proto__":{"message":"sneaky"}}}',
      ),
    );
    expect(notify.body.error).toBe('EMPTY_MESSAGE');
    await stillHealthy();
  });

  it('answers a 10 MB body with 413 and keeps serving', async () => {
    const big = Buffer.alloc(10 * 1024 * 1024, 'a');
    const reply = await rawRequest(url, big, {
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': String(big.length),
    });
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.text).error).toBe('REQUEST_ENTITY_TOO_LARGE');
    await stillHealthy();
  });

  it('reads a body of exactly the default 1 MiB (README: maxBodyBytes) and answers one byte more with 413', async () => {
    const head = '{"DIALOG_ID":"chat1","pad":"';
    const body = (size: number) => `${head}${'a'.repeat(size - head.length - 2)}"}`;
    const exact = await post(url, body(1024 * 1024), { contentType: 'application/json' });
    expect([exact.status, exact.body.result]).toEqual([200, true]);
    const over = await post(url, body(1024 * 1024 + 1), { contentType: 'application/json' });
    expect([over.status, over.body.error]).toEqual([413, 'REQUEST_ENTITY_TOO_LARGE']);
  });

  it('answers a declared Content-Length above the limit with 413 at once, before any of the body is sent', async () => {
    const { connect } = await import('node:net');
    const socket = connect(emulator.port, '127.0.0.1');
    socket.on('error', () => {});
    const reply = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        if (text.includes('REQUEST_ENTITY_TOO_LARGE')) resolve(text);
      });
    });
    // Headers only: the reply can only come from the declared length, never from bytes that arrived.
    socket.write(
      'POST /rest/1/emulatorwebhook1/im.dialog.writing HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
        `Content-Type: text/plain\r\nContent-Length: ${1024 * 1024 + 1}\r\n\r\n`,
    );
    expect(await reply).toMatch(/^HTTP\/1\.1 413 /);
    socket.destroy();
    await stillHealthy();
  });

  it('answers a big chunked body (no Content-Length) with 413 too', async () => {
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 20; i++) controller.enqueue(new Uint8Array(128 * 1024).fill(97));
        controller.close();
      },
    });
    const reply = await fetch(url, {
      method: 'POST',
      body: stream,
      duplex: 'half',
      headers: { 'content-type': 'text/plain' },
    } as RequestInit);
    expect(reply.status).toBe(413);
    await stillHealthy();
  });

  it.each([
    [
      'an endless chunked body',
      'Transfer-Encoding: chunked',
      (n: number) => `${n.toString(16)}\r\n${'a'.repeat(n)}\r\n`,
    ],
    ['a body that declares 10 GB', 'Content-Length: 10737418240', (n: number) => 'a'.repeat(n)],
  ])('closes the connection after a 413 instead of reading %s (Connection: close)', async (_, framing, piece) => {
    const { connect } = await import('node:net');
    const socket = connect(emulator.port, '127.0.0.1');
    let reply = '';
    let closed = false;
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
    });
    socket.on('error', () => {}); // EPIPE / ECONNRESET once the emulator hangs up: the point of the test
    const chunk = piece(64 * 1024);
    // A client that never stops: the next chunk goes out whenever the previous one was taken.
    const pump = (): void => {
      while (!closed && !socket.destroyed) {
        if (!socket.write(chunk)) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    const closedPromptly = new Promise<boolean>((resolve) => {
      const limit = setTimeout(() => resolve(false), 5_000);
      socket.on('close', () => {
        closed = true;
        clearTimeout(limit);
        resolve(true);
      });
    });
    socket.write(
      `POST /rest/1/emulatorwebhook1/im.dialog.writing HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
        `Content-Type: text/plain\r\n${framing}\r\n\r\n`,
    );
    pump();
    const wasClosed = await closedPromptly;
    if (!wasClosed) socket.destroy();
    expect(wasClosed, 'the emulator kept reading the body for 5 s after its 413').toBe(true);
    expect(reply).toMatch(/^HTTP\/1\.1 413 /);
    expect(reply.toLowerCase()).toContain('connection: close');
    expect(reply).toContain('REQUEST_ENTITY_TOO_LARGE');
    await stillHealthy();
  });

  // README, "Choices where the platform is silent": ERROR_ARGUMENT 400 (`argument: 'body'`) for "nesting deeper than
  // 32 levels or more than 10,000 parameters". The numbers are written out here, not read from DEFAULT_PARSE_LIMITS:
  // a changed limit must fail this test, not move it along.
  it('refuses nesting deeper than 32 levels in JSON and in bracket syntax with ERROR_ARGUMENT; 32 levels pass', async () => {
    /** `a` with `levels` levels below it: `a[x][x]…=1` in a form, `{"a":{"x":{…:1}}}` in JSON. */
    const jsonNested = (levels: number) =>
      `{"DIALOG_ID":"chat1","a":${'{"x":'.repeat(levels - 1)}{"x":1}${'}'.repeat(levels - 1)}}`;
    const formNested = (levels: number) => `DIALOG_ID=chat1&a${'[x]'.repeat(levels)}=1`;
    const answers = async (levels: number) => {
      const json = await post(url, jsonNested(levels), { contentType: 'application/json' });
      const form = await post(url, formNested(levels));
      return [json, form].map((reply) => [reply.status, reply.body.error ?? null, reply.body.argument ?? null]);
    };
    expect(await answers(32)).toEqual([
      [200, null, null],
      [200, null, null],
    ]);
    expect(await answers(33)).toEqual([
      [400, 'ERROR_ARGUMENT', 'body'],
      [400, 'ERROR_ARGUMENT', 'body'],
    ]);
    const deepJson = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    const json = await post(url, deepJson, { contentType: 'application/json' });
    expect([json.status, json.body.error]).toEqual([400, 'ERROR_ARGUMENT']);
    await stillHealthy();
  });

  it('refuses a form or multipart body of more than 10,000 parameters with ERROR_ARGUMENT; 10,000 pass', async () => {
    /** DIALOG_ID and `count - 1` more: `count` parameters in all. */
    const pairs = (count: number): [string, string][] => [
      ['DIALOG_ID', 'chat1'],
      ...Array.from({ length: count - 1 }, (_, i): [string, string] => [`p${i}`, '1']),
    ];
    const answers = async (count: number) => {
      const form = await post(url, new URLSearchParams(pairs(count)).toString());
      const multipart = new FormData();
      for (const [name, value] of pairs(count)) multipart.append(name, value);
      const mp = await fetch(url, { method: 'POST', body: multipart });
      const mpBody = (await mp.json()) as { error?: string; argument?: string };
      return [
        [form.status, form.body.error ?? null, form.body.argument ?? null],
        [mp.status, mpBody.error ?? null, mpBody.argument ?? null],
      ];
    };
    expect(await answers(10_000)).toEqual([
      [200, null, null],
      [200, null, null],
    ]);
    expect(await answers(10_001)).toEqual([
      [400, 'ERROR_ARGUMENT', 'body'],
      [400, 'ERROR_ARGUMENT', 'body'],
    ]);
    await stillHealthy();
  });

  it('refuses invalid JSON and invalid UTF-8 with ERROR_ARGUMENT 400', async () => {
    const broken = await post(url, '{"DIALOG_ID": "chat1"', { contentType: 'application/json' });
    expect([broken.status, broken.body.error, broken.body.argument]).toEqual([400, 'ERROR_ARGUMENT', 'body']);
    const scalar = await post(url, '42', { contentType: 'application/json' });
    expect(scalar.status).toBe(400);
    const badUtf8Json = await rawRequest(
      url,
      Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
      { 'content-type': 'application/json' },
    );
    expect(badUtf8Json.status).toBe(400);
    const badUtf8Form = await post(url, 'DIALOG_ID=chat1&MESSAGE=%FF%FE');
    expect([badUtf8Form.status, badUtf8Form.body.error]).toEqual([400, 'ERROR_ARGUMENT']);
    await stillHealthy();
  });

  it('survives garbage: malformed percent escapes, odd brackets, binary noise, malformed HTTP', async () => {
    const odd = await post(url, 'DIALOG_ID=chat1&%zz=1&a[=2&[b]=3&&=&c]]=4');
    expect(odd.status).toBe(200);
    const noise = await rawRequest(url, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)), {
      'content-type': 'application/octet-stream',
    });
    expect(noise.status).toBe(400);
    const { connect } = await import('node:net');
    const socket = connect(emulator.port, '127.0.0.1');
    const answer = await new Promise<string>((resolve) => {
      let data = '';
      socket.on('data', (chunk) => {
        data += chunk.toString();
      });
      socket.on('close', () => resolve(data));
      socket.write('THIS IS NOT HTTP\r\n\r\n');
    });
    expect(answer).toContain('400');
    await stillHealthy();
  });

  it('merges the query under the body: the body wins', async () => {
    const reply = await post(`${url}?DIALOG_ID=bad-one`, { DIALOG_ID: 'chat1' });
    expect(reply.status).toBe(200);
    const queryOnly = await post(`${url}?DIALOG_ID=chat2`, {});
    expect(queryOnly.status).toBe(200);
    expect(
      emulator
        .timeline()
        .filter((e) => e.kind === 'call')
        .at(-1),
    ).toMatchObject({ dialogId: 'chat2' });
  });
});

describe('malformed /rest/ paths', () => {
  it('keeps a webhook code from a path with no method out of stats and state', async () => {
    const own = await startEmulator({ plan: 'off' });
    try {
      await post(`${own.url}/rest/1/some-secret-code/`, {});
      await post(`${own.url}/rest/7/other-secret-code/im/dialog.writing`, {});
      const state = await get(`${own.url}/_emulator/state`);
      const stats = await get(`${own.url}/_emulator/stats`);
      for (const text of [state.text, stats.text, JSON.stringify(own.stats())]) {
        expect(text).not.toContain('some-secret-code');
        expect(text).not.toContain('other-secret-code');
      }
      expect(own.stats().byStatus[404]).toBe(2);
    } finally {
      await own.close();
    }
  });
});
