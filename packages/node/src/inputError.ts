import { B24InputError } from '@b24-typing/core';

/**
 * The error for bad input, raised before anything goes on the wire: core's `B24InputError` (kind `input`),
 * naming the field and the rule. `received` is only ever a count or a type name, never the value: values here
 * may be webhook URLs or tokens.
 */
export function inputError(field: string, rule: string, received?: string): B24InputError {
  return new B24InputError(field, rule, received);
}
