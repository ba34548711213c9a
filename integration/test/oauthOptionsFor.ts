import type { Emulator } from '@b24-typing/emulator';
import type { OAuthTransportOptions } from '@b24-typing/node';

/**
 * What `createOAuthTransport` needs to call `emulator` as its seeded OAuth application, with `tokens` (default the
 * seed's own; a test that follows refreshes passes the ones it holds now).
 */
export function oauthOptionsFor(
  emulator: Emulator,
  tokens: { readonly accessToken: string; readonly refreshToken: string } = emulator.fixtures.oauth,
): OAuthTransportOptions {
  return {
    clientEndpoint: emulator.restUrl,
    oauthEndpoint: emulator.oauthUrl,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    clientId: emulator.fixtures.app.clientId,
    clientSecret: emulator.fixtures.app.clientSecret,
  };
}
