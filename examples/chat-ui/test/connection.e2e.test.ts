import type { CallEntry, Emulator, TimelineEntry } from '@b24-typing/emulator';
import { startEmulator } from '@b24-typing/emulator';
import type { Page, Request, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Relay } from './relay';
import { startRelay } from './relay';
import { scrollToTop } from './scrollToTop';
import type { ChatUi } from './startChatUi';
import { startChatUi } from './startChatUi';
import { ME } from './timeline';
import { trySend } from './trySend';
import { agentSends } from './agentSends';
import { agentStatus } from './agentStatus';
import { deleteAs } from './deleteAs';
import { typeAs } from './typeAs';
import { setVisibility } from './setVisibility';
import { lookupFirstId } from './lookupFirstId';

// Access tokens live 2 s here, so the app has refreshed (rotated) its token before the emulator goes away.
const POLICY = { lifetimeMs: 2000, marginMs: 500, idleMs: 1000 };

let ui: ChatUi;
beforeAll(async () => {
  ui = await startChatUi({ clientLifetimeSec: POLICY.lifetimeMs / 1000, policy: POLICY, tokenTtlSec: 2 });
});
afterAll(() => ui?.close());

const texts = (page: Page) => page.locator('#messages li .text').allTextContents();
const offline = (page: Page) => page.getByRole('status').and(page.locator('#offline'));
/** What the page tells a screen reader of its connection (not shown: the panel's connection line shows it). */
const news = (page: Page) => page.getByRole('status').and(page.locator('#news'));
/** Everything the page's live regions hold now: what a screen reader can still be read out. */
const liveText = (page: Page) =>
  page.evaluate(() =>
    [...document.querySelectorAll('[aria-live], [role="status"], [role="alert"], [role="log"]')]
      .map((region) => region.textContent)
      .join('\n'),
  );

/** Waits until the emulator's seeded access token has expired (so the app's next call needs a refresh). */
const seedTokenExpired = () =>
  expect.poll(() => Date.now() > ui.emulator.fixtures.oauth.expiresAt, { timeout: 5_000 }).toBe(true);

/** Sends a message from the composer and waits until the stream shows it as the portal's. */
/**
 * A new tab of the chat UI for an emulator that is not there yet: `href` points it at a port nobody listens on, where
 * the test may start one later (`startEmulator({ port })`). Not opened yet, so a test can listen before it loads.
 */
async function pageBeforeEmulator(): Promise<{ page: Page; port: number; href: string }> {
  const probe = await startEmulator();
  const { port, url: emulatorUrl } = probe;
  await probe.close();
  const url = new URL(ui.url);
  url.searchParams.set('emulator', emulatorUrl);
  return { page: await ui.page.context().browser()!.newPage(), port, href: url.href };
}

async function send(page: Page, text: string): Promise<void> {
  await page.fill('#message', text);
  await page.press('#message', 'Enter');
  await page.locator('#messages li.mine[data-message-id]:not(.pending)', { hasText: text }).waitFor();
}

