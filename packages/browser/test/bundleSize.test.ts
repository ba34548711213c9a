import { expect, it } from 'vitest';
import { BROWSER_BUDGET_BYTES, measureBundles, TARGET_BYTES } from '../scripts/bundleSize';

it('measures core + browser as a chat app imports them, and holds the browser share to its budget', async () => {
  const { chatApp, coreAlone, everything, browserShare } = await measureBundles();
  for (const size of [chatApp, coreAlone, everything]) {
    console.log(`bundle size, ${size.name}: ${size.minified} B minified, ${size.gzip} B gzip (rxjs excluded)`);
  }
  console.log(
    `bundle size core + browser (chat app): ${chatApp.gzip} B gzip vs target ${TARGET_BYTES} B` +
      `${chatApp.gzip > TARGET_BYTES ? ' (OVER: see core/src modules above)' : ''}; browser share ${browserShare} B`,
  );
  // Both packages are in the bundle and rxjs is not, or the figures would mean nothing.
  expect(chatApp.modules.some((m) => m.path === 'core/src/createIndicators.ts')).toBe(true);
  expect(chatApp.modules.some((m) => m.path === 'browser/src/bindTyping.ts')).toBe(true);
  expect(chatApp.modules.some((m) => m.path === 'browser/src/createFetchTransport.ts')).toBe(true);
  expect(everything.modules.some((m) => m.path.includes('rxjs'))).toBe(false);
  // Tree-shaking works: the BX24 transport stays out of an app that does not import it.
  expect(chatApp.modules.some((m) => m.path === 'browser/src/createBx24Transport.ts')).toBe(false);
  expect(browserShare).toBeGreaterThan(0);
  expect(browserShare).toBeLessThanOrEqual(BROWSER_BUDGET_BYTES);
});
