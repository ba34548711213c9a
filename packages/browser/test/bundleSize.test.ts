import { expect, it } from 'vitest';
import { BUDGET_BYTES, measureBundles } from '../scripts/bundleSize';

it('keeps what a chat app imports from core + browser within 6 kB minified + gzip (rxjs excluded)', async () => {
  const { chatApp, everything } = await measureBundles();
  for (const size of [chatApp, everything]) {
    console.log(`bundle size core + browser, ${size.name}: ${size.minified} B minified, ${size.gzip} B gzip`);
  }
  // Both packages are in the bundle, rxjs is not, or the figure would mean nothing.
  expect(chatApp.modules.some((m) => m.path.startsWith('core/src/'))).toBe(true);
  expect(chatApp.modules.some((m) => m.path === 'browser/src/bindTyping.ts')).toBe(true);
  expect(chatApp.modules.some((m) => m.path === 'browser/src/createFetchTransport.ts')).toBe(true);
  expect(everything.modules.some((m) => m.path.includes('rxjs'))).toBe(false);
  expect(everything.gzip).toBeGreaterThan(chatApp.gzip);
  expect(chatApp.gzip).toBeLessThanOrEqual(BUDGET_BYTES);
});
