// The real AI SDK (`ai` 6, whose `fullStream` carries the v5+ part union) drives statusFromStream end to end:
// a mock model streams reasoning, a tool call and text through `streamText`, tools really execute.
import type { LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { type ModelMessage, stepCountIs, streamText, type Tool, tool } from 'ai';
import { MockLanguageModelV3, simulateReadableStream } from 'ai/test';
import { firstValueFrom, from, take, tap, toArray } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { StreamPart } from './StreamPart';
import { statusFromStream } from './statusFromStream';

const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 20, text: 15, reasoning: 5 },
};

function finish(unified: 'stop' | 'tool-calls' | 'length' | 'error'): LanguageModelV3StreamPart {
  return { type: 'finish', finishReason: { unified, raw: unified }, usage };
}

/** `fullStream` as parts for statusFromStream, noting each part's type as it passes (what streamText really emitted). */
/** The model writing `delta` as one text block, as a provider streams it. */
function text(delta: string): LanguageModelV3StreamPart[] {
  return [
    { type: 'text-start', id: 't1' },
    { type: 'text-delta', id: 't1', delta },
    { type: 'text-end', id: 't1' },
  ];
}

function watchTypes(fullStream: AsyncIterable<unknown>) {
  const types: string[] = [];
  const parts = from(fullStream as AsyncIterable<StreamPart>).pipe(tap((p) => types.push(p.type)));
  return { parts, types };
}

function step(chunks: LanguageModelV3StreamPart[], chunkDelayInMs: number | null = null) {
  return { stream: simulateReadableStream({ chunks, chunkDelayInMs }) };
}

/** Step 1 reasons and calls `toolName`; step 2 reasons about the result and answers. */
function agentSteps(toolName: string, chunkDelayInMs: number | null = null) {
  return [
    step(
      [
        { type: 'stream-start', warnings: [] },
        { type: 'reasoning-start', id: 'r1' },
        { type: 'reasoning-delta', id: 'r1', delta: 'The user asks about the weather; ' },
        { type: 'reasoning-delta', id: 'r1', delta: 'I should look it up.' },
        { type: 'reasoning-end', id: 'r1' },
        { type: 'tool-input-start', id: 'call-1', toolName },
        { type: 'tool-input-delta', id: 'call-1', delta: '{"query":"Berlin weather"}' },
        { type: 'tool-input-end', id: 'call-1' },
        { type: 'tool-call', toolCallId: 'call-1', toolName, input: '{"query":"Berlin weather"}' },
        finish('tool-calls'),
      ],
      chunkDelayInMs,
    ),
    step(
      [
        { type: 'stream-start', warnings: [] },
        { type: 'reasoning-start', id: 'r2' },
        { type: 'reasoning-delta', id: 'r2', delta: 'Sunny, 21 degrees.' },
        { type: 'reasoning-end', id: 'r2' },
        { type: 'text-start', id: 't1' },
        { type: 'text-delta', id: 't1', delta: 'It is sunny ' },
        { type: 'text-delta', id: 't1', delta: 'in Berlin, 21 °C.' },
        { type: 'text-end', id: 't1' },
        finish('stop'),
      ],
      chunkDelayInMs,
    ),
  ];
}

/** The statuses of `parts` with the (fake) ms each came at after the call, running every timer until the end. */
/** The statuses a stream shows, and what it errors with (undefined if it completes). */
async function statusesUntilError(parts: Parameters<typeof statusFromStream>[0]) {
  const seen: string[] = [];
  const err = await firstValueFrom(
    statusFromStream(parts).pipe(
      tap((s) => seen.push(s)),
      toArray(),
    ),
  ).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { seen, err };
}

async function timelineOf(parts: Parameters<typeof statusFromStream>[0]): Promise<[number, string][]> {
  const t0 = Date.now();
  const timeline: [number, string][] = [];
  const done = firstValueFrom(
    statusFromStream(parts).pipe(
      tap((s) => timeline.push([Date.now() - t0, s])),
      toArray(),
    ),
  );
  await vi.runAllTimersAsync();
  await done;
  return timeline;
}

function run(toolName: string, chunkDelayInMs: number | null = null, toolDelayMs = 0) {
  const executed: string[] = [];
  const result = streamText({
    model: new MockLanguageModelV3({ doStream: agentSteps(toolName, chunkDelayInMs) }),
    prompt: 'What is the weather in Berlin?',
    stopWhen: stepCountIs(3),
    tools: {
      [toolName]: tool({
        inputSchema: z.object({ query: z.string() }),
        execute: async ({ query }) => {
          executed.push(query);
          if (toolDelayMs > 0) await new Promise((r) => setTimeout(r, toolDelayMs));
          return { answer: 'sunny, 21 °C' };
        },
      }),
    },
  });
  return { result, executed };
}

