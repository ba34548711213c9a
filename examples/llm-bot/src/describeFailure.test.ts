import { B24Error } from '@b24-typing/core';
import { APICallError, RetryError } from 'ai';
import { describe, expect, it } from 'vitest';
import { describeFailure } from './describeFailure';

/** A provider's refusal as the AI SDK reports it: its message quotes the provider, key and URL included. */
const refusal = (statusCode: number | undefined, isRetryable = false) =>
  new APICallError({
    message: 'Incorrect API key provided: sk-test-XXXX1234 (https://api.example.com/v1, org-test-acme)',
    url: 'https://api.example.com/v1/chat/completions',
    requestBodyValues: {},
    ...(statusCode === undefined ? {} : { statusCode }),
    isRetryable,
  });
const retried = (last: unknown) =>
  new RetryError({
    message: `Failed after 2 attempts. Last error: ${String(last)}`,
    reason: 'maxRetriesExceeded',
    errors: [last, last],
  });

describe('describeFailure', () => {
  it.each([
    [
      'the answer timeout (ours)',
      new DOMException('The reply was aborted', 'AbortError'),
      120_000,
      'the model did not answer within 120 s',
    ],
    ['a 429 of the provider', refusal(429, true), undefined, 'the model is busy right now (too many requests)'],
    [
      'a 429 retried and refused again (RetryError)',
      retried(refusal(429, true)),
      undefined,
      'the model is busy right now (too many requests)',
    ],
    ['a refused key (401)', refusal(401), undefined, 'the model service failed or is unavailable'],
    [
      'a 5xx retried in vain (retryable, yet not busy)',
      retried(refusal(503, true)),
      undefined,
      'the model service failed or is unavailable',
    ],
    [
      'an endpoint it cannot connect to (retryable, no status)',
      refusal(undefined, true),
      undefined,
      'the model service failed or is unavailable',
    ],
    [
      'an error part or finishReason error',
      new Error('The model stopped with an error'),
      undefined,
      'the model service failed or is unavailable',
    ],
    ['something not an Error', { error: 'sk-test-XXXX1234' }, undefined, 'the model service failed or is unavailable'],
    [
      'the portal refusing the message',
      new B24Error({ code: 'PARAMS_ERROR', message: 'PARAMS_ERROR: bad fields' }),
      undefined,
      'sending my message to the chat failed',
    ],
    [
      'the portal over its rate limit',
      new B24Error({ code: 'QUERY_LIMIT_EXCEEDED', message: 'QUERY_LIMIT_EXCEEDED', status: 503 }),
      undefined,
      'sending my message to the chat failed',
    ],
  ] as const)('%s: says its kind only', (_, error, timedOutAfterMs, said) => {
    expect(describeFailure(error, timedOutAfterMs)).toBe(said);
    expect(describeFailure(error, timedOutAfterMs)).not.toMatch(/sk-test|https?:|org-test|PARAMS_ERROR|QUERY_LIMIT/);
  });
});
