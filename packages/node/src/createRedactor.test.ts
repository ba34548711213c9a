import { B24Error, B24InputError } from '@b24-typing/core';
import { describe, expect, it } from 'vitest';
import { createRedactor, ROTATED_KEPT, secretParams } from './createRedactor';

describe('createRedactor', () => {
  it('scrubs known secrets, plain and URL-encoded, keeping code, kind and status', () => {
    const redactor = createRedactor();
    redactor.add('s3cr3t/code+x');
    const error = new B24Error({
      code: 'ERROR_ARGUMENT',
      status: 400,
      message: 'bad s3cr3t/code+x and s3cr3t%2Fcode%2Bx',
    });
    const clean = redactor.error(error) as B24Error;
    expect(clean.message).toBe('bad *** and ***');
    expect(clean).toMatchObject({ code: 'ERROR_ARGUMENT', kind: 'input', status: 400 });
  });

  it('scrubs per-call extras and returns untouched errors as they are', () => {
    const redactor = createRedactor();
    const error = new B24Error({ code: 'X', message: 'plain token-of-the-call' });
    expect((redactor.error(error, ['token-of-the-call']) as B24Error).message).toBe('plain ***');
    expect(redactor.error(error)).toBe(error);
    const notOurs = new Error('x');
    expect(redactor.error(notOurs)).toBe(notOurs);
  });

  it('leaves an input error as it is: its text names a field and a rule, never a value, and its type must stay', () => {
    // A bot token is anything up to 40 characters: "a" or "form" would cut "must be a plain object" or "well-formed
    // text" apart, and the error rebuilt without them was a plain B24Error with no `field` or `rule` left.
    const redactor = createRedactor();
    redactor.add('a');
    for (const error of [
      new B24InputError('params', 'a plain object'),
      new B24InputError('params.MESSAGE', 'well-formed text'),
    ]) {
      expect(redactor.error(error, ['form', 'be'])).toBe(error);
    }
  });

  it('scrubs a secret shorter than 4 characters where it stands alone, not inside words or the error code', () => {
    // The portal takes any bot token up to 40 characters (reference §4.1), "k9" too: it is still a credential.
    const redactor = createRedactor();
    redactor.add('abc');
    redactor.add(''); // nothing to scrub
    const error = new B24Error({
      code: 'BOT_NOT_FOUND',
      message: 'BOT_NOT_FOUND: abc, abcd or xabc; {"botToken":"k9"} botToken=k%2F cmd=a%3FCLIENT_ID%253Dq7%2526',
    });
    const clean = redactor.error(error, ['k9', 'k/', 'q7', 'BOT']) as B24Error;
    expect(clean.message).toBe(
      'BOT_NOT_FOUND: ***, abcd or xabc; {"botToken":"***"} botToken=*** cmd=a%3FCLIENT_ID%253D***%2526',
    );
    expect(clean.code).toBe('BOT_NOT_FOUND');
    expect(secretParams({ botToken: 'k9', CLIENT_ID: '', auth: 'a' })).toEqual(['k9', 'a']);
  });

  it('scrubs a secret in the forms a quoted request carries it: JSON-escaped (a body) and form-encoded (a refresh)', () => {
    const redactor = createRedactor();
    redactor.add('se cr"et\\(x)!\'');
    const error = new B24Error({
      code: 'ERROR_ARGUMENT',
      message: 'json {"secret":"se cr\\"et\\\\(x)!\'"} form secret=se+cr%22et%5C%28x%29%21%27&x=1',
    });
    expect((redactor.error(error) as B24Error).message).toBe('json {"secret":"***"} form secret=***&x=1');
  });

  it('scrubs secrets that overlap each other whole, whichever is met first, leaving no piece of either', () => {
    // One secret may begin another (bot tokens "k9" and "k9-support-7f3a" in one batch) or end where another begins:
    // scrubbed one after the other, the first cut the second apart and left the rest of it in the text.
    const redactor = createRedactor();
    redactor.add('abcd1234');
    redactor.add('abcd1234efgh');
    redactor.add('xyz98765');
    redactor.add('98765uvw');
    redactor.add('7777');
    const error = new B24Error({
      code: 'ERROR_ARGUMENT',
      message: 'a abcd1234efgh b xyz98765uvw c k9-support-7f3a d abcd1234%20 e k9, abcd1234 f 77777',
    });
    expect((redactor.error(error, ['k9', 'k9-support-7f3a']) as B24Error).message).toBe(
      'a *** b *** c *** d ***%20 e ***, *** f ***',
    );
  });

  it('keeps the tokens of the latest refreshes only, and the lasting secrets for good', () => {
    const redactor = createRedactor();
    redactor.add('client-secret-0');
    // A year of hourly refreshes: every token held for good would be 17,520 strings, each scanned on every error.
    const refreshes = 8_760;
    for (let i = 0; i < refreshes; i++) redactor.rotate(`access-${i}`, `refresh-${i}`);
    const scrubbed = (secret: string) =>
      (redactor.error(new B24Error({ code: 'X', message: `[${secret}]` })) as B24Error).message === '[***]';
    expect(scrubbed('client-secret-0')).toBe(true);
    const newest = refreshes - ROTATED_KEPT / 2;
    expect(scrubbed(`access-${newest}`)).toBe(true);
    expect(scrubbed(`refresh-${newest}`)).toBe(true);
    expect(scrubbed(`access-${newest - 1}`)).toBe(false);
    expect(scrubbed('access-0')).toBe(false);
    // A lasting secret handed out again by a refresh stays lasting.
    for (let i = 0; i < ROTATED_KEPT; i++) redactor.rotate('client-secret-0', `later-${i}`);
    expect(scrubbed('client-secret-0')).toBe(true);
  });

  it('finds credential values among call parameters by name', () => {
    expect(
      secretParams({
        botToken: 'bt-1234',
        CLIENT_ID: 'cid-5678',
        clientId: 'cid-9999',
        dialogId: 'chat1',
        botId: 5,
        auth: 'tok-0000',
      }),
    ).toEqual(['bt-1234', 'cid-5678', 'cid-9999', 'tok-0000']);
  });

  it('finds them nested too (Bot.register takes fields.botToken), once per object however the tree is shared', () => {
    const shared: Record<string, unknown> = { botToken: 'bt-nested' };
    shared.self = shared;
    expect(
      secretParams({
        fields: { code: 'agent', botToken: 'bt-fields', list: [{ auth: 'tok-item' }] },
        a: shared,
        b: shared,
      }),
    ).toEqual(['bt-fields', 'tok-item', 'bt-nested']);
  });
});
