import type { Observable } from 'rxjs';
import { isObservable } from './rx';
import { B24InputError, describeValue } from './B24InputError';

/** An option that must be an Observable, checked when the indicator is created rather than when it misbehaves. */
export function requireObservable(value: unknown, field: string): Observable<unknown> {
  if (!isObservable(value)) throw new B24InputError(field, 'an Observable', describeValue(value));
  return value;
}
