import { type MonoTypeOperatorFunction, NEVER, Observable, Subject, type Subscription } from 'rxjs';
import type { Indicators } from './createIndicators';
import { type BotStatusOptions, resolveBotTarget } from './resolveBotTarget';

/** Where and how to show a bot's status while a reply is produced. */
export type StatusTarget = Omit<BotStatusOptions, 'until'>;

/**
 * `reply$.pipe(withStatus(indicators, { dialogId, botId, status }))` shows the bot's status while `reply$` runs and
 * stops it the moment `reply$` emits, completes or errors (before the value reaches you, so nothing you do in
 * reaction can be followed by an indicator call). If the reply fails or you unsubscribe first, the status is
 * cleared, unless another status of the same bot in that chat goes on (the portal keeps one for both). `reply$`
 * itself is not changed in any way: same values, order, completion or error, no delay, whatever the transport does.
 * A reply that arrives synchronously shows no indicator at all.
 *
 * The target is validated here, so bad input throws {@link B24InputError} when the pipeline is built.
 */
export function withStatus<T>(indicators: Indicators, target: StatusTarget): MonoTypeOperatorFunction<T> {
  resolveBotTarget({ ...target, until: NEVER });
  return (source) =>
    new Observable<T>((subscriber) => {
      const until = new Subject<void>();
      let settled = false;
      const end = (signal: () => void) => {
        if (settled) return;
        settled = true;
        try {
          signal();
        } catch {
          // Nothing from the indicator may reach the reply.
        }
      };
      const reply = source.subscribe({
        next: (value) => {
          end(() => until.next());
          subscriber.next(value);
        },
        error: (error: unknown) => {
          end(() => until.error(error));
          subscriber.error(error);
        },
        complete: () => {
          end(() => until.complete());
          subscriber.complete();
        },
      });
      let status: Subscription | undefined;
      if (!settled && !subscriber.closed) {
        try {
          status = indicators.botStatus({ ...target, until }).subscribe({ error: () => {} });
        } catch {
          // Already validated; a disposed or broken `indicators` must not break the reply either.
        }
      }
      return () => {
        reply.unsubscribe();
        status?.unsubscribe();
      };
    });
}
