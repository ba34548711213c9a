import { afterEach, describe, expect, it } from 'vitest';
import { post } from '../test/http';
import { closeReceivers, startReceiver } from '../test/startReceiver';
import { startEmulator } from './startEmulator';
import type { Emulator } from './types';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
  await closeReceivers();
});

const AGENT = { botId: 10, botToken: 'agent-bot-token' };

/** The agent bot's queued events (fetch mode), read without confirming any. */
async function agentEvents(em: Emulator): Promise<{ type: string; data: Record<string, unknown> }[]> {
  const reply = await post(`${em.webhookUrl()}imbot.v2.Event.get`, AGENT);
  expect(reply.status).toBe(200);
  return reply.body.result.events;
}

describe('im.chat.add', () => {
  it('makes a group chat of the caller and USERS, which messages then go to like any other', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const created = await post(`${emulator.webhookUrl()}im.chat.add`, { TYPE: 'CHAT', TITLE: 'Launch', USERS: [2, 3] });
    expect(created.status).toBe(200);
    const chatId = created.body.result as number;
    expect(Number.isInteger(chatId)).toBe(true);
    expect(emulator.fixtures.chats).toContainEqual({
      id: chatId,
      dialogId: `chat${chatId}`,
      title: 'Launch',
      members: [1, 2, 3],
    });

    const sent = await post(`${emulator.webhookUrl(2)}im.message.add`, {
      DIALOG_ID: `chat${chatId}`,
      MESSAGE: 'hi all',
    });
    expect(sent.status).toBe(200);
    const history = await post(`${emulator.webhookUrl(3)}im.dialog.messages.get`, { DIALOG_ID: `chat${chatId}` });
    expect(history.body.result.chat_id).toBe(chatId);
    expect(history.body.result.messages.map((m: { text: string }) => m.text)).toEqual(['hi all']);
  });

  it('takes the USERS of a form body, and refuses a missing, empty or non-array USERS with USERS_EMPTY 400', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const form = await post(`${emulator.webhookUrl()}im.chat.add`, 'TITLE=Form&USERS[]=2&USERS[]=3');
    expect(form.status).toBe(200);
    expect(emulator.fixtures.chats.find((c) => c.id === form.body.result)?.members).toEqual([1, 2, 3]);
    for (const params of [{ TITLE: 'x' }, { USERS: [] }, { USERS: '2' }, { USERS: [0, 'abc'] }]) {
      const reply = await post(`${emulator.webhookUrl()}im.chat.add`, params);
      expect(reply.status).toBe(400);
      expect(reply.body.error).toBe('USERS_EMPTY');
    }
  });

  it('tells a fetch-mode v2 bot among USERS it joined: ONIMBOTV2JOINCHAT {bot, dialogId, chat, user: who added it, language}', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const created = await post(`${emulator.webhookUrl()}im.chat.add`, {
      TITLE: 'Ops',
      USERS: [2, 10],
      OWNER_ID: 2,
    });
    const chatId = created.body.result as number;
    const events = await agentEvents(emulator);
    expect(events.map((e) => e.type)).toEqual(['ONIMBOTV2JOINCHAT']);
    const { data } = events[0]!;
    expect(data.dialogId).toBe(`chat${chatId}`);
    expect(data.chat).toMatchObject({ id: chatId, dialogId: `chat${chatId}`, type: 'chat', name: 'Ops', owner: 2 });
    expect(data.user).toMatchObject({ id: 1, name: 'Alice Admin', bot: false });
    expect(data.bot).toMatchObject({ id: 10, code: 'agent', countChat: 2 });
    expect(data.language).toBe('en');

    // The welcome flow: the bot greets in the dialog the event names, and then hears a mention there.
    const greet = await post(`${emulator.webhookUrl()}imbot.v2.Chat.Message.send`, {
      ...AGENT,
      dialogId: data.dialogId,
      fields: { message: 'Hello, team' },
    });
    expect(greet.status).toBe(200);
    await post(`${emulator.webhookUrl(2)}im.message.add`, {
      DIALOG_ID: `chat${chatId}`,
      MESSAGE: '[USER=10]Agent[/USER] hi',
    });
    expect((await agentEvents(emulator)).map((e) => e.type)).toEqual(['ONIMBOTV2JOINCHAT', 'ONIMBOTV2MESSAGEADD']);
  });

  it('POSTs ONIMBOTV2JOINCHAT to a webhook-mode v2 bot in http_build_query form', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const { url, requests } = await startReceiver();
    const reg = await post(`${emulator.webhookUrl()}imbot.v2.Bot.register`, {
      fields: {
        code: 'greeter',
        botToken: 'greeter-token',
        eventMode: 'webhook',
        webhookUrl: url,
        properties: { name: 'Greeter' },
      },
    });
    const botId = reg.body.result.bot.id as number;
    const created = await post(`${emulator.webhookUrl()}im.chat.add`, { TITLE: 'Hooks', USERS: [botId] });
    const chatId = created.body.result as number;
    await emulator.settled();

    expect(requests).toHaveLength(1);
    const { form } = requests[0]!;
    expect(form.get('event')).toBe('ONIMBOTV2JOINCHAT');
    expect(form.get('data[bot][id]')).toBe(String(botId));
    expect(form.get('data[bot][code]')).toBe('greeter');
    expect(form.get('data[dialogId]')).toBe(`chat${chatId}`);
    expect(form.get('data[chat][id]')).toBe(String(chatId));
    expect(form.get('data[chat][name]')).toBe('Hooks');
    expect(form.get('data[user][id]')).toBe('1');
    expect(form.get('auth[application_token]')).toBe(emulator.webhookApplicationToken(1));
  });
});

