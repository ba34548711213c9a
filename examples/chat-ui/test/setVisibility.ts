import type { Page } from 'playwright-core';

/**
 * The tab hidden (another tab in front, the window minimised) or shown again, as the browser reports it: the page's
 * title counts what others wrote meanwhile.
 */
export function setVisibility(page: Page, state: 'hidden' | 'visible'): Promise<void> {
  return page.evaluate((s) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => s });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => s === 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
  }, state);
}
