import type { BatchItemResult, Transport } from '@b24-typing/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { keepSentCalls } from './keepSentCalls';

/** A transport whose requests settle when the test says so; records the signal each was handed. */
function heldTransport() {
  const requests: {
    signal: AbortSignal | undefined;
    resolve: (value: unknown) => void;
    reject: (e: unknown) => void;
  }[] = [];
  const hold = <T>(signal: AbortSignal | undefined) =>
    new Promise<T>((resolve, reject) => {
      requests.push({ signal, resolve: resolve as (value: unknown) => void, reject });
    });
  const transport: Transport = {
    call: (_method, _params, options) => hold<unknown>(options?.signal),
    batch: (_calls, options) => hold<readonly BatchItemResult[]>(options?.signal),
  };
  return { transport, requests };
}

/** Whether `promise` has settled by now (after the microtasks queued so far). */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await vi.advanceTimersByTimeAsync(0);
  return settled;
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('keepSentCalls', () => {
  it('rejects an aborted call at once, keeps its request going, and waits for it until it lands', async () => {
    const { transport, requests } = heldTransport();
    const kept = keepSentCalls(transport);
    const controller = new AbortController();
    const call = kept.transport.call('im.dialog.writing', { DIALOG_ID: 'chat1' }, { signal: controller.signal });
    expect(requests[0]!.signal).toBeUndefined(); // the request itself cannot be aborted
    controller.abort();
    await expect(call).rejects.toMatchObject({ code: 'ABORTED', kind: 'network' });
    const settled = kept.settled(3_000);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(await isSettled(settled)).toBe(false);
    requests[0]!.resolve(true);
    expect(await isSettled(settled)).toBe(true);
    expect(await isSettled(kept.settled(3_000))).toBe(true); // nothing left open
  });

  it('waits for a failed request too, and for a hung one no longer than asked', async () => {
    const { transport, requests } = heldTransport();
    const kept = keepSentCalls(transport);
    const failing = kept.transport.batch!([{ method: 'im.dialog.writing', params: {} }]);
    const failed = kept.settled(3_000);
    requests[0]!.reject(new Error('no connection'));
    await expect(failing).rejects.toThrow('no connection');
    expect(await isSettled(failed)).toBe(true);

    void kept.transport.call('im.dialog.writing', {});
    const hung = kept.settled(3_000);
    await vi.advanceTimersByTimeAsync(2_999);
    expect(await isSettled(hung)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await isSettled(hung)).toBe(true);
  });

  it('passes an answer through, and a call aborted before it was handed over to the transport as it is', async () => {
    const { transport, requests } = heldTransport();
    const kept = keepSentCalls(transport);
    const call = kept.transport.call('im.dialog.writing', {}, { signal: new AbortController().signal });
    requests[0]!.resolve(true);
    await expect(call).resolves.toBe(true);
    const aborted = AbortSignal.abort();
    void kept.transport.call('im.dialog.writing', {}, { signal: aborted });
    expect(requests[1]!.signal).toBe(aborted);
  });
});
