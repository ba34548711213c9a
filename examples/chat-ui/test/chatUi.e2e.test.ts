import { prng } from '@b24-typing/test-utils';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pausedTab } from './pausedTab';
import type { ChatUi } from './startChatUi';
import { startChatUi } from './startChatUi';
import { keyTimes, ME, recordKeyTimes, recordSendTimes, sendTimes, typeLikeAPerson, writingCalls } from './timeline';

// A 2 s client lifetime (the real one is 25 s) keeps the waits short; the app's policy matches it.
const POLICY = { lifetimeMs: 2000, marginMs: 500, idleMs: 1000 };
const PERIOD = POLICY.lifetimeMs - POLICY.marginMs;

let ui: ChatUi;
beforeAll(async () => {
  ui = await startChatUi({ clientLifetimeSec: POLICY.lifetimeMs / 1000, policy: POLICY });
  await recordKeyTimes(ui.page);
  await recordSendTimes(ui.page);
});
afterAll(() => ui?.close());

/** Each test starts from idle: Alice's indicator lapsed in the emulator and the app stopped renewing it. */
beforeEach(async () => {
  await expect.poll(() => ui.emulator.indicators().filter((i) => i.senderId === ME), { timeout: 6_000 }).toEqual([]);
  // And the page stopped renewing it (its panel's title is the library's last event): no timer of it still runs.
  await expect
    .poll(() => ui.page.getAttribute('#mine', 'title'), { timeout: 6_000 })
    .toSatisfy(
      (title: string | null) => title === null || title.startsWith('stopped') || title === 'dropped (stopped)',
    );
  await setDraft('');
});

/** Sets the composer's text the way a program does (no input event), unlike typing or pasting. */
const setDraft = (text: string) =>
  ui.page.evaluate((t) => {
    (document.getElementById('message') as HTMLTextAreaElement).value = t;
  }, text);

const live = () => ui.page.locator(`#live li[data-sender="${ME}"]`);

/**
 * Types on (a key every ~80 ms) until a call has gone out while typing and `sinceCallMs` have passed since it, so
 * the next renewal is due a moment later with a key well within idleMs.
 */
async function typeUntilRenewalDue(sinceCallMs: number): Promise<void> {
  const { page } = ui;
  const calls = (await sendTimes(page)).length;
  for (const char of ' and this goes out right before a renewal is due, typed on without a pause'.repeat(3)) {
    const times = await sendTimes(page);
    if (times.length > calls && Date.now() >= times.at(-1)! + sinceCallMs) return;
    await page.keyboard.type(char);
    await page.waitForTimeout(80);
  }
  throw new Error('no call went out while typing');
}