describe('im.chat.user.add', () => {
  it('adds users and bots to a chat the caller is in; a bot added hears ONIMBOTV2JOINCHAT once, from the caller', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const added = await post(`${emulator.webhookUrl(2)}im.chat.user.add`, { CHAT_ID: 2, USERS: [3, 10] });
    expect(added.status).toBe(200);
    expect(added.body.result).toBe(true);
    expect(emulator.fixtures.chats.find((c) => c.id === 2)?.members).toEqual([1, 2, 3, 10]);
    const events = await agentEvents(emulator);
    expect(events.map((e) => e.type)).toEqual(['ONIMBOTV2JOINCHAT']);
    expect(events[0]!.data.dialogId).toBe('chat2');
    expect(events[0]!.data.chat).toMatchObject({ id: 2, name: 'Team', owner: 1 });
    expect(events[0]!.data.user).toMatchObject({ id: 2 });

    // Already a member: still `true`, and no second join.
    const again = await post(`${emulator.webhookUrl()}im.chat.user.add`, { CHAT_ID: 2, USERS: [10] });
    expect(again.body.result).toBe(true);
    expect(await agentEvents(emulator)).toHaveLength(1);
  });

  it('refuses a CHAT_ID that is not > 0 (CHAT_ID_EMPTY 400) and a chat the caller may not add to (ACCESS_DENIED_EXTEND 403)', async () => {
    emulator = await startEmulator({ plan: 'off' });
    for (const params of [{ USERS: [3] }, { CHAT_ID: 0, USERS: [3] }, { CHAT_ID: 'abc', USERS: [3] }]) {
      const reply = await post(`${emulator.webhookUrl()}im.chat.user.add`, params);
      expect(reply.status).toBe(400);
      expect(reply.body.error).toBe('CHAT_ID_EMPTY');
    }
    // User 3 is not in chat 2; chat 99 does not exist; a private dialog takes no one else.
    await post(`${emulator.webhookUrl()}im.message.add`, { DIALOG_ID: '2', MESSAGE: 'private' });
    const privateId = emulator.timeline().find((e) => e.kind === 'message')!.chatId;
    for (const [user, chatId] of [
      [3, 2],
      [1, 99],
      [1, privateId],
    ] as const) {
      const reply = await post(`${emulator.webhookUrl(user)}im.chat.user.add`, { CHAT_ID: chatId, USERS: [10] });
      expect(reply.status).toBe(403);
      expect(reply.body.error).toBe('ACCESS_DENIED_EXTEND');
    }
    expect(emulator.fixtures.chats.find((c) => c.id === 2)?.members).toEqual([1, 2]);
    expect(await agentEvents(emulator)).toEqual([]);
  });

  it("sends a v1 bot ONIMBOTJOINCHAT to its app's welcome handler, with the documented group-chat PARAMS and USER", async () => {
    emulator = await startEmulator({ plan: 'off' });
    const { url, requests } = await startReceiver();
    const reg = await post(`${emulator.webhookUrl()}imbot.register`, {
      CODE: 'newbot',
      TYPE: 'B',
      EVENT_HANDLER: url,
      PROPERTIES: { NAME: 'NewBot' },
      CLIENT_ID: 'legacy-client',
    });
    const botId = reg.body.result as number;

    const added = await post(`${emulator.webhookUrl()}im.chat.user.add`, { CHAT_ID: 2, USERS: [botId] });
    expect(added.body.result).toBe(true);
    const created = await post(`${emulator.webhookUrl(2)}im.chat.add`, { TITLE: 'v1', USERS: [botId] });
    await emulator.settled();

    expect(requests).toHaveLength(2);
    const [later, atCreation] = requests.map((r) => r.form);
    expect(requests[0]!.url).toBe('/bot/events?CLIENT_ID=legacy-client');
    expect(later!.get('event')).toBe('ONIMBOTJOINCHAT');
    expect(later!.get(`data[BOT][${botId}][BOT_ID]`)).toBe(String(botId));
    expect(later!.get(`data[BOT][${botId}][BOT_CODE]`)).toBe('newbot');
    expect(Object.fromEntries([...later!.entries()].filter(([key]) => key.startsWith('data[PARAMS]')))).toEqual({
      'data[PARAMS][CHAT_TYPE]': 'C',
      'data[PARAMS][MESSAGE_TYPE]': 'C',
      'data[PARAMS][BOT_ID]': String(botId),
      'data[PARAMS][USER_ID]': '1',
      'data[PARAMS][CHAT_ID]': '2',
      'data[PARAMS][CHAT_AUTHOR_ID]': '1',
      'data[PARAMS][CHAT_ENTITY_TYPE]': '',
      'data[PARAMS][CHAT_ENTITY_ID]': '',
      // HIDE_HISTORY defaults to Y: the history before the bot joined stays hidden from it.
      'data[PARAMS][ACCESS_HISTORY]': '0',
      'data[PARAMS][DIALOG_ID]': 'chat2',
      'data[PARAMS][LANGUAGE]': 'en',
    });
    expect(later!.get('data[USER][ID]')).toBe('1');
    expect(later!.get('data[USER][NAME]')).toBe('Alice Admin');
    expect(later!.get('data[USER][FIRST_NAME]')).toBe('Alice');

    expect(atCreation!.get('data[PARAMS][DIALOG_ID]')).toBe(`chat${created.body.result}`);
    expect(atCreation!.get('data[PARAMS][USER_ID]')).toBe('2');
    expect(atCreation!.get('data[PARAMS][CHAT_AUTHOR_ID]')).toBe('2');
    expect(atCreation!.get('data[PARAMS][ACCESS_HISTORY]')).toBe('1');

    // The v1 welcome: the bot answers in the dialog the event names.
    const greet = await post(`${emulator.webhookUrl()}imbot.message.add`, {
      BOT_ID: botId,
      CLIENT_ID: 'legacy-client',
      DIALOG_ID: later!.get('data[PARAMS][DIALOG_ID]'),
      MESSAGE: 'Hello!',
    });
    expect(greet.status).toBe(200);
  });
});

