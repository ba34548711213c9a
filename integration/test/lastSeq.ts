import type { Emulator } from '@b24-typing/emulator';

/** `emulator`'s newest timeline entry: anything recorded later came in after this moment. */
export function lastSeq(emulator: Emulator): number {
  return emulator.timeline().at(-1)?.seq ?? 0;
}
