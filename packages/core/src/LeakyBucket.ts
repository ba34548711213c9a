import { B24InputError, describeValue } from './B24InputError';

/** A portal's leaky bucket: it drains `perSecond` requests per second and holds at most `burst`. */
export interface RateLimits {
  readonly perSecond: number;
  readonly burst: number;
}

/** How `createIndicators`/`createScheduler` accept limits: a plan name or explicit numbers. */
export type LimitsOption = 'standard' | 'enterprise' | RateLimits;

/** The portal's published limits (reference §7): every plan but Enterprise gets 2/s with a burst of 50. */
export const RATE_LIMITS: Readonly<Record<'standard' | 'enterprise', RateLimits>> = {
  standard: { perSecond: 2, burst: 50 },
  enterprise: { perSecond: 5, burst: 250 },
};

/** Validates a `limits` option before anything is sent: a typo must not silently mean "no limit". */
export function resolveLimits(limits: unknown, field = 'limits'): RateLimits {
  if (limits === undefined || limits === 'standard') return RATE_LIMITS.standard;
  if (limits === 'enterprise') return RATE_LIMITS.enterprise;
  if (typeof limits !== 'object' || limits === null) {
    throw new B24InputError(field, "'standard', 'enterprise' or { perSecond, burst }", describeValue(limits));
  }
  const { perSecond, burst } = limits as Partial<RateLimits>;
  if (typeof perSecond !== 'number' || !Number.isFinite(perSecond) || perSecond <= 0) {
    throw new B24InputError(`${field}.perSecond`, 'a finite number > 0', describeValue(perSecond));
  }
  if (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 1) {
    throw new B24InputError(`${field}.burst`, 'an integer >= 1', describeValue(burst));
  }
  return { perSecond, burst };
}

export interface LeakyBucketOptions {
  /**
   * Requests kept free below the portal's burst. Our clock counts a request when it leaves, the portal when it
   * arrives; uneven latency can bunch arrivals, and other apps on the same IP share the bucket. Default 1.
   */
  readonly headroom?: number;
  /** Lowest share of the nominal rate and burst the bucket shrinks to after repeated rejections. Default 0.25. */
  readonly minFactor?: number;
  /** Share of the nominal rate won back per successful request. Default 0.05 (20 successes to fully recover). */
  readonly recoveryStep?: number;
}

/**
 * Our local mirror of the portal's leaky bucket, so that the scheduler never asks for a request the portal
 * would refuse. It cannot see the portal's real level (shared with other apps, other processes), so a
 * `QUERY_LIMIT_EXCEEDED` tells it the portal is fuller than it thought: it then assumes the portal bucket is full,
 * shrinks its rate and burst, and earns them back with each success.
 */
export class LeakyBucket {
  private readonly limits: RateLimits;
  private readonly headroom: number;
  private readonly minFactor: number;
  private readonly recoveryStep: number;
  private level = 0;
  private updatedAt: number;
  private blockedUntil = Number.NEGATIVE_INFINITY;
  /** 1 = nominal limits; shrinks after rejections. */
  private factor = 1;

  constructor(limits: RateLimits, now: number, options: LeakyBucketOptions = {}) {
    this.limits = limits;
    this.headroom = Math.max(0, Math.min(options.headroom ?? 1, limits.burst - 1));
    this.minFactor = options.minFactor ?? 0.25;
    this.recoveryStep = options.recoveryStep ?? 0.05;
    this.updatedAt = now;
  }

  /** Requests per second we currently allow ourselves. */
  get rate(): number {
    return this.limits.perSecond * this.factor;
  }

  /** How many requests may be in the bucket at once, as we currently believe. */
  get capacity(): number {
    return Math.max(1, (this.limits.burst - this.headroom) * this.factor);
  }

  private drain(now: number): void {
    if (now > this.updatedAt) {
      this.level = Math.max(0, this.level - ((now - this.updatedAt) * this.rate) / 1000);
      this.updatedAt = now;
    }
  }

  /** The bucket level at `now` (requests). */
  levelAt(now: number): number {
    this.drain(now);
    return this.level;
  }

  /** Milliseconds until one more request fits; 0 when it fits now. Rounded up to whole ms. */
  waitMs(now: number): number {
    this.drain(now);
    if (now < this.blockedUntil) return Math.ceil(this.blockedUntil - now);
    const excess = this.level + 1 - this.capacity;
    if (excess <= 1e-9) return 0;
    return Math.max(1, Math.ceil((excess * 1000) / this.rate));
  }

  /** Counts one request sent at `now`. */
  take(now: number): void {
    this.drain(now);
    this.level += 1;
  }

  /**
   * The portal refused a request: assume its bucket is full, shrink to half (not below `minFactor`) and send
   * nothing before `now + backoffMs`.
   */
  penalize(now: number, backoffMs: number): void {
    this.drain(now);
    this.factor = Math.max(this.minFactor, this.factor / 2);
    // Full means at the shrunk capacity: a level left above it (the old capacity) would be drained at the shrunk
    // rate, holding every call back ~25 s after two rejections in a row while the portal frees a slot in 0.5 s.
    this.level = this.capacity;
    this.blockedUntil = Math.max(this.blockedUntil, now + backoffMs);
  }

  /** A request went through: win back part of the nominal rate. */
  reward(): void {
    this.factor = Math.min(1, this.factor + this.recoveryStep);
  }
}
