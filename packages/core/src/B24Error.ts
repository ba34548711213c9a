import { classifyError } from './classifyError';

/** What kind of failure, which decides what to do about it (see `classifyError`). */
export type ErrorKind = 'auth' | 'rate' | 'operating' | 'input' | 'access' | 'server' | 'network' | 'timeout';

export interface B24ErrorOptions {
  /** The portal's `error` code (`QUERY_LIMIT_EXCEEDED`, `expired_token` …) or one of ours (`ABORTED`, `INVALID_ARGUMENT`, `TRANSPORT_ERROR` …). */
  readonly code: string;
  /** Human text. Never put a webhook code, token or secret in it. Defaults to the code. */
  readonly message?: string;
  /** HTTP status, when a response arrived. */
  readonly status?: number;
  /** Defaults to the classification of `code` (and `status`). */
  readonly kind?: ErrorKind;
  readonly cause?: unknown;
}

/**
 * The one error type everything in b24-typing rejects or reports with. Classify by `kind` (or `code`), never by
 * `message`: the portal's texts change between versions and languages.
 */
export class B24Error extends Error {
  override readonly name: string = 'B24Error';
  readonly code: string;
  readonly status?: number;
  readonly kind: ErrorKind;

  constructor(options: B24ErrorOptions) {
    super(options.message ?? options.code, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    if (options.status !== undefined) this.status = options.status;
    this.kind = options.kind ?? classifyError(options.code, options.status);
  }

  /** Builds the error for a portal reply `{ error, error_description }`. */
  static fromResponse(body: { error?: unknown; error_description?: unknown }, status?: number): B24Error {
    const code = typeof body.error === 'string' && body.error !== '' ? body.error : 'ERROR_UNEXPECTED_ANSWER';
    const description = typeof body.error_description === 'string' ? body.error_description : undefined;
    return new B24Error({
      code,
      message: description ? `${code}: ${description}` : code,
      ...(status === undefined ? {} : { status }),
    });
  }

  /**
   * Any thrown value as a `B24Error`: a `B24Error` passes through, anything else becomes `TRANSPORT_ERROR` (kind
   * `network`) with the original as `cause`. The original message is not copied: a foreign error (a fetch
   * failure, say) may quote the request URL, and a webhook URL carries its secret code.
   */
  static from(error: unknown): B24Error {
    if (isB24Error(error)) return error;
    const what = error instanceof Error ? error.name : typeof error;
    return new B24Error({
      code: 'TRANSPORT_ERROR',
      kind: 'network',
      message: `Transport failed (${what})`,
      cause: error,
    });
  }

  toJSON(): { name: string; code: string; kind: ErrorKind; status?: number; message: string } {
    return {
      name: this.name,
      code: this.code,
      kind: this.kind,
      ...(this.status === undefined ? {} : { status: this.status }),
      message: this.message,
    };
  }
}

/** True for a `B24Error`, also across package copies (duplicate installs, realms). */
export function isB24Error(value: unknown): value is B24Error {
  return (
    value instanceof B24Error ||
    (value instanceof Error && value.name.startsWith('B24') && 'kind' in value && 'code' in value)
  );
}
