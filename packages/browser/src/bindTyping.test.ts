import { createTypingIndicators, type UserTypingOptions } from '@b24-typing/core';
import type { CDPSession } from 'playwright-core';
import type { Emulator } from '@b24-typing/emulator';
import { startEmulator } from '@b24-typing/emulator';
import { config, Subject } from 'rxjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDomPage } from '../test/domPage';
import type { DomPage } from '../test/domPage';
import { bindTyping } from './bindTyping';

let dom: DomPage;
let cdp: CDPSession;
beforeAll(async () => {
  dom = await openDomPage();
  cdp = await dom.page.context().newCDPSession(dom.page);
});
afterAll(() => dom?.close());
beforeEach(async () => {
  await dom.page.fill('#ta', '');
  await dom.take();
});

/** Every listener on the composer, its form, the document and window, as the browser itself reports them. */
async function listenerCount(): Promise<number> {
  let total = 0;
  for (const expression of ['document.getElementById("ta")', 'document.getElementById("form")', 'document', 'window']) {
    const { result } = await cdp.send('Runtime.evaluate', { expression });
    const { listeners } = await cdp.send('DOMDebugger.getEventListeners', { objectId: result.objectId! });
    total += listeners.length;
  }
  return total;
}

/**
 * Binds #ta with an `indicators` whose `userTyping` reports what it was given (the two streams and the
 * dialog), so these tests see exactly the wiring; the real createIndicators is exercised end to end in
 * examples/chat-ui.
 */
async function bind(): Promise<void> {
  await dom.page.evaluate(() => {
    const { map, merge } = window.rx;
    const sub = window.b24.bindTyping(document.getElementById('ta')!, {
      dialogId: 'chat7',
      enterToSend: true,
      indicators: {
        userTyping: ({ dialogId, keystrokes, sent }: UserTypingOptions) =>
          merge(keystrokes.pipe(map(() => `${dialogId}:key`)), sent!.pipe(map(() => `${dialogId}:sent`))),
      } as unknown as Parameters<typeof window.b24.bindTyping>[1]['indicators'],
      onEvent: (event) => window.events.push(String(event)),
    });
    (window as unknown as { sub: { unsubscribe(): void } }).sub = sub;
  });
}

const unbind = () => dom.page.evaluate(() => (window as unknown as { sub: { unsubscribe(): void } }).sub.unsubscribe());

/** Headless Chromium never hides a page, so visibility is switched the way the browser reports it. */
const setVisibility = (state: 'hidden' | 'visible') =>
  dom.page.evaluate((s) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => s });
    document.dispatchEvent(new Event('visibilitychange'));
  }, state);

