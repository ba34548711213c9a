import { describe, expect, it } from 'vitest';
import { seenBefore } from './seenBefore';

describe('seenBefore', () => {
  it('knows a key asked about before, and forgets the oldest past its limit', () => {
    const seen = seenBefore<number>(2);
    expect([seen(1), seen(1), seen(2), seen(1)]).toEqual([false, true, false, true]);
    expect(seen(3)).toBe(false); // three keys: 1, the oldest, is forgotten
    expect([seen(2), seen(3), seen(1)]).toEqual([true, true, false]);
    expect(seen(2)).toBe(false); // 1 came back and pushed 2 out: memory stays at the limit
  });
});
