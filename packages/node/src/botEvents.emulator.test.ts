import { type Emulator, startEmulator } from '@b24-typing/emulator';
import { firstValueFrom, lastValueFrom, repeat, retry, take, toArray } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { BotDeleteEvent, MessageAddEvent } from './BotEvent';
import { botEvents } from './botEvents';
import { createOAuthTransport } from './createOAuthTransport';
import type { NodeTransport } from './createRestTransport';
import { createWebhookTransport } from './createWebhookTransport';

let emu: Emulator;
let transport: NodeTransport;
/** Short intervals keep this fast on real timers; the timing itself is pinned in botEvents.test.ts. */
const fast = { intervalMs: 20, hasMoreDelayMs: 0, backoff: { initialMs: 10, maxMs: 40, jitter: 0 } } as const;

beforeAll(async () => {
  emu = await startEmulator({ plan: 'off' });
  transport = createWebhookTransport(emu.webhookUrl(1));
});
afterEach(() => {
  // Back to the seed: no faults, and no events left unconfirmed by a test that stopped early.
  emu.reset();
});
afterAll(async () => {
  await transport.close();
  await emu.close();
});

/** Messages from Bob (user 2) to the agent bot in their private chat: each becomes an ONIMBOTV2MESSAGEADD. */
function say(texts: string[]): void {
  const agent = emu.fixtures.bots.agent;
  for (const text of texts) emu.postMessage({ from: 2, dialogId: String(agent.id), text });
}

