import { describe, expect, it, vi } from 'vitest';
import { httpBuildQuery, parseQuery } from './phpQuery';

describe('parseQuery (PHP parse_str)', () => {
  it('builds nested records from bracket syntax and appends with []', () => {
    const parsed = parseQuery('fields[message]=hi+there&fields[attach][0][x]=1&a[]=1&a[]=2&plain=%C3%A9');
    expect(JSON.parse(JSON.stringify(parsed))).toEqual({
      fields: { message: 'hi there', attach: { 0: { x: '1' } } },
      a: { 0: '1', 1: '2' },
      plain: 'é',
    });
  });

  it('names a parameter as PHP registers it: leading spaces skipped, spaces and dots of the base name as _', () => {
    // php_register_variable_ex (what parse_str and a form body go through): "ignore leading spaces in the variable
    // name", then "ensure that we don't have spaces or dots in the variable name"; names inside brackets are kept,
    // and only a space counts as leading (a line break or a no-break space is part of the name).
    const parsed = parseQuery('%20%20a%20b.c=1&x.y[p.q%20r]=2&%0Ak=3&%C2%A0k=4&%20=5&%20[i]=6');
    expect(JSON.parse(JSON.stringify(parsed))).toEqual({
      a_b_c: '1',
      x_y: { 'p.q r': '2' },
      '\nk': '3',
      '\u00a0k': '4',
    });
  });

  it('keeps __proto__ as an own key of a null-prototype record', () => {
    const parsed = parseQuery('__proto__[x]=1');
    expect(Object.getPrototypeOf(parsed)).toBeNull();
    expect(Object.keys(parsed)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
  it('appends with [] without scanning the keys each time (10,000 a[]= within the default limits)', () => {
    // Reference §5/§8: bodies and batch commands are parse_str'd before auth is checked, so anyone who can reach the
    // emulator chooses this input. A scan of the node's keys per [] made 10,000 appends cost ~2 s. Counted, not timed.
    const appended = Array.from({ length: 10_000 }, () => 'a[]=x').join('&');
    const keys = vi.spyOn(Object, 'keys');
    try {
      expect(Object.values(parseQuery(appended).a as object)).toHaveLength(10_000);
      expect(keys.mock.calls.length).toBeLessThan(10);
    } finally {
      keys.mockRestore();
    }
    // PHP appends at one past the highest integer key so far, whatever came in between.
    expect(JSON.parse(JSON.stringify(parseQuery('a[]=x&a[7]=y&a[b]=z&a[]=w&a[3]=v&a[]=u')))).toEqual({
      a: { 0: 'x', 7: 'y', b: 'z', 8: 'w', 3: 'v', 9: 'u' },
    });
  });
});

describe('httpBuildQuery (PHP http_build_query as events are sent)', () => {
  it('turns every scalar into a string and nests with brackets', () => {
    const body = httpBuildQuery({
      event: 'ONIMBOTV2MESSAGEADD',
      data: { ok: true, no: false, none: null, n: 5, list: ['a b'] },
      auth: { application_token: 't&k' },
    });
    expect(body).toBe(
      'event=ONIMBOTV2MESSAGEADD&data%5Bok%5D=1&data%5Bno%5D=0&data%5Bnone%5D=&data%5Bn%5D=5&data%5Blist%5D%5B0%5D=a+b&auth%5Bapplication_token%5D=t%26k',
    );
    expect(JSON.parse(JSON.stringify(parseQuery(body)))).toEqual({
      event: 'ONIMBOTV2MESSAGEADD',
      data: { ok: '1', no: '0', none: '', n: '5', list: { 0: 'a b' } },
      auth: { application_token: 't&k' },
    });
  });
});
