import { describe, expect, it } from 'vitest';
import { readSettings } from './loadConfig';

/** The settings a page opened at `?<query>` reads (no Vite env vars are set in the tests). */
const settingsAt = (query: string) => readSettings({ search: `?${query}` } as Location);

describe('readSettings', () => {
  it('takes the user a given token belongs to', () => {
    expect(settingsAt('token=t0k&user=2')).toMatchObject({ token: 't0k', userId: 2 });
    expect(settingsAt('').userId).toBe(1);
    expect(settingsAt('token=t0k&user=').userId).toBe(1); // left blank, as `token=` is: the default
  });

  // A user that is no id would have her own messages drawn as someone else's (and one sent twice, should its answer
  // come before its echo): no amount of waiting fixes it, so the page says so instead of starting.
  it.each(['bob', '0', '-2', '1.5', '2x'])('refuses user=%j before any network call', (user) => {
    expect(() => settingsAt(`token=t0k&user=${user}`)).toThrow(
      `user must be the id of the user the token belongs to (a positive integer), not ${JSON.stringify(user)}`,
    );
  });
});