describe('im.chat.user.delete', () => {
  it("lets the chat's owner remove a member: `true`, and the member is gone from the chat", async () => {
    emulator = await startEmulator({ plan: 'off' });
    const removed = await post(`${emulator.webhookUrl()}im.chat.user.delete`, { CHAT_ID: 1, USER_ID: 3 });
    expect(removed.status).toBe(200);
    expect(removed.body.result).toBe(true);
    expect(emulator.fixtures.chats.find((c) => c.id === 1)?.members).toEqual([1, 2, 10, 11]);
    // No longer a member: the history is closed to them, as to anyone outside the chat.
    const history = await post(`${emulator.webhookUrl(3)}im.dialog.messages.get`, { DIALOG_ID: 'chat1' });
    expect(history.status).toBe(403);
  });

  it('refuses in the source order: CHAT_ID_EMPTY, USER_ID_EMPTY, ACCESS_DENIED_KICK, USER_NOT_FOUND', async () => {
    emulator = await startEmulator({ plan: 'off' });
    for (const params of [{ USER_ID: 3 }, { CHAT_ID: 0, USER_ID: 3 }, { CHAT_ID: 'abc' }]) {
      const reply = await post(`${emulator.webhookUrl()}im.chat.user.delete`, params);
      expect(reply.status).toBe(400);
      expect(reply.body.error).toBe('CHAT_ID_EMPTY');
    }
    for (const params of [{ CHAT_ID: 1 }, { CHAT_ID: 1, USER_ID: 0 }, { CHAT_ID: 99, USER_ID: 'x' }]) {
      const reply = await post(`${emulator.webhookUrl()}im.chat.user.delete`, params);
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({ error: 'USER_ID_EMPTY', error_description: "User ID can't be empty" });
    }
    // A member who is not the owner removing someone else; a caller outside the chat; no such chat; a private dialog.
    await post(`${emulator.webhookUrl()}im.message.add`, { DIALOG_ID: '2', MESSAGE: 'private' });
    const privateId = emulator.timeline().find((e) => e.kind === 'message')!.chatId;
    for (const [caller, chatId, userId] of [
      [2, 1, 3],
      [3, 2, 2],
      [1, 99, 2],
      [1, privateId, 2],
    ] as const) {
      const reply = await post(`${emulator.webhookUrl(caller)}im.chat.user.delete`, {
        CHAT_ID: chatId,
        USER_ID: userId,
      });
      expect(reply.status).toBe(403);
      expect(reply.body).toEqual({
        error: 'ACCESS_DENIED_KICK',
        error_description: 'Insufficient rights to exclude participants from the chat',
      });
    }
    const notIn = await post(`${emulator.webhookUrl()}im.chat.user.delete`, { CHAT_ID: 2, USER_ID: 3 });
    expect(notIn.status).toBe(400);
    expect(notIn.body).toEqual({ error: 'USER_NOT_FOUND', error_description: 'The specified user is not in the chat' });
    expect(emulator.fixtures.chats.find((c) => c.id === 1)?.members).toEqual([1, 2, 3, 10, 11]);
    expect(emulator.fixtures.chats.find((c) => c.id === 2)?.members).toEqual([1, 2]);
  });

  it('a bot removed while its status shows: its notify is refused (ACCESS_DENIED), the status lapses on its own, no event', async () => {
    let now = Date.UTC(2026, 0, 1);
    emulator = await startEmulator({ plan: 'off', now: () => now });
    const shown = await post(`${emulator.webhookUrl()}imbot.v2.Chat.InputAction.notify`, {
      ...AGENT,
      dialogId: 'chat1',
      statusMessageCode: 'IMBOT_AGENT_ACTION_THINKING',
      duration: 60,
    });
    expect(shown.status).toBe(200);
    now += 1_000;
    const removed = await post(`${emulator.webhookUrl()}im.chat.user.delete`, { CHAT_ID: 1, USER_ID: 10 });
    expect(removed.body.result).toBe(true);

    const refused = await post(`${emulator.webhookUrl()}imbot.v2.Chat.InputAction.notify`, {
      ...AGENT,
      dialogId: 'chat1',
      statusMessageCode: 'IMBOT_AGENT_ACTION_THINKING',
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('ACCESS_DENIED');
    // Nothing on the platform hides it: it stays up until its 60 s run out.
    expect(emulator.indicators().map((i) => [i.chatId, i.senderId])).toEqual([[1, 10]]);
    now += 59_000;
    expect(emulator.indicators()).toEqual([]);
    expect(emulator.visibility('chat1', 10)).toEqual([
      { from: Date.UTC(2026, 0, 1), to: Date.UTC(2026, 0, 1) + 60_000, endCause: 'expired', calls: 1 },
    ]);
    // No documented event tells a bot it was removed (ONIMBOTV2DELETE is for unregistering).
    expect(await agentEvents(emulator)).toEqual([]);
  });

  it('a user removed is refused im.dialog.writing (ACCESS_ERROR 403); a v1 bot removed still gets `true` from sendTyping', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const botId = await legacyBotInTeam(emulator);
    for (const userId of [3, botId] as const) {
      const chatId = userId === 3 ? 1 : 2;
      const removed = await post(`${emulator.webhookUrl()}im.chat.user.delete`, { CHAT_ID: chatId, USER_ID: userId });
      expect(removed.body.result).toBe(true);
    }

    const writing = await post(`${emulator.webhookUrl(3)}im.dialog.writing`, { DIALOG_ID: 'chat1' });
    expect(writing.status).toBe(403);
    expect(writing.body.error).toBe('ACCESS_ERROR');
    // StartWriting checks no membership (reference §1.1): the legacy call succeeds outside the chat as well.
    const typing = await post(`${emulator.webhookUrl()}imbot.chat.sendTyping`, {
      BOT_ID: botId,
      CLIENT_ID: 'legacy-client',
      DIALOG_ID: 'chat2',
    });
    expect(typing.status).toBe(200);
    expect(typing.body.result).toBe(true);
  });
});

describe('im.chat.leave', () => {
  it('takes the caller out of the chat; then, no longer a member, ACCESS_DENIED_KICK 403; CHAT_ID_EMPTY 400', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const left = await post(`${emulator.webhookUrl(2)}im.chat.leave`, { CHAT_ID: 2 });
    expect(left.status).toBe(200);
    expect(left.body.result).toBe(true);
    expect(emulator.fixtures.chats.find((c) => c.id === 2)?.members).toEqual([1]);
    const again = await post(`${emulator.webhookUrl(2)}im.chat.leave`, { CHAT_ID: 2 });
    expect(again.status).toBe(403);
    expect(again.body.error).toBe('ACCESS_DENIED_KICK');
    for (const params of [{}, { CHAT_ID: 0 }, { CHAT_ID: 'chat2' }]) {
      const reply = await post(`${emulator.webhookUrl()}im.chat.leave`, params);
      expect(reply.status).toBe(400);
      expect(reply.body.error).toBe('CHAT_ID_EMPTY');
    }
  });

  it('lets the owner leave: the chat passes to the member who has been in it longest', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const left = await post(`${emulator.webhookUrl()}im.chat.leave`, { CHAT_ID: 1 });
    expect(left.body.result).toBe(true);
    // User 2 now owns chat 1: it may remove others, user 3 may not.
    const byThree = await post(`${emulator.webhookUrl(3)}im.chat.user.delete`, { CHAT_ID: 1, USER_ID: 2 });
    expect(byThree.body.error).toBe('ACCESS_DENIED_KICK');
    const byTwo = await post(`${emulator.webhookUrl(2)}im.chat.user.delete`, { CHAT_ID: 1, USER_ID: 3 });
    expect(byTwo.body.result).toBe(true);
    expect(emulator.fixtures.chats.find((c) => c.id === 1)?.members).toEqual([2, 10, 11]);
  });

  it('takes a USER_ID > 0 instead of the caller, as the source does: refused as im.chat.user.delete refuses it', async () => {
    emulator = await startEmulator({ plan: 'off' });
    // A member who does not own the chat names another: ACCESS_DENIED_KICK, as for im.chat.user.delete.
    const byTwo = await post(`${emulator.webhookUrl(2)}im.chat.leave`, { CHAT_ID: 1, USER_ID: 3 });
    expect([byTwo.status, byTwo.body.error]).toEqual([403, 'ACCESS_DENIED_KICK']);
    // The owner names someone not in the chat: USER_NOT_FOUND, which the leave's own refusals do not otherwise reach.
    const notIn = await post(`${emulator.webhookUrl()}im.chat.leave`, { CHAT_ID: 2, USER_ID: 3 });
    expect(notIn.status).toBe(400);
    expect(notIn.body).toEqual({ error: 'USER_NOT_FOUND', error_description: 'The specified user is not in the chat' });
    // The owner names a member: that member goes, the owner stays.
    const byOwner = await post(`${emulator.webhookUrl()}im.chat.leave`, { CHAT_ID: 1, USER_ID: 3 });
    expect(byOwner.body.result).toBe(true);
    expect(emulator.fixtures.chats.find((c) => c.id === 1)?.members).toEqual([1, 2, 10, 11]);
  });

  it("a user's typing indicator outlives their leave: it lapses on its own timer", async () => {
    let now = Date.UTC(2026, 0, 1);
    emulator = await startEmulator({ plan: 'off', now: () => now, clientLifetimeSec: 25 });
    await post(`${emulator.webhookUrl(2)}im.dialog.writing`, { DIALOG_ID: 'chat2' });
    now += 5_000;
    const left = await post(`${emulator.webhookUrl(2)}im.chat.leave`, { CHAT_ID: 2 });
    expect(left.body.result).toBe(true);
    expect(emulator.indicators().map((i) => i.senderId)).toEqual([2]);
    now += 20_000;
    expect(emulator.indicators()).toEqual([]);
    expect(emulator.visibility('chat2', 2)[0]?.endCause).toBe('expired');
  });
});

