import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LanguageModelV3CallOptions } from '@ai-sdk/provider';
import { generateText } from 'ai';
import type { MockLanguageModelV3 } from 'ai/test';
import { describe, expect, it, vi } from 'vitest';
import { createModel } from './createModel';

describe('createModel', () => {
  it('uses the local demo model without an endpoint and key, and says so', () => {
    for (const env of [{}, { LLM_BASE_URL: ' ', LLM_API_KEY: '' }]) {
      const { model, description, secrets } = createModel(env);
      expect(model).toMatchObject({ provider: 'local', modelId: 'b24-demo' });
      expect(description).toMatch(/local demo model/);
      expect(secrets).toEqual([]);
    }
  });

  it('refuses a key without its endpoint, naming the one missing, never the key', () => {
    // before: it ran the local demo model, so one who set up a real LLM chatted with the demo unawares
    const error = (() => {
      try {
        createModel({ LLM_API_KEY: 'sk-secret-key', LLM_MODEL: 'qwen3-8b' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toMatchObject({ name: 'B24InputError', field: 'LLM_BASE_URL' });
    expect(String(error)).not.toContain('sk-secret-key');
  });

  it('calls an endpoint set without a key (a local server: Ollama, LM Studio) with no Authorization header', async () => {
    // before: an endpoint without a key ran the local demo model in its place
    const seen: { url?: string; authorization?: string } = {};
    const server = createServer((req, res) => {
      seen.url = req.url;
      seen.authorization = req.headers.authorization;
      req.resume().on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: 'c1',
            created: 0,
            model: 'qwen3-8b',
            choices: [
              { index: 0, message: { role: 'assistant', content: 'from the endpoint' }, finish_reason: 'stop' },
            ],
            usage: { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const { model, description } = createModel({
        LLM_BASE_URL: `http://127.0.0.1:${port}/v1`,
        LLM_MODEL: 'qwen3-8b',
      });
      expect(description).toBe(`qwen3-8b at http://127.0.0.1:${port}`);
      const { text } = await generateText({ model, prompt: 'hi' });
      expect(text).toBe('from the endpoint');
      expect(seen).toEqual({ url: '/v1/chat/completions', authorization: undefined });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('uses the OpenAI-compatible endpoint when URL and key are set, and never shows the key', () => {
    const { model, description, secrets } = createModel({
      LLM_BASE_URL: 'https://llm.example/v1',
      LLM_API_KEY: ' sk-secret-key ',
      LLM_MODEL: 'qwen3-8b',
    });
    // for the log to cut (a provider's refusal may quote it), as the endpoint is sent it: trimmed
    expect(secrets).toEqual(['sk-secret-key']);
    expect(model).toMatchObject({ modelId: 'qwen3-8b' });
    expect((model as { provider: string }).provider).toMatch(/^llm/);
    expect(description).toBe('qwen3-8b at https://llm.example');
    expect(JSON.stringify(description)).not.toContain('sk-secret-key');
  });

  it('asks the endpoint for gpt-4o-mini when LLM_MODEL is unset or blank, and the banner says so', () => {
    for (const LLM_MODEL of [undefined, ' ']) {
      const { model, description } = createModel({ LLM_BASE_URL: 'http://127.0.0.1:11434/v1', LLM_MODEL });
      expect(model).toMatchObject({ modelId: 'gpt-4o-mini' });
      expect(description).toBe('gpt-4o-mini at http://127.0.0.1:11434');
    }
  });

  it('scales the local model by LLM_LOCAL_SPEED (0.5 halves its delays); unset or blank keeps demo speed', async () => {
    /** Virtual ms the local model's first step (reason, then call webSearch) takes to stream. */
    const firstStepMs = async (env: Record<string, string>) => {
      const model = createModel(env).model as MockLanguageModelV3;
      const prompt = [{ role: 'user', content: [{ type: 'text', text: 'rate limits?' }] }] as const;
      const { stream } = await model.doStream({ prompt } as unknown as LanguageModelV3CallOptions);
      const reader = stream.getReader();
      const start = Date.now();
      const read = (async () => {
        while (!(await reader.read()).done);
        return Date.now() - start;
      })();
      await vi.runAllTimersAsync();
      return read;
    };
    vi.useFakeTimers();
    try {
      expect(await firstStepMs({})).toBe(1_500);
      expect(await firstStepMs({ LLM_LOCAL_SPEED: '0.5' })).toBe(750);
      expect(await firstStepMs({ LLM_LOCAL_SPEED: ' ' })).toBe(1_500);
      expect(await firstStepMs({ LLM_LOCAL_SPEED: '0' })).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses an LLM_LOCAL_SPEED that is no speed with B24InputError, as the CLI refuses a bad flag', () => {
    // before: "abc", "-1", "NaN" silently ran at demo speed
    for (const speed of ['abc', '-1', 'NaN', 'Infinity', '1x']) {
      expect(() => createModel({ LLM_LOCAL_SPEED: speed }), speed).toThrow(
        expect.objectContaining({ name: 'B24InputError', field: 'LLM_LOCAL_SPEED' }),
      );
    }
  });

  it('refuses an LLM_BASE_URL that is no http(s) URL with B24InputError, echoing neither it nor the key', () => {
    // before: Node's TypeError "Invalid URL" (or a model that would call a file: or ftp: URL), not a B24InputError
    for (const LLM_BASE_URL of ['llm.example/v1', 'ftp://llm.example/v1', 'https://']) {
      const error = (() => {
        try {
          createModel({ LLM_BASE_URL, LLM_API_KEY: 'sk-secret-key' });
        } catch (e) {
          return e;
        }
      })();
      expect(error, LLM_BASE_URL).toMatchObject({ name: 'B24InputError', field: 'LLM_BASE_URL' });
      expect(String(error)).not.toMatch(/sk-secret-key|llm\.example/);
    }
  });
});
