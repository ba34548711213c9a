import { describe, expect, it, vi } from 'vitest';
import { parsePhpQuery } from './parsePhpQuery';

describe('parsePhpQuery', () => {
  it('reads PHP bracket syntax the way parse_str does', () => {
    expect(parsePhpQuery('data[bot][id]=5&data[bot][code]=x&auth[application_token]=t&ts=17')).toEqual({
      data: { bot: { id: '5', code: 'x' } },
      auth: { application_token: 't' },
      ts: '17',
    });
  });

  it('appends with [] past the highest numeric key, decodes + as space, keeps the last duplicate', () => {
    expect(parsePhpQuery('a[]=x&a[]=y&a[5]=z&a[]=w')).toEqual({ a: { 0: 'x', 1: 'y', 5: 'z', 6: 'w' } });
    expect(parsePhpQuery('list[]=1&list[]=2')).toEqual({ list: ['1', '2'] });
    expect(parsePhpQuery('text=hello+world%21&flag')).toEqual({ text: 'hello world!', flag: '' });
    expect(parsePhpQuery('a=1&a=2')).toEqual({ a: '2' });
  });

  it('cannot be used to pollute a prototype', () => {
    for (const body of ['__proto__[polluted]=1', 'a[__proto__][polluted]=1', 'constructor[prototype][polluted]=1']) {
      expect(() => parsePhpQuery(body)).toThrow(expect.objectContaining({ code: 'INVALID_EVENT_BODY', kind: 'input' }));
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Inherited names that are not dangerous are ordinary keys.
    expect(parsePhpQuery('toString=1&hasOwnProperty[x]=2')).toEqual({ toString: '1', hasOwnProperty: { x: '2' } });
  });

  it('enforces its size, depth and field-count limits', () => {
    expect(() => parsePhpQuery('a=1'.padEnd(100, '1'), { maxLength: 50 })).toThrow(/longer than 50/);
    expect(() => parsePhpQuery('a[b][c][d]=1', { maxDepth: 3 })).toThrow(/deeper than 3/);
    expect(parsePhpQuery('a[b][c]=1', { maxDepth: 3 })).toEqual({ a: { b: { c: '1' } } });
    expect(() => parsePhpQuery('a=1&b=2&c=3', { maxPairs: 2 })).toThrow(/more than 2 fields/);
  });

  it('appends with [] without scanning the keys each time (10,000 a[]= in a body within the default limits)', () => {
    // The body is parsed before the application token is checked, so anyone who can reach the handler chooses it;
    // a scan of the branch's keys per [] made this 60 kB body cost over a second. Counted, not timed.
    const appended = Array.from({ length: 10_000 }, () => 'a[]=x').join('&');
    const keys = vi.spyOn(Map.prototype, 'keys');
    try {
      expect((parsePhpQuery(appended) as { a: unknown[] }).a).toHaveLength(10_000);
      expect(keys.mock.calls.length).toBeLessThan(10); // once per branch when the result is built
    } finally {
      keys.mockRestore();
    }
    expect(parsePhpQuery('a[]=x&a[7]=y&a[b]=z&a[]=w&a[3]=v&a[]=u')).toEqual({
      a: { 0: 'x', 7: 'y', b: 'z', 8: 'w', 3: 'v', 9: 'u' },
    });
  });

  it('refuses a body that is not text, or limits that are not an object, as input errors, not TypeErrors', () => {
    // A public export: called from JavaScript with a Buffer or a framework's parsed object, it threw a bare TypeError.
    for (const body of [undefined, null, 42, Buffer.from('a=1'), { a: '1' }]) {
      expect(() => parsePhpQuery(body as never), String(body)).toThrow(
        expect.objectContaining({ name: 'B24InputError', kind: 'input', field: 'body' }),
      );
    }
    expect(() => parsePhpQuery('a=1', null as never)).toThrow(
      expect.objectContaining({ name: 'B24InputError', kind: 'input', field: 'limits' }),
    );
  });

  it('refuses malformed keys and encodings instead of guessing', () => {
    for (const body of ['a[b=1', 'a[b]c=1', '[x]=1', 'a[b[c]]=1', 'a=%E0%A4%A']) {
      expect(() => parsePhpQuery(body), body).toThrow(expect.objectContaining({ kind: 'input' }));
    }
    // A bracket inside a segment whose key ends at its first `]` (PHP's parse_str would keep `b[c` or `[b` as a key):
    // only the nested-bracket rule refuses these, 'a[b[c]]=1' above is refused by the text after its first `]` too.
    for (const body of ['a[b[c]=1', 'a[[b]=1']) {
      expect(() => parsePhpQuery(body), body).toThrow(
        expect.objectContaining({
          code: 'INVALID_EVENT_BODY',
          kind: 'input',
          message: 'body: nested brackets in a field name',
        }),
      );
    }
  });
});
