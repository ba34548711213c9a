import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, post } from '../test/http';
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
  it('reads a raw body without a content type through parse_str, or as JSON when it looks like JSON', () => {
    expect(JSON.parse(JSON.stringify(parseBody(Buffer.from('a[b]=1'), undefined)))).toEqual({ a: { b: '1' } });
    expect(JSON.parse(JSON.stringify(parseBody(Buffer.from('{"a":[1,2]}'), 'text/plain')))).toEqual({ a: [1, 2] });
  });
});
