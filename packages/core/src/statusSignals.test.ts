import { NEVER, Observable, of, Subject, type Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { AgentStatus } from './AgentStatus';
import { B24InputError } from './B24InputError';
import { DEFAULT_STATUS_POLICY, resolveStatusPolicy, type StatusSignal, statusSignals } from './statusSignals';

/**
 * Every `expectObservable` below takes an unsubscription marble (`'^ …ms !'`) past its last expected frame: run
 * mode has no frame limit, so a stream that renews forever would spin until the heap runs out instead of failing.
 * An expected `|` before the `!` still fails when the completion is missing.
 */
function testScheduler() {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

const CODE: Record<string, string | undefined> = {
  thinking: 'IMBOT_AGENT_ACTION_THINKING',
  searching: 'IMBOT_AGENT_ACTION_SEARCHING',
  composing: 'IMBOT_AGENT_ACTION_COMPOSING',
  typing: undefined,
};

function sig(type: StatusSignal['type'], status: AgentStatus, at: number, durationSec = 30): StatusSignal {
  return { type, status, statusMessageCode: status in CODE ? CODE[status] : status, durationSec, at };
}

const S = { t: 'thinking', s: 'searching', c: 'composing', y: 'typing' } as const;

describe('statusSignals', () => {
  it('starts at once with duration = leaseSec and renews at lease − margin while the work runs', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const until = cold('60000ms x');
      expectObservable(statusSignals(of('thinking'), until), '^ 90000ms !').toBe('s 26999ms r 26999ms q 5999ms |', {
        s: sig('start', 'thinking', 0),
        r: sig('renew', 'thinking', 27_000),
        q: sig('renew', 'thinking', 54_000),
      });
    });
  });

  it('sends a change at once once the shown status has stood minDwellMs, and restarts the lease', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const status = hot('t 1499ms s', S);
      expectObservable(statusSignals(status, NEVER, { leaseSec: 10 }), '^ 9000ms !').toBe('s 1499ms c 6999ms r', {
        s: sig('start', 'thinking', 0, 10),
        c: sig('change', 'searching', 1500, 10),
        r: sig('renew', 'searching', 8500, 10),
      });
    });
  });

  it('holds a status at least minDwellMs, then sends the latest pending one', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const status = hot('t 199ms s 299ms c', S); // 0, 200, 500
      expectObservable(statusSignals(status), '^ 2000ms !').toBe('s 999ms c', {
        s: sig('start', 'thinking', 0),
        c: sig('change', 'composing', 1000),
      });
    });
  });

  it('drops a pending change when the status returns to the shown one', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const status = hot('t 199ms s 299ms t', S);
      expectObservable(statusSignals(status), '^ 5000ms !').toBe('s', { s: sig('start', 'thinking', 0) });
    });
  });

  it('deduplicates repeats, also by another name for the same code', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const status = hot<AgentStatus>('t 1999ms a 1999ms t', { t: 'thinking', a: 'IMBOT_AGENT_ACTION_THINKING' });
      expectObservable(statusSignals(status), '^ 5000ms !').toBe('s', { s: sig('start', 'thinking', 0) });
    });
  });

  it('honours minDwellMs as an option', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const status = hot('t 99ms s', S);
      expectObservable(statusSignals(status, NEVER, { minDwellMs: 0 }), '^ 1000ms !').toBe('s 99ms c', {
        s: sig('start', 'thinking', 0),
        c: sig('change', 'searching', 100),
      });
    });
  });

  it('shows nothing at all when the reply comes within delayMs', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(statusSignals(of('thinking'), cold('300ms x'), { delayMs: 500 }), '^ 2000ms !').toBe('300ms |');
    });
  });

  it('starts after delayMs with the latest status', () => {
    testScheduler().run(({ hot, cold, expectObservable }) => {
      const status = hot('t 199ms s', S);
      expectObservable(statusSignals(status, cold('800ms x'), { delayMs: 500 }), '^ 2000ms !').toBe('500ms s 299ms |', {
        s: sig('start', 'searching', 500),
      });
    });
  });

  it.each([
    ['start', 0],
    ['renew', 7_000],
    ['change', 2_000],
  ] as const)('leaves no timer behind when unsubscribed as it hears a %s', (type, at) => {
    // as `botStatus(…).pipe(take(1))` or a `takeWhile` ending on its event does: the consumer leaves from within the
    // signal's delivery, and its teardown runs before the signal's emit returns
    const scheduler = testScheduler();
    scheduler.maxFrames = at; // flush() runs what is due until that signal and stops before anything later
    const status = new Subject<AgentStatus>();
    const seen: StatusSignal[] = [];
    const sub: Subscription = statusSignals(status, NEVER, { leaseSec: 10, minDwellMs: 0 }, scheduler).subscribe(
      (s) => {
        seen.push(s);
        if (s.type === type) sub.unsubscribe();
      },
    );
    status.next('thinking');
    if (type === 'change') scheduler.schedule(() => status.next('composing'), 2_000);
    scheduler.flush();
    expect(seen.at(-1)).toMatchObject({ type, at });
    expect(sub.closed).toBe(true);
    expect(scheduler.actions.length).toBe(0);
  });

  it('stops on the reply without a clear, and sends nothing afterwards', () => {
    testScheduler().run(({ hot, cold, expectObservable }) => {
      const status = hot('t 2999ms s 999ms c', S);
      expectObservable(statusSignals(status, cold('2000ms x')), '^ 5000ms !').toBe('s 1999ms |', {
        s: sig('start', 'thinking', 0),
      });
    });
  });

  it('clears with duration 1 when the work errors', () => {
    testScheduler().run(({ hot, cold, expectObservable }) => {
      const status = hot('t 1999ms s', S);
      expectObservable(statusSignals(status, cold('3000ms #')), '^ 5000ms !').toBe('s 1999ms c 999ms (x|)', {
        s: sig('start', 'thinking', 0),
        c: sig('change', 'searching', 2000),
        x: sig('clear', 'searching', 3000, 1),
      });
    });
  });

  it('clears when the work completes without a reply, not when it completes after one', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(statusSignals(of('typing'), cold('1000ms |')), '^ 2000ms !').toBe('s 999ms (x|)', {
        s: sig('start', 'typing', 0),
        x: sig('clear', 'typing', 1000, 1),
      });
      expectObservable(statusSignals(of('typing'), cold('1000ms (a|)')), '^ 2000ms !').toBe('s 999ms |', {
        s: sig('start', 'typing', 0),
      });
    });
  });

  it('does not clear when clearOnError is off, or when nothing was shown', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(statusSignals(of('thinking'), cold('1000ms #'), { clearOnError: false }), '^ 2000ms !').toBe(
        's 999ms |',
        { s: sig('start', 'thinking', 0) },
      );
      expectObservable(statusSignals(of('thinking'), cold('100ms #'), { delayMs: 500 }), '^ 2000ms !').toBe('100ms |');
    });
  });

  it('clears and passes the error on when the status stream errors', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(statusSignals(cold('t 99ms #', S, 'llm failed')), '^ 1000ms !').toBe(
        's 99ms (x#)',
        { s: sig('start', 'thinking', 0), x: sig('clear', 'thinking', 100, 1) },
        'llm failed',
      );
    });
  });

  it('keeps the last status up (renewing) after the status stream completes', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(statusSignals(cold('t|', S), NEVER, { leaseSec: 8 }), '^ 11000ms !').toBe(
        's 4999ms r 4999ms q',
        {
          s: sig('start', 'thinking', 0, 8),
          r: sig('renew', 'thinking', 5000, 8),
          q: sig('renew', 'thinking', 10_000, 8),
        },
      );
    });
  });

  it('errors with a typed error on an invalid status, after clearing', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const status = cold<AgentStatus>('t 1999ms b', { t: 'thinking', b: 'pondering' as AgentStatus });
      expectObservable(statusSignals(status), '^ 3000ms !').toBe(
        's 1999ms (x#)',
        { s: sig('start', 'thinking', 0), x: sig('clear', 'thinking', 2000, 1) },
        expect.objectContaining({ name: 'B24InputError', field: 'status', kind: 'input', code: 'INVALID_ARGUMENT' }),
      );
    });
  });

  it('ends at once when until has already fired', () => {
    testScheduler().run(({ expectObservable }) => {
      expectObservable(statusSignals(of('thinking'), of(1)), '^ 1000ms !').toBe('|');
    });
  });

  it('sends the shown status again, as a start with the full lease, a second after a call was lost', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const lost = hot('5000ms x');
      expectObservable(statusSignals(of('thinking'), NEVER, { leaseSec: 10 }, undefined, lost), '^ 15000ms !').toBe(
        's 5999ms t 6999ms r',
        {
          s: sig('start', 'thinking', 0, 10),
          t: sig('start', 'thinking', 6000, 10),
          r: sig('renew', 'thinking', 13_000, 10),
        },
      );
    });
  });

  it('sends it again at most once per renewal period: a loss after that waits for the renewal', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      // lost at 5 s: again at 6 s; that one lost at 7 s too: nothing until the renewal at 13 s; lost at 14 s: again
      const lost = hot('5000ms x 1999ms y 6999ms z');
      expectObservable(statusSignals(of('thinking'), NEVER, { leaseSec: 10 }, undefined, lost), '^ 16000ms !').toBe(
        's 5999ms t 6999ms r 1999ms u',
        {
          s: sig('start', 'thinking', 0, 10),
          t: sig('start', 'thinking', 6000, 10),
          r: sig('renew', 'thinking', 13_000, 10),
          u: sig('start', 'thinking', 15_000, 10),
        },
      );
    });
  });

  it('sends it again after a loss a renewal period after the last time, though changes kept the renewal away', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      // a change every 5 s re-arms the 7 s renewal, which never fires; lost at 1 s: again at 2 s; lost again at 16 s,
      // 14 s later: the status is down until the next change (20 s) unless it goes again at 17 s
      const status = hot('t 4999ms s 4999ms t 4999ms s 4999ms t', S);
      const lost = hot('1000ms x 14999ms y');
      expectObservable(statusSignals(status, NEVER, { leaseSec: 10 }, undefined, lost), '^ 21000ms !').toBe(
        's 1999ms a 2999ms b 4999ms c 4999ms d 1999ms u 2999ms e',
        {
          s: sig('start', 'thinking', 0, 10),
          a: sig('start', 'thinking', 2000, 10),
          b: sig('change', 'searching', 5000, 10),
          c: sig('change', 'thinking', 10_000, 10),
          d: sig('change', 'searching', 15_000, 10),
          u: sig('start', 'searching', 17_000, 10),
          e: sig('change', 'thinking', 20_000, 10),
        },
      );
    });
  });

  it('sends the latest status again, or nothing when a change goes out in the pause', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      // a change held by minDwellMs is sent instead
      const lost = hot('300ms x');
      expectObservable(
        statusSignals(hot('t 99ms s', S), NEVER, { minDwellMs: 2000 }, undefined, lost),
        '^ 3000ms !',
      ).toBe('s 1299ms c', { s: sig('start', 'thinking', 0), c: sig('start', 'searching', 1300) });
      // a change that goes out in the pause does it
      expectObservable(statusSignals(hot('t 4999ms s', S), NEVER, {}, undefined, hot('4500ms x')), '^ 8000ms !').toBe(
        's 4999ms c',
        { s: sig('start', 'thinking', 0), c: sig('change', 'searching', 5000) },
      );
    });
  });

  it('sends nothing again before a status was shown or after the end', () => {
    testScheduler().run(({ hot, cold, expectObservable }) => {
      const policy = { leaseSec: 10 };
      // nothing shown yet (show-delay)
      expectObservable(
        statusSignals(of('thinking'), NEVER, { ...policy, delayMs: 500 }, undefined, hot('100ms x')),
        '^ 3000ms !',
      ).toBe('500ms s', { s: sig('start', 'thinking', 500, 10) });
      // the reply came in the pause: the stream ends, nothing more
      expectObservable(
        statusSignals(of('thinking'), cold('5500ms a'), policy, undefined, hot('5000ms x')),
        '^ 9000ms !',
      ).toBe('s 5499ms |', { s: sig('start', 'thinking', 0, 10) });
    });
  });

  it('sends it again once the hold after an operating refusal is over, not a second later nor at the next renewal', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      // The renewal at 27 s is refused for the operating limit: the scheduler holds the method for 10 s (a call a
      // second later would fail without a request), so the status goes again at 37 s instead of lapsing until the
      // renewal at 54 s (with a 600 s lease, for ~10 minutes of work). A loss in the pause waits for the renewal.
      const refusal = { type: 'failed', error: { kind: 'operating' } };
      const lost = hot('27001ms x 998ms y', { x: refusal, y: { type: 'dropped', reason: 'retries' } });
      expectObservable(statusSignals(of('thinking'), NEVER, {}, undefined, lost), '^ 70000ms !').toBe(
        's 26999ms r 10000ms a 26999ms q',
        {
          s: sig('start', 'thinking', 0),
          r: sig('renew', 'thinking', 27_000),
          a: sig('start', 'thinking', 37_001),
          q: sig('renew', 'thinking', 64_001),
        },
      );
    });
  });

  it('sends it again after an operating refusal only if no renewal went meanwhile: one call per hold', () => {
    const refusal = { type: 'failed', error: { kind: 'operating' } };
    const policy = { leaseSec: 8 }; // renewed every 5 s: a renewal falls within the 10 s hold
    testScheduler().run(({ hot, expectObservable }) => {
      // Renewed every 9 s. The renewal at 9 s is refused: the method is held until 19 s. The renewal at 18 s fails at
      // once without a request (held): the status goes again at 19 s, once, with the renewals from there on (not at
      // 28 s, a second after the renewal at 27 s).
      const lost = hot('9000ms x 8999ms y', { x: refusal, y: refusal });
      expectObservable(statusSignals(of('thinking'), NEVER, { leaseSec: 12 }, undefined, lost), '^ 30000ms !').toBe(
        's 8999ms r 8999ms q 999ms a 8999ms n',
        {
          s: sig('start', 'thinking', 0, 12),
          r: sig('renew', 'thinking', 9_000, 12),
          q: sig('renew', 'thinking', 18_000, 12),
          a: sig('start', 'thinking', 19_000, 12),
          n: sig('renew', 'thinking', 28_000, 12),
        },
      );
    });
    testScheduler().run(({ hot, expectObservable }) => {
      // Refused at 4 s during a hold that ends sooner (another status's refusal set it): the renewal at 5 s goes and
      // lands, so nothing goes again at 14 s.
      const lost = hot('4000ms x', { x: refusal });
      expectObservable(statusSignals(of('thinking'), NEVER, policy, undefined, lost), '^ 16000ms !').toBe(
        's 4999ms r 4999ms q 4999ms n',
        {
          s: sig('start', 'thinking', 0, 8),
          r: sig('renew', 'thinking', 5_000, 8),
          q: sig('renew', 'thinking', 10_000, 8),
          n: sig('renew', 'thinking', 15_000, 8),
        },
      );
    });
    testScheduler().run(({ hot, expectObservable }) => {
      // A change in the pause does it (as ever), and a renewal before that change does not skip a later loss's try.
      const status = hot('t 5199ms s', S);
      const lost = hot('4500ms x 4499ms y');
      expectObservable(statusSignals(status, NEVER, policy, undefined, lost), '^ 16000ms !').toBe(
        's 4999ms r 199ms c 4799ms a 4999ms n',
        {
          s: sig('start', 'thinking', 0, 8),
          r: sig('renew', 'thinking', 5_000, 8),
          c: sig('change', 'searching', 5_200, 8),
          a: sig('start', 'searching', 10_000, 8),
          n: sig('renew', 'searching', 15_000, 8),
        },
      );
    });
  });

  it('sends a change made while it is to go again once an operating hold is over, also after a renewal that went', () => {
    const refusal = { type: 'failed', error: { kind: 'operating' } };
    const policy = { leaseSec: 8 }; // renewed every 5 s
    testScheduler().run(({ hot, expectObservable }) => {
      // Refused at 4 s, so to go again at 14 s; the renewal at 5 s goes and is not lost (the hold, another status's,
      // was over): the change at 6 s goes at once, as it would have with no hold, not into the one it was thought in.
      const status = hot('t 5999ms s', S);
      const lost = hot('4000ms x', { x: refusal });
      expectObservable(statusSignals(status, NEVER, policy, undefined, lost), '^ 16500ms !').toBe(
        's 4999ms r 999ms c 4999ms n 4999ms m',
        {
          s: sig('start', 'thinking', 0, 8),
          r: sig('renew', 'thinking', 5_000, 8),
          c: sig('change', 'searching', 6_000, 8),
          n: sig('renew', 'searching', 11_000, 8),
          m: sig('renew', 'searching', 16_000, 8),
        },
      );
    });
    testScheduler().run(({ hot, expectObservable }) => {
      // The change at 4.5 s waits for the call at 14 s; the renewal at 5 s (of what is shown) going and not being lost
      // does not skip that call, which sends the change (else it would never go).
      const status = hot('t 4499ms s', S);
      const lost = hot('4000ms x', { x: refusal });
      expectObservable(statusSignals(status, NEVER, policy, undefined, lost), '^ 20000ms !').toBe(
        's 4999ms r 4999ms q 3999ms a 4999ms n',
        {
          s: sig('start', 'thinking', 0, 8),
          r: sig('renew', 'thinking', 5_000, 8),
          q: sig('renew', 'thinking', 10_000, 8),
          a: sig('start', 'searching', 14_000, 8),
          n: sig('renew', 'searching', 19_000, 8),
        },
      );
    });
  });

  it('goes again when the hold a failure says ends, and a change in a hold with no call due then waits for its end', () => {
    const refusal = { type: 'failed', error: { kind: 'operating' } };
    testScheduler().run(({ hot, expectObservable }) => {
      // The change at 30 s fails in a hold another status's refusal began at 27 s: the scheduler says it ends at 37 s
      // (`holdEnds`), so the status goes again then, not at 40 s.
      const status = hot('t 29999ms c', S);
      const lost = hot('30000ms x', { x: { ...refusal, holdEnds: 37_000 } });
      expectObservable(statusSignals(status, NEVER, {}, undefined, lost), '^ 40000ms !').toBe(
        's 26999ms r 2999ms c 6999ms a',
        {
          s: sig('start', 'thinking', 0),
          r: sig('renew', 'thinking', 27_000),
          c: sig('change', 'composing', 30_000),
          a: sig('start', 'composing', 37_000),
        },
      );
    });
    testScheduler().run(({ hot, expectObservable }) => {
      // Refused at 27 s (held until 37 s) and again as it goes then (held until 47 s): its one try of the period is
      // spent, so nothing is due as that hold ends. The changes at 40 s and 43 s wait for it and the newest goes then,
      // as a change.
      const status = hot('t 39999ms s 2999ms c', S);
      const lost = hot('27001ms x 10000ms y', { x: refusal, y: refusal });
      expectObservable(statusSignals(status, NEVER, {}, undefined, lost), '^ 50000ms !').toBe(
        's 26999ms r 10000ms a 10000ms c',
        {
          s: sig('start', 'thinking', 0),
          r: sig('renew', 'thinking', 27_000),
          a: sig('start', 'thinking', 37_001),
          c: sig('change', 'composing', 47_002),
        },
      );
    });
  });

  it('leaves no timer behind after the end or an unsubscribe', () => {
    const scheduler = testScheduler();
    const status = new Subject<AgentStatus>();
    const until = new Subject<void>();
    const seen: StatusSignal[] = [];
    statusSignals(status, until, { delayMs: 100 }, scheduler).subscribe((s) => seen.push(s));
    status.next('thinking');
    expect(scheduler.actions.length).toBe(1); // the show delay
    scheduler.flush();
    expect(seen.map((s) => s.type)).toEqual(['start']);
    expect(scheduler.actions.length).toBe(1); // the renewal
    status.next('searching'); // within minDwellMs: a dwell timer
    expect(scheduler.actions.length).toBe(2);
    until.next();
    expect(scheduler.actions.length).toBe(0);
    expect(status.observed).toBe(false);

    const sub = statusSignals(of('typing' as const), NEVER, {}, scheduler).subscribe();
    expect(scheduler.actions.length).toBe(1);
    sub.unsubscribe();
    expect(scheduler.actions.length).toBe(0);

    // a status going again after a lost call: its pause is released too, and so is `lost`
    const lost = new Subject<void>();
    const again = statusSignals(of('typing' as const), NEVER, {}, scheduler, lost).subscribe();
    lost.next();
    expect(scheduler.actions.length).toBe(2);
    again.unsubscribe();
    expect(scheduler.actions.length).toBe(0);
    expect(lost.observed).toBe(false);
  });

  it('lets go of the status stream and losses though the teardown of until throws, as RxJS runs every finalizer', () => {
    const scheduler = testScheduler();
    const status = new Subject<AgentStatus>();
    const lost = new Subject<void>();
    const until = new Observable<never>(() => () => {
      throw new Error('until teardown');
    });
    const sub = statusSignals(status, until, {}, scheduler, lost).subscribe();
    status.next('thinking');
    expect(() => sub.unsubscribe()).toThrow(/until teardown/); // still told to the one who unsubscribed
    expect(status.observed).toBe(false);
    expect(lost.observed).toBe(false);
    expect(scheduler.actions.length).toBe(0);
  });
});

