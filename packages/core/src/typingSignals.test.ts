import { asyncScheduler, NEVER, Observable, Subject, type Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { B24InputError } from './B24InputError';
import { DEFAULT_TYPING_POLICY, resolveTypingPolicy, type TypingSignal, typingSignals } from './typingSignals';

/**
 * Every `expectObservable` below takes an unsubscription marble (`'^ …ms !'`) past its last expected frame: run
 * mode has no frame limit, so a stream that renews forever would spin until the heap runs out instead of failing.
 * An expected `|` before the `!` still fails when the completion is missing.
 */
function testScheduler() {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** lifetime 10, margin 3 → renew every 7 frames; idle after 4 frames without a keystroke. */
const SMALL = { lifetimeMs: 10, marginMs: 3, idleMs: 4 };

/** Marble values whose `at` is the frame the marble puts them on. */
function at(frames: Record<string, [TypingSignal['type'], number, string?]>): Record<string, TypingSignal> {
  const out: Record<string, TypingSignal> = {};
  for (const [key, [type, frame, reason]] of Object.entries(frames)) {
    out[key] = type === 'stop' ? { type, reason: reason as 'idle', at: frame } : { type, at: frame };
  }
  return out;
}

describe('typingSignals', () => {
  it('starts on the first keystroke at once (leading edge, no debounce)', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const keys = hot('   --a-a');
      // keystrokes at 2 and 4: at 9 the last one is 5 old, so the indicator goes idle
      expectObservable(typingSignals(keys, NEVER, SMALL), '^ 10ms !').toBe(
        '--s 6ms i',
        at({ s: ['start', 2], i: ['stop', 9, 'idle'] }),
      );
    });
  });

  it('renews on a timer at lifetime − margin while keystrokes continue, then goes idle', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      // keystrokes at 0, 2, … 20
      const keys = hot('a-a-a-a-a-a-a-a-a-a-a');
      expectObservable(typingSignals(keys, NEVER, SMALL), '^ 40ms !').toBe(
        's 6ms r 6ms q 6ms p 6ms i',
        at({ s: ['start', 0], r: ['renew', 7], q: ['renew', 14], p: ['renew', 21], i: ['stop', 28, 'idle'] }),
      );
    });
  });

  it('does not renew when the last keystroke is older than idleMs, and restarts on the next one', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const keys = hot('a 9ms b 19ms c');
      expectObservable(typingSignals(keys, NEVER, SMALL), '^ 40ms !').toBe(
        's 6ms i 2ms t 6ms j 12ms u 6ms k',
        at({
          s: ['start', 0],
          i: ['stop', 7, 'idle'],
          t: ['start', 10],
          j: ['stop', 17, 'idle'],
          u: ['start', 30],
          k: ['stop', 37, 'idle'],
        }),
      );
    });
  });

  it('renews when a keystroke falls within idleMs of the renewal, and not again after', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const keys = hot('a 4ms b'); // 0 and 5: at 7 the last keystroke is 2 old, at 14 it is 9 old
      expectObservable(typingSignals(keys, NEVER, SMALL), '^ 30ms !').toBe(
        's 6ms r 6ms i',
        at({ s: ['start', 0], r: ['renew', 7], i: ['stop', 14, 'idle'] }),
      );
    });
  });

  it('counts a keystroke exactly idleMs old as recent', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const keys = hot('a 2ms b'); // 0 and 3: at 7 the last keystroke is exactly 4 old; at 14 it is 11 old → idle
      expectObservable(typingSignals(keys, NEVER, SMALL), '^ 20ms !').toBe(
        's 6ms r 6ms i',
        at({ s: ['start', 0], r: ['renew', 7], i: ['stop', 14, 'idle'] }),
      );
    });
  });

  it('stops on sent, starts fresh on the next keystroke, and ignores sent while idle', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const keys = hot(' aaa 2ms b-b 20ms c');
      const sent = hot('---x 15ms y 2ms z');
      // sent at 3 stops; b at 5 starts fresh; at 12 the last keystroke (7) is 5 old → idle; y, z come while idle
      expectObservable(typingSignals(keys, sent, SMALL), '^ 40ms !').toBe(
        's--x 1ms t 6ms i 15ms u 6ms j',
        at({
          s: ['start', 0],
          x: ['stop', 3, 'sent'],
          t: ['start', 5],
          i: ['stop', 12, 'idle'],
          u: ['start', 28],
          j: ['stop', 35, 'idle'],
        }),
      );
    });
  });

  it('cancels the pending renewal when sent emits', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const keys = hot('aaaaaa');
      const sent = hot('-----x');
      expectObservable(typingSignals(keys, sent, SMALL), '^ 30ms !').toBe(
        's 4ms x',
        at({ s: ['start', 0], x: ['stop', 5, 'sent'] }),
      );
    });
  });

  it('starts afresh on the first keystroke after a lost call, once, and renews from that start', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const keys = hot('a-a-a-a-a-a'); // 0, 2, … 10
      const lost = hot('---x'); // the start's call did not land
      // the keystroke at 4 starts again (not the renewal at 7); 6, 8, 10 do not; renewal at 4 + 7, idle at 18
      expectObservable(typingSignals(keys, NEVER, SMALL, asyncScheduler, lost), '^ 40ms !').toBe(
        's 3ms t 6ms r 6ms i',
        at({ s: ['start', 0], t: ['start', 4], r: ['renew', 11], i: ['stop', 18, 'idle'] }),
      );
    });
  });

  it('sends nothing after a lost call when no keystroke follows', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const lost = hot('--x');
      expectObservable(typingSignals(hot('a'), NEVER, SMALL, asyncScheduler, lost), '^ 40ms !').toBe(
        's 6ms i',
        at({ s: ['start', 0], i: ['stop', 7, 'idle'] }),
      );
    });
  });

  it('counts a renewal after a lost call as its new call: the next keystroke does not start again', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const keys = hot('a 4ms b 3ms c'); // 0, 5, 9
      const lost = hot('------x'); // at 6, then the renewal at 7 goes out anyway (b is 2 old)
      expectObservable(typingSignals(keys, NEVER, SMALL, asyncScheduler, lost), '^ 30ms !').toBe(
        's 6ms r 6ms i',
        at({ s: ['start', 0], r: ['renew', 7], i: ['stop', 14, 'idle'] }),
      );
    });
  });

  it('stops and completes when keystrokes complete', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(typingSignals(cold('a-a|'), NEVER, SMALL), '^ 20ms !').toBe(
        's--(x|)',
        at({ s: ['start', 0], x: ['stop', 3, 'complete'] }),
      );
      expectObservable(typingSignals(cold('|'), NEVER, SMALL), '^ 20ms !').toBe('|');
    });
  });

  it('passes on errors of keystrokes and sent', () => {
    testScheduler().run(({ cold, hot, expectObservable }) => {
      expectObservable(typingSignals(cold('a-#', undefined, 'boom'), NEVER, SMALL), '^ 20ms !').toBe(
        's-#',
        at({ s: ['start', 0] }),
        'boom',
      );
      expectObservable(typingSignals(hot('a'), cold('--#', undefined, 'bad'), SMALL), '^ 20ms !').toBe(
        's-#',
        at({ s: ['start', 0] }),
        'bad',
      );
    });
  });

  it('uses the documented defaults: renew at 22 s, idle after 6 s', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const keys = hot('a 16000ms b'); // keystrokes at 0 and 16001: 5999 ms old at 22000
      expectObservable(typingSignals(keys), '^ 50000ms !').toBe(
        's 21999ms r 21999ms i',
        at({ s: ['start', 0], r: ['renew', 22_000], i: ['stop', 44_000, 'idle'] }),
      );
      const late = hot('a 15998ms b'); // 15999: 6001 ms old at 22000
      expectObservable(typingSignals(late), '^ 30000ms !').toBe(
        's 21999ms i',
        at({ s: ['start', 0], i: ['stop', 22_000, 'idle'] }),
      );
    });
  });

  it('leaves no timer behind after unsubscribe', () => {
    const scheduler = testScheduler();
    const keys = new Subject<void>();
    const seen: TypingSignal[] = [];
    const sub = typingSignals(keys, NEVER, SMALL, scheduler).subscribe((s) => seen.push(s));
    keys.next();
    expect(scheduler.actions.length).toBe(1);
    sub.unsubscribe();
    expect(scheduler.actions.length).toBe(0);
    scheduler.flush();
    expect(seen).toEqual([{ type: 'start', at: 0 }]);
    expect(keys.observed).toBe(false);
  });

  it('lets go of keystrokes, sent and losses though the teardown of sent throws, as RxJS runs every finalizer', () => {
    const scheduler = testScheduler();
    const keys = new Subject<void>();
    const lost = new Subject<void>();
    const sent = new Observable<never>(() => () => {
      throw new Error('sent teardown');
    });
    const sub = typingSignals(keys, sent, SMALL, scheduler, lost).subscribe();
    keys.next();
    expect(() => sub.unsubscribe()).toThrow(/sent teardown/); // still told to the one who unsubscribed
    expect(keys.observed).toBe(false);
    expect(lost.observed).toBe(false);
    expect(scheduler.actions.length).toBe(0);
  });

  it.each([
    ['start', 0],
    ['renew', 7],
  ] as const)('leaves no timer behind when unsubscribed as it hears a %s', (type, frame) => {
    // as `userTyping(…).pipe(take(1))` does: the indicator unsubscribes from within the signal's delivery
    const scheduler = testScheduler();
    scheduler.maxFrames = frame; // flush() runs what is due until that signal and stops before anything later
    const keys = new Subject<void>();
    const seen: TypingSignal[] = [];
    const sub: Subscription = typingSignals(keys, NEVER, SMALL, scheduler).subscribe((s) => {
      seen.push(s);
      if (s.type === type) sub.unsubscribe();
    });
    keys.next();
    if (type === 'renew') scheduler.schedule(() => keys.next(), 5); // within idleMs of the renewal at 7
    scheduler.flush();
    expect(seen.at(-1)).toEqual({ type, at: frame });
    expect(sub.closed).toBe(true);
    expect(scheduler.actions.length).toBe(0);
  });

  it('holds no timer while idle', () => {
    const scheduler = testScheduler();
    const keys = new Subject<void>();
    const sent = new Subject<void>();
    typingSignals(keys, sent, SMALL, scheduler).subscribe();
    expect(scheduler.actions.length).toBe(0);
    keys.next();
    sent.next();
    expect(scheduler.actions.length).toBe(0);
  });
});

