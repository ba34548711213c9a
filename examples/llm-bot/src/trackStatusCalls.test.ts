import type { Transport } from '@b24-typing/core';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
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
});