describe('DIALOG_ID in place of CHAT_ID (im_rest.php chatUserAdd, chatUserDelete)', () => {
  it('im.chat.user.add, im.chat.user.delete and im.chat.leave take a chatN DIALOG_ID, which wins over CHAT_ID', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const members = (chatId: number) => emulator!.fixtures.chats.find((c) => c.id === chatId)?.members;
    const added = await post(`${emulator.webhookUrl()}im.chat.user.add`, {
      DIALOG_ID: 'chat2',
      CHAT_ID: 1,
      USERS: [3],
    });
    expect(added.body.result).toBe(true);
    expect(members(2)).toEqual([1, 2, 3]);
    // `Dialog::getChatId` reads the prefix in any case (`/^chat[0-9]{1,}$/i`).
    const removed = await post(`${emulator.webhookUrl()}im.chat.user.delete`, { dialog_id: 'CHAT2', USER_ID: 3 });
    expect(removed.body.result).toBe(true);
    expect(members(2)).toEqual([1, 2]);
    const left = await post(`${emulator.webhookUrl(2)}im.chat.leave`, { DIALOG_ID: 'chat2' });
    expect(left.body.result).toBe(true);
    expect(members(2)).toEqual([1]);
  });

  it('refuses a DIALOG_ID that names no chat with DIALOG_ID_EMPTY 400, before CHAT_ID and USER_ID are read', async () => {
    emulator = await startEmulator({ plan: 'off' });
    for (const method of ['im.chat.user.add', 'im.chat.user.delete', 'im.chat.leave']) {
      for (const dialogId of ['2', 'abc', '', 'chat']) {
        const reply = await post(`${emulator.webhookUrl()}${method}`, { DIALOG_ID: dialogId, CHAT_ID: 2, USERS: [3] });
        expect(reply.status).toBe(400);
        expect(reply.body).toEqual({ error: 'DIALOG_ID_EMPTY', error_description: "Dialog ID can't be empty" });
      }
      // `crm1` passes isChatId, but `Dialog::getChatId` reads `crm` only as `crm|TYPE|ID`: chat 0.
      const crm = await post(`${emulator.webhookUrl()}${method}`, { DIALOG_ID: 'crm1', CHAT_ID: 2, USER_ID: 2 });
      expect(crm.status).toBe(400);
      expect(crm.body.error).toBe('CHAT_ID_EMPTY');
    }
    expect(emulator.fixtures.chats.find((c) => c.id === 2)?.members).toEqual([1, 2]);
  });
});

/** A v1 bot `oldbot` of the app `legacy-client` (webhook: `CLIENT_ID`), in no chat yet; its id. */
async function legacyBot(em: Emulator): Promise<number> {
  const reg = await post(`${em.webhookUrl()}imbot.register`, {
    CODE: 'oldbot',
    TYPE: 'B',
    EVENT_HANDLER: 'https://bots.example/handler',
    PROPERTIES: { NAME: 'OldBot' },
    CLIENT_ID: 'legacy-client',
  });
  return reg.body.result as number;
}

/** A v1 bot of the app `legacy-client` (webhook: `CLIENT_ID`), added to chat 2 by user 1; its id. */
async function legacyBotInTeam(em: Emulator): Promise<number> {
  const botId = await legacyBot(em);
  await post(`${em.webhookUrl()}im.chat.user.add`, { CHAT_ID: 2, USERS: [botId] });
  return botId;
}

const NOT_REMOVED = {
  error: 'WRONG_REQUEST',
  error_description: "You don't have access or user isn't member in chat",
};

