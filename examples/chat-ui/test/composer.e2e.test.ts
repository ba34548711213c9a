import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatUi } from './startChatUi';
import { startChatUi } from './startChatUi';

// Short lifetimes as in the other files; these tests are about the chat as a person uses it, not the timing.
const POLICY = { lifetimeMs: 2000, marginMs: 500, idleMs: 1000 };

let ui: ChatUi;
beforeAll(async () => {
  ui = await startChatUi({ clientLifetimeSec: POLICY.lifetimeMs / 1000, policy: POLICY });
});
afterAll(() => ui?.close());

/** Where the composer, the page and the message list are, as the window shows them. */
const layout = () =>
  ui.page.evaluate(() => {
    const list = document.getElementById('messages')!;
    const composer = document.getElementById('composer')!.getBoundingClientRect();
    const last = list.lastElementChild!.getBoundingClientRect();
    const box = list.getBoundingClientRect();
    return {
      composerTop: composer.top,
      composerBottom: composer.bottom,
      windowHeight: window.innerHeight,
      pageHeight: document.scrollingElement!.scrollHeight,
      listOverflowX: list.scrollWidth - list.clientWidth,
      lastInView: last.top >= box.top - 1 && last.bottom <= box.bottom + 1,
      textareaWidth: document.getElementById('message')!.getBoundingClientRect().width,
    };
  });

describe('the chat as a person uses it', () => {
  it('keeps the composer on screen in a long chat, desktop and phone, scrolled to the newest message, long words wrapped', async () => {
    const { page, emulator } = ui;
    for (let i = 0; i < 30; i++) {
      emulator.postMessage({ from: 2 + (i % 2), dialogId: 'chat1', text: `message ${i}: ${'lorem ipsum '.repeat(i)}` });
    }
    const word = `https://example.com/${'a'.repeat(600)}`;
    emulator.postMessage({ from: 2, dialogId: 'chat1', text: `an unbroken word ${word} and ${'x'.repeat(400)}` });
    await page.locator('#messages li .text', { hasText: 'an unbroken word' }).waitFor();
    await expect.poll(async () => (await layout()).lastInView).toBe(true);

    for (const viewport of [
      { width: 1100, height: 680 },
      { width: 390, height: 740 }, // a phone
    ]) {
      await page.setViewportSize(viewport);
      const seen = await layout();
      expect(seen.composerTop).toBeGreaterThan(0);
      expect(seen.composerBottom).toBeLessThanOrEqual(seen.windowHeight);
      expect(seen.pageHeight).toBeLessThanOrEqual(seen.windowHeight); // the page itself does not scroll
      expect(seen.listOverflowX).toBeLessThanOrEqual(0); // nothing sticks out sideways
      expect(seen.textareaWidth).toBeGreaterThan(viewport.width / 2);
    }
    await page.setViewportSize({ width: 1100, height: 680 });
  });
});
