// Property test of how REST params travel: random params (nested objects and arrays, unicode keys and text, the
// characters a query string treats specially, numbers, booleans, null/undefined, empty arrays and objects) are sent
// by every transport of the parity test, as a `call` and inside a `batch`, to one emulator, and what the emulator
// parsed (`emulator.received()`) is compared with the documented encoding rules:
// - a `call` of the node transports is a JSON body (node README): the portal's json_decode keeps the types, so it
//   sees what `JSON.parse(JSON.stringify(params))` gives (reference §5, "Bodies");
// - a `call` of the fetch transport is a form body, and every `batch` command a query string, both in PHP bracket
//   syntax (core README, encodePhpQuery; reference §5 and §8): every value a string, `true`/`false` as `Y`/`N`,
//   `null`/`undefined` and empty arrays/objects left out, read back by PHP's `parse_str`.
// Where the platform sees the same, every transport must give the same; the only differences are the documented
// ones between a JSON body and a form body (`phpStrings` below lists them), checked on what was actually received.
// (The BX24 transport is left out: its encoding is BX24.js's own, which this repository only has a stand-in for.)
import { createFetchTransport } from '@b24-typing/browser';
import type { Transport } from '@b24-typing/core';
import { type Emulator, startEmulator } from '@b24-typing/emulator';
import { createOAuthTransport, createWebhookTransport, type NodeTransport } from '@b24-typing/node';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oauthOptionsFor } from './oauthOptionsFor';

type Name = 'webhook' | 'oauth' | 'fetch';
type Via = `${Name} call` | `${Name} batch`;
/** Encoding of each way in (node README: calls are JSON; core README: batch commands and fetch bodies are forms). */
const ENCODING: Record<Via, 'json' | 'form'> = {
  'webhook call': 'json',
  'webhook batch': 'form',
  'oauth call': 'json',
  'oauth batch': 'form',
  'fetch call': 'form',
  'fetch batch': 'form',
};
const VIAS = Object.keys(ENCODING) as Via[];

/** Text that a query string, a JSON body or a PHP parser treats specially, and unicode that is easy to get wrong. */
const TRICKY = [
  ' ',
  '&',
  '=',
  '%',
  '%41',
  '%%',
  '+',
  '#',
  '?',
  '"',
  "'",
  '\\',
  '\\u0041',
  '\n',
  '\r\n',
  '\t',
  '[]',
  '$result[0]',
  '😀',
  '👩‍👩‍👧',
  'שלום עולם',
  'مرحبا',
  '\u200f',
  'e\u0301',
  'Å',
  '\u00a0',
  '０',
  '0',
  '-1',
  '1e3',
];
const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc
    .array(fc.oneof(fc.constantFrom(...TRICKY), fc.string({ unit: 'grapheme-ascii', maxLength: 2 })), {
      maxLength: 4,
    })
    .map((parts) => parts.join('')),
);
/**
 * A key encodePhpQuery accepts: not empty, no `[`/`]` (refused: PHP would read another structure; core README), and
 * no NUL (PHP reads a name as a C string and cuts it there, which the emulator does not model).
 */
const key = text.filter((k) => k !== '' && !/[[\]\0]/.test(k));
const leaf = fc.oneof(
  text,
  fc.constantFrom(0, -1, 1.5, -0.25, 2 ** 53, 1e21, 1e-7, true, false, null, undefined),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(key, tie('value'), { maxKeys: 3, noNullPrototype: true }),
  ),
}));
/** Names the method (im.* upper-cases names) or the auth reads: not the subject here. */
const RESERVED = /^(dialog_id|chat_id|auth|access_token)$/i;
const params = fc.dictionary(key, value, { minKeys: 1, maxKeys: 4, noNullPrototype: true }).filter((p) => {
  // Top-level names as PHP registers them (`phpName`): none reserved, no two the same.
  const names = Object.keys(p).map(phpName);
  return names.every((n) => n !== '' && !RESERVED.test(n)) && new Set(names).size === names.length;
});

/**
 * The name PHP gives a top-level form or query parameter (php_register_variable_ex): leading spaces skipped, then
 * spaces and dots turned into `_`. Only the base name: names inside brackets are kept as sent. A JSON body's keys are
 * never touched (json_decode).
 */
function phpName(name: string): string {
  return name.replace(/^ +/, '').replace(/[ .]/g, '_');
}

