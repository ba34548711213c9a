import type { CallEntry } from '@b24-typing/emulator';
import type { Request } from 'playwright-core';
import { startEmulator } from '@b24-typing/emulator';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChatUi } from './startChatUi';
import { belowAA, contrastRatios } from './contrastRatios';
import { pausedTab } from './pausedTab';
import { scrollToTop } from './scrollToTop';
import { startChatUi } from './startChatUi';
import { trySend } from './trySend';
import { agentSends } from './agentSends';
import { agentStatus } from './agentStatus';
import { deleteAs } from './deleteAs';
import { typeAs } from './typeAs';
import { setVisibility } from './setVisibility';
import { lookupFirstId } from './lookupFirstId';

// Short lifetimes as in the other files; these tests are about the chat as a person uses it, not the timing.
const POLICY = { lifetimeMs: 2000, marginMs: 500, idleMs: 1000 };

let ui: ChatUi;
beforeAll(async () => {
  ui = await startChatUi({ clientLifetimeSec: POLICY.lifetimeMs / 1000, policy: POLICY });
});
afterAll(() => ui?.close());
// Each test starts from the same chat, whatever ran before it: one left Bob typing or the Agent busy for a minute, a
// fault armed, a message "Not sent" in the list, or a phone-sized window, and the next one relied on it not being so.
beforeEach(() => ui.startOver());

/** `im.message.add` calls that reached the emulator since `from` (only Alice sends them here), oldest first. */
const messageCalls = (from: number) =>
  ui.emulator
    .timeline()
    .filter((e): e is CallEntry => e.kind === 'call' && e.method === 'im.message.add' && e.time >= from);

