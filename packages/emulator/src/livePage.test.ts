import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post } from '../test/http';
import { hasChromium, launchChromium } from '../test/launchChromium';
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
});
