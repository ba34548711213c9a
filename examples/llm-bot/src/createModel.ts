import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModel } from 'ai';
import { createLocalModel } from './createLocalModel';

export interface ModelChoice {
  readonly model: LanguageModel;
  /** For the start-up banner: which model answers, never the key. */
  readonly description: string;
}

/**
 * The model the bot talks to: an OpenAI-compatible endpoint when `LLM_BASE_URL` and `LLM_API_KEY` are both set
 * (`LLM_MODEL` picks the model, default `gpt-4o-mini`), otherwise the local deterministic demo model, so the
 * demo needs no account and no network.
 */
export function createModel(env: Readonly<Record<string, string | undefined>> = process.env): ModelChoice {
  const baseURL = env.LLM_BASE_URL?.trim();
  const apiKey = env.LLM_API_KEY?.trim();
  if (baseURL && apiKey) {
    const modelId = env.LLM_MODEL?.trim() || 'gpt-4o-mini';
    const provider = createOpenAICompatible({ name: 'llm', baseURL, apiKey });
    return { model: provider.chatModel(modelId), description: `${modelId} at ${new URL(baseURL).origin}` };
  }
  const speed = Number(env.LLM_LOCAL_SPEED ?? 1);
  return {
    model: createLocalModel({ speed: Number.isFinite(speed) && speed >= 0 ? speed : 1 }),
    description: 'local demo model (set LLM_BASE_URL and LLM_API_KEY for a real one)',
  };
}
