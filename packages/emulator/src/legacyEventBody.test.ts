import { describe, expect, it } from 'vitest';
import type { Bot } from './ChatModel';
import { legacyEventBody } from './legacyEventBody';

function bot(overrides: Partial<Bot> = {}): Bot {
  return {
    id: 567,
    code: 'BOT1',
    appId: 'customhook',
    botToken: 'hook',
    clientId: null,
    type: 'bot',
    eventMode: 'webhook',
    webhookUrl: null,
    applicationToken: 'apptoken',
    isHidden: false,
    isReactionsEnabled: true,
    isSupportOpenline: false,
    backgroundId: null,
    events: [],
    nextEventId: 1,
    countMessage: 0,
    legacy: true,
    ...overrides,
  };
}

const auth = { domain: 'portal.test', application_token: 'apptoken', status: 'L' };
const handler = { url: 'http://127.0.0.1/h', id: 403 };

describe('legacyEventBody', () => {
  it('puts the bot credentials under data[BOT][<id>] (and again as AUTH) next to PARAMS and USER, every scalar a string', () => {
    const form = new URLSearchParams(
      legacyEventBody(
        bot(),
        {
          eventId: 1,
          type: 'ONIMBOTMESSAGEADD',
          date: '',
          data: { PARAMS: { MESSAGE: 'Hi', MESSAGE_ID: 84331, FLAG: true, NONE: null }, USER: { ID: 27 } },
        },
        handler,
        auth,
        1_771_928_985_500,
      ),
    );
    expect(Object.fromEntries(form)).toEqual({
      event: 'ONIMBOTMESSAGEADD',
      event_handler_id: '403',
      'data[BOT][567][domain]': 'portal.test',
      'data[BOT][567][application_token]': 'apptoken',
      'data[BOT][567][status]': 'L',
      'data[BOT][567][AUTH][domain]': 'portal.test',
      'data[BOT][567][AUTH][application_token]': 'apptoken',
      'data[BOT][567][AUTH][status]': 'L',
      'data[BOT][567][BOT_ID]': '567',
      'data[BOT][567][BOT_CODE]': 'BOT1',
      'data[PARAMS][MESSAGE]': 'Hi',
      'data[PARAMS][MESSAGE_ID]': '84331',
      'data[PARAMS][FLAG]': '1',
      'data[PARAMS][NONE]': '',
      'data[USER][ID]': '27',
      ts: '1771928985',
      'auth[domain]': 'portal.test',
      'auth[application_token]': 'apptoken',
      'auth[status]': 'L',
    });
  });

  it("adds an OAuth application's client_id to the bot entry, not to the top-level auth", () => {
    const form = new URLSearchParams(
      legacyEventBody(
        bot({ clientId: 'app.1', appId: 'app.1', botToken: null }),
        { eventId: 1, type: 'ONIMBOTMESSAGEADD', date: '', data: { PARAMS: {}, USER: {} } },
        handler,
        auth,
        0,
      ),
    );
    expect(form.get('data[BOT][567][client_id]')).toBe('app.1');
    expect(form.get('data[BOT][567][AUTH][client_id]')).toBe('app.1');
    expect(form.get('auth[client_id]')).toBeNull();
  });

  it('ONIMBOTDELETE carries its own data only, {BOT_ID, BOT_CODE}', () => {
    const form = new URLSearchParams(
      legacyEventBody(
        bot(),
        { eventId: 2, type: 'ONIMBOTDELETE', date: '', data: { BOT_ID: 567, BOT_CODE: 'BOT1' } },
        handler,
        auth,
        0,
      ),
    );
    expect([...form.keys()].filter((key) => key.startsWith('data'))).toEqual(['data[BOT_ID]', 'data[BOT_CODE]']);
    expect(form.get('data[BOT_ID]')).toBe('567');
  });
});
