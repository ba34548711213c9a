import { connect } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { post } from '../test/http';
import { startEmulator } from './startEmulator';
import type { Emulator } from './types';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ plan: 'off' });
});
beforeEach(() => emulator.reset());
afterAll(() => emulator.close());

const writing = () => `${emulator.webhookUrl()}im.dialog.writing`;
const shownIn = () => emulator.indicators().map((i) => i.chatId);

describe('/rest/ reads a request the way the portal does (reference §5, getRequestData)', () => {
  it('reads a body only on POST: the body of a PUT or DELETE is no parameter, its query is', async () => {
    // getRequestData: `if ($request->isPost() && …) { … read the body … }`; any other method is its query alone.
    for (const method of ['PUT', 'DELETE']) {
      const json = await post(writing(), { DIALOG_ID: 'chat1' }, { method });
      const form = await post(writing(), 'DIALOG_ID=chat1', { method });
      // No DIALOG_ID and no CHAT_ID: dialogWriting's StartWriting(null) finds no chat (§1.1 [S]), ACCESS_ERROR.
      expect({ method, json: json.body.error, form: form.body.error }).toEqual({
        method,
        json: 'ACCESS_ERROR',
        form: 'ACCESS_ERROR',
      });
    }
    const queried = await post(`${writing()}?DIALOG_ID=chat2`, { DIALOG_ID: 'chat1' }, { method: 'PUT' });
    expect(queried.status).toBe(200);
    expect(shownIn()).toEqual([2]);
  });

  it('serves HEAD as the portal does: like GET, the method runs, and the reply has no body', async () => {
    // Nothing in the portal checks the request method (CRestServer, getRequestData), and a HEAD reply has no body.
    const url = `${writing()}?DIALOG_ID=chat1`;
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(shownIn()).toEqual([1]);
    expect(emulator.timeline()).toMatchObject([{ kind: 'call', method: 'im.dialog.writing', status: 200 }]);
    const refused = await fetch(`${emulator.url}/rest/1/wrongcode/im.dialog.writing?DIALOG_ID=chat2`, {
      method: 'HEAD',
    });
    expect(refused.status).toBe((await fetch(refused.url)).status);
    expect(shownIn()).toEqual([1]);
  });
});