describe('resolveTypingPolicy', () => {
  it('fills in the defaults', () => {
    expect(resolveTypingPolicy()).toEqual(DEFAULT_TYPING_POLICY);
    expect(DEFAULT_TYPING_POLICY).toEqual({ lifetimeMs: 25_000, marginMs: 3_000, idleMs: 6_000 });
    expect(resolveTypingPolicy({ idleMs: 2000 })).toEqual({ ...DEFAULT_TYPING_POLICY, idleMs: 2000 });
  });

  it('refuses a policy that is not an object rather than taking it for the defaults', () => {
    for (const policy of [5, 'fast', null, true]) {
      expect(() => resolveTypingPolicy(policy as never)).toThrow(
        expect.objectContaining({
          name: 'B24InputError',
          field: 'policy',
          message: expect.stringContaining('must be an object'),
        }),
      );
      expect(() => typingSignals(NEVER, NEVER, policy as never)).toThrow(B24InputError);
    }
  });

  it('takes a field given as undefined for its default, as a missing one', () => {
    expect(resolveTypingPolicy({ lifetimeMs: undefined, marginMs: undefined, idleMs: undefined })).toEqual(
      DEFAULT_TYPING_POLICY,
    );
    expect(resolveTypingPolicy({ lifetimeMs: undefined, idleMs: 2000 })).toEqual({
      ...DEFAULT_TYPING_POLICY,
      idleMs: 2000,
    });
  });

  it.each([
    [{ lifetimeMs: 0 }, 'policy.lifetimeMs'],
    [{ marginMs: -1 }, 'policy.marginMs'],
    [{ idleMs: Number.NaN }, 'policy.idleMs'],
    [{ idleMs: 30_000 }, 'policy.idleMs'],
    [{ lifetimeMs: 10_000, idleMs: 10_001 }, 'policy.idleMs'],
  ])('rejects %j naming %s', (policy, field) => {
    expect(() => typingSignals(NEVER, NEVER, policy)).toThrow(B24InputError);
    try {
      resolveTypingPolicy(policy);
    } catch (e) {
      expect((e as B24InputError).field).toBe(field);
    }
  });

  it('takes an idleMs equal to the lifetime, the largest it allows', () => {
    expect(resolveTypingPolicy({ lifetimeMs: 10_000, idleMs: 10_000 })).toEqual({
      lifetimeMs: 10_000,
      marginMs: 3_000,
      idleMs: 10_000,
    });
  });

  it('caps a margin larger than half the lifetime', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const keys = hot('aaaaaaaaaaaa');
      expectObservable(typingSignals(keys, NEVER, { lifetimeMs: 10, marginMs: 9, idleMs: 4 }), '^ 11ms !').toBe(
        's 4ms r 4ms q',
        at({ s: ['start', 0], r: ['renew', 5], q: ['renew', 10] }),
      );
    });
  });
});