describe('resolveStatusPolicy', () => {
  it('caps a margin larger than half the lease', () => {
    testScheduler().run(({ expectObservable }) => {
      expectObservable(statusSignals(of('thinking'), NEVER, { leaseSec: 2 }), '^ 2500ms !').toBe('s 999ms r 999ms q', {
        s: sig('start', 'thinking', 0, 2),
        r: sig('renew', 'thinking', 1000, 2),
        q: sig('renew', 'thinking', 2000, 2),
      });
    });
  });

  it('fills in the documented defaults', () => {
    expect(resolveStatusPolicy()).toEqual(DEFAULT_STATUS_POLICY);
    expect(DEFAULT_STATUS_POLICY).toEqual({
      leaseSec: 30,
      marginMs: 3000,
      minDwellMs: 1000,
      delayMs: 0,
      clearOnError: true,
    });
  });

  it('refuses a policy that is not an object rather than taking it for the defaults', () => {
    for (const policy of [30, 'slow', null]) {
      expect(() => resolveStatusPolicy(policy as never)).toThrow(
        expect.objectContaining({ name: 'B24InputError', field: 'policy' }),
      );
      expect(() => statusSignals(NEVER, NEVER, policy as never)).toThrow(B24InputError);
    }
  });

  it('takes a field given as undefined for its default, as a missing one', () => {
    const unset = { leaseSec: undefined, marginMs: undefined, minDwellMs: undefined, delayMs: undefined };
    expect(resolveStatusPolicy({ ...unset, clearOnError: undefined })).toEqual(DEFAULT_STATUS_POLICY);
    expect(resolveStatusPolicy({ ...unset, leaseSec: 60 })).toEqual({ ...DEFAULT_STATUS_POLICY, leaseSec: 60 });
  });

  it.each([
    [{ leaseSec: 0 }, 'leaseSec'],
    [{ leaseSec: 601 }, 'leaseSec'],
    [{ leaseSec: 1.5 }, 'leaseSec'],
    [{ marginMs: -1 }, 'marginMs'],
    [{ minDwellMs: Number.POSITIVE_INFINITY }, 'minDwellMs'],
    [{ delayMs: -5 }, 'delayMs'],
  ])('rejects %j naming %s before subscribing', (policy, field) => {
    expect(() => statusSignals(NEVER, NEVER, policy)).toThrow(B24InputError);
    expect(() => resolveStatusPolicy(policy)).toThrow(expect.objectContaining({ field }));
  });
});
