import type { TextStreamPart, ToolSet } from 'ai';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { replyText } from './replyText';

type Part = TextStreamPart<ToolSet>;
const p = (part: Record<string, unknown>) => part as unknown as Part;

const parts = {
  s: p({ type: 'start-step' }),
  a: p({ type: 'text-delta', id: 't', text: 'Let me look ' }),
  b: p({ type: 'text-delta', id: 't', text: 'that up.' }),
  x: p({ type: 'text-delta', id: 't', text: 'It is ' }),
  y: p({ type: 'text-delta', id: 't', text: 'sunny.' }),
  c: p({ type: 'tool-call', toolName: 'webSearch' }),
  r: p({ type: 'reasoning-delta', id: 'r', text: 'hmm' }),
  f: p({ type: 'finish', finishReason: 'stop' }),
  F: p({ type: 'finish', finishReason: 'error' }),
  e: p({ type: 'error', error: new Error('overloaded') }),
  A: p({ type: 'abort' }),
};

function marbles(run: (h: Parameters<Parameters<TestScheduler['run']>[0]>[0]) => void) {
  new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(run);
}

describe('replyText', () => {
  it('emits the last step that wrote text, once, on finish', () => {
    marbles(({ cold, expectObservable }) => {
      const src = cold('sab-c-s-r-xy-f', parts);
      expectObservable(replyText(src)).toBe('-------------(t|)', { t: 'It is sunny.' });
    });
  });

  it('keeps the earlier text when the last step wrote none', () => {
    marbles(({ cold, expectObservable }) => {
      expectObservable(replyText(cold('sxy-s-r-f', parts))).toBe('--------(t|)', { t: 'It is sunny.' });
    });
  });

  it('keeps the earlier text when the last step wrote only whitespace (a line break after the tool result)', () => {
    marbles(({ cold, expectObservable }) => {
      const blank = { ...parts, n: p({ type: 'text-delta', id: 't', text: '\n\n' }) };
      // the answer came with a call (step 1); the step after the result wrote a blank line and stopped
      expectObservable(replyText(cold('sxy-c-s-n-f', blank))).toBe('----------(t|)', { t: 'It is sunny.' });
      // nor does a blank step in between hide the answer from the step before it
      expectObservable(replyText(cold('sxy-c-s-n-s-f', blank))).toBe('------------(t|)', { t: 'It is sunny.' });
    });
  });

  it('errors with the model error the work ended on, on abort, and when nothing was written', () => {
    marbles(({ cold, expectObservable }) => {
      expectObservable(replyText(cold('sx-e-F', parts))).toBe('-----#', undefined, new Error('overloaded'));
      expectObservable(replyText(cold('sx-e|', parts))).toBe('----#', undefined, new Error('overloaded'));
      expectObservable(replyText(cold('sx-eA', parts))).toBe('----#', undefined, new Error('overloaded'));
      expectObservable(replyText(cold('sx-A', parts))).toBe(
        '---#',
        undefined,
        new DOMException('The reply was aborted', 'AbortError'),
      );
      expectObservable(replyText(cold('sr-f', parts))).toBe(
        '---#',
        undefined,
        new Error('The model finished without writing a reply'),
      );
    });
  });

  it("errors with the provider's message when the error part carries a plain object, not an Error", () => {
    // What @ai-sdk/openai-compatible puts in the part for an OpenAI-style `{"error": {...}}` chunk mid-stream:
    // the chunk's error object as it came, so String() of it would tell the user "[object Object]".
    const overloaded = p({
      type: 'error',
      error: { message: 'Rate limit reached for gpt-4o-mini', type: 'requests', code: 'rate_limit_exceeded' },
    });
    const unreadable = p({ type: 'error', error: { code: 500 } });
    marbles(({ cold, expectObservable }) => {
      expectObservable(replyText(cold('sx-oF', { ...parts, o: overloaded }))).toBe(
        '----#',
        undefined,
        new Error('Rate limit reached for gpt-4o-mini'),
      );
      expectObservable(replyText(cold('sx-uF', { ...parts, u: unreadable }))).toBe(
        '----#',
        undefined,
        new Error('The model failed'), // nothing readable: not the object itself, which may hold anything
      );
    });
  });

  it('sends the text of a model that finished after an error part (streamText streams on after one)', () => {
    marbles(({ cold, expectObservable }) => {
      expectObservable(replyText(cold('sx-e-y-f', parts))).toBe('-------(t|)', { t: 'It is sunny.' });
    });
  });

  it("errors at a finish whose reason is 'error' with no error part: the text so far is not the answer", () => {
    // @ai-sdk/google ends a malformed function call this way: finishReason 'error', no error part
    marbles(({ cold, expectObservable }) => {
      expectObservable(replyText(cold('sab-F', parts))).toBe(
        '----#',
        undefined,
        new Error('The model stopped with an error'),
      );
    });
  });

  it('settles when the parts end without a finish part', () => {
    marbles(({ cold, expectObservable }) => {
      expectObservable(replyText(cold('sxy|', parts))).toBe('---(t|)', { t: 'It is sunny.' });
    });
  });
});
