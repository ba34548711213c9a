const BUCKET_MS = 60_000;
const WINDOW_MS = 10 * BUCKET_MS;

interface Bucket {
  seconds: number;
  /** First call charged into this bucket (ms): the bucket drops out 10 minutes after it. */
  firstAt: number;
}

/**
 * Per method and identity, the server time used in 10 one-minute buckets (reference §7, LoadLimiter). When the
 * sum exceeds the budget, the next call to that method is refused with 429 `OPERATION_TIME_LIMIT`.
 * `operating_reset_at` is when the oldest bucket drops out: its first call + 10 minutes.
 */
export class OperatingLimiter {
  private readonly usage = new Map<string, Map<number, Bucket>>();

  constructor(readonly budgetSec: number) {}

  private buckets(key: string, now: number): Map<number, Bucket> {
    let buckets = this.usage.get(key);
    if (!buckets) {
      buckets = new Map();
      this.usage.set(key, buckets);
    }
    for (const [start, bucket] of buckets) {
      if (bucket.firstAt + WINDOW_MS <= now) buckets.delete(start);
    }
    return buckets;
  }

  /** Seconds used in the window and the unix time (s) when the oldest bucket drops out. */
  state(key: string, now: number): { operating: number; resetAt: number } {
    let operating = 0;
    let oldest = Number.POSITIVE_INFINITY;
    for (const bucket of this.buckets(key, now).values()) {
      operating += bucket.seconds;
      oldest = Math.min(oldest, bucket.firstAt);
    }
    const resetMs = (Number.isFinite(oldest) ? oldest : now) + WINDOW_MS;
    return { operating, resetAt: Math.floor(resetMs / 1000) };
  }

  blocked(key: string, now: number): boolean {
    return this.state(key, now).operating > this.budgetSec;
  }

  charge(key: string, now: number, seconds: number): void {
    const buckets = this.buckets(key, now);
    const start = Math.floor(now / BUCKET_MS) * BUCKET_MS;
    const bucket = buckets.get(start);
    if (bucket) bucket.seconds += seconds;
    else buckets.set(start, { seconds, firstAt: now });
  }

  reset(): void {
    this.usage.clear();
  }
}
