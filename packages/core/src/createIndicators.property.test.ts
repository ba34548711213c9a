import fc from 'fast-check';
import { Subject } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { watchUnhandled } from '../test/watchUnhandled';
import { B24Error } from './B24Error';
import { createIndicators } from './createIndicators';
import type { Transport } from './Transport';

interface Call {
  readonly signal: AbortSignal | undefined;
  /** Made while the indicator was stopped: after `sent` and before the next keystroke, or after unsubscribe. */
  readonly whileStopped: boolean;
  settled: boolean;
}

const unhandled = watchUnhandled().rejections;

describe('userTyping (property)', () => {
  it('starts no call after sent or unsubscribe, aborts the one in flight, and leaves nothing behind', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 80_000 }), sent: fc.boolean() }), { maxLength: 30 }),
        fc.array(fc.constantFrom('ok', 'fail', 'throw', 'hang', 'slow'), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 100_000 }),
        async (inputs, behaviours, unsubscribeAt) => {
          vi.setSystemTime(0);
          let stopped = false;
          const calls: Call[] = [];
          const transport: Transport = {
            call(_method, _params, options) {
              const call: Call = { signal: options?.signal, whileStopped: stopped, settled: false };
              calls.push(call);
              const b = behaviours[(calls.length - 1) % behaviours.length];
              if (b === 'throw') {
                call.settled = true;
                throw new Error('transport bug');
              }
              return new Promise((resolve, reject) => {
                const done = (fn: () => void) => {
                  call.settled = true;
                  fn();
                };
                if (b === 'ok') queueMicrotask(() => done(() => resolve(true)));
                if (b === 'fail')
                  queueMicrotask(() => done(() => reject(new B24Error({ code: 'INTERNAL_SERVER_ERROR' }))));
                if (b === 'slow') setTimeout(() => done(() => resolve(true)), 3_000);
                options?.signal?.addEventListener('abort', () =>
                  done(() => reject(new B24Error({ code: 'ABORTED', kind: 'network' }))),
                );
              });
            },
          };
          const indicators = createIndicators({ transport });
          const keys = new Subject<void>();
          const sent = new Subject<void>();
          const sub = indicators.userTyping({ dialogId: 'chat1', keystrokes: keys, sent }).subscribe();
          const checkAborted = () => {
            for (const c of calls) if (!c.settled) expect(c.signal?.aborted).toBe(true);
          };
          for (const input of [...inputs].sort((x, y) => x.at - y.at)) {
            if (input.at >= unsubscribeAt) break;
            await vi.advanceTimersByTimeAsync(input.at - Date.now());
            if (input.sent) {
              sent.next();
              stopped = true;
              checkAborted();
            } else {
              stopped = false;
              keys.next();
            }
          }
          await vi.advanceTimersByTimeAsync(Math.max(0, unsubscribeAt - Date.now()));
          sub.unsubscribe();
          stopped = true;
          checkAborted();
          await vi.advanceTimersByTimeAsync(60_000);

          expect(calls.filter((c) => c.whileStopped)).toEqual([]);
          expect(keys.observed || sent.observed).toBe(false);
          expect(vi.getTimerCount()).toBe(0);
          indicators.dispose();
          expect(unhandled).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
