import { afterEach, describe, expect, it } from 'vitest';
import { get, post, readEvents } from '../test/http';
import { startEmulator } from './startEmulator';
import { DEFAULT_TIMELINE_LIMIT, Timeline, visibilityFrom } from './Timeline';
import type { Emulator, TimelineEntry } from './types';

/** A message entry whose text says which push it was. */
function message(n: number): Omit<Extract<TimelineEntry, { kind: 'message' }>, 'seq'> {
  return {
    kind: 'message',
    time: n,
    chatId: 1,
    dialogId: 'chat1',
    authorId: 1,
    messageId: n,
    text: `m${n}`,
    edited: false,
    deleted: false,
  };
}

/** User 1's `im.dialog.writing` call in chat 1 at `time`, shown for the client lifetime (25 s). */
function writing(time: number): Omit<Extract<TimelineEntry, { kind: 'call' }>, 'seq'> {
  return {
    kind: 'call',
    time,
    method: 'im.dialog.writing',
    dialogId: 'chat1',
    chatId: 1,
    senderId: 1,
    botId: null,
    status: 200,
    error: null,
    durationSec: null,
    statusMessageCode: null,
    shown: true,
    visibleUntil: time + 25_000,
    auth: 'webhook',
    batchId: null,
  };
}

function pushMany(timeline: Timeline, from: number, to: number): void {
  for (let n = from; n <= to; n++) timeline.push(message(n));
}

const seqs = (entries: readonly TimelineEntry[]) => entries.map((e) => e.seq);

describe('Timeline limit', () => {
  it('keeps the newest `limit` entries in seq order and drops the oldest', () => {
    const timeline = new Timeline(3);
    pushMany(timeline, 1, 3);
    expect(seqs(timeline.list())).toEqual([1, 2, 3]);
    timeline.push(message(4));
    expect(seqs(timeline.list())).toEqual([2, 3, 4]);
    pushMany(timeline, 5, 11);
    expect(seqs(timeline.list())).toEqual([9, 10, 11]);
    expect(timeline.list().map((e) => e.kind === 'message' && e.text)).toEqual(['m9', 'm10', 'm11']);
    expect(timeline.size).toBe(3);
    expect(timeline.firstSeq).toBe(9);
  });

  it('seq keeps counting across trims: never reused, strictly increasing', () => {
    const timeline = new Timeline(4);
    const pushed: number[] = [];
    for (let n = 1; n <= 25; n++) pushed.push(timeline.push(message(n)).seq);
    expect(pushed).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(seqs(timeline.list())).toEqual([22, 23, 24, 25]);
  });

  it('list(since) after trimming: the kept tail, and a gap above since + 1 when the poller fell behind', () => {
    const timeline = new Timeline(5);
    pushMany(timeline, 1, 12); // keeps 8..12
    expect(seqs(timeline.list(10))).toEqual([11, 12]);
    expect(seqs(timeline.list(7))).toEqual([8, 9, 10, 11, 12]); // nothing lost: first seq is since + 1
    const behind = timeline.list(3); // 4..7 are gone
    expect(seqs(behind)).toEqual([8, 9, 10, 11, 12]);
    expect(behind[0]!.seq).toBeGreaterThan(3 + 1);
    expect(timeline.list(12)).toEqual([]);
    expect(timeline.list(99)).toEqual([]);
    expect(seqs(timeline.list(0))).toEqual([8, 9, 10, 11, 12]);
    expect(seqs(timeline.list(-1))).toEqual([8, 9, 10, 11, 12]);
    expect(seqs(timeline.list(Number.NaN))).toEqual([8, 9, 10, 11, 12]);
    expect(seqs(timeline.list(9.5))).toEqual([10, 11, 12]);
  });

  it('limit 1 keeps only the last entry', () => {
    const timeline = new Timeline(1);
    pushMany(timeline, 1, 3);
    expect(seqs(timeline.list())).toEqual([3]);
    expect(seqs(timeline.list(2))).toEqual([3]);
  });

  it('listeners see every entry, trimmed or not', () => {
    const timeline = new Timeline(2);
    const seen: number[] = [];
    timeline.subscribe((entry) => seen.push(entry.seq));
    pushMany(timeline, 1, 7);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(seqs(timeline.list())).toEqual([6, 7]);
  });

  it('clear() empties it, spends one seq on the clearing, and seq goes on; the ring refills in order', () => {
    const timeline = new Timeline(3);
    pushMany(timeline, 1, 5);
    expect(timeline.clear()).toBe(6);
    expect(timeline.list()).toEqual([]);
    expect(timeline.lastSeq).toBe(6);
    expect(timeline.firstSeq).toBe(7);
    pushMany(timeline, 7, 11);
    expect(seqs(timeline.list())).toEqual([9, 10, 11]);
    expect(seqs(timeline.list(9))).toEqual([10, 11]);
  });

  it('list() returns a copy', () => {
    const timeline = new Timeline(2);
    pushMany(timeline, 1, 3);
    const copy = timeline.list();
    copy.length = 0;
    expect(seqs(timeline.list())).toEqual([2, 3]);
  });

  it('defaults to 100,000 and refuses a limit that is not a positive integer', () => {
    expect(new Timeline().limit).toBe(DEFAULT_TIMELINE_LIMIT);
    expect(DEFAULT_TIMELINE_LIMIT).toBe(100_000);
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new Timeline(bad)).toThrow('positive integer');
    }
  });

  it('wraps around a larger ring more than once and still lists in seq order', () => {
    const timeline = new Timeline(1_000);
    pushMany(timeline, 1, 2_500);
    expect(timeline.size).toBe(1_000);
    const list = timeline.list();
    expect(list.every((e, i) => e.seq === 1_501 + i)).toBe(true);
    expect(seqs(timeline.list(2_497))).toEqual([2_498, 2_499, 2_500]);
  });

  it('visibilityFrom reads a trimmed list: intervals whose calls are kept', () => {
    const timeline = new Timeline(3);
    const call = (time: number) => timeline.push(writing(time));
    call(0);
    timeline.push({ kind: 'hide', time: 25_000, chatId: 1, dialogId: 'chat1', senderId: 1, cause: 'expired' });
    call(30_000);
    timeline.push({ kind: 'hide', time: 40_000, chatId: 1, dialogId: 'chat1', senderId: 1, cause: 'message' });
    call(50_000);
    expect(visibilityFrom(timeline.list(), 1, 1)).toEqual([
      { from: 30_000, to: 40_000, endCause: 'message', calls: 1 },
      { from: 50_000, to: null, endCause: null, calls: 1 },
    ]);
  });

  it('visibilityFrom: a renewal at the very instant a message hid the indicator starts a new interval (§3)', () => {
    // Only an expiry touches the renewal that follows it (a person never sees it gone); a message or an edit hid it
    // for a reason, so what follows is a new indicator even at the same millisecond.
    const timeline = new Timeline();
    const call = (time: number) => timeline.push(writing(time));
    call(0);
    timeline.push({ kind: 'hide', time: 10_000, chatId: 1, dialogId: 'chat1', senderId: 1, cause: 'message' });
    call(10_000);
    timeline.push({ kind: 'hide', time: 20_000, chatId: 1, dialogId: 'chat1', senderId: 1, cause: 'edit' });
    call(20_000);
    expect(visibilityFrom(timeline.list(), 1, 1)).toEqual([
      { from: 0, to: 10_000, endCause: 'message', calls: 1 },
      { from: 10_000, to: 20_000, endCause: 'edit', calls: 1 },
      { from: 20_000, to: null, endCause: null, calls: 1 },
    ]);
  });

  it("visibilityFrom: another sender's hide in the same chat does not end this sender's interval", () => {
    const timeline = new Timeline();
    timeline.push(writing(0));
    timeline.push({ kind: 'hide', time: 5_000, chatId: 1, dialogId: 'chat1', senderId: 10, cause: 'message' });
    expect(visibilityFrom(timeline.list(), 1, 1)).toEqual([{ from: 0, to: null, endCause: null, calls: 1 }]);
  });
});

