import { describe, expect, it } from 'vitest';
import { B24Error } from './B24Error';
import { classifyError, ERROR_KINDS } from './classifyError';

/**
 * Written from reference/bitrix24-rest.md, independently of the table in classifyError.ts: code, the HTTP status
 * the reference gives (docs or source), the kind we expect and where the code is documented.
 */
const REFERENCE: ReadonlyArray<readonly [code: string, status: number, kind: string, section: string]> = [
  // §1.1 im.dialog.writing
  ['DIALOG_ID_EMPTY', 400, 'input', '§1.1'],
  ['ACCESS_ERROR', 403, 'access', '§1.1'],
  ['CHAT_ID_EMPTY', 400, 'input', '§1.1'],
  // §1.2 imbot.chat.sendTyping
  ['BOT_ID_ERROR', 400, 'input', '§1.2'],
  ['APP_ID_ERROR', 400, 'access', '§1.2'],
  ['ACCESS_DENIED', 403, 'access', '§1.2 Client ID not specified'],
  // §1.3 imbot.v2.Chat.InputAction.notify
  ['BOT_TOKEN_NOT_SPECIFIED', 400, 'input', '§1.3'],
  ['BOT_ID_REQUIRED', 400, 'input', '§1.3'],
  ['BOT_NOT_FOUND', 400, 'input', '§1.3'],
  ['BOT_OWNERSHIP_ERROR', 400, 'access', '§1.3'],
  ['ACCESS_DENIED', 400, 'access', '§1.3 bot not in chat'],
  ['REST_SERVER_NOT_FOUND', 400, 'server', '§1.3'],
  ['CHAT_NOT_FOUND', 400, 'input', '§1.3'],
  // §6 system errors (documented statuses)
  ['INTERNAL_SERVER_ERROR', 500, 'server', '§6'],
  ['ERROR_UNEXPECTED_ANSWER', 500, 'server', '§6'],
  ['QUERY_LIMIT_EXCEEDED', 503, 'rate', '§6'],
  ['QUERY_LIMIT_EXCEEDED', 429, 'rate', '§7 imbot.v2 docs'],
  ['OPERATION_TIME_LIMIT', 429, 'operating', '§6'],
  ['ERROR_BATCH_METHOD_NOT_ALLOWED', 405, 'input', '§6'],
  ['ERROR_BATCH_LENGTH_EXCEEDED', 400, 'input', '§6'],
  ['NO_AUTH_FOUND', 401, 'auth', '§6'],
  ['INVALID_REQUEST', 400, 'input', '§6 Https required'],
  ['OVERLOAD_LIMIT', 503, 'access', '§6 manual block'],
  ['ACCESS_DENIED', 403, 'access', '§6 plan'],
  ['INVALID_CREDENTIALS', 403, 'auth', '§6'],
  ['ERROR_MANIFEST_IS_NOT_AVAILABLE', 404, 'access', '§6'],
  ['insufficient_scope', 403, 'access', '§6'],
  ['expired_token', 401, 'auth', '§6'],
  ['user_access_error', 403, 'access', '§6'],
  ['PORTAL_DELETED', 500, 'access', '§6'],
  // §6 on-prem source: auth-stage failures all arrive as 401, the code still decides
  ['INVALID_CREDENTIALS', 401, 'auth', '§6 source'],
  ['insufficient_scope', 401, 'access', '§6 source'],
  ['ACCESS_DENIED', 401, 'access', '§6 source'],
  ['OVERLOAD_LIMIT', 401, 'access', '§6 source'],
  ['INVALID_REQUEST', 401, 'input', '§6 source'],
  ['user_access_error', 401, 'access', '§6 source'],
  ['authorization_error', 401, 'auth', '§6 source'],
  ['APPLICATION_NOT_FOUND', 401, 'access', '§6 source'],
  ['CONNECTION_ERROR', 401, 'server', '§6 source'],
  ['WRONG_AUTH_TYPE', 401, 'access', '§6 source'],
  ['ERROR_METHOD_NOT_FOUND', 404, 'input', '§6 source'],
  ['ERROR_CORE', 500, 'server', '§6 source SQL'],
  ['ERROR_CORE', 400, 'server', '§6 source'],
  ['ERROR_ARGUMENT', 400, 'input', '§6 source'],
  ['invalid_token', 401, 'auth', '§6 jssdk'],
  ['WRONG_AUTH_TYPE', 403, 'access', '§6 PHP SDK'],
  ['PAYMENT_REQUIRED', 402, 'access', '§6 PHP SDK'],
  ['wrong_client', 401, 'auth', '§6 PHP SDK'],
  ['NOT_FOUND', 404, 'input', '§6 PHP SDK'],
  ['ERROR_NOT_FOUND', 404, 'input', '§6 PHP SDK'],
  // §8 batch (per-command errors arrive inside a 200 response)
  ['ERROR_BATCH_LENGTH_EXCEEDED', 200, 'input', '§8'],
  ['ERROR_BATCH_METHOD_NOT_ALLOWED', 200, 'input', '§8'],
  ['insufficient_scope', 200, 'access', '§8'],
  // §5 OAuth server
  ['invalid_grant', 400, 'auth', '§5'],
  ['invalid_client', 401, 'auth', '§5'],
  ['invalid_request', 400, 'auth', '§5'],
  ['invalid_scope', 400, 'access', '§5'],
];

