import type { LanguageModelV3CallOptions, LanguageModelV3Prompt, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { MockLanguageModelV3 } from 'ai/test';
import { clip } from './clip';
import { sleep } from './sleep';

export interface LocalModelOptions {
  /** Multiplies every delay: 1 is demo speed (≈ 6 s per answer), 0.05 is test speed. Default 1. */
  speed?: number;
  /**
   * Make the model fail after it has started thinking, as an overloaded upstream would: the stream carries an
   * `error` part with this message. For demonstrating and testing the failure path.
   */
  failWith?: string;
}

type Timed = readonly [delayMs: number, part: LanguageModelV3StreamPart];

const usage = {
  inputTokens: { total: 40, noCache: 40, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 60, text: 40, reasoning: 20 },
};

/**
 * The demo's default model: local, deterministic, no key. It behaves like a tool-using reasoning model, through
 * the AI SDK's own mock (`MockLanguageModelV3`), with delays like a real one so every status is on screen long
 * enough to read: step 1 reasons (~1.2 s) and calls `webSearch` with the user's words; step 2 reasons about the
 * hits (~0.8 s) and writes an answer from them, word by word (~1.5 s).
 */
export function createLocalModel(options: LocalModelOptions = {}): MockLanguageModelV3 {
  const speed = options.speed ?? 1;
  const model = new MockLanguageModelV3({
    provider: 'local',
    modelId: 'b24-demo',
    doStream: async (call: LanguageModelV3CallOptions) => {
      const question = lastUserText(call.prompt);
      const hits = lastToolResult(call.prompt);
      const script = options.failWith
        ? failingScript(options.failWith)
        : hits === undefined
          ? searchStep(question)
          : answerStep(question, hits);
      return { stream: play(script, speed, call.abortSignal) };
    },
  });
  localModels.add(model);
  return model;
}

/** Every model `createLocalModel` made: known by identity, not by a provider name another mock could share. */
const localModels = new WeakSet<object>();

/**
 * Whether `model` is the local demo model (`createLocalModel`): canned answers from a small corpus, no LLM. The
 * bot's profile says so rather than promising an LLM (the demo and the CLI run it when no LLM_BASE_URL is set).
 */
export function isLocalModel(model: unknown): boolean {
  return typeof model === 'object' && model !== null && localModels.has(model);
}

function searchStep(question: string): Timed[] {
  const input = JSON.stringify({ query: question.slice(0, 200) });
  return [
    [0, { type: 'stream-start', warnings: [] }],
    [150, { type: 'reasoning-start', id: 'r1' }],
    [300, { type: 'reasoning-delta', id: 'r1', delta: `The user asks: "${question.slice(0, 80)}". ` }],
    [400, { type: 'reasoning-delta', id: 'r1', delta: 'I should check the knowledge base first.' }],
    [350, { type: 'reasoning-end', id: 'r1' }],
    [100, { type: 'tool-input-start', id: 'call-1', toolName: 'webSearch' }],
    [150, { type: 'tool-input-delta', id: 'call-1', delta: input }],
    [50, { type: 'tool-input-end', id: 'call-1' }],
    [0, { type: 'tool-call', toolCallId: 'call-1', toolName: 'webSearch', input }],
    [0, { type: 'finish', finishReason: { unified: 'tool-calls', raw: 'tool_calls' }, usage }],
  ];
}

function answerStep(question: string, hits: readonly { title: string; text: string }[]): Timed[] {
  const found = hits.length
    ? hits.map((h) => `${h.title}: ${h.text}`).join(' ')
    : 'nothing in the knowledge base matches that.';
  const answer = `You asked "${quoted(question, 120)}". Here is what I found. ${found}`;
  const words = answer.match(/\S+\s*/g) ?? [answer];
  const perWord = Math.min(60, Math.round(1500 / words.length));
  return [
    [0, { type: 'stream-start', warnings: [] }],
    [100, { type: 'reasoning-start', id: 'r2' }],
    [350, { type: 'reasoning-delta', id: 'r2', delta: `${hits.length} relevant articles; summarising.` }],
    [350, { type: 'reasoning-end', id: 'r2' }],
    [0, { type: 'text-start', id: 't1' }],
    ...words.map((w): Timed => [perWord, { type: 'text-delta', id: 't1', delta: w }]),
    [0, { type: 'text-end', id: 't1' }],
    [0, { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage }],
  ];
}

/**
 * The question as the answer quotes it: whole, or cut after its last whole word within `max` characters and marked
 * "…". Cut where the count fell ("…renewed while s"), the quote reads as a misquote of what she wrote.
 */
function quoted(question: string, max: number): string {
  const head = clip(question, max);
  if (head.length === question.length) return question;
  const words = /\s/.test(question.charAt(head.length)) ? head : head.replace(/\s+\S*$/, '');
  return `${(words || head).trimEnd()}…`;
}

function failingScript(message: string): Timed[] {
  return [
    [0, { type: 'stream-start', warnings: [] }],
    [150, { type: 'reasoning-start', id: 'r1' }],
    [500, { type: 'reasoning-delta', id: 'r1', delta: 'Let me think about this…' }],
    [300, { type: 'error', error: new Error(message) }],
  ];
}

/** Streams the script in real time (timers read at call time, so fake timers drive it too); aborts promptly. */
function play(script: readonly Timed[], speed: number, signal: AbortSignal | undefined) {
  let i = 0;
  return new ReadableStream<LanguageModelV3StreamPart>({
    async pull(controller) {
      const next = script[i++];
      if (next === undefined) return controller.close();
      const [delay, part] = next;
      if (delay * speed > 0) await sleep(delay * speed, signal);
      controller.enqueue(part);
    },
  });
}

function lastUserText(prompt: LanguageModelV3Prompt): string {
  for (let i = prompt.length - 1; i >= 0; i--) {
    const m = prompt[i];
    if (m?.role === 'user')
      return m.content
        .map((p) => (p.type === 'text' ? p.text : ''))
        .join(' ')
        .trim();
  }
  return '';
}

function lastToolResult(prompt: LanguageModelV3Prompt): { title: string; text: string }[] | undefined {
  const last = prompt[prompt.length - 1];
  if (last?.role !== 'tool') return undefined;
  for (const part of last.content) {
    if (part.type === 'tool-result' && part.output.type === 'json') {
      const value = part.output.value as { hits?: { title: string; text: string }[] } | null;
      return Array.isArray(value?.hits) ? value.hits : [];
    }
  }
  return [];
}
