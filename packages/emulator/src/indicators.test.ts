import { afterEach, describe, expect, it } from 'vitest';
import { post } from '../test/http';
import { startEmulator } from './startEmulator';
import type { Emulator, HideEntry } from './types';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const T0 = 1_800_000_000_000;
async function setup(options: { clientLifetimeSec?: number } = {}) {
  let t = T0;
  const e = await startEmulator({ plan: 'off', now: () => t, ...options });
  emulator = e;
  const hook = e.webhookUrl();
  return {
    e,
    at: (ms: number) => {
      t = T0 + ms;
    },
    writing: (dialogId = 'chat1') => post(`${hook}im.dialog.writing`, { DIALOG_ID: dialogId }),
    notify: (extra: Record<string, unknown> = {}) =>
      post(`${hook}imbot.v2.Chat.InputAction.notify`, {
        botId: 10,
        botToken: 'agent-bot-token',
        dialogId: 'chat1',
        ...extra,
      }),
    send: (text: string) =>
      post(`${hook}imbot.v2.Chat.Message.send`, {
        botId: 10,
        botToken: 'agent-bot-token',
        dialogId: 'chat1',
        fields: { message: text },
      }),
    hides: () => e.timeline().filter((x): x is HideEntry => x.kind === 'hide'),
  };
}

