import { classifyError } from './classifyError';
import { scrubSecrets } from './scrubSecrets';

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
  // `declare`: the constructor assigns these, so no class field defines them as undefined first (same properties).
  declare readonly code: string;
  declare readonly status?: number;
  declare readonly kind: ErrorKind;

  constructor({ code, message, status, kind, cause }: B24ErrorOptions) {
    // No `cause` option means no `cause` property at all, rather than one that holds undefined.
    super(message ?? code, cause === undefined ? undefined : { cause });
    this.code = code;
    // `status` is assigned either way, so it is an own property: undefined when no response arrived (`toJSON`
    // leaves it out then).
    this.status = status;
    this.kind = kind ?? classifyError(code, status);
  }

  /**
   * Builds the error for a portal reply `{ error, error_description }`. The portal may quote the request back in its
   * description: the credentials among `params`, the call's (see `scrubSecrets`), are cut out of it.
   * `aloneStatus` is the status the kind is read with when the reply has none of its own: a batch command's error
   * is classified as the same reply to a call of its own would be (see `parseBatchResult`), its `status` left unset.
   */
  static fromResponse(
    body: { error?: unknown; error_description?: unknown },
    status?: number,
    params?: object,
    aloneStatus = status,
  ): B24Error {
    // (an empty string is no code, nor a description)
    const code = (typeof body.error === 'string' && body.error) || 'ERROR_UNEXPECTED_ANSWER';
    const description = body.error_description;
    return new B24Error({
      code,
      message: typeof description === 'string' && description ? `${code}: ${scrubSecrets(description, params)}` : code,
      kind: classifyError(code, aloneStatus),
      status,
    });
  }

  /**
   * Any thrown value as a `B24Error`: a `B24Error` passes through, anything else becomes `TRANSPORT_ERROR` (kind
   * `network`) with the original as `cause`. The original message is not copied: a foreign error (a fetch
   * failure, say) may quote the request URL, and a webhook URL carries its secret code.
   */
  static from(error: unknown): B24Error {
    if (isB24Error(error)) return error;
    let what: string = typeof error;
    try {
      if (error instanceof Error) what = String(error.name);
    } catch {
      // A name that cannot be read (a getter or a proxy trap that throws) names nothing: the type has to do, as a
      // throw here would escape the dispatcher's promise handlers as an unhandled rejection.
    }
    return new B24Error({
      code: 'TRANSPORT_ERROR', // kind `network`, as ERROR_KINDS classifies it
      message: `Transport failed (${what})`,
      cause: error,
    });
  }

  toJSON(): { name: string; code: string; kind: ErrorKind; status?: number; message: string } {
    const { name, code, kind, status, message } = this;
    return { name, code, kind, ...(status !== undefined && { status }), message };
  }
}

/** True for a `B24Error`, also across package copies (a duplicate install, ESM beside CJS). */
export function isB24Error(value: unknown): value is B24Error {
  // `name` is whatever the thrower set it to: String() keeps a non-string one from throwing here, and a value whose
  // getters or proxy traps throw is no B24Error (a B24Error's own fields are plain properties).
  try {
    return (
      value instanceof B24Error ||
      (value instanceof Error && /^B24/.test(String(value.name)) && 'kind' in value && 'code' in value)
    );
  } catch {
    return false;
  }
}
