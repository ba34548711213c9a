import { B24InputError, describeValue } from './B24InputError';

/** Policy durations are finite, non-negative milliseconds; `min` excludes 0 where a zero would spin. */
export function validateMs(value: unknown, field: string, min = 0): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new B24InputError(
      field,
      min > 0 ? `a finite number of milliseconds of at least ${min}` : 'a finite, non-negative number of milliseconds',
      describeValue(value),
    );
  }
  return value;
}
