import type { Params } from './phpQuery';
import { nullRecord } from './phpQuery';
import { RestError } from './RestError';

/** `array_change_key_case(..., CASE_UPPER)`: the im module's way of making `dialog_id` work too (reference §1.1). */
export function upperKeys(params: Params): Params {
  const out = nullRecord();
  for (const key of Object.keys(params)) out[key.toUpperCase()] = params[key];
  return out;
}

/**
 * PHP `trim` with its default character list, " \t\n\r\0\x0B". JavaScript's `trim()` also strips NBSP, the other
 * Unicode spaces and U+FEFF, and keeps NUL, so a message of a no-break space would be "empty" here and not there.
 */
export function phpTrim(text: string): string {
  return text.replace(/^[ \t\n\r\0\v]+|[ \t\n\r\0\v]+$/g, ''); // \v is \x0B
}

/**
 * The text a PCRE pattern anchored with `$` saw: PHP's `$` also matches before one final "\n", so the source accepts
 * `chat1\n` where its pattern says `chat1`. Dropping that one newline lets the JavaScript side resolve the same id.
 */
export function withoutFinalNewline(text: string): string {
  return text.replace(/\n$/, '');
}

/** Characters as the docs count them (PHP `mb_strlen`): code points, so an emoji is one, not two UTF-16 units. */
export function charLength(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/**
 * PHP `intval`: leading digits of a string, truncated numbers, 0 otherwise. Only C whitespace (" \t\n\v\f\r") may
 * precede the digits; JavaScript's `\s` would also skip NBSP and the other Unicode spaces, which PHP does not.
 */
export function intval(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : 0;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') {
    const match = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(value);
    return match ? Number.parseInt(match[1]!, 10) : 0;
  }
  return 0;
}

/**
 * The integer a value names as a PHP array key (`$bots[$value]`): integers, floats truncated, booleans as 0/1, and
 * strings only in canonical decimal form. "010", " 10" or "10abc" stay string keys, so unlike `intval` they name no
 * integer-keyed entry: null, as for anything else.
 */
export function phpIntKey(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && /^(0|-?[1-9]\d*)$/.test(value)) {
    const key = Number(value);
    return Number.isSafeInteger(key) ? key : null;
  }
  return null;
}

/** PHP 8 `is_numeric`: whitespace allowed around the number is " \t\n\r\v\f" only, as for `intval`. */
export function isNumeric(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  return typeof value === 'string' && /^[ \t\n\r\v\f]*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[ \t\n\r\v\f]*$/.test(value);
}

/**
 * An `int` action parameter of an imbot.v2 controller, truncated: absent or null is `undefined` (the action's
 * default); anything else must pass `is_numeric`, or the binder refuses the call before it runs (reference §1.3:
 * PHP's `is_numeric('')` is false).
 */
export function intArgument(params: Params, name: string): number | undefined {
  const raw = params[name];
  if (raw === undefined || raw === null) return undefined;
  if (!isNumeric(raw)) {
    throw RestError.argument(
      name,
      `Invalid value ${JSON.stringify(raw)} to match with parameter {${name}}. Should be value of type int.`,
    );
  }
  return Math.trunc(Number(raw));
}

/**
 * The values of an `array` action parameter of an imbot.v2 controller (a JSON array or object, or a form's `x[]=…`):
 * absent or null is `undefined` (the action's default); anything else that is no array the binder refuses, as for an
 * `int` one (intArgument), with "Should be value of type array."
 */
export function arrayArgument(params: Params, name: string): unknown[] | undefined {
  const raw = params[name];
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object') {
    throw RestError.argument(
      name,
      `Invalid value ${JSON.stringify(raw)} to match with parameter {${name}}. Should be value of type array.`,
    );
  }
  return Object.values(raw);
}

/** PHP `isset` on one parameter: given and not null, so a JSON `null` counts as absent, as the source reads it. */
export function isset(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/** PHP `empty()` on a parameter: absent, null, `''`, `'0'`, `0`, `false` or an empty array. */
export function phpEmpty(value: unknown): boolean {
  if (!isset(value) || value === '' || value === '0' || value === 0 || value === false) return true;
  return typeof value === 'object' && Object.keys(value as object).length === 0;
}

/**
 * A PHP array that is a list (`Bitrix\Main\Type\Collection::isAssociative` false): keys 0..n-1 in order. A JSON
 * array is one; a form-encoded `x[0]=…&x[1]=…` arrives as a record with those keys and is one too.
 */
export function isPhpList(value: unknown): boolean {
  if (Array.isArray(value)) return true;
  if (value === null || typeof value !== 'object') return false;
  return Object.keys(value).every((key, index) => key === String(index));
}

/**
 * PHP's `base64_decode($text)` without `strict`, as `CRestUtil::saveFile` decodes an uploaded file: every character
 * outside `A-Z a-z 0-9 + /` is skipped wherever it stands (whitespace, `=` also mid-string, URL-safe `-` / `_`, the
 * `:` `;` `,` of a data URL, whose letters are kept and decoded), and a trailing part of a byte is dropped. Node's own
 * decoder differs: it stops at a `=` and reads `-` / `_` as digits.
 */
export function phpBase64Decode(text: string): Buffer {
  return Buffer.from(text.replace(/[^A-Za-z0-9+/]/g, ''), 'base64');
}

/** Scalars as PHP would cast them to string; arrays and objects as null. */
export function stringOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? '1' : '';
  return null;
}

/** `Y`/`1`/`true` style booleans (imbot.v2 `normalizeBooleanVariable`). */
export function truthy(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return ['y', '1', 'true'].includes(phpTrim(value).toLowerCase());
  return false;
}

/**
 * `batch`'s `halt` (reference §8). The documented `true/false/1/0` mean what the docs say, `"false"` included. Any
 * other value is read as the cited source reads it (`rest_provider.php methodsBatch`: `isset($arQuery['HALT']) &&
 * $arQuery['HALT']`), with PHP truthiness: only `""` and `"0"` (and JSON false, 0, null, an empty list) are false, so
 * `N` or `no` halts on a portal, and must here too.
 */
export function haltFlag(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return !(value === '' || value === '0' || value.toLowerCase() === 'false');
  return Object.keys(value as object).length > 0;
}

export function recordOf(value: unknown): Params | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Params) : null;
}