describe('imbot.chat.leave', () => {
  it("takes the bot (BOT_ID, else the app's first) out of the chat: `true`; out already, WRONG_REQUEST 400", async () => {
    emulator = await startEmulator({ plan: 'off' });
    const botId = await legacyBotInTeam(emulator);
    expect(emulator.fixtures.chats.find((c) => c.id === 2)?.members).toEqual([1, 2, botId]);
    const left = await post(`${emulator.webhookUrl(2)}imbot.chat.leave`, { CHAT_ID: 2, CLIENT_ID: 'legacy-client' });
    expect(left.status).toBe(200);
    expect(left.body.result).toBe(true);
    expect(emulator.fixtures.chats.find((c) => c.id === 2)?.members).toEqual([1, 2]);
    const again = await post(`${emulator.webhookUrl()}imbot.chat.leave`, {
      DIALOG_ID: 'chat2',
      BOT_ID: botId,
      CLIENT_ID: 'legacy-client',
    });
    expect(again.status).toBe(400);
    expect(again.body).toEqual(NOT_REMOVED);
    // The source takes a USER_ID > 0 instead of the bot: a member who does not own the chat removes no one else.
    await post(`${emulator.webhookUrl()}im.chat.user.add`, { CHAT_ID: 2, USERS: [botId] });
    const other = await post(`${emulator.webhookUrl()}imbot.chat.leave`, {
      CHAT_ID: 2,
      USER_ID: 2,
      CLIENT_ID: 'legacy-client',
    });
    expect(other.body).toEqual(NOT_REMOVED);
    expect(emulator.fixtures.chats.find((c) => c.id === 2)?.members).toEqual([1, 2, botId]);
  });

  it('refuses in the source order: DIALOG_ID_EMPTY, CHAT_ID_EMPTY, then the bot (ACCESS_DENIED 403, BOT_ID_ERROR, APP_ID_ERROR)', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const botId = await legacyBotInTeam(emulator);
    const cases: [Record<string, unknown>, number, string][] = [
      [{ DIALOG_ID: '2', CHAT_ID: 2 }, 400, 'DIALOG_ID_EMPTY'],
      [{}, 400, 'CHAT_ID_EMPTY'],
      [{ CHAT_ID: 'abc', BOT_ID: 999 }, 400, 'CHAT_ID_EMPTY'],
      [{ CHAT_ID: 2 }, 403, 'ACCESS_DENIED'],
      [{ CHAT_ID: 2, CLIENT_ID: 'legacy-client', BOT_ID: 999 }, 400, 'BOT_ID_ERROR'],
      [{ CHAT_ID: 2, CLIENT_ID: 'no-such-app' }, 400, 'BOT_ID_ERROR'],
      [{ CHAT_ID: 2, CLIENT_ID: 'legacy-client', BOT_ID: 10 }, 400, 'APP_ID_ERROR'],
      // No such chat, or a private dialog: DeleteUser refuses, WRONG_REQUEST.
      [{ CHAT_ID: 99, CLIENT_ID: 'legacy-client' }, 400, 'WRONG_REQUEST'],
    ];
    for (const [params, status, error] of cases) {
      const reply = await post(`${emulator.webhookUrl()}imbot.chat.leave`, params);
      expect([reply.status, reply.body.error]).toEqual([status, error]);
    }
    expect(emulator.fixtures.chats.find((c) => c.id === 2)?.members).toEqual([1, 2, botId]);
  });
});

describe('imbot.chat.user.delete', () => {
  it('lets a bot that owns the chat remove a member; a bot that does not is refused, WRONG_REQUEST 400', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const botId = await legacyBotInTeam(emulator);
    const notOwner = await post(`${emulator.webhookUrl()}imbot.chat.user.delete`, {
      CHAT_ID: 2,
      USER_ID: 2,
      CLIENT_ID: 'legacy-client',
    });
    expect(notOwner.status).toBe(400);
    expect(notOwner.body).toEqual(NOT_REMOVED);

    const created = await post(`${emulator.webhookUrl()}im.chat.add`, {
      TITLE: 'Bot-run',
      USERS: [2, botId],
      OWNER_ID: botId,
    });
    const chatId = created.body.result as number;
    const removed = await post(`${emulator.webhookUrl()}imbot.chat.user.delete`, {
      DIALOG_ID: `chat${chatId}`,
      USER_ID: 2,
      BOT_ID: botId,
      CLIENT_ID: 'legacy-client',
    });
    expect(removed.status).toBe(200);
    expect(removed.body.result).toBe(true);
    expect(emulator.fixtures.chats.find((c) => c.id === chatId)?.members).toEqual([1, botId]);
    // User 3 is not in the chat: WRONG_REQUEST, as the source answers every refusal of DeleteUser here.
    const notIn = await post(`${emulator.webhookUrl()}imbot.chat.user.delete`, {
      CHAT_ID: chatId,
      USER_ID: 3,
      CLIENT_ID: 'legacy-client',
    });
    expect(notIn.body).toEqual(NOT_REMOVED);
  });

  it('refuses in the source order: CHAT_ID_EMPTY, the bot, then USER_ID_EMPTY', async () => {
    emulator = await startEmulator({ plan: 'off' });
    await legacyBotInTeam(emulator);
    const cases: [Record<string, unknown>, number, string][] = [
      [{ DIALOG_ID: 'x', CHAT_ID: 2, USER_ID: 2 }, 400, 'DIALOG_ID_EMPTY'],
      [{ USER_ID: 2, CLIENT_ID: 'legacy-client' }, 400, 'CHAT_ID_EMPTY'],
      // The bot is resolved before USER_ID is checked (getBotId, then USER_ID_EMPTY).
      [{ CHAT_ID: 2 }, 403, 'ACCESS_DENIED'],
      [{ CHAT_ID: 2, CLIENT_ID: 'legacy-client', BOT_ID: 999 }, 400, 'BOT_ID_ERROR'],
      [{ CHAT_ID: 2, CLIENT_ID: 'legacy-client', BOT_ID: 10 }, 400, 'APP_ID_ERROR'],
      [{ CHAT_ID: 2, CLIENT_ID: 'legacy-client' }, 400, 'USER_ID_EMPTY'],
      [{ CHAT_ID: 2, CLIENT_ID: 'legacy-client', USER_ID: 'x' }, 400, 'USER_ID_EMPTY'],
    ];
    for (const [params, status, error] of cases) {
      const reply = await post(`${emulator.webhookUrl()}imbot.chat.user.delete`, params);
      expect([reply.status, reply.body.error]).toEqual([status, error]);
    }
    const empty = await post(`${emulator.webhookUrl()}imbot.chat.user.delete`, {
      CHAT_ID: 2,
      CLIENT_ID: 'legacy-client',
    });
    expect(empty.body.error_description).toBe("User ID can't be empty");
  });
});

