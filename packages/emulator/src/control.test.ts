import { afterEach, describe, expect, it } from 'vitest';
import { get, post, readEvents } from '../test/http';
import { startEmulator } from './startEmulator';
import type { Emulator } from './types';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

describe('/_emulator control and observation', () => {
  it('streams timeline entries (calls, hides, messages) over SSE with ids', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const hook = emulator.webhookUrl();
    const events = await readEvents(`${emulator.url}/_emulator/events`, 4, async () => {
      await post(`${hook}im.dialog.writing`, { DIALOG_ID: 'chat1' });
      await post(`${hook}im.message.add`, { DIALOG_ID: 'chat1', MESSAGE: 'done' });
    });
    expect(events.map((e) => e.kind)).toEqual(['call', 'hide', 'message', 'call']);
    expect(events[0]).toMatchObject({ method: 'im.dialog.writing', status: 200, senderId: 1, dialogId: 'chat1' });
    expect(events[1]).toMatchObject({ cause: 'message' });
    expect(events[2]).toMatchObject({ text: 'done', authorId: 1 });
  });

  it('replays from ?since= so a late subscriber misses nothing', async () => {
    emulator = await startEmulator({ plan: 'off' });
    await post(`${emulator.webhookUrl()}im.dialog.writing`, { DIALOG_ID: 'chat1' });
    await post(`${emulator.webhookUrl()}im.dialog.writing`, { DIALOG_ID: 'chat2' });
    const events = await readEvents(`${emulator.url}/_emulator/events?since=0`, 2, async () => {});
    expect(events.map((e) => e.kind === 'call' && e.dialogId)).toEqual(['chat1', 'chat2']);
    const later = await readEvents(`${emulator.url}/_emulator/events?since=${events[0]!.seq}`, 1, async () => {});
    expect(later.map((e) => e.seq)).toEqual([events[1]!.seq]);
  });

  it('a reconnect with Last-Event-ID resumes after that id even when the URL says since=0', async () => {
    emulator = await startEmulator({ plan: 'off' });
    for (const dialog of ['chat1', 'chat2', '2']) {
      await post(`${emulator.webhookUrl()}im.dialog.writing`, { DIALOG_ID: dialog });
    }
    const all = emulator.timeline();
    const res = await fetch(`${emulator.url}/_emulator/events?since=0`, {
      headers: { 'last-event-id': String(all[1]!.seq) },
    });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes(`id: ${all[2]!.seq}`)) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(text).not.toContain(`id: ${all[0]!.seq}\n`);
    expect(text).not.toContain(`id: ${all[1]!.seq}\n`);
  });

  it('serves the timeline and stats as JSON', async () => {
    emulator = await startEmulator({ plan: 'off' });
    await post(`${emulator.webhookUrl()}im.dialog.writing`, { DIALOG_ID: 'chat1' });
    const timeline = await get(`${emulator.url}/_emulator/timeline`);
    expect(timeline.body.entries).toEqual(emulator.timeline());
    const since = await get(`${emulator.url}/_emulator/timeline?since=${timeline.body.entries.at(-1).seq}`);
    expect(since.body.entries).toEqual([]);
    const stats = await get(`${emulator.url}/_emulator/stats`);
    expect(stats.body).toMatchObject({ requests: 1, byMethod: { 'im.dialog.writing': 1 }, byStatus: { 200: 1 } });
  });

  it('seeds users, chats, bots and membership over HTTP, and reset returns to the initial seed', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const seeded = await post(`${emulator.url}/_emulator/seed`, {
      users: [{ name: 'Dana' }],
      chats: [{ title: 'Ops' }],
      bots: [{ code: 'ops', name: 'OpsBot', botToken: 'ops-token' }],
    });
    const [dana] = seeded.body.users;
    const [ops] = seeded.body.chats;
    const [bot] = seeded.body.bots;
    await post(`${emulator.url}/_emulator/seed`, {
      members: [
        [ops, dana],
        [ops, bot],
        [ops, 1],
      ],
    });
    const hook = emulator.webhookUrl(dana);
    expect((await post(`${hook}im.dialog.writing`, { DIALOG_ID: `chat${ops}` })).status).toBe(200);
    const notify = await post(`${hook}imbot.v2.Chat.InputAction.notify`, {
      botId: bot,
      botToken: 'ops-token',
      dialogId: `chat${ops}`,
    });
    expect(notify.status).toBe(200);
    const state = await get(`${emulator.url}/_emulator/state`);
    const chat = state.body.chats.find((c: { id: number }) => c.id === ops);
    expect(chat.indicators.map((i: { senderId: number }) => i.senderId).sort()).toEqual([bot, dana].sort());
    expect(state.text).not.toContain('ops-token');

    const reset = await post(`${emulator.url}/_emulator/reset`, {});
    expect(reset.status).toBe(200);
    expect(emulator.timeline()).toEqual([]);
    expect(emulator.stats().requests).toBe(0);
    expect((await post(`${hook}im.dialog.writing`, { DIALOG_ID: `chat${ops}` })).body.error).toBe(
      'INVALID_CREDENTIALS',
    );
    expect((await post(`${emulator.webhookUrl()}im.dialog.writing`, { DIALOG_ID: 'chat1' })).status).toBe(200);
  });

  it('POST /_emulator/reset puts the faults back to the `faults` option: added ones go, spent ones come back', async () => {
    emulator = await startEmulator({
      plan: 'off',
      faults: [{ method: 'im.dialog.writing', status: 503, error: 'QUERY_LIMIT_EXCEEDED', times: 1 }],
    });
    const writing = () => post(`${emulator!.webhookUrl()}im.dialog.writing`, { DIALOG_ID: 'chat1' });
    expect((await writing()).status).toBe(503);
    expect((await writing()).status).toBe(200);
    await post(`${emulator.url}/_emulator/faults`, { method: 'imbot.v2.Event.get', status: 500 });
    expect((await post(`${emulator.url}/_emulator/reset`, {})).status).toBe(200);
    const { faults } = (await get(`${emulator.url}/_emulator/faults`)).body;
    expect(faults.map((f: { method: string; hits: number }) => [f.method, f.hits])).toEqual([['im.dialog.writing', 0]]);
    expect((await writing()).status).toBe(503);
    const events = await post(`${emulator.webhookUrl()}imbot.v2.Event.get`, { botId: 10, botToken: 'agent-bot-token' });
    expect(events.status).toBe(200);
  });

  it('POST /_emulator/reset starts the leaky bucket (§7) and the operating limit afresh, as a new portal has them', async () => {
    emulator = await startEmulator({
      plan: { perSecond: 0.001, burst: 1 },
      now: () => 1_800_000_000_000,
      operating: { budgetSec: 1, costSec: 2 },
    });
    const hook = emulator.webhookUrl();
    const writing = () => post(`${hook}im.dialog.writing`, { DIALOG_ID: 'chat1' });
    const notify = () =>
      post(`${hook}imbot.v2.Chat.InputAction.notify`, { botId: 10, botToken: 'agent-bot-token', dialogId: 'chat1' });
    // §7: the counter must exceed X = 1 first, so two pass at one instant; the first writing used the whole budget.
    expect([(await writing()).status, (await writing()).body.error]).toEqual([200, 'OPERATION_TIME_LIMIT']);
    expect((await notify()).body.error).toBe('QUERY_LIMIT_EXCEEDED');
    expect((await post(`${emulator.url}/_emulator/reset`, {})).status).toBe(200);
    expect((await writing()).status).toBe(200);
    expect((await notify()).status).toBe(200);
  });

  it('posts messages as a user over /_emulator/messages', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const reply = await post(`${emulator.url}/_emulator/messages`, { from: 2, dialogId: '10', text: 'hi agent' });
    expect(reply.body.id).toBeTypeOf('number');
    const events = await post(`${emulator.webhookUrl()}imbot.v2.Event.get`, { botId: 10, botToken: 'agent-bot-token' });
    expect(events.body.result.events[0].data.message.text).toBe('hi agent');
  });

  it('serves the live page and fixtures; unknown control routes are 404', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const page = await get(`${emulator.url}/_emulator/`);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.text).toContain("new EventSource('events')");
    const root = await fetch(`${emulator.url}/`, { redirect: 'manual' });
    expect(root.headers.get('location')).toBe('/_emulator/');
    const fixtures = await get(`${emulator.url}/_emulator/fixtures`);
    expect(fixtures.body.oauth.accessToken).toBe('emulator-access-token');
    expect(fixtures.body.webhookUrl).toBe(emulator.webhookUrl());
    expect((await get(`${emulator.url}/_emulator/nothing`)).status).toBe(404);
  });
});

