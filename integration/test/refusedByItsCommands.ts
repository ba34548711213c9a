import type { CallEntry, TimelineEntry } from '@b24-typing/emulator';

/**
 * Whether `e`, a refused `batch`, has its commands on the `timeline` (the emulator records each command of a batch
 * refused as a whole, by the bucket, a fault or auth, saying whose it was). Such a batch excuses nothing itself, and is
 * not counted apart from them: its commands excuse their own indicators. One whose request could not be read has no
 * command entries: it names nobody, so it still excuses everyone.
 */
export function refusedByItsCommands(e: CallEntry, timeline: readonly TimelineEntry[]): boolean {
  return (
    e.method === 'batch' &&
    e.batchId !== null &&
    timeline.some((x) => x.kind === 'call' && x.batchId === e.batchId && x.method !== 'batch')
  );
}
