export type { AgentStatus } from './AgentStatus';
export { AGENT_STATUS_CODES, isAgentStatus, statusMessageCode } from './AgentStatus';
export type { B24ErrorOptions, ErrorKind } from './B24Error';
export { B24Error, isB24Error } from './B24Error';
export { B24InputError } from './B24InputError';
/** For transport authors: one REST call's shape (method name, params object) checked before it goes out. */
export { checkCall } from './checkCall';
// validateMs and validateDialogId here, out of name order: a bundler lays modules out in the order they are first
// imported, and a browser composer's bundles gzip smaller with these two early.
/** For transport authors: a duration option (`timeoutMs`) checked as milliseconds a timer can wait. */
export { validateMs } from './validateMs';
export { validateDialogId } from './validateDialogId';
/** For transport authors: a whole `batch` checked the same way (array, at most 50, none refused in one). */
export { checkBatch, MAX_BATCH } from './checkBatch';
export { classifyError, ERROR_KINDS } from './classifyError';
export type { RateLimits } from './createDispatcher';
export type { Indicators, IndicatorStats, IndicatorsOptions, UserTypingOptions } from './createIndicators';
export { createIndicators } from './createIndicators';
export type { TypingIndicators, TypingIndicatorsOptions } from './createTypingIndicators';
export { createTypingIndicators } from './createTypingIndicators';
export type { CallReason, DispatchStats, DropReason } from './Dispatcher';
export type {
  IndicatorCallInfo,
  IndicatorEvent,
  IndicatorEventType,
  IndicatorKind,
  StopReason,
} from './IndicatorEvent';
/** For transport authors: the one PHP bracket-syntax encoder every transport uses (batch commands, form bodies). */
export { encodePhpQuery } from './encodePhpQuery';
/** For transport authors: a `batch` reply's `result`/`result_error` mapped back onto the commands, in order. */
export { parseBatchResult } from './parseBatchResult';
export type { BotStatusOptions } from './resolveBotTarget';
export type { StatusPolicy, StatusSignal } from './statusSignals';
export { DEFAULT_STATUS_POLICY, resolveStatusPolicy, statusSignals } from './statusSignals';
export type { BatchItemResult, Transport, TransportCall, TransportCallOptions } from './Transport';
export type { TypingPolicy, TypingSignal, TypingStopReason } from './typingSignals';
export { DEFAULT_TYPING_POLICY, resolveTypingPolicy, typingSignals } from './typingSignals';
export { MAX_BOT_TOKEN_LENGTH, validateBotId, validateBotToken, validateLeaseSec } from './validateBot';
export type { DialogApi, DialogId } from './validateDialogId';
export type { StatusTarget } from './withStatus';
export { withStatus } from './withStatus';
