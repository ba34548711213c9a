import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { B24InputError } from '@b24-typing/core';
import type { LanguageModel } from 'ai';
import { createLocalModel } from './createLocalModel';
import { isHttpUrl } from './isHttpUrl';

export interface ModelChoice {
  readonly model: LanguageModel;
  /** For the start-up banner: which model answers, never the key. */
  readonly description: string;
  /** For startBot's `secrets`: the API key, which a provider's refusal may quote ("Incorrect API key provided: …"). */
  readonly secrets: readonly string[];
}

/**
 * The model the bot talks to: an OpenAI-compatible endpoint when `LLM_BASE_URL` is set (with `LLM_API_KEY` if it
 * needs one; a local server such as Ollama or LM Studio needs none; `LLM_MODEL` picks the model, default
 * `gpt-4o-mini`), the local deterministic demo model when neither is, so the demo needs no account and no network
 * (`description` says which, for the start-up banner). A key without an endpoint, `LLM_LOCAL_SPEED` that is no speed,
 * or an `LLM_BASE_URL` that is no http(s) URL: B24InputError.
 */
export function createModel(env: Readonly<Record<string, string | undefined>> = process.env): ModelChoice {
  const baseURL = env.LLM_BASE_URL?.trim();
  const apiKey = env.LLM_API_KEY?.trim();
  // A key alone is a real LLM half set up, not a wish for the demo: run with the local model instead, the bot would
  // answer with canned text its operator takes for the LLM's. Refused, naming what is missing, never the key.
  if (apiKey && !baseURL) throw new B24InputError('LLM_BASE_URL', 'set with LLM_API_KEY (the endpoint to call)');
  if (baseURL) {
    // Refused here, as a bad flag is, rather than as Node's "Invalid URL" or at the first answer. Not echoed: a
    // gateway's URL may carry a key.
    if (!isHttpUrl(baseURL)) throw new B24InputError('LLM_BASE_URL', 'an absolute http(s) URL of the endpoint');
    const modelId = env.LLM_MODEL?.trim() || 'gpt-4o-mini';
    const provider = createOpenAICompatible({ name: 'llm', baseURL, ...(apiKey ? { apiKey } : {}) });
    return {
      model: provider.chatModel(modelId),
      description: `${modelId} at ${new URL(baseURL).origin}`,
      secrets: apiKey ? [apiKey] : [],
    };
  }
  // Refused like a bad flag of the CLI, not run at demo speed instead: a typo would otherwise go unnoticed. Blank is
  // unset (Number('') would be 0: no delays at all).
  const raw = env.LLM_LOCAL_SPEED?.trim();
  const speed = raw ? Number(raw) : 1;
  if (!Number.isFinite(speed) || speed < 0) {
    throw new B24InputError(
      'LLM_LOCAL_SPEED',
      'a non-negative number (1 is demo speed, 0.5 halves the delays)',
      JSON.stringify(raw),
    );
  }
  return {
    model: createLocalModel({ speed }),
    description: 'local demo model (set LLM_BASE_URL, and LLM_API_KEY if it needs one, for a real one)',
    secrets: [],
  };
}