describe('imbot.chat.user.add', () => {
  it('lets a bot in the chat add users and bots: `true`; each bot added hears it joined, from the bot', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const botId = await legacyBotInTeam(emulator);
    const added = await post(`${emulator.webhookUrl()}imbot.chat.user.add`, {
      CHAT_ID: 2,
      USERS: [3, 10, 999],
      CLIENT_ID: 'legacy-client',
    });
    expect(added.status).toBe(200);
    expect(added.body.result).toBe(true);
    expect(emulator.fixtures.chats.find((c) => c.id === 2)?.members).toEqual([1, 2, botId, 3, 10]);
    const events = await agentEvents(emulator);
    expect(events.map((e) => e.type)).toEqual(['ONIMBOTV2JOINCHAT']);
    expect(events[0]!.data.dialogId).toBe('chat2');
    // The source's `new CIMChat($botId)`: the bot adds them, so the bot is who the join event names.
    expect(events[0]!.data.user).toMatchObject({ id: botId, bot: true });

    // A DIALOG_ID stands in for CHAT_ID, as in im.chat.user.add; members already in: `true`, no second join.
    const again = await post(`${emulator.webhookUrl()}imbot.chat.user.add`, {
      DIALOG_ID: 'chat2',
      CHAT_ID: 99,
      USERS: [10],
      BOT_ID: botId,
      CLIENT_ID: 'legacy-client',
    });
    expect(again.body.result).toBe(true);
    expect(await agentEvents(emulator)).toHaveLength(1);
  });

  it("refuses in the source order: DIALOG_ID_EMPTY, CHAT_ID_EMPTY, the bot, then AddUser's WRONG_REQUEST 400", async () => {
    emulator = await startEmulator({ plan: 'off' });
    const botId = await legacyBotInTeam(emulator);
    await post(`${emulator.webhookUrl()}imbot.message.add`, {
      CLIENT_ID: 'legacy-client',
      DIALOG_ID: '2',
      MESSAGE: 'private',
    });
    const privateId = emulator.timeline().find((e) => e.kind === 'message')!.chatId;
    const cases: [Record<string, unknown>, number, string][] = [
      [{ DIALOG_ID: '2', CHAT_ID: 2, USERS: [3] }, 400, 'DIALOG_ID_EMPTY'],
      [{ USERS: [3], CLIENT_ID: 'legacy-client' }, 400, 'CHAT_ID_EMPTY'],
      [{ CHAT_ID: 'abc', USERS: [3], BOT_ID: 999 }, 400, 'CHAT_ID_EMPTY'],
      [{ CHAT_ID: 2, USERS: [3] }, 403, 'ACCESS_DENIED'],
      [{ CHAT_ID: 2, USERS: [3], CLIENT_ID: 'legacy-client', BOT_ID: 999 }, 400, 'BOT_ID_ERROR'],
      [{ CHAT_ID: 2, USERS: [3], CLIENT_ID: 'no-such-app' }, 400, 'BOT_ID_ERROR'],
      [{ CHAT_ID: 2, USERS: [3], CLIENT_ID: 'legacy-client', BOT_ID: 10 }, 400, 'APP_ID_ERROR'],
      // A chat the bot is not in, one that does not exist, a private dialog: AddUser refuses.
      [{ CHAT_ID: 1, USERS: [3], CLIENT_ID: 'legacy-client' }, 400, 'WRONG_REQUEST'],
      [{ CHAT_ID: 99, USERS: [3], CLIENT_ID: 'legacy-client' }, 400, 'WRONG_REQUEST'],
      [{ CHAT_ID: privateId, USERS: [3], CLIENT_ID: 'legacy-client' }, 400, 'WRONG_REQUEST'],
    ];
    for (const [params, status, error] of cases) {
      const reply = await post(`${emulator.webhookUrl()}imbot.chat.user.add`, params);
      expect([reply.status, reply.body.error]).toEqual([status, error]);
    }
    const refused = await post(`${emulator.webhookUrl()}imbot.chat.user.add`, {
      CHAT_ID: 1,
      USERS: [3],
      CLIENT_ID: 'legacy-client',
    });
    expect(refused.body).toEqual({
      error: 'WRONG_REQUEST',
      error_description: "You don't have access or user already member in chat",
    });
    expect(emulator.fixtures.chats.find((c) => c.id === 2)?.members).toEqual([1, 2, botId]);
    // The refusal is the bot's, in the chat it named.
    const calls = emulator.timeline().filter((e) => e.kind === 'call' && e.method === 'imbot.chat.user.add');
    expect(calls.at(-1)).toMatchObject({ status: 400, botId, senderId: botId, chatId: 1, dialogId: 'chat1' });
  });
});

describe('imbot.v2.Chat.leave', () => {
  it('takes the bot out of the chat: {result: true}; then its notify there is refused, and so is a second leave', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const left = await post(`${emulator.webhookUrl()}imbot.v2.Chat.leave`, { ...AGENT, dialogId: 'chat1' });
    expect(left.status).toBe(200);
    expect(left.body.result).toEqual({ result: true });
    expect(emulator.fixtures.chats.find((c) => c.id === 1)?.members).toEqual([1, 2, 3, 11]);
    for (const method of ['imbot.v2.Chat.leave', 'imbot.v2.Chat.InputAction.notify']) {
      const reply = await post(`${emulator.webhookUrl()}${method}`, { ...AGENT, chatId: 1 });
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({ error: 'ACCESS_DENIED', error_description: 'Access denied' });
    }
    expect(await agentEvents(emulator)).toEqual([]);
  });

  it('refuses as the other v2 calls: the bot errors, ERROR_ARGUMENT (no dialogId), CHAT_NOT_FOUND, ACCESS_DENIED', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const cases: [Record<string, unknown>, string][] = [
      [{ botId: 10, dialogId: 'chat1' }, 'BOT_TOKEN_NOT_SPECIFIED'],
      [{ botToken: 'agent-bot-token', dialogId: 'chat1' }, 'BOT_ID_REQUIRED'],
      [{ botId: 99, botToken: 'agent-bot-token', dialogId: 'chat1' }, 'BOT_NOT_FOUND'],
      [{ botId: 10, botToken: 'someone-else', dialogId: 'chat1' }, 'BOT_OWNERSHIP_ERROR'],
      [AGENT, 'ERROR_ARGUMENT'],
      [{ ...AGENT, dialogId: 'chat99' }, 'CHAT_NOT_FOUND'],
      [{ ...AGENT, dialogId: 'chat2' }, 'ACCESS_DENIED'],
      // A private dialog with the bot cannot be left.
      [{ ...AGENT, dialogId: '2' }, 'ACCESS_DENIED'],
    ];
    for (const [params, error] of cases) {
      const reply = await post(`${emulator.webhookUrl()}imbot.v2.Chat.leave`, params);
      expect([reply.status, reply.body.error]).toEqual([400, error]);
    }
    expect(emulator.fixtures.chats.find((c) => c.id === 1)?.members).toEqual([1, 2, 3, 10, 11]);
  });
});

