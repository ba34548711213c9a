import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { launchChromium } from '@b24-typing/test-utils';
import type { Page } from 'playwright-core';
import { bundlePage } from './bundlePage';

const HTML = `<!doctype html><meta charset="utf-8"><title>dom</title>
<form id="form"><textarea id="ta"></textarea><input id="in" type="text"><div id="ce" contenteditable="true"></div>
<button id="send" type="submit">Send</button></form>`;

export interface DomPage {
  readonly page: Page;
  /** What the streams under test emitted since the last call, and clears it. */
  take(): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * A real Chromium page with a form, a textarea, an input and a contenteditable, and the package loaded from src.
 * It is served from 127.0.0.1 (a page from anywhere else may not call loopback under Chromium's local network
 * access rules), so it can call the emulator, whose CORS allows loopback origins.
 */
export async function openDomPage(): Promise<DomPage> {
  const [browser, script] = await Promise.all([launchChromium(), bundlePage('domPage.ts')]);
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(HTML);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  await page.addScriptTag({ content: script });
  return {
    page,
    take: () => page.evaluate(() => window.events.splice(0)),
    async close() {
      await browser.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
