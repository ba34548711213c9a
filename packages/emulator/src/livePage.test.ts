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

  it('shows a deletion as the platform keeps it: the deleted text in the chat, a delete line in the log', async () => {
    const page = await browser!.newPage();
    try {
      await page.goto(emulator.liveUrl);
      await page.waitForSelector('#conn.on');
      const user2 = emulator.webhookUrl(2);
      const added = await post(`${user2}im.message.add`, { DIALOG_ID: 'chat1', MESSAGE: 'soon gone' });
      const msgs = page.locator('[data-chat="1"] .msgs');
      await expect.poll(() => msgs.textContent()).toContain('soon gone');
      expect((await post(`${user2}im.message.delete`, { MESSAGE_ID: added.body.result })).body.result).toBe(true);
      await expect.poll(() => msgs.textContent()).toContain('Bob Builder: This message has been deleted.');
      expect(await msgs.textContent()).not.toContain('soon gone');
      await expect.poll(() => page.locator('#log').textContent()).toContain('delete by Bob Builder');
    } finally {
      await page.close();
      emulator.reset();
    }
  });

  it('shows markup in message text, chat titles and names as text: nothing in it runs or renders', async () => {
    const own = await startEmulator({ plan: 'off' });
    const page = await browser!.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    try {
      const payload = '<img src=x onerror=alert(1)>';
      const seeded = await post(`${own.url}/_emulator/seed`, {
        users: [{ name: `Eve ${payload}` }],
        chats: [{ title: `Ops ${payload}` }],
      });
      const [eve] = seeded.body.users;
      const [ops] = seeded.body.chats;
      await post(`${own.url}/_emulator/seed`, { members: [[ops, eve]] });
      await page.goto(own.liveUrl);
      await page.waitForSelector('#conn.on');
      await post(`${own.webhookUrl(eve)}im.message.add`, { DIALOG_ID: `chat${ops}`, MESSAGE: payload });
      const chat = page.locator(`[data-chat="${ops}"]`);
      await expect.poll(() => chat.locator('.msgs').textContent()).toBe(`Eve ${payload}: ${payload}`);
      expect(await chat.locator('h2').textContent()).toBe(`Ops ${payload}`);
      await expect.poll(() => page.locator('#log').textContent()).toContain(`: ${payload}`);
      // The broken image would have fired its onerror by now had it been parsed as markup.
      expect(await page.locator('img').count()).toBe(0);
      expect(dialogs).toEqual([]);
    } finally {
      await page.close();
      await own.close();
    }
  });

  it('reconnects by itself when the emulator restarts on its port, and shows the new process live', async () => {
    let own = await startEmulator({ plan: 'off', port: 0 });
    const port = Number(new URL(own.url).port);
    const page = await browser!.newPage();
    try {
      await page.goto(own.liveUrl);
      await page.waitForSelector('#conn.on');
      await own.postMessage({ from: 2, dialogId: 'chat1', text: 'before the restart' });
      const msgs = page.locator('[data-chat="1"] .msgs');
      await expect.poll(() => msgs.textContent()).toContain('before the restart');
      await own.close();
      await page.waitForSelector('#conn.off');
      own = await startEmulator({ plan: 'off', port });
      // EventSource retries every second (`retry: 1000`); the new process tells it `reset`, and the page reloads.
      await page.waitForSelector('#conn.on', { timeout: 10_000 });
      await own.postMessage({ from: 2, dialogId: 'chat1', text: 'after the restart' });
      await expect.poll(() => msgs.textContent(), { timeout: 5_000 }).toBe('Bob Builder: after the restart');
      expect(await page.locator('#log li').first().textContent()).toContain('after the restart');
    } finally {
      await page.close();
      await own.close();
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