describe('CORS', () => {
  const preflight = (url: string, origin: string) =>
    fetch(url, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,authorization',
      },
    });

  it('allows loopback origins by default, including the preflight', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const url = `${emulator.restUrl}im.dialog.writing`;
    const pre = await preflight(url, 'http://127.0.0.1:5173');
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:5173');
    expect(pre.headers.get('access-control-allow-headers')).toBe('content-type,authorization');
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
    const call = await post(
      url,
      { DIALOG_ID: 'chat1', auth: 'emulator-access-token' },
      { headers: { origin: 'http://localhost:5173' } },
    );
    expect(call.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    const denied = await preflight(url, 'https://evil.example');
    expect(denied.status).toBe(403);
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('follows an explicit allow-list, or allows any origin with true', async () => {
    emulator = await startEmulator({ plan: 'off', cors: ['https://app.example'] });
    const url = `${emulator.restUrl}im.dialog.writing`;
    expect((await preflight(url, 'https://app.example')).status).toBe(204);
    expect((await preflight(url, 'http://127.0.0.1:5173')).status).toBe(403);
    const error = await post(url, {}, { headers: { origin: 'https://app.example' } });
    expect(error.status).toBe(401);
    expect(error.headers['access-control-allow-origin']).toBe('https://app.example');
    await emulator.close();
    emulator = await startEmulator({ plan: 'off', cors: true });
    expect((await preflight(`${emulator.restUrl}x`, 'https://anything.example')).status).toBe(204);
  });
});

