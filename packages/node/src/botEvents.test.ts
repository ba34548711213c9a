import { B24Error, type Transport } from '@b24-typing/core';
import { retry } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BotEvent } from './BotEvent';
import { botEvents } from './botEvents';
import { createWebhookTransport } from './createWebhookTransport';

/**
 * Timing only: a scripted Transport (core's interface, not a fake server) answers each poll with the next
 * scripted reply, and fake timers move the clock. Polling over HTTP with faults is in botEvents.emulator.test.ts.
 */
function scripted(replies: ((params: Record<string, unknown>) => unknown)[]) {
  const calls: { at: number; params: Record<string, unknown>; signal?: AbortSignal }[] = [];
  const transport: Transport = {
    async call(method, params, options) {
      expect(method).toBe('imbot.v2.Event.get');
      calls.push({ at: Date.now(), params, ...(options?.signal ? { signal: options.signal } : {}) });
      const next = replies.shift();
      if (!next) return new Promise(() => {}); // no more script: hang, as a long poll would
      return next(params);
    },
  };
  return { transport, calls };
}

const page =
  (ids: number[], nextOffset: number, hasMore = false) =>
  () => ({
    events: ids.map((id) => ({
      eventId: id,
      type: 'ONIMBOTV2JOINCHAT',
      date: '2026-11-21T10:00:00+00:00',
      data: { bot: { id: 9 }, chat: { id: id, dialogId: `chat${id}` } },
    })),
    nextOffset,
    hasMore,
  });
const fail = (code: string, status?: number) => () => {
  throw new B24Error({ code, ...(status === undefined ? {} : { status }) });
};