describe('indicator state', () => {
  it('im.dialog.writing lasts the client lifetime (25 s default, configurable)', async () => {
    const s = await setup({ clientLifetimeSec: 10 });
    await s.writing();
    s.at(9_999);
    expect(s.e.visibleThroughout('chat1', 1, T0, T0 + 9_999)).toBe(true);
    s.at(10_000);
    expect(s.e.indicators()).toEqual([]);
    expect(s.e.visibility('chat1', 1)).toEqual([{ from: T0, to: T0 + 10_000, endCause: 'expired', calls: 1 }]);
  });

  it('v2 lasts `duration` seconds and the call records visibleUntil', async () => {
    const s = await setup();
    const reply = await s.notify({ duration: 3, statusMessageCode: 'IMBOT_AGENT_ACTION_THINKING' });
    expect(reply.status).toBe(200);
    const call = s.e.timeline().find((x) => x.kind === 'call');
    expect(call).toMatchObject({
      visibleUntil: T0 + 3_000,
      durationSec: 3,
      senderId: 10,
      botId: 10,
      chatId: 1,
      dialogId: 'chat1',
    });
    expect(s.e.indicators()[0]).toMatchObject({ text: 'Agent is thinking...', senderName: 'Agent' });
    s.at(3_000);
    expect(s.hides()).toEqual([expect.objectContaining({ cause: 'expired', time: T0 + 3_000, senderId: 10 })]);
  });

  it('one request reads the clock once: visibleUntil is exactly the call time + duration, the hide is at the reply', async () => {
    // a clock that moves on every read, as the real one does between two reads in one request
    let t = T0;
    emulator = await startEmulator({ plan: 'off', now: () => t++ });
    const hook = emulator.webhookUrl();
    const bot = { botId: 10, botToken: 'agent-bot-token', dialogId: 'chat1' };
    await post(`${hook}imbot.v2.Chat.InputAction.notify`, { ...bot, duration: 1 });
    await post(`${hook}imbot.v2.Chat.Message.send`, { ...bot, fields: { message: 'done' } });
    const [notify, send] = emulator.timeline().filter((x) => x.kind === 'call');
    expect(notify).toMatchObject({ method: 'imbot.v2.Chat.InputAction.notify' });
    expect(notify!.visibleUntil).toBe(notify!.time + 1_000);
    const hide = emulator.timeline().find((x) => x.kind === 'hide');
    const message = emulator.timeline().find((x) => x.kind === 'message');
    expect(hide).toMatchObject({ cause: 'message', time: send!.time });
    expect(message!.time).toBe(send!.time);
  });

  it('a newer call replaces the indicator: a fresh timer, the new status, and continuous visibility', async () => {
    const s = await setup();
    await s.notify({ duration: 10, statusMessageCode: 'IMBOT_AGENT_ACTION_THINKING' });
    s.at(8_000);
    await s.notify({ duration: 10, statusMessageCode: 'IMBOT_AGENT_ACTION_COMPOSING' });
    expect(s.hides()).toEqual([expect.objectContaining({ cause: 'replaced', time: T0 + 8_000 })]);
    expect(s.e.indicators()[0]).toMatchObject({
      statusMessageCode: 'IMBOT_AGENT_ACTION_COMPOSING',
      visibleUntil: T0 + 18_000,
    });
    s.at(17_000);
    expect(s.e.visibility('chat1', 10)).toEqual([{ from: T0, to: null, endCause: null, calls: 2 }]);
    expect(s.e.visibleThroughout('chat1', 10, T0, T0 + 17_000)).toBe(true);
    expect(s.e.visibleThroughout('chat1', 10, T0, T0 + 17_001)).toBe(false); // the future is not known yet
    s.at(18_000);
    expect(s.e.visibility('chat1', 10)).toEqual([{ from: T0, to: T0 + 18_000, endCause: 'expired', calls: 2 }]);
  });

  it('a renewal after expiry starts a new interval (a visible gap)', async () => {
    const s = await setup();
    await s.notify({ duration: 2 });
    s.at(2_500);
    await s.notify({ duration: 2 });
    expect(s.e.visibility('chat1', 10)).toEqual([
      { from: T0, to: T0 + 2_000, endCause: 'expired', calls: 1 },
      { from: T0 + 2_500, to: null, endCause: null, calls: 1 },
    ]);
    expect(s.e.visibleThroughout('chat1', 10, T0, T0 + 2_500)).toBe(false);
  });

  it("a message from the sender hides their indicator at once; other senders' stay", async () => {
    const s = await setup();
    await s.notify({ duration: 60 });
    await s.writing();
    s.at(1_000);
    await s.send('Here is the answer');
    expect(s.hides()).toEqual([expect.objectContaining({ cause: 'message', senderId: 10, time: T0 + 1_000 })]);
    expect(s.e.indicators().map((i) => i.senderId)).toEqual([1]);
    const msg = await post(`${s.e.webhookUrl()}im.message.add`, { DIALOG_ID: 'chat1', MESSAGE: 'thanks' });
    expect(msg.status).toBe(200);
    expect(s.e.indicators()).toEqual([]);
    expect(s.e.visibility('chat1', 1)).toEqual([{ from: T0, to: T0 + 1_000, endCause: 'message', calls: 1 }]);
  });

  it("a message hides only its sender's indicator, even when another sender's was started first (§3)", async () => {
    const s = await setup();
    await s.writing();
    await s.notify({ duration: 60 });
    s.at(1_000);
    await s.send('Here is the answer');
    expect(s.hides()).toEqual([expect.objectContaining({ cause: 'message', senderId: 10, time: T0 + 1_000 })]);
    expect(s.e.indicators().map((i) => i.senderId)).toEqual([1]);
  });

  it('§3: v2 without `duration` records none and shows for the client default (25 s), as im.dialog.writing does', async () => {
    const s = await setup();
    await s.notify();
    const call = s.e.timeline().find((x) => x.kind === 'call');
    expect(call).toMatchObject({ durationSec: null, visibleUntil: T0 + 25_000, shown: true });
  });

  it('indicators that run out together are hidden in expiry order, not in the order they were shown', async () => {
    const s = await setup();
    await s.notify({ duration: 60 });
    await s.writing();
    s.at(70_000);
    expect(s.e.indicators()).toEqual([]);
    expect(s.hides().map((h) => [h.senderId, h.time - T0])).toEqual([
      [1, 25_000],
      [10, 60_000],
    ]);
  });

  it('an edit by the sender hides their indicator with cause edit', async () => {
    const s = await setup();
    const msg = await post(`${s.e.webhookUrl()}im.message.add`, { DIALOG_ID: 'chat1', MESSAGE: 'typo' });
    await s.writing();
    s.at(2_000);
    await post(`${s.e.webhookUrl()}im.message.update`, { MESSAGE_ID: msg.body.result, MESSAGE: 'fixed' });
    expect(s.hides().map((h) => h.cause)).toEqual(['edit']);
  });

  it('duration 1 clears a v2 status within a second', async () => {
    const s = await setup();
    await s.notify({ duration: 60, statusMessageCode: 'IMBOT_AGENT_ACTION_SEARCHING' });
    s.at(5_000);
    await s.notify({ duration: 1 });
    s.at(6_000);
    expect(s.e.visibility('chat1', 10)).toEqual([{ from: T0, to: T0 + 6_000, endCause: 'expired', calls: 2 }]);
  });

  it('§1.1/§1.2: imbot.chat.sendTyping into a chat without the bot is shown there (StartWriting checks no membership)', async () => {
    const s = await setup();
    // chat2 "Team" has users 1 and 2 only; the agent (bot 10) is not a member.
    const reply = await post(`${s.e.webhookUrl()}imbot.chat.sendTyping`, {
      BOT_ID: 10,
      CLIENT_ID: 'agent-bot-token',
      DIALOG_ID: 'chat2',
    });
    expect(reply.body.result).toBe(true);
    expect(s.e.indicators()).toEqual([
      expect.objectContaining({ chatId: 2, senderId: 10, text: 'Agent is typing...' }),
    ]);
    expect(s.e.timeline().find((x) => x.kind === 'call')).toMatchObject({ shown: true, visibleUntil: T0 + 25_000 });
    // What StartWriting refuses still shows nothing, and the reply is still `true` (§1.2 step 5).
    for (const DIALOG_ID of ['chat999', 'sg1', '10', 'CHAT1']) {
      const other = await post(`${s.e.webhookUrl()}imbot.chat.sendTyping`, {
        BOT_ID: 10,
        CLIENT_ID: 'agent-bot-token',
        DIALOG_ID,
      });
      expect(other.body.result).toBe(true);
    }
    expect(s.e.indicators()).toHaveLength(1);
  });

  it('§1.3: imbot.v2 resolves CHAT1 like chat1 (Dialog::getChatId matches /^chat[0-9]{1,}$/i)', async () => {
    const s = await setup();
    const reply = await s.notify({ dialogId: 'CHAT1', duration: 5 });
    expect(reply.body.result).toEqual({ result: true });
    expect(s.e.indicators()).toEqual([expect.objectContaining({ chatId: 1, senderId: 10 })]);
  });

  it('private dialogs are per pair: dialogId is the other user from the sender side', async () => {
    const s = await setup();
    await s.writing('2');
    expect(s.e.indicators()).toEqual([expect.objectContaining({ senderId: 1, dialogId: '2' })]);
    expect(s.e.visibility('2', 1)).toHaveLength(1);
    expect(s.e.visibility('3', 1)).toEqual([]);
  });

  it('§1.3: duration is clamped to 1..600 s in what is shown, not only in what is recorded', async () => {
    const s = await setup();
    await s.notify({ duration: 9999 });
    s.at(599_999);
    expect(s.e.indicators()).toHaveLength(1);
    s.at(600_000);
    expect(s.e.visibility('chat1', 10)).toEqual([{ from: T0, to: T0 + 600_000, endCause: 'expired', calls: 1 }]);
    s.at(700_000);
    await s.notify({ duration: -5 });
    s.at(701_000);
    expect(s.e.visibility('chat1', 10).at(-1)).toEqual({
      from: T0 + 700_000,
      to: T0 + 701_000,
      endCause: 'expired',
      calls: 1,
    });
  });

  it('§2/§3: without a duration, notify and imbot.chat.sendTyping last the client lifetime (25 s), like writing', async () => {
    const s = await setup();
    await s.notify();
    await post(`${s.e.webhookUrl()}imbot.chat.sendTyping`, {
      BOT_ID: 10,
      CLIENT_ID: 'agent-bot-token',
      DIALOG_ID: 'chat2',
    });
    expect(s.e.indicators().map((i) => [i.chatId, i.visibleUntil])).toEqual([
      [1, T0 + 25_000],
      [2, T0 + 25_000],
    ]);
    s.at(25_000);
    expect(s.e.indicators()).toEqual([]);
  });

  it("§3: a message hides only its sender's indicator in that chat, not the sender's elsewhere", async () => {
    const s = await setup();
    await s.notify({ duration: 60 });
    await s.notify({ dialogId: '2', duration: 60 });
    await s.send('in chat1');
    expect(s.e.indicators()).toEqual([expect.objectContaining({ senderId: 10, dialogId: '2' })]);
    await post(`${s.e.webhookUrl()}imbot.v2.Chat.Message.send`, {
      botId: 10,
      botToken: 'agent-bot-token',
      dialogId: '2',
      fields: { message: 'in private' },
    });
    expect(s.e.indicators()).toEqual([]);
  });

  it('§1.3: imbot.v2 takes a workgroup chat as sg<N>, which im.dialog.writing refuses (§1.1)', async () => {
    const s = await setup();
    s.e.seed({ chats: [{ id: 7, title: 'Project', members: [1, 2], workgroupId: 5 }], members: [[7, 10]] });
    expect((await s.notify({ dialogId: 'sg5', duration: 5 })).body.result).toEqual({ result: true });
    expect(s.e.indicators()).toEqual([expect.objectContaining({ chatId: 7, senderId: 10 })]);
    expect((await s.writing('sg5')).body.error).toBe('ACCESS_ERROR');
    expect((await s.notify({ dialogId: 'sg6' })).body.error).toBe('CHAT_NOT_FOUND');
  });

  it('expired hides are emitted in real time for observers (default clock)', async () => {
    emulator = await startEmulator({ plan: 'off', clientLifetimeSec: 0.05 });
    const seen: string[] = [];
    const events = await fetch(`${emulator.url}/_emulator/events`);
    const reader = events.body!.getReader();
    await post(`${emulator.webhookUrl()}im.dialog.writing`, { DIALOG_ID: 'chat1' });
    const decoder = new TextDecoder();
    while (!seen.some((line) => line.includes('"cause":"expired"'))) {
      const { value, done } = await reader.read();
      if (done) break;
      seen.push(decoder.decode(value));
    }
    await reader.cancel();
    expect(seen.join('')).toContain('"kind":"hide"');
  });
});