describe('imbot.v2.Chat.User.delete', () => {
  it('lets a bot that owns the chat remove a member; one not in the chat is `true` as well (idempotent, as documented)', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const created = await post(`${emulator.webhookUrl()}im.chat.add`, {
      TITLE: 'Bot-run',
      USERS: [2, 10],
      OWNER_ID: 10,
    });
    const chatId = created.body.result as number;
    for (const userId of [2, 2, 3]) {
      const reply = await post(`${emulator.webhookUrl()}imbot.v2.Chat.User.delete`, {
        ...AGENT,
        dialogId: `chat${chatId}`,
        userId,
      });
      expect(reply.status).toBe(200);
      expect(reply.body.result).toEqual({ result: true });
    }
    expect(emulator.fixtures.chats.find((c) => c.id === chatId)?.members).toEqual([1, 10]);
  });

  it('refuses in the binder and prefilter order: the bot, the dialog, userId, membership, the right to remove', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const cases: [Record<string, unknown>, string][] = [
      [{ botId: 10, dialogId: 'chat1', userId: 2 }, 'BOT_TOKEN_NOT_SPECIFIED'],
      [{ ...AGENT, userId: 2 }, 'ERROR_ARGUMENT'],
      [{ ...AGENT, dialogId: 'chat99', userId: 2 }, 'CHAT_NOT_FOUND'],
      // `int $userId` is bound with the chat, before the access prefilters: chat 2 (no agent there) still says so.
      [{ ...AGENT, dialogId: 'chat2' }, 'ERROR_ARGUMENT'],
      [{ ...AGENT, dialogId: 'chat2', userId: 'two' }, 'ERROR_ARGUMENT'],
      [{ ...AGENT, dialogId: 'chat2', userId: 2 }, 'ACCESS_DENIED'],
      // In chat 1, which user 1 owns: the agent may not remove user 2.
      [{ ...AGENT, dialogId: 'chat1', userId: 2 }, 'ACCESS_DENIED'],
    ];
    for (const [params, error] of cases) {
      const reply = await post(`${emulator.webhookUrl()}imbot.v2.Chat.User.delete`, params);
      expect([reply.status, reply.body.error]).toEqual([400, error]);
    }
    const missing = await post(`${emulator.webhookUrl()}imbot.v2.Chat.User.delete`, { ...AGENT, dialogId: 'chat2' });
    expect(missing.body).toEqual({
      error: 'ERROR_ARGUMENT',
      argument: 'userId',
      error_description: 'Could not find value for parameter {userId}',
    });
    expect(emulator.fixtures.chats.find((c) => c.id === 1)?.members).toEqual([1, 2, 3, 10, 11]);
  });
});

describe('imbot.v2.Chat.User.add', () => {
  it('lets a bot in the chat add users and bots: {result: true}; unknown ids are skipped; a bot added hears it joined, from the bot', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const second = { botId: 0, botToken: 'second-token' };
    const reg = await post(`${emulator.webhookUrl()}imbot.v2.Bot.register`, {
      fields: { code: 'second', botToken: 'second-token', properties: { name: 'Second' } },
    });
    second.botId = reg.body.result.bot.id;
    const created = await post(`${emulator.webhookUrl()}im.chat.add`, { TITLE: 'Bot-run', USERS: [10] });
    const chatId = created.body.result as number;
    await post(`${emulator.webhookUrl()}imbot.v2.Event.get`, { ...AGENT, offset: 1000 });

    const added = await post(`${emulator.webhookUrl()}imbot.v2.Chat.User.add`, {
      ...AGENT,
      dialogId: `chat${chatId}`,
      userIds: [2, '3', 999, second.botId],
    });
    expect(added.status).toBe(200);
    expect(added.body.result).toEqual({ result: true });
    expect(emulator.fixtures.chats.find((c) => c.id === chatId)?.members).toEqual([1, 10, 2, 3, second.botId]);
    const events = (await post(`${emulator.webhookUrl()}imbot.v2.Event.get`, second)).body.result.events;
    expect(events.map((e: { type: string }) => e.type)).toEqual(['ONIMBOTV2JOINCHAT']);
    expect(events[0].data.dialogId).toBe(`chat${chatId}`);
    expect(events[0].data.user).toMatchObject({ id: 10, bot: true });

    // An integer chatId, members already in, no userIds at all (`array $userIds = []`): all {result: true}.
    for (const params of [{ chatId, userIds: [2] }, { dialogId: `chat${chatId}` }]) {
      const reply = await post(`${emulator.webhookUrl()}imbot.v2.Chat.User.add`, { ...AGENT, ...params });
      expect(reply.body.result).toEqual({ result: true });
    }
    expect((await post(`${emulator.webhookUrl()}imbot.v2.Event.get`, second)).body.result.events).toHaveLength(1);
  });

  it('refuses in the binder and prefilter order: the bot, the dialog, userIds, membership, the right to add', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const cases: [Record<string, unknown>, string][] = [
      [{ botId: 10, dialogId: 'chat1', userIds: [2] }, 'BOT_TOKEN_NOT_SPECIFIED'],
      [{ botToken: 'agent-bot-token', dialogId: 'chat1', userIds: [2] }, 'BOT_ID_REQUIRED'],
      [{ botId: 99, botToken: 'agent-bot-token', dialogId: 'chat1', userIds: [2] }, 'BOT_NOT_FOUND'],
      [{ botId: 10, botToken: 'someone-else', dialogId: 'chat1', userIds: [2] }, 'BOT_OWNERSHIP_ERROR'],
      [{ ...AGENT, userIds: [2] }, 'ERROR_ARGUMENT'],
      [{ ...AGENT, dialogId: 'chat99', userIds: [2] }, 'CHAT_NOT_FOUND'],
      // `array $userIds` is bound with the chat, before the access prefilters: chat 2 (no agent there) still says so.
      [{ ...AGENT, dialogId: 'chat2', userIds: 3 }, 'ERROR_ARGUMENT'],
      [{ ...AGENT, dialogId: 'chat2', userIds: [3] }, 'ACCESS_DENIED'],
      // A private dialog takes no one else (`canDo(Action::Extend)`).
      [{ ...AGENT, dialogId: '2', userIds: [3] }, 'ACCESS_DENIED'],
    ];
    for (const [params, error] of cases) {
      const reply = await post(`${emulator.webhookUrl()}imbot.v2.Chat.User.add`, params);
      expect([reply.status, reply.body.error]).toEqual([400, error]);
    }
    const scalar = await post(`${emulator.webhookUrl()}imbot.v2.Chat.User.add`, {
      ...AGENT,
      dialogId: 'chat2',
      userIds: 'three',
    });
    expect(scalar.body).toEqual({
      error: 'ERROR_ARGUMENT',
      argument: 'userIds',
      error_description: 'Invalid value "three" to match with parameter {userIds}. Should be value of type array.',
    });
    expect(emulator.fixtures.chats.find((c) => c.id === 2)?.members).toEqual([1, 2]);
    expect(await agentEvents(emulator)).toEqual([]);
  });
});

