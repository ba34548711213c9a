import type { Params } from './phpQuery';
import { nullRecord } from './phpQuery';

/** `array_change_key_case(..., CASE_UPPER)`: the im module's way of making `dialog_id` work too (reference §1.1). */
export function upperKeys(params: Params): Params {
  const out = nullRecord();
  for (const key of Object.keys(params)) out[key.toUpperCase()] = params[key];
  return out;
}

/** PHP `intval`: leading digits of a string, truncated numbers, 0 otherwise. */
export function intval(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : 0;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') {
    const match = /^\s*([+-]?\d+)/.exec(value);
    return match ? Number.parseInt(match[1]!, 10) : 0;
  }
  return 0;
}

/** PHP `is_numeric`. */
export function isNumeric(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  return typeof value === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(value);
}

/** Scalars as PHP would cast them to string; arrays and objects as null. */
export function stringOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? '1' : '';
  return null;
}

/** `Y`/`1`/`true` style booleans (imbot.v2 `normalizeBooleanVariable`, batch `halt`). */
export function truthy(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return ['y', '1', 'true'].includes(value.trim().toLowerCase());
  return false;
}

export function recordOf(value: unknown): Params | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Params) : null;
}
