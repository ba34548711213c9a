import type { IncomingMessage } from 'node:http';
import { restError } from './errorCatalog';
import type { AuthContext } from './methodContext';
import type { Params } from './phpQuery';
import type { Portal } from './Portal';

/**
 * Webhook auth from the URL (`/rest/<userId>/<code>/`), else an OAuth token from `auth` / `access_token` (body or
 * query) or `Authorization: Bearer` (reference §5).
 */
export function authenticate(
  portal: Portal,
  route: { userId: number; code: string } | null,
  params: Params,
  req: IncomingMessage,
): AuthContext {
  if (route) {
    const hook = portal.webhooks.get(route.code);
    if (!hook || hook.userId !== route.userId) throw restError('INVALID_CREDENTIALS');
    return {
      type: 'webhook',
      userId: hook.userId,
      scopes: hook.scopes,
      identity: `hook:${hook.code}`,
      clientId: null,
      applicationToken: hook.applicationToken,
    };
  }
  let token = params.auth ?? params.access_token;
  const header = req.headers.authorization;
  if ((token === undefined || token === '') && header && /^Bearer\s+/i.test(header)) {
    token = header.replace(/^Bearer\s+/i, '');
  }
  if (typeof token !== 'string' || token === '') throw restError('NO_AUTH_FOUND');
  const record = portal.accessTokens.get(token);
  if (!record) throw restError('NO_AUTH_FOUND');
  if (record.expiresAt <= portal.now()) throw restError('expired_token');
  const app = portal.apps.get(record.clientId);
  return {
    type: 'oauth',
    userId: record.userId,
    scopes: app?.scopes ?? new Set(),
    identity: `app:${record.clientId}`,
    clientId: record.clientId,
    applicationToken: app?.applicationToken ?? '',
  };
}
