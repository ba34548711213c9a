import type { Frame, Page } from 'playwright-core';
import { expect } from 'vitest';

/**
 * Scrolls the message list to its top as a reader would, until it stays there over two frames (layout settled). In a
 * page, or in the frame the app runs in.
 */
export function scrollToTop(page: Page | Frame): Promise<void> {
  return expect
    .poll(() =>
      page.$eval('#messages', async (list) => {
        list.scrollTop = 0;
        for (let i = 0; i < 2; i++) await new Promise(requestAnimationFrame);
        return list.scrollTop;
      }),
    )
    .toBe(0);
}
