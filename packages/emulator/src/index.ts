export { PLANS } from './Portal';
export { startEmulator } from './startEmulator';
export { STATUS_TEXTS } from './ChatModel';
export { ERROR_CATALOG } from './errorCatalog';
export type { ErrorCode } from './errorCatalog';
export { httpBuildQuery, parseQuery } from './phpQuery';
export { visibilityFrom } from './Timeline';
export type {
  BotCredentials,
  CallEntry,
  CorsOption,
  Emulator,
  EmulatorFixtures,
  EmulatorOptions,
  EmulatorStats,
  Fault,
  FaultSpec,
  HideCause,
  HideEntry,
  IndicatorState,
  MessageEntry,
  OAuthTokens,
  PlanOption,
  ReceivedCall,
  SeedApp,
  SeedBot,
  SeedChat,
  SeedInput,
  SeedResult,
  SeedUser,
  SeedWebhook,
  TimelineEntry,
  VisibilityInterval,
  WebhookDelivery,
} from './types';
