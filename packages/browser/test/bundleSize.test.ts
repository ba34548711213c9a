import { expect, it } from 'vitest';
import {
  BROWSER_BUDGET_BYTES,
  CHAT_APP_BUDGET_BYTES,
  measureBundles,
  PORTAL_APP_BUDGET_BYTES,
  TARGET_BYTES,
} from '../scripts/bundleSize';

it('measures core + browser as a chat app imports them, and holds each figure to its budget', async () => {
  const { chatApp, chatAppInPortal, chatAppFull, coreAlone, everything, browserShare } = await measureBundles();
  for (const size of [chatApp, chatAppInPortal, coreAlone, chatAppFull, everything]) {
    console.log(`bundle size, ${size.name}: ${size.minified} B minified, ${size.gzip} B gzip (rxjs excluded)`);
  }
  for (const size of [chatApp, chatAppInPortal]) {
    console.log(
      `bundle size core + browser (${size.name}): ${size.gzip} B gzip vs target ${TARGET_BYTES} B` +
        `${size.gzip > TARGET_BYTES ? ' (OVER)' : ''}`,
    );
  }
  console.log(`bundle size, browser share: ${browserShare} B gzip`);
  // Both packages are in the bundle and rxjs is not, or the figures would mean nothing.
  expect(chatApp.modules.some((m) => m.path === 'core/src/createTypingIndicators.ts')).toBe(true);
  expect(chatApp.modules.some((m) => m.path === 'browser/src/bindTyping.ts')).toBe(true);
  expect(chatApp.modules.some((m) => m.path === 'browser/src/createFetchTransport.ts')).toBe(true);
  expect(chatAppInPortal.modules.some((m) => m.path === 'browser/src/createBx24Transport.ts')).toBe(true);
  expect(everything.modules.some((m) => m.path.includes('rxjs'))).toBe(false);
  // Tree-shaking works: what a composer does not use stays out, the scheduler and bot statuses included.
  const chatAppPaths = chatApp.modules.map((m) => m.path);
  for (const absent of [
    'browser/src/createBx24Transport.ts',
    'core/src/createScheduler.ts',
    'core/src/createTimerWheel.ts',
    'core/src/statusSignals.ts',
    'core/src/botStatusSpec.ts',
  ]) {
    expect(chatAppPaths).not.toContain(absent);
  }
  expect(chatAppFull.modules.some((m) => m.path === 'core/src/createScheduler.ts')).toBe(true);
  expect(browserShare).toBeGreaterThan(0);
  expect(browserShare).toBeLessThanOrEqual(BROWSER_BUDGET_BYTES);
  expect(chatAppInPortal.gzip).toBeLessThanOrEqual(Math.min(TARGET_BYTES, PORTAL_APP_BUDGET_BYTES));
  expect(chatApp.gzip).toBeLessThanOrEqual(CHAT_APP_BUDGET_BYTES);
});
