import { describe, expect, it } from 'vitest';
import { checkAttach, checkSetAttach } from './checkAttach';

/** An attach of one MESSAGE block whose JSON is `bytes` long (ASCII). */
function attachOf(bytes: number): { MESSAGE: string }[] {
  const frame = JSON.stringify([{ MESSAGE: '' }]).length;
  return [{ MESSAGE: 'a'.repeat(bytes - frame) }];
}

/** The documented 30 KB (imbot-message-add.md, ATTACH_OVERSIZE), as 30 × 1,024 bytes of the attach's JSON. */
describe('checkAttach: ATTACH_OVERSIZE', () => {
  it('takes an attach of 30 KB and refuses one byte more with ATTACH_OVERSIZE 400', () => {
    expect(() => checkAttach(attachOf(30 * 1024))).not.toThrow();
    expect(() => checkAttach(attachOf(30 * 1024 + 1))).toThrow(
      expect.objectContaining({
        code: 'ATTACH_OVERSIZE',
        message: 'You have exceeded the maximum allowable size of attach',
        status: 400,
      }),
    );
  });

  it('weighs a string attach as sent, in UTF-8 bytes', () => {
    const text = JSON.stringify([{ MESSAGE: 'я'.repeat(16_000) }]);
    expect(() => checkAttach(text)).toThrow(expect.objectContaining({ code: 'ATTACH_OVERSIZE' }));
  });

  it('a large value that is no attach is ATTACH_ERROR, as GetAttachByJson is asked first', () => {
    expect(() => checkAttach('x'.repeat(40_000))).toThrow(expect.objectContaining({ code: 'ATTACH_ERROR' }));
  });
});

describe('checkSetAttach: the V2 oversize refusal', () => {
  it('refuses an attach over 30 KB with ATTACH_ERROR and the oversize text', () => {
    expect(() => checkSetAttach(attachOf(30 * 1024))).not.toThrow();
    expect(() => checkSetAttach(attachOf(30 * 1024 + 1))).toThrow(
      expect.objectContaining({
        code: 'ATTACH_ERROR',
        message: 'You have exceeded the maximum allowable size of attach',
        status: 400,
      }),
    );
  });
});