describe('the chat when the emulator goes away', () => {
  it('refreshes an expired token through the emulator, with no message lost', async () => {
    const { page, emulator } = ui;
    const refreshes = emulator.stats().oauthRequests;
    await seedTokenExpired();
    const from = Date.now();
    await send(page, 'sent with a refreshed token');
    // The composer's typing call or the message met the expired token first; one refresh, then both went through.
    expect(emulator.stats().oauthRequests).toBe(refreshes + 1);
    const calls = emulator.timeline().filter((e): e is CallEntry => e.kind === 'call' && e.time >= from);
    const refused = calls.filter((c) => c.error !== null);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((c) => c.error === 'expired_token')).toBe(true);
    expect(calls.filter((c) => c.method === 'im.message.add' && c.error === null)).toHaveLength(1);
    expect(emulator.messages(1).at(-1)?.text).toBe('sent with a refreshed token');
  });

  it('says a message whose token could not be refreshed for want of a connection was not sent for that, not for the sign-in', async () => {
    const { page, emulator } = ui;
    const text = 'sent while the refresh cannot get through';
    const message = page.locator('#messages li.mine', { hasText: text });
    // The message meets an expired token, and the refresh finds the connection cut: no answer, so nothing refused it.
    emulator.addFault({ method: 'im.message.add', status: 401, error: 'expired_token', times: 1 });
    emulator.addFault({ method: 'oauth.token', reset: true });
    try {
      await page.fill('#message', text);
      await page.press('#message', 'Enter');
      const failed = message.and(page.locator('.failed'));
      await failed.waitFor();
      const why = failed.getByRole('alert').locator('span');
      expect(await why.textContent()).toBe('Not sent: no connection to the portal.');
    } finally {
      emulator.clearFaults();
    }
    // Back: Retry refreshes the token and sends it.
    await message.getByRole('button', { name: 'Retry' }).click();
    await message.and(page.locator('[data-message-id]:not(.pending)')).waitFor();
  });

  it('says it lost the stream, and after a restart shows the new emulator’s chat and sends again', async () => {
    const { page } = ui;
    await typeAs(ui.emulator, 2);
    await page.locator('#live li[data-sender="2"]').waitFor();

    const port = ui.emulator.port;
    await ui.emulator.close();
    await expect.poll(() => offline(page).textContent()).toMatch(/^Lost the connection to the emulator/);
    expect(await page.getAttribute('#connection', 'data-state')).toBe('down');
    expect(await page.locator('#live li').count()).toBe(0); // unknown now, so not shown as typing
    // Nor shown as "Nobody is typing.", which the page does not know either.
    expect(await page.isVisible('#live-empty')).toBe(true);
    expect(await page.textContent('#live-empty')).toBe('Not known while reconnecting…');

    const reseeded = page.waitForResponse((r) => r.url().endsWith('/_emulator/fixtures'));
    const emulator = await ui.restartEmulator();
    expect(emulator.port).toBe(port);
    emulator.postMessage({ from: 3, dialogId: 'chat1', text: 'Carol, on the new emulator' });
    await expect.poll(() => texts(page), { timeout: 10_000 }).toEqual(['Carol, on the new emulator']);
    expect(await offline(page).textContent()).toBe('');
    // A screen reader heard that the connection was lost (a status region): it hears that it is back, not silence.
    expect(await news(page).textContent()).toBe('Connected to the emulator again.');
    expect(await page.getAttribute('#connection', 'data-state')).toBe('live');
    expect(await page.textContent('#live-empty')).toBe('Nobody is typing.'); // known again

    // The token the app refreshed on the old process means nothing to this one: it takes the new seed's.
    await (await reseeded).finished();
    await send(page, 'Alice, on the new emulator');
    expect(emulator.messages(1).map((m) => [m.authorId, m.text])).toEqual([
      [3, 'Carol, on the new emulator'],
      [ME, 'Alice, on the new emulator'],
    ]);
    expect(await texts(page)).toEqual(['Carol, on the new emulator', 'Alice, on the new emulator']);
  });

  it('starts over on a reset, and sends with the seed’s token again', async () => {
    const { page, emulator } = ui;
    await seedTokenExpired();
    await send(page, 'before the reset'); // with a refreshed token, which the reset forgets
    const reseeded = page.waitForResponse((r) => r.url().endsWith('/_emulator/fixtures'));
    emulator.reset();
    await (await reseeded).finished();
    await expect.poll(() => texts(page)).toEqual([]);
    expect(await page.isVisible('#empty')).toBe(true); // an empty chat says so, not a blank area
    expect(await page.textContent('#empty')).toBe('No messages yet. Say hello!');
    // The seed's token expires on the new seed too. The page swapped it for one of its own when it took it again: the
    // seed's is the same string as before the reset, whose expiry the transport would answer with the token it
    // refreshed that string to on the old seed (which the reset forgot), and the message would not go out.
    await seedTokenExpired();
    const from = Date.now();
    expect(await trySend(page, 'after the reset')).toBe('sent');
    expect(await page.isHidden('#empty')).toBe(true);
    expect(emulator.messages(1).map((m) => m.text)).toEqual(['after the reset']);
    const refused = emulator
      .timeline()
      .filter((e): e is CallEntry => e.kind === 'call' && e.time >= from && e.error !== null);
    expect(refused.filter((c) => c.error !== 'expired_token')).toEqual([]);
  });

  it('shows her typing again at her next key after a reset, which forgot the indicator her keys had shown', async () => {
    const { page, emulator } = ui;
    const shown = () =>
      emulator
        .timeline()
        .filter((e): e is CallEntry => e.kind === 'call' && e.method === 'im.dialog.writing' && e.shown);
    await page.focus('#message');
    await page.keyboard.type('typing');
    await expect.poll(() => shown().length).toBeGreaterThan(0);
    const reset = Date.now();
    emulator.reset(); // right after her call: its renewal is a whole period away
    await page.keyboard.type(' on through a reset', { delay: 100 });
    // Her next keys show her again (with the seed's token: the reset forgot hers), not the renewal a period later.
    const again = shown()[0];
    expect(again).toBeDefined();
    console.log(`shown again ${again!.time - reset} ms after the reset`);
    expect(again!.time - reset).toBeLessThan(POLICY.lifetimeMs - POLICY.marginMs - 700);
    expect(await page.textContent('#mine')).toMatch(/^(Shown|Still shown): /);
    await page.evaluate(() => {
      (document.getElementById('message') as HTMLTextAreaElement).value = '';
    });
  });

  // No amount of waiting fixes a setting: the page stops and says which one, and no longer says it is connecting.
  it('opened with a wrong setting, says which and why, and not that it is connecting', async () => {
    const url = new URL(ui.url);
    url.searchParams.set('emulator', 'localhost:8024'); // no scheme: fetch could never reach it
    const page = await ui.page.context().browser()!.newPage();
    try {
      await page.goto(url.href);
      await expect
        .poll(() => offline(page).textContent())
        .toBe('Could not start: Invalid emulator: must be a URL such as http://127.0.0.1:8024 (got "localhost:8024")');
      expect(await page.isDisabled('#message')).toBe(true);
      expect(await page.getAttribute('#connection', 'data-state')).toBe('down');
      expect(await page.textContent('#connection')).toBe('Not connected: the page did not start');
      expect(await page.textContent('#live-empty')).toBe('Not known: the page did not start.');
    } finally {
      await page.close();
    }
  });

  it('opened before the emulator runs, says it is waiting and connects once the emulator is up', async () => {
    const { page, port, href } = await pageBeforeEmulator();
    let emulator: Emulator | undefined;
    try {
      await page.goto(href);
      await expect
        .poll(() => offline(page).textContent())
        .toMatch(/^Waiting for the emulator at http:\/\/127\.0\.0\.1:/);
      expect(await page.isDisabled('#message')).toBe(true);
      // The commands to start it are set as code, not as Markdown backticks; nothing says it is an empty chat yet.
      expect(await offline(page).locator('code').allTextContents()).toEqual([
        'pnpm demo',
        'pnpm --filter @b24-typing/example-chat-ui emulator',
      ]);
      expect(await offline(page).textContent()).not.toContain('`');
      expect(await page.isHidden('#empty')).toBe(true);
      // Who is typing is not known yet either: not "Nobody is typing.".
      expect(await page.textContent('#live-empty')).toBe('Not known yet: connecting…');

      emulator = await startEmulator({ port });
      emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'Bob, once the emulator is up' });
      await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
      await expect.poll(() => texts(page)).toEqual(['Bob, once the emulator is up']);
      expect(await offline(page).textContent()).toBe('');
      expect(await page.isEnabled('#message')).toBe(true);
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('message');
      expect(await page.textContent('#live-empty')).toBe('Nobody is typing.');
    } finally {
      await page.close();
      await emulator?.close();
    }
  });

  it('says once what it waits for, not again at each attempt to connect: a screen reader reads out every rewrite', async () => {
    const { page, port, href } = await pageBeforeEmulator();
    let emulator: Emulator | undefined;
    /** Counts the changes to the banner (a status region) from now on. */
    const watchBanner = async () => {
      await page.evaluate(() => {
        const w = window as unknown as { bannerChanges: number };
        w.bannerChanges = 0;
        new MutationObserver((records) => {
          w.bannerChanges += records.length;
        }).observe(document.getElementById('offline')!, { childList: true, subtree: true, characterData: true });
      });
      return () => page.evaluate(() => (window as unknown as { bannerChanges: number }).bannerChanges);
    };
    try {
      let attempts = 0;
      page.on('requestfailed', (request) => {
        if (request.url().endsWith('/_emulator/fixtures')) attempts++;
      });
      await page.goto(href);
      await expect.poll(() => offline(page).textContent()).toMatch(/^Waiting for the emulator at /);
      const waiting = await watchBanner();
      const seen = attempts;
      await expect.poll(() => attempts, { timeout: 10_000 }).toBeGreaterThanOrEqual(seen + 2);
      expect(await waiting()).toBe(0);

      // Connected, then the emulator goes away: the page tries again and again, and says it lost it once.
      emulator = await startEmulator({ port });
      await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
      await emulator.close();
      emulator = undefined;
      await expect.poll(() => offline(page).textContent()).toMatch(/^Lost the connection to the emulator/);
      const lost = await watchBanner();
      // Its third try is due in 2 s: two more attempts have failed since it said so.
      await expect.poll(() => page.textContent('#connection'), { timeout: 10_000 }).toMatch(/next try in 2 s/);
      expect(await lost()).toBe(0);
    } finally {
      await page.close();
      await emulator?.close();
    }
  });
});

