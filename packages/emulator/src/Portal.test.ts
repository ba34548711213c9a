import { afterEach, describe, expect, it, vi } from 'vitest';
import { Portal } from './Portal';

afterEach(() => {
  vi.useRealTimers();
});

describe('Portal: the expiry timer and an injected now() that goes bad (README: the call fails, not the process)', () => {
  it('a timer that finds the clock bad throws nothing (an uncaught exception would end the process) and sweeps once it recovers', () => {
    vi.useFakeTimers();
    const clock = { t: Date.parse('2026-01-01T00:00:00Z'), bad: false };
    const portal = new Portal({ plan: 'off', now: () => (clock.bad ? Number.NaN : clock.t) });
    try {
      const chat = portal.model.chats.get(1)!;
      portal.model.show(chat, 1, null, 25_000, clock.t);
      portal.scheduleSweep();
      clock.t += 25_000;
      clock.bad = true;
      expect(() => vi.advanceTimersByTime(25_005)).not.toThrow();
      expect(() => portal.scheduleSweep()).not.toThrow();
      clock.bad = false;
      vi.advanceTimersByTime(1_000);
      expect(portal.timeline.list().map((e) => e.kind === 'hide' && e.cause)).toEqual(['expired']);
    } finally {
      portal.close();
    }
  });
});

describe('Portal.postMessage: a person posting, not im.message.add (README: Posted messages)', () => {
  it('stores the text as given, takes sg<N>, and refuses with a TypeError what im.message.add answers with codes', () => {
    const portal = new Portal({ plan: 'off' });
    try {
      portal.seed({ chats: [{ id: 30, title: 'Workgroup', members: [1], workgroupId: 7 }] });
      const padded = portal.postMessage(1, 'chat1', '  padded\n');
      expect(portal.model.message(padded)?.text).toBe('  padded\n');
      const inGroup = portal.postMessage(1, 'sg7', 'to the group');
      expect(portal.model.message(inGroup)?.chatId).toBe(30);
      expect(() => portal.postMessage(1, 'crm1', 'x')).toThrow(new TypeError('postMessage: unknown dialog "crm1"'));
      expect(() => portal.postMessage(1, '', 'x')).toThrow(TypeError);
      expect(() => portal.postMessage(2, 'chat30', 'x')).toThrow(/user 2 is not a member of chat30/);
      expect(() => portal.postMessage(1, 'chat1', '\u00a0')).toThrow(/text must be a non-empty string/);
    } finally {
      portal.close();
    }
  });
});
