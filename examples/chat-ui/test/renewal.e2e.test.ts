import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { prng } from '@b24-typing/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ChatUi } from './startChatUi';
import { startChatUi } from './startChatUi';
import { keyTimes, ME, recordKeyTimes, recordSendTimes, sendTimes, typeLikeAPerson, writingCalls } from './timeline';
import { typeAs } from './typeAs';

// A 2 s client lifetime instead of 25 s, so a minute of typing holds ~40 renewals. Renew every 1.5 s
// (lifetime - margin); renew only if a key was pressed in the last second.
const POLICY = { lifetimeMs: 2000, marginMs: 500, idleMs: 1000 };
const PERIOD = POLICY.lifetimeMs - POLICY.marginMs;
const TYPING_MS = 61_000;
const SCREENSHOT = fileURLToPath(new URL('../docs/screenshot.png', import.meta.url));
const README = new URL('../README.md', import.meta.url);

const SENTENCES = [
  'Sure, trying it right now.',
  ' The indicator shows up as soon as I start typing, which is what we wanted.',
  ' While I keep writing it stays on, and it does not flicker between words.',
  ' I am going to keep going for a while so that the renewals have time to happen.',
  ' Bob, if you are reading this, you should see me typing the whole time.',
  ' Let me also check what happens with a longer paragraph, like a real reply would be.',
  ' So far so good, nothing odd on my side.',
];

let ui: ChatUi;
beforeAll(async () => {
  ui = await startChatUi({ clientLifetimeSec: POLICY.lifetimeMs / 1000, policy: POLICY });
  await recordKeyTimes(ui.page);
  await recordSendTimes(ui.page);
});
afterAll(() => ui?.close());

it('shows the indicator within 100 ms of the first key, renews it by the policy for a minute of typing, then lets it lapse', async () => {
  const { page, emulator } = ui;
  const random = prng(6);
  await page.focus('#message');
  const started = Date.now();
  let screenshot = false;
  for (let i = 0; Date.now() - started < TYPING_MS; i++) {
    await typeLikeAPerson(page, SENTENCES[i % SENTENCES.length]!, random, { until: started + TYPING_MS });
    if (!screenshot && Date.now() - started > 15_000) {
      // Bob starts typing too, as the others would see him: a picture of the example mid-typing.
      await typeAs(emulator, 2);
      await page.waitForSelector('#typing-text:not(:empty)');
      // As the README's caption has it: Alice typing (her line in the panel, what the others see) and Bob too.
      await page.waitForSelector(`#live li[data-sender="${ME}"]`);
      await page.waitForSelector('#live li[data-sender="2"]');
      await page.screenshot({ path: SCREENSHOT });
      screenshot = true;
    }
  }
  // The README's picture is this run's, and the README shows that very file.
  expect(screenshot).toBe(true);
  expect(statSync(SCREENSHOT).mtimeMs).toBeGreaterThanOrEqual(started);
  const images = [...readFileSync(README, 'utf8').matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)];
  expect(images.map(([, href]) => fileURLToPath(new URL(href!, README)))).toContain(SCREENSHOT);
  const keys = await keyTimes(page);
  const firstKey = keys[0]!;
  const lastKey = keys.at(-1)!;
  expect(lastKey - firstKey).toBeGreaterThanOrEqual(60_000);

  // Idle: no key any more. Wait for the indicator to lapse in the emulator (its client lifetime after the last call).
  await expect.poll(() => emulator.indicators().filter((i) => i.senderId === ME), { timeout: 5_000 }).toEqual([]);
  // And the page stopped renewing it (the library's idle stop: no timer of it runs any more), and every request it
  // sent has reached the emulator: nothing more can come.
  await expect.poll(() => page.getAttribute('#mine', 'title')).toBe('stopped (idle)');
  const sent = async () => (await sendTimes(page)).filter((t) => t >= firstKey).length;
  await expect.poll(async () => writingCalls(emulator, firstKey - 1_000).length === (await sent())).toBe(true);

  const calls = writingCalls(emulator, firstKey - 1_000);
  const times = calls.map((c) => c.time);
  const sends = (await sendTimes(page)).filter((t) => t >= firstKey);
  console.log(
    `first call sent ${sends[0]! - firstKey} ms and received ${times[0]! - firstKey} ms after the first key; ` +
      `${calls.length} calls for ${keys.length} keys in ${lastKey - firstKey} ms; ` +
      `gaps sent ${Math.min(...gaps(sends))}-${Math.max(...gaps(sends))} ms, ` +
      `received ${Math.min(...gaps(times))}-${Math.max(...gaps(times))} ms`,
  );
  expect(calls.every((c) => c.error === null && c.shown)).toBe(true);
  // Every request the page sent reached the emulator, and nothing else did.
  expect(sends).toHaveLength(calls.length);
  // Leading edge: the first call reaches the portal within 100 ms of the first key, not a debounce later.
  expect(times[0]! - firstKey).toBeGreaterThanOrEqual(0);
  expect(times[0]! - firstKey).toBeLessThan(100);
  // Renewals by the policy: one per period (timer-driven), never one per keystroke. Each gap is measured where
  // the library makes it, in the page; at the emulator a gap also carries two requests' jitter on a busy machine,
  // so there only the mean is held to the period.
  for (const gap of gaps(sends)) {
    expect(gap).toBeGreaterThanOrEqual(PERIOD - 200);
    expect(gap).toBeLessThanOrEqual(PERIOD + 200);
  }
  const meanGap = (times.at(-1)! - times[0]!) / (times.length - 1);
  expect(Math.abs(meanGap - PERIOD)).toBeLessThan(60);
  expect(calls.length).toBeGreaterThanOrEqual(Math.floor((lastKey - firstKey) / (PERIOD + 60)));
  expect(calls.length).toBeLessThan(keys.length / 5);
  // The others saw Alice typing the whole time, without a gap.
  expect(emulator.visibleThroughout('chat1', ME, times[0]!, lastKey)).toBe(true);
  // No renewal after idle: none later than idleMs after the last key (plus timer and network slack).
  expect(times.filter((t) => t > lastKey + POLICY.idleMs + 150)).toEqual([]);
  const intervals = emulator.visibility('chat1', ME).filter((v) => (v.to ?? Infinity) > firstKey);
  expect(intervals).toHaveLength(1);
  expect(intervals[0]!.endCause).toBe('expired');
  // The panel agrees: nobody is typing.
  await expect.poll(() => page.locator('#live li').count()).toBe(0);
});

function gaps(times: readonly number[]): number[] {
  return times.slice(1).map((t, i) => t - times[i]!);
}
