import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { post } from '../test/http';
import { startEmulator } from './startEmulator';
import type { Emulator, EmulatorOptions, SeedInput } from './types';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const bad = <T>(value: unknown) => value as T;

describe('startEmulator options: a bad value is a TypeError naming the option, before anything listens', () => {
  const cases: [EmulatorOptions, string][] = [
    [{ seed: Number.NaN }, 'startEmulator: seed must be an integer 0..4294967295, got NaN'],
    [{ seed: 1.5 }, 'seed must be an integer 0..4294967295, got 1.5'],
    [{ seed: -1 }, 'seed must be an integer 0..4294967295, got -1'],
    [{ seed: 2 ** 32 }, 'seed must be an integer'],
    [{ seed: bad('7') }, 'seed must be an integer 0..4294967295, got "7"'],
    [{ host: '' }, 'startEmulator: host must be a non-empty address'],
    [{ host: bad(127) }, 'host must be a non-empty address'],
    [{ plan: bad('fast') }, `plan must be 'standard', 'enterprise', 'off' or {perSecond, burst}, got "fast"`],
    [{ plan: bad(null) }, 'plan must be'],
    [{ plan: { perSecond: Number.POSITIVE_INFINITY, burst: 5 } }, 'plan needs finite perSecond > 0'],
    [{ now: bad(123) }, 'startEmulator: now must be a function'],
    [{ now: () => Number.NaN }, 'startEmulator: now() must return a finite number (epoch ms), got NaN'],
    [{ now: bad(() => '2026-01-01') }, 'now() must return a finite number'],
    [{ operating: bad(true) }, 'operating must be false or an object'],
    [{ operating: { costSec: -1 } }, 'operating.costSec must be a number >= 0 or a function, got -1'],
    [{ operating: { budgetSec: 0 } }, 'operating.budgetSec must be a positive number'],
    [{ cors: bad('http://localhost:5173') }, `cors must be 'loopback', true, false or a list of origins`],
    [{ tls: bad({ cert: 'x' }) }, 'tls must be {cert, key}'],
    [{ domain: '' }, 'domain must be a non-empty string'],
    [{ faults: bad({ status: 500 }) }, 'faults must be an array'],
    [{ rateLimitStatus: bad(500) }, 'rateLimitStatus must be 503 or 429, got 500'],
    [{ maxBodyBytes: Number.POSITIVE_INFINITY }, 'maxBodyBytes must be a positive number'],
    [bad(null), 'startEmulator: options must be an object'],
  ];
  it.each(cases)('%o', async (options, message) => {
    const started = startEmulator(options);
    await expect(started).rejects.toThrow(TypeError);
    await expect(started).rejects.toThrow(message);
  });

  it('keeps seeds that are different seeds apart (1.5 used to run as seed 1)', async () => {
    emulator = await startEmulator({ seed: 0xffff_ffff });
    expect(emulator.issueToken(2).accessToken).toMatch(/^[0-9a-f]{32}$/);
  });

  it('a clock that goes bad later fails the call that read it, not silently with NaN timings', async () => {
    let t: number = Date.parse('2026-01-01T00:00:00Z');
    emulator = await startEmulator({ now: () => t });
    t = Number.NaN;
    expect(() => emulator!.indicators()).toThrow('now() must return a finite number (epoch ms), got NaN');
    const reply = await post(`${emulator.webhookUrl()}im.dialog.writing`, { DIALOG_ID: 'chat1' });
    expect(reply.status).toBe(500);
    t = Date.parse('2026-01-01T00:00:01Z');
    expect((await post(`${emulator.webhookUrl()}im.dialog.writing`, { DIALOG_ID: 'chat1' })).body.result).toBe(true);
  });

  it('a costSec function returning NaN fails the call instead of switching the operating limit off unseen', async () => {
    emulator = await startEmulator({ plan: 'off', operating: { costSec: () => Number.NaN } });
    const reply = await post(`${emulator.webhookUrl()}im.dialog.writing`, { DIALOG_ID: 'chat1' });
    expect(reply.status).toBe(500);
  });

  it('a TLS key that does not parse is a TypeError that quotes no key material', async () => {
    const key = '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----\n';
    const started = startEmulator({ tls: { cert: 'not a certificate', key } });
    await expect(started).rejects.toThrow(/^startEmulator: tls.cert \/ tls.key could not be used: /);
    await expect(started).rejects.not.toThrow('c2VjcmV0');
  });

  it('a port in use is an error naming the address and the code', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const started = startEmulator({ port });
      await expect(started).rejects.toThrow(`startEmulator: cannot listen on 127.0.0.1:${port}: EADDRINUSE`);
      await expect(started).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

describe('seed(): the whole input is checked first; nothing already there is replaced', () => {
  it.each<[SeedInput, string]>([
    [{ users: [{ id: 1, name: 'Mallory' }] }, 'seed: users[0].id 1 is already taken by another user or bot'],
    [{ bots: [{ id: 2, code: 'b', name: 'B', botToken: 't' }] }, 'bots[0].id 2 is already taken'],
    [{ chats: [{ id: 1, title: 'Again' }] }, 'chats[0].id 1 is already taken by another chat'],
    [{ bots: [{ code: 'agent', name: 'Agent 2', botToken: 'x' }] }, 'bots[0].code "agent" is already taken'],
    [{ bots: [{ code: 'nobody', name: 'Nobody' }] }, 'bots[0] needs botToken (webhook identity) or clientId'],
    [{ bots: [{ code: 'c', name: 'C', clientId: 'no.such.app' }] }, 'bots[0].clientId: no application "no.such.app"'],
    [{ bots: [{ code: 'c', name: 'C', botToken: 't', eventMode: 'webhook' }] }, "eventMode 'webhook' needs webhookUrl"],
    [{ bots: [{ code: 'c', name: 'C', botToken: 't', chats: [99] }] }, 'bots[0].chats[0]: no chat 99'],
    [{ chats: [{ title: 'T', members: [1, 77] }] }, 'chats[0].members[1]: no user 77'],
    [{ members: [[1, 77]] }, 'members[0]: no user 77'],
    [{ members: [[99, 1]] }, 'members[0]: no chat 99'],
    [{ users: [{ name: '' }] }, 'users[0].name must be a non-empty string'],
    [{ users: bad({ name: 'x' }) }, 'seed: users must be an array'],
    [{ webhooks: [{ userId: 42, code: 'hook42' }] }, 'webhooks[0].userId: no user 42'],
  ])('%o', async (input, message) => {
    emulator ??= await startEmulator();
    const before = JSON.stringify(emulator.fixtures);
    expect(() => emulator!.seed(input)).toThrow(TypeError);
    expect(() => emulator!.seed(input)).toThrow(message);
    expect(JSON.stringify(emulator.fixtures)).toBe(before);
  });

  it('a bad entry late in a seed leaves the earlier, valid ones unapplied too', async () => {
    emulator = await startEmulator();
    expect(() =>
      emulator!.seed({
        apps: [{ clientId: 'first.app', clientSecret: 's' }],
        users: [{ id: 60, name: 'Ok' }],
        members: [[1, 999]],
      }),
    ).toThrow('members[0]: no user 999');
    expect(emulator.fixtures.users.map((u) => u.id)).not.toContain(60);
    expect(() => emulator!.issueToken(1, { clientId: 'first.app' })).toThrow('unknown OAuth application');
    // References within one seed work: a new user in a new chat, with a bot of a new app, ids assigned in order.
    const ids = emulator.seed({
      apps: [{ clientId: 'first.app', clientSecret: 's' }],
      users: [{ name: 'Nia' }],
      chats: [{ title: 'New', members: [1, 12] }],
      bots: [{ code: 'newbot', name: 'Newbot', clientId: 'first.app', chats: [3] }],
      members: [[3, 13]],
    });
    expect(ids).toEqual({ users: [12], chats: [3], bots: [13] });
  });

  it('taken credentials are refused without quoting them', async () => {
    emulator = await startEmulator();
    const secretCode = 'emulatorwebhook1';
    const attempt = () => emulator!.seed({ webhooks: [{ userId: 2, code: secretCode }] });
    expect(attempt).toThrow('seed: webhooks[0].code is already taken by another webhook');
    expect(attempt).not.toThrow(secretCode);
    const app = () => emulator!.seed({ apps: [{ clientId: 'local.emulator.app', clientSecret: 'new-secret' }] });
    expect(app).toThrow('apps[0].clientId is already taken');
    expect(app).not.toThrow('secret');
    const noSecret = () => emulator!.seed({ apps: [{ clientId: 'x.app', clientSecret: bad(42) }] });
    expect(noSecret).toThrow('apps[0].clientSecret must be a non-empty string');
    expect(noSecret).not.toThrow('42');
    // The original app still refreshes with its original secret.
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: 'local.emulator.app',
      client_secret: 'emulator-client-secret',
      refresh_token: emulator.fixtures.oauth.refreshToken,
    });
    expect((await post(emulator.oauthUrl, form.toString())).status).toBe(200);
  });

  it('POST /_emulator/seed answers 400 with the same message and changes nothing', async () => {
    emulator = await startEmulator();
    const reply = await post(`${emulator.url}/_emulator/seed`, { users: [{ id: 2, name: 'Eve' }] });
    expect(reply.status).toBe(400);
    expect(reply.body.error_description).toBe('seed: users[0].id 2 is already taken by another user or bot');
    expect(emulator.fixtures.users.find((u) => u.id === 2)?.name).toBe('Bob Builder');
  });
});

describe('handle methods and control routes', () => {
  it('issueToken, webhookUrl, postMessage and editMessage refuse bad arguments before doing anything', async () => {
    emulator = await startEmulator();
    expect(() => emulator!.issueToken(1, { ttlSec: Number.NaN })).toThrow('issueToken: ttlSec must be a positive');
    expect(() => emulator!.issueToken(1, { ttlSec: -5 })).toThrow('ttlSec must be a positive number, got -5');
    expect(() => emulator!.issueToken(99)).toThrow('issueToken: unknown user 99');
    expect(() => emulator!.webhookUrl(2, bad('im'))).toThrow('webhookUrl: scopes must be a list of scope names');
    const timeline = emulator.timeline().length;
    expect(() => emulator!.postMessage({ from: 1, dialogId: 'chat1', text: '' })).toThrow(
      'postMessage: text must be a non-empty string',
    );
    expect(() => emulator!.postMessage({ from: 1, dialogId: 'chat1', text: bad(5) })).toThrow('got 5');
    expect(() => emulator!.postMessage({ from: 1, dialogId: bad(2), text: 'hi' })).toThrow(
      'postMessage: dialogId must be a string',
    );
    expect(emulator.timeline()).toHaveLength(timeline);
    const id = emulator.postMessage({ from: 1, dialogId: 'chat1', text: 'hello' });
    expect(() => emulator!.editMessage(id, bad(null))).toThrow('editMessage: text must be a non-empty string');
    expect(emulator.messages(1).at(-1)?.text).toBe('hello');
  });

  it('editMessage refuses a deleted message, which the portal no longer lets its author edit, changing nothing', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const id = emulator.postMessage({ from: 1, dialogId: 'chat1', text: 'regret' });
    expect((await post(`${emulator.webhookUrl(1)}im.message.delete`, { MESSAGE_ID: id })).body.result).toBe(true);
    const timeline = emulator.timeline().length;
    expect(() => emulator!.editMessage(id, 'revived')).toThrow(`editMessage: message ${id} is deleted`);
    expect(emulator.timeline()).toHaveLength(timeline);
    const history = await post(`${emulator.webhookUrl(1)}im.dialog.messages.get`, { DIALOG_ID: 'chat1' });
    expect(history.body.result.messages.find((m: { id: number }) => m.id === id)).toMatchObject({
      text: 'This message has been deleted.',
      params: { IS_DELETED: 'Y' },
    });
  });

  it('a fault whose method is not a string is refused when added, not a 500 on every later call', async () => {
    emulator = await startEmulator({ plan: 'off' });
    expect(() => emulator!.addFault(bad({ method: 5, status: 500 }))).toThrow('fault.method must be a method name');
    expect(() => emulator!.addFault(bad({ status: 500, error: 42 }))).toThrow('fault.error must be a string');
    const added = await post(`${emulator.url}/_emulator/faults`, { method: ['x'], status: 500 });
    expect(added.status).toBe(400);
    expect((await post(`${emulator.webhookUrl()}im.dialog.writing`, { DIALOG_ID: 'chat1' })).status).toBe(200);
  });

  it('POST /_emulator/messages without text is a 400, not an empty message', async () => {
    emulator = await startEmulator();
    const reply = await post(`${emulator.url}/_emulator/messages`, { from: 2, dialogId: 'chat1' });
    expect(reply.status).toBe(400);
    expect(reply.body.error_description).toBe('postMessage: text must be a non-empty string, got undefined');
    expect(emulator.messages()).toHaveLength(0);
    const ok = await post(`${emulator.url}/_emulator/messages`, { from: 2, dialogId: 1, text: 'hi Alice' });
    expect(ok.status).toBe(200);
  });
});
