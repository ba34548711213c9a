import {
  concatMap,
  defer,
  finalize,
  groupBy,
  mergeMap,
  NEVER,
  type Observable,
  type OperatorFunction,
  Subject,
  tap,
} from 'rxjs';

export interface InTurn<T, R> extends OperatorFunction<T, R> {
  /** Keys that hold a group now (work running or waiting), over every subscription of the operator. */
  readonly open: () => number;
}

/**
 * Runs `work` for each value one at a time per key, in arrival order, keys in parallel: the bot answers the
 * messages of one dialog in turn. A key's group is closed the moment it has nothing running or waiting, so a
 * long-running bot holds a group only for the dialogs it is answering now, not for every dialog it ever heard
 * (`groupBy` alone keeps a group, its Subject and subscribers, until the source ends). A closed key's next value
 * opens a new group; the old one has nothing left to run, so the order holds. `key` must be pure: it is read
 * twice per value.
 */
export function inTurn<T, K, R>(key: (value: T) => K, work: (value: T) => Observable<R>): InTurn<T, R> {
  let open = 0;
  const operator: OperatorFunction<T, R> = (source) =>
    defer(() => {
      /** Per open key: values taken and not yet done (running or waiting), and the signal that closes its group. */
      const pending = new Map<K, { count: number; readonly idle: Subject<void> }>();
      // Counted before groupBy routes the value, so a key with one more value waiting never looks idle.
      const arrived = (value: T) => {
        const k = key(value);
        const entry = pending.get(k);
        if (entry) entry.count++;
        else pending.set(k, { count: 1, idle: new Subject<void>() });
      };
      // Synchronous, from the last value's own end: nothing can arrive in between. `groupBy` completes the group
      // and forgets the key before it reads another value.
      const finished = (k: K) => {
        const entry = pending.get(k);
        if (!entry || --entry.count > 0) return;
        pending.delete(k);
        entry.idle.next();
      };
      return source.pipe(
        tap(arrived),
        groupBy(key, { duration: (group) => pending.get(group.key)?.idle ?? NEVER }),
        mergeMap((group) => {
          open++;
          return group.pipe(
            concatMap((value) => work(value).pipe(finalize(() => finished(group.key)))),
            finalize(() => open--),
          );
        }),
      );
    });
  return Object.assign(operator, { open: () => open });
}
