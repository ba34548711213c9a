import { restError } from './errorCatalog';
import { invokeMethod, refusedRecord, throwCommandFault } from './invokeMethod';
import { type AuthContext, emptyRecord } from './methodContext';
import { haltFlag, upperKeys } from './paramValues';
import { type Params, parseQuery } from './phpQuery';
import type { Portal } from './Portal';
import { RestError } from './RestError';
import { timeBlock } from './timeBlock';

const BATCH_MAX_LENGTH = 50;
/**
 * Refused inside a batch (reference §8), by these exact names: methodsBatch compares with `===` before any
 * lower-casing, so `BATCH` is not refused here (it runs as a nested batch, `runCommand`).
 */
const NOT_IN_BATCH = new Set(['batch', 'download', 'upload']);

/** JSON with PHP's array rules: a map with keys 0..n-1 is a list, an empty map is `[]`. */
function phpCollection(map: Map<string, unknown>): unknown {
  if (map.size === 0) return [];
  const keys = [...map.keys()];
  if (keys.every((key, index) => key === String(index))) return [...map.values()];
  return Object.fromEntries(map);
}

/** `$result[key][field]` references to earlier results in a batch row. */
function substituteResults(text: string, results: Map<string, unknown>): string {
  return text.replace(/\$result\[([^\]]+)\]((?:\[[^\]]+\])*)/g, (match, key: string, path: string) => {
    let value: unknown = results.get(key);
    for (const part of path.match(/\[([^\]]+)\]/g) ?? []) {
      const name = part.slice(1, -1);
      value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined;
    }
    if (value === undefined || (value !== null && typeof value === 'object')) return match;
    return encodeURIComponent(String(value));
  });
}

/** A batch's commands (`cmd`: a list or a map), as key and text, in the order they run. */
function commandsOf(cmd: unknown): [string, unknown][] {
  if (cmd === null || typeof cmd !== 'object') return [];
  return Array.isArray(cmd) ? cmd.map((value, index) => [String(index), value]) : Object.entries(cmd);
}

/**
 * A command's method, as parse_url gives it (§8: no `.json`/`.xml` stripping, that suffix belongs to an HTTP route,
 * §5; not trimmed either: methodsBatch takes `$queryData['path']` as it is, and no method name has a space in it),
 * and its query (`parseQuery` may refuse it: invalid UTF-8, too many parameters).
 */
function splitCommand(text: string): { method: string; query: string } {
  const question = text.indexOf('?');
  return {
    method: question < 0 ? text : text.slice(0, question),
    query: question < 0 ? '' : text.slice(question + 1),
  };
}

/**
 * One command that is neither refused nor past the 50th, as methodsBatch runs it: `mb_strtolower($method)` first in
 * a CRestServerBatchItem, then the name as given. Lower-cased, `BATCH` or `Batch` is `batch`, a global method the
 * item finds and runs: a nested batch with the same auth, its commands on the timeline under this batch's id (one
 * HTTP request), its answer this command's result. Anything else is a method looked up as any call is.
 * A nested batch is a call of `batch` like any command's call of its method: a `batch` error fault hits it (in
 * `result_error`, its commands unrun) and, once it runs, it counts in `stats().batches` as the top-level one does.
 */
function runCommand(
  portal: Portal,
  method: string,
  sub: Params,
  auth: AuthContext,
  batchId: number,
  started: number,
): { result: unknown; finished: number } {
  if (method.toLowerCase() !== 'batch') return invokeMethod(portal, method, sub, auth, batchId);
  portal.countMethod('batch');
  try {
    throwCommandFault(portal, 'batch');
    portal.stats.batches++;
    const result = runBatch(portal, sub, auth, batchId);
    // Read before the nested batch is recorded as answered: a clock that fails here fails it, recorded once as such.
    const finished = portal.now();
    portal.recordCall('batch', emptyRecord(), 200, null, auth, batchId, started);
    return { result, finished };
  } catch (error) {
    const failed = error instanceof RestError ? error : restError('INTERNAL_SERVER_ERROR');
    portal.recordCall('batch', emptyRecord(), failed.status, failed.code, auth, batchId, started);
    throw failed;
  }
}

/**
 * A command refused before it ran, on the timeline as every command is: whose call it was (`caller`'s, read from its
 * parameters without acting on them, as for any refusal), the refusal's status and code, the batch's id.
 */
