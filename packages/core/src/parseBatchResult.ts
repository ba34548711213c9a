import { B24Error } from './B24Error';
import type { BatchItemResult } from './Transport';

// The helpers before parseBatchResult: a browser composer's bundle gzips smaller in this order.
type ErrorBody = { error?: unknown; error_description?: unknown };

/** Whether `collection` has an own entry at `index` (an inherited one is not the portal's). */
function hasEntry(collection: unknown, index: number): collection is Record<number, unknown> {
  // (`!!`: an object that is not null; shorter in the bundle than `!== null`)
  return typeof collection === 'object' && !!collection && Object.hasOwn(collection, index);
}

/**
 * For transport authors: maps the `result` of a `batch` reply (`{ result: {key: data}, result_error: {key:
 * {error, error_description}} }`, reference §8) back onto the `count` commands that were sent with keys
 * `0…count-1`, in order. PHP serialises each collection as a list or as an object with numeric keys depending
 * on gaps, and an empty one as `[]`; indexing by position reads all three.
 *
 * A command with an error becomes `{ ok: false, error }` (a `B24Error` from its `{error, error_description}`, of the
 * kind the same reply to the command sent alone would have, below);
 * one with neither a result nor an error (skipped after a `halt`) becomes `BATCH_COMMAND_SKIPPED`, kind
 * `server`. A reply that is not an object at all throws `ERROR_UNEXPECTED_ANSWER`: the whole batch failed.
 * With `calls`, the commands sent, their credentials are cut out of the errors' descriptions (see
 * `B24Error.fromResponse`): a command's error may quote its query.
 */
export function parseBatchResult(result: unknown, count: number, calls?: object): BatchItemResult[] {
  if (typeof result !== 'object' || result === null) {
    throw new B24Error({ code: 'ERROR_UNEXPECTED_ANSWER', message: 'batch reply without results' }); // kind `server`
  }
  const { result: results, result_error: errors } = result as { result?: unknown; result_error?: unknown };
  // (one push of a choice, not a push in each branch: the bundle is smaller)
  const items: BatchItemResult[] = [];
  for (let i = 0; i < count; i++) {
    const error = hasEntry(errors, i) ? errors[i] : undefined;
    items.push(
      error !== undefined && error !== null
        ? {
            // An error given as a bare code reads as `{ error: code }`. Its kind is the one the same reply to a call
            // of its own would have: a method's own refusal comes back alone as HTTP 400 (RestException's default,
            // reference §1.3, §6), so a code classifyError does not list is `input` here too, not a `server` error
            // retried until its deadline. Listed codes (server-side ones too) keep their kinds. It has no status.
            ok: false,
            error: B24Error.fromResponse(
              typeof error === 'object' ? (error as ErrorBody) : { error },
              undefined,
              calls,
              400,
            ),
          }
        : hasEntry(results, i)
          ? { ok: true, result: results[i] }
          : {
              ok: false,
              error: new B24Error({
                code: 'BATCH_COMMAND_SKIPPED', // kind `server`: the code is not listed and there is no status
                message: `batch command ${i} has neither a result nor an error`,
              }),
            },
    );
  }
  return items;
}
