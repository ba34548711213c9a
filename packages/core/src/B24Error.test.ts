import { Subject } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { watchUnhandled } from '../test/watchUnhandled';
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
});
