// How the bot queues the messages of a dialog, in virtual time (TestScheduler): in turn within a dialog, dialogs in
// parallel, and nothing kept for a dialog once it has nothing to answer.
import { concat, interval, map, merge, mergeMap, NEVER, type Observable, take, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { inTurn } from './inTurn';

const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const dialogOf = (message: string) => message.split(':')[0]!;

describe('inTurn', () => {
  it('closes a dialog once nothing of it runs or waits: a bot that talked in many chats keeps none of them', () => {
    const scheduler = testScheduler();
    const turns = inTurn(dialogOf, (message: string) => timer(10).pipe(map(() => message)));
    const answered: string[] = [];
    const openAt: number[] = [];
    // 1000 chats, one message each, 1 ms apart; each answer takes 10 ms. The source stays open: a running bot.
    const messages = concat(
      interval(1).pipe(
        take(1000),
        map((i) => `chat${i}:hello`),
      ),
      NEVER,
    );
    const subscription = scheduler.run(() => {
      scheduler.schedule(() => openAt.push(turns.open()), 500);
      return messages.pipe(turns).subscribe((message) => answered.push(message));
    });
    expect(answered).toHaveLength(1000);
    expect(openAt).toEqual([10]); // the chats answering then
    // before: 1000, one group (a Subject and its subscribers) per chat ever seen, for as long as the bot runs
    expect(turns.open()).toBe(0);
    subscription.unsubscribe();
  });

  // A message that arrives in the very frame the dialog's last answer ends: before that end (queued), or after it
  // (the group has closed, a new one opens). Either way it is answered, after the answers before it.
  for (const arrives of ['before', 'after'] as const) {
    it(`keeps a dialog's answers in order and loses no message arriving as its group closes (${arrives} the end)`, () => {
      const scheduler = testScheduler();
      let open = () => Number.NaN;
      scheduler.run(({ cold, hot, expectObservable }) => {
        const turns = inTurn(dialogOf, (message: string) => cold('---(x|)', { x: message }));
        open = turns.open;
        const values = { a: 'a:1', b: 'a:2', c: 'b:1', d: 'a:3', e: 'a:4' };
        //                       a:1 runs 0–3, a:2 waits, runs 3–6; b:1 runs 2–5
        const early = hot('a b c 9ms e', values); // a:4 at 12, after a:3 ended (9): a group of its own
        // a:3 at 6, the frame a:2 ends in. A hot value is scheduled before the answer's end (queued behind a:2);
        // a timer started at 5 is scheduled after it (a:2 has ended, its group closed).
        const late: Observable<string> =
          arrives === 'before'
            ? hot('3ms 3ms d', values)
            : timer(5).pipe(
                mergeMap(() => timer(1)),
                map(() => values.d),
              );
        const answers = merge(early, late).pipe(turns);
        expectObservable(answers).toBe('3ms a 1ms c b 2ms d 5ms e', values);
      });
      // every answer given, nothing waiting: no dialog holds a group (before: both, for good)
      expect(open()).toBe(0);
    });
  }
});