describe('the chat cut off from the emulator while it starts over', () => {
  let relay: Relay;
  let page: Page;
  beforeAll(async () => {
    relay = await startRelay(ui.emulator.port);
    const url = new URL(ui.url);
    url.searchParams.set('emulator', relay.url);
    // A silent stream is checked every second, not every 5 s: a stalled one is found out within seconds.
    url.searchParams.set('watchMs', '1000');
    // The one tab, on a fresh seed: two tabs on the seed's token race for its one refresh token (it rotates).
    page = ui.page;
    await page.goto('about:blank');
    ui.emulator.reset();
    await page.goto(url.href);
    await page.waitForSelector('body[data-ready="true"]');
  });
  afterAll(() => relay?.close());

  /** Cuts the page's event stream (the emulator runs on) and waits until the page says so. */
  async function cutOff(): Promise<void> {
    relay.cutFeed();
    await expect.poll(() => offline(page).textContent()).toMatch(/^Lost the connection to the emulator/);
  }

  /** Resolves once the page has read the emulator's seed again (it drops the tokens of before). */
  async function reseed(): Promise<void> {
    const fixtures = page.waitForResponse((r) => r.url().endsWith('/_emulator/fixtures'), { timeout: 10_000 });
    await (await fixtures).finished();
  }

  it('notices a reset it missed (the emulator’s epoch): the new chat, no old message taken for a new one, the seed’s token', async () => {
    const { emulator } = ui;
    await seedTokenExpired();
    expect(await trySend(page, 'Alice, before the cut')).toBe('sent'); // with a refreshed token, which the reset forgets
    await cutOff();
    // The portal takes this one (its number comes back), but the page never sees the stream report it.
    await page.fill('#message', 'sent while cut off');
    await page.press('#message', 'Enter');
    const lost = page.locator('#messages li.mine', { hasText: 'sent while cut off' });
    await page.locator('#messages li.mine:not(.pending)', { hasText: 'sent while cut off' }).waitFor();
    const lostId = emulator.messages(1).at(-1)!.messageId;

    const reset = await fetch(`${emulator.url}/_emulator/reset`, { method: 'POST' });
    expect(reset.ok).toBe(true);
    // People talk before the page is back (so the emulator's numbers are past where the page left them): Bob, then
    // Alice on her phone, until a message of hers has the number the lost one had.
    emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'Bob, after the reset' });
    for (let n = 1, id = 0; id < lostId; n++) {
      id = emulator.postMessage({ from: ME, dialogId: 'chat1', text: `Alice on her phone, ${n}` });
    }
    const fresh = emulator.messages(1);
    const reseeded = reseed();
    relay.restoreFeed();

    await expect
      .poll(() => texts(page), { timeout: 10_000 })
      .toEqual([...fresh.map((m) => m.text), 'sent while cut off']);
    expect(await page.getAttribute('#connection', 'data-state')).toBe('live');
    const numbers = page.locator('#messages li[data-message-id]');
    expect(
      await numbers.evaluateAll((items) => items.map((li) => Number((li as HTMLElement).dataset.messageId))),
    ).toEqual(fresh.map((m) => m.messageId));
    // Gone with the reset: it says so, with Retry and Delete, as any message that did not go out.
    expect(await lost.getAttribute('class')).toBe('message mine failed');
    expect(await lost.locator('.send-error span').textContent()).toBe(
      'Not sent: the emulator was reset or restarted before it showed it.',
    );
    await reseeded;
    expect(await trySend(page, 'Alice, after the reset')).toBe('sent');
    expect(emulator.messages(1).at(-1)?.text).toBe('Alice, after the reset');
    await lost.getByRole('button', { name: 'Delete the unsent message' }).click();
  });

  it('notices a restart it missed although the new emulator has numbered past the old one', async () => {
    await seedTokenExpired();
    expect(await trySend(page, 'Alice, on the first emulator')).toBe('sent'); // a token this process issued
    const lastSeq = ui.emulator.timeline().at(-1)!.seq;
    await cutOff();
    const emulator = await ui.restartEmulator();
    // The new process numbers from 1 again; by the time the page is back it is past where the old one stopped.
    for (let n = 1; (emulator.timeline().at(-1)?.seq ?? 0) <= lastSeq; n++) {
      emulator.postMessage({ from: 3, dialogId: 'chat1', text: `Carol on the new emulator, ${n}` });
    }
    const reseeded = reseed();
    relay.restoreFeed();

    await expect.poll(() => texts(page), { timeout: 10_000 }).toEqual(emulator.messages(1).map((m) => m.text));
    await reseeded;
    expect(await trySend(page, 'Alice, on the new emulator')).toBe('sent');
    expect(emulator.messages(1).at(-1)?.text).toBe('Alice, on the new emulator');
  });

  it('shows the buttons of a message without words on an emulator that restarted while the stream was cut: looked up with the new seed’s token, not left at what it may carry', async () => {
    await seedTokenExpired();
    expect(await trySend(page, 'Alice, on the first emulator')).toBe('sent'); // a token this process issued
    await cutOff();
    const emulator = await ui.restartEmulator();
    const keyboard = [
      { TEXT: 'Yes', COMMAND: 'yes' },
      { TEXT: 'No', COMMAND: 'no' },
    ];
    const id = await agentSends(emulator, { message: '[BR]', keyboard });
    const from = Date.now();
    const reseeded = reseed();
    relay.restoreFeed();

    // The page asks for its buttons as it rebuilds the list, before it has the new seed's token: refused as unknown
    // (NO_AUTH_FOUND), the lookup takes the seed's again and asks once more, as her messages do.
    const item = page.locator(`#messages li[data-message-id="${id}"]`);
    await expect.poll(() => item.locator('.text').textContent(), { timeout: 10_000 }).toBe('[buttons: Yes / No]');
    await reseeded;
    const lookups = emulator
      .timeline()
      .filter((e): e is CallEntry => e.kind === 'call' && e.time >= from && e.method === 'im.dialog.messages.get');
    expect(lookups.filter((c) => c.error === null)).toHaveLength(1);
    expect(lookups.filter((c) => c.error !== null && c.error !== 'NO_AUTH_FOUND')).toEqual([]);
  });

  it('sends after a reset it has not heard of yet: the emulator does not know its token (NO_AUTH_FOUND), so it takes the seed’s again', async () => {
    const { emulator } = ui;
    // The page holds a token this emulator issued (the seed's expired, so it refreshed it), not the seed's, which a
    // reset keeps: this test's own doing, not left by the tests before it.
    await seedTokenExpired();
    expect(await trySend(page, 'Alice, before a reset the page missed')).toBe('sent');
    await cutOff();
    emulator.reset(); // which forgets that token; the page hears nothing of it
    const from = Date.now();
    const text = 'Alice, after a reset the page missed';
    await page.fill('#message', text);
    await page.press('#message', 'Enter');
    await expect.poll(() => emulator.messages(1).map((m) => m.text)).toEqual([text]);
    // The calls made with the forgotten token were refused as unknown; once the page took the seed's, none was.
    const calls = emulator.timeline().filter((e): e is CallEntry => e.kind === 'call' && e.time >= from);
    const accepted = calls.findIndex((c) => c.error === null);
    expect(accepted).toBeGreaterThan(0);
    expect(calls.slice(0, accepted).every((c) => c.error === 'NO_AUTH_FOUND')).toBe(true);
    expect(calls.slice(accepted).filter((c) => c.error !== null)).toEqual([]);
    expect(calls.filter((c) => c.method === 'im.message.add' && c.error === null)).toHaveLength(1);
    // Back on the stream, the page shows the new chat with it as sent (not "Not sent").
    relay.restoreFeed();
    await page.locator('#messages li.mine[data-message-id]:not(.pending)', { hasText: text }).waitFor();
    expect(await texts(page)).toEqual([text]);
    expect(await page.locator('#messages li.failed').count()).toBe(0);
  });

  it('tells a reader of older messages what came while the stream was cut: the "New messages" button, read out', async () => {
    const { emulator } = ui;
    for (let i = 0; i < 30; i++) emulator.postMessage({ from: 2, dialogId: 'chat1', text: `Bob, message ${i}` });
    await page.locator('#messages li .text', { hasText: 'Bob, message 29' }).waitFor();
    // Alice reads back, up to the top of the chat.
    await scrollToTop(page);
    await cutOff();
    emulator.postMessage({ from: 3, dialogId: 'chat1', text: 'Carol, while Alice was cut off' });
    relay.restoreFeed();
    await page
      .locator('#messages li .text', { hasText: 'Carol, while Alice was cut off' })
      .waitFor({ timeout: 10_000 });
    expect(await page.$eval('#messages', (list) => list.scrollTop)).toBe(0); // left where she reads
    await page.locator('#jump').waitFor({ timeout: 1_000 });
    // Read out once: Carol's, after the last of Bob's (read out as they came, and not again when the list is rebuilt),
    // and after the news that the page is connected again.
    expect((await page.locator('#announcer p').allTextContents()).slice(-2)).toEqual([
      'Bob Builder: Bob, message 29',
      'Carol Chen: Carol, while Alice was cut off',
    ]);
    expect(await news(page).textContent()).toBe('Connected to the emulator again.');
  });

  it('reads out a message written and edited while the stream was cut once, in its last words, and counts it once', async () => {
    const { emulator } = ui;
    const visibility = (state: 'hidden' | 'visible') => setVisibility(page, state);
    try {
      await visibility('hidden');
      await cutOff();
      const id = emulator.postMessage({ from: 3, dialogId: 'chat1', text: 'Carol, a typo while Alice was cut off' });
      emulator.editMessage(id, 'Carol, fixed while Alice was cut off');
      relay.restoreFeed();
      await page
        .locator('#messages li .text', { hasText: 'Carol, fixed while Alice was cut off' })
        .waitFor({ timeout: 10_000 });
      expect((await page.locator('#announcer p').allTextContents()).at(-1)).toBe(
        'Carol Chen: Carol, fixed while Alice was cut off',
      );
      expect(await news(page).textContent()).toBe('Connected to the emulator again.');
      expect(await page.title()).toBe('(1) General · b24-typing');
      await visibility('visible');
    } finally {
      await page.evaluate(() => {
        delete (document as { visibilityState?: unknown }).visibilityState;
        delete (document as { hidden?: unknown }).hidden;
      });
    }
  });

  it('reads out what came on an emulator that restarted while the stream was cut, though its numbers are the old ones', async () => {
    ui.emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'Bob, before the restart' });
    await page.locator('#messages li[data-message-id="1"]').waitFor(); // this emulator's first, or his
    await cutOff();
    const emulator = await ui.restartEmulator();
    // The new process numbers its messages from 1 again: the page showed a message with that number before.
    emulator.postMessage({ from: 3, dialogId: 'chat1', text: 'Carol, first on the restarted emulator' });
    relay.restoreFeed();
    await expect.poll(() => texts(page), { timeout: 10_000 }).toEqual(['Carol, first on the restarted emulator']);
    expect((await page.locator('#announcer p').allTextContents()).at(-1)).toBe(
      'Carol Chen: Carol, first on the restarted emulator',
    );
    expect(await news(page).textContent()).toBe('Connected to the emulator again.');
  });

  // The announcer keeps the last three lines it was given: "Connected again", given just before a catch-up of more than
  // two messages, was taken out again in the same task, so a screen reader never heard it (nor the first messages).
  it('says it is connected again, and reads out every message, also after a burst of them caught up at once', async () => {
    const { emulator } = ui;
    await cutOff();
    const burst = [1, 2, 3, 4].map((n) => `Carol, ${n} of a burst while Alice was cut off`);
    for (const text of burst) emulator.postMessage({ from: 3, dialogId: 'chat1', text });
    relay.restoreFeed();
    await page.locator('#messages li .text', { hasText: burst.at(-1)! }).waitFor({ timeout: 10_000 });
    const heard = await liveText(page);
    expect(heard).toContain('Connected to the emulator again.');
    for (const text of burst) expect(heard).toContain(`Carol Chen: ${text}`);
    expect(await news(page).textContent()).toBe('Connected to the emulator again.');
  });

  // A reconnect resumes where the page was: it still knows the call that showed Bob, and must drop him as lapsed.
  it('after a reconnect, shows no one whose indicator lapsed while the stream was cut, and each message once', async () => {
    const { emulator } = ui;
    await typeAs(emulator, 2);
    await expect.poll(() => page.textContent('#typing-text')).toBe('Bob Builder is typing…');
    await cutOff();
    const shown = emulator
      .timeline()
      .filter((e): e is CallEntry => e.kind === 'call' && e.senderId === 2)
      .at(-1)!;
    await expect.poll(() => Date.now() > shown.visibleUntil!, { timeout: 5_000 }).toBe(true);
    emulator.postMessage({ from: 3, dialogId: 'chat1', text: 'Carol, after Bob stopped' });
    relay.restoreFeed();
    await page.locator('#messages li .text', { hasText: 'Carol, after Bob stopped' }).waitFor({ timeout: 10_000 });
    expect(await page.textContent('#typing-text')).toBe('');
    expect(await page.locator('#live li').count()).toBe(0);
    expect(await page.textContent('#live-empty')).toBe('Nobody is typing.');
    expect(await texts(page)).toEqual(emulator.messages(1).map((m) => m.text));
  });

  // Each reconnect downloaded the whole timeline again and rebuilt the chat from it. It resumes from the last entry the
  // page has: nothing it showed comes again, what came meanwhile comes once, and the stream goes on from there.
  it('resumes after a cut from where it was: what it showed is not sent again, what came meanwhile comes once', async () => {
    const { emulator } = ui;
    // A bot status on a long lease, shown before the cut and still on after it: the resumed timeline has no call for
    // it, so the page must keep what it knew (and show it again once it knows it is still true).
    await agentStatus(emulator, 'IMBOT_AGENT_ACTION_SEARCHING', 60);
    const bobId = emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'Bob, before the cut' });
    const bobSeq = emulator.timeline().find((e) => e.kind === 'message' && e.messageId === bobId)!.seq;
    await page.locator('#messages li .text', { hasText: 'Bob, before the cut' }).waitFor();
    await expect.poll(() => page.textContent('#typing-text')).toBe('Agent is searching for information…');

    await cutOff();
    const timelines: { url: URL; body: { entries: TimelineEntry[]; epoch: string; lastSeq: number } }[] = [];
    const streams: URL[] = [];
    const onResponse = async (response: Response): Promise<void> => {
      const url = new URL(response.url());
      if (url.pathname === '/_emulator/timeline') timelines.push({ url, body: await response.json() });
    };
    const onRequest = (request: Request): void => {
      const url = new URL(request.url());
      if (url.pathname === '/_emulator/events') streams.push(url);
    };
    page.on('response', onResponse);
    page.on('request', onRequest);
    const text = 'Carol, while the stream was cut';
    try {
      emulator.postMessage({ from: 3, dialogId: 'chat1', text });
      relay.restoreFeed();
      await page.locator('#messages li .text', { hasText: text }).waitFor({ timeout: 10_000 });
      await expect.poll(() => streams.length).toBe(1);
    } finally {
      page.off('response', onResponse);
      page.off('request', onRequest);
    }
    // Asked from where it was (it had shown Bob's message), in the epoch it knows: only what came since.
    const resumed = timelines[0]!;
    expect(Number(resumed.url.searchParams.get('since'))).toBeGreaterThanOrEqual(bobSeq);
    expect(resumed.url.searchParams.get('epoch')).toBe(resumed.body.epoch);
    expect(resumed.body.entries.filter((e) => e.seq <= bobSeq)).toEqual([]);
    expect(resumed.body.entries.flatMap((e) => (e.kind === 'message' ? [e.text] : []))).toEqual([text]);
    // The stream goes on right after what that brought: no gap, no entry twice.
    expect(streams[0]!.searchParams.get('since')).toBe(String(resumed.body.lastSeq));
    expect(streams[0]!.searchParams.get('epoch')).toBe(resumed.body.epoch);

    expect(await texts(page)).toEqual(emulator.messages(1).map((m) => m.text));
    expect((await page.locator('#announcer p').allTextContents()).at(-1)).toBe(`Carol Chen: ${text}`);
    expect(await news(page).textContent()).toBe('Connected to the emulator again.');
    expect(await page.textContent('#typing-text')).toBe('Agent is searching for information…');
    expect(await page.locator('#live li[data-sender="10"]').count()).toBe(1);
    await agentStatus(emulator, 'IMBOT_AGENT_ACTION_THINKING', 1); // clears within a second
    await expect.poll(() => page.textContent('#typing-text'), { timeout: 5_000 }).toBe('');
  });

  // A stream may stall without closing (a proxy that holds the connection, a half-open one after a network change):
  // EventSource reports nothing then, and the emulator's heartbeat is an SSE comment, which it does not surface.
  it('notices a stream that stalls without closing: says it is reconnecting, then shows what came meanwhile', async () => {
    await page.locator('#connection[data-state="live"]').waitFor();
    await page.evaluate(() => {
      const connection = document.getElementById('connection')!;
      const seen: string[] = [];
      (window as unknown as { connectionStates: string[] }).connectionStates = seen;
      new MutationObserver(() => seen.push(connection.dataset.state!)).observe(connection, {
        attributeFilter: ['data-state'],
      });
    });
    relay.stallFeed(); // the page's stream stays open; nothing more of it arrives
    ui.emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'Bob, while the stream was stalled' });

    // Found out within two silent periods of `watchMs` (1 s here), then the first retry is 0.5 s away: ~3.5 s.
    await page
      .locator('#messages li .text', { hasText: 'Bob, while the stream was stalled' })
      .waitFor({ timeout: 8_000 });
    const states = await page.evaluate(() => (window as unknown as { connectionStates: string[] }).connectionStates);
    expect(states[0]).toBe('down'); // "Reconnecting…" was said
    expect(states.at(-1)).toBe('live');
    expect((await page.locator('#announcer p').allTextContents()).at(-1)).toBe(
      'Bob Builder: Bob, while the stream was stalled',
    );
    expect(await news(page).textContent()).toBe('Connected to the emulator again.');
  });

  // A reset while the stream was cut, and nothing recorded since: the emulator's timeline is as empty as it is when
  // nothing happened since the page's last entry. Only its word that the cursor is stale (`reset: true`, another
  // epoch) tells the page that what it shows is gone, not an empty catch-up.
  it('starts over after a reset it missed with nothing said since, not taking the empty timeline for a quiet one', async () => {
    const { emulator } = ui;
    emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'Bob, before the quiet reset' });
    await page.locator('#messages li .text', { hasText: 'Bob, before the quiet reset' }).waitFor();
    await cutOff();
    emulator.reset();
    const answer = page.waitForResponse((r) => new URL(r.url()).pathname === '/_emulator/timeline', {
      timeout: 10_000,
    });
    const reseeded = reseed();
    relay.restoreFeed();
    // The case at hand: asked from its last entry, the emulator had nothing after it, and said it was reset.
    const { entries, reset } = (await (await answer).json()) as { entries: TimelineEntry[]; reset?: true };
    expect({ entries, reset }).toEqual({ entries: [], reset: true });

    await expect.poll(() => texts(page), { timeout: 10_000 }).toEqual([]);
    expect(await page.isVisible('#empty')).toBe(true);
    expect(await page.getAttribute('#connection', 'data-state')).toBe('live');
    await reseeded; // the reset forgot its token: it took the seed's again, not waiting for NO_AUTH_FOUND
    const from = Date.now();
    expect(await trySend(page, 'Alice, after the quiet reset')).toBe('sent');
    const refused = emulator
      .timeline()
      .filter((e): e is CallEntry => e.kind === 'call' && e.time >= from && e.error !== null);
    expect(refused.filter((c) => c.error !== 'expired_token')).toEqual([]);
    expect(await texts(page)).toEqual(['Alice, after the quiet reset']);
  });
});

