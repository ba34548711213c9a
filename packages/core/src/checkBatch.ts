import { B24InputError } from './B24InputError';
import { checkCall, checkOptions } from './checkCall';
import type { TransportCall } from './Transport';

/** The portal refuses a `batch` of more than 50 commands (reference §8). */
export const MAX_BATCH = 50;

/**
 * For transport authors: checks a whole `batch` before anything goes on the wire, so every transport refuses the
 * same batches with the same `B24InputError`: `calls` must be an array of at most {@link MAX_BATCH} calls, each
 * of {@link checkCall}'s shape (the error names `calls[i].method` or `calls[i].params`), none of them a `batch`
 * itself, a `download` or an `upload`, in any case (the portal refuses these three inside a batch, reference §8).
 * `options`, the batch's options argument, is checked as `checkCall` checks a call's ({@link checkOptions}), after
 * the calls.
 */
export function checkBatch(calls: unknown, options?: unknown): asserts calls is readonly TransportCall[] {
  if (!Array.isArray(calls)) throw new B24InputError('calls', 'an array');
  // MAX_BATCH, written out: a literal rather than the constant makes the bundle smaller.
  if (calls.length > 50) {
    throw new B24InputError('calls', 'an array of at most 50 calls', `${calls.length}`);
  }
  // An index loop, not forEach: a hole in a sparse array is a missing call, not one to skip.
  for (let i = 0; i < calls.length; i++) {
    const call = calls[i] as Partial<TransportCall> | undefined;
    const at = `calls[${i}]`;
    checkCall(call?.method, call?.params, at);
    if (/^(batch|download|upload)$/i.test(call!.method)) {
      throw new B24InputError(`${at}.method`, 'a method other than batch, download or upload');
    }
  }
  checkOptions(options);
}