/** A tool that returns `output` `ms` after it is called (in virtual time where the test fakes timers). */
function slowTool(ms: number, output: unknown = { ok: true }) {
  return tool({
    inputSchema: z.object({ query: z.string() }),
    execute: async () => {
      await new Promise((r) => setTimeout(r, ms));
      return output;
    },
  });
}

afterEach(() => {
  vi.useRealTimers();
});

describe('statusFromStream over streamText (ai 6)', () => {
  it('thinking → searching → thinking → composing, then completes with the reply text', async () => {
    const { result, executed } = run('webSearch');
    const statuses = await firstValueFrom(statusFromStream(result.fullStream).pipe(toArray()));
    expect(statuses).toEqual(['thinking', 'searching', 'thinking', 'composing']);
    expect(executed).toEqual(['Berlin weather']);
    expect(await result.text).toBe('It is sunny in Berlin, 21 °C.');
  });

  it.each([
    ['calculator', 'calculating'],
    ['translate', 'translating'],
    ['readPdf', 'readingDocs'],
    ['callCrmApi', 'connecting'],
    ['verifyIban', 'checking'],
    ['bookMeeting', 'processing'],
  ])('a %s tool shows %s', async (toolName, expected) => {
    const { result } = run(toolName);
    const statuses = await firstValueFrom(statusFromStream(result.fullStream).pipe(toArray()));
    expect(statuses).toEqual(['thinking', expected, 'thinking', 'composing']);
  });

  it('errors with the model error when the model fails mid-stream', async () => {
    const failure = new Error('upstream model overloaded');
    const result = streamText({
      model: new MockLanguageModelV3({
        doStream: step([
          { type: 'stream-start', warnings: [] },
          { type: 'reasoning-start', id: 'r1' },
          { type: 'reasoning-delta', id: 'r1', delta: 'Hmm' },
          { type: 'error', error: failure },
        ]),
      }),
      prompt: 'hi',
      onError: () => {},
    });
    const { seen, err } = await statusesUntilError(result.fullStream);
    expect(err).toBe(failure);
    expect(seen).toEqual(['thinking']);
    // the model stopped at the error: streamText ends the step and the call with finishReason 'error', where the
    // status stream errors; the SDK's own promise settles
    expect(await result.text).toBe('');
    expect((await result.steps).map((s) => s.finishReason)).toEqual(['error']);
  });

  it('stays up through an error part the model streams on after, and completes with the reply', async () => {
    vi.useFakeTimers();
    // a provider emits an `error` part for a chunk it could not parse (@ai-sdk/openai-compatible: `!chunk.success`)
    // and goes on reading: streamText passes the part on and keeps streaming the step
    const result = streamText({
      model: new MockLanguageModelV3({
        doStream: step(
          [
            { type: 'stream-start', warnings: [] },
            { type: 'text-start', id: 't1' },
            { type: 'text-delta', id: 't1', delta: 'It is sunny ' },
            { type: 'error', error: new Error('Invalid JSON in chunk') },
            { type: 'text-delta', id: 't1', delta: 'in Berlin, 21 °C.' },
            { type: 'text-end', id: 't1' },
            finish('stop'),
          ],
          100,
        ),
      }),
      prompt: 'What is the weather in Berlin?',
      onError: () => {},
    });
    const { parts, types } = watchTypes(result.fullStream);
    // chunk i comes at i × 100 ms: the text from 100 to 500, past the error part at 300; the status stays up
    expect(await timelineOf(parts)).toEqual([
      [0, 'thinking'],
      [100, 'composing'],
    ]);
    expect(types.slice(types.indexOf('error'))).toEqual(['error', 'text-delta', 'text-end', 'finish-step', 'finish']);
    expect(await result.text).toBe('It is sunny in Berlin, 21 °C.');
  });

  it('stays up through a tool call and a second step that follow an error part', async () => {
    const second = agentSteps('webSearch')[1]!;
    const recovering = {
      stream: simulateReadableStream<LanguageModelV3StreamPart>({
        chunks: [
          { type: 'stream-start', warnings: [] },
          { type: 'error', error: new Error('Invalid JSON in chunk') },
          { type: 'tool-call', toolCallId: 'call-1', toolName: 'webSearch', input: '{"query":"Berlin weather"}' },
          finish('tool-calls'),
        ],
      }),
    };
    const executed: string[] = [];
    const result = streamText({
      model: new MockLanguageModelV3({ doStream: [recovering, second] }),
      prompt: 'What is the weather in Berlin?',
      stopWhen: stepCountIs(3),
      onError: () => {},
      tools: {
        webSearch: tool({
          inputSchema: z.object({ query: z.string() }),
          execute: async ({ query }) => {
            executed.push(query);
            return { answer: 'sunny' };
          },
        }),
      },
    });
    expect(await firstValueFrom(statusFromStream(result.fullStream).pipe(toArray()))).toEqual([
      'thinking',
      'searching',
      'thinking',
      'composing',
    ]);
    expect(executed).toEqual(['Berlin weather']);
    expect(await result.text).toBe('It is sunny in Berlin, 21 °C.');
  });

  it("stays up through a tool hook's error part while the model writes on, and does not end on the tool", async () => {
    // a tool's onInputAvailable that throws: streamText emits an error part (not a tool-error), runs no tool, and
    // streams the rest of the step
    const result = streamText({
      model: new MockLanguageModelV3({
        doStream: step([
          { type: 'stream-start', warnings: [] },
          { type: 'tool-call', toolCallId: 'a', toolName: 'webSearch', input: '{"query":"Berlin"}' },
          ...text('I could not search.'),
          finish('tool-calls'),
        ]),
      }),
      prompt: 'Search',
      onError: () => {},
      tools: {
        webSearch: tool({
          inputSchema: z.object({ query: z.string() }),
          onInputAvailable: () => {
            throw new Error('quota check failed');
          },
          execute: async () => 1,
        }),
      },
    });
    const { parts, types } = watchTypes(result.fullStream);
    expect(await firstValueFrom(statusFromStream(parts).pipe(toArray()))).toEqual([
      'thinking',
      'searching',
      'composing',
      'searching', // text-end: the call counts as running until the step ends, as for any call whose result is due
      'thinking',
    ]);
    expect(types.slice(types.indexOf('error'))).toEqual([
      'error',
      'text-start',
      'text-delta',
      'text-end',
      'finish-step',
      'finish',
    ]);
    expect(await result.text).toBe('I could not search.');
  });

  it('errors at finish, not before, when the step that streamed on after an error part ends on it', async () => {
    // openai-compatible keeps finishReason 'error' after a chunk it could not parse unless a later chunk names one:
    // the text still comes, then streamText finishes with finishReason 'error'
    const failure = new Error('Invalid JSON in chunk');
    const result = streamText({
      model: new MockLanguageModelV3({
        doStream: step([
          { type: 'stream-start', warnings: [] },
          { type: 'error', error: failure },
          ...text('Sunny.'),
          finish('error'),
        ]),
      }),
      prompt: 'hi',
      onError: () => {},
    });
    const { seen, err } = await statusesUntilError(result.fullStream);
    expect(err).toBe(failure);
    expect(seen).toEqual(['thinking', 'composing']);
    expect(await result.text).toBe('Sunny.');
  });

  it("errors at a finish whose reason is 'error' with no error part before it (Gemini's malformed function call)", async () => {
    // @ai-sdk/google maps MALFORMED_FUNCTION_CALL to finishReason 'error' and emits no error part: the work failed
    // all the same (streamText reports the step as 'error'), so the status must not complete as if it came whole
    const result = streamText({
      model: new MockLanguageModelV3({
        doStream: step([
          { type: 'stream-start', warnings: [] },
          ...text('Let me look that up.'),
          { type: 'finish', finishReason: { unified: 'error', raw: 'MALFORMED_FUNCTION_CALL' }, usage },
        ]),
      }),
      prompt: 'hi',
      onError: () => {},
    });
    const { parts, types } = watchTypes(result.fullStream);
    const { seen, err } = await statusesUntilError(parts);
    expect(types).not.toContain('error');
    expect(types.at(-1)).toBe('finish');
    expect(seen).toEqual(['thinking', 'composing']);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('LLM stream reported an error (finish)');
    expect(await result.finishReason).toBe('error');
  });

  it('leaves the reply whole when the status reader stops early', async () => {
    const { result, executed } = run('webSearch');
    // a subscriber that stops after two statuses (botStatus torn down, an operator's take) releases the stream early
    expect(await firstValueFrom(statusFromStream(result.fullStream).pipe(take(2), toArray()))).toEqual([
      'thinking',
      'searching',
    ]);
    expect(await result.text).toBe('It is sunny in Berlin, 21 °C.');
    expect(executed).toEqual(['Berlin weather']);
  });

  it('completes at the abort part when the call is aborted mid-reply', async () => {
    vi.useFakeTimers();
    const abort = new AbortController();
    const result = streamText({
      model: new MockLanguageModelV3({ doStream: agentSteps('webSearch', 100)[1]! }),
      prompt: 'What is the weather in Berlin?',
      abortSignal: abort.signal,
    });
    setTimeout(() => abort.abort(), 550);
    const { parts, types } = watchTypes(result.fullStream);
    // the text starts at 400 ms (chunk 4); the abort at 550 ends the statuses there, before the reply's second delta
    expect(await timelineOf(parts)).toEqual([
      [0, 'thinking'],
      [400, 'composing'],
    ]);
    expect(types.at(-1)).toBe('abort');
    expect(types).not.toContain('finish');
  });

  it('completes at the abort part in a step after one that recovered from an error part', async () => {
    vi.useFakeTimers();
    // step 1: a chunk the provider could not parse, then the model finishes with a tool call (finish-step
    // 'tool-calls'); step 2 is aborted mid-reply. The work did not end on the error part: the abort ends it.
    const recovering = step([
      { type: 'stream-start', warnings: [] },
      { type: 'error', error: new Error('Invalid JSON in chunk') },
      { type: 'tool-call', toolCallId: 'call-1', toolName: 'webSearch', input: '{"query":"Berlin weather"}' },
      finish('tool-calls'),
    ]);
    const abort = new AbortController();
    const result = streamText({
      model: new MockLanguageModelV3({ doStream: [recovering, agentSteps('webSearch', 100)[1]!] }),
      prompt: 'What is the weather in Berlin?',
      stopWhen: stepCountIs(3),
      abortSignal: abort.signal,
      onError: () => {},
      tools: { webSearch: tool({ inputSchema: z.object({ query: z.string() }), execute: async () => 'sunny' }) },
    });
    setTimeout(() => abort.abort(), 550);
    const { parts, types } = watchTypes(result.fullStream);
    expect(await timelineOf(parts)).toEqual([
      [0, 'thinking'],
      [0, 'searching'],
      [0, 'thinking'],
      [400, 'composing'],
    ]);
    expect(types).toContain('error');
    expect(types.at(-1)).toBe('abort');
  });

  it('errors with the model error when doStream itself rejects', async () => {
    const failure = new Error('401 invalid api key');
    const result = streamText({
      model: new MockLanguageModelV3({
        doStream: async () => {
          throw failure;
        },
      }),
      prompt: 'hi',
      maxRetries: 0,
      onError: () => {},
    });
    const err = await firstValueFrom(statusFromStream(result.fullStream).pipe(toArray())).catch((e: unknown) => e);
    expect(err).toBe(failure);
  });

  it('switches statuses when the parts arrive (fake timers, realistic delays)', async () => {
    vi.useFakeTimers();
    const { result } = run('webSearch', 100, 1000);
    const timeline = await timelineOf(result.fullStream);
    // `start` shows thinking at once; chunk i of a step arrives at i × 100 ms: the tool input (chunk 5) at 500,
    // step 1 finishes at 900, the tool runs 1 s, so its result is back at 1900 and step 2's text (chunk 4) at 2300.
    expect(timeline).toEqual([
      [0, 'thinking'],
      [500, 'searching'],
      [1900, 'thinking'],
      [2300, 'composing'],
    ]);
  });

  it('stays on the shown call while two parallel generator tools yield progress in turn', async () => {
    vi.useFakeTimers();
    const progress = (ms: number) =>
      tool({
        inputSchema: z.object({ query: z.string() }),
        async *execute() {
          for (let i = 0; i < 3; i++) {
            await new Promise((r) => setTimeout(r, ms));
            yield { done: i };
          }
        },
      });
    const result = streamText({
      model: new MockLanguageModelV3({
        doStream: [
          step([
            { type: 'stream-start', warnings: [] },
            { type: 'tool-call', toolCallId: 'a', toolName: 'webSearch', input: '{"query":"Berlin"}' },
            { type: 'tool-call', toolCallId: 'b', toolName: 'calculator', input: '{"query":"Berlin"}' },
            finish('tool-calls'),
          ]),
          step([{ type: 'stream-start', warnings: [] }, ...text('Done.'), finish('stop')]),
        ],
      }),
      prompt: 'Search and calculate',
      stopWhen: stepCountIs(3),
      tools: { webSearch: progress(100), calculator: progress(150) },
    });
    // the search yields at 100, 200, 300 ms, the calculator at 150, 300, 450: one status each, not one per yield
    expect(await timelineOf(result.fullStream)).toEqual([
      [0, 'thinking'],
      [0, 'searching'],
      [0, 'calculating'],
      [450, 'thinking'],
      [450, 'composing'],
    ]);
  });

  it('shows the tool while it runs after the text the model wrote alongside the call', async () => {
    vi.useFakeTimers();
    const withText = streamText({
      model: new MockLanguageModelV3({
        doStream: [
          step([
            { type: 'stream-start', warnings: [] },
            { type: 'tool-call', toolCallId: 'call-1', toolName: 'webSearch', input: '{"query":"Berlin"}' },
            { type: 'text-start', id: 't0' },
            { type: 'text-delta', id: 't0', delta: 'Let me look that up.' },
            { type: 'text-end', id: 't0' },
            finish('tool-calls'),
          ]),
          agentSteps('webSearch')[1]!,
        ],
      }),
      prompt: 'What is the weather in Berlin?',
      stopWhen: stepCountIs(3),
      tools: {
        webSearch: slowTool(1000, { answer: 'sunny' }),
      },
    });
    // streamText runs the tool once the model's step ends, after the text: the search runs from 0 to 1000 ms
    expect(await timelineOf(withText.fullStream)).toEqual([
      [0, 'thinking'],
      [0, 'searching'],
      [0, 'composing'],
      [0, 'searching'],
      [1000, 'thinking'],
      [1000, 'composing'],
    ]);
  });

  it('thinks once the executed call returns, while the other one waits for approval', async () => {
    const result = streamText({
      model: new MockLanguageModelV3({
        doStream: step([
          { type: 'stream-start', warnings: [] },
          { type: 'tool-call', toolCallId: 'a', toolName: 'webSearch', input: '{"query":"Berlin"}' },
          { type: 'tool-call', toolCallId: 'b', toolName: 'calculator', input: '{"query":"Berlin"}' },
          finish('tool-calls'),
        ]),
      }),
      prompt: 'Search and calculate',
      tools: {
        webSearch: tool({ inputSchema: z.object({ query: z.string() }), needsApproval: true, execute: async () => 1 }),
        calculator: tool({ inputSchema: z.object({ query: z.string() }), execute: async () => 2 }),
      },
    });
    // the search never ran: the status kept up after finish must not claim it does
    expect(await firstValueFrom(statusFromStream(result.fullStream).pipe(toArray()))).toEqual([
      'thinking',
      'searching',
      'calculating',
      'thinking',
    ]);
  });

  it('does not end on the tool of a call that waits for approval: it does not run in this stream', async () => {
    const result = streamText({
      model: new MockLanguageModelV3({
        doStream: step([
          { type: 'stream-start', warnings: [] },
          { type: 'tool-call', toolCallId: 'a', toolName: 'webSearch', input: '{"query":"Berlin"}' },
          finish('tool-calls'),
        ]),
      }),
      prompt: 'Search',
      tools: {
        webSearch: tool({ inputSchema: z.object({ query: z.string() }), needsApproval: true, execute: async () => 1 }),
      },
    });
    const { parts, types } = watchTypes(result.fullStream);
    // the status kept up after finish, until the app asks the person, must not claim a search
    expect(await firstValueFrom(statusFromStream(parts).pipe(toArray()))).toEqual([
      'thinking',
      'searching',
      'thinking',
    ]);
    expect(types).toEqual(['start', 'start-step', 'tool-call', 'tool-approval-request', 'finish-step', 'finish']);
  });

  it.each([
    [
      'a tool with no execute (the app runs it, if anyone)',
      [
        { type: 'tool-call', toolCallId: 'a', toolName: 'webSearch', input: '{"query":"Berlin"}' },
        finish('tool-calls'),
      ],
      false,
    ],
    [
      'a call whose input the length limit cut off',
      [
        { type: 'tool-input-start', id: 'a', toolName: 'webSearch' },
        { type: 'tool-input-delta', id: 'a', delta: '{"query":' },
        finish('length'),
      ],
      true,
    ],
    [
      'a call the step ended with the length limit after (streamText runs no tool then)',
      [{ type: 'tool-call', toolCallId: 'a', toolName: 'webSearch', input: '{"query":"Berlin"}' }, finish('length')],
      true,
    ],
  ] as [string, LanguageModelV3StreamPart[], boolean][])(
    'does not end on the tool of %s: nothing runs',
    async (_, chunks, executes) => {
      const executed: string[] = [];
      const result = streamText({
        model: new MockLanguageModelV3({ doStream: step([{ type: 'stream-start', warnings: [] }, ...chunks]) }),
        prompt: 'Search',
        stopWhen: stepCountIs(3),
        tools: {
          webSearch: executes
            ? tool({
                inputSchema: z.object({ query: z.string() }),
                execute: async ({ query }) => executed.push(query),
              })
            : tool({ inputSchema: z.object({ query: z.string() }) }),
        },
      });
      const { parts, types } = watchTypes(result.fullStream);
      expect(await firstValueFrom(statusFromStream(parts).pipe(toArray()))).toEqual([
        'thinking',
        'searching',
        'thinking',
      ]);
      expect(executed).toEqual([]);
      expect(types.slice(-2)).toEqual(['finish-step', 'finish']);
      expect(types).not.toContain('tool-result');
    },
  );

  it('goes back to the running call when the one shown turns out to wait for approval', async () => {
    vi.useFakeTimers();
    const result = streamText({
      model: new MockLanguageModelV3({
        doStream: step([
          { type: 'stream-start', warnings: [] },
          { type: 'tool-call', toolCallId: 'b', toolName: 'calculator', input: '{"query":"Berlin"}' },
          { type: 'tool-call', toolCallId: 'a', toolName: 'webSearch', input: '{"query":"Berlin"}' },
          finish('tool-calls'),
        ]),
      }),
      prompt: 'Calculate and search',
      tools: {
        webSearch: tool({ inputSchema: z.object({ query: z.string() }), needsApproval: true, execute: async () => 1 }),
        calculator: slowTool(1000, 2),
      },
    });
    // the search waits for a person from 0 ms on; only the calculator runs, until 1000 ms
    expect(await timelineOf(result.fullStream)).toEqual([
      [0, 'thinking'],
      [0, 'calculating'],
      [0, 'searching'],
      [0, 'calculating'],
      [1000, 'thinking'],
    ]);
  });

  it('stays on the latest call when the tool-calls come after every input (as @ai-sdk/openai-compatible sends them)', async () => {
    vi.useFakeTimers();
    const result = streamText({
      model: new MockLanguageModelV3({
        doStream: [
          // @ai-sdk/openai-compatible 2.0.87 streams each call's input as it comes, and emits the tool-calls only once
          // the model's stream ends (its StreamingToolCallTracker's flush): both calls were running by then
          step(
            [
              { type: 'stream-start', warnings: [] },
              { type: 'tool-input-start', id: 'a', toolName: 'webSearch' },
              { type: 'tool-input-delta', id: 'a', delta: '{"query":"Berlin"}' },
              { type: 'tool-input-start', id: 'b', toolName: 'calculator' },
              { type: 'tool-input-delta', id: 'b', delta: '{"query":"1+1"}' },
              { type: 'tool-input-end', id: 'a' },
              { type: 'tool-call', toolCallId: 'a', toolName: 'webSearch', input: '{"query":"Berlin"}' },
              { type: 'tool-input-end', id: 'b' },
              { type: 'tool-call', toolCallId: 'b', toolName: 'calculator', input: '{"query":"1+1"}' },
              finish('tool-calls'),
            ],
            100,
          ),
        ],
      }),
      prompt: 'Search and calculate',
      stopWhen: stepCountIs(1),
      tools: { webSearch: slowTool(100), calculator: slowTool(1000) },
    });
    const timeline = await timelineOf(result.fullStream);
    // a chunk every 100 ms: the calculator's input starts at 300 and it is shown from then until it returns, 1000 ms
    // after the model's finish at 900; not the search again when its tool-call comes at 600, then the calculator at 800
    expect(timeline).toEqual([
      [0, 'thinking'],
      [100, 'searching'],
      [300, 'calculating'],
      [1900, 'thinking'],
    ]);
  });

  it('stays on the slower of two parallel tool calls until it returns too', async () => {
    vi.useFakeTimers();
    const call = (id: string, toolName: string): LanguageModelV3StreamPart[] => [
      { type: 'tool-input-start', id, toolName },
      { type: 'tool-input-delta', id, delta: '{"query":"Berlin"}' },
      { type: 'tool-input-end', id },
      { type: 'tool-call', toolCallId: id, toolName, input: '{"query":"Berlin"}' },
    ];
    const result = streamText({
      model: new MockLanguageModelV3({
        doStream: [
          step([
            { type: 'stream-start', warnings: [] },
            ...call('a', 'webSearch'),
            ...call('b', 'calculator'),
            finish('tool-calls'),
          ]),
          step([{ type: 'stream-start', warnings: [] }, ...text('Done.'), finish('stop')], 100),
        ],
      }),
      prompt: 'Search and calculate',
      stopWhen: stepCountIs(3),
      tools: { webSearch: slowTool(100), calculator: slowTool(1000) },
    });
    const timeline = await timelineOf(result.fullStream);
    // both calls start at once; the search returns at 100 ms, the calculator at 1000: only then does the model think,
    // and step 2's text (chunk 1, 100 ms per chunk) starts at 1100
    expect(timeline).toEqual([
      [0, 'thinking'],
      [0, 'searching'],
      [0, 'calculating'],
      [1000, 'thinking'],
      [1100, 'composing'],
    ]);
  });

  it("keeps the answer's status to the end after a provider-executed search that returned in its step", async () => {
    vi.useFakeTimers();
    // a provider's web search (as OpenAI's or Anthropic's): its input and call, the model's stream waiting 500 ms for
    // the provider to search, its result, then the answer in the same step. Every call of the step ran: its end does
    // not show the status of a call that did not run (thinking) while the answer is still the bot's latest work
    const webSearch: Tool = {
      type: 'provider',
      id: 'openai.web_search',
      args: {},
      inputSchema: z.object({}),
    };
    const result = streamText({
      model: new MockLanguageModelV3({
        doStream: [
          step(
            [
              { type: 'stream-start', warnings: [] },
              { type: 'tool-input-start', id: 'ws', toolName: 'webSearch', providerExecuted: true },
              { type: 'tool-input-end', id: 'ws' },
              { type: 'tool-call', toolCallId: 'ws', toolName: 'webSearch', input: '{}', providerExecuted: true },
              { type: 'tool-result', toolCallId: 'ws', toolName: 'webSearch', result: { hits: 3 } },
              ...text('Sunny.'),
              finish('stop'),
            ],
            500,
          ),
        ],
      }),
      prompt: 'Weather in Berlin?',
      stopWhen: stepCountIs(3),
      tools: { webSearch },
    });
    const { parts, types } = watchTypes(result.fullStream);
    const timeline = await timelineOf(parts);
    expect(types).toEqual(expect.arrayContaining(['tool-call', 'tool-result', 'finish-step', 'finish']));
    expect(timeline).toEqual([
      [0, 'thinking'],
      [500, 'searching'],
      [2000, 'thinking'],
      [2500, 'composing'],
    ]);
  });

  it('shows a deferred provider tool while it runs, across the client calls it makes, until its result', async () => {
    vi.useFakeTimers();
    // Anthropic's programmatic tool calling, in the shape of vercel/ai's
    // packages/anthropic/src/__fixtures__/anthropic-programmatic-tool-calling.1.chunks.txt: a provider-executed code
    // execution (`supportsDeferredResults`) whose code calls rollDie (a client tool, 1 s) twice, one call a
    // step; streamText runs each and goes on while the code execution's result is pending; the last step's model
    // stream gives that result (100 ms after the request), then the answer
    const codeExecution: Tool = {
      type: 'provider',
      id: 'anthropic.code_execution_20250825',
      args: {},
      inputSchema: z.object({}),
      supportsDeferredResults: true,
    };
    const result = streamText({
      model: new MockLanguageModelV3({
        doStream: [
          step([
            { type: 'stream-start', warnings: [] },
            { type: 'tool-input-start', id: 'ce', toolName: 'codeExecution', providerExecuted: true },
            { type: 'tool-input-end', id: 'ce' },
            { type: 'tool-call', toolCallId: 'ce', toolName: 'codeExecution', input: '{}', providerExecuted: true },
            { type: 'tool-input-start', id: 'k1', toolName: 'rollDie' },
            { type: 'tool-input-end', id: 'k1' },
            { type: 'tool-call', toolCallId: 'k1', toolName: 'rollDie', input: '{"query":"d6"}' },
            finish('tool-calls'),
          ]),
          step([
            { type: 'stream-start', warnings: [] },
            { type: 'tool-call', toolCallId: 'k2', toolName: 'rollDie', input: '{"query":"d6"}' },
            finish('tool-calls'),
          ]),
          step(
            [
              { type: 'stream-start', warnings: [] },
              { type: 'tool-result', toolCallId: 'ce', toolName: 'codeExecution', result: { stdout: '42' } },
              ...text('42.'),
              finish('stop'),
            ],
            100,
          ),
        ],
      }),
      prompt: 'Compute',
      stopWhen: stepCountIs(5),
      tools: { codeExecution, rollDie: slowTool(1000) },
    });
    const { parts, types } = watchTypes(result.fullStream);
    const timeline = await timelineOf(parts);
    expect(types.filter((t) => t === 'start-step')).toHaveLength(3);
    // the code execution (calculating) runs from its call to its result: shown whenever no rollDie call (processing)
    // runs, not `thinking`
    expect(timeline).toEqual([
      [0, 'thinking'],
      [0, 'calculating'],
      [0, 'processing'],
      [1000, 'calculating'],
      [1000, 'processing'],
      [2000, 'calculating'],
      [2100, 'thinking'],
      [2200, 'composing'],
    ]);
  });
  it('shows a deferred provider tool across the step boundary when no client call made the next step', async () => {
    vi.useFakeTimers();
    // streamText goes on to a next step while a provider-executed call of a tool marked `supportsDeferredResults` has
    // no result yet, with no client call at all (ai's stream-text: `pendingDeferredToolCalls`; Anthropic marks its web
    // search so, for a turn the provider paused): the next step's model stream gives the result (100 ms after the
    // request). The search runs until then: shown across the boundary, not `thinking`
    const webSearch: Tool = {
      type: 'provider',
      id: 'anthropic.web_search_20250305',
      args: {},
      inputSchema: z.object({}),
      supportsDeferredResults: true,
    };
    const result = streamText({
      model: new MockLanguageModelV3({
        doStream: [
          step([
            { type: 'stream-start', warnings: [] },
            { type: 'tool-call', toolCallId: 'ws', toolName: 'webSearch', input: '{}', providerExecuted: true },
            finish('stop'),
          ]),
          step(
            [
              { type: 'stream-start', warnings: [] },
              { type: 'tool-result', toolCallId: 'ws', toolName: 'webSearch', result: { hits: 3 } },
              ...text('Sunny.'),
              finish('stop'),
            ],
            100,
          ),
        ],
      }),
      prompt: 'Weather in Berlin?',
      stopWhen: stepCountIs(5),
      tools: { webSearch },
    });
    const { parts, types } = watchTypes(result.fullStream);
    const timeline = await timelineOf(parts);
    expect(types.filter((t) => t === 'start-step')).toHaveLength(2);
    expect(timeline).toEqual([
      [0, 'thinking'],
      [0, 'searching'],
      [100, 'thinking'],
      [200, 'composing'],
    ]);
  });
});

