import { B24InputError } from './B24InputError';

/**
 * For transport authors: encodes REST parameters the way PHP's `parse_str` reads them back (`fields[message]=…`,
 * `ids[0]=1`). A `batch` command is a `method?query` string that the portal decodes with `parse_str` (reference
 * §8), so JSON nesting cannot be used there; a form-encoded request body is read the same way (§5). Every
 * transport (node, browser, your own) should encode the same way, so one call means the same on each.
 *
 * Value conventions (reference §8, §1.3):
 * - every value becomes a string; a `Date` becomes its ISO string, a `bigint` its digits;
 * - `true`/`false` become `Y`/`N`: the classic `im.*` methods check for `Y`, and imbot.v2's boolean normaliser
 *   accepts `Y`/`1`/`TRUE`, so `Y`/`N` is the one spelling both read correctly (`1`/`0` would not be `Y`);
 * - `null` and `undefined` are left out, as PHP's `http_build_query` does and as a JSON body means: "not
 *   given", so the server applies its default. An empty string instead would be a value: `duration=` fails
 *   imbot.v2's `is_numeric` check where an absent `duration` means "server default";
 * - empty arrays and objects are left out, as `http_build_query` does: the format cannot express them.
 *
 * Bad input throws `B24InputError` (kind `input`) naming the path (`params.fields.ids[2]`) and never quoting the
 * value: a key with `[`/`]` or an empty key (PHP would read a different structure), a non-finite number, an
 * invalid `Date`, a function or symbol, a cycle, or nesting deeper than 32 levels. `field` is the name the path
 * starts with, e.g. `calls[3].params` for the fourth command of a batch.
 */
export function encodePhpQuery(params: Record<string, unknown>, field = 'params'): string {
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    throw new B24InputError(field, 'a plain object');
  }
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
    throw new B24InputError(path, 'a non-empty key without "[" or "]" (PHP bracket syntax)');
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
  if (value === undefined || value === null) return;
  switch (typeof value) {
    case 'string':
      pairs.push(`${name}=${encodeURIComponent(value)}`);
      return;
    case 'boolean':
      pairs.push(`${name}=${value ? 'Y' : 'N'}`);
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new B24InputError(path, 'a finite number');
      pairs.push(`${name}=${String(value)}`);
      return;
    case 'bigint':
      pairs.push(`${name}=${value.toString()}`);
      return;
    case 'object':
      break;
    default:
      throw new B24InputError(path, 'a string, number, boolean, null, Date, array or object', `a ${typeof value}`);
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new B24InputError(path, 'a valid Date');
    pairs.push(`${name}=${encodeURIComponent(value.toISOString())}`);
    return;
  }
  if (depth >= MAX_DEPTH) throw new B24InputError(path, `nested at most ${MAX_DEPTH} levels deep`);
  if (seen.has(value)) throw new B24InputError(path, 'free of cycles');
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