/** PHP has one kind of array: a list and an object with the same keys are the same to it. */
function phpArrays(seen: unknown): unknown {
  if (seen === null || typeof seen !== 'object') return seen;
  const entries = Array.isArray(seen) ? seen.map((item, i) => [String(i), item] as const) : Object.entries(seen);
  return Object.fromEntries(entries.map(([k, item]) => [k, phpArrays(item)]));
}

/** What a JSON body comes to on the portal (json_decode): the types kept, `undefined` gone (in a list: `null`). */
function viaJson(sent: Record<string, unknown>): unknown {
  return phpArrays(JSON.parse(JSON.stringify(sent)));
}

/**
 * What a form body or batch command comes to on the portal, from the rules alone (core README, encodePhpQuery):
 * strings, `Y`/`N`, nothing for `null`/`undefined` or an empty array or object, so nothing either for an array or
 * object that holds only those (no pair names it); top-level names as PHP registers them.
 */
function viaForm(sent: Record<string, unknown>): unknown {
  const walk = (item: unknown): unknown => {
    if (item === null || item === undefined) return undefined;
    if (typeof item === 'boolean') return item ? 'Y' : 'N';
    if (typeof item !== 'object') return String(item);
    const entries = Array.isArray(item) ? item.map((v, i) => [String(i), v] as const) : Object.entries(item);
    const kept = entries.map(([k, v]) => [k, walk(v)] as const).filter(([, v]) => v !== undefined);
    return kept.length ? Object.fromEntries(kept) : undefined;
  };
  const top = Object.entries(sent)
    .map(([k, v]) => [phpName(k), walk(v)] as const)
    .filter(([, v]) => v !== undefined);
  return Object.fromEntries(top);
}

/**
 * The documented difference between a JSON body and a form body, applied to what a JSON body came to: a form makes
 * every value a string (`Y`/`N` for booleans, a number's JavaScript text), cannot carry `null` or an empty array or
 * object, and PHP renames a top-level name with a space or dot (`phpName`).
 */
function phpStrings(seen: unknown, top = true): unknown {
  if (seen === null) return undefined;
  if (typeof seen === 'boolean') return seen ? 'Y' : 'N';
  if (typeof seen !== 'object') return String(seen);
  const kept = Object.entries(seen as object)
    .map(([k, v]) => [top ? phpName(k) : k, phpStrings(v, false)] as const)
    .filter(([, v]) => v !== undefined);
  return kept.length || top ? Object.fromEntries(kept) : undefined;
}

let emulator: Emulator;
const transports = {} as Record<Name, Transport>;

beforeAll(async () => {
  emulator = await startEmulator({ plan: 'off', operating: false });
  const tokens = emulator.fixtures.oauth;
  transports.webhook = createWebhookTransport(emulator.webhookUrl(1));
  transports.oauth = createOAuthTransport(oauthOptionsFor(emulator));
  transports.fetch = createFetchTransport({ clientEndpoint: emulator.restUrl, auth: () => tokens.accessToken });
});

afterAll(async () => {
  await (transports.webhook as NodeTransport | undefined)?.close();
  await (transports.oauth as NodeTransport | undefined)?.close();
  await emulator?.close();
});

/** `im.dialog.writing` with `extra` beside its `DIALOG_ID`, by one way in: the call's value, or each command's. */
function send(via: Via, extra: Record<string, unknown>): Promise<unknown> {
  const [name, kind] = via.split(' ') as [Name, 'call' | 'batch'];
  const call = { method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1', ...extra } };
  return kind === 'call' ? transports[name].call(call.method, call.params) : transports[name].batch!([call]);
}

/** Sends `extra` by one way in; what the emulator handed `im.dialog.writing` besides its `DIALOG_ID`. */
async function received(via: Via, extra: Record<string, unknown>): Promise<unknown> {
  emulator.reset(); // `received()` keeps the newest 1,000 calls: each run starts from none
  const result = await send(via, extra);
  expect(result).toEqual(via.endsWith('call') ? true : [{ ok: true, result: true }]);
  const got = emulator.received();
  expect(got.map((r) => r.method)).toEqual(['im.dialog.writing']);
  const { DIALOG_ID, ...rest } = got[0]!.params;
  expect(DIALOG_ID).toBe('chat1');
  return phpArrays(rest);
}

/** Sends `extra` by one way in, expecting it refused as bad input before any request: the B24InputError. */
async function refused(via: Via, extra: Record<string, unknown>): Promise<{ field: string }> {
  const before = emulator.stats().requests;
  const error = await send(via, extra).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error, via).toMatchObject({ name: 'B24InputError', kind: 'input' });
  expect(emulator.stats().requests, via).toBe(before);
  return error as { field: string };
}

