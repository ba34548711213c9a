import { Subject } from 'rxjs';
import { expect, it, vi } from 'vitest';
import { recordingTransport } from '../test/recordingTransport';
import { watchUnhandled } from '../test/watchUnhandled';
import { B24Error } from './B24Error';
import { createTypingIndicators } from './createTypingIndicators';
import type { IndicatorEvent } from './IndicatorEvent';

// The shared userTyping behaviour is tested for both factories in createIndicators.test.ts; this is what differs.
const unhandled = watchUnhandled().rejections;

it('has userTyping and no botStatus', () => {
  const indicators = createTypingIndicators({ transport: recordingTransport() });
  expect(Object.keys(indicators).sort()).toEqual(['dispose', 'events', 'stats', 'userTyping']);
  indicators.dispose();
});

it('retries a start that met a network blip, so the indicator still shows while the person types', async () => {
  let n = 0;
  const transport = recordingTransport((c) =>
    n++ === 0 ? c.reject(new B24Error({ code: 'NETWORK_ERROR', kind: 'network' })) : c.resolve(true),
  );
  const indicators = createTypingIndicators({ transport });
  const keys = new Subject<void>();
  const events: IndicatorEvent[] = [];
  indicators.userTyping({ dialogId: 'chat1', keystrokes: keys }).subscribe((e) => events.push(e));
  keys.next();
  await vi.advanceTimersByTimeAsync(600);
  expect(transport.calls.map((c) => c.at)).toEqual([0, 500]);
  expect(events).toEqual([
    expect.objectContaining({ type: 'sent', at: 500, call: expect.objectContaining({ reason: 'start' }) }),
  ]);
  expect(indicators.stats()).toMatchObject({ callsSent: 1, httpRequests: 2, failed: { network: 1 }, batchedCalls: 0 });
  indicators.dispose();
  expect(vi.getTimerCount()).toBe(0);
  expect(unhandled).toEqual([]);
});
