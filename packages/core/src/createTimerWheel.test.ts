import { NEVER, Subject, type Subscription } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createIndicators } from './createIndicators';
import { VirtualClock } from './createScheduler.test.fixture';
import { createTimerWheel } from './createTimerWheel';
import type { Transport } from './Transport';

describe('createTimerWheel', () => {
  it('runs many delayed actions in time order, then schedule order, on one underlying timer', async () => {
    const clock = new VirtualClock();
    const wheel = createTimerWheel(clock);
    const ran: string[] = [];
    for (const [name, delay] of [
      ['c', 30],
      ['a', 10],
      ['b', 10],
      ['d', 20],
    ] as const)
      wheel.schedule(() => ran.push(`${name}@${wheel.now()}`), delay);
    expect(clock.pending).toBe(1);
    await clock.advanceTo(100);
    expect(ran).toEqual(['a@10', 'b@10', 'd@20', 'c@30']);
    expect(clock.pending).toBe(0);
  });

  it('a cancelled action never runs, and the last cancel releases the underlying timer', async () => {
    const clock = new VirtualClock();
    const wheel = createTimerWheel(clock);
    const ran: number[] = [];
    const subs = Array.from({ length: 3000 }, (_, i) => wheel.schedule(() => ran.push(i), 1_000 + i));
    for (const [i, sub] of subs.entries()) if (i !== 5) sub.unsubscribe();
    expect(clock.pending).toBe(1);
    await clock.advanceTo(10_000);
    expect(ran).toEqual([5]);
    const last = wheel.schedule(() => ran.push(-1), 500);
    last.unsubscribe();
    expect(clock.pending).toBe(0);
  });

  it('an action scheduled while others run waits for the next wake-up; rescheduling from the work works', async () => {
    const clock = new VirtualClock();
    const wheel = createTimerWheel(clock);
    const ran: string[] = [];
    wheel.schedule(
      function (n?: number) {
        ran.push(`tick${n}@${wheel.now()}`);
        if ((n ?? 0) < 2) this.schedule((n ?? 0) + 1, 100);
      },
      100,
      0,
    );
    wheel.schedule(() => {
      wheel.schedule(() => ran.push(`later@${wheel.now()}`), 0);
      ran.push(`first@${wheel.now()}`);
    }, 100);
    await clock.advanceTo(1_000);
    expect(ran).toEqual(['tick0@100', 'first@100', 'later@100', 'tick1@200', 'tick2@300']);
    expect(clock.pending).toBe(0);
  });
});

describe('createTimerWheel errors', () => {
  it('an action that throws still counts as done: the underlying timer is released afterwards', async () => {
    const clock = new VirtualClock();
    const wheel = createTimerWheel(clock);
    wheel.schedule(() => {
      throw new Error('boom');
    }, 10);
    const later = wheel.schedule(() => {}, 1_000);
    await expect(clock.advanceTo(100)).rejects.toThrow('boom');
    later.unsubscribe();
    expect(clock.pending).toBe(0);
  });
});

describe('createIndicators timers', () => {
  it('holds 1,000 renewing bot statuses and 1,000 typing users with a single Node timer', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const transport: Transport = {
      call: async () => ({ result: true }),
      batch: async (calls) => calls.map(() => ({ ok: true as const, result: true })),
    };
    const indicators = createIndicators({ transport, limits: { perSecond: 1e6, burst: 1e6 } });
    const landed = async (calls: number) => {
      for (let i = 0; i < 100 && indicators.stats().callsSent < calls; i++) await new Promise((r) => setTimeout(r, 5));
    };
    const subs: Subscription[] = [];
    const keys = new Subject<void>();
    for (let i = 0; i < 1000; i++) {
      subs.push(
        indicators.botStatus({ dialogId: `chat${i + 1}`, botId: 7, status: 'thinking', until: NEVER }).subscribe(),
      );
      subs.push(indicators.userTyping({ dialogId: `chat${i + 1}`, keystrokes: keys }).subscribe());
    }
    keys.next();
    await landed(2000);
    expect(indicators.stats().callsSent).toBe(2000);
    // One wheel timer, not 2,000 (vitest's own timers come and go, hence the bound rather than equality).
    expect(timers()).toBeGreaterThan(0);
    expect(timers()).toBeLessThanOrEqual(before + 1);
    // Unsubscribed early, each status is taken down with a clear; once those land nothing is left.
    for (const sub of subs) sub.unsubscribe();
    await landed(3000);
    expect(indicators.stats().callsSent).toBe(3000);
    expect(timers()).toBeLessThanOrEqual(before);
    indicators.dispose();
  });
});
