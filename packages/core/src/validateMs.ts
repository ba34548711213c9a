import { B24InputError, describeValue } from './B24InputError';

/**
 * Policy durations are non-negative milliseconds a timer can wait: `setTimeout` fires at once for more than
 * 2^31 − 1 ms, which would turn a renewal period into a call every millisecond. `min` excludes 0 where a zero
 * would spin.
 */
export function validateMs(value: unknown, field: string, min = 0): number {
  if (typeof value !== 'number' || !(value <= 2147483647) || value < min) {
    throw new B24InputError(field, `milliseconds from ${min} to 2147483647`, describeValue(value));
  }
  return value;
}