function recordRefusedCommand(
  portal: Portal,
  text: string,
  caller: AuthContext | null,
  status: number,
  code: string,
  auth: AuthContext | null,
  batchId: number,
  time: number,
): void {
  const { method, query } = splitCommand(text);
  let record = emptyRecord();
  try {
    record = refusedRecord(portal, method, parseQuery(query), caller);
  } catch {
    // A query that cannot be parsed names nobody; the command is refused all the same, like the others.
  }
  portal.recordCall(method, record, status, code, auth, batchId, time);
}

/**
 * Each command of a `batch` refused as a whole before it ran (the bucket, a fault, auth): refused with the batch's
 * status and code, under `batchId`, each saying whose call it was, so a reader of the timeline knows whose
 * indicators the refusal held up. `caller` is who the credentials vouch for (null: nobody); the entries' auth is none,
 * as for any call refused before authentication.
 */
export function recordRefusedBatch(
  portal: Portal,
  params: Params,
  caller: AuthContext | null,
  status: number,
  code: string,
  batchId: number,
  time: number,
): void {
  for (const [, value] of commandsOf(upperKeys(params).CMD)) {
    // A command that is not a string would have been skipped, never a call (`runBatch`): it held nothing up.
    if (typeof value === 'string') recordRefusedCommand(portal, value, caller, status, code, null, batchId, time);
  }
}

/**
 * `batch` (reference §8): up to 50 `method?query` commands run in order with the caller's auth; each failure goes
 * to `result_error`, later commands past 50 get `ERROR_BATCH_LENGTH_EXCEEDED`, `halt` stops at the first error;
 * a command that is not a string is skipped, as the source skips it. Only the exact names `batch`, `download` and
 * `upload` are refused; `BATCH` runs as a nested batch (`runCommand`), as it does on a portal.
 * Its own keys are read as the source §8 cites reads them, upper-cased first (`methodsBatch`:
 * `array_change_key_case($arQuery, CASE_UPPER)`, then `HALT` and `CMD`), so `HALT=1` or `Cmd[…]` work as `halt`/`cmd`.
 */
export function runBatch(portal: Portal, params: Params, auth: AuthContext, batchId: number): unknown {
  const { CMD: cmd, HALT: haltValue } = upperKeys(params);
  const halt = haltFlag(haltValue);
  const results = new Map<string, unknown>();
  const errors = new Map<string, unknown>();
  const times = new Map<string, unknown>();
  let index = 0;
  for (const [key, value] of commandsOf(cmd)) {
    const counted = index++;
    // methodsBatch counts a command (`$cnt++ < BATCH_MAX_LENGTH`), then passes over one that is not a string
    // (`if (!is_string($call)) continue;`): a form's `cmd[a][x]=1`, a JSON object, number or null has no result, no
    // error and no call, yet takes one of the 50 places; past them it is refused like any other.
    if (counted < BATCH_MAX_LENGTH && typeof value !== 'string') continue;
    const started = portal.now();
    const text = typeof value === 'string' ? substituteResults(value, results) : '';
    if (counted >= BATCH_MAX_LENGTH) {
      // Not run, but on the timeline as every command is, saying whose call it was (as for any refusal).
      const error = restError('ERROR_BATCH_LENGTH_EXCEEDED');
      recordRefusedCommand(portal, text, auth, error.status, error.code, auth, batchId, started);
      errors.set(key, error.toBody());
      if (halt) break;
      continue;
    }
    const { method, query } = splitCommand(text);
    try {
      if (NOT_IN_BATCH.has(method)) {
        portal.countMethod(method);
        const error = restError('ERROR_BATCH_METHOD_NOT_ALLOWED');
        portal.recordCall(method, emptyRecord(), error.status, error.code, auth, batchId, started);
        throw error;
      }
      const sub = parseQuery(query);
      // The batch's auth is the commands' (§8): a token in a command is not a parameter of its method, either name.
      delete sub.auth;
      delete sub.access_token;
      const { result, finished } = runCommand(portal, method, sub, auth, batchId, started);
      results.set(key, result);
      const { start, finish, duration, processing, date_start, date_finish } = timeBlock(started, finished);
      times.set(key, { start, finish, duration, processing, date_start, date_finish });
    } catch (error) {
      errors.set(key, (error instanceof RestError ? error : restError('INTERNAL_SERVER_ERROR')).toBody());
      if (halt) break;
    }
  }
  return {
    result: phpCollection(results),
    result_error: phpCollection(errors),
    result_total: [],
    result_next: [],
    result_time: phpCollection(times),
  };
}