describe('/_emulator without the trailing slash', () => {
  it('redirects to /_emulator/, where the live page finds state and events relative to its URL', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const page = await fetch(`${emulator.url}/_emulator?chat=chat1`);
    expect(page.redirected).toBe(true);
    expect(new URL(page.url).pathname + new URL(page.url).search).toBe('/_emulator/?chat=chat1');
    expect(await page.text()).toContain('<title>');
    const state = await get(new URL('state', page.url).href);
    expect(state.status).toBe(200);
    expect(state.body.chats).toBeDefined();
  });
});

describe('control routes refuse what they cannot use, saying why', () => {
  it('answers a known route called with the wrong method 405 with Allow, and only unknown routes 404', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const base = `${emulator.url}/_emulator`;
    const cases: [string, string, string][] = [
      ['GET', 'seed', 'POST'],
      ['POST', 'state', 'GET, HEAD'],
      ['PUT', 'faults', 'GET, HEAD, POST, DELETE'],
      ['GET', 'faults/1', 'DELETE'],
      ['DELETE', 'events', 'GET, HEAD'],
      ['GET', 'messages', 'POST'],
    ];
    for (const [method, route, allow] of cases) {
      const res = await fetch(`${base}/${route}`, { method });
      const body = (await res.json()) as { error: string; error_description: string };
      const reply = { status: res.status, allow: res.headers.get('allow'), body };
      expect({ route, status: reply.status, allow: reply.allow, error: reply.body.error }).toEqual({
        route,
        status: 405,
        allow,
        error: 'METHOD_NOT_ALLOWED',
      });
      expect(reply.body.error_description).toBe(`${method} /_emulator/${route} is not allowed; use ${allow}`);
    }
    expect((await post(`${base}/nothing`, {})).status).toBe(404);
  });

  it('answers HEAD on every GET route as GET answers, without the body (RFC 9110 §9.3.2)', async () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    emulator = await startEmulator({ plan: 'off', now: () => now });
    await post(`${emulator.webhookUrl()}im.dialog.writing`, { DIALOG_ID: 'chat1' });
    const routes = ['', 'state', 'timeline', 'timeline?since=x', 'stats', 'fixtures', 'bots', 'bots/agent', 'bots/no'];
    for (const route of [...routes, 'deliveries']) {
      const url = `${emulator.url}/_emulator/${route}`;
      const got = await fetch(url);
      const length = String((await got.arrayBuffer()).byteLength);
      const head = await fetch(url, { method: 'HEAD' });
      const headers = (res: Response) => ({
        status: res.status,
        type: res.headers.get('content-type'),
        allow: res.headers.get('allow'),
      });
      expect({ route, ...headers(head), length: head.headers.get('content-length') }).toEqual({
        route,
        ...headers(got),
        length,
      });
    }
    const redirect = await fetch(`${emulator.url}/_emulator?chat=chat1`, { method: 'HEAD', redirect: 'manual' });
    expect({ status: redirect.status, location: redirect.headers.get('location') }).toEqual({
      status: 301,
      location: '/_emulator/?chat=chat1',
    });
    // HEAD is GET without the body, never a stand-in for POST or DELETE.
    for (const [route, allow] of [
      ['seed', 'POST'],
      ['faults/1', 'DELETE'],
    ]) {
      const refused = await fetch(`${emulator.url}/_emulator/${route}`, { method: 'HEAD' });
      expect({ route, status: refused.status, allow: refused.headers.get('allow') }).toEqual({
        route,
        status: 405,
        allow,
      });
    }
  });

  it('refuses a JSON array body with 400 instead of reading it as an empty object', async () => {
    emulator = await startEmulator({ plan: 'off' });
    for (const route of ['seed', 'faults', 'tokens', 'messages']) {
      const reply = await post(`${emulator.url}/_emulator/${route}`, [{ name: 'Dana' }]);
      expect({ route, status: reply.status, body: reply.body }).toEqual({
        route,
        status: 400,
        body: { error: 'BAD_REQUEST', error_description: 'Request body must be a JSON object, not an array' },
      });
    }
    expect(emulator.fixtures.users.map((u) => u.name)).not.toContain('Dana');
  });

  it('answers a body above maxBodyBytes with 413 REQUEST_ENTITY_TOO_LARGE, as /rest/ does (README: maxBodyBytes)', async () => {
    emulator = await startEmulator({ plan: 'off', maxBodyBytes: 64 });
    const users = Array.from({ length: 5 }, (_, i) => ({ id: 100 + i, name: `User ${i}` }));
    for (const route of ['seed', 'faults', 'tokens', 'messages']) {
      const reply = await post(`${emulator.url}/_emulator/${route}`, { users, padding: 'x'.repeat(64) });
      expect({ route, status: reply.status, error: reply.body.error, connection: reply.headers.connection }).toEqual({
        route,
        status: 413,
        error: 'REQUEST_ENTITY_TOO_LARGE',
        connection: 'close',
      });
    }
    expect(emulator.fixtures.users.map((u) => u.id)).not.toContain(100);
    expect(emulator.faults()).toEqual([]);
    // A body within the limit is read as before.
    expect((await post(`${emulator.url}/_emulator/tokens`, { userId: 2 })).status).toBe(200);
  });

  it('names the field when a user id is not an integer, instead of "unknown user NaN"', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const token = await post(`${emulator.url}/_emulator/tokens`, { userId: 'abc' });
    expect(token.status).toBe(400);
    expect(token.body.error_description).toBe('userId must be a user id (a positive integer), got "abc"');
    const message = await post(`${emulator.url}/_emulator/messages`, { dialogId: 'chat1', text: 'hi' });
    expect(message.status).toBe(400);
    expect(message.body.error_description).toBe('from must be a user id (a positive integer), got undefined');
    // What was valid stays valid: a default user for tokens, a numeric string for `from`.
    expect((await post(`${emulator.url}/_emulator/tokens`, {})).body.userId).toBe(1);
    const ok = await post(`${emulator.url}/_emulator/messages`, { from: '2', dialogId: 'chat1', text: 'hi' });
    expect(ok.body.id).toBeTypeOf('number');
  });
});

