import { describe, expect, it } from 'vitest';
import { phpBase64Decode } from './paramValues';

describe('phpBase64Decode: PHP base64_decode, not strict', () => {
  it('skips every character outside A-Z a-z 0-9 + / (whitespace, padding in the middle, URL-safe - and _)', () => {
    expect(phpBase64Decode('aGVsbG8=').toString('latin1')).toBe('hello');
    expect(phpBase64Decode(' aGVs\r\nbG8= ').toString('latin1')).toBe('hello');
    // Node's decoder stops at a `=` and reads `-` / `_` as 62 / 63; PHP skips all three.
    expect(phpBase64Decode('aGVs=bG8').toString('latin1')).toBe('hello');
    expect(phpBase64Decode('aG-Vs_bG8').toString('latin1')).toBe('hello');
  });

  it('decodes the letters of a data URL header as data, and keeps only whole bytes of a trailing group', () => {
    // `data:text/plain;base64,` keeps `datatext/plainbase64` (20 characters, 15 bytes) before the content.
    expect(phpBase64Decode('data:text/plain;base64,aGVsbG8=')).toHaveLength(15 + 5);
    expect(phpBase64Decode('QQ')).toEqual(Buffer.from([0x41]));
    expect(phpBase64Decode('Q')).toHaveLength(0);
  });
});