/** New users, added to chat 1 (Alice's): their ids. */
const joinChat1 = (people: { name: string; lastName: string }[]) => {
  const { users } = ui.emulator.seed({ users: people });
  ui.emulator.seed({ members: users.map((user) => [1, user] as [number, number]) });
  return users;
};

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
      /** Scrolled to the end, the newest message's end in view (a long one may be taller than the list). */
      atEnd: list.scrollHeight - list.scrollTop - list.clientHeight < 2 && last.bottom <= box.bottom + 1,
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
    await expect.poll(async () => (await layout()).atEnd).toBe(true);

    for (const viewport of [
      { width: 1100, height: 680 },
      { width: 390, height: 740 }, // a phone
    ]) {
      await page.setViewportSize(viewport);
      // A narrower window makes the list taller: it stays at its end.
      await expect.poll(async () => (await layout()).atEnd).toBe(true);
      const seen = await layout();
      expect(seen.composerTop).toBeGreaterThan(0);
      expect(seen.composerBottom).toBeLessThanOrEqual(seen.windowHeight);
      expect(seen.pageHeight).toBeLessThanOrEqual(seen.windowHeight); // the page itself does not scroll
      expect(seen.listOverflowX).toBeLessThanOrEqual(0); // nothing sticks out sideways
      expect(seen.textareaWidth).toBeGreaterThan(viewport.width / 2);
    }
    await page.setViewportSize({ width: 1100, height: 680 });
  });

  it('follows new messages at the bottom, leaves a reader of older ones in place with a "new messages" button', async () => {
    const { page, emulator } = ui;
    const scrollTop = () => page.$eval('#messages', (list) => list.scrollTop);
    const scrollUp = () => scrollToTop(page);
    // A chat long enough to scroll, of its own: the test does not lean on an earlier one's (it runs alone with -t).
    for (let i = 0; i < 20; i++) emulator.postMessage({ from: 2, dialogId: 'chat1', text: `to follow, line ${i}` });
    await page.locator('#messages li .text', { hasText: 'to follow, line 19' }).waitFor();
    await expect.poll(async () => (await layout()).atEnd).toBe(true);

    // A taller composer (three lines) shrinks the list: it stays at its end.
    await page.focus('#message');
    await page.keyboard.type('one');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('two');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('three');
    expect(await page.inputValue('#message')).toBe('one\ntwo\nthree');
    await expect.poll(async () => (await layout()).atEnd).toBe(true);

    // Reading older messages: a new one does not pull the list down, the button says it came.
    await scrollUp();
    emulator.postMessage({ from: 3, dialogId: 'chat1', text: 'a reply while Alice reads back' });
    await page.locator('#messages li .text', { hasText: 'a reply while Alice reads back' }).waitFor();
    await page.locator('#jump').waitFor();
    expect(await scrollTop()).toBe(0);
    // Its name is what it says, without "down arrow" read out after it (the arrow is for the eye).
    expect(await page.getByRole('button', { name: 'New messages', exact: true }).count()).toBe(1);
    await page.click('#jump');
    await expect.poll(async () => (await layout()).atEnd).toBe(true);
    expect(await page.isHidden('#jump')).toBe(true);
    // The button hid itself: the click left the focus in the composer, so what she types next goes on her draft.
    const focused = () => page.evaluate(() => document.activeElement?.id);
    expect(await focused()).toBe('message');
    // From the keyboard: Shift+Tab from the composer reaches the button, Enter jumps and goes back to the composer.
    await scrollUp();
    emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'another reply while Alice reads back' });
    await page.locator('#jump').waitFor();
    await page.focus('#message');
    await page.keyboard.press('Shift+Tab');
    expect(await focused()).toBe('jump');
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await layout()).atEnd).toBe(true);
    expect(await focused()).toBe('message');
    expect(await page.inputValue('#message')).toBe('one\ntwo\nthree');

    // Her own message always brings her to the end.
    await scrollUp();
    await page.focus('#message');
    await page.keyboard.press('Enter');
    await page.locator('#messages li.mine .text', { hasText: /^one\ntwo\nthree$/ }).waitFor();
    await expect.poll(async () => (await layout()).atEnd).toBe(true);
  });

  it('stays at the end when "New messages" is pressed in the same frame as the window resizes', async () => {
    const { emulator } = ui;
    const page = await ui.page
      .context()
      .browser()!
      .newPage({ viewport: { width: 1100, height: 680 } });
    try {
      // The app in a frame of a page of its origin: the test resizes the app's window (the frame) in the very task
      // that presses the button, so both reach the app's next frame together (a window resize can come that way).
      await page.goto(ui.url);
      await page.setContent('<body style="margin:0"></body>');
      await page.evaluate((url) => {
        const frame = document.createElement('iframe');
        frame.src = url;
        frame.style.cssText = 'border:0;width:1100px;height:680px';
        document.body.append(frame);
      }, ui.url);
      const app = (await (await page.waitForSelector('iframe')).contentFrame())!;
      await app.waitForSelector('body[data-ready="true"]');
      for (let i = 0; i < 20; i++)
        emulator.postMessage({ from: 3, dialogId: 'chat1', text: `before the resize, line ${i}` });
      await app.locator('#messages li .text', { hasText: 'before the resize, line 19' }).waitFor();
      const fromEnd = () => app.$eval('#messages', (list) => list.scrollHeight - list.scrollTop - list.clientHeight);
      await expect.poll(fromEnd).toBeLessThan(2);
      await scrollToTop(app);
      emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'news while she reads back' });
      await app.locator('#jump').waitFor();
      // Pressed, and the window turned into a phone's, before the app draws again.
      await page.evaluate(() => {
        const frame = document.querySelector('iframe')!;
        frame.contentDocument!.getElementById('jump')!.click();
        frame.style.width = '360px';
      });
      await expect.poll(fromEnd).toBeLessThan(2);
      // And it follows from there: the next message is shown at the end.
      emulator.postMessage({ from: 3, dialogId: 'chat1', text: 'after the resize' });
      await app.locator('#messages li .text', { hasText: 'after the resize' }).waitFor();
      await expect.poll(fromEnd).toBeLessThan(2);
    } finally {
      await page.close();
    }
  });

  it('leaves a reader who scrolls up right after "New messages" brought her down (before the page drew again) in place', async () => {
    const { page, emulator } = ui;
    const scrollTop = () => page.$eval('#messages', (list) => list.scrollTop);
    for (let i = 0; i < 20; i++) emulator.postMessage({ from: 2, dialogId: 'chat1', text: `back up to, line ${i}` });
    await page.locator('#messages li .text', { hasText: 'back up to, line 19' }).waitFor();
    await expect.poll(async () => (await layout()).atEnd).toBe(true);
    await scrollToTop(page);
    emulator.postMessage({ from: 3, dialogId: 'chat1', text: 'news before she jumps' });
    await page.locator('#jump').waitFor();
    // Pressed, then the list dragged back to its top (by its scroll bar, say) in the same frame: the browser reports
    // the two scrolls as one, from the top to the top. Two frames later that one has surely been reported.
    await page.evaluate(async () => {
      const list = document.getElementById('messages')!;
      document.getElementById('jump')!.click();
      list.scrollTop = 0;
      for (let i = 0; i < 2; i++) await new Promise(requestAnimationFrame);
    });
    expect(await scrollTop()).toBe(0);
    emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'news after she went back up' });
    await page.locator('#messages li .text', { hasText: 'news after she went back up' }).waitFor();
    // Shown in the task that added the message: no wait needed.
    expect(await page.isVisible('#jump')).toBe(true);
    expect(await scrollTop()).toBe(0);
    await page.click('#jump');
    await expect.poll(async () => (await layout()).atEnd).toBe(true);
  });

  it('grows the composer with its lines: no jump at the first key, and no box smaller than its text (it would scroll)', async () => {
    const { page } = ui;
    const box = () =>
      page.$eval('#message', (textarea) => ({
        height: textarea.getBoundingClientRect().height,
        /** How much of the text the box leaves out (it scrolls by that much, with a scroll bar where they show). */
        cut: textarea.scrollHeight - textarea.clientHeight,
      }));
    await page.fill('#message', '');
    await page.focus('#message');
    const empty = await box();
    expect(empty.cut).toBe(0);
    await page.keyboard.type('a');
    expect(await box()).toEqual(empty);
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('b');
    const two = await box();
    expect(two.height).toBeGreaterThan(empty.height);
    expect(two.cut).toBe(0);
    // Up to its most (140 px, some six lines), then it scrolls.
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Shift+Enter');
      await page.keyboard.type('more');
    }
    const many = await box();
    expect(many.height).toBe(140);
    expect(many.cut).toBeGreaterThan(0);
    await page.fill('#message', '');
    expect(await box()).toEqual(empty);
    // A draft that wraps anew when the window narrows (a phone turned) is fitted again, not left cut until a key.
    await page.keyboard.type('a draft long enough to wrap onto more lines in a narrow window than in a wide one');
    const wide = await box();
    expect(wide.cut).toBe(0);
    await page.setViewportSize({ width: 360, height: 680 });
    await expect.poll(async () => (await box()).cut).toBe(0);
    expect((await box()).height).toBeGreaterThan(wide.height);
    await page.setViewportSize({ width: 1100, height: 680 });
    await expect.poll(async () => (await box()).height).toBe(wide.height);
    await page.fill('#message', '');
  });

  it('sends nothing for a blank composer (nor stops the indicator), one message per double click or double Enter, and keeps the focus in the composer', async () => {
    const { page } = ui;
    // The previous test's typing (and its `fill`) may still hold Alice's indicator up: the spaces below would only
    // renew it. Its idle stop comes within a renewal period.
    await expect
      .poll(() => page.getAttribute('#mine', 'title'), { timeout: 5_000 })
      .toSatisfy((title: string | null) => title === null || title.startsWith('stopped'));
    const from = Date.now();
    await page.focus('#message');
    await page.keyboard.press('Enter');
    await page.click('#send');
    await page.focus('#message');
    await page.keyboard.type('   ');
    // The spaces started Alice's indicator (the panel's title has the library's event, its text says it in words).
    await expect.poll(() => page.getAttribute('#mine', 'title')).toBe('sent');
    await page.keyboard.press('Enter');
    // The Enter sent nothing, so the indicator lapses as idle, not as sent.
    await expect.poll(() => page.getAttribute('#mine', 'title'), { timeout: 5_000 }).toMatch(/^stopped/);
    expect(await page.getAttribute('#mine', 'title')).toBe('stopped (idle)');
    expect(await page.inputValue('#message')).toBe('   ');
    expect(messageCalls(from)).toEqual([]);
    // Nor one the portal keeps as nothing (`[BR]`, `#BR#`: new lines, trimmed away), which it would refuse: the two
    // messages below must be the only calls.
    await page.fill('#message', '[BR] #BR#');
    await page.keyboard.press('Enter');
    expect(await page.inputValue('#message')).toBe('[BR] #BR#');
    // Nor one that would show nothing once kept: [BR]s around a no-break space (PHP's trim keeps it, the portal would
    // store it), a zero-width space. Blank to the eye is blank, as spaces are.
    for (const blank of ['[BR]\u00a0[BR]', '\u200b']) {
      await page.fill('#message', blank);
      await page.keyboard.press('Enter');
      expect(await page.inputValue('#message')).toBe(blank);
    }

    await page.fill('#message', 'sent with a double click');
    await page.dblclick('#send');
    await page.locator('#messages li.mine .text', { hasText: 'sent with a double click' }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('message');
    await page.keyboard.type('sent with Enter twice');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    await page.locator('#messages li.mine .text', { hasText: 'sent with Enter twice' }).waitFor();
    await page.keyboard.type('x'); // one more request through the same connection: anything still queued is in
    await expect.poll(() => messageCalls(from).length).toBe(2);
    expect(await page.locator('#messages li.mine .text', { hasText: /^sent with/ }).count()).toBe(2);
    await page.fill('#message', '');
  });

  it('shows a message at once, says when it did not go out (Retry, Delete) and never overwrites the next draft', async () => {
    const { page, emulator } = ui;
    const mine = (text: string) => page.locator('#messages li.mine', { hasText: text });
    const from = Date.now();

    // Slow: the message is in the list at once, as sending, and then as the portal's.
    emulator.addFault({ method: 'im.message.add', latencyMs: 800, times: 1 });
    await page.focus('#message');
    await page.keyboard.type('a slow one');
    await page.keyboard.press('Enter');
    await mine('a slow one').and(page.locator('.pending')).waitFor({ timeout: 500 });
    expect(await mine('a slow one').textContent()).toContain('Sending…');
    await mine('a slow one').and(page.locator('[data-message-id]:not(.pending)')).waitFor();

    // Refused: it stays in the list with the reason; the composer is the person's, for the next message.
    emulator.addFault({
      method: 'im.message.add',
      latencyMs: 300,
      status: 500,
      error: 'INTERNAL_SERVER_ERROR',
      times: 1,
    });
    await page.keyboard.type('this one fails');
    await page.keyboard.press('Enter');
    await page.keyboard.type('my next draft'); // typed while the first is still on its way
    const failed = mine('this one fails').and(page.locator('.failed'));
    await failed.waitFor();
    // Said in words a chat user understands; the portal's code is only in the title, for a developer who points at it.
    const why = failed.getByRole('alert').locator('span');
    expect(await why.textContent()).toBe('Not sent: the server had a problem.');
    expect(await why.getAttribute('title')).toBe('INTERNAL_SERVER_ERROR');
    expect(await page.inputValue('#message')).toBe('my next draft');
    await failed.getByRole('button', { name: 'Retry' }).click();
    await mine('this one fails').and(page.locator('[data-message-id]:not(.pending)')).waitFor();
    expect(await mine('this one fails').count()).toBe(1);
    expect(await page.inputValue('#message')).toBe('my next draft');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('message');
    // slow, refused, retried: each a call of Alice's, one refused
    expect(messageCalls(from).map((c) => c.error)).toEqual([null, 'INTERNAL_SERVER_ERROR', null]);

    // The portal stored it but the answer was broken: the stream's message is the one shown, not "Not sent".
    emulator.addFault({ method: 'im.message.add', truncate: true, times: 1 });
    await page.fill('#message', 'stored, answer lost');
    await page.keyboard.press('Enter');
    await mine('stored, answer lost').and(page.locator('[data-message-id]')).waitFor();
    await expect.poll(() => emulator.faults().length).toBe(0);
    await page.waitForFunction(() => !document.querySelector('#messages .pending'));
    expect(await mine('stored, answer lost').count()).toBe(1);
    expect(await page.locator('#messages .failed').count()).toBe(0);

    // Refused as bad input: said in words too, with its code in the title only.
    emulator.addFault({ method: 'im.message.add', status: 400, error: 'ERROR_ARGUMENT', times: 1 });
    await page.fill('#message', 'refused as input');
    await page.keyboard.press('Enter');
    const refused = mine('refused as input').getByRole('alert').locator('span');
    await refused.waitFor();
    expect(await refused.textContent()).toBe('Not sent: the portal refused it.');
    expect(await refused.getAttribute('title')).toBe('ERROR_ARGUMENT');
    await mine('refused as input').getByRole('button', { name: 'Delete the unsent message' }).click();

    // Deleted: gone from the list, never sent.
    emulator.addFault({ method: 'im.message.add', status: 503, error: 'QUERY_LIMIT_EXCEEDED', times: 1 });
    await page.fill('#message', 'never mind');
    await page.keyboard.press('Enter');
    await mine('never mind').getByRole('alert').filter({ hasText: 'the portal is busy' }).waitFor();
    await mine('never mind').getByRole('button', { name: 'Delete the unsent message' }).click();
    expect(await mine('never mind').count()).toBe(0);
    expect(emulator.messages(1).filter((m) => m.text === 'never mind')).toEqual([]);
    await page.fill('#message', '');
  });

  it('posts messages sent in a quick row in the order she wrote them, also when the first is slow to go out', async () => {
    const { page, emulator } = ui;
    const texts = ['first of three', 'second of three', 'third of three'];
    emulator.addFault({ method: 'im.message.add', latencyMs: 600, times: 1 });
    await page.fill('#message', '');
    for (const text of texts) {
      await page.keyboard.type(text);
      await page.keyboard.press('Enter');
    }
    const shown = page.locator('#messages li.mine[data-message-id] .text', { hasText: /of three$/ });
    await expect.poll(() => shown.count()).toBe(3);
    // Everyone sees them in her order (the portal's), and so does she.
    expect(
      emulator
        .messages(1)
        .filter((m) => m.text.endsWith('of three'))
        .map((m) => m.text),
    ).toEqual(texts);
    expect(await shown.allTextContents()).toEqual(texts);
  });

  it('gives up on a message the portal never answers within seconds: the ones after it go out, not held at "Sending…"', async () => {
    const { emulator } = ui;
    // A tab of its own, whose timers run on a clock the test moves (a context's clock is shared by its pages).
    const { context, page } = await pausedTab(ui.page, ui.url);
    try {
      const mine = (text: string) => page.locator('#messages li.mine', { hasText: text });
      emulator.addFault({ method: 'im.message.add', hang: true, times: 1 });
      await page.focus('#message');
      for (const text of ['this one hangs', 'and this one waits behind it']) {
        await page.keyboard.type(text);
        await page.keyboard.press('Enter');
      }
      await expect.poll(() => emulator.faults().length).toBe(0); // the first is at the portal, which says nothing
      expect(await mine('and this one waits behind it').textContent()).toContain('Sending…');
      // Seconds later (well before the transport's own 15 s): the first is "Not sent", the second goes out.
      await page.clock.fastForward(6_000);
      const why = mine('this one hangs').getByRole('alert').locator('span');
      await why.waitFor({ timeout: 5_000 });
      expect(await why.textContent()).toBe('Not sent: the portal did not answer in time.');
      await mine('and this one waits behind it').and(page.locator('[data-message-id]:not(.pending)')).waitFor();
      expect(emulator.messages(1).at(-1)?.text).toBe('and this one waits behind it');
      // Retry sends it, after the one that went out meanwhile (as any message that failed): once the first call has
      // ended unanswered (the transport's own 15 s), as the portal might still have stored it until then.
      await mine('this one hangs').getByRole('button', { name: 'Retry' }).click();
      await page.clock.fastForward(10_000);
      await mine('this one hangs').and(page.locator('[data-message-id]:not(.pending)')).waitFor();
      expect(emulator.messages(1).at(-1)?.text).toBe('this one hangs');
    } finally {
      await context.close();
    }
  });

  it('shows a message the portal stores after the page gave up on it once (read out too), and never sends it twice on Retry or after Delete', async () => {
    // An emulator of its own, whose clock can be put forward: stored "seconds after the page gave up" without waiting.
    let ahead = 0;
    const emulator = await startEmulator({ now: () => Date.now() + ahead });
    const url = new URL(ui.url);
    url.searchParams.set('emulator', emulator.url);
    const { context, page } = await pausedTab(ui.page, url.href);
    try {
      const mine = (text: string) => page.locator('#messages li.mine', { hasText: text });
      const stored = (text: string) => emulator.messages(1).filter((m) => m.text === text);
      /**
       * Sends `text` to a portal that takes it only after the page's 5 s are up (the request held on its way, then
       * delivered as it was: a portal that got it and is slow to store it). Returns, once it shows "Not sent", what
       * lets it through.
       */
      const sendSlow = async (text: string) => {
        let release = (): void => {};
        const held = new Promise<void>((resolve) => {
          release = resolve;
        });
        let arrived = false;
        let answered: Promise<void> = Promise.resolve();
        await page.route(
          '**/rest/im.message.add',
          (route) => {
            arrived = true;
            answered = held.then(async () => {
              const response = await route.fetch();
              await route.fulfill({ response }).catch(() => {}); // the page may have hung up by now
            });
            return answered;
          },
          { times: 1 },
        );
        await page.fill('#message', text);
        await page.press('#message', 'Enter');
        await expect.poll(() => arrived).toBe(true);
        await page.clock.fastForward(6_000);
        await mine(text).getByRole('alert').waitFor({ timeout: 5_000 });
        /** Lets it through; resolves once the portal's answer is on its way back to the page. */
        return (): Promise<void> => {
          release();
          return answered;
        };
      };

      // Stored late (its clock says seconds after the page gave up): one message, the portal's, not a "Not sent" copy too.
      // She has gone to its Retry from the keyboard: its note goes, and the focus goes back to the composer with it
      // (not to the page, where the next keys would type nothing).
      const store = await sendSlow('stored after all');
      await mine('stored after all').getByRole('button', { name: 'Retry' }).focus();
      ahead = 10_000;
      store();
      await expect.poll(() => stored('stored after all').length, { timeout: 5_000 }).toBe(1);
      await mine('stored after all').and(page.locator('[data-message-id]')).waitFor();
      await expect.poll(() => mine('stored after all').count()).toBe(1);
      expect(await page.locator('#messages .failed').count()).toBe(0);
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('message');
      // A screen reader heard "Not sent" (an alert): it hears that it went out after all, the same way, for a while.
      const sentAlert = mine('stored after all').getByRole('alert');
      expect(await sentAlert.textContent()).toBe('Sent after all: stored after all.');
      await page.clock.fastForward(10_000);
      expect(await sentAlert.count()).toBe(0);

      // Retry pressed while the portal is still at it: it is stored once, and shown once.
      const storeRetried = await sendSlow('retried while stored');
      await mine('retried while stored').getByRole('button', { name: 'Retry' }).click();
      storeRetried();
      await mine('retried while stored').and(page.locator('[data-message-id]:not(.pending)')).waitFor();
      await expect.poll(() => mine('retried while stored').count()).toBe(1);
      expect(stored('retried while stored')).toHaveLength(1);
      expect(await page.locator('#messages .failed').count()).toBe(0);

      // Deleted while the portal is still at it, its words back in the composer, and then stored: it shows, as sent,
      // and the words she has not touched since are taken back out of the composer (sent again, they would post it
      // twice), her draft under them left; she is told why.
      await page.fill('#message', '');
      const storeDeleted = await sendSlow('deleted, stored anyway');
      await page.keyboard.type('my draft');
      await mine('deleted, stored anyway').getByRole('button', { name: 'Delete the unsent message' }).click();
      expect(await page.inputValue('#message')).toBe('deleted, stored anyway\nmy draft');
      storeDeleted();
      await mine('deleted, stored anyway').and(page.locator('[data-message-id]')).waitFor();
      await expect.poll(() => page.inputValue('#message')).toBe('my draft');
      expect(await mine('deleted, stored anyway').getByRole('alert').textContent()).toBe(
        'Sent after all, although you deleted it: deleted, stored anyway. Taken back out of the composer.',
      );
      expect(stored('deleted, stored anyway')).toHaveLength(1);
      // Words she changed since are hers: left in the composer, and she is told it was sent.
      await page.fill('#message', '');
      const storeEdited = await sendSlow('deleted, then edited');
      await mine('deleted, then edited').getByRole('button', { name: 'Delete the unsent message' }).click();
      await page.keyboard.type(' and more');
      storeEdited();
      await mine('deleted, then edited').and(page.locator('[data-message-id]')).waitFor();
      expect(await mine('deleted, then edited').getByRole('alert').textContent()).toBe(
        'Sent after all, although you deleted it: deleted, then edited.',
      );
      expect(await page.inputValue('#message')).toBe('deleted, then edited and more');
      expect(await page.locator('#messages .failed').count()).toBe(0);

      // Deleted while the portal is still at it, then the same words typed and sent again before its answer: she
      // means the message once. The new one waits for that answer: stored, it is that message (not posted twice).
      await page.fill('#message', '');
      const storeResent = await sendSlow('deleted, sent again');
      await mine('deleted, sent again').getByRole('button', { name: 'Delete the unsent message' }).click();
      await page.fill('#message', '');
      await page.keyboard.type('deleted, sent again');
      await page.keyboard.press('Enter');
      await mine('deleted, sent again').and(page.locator('.pending')).waitFor();
      await storeResent();
      await mine('deleted, sent again').and(page.locator('[data-message-id]:not(.pending)')).first().waitFor();
      await expect.poll(() => page.locator('#messages li.pending').count()).toBe(0);
      expect(stored('deleted, sent again')).toHaveLength(1);
      await expect.poll(() => mine('deleted, sent again').count()).toBe(1);
      expect(await mine('deleted, sent again').getByRole('alert').count()).toBe(0); // nothing to tell: as she sent it
      expect(await page.locator('#messages .failed').count()).toBe(0);
      expect(await page.inputValue('#message')).toBe('');
      // The deleted one refused after all (never stored): the one she sent again goes out, once.
      const refuseResent = await sendSlow('deleted, refused, sent again');
      await mine('deleted, refused, sent again').getByRole('button', { name: 'Delete the unsent message' }).click();
      await page.press('#message', 'Enter'); // what Delete gave back, sent as it is
      await mine('deleted, refused, sent again').and(page.locator('.pending')).waitFor();
      emulator.addFault({ method: 'im.message.add', status: 400, error: 'ERROR_ARGUMENT', times: 1 });
      await refuseResent();
      await mine('deleted, refused, sent again').and(page.locator('[data-message-id]:not(.pending)')).first().waitFor();
      await expect.poll(() => stored('deleted, refused, sent again').length).toBe(1);
      await expect.poll(() => mine('deleted, refused, sent again').count()).toBe(1);
      expect(await page.locator('#messages .failed').count()).toBe(0);
      // Retry pressed while the portal is still at it, which then refuses it (never stored): the Retry, which waited for
      // that answer, sends it now. It is on its way, not "Not sent" (nor "Sent after all" once it went out, then).
      const refuseRetried = await sendSlow('retried, refused');
      await mine('retried, refused').getByRole('button', { name: 'Retry' }).click();
      emulator.addFault({ method: 'im.message.add', status: 400, error: 'ERROR_ARGUMENT', times: 1 });
      await refuseRetried();
      await mine('retried, refused').and(page.locator('[data-message-id]:not(.pending)')).waitFor();
      await expect.poll(() => stored('retried, refused').length).toBe(1);
      expect(await mine('retried, refused').getByRole('alert').count()).toBe(0);
      expect(await page.locator('#messages .failed').count()).toBe(0);
    } finally {
      await context.close();
      await emulator.close();
    }
  });

  it('gives a deleted "Not sent" message back to the composer: what she wrote is not lost, nor is her draft', async () => {
    const { page, emulator } = ui;
    const failed = (text: string) => page.locator('#messages li.failed', { hasText: text });
    const remove = (text: string) => failed(text).getByRole('button', { name: 'Delete the unsent message' }).click();
    emulator.addFault({ method: 'im.message.add', status: 500, error: 'INTERNAL_SERVER_ERROR', times: 2 });
    await page.fill('#message', '');
    expect(await trySend(page, 'a thought I took a while to word')).toBe('failed');
    // The composer is empty: the words go back into it, to change, send again or clear, as she wrote them.
    await remove('a thought I took a while to word');
    expect(await failed('a thought I took a while to word').count()).toBe(0);
    expect(await page.inputValue('#message')).toBe('a thought I took a while to word');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('message');
    // She has started the next one meanwhile: it stays, the deleted words go above it (nothing written over).
    await page.fill('#message', '');
    expect(await trySend(page, 'the first try')).toBe('failed');
    await page.keyboard.type('my next draft');
    await remove('the first try');
    expect(await page.inputValue('#message')).toBe('the first try\nmy next draft');
    // Taller with the second line: fitted to it, nothing cut off.
    expect(await page.$eval('#message', (t) => t.scrollHeight - t.clientHeight)).toBe(0);
    expect(emulator.messages(1).filter((m) => /thought|first try/.test(m.text))).toEqual([]);
    await page.fill('#message', '');
  });

  it('keeps the end of the chat in view when the last message grows: its "Not sent" note and buttons, an edit', async () => {
    const { page, emulator } = ui;
    await expect.poll(async () => (await layout()).atEnd).toBe(true);
    emulator.addFault({ method: 'im.message.add', status: 500, error: 'INTERNAL_SERVER_ERROR', times: 1 });
    await page.focus('#message');
    await page.keyboard.type('fails at the very end');
    await page.keyboard.press('Enter');
    const failed = page.locator('#messages li.failed', { hasText: 'fails at the very end' });
    await failed.getByRole('button', { name: 'Retry' }).waitFor();
    // The note and its Retry and Delete are in view, not under the composer.
    await expect.poll(async () => (await layout()).atEnd).toBe(true);
    await failed.getByRole('button', { name: 'Delete the unsent message' }).click();
    await page.fill('#message', ''); // its words came back there

    const id = emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'short' });
    const item = page.locator(`#messages li[data-message-id="${id}"]`);
    await item.waitFor();
    await expect.poll(async () => (await layout()).atEnd).toBe(true);
    emulator.editMessage(id, `now longer:${'\na line more'.repeat(6)}`);
    await expect.poll(() => item.getAttribute('class')).toContain('edited');
    await expect.poll(async () => (await layout()).atEnd).toBe(true);
  });

  it('is usable with a screen reader and readable: names, live typing line, new messages read out, AA contrast', async () => {
    const { page, emulator } = ui;
    expect(await page.getByRole('textbox', { name: 'Message' }).getAttribute('aria-describedby')).toBe('composer-hint');
    // Jumping by headings finds the conversation: its title is the page's main heading.
    expect(await page.locator('.chat-header').ariaSnapshot()).toMatch(/^- heading "General" \[level=1\]$/m);
    await page.getByRole('button', { name: 'Send' }).waitFor();

    // Bob starts typing: the line under the messages (a status region) says so; the panel is redrawn once. In a tab
    // whose clock the test moves: the view's 250 ms clock ticks when told to, not when a wait happens to be long enough.
    const paused = await pausedTab(ui.page, ui.url);
    try {
      const tab = paused.page;
      await tab.evaluate(() => {
        const w = window as unknown as { panelChanges: number };
        w.panelChanges = 0;
        new MutationObserver((records) => {
          w.panelChanges += records.length;
        }).observe(document.getElementById('live')!, { childList: true, subtree: true, characterData: true });
      });
      await typeAs(emulator, 2);
      await tab.getByRole('status').filter({ hasText: 'Bob Builder is typing…' }).waitFor();
      const changes = () => tab.evaluate(() => (window as unknown as { panelChanges: number }).panelChanges);
      const afterStart = await changes();
      // Four ticks of the view's clock with nothing new (his call is still shown: it lasts 2 s, and the tab's clock
      // was paused before he typed): the panel is left alone (no screen reader chatter).
      await tab.clock.runFor(1_000);
      expect(await tab.locator('#live li[data-sender="2"]').count()).toBe(1);
      expect(await changes()).toBe(afterStart);
    } finally {
      await paused.context.close();
    }
    await typeAs(emulator, 2); // afresh: his call of before may be about to lapse
    await page.getByRole('status').filter({ hasText: 'Bob Builder is typing…' }).waitFor();

    // Others' new messages are read out; the list is not a live region (a reconnect rebuilds it), her own are not.
    emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'Bob has something to say' });
    await expect.poll(() => page.textContent('#announcer')).toContain('Bob Builder: Bob has something to say');
    // His message hid his indicator: the line under the messages clears with it, well before the indicator would lapse.
    await expect.poll(() => page.textContent('#typing-text')).toBe('');
    expect(await page.isHidden('#typing-dots')).toBe(true);
    const bobsCall = emulator
      .timeline()
      .filter((e): e is CallEntry => e.kind === 'call' && e.method === 'im.dialog.writing' && e.senderId === 2)
      .at(-1)!;
    expect(Date.now()).toBeLessThan(bobsCall.visibleUntil! - 200);
    expect(await page.getAttribute('#announcer', 'aria-live')).toBe('polite');
    expect(await page.getAttribute('#messages', 'aria-live')).toBeNull();
    await page.focus('#message');
    await page.keyboard.type('and Alice answers');
    await page.keyboard.press('Enter');
    const hers = page.locator('#messages li.mine[data-message-id]', { hasText: 'and Alice answers' });
    await hers.waitFor();
    expect(await page.textContent('#announcer')).not.toContain('and Alice answers');
    // Whose each message is, read out: the others' by name, her own as "You" (the eye has the side and colour).
    expect(await hers.ariaSnapshot()).toMatch(/^- listitem: You and Alice answers/);
    const his = page.locator('#messages li', { hasText: 'Bob has something to say' });
    expect(await his.ariaSnapshot()).toMatch(/^- listitem: Bob Builder Bob has something to say/);

    // Contrast (WCAG AA): text 4.5:1 against what it sits on; the send button and the composer's border 3:1.
    emulator.addFault({ method: 'im.message.add', status: 500, error: 'INTERNAL_SERVER_ERROR', times: 1 });
    await page.keyboard.type('not sent');
    await page.keyboard.press('Enter');
    await page.locator('.send-error').waitFor();
    await typeAs(emulator, 2);
    await page.getByRole('status').filter({ hasText: 'Bob Builder is typing…' }).waitFor();
    expect(belowAA(await contrastRatios(page))).toEqual([]);

    // Bob still typing: his dots blink, except for someone who asked the system for less motion.
    const blinking = () =>
      page.evaluate(() =>
        [...document.querySelectorAll('#typing-dots i')].map((i) => getComputedStyle(i).animationName),
      );
    expect(await blinking()).toEqual(['blink', 'blink', 'blink']);
    await page.emulateMedia({ reducedMotion: 'reduce' });
    expect(await blinking()).toEqual(['none', 'none', 'none']);
    await page.emulateMedia({ reducedMotion: null });
    await page.locator('.send-error').getByRole('button', { name: 'Delete the unsent message' }).click();
    await page.fill('#message', '');
  });

  // Messages that come live in one read of the stream are dispatched in one task, one `readOut` each: the announcer
  // kept its last three lines, so the first ones were added and taken out again before the page was drawn, and a
  // screen reader never heard them. Every line must be in the region at a frame (what the browser exposes).
  it('reads out every message of a burst that comes live in one read of the stream, not only the last three', async () => {
    const { page, emulator } = ui;
    await page.evaluate(() => {
      const w = window as unknown as { framed: Set<string> };
      w.framed = new Set();
      const record = (): void => {
        for (const line of document.querySelectorAll('#announcer p')) w.framed.add(line.textContent!);
        requestAnimationFrame(record);
      };
      requestAnimationFrame(record);
    });
    const burst = [1, 2, 3, 4, 5, 6].map((n) => `Carol, ${n} of a live burst`);
    for (const text of burst) emulator.postMessage({ from: 3, dialogId: 'chat1', text }); // one write each, one tick
    await page.locator('#messages li .text', { hasText: burst.at(-1)! }).waitFor();
    const framed = () => page.evaluate(() => [...(window as unknown as { framed: Set<string> }).framed]);
    await expect.poll(framed).toContain(`Carol Chen: ${burst.at(-1)}`);
    expect(await framed()).toEqual(expect.arrayContaining(burst.map((text) => `Carol Chen: ${text}`)));
    // Once a frame has shown them, the region goes back to its last three lines at the next message.
    emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'Bob, after the burst' });
    await expect
      .poll(() => page.locator('#announcer p').allTextContents())
      .toEqual([`Carol Chen: ${burst[4]}`, `Carol Chen: ${burst[5]}`, 'Bob Builder: Bob, after the burst']);
  });

  // A hidden tab draws no frames, and the announcer keeps every line until a frame has drawn it: in a busy chat left in
  // a background tab it grew by a line per message, without bound, all read out once the tab was shown. Headless
  // Chromium draws every tab (a background one, a minimised window: all stay "visible", rAF running), so the hidden
  // tab is its reported visibility, and the frames it does not draw are a paused page clock's (Playwright's clock
  // runs `requestAnimationFrame` too).
  it('keeps the newest lines and a count of the ones before while the tab is hidden, not every message for later', async () => {
    const { emulator } = ui;
    const { context, page } = await pausedTab(ui.page, ui.url);
    const announced = () => page.locator('#announcer p').allTextContents();
    try {
      await setVisibility(page, 'hidden');
      const many = Array.from({ length: 30 }, (_, i) => `Bob, ${i + 1} while the tab was hidden`);
      for (const text of many) {
        emulator.postMessage({ from: 2, dialogId: 'chat1', text });
        await page.locator('#messages li .text', { hasText: text }).waitFor(); // one read of the stream each
      }
      expect(await page.title()).toBe('(30) General · b24-typing'); // not drawn yet: kept for the screen reader
      expect(await announced()).toEqual([
        '27 more new messages came while the page was hidden; the newest follow.',
        ...many.slice(-3).map((text) => `Bob Builder: ${text}`),
      ]);
      // Shown again: a frame draws what it holds (read out then); from the next message on, its last three lines.
      await setVisibility(page, 'visible');
      await page.clock.runFor(100);
      emulator.postMessage({ from: 3, dialogId: 'chat1', text: 'Carol, once the tab is shown' });
      await expect
        .poll(announced)
        .toEqual([...many.slice(-2).map((text) => `Bob Builder: ${text}`), 'Carol Chen: Carol, once the tab is shown']);
    } finally {
      await context.close();
    }
  });

  it('names the chat in the tab title, and counts the messages that came while the tab was hidden until it is shown', async () => {
    const { page, emulator } = ui;
    expect(await page.title()).toBe('General · b24-typing');
    const visibility = (state: 'hidden' | 'visible') => setVisibility(page, state);
    try {
      await visibility('hidden');
      emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'while the tab was hidden' });
      emulator.postMessage({ from: 1, dialogId: 'chat1', text: 'hers, from another tab' }); // not news to her
      emulator.postMessage({ from: 3, dialogId: 'chat1', text: 'and one more' });
      await page.locator('#messages li', { hasText: 'and one more' }).waitFor();
      expect(await page.title()).toBe('(2) General · b24-typing');
      await visibility('visible');
      expect(await page.title()).toBe('General · b24-typing');
    } finally {
      await page.evaluate(() => {
        delete (document as { visibilityState?: unknown }).visibilityState;
        delete (document as { hidden?: unknown }).hidden;
      });
    }
  });

  it('shows the chat its `dialog` setting names, and sends and types there only', async () => {
    const { emulator } = ui;
    const url = new URL(ui.url);
    url.searchParams.set('dialog', 'chat2'); // "Team": Alice and Bob
    const page = await ui.page.context().browser()!.newPage();
    const texts = () => page.locator('#messages li .text').allTextContents();
    try {
      emulator.postMessage({ from: 2, dialogId: 'chat2', text: 'Bob, in Team' });
      await page.goto(url.href);
      await page.waitForSelector('body[data-ready="true"]');
      await expect.poll(texts).toEqual(['Bob, in Team']);
      expect(await page.textContent('#chat-title')).toBe('Team');
      expect(await page.title()).toBe('Team · b24-typing');
      // Live too: the other chat's messages are not this one's.
      emulator.postMessage({ from: 3, dialogId: 'chat1', text: 'Carol, in General' });
      emulator.postMessage({ from: 2, dialogId: 'chat2', text: 'Bob again, in Team' });
      await expect.poll(texts).toEqual(['Bob, in Team', 'Bob again, in Team']);

      const from = Date.now();
      await page.focus('#message');
      await page.keyboard.type('Alice, in Team');
      await page.keyboard.press('Enter');
      await page.locator('#messages li.mine:not(.pending)', { hasText: 'Alice, in Team' }).waitFor();
      expect(emulator.messages(2).at(-1)?.text).toBe('Alice, in Team');
      expect(emulator.messages(1).map((m) => m.text)).not.toContain('Alice, in Team');
      await page.locator('#messages li.mine[data-message-id]', { hasText: 'Alice, in Team' }).waitFor();
      const calls = emulator.timeline().filter((e): e is CallEntry => e.kind === 'call' && e.time >= from);
      expect(calls.filter((c) => c.method === 'im.dialog.writing').length).toBeGreaterThan(0);
      expect(calls.every((c) => c.chatId === 2)).toBe(true);
    } finally {
      await page.close();
    }
  });

  it('makes the current chat in the side panel a link to this page, marked current, that looks as before', async () => {
    const { page } = ui;
    const look = await page.$eval('.chat-link.active', (element) => {
      const style = getComputedStyle(element);
      const { left, top, width, height } = element.getBoundingClientRect();
      const box = { left, top, width, height };
      return { box, color: style.color, background: style.backgroundColor, underline: style.textDecorationLine };
    });
    expect(look).toEqual({
      box: { left: 16, top: 57, width: 238, height: 44 },
      color: 'rgb(215, 224, 234)',
      background: 'rgba(255, 255, 255, 0.1)',
      underline: 'none',
    });
    const entry = page.getByRole('navigation', { name: 'Chats' }).getByRole('link', { name: 'General' });
    expect(await entry.getAttribute('aria-current')).toBe('page');
    expect(await entry.evaluate((link) => (link as HTMLAnchorElement).href)).toBe(page.url());
    // Followed (a click, Enter), it is the page she is on: not reloaded, which would lose her draft.
    await page.fill('#message', 'a draft kept');
    await entry.click();
    await entry.press('Enter');
    expect(await page.inputValue('#message')).toBe('a draft kept');
    await page.fill('#message', '');
  });

  it("starts the outline with the chat's title (h1 first, the side panel's h2s after it), the panel still on the left", async () => {
    const { page } = ui;
    const outline = await page.$$eval('h1, h2, h3, h4, h5, h6', (headings) =>
      headings.map((h) => `${h.tagName} ${h.textContent}`),
    );
    expect(outline).toEqual(['H1 General', 'H2 Typing and bot activity', 'H2 Your indicator']);
    // The look is the same: the panel on the left, 270 px wide, the chat on the rest of the window.
    const boxes = await page.evaluate(() =>
      ['.sidebar', '.chat'].map((selector) => {
        const { left, width, top, height } = document.querySelector(selector)!.getBoundingClientRect();
        return { left, width, top, height };
      }),
    );
    expect(boxes).toEqual([
      { left: 0, width: 270, top: 0, height: 680 },
      { left: 270, width: 830, top: 0, height: 680 },
    ]);
  });

  it('keeps the bubbles, the buttons and a "Not sent" outline visible in forced colors (high contrast)', async () => {
    const { page, emulator } = ui;
    expect(await trySend(page, 'sent, in a bubble')).toBe('sent');
    emulator.addFault({ method: 'im.message.add', status: 500, error: 'INTERNAL_SERVER_ERROR', times: 1 });
    expect(await trySend(page, 'not sent, outlined')).toBe('failed');
    // Forced colors drop backgrounds and shadows: only a border or an outline (in a system colour) still shows.
    const edges = () =>
      page.evaluate(() => {
        const edge = (selector: string, pseudo?: string) => {
          const style = getComputedStyle(document.querySelector(selector)!, pseudo);
          const border = style.borderTopStyle !== 'none' && Number.parseFloat(style.borderTopWidth) >= 1;
          const outline = style.outlineStyle !== 'none' && Number.parseFloat(style.outlineWidth) >= 1;
          return border || outline;
        };
        return {
          bubble: edge('#messages li:not(.mine) .bubble'),
          'own bubble': edge('#messages li.mine:not(.failed) .bubble'),
          'send button': edge('#send'),
          // hidden now: its style is what it shows with once it appears
          'new messages button': edge('#jump'),
          avatar: edge('#messages .avatar'),
          'header avatar': edge('#header-avatar'),
          'panel avatar': edge('#live .avatar'),
          'typing dot': edge('#typing-dots i'),
          // the dot next to "Live from …": drawn as a background too
          'connection dot': edge('#connection', '::before'),
          // filled while live, a ring otherwise: the shape says what its colour did
          'connection dot filled': (() => {
            const style = getComputedStyle(document.getElementById('connection')!, '::before');
            return style.backgroundColor === style.borderTopColor;
          })(),
          'not sent': (() => {
            const style = getComputedStyle(document.querySelector('#messages li.failed .bubble')!);
            return style.outlineStyle !== 'none' && Number.parseFloat(style.outlineWidth) >= 2;
          })(),
        };
      });
    const visible = {
      bubble: true,
      'own bubble': true,
      'send button': true,
      'new messages button': true,
      avatar: true,
      'header avatar': true,
      'panel avatar': true,
      'typing dot': true,
      'connection dot': true,
      'connection dot filled': true,
      'not sent': true,
    };
    // Avatars and the typing dots are drawn with a background only: Bob types, so both show.
    await typeAs(emulator, 2);
    await page.getByRole('status').filter({ hasText: 'Bob Builder is typing…' }).waitFor();
    await page.emulateMedia({ forcedColors: 'active' });
    try {
      expect(await edges()).toEqual(visible);
    } finally {
      await page.emulateMedia({ forcedColors: null });
    }
    await page.locator('#messages li.failed').getByRole('button', { name: 'Delete the unsent message' }).click();
    await page.fill('#message', '');
  });

  it('follows a dark system theme: another palette, and every part still passes WCAG AA, as in the light one', async () => {
    const { page, emulator } = ui;
    // Every kind of bubble is measured: hers that went out, and one that did not (not left to the tests before).
    expect(await trySend(page, 'sent, in either theme')).toBe('sent');
    emulator.addFault({ method: 'im.message.add', status: 500, error: 'INTERNAL_SERVER_ERROR', times: 1 });
    expect(await trySend(page, 'not sent, in either theme')).toBe('failed');
    await typeAs(emulator, 2); // the typing line and the panel's entry are measured too
    await page.getByRole('status').filter({ hasText: 'Bob Builder is typing…' }).waitFor();
    // From the keyboard (Shift+Tab from the composer): the "Not sent" note's Delete, its focus ring on the bubble.
    await page.focus('#message');
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate(() => document.activeElement?.matches('.send-error button:focus-visible'))).toBe(true);
    const colours = () =>
      page.evaluate(() => {
        const style = (selector: string) => getComputedStyle(document.querySelector(selector)!);
        return {
          page: style('.chat').backgroundColor,
          text: style('body').color,
          bubble: style('#messages li:not(.mine) .bubble').backgroundColor,
          'own bubble': style('#messages li.mine:not(.failed) .bubble').backgroundColor,
          composer: style('#composer').backgroundColor,
          textarea: style('#message').backgroundColor,
        };
      });
    await page.emulateMedia({ colorScheme: 'light' });
    const light = { colours: await colours(), ratios: await contrastRatios(page) };
    await page.emulateMedia({ colorScheme: 'dark' });
    try {
      const dark = { colours: await colours(), ratios: await contrastRatios(page) };
      for (const [what, colour] of Object.entries(dark.colours)) {
        expect(colour, what).not.toBe(light.colours[what as keyof typeof light.colours]);
      }
      expect(belowAA(dark.ratios)).toEqual([]);
    } finally {
      await page.emulateMedia({ colorScheme: null });
    }
    expect(belowAA(light.ratios)).toEqual([]);
    await page.locator('#messages li.failed').getByRole('button', { name: 'Delete the unsent message' }).click();
    await page.fill('#message', '');
  });

  it('names who is typing when several are, a bot by its name and status (not counted among "people")', async () => {
    const { page, emulator } = ui;
    const users = joinChat1([
      { name: 'Erin', lastName: 'Example' },
      { name: 'Frank', lastName: 'Fox' },
    ]);
    const line = () => page.textContent('#typing-text');
    for (const user of [2, 3, users[0]!]) await typeAs(emulator, user);
    await agentStatus(emulator, 'IMBOT_AGENT_ACTION_GENERATING', 3);
    await expect
      .poll(line)
      .toBe('Bob Builder, Carol Chen, and Erin Example are typing and Agent is preparing a response…');

    // Renewed with the same words: the status region is left alone (a screen reader would read it out again).
    await page.evaluate(() => {
      const w = window as unknown as { lineChanges: number };
      w.lineChanges = 0;
      new MutationObserver((records) => {
        w.lineChanges += records.length;
      }).observe(document.getElementById('typing-text')!, { childList: true, subtree: true, characterData: true });
    });
    await typeAs(emulator, 2);
    // A marker after the renewal on the stream: a message from someone who is not typing. Once the page shows it, it
    // has taken the renewal in too.
    emulator.postMessage({ from: users[1]!, dialogId: 'chat1', text: 'Frank, not typing yet' });
    await page.locator('#messages li .text', { hasText: 'Frank, not typing yet' }).waitFor();
    expect(await page.evaluate(() => (window as unknown as { lineChanges: number }).lineChanges)).toBe(0);

    // A fourth person: two names and how many more, still one sentence.
    await typeAs(emulator, users[1]!);
    await expect.poll(line).toBe('Bob Builder, Carol Chen, and 2 others are typing and Agent is preparing a response…');
    await expect.poll(line, { timeout: 5_000 }).toBe('');
  });

  it('names someone who joined after the page loaded, and shows an edited message with its new text', async () => {
    const { page, emulator } = ui;
    const dave = emulator.seed({ users: [{ name: 'Dave', lastName: 'Doe' }] }).users[0]!;
    emulator.seed({ members: [[1, dave]] });
    const id = emulator.postMessage({ from: dave, dialogId: 'chat1', text: 'Hi all, I am new here' });
    const item = page.locator(`#messages li[data-message-id="${id}"]`);
    await expect.poll(() => item.locator('.author').textContent()).toBe('Dave Doe');
    await expect.poll(() => page.textContent('#chat-sub')).toContain('Dave Doe');
    // Bob types too: the line under the messages says it as one sentence; his message leaves Dave on it.
    for (const user of [2, dave]) {
      await typeAs(emulator, user);
    }
    await expect.poll(() => page.textContent('#typing-text')).toBe('Bob Builder and Dave Doe are typing…');
    emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'welcome, Dave' });
    await page
      .getByRole('status')
      .filter({ hasText: /^Dave Doe is typing…$/ })
      .waitFor();

    emulator.editMessage(id, 'Hi all, I am Dave, new on the team');
    await expect.poll(() => item.locator('.text').textContent()).toBe('Hi all, I am Dave, new on the team');
    expect(await item.getAttribute('class')).toContain('edited');
    expect(await page.locator('#messages li', { hasText: 'I am new here' }).count()).toBe(0);
  });

  it("looks up the buttons of someone's message with words while it is not known who they are, not once they are known to be a person", async () => {
    const { page, emulator } = ui;
    // Which messages the page looks up (`FIRST_ID`, the id before the first of a page).
    const looked: number[] = [];
    const record = (request: Request): void => {
      const first = lookupFirstId(request);
      if (first !== undefined) looked.push(first);
    };
    page.on('request', record);
    try {
      const [dave] = joinChat1([{ name: 'Dave', lastName: 'Doe' }]);
      // Not known yet when it is shown: he may be a bot (one started after the page loaded), so it is looked up.
      const first = emulator.postMessage({ from: dave!, dialogId: 'chat1', text: 'Hi all, I am new here' });
      await expect.poll(() => looked).toContain(first - 1);
      const item = (id: number) => page.locator(`#messages li[data-message-id="${id}"]`);
      await expect.poll(() => item(first).locator('.author').textContent()).toBe('Dave Doe');
      // Known now, as a person: his next message costs no call. Once the bot's is looked up, his would have been.
      const second = emulator.postMessage({ from: dave!, dialogId: 'chat1', text: 'Where is the coffee?' });
      await item(second).waitFor();
      const bot = await agentSends(emulator, { message: 'Ask me', keyboard: [{ TEXT: 'Coffee', COMMAND: 'coffee' }] });
      await expect.poll(() => item(bot).locator('.buttons').textContent()).toBe('[buttons: Coffee]');
      expect(looked).toEqual([first - 1, bot - 1]);
    } finally {
      page.off('request', record);
    }
  });

  it('shows a message its author deleted in the words the portal shows instead, no longer marked edited', async () => {
    const { page, emulator } = ui;
    const id = emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'oops, meant for another chat' });
    const item = page.locator(`#messages li[data-message-id="${id}"]`);
    await expect.poll(() => item.locator('.text').textContent()).toBe('oops, meant for another chat');
    emulator.editMessage(id, 'oops, meant for another chat (sorry)');
    await expect.poll(() => item.getAttribute('class')).toContain('edited');
    await deleteAs(emulator, 2, id);
    await expect.poll(() => item.locator('.text').textContent()).toBe('This message has been deleted.');
    expect(await item.getAttribute('class')).toContain('deleted');
    expect(await item.getAttribute('class')).not.toContain('edited');
    expect(await page.locator('#messages li', { hasText: 'meant for another chat' }).count()).toBe(0);
  });

  it("shows a bot's message without words as what it carries: its buttons' texts (as text, never HTML), or an attachment; one of only no-break spaces as blank", async () => {
    const { page, emulator } = ui;
    // Buttons under a text that was only [BR]s, and an attach alone: the portal keeps no text, the stream says ''.
    const keyboard = [{ TEXT: '<b>Yes</b>', COMMAND: 'yes' }, { TYPE: 'NEWLINE' }, { TEXT: 'No', COMMAND: 'no' }];
    const buttons = await agentSends(emulator, { message: '[BR]', keyboard });
    const card = await agentSends(emulator, { attach: [{ MESSAGE: 'Build #42 passed' }] });
    expect(
      emulator
        .messages(1)
        .slice(-2)
        .map((m) => m.text),
    ).toEqual(['', '']);
    const item = (id: number) => page.locator(`#messages li[data-message-id="${id}"]`);
    await expect.poll(() => item(buttons).locator('.text').textContent()).toBe('[buttons: <b>Yes</b> / No]');
    expect(await item(buttons).locator('b, button').count()).toBe(0);
    await expect.poll(() => item(card).locator('.text').textContent()).toBe('[attachment]');
    // In the look of a note (as a deleted message's words), not of words someone wrote.
    expect(await item(card).evaluate((li) => getComputedStyle(li.querySelector('.text')!).fontStyle)).toBe('italic');
    // Read out with its author, not as a bare name: what it carries was not known yet when it came.
    expect(await page.locator('#announcer p').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(/: \[buttons or an attachment\]$/)]),
    );
    // A text of only no-break spaces, which the portal keeps (PHP's trim does not strip them), says it is blank.
    const spaces = await agentSends(emulator, { message: '\u00a0\u00a0' });
    expect(emulator.messages(1).at(-1)?.text).toBe('\u00a0\u00a0');
    await expect.poll(() => item(spaces).locator('.text').textContent()).toBe('[blank message]');
    expect(await item(spaces).evaluate((li) => getComputedStyle(li.querySelector('.text')!).fontStyle)).toBe('italic');
    // Shown the same after a reload (the whole timeline again), the bubbles' height that of a line, not empty.
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    await expect.poll(() => item(buttons).locator('.text').textContent()).toBe('[buttons: <b>Yes</b> / No]');
    expect(await item(spaces).locator('.text').textContent()).toBe('[blank message]');
    expect(
      await item(card)
        .locator('.text')
        .evaluate((text) => text.getBoundingClientRect().height),
    ).toBeGreaterThan(10);
  });

  /** Every line the announcer is given from now on (added to it), in order: what a screen reader is told. */
  const hearAnnouncer = (page: typeof ui.page) =>
    page.evaluate(() => {
      const w = window as unknown as { heard: string[] };
      w.heard = [];
      new MutationObserver((changes) => {
        for (const change of changes) for (const node of change.addedNodes) w.heard.push(node.textContent ?? '');
      }).observe(document.getElementById('announcer')!, { childList: true });
    });
  const heard = (page: typeof ui.page) => page.evaluate(() => (window as unknown as { heard: string[] }).heard);

  it("lists the buttons a bot offers under its message's words, as text (a person sees it offered choices), and reads them out", async () => {
    const { page, emulator } = ui;
    await hearAnnouncer(page);
    const keyboard = [
      { TEXT: 'Deploy', COMMAND: 'deploy' },
      { TYPE: 'NEWLINE' },
      { TEXT: '<b>Wait</b>', COMMAND: 'wait' },
    ];
    const id = await agentSends(emulator, { message: 'Build #42 passed. Deploy it?', keyboard });
    // The stream says only its words.
    expect(emulator.messages(1).at(-1)?.text).toBe('Build #42 passed. Deploy it?');
    const item = page.locator(`#messages li[data-message-id="${id}"]`);
    await expect.poll(() => item.locator('.buttons').textContent()).toBe('[buttons: Deploy / <b>Wait</b>]');
    expect(await item.locator('.text').textContent()).toBe('Build #42 passed. Deploy it?');
    // Listed, not offered: no button to press, no HTML of the bot's; under the words, in the look of a note.
    expect(await item.locator('b, button').count()).toBe(0);
    expect(await item.locator('.buttons').evaluate((line) => getComputedStyle(line).fontStyle)).toBe('italic');
    const [words, buttons] = await item.evaluate((li) =>
      ['.text', '.buttons'].map((s) => li.querySelector(s)!.getBoundingClientRect()),
    );
    expect(buttons!.top).toBeGreaterThanOrEqual(words!.bottom - 1);
    // Read out with its words once they are known, after its words alone (its buttons were not known yet).
    await expect
      .poll(() => heard(page))
      .toEqual([
        expect.stringMatching(/: Build #42 passed\. Deploy it\?$/),
        expect.stringMatching(/: Build #42 passed\. Deploy it\? \[buttons: Deploy \/ <b>Wait<\/b>\]$/),
      ]);
    // A person's message with words is not looked up: people's messages offer no buttons, and each lookup would
    // come out of the portal's request budget, which her sends and typing share.
    /** While reloading: false until the page's own document is asked for (what the page before asked is not counted). */
    let reloaded: boolean | undefined;
    const lookups: string[] = [];
    const count = (request: Request): void => {
      if (request.isNavigationRequest()) reloaded = true;
      else if (reloaded !== false && request.url().includes('im.dialog.messages.get')) lookups.push(request.url());
    };
    page.on('request', count);
    try {
      emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'Bob, no buttons' });
      // Read out once, with no buttons.
      await expect.poll(() => heard(page)).toHaveLength(3);
      const plain = page.locator('#messages li', { hasText: 'Bob, no buttons' });
      expect(await plain.locator('.buttons').count()).toBe(0);
      for (let n = 1; n <= 5; n++) emulator.postMessage({ from: 3, dialogId: 'chat1', text: `Carol, ${n}` });
      await page.locator('#messages li .text', { hasText: 'Carol, 5' }).waitFor();
      // A bot's message after them, looked up: whatever the page was to ask for Bob's and Carol's it has asked by then.
      const later = await agentSends(emulator, {
        message: 'One more thing.',
        keyboard: [{ TEXT: 'OK', COMMAND: 'ok' }],
      });
      await expect
        .poll(() => page.locator(`#messages li[data-message-id="${later}"] .buttons`).textContent())
        .toBe('[buttons: OK]');
      expect(lookups).toHaveLength(1);

      // Rebuilt (a reload: the whole timeline again), every message's buttons are asked for together: one call for
      // the whole list, not one each (which would use up the portal's rate limit, and her messages would be refused).
      // Asked by the page as reloaded: from its own document's request on.
      lookups.length = 0;
      reloaded = false;
      await page.reload();
      await page.waitForSelector('body[data-ready="true"]');
      await expect.poll(() => item.locator('.buttons').textContent()).toBe('[buttons: Deploy / <b>Wait</b>]');
      expect(await page.locator('#messages li[data-message-id]').count()).toBeGreaterThan(8);
      expect(lookups).toHaveLength(1);
    } finally {
      page.off('request', count);
    }
  });

  it('reads out a message without words once more when its buttons become known, once', async () => {
    const { page, emulator } = ui;
    await hearAnnouncer(page);
    const keyboard = [
      { TEXT: 'Yes', COMMAND: 'yes' },
      { TEXT: 'No', COMMAND: 'no' },
    ];
    const id = await agentSends(emulator, { message: '[BR]', keyboard });
    const card = await agentSends(emulator, { attach: [{ MESSAGE: 'Build #42 passed' }] });
    const item = (id: number) => page.locator(`#messages li[data-message-id="${id}"]`);
    await expect.poll(() => item(id).locator('.text').textContent()).toBe('[buttons: Yes / No]');
    await expect.poll(() => item(card).locator('.text').textContent()).toBe('[attachment]');
    // A message after them, read out: whatever was to be read of them before it is.
    emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'Bob, after the bot' });
    await expect.poll(() => heard(page)).toContain('Bob Builder: Bob, after the bot');
    const lines = await heard(page);
    // Each told first as what it may carry (its buttons were not known yet), then once as what it is.
    expect(lines.filter((line) => line.endsWith(': [buttons or an attachment]'))).toHaveLength(2);
    expect(lines.filter((line) => line.endsWith(': [buttons: Yes / No]'))).toHaveLength(1);
    expect(lines.filter((line) => line.endsWith(': [attachment]'))).toHaveLength(1);
    expect(lines.findIndex((line) => line.endsWith(': [buttons: Yes / No]'))).toBeGreaterThan(
      lines.findIndex((line) => line.endsWith(': [buttons or an attachment]')),
    );
  });

  it('dates the messages of other days, and those of the day before once midnight passes with the page open', async () => {
    // An emulator and a tab of its own, on clocks set to a day and to the minutes around the next midnight.
    const at = (day: number, hour: number, minute: number) => Date.UTC(2026, 0, day, hour, minute);
    let now = at(13, 9, 30);
    const emulator = await startEmulator({ now: () => now });
    const context = await ui.page.context().browser()!.newContext({ timezoneId: 'UTC', locale: 'en-GB' });
    try {
      emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'Bob, the day before' });
      now = at(14, 23, 58);
      emulator.postMessage({ from: 3, dialogId: 'chat1', text: 'Carol, just before midnight' });
      const page = await context.newPage();
      await page.clock.setFixedTime(at(14, 23, 59)); // Date only: the page's timers run as they do
      const url = new URL(ui.url);
      url.searchParams.set('emulator', emulator.url);
      await page.goto(url.href);
      await page.waitForSelector('body[data-ready="true"]');
      const stamps = () => page.locator('#messages li .time').allTextContents();
      await expect.poll(stamps).toEqual(['13 Jan, 09:30', '23:58']);

      await page.clock.setFixedTime(at(15, 0, 1));
      await expect.poll(stamps).toEqual(['13 Jan, 09:30', '14 Jan, 23:58']);
    } finally {
      await context.close();
      await emulator.close();
    }
  });

  it('does not send on the Enter that ends an IME composition, and shows message text as text, never as HTML', async () => {
    const { page, emulator } = ui;
    const from = Date.now();
    await page.focus('#message');
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Input.imeSetComposition', { text: 'nihao', selectionStart: 5, selectionEnd: 5 });
    // The Enter that picks the candidate: Chromium reports it as composing, key code 229.
    await cdp.send('Input.dispatchKeyEvent', { type: 'rawKeyDown', key: 'Enter', windowsVirtualKeyCode: 229 });
    await cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', key: 'Enter', windowsVirtualKeyCode: 229 });
    await cdp.send('Input.insertText', { text: '你好' });
    await cdp.detach();
    expect(await page.inputValue('#message')).toBe('你好');
    await page.keyboard.press('Enter'); // the next Enter sends it
    await page.locator('#messages li.mine[data-message-id]', { hasText: '你好' }).waitFor();
    expect(messageCalls(from).map((c) => c.error)).toEqual([null]);
    expect(emulator.messages(1).at(-1)?.text).toBe('你好');

    const hostile = '<img src=x onerror="window.injected=1"><b>bold</b> &amp; <script>window.injected=2</script>';
    const id = emulator.postMessage({ from: 2, dialogId: 'chat1', text: hostile });
    const item = page.locator(`#messages li[data-message-id="${id}"]`);
    await expect.poll(() => item.locator('.text').textContent()).toBe(hostile);
    expect(await item.locator('img, b, script').count()).toBe(0);
    expect(await page.evaluate(() => (window as { injected?: number }).injected)).toBeUndefined();
  });

  it('keeps a failed message when the same text is sent again: the new one goes out, the failed one stays "Not sent"', async () => {
    const { page, emulator } = ui;
    const mine = page.locator('#messages li.mine').filter({ has: page.locator('.text', { hasText: /^ok$/ }) });
    emulator.addFault({ method: 'im.message.add', status: 500, error: 'INTERNAL_SERVER_ERROR', times: 1 });
    await page.fill('#message', 'ok');
    await page.press('#message', 'Enter');
    await mine.and(page.locator('.failed')).waitFor();
    // A short answer said again (to the next question, or instead of Retry). The stream reports it before its
    // answer is back (held here, as a slow way back would), so the page knows it by its text only.
    let release = (): void => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route(
      '**/rest/im.message.add',
      async (route) => {
        const response = await route.fetch();
        await held;
        await route.fulfill({ response });
      },
      { times: 1 },
    );
    await page.fill('#message', 'ok');
    await page.press('#message', 'Enter');
    await mine.and(page.locator('[data-message-id]')).waitFor();
    release();
    await page.waitForFunction(() => !document.querySelector('#messages .pending'));
    expect(emulator.messages(1).filter((m) => m.text === 'ok')).toHaveLength(1);
    // The one that did not go out is still there to retry or delete, after the one that did.
    expect(await mine.evaluateAll((items) => items.map((li) => li.className))).toEqual([
      'message mine',
      'message mine failed',
    ]);
    await mine.and(page.locator('.failed')).getByRole('button', { name: 'Delete the unsent message' }).click();
    await page.fill('#message', '');
  });

  it('leaves a message that failed in this tab "Not sent" when another tab of hers sends the same text', async () => {
    // An emulator of its own, whose clock can be put forward: "a minute later" without waiting a minute.
    let ahead = 0;
    const emulator = await startEmulator({ now: () => Date.now() + ahead });
    const browser = ui.page.context().browser()!;
    const url = new URL(ui.url);
    url.searchParams.set('emulator', emulator.url);
    const [here, there] = [await browser.newPage(), await browser.newPage()];
    try {
      for (const tab of [here, there]) {
        await tab.goto(url.href);
        await tab.waitForSelector('body[data-ready="true"]');
      }
      const mine = (text: string) =>
        here.locator('#messages li.mine').filter({ has: here.locator('.text', { hasText: new RegExp(`^${text}$`) }) });
      const classes = (text: string) => mine(text).evaluateAll((items) => items.map((li) => li.className));

      // Refused by the portal here (so not stored); the same words then go out from the other tab.
      emulator.addFault({ method: 'im.message.add', status: 500, error: 'INTERNAL_SERVER_ERROR', times: 1 });
      expect(await trySend(here, 'on my way')).toBe('failed');
      expect(await trySend(there, 'on my way')).toBe('sent');
      await mine('on my way').and(here.locator('[data-message-id]')).waitFor();
      expect(await classes('on my way')).toEqual(['message mine', 'message mine failed']);

      // Its answer lost here (the connection broke: it may have been stored), the other tab says the same a minute
      // later: that is not this one's echo either.
      await here.route('**/rest/im.message.add', (route) => route.abort(), { times: 1 });
      expect(await trySend(here, 'done')).toBe('failed');
      ahead = 60_000;
      expect(await trySend(there, 'done')).toBe('sent');
      await mine('done').and(here.locator('[data-message-id]')).waitFor();
      expect(await classes('done')).toEqual(['message mine', 'message mine failed']);
      expect(emulator.messages(1).map((m) => m.text)).toEqual(['on my way', 'done']);
    } finally {
      await here.close();
      await there.close();
      await emulator.close();
    }
  });

  it('leaves her reading older messages in place when she writes from another tab: the "New messages" button says it came', async () => {
    const { page, emulator } = ui;
    for (let i = 0; i < 20; i++) emulator.postMessage({ from: 3, dialogId: 'chat1', text: `a long chat, line ${i}` });
    await page.locator('#messages li .text', { hasText: 'a long chat, line 19' }).waitFor();
    const other = await page.context().browser()!.newPage();
    try {
      await other.goto(ui.url);
      await other.waitForSelector('body[data-ready="true"]');
      await scrollToTop(page);
      expect(await trySend(other, 'sent from my other tab')).toBe('sent');
      await page.locator('#messages li.mine[data-message-id]', { hasText: 'sent from my other tab' }).waitFor();
      // Only what she sends from this tab brings this tab to the end.
      expect(await page.$eval('#messages', (list) => list.scrollTop)).toBe(0);
      await page.locator('#jump').waitFor();
      await page.click('#jump');
      expect(await page.isHidden('#jump')).toBe(true);
    } finally {
      await other.close();
    }
  });

  it("says what her indicator does in words, and a bot's status as the portal words it (no event names, no codes)", async () => {
    const { page, emulator } = ui;
    // Before her first key, a page just opened says it in words too (not the library's "idle").
    const fresh = await page.context().browser()!.newPage();
    try {
      await fresh.goto(ui.url);
      await fresh.waitForSelector('body[data-ready="true"]');
      expect(await fresh.textContent('#mine')).toBe('Not shown: the others see you typing once you type');
    } finally {
      await fresh.close();
    }
    await page.focus('#message');
    await page.keyboard.type('be right back');
    await expect.poll(() => page.textContent('#mine')).toMatch(/^Shown: the others see you typing · /);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.textContent('#mine')).toMatch(/^Hidden by your message · /);
    expect(await page.getAttribute('#mine', 'title')).toBe('stopped (sent)');

    const agent = page.locator('#live li[data-sender="10"]');
    await agentStatus(emulator, 'IMBOT_AGENT_ACTION_GENERATING', 5);
    await expect.poll(() => page.textContent('#typing-text')).toBe('Agent is preparing a response…');
    await expect.poll(() => agent.textContent()).toContain('Agent is preparing a response…');
    // The panel's heading (its name as a region) says what it lists: a bot's status is not typing.
    const panel = page.getByRole('region', { name: 'Typing and bot activity' });
    expect(await panel.count()).toBe(1);
    expect(await panel.locator('#live li[data-sender="10"]').textContent()).toContain('Agent is preparing a response…');
    // A code the portal does not know shows as plain typing there: here too, not as the code.
    await agentStatus(emulator, 'IMBOT_CUSTOM_STEP', 5);
    await expect.poll(() => page.textContent('#typing-text')).toBe('Agent is typing…');
    await expect.poll(() => agent.textContent()).toContain('Agent is typing…');
    await agentStatus(emulator, 'IMBOT_AGENT_ACTION_THINKING', 1); // clears within a second
    await expect.poll(() => page.textContent('#typing-text'), { timeout: 5_000 }).toBe('');
  });

  it('says her indicator fades out when she leaves the tab mid-message, not that a message of hers hid it', async () => {
    const { page } = ui;
    await page.focus('#message');
    await page.keyboard.type('half a thought');
    await expect.poll(() => page.textContent('#mine')).toMatch(/^(Shown|Still shown): /);
    try {
      await setVisibility(page, 'hidden'); // another tab in front: the library stops renewing it (a `sent` stop)
      await expect.poll(() => page.getAttribute('#mine', 'title')).toBe('stopped (sent)');
      expect(await page.textContent('#mine')).toMatch(/^Not renewed while the page is hidden, so it fades out · /);
      expect(ui.emulator.messages(1).at(-1)?.text).not.toBe('half a thought'); // nothing was sent
    } finally {
      await page.evaluate(() => {
        delete (document as { visibilityState?: unknown }).visibilityState;
        delete (document as { hidden?: unknown }).hidden;
        (document.getElementById('message') as HTMLTextAreaElement).value = '';
      });
    }
  });

  it('isolates right-to-left names in the typing line, the panel and the members: the sentence keeps its order', async () => {
    const { page, emulator } = ui;
    const users = joinChat1([
      { name: 'سارة', lastName: 'أحمد' },
      { name: 'דנה', lastName: 'לוי' },
    ]);
    for (const user of users) {
      await typeAs(emulator, user);
    }
    const names = ['سارة أحمد', 'דנה לוי'];
    await expect.poll(() => page.textContent('#typing-text')).toBe(`${names[0]} and ${names[1]} are typing…`);
    await expect.poll(() => page.textContent('#chat-sub')).toContain(names[1]);
    /** Each name as an element of its own, isolated from the words around it and right to left inside. */
    const isolated = (selector: string) =>
      page.$$eval(selector, (elements) =>
        elements.map((container) => ({
          ltr: container.matches(':dir(ltr)'),
          names: [...container.querySelectorAll('*')]
            .filter((e) => getComputedStyle(e).unicodeBidi === 'isolate' && e.matches(':dir(rtl)'))
            .map((e) => e.textContent),
        })),
      );
    expect(await isolated('#typing-text')).toEqual([{ ltr: true, names }]);
    expect(await isolated(users.map((id) => `#live li[data-sender="${id}"]`).join(', '))).toEqual([
      { ltr: true, names: [names[0]] },
      { ltr: true, names: [names[1]] },
    ]);
    expect(await isolated('#chat-sub')).toEqual([{ ltr: true, names }]);
    for (const user of users) emulator.postMessage({ from: user, dialogId: 'chat1', text: 'שלום' });
    await expect.poll(() => page.textContent('#typing-text')).toBe('');
  });

  it('names the Retry and Delete of each "Not sent" message after its text: a screen reader listing buttons tells them apart', async () => {
    const { page, emulator } = ui;
    emulator.addFault({ method: 'im.message.add', status: 500, error: 'INTERNAL_SERVER_ERROR', times: 3 });
    const long = `a much longer message ${'that goes on '.repeat(10)}`;
    // Cut where a flag is (two code points, one character): it is kept whole, not read as a lone letter symbol.
    const flagged = `${'o'.repeat(38)}🇩🇪 is where this one is cut`;
    for (const text of ['see you at 5', long, flagged]) expect(await trySend(page, text)).toBe('failed');
    const names = await page
      .locator('#messages li.failed')
      .getByRole('button')
      .evaluateAll((buttons) => buttons.map((b) => b.getAttribute('aria-label') ?? b.textContent));
    // The visible word first (what a person using voice control says), then which message, a long one cut short.
    const cut = `${long.slice(0, 39)}…`;
    expect(names).toEqual([
      'Retry: see you at 5',
      'Delete the unsent message: see you at 5',
      `Retry: ${cut}`,
      `Delete the unsent message: ${cut}`,
      `Retry: ${'o'.repeat(38)}🇩🇪…`,
      `Delete the unsent message: ${'o'.repeat(38)}🇩🇪…`,
    ]);
    for (const name of names.filter((n) => n.startsWith('Delete'))) {
      await page.getByRole('button', { name, exact: true }).click();
    }
    expect(await page.locator('#messages li.failed').count()).toBe(0);
    await page.fill('#message', '');
  });

  it('gives every control a target of 24 by 24 px or more (WCAG 2.5.8), on a phone and on a desktop', async () => {
    const { page, emulator } = ui;
    /**
     * The controls shown (the phone has no side panel) whose target is under 24 × 24 CSS px and not saved by the
     * spacing exception: a 24 px circle on its centre meets another target, or another small one's circle.
     */
    const tooSmall = () =>
      page.evaluate(() => {
        const targets = [...document.querySelectorAll<HTMLElement>('#send, #jump, .send-error button, #chat-link')]
          .filter((e) => e.getClientRects().length > 0)
          .map((e) => ({ name: e.getAttribute('aria-label') ?? e.textContent!, box: e.getBoundingClientRect() }));
        const small = (box: DOMRect) => box.width < 24 || box.height < 24;
        const centre = (box: DOMRect) => [box.x + box.width / 2, box.y + box.height / 2] as const;
        /** How far a point is from a box (0 inside it). */
        const distance = ([x, y]: readonly [number, number], box: DOMRect) =>
          Math.hypot(Math.max(box.left - x, 0, x - box.right), Math.max(box.top - y, 0, y - box.bottom));
        return targets
          .filter(({ box }) => small(box))
          .filter(({ box }) =>
            targets.some(
              (other) =>
                other.box !== box &&
                (distance(centre(box), other.box) < 12 ||
                  (small(other.box) && Math.hypot(...centre(box).map((c, i) => c - centre(other.box)[i]!)) < 24)),
            ),
          )
          .map(({ name, box }) => `${name}: ${Math.round(box.width * 10) / 10} × ${Math.round(box.height * 10) / 10}`);
      });
    for (let i = 0; i < 20; i++) emulator.postMessage({ from: 2, dialogId: 'chat1', text: `filler ${i}` });
    await page.locator('#messages li .text', { hasText: 'filler 19' }).waitFor();
    // Two: what is sending stays at the end, so only the first one's buttons can be read back to.
    emulator.addFault({ method: 'im.message.add', status: 500, error: 'INTERNAL_SERVER_ERROR', times: 2 });
    for (const text of ['not sent, its buttons to be pressed on a phone', 'not sent either']) {
      expect(await trySend(page, text)).toBe('failed');
    }
    for (const viewport of [
      { width: 1100, height: 680 },
      { width: 360, height: 640 },
    ]) {
      await page.setViewportSize(viewport);
      await expect.poll(async () => (await layout()).atEnd).toBe(true);
      expect(await tooSmall()).toEqual([]);
      await scrollToTop(page);
      for (const n of [1, 2])
        emulator.postMessage({ from: 3, dialogId: 'chat1', text: `news ${n} at ${viewport.width} px` });
      await page.locator('#messages li .text', { hasText: `news 2 at ${viewport.width} px` }).waitFor();
      await page.locator('#jump').waitFor();
      expect(await tooSmall()).toEqual([]);
      // Read back to where the first note's Delete sits just above the "New messages" button (both on the right).
      await page.$eval('#messages', async (list) => {
        const above = document.getElementById('jump')!.getBoundingClientRect().top - 2;
        const remove = list.querySelector('.send-error button:last-child')!;
        list.scrollTop += remove.getBoundingClientRect().bottom - above;
        for (let i = 0; i < 2; i++) await new Promise(requestAnimationFrame);
      });
      expect(await page.isVisible('#jump')).toBe(true);
      expect(await tooSmall()).toEqual([]);
      await page.click('#jump');
      await expect.poll(async () => (await layout()).atEnd).toBe(true); // its scroll handled before the resize
    }
    await page.setViewportSize({ width: 1100, height: 680 });
    for (const text of ['not sent, its buttons', 'not sent either']) {
      await page.locator('#messages li.failed', { hasText: text }).getByRole('button', { name: 'Delete' }).click();
    }
    await page.fill('#message', '');
  });

  it('lets someone on the keyboard alone read back through the chat, also with a "Not sent" message in it', async () => {
    const { page, emulator } = ui;
    const scrollTop = () => page.$eval('#messages', (list) => list.scrollTop);
    for (let i = 0; i < 20; i++) emulator.postMessage({ from: 3, dialogId: 'chat1', text: `to read back, line ${i}` });
    await page.locator('#messages li .text', { hasText: 'to read back, line 19' }).waitFor();
    emulator.addFault({ method: 'im.message.add', status: 500, error: 'INTERNAL_SERVER_ERROR', times: 1 });
    await page.focus('#message');
    await page.keyboard.type('not sent, its buttons in the list');
    await page.keyboard.press('Enter');
    const failed = page.locator('#messages li.failed', { hasText: 'not sent, its buttons in the list' });
    await failed.getByRole('button', { name: 'Retry' }).waitFor();
    await expect.poll(async () => (await layout()).atEnd).toBe(true);
    // Shift+Tab from the composer: the note's Delete and Retry, then the list itself, which Page Up scrolls. (With
    // buttons in it, Chromium no longer makes a scrolling list focusable by itself: only its buttons were reached.)
    const reached: string[] = [];
    while (reached.length < 4 && reached.at(-1) !== 'messages') {
      await page.keyboard.press('Shift+Tab');
      reached.push(await page.evaluate(() => document.activeElement!.id || document.activeElement!.tagName));
    }
    expect(reached).toEqual(['BUTTON', 'BUTTON', 'messages']);
    const atEnd = await scrollTop();
    await page.keyboard.press('PageUp');
    await expect.poll(scrollTop).toBeLessThan(atEnd - 100);
    await page.keyboard.press('End');
    await expect.poll(async () => (await layout()).atEnd).toBe(true);
    await failed.getByRole('button', { name: 'Delete the unsent message' }).click();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('message');
    await page.fill('#message', '');
  });

  it('takes Page Up or the wheel toward older messages as reading back at once: one that comes as the scroll starts does not pull her down', async () => {
    const { page, emulator } = ui;
    for (let i = 0; i < 20; i++) emulator.postMessage({ from: 3, dialogId: 'chat1', text: `older, line ${i}` });
    await page.locator('#messages li .text', { hasText: 'older, line 19' }).waitFor();
    /** Where the list is once its (smooth) scroll has stopped: the same over two frames. */
    const settled = async () => {
      let last = -1;
      for (;;) {
        const now = await page.$eval('#messages', async (list) => {
          for (let i = 0; i < 2; i++) await new Promise(requestAnimationFrame);
          return { top: list.scrollTop, fromEnd: list.scrollHeight - list.scrollTop - list.clientHeight };
        });
        if (now.top === last) return now;
        last = now.top;
      }
    };
    const actions = {
      'the wheel': () => page.mouse.wheel(0, -300),
      'Page Up': () => page.keyboard.press('PageUp'),
    };
    for (const [action, act] of Object.entries(actions)) {
      await page.focus('#messages');
      await page.keyboard.press('End');
      await expect.poll(async () => (await layout()).atEnd).toBe(true);
      const box = (await page.locator('#messages').boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      // Bob's message reaches the emulator in the key's (or wheel's) own event, before the list has moved a pixel:
      // the page hears of it as its scroll starts, while the list is still within 40 px of its end.
      const text = `sent as she pressed ${action}`;
      await page.evaluate(
        ({ url, text }) => {
          const post = () => {
            const request = new XMLHttpRequest();
            request.open('POST', `${url}/_emulator/messages`, false); // synchronous: posted before the scroll starts
            request.send(JSON.stringify({ from: 2, dialogId: 'chat1', text }));
          };
          for (const type of ['keydown', 'wheel']) window.addEventListener(type, post, { capture: true, once: true });
          const done = () => {
            for (const type of ['keydown', 'wheel']) window.removeEventListener(type, post, { capture: true });
          };
          window.addEventListener('scroll', done, { capture: true, once: true });
        },
        { url: emulator.url, text },
      );
      await act();
      await page.locator('#messages li .text', { hasText: text }).waitFor();
      const where = await settled();
      expect(where.fromEnd, action).toBeGreaterThan(100); // still reading back
      expect(await page.isVisible('#jump'), action).toBe(true); // and told that something came
    }
    await page.click('#jump');
    await page.focus('#message');
  });

  it('takes a swipe toward older messages on a phone as reading back at once: one that comes as it starts does not pull her down', async () => {
    const { emulator } = ui;
    // A phone: a touch screen, a narrow window. The finger is moved by the browser's own input (CDP), step by step.
    const context = await ui.page
      .context()
      .browser()!
      .newContext({
        hasTouch: true,
        viewport: { width: 360, height: 640 },
      });
    try {
      const page = await context.newPage();
      await page.goto(ui.url);
      await page.waitForSelector('body[data-ready="true"]');
      for (let i = 0; i < 20; i++) emulator.postMessage({ from: 3, dialogId: 'chat1', text: `swiped past, line ${i}` });
      await page.locator('#messages li .text', { hasText: 'swiped past, line 19' }).waitFor();
      const fromEnd = () => page.$eval('#messages', (list) => list.scrollHeight - list.scrollTop - list.clientHeight);
      await expect.poll(fromEnd).toBeLessThan(2);
      const cdp = await context.newCDPSession(page);
      const box = (await page.locator('#messages').boundingBox())!;
      const x = Math.round(box.x + box.width / 2);
      let y = Math.round(box.y + box.height / 3);
      const touch = (type: 'touchStart' | 'touchMove' | 'touchEnd') =>
        cdp.send('Input.dispatchTouchEvent', { type, touchPoints: type === 'touchEnd' ? [] : [{ x, y }] });
      const frame = () => page.evaluate(() => new Promise(requestAnimationFrame));
      await touch('touchStart');
      // The finger starts down the screen (older messages come into view): its first pixels are within 40 of the end.
      while ((await fromEnd()) < 10) {
        y += 4;
        await touch('touchMove');
        await frame();
      }
      const before = await fromEnd();
      expect(before).toBeLessThan(40);
      const text = 'sent as she started to swipe';
      emulator.postMessage({ from: 2, dialogId: 'chat1', text });
      await page.locator('#messages li .text', { hasText: text }).waitFor();
      await frame();
      expect(await fromEnd()).toBeGreaterThanOrEqual(before); // not pulled back down under her finger
      for (let i = 0; i < 40; i++) {
        y += 5;
        await touch('touchMove');
      }
      await touch('touchEnd');
      await expect.poll(fromEnd).toBeGreaterThan(100); // still reading back
      expect(await page.isVisible('#jump')).toBe(true); // and told that something came
    } finally {
      await context.close();
    }
  });

  it('scrolls the list on a phone by a swipe that starts on the "New messages" button, which a tap still presses', async () => {
    const { emulator } = ui;
    const context = await ui.page
      .context()
      .browser()!
      .newContext({ hasTouch: true, viewport: { width: 360, height: 640 } });
    try {
      const page = await context.newPage();
      await page.goto(ui.url);
      await page.waitForSelector('body[data-ready="true"]');
      for (let i = 0; i < 20; i++)
        emulator.postMessage({ from: 3, dialogId: 'chat1', text: `over the button, line ${i}` });
      await page.locator('#messages li .text', { hasText: 'over the button, line 19' }).waitFor();
      await scrollToTop(page);
      emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'came while she read, under the button' });
      await page.locator('#jump').waitFor();
      const scrollTop = () => page.$eval('#messages', (list) => list.scrollTop);
      const fromEnd = () => page.$eval('#messages', (list) => list.scrollHeight - list.scrollTop - list.clientHeight);
      const cdp = await context.newCDPSession(page);
      const box = (await page.locator('#jump').boundingBox())!;
      const x = Math.round(box.x + box.width / 2);
      const y = Math.round(box.y + box.height / 2);
      const touch = (type: 'touchStart' | 'touchMove' | 'touchEnd', at: number) =>
        cdp.send('Input.dispatchTouchEvent', { type, touchPoints: type === 'touchEnd' ? [] : [{ x, y: at }] });
      /** A finger put on the button and moved `by` px (up: newer messages come into view), step by step. */
      const swipe = async (by: number) => {
        await touch('touchStart', y);
        for (let moved = 0; Math.abs(moved) < Math.abs(by); moved += Math.sign(by) * 5)
          await touch('touchMove', y + moved);
        await touch('touchMove', y + by);
        await touch('touchEnd', y + by);
      };
      // Up the screen: the list scrolls toward newer messages, as under a finger anywhere else; not a press.
      await swipe(-150);
      await expect.poll(scrollTop).toBeGreaterThan(100);
      expect(await fromEnd()).toBeGreaterThan(100);
      expect(await page.isVisible('#jump')).toBe(true);
      // Down again: back toward older ones.
      const reached = await scrollTop();
      await swipe(100);
      await expect.poll(scrollTop).toBeLessThan(reached - 50);
      expect(await page.isVisible('#jump')).toBe(true);
      // A tap is a press: to the end.
      await touch('touchStart', y);
      await touch('touchEnd', y);
      await expect.poll(fromEnd).toBeLessThan(2);
      await expect.poll(() => page.isHidden('#jump')).toBe(true);
    } finally {
      await context.close();
    }
  });

  it('wraps a long unbroken chat title and names (header, typing line, side panel), desktop and phone: nothing cut off', async () => {
    const { page, emulator } = ui;
    const { users, chats } = emulator.seed({
      users: [{ name: 'MaximilianeKonstantinaWilhelmina', lastName: 'SchwarzenbergHohenloheLangenburg' }],
      chats: [{ title: 'QuarterlyPlanningAndRetrospectiveForTheInfrastructureTeam2026', members: [1] }],
    });
    const [user, chat] = [users[0]!, chats[0]!];
    emulator.seed({ members: [[chat, user]] });
    const url = new URL(ui.url);
    url.searchParams.set('dialog', `chat${chat}`);
    const tab = await page
      .context()
      .browser()!
      .newPage({ viewport: { width: 1100, height: 680 } });
    try {
      await tab.goto(url.href);
      await tab.waitForSelector('body[data-ready="true"]');
      /** What sticks out of its box or of the window (it is cut off: the page does not scroll sideways). */
      const cut = () =>
        tab.evaluate(() =>
          ['#chat-title', '#chat-sub', '#typing-text', '#chat-link-title', '#live li span:not(.avatar)']
            .flatMap((selector) => [...document.querySelectorAll<HTMLElement>(selector)].map((e) => [selector, e]))
            .filter(([, e]) => (e as HTMLElement).getClientRects().length > 0) // shown (the phone has no side panel)
            .filter(([, e]) => {
              const element = e as HTMLElement;
              const box = element.getBoundingClientRect();
              return element.scrollWidth > element.clientWidth + 1 || box.right > window.innerWidth + 1;
            })
            .map(([selector]) => selector),
        );
      for (const viewport of [
        { width: 1100, height: 680 },
        { width: 360, height: 640 },
      ]) {
        await tab.setViewportSize(viewport);
        await typeAs(emulator, user, `chat${chat}`);
        await tab.getByRole('status').filter({ hasText: 'is typing' }).waitFor();
        expect(await cut()).toEqual([]);
      }
    } finally {
      await tab.close();
    }
  });

  it('writes right-to-left text right to left, and starts an avatar with a whole emoji', async () => {
    const { page, emulator } = ui;
    // Hebrew ending in a question mark: read from the right, the mark ends it on the left.
    const id = emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'שלום, מה שלומך?' });
    const text = page.locator(`#messages li[data-message-id="${id}"] .text`);
    await text.waitFor();
    const [first, mark] = await text.evaluate((element) => {
      const left = (i: number) => {
        const range = document.createRange();
        range.setStart(element.firstChild!, i);
        range.setEnd(element.firstChild!, i + 1);
        return range.getBoundingClientRect().left;
      };
      return [left(0), left(element.textContent!.length - 1)];
    });
    expect(mark).toBeLessThan(first!);
    // The composer follows what is typed in it: Arabic right to left, then English left to right again.
    await page.fill('#message', 'مرحبا، كيف حالك؟');
    expect(await page.$eval('#message', (e) => e.matches(':dir(rtl)'))).toBe(true);
    await page.fill('#message', 'hello');
    expect(await page.$eval('#message', (e) => e.matches(':dir(ltr)'))).toBe(true);
    await page.fill('#message', '');

    // A chat titled, and a person named, with an emoji first: the avatars show it, not half of it.
    const { users, chats } = emulator.seed({
      users: [{ name: '🦊 Fox' }],
      chats: [{ title: '🚀 Launch', members: [1] }],
    });
    emulator.seed({ members: [[chats[0]!, users[0]!]] });
    emulator.postMessage({ from: users[0]!, dialogId: `chat${chats[0]}`, text: 'lift-off' });
    const url = new URL(ui.url);
    url.searchParams.set('dialog', `chat${chats[0]}`);
    const tab = await page.context().browser()!.newPage();
    try {
      await tab.goto(url.href);
      await tab.waitForSelector('body[data-ready="true"]');
      await tab.locator('#messages li', { hasText: 'lift-off' }).waitFor();
      const avatars = ['#header-avatar', '#chat-avatar', '#messages .avatar'].map((s) => tab.textContent(s));
      expect(await Promise.all(avatars)).toEqual(['🚀', '🚀', '🦊']);
    } finally {
      await tab.close();
    }
  });

  it('aligns every line of a right-to-left message from the right, the short last one of a wrapped or multi-line one too', async () => {
    const { page, emulator } = ui;
    const id = emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'שלום לכולם, מה שלומכם היום בבוקר?\nטוב' });
    const text = page.locator(`#messages li[data-message-id="${id}"] .text`);
    await text.waitFor();
    // Where each line starts, read from the right: the first letter of each line is its rightmost.
    const [firstLine, lastLine] = await text.evaluate((element) => {
      const right = (i: number) => {
        const range = document.createRange();
        range.setStart(element.firstChild!, i);
        range.setEnd(element.firstChild!, i + 1);
        return range.getBoundingClientRect().right;
      };
      return [right(0), right(element.textContent!.indexOf('\n') + 1)];
    });
    expect(Math.abs(lastLine! - firstLine!)).toBeLessThan(2);
  });

  it('keeps the lines of a long message short enough to read in a very wide window (WCAG 1.4.8: 80 characters)', async () => {
    const { page, emulator } = ui;
    const id = emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'a long line of words to read, '.repeat(40) });
    const text = page.locator(`#messages li[data-message-id="${id}"] .text`);
    await text.waitFor();
    try {
      for (const width of [2560, 3840]) {
        await page.setViewportSize({ width, height: 1200 });
        // The characters of its first line: up to the first one drawn lower down.
        const firstLine = await text.evaluate((element) => {
          const top = (i: number) => {
            const range = document.createRange();
            range.setStart(element.firstChild!, i);
            range.setEnd(element.firstChild!, i + 1);
            return range.getBoundingClientRect().top;
          };
          let i = 1;
          while (i < element.textContent!.length && top(i) === top(0)) i++;
          return i;
        });
        expect(firstLine).toBeLessThanOrEqual(80);
      }
    } finally {
      await page.setViewportSize({ width: 1100, height: 680 });
    }
  });

  it('says a message to a chat she is not in (or one that is gone) was not added for that, and keeps its words', async () => {
    const { page, emulator } = ui;
    // Bob's chat, which Alice is not in, and one that does not exist: `im.message.add` answers both with PARAMS_ERROR
    // "Message isn't added" (the send refuses them), where it once answered ACCESS_ERROR.
    const { chats } = emulator.seed({ chats: [{ title: 'Bob only', members: [2] }] });
    for (const dialog of [`chat${chats[0]}`, 'chat999']) {
      const url = new URL(ui.url);
      url.searchParams.set('dialog', dialog);
      const tab = await page.context().browser()!.newPage();
      try {
        await tab.goto(url.href);
        await tab.waitForSelector('body[data-ready="true"]');
        await tab.focus('#message');
        await tab.keyboard.type('let me in');
        await tab.keyboard.press('Enter');
        const failed = tab.locator('#messages li.mine.failed', { hasText: 'let me in' });
        const why = failed.getByRole('alert').locator('span');
        await why.waitFor();
        // Not "the portal refused it", which has her press Retry, refused the same way every time.
        expect(await why.textContent()).toBe('Not sent: you are not in this chat, or it no longer exists.');
        expect(await why.getAttribute('title')).toBe('PARAMS_ERROR');
        // Her words are not lost: Delete gives them back to the composer.
        await failed.getByRole('button', { name: 'Delete the unsent message' }).click();
        expect(await tab.inputValue('#message')).toBe('let me in');
      } finally {
        await tab.close();
      }
    }
    expect(emulator.messages(chats[0]!)).toEqual([]);
  });

  it('says a pasted text too long for the portal is too long, not only that the portal refused it', async () => {
    const { page } = ui;
    // More than the emulator takes in one request (1 MiB): a log file pasted whole, say.
    await page.fill('#message', 'x'.repeat(1_100_000));
    await page.press('#message', 'Enter');
    const failed = page.locator('#messages li.mine.failed');
    const why = failed.getByRole('alert').locator('span');
    await why.waitFor();
    expect(await why.textContent()).toBe('Not sent: it is too long for the portal; shorten it or send it in parts.');
    await failed.getByRole('button', { name: 'Delete the unsent message' }).click();
    await page.fill('#message', '');
  });

  it('shows her message as the portal keeps it (past 20,000 characters cut, [BR] a new line), once also when its answer is lost', async () => {
    const { page, emulator } = ui;
    const mine = page.locator('#messages li.mine');
    const sent = page.locator('#messages li.mine[data-message-id]:not(.pending)');
    /** A text as long as these, told by its length and its end (not 20,000 characters in a failure's diff). */
    const told = (text: string | null) => ({ length: text?.length, end: text?.slice(-30) });
    // A paste over the portal's limit: everyone else reads its first 20,000 characters and " (...)", and so does she.
    const long = `${'a'.repeat(19_990)} and the rest of the log`;
    await page.fill('#message', long);
    await page.press('#message', 'Enter');
    await sent.waitFor();
    expect(told(await sent.locator('.text').textContent())).toEqual(told(`${long.slice(0, 20_000)} (...)`));

    // Stored, its answer broken: the echo, in the portal's words, is this message, not another beside a "Not sent" one
    // (whose Retry would post it twice).
    for (const [text, kept] of [
      [`${'b'.repeat(20_010)}`, `${'b'.repeat(20_000)} (...)`],
      ['see you[BR]tomorrow', 'see you\ntomorrow'],
    ] as const) {
      const before = await mine.count();
      emulator.addFault({ method: 'im.message.add', truncate: true, times: 1 });
      await page.fill('#message', text);
      await page.press('#message', 'Enter');
      await expect.poll(() => emulator.faults().length).toBe(0);
      await expect.poll(() => sent.count()).toBe(before + 1);
      await page.waitForFunction(() => !document.querySelector('#messages .pending'));
      expect(await mine.count()).toBe(before + 1);
      expect(await page.locator('#messages .failed').count()).toBe(0);
      expect(told(await sent.last().locator('.text').textContent())).toEqual(told(kept));
    }
    expect(
      emulator
        .messages(1)
        .slice(-3)
        .map((m) => told(m.text)),
    ).toEqual([`${long.slice(0, 20_000)} (...)`, `${'b'.repeat(20_000)} (...)`, 'see you\ntomorrow'].map(told));
  });
});
