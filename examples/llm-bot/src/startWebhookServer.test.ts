// Webhook mode end to end: the bot serves node:http, the emulator posts its events there (form-encoded, as the
// platform does), and parseBotEvent decides which ones to trust.
import { describe, expect, it } from 'vitest';
import { createLocalModel } from './createLocalModel';
import { useBotHarness } from './startBot.test.fixture';

const setup = useBotHarness();

describe('llm-bot end to end (webhook mode)', () => {
  it('answers events it can verify and refuses the rest with 401', async () => {
    const applicationToken = 'test-application-token';
    const { bot, emulator, ask, waitFor, conversation, settle } = await setup(createLocalModel({ speed: 0.5 }), {
      events: { mode: 'webhook', applicationToken },
      statusPolicy: { minDwellMs: 250 }, // see FAST in startBot.test.ts
    });
    expect(bot.webhookUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/bitrix24\/events$/);
    const q = await ask('What about replies?');
    await emulator.settled();
    // The emulator signs with the token it made up for this bot, which the bot was not given: refused.
    const delivery = emulator.deliveries().find((d) => d.botId === bot.botId);
    expect(delivery).toMatchObject({ event: 'ONIMBOTV2MESSAGEADD', status: 401 });
    await settle();
    expect(conversation(q).calls).toEqual([]);

    // The same payload signed with the token the bot trusts is answered like any other message.
    const emulatorToken = new URLSearchParams(delivery!.body).get('auth[application_token]')!;
    const signed = delivery!.body.replaceAll(encodeURIComponent(emulatorToken), encodeURIComponent(applicationToken));
    const res = await fetch(bot.webhookUrl!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: signed,
    });
    expect(res.status).toBe(200);
    const c = await waitFor(q, (c) => c.reply !== undefined);
    expect(c.statuses.map((s) => s.status)).toEqual(['thinking', 'searching', 'thinking', 'composing']);
    expect(c.callsAfterReply).toEqual([]);
  });

  it('refuses anything but a POST to its path', async () => {
    const { bot } = await setup(createLocalModel(), { events: { mode: 'webhook', applicationToken: 't' } });
    const url = new URL(bot.webhookUrl!);
    expect((await fetch(url)).status).toBe(404);
    expect((await fetch(new URL('/other', url), { method: 'POST', body: 'a=1' })).status).toBe(404);
    expect((await fetch(url, { method: 'POST', body: 'event=ONIMBOTV2MESSAGEADD' })).status).toBe(401);
  });
});
