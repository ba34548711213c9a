import type { ErrorKind } from './B24Error';

/**
 * Every error code in the platform reference (§1 method errors, §6 system errors, §8 batch), by kind. Kinds
 * decide what the scheduler does: `input`/`access` stop the indicator, `rate` backs off, `auth` is the
 * transport's to refresh, `server`/`network`/`timeout` retry within the deadline, `operating` waits.
 * Codes are matched exactly as the portal sends them (some are lower-case OAuth codes).
 */
export const ERROR_KINDS: Readonly<Record<string, ErrorKind>> = {
  // §1 indicator methods
  DIALOG_ID_EMPTY: 'input',
  CHAT_ID_EMPTY: 'input',
  BOT_ID_ERROR: 'input',
  BOT_ID_REQUIRED: 'input',
  BOT_NOT_FOUND: 'input',
  BOT_TOKEN_NOT_SPECIFIED: 'input',
  CHAT_NOT_FOUND: 'input',
  APP_ID_ERROR: 'access',
  BOT_OWNERSHIP_ERROR: 'access',
  ACCESS_ERROR: 'access',
  ACCESS_DENIED: 'access',
  REST_SERVER_NOT_FOUND: 'server',
  // §6 system errors
  INTERNAL_SERVER_ERROR: 'server',
  ERROR_UNEXPECTED_ANSWER: 'server',
  ERROR_CORE: 'server',
  PORTAL_DELETED: 'access',
  QUERY_LIMIT_EXCEEDED: 'rate',
  OVERLOAD_LIMIT: 'rate',
  OPERATION_TIME_LIMIT: 'operating',
  ERROR_BATCH_METHOD_NOT_ALLOWED: 'input',
  ERROR_BATCH_LENGTH_EXCEEDED: 'input',
  ERROR_METHOD_NOT_FOUND: 'input',
  ERROR_ARGUMENT: 'input',
  ERROR_MANIFEST_IS_NOT_AVAILABLE: 'access',
  INVALID_REQUEST: 'input',
  NO_AUTH_FOUND: 'auth',
  INVALID_CREDENTIALS: 'auth',
  expired_token: 'auth',
  invalid_token: 'auth',
  invalid_grant: 'auth',
  invalid_client: 'auth',
  authorization_error: 'auth',
  WRONG_AUTH_TYPE: 'auth',
  wrong_client: 'auth',
  insufficient_scope: 'access',
  user_access_error: 'access',
  APPLICATION_NOT_FOUND: 'access',
  PAYMENT_REQUIRED: 'access',
  CONNECTION_ERROR: 'server',
  NOT_FOUND: 'input',
  ERROR_NOT_FOUND: 'input',
};

/** The kind of an error code; an unknown code falls back on the HTTP status, then on `server`. */
export function classifyError(code: string, status?: number): ErrorKind {
  const known = Object.hasOwn(ERROR_KINDS, code) ? ERROR_KINDS[code] : undefined;
  if (known) return known;
  if (status === undefined) return 'server';
  if (status === 401) return 'auth';
  if (status === 403) return 'access';
  if (status === 429) return 'rate';
  if (status === 408 || status === 504) return 'timeout';
  if (status >= 400 && status < 500) return 'input';
  return 'server';
}
