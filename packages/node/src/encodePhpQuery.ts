import { inputError } from './inputError';

/**
 * Encodes parameters the way PHP's `parse_str` reads them back (`fields[message]=…`, `ids[0]=1`), which is how
 * the portal decodes each `method?query` command inside a `batch` (reference §8). JSON cannot be used there:
 * a batch command is a query string.
 *
 * Value conventions (reference §4.1, §8): every value becomes a string; `true`/`false` become `Y`/`N` (what
 * both the classic methods and imbot.v2's boolean normaliser accept); `null` becomes an empty string (what
 * the platform itself sends for null); `undefined` is left out, as JSON would; a `Date` becomes its ISO
 * string. Empty arrays and objects are left out, as `http_build_query` does: the format cannot express them.
 */
export function encodePhpQuery(params: Record<string, unknown>, field = 'params'): string {
  const pairs: string[] = [];
  const seen = new Set<object>();
  for (const [key, value] of Object.entries(params)) {
    checkKey(key, `${field}.${key}`);
    encodeValue(encodeURIComponent(key), value, pairs, seen, `${field}.${key}`, 0);
  }
  return pairs.join('&');
}

const MAX_DEPTH = 32;

function checkKey(key: string, path: string): void {
  if (key === '' || key.includes('[') || key.includes(']')) {
    throw inputError(path, 'a non-empty key without "[" or "]" (PHP bracket syntax)');
  }
}

function encodeValue(
  name: string,
  value: unknown,
  pairs: string[],
  seen: Set<object>,
  path: string,
  depth: number,
): void {
  if (value === undefined) return;
  if (value === null) {
    pairs.push(`${name}=`);
    return;
  }
  switch (typeof value) {
    case 'string':
      pairs.push(`${name}=${encodeURIComponent(value)}`);
      return;
    case 'boolean':
      pairs.push(`${name}=${value ? 'Y' : 'N'}`);
      return;
    case 'number':
      if (!Number.isFinite(value)) throw inputError(path, 'a finite number');
      pairs.push(`${name}=${String(value)}`);
      return;
    case 'bigint':
      pairs.push(`${name}=${value.toString()}`);
      return;
    case 'object':
      break;
    default:
      throw inputError(path, 'a string, number, boolean, null, Date, array or object', `a ${typeof value}`);
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw inputError(path, 'a valid Date');
    pairs.push(`${name}=${encodeURIComponent(value.toISOString())}`);
    return;
  }
  if (depth >= MAX_DEPTH) throw inputError(path, `nested at most ${MAX_DEPTH} levels deep`);
  if (seen.has(value)) throw inputError(path, 'free of cycles');
  seen.add(value);
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      encodeValue(`${name}[${index}]`, item, pairs, seen, `${path}[${index}]`, depth + 1);
    });
  } else {
    for (const [key, item] of Object.entries(value)) {
      checkKey(key, `${path}.${key}`);
      encodeValue(`${name}[${encodeURIComponent(key)}]`, item, pairs, seen, `${path}.${key}`, depth + 1);
    }
  }
  seen.delete(value);
}
