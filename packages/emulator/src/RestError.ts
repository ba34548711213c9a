/**
 * An error reply in Bitrix24's shape: `{error, error_description}` with an HTTP status and no `time` block
 * (reference §5 "Error envelope"). Thrown by method handlers, turned into a response by the router.
 */
export class RestError extends Error {
  readonly code: string;
  readonly status: number;
  readonly extra: Record<string, unknown>;

  constructor(code: string, description: string, status: number, extra: Record<string, unknown> = {}) {
    super(description);
    this.name = 'RestError';
    this.code = code;
    this.status = status;
    this.extra = extra;
  }

  /** The JSON body Bitrix24 sends for this error. */
  toBody(): Record<string, unknown> {
    return { error: this.code, error_description: this.message, ...this.extra };
  }

  /** Binder/argument errors: `ERROR_ARGUMENT` 400 with an `argument` key (reference §6). */
  static argument(argument: string, description: string): RestError {
    return new RestError('ERROR_ARGUMENT', description, 400, { argument });
  }
}
