import type { BrowserContext, Page } from 'playwright-core';

/**
 * The chat UI at `href` in a tab of its own (a new context: a context's clock is shared by its pages) whose timers run
 * on a clock the test moves: installed before the page loads, paused a second on once it is ready. Close `context`
 * when done.
 */
export async function pausedTab(opener: Page, href: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await opener.context().browser()!.newContext();
  const page = await context.newPage();
  await page.clock.install();
  await page.goto(href);
  await page.waitForSelector('body[data-ready="true"]');
  await page.clock.pauseAt(Date.now() + 1_000);
  return { context, page };
}