describe('startEmulator({ timelineLimit })', () => {
  let emulator: Emulator | undefined;
  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
  });

  it('rejects a timelineLimit that is not a positive integer, naming the option', async () => {
    for (const bad of [0, -5, 2.5, Number.NaN, Number.POSITIVE_INFINITY, '10' as unknown as number]) {
      await expect(startEmulator({ timelineLimit: bad })).rejects.toThrow(
        `startEmulator: timelineLimit must be a positive integer (entries kept), got ${typeof bad === 'string' ? JSON.stringify(bad) : String(bad)}`,
      );
    }
  });

  it('keeps the newest entries over HTTP; seq and ?since= carry on; SSE subscribers get every entry', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    emulator = await startEmulator({ timelineLimit: 3, plan: 'off', now: () => now });
    const hook = emulator.webhookUrl();
    const events = await readEvents(`${emulator.url}/_emulator/events`, 15, async () => {
      for (let i = 0; i < 8; i++) {
        await post(`${hook}im.dialog.writing`, { DIALOG_ID: 'chat2' });
        now += 1000;
      }
    });
    // 8 calls, and 7 `replaced` hides between them: 15 entries, all streamed as they happened.
    expect(seqs(events)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(events.filter((e) => e.kind === 'call')).toHaveLength(8);

    const all = emulator.timeline();
    expect(seqs(all)).toEqual([13, 14, 15]);
    expect(all.map((e) => e.kind)).toEqual(['call', 'hide', 'call']);

    const polled = await get(`${emulator.url}/_emulator/timeline?since=5`);
    expect(seqs(polled.body.entries)).toEqual([13, 14, 15]);
    expect(polled.body.entries[0].seq).toBeGreaterThan(5 + 1); // the poller can tell it missed 6..12
    expect(seqs((await get(`${emulator.url}/_emulator/timeline?since=14`)).body.entries)).toEqual([15]);
    expect((await get(`${emulator.url}/_emulator/timeline?since=15`)).body.entries).toEqual([]);

    const replay = await readEvents(`${emulator.url}/_emulator/events?since=0`, 3, async () => {});
    expect(seqs(replay)).toEqual([13, 14, 15]);

    // The indicator is still one interval, opened by the oldest call kept.
    expect(emulator.visibility('chat2', 1)).toEqual([{ from: now - 2000, to: null, endCause: null, calls: 2 }]);
    expect(emulator.indicators()).toHaveLength(1);
  });

  it('messages() and reset() work on a trimmed timeline; seq keeps growing after reset', async () => {
    emulator = await startEmulator({ timelineLimit: 2, plan: 'off' });
    for (const text of ['one', 'two', 'three']) emulator.postMessage({ from: 2, dialogId: 'chat2', text });
    // README (Observation, Long runs): messages() is computed from the timeline, so it sees only the entries kept…
    expect(emulator.messages(2).map((m) => m.text)).toEqual(['two', 'three']);
    expect(emulator.messages().map((m) => m.text)).toEqual(['two', 'three']);
    // …while the chats themselves keep every message, as a portal does: the live page's state and an edit find 'one'.
    const state = (await get(`${emulator.url}/_emulator/state`)).body;
    const chat2 = state.chats.find((c: { id: number }) => c.id === 2);
    expect(chat2.messages.map((m: { text: string }) => m.text)).toEqual(['one', 'two', 'three']);
    emulator.editMessage(1, 'one, edited');
    expect(emulator.messages(2).map((m) => m.text)).toEqual(['three']);
    emulator.reset();
    expect(emulator.timeline()).toEqual([]);
    emulator.postMessage({ from: 2, dialogId: 'chat2', text: 'four' });
    // Seq 5 went to the reset itself (the `reset` event's id; 4 was the edit), so a cursor from before it can tell.
    expect(seqs(emulator.timeline())).toEqual([6]);
  });

  it('the default keeps everything a normal run produces', async () => {
    emulator = await startEmulator({ plan: 'off' });
    for (let i = 0; i < 50; i++) emulator.postMessage({ from: 1, dialogId: 'chat2', text: `m${i}` });
    expect(emulator.timeline()).toHaveLength(50);
    expect(emulator.timeline()[0]!.seq).toBe(1);
  });
});

