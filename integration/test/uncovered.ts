export type Interval = readonly [number, number];

/** Parts of [from, to) not inside any of `cover` (each [a, b)): where an indicator that should show did not. */
export function uncovered(from: number, to: number, cover: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  let at = from;
  for (const [a, b] of [...cover].sort((x, y) => x[0] - y[0])) {
    if (b <= at) continue;
    if (a >= to) break;
    if (a > at) out.push([at, Math.min(a, to)]);
    at = Math.max(at, b);
    if (at >= to) break;
  }
  if (at < to) out.push([at, to]);
  return out;
}
