import type { Browser, Page } from 'playwright-core';
import { bundlePage, launchChromium } from './chromium';

const HTML = `<!doctype html><meta charset="utf-8"><title>dom</title>
<form id="form"><textarea id="ta"></textarea><input id="in" type="text"><div id="ce" contenteditable="true"></div>
<button id="send" type="submit">Send</button></form>`;

export interface DomPage {
  readonly page: Page;
  /** What the streams under test emitted since the last call, and clears it. */
  take(): Promise<string[]>;
  close(): Promise<void>;
}

/** A real Chromium page with a form, a textarea, an input and a contenteditable, and the package loaded from src. */
export async function openDomPage(): Promise<DomPage> {
  const [browser, script] = await Promise.all([launchChromium(), bundlePage('domPage.ts')]);
  const page = await browser.newPage();
  await page.setContent(HTML);
  await page.addScriptTag({ content: script });
  return {
    page,
    take: () => page.evaluate(() => window.events.splice(0)),
    close: () => closeBrowser(browser),
  };
}

async function closeBrowser(browser: Browser): Promise<void> {
  await browser.close();
}
