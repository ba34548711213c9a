import { B24Error } from './B24Error';

/**
 * Bad input caught before any call is made. `field` and `rule` let a UI point at the culprit without parsing the
 * message; the message repeats them for people reading logs. A secret (bot token) is never echoed back.
 */
export class B24InputError extends B24Error {
  override readonly name: string = 'B24InputError';
  // `declare`, as in B24Error: the constructor assigns them.
  /** The option that was wrong (`dialogId`, `botId`, `leaseSec`, `status`, `botToken` …). */
  declare readonly field: string;
  /** What it must satisfy, in words (`integer between 1 and 600`). */
  declare readonly rule: string;

  constructor(field: string, rule: string, received?: string) {
    // No `kind`: ERROR_KINDS classifies our own INVALID_ARGUMENT as `input`.
    super({
      code: 'INVALID_ARGUMENT',
      message: `Invalid ${field}: must be ${rule}${received === undefined ? '' : ` (got ${received})`}`,
    });
    this.field = field;
    this.rule = rule;
  }

  override toJSON(): ReturnType<B24Error['toJSON']> & { field: string; rule: string } {
    return { ...super.toJSON(), field: this.field, rule: this.rule };
  }
}

/**
 * A short, safe description of a rejected value for an error message: strings are quoted and cut, objects are
 * named by type only (they may carry anything).
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return 'an array';
  // An object, function or symbol by its type; null, undefined, a number, boolean or bigint as it prints.
  return value === null || !/^[ofs]/.test(typeof value) ? String(value) : `a ${typeof value}`;
}
