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
 *
 * Returns the calls as read, a new array of `{ method, params }` (each the same params object), for the transport to
 * send: each call's `method` and `params` are read once, here, so a getter cannot give the transport another value than
 * the one checked. One whose getter (or a Proxy's trap, the array's own index included) throws is refused as a missing
 * one, in `checkCall`'s words (`calls[1].method` must be a REST method name, `calls[1].params` a plain object), as
 * `checkOptions` refuses a `signal` it cannot read: its error not kept (not even as `cause`: a getter loading a
 * credential may quote it). Raw, it reached a transport's caller as a network failure, retried.
 */
export function checkBatch(calls: unknown, options?: unknown): TransportCall[] {
  // Its length read once, and as input: a Proxy's `length` could pass the limit and then give more calls, and a trap
  // that throws (or a revoked Proxy, which Array.isArray throws on) must not reach the caller raw, as one of a call.
  let length: unknown;
  try {
    if (Array.isArray(calls)) length = calls.length;
  } catch {
    // not kept: a getter loading a credential may quote it
  }
  if (typeof length !== 'number') throw new B24InputError('calls', 'an array');
  // MAX_BATCH, written out: a literal rather than the constant makes the bundle smaller.
  if (length > 50) {
    throw new B24InputError('calls', 'an array of at most 50 calls', `${length}`);
  }
  // Array.from with a length, not map: a hole in a sparse array is a missing call, not one to skip.
  const read = Array.from({ length }, (_, i): TransportCall => {
    const at = `calls[${i}]`;
    let method: unknown;
    let params: unknown;
    try {
      const call = (calls as unknown[])[i] as Partial<TransportCall> | undefined;
      method = call?.method;
      params = call?.params;
    } catch {
      // A getter or Proxy trap that throws: what it did not give is missing, refused below. Its error is not kept.
    }
    checkCall(method, params, at);
    if (/^(batch|download|upload)$/i.test(method)) {
      throw new B24InputError(`${at}.method`, 'a method other than batch, download or upload');
    }
    return { method, params } as TransportCall;
  });
  checkOptions(options);
  return read;
}
