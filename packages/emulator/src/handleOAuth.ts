import type { IncomingMessage, ServerResponse } from 'node:http';
import { ClockError } from './ClockError';
import { faultError, OAUTH_TOKEN } from './FaultBook';
import { bodyAbandoned, mergeParams, parseBody, readBody } from './parseBody';
import { type Params, parseQuery } from './phpQuery';
import type { Portal } from './Portal';
import { preemptFault } from './preemptFault';
import { RestError } from './RestError';
import { sendResponse } from './sendResponse';

/**
 * `/oauth/token/` with `grant_type=refresh_token` (reference §5): returns the documented fields and rotates the
 * refresh token. Errors use the authorization server's codes: `invalid_request`, `invalid_client`, `invalid_grant`;
 * a body too large to read is the emulator's 413 everywhere.
 */
export async function handleOAuth(
  portal: Portal,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  cors: Record<string, string>,
): Promise<void> {
  portal.stats.requests++;
  portal.stats.oauthRequests++;
  // Faults name this endpoint `oauth.token`; `'*'` (every REST call) leaves it alone.
  const fault = portal.faults.match(OAUTH_TOKEN, false);
  if (fault) {
    if (await preemptFault(portal, fault, req, res, cors, async () => {})) return;
    if (fault.status !== undefined || fault.error !== undefined) {
      const error = faultError(fault);
      portal.countStatus(error.status);
      sendResponse(res, error.status, error.toBody(), cors, undefined, fault);
      return;
    }
  }
  const fail = (status: number, error: string, description: string) => {
    portal.countStatus(status);
    sendResponse(res, status, { error, error_description: description }, cors, undefined, fault);
  };
  let params: Params;
  try {
    const body = await readBody(req, portal.maxBodyBytes);
    params = mergeParams(parseQuery(url.search.slice(1)), parseBody(body, req.headers['content-type']));
  } catch (error) {
    // A client that hung up mid-body gets no reply, so none is counted.
    if (!(error instanceof RestError) && (req.destroyed || res.destroyed)) return;
    // A body over `maxBodyBytes` is refused before a field is read, as on /rest/ and /_emulator/ (README: 413
    // `REQUEST_ENTITY_TOO_LARGE`, connection closed): no OAuth server answer, §5 names none for it.
    if (error instanceof RestError && bodyAbandoned(req)) fail(error.status, error.code, error.message);
    else if (error instanceof RestError) fail(error.status, 'invalid_request', error.message);
    else fail(400, 'invalid_request', 'Unreadable request');
    return;
  }
  if (params.grant_type !== 'refresh_token') {
    fail(400, 'invalid_request', 'grant_type must be refresh_token');
    return;
  }
  const { client_id: clientId, client_secret: clientSecret, refresh_token: refreshToken } = params;
  if (typeof clientId !== 'string' || typeof clientSecret !== 'string' || typeof refreshToken !== 'string') {
    fail(400, 'invalid_request', 'client_id, client_secret and refresh_token are required');
    return;
  }
  const app = portal.apps.get(clientId);
  if (!app || app.clientSecret !== clientSecret) {
    fail(401, 'invalid_client', 'Invalid client credentials');
    return;
  }
  const stored = portal.refreshTokens.get(refreshToken);
  let tokens: ReturnType<Portal['issueToken']>;
  try {
    if (!stored || stored.clientId !== clientId || stored.expiresAt <= portal.now()) {
      fail(400, 'invalid_grant', 'Invalid refresh token');
      return;
    }
    // Issued before the old token is spent: a clock that fails meanwhile leaves the client its refresh token.
    tokens = portal.issueToken(stored.userId, { clientId });
  } catch (error) {
    if (!(error instanceof ClockError)) throw error;
    // An injected clock gone bad (README): the documented internal error (reference §6), not the client's fault.
    fail(500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
    return;
  }
  portal.refreshTokens.delete(refreshToken);
  portal.countStatus(200);
  sendResponse(
    res,
    200,
    {
      access_token: tokens.accessToken,
      client_endpoint: `${portal.baseUrl}/rest/`,
      // The authorization server's own domain, not the portal's (reference §5): clients must not build URLs from it.
      domain: 'oauth.bitrix.info',
      expires: Math.floor(tokens.expiresAt / 1000),
      expires_in: Math.round(portal.tokenTtlMs / 1000),
      member_id: portal.memberId,
      refresh_token: tokens.refreshToken,
      scope: [...app.scopes].join(','),
      server_endpoint: `${portal.baseUrl}/rest/`,
      status: 'L',
      user_id: tokens.userId,
    },
    cors,
    undefined,
    fault,
  );
}
