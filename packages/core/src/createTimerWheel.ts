import { type SchedulerAction, type SchedulerLike, Subscription } from 'rxjs';
import { SchedulerHeap } from './schedulerHeap';

/** One delayed action on the wheel; unsubscribing drops its work at once (lazy removal from the heap). */
class WheelAction<T> extends Subscription implements SchedulerAction<T> {
  /** A follow-up scheduled from inside the work (`this.schedule(...)`): cancelled along with this one. */
  private next: Subscription | undefined;

  constructor(
    private readonly wheel: TimerWheel,
    private work: ((this: SchedulerAction<T>, state?: T) => void) | undefined,
    private state: T | undefined,
    readonly at: number,
    readonly seq: number,
  ) {
    super();
  }

  schedule(state?: T, delay = 0): Subscription {
    if (this.closed || !this.work) return this;
    this.next = this.wheel.schedule(this.work, delay, state);
    return this.next;
  }

  override unsubscribe(): void {
    this.next?.unsubscribe();
    this.release();
  }

  run(): void {
    const work = this.work;
    if (!work) return;
    try {
      work.call(this, this.state);
    } finally {
      // even if the work threw: a leaked action would keep the underlying timer forever
      this.release();
    }
  }

  private release(): void {
    if (this.closed) return;
    this.closed = true;
    this.work = undefined;
    this.state = undefined;
    this.wheel.released();
  }
}

/**
 * A `SchedulerLike` that multiplexes every delayed action of a `createIndicators` (each indicator's renewals,
 * show-delays and dwell timers, and the portal scheduler's own wake-ups) onto one timer of the underlying
 * clock: 100,000 held statuses hold one platform timer, not 100,000. Actions due at the same time run in the
 * order they were scheduled; an action scheduled while others run waits for the next wake-up, as it would on
 * the underlying clock. When no action is left, the underlying timer is released too.
 */
class TimerWheel implements SchedulerLike {
  private readonly heap = new SchedulerHeap<WheelAction<unknown>>(
    (a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq),
  );
  private seq = 0;
  private live = 0;
  private timer: Subscription | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private running = false;

  constructor(private readonly clock: SchedulerLike) {}

  now(): number {
    return this.clock.now();
  }

  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    this.seq += 1;
    const action = new WheelAction<T>(this, work, state, this.clock.now() + Math.max(0, delay), this.seq);
    this.live += 1;
    this.heap.push(action as WheelAction<unknown>);
    this.arm(action.at);
    return action;
  }

  /** An action ran or was cancelled; with none left, the underlying timer goes too. */
  released(): void {
    this.live -= 1;
    if (this.running) return;
    if (this.live > 0) {
      // Cancelled actions wait in the heap until they surface; do not let them pile up (typing stopped by sends).
      if (this.heap.size > 2 * this.live + 1024) {
        const keep = this.heap.values().filter((a) => !a.closed);
        this.heap.clear();
        for (const a of keep) this.heap.push(a);
      }
      return;
    }
    this.timer?.unsubscribe();
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    this.heap.clear();
  }

  private arm(at: number): void {
    if (this.running || at >= this.timerAt) return;
    this.timer?.unsubscribe();
    this.timerAt = at;
    this.timer = this.clock.schedule(() => this.fire(), Math.max(0, at - this.clock.now()));
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = this.clock.now();
    const limit = this.seq;
    this.running = true;
    try {
      for (let top = this.heap.peek(); top && top.at <= now && top.seq <= limit; top = this.heap.peek()) {
        this.heap.pop();
        top.run();
      }
    } finally {
      this.running = false;
      this.rearm();
    }
  }

  private rearm(): void {
    if (this.live === 0) {
      this.heap.clear();
      return;
    }
    // Cancelled actions stay in the heap until they surface (lazy removal); skip them.
    let top = this.heap.peek();
    while (top?.closed) {
      this.heap.pop();
      top = this.heap.peek();
    }
    if (top) this.arm(top.at);
  }
}

export function createTimerWheel(clock: SchedulerLike): SchedulerLike {
  return new TimerWheel(clock);
}
