/**
 * The portal's request counter (reference §7): each request adds one and the counter drains by `perSecond`.
 * "When the counter exceeds X, the next request is blocked": a request is refused only when the counter already
 * exceeds `burst` as it arrives, so the one that takes it from X to X + 1 still runs (X + 1 at one instant).
 * A refused request is not counted. Time comes from the injected clock, so the drain rate can be tested without
 * waiting.
 */
export class LeakyBucket {
  private level = 0;
  private last: number | null = null;

  constructor(
    readonly perSecond: number,
    readonly burst: number,
  ) {}

  /** Current counter after draining up to `now` (ms). */
  levelAt(now: number): number {
    if (this.last === null) return this.level;
    const drained = ((now - this.last) / 1000) * this.perSecond;
    return Math.max(0, this.level - Math.max(0, drained));
  }

  /** Counts one request if there is room; returns false when it must be refused. */
  take(now: number): boolean {
    const level = this.levelAt(now);
    this.level = level;
    this.last = now;
    if (level > this.burst + 1e-9) return false;
    this.level = level + 1;
    return true;
  }

  reset(): void {
    this.level = 0;
    this.last = null;
  }
}
