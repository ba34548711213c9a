import { describe, expect, it } from 'vitest';
import { scrubSecrets } from './scrubSecrets';

// What it cuts, nested and URL-encoded, is tested through B24Error.fromResponse (B24Error.test.ts).
describe('scrubSecrets', () => {
  it.each([
    ['the shorter first', { auth: 'abc', botToken: 'abcdef' }],
    ['the longer first', { botToken: 'abcdef', auth: 'abc' }],
    ['nested apart', { auth: 'abc', fields: { botToken: 'abcdef' } }],
  ])('leaves no part of a secret that holds another (%s)', (_, params) => {
    expect(scrubSecrets('token abcdef, auth abc', params)).toBe('token ***, auth ***');
    // within: neither its head nor its tail is left
    expect(scrubSecrets('x1abcdef2', { ...params, client_secret: '1abcdef2' })).toBe('x***');
  });

  it('cuts a secret URL-encoded where another is a prefix of its encoded form', () => {
    // 'a/b' is sent as 'a%2Fb'; a secret 'a%2' is a prefix of that
    expect(scrubSecrets('q=a%2Fb&r=a%2', { auth: 'a%2', botToken: 'a/b' })).toBe('q=***&r=***');
  });
});
