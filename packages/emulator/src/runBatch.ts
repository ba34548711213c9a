import { restError } from './errorCatalog';
import { invokeMethod, refusedRecord } from './invokeMethod';
import { type AuthContext, emptyRecord } from './methodContext';
import { truthy } from './paramValues';
import { type Params, parseQuery } from './phpQuery';
import type { Portal } from './Portal';
import { RestError } from './RestError';
import { timeBlock } from './timeBlock';

const BATCH_MAX_LENGTH = 50;
/** Refused inside a batch (reference §8). */
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

/**
 * `batch` (reference §8): up to 50 `method?query` commands run in order with the caller's auth; each failure goes
 * to `result_error`, later commands past 50 get `ERROR_BATCH_LENGTH_EXCEEDED`, `halt` stops at the first error.
 */
export function runBatch(portal: Portal, params: Params, auth: AuthContext, batchId: number): unknown {
  const cmd = params.cmd;
  const halt = truthy(params.halt);
  const results = new Map<string, unknown>();
  const errors = new Map<string, unknown>();
  const times = new Map<string, unknown>();
  const entries: [string, unknown][] =
    cmd !== null && typeof cmd === 'object'
      ? Array.isArray(cmd)
        ? cmd.map((value, index) => [String(index), value])
        : Object.entries(cmd)
      : [];
  let index = 0;
  for (const [key, value] of entries) {
    const started = portal.now();
    const text = typeof value === 'string' ? substituteResults(value, results) : '';
    const question = text.indexOf('?');
    // The name as parse_url gives it (§8): no `.json`/`.xml` stripping, that suffix belongs to an HTTP route (§5).
    const method = (question < 0 ? text : text.slice(0, question)).trim();
    if (index++ >= BATCH_MAX_LENGTH) {
      // Not run, but on the timeline as every command is, saying whose call it was (as for any refusal).
      const error = restError('ERROR_BATCH_LENGTH_EXCEEDED');
      const params = parseQuery(question < 0 ? '' : text.slice(question + 1));
      portal.recordCall(
        method,
        refusedRecord(portal, method, params, auth),
        error.status,
        error.code,
        auth,
        batchId,
        started,
      );
      errors.set(key, error.toBody());
      if (halt) break;
      continue;
    }
    try {
      if (NOT_IN_BATCH.has(method.toLowerCase())) {
        portal.countMethod(method);
        const error = restError('ERROR_BATCH_METHOD_NOT_ALLOWED');
        portal.recordCall(method, emptyRecord(), error.status, error.code, auth, batchId, started);
        throw error;
      }
      const sub = parseQuery(question < 0 ? '' : text.slice(question + 1));
      delete sub.auth;
      const { result } = invokeMethod(portal, method, sub, auth, batchId);
      results.set(key, result);
      const { start, finish, duration, processing, date_start, date_finish } = timeBlock(started, portal.now());
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
