import type { AuthRequest } from '@b24-typing/browser';
import { B24Error, B24InputError, resolveTypingPolicy } from '@b24-typing/core';
import type { TypingPolicy } from '@b24-typing/core';
import { WATCH_MS } from './emulatorFeed';

/** What the page reads from its URL and env before it talks to anyone. */
export interface ChatSettings {
  /** The emulator's base URL, e.g. `http://127.0.0.1:8024`. */
  readonly emulatorUrl: string;
  /** `chat<N>`: the group chat to show. */
  readonly dialogId: `chat${number}`;
  /** The user the token belongs to (own messages are drawn on the right). */
  readonly userId: number;
  /** An access token given in the URL or env; without one the page uses the emulator's OAuth seed. */
  readonly token: string | undefined;
  /** The typing policy, defaults filled in (tests shorten the 25 s lifetime to match the emulator's). */
  readonly policy: TypingPolicy;
  /**
   * How often a silent event stream is checked against the timeline (see `emulatorFeed`): 5 s; a test of a stalled
   * stream shortens it rather than wait two periods of it.
   */
  readonly watchMs: number;
}

/** Where the demo points and as whom it types. */
export interface ChatConfig extends ChatSettings {
  /** Gives the fetch transport its access token and refreshes it on `expired_token`. */
  readonly auth: (request: AuthRequest) => Promise<string>;
  /**
   * The emulator went back to its seed (reset, or a new process): the tokens it issued before are gone, so take
   * its seeded ones again. Also called when it answers `NO_AUTH_FOUND` (it started over unheard of). Concurrent
   * calls share one. Nothing to do for a token given in the URL.
   */
  readonly reseed: () => Promise<void>;
}

interface Fixtures {
  readonly app: { readonly clientId: string; readonly clientSecret: string };
  readonly oauth: { readonly accessToken: string; readonly refreshToken: string; readonly userId: number };
}

/** The emulator did not answer (not started yet, restarting): worth waiting for, unlike a wrong setting. */
export class EmulatorUnreachable extends Error {
  override readonly name = 'EmulatorUnreachable';
}

/** GETs JSON from the emulator; no connection or an error status is {@link EmulatorUnreachable}. */
export async function getJson<T>(url: string): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, { cache: 'no-store' });
  } catch {
    throw new EmulatorUnreachable('it does not answer');
  }
  if (!response.ok) throw new EmulatorUnreachable(`${new URL(url).pathname} answered HTTP ${response.status}`);
  return (await response.json()) as T;
}

/**
 * POSTs for a token. No answer at all (the emulator is down, the connection broke) is a network failure, as a call's
 * would be: "no connection", not a refused sign-in, which the fetch transport takes any other error of `auth` for.
 * `B24Error.from` keeps the fetch error's message out (it names the URL).
 */
async function postForToken(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    throw B24Error.from(error);
  }
}

/**
 * Reads the settings from the query string, then Vite env vars (`VITE_B24_*`), then defaults: the emulator's CLI
 * port and the OAuth token the emulator seeds for user 1. Query parameters: `emulator`, `dialog`, `token`,
 * `user`, `lifetimeMs`, `marginMs`, `idleMs`, `watchMs`. Throws a `B24InputError` (its `field` the setting) on a
 * setting no amount of waiting will fix, before any request: the page says so instead of waiting for the emulator.
 */
