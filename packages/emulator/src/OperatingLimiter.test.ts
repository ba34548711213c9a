import { describe, expect, it } from 'vitest';
import { OperatingLimiter } from './OperatingLimiter';

describe('OperatingLimiter', () => {
  it('sums one-minute buckets over 10 minutes; each bucket drops out 10 minutes after its first call', () => {
    const limiter = new OperatingLimiter(10);
    const t0 = 1_800_000_030_000; // 30 s into a minute
    limiter.charge('m', t0, 6);
    limiter.charge('m', t0 + 20_000, 3); // same minute bucket
    limiter.charge('m', t0 + 90_000, 2); // next bucket
    expect(limiter.state('m', t0 + 90_000)).toEqual({ operating: 11, resetAt: Math.floor(t0 / 1000) + 600 });
    expect(limiter.blocked('m', t0 + 90_000)).toBe(true);
    expect(limiter.blocked('other', t0 + 90_000)).toBe(false);
    expect(limiter.state('m', t0 + 600_000)).toEqual({ operating: 2, resetAt: Math.floor((t0 + 90_000) / 1000) + 600 });
    expect(limiter.blocked('m', t0 + 600_000)).toBe(false);
  });
});
