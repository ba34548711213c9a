import type { B24Error, IndicatorEvent, Indicators } from '@b24-typing/core';
import { filter } from 'rxjs';
import { cannotPost } from './cannotPost';
import { within } from './within';

/** A status the portal accepted: its code and when its lease ends (epoch ms, as the bot saw the answer). */
export interface Shown {
  readonly code: string | undefined;
  readonly until: number;
}

/**
 * Resolves when the clear (`duration: 1`) of this dialog's bot status has been answered by the portal (sent,
 * dropped or failed), or when the status stopped in a way that sends no clear, so that the failure report never
 * waits for one that is not coming:
 * - without a call of it ever made: a failure within the show delay (`delayMs`) shows nothing, clears nothing.
 *   Every call made has an outcome by the time its indicator stops (the stop drops what is queued or in flight),
 *   so "no call event before `stopped`" means no call;
 * - refused for good by the portal (`stopped` for `failed`: ACCESS_DENIED, say): the indicator ended there.
 * Listens from the moment it is created, so an outcome that lands early is not missed. `onRefused`: a refusal of a
 * status call that proves the bot cannot post in the dialog (`cannotPost`), as it lands. `shown()`: the status the
 * portal last accepted from this dialog's indicator (its code and lease), unless a clear followed; undefined if none.
 * `cleared()`: resolves once a clear of the status has an outcome, and only then (the reply waits for the clear core
 * sends after a batch that landed late: `trackStatusCalls`).
 */
export function clearOutcome(
  indicators: Indicators,
  dialogId: string,
  onRefused: (error: B24Error) => void,
): { wait(ms: number): Promise<void>; cleared(): Promise<void>; shown(): Shown | undefined; release(): void } {
  let settle: () => void = () => {};
  const settled = new Promise<void>((resolve) => {
    settle = resolve;
  });
  let clear: () => void = () => {};
  const cleared = new Promise<void>((resolve) => {
    clear = resolve;
  });
  let called = false;
  let shown: Shown | undefined;
  const sub = indicators.events
    .pipe(filter((e: IndicatorEvent) => e.indicator === 'botStatus' && String(e.dialogId) === dialogId))
    .subscribe((e) => {
      if ('call' in e && e.call) {
        called = true;
        if (e.call.reason === 'clear' && e.type !== 'renewed') {
          settle();
          clear();
        }
        if (e.type === 'sent' || e.type === 'renewed')
          shown =
            e.call.reason === 'clear'
              ? undefined
              : { code: e.call.statusMessageCode, until: Date.now() + (e.call.duration ?? 0) * 1000 };
      } else if (e.type === 'stopped' && (!called || e.reason === 'failed')) settle();
      if (e.type === 'failed' && e.fatal && cannotPost(e.error)) onRefused(e.error);
    });
  return {
    wait: async (ms) => {
      await within(ms, settled);
    },
    cleared: () => cleared,
    shown: () => shown,
    release: () => sub.unsubscribe(),
  };
}
