import { expect } from 'vitest';
import type { NodeTransport } from '../src/index';
import type { createErrorLog } from './errorLog';

/**
 * `close()` called again returns the same promise, and a call or a batch after it is refused as `CLIENT_CLOSED`: an
 * empty batch too, which sends nothing but must not read as a transport still open.
 */
export async function expectClosesOnce(t: NodeTransport, log: ReturnType<typeof createErrorLog>): Promise<void> {
  const first = t.close();
  expect(t.close()).toBe(first);
  await first;
  expect(await log.rejection(t.call('im.dialog.writing', { DIALOG_ID: 'chat1' }))).toMatchObject({
    code: 'CLIENT_CLOSED',
    kind: 'network',
  });
  for (const calls of [[], [{ method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } }]]) {
    expect(await log.rejection(t.batch(calls)), `batch of ${calls.length}`).toMatchObject({
      code: 'CLIENT_CLOSED',
      kind: 'network',
    });
  }
}
