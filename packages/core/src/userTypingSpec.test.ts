import { Subject } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { recordingTransport } from '../test/recordingTransport';
import { watchUnhandled } from '@b24-typing/test-utils';
import { createIndicators } from './createIndicators';
import { createTypingIndicators, type TypingIndicators, type TypingIndicatorsOptions } from './createTypingIndicators';
import type { IndicatorEvent } from './IndicatorEvent';

const unhandled = watchUnhandled().rejections; // and fake timers from 0

// lifetime 2 s, renew every 1.5 s if a key came in the last second (the chat example's test policy)
const POLICY = { lifetimeMs: 2_000, marginMs: 500, idleMs: 1_000 };

const brief = (events: IndicatorEvent[]) =>
  events.map(
    (e) =>
      `${Math.round(e.at / 10) * 10} ${e.type}${'call' in e && e.call ? ` ${e.call.reason}` : ''}${'reason' in e ? ` ${e.reason}` : ''}`,
  );

/** Keystrokes every 200 ms from 0 until `untilMs` (exclusive), advancing the fake clock. */
async function typeFor(keys: Subject<void>, untilMs: number): Promise<void> {
  for (let t = 0; t < untilMs; t += 200) {
    keys.next();
    await vi.advanceTimersByTimeAsync(200);
  }
}

// userTypingSpec is what both factories build an indicator from: its policy and its lifetime are the caller's.
describe.each([
  ['createIndicators', createIndicators],
  ['createTypingIndicators', createTypingIndicators],
] as const)('%s: userTyping with a policy', (_name, create: (options: TypingIndicatorsOptions) => TypingIndicators) => {
  it('renews at lifetime − margin while keys are recent and goes idle after idleMs, as the policy says', async () => {
    const transport = recordingTransport();
    const indicators = create({ transport });
    const keys = new Subject<void>();
    const events: IndicatorEvent[] = [];
    indicators.userTyping({ dialogId: 'chat1', keystrokes: keys, policy: POLICY }).subscribe((e) => events.push(e));
    await typeFor(keys, 3_200); // last key at 3 000: recent at 3 000, 1 500 old at 4 500
    await vi.advanceTimersByTimeAsync(5_000);
    expect(brief(events)).toEqual(['0 sent start', '1500 renewed renew', '3000 renewed renew', '4500 stopped idle']);
    indicators.dispose();
    expect(unhandled).toEqual([]);
  });

  it('refuses a duration no timer can wait (it would fire at once: a renewal every millisecond) before any call', async () => {
    const transport = recordingTransport();
    const indicators = create({ transport });
    const keys = new Subject<void>();
    for (const policy of [{ lifetimeMs: 3e9 }, { lifetimeMs: 2 ** 31, idleMs: 2 ** 31 }]) {
      expect(() => indicators.userTyping({ dialogId: 'chat1', keystrokes: keys, policy })).toThrow(
        expect.objectContaining({ name: 'B24InputError', field: 'policy.lifetimeMs' }),
      );
    }
    // the longest a timer waits is fine
    indicators.userTyping({ dialogId: 'chat1', keystrokes: keys, policy: { lifetimeMs: 2 ** 31 - 1 } }).subscribe();
    keys.next();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(transport.calls).toHaveLength(1);
    indicators.dispose();
    expect(unhandled).toEqual([]);
  });

  it('refuses a policy that is not an object before any call, as other bad options', () => {
    const transport = recordingTransport();
    const indicators = create({ transport });
    for (const policy of [2_000, 'fast', null]) {
      expect(() =>
        indicators.userTyping({ dialogId: 'chat1', keystrokes: new Subject(), policy: policy as never }),
      ).toThrow(expect.objectContaining({ name: 'B24InputError', field: 'policy' }));
    }
    expect(transport.calls).toHaveLength(0);
    indicators.dispose();
  });

  it('takes a policy field given as undefined for its default (renewed at 22 s, as without a policy)', async () => {
    const transport = recordingTransport();
    const indicators = create({ transport });
    const keys = new Subject<void>();
    const events: IndicatorEvent[] = [];
    const policy = { lifetimeMs: undefined, marginMs: undefined, idleMs: undefined };
    indicators.userTyping({ dialogId: 'chat1', keystrokes: keys, policy }).subscribe((e) => events.push(e));
    await typeFor(keys, 23_000);
    expect(brief(events)).toEqual(['0 sent start', '22000 renewed renew']);
    indicators.dispose();
    expect(unhandled).toEqual([]);
  });

  it('reports one stop when the keystrokes complete, and completes', async () => {
    const indicators = create({ transport: recordingTransport() });
    const keys = new Subject<void>();
    const events: IndicatorEvent[] = [];
    let completed = false;
    indicators
      .userTyping({ dialogId: 'chat1', keystrokes: keys, policy: POLICY })
      .subscribe({ next: (e) => events.push(e), complete: () => (completed = true) });
    keys.next();
    await vi.advanceTimersByTimeAsync(100);
    keys.complete();
    expect(brief(events)).toEqual(['0 sent start', '100 stopped complete']);
    expect(completed).toBe(true);
    indicators.dispose();
    expect(unhandled).toEqual([]);
  });
});

describe('createTypingIndicators: userTyping with a policy', () => {
  it('merges a renewal due while the start is on its way (it hung 2.5 s), as createIndicators does: no second request', async () => {
    const transport = recordingTransport((call) => {
      if (transport.calls.length === 1) setTimeout(() => call.resolve(true), 2_500);
      else call.resolve(true);
    });
    const indicators = createTypingIndicators({ transport });
    const keys = new Subject<void>();
    const events: IndicatorEvent[] = [];
    indicators.userTyping({ dialogId: 'chat1', keystrokes: keys, policy: POLICY }).subscribe((e) => events.push(e));
    await typeFor(keys, 2_800);
    // the start, landing at 2.5 s, renews the indicator: the renewal due at 1.5 s does not also go behind it
    expect(brief(events)).toEqual(['1500 dropped renew merged', '2500 sent start']);
    expect(transport.calls.map((c) => c.at)).toEqual([0]);
    await vi.advanceTimersByTimeAsync(200); // the next renewal is due a period later
    expect(transport.calls.map((c) => c.at)).toEqual([0, 3_000]);
    indicators.dispose();
    expect(unhandled).toEqual([]);
  });
});