describe('the chat cut off for longer than the emulator keeps its timeline', () => {
  /** Timeline entries the emulator keeps (`timelineLimit`): a few messages while the page is cut off drop the rest. */
  const LIMIT = 6;
  let emulator: Emulator;
  let relay: Relay;
  let page: Page;
  beforeAll(async () => {
    emulator = await startEmulator({ clientLifetimeSec: POLICY.lifetimeMs / 1000, timelineLimit: LIMIT });
    relay = await startRelay(emulator.port);
    const url = new URL(ui.url);
    url.searchParams.set('emulator', relay.url);
    page = await ui.page.context().browser()!.newPage();
    await page.goto(url.href);
    await page.waitForSelector('body[data-ready="true"]');
  });
  afterAll(async () => {
    await page?.close();
    await relay?.close();
    await emulator?.close();
  });

  // Cut off for longer than the emulator keeps its timeline, the page used to rebuild the chat from what it kept: the
  // messages it showed before the cut went away without a word, and nothing said that some had been missed. Those it
  // showed are still true (the same emulator, the same numbering): kept, with a mark where some may be missing, said
  // to a screen reader too; who was typing is known again only from what the emulator kept. A message of someone else's
  // in what was dropped was not shown at all, though the emulator's state has the chat's newest: it is filled in, in its
  // place, read out, and the mark says every message is there (edits to older ones may not be).
  it('keeps what it showed when the entries right after its last one were dropped, fills in the dropped messages, and says what may be missing', async () => {
    await agentStatus(emulator, 'IMBOT_AGENT_ACTION_SEARCHING', 60);
    emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'Bob, before the cut' });
    await page.locator('#messages li .text', { hasText: 'Bob, before the cut' }).waitFor();
    await expect.poll(() => page.textContent('#typing-text')).toBe('Agent is searching for information…');
    const shownBefore = await texts(page);
    expect(shownBefore).toContain('Bob, before the cut');
    // With the marks of any gap before (a test before this one may have left some): this cut adds one, after them.
    const orderBefore = await order();

    relay.cutFeed();
    await expect.poll(() => offline(page).textContent()).toMatch(/^Lost the connection to the emulator/);
    const lastShown = emulator.timeline().at(-1)!.seq;
    emulator.postMessage({ from: 10, dialogId: 'chat1', text: 'Agent, done searching' }); // which ends its status
    for (let n = 1; n <= LIMIT; n++) {
      emulator.postMessage({ from: 3, dialogId: 'chat1', text: `Carol, while Alice was cut off, ${n}` });
    }
    const kept = emulator.timeline();
    expect(kept[0]!.seq).toBeGreaterThan(lastShown + 1); // the Agent's message and its status's end are gone
    const answer = page.waitForResponse((r) => new URL(r.url()).pathname === '/_emulator/timeline', {
      timeout: 10_000,
    });
    relay.restoreFeed();
    // The case at hand: asked from its last entry, in the same epoch, the emulator answered with a gap, not a reset.
    const response = await answer;
    const since = Number(new URL(response.url()).searchParams.get('since'));
    expect(since).toBe(lastShown);
    const body = (await response.json()) as { entries: TimelineEntry[]; reset?: true };
    expect(body.reset).toBeUndefined();
    expect(body.entries[0]!.seq).toBeGreaterThan(since + 1);

    // What it showed stays, what the emulator kept comes under it, and the Agent's message, dropped from the timeline,
    // comes from the chat's history, in its place (written before what was kept), once. (What it kept, as the page
    // asked for it: the page's own calls since are on the timeline too, and push older entries out.)
    const keptTexts = kept.flatMap((e) => (e.kind === 'message' && e.chatId === 1 ? [e.text] : []));
    expect(keptTexts).not.toContain('Agent, done searching');
    await expect
      .poll(() => texts(page), { timeout: 10_000 })
      .toEqual([...shownBefore, 'Agent, done searching', ...keptTexts]);
    // Between them, in words on the page: all of the messages are there, but changes may be missing.
    const gaps = page.locator('#messages li.gap');
    expect(await gaps.count()).toBe(orderBefore.filter((item) => item === 'gap').length + 1);
    const gap = gaps.last();
    expect(await gap.isVisible()).toBe(true);
    expect(await gap.textContent()).toMatch(
      /^Every message from while this page was disconnected is shown.*may be missing/,
    );
    expect(await order()).toEqual([...orderBefore, 'gap', 'Agent, done searching', ...keptTexts]);
    // Read out with the rest, in the order written.
    expect(await page.locator('#announcer p').allTextContents()).toEqual(
      ['Agent, done searching', ...keptTexts].map((text) => expect.stringMatching(new RegExp(`: ${text}$`))),
    );
    // And said to a screen reader (a status region), with the news that the page is back.
    await expect.poll(() => news(page).textContent()).toMatch(/^Connected to the emulator again\. .*may be missing/);
    expect(await news(page).textContent()).toContain((await gap.textContent())!);
    // The Agent, whose status ended in what was dropped, is no longer shown at work (it would be for 60 s).
    expect(await page.textContent('#typing-text')).toBe('');
    expect(await page.locator('#live li').count()).toBe(0);
    expect(await page.textContent('#live-empty')).toBe('Nobody is typing.');
  });

  /**
   * Cuts the page's stream, has `meanwhile` happen, then enough messages that it is dropped, and reconnects. A message
   * the page shows first gives the cut a last entry to resume from, whatever the tests before left (or did not).
   */
  const missWhileCutOff = async (meanwhile: () => Promise<void> | void, tag: string): Promise<string[]> => {
    const before = `Bob, before the ${tag}`;
    emulator.postMessage({ from: 2, dialogId: 'chat1', text: before });
    await page.locator('#messages li .text', { hasText: before }).waitFor();
    relay.cutFeed();
    await expect.poll(() => offline(page).textContent()).toMatch(/^Lost the connection to the emulator/);
    const lastShown = emulator.timeline().at(-1)!.seq;
    await meanwhile();
    const after = Array.from({ length: LIMIT }, (_, i) => `Carol, after the ${tag}, ${i + 1}`);
    for (const text of after) emulator.postMessage({ from: 3, dialogId: 'chat1', text });
    expect(emulator.timeline()[0]!.seq).toBeGreaterThan(lastShown + 1); // what happened meanwhile is dropped
    relay.restoreFeed();
    await page.locator('#messages li .text', { hasText: after.at(-1)! }).waitFor({ timeout: 10_000 });
    return after;
  };
  const order = () =>
    page.$$eval('#messages > li', (items) =>
      items.map((li) => (li.classList.contains('gap') ? 'gap' : li.querySelector('.text')!.textContent)),
    );

  // Others' messages in what the emulator dropped were not shown at all. The page filled them in from the emulator's
  // private state, which lists a chat's newest 20 only: with more missed, the older ones never showed. It pages back
  // through the chat's history (`im.dialog.messages.get`, as a Bitrix24 app would) to the newest it showed before.
  it('fills in every dropped message when more than 20 were missed, in place, read out once each', async () => {
    const bob = Array.from({ length: 25 }, (_, i) => `Bob, dropped while Alice was cut off, ${i + 1}`);
    const after = await missWhileCutOff(() => {
      for (const text of bob) emulator.postMessage({ from: 2, dialogId: 'chat1', text });
    }, 'fill-in');
    await expect.poll(order, { timeout: 10_000 }).toEqual(expect.arrayContaining(bob));
    const items = await order();
    expect(items.slice(items.lastIndexOf('gap') + 1)).toEqual([...bob, ...after]);
    expect(new Set(items.filter((item) => item !== 'gap')).size).toBe(items.filter((item) => item !== 'gap').length);
    // Read out, oldest first, with what the emulator kept.
    expect(await page.locator('#announcer p').allTextContents()).toEqual([
      ...bob.map((text) => `Bob Builder: ${text}`),
      ...after.map((text) => `Carol Chen: ${text}`),
    ]);
    // The mark says all of them are there.
    const gap = page.locator('#messages li.gap').last();
    expect(await gap.textContent()).toMatch(/^Every message from while this page was disconnected is shown/);
    await expect
      .poll(() => news(page).textContent())
      .toBe(`Connected to the emulator again. ${await gap.textContent()}`);
  });

  // The history is read a few pages back at most (3 of 50, the most `im.dialog.messages.get` gives): a page away for
  // long in a busy chat does not load it all. The mark says from when on the messages are all there.
  it('fills in the newest 150 of what was missed, and says the older ones are not shown', async () => {
    const bob = Array.from({ length: 160 }, (_, i) => `Bob, one of many while Alice was cut off, ${i + 1}`);
    const after = await missWhileCutOff(() => {
      for (const text of bob) emulator.postMessage({ from: 2, dialogId: 'chat1', text });
    }, 'long cut');
    const reached = bob.slice(-(150 - after.length));
    await expect.poll(order, { timeout: 10_000 }).toEqual(expect.arrayContaining(reached));
    const items = await order();
    expect(items.slice(items.lastIndexOf('gap') + 1)).toEqual([...reached, ...after]);
    for (const text of bob.slice(0, -reached.length)) expect(items).not.toContain(text);
    const gap = page.locator('#messages li.gap').last();
    const since = await page
      .locator('#messages li[data-message-id]', { hasText: reached[0]! })
      .locator('.time')
      .textContent();
    expect(await gap.textContent()).toBe(
      'Some messages from while this page was disconnected may be missing: the emulator no longer keeps them all. ' +
        `Those from ${since} on are shown; older ones are not, nor are edits to them.`,
    );
    await expect
      .poll(() => news(page).textContent())
      .toBe(`Connected to the emulator again. ${await gap.textContent()}`);
  });

  // The chat's history the page reads after a gap lists each message's keyboard: what it fills in, and what the
  // emulator kept, show their buttons from it, with no lookup of their own (one per batch, `FIRST_ID`).
  it('shows the buttons of what it fills in after a gap from the history it read, asking for none of them again', async () => {
    const lookups: number[] = [];
    const record = (request: Request): void => {
      const first = lookupFirstId(request);
      if (first !== undefined) lookups.push(first);
    };
    page.on('request', record);
    try {
      const keyboard = [
        { TEXT: 'Deploy', COMMAND: 'deploy' },
        { TEXT: 'Wait', COMMAND: 'wait' },
      ];
      let offer = 0;
      await missWhileCutOff(async () => {
        offer = await agentSends(emulator, { message: 'Agent, deploy now?', keyboard });
      }, 'offer');
      const item = page.locator(`#messages li[data-message-id="${offer}"]`);
      await expect.poll(() => item.locator('.buttons').textContent()).toBe('[buttons: Deploy / Wait]');
      // A bot's message that comes live is asked for: once that lookup went out, the catch-up's would have gone before.
      const live = await agentSends(emulator, { message: 'Agent, live after the offer', keyboard });
      await expect.poll(() => lookups).toContain(live - 1);
      expect(lookups).toEqual([live - 1]);
    } finally {
      page.off('request', record);
    }
  });

  // The history cannot be read (the call fails): the page goes on from what the emulator kept, live, and the mark
  // says that some messages and changes may be missing, as it says before anything is filled in.
  it('goes on live, with the plain gap mark, when the history cannot be read', async () => {
    const history = (url: URL) => url.pathname.includes('im.dialog.messages.get');
    let asked = 0;
    await page.route(history, (route) => {
      asked++;
      return route.abort();
    });
    try {
      const bob = Array.from({ length: 3 }, (_, i) => `Bob, not filled in, ${i + 1}`);
      const after = await missWhileCutOff(() => {
        for (const text of bob) emulator.postMessage({ from: 2, dialogId: 'chat1', text });
      }, 'failed history');
      expect(asked).toBeGreaterThan(0);
      const items = await order();
      expect(items.slice(items.lastIndexOf('gap') + 1)).toEqual(after);
      expect(await page.locator('#messages li.gap').last().textContent()).toBe(
        'Some messages and changes from while this page was disconnected may be missing: the emulator no longer keeps them all.',
      );
      expect(await page.getAttribute('#connection', 'data-state')).toBe('live');
      // Live: a message written now shows.
      emulator.postMessage({ from: 3, dialogId: 'chat1', text: 'Carol, once Alice is back' });
      await page.locator('#messages li .text', { hasText: 'Carol, once Alice is back' }).waitFor();
    } finally {
      await page.unroute(history);
    }
  });

  // The timeline's edit was dropped, so the page went on showing the message's old words: the emulator's state has
  // each chat's newest messages as they are now, which bring the ones shown up to date.
  it('shows the new words of a shown message that was edited in what the emulator dropped', async () => {
    const id = emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'Bob, with a typo' });
    const bob = page.locator(`#messages li[data-message-id="${id}"]`);
    await bob.waitFor();
    await missWhileCutOff(() => emulator.editMessage(id, 'Bob, fixed while Alice was cut off'), 'edit');
    await expect.poll(() => bob.locator('.text').textContent()).toBe('Bob, fixed while Alice was cut off');
    expect(await bob.getAttribute('class')).toContain('edited');
    expect(await page.locator('#messages li .text', { hasText: 'Bob, with a typo' }).count()).toBe(0);
  });

  it('shows as deleted a shown message deleted in what the emulator dropped', async () => {
    const id = emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'Bob, soon to be deleted' });
    const bob = page.locator(`#messages li[data-message-id="${id}"]`);
    await bob.waitFor();
    await missWhileCutOff(() => deleteAs(emulator, 2, id), 'delete');
    await expect.poll(() => bob.locator('.text').textContent()).toBe('This message has been deleted.');
    expect(await bob.getAttribute('class')).toContain('deleted');
  });

  // Her message was answered (its id known) while the stream was cut, and its echo, which would have put it in its
  // place, was in what the emulator dropped: it stayed at the bottom, under the messages written after it.
  it('puts her message answered while cut off, whose echo was dropped, where it was written: not under later ones', async () => {
    const mine = 'Alice, answered while her stream was cut';
    const after = await missWhileCutOff(async () => {
      await page.fill('#message', mine);
      await page.press('#message', 'Enter');
      await page.locator('#messages li.mine:not(.pending)', { hasText: mine }).waitFor(); // answered: sent
    }, 'answer');
    // Its number, from the emulator's state (its timeline no longer has it).
    const state = (await (await fetch(`${emulator.url}/_emulator/state`)).json()) as {
      chats: { id: number; messages: { id: number; text: string }[] }[];
    };
    const stored = state.chats.find((chat) => chat.id === 1)!.messages.find((m) => m.text === mine)!;
    await expect.poll(order).toEqual(expect.arrayContaining([mine]));
    const items = await order();
    // After the last gap (it is in what was dropped), before everything written after it.
    expect(items.slice(items.lastIndexOf('gap') + 1)).toEqual([mine, ...after]);
    const li = page.locator('#messages li.mine', { hasText: mine });
    expect(await li.getAttribute('data-message-id')).toBe(String(stored.id));
    expect(await li.getAttribute('class')).not.toMatch(/pending|failed/);
    expect(await page.locator('#messages li .text', { hasText: mine }).count()).toBe(1);
  });

  // Its answer comes only after the page caught up past it (and it is not among the newest the state has): still no
  // echo to come, so it is put in its place then.
  it('puts her message in its place when its answer comes after a reconnect that dropped its echo', async () => {
    const mine = 'Alice, answered after the page caught up';
    // With the 6 after them, the newest 150: all the page reads back of the chat's history after a gap.
    const more = Array.from({ length: 144 }, (_, i) => `Carol, more, ${i + 1}`);
    let release = (): void => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let answered: Promise<void> | undefined;
    const held = (url: URL) => url.pathname.includes('im.message.add');
    await page.route(held, (route) => {
      answered = (async () => {
        const response = await route.fetch(); // stored now; the page hears of it when released
        await released;
        await route.fulfill({ response });
      })();
    });
    try {
      const after = await missWhileCutOff(async () => {
        await page.fill('#message', mine);
        await page.press('#message', 'Enter');
        await expect.poll(() => emulator.messages(1).some((m) => m.text === mine)).toBe(true);
        // Past the newest 150 the page reads back: only its answer can tell the page it was stored.
        for (const text of more) emulator.postMessage({ from: 3, dialogId: 'chat1', text });
      }, 'held answer');
      expect(await page.locator('#messages li.mine.pending', { hasText: mine }).count()).toBe(1); // no answer yet
      release();
      await page.locator('#messages li.mine[data-message-id]', { hasText: mine }).waitFor({ timeout: 10_000 });
      const items = await order();
      // Carol's, read back from the history, are filled in after it.
      expect(items.slice(items.lastIndexOf('gap') + 1)).toEqual([mine, ...more, ...after]);
    } finally {
      release();
      await answered;
      await page.unroute(held);
    }
  });

  // Its answer was lost (the call ran, the reply broke): "Not sent", until its echo says it was stored. That echo was
  // dropped: the state's newest messages have it, recognised by its words as the echo would be.
  it('shows her message whose answer was lost and whose echo was dropped as sent after all, in its place', async () => {
    const mine = 'Alice, her answer lost while cut off';
    const after = await missWhileCutOff(async () => {
      emulator.addFault({ method: 'im.message.add', truncate: true, times: 1 });
      await page.fill('#message', mine);
      await page.press('#message', 'Enter');
      await page.locator('#messages li.mine.failed', { hasText: mine }).waitFor();
    }, 'lost answer');
    await page.locator('#messages li.mine[data-message-id]', { hasText: mine }).waitFor({ timeout: 10_000 });
    const items = await order();
    expect(items.slice(items.lastIndexOf('gap') + 1)).toEqual([mine, ...after]);
    expect(await page.locator('#messages li.failed').count()).toBe(0);
    expect(await liveText(page)).toContain(`Sent after all: ${mine}.`);
  });
});
