import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post } from '../test/http';
import { hasChromium, launchChromium } from '@b24-typing/test-utils';
import { LIVE_LOG_LIMIT } from './livePage';
import { startEmulator } from './startEmulator';
import type { Emulator } from './types';

let browser: Browser | undefined;
let emulator: Emulator;

beforeAll(async () => {
  if (!hasChromium) return;
  emulator = await startEmulator({ plan: 'off' });
  browser = await launchChromium();
}, 30_000);
afterAll(async () => {
  await browser?.close();
  await emulator?.close();
});

describe.skipIf(!hasChromium)('live page in Chromium', () => {
  it('shows who is typing with the EN status text and follows SSE without a reload', async () => {
    const page = await browser!.newPage();
    let navigations = 0;
    page.on('framenavigated', () => navigations++);
    await page.goto(emulator.liveUrl);
    await page.waitForSelector('#conn.on');
    await expect.poll(() => page.locator('[data-chat="1"] .idle').count()).toBe(1);

    await post(`${emulator.webhookUrl()}imbot.v2.Chat.InputAction.notify`, {
      botId: 10,
      botToken: 'agent-bot-token',
      dialogId: 'chat1',
      statusMessageCode: 'IMBOT_AGENT_ACTION_THINKING',
      duration: 60,
    });
    await post(`${emulator.webhookUrl(2)}im.dialog.writing`, { DIALOG_ID: 'chat1' });
    const typing = page.locator('[data-chat="1"] .typing .text');
    await expect
      .poll(() => typing.allTextContents())
      .toEqual(expect.arrayContaining(['Agent: Agent is thinking...', 'Bob Builder is typing...']));

    await post(`${emulator.webhookUrl()}imbot.v2.Chat.Message.send`, {
      botId: 10,
      botToken: 'agent-bot-token',
      dialogId: 'chat1',
      fields: { message: 'Done thinking' },
    });
    await expect.poll(() => typing.allTextContents()).toEqual(['Bob Builder is typing...']);
    await expect.poll(() => page.locator('[data-chat="1"] .msgs').textContent()).toContain('Done thinking');
    expect(navigations).toBe(1);
    await page.close();
  });

  it('goes on updating after a bot is unregistered (§4.2): the bot leaves the member list, its history stays', async () => {
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    try {
      await page.goto(emulator.liveUrl);
      await page.waitForSelector('#conn.on');
      const meta = page.locator('[data-chat="1"] .meta');
      await expect.poll(() => meta.textContent()).toContain('Agent');
      const gone = await post(`${emulator.webhookUrl()}imbot.v2.Bot.unregister`, {
        botId: 10,
        botToken: 'agent-bot-token',
      });
      expect(gone.body.result).toBe(true);
      await post(`${emulator.webhookUrl(2)}im.message.add`, { DIALOG_ID: 'chat1', MESSAGE: 'after the agent left' });
      await expect.poll(() => page.locator('[data-chat="1"] .msgs').textContent()).toContain('after the agent left');
      expect(await meta.textContent()).not.toContain('Agent');
      await expect.poll(() => page.locator('#log').textContent()).toContain('imbot.v2.Bot.unregister');
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      emulator.reset();
    }
  });

  it(`keeps the newest ${LIVE_LOG_LIMIT} timeline items in #log, however many arrive`, async () => {
    // An emulator of its own, so the timeline holds exactly the calls made here.
    const own = await startEmulator({ plan: 'off' });
    const page = await browser!.newPage();
    try {
      // Each state load re-draws #log from the page's (capped) entry list, which would hide an overshoot in
      // between; with state refused, only the SSE path touches #log, so what it keeps is what is checked.
      await page.route('**/_emulator/state', (route) => route.abort());
      await page.goto(own.liveUrl);
      await page.waitForSelector('#conn.on');
      const total = LIVE_LOG_LIMIT + 25;
      // Unknown dialogs: each call is one timeline entry (403 ACCESS_ERROR) whose line names its number.
      for (let n = 1; n <= total; n++) {
        await post(`${own.webhookUrl()}im.dialog.writing`, { DIALOG_ID: `cap-${n}` });
      }
      // A string, not a function: this package type-checks without the DOM lib.
      await page.waitForFunction(`document.querySelector('#log li')?.textContent.includes(' cap-${total} ')`);
      const shown = await page.$$eval('#log li', (items) =>
        items.map((li) => Number(/ cap-(\d+) /.exec(li.textContent ?? '')?.[1])),
      );
      expect(shown).toHaveLength(LIVE_LOG_LIMIT);
      expect(shown).toEqual(Array.from({ length: LIVE_LOG_LIMIT }, (_, i) => total - i));
    } finally {
      await page.close();
      await own.close();
    }
  });
});
