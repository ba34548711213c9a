import { describe, expect, it } from 'vitest';
import { B24Error } from './B24Error';
import { LeakyBucket, RATE_LIMITS, resolveLimits } from './LeakyBucket';

describe('LeakyBucket', () => {
  it('admits up to burst minus headroom at once, then drains at perSecond', () => {
    const bucket = new LeakyBucket({ perSecond: 2, burst: 50 }, 0);
    for (let i = 0; i < 49; i++) {
      expect(bucket.waitMs(0)).toBe(0);
      bucket.take(0);
    }
    expect(bucket.waitMs(0)).toBe(500);
    expect(bucket.waitMs(250)).toBe(250);
    expect(bucket.waitMs(500)).toBe(0);
    expect(bucket.levelAt(10_000)).toBeCloseTo(29);
  });

  it('after a rejection assumes the portal is full, shrinks, blocks for the back-off, then recovers', () => {
    const bucket = new LeakyBucket({ perSecond: 2, burst: 50 }, 0);
    bucket.penalize(0, 2_000);
    expect(bucket.rate).toBe(1);
    expect(bucket.capacity).toBe(24.5);
    expect(bucket.waitMs(0)).toBe(2_000);
    // Full at 24.5 and draining at 1/s: one request fits after a further second.
    expect(bucket.waitMs(2_000)).toBe(0);
    bucket.penalize(2_000, 0);
    bucket.penalize(2_000, 0);
    bucket.penalize(2_000, 0);
    expect(bucket.rate).toBe(0.5);
    for (let i = 0; i < 40; i++) bucket.reward();
    expect(bucket.rate).toBe(2);
    expect(bucket.capacity).toBe(49);
  });

  it('after rejections in a row assumes the portal full at the shrunk capacity, not fuller than any bucket can be', () => {
    const bucket = new LeakyBucket({ perSecond: 2, burst: 50 }, 0);
    bucket.penalize(0, 500);
    bucket.penalize(1_000, 1_000);
    expect(bucket.rate).toBe(0.5);
    expect(bucket.capacity).toBe(12.25);
    expect(bucket.levelAt(1_000)).toBe(12.25);
    // Blocked for the 1 s back-off, full at 12.25 and draining at 0.5/s: one request fits 2 s after the rejection,
    // not after the ~25 s it takes to drain the level of the first (larger) assumed bucket down to the second.
    expect(bucket.waitMs(1_000)).toBe(1_000);
    expect(bucket.waitMs(2_000)).toBe(1_000);
    expect(bucket.waitMs(3_000)).toBe(0);
  });

  it('resolves plan names and validates explicit limits', () => {
    expect(resolveLimits(undefined)).toBe(RATE_LIMITS.standard);
    expect(resolveLimits('enterprise')).toEqual({ perSecond: 5, burst: 250 });
    expect(resolveLimits({ perSecond: 10, burst: 100 })).toEqual({ perSecond: 10, burst: 100 });
    expect(() => resolveLimits({ perSecond: Number.NaN, burst: 1 })).toThrow(B24Error);
    expect(() => resolveLimits({ perSecond: 1, burst: 0 })).toThrow(
      /^Invalid limits\.burst: must be an integer >= 1 \(got 0\)$/,
    );
    expect(() => resolveLimits('premium')).toThrow(/^Invalid limits: must be/);
  });
});
