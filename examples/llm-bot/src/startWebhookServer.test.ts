// Webhook mode end to end: the bot serves node:http, the emulator posts its events there (form-encoded, as the
// platform does), and parseBotEvent decides which ones to trust.
import { connect } from 'node:net';
import type { Transport } from '@b24-typing/core';
import { httpBuildQuery } from '@b24-typing/emulator';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { createLocalModel } from './createLocalModel';
import { startBot } from './startBot';
import { useBotHarness } from './startBot.test.fixture';
import { startWebhookServer } from './startWebhookServer';

const setup = useBotHarness();

describe('llm-bot end to end (webhook mode)', () => {
  it('answers events signed with the application token the portal gives its integration, refuses others with 401', async () => {
    let applicationToken = '';
    const { bot, emulator, lines, ask, waitFor } = await setup(createLocalModel({ speed: 0.5 }), (emulator) => {
      // The bot registers through user 1's webhook, so the portal signs its events with that integration's token.
      applicationToken = emulator.webhookApplicationToken(1);
      return {
        events: { mode: 'webhook', applicationToken },
        statusPolicy: { minDwellMs: 250 }, // see FAST in startBot.test.ts
      };
    });
    expect(bot.webhookUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/bitrix24\/events$/);
    expect(emulator.bot(bot.botId)?.applicationToken).toBe(applicationToken);
    const q = await ask('What about replies?');
    const c = await waitFor(q, (c) => c.reply !== undefined);
    expect(c.statuses.map((s) => s.status)).toEqual(['thinking', 'searching', 'thinking', 'composing']);
    expect(c.callsAfterReply).toEqual([]);
    await emulator.settled();
    const delivery = emulator.deliveries().find((d) => d.botId === bot.botId);
    expect(delivery).toMatchObject({ event: 'ONIMBOTV2MESSAGEADD', status: 200 });

    // The same payload signed with another token is refused.
    const forged = delivery!.body.replaceAll(encodeURIComponent(applicationToken), 'forged-token');
    expect(forged).not.toBe(delivery!.body);
    const res = await fetch(bot.webhookUrl!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: forged,
    });
    expect(res.status).toBe(401);
    // and logged, for the operator to see a wrong B24_APPLICATION_TOKEN (before: the bot's log said nothing)
    expect(lines.filter((l) => l.startsWith('webhook POST refused: '))).toHaveLength(1);
  });

  it('reports the bot being unregistered while it runs: the POSTed ONIMBOTV2DELETE ends it, through onError', async () => {
    const errors: unknown[] = [];
    const { bot, emulator, lines, user } = await setup(createLocalModel(), (emulator) => ({
      events: { mode: 'webhook', applicationToken: emulator.webhookApplicationToken(1) },
      onError: (e) => errors.push(e),
    }));
    await user.call('imbot.v2.Bot.unregister', { botId: bot.botId, botToken: 'llm-bot-test-token' });
    await emulator.settled();
    expect(emulator.deliveries().at(-1)).toMatchObject({ botId: bot.botId, event: 'ONIMBOTV2DELETE', status: 200 });
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(errors[0]).toMatchObject({ name: 'B24Error', code: 'BOT_NOT_FOUND', kind: 'input' });
    expect(lines.some((l) => /event source ended: bot \d+ was unregistered/.test(l))).toBe(true);
  });

  it('refuses anything but a POST to its path', async () => {
    const { bot } = await setup(createLocalModel(), { events: { mode: 'webhook', applicationToken: 't' } });
    const url = new URL(bot.webhookUrl!);
    expect((await fetch(url)).status).toBe(404);
    expect((await fetch(new URL('/other', url), { method: 'POST', body: 'a=1' })).status).toBe(404);
    expect((await fetch(url, { method: 'POST', body: 'event=ONIMBOTV2MESSAGEADD' })).status).toBe(401);
  });

  it('answers a request target that is no URL path (`POST //`) with 404 and serves on, rather than crashing the bot', async () => {
    // before: `new URL('//', base)` threw inside the request listener, an uncaught exception: one such request from
    // anyone who can reach the port (a tunnel's public URL) stopped the bot
    const server = await startWebhookServer({ applicationToken: 't', onEvent: () => true });
    onTestFinished(() => server.close());
    const { port } = new URL(server.url);
    const raw = (target: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () =>
          socket.end(`POST ${target} HTTP/1.1\r\nHost: bot\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`),
        );
        let reply = '';
        socket.on('data', (chunk: Buffer) => {
          reply += chunk.toString();
        });
        socket.on('close', () => resolve(reply.split('\r\n')[0] ?? ''));
        socket.on('error', reject);
      });
    for (const target of ['//', '///', '//[']) expect(await raw(target), target).toBe('HTTP/1.1 404 Not Found');
    expect((await fetch(server.url, { method: 'POST', body: 'event=ONIMBOTV2MESSAGEADD' })).status).toBe(401);
  });

  it('answers a body over its 1 MiB limit with 413, instead of resetting the connection', async () => {
    const { bot } = await setup(createLocalModel(), { events: { mode: 'webhook', applicationToken: 't' } });
    // before: the server destroyed the socket mid-upload, so the sender saw ECONNRESET and no status at all
    const res = await fetch(bot.webhookUrl!, { method: 'POST', body: `event=${'x'.repeat(2 << 20)}` });
    expect(res.status).toBe(413);
    // and the server still answers the next POST
    expect((await fetch(bot.webhookUrl!, { method: 'POST', body: 'event=ONIMBOTV2MESSAGEADD' })).status).toBe(401);
  });

  it('answers 503, not 200, for a verified event its onEvent did not take (a full queue)', async () => {
    const taken: string[] = [];
    const server = await startWebhookServer({
      applicationToken: 't',
      onEvent: (event) => {
        taken.push(event.type);
        return taken.length < 2;
      },
    });
    onTestFinished(() => server.close());
    const body = httpBuildQuery({
      event: 'ONIMBOTV2JOINCHAT',
      data: { bot: { id: 5 }, chat: { id: 1, dialogId: 'chat1' }, user: { id: 2 } },
      auth: { application_token: 't' },
    });
    const post = () => fetch(server.url, { method: 'POST', body }).then((res) => res.status);
    // before: 200 for both, the second event dropped by its taker with the portal none the wiser
    expect([await post(), await post()]).toEqual([200, 503]);
    expect(taken).toEqual(['ONIMBOTV2JOINCHAT', 'ONIMBOTV2JOINCHAT']);
  });

  it('answers 500 for an event its onEvent threw on or rejected, reports it through onRejected, and serves on', async () => {
    // before: the throw (or the rejection, unawaited) escaped the request's `.then` handler: an unhandled rejection,
    // and the POST was never answered (or answered 200 for an event the taker failed on)
    const unhandled = watchUnhandledRejections();
    const reasons: string[] = [];
    let taker: () => boolean | Promise<boolean> = () => {
      throw new Error('taker broke');
    };
    const server = await startWebhookServer({
      applicationToken: 't',
      onEvent: () => taker(),
      onRejected: (reason) => reasons.push(reason),
    });
    onTestFinished(() => server.close());
    const post = (body: string) =>
      unhandled.race(fetch(server.url, { method: 'POST', body }).then((res) => res.status));
    expect(await post(JOIN_CHAT)).toBe(500);
    taker = () => Promise.reject(new Error('taker rejected'));
    expect(await post(JOIN_CHAT)).toBe(500);
    expect(reasons).toEqual([
      expect.stringMatching(/could not take the event: taker broke/),
      expect.stringMatching(/could not take the event: taker rejected/),
    ]);
    taker = () => Promise.resolve(true);
    expect(await post(JOIN_CHAT)).toBe(200);
    taker = () => Promise.resolve(false);
    expect(await post(JOIN_CHAT)).toBe(503);
    expect(unhandled.reasons).toEqual([]);
  });

  it('still answers when its onRejected (the log) throws: 401 for a forged event, 500 for a failed taker', async () => {
    // before: a throwing log escaped the `.then` handler before the status was written: an unhandled rejection and a
    // POST never answered
    const unhandled = watchUnhandledRejections();
    const server = await startWebhookServer({
      applicationToken: 't',
      onEvent: () => {
        throw new Error('taker broke');
      },
      onRejected: () => {
        throw new Error('log broke');
      },
    });
    onTestFinished(() => server.close());
    const post = (body: string) =>
      unhandled.race(fetch(server.url, { method: 'POST', body }).then((res) => res.status));
    expect(await post(JOIN_CHAT.replace('auth%5Bapplication_token%5D=t', 'auth%5Bapplication_token%5D=forged'))).toBe(
      401,
    );
    expect(await post('event=ONIMBOTV2MESSAGEADD&auth%5Bapplication_token%5D=t')).toBe(400);
    expect(await post(JOIN_CHAT)).toBe(500);
    expect(unhandled.reasons).toEqual([]);
  });

  it('refuses an empty or missing application token with B24InputError before serving or registering anything', async () => {
    // before: the bot registered and served, and answered every event 400 (no token to check it against): deaf
    const calls: string[] = [];
    const transport: Transport = { call: async (method) => calls.push(method) };
    for (const applicationToken of ['', undefined]) {
      await expect(
        startBot({
          transport,
          botToken: 't',
          model: createLocalModel(),
          events: { mode: 'webhook', applicationToken: applicationToken as string },
        }),
      ).rejects.toMatchObject({ name: 'B24InputError', field: 'applicationToken' });
      await expect(
        startWebhookServer({ applicationToken: applicationToken as string, onEvent: () => true }),
      ).rejects.toMatchObject({ name: 'B24InputError', field: 'applicationToken' });
    }
    expect(calls).toEqual([]);
  });

  it('refuses a port out of range or an empty host with B24InputError before listening', async () => {
    // before: Node's RangeError from listen() for the port; an empty host listened on every interface
    for (const [options, field] of [
      [{ port: 65_536 }, 'port'],
      [{ port: -1 }, 'port'],
      [{ port: 1.5 }, 'port'],
      [{ port: Number.NaN }, 'port'],
      [{ host: '' }, 'host'],
    ] as const) {
      let server: { close(): Promise<void> } | undefined;
      const err = await startWebhookServer({ applicationToken: 'app-token', onEvent: () => true, ...options }).then(
        (s) => {
          server = s;
        },
        (e: unknown) => e,
      );
      await server?.close();
      expect(err, JSON.stringify(options)).toMatchObject({ name: 'B24InputError', field });
    }
  });
});

