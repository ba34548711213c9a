import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { B24InputError } from './B24InputError';
import { encodePhpQuery } from './encodePhpQuery';

/** The raw pairs a form decoder (PHP's `parse_str` included) sees before it builds arrays from the brackets. */
function pairs(query: string): [string, string][] {
  return [...new URLSearchParams(query)];
}

/** What the pairs must be: one `a[b][0]=leaf` per non-empty leaf, in insertion order. */
function leaves(value: unknown, name: string): [string, string][] {
  // A boxed string (`new String('a')`) is one leaf, its primitive's, as JSON unwraps it.
  if (typeof value === 'string' || value instanceof String) return [[name, String(value)]];
  const entries = Array.isArray(value)
    ? value.map((item, i) => [String(i), item] as const)
    : Object.entries(value as object);
  return entries.flatMap(([key, item]) => leaves(item, `${name}[${key}]`));
}

describe('encodePhpQuery', () => {
  it('writes nested objects and arrays in PHP bracket syntax', () => {
    const query = encodePhpQuery({ botId: 7, fields: { message: 'hi', ids: [1, 2] } });
    expect(decodeURIComponent(query)).toBe('botId=7&fields[message]=hi&fields[ids][0]=1&fields[ids][1]=2');
  });

  it('serialises a batch command the way parse_str reads it back', () => {
    const query = encodePhpQuery({
      DIALOG_ID: 'chat1',
      fields: { message: 'a&b=c', ids: [1, 2] },
      flag: true,
      off: false,
      gone: null,
    });
    expect(query).toBe('DIALOG_ID=chat1&fields[message]=a%26b%3Dc&fields[ids][0]=1&fields[ids][1]=2&flag=Y&off=N');
  });

  it('applies the platform value conventions: Y/N, null and undefined left out', () => {
    expect(encodePhpQuery({ a: true, b: false, c: null, d: undefined, e: 0 })).toBe('a=Y&b=N&e=0');
    expect(encodePhpQuery({ list: [null, 'x', undefined], empty: [], none: {} })).toBe('list[1]=x');
    expect(encodePhpQuery({ big: 2n ** 64n, neg: -1.5 })).toBe('big=18446744073709551616&neg=-1.5');
  });

  it('round-trips plain values through a form decoder', () => {
    expect(pairs(encodePhpQuery({ botId: 7, dialogId: 'chat12', text: 'привет, мир' }))).toEqual([
      ['botId', '7'],
      ['dialogId', 'chat12'],
      ['text', 'привет, мир'],
    ]);
  });

  it('escapes numbers too: 1e21 prints as 1e+21, and a bare + would reach PHP as a space', () => {
    expect(encodePhpQuery({ big: 1e21, small: 1e-7 })).toBe('big=1e%2B21&small=1e-7');
    expect(pairs(encodePhpQuery({ big: 1e21 }))).toEqual([['big', '1e+21']]);
  });

  it('escapes the characters that would break a query string', () => {
    const query = encodePhpQuery({ text: 'a&b=c%d[e] +ü 😀', 'k y&': 'v' });
    expect(query.slice('text='.length, query.indexOf('&'))).not.toMatch(/[ &=[\]%+](?![0-9A-F]{2})/);
    expect(pairs(query)).toEqual([
      ['text', 'a&b=c%d[e] +ü 😀'],
      ['k y&', 'v'],
    ]);
  });

  it('refuses what PHP bracket syntax cannot carry, naming the field', () => {
    expect(() => encodePhpQuery({ fields: { 'a[b]': 1 } })).toThrow(/params\.fields\.a\[b\]/);
    expect(() => encodePhpQuery({ '': 1 })).toThrow(expect.objectContaining({ kind: 'input', field: 'params.' }));
    expect(() => encodePhpQuery({ n: Number.NaN })).toThrow(
      expect.objectContaining({ kind: 'input', field: 'params.n' }),
    );
    expect(() => encodePhpQuery({ f: () => 1 })).toThrow(expect.objectContaining({ kind: 'input' }));
    expect(() => encodePhpQuery({ d: new Date(Number.NaN) })).toThrow(/valid Date/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => encodePhpQuery({ cyclic })).toThrow(/cycles/);
    let deep: unknown = 'leaf';
    for (let i = 0; i < 40; i++) deep = [deep];
    expect(() => encodePhpQuery({ deep })).toThrow(/levels deep/);
    expect(() => encodePhpQuery(null as never, 'calls[3].params')).toThrow(
      expect.objectContaining({ name: 'B24InputError', field: 'calls[3].params' }),
    );
  });

  it('refuses a Map or Set, at any depth, naming the path: its entries are not own properties and were dropped', () => {
    // Object.entries(new Map(…)) is []: a Map or Set was left out like an empty object, its data lost without an error.
    const rule = 'a plain object or array (not a Map or Set)';
    for (const [params, field] of [
      [{ fields: new Map([['TITLE', 'x']]) }, 'params.fields'],
      [{ ids: new Set([1, 2]) }, 'params.ids'],
      [{ fields: { nested: [1, new Map()] } }, 'params.fields.nested[1]'],
      [{ fields: { tags: new Set() } }, 'params.fields.tags'],
      [new Map([['a', 1]]), 'params'],
    ] as const) {
      expect(() => encodePhpQuery(params as Record<string, unknown>), field).toThrow(
        expect.objectContaining({ name: 'B24InputError', kind: 'input', field, rule }),
      );
    }
    expect(() => encodePhpQuery({ s: new Set(['secret']) }, 'calls[1].params')).toThrow(
      expect.objectContaining({ field: 'calls[1].params.s', message: expect.not.stringContaining('secret') }),
    );
    // Other class instances are sent by their own fields, as before.
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    expect(decodeURIComponent(encodePhpQuery({ at: new Point(1, 2) }))).toBe('at[x]=1&at[y]=2');
  });

  it('refuses a WeakMap or WeakSet, and a Map or Set from another realm (an iframe, node:vm), as a Map or Set', () => {
    // `instanceof Map` is false for another realm's Map (its own Map constructor), and a WeakMap or WeakSet has no
    // readable entries at all: each was left out like an empty object, without an error.
    const other = runInNewContext(
      '({ map: new Map([["TITLE", "x"]]), set: new Set([1]), weakMap: new WeakMap(), weakSet: new WeakSet() })',
    ) as Record<string, object>;
    expect(other.map instanceof Map).toBe(false);
    const rule = 'a plain object or array (not a Map or Set)';
    for (const [params, field] of [
      [{ fields: other.map }, 'params.fields'],
      [{ ids: other.set }, 'params.ids'],
      [{ list: [1, other.weakMap] }, 'params.list[1]'],
      [{ fields: new WeakMap() }, 'params.fields'],
      [{ fields: { tags: new WeakSet() } }, 'params.fields.tags'],
      [other.weakSet, 'params'],
    ] as const) {
      expect(() => encodePhpQuery(params as Record<string, unknown>), field).toThrow(
        expect.objectContaining({ name: 'B24InputError', kind: 'input', field, rule }),
      );
    }
    // Another realm's plain objects and arrays are sent as this realm's are.
    expect(decodeURIComponent(encodePhpQuery({ at: runInNewContext('({ x: 1, list: ["a"] })') }))).toBe(
      'at[x]=1&at[list][0]=a',
    );
  });

  it('names where a cycle closes and where nesting gets too deep', () => {
    const params: Record<string, unknown> = { a: 1 };
    params.self = params;
    expect(() => encodePhpQuery(params)).toThrow(
      expect.objectContaining({ field: 'params.self.self', rule: 'free of cycles' }),
    );
    const nested = (levels: number): unknown => (levels === 0 ? 'leaf' : [nested(levels - 1)]);
    expect(encodePhpQuery({ deep: nested(32) })).toBe(`deep${'[0]'.repeat(32)}=leaf`);
    expect(() => encodePhpQuery({ deep: nested(33) })).toThrow(
      expect.objectContaining({ field: `params.deep${'[0]'.repeat(32)}`, rule: 'nested at most 32 levels deep' }),
    );
  });

  it('names the path from the field it is given, and never quotes the value', () => {
    let error: unknown;
    try {
      encodePhpQuery({ fields: { ids: [1, Number.POSITIVE_INFINITY] }, token: 'secret' }, 'calls[2].params');
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ name: 'B24InputError', field: 'calls[2].params.fields.ids[1]' });
    expect(String(error)).not.toMatch(/Infinity|secret/);
  });

  it('shares the object, not the cycle check, between siblings', () => {
    const shared = { a: '1' };
    expect(decodeURIComponent(encodePhpQuery({ x: shared, y: shared }))).toBe('x[a]=1&y[a]=1');
  });

  it('encodes dates as ISO strings', () => {
    expect(pairs(encodePhpQuery({ at: new Date(0) }))).toEqual([['at', '1970-01-01T00:00:00.000Z']]);
  });

  it('encodes an object with its own toJSON (a URL, a date library value) by what that returns, as JSON does', () => {
    // A URL has no own enumerable fields: it was left out like an empty object, without an error. A node `call`
    // (JSON.stringify) sent its text, so the same params meant something else in a `batch`.
    const url = new URL('https://example.com/a?b=1&c=d');
    expect(pairs(encodePhpQuery({ url, list: [url], fields: { link: { url } } }))).toEqual([
      ['url', url.href],
      ['list[0]', url.href],
      ['fields[link][url]', url.href],
    ]);
    // A date library's value (moment, dayjs, luxon): its internal fields were sent, not the date it stands for.
    class Moment {
      readonly _isAMomentObject = true;
      readonly _i = '2024-05-01';
      toJSON(): string {
        return '2024-05-01T00:00:00.000Z';
      }
    }
    expect(pairs(encodePhpQuery({ at: new Moment() }))).toEqual([['at', '2024-05-01T00:00:00.000Z']]);
    // What toJSON returns is encoded by the usual rules, as JSON.stringify gives it to the portal.
    const params = {
      text: { toJSON: () => 'a&b' },
      number: { toJSON: () => 12.5 },
      yes: { toJSON: () => true },
      big: { toJSON: () => 2n ** 64n },
      object: { toJSON: () => ({ id: 1, tags: ['x', { toJSON: () => 'y' }] }) },
      none: { toJSON: () => null },
      gone: { toJSON: () => undefined },
      empty: { toJSON: () => ({}) },
    };
    expect(pairs(encodePhpQuery(params))).toEqual([
      ['text', 'a&b'],
      ['number', '12.5'],
      ['yes', 'Y'],
      ['big', '18446744073709551616'],
      ['object[id]', '1'],
      ['object[tags][0]', 'x'],
      ['object[tags][1]', 'y'],
    ]);
  });

  it('calls toJSON once, as JSON does: what it returns is not asked again, so returning itself is no loop', () => {
    class Self {
      readonly id = 7;
      toJSON(): this {
        return this;
      }
    }
    class Wrapped {
      toJSON(): Self {
        return new Self();
      }
    }
    expect(decodeURIComponent(encodePhpQuery({ self: new Self(), wrapped: new Wrapped() }))).toBe(
      'self[id]=7&wrapped[id]=7',
    );
    // Each level's own toJSON is still called, as JSON calls each property's.
    expect(encodePhpQuery({ outer: { toJSON: () => ({ inner: new URL('https://a.example/') }) } })).toBe(
      'outer[inner]=https%3A%2F%2Fa.example%2F',
    );
  });

  it("keeps the Date rules: its ISO string (another realm's too, once left out), an invalid one refused, not null", () => {
    expect(pairs(encodePhpQuery({ at: [new Date(0)] }))).toEqual([['at[0]', '1970-01-01T00:00:00.000Z']]);
    // A Date from another realm (an iframe) is no `instanceof Date`: it was left out like an empty object.
    expect(pairs(encodePhpQuery({ at: runInNewContext('new Date(0)') }))).toEqual([['at', '1970-01-01T00:00:00.000Z']]);
    expect(() => encodePhpQuery({ at: { when: new Date(Number.NaN) } })).toThrow(
      expect.objectContaining({ name: 'B24InputError', field: 'params.at.when', rule: 'a valid Date' }),
    );
    // Another realm's invalid Date too (its toJSON gives null: it was left out without an error), as a node call
    // refuses it.
    expect(() => encodePhpQuery({ at: runInNewContext('new Date(NaN)') })).toThrow(
      expect.objectContaining({ name: 'B24InputError', field: 'params.at', rule: 'a valid Date' }),
    );
  });

  it('refuses what toJSON returns as it refuses the same value given directly, and a toJSON that throws, naming the path', () => {
    expect(() => encodePhpQuery({ list: [{ toJSON: () => Number.NaN }] })).toThrow(
      expect.objectContaining({ name: 'B24InputError', field: 'params.list[0]', rule: 'a finite number' }),
    );
    expect(() => encodePhpQuery({ f: { toJSON: () => new Map() } })).toThrow(
      expect.objectContaining({ field: 'params.f', rule: 'a plain object or array (not a Map or Set)' }),
    );
    let thrown: unknown;
    try {
      encodePhpQuery(
        {
          fields: {
            at: {
              toJSON() {
                throw new Error('secret-token');
              },
            },
          },
        },
        'calls[1].params',
      );
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ name: 'B24InputError', kind: 'input', field: 'calls[1].params.fields.at' });
    expect(String(thrown)).not.toMatch(/secret/);
  });

  it('encodes a boxed String, Number, Boolean or BigInt as its primitive, as JSON unwraps it', () => {
    // A String object was walked as an object of its characters (`a[0]=a`); a Number, Boolean or BigInt object has no
    // own fields, so it was left out like an empty object: the value was lost without an error.
    const params = {
      text: new String('a&b'),
      count: new Number(2),
      big: new Number(1e21),
      yes: new Boolean(true),
      no: Object(false),
      id: Object(3n),
      list: [new String('x'), new Number(-1.5)],
      fields: { nested: { flag: Object(true) } },
      after: 1,
    };
    expect(encodePhpQuery(params)).toBe(
      'text=a%26b&count=2&big=1e%2B21&yes=Y&no=N&id=3&list[0]=x&list[1]=-1.5&fields[nested][flag]=Y&after=1',
    );
    // The same query as the primitives give, and as JSON.stringify (a node `call`) writes the same values.
    const primitives = {
      text: 'a&b',
      count: 2,
      big: 1e21,
      yes: true,
      no: false,
      id: 3n,
      list: ['x', -1.5],
      fields: { nested: { flag: true } },
      after: 1,
    };
    expect(encodePhpQuery(params)).toBe(encodePhpQuery(primitives));
    expect(JSON.stringify({ text: new String('a&b'), count: new Number(2), yes: Object(true) })).toBe(
      JSON.stringify({ text: 'a&b', count: 2, yes: true }),
    );
    // What a toJSON returns is unwrapped too, as JSON unwraps it.
    expect(encodePhpQuery({ at: { toJSON: () => new String('2024') } })).toBe('at=2024');
    // Only those: a class whose tag merely ends so is still sent by its own fields, as JSON sends it.
    class Tagged {
      readonly x = 1;
      get [Symbol.toStringTag](): string {
        return 'BigNumber';
      }
    }
    expect(encodePhpQuery({ t: new Tagged() })).toBe('t[x]=1');
  });

  it("encodes another realm's boxed primitives (an iframe, node:vm) as its primitives", () => {
    // Known by their tag, as a Map or Date is: another realm's String object is no `instanceof String`.
    const other = runInNewContext(
      '({ text: new String("x y"), count: new Number(2), yes: new Boolean(true), id: Object(3n) })',
    ) as Record<string, unknown>;
    expect(other.text instanceof String).toBe(false);
    expect(encodePhpQuery(other)).toBe('text=x%20y&count=2&yes=Y&id=3');
  });

  it('refuses a boxed NaN, Infinity or Symbol as it refuses the primitive, naming the path', () => {
    for (const [params, field, rule] of [
      [{ n: new Number(Number.NaN) }, 'params.n', 'a finite number'],
      [{ list: [1, Object(Number.NEGATIVE_INFINITY)] }, 'params.list[1]', 'a finite number'],
      [{ n: runInNewContext('new Number(Infinity)') }, 'params.n', 'a finite number'],
      [{ s: Object(Symbol('secret')) }, 'params.s', 'a string, number, boolean, null, Date, array or object'],
      [{ s: Symbol('secret') }, 'params.s', 'a string, number, boolean, null, Date, array or object'],
    ] as const) {
      expect(() => encodePhpQuery(params), field).toThrow(
        expect.objectContaining({ name: 'B24InputError', kind: 'input', field, rule }),
      );
      expect(() => encodePhpQuery(params)).toThrow(
        expect.objectContaining({ message: expect.not.stringMatching(/NaN|Infinity|secret/) }),
      );
    }
  });

  it('refuses a param whose getter throws as input naming its path, keeping nothing of its error (not even as cause)', () => {
    // The raw error rejected the browser fetch transport's call and every batch, read as a network failure (retried)
    // with the original as `cause`: a getter loading a credential may quote it.
    const throws = (): never => {
      throw new Error('secret-xyz');
    };
    const refusal = (params: Record<string, unknown>, field?: string): unknown => {
      try {
        encodePhpQuery(params, field);
      } catch (error) {
        return error;
      }
      return 'no error';
    };
    const refused = (error: unknown, field: string): void => {
      expect(error).toBeInstanceOf(B24InputError);
      expect(error).toMatchObject({ kind: 'input', field, rule: 'a value whose getter does not throw' });
      expect((error as Error).cause).toBeUndefined();
      expect(`${String(error)} ${JSON.stringify(error)} ${(error as Error).stack}`).not.toMatch(/secret/);
    };
    const getter = { get: throws, enumerable: true };
    refused(
      refusal({
        get DIALOG_ID() {
          return throws();
        },
      }),
      'params.DIALOG_ID',
    );
    refused(
      refusal({ fields: Object.defineProperty({ a: 1 }, 'x', getter) }, 'calls[0].params'),
      'calls[0].params.fields.x',
    );
    refused(refusal({ ids: Object.defineProperty([1, 2, 3], 1, getter) }), 'params.ids[1]');
    // What JSON.stringify asks before it writes a value, and the tag the Map, Set, Date and boxed primitive tests read.
    refused(refusal({ at: Object.defineProperty({}, 'toJSON', getter) }), 'params.at');
    refused(refusal({ list: [Object.defineProperty({}, Symbol.toStringTag, { get: throws })] }), 'params.list[0]');
    refused(refusal(Object.defineProperty({}, Symbol.toStringTag, { get: throws })), 'params');
    // A Proxy whose traps throw: its own keys cannot be listed, nor its values read.
    refused(refusal({ p: new Proxy({}, { ownKeys: throws }) }), 'params.p');
    refused(refusal(new Proxy({}, { ownKeys: throws }), 'calls[2].params'), 'calls[2].params');
    refused(refusal({ p: new Proxy({ a: 1 }, { get: throws }) }), 'params.p');
  });

  it('reads a getter that does not throw as its value', () => {
    const params = {
      get botId() {
        return 7;
      },
      ids: Object.defineProperty([1], 1, { get: () => 2, enumerable: true }),
    };
    expect(decodeURIComponent(encodePhpQuery(params))).toBe('botId=7&ids[0]=1&ids[1]=2');
  });

  it('writes one pair per leaf of any nested structure of strings (boxed ones too), exactly as given', () => {
    const key = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_.-]{0,8}$/);
    const value = fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.string({ unit: 'binary' }),
        fc.string({ unit: 'binary' }).map((text) => new String(text)),
        fc.array(tie('node'), { minLength: 1, maxLength: 4 }),
        fc.dictionary(key, tie('node'), { minKeys: 1, maxKeys: 4 }),
      ),
    })).node;
    fc.assert(
      fc.property(fc.dictionary(key, value, { minKeys: 1, maxKeys: 5 }), (params) => {
        const expected = Object.entries(params).flatMap(([name, item]) => leaves(item, name));
        expect(pairs(encodePhpQuery(params))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe('encodePhpQuery on text that is not well-formed UTF-16', () => {
  it('refuses a lone surrogate in a value with a B24InputError naming the path (not a URIError)', () => {
    // a message cut in the middle of an emoji: '👍'.slice(0, 1)
    const cut = '👍'.slice(0, 1);
    expect(() => encodePhpQuery({ fields: { MESSAGE: `ok ${cut}` } })).toThrow(B24InputError);
    expect(() => encodePhpQuery({ fields: { MESSAGE: `ok ${cut}` } })).toThrow(/params\.fields\.MESSAGE/);
  });

  it('refuses a lone surrogate in a key the same way', () => {
    expect(() => encodePhpQuery({ 'k\uDC00': 1 })).toThrow(B24InputError);
  });

  it('names the object that holds a key with a lone surrogate, not the key: the error stays well-formed text', () => {
    // The node transports' JSON `call` names it so (`params`, packages/node transportInput.test.ts); naming the key put
    // the lone surrogate into `field` and the message, where `encodeURIComponent(message)` throws a URIError.
    let thrown: unknown;
    try {
      encodePhpQuery({ fields: { list: [{ 'k\uD83D': 1 }] } }, 'calls[0].params');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ name: 'B24InputError', field: 'calls[0].params.fields.list[0]' });
    expect(() => encodeURIComponent((thrown as Error).message)).not.toThrow();
    expect(() => encodePhpQuery({ '\uDE00': 1 })).toThrow(expect.objectContaining({ field: 'params' }));
  });

  it('still encodes a well-formed astral character', () => {
    expect(encodePhpQuery({ MESSAGE: '👍' })).toBe('MESSAGE=%F0%9F%91%8D');
  });
});