describe('bindTyping in Chromium', () => {
  it('feeds keystrokes and sends (Enter) of the composer into userTyping for the dialog', async () => {
    await bind();
    await dom.page.focus('#ta');
    await dom.page.keyboard.type('ok');
    await dom.page.keyboard.press('ArrowLeft');
    await dom.page.keyboard.press('Enter');
    await dom.page.keyboard.type('!');
    expect(await dom.take()).toEqual(['chat7:key', 'chat7:key', 'chat7:sent', 'chat7:key']);
    await unbind();
  });

  it('stops renewing while the page is hidden and counts keystrokes again once visible', async () => {
    await bind();
    await dom.page.focus('#ta');
    await dom.page.keyboard.type('a');
    await setVisibility('hidden');
    await dom.page.keyboard.type('b'); // e.g. an extension or autofill writing into a background tab
    await setVisibility('visible');
    await dom.page.keyboard.type('c');
    expect(await dom.take()).toEqual(['chat7:key', 'chat7:sent', 'chat7:key']);
    await unbind();
  });

  it('counts no keystroke while the page is already hidden when it binds, and starts once it is visible', async () => {
    await setVisibility('hidden');
    await bind();
    await dom.page.focus('#ta');
    await dom.page.keyboard.type('a');
    await setVisibility('visible');
    await dom.page.keyboard.type('b');
    expect(await dom.take()).toEqual(['chat7:key']);
    await unbind();
  });

  it("takes sends from sentOn when given, instead of the composer's Enter and form submit", async () => {
    const seen = await dom.page.evaluate(() => {
      const { map, merge, Subject } = window.rx;
      const ta = document.getElementById('ta') as HTMLTextAreaElement;
      const sentOn = new Subject<void>();
      const log: string[] = [];
      const sub = window.b24.bindTyping(ta, {
        dialogId: 'chat7',
        enterToSend: true,
        sentOn,
        indicators: {
          userTyping: ({ keystrokes, sent }: UserTypingOptions) =>
            merge(keystrokes.pipe(map(() => 'key')), sent!.pipe(map(() => 'sent'))),
        } as unknown as Parameters<typeof window.b24.bindTyping>[1]['indicators'],
        onEvent: (event) => log.push(String(event)),
      });
      ta.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
      const form = document.getElementById('form') as HTMLFormElement;
      const stay = (e: Event) => e.preventDefault();
      form.addEventListener('submit', stay);
      form.requestSubmit();
      form.removeEventListener('submit', stay);
      sentOn.next();
      sub.unsubscribe();
      return log;
    });
    expect(seen).toEqual(['sent']);
    await dom.take();
  });

  it("reads visibility from the composer's own document (a composer in an iframe)", async () => {
    const seen = await dom.page.evaluate(() => {
      const frame = document.body.appendChild(document.createElement('iframe'));
      const doc = frame.contentDocument!;
      const composer = doc.body.appendChild(doc.createElement('textarea'));
      const log: string[] = [];
      const { map, merge } = window.rx;
      const sub = window.b24.bindTyping(composer, {
        dialogId: 'chat7',
        indicators: {
          userTyping: ({ keystrokes, sent }: UserTypingOptions) =>
            merge(keystrokes.pipe(map(() => 'key')), sent!.pipe(map(() => 'sent'))),
        } as unknown as Parameters<typeof window.b24.bindTyping>[1]['indicators'],
        onEvent: (event) => log.push(String(event)),
      });
      const type = () => {
        composer.focus();
        doc.execCommand('insertText', false, 'x');
      };
      type();
      Object.defineProperty(doc, 'visibilityState', { configurable: true, get: () => 'hidden' });
      doc.dispatchEvent(new Event('visibilitychange'));
      type();
      sub.unsubscribe();
      frame.remove();
      return log;
    });
    expect(seen).toEqual(['key', 'sent']);
  });

  it('reads visibility from the document the composer is in now, after it was moved to a popup window', async () => {
    // A chat popped out into its own window (window.open, Document Picture-in-Picture) moves the bound composer there:
    // the tab it came from may then be hidden while the person types in the popup.
    const seen = await dom.page.evaluate(() => {
      const popup = window.open('', 'chat', 'popup')!;
      const composer = document.body.appendChild(document.createElement('textarea'));
      const log: string[] = [];
      const { map, merge } = window.rx;
      const sub = window.b24.bindTyping(composer, {
        dialogId: 'chat7',
        indicators: {
          userTyping: ({ keystrokes, sent }: UserTypingOptions) =>
            merge(keystrokes.pipe(map(() => 'key')), sent!.pipe(map(() => 'sent'))),
        } as unknown as Parameters<typeof window.b24.bindTyping>[1]['indicators'],
        onEvent: (event) => log.push(String(event)),
      });
      popup.document.body.append(composer); // adopted into the popup's document
      const type = () => {
        composer.focus();
        popup.document.execCommand('insertText', false, 'x');
      };
      type();
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      document.dispatchEvent(new Event('visibilitychange'));
      type();
      Object.defineProperty(popup.document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      type();
      delete (document as { visibilityState?: unknown }).visibilityState;
      sub.unsubscribe();
      popup.close();
      return { log, typed: composer.value };
    });
    // Typed in the visible popup while the tab was hidden: counted, and the tab hiding stopped nothing. Typed once
    // the popup was hidden: not counted.
    expect(seen).toEqual({ log: ['key', 'key'], typed: 'xxx' });
  });

  it('removes every listener it added when unsubscribed', async () => {
    const before = await listenerCount();
    await bind();
    expect(await listenerCount()).toBeGreaterThanOrEqual(before + 6); // input, 3 × composition, keydown, submit, visibilitychange
    await unbind();
    expect(await listenerCount()).toBe(before);
    await dom.page.focus('#ta');
    await dom.page.keyboard.type('x');
    await dom.page.keyboard.press('Enter');
    expect(await dom.take()).toEqual([]);
  });
});

describe('bindTyping with createIndicators and createFetchTransport, on the emulator timeline', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ clientLifetimeSec: 1 });
  });
  afterAll(() => emulator?.close());

  // Lifetime 1 s, renew every 800 ms if a key came in the last 800 ms.
  const policy = { lifetimeMs: 1000, marginMs: 200, idleMs: 800 };
  const writing = () => emulator.timeline().filter((e) => e.kind === 'call' && e.method === 'im.dialog.writing');

  /** Types three keys, optionally hides the page once the start is in, and returns the calls made in the next 1.5 s. */
  async function typeThenWatch(hide: boolean): Promise<number> {
    emulator.reset();
    await setVisibility('visible');
    await dom.page.evaluate(
      ({ restUrl, token, policy }) => {
        const { b24 } = window;
        const transport = b24.createFetchTransport({ clientEndpoint: restUrl, auth: () => token });
        const indicators = b24.createIndicators({ transport });
        const sub = b24.bindTyping(document.getElementById('ta')!, { indicators, dialogId: 'chat1', policy });
        (window as unknown as { sub: { unsubscribe(): void } }).sub = sub;
      },
      { restUrl: emulator.restUrl, token: emulator.issueToken(1).accessToken, policy },
    );
    await dom.page.focus('#ta');
    await dom.page.keyboard.type('abc');
    await expect.poll(() => writing().length, { interval: 10 }).toBe(1);
    // Hiding stops the indicator like a send does: a call still in flight would be aborted, so hide after it.
    if (hide) await setVisibility('hidden');
    await dom.page.waitForTimeout(1_500); // past the renewal at 800 ms and the idle stop at 1 600 ms
    await unbind();
    return writing().length;
  }

  it('starts at once, renews while keys are recent, and does not renew once the page is hidden', async () => {
    // The DevTools protocol reports CORS preflights too (Playwright's request events do not).
    const methods: string[] = [];
    await cdp.send('Network.enable');
    cdp.on('Network.requestWillBeSent', ({ request }) => {
      if (request.url.startsWith(emulator.restUrl)) methods.push(request.method);
    });
    expect(await typeThenWatch(false)).toBe(2); // the start, and the renewal at 800 ms (last key ~50 ms before)
    expect(await typeThenWatch(true)).toBe(1); // the start only: hidden pages do not renew
    expect(writing()[0]).toMatchObject({ dialogId: 'chat1', senderId: 1, auth: 'oauth', shown: true });
    expect(methods).toEqual(['POST', 'POST', 'POST']); // no CORS preflight before any of them
  });
});

