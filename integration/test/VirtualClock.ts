import type { Transport } from '@b24-typing/core';
import { VirtualAction, VirtualTimeScheduler } from 'rxjs';

/**
 * One clock for a test file: the emulator's `now` and the indicators' `clock`. Time jumps from one due action to
 * the next, and before each jump every HTTP call started so far (`track`) has settled and its continuations have
 * run: a request reaches the emulator at the virtual moment it was sent, and its reply comes back at that moment
 * too. So nothing is on the wire while time moves, and a slow CI machine changes the wall clock, not the outcome.
 * (The node transport's own timers, its 15 s deadline and undici's idle timeouts, stay on real time: a loopback
 * round trip settles long before any of them.)
 */
export class VirtualClock extends VirtualTimeScheduler {
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(start: number) {
    super(VirtualAction, Number.POSITIVE_INFINITY);
    this.frame = start;
  }

  /** Keeps time still until `request` has settled. */
  track<T>(request: Promise<T>): Promise<T> {
    this.#inFlight.add(request);
    const done = () => this.#inFlight.delete(request);
    request.then(done, done);
    return request;
  }

  /** `transport` (one with `batch`), each of its requests kept track of (`track`). */
  tracked(transport: Required<Transport>): Transport {
    return {
      call: (method, params, options) => this.track(transport.call(method, params, options)),
      batch: (calls, options) => this.track(transport.batch(calls, options)),
    };
  }

  /** Runs every action due by `now() + ms`, each at its own time; then stands at `now() + ms`. */
  async advanceBy(ms: number): Promise<void> {
    const to = this.frame + ms;
    await this.#settle();
    for (let action = this.actions[0]; action !== undefined && action.delay <= to; action = this.actions[0]) {
      this.actions.shift();
      this.frame = action.delay;
      const error = action.execute(action.state, action.delay);
      if (error) throw error;
      await this.#settle();
    }
    this.frame = to;
  }

  async #settle(): Promise<void> {
    do {
      await Promise.allSettled([...this.#inFlight]);
      // A settled call's continuations (in the scheduler) may start the next call at this same moment.
      await new Promise((resolve) => setImmediate(resolve));
    } while (this.#inFlight.size > 0);
  }
}
