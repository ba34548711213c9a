import { Subject } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { watchUnhandled } from '@b24-typing/test-utils';
import { B24Error, isB24Error } from './B24Error';
import { createIndicators } from './createIndicators';
import { createTypingIndicators } from './createTypingIndicators';
import type { IndicatorEvent } from './IndicatorEvent';

const unhandled = watchUnhandled().rejections;

describe('B24Error.from / isB24Error on odd rejections', () => {
  it.each([
    ['createIndicators', createIndicators],
    ['createTypingIndicators', createTypingIndicators],
  ] as const)(
    '%s: a transport rejecting with an Error whose name is not a string is a failed call, not an unhandled rejection',
    async (_n, create) => {
      const odd = Object.assign(new Error('odd'), { name: undefined });
      const events: IndicatorEvent[] = [];
      const indicators = create({ transport: { call: () => Promise.reject(odd) }, onEvent: (e) => events.push(e) });
      const keys = new Subject<void>();
      indicators.userTyping({ dialogId: 'chat1', keystrokes: keys }).subscribe();
      keys.next();
      await vi.advanceTimersByTimeAsync(20_000);
      expect(unhandled).toEqual([]);
      expect(events.some((e) => e.type === 'dropped' || e.type === 'failed')).toBe(true);
      indicators.dispose();
    },
  );

  it('B24Error.from never throws, whatever the name', () => {
    for (const name of [undefined, 42, Symbol('s'), null]) {
      expect(B24Error.from(Object.assign(new Error('x'), { name })).code).toBe('TRANSPORT_ERROR');
    }
  });

  it('isB24Error takes a B24Error-shaped error from another copy of core, and refuses odd names without throwing', () => {
    const copy = Object.assign(new Error('denied'), { name: 'B24Error', code: 'ACCESS_DENIED', kind: 'access' });
    expect(isB24Error(copy)).toBe(true);
    for (const name of [undefined, 42, Symbol('s'), null, 'Error']) {
      expect(isB24Error(Object.assign(new Error('x'), { name, code: 'X', kind: 'input' }))).toBe(false);
    }
  });

  /** Values whose getters, conversions or proxy traps throw: what a hostile or broken transport may reject with. */
  const throwing = () => {
    const boom = () => {
      throw new Error('boom');
    };
    return [
      new Proxy({}, { getPrototypeOf: boom }),
      new Proxy(new Error('x'), { get: boom, has: boom }),
      Object.defineProperty(new Error('x'), 'name', { get: boom }),
      Object.assign(new Error('x'), { name: { toString: boom } }),
      Object.defineProperty(Object.assign(new Error('x'), { name: 'B24Error' }), 'code', { get: boom }),
    ];
  };

  it('B24Error.from and isB24Error never throw, even on a value whose getters or traps throw', () => {
    for (const value of throwing()) {
      expect(isB24Error(value)).toBe(false);
      expect(B24Error.from(value)).toMatchObject({ code: 'TRANSPORT_ERROR', kind: 'network' });
    }
  });

  it.each([
    ['createIndicators', createIndicators],
    ['createTypingIndicators', createTypingIndicators],
  ] as const)(
    '%s: a transport rejecting with a value whose getters throw fails as TRANSPORT_ERROR, not an unhandled rejection',
    async (_n, create) => {
      for (const odd of throwing()) {
        const events: IndicatorEvent[] = [];
        const indicators = create({ transport: { call: () => Promise.reject(odd) }, onEvent: (e) => events.push(e) });
        const keys = new Subject<void>();
        indicators.userTyping({ dialogId: 'chat1', keystrokes: keys }).subscribe();
        keys.next();
        await vi.advanceTimersByTimeAsync(20_000); // past the retries (createIndicators jitters them)
        expect(unhandled).toEqual([]);
        // retried as the network error it is, at once, rather than timed out 10 s later
        expect(indicators.stats().failed).toEqual({ network: expect.any(Number) });
        expect(events.some((e) => e.type === 'dropped' || e.type === 'failed')).toBe(true);
        indicators.dispose();
      }
    },
  );
});

describe('B24Error.fromResponse', () => {
  it("cuts the credentials among the call's params (nested ones too) out of the description, as given and URL-encoded", () => {
    const params = {
      botId: 7,
      dialogId: 'chat1',
      fields: { botToken: 'b0t/Tok&en', list: [{ client_secret: 'S3cr3t=' }] },
      CLIENT_ID: 'app.legacy',
      clientId: 42, // not text: nothing to cut
      emptyToken: '', // nothing either (no *** between every character)
    };
    const error = B24Error.fromResponse(
      {
        error: 'ERROR_ARGUMENT',
        error_description: 'Wrong b0t/Tok&en (b0t%2FTok%26en), S3cr3t%3D, app.legacy for chat1 and bot 42',
      },
      400,
      params,
    );
    expect(error).toMatchObject({ code: 'ERROR_ARGUMENT', kind: 'input', status: 400 });
    expect(error.message).toBe('ERROR_ARGUMENT: Wrong *** (***), ***, *** for chat1 and bot 42');
    // Without params, the description as it came.
    expect(B24Error.fromResponse({ error: 'E', error_description: 'app.legacy' }).message).toBe('E: app.legacy');
  });
});
