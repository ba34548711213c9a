import { B24InputError } from '@b24-typing/core';

/**
 * `text` with every one of `secrets` cut out (`***`), in each form text quoting a request may carry it (as given,
 * URL-encoded, JSON-escaped, form-encoded). The transports scrub their errors with it; exported for what an app logs
 * of text it did not write: an LLM provider's error can quote the API key it refused, a proxy can echo a webhook URL
 * or a bot token back.
 *
 * Every secret is found in the text as it came, and then each stretch any of them covers is cut as one: scrubbed one
 * after the other, a secret that begins another (bot tokens `k9` and `k9-support` in one batch) or overlaps it would
 * be cut apart, leaving the rest of it in the text. Empty secrets are ignored.
 *
 * @throws {B24InputError} when `text` is not a string or `secrets` not an array of strings (the value is not quoted:
 * it may be a secret).
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  if (typeof text !== 'string') throw new B24InputError('text', 'a string');
  if (!Array.isArray(secrets) || secrets.some((secret) => typeof secret !== 'string')) {
    throw new B24InputError('secrets', 'an array of strings');
  }
  const found: [start: number, end: number][] = [];
  for (const secret of new Set(secrets)) {
    for (const form of forms(secret)) {
      if (!text.includes(form)) continue;
      if (secret.length < SHORT) {
        for (const match of text.matchAll(standingAlone(form))) found.push([match.index, match.index + form.length]);
      } else {
        // From the next character on, not past the match: a repeat inside the secret ("aaaa" in "aaaaa") is cut too.
        for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + 1)) {
          found.push([at, at + form.length]);
        }
      }
    }
  }
  // Sorted by start, each stretch is merged with the next while they overlap; touching ones stay two cuts.
  found.sort((a, b) => a[0] - b[0]);
  const cuts: [start: number, end: number][] = [];
  for (const [start, end] of found) {
    const last = cuts.at(-1);
    if (last && start < last[1]) last[1] = Math.max(last[1], end);
    else cuts.push([start, end]);
  }
  let out = '';
  let from = 0;
  for (const [start, end] of cuts) {
    out += `${text.slice(from, start)}***`;
    from = end;
  }
  return out + text.slice(from);
}

/**
 * Below this length a secret is scrubbed only where it stands alone: as a substring, "k9" or "BOT" would cut
 * ordinary words and error codes apart. It is still scrubbed, since the portal takes a bot token (and a v1
 * `CLIENT_ID`) of any length up to 40 (reference §4.1): a short one is still a credential.
 */
const SHORT = 4;

/** Not a letter, digit or `_` before and after, or a URL escape (`%3D`, `%253D`) before. */
function standingAlone(secret: string): RegExp {
  const escaped = secret.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`(?<=^|[^\\p{L}\\p{N}_]|%(?:25)*[0-9A-Fa-f]{2})${escaped}(?![\\p{L}\\p{N}_])`, 'gu');
}

/**
 * A secret as text quoting a request may carry it: as given, URL-encoded (a webhook path, a batch command), escaped
 * in a JSON body (`"` and `\` as `\"` and `\\`) and form-encoded (the OAuth refresh: a space as `+`, `(` as `%28`).
 */
function forms(secret: string): Set<string> {
  const all = new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
  all.add(new URLSearchParams([['', secret]]).toString().slice(1));
  all.delete('');
  return all;
}
