export { createWebhookTransport } from './createWebhookTransport';
export type { WebhookTransportOptions } from './createWebhookTransport';
export { createOAuthTransport } from './createOAuthTransport';
export type { OAuthTokens, OAuthTransportOptions, StoredTokens } from './createOAuthTransport';
/** The portal's `BATCH_MAX_LENGTH` (reference §8), re-exported from core. */
export { MAX_BATCH } from '@b24-typing/core';
export type { NodeTransport, TransportOptions } from './createRestTransport';
export type { HttpOptions } from './createHttpClient';
/** Kept for compatibility: the encoder now lives in `@b24-typing/core`, shared with the browser transports. */
export { encodePhpQuery } from '@b24-typing/core';
export { parsePhpQuery } from './parsePhpQuery';
export { redactSecrets } from './redactSecrets';
export type { PhpQueryLimits } from './parsePhpQuery';
export { parseBotEvent } from './parseBotEvent';
export type { ParseBotEventOptions } from './parseBotEvent';
export { botEvents } from './botEvents';
export type { BotEventsOptions } from './botEvents';
export type {
  BotDeleteEvent,
  BotDeleteEventData,
  BotEvent,
  EventAuth,
  EventBot,
  EventChat,
  EventMessage,
  EventUser,
  JoinChatEvent,
  JoinChatEventData,
  MessageAddEvent,
  MessageEventData,
  MessageUpdateEvent,
  OtherBotEvent,
  V1BotDeleteEvent,
  V1BotDeleteEventData,
  V1CommandAddEvent,
  V1CommandAddEventData,
  V1EventBot,
  V1EventCommand,
  V1EventUser,
  V1JoinChatEvent,
  V1JoinChatEventData,
  V1MessageAddEvent,
  V1MessageAddEventData,
  V1MessageChangeParams,
  V1MessageDeleteEvent,
  V1MessageDeleteEventData,
  V1MessageUpdateEvent,
  V1MessageUpdateEventData,
} from './BotEvent';
