// The event handler the integration tests share (startEventHandler), over real HTTP: what one test leaves behind must
// not reach the next one, or a test that failed midway makes every later test in its file fail or hang with it.
import { expect, it } from 'vitest';
import { startEventHandler } from './startEventHandler';
import { startVirtualEmulator } from './startVirtualEmulator';

const { emulator } = await startVirtualEmulator();
const { base, unclaimed, nextDelivery } = await startEventHandler(emulator);

/** POSTs `body` to the handler; resolved once it answered, so the delivery was handed out or kept by then. */
async function post(body: string) {
  const response = await fetch(`${base}/bot/events`, { method: 'POST', body });
  expect(response.status).toBe(200);
}

it('a test that waits for a delivery that never comes (it fails or times out) leaves its wait behind', () => {
  // Not awaited, as a test that timed out before its event came never got it.
  void nextDelivery();
});

it("hands the next test's delivery to that test, not to an earlier test's forgotten wait", async () => {
  // The earlier wait took this POST: `unclaimed` stayed empty and this test's nextDelivery() never resolved.
  await post('second');
  expect(unclaimed).toHaveLength(1);
  expect((await nextDelivery()).body.toString()).toBe('second');
});