describe('§5 the transport suffix: method.json and method.xml', () => {
  // §5: "optional `.json`/`.xml` suffix … Default format is JSON. Appending `.xml` returns XML (`<response>…`)".
  it('answers method.xml with the same envelope as XML in <response>, and runs the method', async () => {
    const reply = await post(`${writing()}.xml`, { DIALOG_ID: 'chat1' });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(reply.text).toMatch(
      /^<response><result>1<\/result><time><start>[\d.]+<\/start><finish>[\d.]+<\/finish><duration>[\d.]+<\/duration>/,
    );
    expect(reply.text).toMatch(/<date_start>\d{4}-\d\d-\d\dT[\d:]+[+-]\d\d:\d\d<\/date_start>.*<\/time><\/response>$/);
    expect(shownIn()).toEqual([1]);
    const json = await post(`${emulator.webhookUrl()}im.dialog.writing.json`, { DIALOG_ID: 'chat2' });
    expect([json.status, json.body.result, json.headers['content-type']]).toEqual([
      200,
      true,
      'application/json; charset=utf-8',
    ]);
  });

  it('sends errors as XML too, escaped, with the same status and no time', async () => {
    // `sg7` names no workgroup chat: Dialog::hasAccess refuses it before StartWriting (methods.test.ts).
    const reply = await post(`${writing()}.xml`, { DIALOG_ID: 'sg7' });
    expect(reply.status).toBe(403);
    expect(reply.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(reply.text).toBe(
      '<response><error>ACCESS_ERROR</error><error_description>You don&apos;t have access to this dialog</error_description></response>',
    );
    const missing = await post(`${writing()}.xml`, { CHAT_ID: 0 });
    expect(missing.text).toBe(
      '<response><error>CHAT_ID_EMPTY</error><error_description>Chat ID can&apos;t be empty</error_description></response>',
    );
    const unknown = await post(`${emulator.webhookUrl()}no.such.method.xml`, {});
    expect([unknown.status, unknown.text]).toEqual([
      404,
      '<response><error>ERROR_METHOD_NOT_FOUND</error><error_description>Method not found!</error_description></response>',
    ]);
  });

  it('writes list items as <item>, true as 1, and an empty list as an empty element (OAuth form too)', async () => {
    const reply = await post(`${emulator.restUrl}batch.xml`, {
      auth: emulator.fixtures.oauth.accessToken,
      cmd: ['im.dialog.writing?DIALOG_ID=chat1', 'im.dialog.writing?DIALOG_ID=chat1'],
    });
    expect(reply.status).toBe(200);
    expect(reply.text).toMatch(
      /^<response><result><result><item>1<\/item><item>1<\/item><\/result><result_error><\/result_error><result_total><\/result_total><result_next><\/result_next><result_time><item><start>/,
    );
  });
});

describe('/rest/ and a client that goes away', () => {
  it('records a request whose client hung up mid-body as aborted (status 0), not as a 500 it never sent', async () => {
    const url = new URL(writing());
    const socket = connect(Number(url.port), url.hostname);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"DIALOG_`,
    );
    await vi.waitFor(() => expect(emulator.stats().requests).toBe(1));
    socket.destroy();
    await vi.waitFor(() => expect(emulator.timeline()).toHaveLength(1));
    expect(emulator.timeline()).toMatchObject([
      { kind: 'call', method: 'im.dialog.writing', status: 0, error: 'ABORTED' },
    ]);
    expect(emulator.stats().byStatus).toEqual({});
    expect((await post(writing(), { DIALOG_ID: 'chat1' })).status).toBe(200);
  });
});

