import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBucketPortal, notifyCall, VirtualClock } from './createScheduler.test.fixture';
import { createScheduler } from './createScheduler';
import type { IndicatorChannel } from './Dispatcher';
import type { Transport } from './Transport';

const LEASE = 30_000;
const RENEW = 25_000;
const END = 150_000;

const statusArb = fc.record({
  startAt: fc.integer({ min: 0, max: 20_000 }),
  holdMs: fc.option(fc.integer({ min: 0, max: 120_000 }), { nil: undefined }),
  changes: fc.array(fc.integer({ min: 0, max: 60_000 }), { maxLength: 3 }),
});

const call = notifyCall;

describe('createScheduler properties (virtual time, exact bucket, jittery latency)', () => {
  it('never exceeds the portal bucket, never sends for a stopped indicator, never batches more than 50', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(statusArb, { minLength: 100, maxLength: 600, size: 'max' }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.boolean(),
        async (statuses, seed, withBatch) => {
          const clock = new VirtualClock();
          let state = seed;
          // Each request takes 5–400 ms each way: arrivals bunch up in ways our local clock cannot see.
          const latency = () => {
            state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
            return 5 + (state % 396);
          };
          const portal = createBucketPortal(clock, { latencyMs: latency, withBatch });
          const issued: { dialogIds: string[] }[] = [];
          const transport: Transport = {
            call(method, params, options) {
              issued.push({ dialogIds: [String(params.dialogId)] });
              return portal.transport.call(method, params, options);
            },
          };
          if (withBatch) {
            transport.batch = (calls, options) => {
              issued.push({ dialogIds: calls.map((c) => String(c.params.dialogId)) });
              return (portal.transport.batch as NonNullable<Transport['batch']>)(calls, options);
            };
          }
          const scheduler = createScheduler({ transport, clock, random: () => 0.5 });
          const stoppedAt = new Map<string, number>();
          statuses.forEach((s, i) => {
            const dialogId = `chat${i + 1}`;
            let channel: IndicatorChannel | undefined;
            clock.schedule(() => {
              channel = scheduler.open((o) => {
                if (o.type === 'sent') channel?.submit(call(dialogId, 'renew', o.at + LEASE, o.at + RENEW));
              });
              channel.submit(call(dialogId, 'start', Number.POSITIVE_INFINITY));
            }, s.startAt);
            for (const c of s.changes) {
              clock.schedule(() => channel?.submit(call(dialogId, 'change', Number.POSITIVE_INFINITY)), s.startAt + c);
            }
            if (s.holdMs !== undefined) {
              clock.schedule(() => {
                // How many requests had been issued when it stopped: any later one must not carry it.
                stoppedAt.set(dialogId, issued.length);
                channel?.close();
              }, s.startAt + s.holdMs);
            }
          });
          await clock.advanceTo(END);
          scheduler.dispose();

          expect(portal.rejected).toEqual([]);
          issued.forEach((request, index) => {
            expect(request.dialogIds.length).toBeLessThanOrEqual(50);
            for (const id of request.dialogIds) {
              const stop = stoppedAt.get(id);
              if (stop !== undefined) expect(index).toBeLessThan(stop);
            }
          });
          // No indicator has two calls in one request.
          for (const request of issued) expect(new Set(request.dialogIds).size).toBe(request.dialogIds.length);
        },
      ),
      { numRuns: 30 },
    );
    // CPU-bound in virtual time (30 runs of up to 600 statuses): on a loaded 2-core CI machine it can pass 20 s.
  }, 120_000);
});