export function readSettings(location: Location): ChatSettings {
  const query = new URLSearchParams(location.search);
  const env = import.meta.env;
  const emulatorUrl = (query.get('emulator') ?? env.VITE_B24_EMULATOR_URL ?? 'http://127.0.0.1:8024').replace(
    /\/$/,
    '',
  );
  // `localhost:8024` parses as a URL of the scheme `localhost:`, which fetch cannot reach: the page would wait for
  // an emulator forever, so only http(s) is taken.
  if (!URL.canParse(emulatorUrl) || !/^https?:$/.test(new URL(emulatorUrl).protocol))
    throw new B24InputError('emulator', 'a URL such as http://127.0.0.1:8024', JSON.stringify(emulatorUrl));
  const dialog = query.get('dialog') ?? env.VITE_B24_DIALOG ?? 'chat1';
  if (!/^chat\d+$/.test(dialog))
    throw new B24InputError('dialog', 'a group chat id like chat1', JSON.stringify(dialog));
  // Checked here by core's own rules, not only once the page has connected (where `bindTyping` checks it): while the
  // emulator is down the page would say it waits for it, and no amount of waiting fixes a setting. What is no number
  // (`abc`, left blank) stays as written, for the error to quote: `Number` would make a blank 0.
  const given: Partial<Record<keyof TypingPolicy, unknown>> = {};
  for (const key of ['lifetimeMs', 'marginMs', 'idleMs'] as const) {
    const value = query.get(key);
    if (value !== null) given[key] = value.trim() === '' || Number.isNaN(Number(value)) ? value : Number(value);
  }
  const policy = resolveTypingPolicy(given as Partial<TypingPolicy>);
  const token = query.get('token') || env.VITE_B24_TOKEN || undefined;
  // Own messages are told by it: one that is no id would draw hers as someone else's, and not take their echoes.
  const user = query.get('user') || env.VITE_B24_USER || '1';
  if (!/^[1-9]\d*$/.test(user))
    throw new B24InputError(
      'user',
      'the id of the user the token belongs to (a positive integer)',
      JSON.stringify(user),
    );
  // Under 100 ms a check would hardly have its answer before the next one calls the stream dead.
  const watch = query.get('watchMs') || String(WATCH_MS);
  if (!/^\d+$/.test(watch) || Number(watch) < 100)
    throw new B24InputError(
      'watchMs',
      'how often a silent event stream is checked, in ms (an integer, 100 or more)',
      JSON.stringify(watch),
    );
  return {
    emulatorUrl,
    dialogId: dialog as `chat${number}`,
    userId: Number(user),
    token,
    policy,
    watchMs: Number(watch),
  };
}

/** The settings and a token: the one given, or the emulator's OAuth seed (user 1, Alice), refreshed through it. */
export async function loadConfig(settings: ChatSettings): Promise<ChatConfig> {
  const { emulatorUrl, token } = settings;
  if (token) {
    return {
      ...settings,
      auth: async ({ refresh }) => {
        if (refresh) throw new Error('the access token given in the URL expired; pass a fresh one');
        return token;
      },
      reseed: async () => {},
    };
  }
  const readFixtures = () => getJson<Fixtures>(`${emulatorUrl}/_emulator/fixtures`);
  let fixtures = await readFixtures();
  let { accessToken, refreshToken } = fixtures.oauth;
  /**
   * The refresh token was refused (`invalid_grant`): each refresh rotates it, as on a portal, so every tab that
   * started from the seed's holds the same one, and only the first to refresh gets through (reading the seed again
   * gives that same, used-up token). A real app would sign the person in again; the emulator's
   * `POST /_emulator/tokens` stands for that, and gives this tab tokens of its own. Tabs do not share tokens (no
   * BroadcastChannel, no localStorage): each keeps its own refresh chain, which holds for a second browser too and
   * needs no locking between tabs that refresh at the same moment. A failed sign-in is the call's error ("Not sent").
   */
  const signIn = async (): Promise<string> => {
    const response = await postForToken(`${emulatorUrl}/_emulator/tokens`, {
      method: 'POST',
      body: JSON.stringify({ userId: fixtures.oauth.userId, clientId: fixtures.app.clientId }),
    });
    if (!response.ok) throw new Error(`sign-in failed (HTTP ${response.status})`);
    ({ accessToken, refreshToken } = (await response.json()) as { accessToken: string; refreshToken: string });
    return accessToken;
  };
  const refresh = async (): Promise<string> => {
    const response = await postForToken(`${emulatorUrl}/oauth/token/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: fixtures.app.clientId,
        client_secret: fixtures.app.clientSecret,
        refresh_token: refreshToken,
      }),
    });
    const body = (await response.json().catch(() => undefined)) as
      | { access_token: string; refresh_token: string; error?: string }
      | undefined;
    if (response.status === 400 && body?.error === 'invalid_grant') return signIn();
    if (!response.ok || !body) throw new Error(`token refresh failed (HTTP ${response.status})`);
    accessToken = body.access_token;
    refreshToken = body.refresh_token;
    return accessToken;
  };
  let reseeding: Promise<void> | undefined;
  return {
    ...settings,
    userId: fixtures.oauth.userId,
    // A real app asks its own backend here: the client secret must never reach a browser. The emulator is local.
    auth: async ({ refresh: expired }) => (expired ? refresh() : accessToken),
    reseed: () =>
      (reseeding ??= (async () => {
        fixtures = await readFixtures();
        ({ accessToken, refreshToken } = fixtures.oauth);
        // Swapped at once for a token of its own: the seed's is the same string in every emulator process, and the
        // fetch transport would answer its expiry with what it refreshed that string to before, on the old one.
        await refresh();
      })().finally(() => {
        reseeding = undefined;
      })),
  };
}