describe('statusFromStream over a tool approved in an earlier stream (ai 6 needsApproval)', () => {
  /**
   * Stream 1 calls each tool of `executes` (all needsApproval; `webSearch` shows searching, `calculator`
   * calculating) and stops for approval; stream 2 gets the person's approvals in its messages and, as `streamText`
   * does, runs the tools (in parallel) before the model's step (text at 100 ms a chunk). Stream 2 is started at fake
   * time 0.
   */
  async function approvedThenRun(
    executes: Partial<Record<'webSearch' | 'calculator', Tool<{ query: string }>['execute']>>,
  ) {
    const names = Object.keys(executes) as ('webSearch' | 'calculator')[];
    const tools = Object.fromEntries(
      names.map((name) => [
        name,
        tool({ inputSchema: z.object({ query: z.string() }), needsApproval: true, execute: executes[name] }),
      ]),
    );
    const first = streamText({
      model: new MockLanguageModelV3({
        doStream: step([
          { type: 'stream-start', warnings: [] },
          ...names.map(
            (toolName, i): LanguageModelV3StreamPart => ({
              type: 'tool-call',
              toolCallId: `call-${i + 1}`,
              toolName,
              input: '{"query":"Berlin"}',
            }),
          ),
          finish('tool-calls'),
        ]),
      }),
      prompt: 'What is the weather in Berlin?',
      tools,
    });
    // the first stream waits for a person: the calls it asked approval for are not shown as running after it
    const shown = { webSearch: 'searching', calculator: 'calculating' };
    expect(await firstValueFrom(statusFromStream(first.fullStream).pipe(toArray()))).toEqual([
      'thinking',
      ...names.map((name) => shown[name]),
      'thinking',
    ]);
    const { messages } = await first.response;
    const requests = messages
      .flatMap((m) => (Array.isArray(m.content) ? (m.content as readonly { type: string; approvalId?: string }[]) : []))
      .filter((c) => c.type === 'tool-approval-request');
    expect(requests).toHaveLength(names.length);
    const approved: ModelMessage[] = [
      { role: 'user', content: 'What is the weather in Berlin?' },
      ...messages,
      {
        role: 'tool',
        content: requests.map((r) => ({ type: 'tool-approval-response', approvalId: r.approvalId!, approved: true })),
      },
    ];
    vi.useFakeTimers({ now: 0 });
    return streamText({
      model: new MockLanguageModelV3({ doStream: agentSteps('webSearch', 100)[1]! }),
      messages: approved,
      tools,
      stopWhen: stepCountIs(3),
    });
  }

  /** A generator tool: yields its progress at 100, 200 and 300 ms. */
  async function* yieldingSearch() {
    for (let i = 1; i <= 3; i++) {
      await new Promise((r) => setTimeout(r, 100));
      yield { done: i };
    }
  }

  it('shows thinking while it runs: streamText emits nothing that names the tool before its result', async () => {
    const log: string[] = [];
    const second = await approvedThenRun({
      webSearch: async () => {
        log.push(`${Date.now()} execute`);
        await new Promise((r) => setTimeout(r, 1000));
        log.push(`${Date.now()} executed`);
        return { answer: 'sunny' };
      },
    });
    const parts = from(second.fullStream as AsyncIterable<StreamPart>).pipe(
      tap((p) => log.push(`${Date.now()} ${p.type}`)),
    );
    const timeline = await timelineOf(parts);
    // `start` comes before the tool runs, and the next part is its result: no tool-call, tool-input-start or approval
    // part, so `thinking` (from `start`) stands for the whole run. If a later ai names the call, this fails first.
    expect(log.slice(0, 4)).toEqual(['0 start', '0 execute', '1000 executed', '1000 tool-result']);
    expect(timeline).toEqual([
      [0, 'thinking'],
      [1400, 'composing'],
    ]);
  });

  it('shows a generator tool from its first progress yield, the one part that names it while it runs', async () => {
    const second = await approvedThenRun({
      webSearch: yieldingSearch,
    });
    expect(await timelineOf(second.fullStream)).toEqual([
      [0, 'thinking'],
      [100, 'searching'],
      [300, 'thinking'],
      [700, 'composing'],
    ]);
  });

  it('stays on the generator tool while another approved call returns before it', async () => {
    // both run at once before the model's step: the search yields at 100, 200, 300 ms, the calculator, named by no
    // part until then, returns at 150 ms, while the search still runs
    const second = await approvedThenRun({
      webSearch: yieldingSearch,
      calculator: async () => {
        await new Promise((r) => setTimeout(r, 150));
        return 42;
      },
    });
    expect(await timelineOf(second.fullStream)).toEqual([
      [0, 'thinking'],
      [100, 'searching'],
      [300, 'thinking'],
      [700, 'composing'],
    ]);
  });
});
