import type { ErrorKind } from './B24Error';

/**
 * Every error code in the platform reference (§1 method errors, §6 system errors, §8 batch), by kind. Kinds
 * decide what the scheduler does: `input`/`access` stop the indicator, `rate` backs off, `auth` is the
 * transport's to refresh, `server`/`network`/`timeout` retry within the deadline, `operating` is not retried (the
 * portal blocks the method for up to 10 minutes) and holds its method for 10 s.
 * Codes are matched exactly as the portal sends them (some are lower-case OAuth codes). The HTTP status is only a
 * fallback for codes not listed: on-prem portals send most auth-stage failures as 401 whatever they mean (§6).
 */
export const ERROR_KINDS: Readonly<Record<string, ErrorKind>> = {
  // Grouped by kind (the kinds in the order that gzips smallest: one kind after another packs better than a
  // section's mix), each group in reference order: §1 indicator methods, §6 system errors, then our own codes
  // (never sent by a portal); but `input` and `access`, whose codes are in the order that gzips smallest too (a
  // browser composer's bundle 19 B smaller than in reference order), and `server`'s ERROR_UNEXPECTED_ANSWER and
  // `auth`'s bad_verification_code, each moved down for the same reason. Order changes nothing else: codes are looked
  // up.
  DIALOG_ID_EMPTY: 'input',
  CHAT_ID_EMPTY: 'input',
  BOT_ID_ERROR: 'input',
  BOT_NOT_FOUND: 'input',
  BOT_ID_REQUIRED: 'input',
  INVALID_REQUEST: 'input',
  BOT_TOKEN_NOT_SPECIFIED: 'input',
  INVALID_ARGUMENT: 'input', // ours
  BOT_TOKEN_INVALID_LENGTH: 'input',
  CHAT_NOT_FOUND: 'input',
  ERROR_NOT_FOUND: 'input',
  ERROR_METHOD_NOT_FOUND: 'input',
  ERROR_BATCH_METHOD_NOT_ALLOWED: 'input',
  NOT_FOUND: 'input',
  ERROR_BATCH_LENGTH_EXCEEDED: 'input',
  INVALID_ARG_VALUE: 'input',
  ERROR_ARGUMENT: 'input',
  REST_SERVER_NOT_FOUND: 'server',
  INTERNAL_SERVER_ERROR: 'server',
  ERROR_CORE: 'server',
  ERROR_UNEXPECTED_ANSWER: 'server',
  CONNECTION_ERROR: 'server',
  QUERY_LIMIT_EXCEEDED: 'rate',
  NO_AUTH_FOUND: 'auth',
  INVALID_CREDENTIALS: 'auth',
  expired_token: 'auth',
  invalid_token: 'auth',
  invalid_grant: 'auth',
  invalid_client: 'auth',
  invalid_request: 'auth',
  authorization_error: 'auth',
  AUTH_ERROR: 'auth',
  wrong_client: 'auth',
  bad_verification_code: 'auth',
  APPLICATION_NOT_FOUND: 'access',
  APP_ID_ERROR: 'access',
  ACCESS_ERROR: 'access',
  // A manual block of the portal's REST API by Bitrix24 support: backing off does not lift it (jssdk never
  // retries it either), so it is a refusal, not a rate signal.
  OVERLOAD_LIMIT: 'access',
  invalid_scope: 'access',
  insufficient_scope: 'access',
  // Session auth where REST wants a token: a refresh yields the same auth type again.
  WRONG_AUTH_TYPE: 'access',
  allowed_only_intranet_user: 'access',
  ERROR_MANIFEST_IS_NOT_AVAILABLE: 'access',
  BOT_OWNERSHIP_ERROR: 'access',
  PAYMENT_REQUIRED: 'access',
  PORTAL_DELETED: 'access',
  SCOPE_ERROR: 'access',
  // One code, three causes, all of which a retry cannot fix: REST not on the portal's plan (§6, 403 or 401),
  // "Client ID not specified" for a legacy webhook call (§1.2, 403), and a bot that is not a member of the
  // dialog (§1.3, 400 in current code). Hence `access`, whatever the status.
  ACCESS_DENIED: 'access',
  user_access_error: 'access',
  // ours
  ABORTED: 'network',
  NETWORK_ERROR: 'network',
  TRANSPORT_ERROR: 'network',
  TIMEOUT: 'timeout', // ours
  OPERATION_TIME_LIMIT: 'operating',
};

/**
 * The kind of an error code; an unknown code falls back on the HTTP status, then on `server`. A 3xx is `input`,
 * like a 404: a redirect says the endpoint is wrong (a portal moved, `http` where it wants `https`), which no
 * retry mends; the transports follow none (a 307/308 would re-POST the token to wherever it points).
 * A 503 without a code stays `server`, unlike jssdk's `503 || QUERY_LIMIT_EXCEEDED`: the portal's rate limit sends its
 * code with the 503 (BX24.js and BX.rest, which drop the body, drop the status too), so a bare 503 comes from something
 * in front of the portal, and `rate` would tell the scheduler that the call was refused before it landed, which such a
 * reply cannot tell.
 */
export function classifyError(code: string, status?: number): ErrorKind {
  if (Object.hasOwn(ERROR_KINDS, code)) return ERROR_KINDS[code] as ErrorKind;
  if (status === 401) return 'auth';
  if (status === 403) return 'access';
  if (status === 429) return 'rate';
  if (status === 408 || status === 504) return 'timeout';
  // (without a status, `undefined >= 300` is false)
  if (status! >= 300 && status! < 500) return 'input';
  return 'server';
}
