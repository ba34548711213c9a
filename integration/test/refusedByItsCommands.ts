import type { CallEntry, TimelineEntry } from '@b24-typing/emulator';

/**
 * Whether `e`, a refused `batch`, has its commands on the `timeline` (a reset or a proxy's page: the emulator records
 * each, saying whose it was). Such a batch excuses nothing itself: its commands excuse their own indicators. One
 * refused as a whole (an error fault, the rate limit: no command entries) names nobody, so it still excuses everyone.
 */
export function refusedByItsCommands(e: CallEntry, timeline: readonly TimelineEntry[]): boolean {
  return (
    e.method === 'batch' &&
    e.batchId !== null &&
    timeline.some((x) => x.kind === 'call' && x.batchId === e.batchId && x.method !== 'batch')
  );
}
