import { B24Error } from '@b24-typing/core';
import { APICallError, RetryError } from 'ai';

/**
 * What the apology tells the person in the chat about a failed answer: the kind of failure in plain words, never the
 * error's own text. That text is for the operator (the log line has it, but for the secrets the bot knows: node's
 * `redactSecrets`): a provider's error (the AI SDK's `APICallError`) quotes the provider's message, which can name
 * its URL, an organisation, a masked API key or a request id, and an unreachable endpoint's names the address it
 * could not reach; none of it is for the chat.
 *
 * The kinds are those that reach the apology: the answer timeout (`timedOutAfterMs`, ours); the model refusing for
 * its rate limit (HTTP 429, also as the `lastError` of the `RetryError` the SDK throws once its retry was refused
 * too); any other failure of the model (an `APICallError`, a `RetryError`, an error part the provider streamed, a
 * finish with `finishReason: 'error'`); and the portal refusing or failing the bot's message (`B24Error`, from
 * `imbot.v2.Chat.Message.send`: the model's path throws none). "Busy" is the 429 alone, not `isRetryable`: the SDK
 * sets that for an endpoint it cannot connect to and for every 5xx too, where "busy" would say the wrong thing.
 */
export function describeFailure(error: unknown, timedOutAfterMs?: number): string {
  if (timedOutAfterMs !== undefined) return `the model did not answer within ${Math.round(timedOutAfterMs / 1000)} s`;
  if (error instanceof B24Error) return 'sending my message to the chat failed';
  const last = RetryError.isInstance(error) ? error.lastError : error;
  if (APICallError.isInstance(last) && last.statusCode === 429)
    return 'the model is busy right now (too many requests)';
  return 'the model service failed or is unavailable';
}
