import { afterEach, describe, expect, it } from 'vitest';
import { post } from '../test/http';
import { pngOf, TINY_PNG } from '../test/pngs';
import { avatarInfo } from './botMethods';
import { startEmulator } from './startEmulator';
import type { Emulator } from './types';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

describe('avatarInfo: the image CRestUtil::saveFile makes of a base64 string (PHP base64_decode, not strict)', () => {
  it('reads a plain base64 PNG, also wrapped in lines (PHP skips what is not base64)', () => {
    expect(avatarInfo(TINY_PNG)).toEqual({ width: 1, height: 1 });
    expect(avatarInfo(TINY_PNG.replace(/(.{16})/g, '$1\r\n'))).toEqual({ width: 1, height: 1 });
  });

  it('takes a data URL as base64 whole, as saveFile does: its header letters decode too, so it is no image', () => {
    expect(avatarInfo(`data:image/png;base64,${TINY_PNG}`)).toBeNull();
  });
});

describe('imbot.v2.Bot.register avatar', () => {
  let serial = 0;
  async function register(
    properties: Record<string, unknown>,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    serial += 1;
    return post(`${emulator!.webhookUrl()}imbot.v2.Bot.register`, {
      fields: { code: `avatarbot${serial}`, botToken: 'avatar-token', properties: { name: 'Avatar', ...properties } },
    });
  }

  it('takes what processAvatar takes: `avatar`, else `PERSONAL_PHOTO`; a [name, base64] pair; nothing when empty()', async () => {
    emulator = await startEmulator({ plan: 'off' });
    for (const properties of [
      { avatar: ['bot.png', TINY_PNG] },
      { PERSONAL_PHOTO: TINY_PNG },
      { avatar: '' },
      { avatar: '0' },
      { avatar: null, PERSONAL_PHOTO: '' },
    ]) {
      const reply = await register(properties);
      expect([JSON.stringify(properties), reply.status]).toEqual([JSON.stringify(properties), 200]);
    }
    const cases: [Record<string, unknown>, string][] = [
      [{ PERSONAL_PHOTO: `data:image/png;base64,${TINY_PNG}` }, 'BOT_AVATAR_INCORRECT_TYPE'],
      [{ avatar: 'false' }, 'BOT_AVATAR_INCORRECT_TYPE'],
      [{ avatar: ['bot.png', 'aGVsbG8='] }, 'BOT_AVATAR_INCORRECT_TYPE'],
      // Image::getInfo must read a width and a height of 1..5000 px.
      [{ avatar: pngOf(0, 10) }, 'BOT_AVATAR_INCORRECT_SIZE'],
      [{ avatar: pngOf(10, 5001) }, 'BOT_AVATAR_INCORRECT_SIZE'],
    ];
    for (const [properties, error] of cases) {
      const reply = await register(properties);
      expect([JSON.stringify(properties), reply.status, reply.body.error]).toEqual([
        JSON.stringify(properties),
        400,
        error,
      ]);
    }
  });

  it('refuses a data URL with BOT_AVATAR_INCORRECT_TYPE (saveFile decodes the whole string), takes the bare base64', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const refused = await register({ avatar: `data:image/png;base64,${TINY_PNG}` });
    expect([refused.status, refused.body.error]).toEqual([400, 'BOT_AVATAR_INCORRECT_TYPE']);
    const taken = await register({ avatar: TINY_PNG });
    expect(taken.status).toBe(200);
  });
});

describe('imbot.v2.Bot.update avatar', () => {
  const AGENT = { botId: 10, botToken: 'agent-bot-token' };

  it('checks `properties.avatar` as register does (processAvatar) before changing anything; the bare base64 and a pair pass', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const update = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      post(`${emulator!.webhookUrl()}imbot.v2.Bot.update`, { ...AGENT, fields: { properties, ...extra } });
    const cases: [Record<string, unknown>, string][] = [
      [{ avatar: `data:image/png;base64,${TINY_PNG}` }, 'BOT_AVATAR_INCORRECT_TYPE'],
      [{ PERSONAL_PHOTO: 'aGVsbG8=' }, 'BOT_AVATAR_INCORRECT_TYPE'],
      [{ avatar: pngOf(6000, 10) }, 'BOT_AVATAR_INCORRECT_SIZE'],
    ];
    for (const [properties, error] of cases) {
      const reply = await update(
        { name: 'Renamed', ...properties },
        { eventMode: 'webhook', webhookUrl: 'https://x.example/h' },
      );
      expect([reply.status, reply.body.error]).toEqual([400, error]);
    }
    for (const avatar of [TINY_PNG, ['bot.png', TINY_PNG]]) {
      const reply = await update({ avatar });
      // The refusals above changed nothing: the agent still fetches its events.
      expect([reply.status, reply.body.result.bot.eventMode]).toEqual([200, 'fetch']);
    }
  });
});
