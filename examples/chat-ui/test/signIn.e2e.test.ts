import type { CallEntry } from '@b24-typing/emulator';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatUi } from './startChatUi';
import { startChatUi } from './startChatUi';
import { ME } from './timeline';
import { trySend } from './trySend';

// Access tokens live 1 s, so a few token lifetimes pass in a few seconds.
const TTL_MS = 1000;
const POLICY = { lifetimeMs: 2000, marginMs: 500, idleMs: 1000 };

let ui: ChatUi;
beforeAll(async () => {
  ui = await startChatUi({ clientLifetimeSec: POLICY.lifetimeMs / 1000, policy: POLICY, tokenTtlSec: TTL_MS / 1000 });
});
afterAll(() => ui?.close());

/** What a tab asks to sign in, in order: `refresh 200`, `refresh 400` (the emulator's `invalid_grant`), `sign-in 200`. */
function recordSignIns(page: Page): string[] {
  const log: string[] = [];
  page.on('response', (response) => {
    const { pathname } = new URL(response.url());
    if (pathname === '/oauth/token/') log.push(`refresh ${response.status()}`);
    if (pathname === '/_emulator/tokens') log.push(`sign-in ${response.status()}`);
  });
  return log;
}

const callsSince = (from: number): CallEntry[] =>
  ui.emulator.timeline().filter((e): e is CallEntry => e.kind === 'call' && e.time >= from);

describe('two tabs signed in with the emulator’s seed token', () => {
  it('both keep sending past several token lifetimes, although the refresh token rotates', async () => {
    const first = ui.page;
    const firstLog = recordSignIns(first);
    const from = Date.now();
    await expect.poll(() => Date.now() > ui.emulator.fixtures.oauth.expiresAt, { timeout: 5_000 }).toBe(true);
    expect(await trySend(first, 'first tab, 1')).toBe('sent'); // refreshed: the seed's refresh token is used up

    // A second tab (its own browser context: no storage shared) opened now starts from the same seed.
    const second = await first.context().browser()!.newPage();
    const secondLog = recordSignIns(second);
    try {
      await second.goto(ui.url);
      await second.waitForSelector('body[data-ready="true"]');
      const sent: string[] = ['first tab, 1'];
      for (let round = 1; round <= 3; round++) {
        if (round > 1) {
          // Both tabs' tokens were issued before this, so each tab's next call meets an expired one.
          await new Promise((resolve) => setTimeout(resolve, TTL_MS));
          expect(await trySend(first, `first tab, ${round}`)).toBe('sent');
          sent.push(`first tab, ${round}`);
        }
        expect(await trySend(second, `second tab, ${round}`)).toBe('sent');
        sent.push(`second tab, ${round}`);
      }

      expect(
        ui.emulator
          .messages(1)
          .filter((m) => m.authorId === ME)
          .map((m) => m.text),
      ).toEqual(sent);
      // Every refused call met an expired token, which the tab refreshed; the emulator never saw one it did not know.
      const calls = callsSince(from);
      expect(calls.filter((c) => c.error !== null).every((c) => c.error === 'expired_token')).toBe(true);
      expect(calls.filter((c) => c.method === 'im.message.add' && c.error === null)).toHaveLength(sent.length);
      // The first tab keeps the seed's chain; the second is refused it once and signs in on a chain of its own.
      expect(firstLog).toEqual(['refresh 200', 'refresh 200', 'refresh 200']);
      expect(secondLog).toEqual(['refresh 400', 'sign-in 200', 'refresh 200', 'refresh 200']);
      for (const page of [first, second]) expect(await page.locator('#messages li.failed').count()).toBe(0);
    } finally {
      await second.close();
    }
  });

  it('tries once more after taking the seed again, no further: refused again, the message is not sent, with Retry', async () => {
    const page = ui.page;
    const reads: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/_emulator/fixtures')) reads.push(request.url());
    });
    ui.emulator.addFault({ method: 'im.message.add', status: 401, error: 'NO_AUTH_FOUND', times: 2 });
    const from = Date.now();
    expect(await trySend(page, 'refused twice')).toBe('failed');
    const message = page.locator('#messages li.mine.failed', { hasText: 'refused twice' });
    expect(await message.locator('.send-error span').textContent()).toBe(
      'Not sent: the portal did not accept the sign-in.',
    );
    const adds = () => callsSince(from).filter((c) => c.method === 'im.message.add');
    expect(adds().map((c) => c.error)).toEqual(['NO_AUTH_FOUND', 'NO_AUTH_FOUND']);
    expect(reads).toHaveLength(1);

    await message.getByRole('button', { name: 'Retry' }).click();
    await page.locator('#messages li.mine[data-message-id]:not(.pending)', { hasText: 'refused twice' }).waitFor();
    expect(adds().map((c) => c.error)).toEqual(['NO_AUTH_FOUND', 'NO_AUTH_FOUND', null]);
    expect(await page.locator('#messages li.failed').count()).toBe(0);
  });
});
