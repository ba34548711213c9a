import {
  type AgentStatus,
  B24Error,
  createIndicators,
  type DialogId,
  type Transport,
  withStatus,
} from '@b24-typing/core';
import { BehaviorSubject, Subject } from 'rxjs';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { clearOutcome } from './clearOutcome';
import { trackStatusCalls } from './trackStatusCalls';

/** A transport whose requests stay on their way until the test lets them land. */
function heldTransport() {
  const land: (() => void)[] = [];
  const held = () => new Promise<never[]>((resolve) => land.push(() => resolve([])));
  const transport: Transport = { call: held, batch: held };
  return { transport, land };
}

const notify = (dialogId: string) => ({ method: 'imbot.v2.Chat.InputAction.notify', params: { dialogId } });

describe('trackStatusCalls', () => {
  it("waits for a batch carrying the dialog's status call, not for other dialogs' requests", async () => {
    const { transport, land } = heldTransport();
    const tracked = trackStatusCalls(transport);
    const signal = new AbortController().signal;
    await tracked.settled('chat1', signal); // nothing on its way: at once
    void tracked.transport.batch?.([notify('chat1'), notify('2')]);
    void tracked.transport.call('imbot.v2.Chat.InputAction.notify', { dialogId: '3' });
    let settled = false;
    const waiting = tracked.settled('2', signal).then(() => {
      settled = true;
    });
    await tracked.settled('4', signal);
    await Promise.resolve();
    expect(settled).toBe(false);
    land[0]!(); // the batch lands; the call for dialog 3 is still on its way
    await waiting;
    expect(settled).toBe(true);
  });

  it("waits also for the dialog's status request sent as the awaited one lands (core's clear after a late batch)", async () => {
    vi.useFakeTimers();
    onTestFinished(() => void vi.useRealTimers());
    const { transport, land } = heldTransport();
    const tracked = trackStatusCalls(transport);
    const first = tracked.transport.batch!([notify('chat1'), notify('2')]);
    // core sends the status's clear once that batch has landed after the reply came: a moment later
    void first.then(() => setTimeout(() => void tracked.transport.call(notify('chat1').method, { dialogId: 'chat1' })));
    let settled = false;
    const waiting = tracked.settled('chat1', new AbortController().signal).then(() => {
      settled = true;
    });
    land[0]!();
    await vi.advanceTimersByTimeAsync(1);
    expect(land).toHaveLength(2); // the clear is on its way
    expect(settled).toBe(false);
    land[1]!();
    await vi.advanceTimersByTimeAsync(1);
    await waiting;
    expect(settled).toBe(true);
  });

  it('ends the wait with the reason when the answer is aborted (stop())', async () => {
    const { transport } = heldTransport();
    const tracked = trackStatusCalls(transport);
    void tracked.transport.call('imbot.v2.Chat.InputAction.notify', { dialogId: 'chat1' });
    const controller = new AbortController();
    const waiting = tracked.settled('chat1', controller.signal);
    controller.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow('stopped');
  });

  it("waits for core's clear after a late batch also when the rate budget holds that clear back", async () => {
    vi.useFakeTimers();
    onTestFinished(() => void vi.useRealTimers());
    /** Status calls as they left for the portal, in order: dialog and duration (1 is a clear). */
    const sent: [string, unknown][] = [];
    /** Lands the batch held on its way (`hold`): the portal answers slowly. */
    let land: (() => void) | undefined;
    let hold = false;
    let refuse = false;
    const transport: Transport = {
      call: async (_method, params) => {
        sent.push([String(params.dialogId), params.duration]);
        if (!refuse) return true;
        refuse = false;
        throw new B24Error({ code: 'QUERY_LIMIT_EXCEEDED' });
      },
      batch: async (calls) => {
        for (const c of calls) sent.push([String(c.params.dialogId), c.params.duration]);
        if (hold) {
          hold = false;
          await new Promise<void>((resolve) => {
            land = resolve;
          });
        }
        return calls.map(() => ({ ok: true as const, result: true }));
      },
    };
    const tracked = trackStatusCalls(transport);
    const indicators = createIndicators({ transport: tracked.transport });
    onTestFinished(() => indicators.dispose());
    const answer = (dialogId: DialogId) => {
      const status = new BehaviorSubject<AgentStatus>('thinking');
      const reply = new Subject<string>();
      reply.pipe(withStatus(indicators, { dialogId, botId: 7, status, minDwellMs: 0 })).subscribe();
      return { status, reply };
    };
    const [bob, carol, alice] = [answer('1'), answer('2'), answer('3')];
    const bobsClear = clearOutcome(indicators, '1', () => {});
    onTestFinished(() => bobsClear.release());
    await vi.advanceTimersByTimeAsync(1); // the three starts land
    hold = true;
    bob.status.next('composing');
    carol.status.next('composing');
    await vi.advanceTimersByTimeAsync(1);
    expect(land).toBeDefined(); // both changes on their way in one batch
    refuse = true; // meanwhile the portal refuses another chat's change for its rate limit: core backs off
    alice.status.next('composing');
    await vi.advanceTimersByTimeAsync(1);
    expect(refuse).toBe(false);
    bob.reply.next('the answer'); // ready while the batch with Bob's composing is on its way
    let settled = false;
    const waiting = tracked.settled('1', new AbortController().signal, bobsClear.cleared).then(() => {
      settled = true;
    });
    land!(); // it lands (Bob's status is up again, over the answer about to be sent): core clears it
    for (let ms = 0; !settled && ms < 10_000; ms++) await vi.advanceTimersByTimeAsync(1);
    await waiting;
    // the clear went before the wait ended, so before the reply's message; before, the wait ended at once while the
    // clear waited out the backoff (250 to 500 ms), and went after the answer, showing the status over it
    expect(sent.filter(([dialogId]) => dialogId === '1').at(-1)).toEqual(['1', 1]);
  });
});
