import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { runInNewContext } from 'node:vm';
import { B24InputError } from '@b24-typing/core';
import { startEmulator } from '@b24-typing/emulator';
import { describe, expect, it } from 'vitest';
import { startStubServer } from '../test/startStubServer';
import { createOAuthTransport } from './createOAuthTransport';
import { createWebhookTransport } from './createWebhookTransport';

/**
 * Bad input fails before any network call. The endpoints point at 127.0.0.1:9 where nothing listens: a call
 * that reached the network would fail as `network`, so `input` proves it never left.
 */
const CODE = 's3cr3tw3bh00kc0de';
const HOOK = `http://127.0.0.1:9/rest/1/${CODE}/`;
const OAUTH = {
  clientEndpoint: 'https://portal.example/rest/',
  accessToken: 'a',
  refreshToken: 'r',
  clientId: 'c',
  clientSecret: 's',
};

/** A certificate in PEM, as `ca` takes it (test/fixtures, also used by the https tests). */
const PEM = readFileSync(new URL('../test/fixtures/loopback-cert.pem', import.meta.url), 'utf8');

function captured(fn: () => unknown): Promise<unknown> {
  return Promise.resolve()
    .then(fn)
    .then(
      () => undefined,
      (error: unknown) => error,
    );
}

describe('transport input checks', () => {
  it('refuses plain http to a non-loopback host unless allowInsecure, without echoing the URL', async () => {
    const error = await captured(() => createWebhookTransport(`http://portal.example/rest/1/${CODE}/`));
    expect(error).toMatchObject({ kind: 'input', field: 'url' });
    expect(String(error)).not.toContain(CODE);
    expect(String(error)).toMatch(/https/);
    expect(() =>
      createWebhookTransport(`http://portal.example/rest/1/${CODE}/`, { allowInsecure: true }),
    ).not.toThrow();
    expect(() => createWebhookTransport(`https://portal.example/rest/1/${CODE}/`)).not.toThrow();
    for (const loopback of ['127.0.0.1', 'localhost', '[::1]']) {
      expect(() => createWebhookTransport(`http://${loopback}:8024/rest/1/${CODE}/`)).not.toThrow();
    }
  });

  it('refuses what is not a webhook base URL', async () => {
    for (const url of [
      'not a url',
      'ftp://x/rest/1/c/',
      'https://x/rest/c/',
      `https://x/rest/1/${CODE}/?a=1`,
      `https://u:p@x/rest/1/${CODE}/`,
      `https://x/rest/1/${CODE}%zz/`, // a malformed escape: was a bare URIError, not a B24InputError
    ]) {
      const error = await captured(() => createWebhookTransport(url));
      expect(error, url).toMatchObject({ kind: 'input', field: 'url' });
      expect(String(error)).not.toContain(CODE);
    }
  });

  it('validates method, params and batch size before sending', async () => {
    const transport = createWebhookTransport(HOOK);
    expect(await captured(() => transport.call('../../admin', {}))).toMatchObject({ kind: 'input', field: 'method' });
    expect(await captured(() => transport.call('im.dialog.writing', null as never))).toMatchObject({
      kind: 'input',
      field: 'params',
    });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(await captured(() => transport.call('x.y', { cyclic }))).toMatchObject({
      kind: 'input',
      field: 'params.cyclic.self',
      rule: 'free of cycles',
    });
    // batch names the same cycle, under its command, in the same words
    expect(await captured(() => transport.batch([{ method: 'x.y', params: { cyclic } }]))).toMatchObject({
      kind: 'input',
      field: 'calls[0].params.cyclic.self',
      rule: 'free of cycles',
    });
    const calls = Array.from({ length: 51 }, () => ({ method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } }));
    const tooMany = await captured(() => transport.batch(calls));
    expect(tooMany).toMatchObject({ kind: 'input', field: 'calls' });
    expect(String(tooMany)).toMatch(/at most 50/);
    expect(await captured(() => transport.batch([{ method: 'batch', params: {} }]))).toMatchObject({
      field: 'calls[0].method',
    });
    expect(await captured(() => transport.batch([{ method: 'a.b', params: { 'x[y]': 1 } }]))).toMatchObject({
      kind: 'input',
      field: 'calls[0].params.x[y]',
    });
    expect(await transport.batch([])).toEqual([]);
    await transport.close();
  });

  it('refuses text that is not well-formed Unicode (a lone surrogate) in a call, as batch and the browser transports do', async () => {
    // JSON.stringify writes a lone surrogate as \ud83d, which PHP's json_decode refuses (JSON_ERROR_UTF16): the portal
    // would lose the whole body. `batch` refused it already (core's encodePhpQuery), `call` sent it.
    const cut = 'see \u{1F600}'.slice(0, 5); // a reply cut to length through an emoji
    for (const transport of [createWebhookTransport(HOOK), createOAuthTransport(OAUTH)]) {
      expect(
        await captured(() => transport.call('im.message.add', { DIALOG_ID: 'chat1', MESSAGE: cut })),
      ).toMatchObject({
        name: 'B24InputError',
        kind: 'input',
        field: 'params.MESSAGE',
      });
      expect(
        await captured(() => transport.call('imbot.v2.Chat.Message.send', { message: { text: ['ok', '\uDE00'] } })),
      ).toMatchObject({ name: 'B24InputError', field: 'params.message.text[1]' });
      // A bot token that is a word of the rule ("well-formed text") leaves the input error as it is.
      expect(
        await captured(() =>
          transport.call('imbot.v2.Chat.Message.send', { botToken: 'form', message: { text: cut } }),
        ),
      ).toMatchObject({ name: 'B24InputError', field: 'params.message.text', rule: 'well-formed text' });
      expect(await captured(() => transport.call('x.y', { '\uD800': 'v' }))).toMatchObject({
        name: 'B24InputError',
        field: 'params',
      });
      // A whole emoji is text like any other (it would reach the network: nothing listens there, so `network`).
      expect(await captured(() => transport.call('x.y', { MESSAGE: 'see \u{1F600}' }))).toMatchObject({
        kind: 'network',
      });
      await transport.close();
    }
  });

  it('refuses in a call what JSON would send as null or drop (NaN, Infinity, an invalid Date, a function), as batch and the browser transports do', async () => {
    // JSON.stringify writes NaN, Infinity and an invalid Date as null and leaves a function out: the portal was sent
    // `"duration": null` for a NaN duration. core's encodePhpQuery (batch, the fetch transport) refuses them by path.
    for (const transport of [createWebhookTransport(HOOK), createOAuthTransport(OAUTH)]) {
      for (const [params, field, rule] of [
        [{ duration: Number.NaN }, 'params.duration', 'a finite number'],
        [{ fields: { ids: [1, Number.POSITIVE_INFINITY] } }, 'params.fields.ids[1]', 'a finite number'],
        [{ at: new Date(Number.NaN) }, 'params.at', 'a valid Date'],
        [
          { fields: { onClick: () => 1 } },
          'params.fields.onClick',
          'a string, number, boolean, null, Date, array or object',
        ],
      ] as const) {
        const inCall = await captured(() => transport.call('x.y', params));
        expect(inCall, field).toMatchObject({ name: 'B24InputError', kind: 'input', field, rule });
        // batch names the same field, under its command
        const inBatch = await captured(() => transport.batch([{ method: 'x.y', params }]));
        expect((inCall as Error).message).toBe((inBatch as Error).message.replace('calls[0].params', 'params'));
        expect(inBatch, field).toMatchObject({
          name: 'B24InputError',
          field: field.replace('params', 'calls[0].params'),
          rule,
        });
      }
      // A valid Date, finite numbers and a bigint (sent as its digits, as batch sends it) go on (to the network:
      // nothing listens there, so `network`).
      expect(await captured(() => transport.call('x.y', { at: new Date(0), n: [1, -2.5], id: 10n }))).toMatchObject({
        kind: 'network',
      });
      await transport.close();
    }
  });

  it('refuses in a call what a toJSON returns that batch refuses, and a toJSON that throws, naming the same path in the same words', async () => {
    // JSON.stringify sends what a toJSON returns, unchecked: `{ toJSON: () => NaN }` went out as null, a Map as `{}`, a
    // function inside the result was left out, a lone surrogate as `\ud83d` (the portal loses the whole body). A toJSON
    // that throws was `params`, "JSON-serialisable (no cycles)". core's encodePhpQuery (batch) refuses each by path.
    const cut = 'see \u{1F600}'.slice(0, 5);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const any = 'a string, number, boolean, null, Date, array or object';
    for (const transport of [createWebhookTransport(HOOK), createOAuthTransport(OAUTH)]) {
      for (const [params, field, rule] of [
        [{ fields: { when: { toJSON: () => Number.NaN } } }, 'params.fields.when', 'a finite number'],
        [
          { fields: { when: { toJSON: () => new Map([['TITLE', 'x']]) } } },
          'params.fields.when',
          'a plain object or array (not a Map or Set)',
        ],
        [
          { fields: { tags: [1, { toJSON: () => new Set(['secret']) }] } },
          'params.fields.tags[1]',
          'a plain object or array (not a Map or Set)',
        ],
        [{ text: { toJSON: () => cut } }, 'params.text', 'well-formed text'],
        [{ fields: { toJSON: () => ({ onClick: () => 1 }) } }, 'params.fields.onClick', any],
        [{ fields: { toJSON: () => Symbol('s') } }, 'params.fields', any],
        // The values inside what toJSON returns are asked in turn, as JSON asks them.
        [
          { list: { toJSON: () => [1, { toJSON: () => Number.POSITIVE_INFINITY }] } },
          'params.list[1]',
          'a finite number',
        ],
        [{ fields: { toJSON: () => ({ [cut]: 1 }) } }, 'params.fields', 'well-formed text'],
        [{ fields: { toJSON: () => cyclic } }, 'params.fields.self', 'free of cycles'],
        [
          {
            fields: {
              when: {
                toJSON() {
                  throw new Error('secret-in-toJSON');
                },
              },
            },
          },
          'params.fields.when',
          'an object whose toJSON does not throw',
        ],
      ] as const) {
        const inCall = await captured(() => transport.call('x.y', params));
        expect(inCall, field).toMatchObject({ name: 'B24InputError', kind: 'input', field, rule });
        expect(String(inCall)).not.toMatch(/secret/);
        // batch names the same field, under its command, in the same words
        const inBatch = await captured(() => transport.batch([{ method: 'x.y', params }]));
        expect(inBatch, field).toMatchObject({
          name: 'B24InputError',
          field: field.replace('params', 'calls[0].params'),
          rule,
        });
        expect((inCall as Error).message).toBe((inBatch as Error).message.replace('calls[0].params', 'params'));
      }
      await transport.close();
    }
  });

  it('refuses in a call params nested deeper than batch takes (32 levels), naming the same path in the same words', async () => {
    // batch (core's encodePhpQuery) stops at 32 levels; a call had no limit (PHP's json_decode gives up past 512,
    // and the portal would lose the whole body).
    const nest = (levels: number): Record<string, unknown> => {
      let value: Record<string, unknown> = { v: 1 };
      for (let i = 1; i < levels; i++) value = { a: value };
      return value;
    };
    for (const transport of [createWebhookTransport(HOOK), createOAuthTransport(OAUTH)]) {
      const deep = { x: nest(33) };
      const inCall = await captured(() => transport.call('x.y', deep));
      const inBatch = await captured(() => transport.batch([{ method: 'x.y', params: deep }]));
      expect(inBatch).toMatchObject({ name: 'B24InputError', rule: 'nested at most 32 levels deep' });
      expect(inCall).toMatchObject({
        name: 'B24InputError',
        kind: 'input',
        field: (inBatch as { field: string }).field.replace('calls[0].params', 'params'),
        rule: 'nested at most 32 levels deep',
      });
      // 32 levels go on, in both (to the network: nothing listens there, so `network`)
      const ok = { x: nest(32) };
      expect(await captured(() => transport.call('x.y', ok))).toMatchObject({ kind: 'network' });
      expect(await captured(() => transport.batch([{ method: 'x.y', params: ok }]))).toMatchObject({ kind: 'network' });
      await transport.close();
    }
  });

  it('refuses in a call an invalid Date from another realm (node:vm), which JSON would send as null', async () => {
    // `instanceof Date` is false for another realm's Date, so the invalid-Date check missed it and its toJSON gave null.
    const other = runInNewContext('({ bad: new Date(NaN), good: new Date(0) })') as { bad: Date; good: Date };
    for (const transport of [createWebhookTransport(HOOK), createOAuthTransport(OAUTH)]) {
      expect(await captured(() => transport.call('x.y', { fields: { at: [other.bad] } }))).toMatchObject({
        name: 'B24InputError',
        kind: 'input',
        field: 'params.fields.at[0]',
        rule: 'a valid Date',
      });
      // A valid one goes on (to the network: nothing listens there, so `network`).
      expect(await captured(() => transport.call('x.y', { at: other.good }))).toMatchObject({ kind: 'network' });
      await transport.close();
    }
  });

  it('sends in a call what each toJSON returns, asking each once, as JSON does, and the values inside it by the same rules', async () => {
    // Against the emulator: what the portal reads, not only that nothing was refused.
    const emu = await startEmulator({ plan: 'off' });
    try {
      const tokens = emu.issueToken(1);
      for (const transport of [
        createWebhookTransport(emu.webhookUrl(1)),
        createOAuthTransport({ ...OAUTH, clientEndpoint: emu.restUrl, ...tokens }),
      ]) {
        let asked = 0;
        class Stamp {
          readonly _internal = 'not sent';
          toJSON(key: string): unknown {
            asked++;
            // What JSON passes: the property name (an array index as its digits).
            return { key, at: new Date(0), big: 10n, skip: undefined, self: this instanceof Stamp };
          }
        }
        const params = {
          DIALOG_ID: 'chat1',
          STAMP: new Stamp(),
          LIST: [new Stamp(), new URL('https://example.com/a')],
        };
        await expect(transport.call('im.dialog.writing', params)).resolves.toBe(true);
        expect(asked).toBe(2);
        const got = emu.received().at(-1);
        expect(got?.params).toMatchObject({
          STAMP: { key: 'STAMP', at: '1970-01-01T00:00:00.000Z', big: '10', self: true },
          LIST: [{ key: '0', at: '1970-01-01T00:00:00.000Z', big: '10', self: true }, 'https://example.com/a'],
        });
        expect(JSON.stringify(got?.params)).not.toMatch(/internal|skip/);
        await transport.close();
      }
    } finally {
      await emu.close();
    }
  });

  it('refuses a Map, Set, WeakMap or WeakSet, of this realm or another (node:vm), in a call or a batch, naming the path, and sends nothing', async () => {
    // Object.entries of a Map or Set is [], so JSON (`call`) sent `{}` and core's encodePhpQuery (`batch`) left it out
    // like an empty object: `{ fields: new Map(…) }` lost the fields without an error. A WeakMap's or WeakSet's
    // entries cannot be read at all, and `instanceof Map` is false for another realm's Map: known by their tag.
    // Against the emulator, so that "nothing sent" is what the portal saw, not only what the error says.
    const other = runInNewContext(
      '({ map: new Map([["TITLE", "x"]]), set: new Set(["secret"]), weakSet: new WeakSet() })',
    ) as Record<string, object>;
    const emu = await startEmulator({ plan: 'off' });
    try {
      const tokens = emu.issueToken(1);
      const transports = [
        createWebhookTransport(emu.webhookUrl(1)),
        createOAuthTransport({ ...OAUTH, clientEndpoint: emu.restUrl, ...tokens }),
      ];
      const rule = 'a plain object or array (not a Map or Set)';
      const before = emu.stats().requests;
      for (const transport of transports) {
        for (const [params, field] of [
          [{ DIALOG_ID: 'chat1', fields: new Map([['TITLE', 'x']]) }, 'params.fields'],
          [{ ids: new Set([1, 2]) }, 'params.ids'],
          [{ fields: { list: [1, new Map()] } }, 'params.fields.list[1]'],
          [{ fields: { tags: new Set(['secret']) } }, 'params.fields.tags'],
          [{ DIALOG_ID: 'chat1', fields: other.map }, 'params.fields'],
          [{ ids: other.set }, 'params.ids'],
          [{ fields: { list: [1, new WeakMap()] } }, 'params.fields.list[1]'],
          [{ fields: { tags: other.weakSet } }, 'params.fields.tags'],
        ] as const) {
          const inCall = await captured(() => transport.call('im.dialog.writing', params));
          expect(inCall, field).toMatchObject({ name: 'B24InputError', kind: 'input', field, rule });
          // batch names the same field, under its command, in the same words
          const inBatch = await captured(() =>
            transport.batch([
              { method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } },
              { method: 'x.y', params },
            ]),
          );
          expect(inBatch, field).toMatchObject({
            name: 'B24InputError',
            field: field.replace('params', 'calls[1].params'),
            rule,
          });
          expect((inCall as Error).message).toBe((inBatch as Error).message.replace('calls[1].params', 'params'));
          expect(String(inCall)).not.toMatch(/secret|TITLE/);
        }
        // A Map as the whole params is refused as `params`.
        expect(await captured(() => transport.call('x.y', new Map() as never))).toMatchObject({
          field: 'params',
          rule,
        });
      }
      expect(emu.stats().requests).toBe(before);
      expect(emu.received()).toEqual([]);
      // Another class instance is sent by its own fields, as before: the call reaches the portal.
      class Dialog {
        readonly DIALOG_ID = 'chat1';
      }
      for (const transport of transports) {
        await expect(transport.call('im.dialog.writing', new Dialog() as never)).resolves.toBe(true);
        await transport.close();
      }
      expect(emu.received()).toHaveLength(2);
    } finally {
      await emu.close();
    }
  });

  it('refuses a param whose getter throws, in a call or a batch, naming its path without its error, and sends nothing', async () => {
    // The getter's error escaped raw: a call read the params a second time (for the secrets to scrub) after the JSON
    // check had named the failure, and batch read them in core's encoder, which names only what it refuses itself.
    // Its text is not kept, not even as `cause`: a getter of a config object may quote the secret it failed to load.
    const stub = await startStubServer();
    try {
      const getter = (): unknown => {
        throw new Error('secret-in-getter');
      };
      const list: unknown[] = [1];
      Object.defineProperty(list, '1', { get: getter, enumerable: true });
      const rule = 'a value whose getter does not throw';
      for (const transport of [
        createWebhookTransport(stub.webhook),
        createOAuthTransport({ ...OAUTH, clientEndpoint: `${stub.url}/rest/` }),
      ]) {
        for (const [params, field, fieldRule] of [
          [
            {
              get DIALOG_ID() {
                return getter();
              },
            },
            'params.DIALOG_ID',
            rule,
          ],
          [
            {
              DIALOG_ID: 'chat1',
              fields: {
                get botToken() {
                  return getter();
                },
              },
            },
            'params.fields.botToken',
            rule,
          ],
          [{ list }, 'params.list[1]', rule],
          // Inside what a toJSON returns, as JSON reads it.
          [
            {
              fields: {
                toJSON: () => ({
                  get TITLE() {
                    return getter();
                  },
                }),
              },
            },
            'params.fields.TITLE',
            rule,
          ],
          // A toJSON that throws was named already: the same words, against a listening server.
          [{ at: { toJSON: getter } }, 'params.at', 'an object whose toJSON does not throw'],
        ] as const) {
          const inCall = await captured(() => transport.call('im.dialog.writing', params));
          const inBatch = await captured(() =>
            transport.batch([
              { method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } },
              { method: 'im.dialog.writing', params },
            ]),
          );
          expect(inCall, field).toMatchObject({ name: 'B24InputError', kind: 'input', field, rule: fieldRule });
          expect(inBatch, field).toMatchObject({
            name: 'B24InputError',
            kind: 'input',
            field: field.replace('params', 'calls[1].params'),
            rule: fieldRule,
          });
          for (const error of [inCall, inBatch]) {
            expect(error).toBeInstanceOf(B24InputError);
            expect((error as Error).cause).toBeUndefined();
            expect(`${String(error)} ${JSON.stringify(error)} ${inspect(error)}`).not.toMatch(/secret/);
          }
        }
        // The call itself read through getters: its `method` and `params`, named as checkBatch names them.
        for (const [call, field] of [
          [
            {
              get method() {
                return getter();
              },
              params: {},
            },
            'calls[0].method',
          ],
          [
            {
              method: 'im.dialog.writing',
              get params() {
                return getter();
              },
            },
            'calls[0].params',
          ],
        ] as const) {
          const error = await captured(() => transport.batch([call as never]));
          expect(error, field).toMatchObject({ name: 'B24InputError', kind: 'input', field, rule });
          expect(String(error)).not.toMatch(/secret/);
        }
        await transport.close();
      }
      expect(stub.requests()).toBe(0);
    } finally {
      await stub.close();
    }
  });

  it('rejects an already aborted call before connecting', async () => {
    const transport = createWebhookTransport(HOOK);
    const controller = new AbortController();
    controller.abort();
    expect(await captured(() => transport.call('im.dialog.writing', {}, { signal: controller.signal }))).toMatchObject({
      code: 'ABORTED',
      kind: 'network',
    });
    await transport.close();
  });

  it('rejects an already aborted empty batch as it rejects an aborted call or batch with calls, for both transports', async () => {
    // An empty batch sends nothing, but a caller that aborted gets the same answer whatever it asked for.
    for (const transport of [createWebhookTransport(HOOK), createOAuthTransport(OAUTH)]) {
      const signal = AbortSignal.abort();
      const one = { method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } };
      for (const request of [
        () => transport.call(one.method, one.params, { signal }),
        () => transport.batch([one], { signal }),
        () => transport.batch([], { signal }),
      ]) {
        expect(await captured(request)).toMatchObject({ name: 'B24Error', code: 'ABORTED', kind: 'network' });
      }
      await transport.close();
    }
  });

  it.each([
    ['options', null],
    ['options', 'x'],
    ['options', 1],
    ['signal', {}],
    ['signal', 'x'],
    ['signal', null],
    ['signal', new AbortController()],
  ])(
    'refuses a bad %s argument (%o) of call and batch before connecting, for both transports',
    async (field, value) => {
      const options = field === 'options' ? value : { signal: value };
      // Both point at 127.0.0.1:9, where nothing listens: a request that went out would fail as `network`.
      const transports = [
        createWebhookTransport(HOOK),
        createOAuthTransport({ ...OAUTH, clientEndpoint: 'http://127.0.0.1:9/rest/' }),
      ];
      for (const transport of transports) {
        const call = await captured(() =>
          transport.call('im.dialog.writing', { DIALOG_ID: 'chat1' }, options as never),
        );
        const batch = await captured(() =>
          transport.batch([{ method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } }], options as never),
        );
        // An empty batch sends nothing either way, but a bad argument is still named.
        const empty = await captured(() => transport.batch([], options as never));
        for (const error of [call, batch, empty]) {
          expect(error).toMatchObject({ name: 'B24InputError', kind: 'input', field });
        }
        await transport.close();
      }
    },
  );

  it('takes undefined options and an undefined signal as none', async () => {
    const transport = createWebhookTransport(HOOK);
    for (const options of [undefined, {}, { signal: undefined }]) {
      // It got as far as the network (nothing listens there), so the options were accepted.
      expect(await captured(() => transport.call('im.dialog.writing', {}, options))).toMatchObject({ kind: 'network' });
    }
    await transport.close();
  });

  it('validates OAuth options, naming the field', async () => {
    const good = OAUTH;
    expect(() => createOAuthTransport(good)).not.toThrow();
    for (const [field, value] of [
      ['clientEndpoint', 'http://portal.example/rest/'],
      ['oauthEndpoint', 'http://oauth.example/oauth/token/'],
      ['serverEndpoint', 'http://oauth.example/rest/'],
      ['serverEndpoint', 'https://oauth.example/rest/?x=1'],
      ['serverEndpoint', 42],
      ['accessToken', ''],
      ['clientSecret', undefined],
      ['onTokens', 'no'],
      ['loadTokens', 'no'],
      ['loadTokens', null],
    ] as const) {
      expect(await captured(() => createOAuthTransport({ ...good, [field]: value } as never)), field).toMatchObject({
        kind: 'input',
        field,
      });
    }
  });

  it.each([
    ['options', null],
    ['options', 5],
    ['headersTimeoutMs', -1],
    ['headersTimeoutMs', 0],
    ['headersTimeoutMs', 1.5],
    ['headersTimeoutMs', Number.NaN],
    ['headersTimeoutMs', '100'],
    ['bodyTimeoutMs', Number.POSITIVE_INFINITY],
    ['connectTimeoutMs', -5],
    ['keepAliveTimeoutMs', 0],
    ['bodyTimeoutMs', 2 ** 31],
    ['timeoutMs', 0],
    ['timeoutMs', 2 ** 31],
    ['timeoutMs', 2.5],
    ['timeoutMs', null],
    ['connections', 0],
    ['connections', 1.5],
    ['maxResponseBytes', 0],
    ['maxResponseBytes', Number.NaN],
    ['ca', 42],
    ['ca', [Buffer.from('x'), 42]],
    // A file name instead of its content (`ca: process.env.CA_FILE`): Node would silently trust nothing from it,
    // and every call would fail as a TLS `network` error, which callers retry.
    ['ca', '/etc/ssl/private/portal-ca.pem'],
    ['ca', [Buffer.from('/etc/ssl/private/portal-ca.pem')]],
  ])('refuses %s = %o before anything is sent, for both transports', async (field, value) => {
    const options = field === 'options' ? value : { [field]: value };
    // The webhook transport takes its options as a second argument; OAuth's come with its credentials.
    const made = [await captured(() => createWebhookTransport(HOOK, options as never))];
    if (field !== 'options')
      made.push(await captured(() => createOAuthTransport({ ...OAUTH, ...(options as object) })));
    for (const error of made) {
      expect(error).toMatchObject({ name: 'B24InputError', kind: 'input', field });
      expect(String(error)).not.toContain(CODE);
    }
  });

  it('accepts the largest timeouts a timer can hold', async () => {
    const transport = createWebhookTransport(HOOK, {
      connectTimeoutMs: 2 ** 31 - 1,
      headersTimeoutMs: 2 ** 31 - 1,
      bodyTimeoutMs: 1,
      keepAliveTimeoutMs: 2 ** 31 - 1,
      timeoutMs: 2 ** 31 - 1,
      connections: 1,
      maxResponseBytes: 1,
      ca: [Buffer.from(PEM), PEM],
    });
    await transport.close();
  });

  it('describes itself without its secret', () => {
    const transport = createWebhookTransport(HOOK);
    expect(String(transport)).toBe('WebhookTransport(http://127.0.0.1:9, user 1)');
    expect(JSON.stringify({ transport })).not.toContain(CODE);
    expect(inspect(transport, { depth: 10, showHidden: true })).not.toContain(CODE);
  });

  it('describes an OAuth transport without its tokens or client secret, in every form a user could print', () => {
    const secrets = { accessToken: 'acc3ss-t0ken', refreshToken: 'r3fresh-t0ken', clientSecret: 'cl1ent-s3cret' };
    const transport = createOAuthTransport({ ...OAUTH, ...secrets });
    const forms = [
      String(transport),
      JSON.stringify({ transport }),
      inspect(transport, { depth: 10, showHidden: true }),
    ];
    expect(forms[0]).toBe('OAuthTransport(https://portal.example)');
    for (const form of forms) for (const secret of Object.values(secrets)) expect(form).not.toContain(secret);
  });
});