describe('params round trip (property): what the portal reads is what the encoding rules say', () => {
  it('every transport, call and batch, delivers the documented PHP values, and JSON and form differ only as documented', async () => {
    await fc.assert(
      fc.asyncProperty(params, async (sent) => {
        const seen = {} as Record<Via, unknown>;
        for (const via of VIAS) seen[via] = await received(via, sent);
        const expected = { json: viaJson(sent), form: viaForm(sent) };
        expect(seen).toEqual(Object.fromEntries(VIAS.map((via) => [via, expected[ENCODING[via]]])));
        // The same params, compared across encodings on what was received: a JSON call and a form call differ only by
        // what a form cannot say.
        for (const via of VIAS) expect(phpStrings(seen['webhook call'])).toEqual(phpStrings(seen[via]));
      }),
      { numRuns: 25 },
    );
  });

  it('a param with its own toJSON (a URL, a date library value) reaches the portal as the same text by every transport', async () => {
    // A node `call` is JSON.stringify, which sends what toJSON returns; a form (a `batch` command, a fetch `call`)
    // sent the object's own fields: none for a URL (left out), a date library's internals for its value.
    class LibraryDate {
      readonly _isValid = true;
      readonly _i = 1714521600000;
      toJSON(): string {
        return new Date(this._i).toISOString();
      }
    }
    const url = new URL('https://example.com/path?a=1&b=ü#top');
    const sent = { LINK: url, AT: new LibraryDate(), LIST: [url, { when: new LibraryDate() }] };
    const expected = {
      LINK: url.href,
      AT: '2024-05-01T00:00:00.000Z',
      LIST: { 0: url.href, 1: { when: '2024-05-01T00:00:00.000Z' } },
    };
    const seen = {} as Record<Via, unknown>;
    for (const via of VIAS) seen[via] = await received(via, sent);
    expect(seen).toEqual(Object.fromEntries(VIAS.map((via) => [via, expected])));
    expect(viaJson(sent)).toEqual(expected);
  });

  it('text cut inside an emoji (a lone surrogate), in a value or a key, is the same B24InputError everywhere, before any request', async () => {
    // node README: "a B24InputError naming the parameter before anything is sent, in call as in batch"; core README,
    // encodePhpQuery: "text with a lone surrogate ... is a B24InputError". PHP could not decode it (reference §5).
    const cut = fc.tuple(text, fc.constantFrom('\ud83d', '\ude00', '\udbff'), text).map(([a, lone, b]) => a + lone + b);
    const path = fc.array(fc.oneof(key, fc.nat({ max: 2 })), { maxLength: 3 });
    await fc.assert(
      fc.asyncProperty(params, path, cut, fc.boolean(), async (sent, where, bad, inKey) => {
        // `bad` as a value, or as the last key, at `where` inside one more top-level parameter.
        let nested: unknown = inKey ? { [bad]: 'x' } : bad;
        for (const step of [...where].reverse()) {
          nested =
            typeof step === 'number' ? Object.assign(Array(step).fill('a'), { [step]: nested }) : { [step]: nested };
        }
        const all = { ...sent, cut: nested };
        const fields = {} as Record<Via, string>;
        for (const via of VIAS) fields[via] = (await refused(via, all)).field.replace(/^calls\[0\]\./, '');
        // Each names the same parameter: where the bad text is, never the text itself.
        const named = fields['webhook call'];
        expect(named).toMatch(/^params\.cut/);
        expect(named).not.toMatch(/\p{Cs}/u);
        expect(fields).toEqual(Object.fromEntries(VIAS.map((via) => [via, named])));
      }),
      { numRuns: 25 },
    );
  });

  it('a key with a bracket reaches the portal as sent in a JSON call, and is refused before any request by a form', async () => {
    // core README, encodePhpQuery: a key with `[`/`]` is refused (PHP would read a different structure); a JSON body
    // carries any key (json_decode). So this is where the transports legitimately differ.
    const bracketed = fc
      .tuple(key, fc.constantFrom('[', ']', '[]', '[x]', '][', 'a[b][c]'), fc.boolean())
      .map(([k, bracket, first]) => (first ? bracket + k : k + bracket));
    await fc.assert(
      fc.asyncProperty(params, bracketed, value, async (sent, odd, inside) => {
        const all = { ...sent, nested: { [odd]: inside ?? 'x' } };
        for (const via of VIAS) {
          if (ENCODING[via] === 'json') expect(await received(via, all)).toEqual(viaJson(all));
          else await refused(via, all);
        }
      }),
      { numRuns: 15 },
    );
  });
});
