const BUCKET_MS = 60_000;
const BUCKETS = 10;

interface MethodUsage {
  /** Bucket start (ms) → seconds used. */
  buckets: Map<number, number>;
}

/**
 * Per method and identity, the server time used in the last 10 one-minute buckets (reference §7, LoadLimiter).
 * When the sum exceeds the budget, the next call to that method is refused with 429 `OPERATION_TIME_LIMIT`.
 */
export class OperatingLimiter {
  private readonly usage = new Map<string, MethodUsage>();

  constructor(readonly budgetSec: number) {}

  private prune(entry: MethodUsage, now: number): void {
    for (const start of entry.buckets.keys()) {
      if (start + BUCKETS * BUCKET_MS <= now) entry.buckets.delete(start);
    }
  }

  private entry(key: string, now: number): MethodUsage {
    let entry = this.usage.get(key);
    if (!entry) {
      entry = { buckets: new Map() };
      this.usage.set(key, entry);
    }
    this.prune(entry, now);
    return entry;
  }

  /** Seconds used in the window and the unix time (s) when the oldest bucket drops out. */
  state(key: string, now: number): { operating: number; resetAt: number } {
    const entry = this.entry(key, now);
    let operating = 0;
    let oldest = Number.POSITIVE_INFINITY;
    for (const [start, seconds] of entry.buckets) {
      operating += seconds;
      oldest = Math.min(oldest, start);
    }
    const resetMs = Number.isFinite(oldest) ? oldest + BUCKETS * BUCKET_MS : now + BUCKETS * BUCKET_MS;
    return { operating, resetAt: Math.floor(resetMs / 1000) };
  }

  blocked(key: string, now: number): boolean {
    return this.state(key, now).operating > this.budgetSec;
  }

  charge(key: string, now: number, seconds: number): void {
    const entry = this.entry(key, now);
    const start = Math.floor(now / BUCKET_MS) * BUCKET_MS;
    entry.buckets.set(start, (entry.buckets.get(start) ?? 0) + seconds);
  }

  reset(): void {
    this.usage.clear();
  }
}
