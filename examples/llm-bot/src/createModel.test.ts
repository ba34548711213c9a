import { describe, expect, it } from 'vitest';
import { createModel } from './createModel';

describe('createModel', () => {
  it('uses the local demo model without an endpoint and key', () => {
    const { model, description } = createModel({ LLM_BASE_URL: 'https://llm.example/v1' });
    expect(model).toMatchObject({ provider: 'local', modelId: 'b24-demo' });
    expect(description).toMatch(/local demo model/);
  });

  it('uses the OpenAI-compatible endpoint when URL and key are set, and never shows the key', () => {
    const { model, description } = createModel({
      LLM_BASE_URL: 'https://llm.example/v1',
      LLM_API_KEY: 'sk-secret-key',
      LLM_MODEL: 'qwen3-8b',
    });
    expect(model).toMatchObject({ modelId: 'qwen3-8b' });
    expect((model as { provider: string }).provider).toMatch(/^llm/);
    expect(description).toBe('qwen3-8b at https://llm.example');
    expect(JSON.stringify(description)).not.toContain('sk-secret-key');
  });
});