describe('/_emulator with an injected now() gone bad (README: the call that read it fails with 500)', () => {
  it('a route that reads the clock answers 500, not a 400 blaming the request; the others and a recovered clock serve on', async () => {
    const clock = { t: Date.parse('2026-01-01T00:00:00Z'), bad: false };
    emulator = await startEmulator({ plan: 'off', now: () => (clock.bad ? Number.NaN : clock.t) });
    const base = `${emulator.url}/_emulator`;
    emulator.postMessage({ from: 1, dialogId: 'chat1', text: 'before' });
    const { epoch } = (await get(`${base}/state`)).body;
    clock.bad = true;
    const replies = {
      state: await get(`${base}/state`),
      timeline: await get(`${base}/timeline`),
      reset: await post(`${base}/reset`, {}),
      tokens: await post(`${base}/tokens`, { userId: 2 }),
      messages: await post(`${base}/messages`, { from: 1, dialogId: 'chat1', text: 'hi' }),
    };
    for (const [route, reply] of Object.entries(replies)) {
      expect({ route, status: reply.status, error: reply.body.error }).toEqual({
        route,
        status: 500,
        error: 'INTERNAL_SERVER_ERROR',
      });
      expect(reply.body.error_description).toContain('now() must return a finite number');
    }
    expect((await get(`${base}/stats`)).status).toBe(200);
    clock.bad = false;
    // The failed reset changed nothing (not half done: timeline cleared, epoch kept, no reset event sent).
    expect((await get(`${base}/state`)).body.epoch).toBe(epoch);
    expect(emulator.timeline().map((e) => e.kind === 'message' && e.text)).toEqual(['before']);
    expect((await post(`${base}/reset`, {})).status).toBe(200);
  });
});
