import type { CallEntry, TimelineEntry } from '@b24-typing/emulator';

/**
 * The rate refusals in a row of a scheduler as of each call entry of `timeline`, counted as core's scheduler counts
 * them to back off: per request, not per entry. A request answered resets the count, one refused for the rate adds one,
 * and a `batch` answered with commands refused for the rate (in its `result_error`) counts as one refusal, however
 * many. A `batch` and its commands are one request (those of a batch refused as a whole are on the timeline too, with
 * the batch's refusal), so every entry of it gets its request's count. `mine` picks the scheduler's requests (each
 * given as its entries, the batch's own last); the others leave the count as it is.
 */
export function rateStreaks(
  timeline: readonly TimelineEntry[],
  mine: (request: readonly CallEntry[]) => boolean,
): Map<CallEntry, number> {
  const batches = new Map<number, CallEntry[]>();
  for (const e of timeline) {
    if (e.kind === 'call' && e.batchId !== null) batches.set(e.batchId, [...(batches.get(e.batchId) ?? []), e]);
  }
  const streaks = new Map<CallEntry, number>();
  let streak = 0;
  for (const e of timeline) {
    if (e.kind !== 'call' || streaks.has(e)) continue;
    const request = e.batchId === null ? [e] : (batches.get(e.batchId) ?? [e]);
    if (mine(request)) {
      // The request's outcome is its own entry's: a plain call's, or the batch's, which comes after its commands.
      const outcome = request.at(-1)!.error;
      if (outcome === null) streak = request.some((c) => c.error === 'QUERY_LIMIT_EXCEEDED') ? 1 : 0;
      else if (outcome === 'QUERY_LIMIT_EXCEEDED') streak++;
    }
    for (const c of request) streaks.set(c, streak);
  }
  return streaks;
}