describe('bindTyping input checks and errors (no DOM needed)', () => {
  const element = { addEventListener() {}, removeEventListener() {} } as unknown as HTMLElement;
  const indicators = { userTyping: () => ({ subscribe: () => ({}) }) } as never;
  const realIndicators = createTypingIndicators({
    transport: { call: () => Promise.reject(new Error('no call may be made')) },
  });

  it.each([
    ['indicators', { dialogId: 'chat1' }],
    ['indicators', { indicators: null, dialogId: 'chat1' }],
    ['options', null],
    // checked by userTyping itself, before bindTyping adds a listener
    ['dialogId', { indicators: realIndicators, dialogId: '' }],
    ['sentOn', { indicators, dialogId: 'chat1', sentOn: 5 }],
    // not only when the first event arrives, as an error thrown from inside RxJS
    ['onEvent', { indicators, dialogId: 'chat1', onEvent: 'log' }],
  ])('names %s when it is wrong', (field, options) => {
    expect(() => bindTyping(element, options as never)).toThrow(
      expect.objectContaining({ name: 'B24InputError', kind: 'input', field: field }),
    );
  });

  it('ends the binding when sentOn errors, reporting the stop, without an uncaught error thrown from a timer', () => {
    // The returned Subscription gives the app no error handler of its own to catch it with.
    vi.useFakeTimers();
    const reported: unknown[] = [];
    config.onUnhandledError = (e) => reported.push(e);
    try {
      const sentOn = new Subject<void>();
      const events: string[] = [];
      const sub = bindTyping(element, {
        indicators: realIndicators,
        dialogId: 'chat1',
        sentOn,
        onEvent: (e) => events.push(`${e.type}:${'reason' in e ? e.reason : ''}`),
      });
      sentOn.error(new Error('send failed'));
      vi.runAllTimers();
      expect(events).toEqual(['stopped:error']);
      expect(sub.closed).toBe(true);
      expect(reported).toEqual([]);
    } finally {
      config.onUnhandledError = null;
      vi.useRealTimers();
    }
  });
});
