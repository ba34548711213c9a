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
      expect({ method, json: json.body.error, form: form.body.error }).toEqual({
        method,
        json: 'CHAT_ID_EMPTY',
        form: 'CHAT_ID_EMPTY',
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
