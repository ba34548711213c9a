import type { CallEntry, Emulator } from '@b24-typing/emulator';
import type { Page } from 'playwright-core';

/** Alice, user 1: the emulator's seeded OAuth token is hers, so the composer types as her. */
export const ME = 1;

/** `im.dialog.writing` calls that reached the emulator for Alice, oldest first. */
export function writingCalls(emulator: Emulator, since = 0): CallEntry[] {
  return emulator
    .timeline()
    .filter((e): e is CallEntry => e.kind === 'call' && e.method === 'im.dialog.writing' && e.senderId === ME)
    .filter((e) => e.time >= since);
}

/** Records, in the page, the wall-clock time of every key pressed in the composer (same clock as the emulator). */
export async function recordKeyTimes(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { keyTimes: number[] };
    w.keyTimes = [];
    document
      .getElementById('message')!
      .addEventListener('keydown', () => w.keyTimes.push(Date.now()), { capture: true });
    document
      .getElementById('message')!
      .addEventListener('compositionstart', () => w.keyTimes.push(Date.now()), { capture: true });
  });
}

/**
 * Records, in the page, when the app hands each `im.dialog.writing` request to `fetch` (the transport looks `fetch`
 * up at call time, so a wrapper installed now sees every later call). These are the library's own timing, on the
 * same clock as the key times; the emulator's arrival times add the jitter of the machine on top.
 */
export async function recordSendTimes(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { sendTimes: number[] };
    w.sendTimes = [];
    const original = window.fetch.bind(window);
    window.fetch = (input, init) => {
      if (String(input instanceof Request ? input.url : input).endsWith('/im.dialog.writing')) {
        w.sendTimes.push(Date.now());
      }
      return original(input, init);
    };
  });
}

export function sendTimes(page: Page): Promise<number[]> {
  return page.evaluate(() => (window as unknown as { sendTimes: number[] }).sendTimes.slice());
}

export function keyTimes(page: Page): Promise<number[]> {
  return page.evaluate(() => (window as unknown as { keyTimes: number[] }).keyTimes.slice());
}

/**
 * Types like a person: 60–200 ms between keys, a little longer after a space, a pause after punctuation (kept
 * under the policy's idle time, since this person does not stop), drawn from `random` (`prng(seed)` from
 * @b24-typing/test-utils, so every run types the same way). Returns when the text is typed.
 */
export async function typeLikeAPerson(
  page: Page,
  text: string,
  random: () => number,
  { maxPauseMs = 700, until = Number.POSITIVE_INFINITY } = {},
): Promise<void> {
  for (const char of text) {
    if (Date.now() >= until) return;
    await page.keyboard.type(char);
    let delay = 60 + random() * 140;
    if (char === ' ') delay += random() * 150;
    if (/[.,!?]/.test(char)) delay = Math.min(maxPauseMs, delay + 250 + random() * 300);
    await page.waitForTimeout(delay);
  }
}
