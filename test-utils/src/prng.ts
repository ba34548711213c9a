/**
 * A seeded `[0, 1)` source (mulberry32) to stand in for `Math.random` (core reads it at call time for jitter) or to draw
 * a typing rhythm, so that a failing scenario replays exactly and every run types the same way. (The emulator has its
 * own, `createPrng`: it is a published package and does not depend on this one.)
 */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