describe('botEvents against the emulator', () => {
  it('delivers typed message events in order, following hasMore', async () => {
    const agent = emu.fixtures.bots.agent;
    say(['one', 'two', 'three', 'four', 'five']);
    const events = await firstValueFrom(
      botEvents(transport, { botId: agent.id, botToken: agent.botToken!, limit: 2, ...fast }).pipe(take(5), toArray()),
    );
    expect(events.map((e) => (e as MessageAddEvent).data.message.text)).toEqual([
      'one',
      'two',
      'three',
      'four',
      'five',
    ]);
    const first = events[0] as MessageAddEvent;
    expect(first.type).toBe('ONIMBOTV2MESSAGEADD');
    expect(first.data.chat.dialogId).toBe('2');
    expect(first.data.user.id).toBe(2);
    expect(first.data.bot.id).toBe(agent.id);
    expect(typeof first.eventId).toBe('number');
  });

  it('loses nothing and repeats nothing across errors, resets and hangs between polls', async () => {
    const agent = emu.fixtures.bots.agent;
    const quick = createWebhookTransport(emu.webhookUrl(1), { headersTimeoutMs: 200 });
    const texts = Array.from({ length: 12 }, (_, i) => `m${i}`);
    const received: string[] = [];
    const errors: unknown[] = [];
    const subscription = botEvents(quick, { botId: agent.id, botToken: agent.botToken!, limit: 3, ...fast }).subscribe({
      next: (e) => received.push((e as MessageAddEvent).data.message.text),
      error: (e) => errors.push(e),
    });
    try {
      say(texts.slice(0, 4));
      await vi.waitFor(() => expect(received).toHaveLength(4), { timeout: 5_000 });
      // Faults on the polls that would confirm what was just delivered.
      emu.addFault({ method: 'imbot.v2.Event.get', status: 500, error: 'INTERNAL_SERVER_ERROR', times: 2 });
      emu.addFault({ method: 'imbot.v2.Event.get', reset: true, times: 1 });
      emu.addFault({ method: 'imbot.v2.Event.get', status: 503, error: 'QUERY_LIMIT_EXCEEDED', times: 1 });
      emu.addFault({ method: 'imbot.v2.Event.get', hang: true, times: 1 });
      // The imbot.v2 docs' 429s (§7): the rate limit and the operating limit, both backed off.
      emu.addFault({ method: 'imbot.v2.Event.get', status: 429, error: 'QUERY_LIMIT_EXCEEDED', times: 1 });
      emu.addFault({ method: 'imbot.v2.Event.get', status: 429, error: 'OPERATION_TIME_LIMIT', times: 1 });
      say(texts.slice(4, 9));
      await vi.waitFor(() => expect(emu.faults()).toHaveLength(0), { timeout: 10_000 });
      say(texts.slice(9));
      await vi.waitFor(() => expect(received).toHaveLength(12), { timeout: 10_000 });
    } finally {
      subscription.unsubscribe();
    }
    expect(received).toEqual(texts);
    expect(errors).toEqual([]);
    await quick.close();
  });

  it('resumes after a restart from the offset onOffset saved, repeating nothing, even when it stopped at a page end', async () => {
    const agent = emu.fixtures.bots.agent;
    const text = (e: unknown) => (e as MessageAddEvent).data.message.text;
    const saved: number[] = [];
    say(['a', 'b', 'c']);
    // The first run stops after the third message, the last of its second page (limit 2), as take(n) does.
    const first = await firstValueFrom(
      botEvents(transport, {
        botId: agent.id,
        botToken: agent.botToken!,
        limit: 2,
        ...fast,
        onOffset: (o) => saved.push(o),
      }).pipe(take(3), toArray()),
    );
    expect(first.map(text)).toEqual(['a', 'b', 'c']);
    say(['d', 'e']);
    const second = await firstValueFrom(
      botEvents(transport, { botId: agent.id, botToken: agent.botToken!, offset: saved.at(-1), ...fast }).pipe(
        take(2),
        toArray(),
      ),
    );
    expect(second.map(text)).toEqual(['d', 'e']);
  });

  it('resumes after a subscriber left mid-page from the offset onOffset saved, repeating none it delivered', async () => {
    const agent = emu.fixtures.bots.agent;
    const text = (e: unknown) => (e as MessageAddEvent).data.message.text;
    const saved: number[] = [];
    say(['a', 'b', 'c']);
    // One page of three; the first run takes one, as a bot that stops on a "stop" message does.
    const first = await firstValueFrom(
      botEvents(transport, {
        botId: agent.id,
        botToken: agent.botToken!,
        ...fast,
        onOffset: (o) => saved.push(o),
      }).pipe(take(1), toArray()),
    );
    expect(first.map(text)).toEqual(['a']);
    const second = await firstValueFrom(
      botEvents(transport, { botId: agent.id, botToken: agent.botToken!, offset: saved.at(-1), ...fast }).pipe(
        take(2),
        toArray(),
      ),
    );
    expect(second.map(text)).toEqual(['b', 'c']);
  });

  it('continues on retry() from the offset it reached, not the offset option, repeating nothing', async () => {
    const agent = emu.fixtures.bots.agent;
    const text = (e: unknown) => (e as MessageAddEvent).data.message.text;
    say(['a', 'b', 'c']);
    let saves = 0;
    const events = await firstValueFrom(
      botEvents(transport, {
        botId: agent.id,
        botToken: agent.botToken!,
        limit: 2,
        ...fast,
        // The first save fails (the offset store is down): the stream errors, and retry() subscribes again.
        onOffset: () => {
          if (saves++ === 0) throw new Error('offset store is down');
        },
      }).pipe(retry(1), take(3), toArray()),
    );
    expect(events.map(text)).toEqual(['a', 'b', 'c']);
  });

  it.each([
    { where: 'mid-page', limit: 100 },
    { where: 'at the end of a page', limit: 1 },
  ])(
    'continues on a repeat() that subscribes again at once from the offset reached ($where), repeating nothing',
    async ({ limit }) => {
      // take(1) + repeat(): one event at a time, the next subscription made inside the delivery of the last event. It
      // read the offset before the subscription it replaces had confirmed what it delivered, so the page came again.
      const agent = emu.fixtures.bots.agent;
      const text = (e: unknown) => (e as MessageAddEvent).data.message.text;
      say(['a', 'b', 'c']);
      const events = await firstValueFrom(
        botEvents(transport, { botId: agent.id, botToken: agent.botToken!, limit, ...fast }).pipe(
          take(1),
          repeat(3),
          toArray(),
        ),
      );
      expect(events.map(text)).toEqual(['a', 'b', 'c']);
    },
  );

  it('loses the events of a queue restarted below the offset reached: the next poll confirms them unseen', async () => {
    // A portal restored from a backup (here the emulator's reset: the bot is back with an empty queue and ids from 1).
    // The stream's next poll passes the offset it reached, which confirms (drops) every event below it (reference
    // §4.4) before any reply could show the restart; the reply's nextOffset is no lower than that offset, so no
    // handling of a lower one could recover them. What the README tells users: drop the saved offset after a restore.
    const agent = emu.fixtures.bots.agent;
    const received: string[] = [];
    const offsets: number[] = [];
    const subscription = botEvents(transport, {
      botId: agent.id,
      botToken: agent.botToken!,
      ...fast,
      onOffset: (o) => offsets.push(o),
    }).subscribe((e) => received.push((e as MessageAddEvent).data.message.text));
    try {
      say(['a', 'b', 'c', 'd']);
      await vi.waitFor(() => expect(offsets).toContain(5), { timeout: 5_000 });
      emu.reset();
      say(['e', 'f', 'g', 'h', 'i', 'j']); // ids 1 to 6 again
      await vi.waitFor(() => expect(received).toContain('j'), { timeout: 5_000 });
    } finally {
      subscription.unsubscribe();
    }
    expect(received).toEqual(['a', 'b', 'c', 'd', 'i', 'j']);
  });

  it('errors the stream on a wrong bot token instead of polling forever', async () => {
    const agent = emu.fixtures.bots.agent;
    const error = await firstValueFrom(
      botEvents(transport, { botId: agent.id, botToken: 'wrong-token', ...fast }),
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'B24Error', kind: expect.stringMatching(/^(input|access)$/) });
    expect(JSON.stringify(error) + String(error)).not.toContain('wrong-token');
  });

  it('completes after the bot is unregistered: ONIMBOTV2DELETE comes last, and no Event.get follows it', async () => {
    const registered = (await transport.call('imbot.v2.Bot.register', {
      fields: { code: 'short-lived', botToken: 'short-lived-token', properties: { name: 'Short' } },
    })) as { bot: { id: number } };
    const botId = registered.bot.id;
    const polls = () =>
      emu.timeline().filter((e) => e.kind === 'call' && e.method === 'imbot.v2.Event.get' && e.botId === botId);
    const done = lastValueFrom(botEvents(transport, { botId, botToken: 'short-lived-token', ...fast }).pipe(toArray()));
    emu.postMessage({ from: 2, dialogId: String(botId), text: 'before the end' });
    // The stream is live (it has polled) before the bot goes.
    await vi.waitFor(() => expect(polls().length).toBeGreaterThan(0));
    // Unregistered through the emulator's REST API, as the bot's owner would (reference §4.2).
    await expect(transport.call('imbot.v2.Bot.unregister', { botId, botToken: 'short-lived-token' })).resolves.toBe(
      true,
    );
    const events = await done;
    expect(events.map((e) => e.type)).toEqual(['ONIMBOTV2MESSAGEADD', 'ONIMBOTV2DELETE']);
    const last = events.at(-1) as BotDeleteEvent;
    expect(last.data.bot).toMatchObject({ id: botId, code: 'short-lived' });
    const atCompletion = polls();
    expect(atCompletion.at(-1)).toMatchObject({ status: 200, error: null });
    // Several idle intervals later, still no poll: the stream did not go on to ask a deleted bot.
    await new Promise((resolve) => setTimeout(resolve, fast.intervalMs * 10));
    expect(polls()).toHaveLength(atCompletion.length);
    expect(emu.timeline().some((e) => e.kind === 'call' && e.error === 'BOT_NOT_FOUND')).toBe(false);
  });

  it('completes when the app closes the transport at shutdown, instead of retrying CLIENT_CLOSED for good', async () => {
    const agent = emu.fixtures.bots.agent;
    const own = createWebhookTransport(emu.webhookUrl(1));
    const polls = () => emu.timeline().filter((e) => e.kind === 'call' && e.method === 'imbot.v2.Event.get').length;
    const before = polls();
    const done = lastValueFrom(botEvents(own, { botId: agent.id, botToken: agent.botToken!, ...fast }).pipe(toArray()));
    await vi.waitFor(() => expect(polls()).toBeGreaterThan(before));
    await own.close();
    // Completes (no error), so it schedules nothing more; that no timer is left is pinned in botEvents.test.ts.
    await expect(done).resolves.toEqual([]);
  });

  it('polls with OAuth for a bot owned by the application (no botToken)', async () => {
    const helper = emu.fixtures.bots.helper;
    const oauth = createOAuthTransport({
      clientEndpoint: emu.restUrl,
      oauthEndpoint: emu.oauthUrl,
      accessToken: emu.fixtures.oauth.accessToken,
      refreshToken: emu.fixtures.oauth.refreshToken,
      clientId: emu.fixtures.app.clientId,
      clientSecret: emu.fixtures.app.clientSecret,
    });
    emu.postMessage({ from: 3, dialogId: String(helper.id), text: 'hello helper' });
    const event = (await firstValueFrom(botEvents(oauth, { botId: helper.id, ...fast }))) as MessageAddEvent;
    expect(event.data.message.text).toBe('hello helper');
    await oauth.close();
  });
});