describe('workgroup chats (CHAT_ENTITY_TYPE SONET_GROUP): membership is the workgroup’s', () => {
  /** Chat 30 of workgroup 7: the agent bot (its owner, the first member), users 1 and 2, the legacy bot of `legacy-client`. */
  async function workgroupChat(em: Emulator): Promise<number> {
    const botId = await legacyBot(em);
    em.seed({ chats: [{ id: 30, title: 'Workgroup', members: [10, 1, 2, botId], workgroupId: 7 }] });
    return botId;
  }

  it('refuses the v1 add, delete and leave calls with ACCESS_ERROR 403 before the bot is looked at (isActionAllowed)', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const botId = await workgroupChat(emulator);
    const forbidAdd = { error: 'ACCESS_ERROR', error_description: 'It is forbidden to add users to this chat' };
    const forbidDelete = { error: 'ACCESS_ERROR', error_description: 'It is forbidden to delete users of this chat' };
    const cases: [string, Record<string, unknown>, unknown][] = [
      ['im.chat.user.add', { CHAT_ID: 30, USERS: [3] }, forbidAdd],
      ['im.chat.user.add', { DIALOG_ID: 'sg7', USERS: [3] }, forbidAdd],
      ['im.chat.user.delete', { CHAT_ID: 30, USER_ID: 2 }, forbidDelete],
      // USER_ID_EMPTY comes after: the chat is refused first.
      ['im.chat.user.delete', { CHAT_ID: 30 }, forbidDelete],
      ['im.chat.leave', { DIALOG_ID: 'chat30' }, forbidDelete],
      // No CLIENT_ID (the bot's ACCESS_DENIED), or the legacy bot's own: the chat is refused first.
      ['imbot.chat.user.add', { CHAT_ID: 30, USERS: [3] }, forbidAdd],
      ['imbot.chat.user.add', { CHAT_ID: 30, USERS: [3], CLIENT_ID: 'legacy-client' }, forbidAdd],
      ['imbot.chat.user.delete', { CHAT_ID: 30, USER_ID: 2, CLIENT_ID: 'legacy-client' }, forbidDelete],
      ['imbot.chat.leave', { CHAT_ID: 30 }, forbidDelete],
      ['imbot.chat.leave', { CHAT_ID: 30, BOT_ID: botId, CLIENT_ID: 'legacy-client' }, forbidDelete],
    ];
    for (const [method, params, body] of cases) {
      const reply = await post(`${emulator.webhookUrl()}${method}`, params);
      expect([method, reply.status, reply.body]).toEqual([method, 403, body]);
    }
    // The member's own leave is refused too.
    const own = await post(`${emulator.webhookUrl(2)}im.chat.leave`, { CHAT_ID: 30 });
    expect([own.status, own.body]).toEqual([403, forbidDelete]);
    expect(emulator.fixtures.chats.find((c) => c.id === 30)?.members).toEqual([10, 1, 2, botId]);
  });

  it('refuses imbot.v2.Chat.User.add there with ACCESS_DENIED 400 (Action::Extend is nobody’s in a SONET_GROUP chat)', async () => {
    emulator = await startEmulator({ plan: 'off' });
    await workgroupChat(emulator);
    // The agent owns the chat, so only the chat type refuses.
    for (const dialogId of ['chat30', 'sg7']) {
      const reply = await post(`${emulator.webhookUrl()}imbot.v2.Chat.User.add`, { ...AGENT, dialogId, userIds: [3] });
      expect([reply.status, reply.body]).toEqual([400, { error: 'ACCESS_DENIED', error_description: 'Access denied' }]);
    }
    expect(emulator.fixtures.chats.find((c) => c.id === 30)?.members).not.toContain(3);
  });

  it('refuses imbot.v2.Chat.User.delete of the bot itself there with ACCESS_DENIED 400 (a Kick of oneself is Leave / LeaveOwner, nobody’s in a SONET_GROUP chat)', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const legacyBotId = await workgroupChat(emulator);
    const denied = [400, { error: 'ACCESS_DENIED', error_description: 'Access denied' }];
    // The agent owns the chat (LeaveOwner); the legacy bot, driven over v2 with its CLIENT_ID as botToken, does not (Leave).
    const selves: Record<string, unknown>[] = [
      { ...AGENT, dialogId: 'chat30', userId: 10 },
      { ...AGENT, dialogId: 'sg7', userId: 10 },
      { botId: legacyBotId, botToken: 'legacy-client', dialogId: 'chat30', userId: legacyBotId },
    ];
    for (const params of selves) {
      const reply = await post(`${emulator.webhookUrl()}imbot.v2.Chat.User.delete`, params);
      expect([reply.status, reply.body]).toEqual(denied);
    }
    expect(emulator.fixtures.chats.find((c) => c.id === 30)?.members).toEqual([10, 1, 2, legacyBotId]);
    // Removing someone else is a Kick, which the chat type leaves to the owner as anywhere.
    const kick = await post(`${emulator.webhookUrl()}imbot.v2.Chat.User.delete`, {
      ...AGENT,
      dialogId: 'sg7',
      userId: 2,
    });
    expect([kick.status, kick.body.result]).toEqual([200, { result: true }]);
    expect(emulator.fixtures.chats.find((c) => c.id === 30)?.members).toEqual([10, 1, legacyBotId]);
  });

  it('lets the bot leave there with imbot.v2.Chat.leave: leaveAction asks no Action::Leave, and deleteUser checks none', async () => {
    emulator = await startEmulator({ plan: 'off' });
    const legacyBotId = await workgroupChat(emulator);
    const reply = await post(`${emulator.webhookUrl()}imbot.v2.Chat.leave`, { ...AGENT, dialogId: 'sg7' });
    expect([reply.status, reply.body.result]).toEqual([200, { result: true }]);
    expect(emulator.fixtures.chats.find((c) => c.id === 30)?.members).toEqual([1, 2, legacyBotId]);
  });
});