describe('the chat example in Chromium, against the emulator', () => {
  it('shows "typing" in the panel, hides it with the message, sends nothing after it and starts at once on the next key', async () => {
    const { page, emulator } = ui;
    await page.focus('#message');
    await typeLikeAPerson(page, 'Works for me, the dots show up.', prng(1));
    await expect.poll(() => live().textContent()).toContain('typing');
    // Send a moment before the next renewal is due, the last key still recent: then only the send can stop it.
    await typeUntilRenewalDue(PERIOD - 300);

    await page.keyboard.press('Enter');
    const message = page.locator('#messages li.mine .text', { hasText: 'Works for me, the dots show up.' });
    await message.waitFor();
    expect(await page.inputValue('#message')).toBe('');
    await expect.poll(() => live().count()).toBe(0);
    // Hidden by the message, not by the indicator lapsing (the last call keeps it up ~800 ms after the send).
    expect(Date.now()).toBeLessThan(writingCalls(emulator).at(-1)!.visibleUntil! - 300);
    const sent = emulator.timeline().find((e) => e.kind === 'message' && e.authorId === ME)!;
    const hidden = emulator.timeline().find((e) => e.kind === 'hide' && e.senderId === ME && e.cause === 'message');
    expect(Math.abs(hidden!.seq - sent.seq)).toBe(1); // the message itself hid the indicator

    // No call after the send (the message hid the indicator; nobody is typing): not the renewal that was due a period
    // after her last call. Once that time is past, her next key is the marker: its call is the first since the send.
    const due = writingCalls(emulator).at(-1)!.time + PERIOD;
    await expect.poll(() => Date.now(), { timeout: 2 * PERIOD }).toBeGreaterThan(due + 200);

    // The next key starts a fresh indicator at once.
    await page.keyboard.type('A');
    await expect.poll(() => writingCalls(emulator, sent.time).length).toBeGreaterThan(0);
    const key = (await keyTimes(page)).at(-1)!;
    expect(writingCalls(emulator, sent.time)).toHaveLength(1);
    const call = writingCalls(emulator, sent.time)[0]!;
    console.log(`call ${call.time - key} ms after the first key following a send`);
    expect(call.time - key).toBeGreaterThanOrEqual(0);
    expect(call.time - key).toBeLessThan(100);
    await expect.poll(() => live().textContent()).toContain('typing');
  });

  it('sends no renewal after her Enter while the portal takes its time to store the message', async () => {
    const { page, emulator } = ui;
    // Her Enter, not the portal's answer, stops the renewals: answered a second later, a renewal due in between must
    // not go out (the test above cannot tell the two apart: its message is stored before the renewal is due).
    emulator.addFault({ method: 'im.message.add', latencyMs: 1_000, times: 1 });
    await page.focus('#message');
    await typeUntilRenewalDue(PERIOD - 300);
    await page.keyboard.press('Enter');
    const enter = (await keyTimes(page)).at(-1)!;
    const stored = () => emulator.timeline().find((e) => e.kind === 'message' && e.authorId === ME && e.time >= enter);
    await expect.poll(stored, { timeout: 5_000 }).toBeDefined();
    // A renewal was due (a period after the last call before her Enter) well before the portal stored it.
    const due = (await sendTimes(page)).filter((t) => t < enter).at(-1)! + PERIOD;
    expect(stored()!.time).toBeGreaterThan(due + 300);
    expect((await sendTimes(page)).filter((t) => t >= enter)).toEqual([]);
    expect(writingCalls(emulator, enter)).toEqual([]);
    await expect.poll(() => live().count()).toBe(0);
  });

  it('shows her typing the next message at once when the one she sent before is stored after its first keys', async () => {
    const { page, emulator } = ui;
    // Slow to go out (a portal far away, or held behind a slow one): she is typing the next one by the time it is
    // stored, and storing it hides her indicator, the one those keys showed.
    emulator.addFault({ method: 'im.message.add', latencyMs: 600, times: 1 });
    const keys = (await keyTimes(page)).length;
    await page.focus('#message');
    await page.keyboard.type('slow to go out');
    await page.keyboard.press('Enter');
    await page.keyboard.type('and the next one, typed on at once', { delay: 100 });
    const stored = emulator.timeline().find((e) => e.kind === 'message' && e.text === 'slow to go out')!;
    const hidden = emulator
      .timeline()
      .find((e) => e.kind === 'hide' && e.senderId === ME && e.cause === 'message' && e.seq > stored.seq - 2);
    expect(hidden).toBeDefined();
    const typedBeforeIt = writingCalls(emulator).filter((c) => c.shown && c.seq < hidden!.seq);
    // A key of the next one showed her first. (After her Enter, not after her message went out: that waits for her
    // typing call still on its way, if any, which her next key may outrun.)
    const enter = (await keyTimes(page))[keys + 'slow to go out'.length]!;
    expect(typedBeforeIt.at(-1)!.time).toBeGreaterThanOrEqual(enter);
    // She types on: the others see it again within a key or two, not at the next renewal (22 s with the real policy).
    const again = writingCalls(emulator).find((c) => c.shown && c.seq > hidden!.seq);
    expect(again).toBeDefined();
    console.log(`shown again ${again!.time - hidden!.time} ms after her message hid her indicator`);
    expect(again!.time - hidden!.time).toBeLessThan(400);
    await expect.poll(() => live().textContent()).toContain('typing');
  });

  it('never shows her typing after her message when she sends while her first key’s call is still on its way', async () => {
    const { page, emulator } = ui;
    // A slow network: her first key's call reaches the portal, which takes its time over it. She presses Enter
    // meanwhile; core aborts the call, but the request is out, and a portal that carries it out after her message
    // shows her typing for the whole lifetime after it.
    emulator.addFault({ method: 'im.dialog.writing', latencyMs: 800, times: 1 });
    const from = Date.now();
    const faultsHit = emulator.stats().faultsHit;
    await page.focus('#message');
    await page.keyboard.type('k');
    await expect.poll(() => emulator.stats().faultsHit).toBe(faultsHit + 1); // at the portal, held there
    await page.keyboard.press('Enter');
    const message = () => emulator.timeline().find((e) => e.kind === 'message' && e.authorId === ME && e.time >= from);
    // Both on the timeline: the held call (whenever the portal got to it) and her message.
    await expect.poll(() => writingCalls(emulator, from).length).toBe(1);
    await expect.poll(message).toBeDefined();
    expect(writingCalls(emulator, from).filter((c) => c.seq > message()!.seq)).toEqual([]);
    expect(emulator.indicators().filter((i) => i.senderId === ME)).toEqual([]);
    await page.locator('#messages li.mine[data-message-id]:not(.pending) .text', { hasText: /^k$/ }).waitFor();
    await expect.poll(() => live().count()).toBe(0);
  });

  it('says why it gave up on her indicator: the portal busy (a rate limit) is not a server fault', async () => {
    const { page, emulator } = ui;
    /** The panel's title (the library's event) and its words, read together: the idle stop follows within a second. */
    const panel = () =>
      page.evaluate(() => {
        const mine = document.getElementById('mine')!;
        return `${mine.title}: ${mine.textContent}`;
      });
    await page.focus('#message');
    // Her start and its retry 500 ms later are refused (the next try, 1 s on, would be past idleMs): given up.
    emulator.addFault({ method: 'im.dialog.writing', status: 503, error: 'QUERY_LIMIT_EXCEEDED', times: 2 });
    await page.keyboard.type('x');
    await expect.poll(panel).toMatch(/^dropped \(retries\): Gave up: the portal is busy, try again in a moment · /);
    await expect.poll(panel, { timeout: 5_000 }).toMatch(/^stopped/);
    // A server fault on both tries instead (not a reset connection, whose request Chromium may send again on its own).
    emulator.addFault({ method: 'im.dialog.writing', status: 500, error: 'INTERNAL_SERVER_ERROR', times: 2 });
    await page.keyboard.type('y');
    await expect.poll(panel).toMatch(/^dropped \(retries\): Gave up: the server had a problem · /);
    expect(emulator.faults()).toEqual([]);
    await setDraft('');
  });

  it('sends nothing for arrows, modifiers and other keys that change nothing', async () => {
    const { page, emulator } = ui;
    await setDraft('draft'); // something to move around in
    const from = Date.now();
    await page.focus('#message');
    for (const key of ['ArrowLeft', 'ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End', 'PageUp']) {
      await page.keyboard.press(key);
    }
    for (const key of ['Shift', 'Control', 'Alt', 'Meta', 'CapsLock', 'CapsLock', 'Escape', 'Shift+ArrowLeft']) {
      await page.keyboard.press(key);
    }
    await page.keyboard.press('Control+c'); // copy changes nothing either
    expect((await keyTimes(page)).filter((t) => t >= from).length).toBeGreaterThanOrEqual(17);
    expect(await page.inputValue('#message')).toBe('draft');
    // A key that types is the marker: a call at once, after any those keys made (a start goes out at once too).
    await page.keyboard.type('!');
    await expect.poll(() => writingCalls(emulator, from).length).toBeGreaterThan(0);
    const marker = (await keyTimes(page)).at(-1)!;
    expect(writingCalls(emulator, from)).toHaveLength(1);
    expect(writingCalls(emulator, from)[0]!.time).toBeGreaterThanOrEqual(marker);
  });

  it('takes a character typed in the message list (clicked to read) into the composer, as typing there', async () => {
    const { page, emulator } = ui;
    for (let i = 0; i < 20; i++) emulator.postMessage({ from: 2, dialogId: 'chat1', text: `to scroll, line ${i}` });
    await page.locator('#messages li .text', { hasText: 'to scroll, line 19' }).waitFor();
    const focused = () => page.evaluate(() => document.activeElement?.id);
    const scrollTop = () => page.$eval('#messages', (list) => list.scrollTop);
    await page.click('#messages li .text >> nth=0'); // clicked to read or select it: the list has the focus
    expect(await focused()).toBe('messages');

    // Keys the list needs stay with it: they scroll it and type nothing (no indicator either).
    const from = Date.now();
    await page.keyboard.press('Home');
    await expect.poll(scrollTop).toBe(0);
    await page.keyboard.press('Space');
    await expect.poll(scrollTop).toBeGreaterThan(0);
    for (const key of ['ArrowDown', 'PageDown', 'ArrowUp', 'PageUp', 'End', 'Shift', 'Escape', 'Control+c']) {
      await page.keyboard.press(key);
    }
    // A key that starts an IME composition (key code 229) is the IME's, not a character to move.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Input.dispatchKeyEvent', { type: 'rawKeyDown', key: 'n', windowsVirtualKeyCode: 229 });
    await cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', key: 'n', windowsVirtualKeyCode: 229 });
    await cdp.detach();
    expect(await focused()).toBe('messages');
    expect(await page.inputValue('#message')).toBe('');

    // A printable key goes to the composer, itself included, and counts as typing there: a call at once.
    const key = Date.now();
    await page.keyboard.type('O');
    expect(await focused()).toBe('message');
    await page.keyboard.type('k');
    expect(await page.inputValue('#message')).toBe('Ok');
    await expect.poll(() => writingCalls(emulator, from).length).toBe(1);
    const call = writingCalls(emulator, from)[0]!;
    expect(call.time - key).toBeGreaterThanOrEqual(0);
    expect(call.time - key).toBeLessThan(100);
    await expect.poll(() => live().textContent()).toContain('typing');

    // AltGr (a European layout's "@" or "€") comes as Ctrl+Alt with the character: typing, not a shortcut. Ctrl+C,
    // Ctrl+Alt+an arrow and Ctrl+A stay with the list (copy, select its messages).
    await page.click('#messages li .text >> nth=0');
    const altGr = await page.context().newCDPSession(page);
    const press = async (key: string, code: string, keyCode: number, modifiers: number, text = '') => {
      const common = { key, code, windowsVirtualKeyCode: keyCode, modifiers };
      await altGr.send('Input.dispatchKeyEvent', { type: text ? 'keyDown' : 'rawKeyDown', text, ...common });
      await altGr.send('Input.dispatchKeyEvent', { type: 'keyUp', ...common });
    };
    const CTRL_ALT = 1 | 2;
    await press('c', 'KeyC', 67, 2);
    await press('a', 'KeyA', 65, 2);
    await press('ArrowDown', 'ArrowDown', 40, CTRL_ALT);
    expect(await focused()).toBe('messages');
    await press('@', 'KeyQ', 81, CTRL_ALT, '@'); // German layout: AltGr+Q
    expect(await focused()).toBe('message');
    await page.click('#messages li .text >> nth=0');
    await press('€', 'KeyE', 69, CTRL_ALT, '€');
    expect(await focused()).toBe('message');
    // Option on a Mac types with Alt alone (Option+2 is "™", Option+A "å"): typing too, and not lost in the list.
    // Alt with a letter that types nothing (a menu's shortcut on Windows, Alt+F) stays with the list.
    const ALT = 1;
    await setDraft('');
    await page.click('#messages li .text >> nth=0');
    await press('f', 'KeyF', 70, ALT);
    expect(await focused()).toBe('messages');
    await press('™', 'Digit2', 50, ALT, '™');
    expect(await focused()).toBe('message');
    await page.click('#messages li .text >> nth=0');
    await press('å', 'KeyA', 65, ALT, 'å');
    expect(await focused()).toBe('message');
    expect(await page.inputValue('#message')).toBe('™å');
    await altGr.detach();

    // Ctrl+V there pastes into the composer: words copied from a message (to quote it), or a link from elsewhere.
    await setDraft('');
    await page.click('#messages li .text >> nth=0', { clickCount: 3 }); // selects the message's words
    await page.keyboard.press('Control+c');
    expect(await focused()).toBe('messages');
    await page.keyboard.press('Control+v');
    expect(await focused()).toBe('message');
    const quoted = await page.textContent('#messages li .text >> nth=0');
    expect((await page.inputValue('#message')).trim()).toBe(quoted);
  });

  it('counts a Mac dead key (Option+E, then E: "é", a composition) as typing, in the composer and from the list', async () => {
    const { page, emulator } = ui;
    const cdp = await page.context().newCDPSession(page);
    /**
     * The sequence Chrome on a Mac fires for Option+E, then E: a "Dead" key (an IME's key code, 229) that starts a
     * composition of "´", then the E that commits "é".
     */
    const deadKeyE = async () => {
      const ALT = 1;
      const dead = { key: 'Dead', code: 'KeyE', windowsVirtualKeyCode: 229, modifiers: ALT };
      await cdp.send('Input.dispatchKeyEvent', { type: 'rawKeyDown', ...dead });
      await cdp.send('Input.imeSetComposition', { text: '´', selectionStart: 1, selectionEnd: 1 });
      await cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', ...dead, key: 'e', windowsVirtualKeyCode: 69 });
      const e = { key: 'é', code: 'KeyE', windowsVirtualKeyCode: 229 };
      await cdp.send('Input.dispatchKeyEvent', { type: 'rawKeyDown', ...e });
      await cdp.send('Input.insertText', { text: 'é' });
      await cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', ...e, key: 'e', windowsVirtualKeyCode: 69 });
    };
    // In the composer: a call at once, as for any other key.
    await page.focus('#message');
    const from = Date.now();
    await deadKeyE();
    expect(await page.inputValue('#message')).toBe('é');
    await expect.poll(() => writingCalls(emulator, from).length).toBe(1);
    const start = (await keyTimes(page)).find((t) => t >= from)!;
    expect(writingCalls(emulator, from)[0]!.time - start).toBeLessThan(100);

    // In the message list (a message clicked to read it): the accent goes to the composer, as a character typed there
    // does, and is not lost with the list's focus (nor typed as a bare "e").
    for (let i = 0; i < 3; i++) emulator.postMessage({ from: 2, dialogId: 'chat1', text: `accent, line ${i}` });
    await page.locator('#messages li .text', { hasText: 'accent, line 2' }).waitFor();
    await page.click('#messages li .text >> nth=0');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('messages');
    await deadKeyE();
    await cdp.detach();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('message');
    expect(await page.inputValue('#message')).toBe('éé');
  });

  it('counts an IME composition (CDP imeSetComposition / insertText) once, from its first step', async () => {
    const { emulator } = ui;
    // A tab of its own whose timers run on a clock the test moves (a context's clock is shared by its pages): the
    // whole composition takes no time on it, so no renewal is due whatever the machine's speed, and exactly one call
    // is what a composition must make.
    const { context, page } = await pausedTab(ui.page, ui.url);
    try {
      await page.focus('#message');
      const from = Date.now();
      const cdp = await page.context().newCDPSession(page);
      for (const text of ['n', 'ni', 'nih', 'niha', 'nihao']) {
        const step = Date.now();
        await cdp.send('Input.imeSetComposition', { text, selectionStart: text.length, selectionEnd: text.length });
        // Typing from its first step: the call goes out while she composes (a long one takes seconds), not at the
        // commit, and at once.
        if (text === 'n') {
          await expect.poll(() => writingCalls(emulator, from).length).toBe(1);
          expect(writingCalls(emulator, from)[0]!.time - step).toBeLessThan(100);
        }
      }
      await cdp.send('Input.insertText', { text: '你好' });
      await cdp.detach();
      expect(await page.inputValue('#message')).toBe('你好');
      // A renewal period and more on the page's clock: none is due (no key within idleMs of it). Then her message,
      // which waits for any typing call of hers on its way (`keepSentCalls`): once it is on the timeline, every call the
      // page made before it is too.
      await page.clock.runFor(PERIOD + 500);
      await page.keyboard.press('Enter');
      const message = () =>
        emulator.timeline().find((e) => e.kind === 'message' && e.authorId === ME && e.time >= from);
      await expect.poll(message).toBeDefined();
      expect(message()).toMatchObject({ text: '你好' });
      // One call for the whole composition (start, 5 updates, end, and the commit's input events).
      expect(writingCalls(emulator, from).filter((c) => c.seq < message()!.seq)).toHaveLength(1);
    } finally {
      await context.close();
    }
  });
});
