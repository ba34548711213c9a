// Shared by the policy benchmarks (virtual time): the scheduler tests' portal double, whose leaky bucket is the
// documented one (drain perSecond, refuse what would pass burst, refused requests not counted), and coverage
// computed from what actually reached it.
export {
  type Arrival,
  createBucketPortal,
  flushMicrotasks,
  VirtualClock,
} from '../../packages/core/src/createScheduler.test.fixture';
/** mulberry32, so every run of a benchmark sees the same workload. */
export { createPrng as seededRandom } from '../../packages/emulator/src/createPrng';

/** Length of the union of `[from, to)` intervals, clipped to `[start, end)`. */
export function coveredMs(intervals: readonly (readonly [number, number])[], start: number, end: number): number {
  const sorted = intervals
    .map(([from, to]) => [Math.max(from, start), Math.min(to, end)] as const)
    .filter(([from, to]) => to > from)
    .sort((a, b) => a[0] - b[0]);
  let total = 0;
  let curFrom = Number.NEGATIVE_INFINITY;
  let curTo = Number.NEGATIVE_INFINITY;
  for (const [from, to] of sorted) {
    if (from > curTo) {
      if (curTo > curFrom) total += curTo - curFrom;
      curFrom = from;
      curTo = to;
    } else if (to > curTo) curTo = to;
  }
  if (curTo > curFrom) total += curTo - curFrom;
  return total;
}
