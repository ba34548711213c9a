import { describe, expect, it } from 'vitest';
import { B24InputError } from './B24InputError';
import { checkBatch, MAX_BATCH } from './checkBatch';

const writing = { method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } };

/** What `checkBatch` throws, or `undefined` when it accepts the batch. */
function thrown(calls: unknown, options?: unknown): unknown {
  try {
    checkBatch(calls, options);
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('checkBatch', () => {
  it('accepts an empty batch and one of exactly MAX_BATCH calls', () => {
    expect(MAX_BATCH).toBe(50);
    expect(thrown([])).toBeUndefined();
    expect(thrown(Array.from({ length: MAX_BATCH }, () => writing))).toBeUndefined();
  });

  it.each([
    [null, 'null'],
    [{ 0: writing, length: 1 }, 'an array-like object'],
    ['im.dialog.writing', 'a string'],
  ] as const)('refuses %j (%s): calls must be an array', (calls: unknown, _what: string) => {
    expect(thrown(calls)).toMatchObject({ name: 'B24InputError', kind: 'input', field: 'calls', rule: 'an array' });
  });

  it('refuses more than MAX_BATCH calls, saying how many it got', () => {
    const error = thrown(Array.from({ length: MAX_BATCH + 1 }, () => writing));
    expect(error).toBeInstanceOf(B24InputError);
    expect(error).toMatchObject({ field: 'calls', rule: 'an array of at most 50 calls' });
    expect((error as Error).message).toBe('Invalid calls: must be an array of at most 50 calls (got 51)');
  });

  it('names the first malformed call by its index (checkCall)', () => {
    expect(thrown([writing, { method: 'im dialog', params: {} }])).toMatchObject({ field: 'calls[1].method' });
    expect(thrown([writing, writing, { method: 'a.b', params: [] }])).toMatchObject({ field: 'calls[2].params' });
    expect(thrown([undefined])).toMatchObject({ field: 'calls[0].method' });
  });

  it.each(['batch', 'BATCH', 'Batch'])('refuses a nested %s: the portal does not nest batches', (method) => {
    expect(thrown([writing, { method, params: { cmd: {} } }])).toMatchObject({
      kind: 'input',
      field: 'calls[1].method',
      rule: 'a method other than batch, download or upload',
    });
  });

  // The portal refuses these three inside a batch (ERROR_BATCH_METHOD_NOT_ALLOWED, reference §8), trying a method's
  // name lower-case first.
  it.each(['download', 'upload', 'Download', 'UPLOAD'])(
    'refuses %s, which the portal refuses inside a batch',
    (method) => {
      expect(thrown([writing, { method, params: {} }])).toMatchObject({
        kind: 'input',
        field: 'calls[1].method',
        rule: 'a method other than batch, download or upload',
      });
      // a method that only starts or ends like one is not one of them
      expect(
        thrown([
          { method: `${method}s`, params: {} },
          { method: `disk.${method}`, params: {} },
        ]),
      ).toBeUndefined();
    },
  );

  it('does not quote a call into the message (params may carry tokens)', () => {
    const error = thrown([{ method: 'im.dialog.writing', params: 'auth=secret-token' }]);
    expect(String(error)).not.toContain('secret-token');
    expect(JSON.stringify(error)).not.toContain('secret-token');
  });

  it('checks the options after the calls, an empty batch included', () => {
    expect(thrown([], undefined)).toBeUndefined();
    expect(thrown([writing], { signal: new AbortController().signal })).toBeUndefined();
    expect(thrown([], null)).toMatchObject({ kind: 'input', field: 'options', rule: 'an object' });
    expect(thrown([writing], { signal: {} })).toMatchObject({ kind: 'input', field: 'signal', rule: 'an AbortSignal' });
    expect(thrown([{ method: '', params: {} }], { signal: {} })).toMatchObject({ field: 'calls[0].method' });
  });

  it('refuses options whose signal getter throws as checkCall does: not an AbortSignal, its error not kept', () => {
    const unreadable = Object.defineProperty({}, 'signal', {
      get() {
        throw new Error('secret-xyz');
      },
    });
    for (const calls of [[writing], []]) {
      const error = thrown(calls, unreadable);
      expect(error).toMatchObject({ kind: 'input', field: 'signal', rule: 'an AbortSignal' });
      expect((error as Error).cause).toBeUndefined();
      expect(String(error)).not.toContain('secret');
    }
  });
});

describe('checkBatch on a sparse array', () => {
  it('refuses a hole as a missing call, before anything is sent', () => {
    const calls = new Array<unknown>(2);
    calls[1] = { method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } };
    expect(() => checkBatch(calls)).toThrow(B24InputError);
    expect(() => checkBatch(calls)).toThrow(/calls\[0\]\.method/);
    expect(() => checkBatch(new Array(3))).toThrow(B24InputError);
  });
});

describe('checkBatch on a call that cannot be read', () => {
  const secret = 'secret-bot-token';
  const throwing = (): never => {
    throw new Error(`could not load ${secret}`);
  };

  it("refuses a call whose method or params getter (or a Proxy's trap, the array's own index too) throws as the value missing, as checkCall words it, its error not kept", () => {
    const method = 'a REST method name such as "im.dialog.writing"';
    const cases: [unknown, string, string][] = [
      [
        {
          params: {},
          get method() {
            return throwing();
          },
        },
        'calls[1].method',
        method,
      ],
      [
        {
          method: 'im.dialog.writing',
          get params() {
            return throwing();
          },
        },
        'calls[1].params',
        'a plain object',
      ],
      [new Proxy({}, { get: throwing }), 'calls[1].method', method],
    ];
    for (const [call, field, rule] of cases) {
      const error = thrown([writing, call]);
      expect(error, field).toBeInstanceOf(B24InputError);
      expect(error, field).toMatchObject({ kind: 'input', field, rule });
      expect((error as Error).cause, field).toBeUndefined();
      expect(String(error), field).not.toContain(secret);
    }
    const calls = new Proxy([writing, writing], {
      get: (target, key, receiver) => (key === '1' ? throwing() : Reflect.get(target, key, receiver)),
    });
    // The calls array's own index: a missing call, as a hole in a sparse array is.
    const error = thrown(calls);
    expect(error).toMatchObject({ kind: 'input', field: 'calls[1].method', rule: method });
    expect((error as Error).cause).toBeUndefined();
    expect(String(error)).not.toContain(secret);
  });

  it('returns each call as read, once: a getter that answers once and throws after is not asked again', () => {
    let reads = 0;
    const params = { DIALOG_ID: 'chat1' };
    const once = {
      params,
      get method() {
        return reads++ ? throwing() : 'im.dialog.writing';
      },
    };
    const read = checkBatch([once, writing]);
    expect(read).toEqual([
      { method: 'im.dialog.writing', params },
      { method: 'im.dialog.writing', params: writing.params },
    ]);
    expect(read[0]!.params).toBe(params);
    expect(reads).toBe(1);
  });

  it("reads the calls array's length once, as input: a length trap that throws or a revoked Proxy is no array, and a length that grows after the limit was checked gives no more calls", () => {
    for (const calls of [
      new Proxy([writing], {
        get: (target, key, receiver) => (key === 'length' ? throwing() : Reflect.get(target, key, receiver)),
      }),
      (() => {
        const { proxy, revoke } = Proxy.revocable([writing], {});
        revoke();
        return proxy;
      })(),
    ]) {
      const error = thrown(calls);
      expect(error).toBeInstanceOf(B24InputError);
      expect(error).toMatchObject({ kind: 'input', field: 'calls', rule: 'an array' });
      expect((error as Error).cause).toBeUndefined();
      expect(String(error)).not.toContain(secret);
    }
    // 1 when the limit is checked, 60 after: before, the 60 were all returned, past the portal's 50
    let reads = 0;
    const growing = new Proxy([writing], {
      get: (target, key, receiver) => (key === 'length' ? (reads++ ? 60 : 1) : Reflect.get(target, key, receiver)),
    });
    expect(checkBatch(growing)).toHaveLength(1);
  });
});
