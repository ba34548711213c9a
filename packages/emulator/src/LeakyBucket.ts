/**
 * The portal's request counter (reference §7): each request adds one, the counter drains by `perSecond`, and a
 * request that would take it past `burst` is refused without being counted. Time comes from the injected clock,
 * so the drain rate can be tested without waiting.
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
    if (level + 1 > this.burst + 1e-9) return false;
    this.level = level + 1;
    return true;
  }

  reset(): void {
    this.level = 0;
    this.last = null;
  }
}
