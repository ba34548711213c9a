import type { Page } from 'playwright-core';

/** Whether a message sent from the composer went out: it waits until the page shows it as the portal's or failed. */
export async function trySend(page: Page, text: string): Promise<'sent' | 'failed'> {
  await page.fill('#message', text);
  await page.press('#message', 'Enter');
  const settled = page.locator('#messages li.mine[data-message-id]:not(.pending)', { hasText: text });
  const failed = page.locator('#messages li.mine.failed', { hasText: text });
  await settled.or(failed).waitFor({ timeout: 10_000 });
  return (await failed.count()) > 0 ? 'failed' : 'sent';
}