describe('/rest/ and a client that goes away while a latency fault holds its request', () => {
  /** Sends `head` + `body` on a raw socket, waits for the fault to hold it, then hangs up. */
  const sendThenHangUp = async (body: string, declaredLength: number) => {
    const url = new URL(writing());
    const socket = connect(Number(url.port), url.hostname);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: ${declaredLength}\r\n\r\n${body}`,
    );
    await vi.waitFor(() => expect(emulator.stats().faultsHit).toBe(1));
    socket.destroy();
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
  };

  it('processes and records a request received whole, though nobody reads the answer (its indicator shows)', async () => {
    // A portal that has the whole request runs it whatever the client does next; clients rely on that (an aborted
    // im.dialog.writing may still land after the message).
    emulator.addFault({ latencyMs: 5_000, times: 1 });
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      const body = JSON.stringify({ DIALOG_ID: 'chat1' });
      await sendThenHangUp(body, Buffer.byteLength(body));
      await vi.advanceTimersByTimeAsync(5_000);
    } finally {
      vi.useRealTimers();
    }
    await vi.waitFor(() => expect(emulator.timeline().filter((e) => e.kind === 'call')).toHaveLength(1));
    expect(emulator.timeline().filter((e) => e.kind === 'call')).toMatchObject([
      { kind: 'call', method: 'im.dialog.writing', status: 200, error: null },
    ]);
    expect(shownIn()).toEqual([1]);
  });

  // Under an error fault too: the portal never had the request, so no 503 went out to be counted.
  it.each([
    ['a latency fault', { latencyMs: 5_000, times: 1 }],
    ['an error fault', { latencyMs: 5_000, status: 503, error: 'QUERY_LIMIT_EXCEEDED', times: 1 }],
  ] as const)(
    'does not process a request whose body never fully arrived under %s: recorded as aborted, nothing shown',
    async (_, fault) => {
      emulator.addFault(fault);
      vi.useFakeTimers({ toFake: ['setTimeout'] });
      try {
        await sendThenHangUp('{"DIALOG_', 100);
        await vi.advanceTimersByTimeAsync(5_000);
      } finally {
        vi.useRealTimers();
      }
      await vi.waitFor(() => expect(emulator.timeline()).toHaveLength(1));
      expect(emulator.timeline()).toMatchObject([
        { kind: 'call', method: 'im.dialog.writing', status: 0, error: 'ABORTED' },
      ]);
      expect(shownIn()).toEqual([]);
      expect(emulator.stats().byStatus).toEqual({});
    },
  );
});

describe('the timeline stays in time order around expiries (§3: an indicator ends when its timer runs out)', () => {
  it('a call refused before any method ran, after an expiry nobody observed yet, comes after the expired hide', async () => {
    let t = 1_800_000_000_000;
    const clocked = await startEmulator({ plan: 'off', now: () => t, clientLifetimeSec: 25 });
    try {
      await post(`${clocked.webhookUrl()}im.dialog.writing`, { DIALOG_ID: 'chat1' });
      t += 30_000; // the 25 s indicator lapsed at +25 s; nothing has swept yet
      const refused = await post(`${clocked.url}/rest/1/wrongcode/im.dialog.writing`, { DIALOG_ID: 'chat1' });
      expect(refused.body.error).toBe('INVALID_CREDENTIALS');
      const entries = clocked.timeline().map((e) => ({ kind: e.kind, time: e.time }));
      expect(entries).toEqual([
        { kind: 'call', time: t - 30_000 },
        { kind: 'hide', time: t - 5_000 },
        { kind: 'call', time: t },
      ]);
    } finally {
      await clocked.close();
    }
  });
});

describe('received(): what each method call was handed, as parsed', () => {
  it('keeps a JSON body typed, a form body and a batch command as PHP strings, without auth or access_token', async () => {
    const token = emulator.fixtures.oauth.accessToken;
    await post(writing(), { DIALOG_ID: 'chat1', n: 1.5, on: true, none: null, list: [], deep: { a: ['x'] } });
    await post(`${emulator.restUrl}im.dialog.writing?n=query`, `DIALOG_ID=chat1&n=1.5&deep[a][]=x&auth=${token}`);
    await post(`${emulator.webhookUrl()}batch`, {
      cmd: { one: 'im.dialog.writing?DIALOG_ID=chat1&on=Y&auth=x&access_token=y' },
    });
    const batchId = emulator.timeline().find((e) => e.kind === 'call' && e.method === 'batch')!;
    expect(emulator.received()).toEqual([
      {
        method: 'im.dialog.writing',
        batchId: null,
        params: { DIALOG_ID: 'chat1', n: 1.5, on: true, none: null, list: [], deep: { a: ['x'] } },
      },
      { method: 'im.dialog.writing', batchId: null, params: { DIALOG_ID: 'chat1', n: '1.5', deep: { a: { 0: 'x' } } } },
      {
        method: 'im.dialog.writing',
        batchId: (batchId as { batchId: number }).batchId,
        params: { DIALOG_ID: 'chat1', on: 'Y' },
      },
    ]);
    emulator.reset();
    expect(emulator.received()).toEqual([]);
  });

  it('keeps the newest 1,000 calls (README), batch commands counted one by one', async () => {
    for (let b = 0; b < 21; b++) {
      const cmd = Array.from({ length: 50 }, (_, i) => `im.dialog.writing?DIALOG_ID=chat1&n=${b * 50 + i + 1}`);
      expect((await post(`${emulator.webhookUrl()}batch`, { cmd })).status).toBe(200);
    }
    const kept = emulator.received();
    expect(kept).toHaveLength(1000);
    expect([kept[0]!.params.n, kept.at(-1)!.params.n]).toEqual(['51', '1050']);
  });
});

describe('a refused call on the timeline says whose call it was (the refusal itself is unchanged)', () => {
  /** The fields of the last call entry that tell whose call it was, with its outcome. */
  const lastCall = (from: Emulator = emulator) => {
    const e = from
      .timeline()
      .filter((x) => x.kind === 'call')
      .at(-1);
    if (e?.kind !== 'call') throw new Error('no call on the timeline');
    const { method, status, error, dialogId, chatId, senderId, botId, shown, auth } = e;
    return { method, status, error, dialogId, chatId, senderId, botId, shown, auth };
  };

  it('a bucket refusal of im.dialog.writing: the dialog as passed, its chat, the webhook user; the reply is the bare envelope', async () => {
    const t = 1_800_000_000_000;
    const limited = await startEmulator({ plan: { perSecond: 1, burst: 1 }, now: () => t });
    try {
      const url = `${limited.webhookUrl(2)}im.dialog.writing`;
      // Two pass at one instant (burst 1: the counter must exceed it first, §7); the first opens the private chat 2|3.
      expect((await post(url, { DIALOG_ID: '3' })).status).toBe(200);
      const chatId = limited.indicators()[0]!.chatId;
      expect((await post(url, 'DIALOG_ID=chat1')).status).toBe(200);
      const refused = await post(url, { dialog_id: '3' });
      expect([refused.status, refused.body]).toEqual([
        503,
        { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' },
      ]);
      expect(lastCall(limited)).toEqual({
        method: 'im.dialog.writing',
        status: 503,
        error: 'QUERY_LIMIT_EXCEEDED',
        dialogId: '3',
        chatId,
        senderId: 2,
        botId: null,
        shown: false,
        auth: 'none',
      });
      // A form body is read the same way; CHAT_ID names the chat when DIALOG_ID is absent, as the method reads it.
      await post(url, 'CHAT_ID=2');
      expect(lastCall(limited)).toMatchObject({
        error: 'QUERY_LIMIT_EXCEEDED',
        dialogId: 'chat2',
        chatId: 2,
        senderId: 2,
      });
    } finally {
      await limited.close();
    }
  });

  it('an injected error fault on imbot.v2.Chat.InputAction.notify: the bot and its dialog, nothing shown', async () => {
    emulator.addFault({
      method: 'imbot.v2.Chat.InputAction.notify',
      status: 503,
      error: 'QUERY_LIMIT_EXCEEDED',
      times: 1,
    });
    const url = `${emulator.webhookUrl()}imbot.v2.Chat.InputAction.notify`;
    const call = { botId: 10, botToken: 'agent-bot-token', dialogId: 'chat1', duration: 30 };
    const refused = await post(url, call);
    expect([refused.status, refused.body]).toEqual([
      503,
      { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' },
    ]);
    expect(emulator.indicators()).toEqual([]);
    expect(lastCall()).toEqual({
      method: 'imbot.v2.Chat.InputAction.notify',
      status: 503,
      error: 'QUERY_LIMIT_EXCEEDED',
      dialogId: 'chat1',
      chatId: 1,
      senderId: 10,
      botId: 10,
      shown: false,
      auth: 'none',
    });
    // The legacy method too, its bot found as the method finds it: BOT_ID, else the first bot of the caller's app.
    emulator.addFault({ method: 'imbot.chat.sendTyping', status: 503, error: 'QUERY_LIMIT_EXCEEDED', times: 2 });
    const legacy = `${emulator.webhookUrl()}imbot.chat.sendTyping`;
    await post(legacy, { BOT_ID: 10, CLIENT_ID: 'agent-bot-token', DIALOG_ID: 'chat2' });
    expect(lastCall()).toMatchObject({
      error: 'QUERY_LIMIT_EXCEEDED',
      dialogId: 'chat2',
      chatId: 2,
      senderId: 10,
      botId: 10,
    });
    await post(legacy, { CLIENT_ID: 'agent-bot-token', DIALOG_ID: 'chat1' });
    expect(lastCall()).toMatchObject({
      error: 'QUERY_LIMIT_EXCEEDED',
      dialogId: 'chat1',
      chatId: 1,
      senderId: 10,
      botId: 10,
    });
  });

  it('a reset, a hang or a proxy page instead of the call: whose call it was too; the client sees the same, nothing ran', async () => {
    // A dropped connection: the client that sent its call sees the reset; the entry names the bot and its dialog.
    emulator.addFault({ method: 'imbot.v2.Chat.InputAction.notify', reset: true, times: 1 });
    const notify = `${emulator.webhookUrl()}imbot.v2.Chat.InputAction.notify`;
    await expect(post(notify, { botId: 10, botToken: 'agent-bot-token', dialogId: 'chat1' })).rejects.toThrow();
    await vi.waitFor(() => expect(lastCall().error).toBe('RESET'));
    expect(lastCall()).toEqual({
      method: 'imbot.v2.Chat.InputAction.notify',
      status: 0,
      error: 'RESET',
      dialogId: 'chat1',
      chatId: 1,
      senderId: 10,
      botId: 10,
      shown: false,
      auth: 'none',
    });
    // A proxy's page: that status and body, as before; the entry names the webhook user's dialog.
    const page = '<html>503 Service Unavailable</html>';
    emulator.addFault({ method: 'im.dialog.writing', status: 503, body: page, contentType: 'text/html', times: 1 });
    const proxied = await post(writing(), 'DIALOG_ID=chat2');
    expect([proxied.status, proxied.headers['content-type'], proxied.text]).toEqual([503, 'text/html', page]);
    expect(lastCall()).toMatchObject({ status: 503, error: 'BODY', dialogId: 'chat2', chatId: 2, senderId: 1 });
    // A hang never answers: the entry is there while the client still waits.
    emulator.addFault({ method: 'im.dialog.writing', hang: true, times: 1 });
    const controller = new AbortController();
    const pending = fetch(writing(), {
      method: 'POST',
      body: JSON.stringify({ DIALOG_ID: 'chat1' }),
      headers: { 'content-type': 'application/json' },
      signal: controller.signal,
    });
    await vi.waitFor(() => expect(lastCall().error).toBe('HANG'));
    expect(lastCall()).toMatchObject({ status: 0, dialogId: 'chat1', chatId: 1, senderId: 1, botId: null });
    controller.abort();
    await expect(pending).rejects.toThrow();
    // None of them reached the method.
    expect(emulator.indicators()).toEqual([]);
    expect(emulator.received()).toEqual([]);
  });

  it('a batch refused as a whole (bucket, error fault, auth): each command refused the same, whose it was, the batch last; reply and stats unchanged', async () => {
    const cmd = {
      typing: 'im.dialog.writing?DIALOG_ID=chat1',
      bot: 'imbot.v2.Chat.InputAction.notify?botId=10&botToken=agent-bot-token&dialogId=chat2',
    };
    /** The last `batch` entry and the entries sharing its id, in timeline order. */
    const lastBatch = (from: Emulator) => {
      const calls = from.timeline().filter((e) => e.kind === 'call');
      const outer = calls.at(-1);
      if (outer?.kind !== 'call' || outer.method !== 'batch') throw new Error('no batch last on the timeline');
      return calls
        .filter((c) => c.kind === 'call' && outer.batchId !== null && c.batchId === outer.batchId)
        .map(
          (c) => c.kind === 'call' && [c.method, c.status, c.error, c.dialogId, c.chatId, c.senderId, c.botId, c.shown],
        );
    };
    const refusedAs = (status: number, code: string, sender: number | null) => [
      ['im.dialog.writing', status, code, 'chat1', 1, sender, null, false],
      ['imbot.v2.Chat.InputAction.notify', status, code, 'chat2', 2, 10, 10, false],
      ['batch', status, code, null, null, null, null, false],
    ];
    let t = 1_800_000_000_000;
    const limited = await startEmulator({ plan: { perSecond: 1, burst: 1 }, tokenTtlSec: 60, now: () => t });
    try {
      const hook = limited.webhookUrl();
      // The bucket (two pass at one instant with burst 1, §7): the commands are the webhook user's and the bot's.
      for (let i = 0; i < 2; i++) expect((await post(`${hook}im.dialog.writing`, { DIALOG_ID: '3' })).status).toBe(200);
      const stats = structuredClone(limited.stats());
      const limitedReply = await post(`${hook}batch`, { cmd });
      expect([limitedReply.status, limitedReply.body]).toEqual([
        503,
        { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' },
      ]);
      expect(lastBatch(limited)).toEqual(refusedAs(503, 'QUERY_LIMIT_EXCEEDED', 1));
      // Nothing ran: no batch, no method counted; the request and its refusal are, as documented.
      expect(limited.stats()).toEqual({
        ...stats,
        requests: stats.requests + 1,
        queryLimitExceeded: stats.queryLimitExceeded + 1,
        byStatus: { ...stats.byStatus, 503: 1 },
      });
      // An expired OAuth token vouches for nobody: no user sender (the bot is named by the command).
      t += 61_000;
      const expired = await post(`${limited.restUrl}batch`, { cmd, auth: limited.fixtures.oauth.accessToken });
      expect([expired.status, expired.body.error]).toEqual([401, 'expired_token']);
      expect(lastBatch(limited)).toEqual(refusedAs(401, 'expired_token', null));
    } finally {
      await limited.close();
    }
    // An injected error fault with its status and code, and an unknown token.
    emulator.addFault({ method: 'batch', status: 500, error: 'INTERNAL_SERVER_ERROR', times: 1 });
    const faulted = await post(`${emulator.webhookUrl()}batch`, { cmd });
    expect([faulted.status, faulted.body.error]).toEqual([500, 'INTERNAL_SERVER_ERROR']);
    expect(lastBatch(emulator)).toEqual(refusedAs(500, 'INTERNAL_SERVER_ERROR', 1));
    const unknown = await post(`${emulator.restUrl}batch`, { cmd, auth: 'no-such-token' });
    expect([unknown.status, unknown.body.error]).toEqual([401, 'NO_AUTH_FOUND']);
    expect(lastBatch(emulator)).toEqual(refusedAs(401, 'NO_AUTH_FOUND', null));
    expect(emulator.indicators()).toEqual([]);
    expect(emulator.received()).toEqual([]);
    expect(emulator.stats()).toMatchObject({ batches: 0, byMethod: {} });
  });

  it('a call whose auth failed: what the request names (dialog, chat, bot), never the user it claims to be', async () => {
    // A wrong webhook code claims user 2: nothing vouches for it, so no sender; `chat1` is chat 1 whoever asks.
    const wrong = `${emulator.url}/rest/2/wrongcode/`;
    expect((await post(`${wrong}im.dialog.writing`, { DIALOG_ID: 'chat1' })).body.error).toBe('INVALID_CREDENTIALS');
    expect(lastCall()).toMatchObject({ error: 'INVALID_CREDENTIALS', dialogId: 'chat1', chatId: 1, senderId: null });
    // A private dialog is relative to its sender: without one, no chat.
    await post(`${wrong}im.dialog.writing`, { DIALOG_ID: '1' });
    expect(lastCall()).toMatchObject({ error: 'INVALID_CREDENTIALS', dialogId: '1', chatId: null, senderId: null });
    // A bot call names its bot: the indicator would be the bot's (its user id), whoever sent the call.
    const notify = {
      auth: 'no-such-token',
      botId: 10,
      dialogId: 'chat1',
      statusMessageCode: 'IMBOT_AGENT_ACTION_THINKING',
    };
    const refused = await post(`${emulator.restUrl}imbot.v2.Chat.InputAction.notify`, notify);
    expect([refused.status, refused.body.error]).toEqual([401, 'NO_AUTH_FOUND']);
    expect(lastCall()).toEqual({
      method: 'imbot.v2.Chat.InputAction.notify',
      status: 401,
      error: 'NO_AUTH_FOUND',
      dialogId: 'chat1',
      chatId: 1,
      senderId: 10,
      botId: 10,
      shown: false,
      auth: 'none',
    });
  });
});

describe('an injected now() that stops returning a finite number partway through a request (README: 500)', () => {
  const T0 = Date.parse('2026-01-01T00:00:00Z');
  const failures: Record<string, () => unknown> = {
    NaN: () => Number.NaN,
    undefined: () => undefined,
    'a throw': () => {
      throw new Error('clock unplugged');
    },
  };
  const requests: Record<string, unknown> = {
    'im.dialog.writing': { DIALOG_ID: 'chat1' },
    // Commands that show, replace, hide (a message) and refuse, so the batch reads the clock on every path.
    batch: {
      cmd: {
        a: 'im.dialog.writing?DIALOG_ID=chat1',
        b: 'im.dialog.writing?DIALOG_ID=chat1',
        c: 'im.message.add?DIALOG_ID=chat1&MESSAGE=hi',
        d: 'no.such.method',
      },
    },
  };
  /**
   * An emulator whose clock reads fine while `good` reads remain (null: always), then fails; `reads` counts them.
   * Reads during startEmulator are not counted: only the request's own.
   */
  async function withClock(good: number | null, failure: () => unknown) {
    const clock = { good: null as number | null, reads: 0 };
    const clocked = await startEmulator({
      plan: 'off',
      now: () => {
        if (clock.good === null) return T0 + clock.reads;
        return clock.reads++ < clock.good ? T0 + clock.reads : (failure() as number);
      },
    });
    clock.good = good;
    return { clocked, clock };
  }

  for (const [failureName, failure] of Object.entries(failures)) {
    for (const [method, body] of Object.entries(requests)) {
      it(`${method}: answers 500 whichever of its clock reads returns ${failureName}, then serves on`, async () => {
        // How many times a whole request reads the clock: every one of those reads is a point it can fail at.
        const counting = await withClock(Number.POSITIVE_INFINITY, failure);
        const url = (e: Emulator) => `${e.webhookUrl()}${method}`;
        try {
          expect((await post(url(counting.clocked), body)).status).toBe(200);
        } finally {
          await counting.clocked.close();
        }
        // A plain call's last reading schedules the expiry timer, after the call was answered and recorded: a
        // failure there only delays the timer (README), so it is not a reading the call can fail at.
        const total = counting.clock.reads - (method === 'batch' ? 0 : 1);
        expect(total).toBeGreaterThan(2);
        const outcomes: string[] = [];
        for (let good = 0; good < total; good++) {
          const { clocked, clock } = await withClock(good, failure);
          try {
            const reply = await post(url(clocked), body);
            outcomes.push(`${good}: ${reply.status} ${reply.body.error}`);
            clock.good = null; // the clock recovers: the same server answers the next call
            expect((await post(url(clocked), body)).status).toBe(200);
            // One failed call is one entry on the timeline, not a 200 and then a 500 for the same call, nor none (as
            // every other failure is there, whichever reading failed).
            const entries = clocked
              .timeline()
              .filter((e) => e.kind === 'call' && (method === 'batch' ? e.method === 'batch' : e.batchId === null));
            expect(
              entries.map((e) => e.kind === 'call' && `${e.method} ${e.status}`),
              `reading ${good} failed`,
            ).toEqual([`${method} 500`, `${method} 200`]);
          } finally {
            await clocked.close();
          }
        }
        expect(outcomes).toEqual(Array.from({ length: total }, (_, good) => `${good}: 500 INTERNAL_SERVER_ERROR`));
      });
    }
  }
});

describe('an injected now() that fails on the very first read of a request (README: 500, like any internal error)', () => {
  const T0 = Date.parse('2026-01-01T00:00:00Z');
  const origin = 'http://127.0.0.1:5173';
  /**
   * A clock that fails (throws, or NaN) while `bad` is set, after `goodReads` more good readings (0: the next request
   * fails on its first read).
   */
  async function withBadClock(failure: () => number) {
    const clock = { t: T0, bad: false, goodReads: 0 };
    const clocked = await startEmulator({
      plan: 'off',
      now: () => (clock.bad && clock.goodReads-- <= 0 ? failure() : clock.t),
    });
    return { clocked, clock };
  }
  const failures: Record<string, () => number> = {
    'a throw': () => {
      throw new Error('clock unplugged');
    },
    NaN: () => Number.NaN,
  };

  for (const [failureName, failure] of Object.entries(failures)) {
    it(`${failureName}: the §6 envelope for INTERNAL_SERVER_ERROR (500, no time), CORS headers, counted and on the timeline`, async () => {
      const { clocked, clock } = await withBadClock(failure);
      try {
        await post(`${clocked.webhookUrl()}im.dialog.writing`, { DIALOG_ID: 'chat2' });
        clock.t += 1_000;
        clock.bad = true;
        const reply = await post(
          `${clocked.webhookUrl()}im.dialog.writing`,
          { DIALOG_ID: 'chat1' },
          { headers: { origin } },
        );
        const batch = await post(
          `${clocked.webhookUrl()}batch`,
          { cmd: { a: 'im.dialog.writing?DIALOG_ID=chat1' } },
          { headers: { origin } },
        );
        clock.bad = false;
        for (const failed of [reply, batch]) {
          // §6: 500 INTERNAL_SERVER_ERROR; §5: an error envelope has no `time`.
          expect(failed.status).toBe(500);
          expect(failed.body).toEqual({ error: 'INTERNAL_SERVER_ERROR', error_description: 'Internal server error' });
          // A browser app reads the error instead of an opaque network failure.
          expect(failed.headers['access-control-allow-origin']).toBe(origin);
        }
        expect(clocked.stats().byStatus[500]).toBe(2);
        const calls = clocked.timeline().filter((e) => e.kind === 'call');
        expect(calls.map((e) => e.kind === 'call' && [e.method, e.status, e.error, e.dialogId, e.batchId])).toEqual([
          ['im.dialog.writing', 200, null, 'chat2', null],
          ['im.dialog.writing', 500, 'INTERNAL_SERVER_ERROR', 'chat1', null],
          ['im.dialog.writing', 500, 'INTERNAL_SERVER_ERROR', 'chat1', 1],
          ['batch', 500, 'INTERNAL_SERVER_ERROR', null, 1],
        ]);
        // No reading to stamp them with: the last time the portal knew, so the timeline stays in time order.
        expect(calls.map((e) => e.time)).toEqual([T0, T0, T0, T0]);
        expect(clocked.indicators().map((i) => i.chatId)).toEqual([2]);
        // The clock recovers: the same server serves on.
        expect((await post(`${clocked.webhookUrl()}im.dialog.writing`, { DIALOG_ID: 'chat1' })).status).toBe(200);
      } finally {
        await clocked.close();
      }
    });
  }

  it('/oauth/token/ that meets it answers the same 500 envelope with CORS headers, and spends no refresh token', async () => {
    const { clocked, clock } = await withBadClock(failures['a throw']!);
    try {
      const tokens = clocked.issueToken(1);
      const { clientId, clientSecret } = clocked.fixtures.app;
      const refresh = () =>
        post(
          clocked.oauthUrl,
          `grant_type=refresh_token&client_id=${clientId}&client_secret=${clientSecret}&refresh_token=${tokens.refreshToken}`,
          { headers: { origin } },
        );
      // On its first reading (the expiry check), then on its second (issuing the new tokens).
      for (const goodReads of [0, 1]) {
        clock.bad = true;
        clock.goodReads = goodReads;
        const reply = await refresh();
        clock.bad = false;
        expect(reply.status).toBe(500);
        expect(reply.body).toEqual({ error: 'INTERNAL_SERVER_ERROR', error_description: 'Internal server error' });
        expect(reply.headers['access-control-allow-origin']).toBe(origin);
      }
      expect(clocked.stats().byStatus[500]).toBe(2);
      // The refresh that failed did not spend the token: the client can still refresh once the clock recovers.
      expect((await refresh()).status).toBe(200);
    } finally {
      await clocked.close();
    }
  });
});
