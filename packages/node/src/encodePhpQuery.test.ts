import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodePhpQuery } from './encodePhpQuery';
import { parsePhpQuery } from './parsePhpQuery';

describe('encodePhpQuery', () => {
  it('writes nested objects and arrays in PHP bracket syntax', () => {
    const query = encodePhpQuery({ botId: 7, fields: { message: 'hi', ids: [1, 2] } });
    expect(decodeURIComponent(query)).toBe('botId=7&fields[message]=hi&fields[ids][0]=1&fields[ids][1]=2');
  });

  it('applies the platform value conventions: Y/N, null as empty, undefined left out', () => {
    expect(encodePhpQuery({ a: true, b: false, c: null, d: undefined, e: 0 })).toBe('a=Y&b=N&c=&e=0');
  });

  it('escapes the characters that would break a query string', () => {
    const query = encodePhpQuery({ text: 'a&b=c%d[e] +ü 😀' });
    expect(query.slice('text='.length)).not.toMatch(/[ &=[\]%](?![0-9A-F]{2})/);
    expect(parsePhpQuery(query)).toEqual({ text: 'a&b=c%d[e] +ü 😀' });
  });

  it('refuses what PHP bracket syntax cannot carry, naming the field', () => {
    expect(() => encodePhpQuery({ fields: { 'a[b]': 1 } })).toThrow(/params\.fields\.a\[b\]/);
    expect(() => encodePhpQuery({ n: Number.NaN })).toThrow(expect.objectContaining({ kind: 'input' }));
    expect(() => encodePhpQuery({ f: () => 1 })).toThrow(expect.objectContaining({ kind: 'input' }));
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => encodePhpQuery({ cyclic })).toThrow(/cycles/);
  });

  it('encodes dates as ISO strings', () => {
    expect(parsePhpQuery(encodePhpQuery({ at: new Date(0) }))).toEqual({ at: '1970-01-01T00:00:00.000Z' });
  });

  it('round-trips any nested structure of strings through the parser', () => {
    const key = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_.-]{0,8}$/);
    const value = fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.string({ unit: 'binary' }),
        fc.array(tie('node'), { minLength: 1, maxLength: 4 }),
        fc.dictionary(key, tie('node'), { minKeys: 1, maxKeys: 4 }),
      ),
    })).node;
    fc.assert(
      fc.property(fc.dictionary(key, value, { minKeys: 1, maxKeys: 5 }), (params) => {
        expect(parsePhpQuery(encodePhpQuery(params))).toEqual(params);
      }),
      { numRuns: 300 },
    );
  });
});
