import { B24Error } from '@b24-typing/core';
import type { BatchItemResult } from '@b24-typing/core';

/**
 * Maps a `batch` reply's `result` (`{ result: {key: data}, result_error: {key: {error, error_description}} }`,
 * empty collections serialised as `[]`) back to one item per command, in the order they were sent (keys `0…n-1`).
 */
export function parseBatchResult(result: unknown, count: number): readonly BatchItemResult[] {
  const body = (result !== null && typeof result === 'object' ? result : {}) as Record<string, unknown>;
  const values = asRecord(body.result);
  const errors = asRecord(body.result_error);
  const items: BatchItemResult[] = [];
  for (let i = 0; i < count; i++) {
    const key = String(i);
    const error = errors[key];
    if (error !== undefined && error !== null) {
      items.push({
        ok: false,
        error: B24Error.fromResponse(typeof error === 'object' ? (error as Record<string, unknown>) : {}),
      });
    } else if (Object.hasOwn(values, key)) {
      items.push({ ok: true, result: values[key] });
    } else {
      items.push({
        ok: false,
        error: new B24Error({ code: 'ERROR_UNEXPECTED_ANSWER', message: `batch reply has no result for command ${i}` }),
      });
    }
  }
  return items;
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}
