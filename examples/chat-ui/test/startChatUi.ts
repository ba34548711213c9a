import { fileURLToPath } from 'node:url';
import type { Emulator } from '@b24-typing/emulator';
import { startEmulator } from '@b24-typing/emulator';
import { launchChromium } from '@b24-typing/test-utils';
import type { Browser, Page } from 'playwright-core';
import { preview } from 'vite';
import { inject } from 'vitest';

export interface ChatUi {
  /** The emulator the app talks to (a new one after `restartEmulator`). */
  readonly emulator: Emulator;
  readonly page: Page;
  /** The app's URL with the query that points it at this emulator. */
  readonly url: string;
  /** Stops the emulator and starts a new process of it on the same port, as a person restarting it would. */
  restartEmulator(): Promise<Emulator>;
  /**
   * The state `startChatUi` left it in, for a test that must not depend on what the tests before it did: the emulator
   * back to its seed (no faults, no one typing, no users added) with Bob's and Carol's messages, and the page opened
   * afresh on it (no draft, no message of before, default window and media).
   */
  startOver(): Promise<void>;
  close(): Promise<void>;
}

export interface ChatUiOptions {
  /** How long the emulator's client shows `im.dialog.writing` (the real one: 25 s). */
  readonly clientLifetimeSec: number;
  /** The app's typing policy, matching that lifetime. */
  readonly policy: { readonly lifetimeMs: number; readonly marginMs: number; readonly idleMs: number };
  /** OAuth access-token lifetime (default the emulator's hour). */
  readonly tokenTtlSec?: number;
}

const root = fileURLToPath(new URL('..', import.meta.url));

/** The window the page opens in: a laptop's. */
const VIEWPORT = { width: 1100, height: 680 };

/** What Bob and Carol have said when the page opens. */
function seedChat(emulator: Emulator): void {
  emulator.postMessage({ from: 2, dialogId: 'chat1', text: 'Morning! Did the typing indicator fix land?' });
  emulator.postMessage({ from: 3, dialogId: 'chat1', text: 'It is in review. Alice, can you try it in the composer?' });
}

/**
 * The example as a person gets it: built by Vite (once per run, test/buildOnce.ts), served on 127.0.0.1, opened in Chromium, pointed (query
 * string) at a fresh emulator whose OAuth seed it uses; Bob and Carol have already said something.
 */
export async function startChatUi(options: ChatUiOptions): Promise<ChatUi> {
  const outDir = inject('chatUiDist');
  const emulatorOptions = {
    clientLifetimeSec: options.clientLifetimeSec,
    ...(options.tokenTtlSec === undefined ? {} : { tokenTtlSec: options.tokenTtlSec }),
  };
  let emulator = await startEmulator(emulatorOptions);
  let browser: Browser | undefined;
  let server: Awaited<ReturnType<typeof preview>> | undefined;
  try {
    server = await preview({ root, logLevel: 'error', build: { outDir }, preview: { host: '127.0.0.1', port: 0 } });
    const base = server.resolvedUrls?.local[0];
    if (!base) throw new Error('vite preview did not report its URL');
    seedChat(emulator);
    const query = new URLSearchParams({
      emulator: emulator.url,
      dialog: 'chat1',
      lifetimeMs: String(options.policy.lifetimeMs),
      marginMs: String(options.policy.marginMs),
      idleMs: String(options.policy.idleMs),
    });
    const url = `${base}?${query}`;
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: VIEWPORT });
    const open = async (): Promise<void> => {
      await page.goto(url);
      await page.waitForSelector('body[data-ready="true"]');
      await page.waitForSelector('#messages li:nth-child(2)');
    };
    await open();
    const opened = { browser, server };
    return {
      get emulator() {
        return emulator;
      },
      page,
      url,
      async restartEmulator() {
        const { port } = emulator;
        await emulator.close();
        emulator = await startEmulator({ ...emulatorOptions, port });
        return emulator;
      },
      async startOver() {
        await page.goto('about:blank'); // before the reset: the page would take it in, and read the seed again
        emulator.clearFaults();
        emulator.reset();
        seedChat(emulator);
        await page.setViewportSize(VIEWPORT);
        await page.emulateMedia({ colorScheme: null, reducedMotion: null, forcedColors: null });
        await open();
      },
      async close() {
        await opened.browser.close();
        await new Promise<void>((resolve) => opened.server.httpServer.close(() => resolve()));
        await emulator.close();
      },
    };
  } catch (error) {
    await browser?.close();
    server?.httpServer.close();
    await emulator.close();
    throw error;
  }
}
