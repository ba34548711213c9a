import { describe, expect, it } from 'vitest';
import { createOAuthTransport } from './createOAuthTransport';
import { createWebhookTransport } from './createWebhookTransport';

/**
 * Bad input fails before any network call. The endpoints point at 127.0.0.1:9 where nothing listens: a call
 * that reached the network would fail as `network`, so `input` proves it never left.
 */
const CODE = 's3cr3tw3bh00kc0de';
const HOOK = `http://127.0.0.1:9/rest/1/${CODE}/`;

function captured(fn: () => unknown): Promise<unknown> {
  return Promise.resolve()
    .then(fn)
    .then(
      () => undefined,
      (error: unknown) => error,
    );
}

describe('transport input checks', () => {
  it('refuses plain http to a non-loopback host unless allowInsecure, without echoing the URL', async () => {
    const error = await captured(() => createWebhookTransport(`http://portal.example/rest/1/${CODE}/`));
    expect(error).toMatchObject({ kind: 'input', field: 'url' });
    expect(String(error)).not.toContain(CODE);
    expect(String(error)).toMatch(/https/);
    expect(() =>
      createWebhookTransport(`http://portal.example/rest/1/${CODE}/`, { allowInsecure: true }),
    ).not.toThrow();
    expect(() => createWebhookTransport(`https://portal.example/rest/1/${CODE}/`)).not.toThrow();
    for (const loopback of ['127.0.0.1', 'localhost', '[::1]']) {
      expect(() => createWebhookTransport(`http://${loopback}:8024/rest/1/${CODE}/`)).not.toThrow();
    }
  });

  it('refuses what is not a webhook base URL', async () => {
    for (const url of [
      'not a url',
      'ftp://x/rest/1/c/',
      'https://x/rest/c/',
      `https://x/rest/1/${CODE}/?a=1`,
      `https://u:p@x/rest/1/${CODE}/`,
    ]) {
      const error = await captured(() => createWebhookTransport(url));
      expect(error, url).toMatchObject({ kind: 'input', field: 'url' });
      expect(String(error)).not.toContain(CODE);
    }
  });

  it('validates method, params and batch size before sending', async () => {
    const transport = createWebhookTransport(HOOK);
    expect(await captured(() => transport.call('../../admin', {}))).toMatchObject({ kind: 'input', field: 'method' });
    expect(await captured(() => transport.call('im.dialog.writing', null as never))).toMatchObject({
      kind: 'input',
      field: 'params',
    });
    expect(await captured(() => transport.call('x.y', { n: 10n }))).toMatchObject({ kind: 'input', field: 'params' });
    const calls = Array.from({ length: 51 }, () => ({ method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } }));
    const tooMany = await captured(() => transport.batch(calls));
    expect(tooMany).toMatchObject({ kind: 'input', field: 'calls' });
    expect(String(tooMany)).toMatch(/at most 50/);
    expect(await captured(() => transport.batch([{ method: 'batch', params: {} }]))).toMatchObject({
      field: 'calls[0].method',
    });
    expect(await captured(() => transport.batch([{ method: 'a.b', params: { 'x[y]': 1 } }]))).toMatchObject({
      kind: 'input',
      field: 'calls[0].params.x[y]',
    });
    expect(await transport.batch([])).toEqual([]);
    await transport.close();
  });

  it('rejects an already aborted call before connecting', async () => {
    const transport = createWebhookTransport(HOOK);
    const controller = new AbortController();
    controller.abort();
    expect(await captured(() => transport.call('im.dialog.writing', {}, { signal: controller.signal }))).toMatchObject({
      code: 'ABORTED',
      kind: 'network',
    });
    await transport.close();
  });

  it('validates OAuth options, naming the field', async () => {
    const good = {
      clientEndpoint: 'https://portal.example/rest/',
      accessToken: 'a',
      refreshToken: 'r',
      clientId: 'c',
      clientSecret: 's',
    };
    expect(() => createOAuthTransport(good)).not.toThrow();
    for (const [field, value] of [
      ['clientEndpoint', 'http://portal.example/rest/'],
      ['oauthEndpoint', 'http://oauth.example/oauth/token/'],
      ['accessToken', ''],
      ['clientSecret', undefined],
      ['onTokens', 'no'],
    ] as const) {
      expect(await captured(() => createOAuthTransport({ ...good, [field]: value } as never)), field).toMatchObject({
        kind: 'input',
        field,
      });
    }
  });

  it('describes itself without its secret', () => {
    const transport = createWebhookTransport(HOOK);
    expect(String(transport)).toBe('WebhookTransport(http://127.0.0.1:9, user 1)');
    expect(JSON.stringify({ transport })).not.toContain(CODE);
  });
});