describe('visibilityFrom: a renewal landing exactly at the previous visibleUntil (reference §3)', () => {
  let emulator: Emulator | undefined;
  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
  });

  const T0 = Date.parse('2026-01-01T00:00:00Z');
  async function setup() {
    let now = T0;
    emulator = await startEmulator({ plan: 'off', now: () => now });
    const hook = emulator.webhookUrl();
    return {
      e: emulator,
      at: (ms: number) => {
        now = T0 + ms;
      },
      notify: () =>
        post(`${hook}imbot.v2.Chat.InputAction.notify`, {
          botId: 10,
          botToken: 'agent-bot-token',
          dialogId: 'chat1',
          duration: 2,
        }),
    };
  }

  // §3: every notify restarts the client's timer; the old one is visible until its last instant and the new one
  // from the same instant, so the union [T0, T0+2000) ∪ [T0+2000, …) has no gap a person could see.
  it('is one continuous interval, not two with a zero-length gap', async () => {
    const s = await setup();
    expect((await s.notify()).status).toBe(200);
    s.at(2_000);
    expect((await s.notify()).status).toBe(200);
    s.at(3_000);
    expect(s.e.visibility('chat1', 10)).toEqual([{ from: T0, to: null, endCause: null, calls: 2 }]);
    expect(s.e.visibleThroughout('chat1', 10, T0, T0 + 3_000)).toBe(true);
  });

  it('stays continuous when an observer materialised the expiry at that instant before the renewal arrived', async () => {
    const s = await setup();
    await s.notify();
    s.at(2_000);
    expect(s.e.indicators()).toEqual([]); // at visibleUntil itself the old timer has run out
    expect(s.e.timeline().at(-1)).toMatchObject({ kind: 'hide', cause: 'expired', time: T0 + 2_000 });
    await s.notify();
    s.at(4_000);
    expect(s.e.visibility('chat1', 10)).toEqual([{ from: T0, to: T0 + 4_000, endCause: 'expired', calls: 2 }]);
    // One millisecond later is a real gap, as before.
    await s.notify();
    s.at(6_001);
    await s.notify();
    expect(s.e.visibility('chat1', 10)).toEqual([
      { from: T0, to: T0 + 6_000, endCause: 'expired', calls: 3 },
      { from: T0 + 6_001, to: null, endCause: null, calls: 1 },
    ]);
  });
});
