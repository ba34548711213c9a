import { asyncScheduler, config, Observable, type Subscriber } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { recordingTransport } from '../test/recordingTransport';
import { watchUnhandled } from '@b24-typing/test-utils';
import { B24Error } from './B24Error';
import { createDirectDispatcher } from './createDirectDispatcher';
import { createIndicatorHost } from './createIndicatorHost';
import type { IndicatorEvent } from './IndicatorEvent';
import type { Transport } from './Transport';
import { userTypingSpec } from './userTypingSpec';

// Most of the host's behaviour is tested through its factories (createIndicators.test.ts and
// createTypingIndicators.test.ts); here, what its inputs' teardowns do to it.
const unhandled = watchUnhandled().rejections;
/** What RxJS reports as unhandled (a throw in an observer, an error nobody listens for). */
const reported: unknown[] = [];
beforeEach(() => {
  reported.length = 0;
  config.onUnhandledError = (error) => reported.push(error);
});
afterEach(() => {
  config.onUnhandledError = null;
});

function hostOn(transport: Transport) {
  return createIndicatorHost(asyncScheduler, createDirectDispatcher({ transport, clock: asyncScheduler }), undefined);
}

/** Keystrokes whose teardown throws (a user's source with a bug in it), and the subscriber that feeds them. */
function brokenKeystrokes() {
  const fed: { keys?: Subscriber<void> } = {};
  const keystrokes = new Observable<void>((subscriber) => {
    fed.keys = subscriber;
    return () => {
      throw new Error('keystrokes teardown');
    };
  });
  return { keystrokes, fed };
}

/** Subscribes to one user-typing indicator and records how it ends. */
function watch(host: ReturnType<typeof hostOn>, keystrokes: Observable<void>) {
  const seen = { events: [] as string[], completed: false, errors: [] as unknown[] };
  const subscription = host.indicator(userTypingSpec({ dialogId: 1, keystrokes }, asyncScheduler)).subscribe({
    next: (e: IndicatorEvent) => seen.events.push(`${e.type}${'reason' in e ? ` ${e.reason}` : ''}`),
    complete: () => {
      seen.completed = true;
    },
    error: (e) => seen.errors.push(e),
  });
  return { seen, subscription };
}

describe('an indicator whose inputs throw in their teardown', () => {
  it('still ends when its keystrokes complete: nothing reported unhandled, nothing left running', async () => {
    const host = hostOn(recordingTransport());
    const { keystrokes, fed } = brokenKeystrokes();
    const { seen } = watch(host, keystrokes);
    fed.keys!.next();
    await vi.advanceTimersByTimeAsync(10);
    fed.keys!.complete();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(seen).toEqual({ events: ['sent', 'stopped complete'], completed: true, errors: [] });
    expect(host.stats()).toMatchObject({ indicators: 0, activeIndicators: 0 });
    expect(vi.getTimerCount()).toBe(0);
    expect(reported).toEqual([]);
    expect(unhandled).toEqual([]);
    host.dispose();
  });

  it('still ends when the portal refuses its call for good (an input error)', async () => {
    const host = hostOn(recordingTransport((c) => c.reject(new B24Error({ code: 'DIALOG_ID_EMPTY' }))));
    const { keystrokes, fed } = brokenKeystrokes();
    const { seen } = watch(host, keystrokes);
    fed.keys!.next();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(seen).toEqual({ events: ['failed', 'stopped failed'], completed: true, errors: [] });
    expect(host.stats()).toMatchObject({ indicators: 0, activeIndicators: 0 });
    expect(vi.getTimerCount()).toBe(0);
    expect(reported).toEqual([]);
    host.dispose();
  });

  it('does not stop dispose() from ending every other indicator and the dispatcher', async () => {
    const host = hostOn(recordingTransport(() => {})); // calls stay in flight until dispose aborts them
    const ended: string[] = [];
    host.events.subscribe({ complete: () => ended.push('events') });
    const broken = brokenKeystrokes();
    const first = watch(host, broken.keystrokes);
    const second = watch(host, new Observable<void>((s) => s.next()));
    broken.fed.keys!.next();
    expect(host.stats()).toMatchObject({ indicators: 2, activeIndicators: 2, httpRequests: 2 });
    expect(() => host.dispose()).not.toThrow();
    expect(first.seen).toMatchObject({ completed: true, errors: [] });
    expect(second.seen).toMatchObject({ completed: true, errors: [] });
    expect(ended).toEqual(['events']);
    expect(host.stats()).toMatchObject({ indicators: 0, activeIndicators: 0 });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(vi.getTimerCount()).toBe(0);
    expect(reported).toEqual([]);
  });

  it('tells the one who unsubscribes, as RxJS does, and still lets the indicator go', async () => {
    const host = hostOn(recordingTransport());
    const { keystrokes, fed } = brokenKeystrokes();
    const { subscription } = watch(host, keystrokes);
    fed.keys!.next();
    await vi.advanceTimersByTimeAsync(10);
    expect(() => subscription.unsubscribe()).toThrow(/keystrokes teardown/);
    expect(host.stats()).toMatchObject({ indicators: 0 });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(vi.getTimerCount()).toBe(0);
    expect(reported).toEqual([]);
    host.dispose();
  });
});
