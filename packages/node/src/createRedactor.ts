import { B24Error, B24InputError } from '@b24-typing/core';
import { redactSecrets } from './redactSecrets';

/**
 * Keeps every secret a transport has held (webhook code, access and refresh tokens, client secret) and scrubs
 * them from the errors it produces. Our own messages never contain them; this guards the text we pass on
 * from elsewhere (a portal's `error_description`, a proxy page) that could echo a request back.
 */
export interface Redactor {
  /** A secret for the transport's life (a webhook code, a client secret, the first tokens). */
  add(secret: string): void;
  /**
   * The tokens a refresh handed out. Only the newest {@link ROTATED_KEPT} are kept: a long-running transport
   * refreshes every hour, and a set of every token it ever held would grow for good (and make each error scan it).
   * An older token is dead: the refresh token was used up by the next refresh and the access token lives an hour.
   */
  rotate(...tokens: readonly string[]): void;
  text(value: string, extra?: readonly string[]): string;
  /** Scrubs the transport's secrets, and `extra` ones (the call's own bot token), from a `B24Error`. */
  error<E>(error: E, extra?: readonly string[]): E | B24Error;
}

/** Parameter names whose values are credentials (imbot `botToken`, legacy `CLIENT_ID`, `auth`, …). */
const SECRET_PARAM = /token|secret|^auth$|^client_?id$/i;

/**
 * The credential values among a call's parameters, to scrub from whatever the portal replies. Nested ones too:
 * `imbot.v2.Bot.register` takes the bot's token in `fields.botToken`. The transports pass the params as they are sent,
 * each `toJSON` already asked: a token only a toJSON gives (`botToken: { toJSON }`, a `fields` whose toJSON returns
 * `{ botToken }`) is sent, and may be quoted back, too. Each object is visited once, so a cyclic
 * or shared tree (refused later as not JSON) costs no more than its size.
 */
export function secretParams(params: Record<string, unknown>): string[] {
  const found: string[] = [];
  const seen = new Set<object>();
  const walk = (value: unknown): void => {
    if (typeof value !== 'object' || value === null || seen.has(value)) return;
    seen.add(value);
    for (const [key, item] of Object.entries(value)) {
      if (SECRET_PARAM.test(key) && typeof item === 'string') {
        if (item !== '') found.push(item);
      } else walk(item);
    }
  };
  walk(params);
  return found;
}

/** Tokens of the last 32 refreshes: far more than can be alive at once (refreshes come about hourly). */
export const ROTATED_KEPT = 64;

export function createRedactor(): Redactor {
  const secrets = new Set<string>();
  const rotated = new Set<string>();
  const text = (value: string, extra: readonly string[] = []): string =>
    redactSecrets(value, [...secrets, ...rotated, ...extra]);
  return {
    add(secret) {
      if (secret !== '') secrets.add(secret);
    },
    rotate(...tokens) {
      for (const token of tokens) {
        if (token === '' || secrets.has(token)) continue;
        // Re-added, it counts as the newest again.
        rotated.delete(token);
        rotated.add(token);
      }
      // A Set iterates in insertion order: the first is the oldest.
      for (const oldest of rotated) {
        if (rotated.size <= ROTATED_KEPT) break;
        rotated.delete(oldest);
      }
    },
    text,
    error(error, extra) {
      // An input error's text is a field path and a rule, never a value: a short secret ("a", "form") would only cut
      // words of the rule apart, and rebuilt, the error would lose its type, `field` and `rule`.
      if (!(error instanceof B24Error) || error instanceof B24InputError) return error;
      const message = text(error.message, extra);
      const code = text(error.code, extra);
      if (message === error.message && code === error.code) return error;
      return new B24Error({
        code,
        message,
        kind: error.kind,
        ...(error.status === undefined ? {} : { status: error.status }),
      });
    },
  };
}