describe('botEvents timing', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('polls at once, follows hasMore after hasMoreDelayMs, then idles intervalMs, confirming offsets', async () => {
    const { transport, calls } = scripted([page([1, 2], 3, true), page([3], 4), page([], 4)]);
    const seen: BotEvent[] = [];
    const sub = botEvents(transport, { botId: 9, botToken: 'bt', intervalMs: 5000, hasMoreDelayMs: 2000 }).subscribe(
      (e) => seen.push(e),
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.map((c) => c.at)).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1999);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.map((c) => c.at)).toEqual([0, 2000]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls.map((c) => c.at)).toEqual([0, 2000, 7000]);
    expect(calls.map((c) => c.params.offset)).toEqual([undefined, 3, 4]);
    expect(calls[0]!.params).toMatchObject({ botId: 9, botToken: 'bt', limit: 100 });
    expect(seen.map((e) => e.eventId)).toEqual([1, 2, 3]);
    expect(seen[0]).toMatchObject({ type: 'ONIMBOTV2JOINCHAT', data: { chat: { dialogId: 'chat1' } } });
    sub.unsubscribe();
  });

  it('backs off exponentially on retryable errors and resets after a success, losing nothing', async () => {
    const { transport, calls } = scripted([
      page([1], 2),
      fail('INTERNAL_SERVER_ERROR', 500),
      fail('QUERY_LIMIT_EXCEEDED', 503),
      fail('TIMEOUT'),
      page([2, 3], 4),
      fail('NETWORK_ERROR'),
      page([4], 5),
    ]);
    const seen: number[] = [];
    botEvents(transport, {
      botId: 9,
      intervalMs: 100,
      backoff: { initialMs: 1000, factor: 2, maxMs: 3000, jitter: 0 },
    }).subscribe((e) => seen.push(e.eventId!));
    await vi.advanceTimersByTimeAsync(20_000);
    // 0 ok → +100 fail → +1000 fail → +2000 fail → +3000 (capped) ok → +100 fail → +1000 (reset) ok
    expect(calls.slice(0, 7).map((c) => c.at)).toEqual([0, 100, 1100, 3100, 6100, 6200, 7200]);
    expect(calls.slice(0, 7).map((c) => c.params.offset)).toEqual([undefined, 2, 2, 2, 2, 4, 4]);
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it('applies jitter within the configured fraction, never below initialMs', async () => {
    for (const [random, at] of [
      // The most jitter downwards: −50 % of 1 s would be 0.5 s, held at initialMs; −50 % of 4 s is 2 s.
      [() => 0, [0, 1000, 3000]],
      // The most jitter upwards: +50 % each time.
      [() => 1, [0, 1500, 7500]],
    ] as const) {
      const failure = fail('INTERNAL_SERVER_ERROR', 500);
      const { transport, calls } = scripted([failure, failure, page([], 1)]);
      const subscription = botEvents(transport, {
        botId: 9,
        backoff: { initialMs: 1000, factor: 4, jitter: 0.5 },
        random,
      }).subscribe();
      await vi.advanceTimersByTimeAsync(20_000);
      expect(calls.map((c) => c.at).slice(0, 3)).toEqual(at);
      subscription.unsubscribe();
      vi.setSystemTime(0);
    }
  });

  it('never lets jitter take a backoff past maxMs: the ceiling holds whatever the random draw', async () => {
    const failure = fail('QUERY_LIMIT_EXCEEDED', 429);
    const { transport, calls } = scripted([failure, failure, failure, failure]);
    const subscription = botEvents(transport, {
      botId: 9,
      backoff: { initialMs: 1000, factor: 2, maxMs: 3000, jitter: 0.2 },
      random: () => 1, // the most jitter upwards: +20 %, which took 3 s to 3.6 s
    }).subscribe();
    await vi.advanceTimersByTimeAsync(20_000);
    // 0 fail → +1.2 s fail → +2.4 s fail → +3 s (4 s + 20 %, held at maxMs) fail → +3 s
    expect(calls.map((c) => c.at)).toEqual([0, 1200, 3600, 6600, 9600]);
    subscription.unsubscribe();
  });

  it('waits initialMs when it is above maxMs: the floor (an idle poll) wins over the ceiling', async () => {
    const failure = fail('QUERY_LIMIT_EXCEEDED', 429);
    const { transport, calls } = scripted([failure, failure, failure]);
    // intervalMs 2 min with the default maxMs (60 s): a 429 is still not retried sooner than an idle poll.
    const subscription = botEvents(transport, { botId: 9, intervalMs: 120_000, random: () => 1 }).subscribe();
    await vi.advanceTimersByTimeAsync(400_000);
    expect(calls.map((c) => c.at)).toEqual([0, 120_000, 240_000, 360_000]);
    subscription.unsubscribe();
  });

  it('defaults to 2 s after a page with hasMore and 5 s after one that drained the queue', async () => {
    const { transport, calls } = scripted([page([1], 2, true), page([2], 3), page([], 3)]);
    const subscription = botEvents(transport, { botId: 9 }).subscribe();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls.map((c) => c.at)).toEqual([0, 2000, 7000]);
    subscription.unsubscribe();
  });

  it('skips an event id delivered before, should the portal repeat it', async () => {
    const { transport } = scripted([page([1, 2], 2), page([2, 3], 4)]);
    const seen: number[] = [];
    botEvents(transport, { botId: 9, intervalMs: 10 }).subscribe((e) => seen.push(e.eventId!));
    await vi.advanceTimersByTimeAsync(100);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('remembers the last 10,000 ids delivered: an older repeat is delivered again, a newer one still skipped', async () => {
    // A portal that holds nextOffset back hands out the same ids again; what is remembered is bounded, not the set
    // of every id ever seen.
    const first = Array.from({ length: 10_000 }, (_, i) => i + 1);
    const { transport } = scripted([page(first, 1), page([1, 10_001], 1), page([1, 3], 1)]);
    const seen: number[] = [];
    botEvents(transport, { botId: 9, intervalMs: 10 }).subscribe((e) => seen.push(e.eventId!));
    await vi.advanceTimersByTimeAsync(25);
    expect(seen).toHaveLength(10_002);
    // 1 is skipped while remembered; delivering 10,001 pushes it out, so it comes again (pushing out 2), while 3 is still skipped.
    expect(seen.slice(10_000)).toEqual([10_001, 1]);
  });

  it('reads hasMore as the portal may spell it (true, "Y", 1, "1"), following it after hasMoreDelayMs', async () => {
    const more = (hasMore: unknown) => () => ({ ...page([], 1)(), hasMore });
    const { transport, calls } = scripted([more('Y'), more(1), more('1'), more(true), more('N'), more(0)]);
    const subscription = botEvents(transport, { botId: 9, intervalMs: 5000, hasMoreDelayMs: 2000 }).subscribe();
    await vi.advanceTimersByTimeAsync(13_000);
    expect(calls.map((c) => c.at)).toEqual([0, 2000, 4000, 6000, 8000, 13_000]);
    subscription.unsubscribe();
  });

  it('delivers a page whose events come out of id order in id order, losing none of them', async () => {
    // The reference (§4.4) does not say a page is ordered by eventId: skipping every id at or below the last one
    // delivered lost 5 and 6 of [7, 5, 6], and nextOffset 8 confirmed them, so the portal never sent them again.
    const { transport, calls } = scripted([page([7, 5, 6], 8), page([], 8)]);
    const seen: number[] = [];
    botEvents(transport, { botId: 9, intervalMs: 10 }).subscribe((e) => seen.push(e.eventId!));
    await vi.advanceTimersByTimeAsync(15);
    expect(calls.map((c) => c.params.offset)).toEqual([undefined, 8]);
    expect(seen).toEqual([5, 6, 7]);
  });

  it('delivers an event a later page brings with an id below one delivered, and still skips the repeats', async () => {
    // Event 6 shows up only in the second page (committed after 7 was read): it was never delivered, so it is no repeat.
    const { transport } = scripted([
      page([5, 7], 6, true),
      page([6, 7, 8], 9),
      page([8, null as unknown as number, 9], 10),
    ]);
    const seen: (number | undefined)[] = [];
    botEvents(transport, { botId: 9, intervalMs: 10, hasMoreDelayMs: 10 }).subscribe((e) => seen.push(e.eventId));
    await vi.advanceTimersByTimeAsync(25);
    expect(seen).toEqual([5, 7, 6, 8, undefined, 9]);
  });

  it('delivers an event with a malformed dialogId untyped, and keeps polling past it', async () => {
    const { transport, calls } = scripted([
      () => ({
        events: [
          { eventId: 1, type: 'ONIMBOTV2JOINCHAT', data: { bot: { id: 9 }, chat: { id: 1, dialogId: 'chatX' } } },
          { eventId: 2, type: 'ONIMBOTV2JOINCHAT', data: { bot: { id: 9 }, chat: { id: 2, dialogId: 'sg2' } } },
        ],
        nextOffset: 3,
      }),
    ]);
    const seen: BotEvent[] = [];
    botEvents(transport, { botId: 9, intervalMs: 10 }).subscribe((e) => seen.push(e));
    await vi.advanceTimersByTimeAsync(100);
    expect(seen).toMatchObject([
      { type: 'other', eventType: 'ONIMBOTV2JOINCHAT', eventId: 1, data: { chat: { dialogId: 'chatX' } } },
      { type: 'ONIMBOTV2JOINCHAT', eventId: 2, data: { chat: { dialogId: 'sg2' } } },
    ]);
    expect(calls.map((c) => c.params.offset)).toEqual([undefined, 3]);
  });

  it('never lets a "__proto__" key in an Event.get item become the prototype of a typed field', async () => {
    // JSON.parse keeps "__proto__" as an own key; copying it by assignment would set the copy's prototype, so an
    // inherited `bot: true` (or any field) would show through fields the portal never sent.
    const { transport } = scripted([
      () =>
        JSON.parse(`{"events": [{"eventId": 1, "type": "ONIMBOTV2MESSAGEADD", "data": {
          "bot": {"id": 9},
          "message": {"id": 1, "chatId": 1, "authorId": 3, "text": "hi"},
          "chat": {"id": 1, "dialogId": "chat1"},
          "user": {"id": 3, "__proto__": {"bot": true, "name": "Admin"}}
        }}], "nextOffset": 2}`),
    ]);
    const seen: BotEvent[] = [];
    botEvents(transport, { botId: 9, intervalMs: 10 }).subscribe((e) => seen.push(e));
    await vi.advanceTimersByTimeAsync(5);
    // Refused as parseBotEvent refuses it in a webhook body, so delivered untyped, with the data as sent.
    expect(seen).toMatchObject([{ type: 'other', eventType: 'ONIMBOTV2MESSAGEADD', eventId: 1 }]);
    const user = (seen[0]!.data as Record<string, unknown>).user as Record<string, unknown>;
    expect(Object.getPrototypeOf(user)).toBe(Object.prototype);
    expect(user.bot).toBeUndefined();
    expect(user.name).toBeUndefined();
  });

  it('errors the stream on input, access and auth errors instead of retrying', async () => {
    for (const code of ['BOT_NOT_FOUND', 'ACCESS_DENIED', 'NO_AUTH_FOUND']) {
      const { transport, calls } = scripted([fail(code, 400), page([1], 2)]);
      const error = vi.fn();
      botEvents(transport, { botId: 9 }).subscribe({ error });
      await vi.advanceTimersByTimeAsync(60_000);
      expect(error).toHaveBeenCalledWith(expect.objectContaining({ code }));
      expect(calls).toHaveLength(1);
    }
  });

  it('errors the stream on a refusal from another copy of core too (dual ESM/CommonJS install), not only instanceof', async () => {
    // What a B24Error of a second copy of @b24-typing/core looks like from here: not our class, same shape.
    class B24ErrorCopy extends Error {
      override name = 'B24Error';
      readonly code = 'ACCESS_DENIED';
      readonly kind = 'access';
    }
    const { transport, calls } = scripted([
      () => {
        throw new B24ErrorCopy('ACCESS_DENIED');
      },
      page([1], 2),
    ]);
    const error = vi.fn();
    botEvents(transport, { botId: 9 }).subscribe({ error });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(error).toHaveBeenCalledWith(expect.objectContaining({ code: 'ACCESS_DENIED', kind: 'access' }));
    expect(calls).toHaveLength(1);
  });

  it('stops polling and aborts the poll in flight on unsubscribe', async () => {
    const { transport, calls } = scripted([page([1], 2)]);
    const sub = botEvents(transport, { botId: 9, intervalMs: 1000 }).subscribe();
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toHaveLength(2); // the second hangs
    expect(calls[1]!.signal?.aborted).toBe(false);
    sub.unsubscribe();
    expect(calls[1]!.signal?.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stops after a subscriber takes what it needs mid-page', async () => {
    const { transport, calls } = scripted([page([1, 2, 3], 4)]);
    const seen: number[] = [];
    const sub = botEvents(transport, { botId: 9, intervalMs: 10 }).subscribe((e) => {
      seen.push(e.eventId!);
      if (seen.length === 2) sub.unsubscribe();
    });
    await vi.advanceTimersByTimeAsync(1000);
    expect(seen).toEqual([1, 2]);
    expect(calls).toHaveLength(1);
  });

  it('validates its options before polling', () => {
    const { transport, calls } = scripted([]);
    expect(() => botEvents(transport, { botId: 0 })).toThrow(
      expect.objectContaining({ field: 'botId', kind: 'input' }),
    );
    expect(() => botEvents(transport, { botId: 1, limit: 1001 })).toThrow(expect.objectContaining({ field: 'limit' }));
    expect(() => botEvents(transport, { botId: 1, botToken: '' })).toThrow(
      expect.objectContaining({ field: 'botToken' }),
    );
    expect(() => botEvents(transport, { botId: 1, intervalMs: -1 })).toThrow(
      expect.objectContaining({ field: 'intervalMs' }),
    );
    expect(calls).toHaveLength(0);
  });

  it('refuses a backoff that is not an object and a withUserEvents that is not a boolean, before polling', async () => {
    // Unchecked, `backoff: 5000` was silently the default backoff, and `withUserEvents: 'false'` (an env variable
    // passed on as it is) asked the portal for user events.
    const { transport, calls } = scripted([page([1], 2)]);
    for (const [field, value] of [
      ['backoff', 5000],
      ['backoff', null],
      ['backoff', 'exponential'],
      ['withUserEvents', 'false'],
      ['withUserEvents', 1],
      ['withUserEvents', null],
    ] as const) {
      expect(() => botEvents(transport, { botId: 9, [field]: value as never }), `${field}: ${value}`).toThrow(
        expect.objectContaining({ name: 'B24InputError', field, kind: 'input' }),
      );
    }
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toHaveLength(0);
  });

  it('waits at least intervalMs after a failed poll by default: a 429 is never retried sooner than an idle poll', async () => {
    const { transport, calls } = scripted([
      fail('QUERY_LIMIT_EXCEEDED', 429),
      fail('OPERATION_TIME_LIMIT', 429),
      page([1], 2),
      fail('QUERY_LIMIT_EXCEEDED', 503),
    ]);
    // random 0.5: no jitter, so the delays are exact.
    botEvents(transport, { botId: 9, random: () => 0.5 }).subscribe();
    await vi.advanceTimersByTimeAsync(30_000);
    // The platform recommends polling every 5–30 s and an exponential backoff on 429 (reference §4.4, §7):
    // 0 fail → +5 s fail → +10 s ok → +5 s (idle) fail → +5 s (backoff starts over)
    expect(calls.map((c) => c.at)).toEqual([0, 5000, 15_000, 20_000, 25_000]);
  });

  it('never lets jitter take a backoff below its start: by default a 429 waits at least an idle poll', async () => {
    const { transport, calls } = scripted([fail('QUERY_LIMIT_EXCEEDED', 429), fail('QUERY_LIMIT_EXCEEDED', 429)]);
    // random 0: the most jitter downwards (−20 %), which took the first retry to 4 s, sooner than an idle poll.
    botEvents(transport, { botId: 9, random: () => 0 }).subscribe();
    await vi.advanceTimersByTimeAsync(30_000);
    // 0 fail → +5 s (not 4 s: held at intervalMs) fail → +8 s (10 s − 20 %: jitter still spreads later retries)
    expect(calls.map((c) => c.at)).toEqual([0, 5000, 13_000]);
  });

  it('scales the default backoff from a custom intervalMs', async () => {
    const { transport, calls } = scripted([fail('INTERNAL_SERVER_ERROR', 500), fail('INTERNAL_SERVER_ERROR', 500)]);
    botEvents(transport, { botId: 9, intervalMs: 20_000, random: () => 0.5 }).subscribe();
    await vi.advanceTimersByTimeAsync(70_000);
    expect(calls.map((c) => c.at)).toEqual([0, 20_000, 60_000]);
  });

  it('refuses a backoff that shrinks to nothing: a jitter above 1 (20 for "20 %") or a factor below 1', () => {
    // jitter 20 made every other delay negative, run as 0 ms; a factor of 0.5 halved the delay after each failure:
    // either way a 429 was retried in a loop against the portal.
    const { transport, calls } = scripted([]);
    expect(() => botEvents(transport, { botId: 9, backoff: { jitter: 20 } })).toThrow(
      expect.objectContaining({ field: 'backoff.jitter', kind: 'input' }),
    );
    expect(() => botEvents(transport, { botId: 9, backoff: { factor: 0.5 } })).toThrow(
      expect.objectContaining({ field: 'backoff.factor', kind: 'input' }),
    );
    expect(() => botEvents(transport, { botId: 9, backoff: { factor: 1, jitter: 1 } })).not.toThrow();
    expect(calls).toHaveLength(0);
  });

  it('keeps a retry within initialMs and maxMs whatever random returns (undefined, NaN, no fraction)', async () => {
    // A `random` that forgets to return (`() => { Math.random() }`) gave a NaN delay, which a timer runs at once:
    // a 429 retried in a loop against the portal, and onRetry told "retrying in NaN ms".
    for (const [draw, delayMs] of [
      [undefined, 5000],
      [Number.NaN, 5000],
      [-1, 5000],
      [4_294_967_295, 6000],
    ] as const) {
      const failure = fail('QUERY_LIMIT_EXCEEDED', 429);
      const { transport, calls } = scripted([failure, failure]);
      const delays: number[] = [];
      const subscription = botEvents(transport, {
        botId: 9,
        random: () => draw as number,
        onRetry: (_error, ms) => delays.push(ms),
      }).subscribe();
      await vi.advanceTimersByTimeAsync(5999);
      expect(delays[0], String(draw)).toBe(delayMs);
      expect(
        calls.map((c) => c.at),
        String(draw),
      ).toEqual(delayMs === 5000 ? [0, 5000] : [0]);
      subscription.unsubscribe();
      vi.setSystemTime(0);
    }
  });

  it('backs off from 1 s at least, whatever a short intervalMs (0 would retry a 429 in a loop)', async () => {
    const { transport, calls } = scripted([fail('QUERY_LIMIT_EXCEEDED', 429), fail('QUERY_LIMIT_EXCEEDED', 429)]);
    botEvents(transport, { botId: 9, intervalMs: 0, random: () => 0.5 }).subscribe();
    await vi.advanceTimersByTimeAsync(3_500);
    expect(calls.map((c) => c.at)).toEqual([0, 1000, 3000]);
  });

  it('completes after ONIMBOTV2DELETE, the last event a bot gets, confirming it and polling no more', async () => {
    const { transport, calls } = scripted([
      () => ({
        events: [
          { eventId: 1, type: 'ONIMBOTV2JOINCHAT', data: { bot: { id: 9 }, chat: { id: 1, dialogId: 'chat1' } } },
          { eventId: 2, type: 'ONIMBOTV2DELETE', data: { bot: { id: 9, code: 'agent' } } },
        ],
        nextOffset: 3,
        hasMore: false,
      }),
      fail('BOT_NOT_FOUND', 400),
    ]);
    const seen: string[] = [];
    const offsets: number[] = [];
    const complete = vi.fn();
    const error = vi.fn();
    botEvents(transport, { botId: 9, intervalMs: 10, onOffset: (o) => offsets.push(o) }).subscribe({
      next: (e) => seen.push(e.type),
      complete,
      error,
    });
    await vi.advanceTimersByTimeAsync(1000);
    expect(seen).toEqual(['ONIMBOTV2JOINCHAT', 'ONIMBOTV2DELETE']);
    expect(offsets).toEqual([3]);
    expect(complete).toHaveBeenCalledTimes(1);
    expect(error).not.toHaveBeenCalled();
    expect(calls).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('completes after a malformed ONIMBOTV2DELETE for this bot too, delivered untyped, instead of erroring', async () => {
    for (const data of [
      { bot: { id: 9, code: 'agent', countChat: 'many' } }, // a field that does not read: the id still does
      { bot: { id: '9', countChat: [] } },
      { bot: { id: '' } },
      { bot: 'agent' },
      {},
      undefined,
    ]) {
      const { transport, calls } = scripted([
        () => ({ events: [{ eventId: 2, type: 'ONIMBOTV2DELETE', data }], nextOffset: 3, hasMore: false }),
        // The bot is gone: what the next poll would meet.
        fail('BOT_NOT_FOUND', 400),
      ]);
      const seen: BotEvent[] = [];
      const offsets: number[] = [];
      const complete = vi.fn();
      const error = vi.fn();
      botEvents(transport, { botId: 9, intervalMs: 10, onOffset: (o) => offsets.push(o) }).subscribe({
        next: (e) => seen.push(e),
        complete,
        error,
      });
      await vi.advanceTimersByTimeAsync(1000);
      const label = JSON.stringify(data);
      expect(seen, label).toEqual([
        expect.objectContaining({ type: 'other', eventType: 'ONIMBOTV2DELETE', eventId: 2 }),
      ]);
      expect(offsets, label).toEqual([3]);
      expect(error, label).not.toHaveBeenCalled();
      expect(complete, label).toHaveBeenCalledTimes(1);
      expect(calls, label).toHaveLength(1);
      expect(vi.getTimerCount(), label).toBe(0);
    }
  });

  it('keeps polling after a malformed ONIMBOTV2DELETE that names another bot', async () => {
    const { transport, calls } = scripted([
      () => ({
        events: [{ eventId: 1, type: 'ONIMBOTV2DELETE', data: { bot: { id: '8', countChat: 'many' } } }],
        nextOffset: 2,
      }),
      page([], 2),
    ]);
    const complete = vi.fn();
    botEvents(transport, { botId: 9, intervalMs: 10 }).subscribe({ complete });
    await vi.advanceTimersByTimeAsync(15);
    expect(calls).toHaveLength(2);
    expect(complete).not.toHaveBeenCalled();
  });

  it('keeps polling after an ONIMBOTV2DELETE about another bot', async () => {
    const { transport, calls } = scripted([
      () => ({ events: [{ eventId: 1, type: 'ONIMBOTV2DELETE', data: { bot: { id: 8 } } }], nextOffset: 2 }),
      page([], 2),
    ]);
    const complete = vi.fn();
    botEvents(transport, { botId: 9, intervalMs: 10 }).subscribe({ complete });
    await vi.advanceTimersByTimeAsync(15);
    expect(calls).toHaveLength(2);
    expect(complete).not.toHaveBeenCalled();
  });

  it('errors the stream with what onOffset throws, instead of stalling with an unhandled rejection', async () => {
    const { transport, calls } = scripted([page([1], 2), page([2], 3)]);
    const failure = new Error('offset store is down');
    const seen: number[] = [];
    const error = vi.fn();
    botEvents(transport, {
      botId: 9,
      intervalMs: 10,
      onOffset: () => {
        throw failure;
      },
    }).subscribe({ next: (e) => seen.push(e.eventId!), error });
    await vi.advanceTimersByTimeAsync(1000);
    expect(seen).toEqual([1]);
    expect(error).toHaveBeenCalledWith(failure);
    expect(calls).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('polls no more when the subscriber leaves from inside onOffset (an app that stops once the offset is saved)', async () => {
    const { transport, calls } = scripted([page([1], 2), page([2], 3)]);
    const seen: number[] = [];
    const subscription = botEvents(transport, {
      botId: 9,
      intervalMs: 10,
      onOffset: () => subscription.unsubscribe(),
    }).subscribe((e) => seen.push(e.eventId!));
    await vi.advanceTimersByTimeAsync(1000);
    expect(seen).toEqual([1]);
    expect(calls).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('completes, polling no more and leaving no timer, once the transport is closed (CLIENT_CLOSED)', async () => {
    // A real transport, closed by the app: its refusal is what the poll after close() gets.
    const closed = createWebhookTransport('http://127.0.0.1:9/rest/1/closedcode/');
    await closed.close();
    const afterClose = (params: Record<string, unknown>) => closed.call('imbot.v2.Event.get', params);
    // Every poll after the first meets the closed transport (a retrying loop would take them all).
    const { transport, calls } = scripted([page([1], 2), ...Array.from({ length: 20 }, () => afterClose)]);
    const seen: number[] = [];
    const complete = vi.fn();
    const error = vi.fn();
    botEvents(transport, { botId: 9, intervalMs: 10 }).subscribe({
      next: (e) => seen.push(e.eventId!),
      complete,
      error,
    });
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(seen).toEqual([1]);
    expect(calls).toHaveLength(2);
    expect(complete).toHaveBeenCalledTimes(1);
    expect(error).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('ignores a nextOffset that is not a whole number ("", false, true, "3.5"), never reading it as 0 or 1', async () => {
    const odd = (nextOffset: unknown) => () => ({ events: [], nextOffset, hasMore: false });
    const { transport, calls } = scripted([
      page([1, 2], 3),
      odd(''),
      odd(false),
      odd(true),
      odd('3.5'),
      odd([]),
      odd(' '),
      odd(-1),
      odd('7'),
    ]);
    const offsets: number[] = [];
    botEvents(transport, { botId: 9, intervalMs: 10, onOffset: (o) => offsets.push(o) }).subscribe();
    await vi.advanceTimersByTimeAsync(95);
    // Each odd value leaves the confirmed offset where it was; a numeric string (PHP may send one) still counts.
    expect(calls.map((c) => c.params.offset)).toEqual([undefined, 3, 3, 3, 3, 3, 3, 3, 3, 7]);
    expect(offsets).toEqual([3, 7]);
  });

  it('never moves the offset backwards: an older one would hand events already emitted out again after a restart', async () => {
    const { transport, calls } = scripted([page([5, 6], 7), page([], 2), page([7], 8)]);
    const offsets: number[] = [];
    const seen: number[] = [];
    botEvents(transport, { botId: 9, intervalMs: 10, onOffset: (o) => offsets.push(o) }).subscribe((e) =>
      seen.push(e.eventId!),
    );
    await vi.advanceTimersByTimeAsync(35);
    expect(calls.map((c) => c.params.offset)).toEqual([undefined, 7, 7, 8]);
    expect(offsets).toEqual([7, 8]);
    expect(seen).toEqual([5, 6, 7]);
  });

  it('delivers an event whose eventId is null or empty instead of taking it for id 0, a repeat to skip', async () => {
    const { transport } = scripted([
      page([1], 2),
      () => ({
        events: [
          { eventId: null, type: 'ONIMBOTV2JOINCHAT', data: { bot: { id: 9 }, chat: { id: 2, dialogId: 'chat2' } } },
          { eventId: '', type: 'ONIMBOTV2JOINCHAT', data: { bot: { id: 9 }, chat: { id: 3, dialogId: 'chat3' } } },
        ],
        nextOffset: 4,
      }),
    ]);
    const seen: BotEvent[] = [];
    botEvents(transport, { botId: 9, intervalMs: 10 }).subscribe((e) => seen.push(e));
    await vi.advanceTimersByTimeAsync(15);
    expect(seen.map((e) => e.type === 'ONIMBOTV2JOINCHAT' && e.data.chat.dialogId)).toEqual([
      'chat1',
      'chat2',
      'chat3',
    ]);
    expect(seen.map((e) => e.eventId)).toEqual([1, undefined, undefined]);
  });

  it('reports each failed poll it retries through onRetry, with the error and the delay, before the wait', async () => {
    const { transport, calls } = scripted([
      fail('QUERY_LIMIT_EXCEEDED', 503),
      () => {
        throw new TypeError('a buggy transport'); // not a B24Error: still retried, reported as one
      },
      page([1], 2),
      fail('NETWORK_ERROR'),
      page([], 2),
    ]);
    const retries: { at: number; code: string; kind: string; delayMs: number; polls: number }[] = [];
    botEvents(transport, {
      botId: 9,
      intervalMs: 100,
      backoff: { initialMs: 1000, factor: 2, maxMs: 3000, jitter: 0 },
      onRetry: (error, delayMs) => {
        expect(error).toBeInstanceOf(B24Error);
        retries.push({ at: Date.now(), code: error.code, kind: error.kind, delayMs, polls: calls.length });
      },
    }).subscribe();
    await vi.advanceTimersByTimeAsync(10_000);
    // 0 fail → +1 s fail → +2 s ok → +100 ms fail → +1 s (reset) ok: each reported as it fails, before its wait.
    expect(calls.slice(0, 5).map((c) => c.at)).toEqual([0, 1000, 3000, 3100, 4100]);
    expect(retries).toEqual([
      { at: 0, code: 'QUERY_LIMIT_EXCEEDED', kind: 'rate', delayMs: 1000, polls: 1 },
      { at: 1000, code: 'TRANSPORT_ERROR', kind: 'network', delayMs: 2000, polls: 2 },
      { at: 3100, code: 'NETWORK_ERROR', kind: 'network', delayMs: 1000, polls: 4 },
    ]);
  });

  it('passes onRetry the delay actually waited, jitter and the initialMs floor applied', async () => {
    const delays: number[] = [];
    const failure = fail('INTERNAL_SERVER_ERROR', 500);
    const { transport, calls } = scripted([failure, failure, failure]);
    const subscription = botEvents(transport, {
      botId: 9,
      backoff: { initialMs: 1000, factor: 4, jitter: 0.5 },
      random: () => 0, // the most jitter downwards: 0.5 s held at initialMs, then 2 s
      onRetry: (_error, delayMs) => delays.push(delayMs),
    }).subscribe();
    await vi.advanceTimersByTimeAsync(3000);
    expect(calls.map((c) => c.at)).toEqual([0, 1000, 3000]);
    expect(delays).toEqual([1000, 2000, 8000]);
    subscription.unsubscribe();
  });

  it('passes onRetry whole milliseconds, jitter rounded (a log line reads "retrying in 5323 ms")', async () => {
    const delays: number[] = [];
    const { transport } = scripted([fail('INTERNAL_SERVER_ERROR', 500)]);
    const subscription = botEvents(transport, {
      botId: 9,
      backoff: { initialMs: 5000, jitter: 0.2 },
      random: () => 0.7654321,
      onRetry: (_error, delayMs) => delays.push(delayMs),
    }).subscribe();
    await vi.advanceTimersByTimeAsync(0);
    expect(delays).toEqual([5531]); // 5000 × (1 + 0.2 × (2 × 0.7654321 - 1)) = 5530.86
    subscription.unsubscribe();
  });

  it('does not call onRetry for a poll it will not retry (input/access/auth, CLIENT_CLOSED) or one that succeeds', async () => {
    const closed = new B24Error({ code: 'CLIENT_CLOSED', kind: 'network' });
    for (const last of [fail('BOT_NOT_FOUND', 400), fail('AUTH_ERROR', 401), () => Promise.reject(closed)]) {
      const { transport } = scripted([page([1], 2), last]);
      const onRetry = vi.fn();
      botEvents(transport, { botId: 9, intervalMs: 10, onRetry }).subscribe({ error: () => {} });
      await vi.advanceTimersByTimeAsync(1000);
      expect(onRetry).not.toHaveBeenCalled();
    }
  });

  it.each([
    ['onRetry', 'as onOffset does'],
    ['random', 'instead of stalling with an unhandled rejection'],
  ] as const)(
    'errors the stream with what %s throws (%s), polling no more and leaving no timer',
    async (option, _why) => {
      const { transport, calls } = scripted([fail('INTERNAL_SERVER_ERROR', 500), page([1], 2)]);
      const thrown = new Error(`${option} failed`);
      const rejections: unknown[] = [];
      const onRejection = (reason: unknown) => rejections.push(reason);
      process.on('unhandledRejection', onRejection);
      try {
        const error = vi.fn();
        botEvents(transport, {
          botId: 9,
          [option]: () => {
            throw thrown;
          },
        }).subscribe({ error });
        await vi.advanceTimersByTimeAsync(120_000);
        expect(rejections).toEqual([]);
        expect(error).toHaveBeenCalledWith(thrown);
        expect(calls).toHaveLength(1);
        expect(vi.getTimerCount()).toBe(0);
      } finally {
        process.off('unhandledRejection', onRejection);
      }
    },
  );

  it.each([
    ['onOffset', [page([1], 2), page([2], 3)]],
    ['onRetry', [fail('INTERNAL_SERVER_ERROR', 500), page([1], 2)]],
  ] as const)(
    'errors the stream when the promise %s returns rejects (an async save), not as an unhandled rejection',
    async (option, replies) => {
      const { transport, calls } = scripted([...replies]);
      const rejected = new Error('the database is down');
      const rejections: unknown[] = [];
      const onRejection = (reason: unknown) => rejections.push(reason);
      process.on('unhandledRejection', onRejection);
      try {
        const error = vi.fn();
        botEvents(transport, { botId: 9, [option]: () => Promise.reject(rejected) }).subscribe({ error });
        await vi.advanceTimersByTimeAsync(120_000);
        expect(rejections).toEqual([]);
        expect(error).toHaveBeenCalledWith(rejected);
        expect(calls).toHaveLength(1);
        expect(vi.getTimerCount()).toBe(0);
      } finally {
        process.off('unhandledRejection', onRejection);
      }
    },
  );

  it('polls no more when the subscriber leaves from inside onRetry (an app giving up after an outage)', async () => {
    const { transport, calls } = scripted([fail('INTERNAL_SERVER_ERROR', 500), page([1], 2)]);
    const error = vi.fn();
    const subscription = botEvents(transport, { botId: 9, onRetry: () => subscription.unsubscribe() }).subscribe({
      error,
    });
    await vi.advanceTimersByTimeAsync(120_000);
    expect(calls).toHaveLength(1);
    expect(error).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('refuses an onOffset, onRetry or random that is not a function before polling, instead of failing after a poll', async () => {
    const { transport, calls } = scripted([page([1], 2)]);
    for (const field of ['onOffset', 'onRetry', 'random'] as const) {
      expect(() => botEvents(transport, { botId: 9, [field]: 'log' as never }), field).toThrow(
        expect.objectContaining({ name: 'B24InputError', field, kind: 'input' }),
      );
    }
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toHaveLength(0);
  });

  it('reports each confirmed offset through onOffset and resumes from a given offset', async () => {
    const { transport, calls } = scripted([page([7], 8), page([], 8)]);
    const offsets: number[] = [];
    botEvents(transport, { botId: 9, offset: 7, intervalMs: 10, onOffset: (o) => offsets.push(o) }).subscribe();
    await vi.advanceTimersByTimeAsync(15);
    expect(calls[0]!.params.offset).toBe(7);
    expect(offsets).toEqual([8, 8]);
  });

  it('reports the offset of a page whose last event made the subscriber leave, so a restart does not repeat it', async () => {
    // A bot that stops on a "stop" message (take(n), first(), an unsubscribe in the handler) saved no offset for the
    // page that held it: resumed from the saved offset, it got the same message again, and stopped again.
    const { transport, calls } = scripted([page([1, 2], 3), page([3, 4, 5], 6)]);
    const offsets: number[] = [];
    const seen: number[] = [];
    const subscription = botEvents(transport, { botId: 9, intervalMs: 10, onOffset: (o) => offsets.push(o) }).subscribe(
      (e) => {
        seen.push(e.eventId!);
        if (e.eventId === 5) subscription.unsubscribe();
      },
    );
    await vi.advanceTimersByTimeAsync(1000);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(offsets).toEqual([3, 6]);
    expect(calls).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('reports the offset after the last event delivered when the subscriber leaves mid-page, and no further', async () => {
    // Nothing was reported for such a page, so a restart from the saved offset repeated the events delivered too.
    // One past the last delivered id confirms those alone (an offset confirms the ids below it, reference §4.4).
    const { transport } = scripted([page([1, 2, 3], 4)]);
    const offsets: number[] = [];
    const seen: number[] = [];
    const subscription = botEvents(transport, { botId: 9, intervalMs: 10, onOffset: (o) => offsets.push(o) }).subscribe(
      (e) => {
        seen.push(e.eventId!);
        if (e.eventId === 2) subscription.unsubscribe();
      },
    );
    await vi.advanceTimersByTimeAsync(1000);
    expect(seen).toEqual([1, 2]);
    expect(offsets).toEqual([3]);
  });

  it('reports no offset past what the portal gave, nor one that could confirm an event without an id left behind', async () => {
    for (const [reply, leaveAt, expected] of [
      // The portal held nextOffset back at 6: one past the last delivered (7) would confirm more than it did.
      [page([5, 6, 7, 8], 6), 6, [6]],
      // An event without an id was not delivered: its id is unknown, so no offset can be shown to spare it.
      [() => ({ events: [...page([1, 2], 3)().events, { type: 'X' }], nextOffset: 4 }), 1, []],
    ] as const) {
      const { transport } = scripted([reply as () => unknown]);
      const offsets: number[] = [];
      const subscription = botEvents(transport, {
        botId: 9,
        intervalMs: 10,
        onOffset: (o) => offsets.push(o),
      }).subscribe((e) => {
        if (e.eventId === leaveAt) subscription.unsubscribe();
      });
      await vi.advanceTimersByTimeAsync(1000);
      expect(offsets, `leaving at ${leaveAt}`).toEqual(expected);
    }
  });

  it('continues from the last offset on retry(), not from the offset option, so nothing delivered comes again', async () => {
    const { transport, calls } = scripted([page([1, 2], 3), page([3], 4), page([], 4)]);
    let saves = 0;
    const seen: number[] = [];
    botEvents(transport, {
      botId: 9,
      offset: 1,
      intervalMs: 10,
      onOffset: () => {
        if (saves++ === 0) throw new Error('offset store is down');
      },
    })
      .pipe(retry())
      .subscribe((e) => seen.push(e.eventId!));
    await vi.advanceTimersByTimeAsync(15);
    expect(calls.map((c) => c.params.offset)).toEqual([1, 3, 4]);
    expect(seen).toEqual([1, 2, 3]);
  });
});

describe('botEvents delays beyond what a timer holds', () => {
  it('refuses a delay option above 2^31 - 1 ms, which Node would run after 1 ms: a poll loop against the portal', () => {
    const { transport, calls } = scripted([]);
    for (const [options, field] of [
      [{ intervalMs: 2 ** 31 }, 'intervalMs'],
      [{ hasMoreDelayMs: 3e9 }, 'hasMoreDelayMs'],
      [{ backoff: { initialMs: 2 ** 31 } }, 'backoff.initialMs'],
      [{ backoff: { maxMs: Number.MAX_SAFE_INTEGER } }, 'backoff.maxMs'],
    ] as const) {
      expect(() => botEvents(transport, { botId: 1, ...options }), field).toThrow(
        expect.objectContaining({ field, kind: 'input' }),
      );
    }
    expect(() =>
      botEvents(transport, { botId: 1, intervalMs: 2 ** 31 - 1, backoff: { maxMs: 2 ** 31 - 1 } }),
    ).not.toThrow();
    expect(calls).toHaveLength(0);
  });

  it('caps a backoff that jitter pushes past 2^31 - 1 ms, which Node would run after 1 ms (fake timers)', async () => {
    vi.useFakeTimers({ now: 0 });
    try {
      const { transport, calls } = scripted([fail('QUERY_LIMIT_EXCEEDED', 429), fail('QUERY_LIMIT_EXCEEDED', 429)]);
      const timers = vi.spyOn(globalThis, 'setTimeout');
      const delays: number[] = [];
      const subscription = botEvents(transport, {
        botId: 9,
        backoff: { initialMs: 2 ** 31 - 1, maxMs: 2 ** 31 - 1, jitter: 0.2 },
        random: () => 1, // the most jitter: 1.2 × (2^31 - 1)
        onRetry: (_error, delayMs) => delays.push(delayMs),
      }).subscribe();
      await vi.advanceTimersByTimeAsync(0);
      expect(calls).toHaveLength(1);
      expect(timers.mock.calls.at(-1)?.[1]).toBe(2 ** 31 - 1);
      expect(delays).toEqual([2 ** 31 - 1]); // what is waited, not what the formula gave
      subscription.unsubscribe();
    } finally {
      vi.useRealTimers();
    }
  });
});
