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
