import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, post, rawRequest } from '../test/http';
import { parseBody } from './parseBody';
import { startEmulator } from './startEmulator';
import type { Emulator } from './types';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ plan: 'off' });
});
afterAll(() => emulator.close());

const send = () => `${emulator.webhookUrl()}imbot.v2.Chat.Message.send`;
const lastText = () => emulator.messages(1).at(-1)?.text;

describe('request bodies over HTTP', () => {
  it('JSON', async () => {
    const reply = await post(send(), {
      botId: 10,
      botToken: 'agent-bot-token',
      dialogId: 'chat1',
      fields: { message: 'json ✓' },
    });
    expect(reply.status).toBe(200);
    expect(lastText()).toBe('json ✓');
  });

  it('form with PHP brackets', async () => {
    const reply = await post(
      send(),
      'botId=10&botToken=agent-bot-token&dialogId=chat1&fields%5Bmessage%5D=form+%E2%9C%93',
    );
    expect(reply.status).toBe(200);
    expect(lastText()).toBe('form ✓');
  });

  it('multipart/form-data with PHP brackets', async () => {
    const form = new FormData();
    form.set('botId', '10');
    form.set('botToken', 'agent-bot-token');
    form.set('dialogId', 'chat1');
    form.set('fields[message]', 'multipart ✓');
    const res = await fetch(send(), { method: 'POST', body: form });
    expect(res.status).toBe(200);
    expect(lastText()).toBe('multipart ✓');
  });

  it('GET with a query string and a .json suffix', async () => {
    const reply = await get(`${send()}.json?botId=10&botToken=agent-bot-token&dialogId=chat1&fields[message]=query`);
    expect(reply.status).toBe(200);
    expect(lastText()).toBe('query');
  });
});

describe('parseBody', () => {
  it('reads a raw body that is not application/json through parse_str, even when it looks like JSON (§5)', () => {
    expect(JSON.parse(JSON.stringify(parseBody(Buffer.from('a[b]=1'), undefined)))).toEqual({ a: { b: '1' } });
    // getRequestData: `switch (Content-Type without parameters) { case 'application/json': Json::decode; default:
    // parse_str }`. PHP's parse_str takes `{"a":` as the name and `[1,2]` as its first index, and drops the rest.
    for (const type of [undefined, 'text/plain', 'text/json', 'application/vnd.api+json']) {
      expect(JSON.parse(JSON.stringify(parseBody(Buffer.from('{"a":[1,2]}'), type))), String(type)).toEqual({
        '{"a":': { '1,2': '' },
      });
    }
    expect(
      JSON.parse(JSON.stringify(parseBody(Buffer.from('{"a":[1,2]}'), 'application/json ; charset=UTF-8'))),
    ).toEqual({ a: [1, 2] });
  });
});

describe('request bodies over HTTP: JSON only with Content-Type application/json (reference §5, getRequestData)', () => {
  const writing = () => `${emulator.webhookUrl()}im.dialog.writing`;
  const json = JSON.stringify({ DIALOG_ID: 'chat1' });

  it('a JSON text sent as text/plain or without a Content-Type is not JSON to the portal: no DIALOG_ID', async () => {
    // Neither DIALOG_ID nor CHAT_ID: dialogWriting's StartWriting(null) finds no chat (§1.1 [S]), ACCESS_ERROR 403.
    const plain = await post(writing(), json, { contentType: 'text/plain;charset=UTF-8' });
    expect(plain.status).toBe(403);
    expect(plain.body.error).toBe('ACCESS_ERROR');
    const none = await rawRequest(writing(), Buffer.from(json), { 'content-length': String(json.length) });
    expect(none.status).toBe(403);
    expect(JSON.parse(none.text).error).toBe('ACCESS_ERROR');
  });

  it('application/json with parameters is JSON', async () => {
    const reply = await post(writing(), json, { contentType: 'application/json; charset=utf-8' });
    expect(reply.status).toBe(200);
    expect(reply.body.result).toBe(true);
  });
});
