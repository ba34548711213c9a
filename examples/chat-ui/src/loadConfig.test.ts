import { afterEach, describe, expect, it, vi } from 'vitest';
import { B24InputError } from '@b24-typing/core';
import { startEmulator } from '@b24-typing/emulator';
import { loadConfig, readSettings } from './loadConfig';

/** The settings a page opened at `?<query>` reads (Vite env vars only where a test stubs them). */
const settingsAt = (query: string) => readSettings({ search: `?${query}` } as Location);

describe('readSettings', () => {
  it('takes the user a given token belongs to', () => {
    expect(settingsAt('token=t0k&user=2')).toMatchObject({ token: 't0k', userId: 2 });
    expect(settingsAt('').userId).toBe(1);
    expect(settingsAt('token=t0k&user=').userId).toBe(1); // left blank, as `token=` is: the default
  });

  // How often a silent event stream is checked (see emulatorFeed): 5 s, which a test of a stalled stream shortens.
  it('takes how often a silent stream is checked (watchMs), 5 s by default', () => {
    expect(settingsAt('').watchMs).toBe(5_000);
    expect(settingsAt('watchMs=').watchMs).toBe(5_000); // left blank: the default
    expect(settingsAt('watchMs=750').watchMs).toBe(750);
  });

  it.each(['abc', '0', '-5', '1.5', '99'])('refuses watchMs=%j before any network call', (watchMs) => {
    expect(() => settingsAt(`watchMs=${watchMs}`)).toThrow(B24InputError);
    expect(() => settingsAt(`watchMs=${watchMs}`)).toThrow(
      `Invalid watchMs: must be how often a silent event stream is checked, in ms (an integer, 100 or more) (got ${JSON.stringify(watchMs)})`,
    );
  });

  describe('with Vite env vars set (a `.env` file, `VITE_B24_*=… pnpm dev`)', () => {
    afterEach(() => vi.unstubAllEnvs());

    // The README's order: a link someone shares (the query) points where it says, whatever the dev server was started with.
    it('takes the query first, then the env vars, then the defaults', () => {
      vi.stubEnv('VITE_B24_EMULATOR_URL', 'http://127.0.0.1:9001');
      vi.stubEnv('VITE_B24_DIALOG', 'chat2');
      vi.stubEnv('VITE_B24_TOKEN', 'from-env');
      vi.stubEnv('VITE_B24_USER', '3');
      expect(settingsAt('')).toMatchObject({
        emulatorUrl: 'http://127.0.0.1:9001',
        dialogId: 'chat2',
        token: 'from-env',
        userId: 3,
      });
      expect(settingsAt('emulator=http://127.0.0.1:9002&dialog=chat5&token=from-query&user=4')).toMatchObject({
        emulatorUrl: 'http://127.0.0.1:9002',
        dialogId: 'chat5',
        token: 'from-query',
        userId: 4,
      });
    });
  });
});

describe('loadConfig', () => {
  // A token given (query or env) is the page's sign-in: the emulator's seed is not read, so it works against any
  // portal that gives tokens, and her messages are drawn as those of the `user` it belongs to.
  it('uses a given token as it is, reads no seed, and says a fresh one is needed when it expires', async () => {
    const emulator = await startEmulator();
    const { url } = emulator;
    await emulator.close(); // nobody listens there now: any request would fail
    const config = await loadConfig(settingsAt(`emulator=${url}&token=t0k&user=2`));
    expect(config.userId).toBe(2);
    await expect(config.auth({ refresh: false })).resolves.toBe('t0k');
    await expect(config.auth({ refresh: true })).rejects.toThrow(
      'the access token given in the URL expired; pass a fresh one',
    );
  });

  it('without a token, signs in with the seed of the emulator it points at (user 1, Alice)', async () => {
    const emulator = await startEmulator();
    try {
      const config = await loadConfig(settingsAt(`emulator=${emulator.url}&user=2`));
      expect(config.userId).toBe(emulator.fixtures.oauth.userId);
      await expect(config.auth({ refresh: false })).resolves.toBe(emulator.fixtures.oauth.accessToken);
    } finally {
      await emulator.close();
    }
  });

  // A user that is no id would have her own messages drawn as someone else's (and one sent twice, should its answer
  // come before its echo): no amount of waiting fixes it, so the page says so instead of starting.
  it.each(['bob', '0', '-2', '1.5', '2x'])('refuses user=%j before any network call', (user) => {
    expect(() => settingsAt(`token=t0k&user=${user}`)).toThrow(B24InputError);
    expect(() => settingsAt(`token=t0k&user=${user}`)).toThrow(
      `Invalid user: must be the id of the user the token belongs to (a positive integer) (got ${JSON.stringify(user)})`,
    );
  });

  // Typed as every bad input in the project is (B24InputError, with the setting's name in `field`), and worded as
  // the policy's are: the page shows the message as it is ("Could not start: …").
  it.each([
    [
      'emulator=localhost:8024',
      'emulator',
      'Invalid emulator: must be a URL such as http://127.0.0.1:8024 (got "localhost:8024")',
    ],
    ['emulator=8024', 'emulator', 'Invalid emulator: must be a URL such as http://127.0.0.1:8024 (got "8024")'],
    ['dialog=1', 'dialog', 'Invalid dialog: must be a group chat id like chat1 (got "1")'],
    ['dialog=chat', 'dialog', 'Invalid dialog: must be a group chat id like chat1 (got "chat")'],
  ])('refuses %s before any network call', (query, field, message) => {
    expect(() => settingsAt(query)).toThrow(expect.objectContaining({ name: 'B24InputError', field, message }));
  });
});

describe('readSettings: the typing policy', () => {
  it('takes the policy given in the query, as numbers', () => {
    expect(settingsAt('lifetimeMs=2000&marginMs=500&idleMs=1000').policy).toMatchObject({
      lifetimeMs: 2000,
      marginMs: 500,
      idleMs: 1000,
    });
  });

  // Core refuses such a policy too, but only once the page has connected: while the emulator is down, the page would
  // say it is waiting for it, and no amount of waiting fixes a setting.
  it.each([
    ['idleMs=abc', 'Invalid policy.idleMs: must be milliseconds from 1 to 2147483647 (got "abc")'],
    ['lifetimeMs=', 'Invalid policy.lifetimeMs: must be milliseconds from 1 to 2147483647 (got "")'],
    ['marginMs=-1', 'Invalid policy.marginMs: must be milliseconds from 0 to 2147483647 (got -1)'],
    ['lifetimeMs=2000&idleMs=3000', 'Invalid policy.idleMs: must be at most lifetimeMs (2000) (got 3000)'],
  ])('refuses %s before any network call', (query, message) => {
    expect(() => settingsAt(query)).toThrow(B24InputError);
    expect(() => settingsAt(query)).toThrow(message);
  });
});