/** A verified event for `startWebhookServer({ applicationToken: 't' })`, form-encoded as the portal posts it. */
const JOIN_CHAT = httpBuildQuery({
  event: 'ONIMBOTV2JOINCHAT',
  data: { bot: { id: 5 }, chat: { id: 1, dialogId: 'chat1' }, user: { id: 2 } },
  auth: { application_token: 't' },
});

/**
 * Unhandled rejections while the test runs, and `race`, which fails the wait for a reply as soon as one happens (the
 * POST that caused it is never answered): the test fails on the rejection itself, not on its timeout.
 */
function watchUnhandledRejections() {
  const reasons: unknown[] = [];
  const waiters = new Set<(reason: unknown) => void>();
  const listener = (reason: unknown) => {
    reasons.push(reason);
    for (const fail of waiters) fail(reason);
  };
  process.on('unhandledRejection', listener);
  onTestFinished(() => {
    process.off('unhandledRejection', listener);
  });
  return {
    reasons,
    race: <T>(work: Promise<T>) =>
      new Promise<T>((resolve, reject) => {
        const fail = (reason: unknown) => reject(new Error(`unhandled rejection: ${String(reason)}`));
        waiters.add(fail);
        work.then(resolve, reject).finally(() => waiters.delete(fail));
      }),
  };
}