describe('classifyError', () => {
  it.each(REFERENCE)('%s (HTTP %i) is %s [%s]', (code, status, kind) => {
    expect(classifyError(code, status)).toBe(kind);
    // the code alone decides: no status, or a misleading one, gives the same kind
    expect(classifyError(code)).toBe(kind);
    expect(classifyError(code, 500)).toBe(kind);
    expect(new B24Error({ code, status }).kind).toBe(kind);
  });

  it('covers every reference code in its table', () => {
    for (const [code] of REFERENCE) expect(Object.hasOwn(ERROR_KINDS, code), code).toBe(true);
  });

  it.each([
    [401, 'auth'],
    [403, 'access'],
    [429, 'rate'],
    [408, 'timeout'],
    [504, 'timeout'],
    [400, 'input'],
    [404, 'input'],
    [300, 'input'], // the first 3xx: a redirect class reply, whatever its number
    [301, 'input'],
    [302, 'input'],
    [307, 'input'],
    [308, 'input'],
    [399, 'input'],
    [299, 'server'],
    [500, 'server'],
    [502, 'server'],
    [503, 'server'], // not rate: the portal's rate-limit 503 has its code; a bare one may hide a call that landed
  ] as const)('falls back on HTTP %i → %s for an unknown code', (status, kind) => {
    expect(classifyError('SOMETHING_NEW', status)).toBe(kind);
  });

  it('treats an unknown code without status as a server error', () => {
    expect(classifyError('SOMETHING_NEW')).toBe('server');
  });

  it('does not take inherited object keys for codes', () => {
    expect(classifyError('toString')).toBe('server');
    expect(classifyError('__proto__', 403)).toBe('access');
  });

  it('matches codes case-sensitively, as the portal sends them', () => {
    expect(classifyError('EXPIRED_TOKEN', 503)).toBe('server');
    expect(classifyError('expired_token', 503)).toBe('auth');
  });
});

describe('B24Error', () => {
  it('builds from a portal reply and keeps code, status and kind', () => {
    const e = B24Error.fromResponse({ error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' }, 503);
    expect(e).toMatchObject({ code: 'QUERY_LIMIT_EXCEEDED', status: 503, kind: 'rate', name: 'B24Error' });
    expect(e.message).toBe('QUERY_LIMIT_EXCEEDED: Too many requests');
    expect(JSON.parse(JSON.stringify(e))).toEqual({
      name: 'B24Error',
      code: 'QUERY_LIMIT_EXCEEDED',
      kind: 'rate',
      status: 503,
      message: 'QUERY_LIMIT_EXCEEDED: Too many requests',
    });
  });

  it('has no status in toJSON and no cause when none was given', () => {
    const e = new B24Error({ code: 'ABORTED' });
    expect(e.toJSON()).toStrictEqual({ name: 'B24Error', code: 'ABORTED', kind: 'network', message: 'ABORTED' });
    expect('cause' in e).toBe(false);
    expect(B24Error.fromResponse({ error: 'X', error_description: '' }).toJSON()).toStrictEqual({
      name: 'B24Error',
      code: 'X',
      kind: 'server',
      message: 'X',
    });
  });

  it('wraps foreign errors without copying their message', () => {
    const foreign = new TypeError('fetch failed for https://portal/rest/1/s3cr3tc0de/im.dialog.writing');
    const e = B24Error.from(foreign);
    expect(e).toMatchObject({ code: 'TRANSPORT_ERROR', kind: 'network' });
    expect(e.cause).toBe(foreign);
    expect(`${e.message} ${String(e)} ${JSON.stringify(e)}`).not.toContain('s3cr3tc0de');
    const own = new B24Error({ code: 'ABORTED' });
    expect(B24Error.from(own)).toBe(own);
    expect(own.kind).toBe('network');
    expect(B24Error.from('boom').message).toBe('Transport failed (string)');
  });
});
