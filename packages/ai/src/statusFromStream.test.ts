import { isB24Error } from '@b24-typing/core';
import { defer, firstValueFrom, Observable, retry, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { StreamPart } from './StreamPart';
import { statusFromStream } from './statusFromStream';
import { statusForTool } from './statusForTool';
import { defaultStatusRules } from './statusRules';

const parts = {
  s: { type: 'start' },
  S: { type: 'start-step' },
  r: { type: 'reasoning-start' },
  R: { type: 'reasoning-delta' },
  i: { type: 'tool-input-start', toolName: 'webSearch' },
  c: { type: 'tool-call', toolName: 'webSearch' },
  p: { type: 'tool-result', toolName: 'webSearch', preliminary: true },
  o: { type: 'tool-result', toolName: 'webSearch' },
  k: { type: 'tool-call', toolName: 'calculator' },
  u: { type: 'tool-call', toolName: 'getWeather' },
  e: { type: 'finish-step' },
  t: { type: 'text-start' },
  T: { type: 'text-delta' },
  x: { type: 'raw' },
  f: { type: 'finish' },
  a: { type: 'abort' },
  E: { type: 'error', error: new Error('model overloaded') },
  // AI SDK 7 additions: a reasoning artefact, provider-specific parts, approvals
  F: { type: 'reasoning-file' },
  C: { type: 'custom' },
  A: { type: 'tool-approval-response' },
  // AI SDK 5 tool parts carry the same fields
  I: { type: 'tool-input-start', toolName: 'read_pdf' },
} satisfies Record<string, StreamPart>;

const statuses = {
  h: 'thinking',
  s: 'searching',
  c: 'calculating',
  p: 'processing',
  o: 'composing',
  k: 'checking',
} as const;

function marbles(run: (helpers: Parameters<Parameters<TestScheduler['run']>[0]>[0]) => void) {
  new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(run);
}

describe('statusFromStream: phases in virtual time', () => {
  it('emits each phase when its first part arrives and completes on finish', () => {
    marbles(({ cold, expectObservable }) => {
      const src = cold('s-rRR--ic---o-eS-tTTT-f', parts);
      expectObservable(statusFromStream(src)).toBe('h------s----h----o----|', statuses);
    });
  });

  it('routes tools by name and falls back to processing', () => {
    marbles(({ cold, expectObservable }) => {
      const src = cold('-k-o-u-o-c-f', parts);
      expectObservable(statusFromStream(src)).toBe('-c-h-p-h-s-|', statuses);
    });
  });

  it('keeps the tool status through preliminary results', () => {
    marbles(({ cold, expectObservable }) => {
      const src = cold('-c-p-p-o-f', parts);
      expectObservable(statusFromStream(src)).toBe('-s-----h-|', statuses);
    });
  });

  it('ignores parts with no status meaning (raw, finish-step)', () => {
    marbles(({ cold, expectObservable }) => {
      const src = cold('x-t-x-e-f', parts);
      expectObservable(statusFromStream(src)).toBe('--o-----|', statuses);
    });
  });

  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'])(
    'reads a part type named like an Object.prototype member (%s) as an unlisted type: no change',
    async (type) => {
      const out = await firstValueFrom(statusFromStream([parts.s, { type }, parts.t, parts.f]).pipe(toArray()));
      expect(out).toEqual(['thinking', 'composing']);
    },
  );

  it('reads AI SDK 5 to 7 part streams alike: new part types change nothing', () => {
    marbles(({ cold, expectObservable }) => {
      const src = cold('r-F-C-I-A-o-t-f', parts);
      expectObservable(statusFromStream(src)).toBe('h-----d---h-o-|', { ...statuses, d: 'readingDocs' });
    });
  });

  it('stays up through an error part while the work goes on, and errors with it at a finish that ends on it', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }) => {
      // streamText streams on after an error part (a chunk the provider could not parse, a tool hook that threw)
      const src = cold('r--E--t-f', parts);
      expectObservable(statusFromStream(src)).toBe('h-----o-#', statuses, parts.E.error);
      expectSubscriptions(src.subscriptions).toBe('^-------!');
      const ended = { ...parts, z: { type: 'finish', finishReason: 'error' } };
      expectObservable(statusFromStream(cold('r--E-z', ended))).toBe('h----#', statuses, parts.E.error);
    });
  });

  it('completes at a finish of another reason after an error part: the model went on and finished', () => {
    marbles(({ cold, expectObservable }) => {
      const finished = {
        ...parts,
        z: { type: 'finish', finishReason: 'stop' },
        Z: { type: 'finish', finishReason: 'error' },
      };
      expectObservable(statusFromStream(cold('r--E--t-z', finished))).toBe('h-----o-|', statuses);
    });
  });

  it("errors at a finish whose reason is 'error' with no error part before it: the work ended on a failure", () => {
    marbles(({ cold, expectObservable }) => {
      const Z = { type: 'finish', finishReason: 'error' };
      const failed = new Error('LLM stream reported an error (finish)');
      expectObservable(statusFromStream(cold('r-t-Z', { ...parts, Z }))).toBe('h-o-#', statuses, failed);
    });
  });

  it('errors with the error part when the parts end, or abort comes, after it', () => {
    marbles(({ cold, expectObservable }) => {
      // doStream rejecting: streamText emits the error part and closes the stream, no finish
      expectObservable(statusFromStream(cold('r--E|', parts))).toBe('h---#', statuses, parts.E.error);
      expectObservable(statusFromStream(cold('r-E-a', parts))).toBe('h---#', statuses, parts.E.error);
    });
  });

  it('forgets an error part the step finished after: a later abort, end or bare failure is not that error', () => {
    // streamText gives `finish-step` the step's finish reason: 'error' from an error part, overwritten by the model's
    // own reason once it finished after it (ai 6.0.322 dist/index.mjs, streamText's step transform: `case "error"`
    // sets stepFinishReason = "error", `case "finish"` sets it to the chunk's). A step that ends 'tool-calls' after a
    // chunk the provider could not parse (or a tool hook that threw) recovered from it: the work goes on to the next
    // step, and how that step ends is what the status stream must report.
    marbles(({ cold, expectObservable }) => {
      const recovered = {
        ...parts,
        e: { type: 'finish-step', finishReason: 'tool-calls' },
        z: { type: 'finish-step', finishReason: 'error' },
        Z: { type: 'finish', finishReason: 'error' },
      };
      // aborted in the next step: completes, as an abort with no error before it does
      expectObservable(statusFromStream(cold('r-E-k-e-S-t-a', recovered))).toBe('h---c---h-o-|', statuses);
      // the parts end in the next step (no finish): completes
      expectObservable(statusFromStream(cold('r-E-k-e-S-t|', recovered))).toBe('h---c---h-o|', statuses);
      // the next step fails by its finish reason alone (@ai-sdk/google's MALFORMED_FUNCTION_CALL): that failure, not
      // the parse error of the step before
      const failed = new Error('LLM stream reported an error (finish)');
      expectObservable(statusFromStream(cold('r-E-k-e-S-t-Z', recovered))).toBe('h---c---h-o-#', statuses, failed);
      // a step that ended on the error part keeps it: the work ended on it
      expectObservable(statusFromStream(cold('r-E-z-a', recovered))).toBe('h-----#', statuses, parts.E.error);
      // a finish-step with no finish reason (a hand-made part) tells nothing: the error stands
      expectObservable(statusFromStream(cold('r-E-k-e-S-t-a', { ...recovered, e: { type: 'finish-step' } }))).toBe(
        'h---c---h-o-#',
        statuses,
        parts.E.error,
      );
    });
  });

  it('completes on abort and unsubscribes from the source at finish', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('r-a-t', parts);
      expectObservable(statusFromStream(src)).toBe('h-|', statuses);
      expectSubscriptions(src.subscriptions).toBe('^-!');
    });
  });

  it('completes when the source ends without a finish part', () => {
    marbles(({ cold, expectObservable }) => {
      expectObservable(statusFromStream(cold('r-t|', parts))).toBe('h-o|', statuses);
    });
  });

  it('errors with an Error naming the part when an error part carries no error', async () => {
    const err = await firstValueFrom(statusFromStream([parts.r, { type: 'error' }]).pipe(toArray())).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('LLM stream reported an error (error)');
  });

  it('follows reasoning interleaved with text, part by part, and lets their ends change nothing', () => {
    marbles(({ cold, expectObservable }) => {
      const interleaved = { ...parts, n: { type: 'text-end' }, m: { type: 'reasoning-end' } };
      const src = cold('r-R-t-T-m-R-T-n-R-f', interleaved);
      expectObservable(statusFromStream(src)).toBe('h---o-----h-o---h-|', statuses);
    });
  });

  it('passes a source error through unchanged', () => {
    marbles(({ cold, expectObservable }) => {
      const boom = new Error('socket hang up');
      expectObservable(statusFromStream(cold('r-#', parts, boom))).toBe('h-#', statuses, boom);
    });
  });
});

describe('statusFromStream: parallel tool calls', () => {
  const calls = {
    i: { type: 'tool-input-start', id: 'a', toolName: 'webSearch' },
    c: { type: 'tool-call', toolCallId: 'a', toolName: 'webSearch' },
    k: { type: 'tool-call', toolCallId: 'b', toolName: 'calculator' },
    p: { type: 'tool-result', toolCallId: 'b', toolName: 'calculator', preliminary: true },
    o: { type: 'tool-result', toolCallId: 'a', toolName: 'webSearch' },
    O: { type: 'tool-result', toolCallId: 'b', toolName: 'calculator' },
    x: { type: 'tool-error', toolCallId: 'b', toolName: 'calculator', error: new Error('division by zero') },
    u: { type: 'tool-call', toolCallId: 'u', toolName: 'getWeather' }, // no execute: never gets a result
    j: { type: 'tool-input-start', id: 'b', toolName: 'calculator' },
    w: { type: 'tool-call', toolCallId: 'd', toolName: 'getWeather' },
    W: { type: 'tool-result', toolCallId: 'd', toolName: 'getWeather' },
    E: { type: 'error', error: new Error('model overloaded') },
    e: { type: 'finish-step' },
    S: { type: 'start-step' },
    t: { type: 'text-start' },
    f: { type: 'finish' },
    P: { type: 'tool-result', toolCallId: 'a', toolName: 'webSearch', preliminary: true },
    q: { type: 'tool-approval-request', toolCall: { toolCallId: 'a', toolName: 'webSearch' } },
    T: { type: 'text-delta' },
    n: { type: 'text-end' },
    r: { type: 'reasoning-start' },
    m: { type: 'reasoning-end' },
  } satisfies Record<string, StreamPart>;

  it('stays on the call still running when another one returns, and thinks once the last returns', () => {
    marbles(({ cold, expectObservable }) => {
      const src = cold('-i-c-k-o---O-e-t-f', calls);
      expectObservable(statusFromStream(src)).toBe('-s---c-----h---o-|', statuses);
    });
  });

  it('goes back to the earlier call when the latest returns first', () => {
    marbles(({ cold, expectObservable }) => {
      const src = cold('-c-k-O-o-f', calls);
      expectObservable(statusFromStream(src)).toBe('-s-c-s-h-|', statuses);
    });
  });

  it('counts a tool error as settling its call, and a preliminary result as its call still running', () => {
    marbles(({ cold, expectObservable }) => {
      // b's progress while a is shown changes nothing; once a returns, b (still running) is shown
      expectObservable(statusFromStream(cold('-k-c-p-o-x-f', calls))).toBe('-c-s---c-h-|', statuses);
    });
  });

  it('keeps the status while parallel generator tools yield progress, instead of flipping on every yield', () => {
    marbles(({ cold, expectObservable }) => {
      // a and b both stream progress (as streamText emits it: a, b, a, b …): a progress yield is no new call
      const src = cold('-c-k-P-p-P-o-p-O-f', calls);
      expectObservable(statusFromStream(src)).toBe('-s-c-----------h-|', statuses);
    });
  });

  it('shows the running call again when text or reasoning written after the call ends', () => {
    marbles(({ cold, expectObservable }) => {
      // streamText runs a step's tools once the model's step stream ends: after text-end the tool still runs
      const src = cold('-c-t-T-n-o-e-S-t-f', calls);
      expectObservable(statusFromStream(src)).toBe('-s-o---s-h-----o-|', statuses);
      expectObservable(statusFromStream(cold('-c-r-m-o-f', calls))).toBe('-s-h-s-h-|', statuses);
    });
  });

  it('does not count a call that waits for approval as running (its tool runs only once approved)', () => {
    marbles(({ cold, expectObservable }) => {
      const src = cold('-c-q-k-O-e-f', calls);
      expectObservable(statusFromStream(src)).toBe('-s---c-h---|', statuses);
      // the call shown waits for approval while another runs: the running one is shown again
      expectObservable(statusFromStream(cold('-k-c-q-O-f', calls))).toBe('-c-s-c-h-|', statuses);
    });
  });

  it('keeps a call approved automatically in the same stream running (AI SDK 7 `toolApproval`)', () => {
    // the parts ai 7.0.173 emits for `toolApproval: { webSearch: 'approved' }`, the search (a) running 20–1027 ms and
    // the calculator (b) 25–127 ms: the request is marked automatic and its approval follows at once
    const toolCall = { toolCallId: 'a', toolName: 'webSearch' };
    // `approved` is not read (a denial is followed by tool-output-denied): kept out of StreamPart's fields
    const approved = { type: 'tool-approval-response', approved: true, toolCall };
    const denied = { type: 'tool-approval-response', approved: false, toolCall };
    const auto = {
      ...calls,
      q: { type: 'tool-approval-request', isAutomatic: true, toolCall },
      y: approved,
      n: denied,
      d: { type: 'tool-output-denied', toolCallId: 'a', toolName: 'webSearch' },
    } satisfies Record<string, StreamPart>;
    marbles(({ cold, expectObservable }) => {
      expectObservable(statusFromStream(cold('-c-q-y-k-O-o-e-f', auto))).toBe('-s-----c-s-h---|', statuses);
      // denied automatically: the denial settles it
      expectObservable(statusFromStream(cold('-c-k-q-n-d-O-f', auto))).toBe('-s-c-------h-|', statuses);
    });
  });

  it('lets a part of a type it does not know leave the running calls alone, even with their toolCallId', () => {
    marbles(({ cold, expectObservable }) => {
      // a newer SDK's part about call b (progress, a log line …) says nothing about b having returned: when a returns,
      // b still runs and stays shown; the model thinks only once b returns too
      const newer = { ...calls, z: { type: 'tool-progress', toolCallId: 'b', toolName: 'calculator' } };
      expectObservable(statusFromStream(cold('-c-k-z-o-O-f', newer))).toBe('-s-c-----h-|', statuses);
    });
  });

  it('stays on a running call when a call it never saw returns (approved calls run before the first step)', () => {
    marbles(({ cold, expectObservable }) => {
      // a generator search (a) and a calculator (b), both approved in an earlier stream, run together before the
      // model's step: a is named by its progress, b only by its result, which leaves a running
      expectObservable(statusFromStream(cold('-P-O-P-o-f', calls))).toBe('-s-----h-|', statuses);
    });
  });

  it('counts a call as running from its tool-input-start (by id), while its input still streams', () => {
    marbles(({ cold, expectObservable }) => {
      const src = cold('-i-c-j-o-k-O-f', calls);
      expectObservable(statusFromStream(src)).toBe('-s---c-----h-|', statuses);
    });
  });

  it('does not flip between parallel calls when their tool-call parts come after all their inputs', () => {
    marbles(({ cold, expectObservable }) => {
      // @ai-sdk/openai-compatible (the llm-bot example's provider) streams every call's input, then emits every
      // tool-call at once at the end of the model's stream: a and b were already running, so the status stays on b
      // instead of flipping to a and back to b in the same instant (two more calls to the portal, a held for 1 s)
      const src = cold('-i-j-c-k-o-O-f', calls);
      expectObservable(statusFromStream(src)).toBe('-s-c-------h-|', statuses);
    });
  });

  it('goes back to the call started last of those still running, of three', () => {
    marbles(({ cold, expectObservable }) => {
      // b's input starts after a's, and a's tool-call, later, does not make a newer: b stays shown, and is shown again
      // once d returns
      const src = cold('-i-j-c-w-W-f', calls);
      expectObservable(statusFromStream(src)).toBe('-s-c---p-c-|', statuses);
    });
  });

  it('starts each subscription with no call running (a retry does not see the calls of the failed attempt)', () => {
    marbles(({ cold, expectObservable }) => {
      let attempt = 0;
      const src = defer(() => (attempt++ === 0 ? cold('-u-E|', calls) : cold('-c-o-t-f', calls)));
      expectObservable(statusFromStream(src).pipe(retry(1))).toBe('-p---s-h-o-|', statuses);
    });
  });

  it('lets a settling part keep the effect the rules give it while other calls run: none, or complete', () => {
    marbles(({ cold, expectObservable }) => {
      const resultless = Object.fromEntries(
        Object.entries(defaultStatusRules.parts).filter(([t]) => t !== 'tool-result'),
      );
      expectObservable(statusFromStream(cold('-k-c-o-f', calls), { parts: resultless })).toBe('-c-s---|', statuses);
      const completeOnError = { parts: { ...defaultStatusRules.parts, 'tool-error': 'complete' as const } };
      expectObservable(statusFromStream(cold('-k-c-x-o', calls), completeOnError)).toBe('-c-s-|', statuses);
    });
  });

  it("settles a call whose end the rules give its tool's status ('tool'): it runs no more once it has returned", () => {
    const rules = { parts: { ...defaultStatusRules.parts, 'tool-result': 'tool', 'tool-error': 'tool' } as const };
    const provider = {
      ...calls,
      g: { type: 'tool-call', toolCallId: 'g', toolName: 'web_search', providerExecuted: true },
      y: { type: 'tool-result', toolCallId: 'g', toolName: 'web_search', providerExecuted: true },
    } satisfies Record<string, StreamPart>;
    marbles(({ cold, expectObservable }) => {
      // the returned search is no call that did not run: the step's end keeps the answer's composing
      expectObservable(statusFromStream(cold('-g-y-t-T-e-f', provider), rules)).toBe('-s---o-----|', statuses);
      // b returned: a, still running, is shown; once a returns too, nothing is left that did not run at the step's end
      expectObservable(statusFromStream(cold('-c-k-O-o-e-S-t-f', calls), rules)).toBe('-s-c-s-----h-o-|', statuses);
      // so too for a call that failed, and the result of a call never seen running shows its own tool
      expectObservable(statusFromStream(cold('-c-k-x-o-e-f', calls), rules)).toBe('-s-c-s-----|', statuses);
      expectObservable(statusFromStream(cold('-W-f', calls), rules)).toBe('-p-|', statuses);
    });
  });

  it('forgets calls that never get a result at the step boundary, where it stops showing their tool', () => {
    marbles(({ cold, expectObservable }) => {
      // u (no execute) did not run: the step's end shows what a call that did not run shows (tool-output-denied's)
      const src = cold('-u-c-o-e-S-c-o-t-f', calls);
      expectObservable(statusFromStream(src)).toBe('-p-s-p-h---s-h-o-|', statuses);
      // a call that waits for approval: its tool shown until the step's end, none after it
      expectObservable(statusFromStream(cold('-c-q-e-f', calls))).toBe('-s---h-|', statuses);
      // a step whose calls all settled ends on what it showed
      expectObservable(statusFromStream(cold('-c-o-t-e-f', calls))).toBe('-s-h-o---|', statuses);
    });
  });

  it("does not go back to a provider-executed call the model's stream has moved past (streamText never runs it)", () => {
    // a provider tool (`providerExecuted: true`) runs at the provider, inside the model's stream, while that stream
    // waits for it; one whose result does not follow (a deferred result, or none) runs no more once the model writes
    // or calls on: after the text, or the client tool's return, nothing of it runs before the step ends
    const provider = {
      ...calls,
      g: { type: 'tool-call', toolCallId: 'g', toolName: 'web_search', providerExecuted: true },
      G: { type: 'tool-call', toolCallId: 'G', toolName: 'code_execution', providerExecuted: true },
      y: { type: 'tool-result', toolCallId: 'G', toolName: 'code_execution', providerExecuted: true },
    } satisfies Record<string, StreamPart>;
    marbles(({ cold, expectObservable }) => {
      expectObservable(statusFromStream(cold('-g-t-n-e-f', provider))).toBe('-s-o---h-|', statuses);
      // reasoning is the model writing on too: its end does not show the search again
      expectObservable(statusFromStream(cold('-g-r-m-e-f', provider))).toBe('-s-h-----|', statuses);
      // its result comes after all, while the model writes: it ran, so the step's end keeps the answer's composing
      const late = { ...provider, y: { ...provider.y, toolCallId: 'g', toolName: 'web_search' } };
      expectObservable(statusFromStream(cold('-g-t-y-T-e-f', late))).toBe('-s-o-h-o---|', statuses);
    });
  });

  it('shows a deferred provider-executed call from its call to its result, across the client calls it makes', () => {
    // a code execution (provider-executed, calculating) that calls getWeather (a client tool, processing) runs on at
    // the provider once getWeather returns; streamText ends the step there, and the next step's model stream gives its
    // result
    const provider = {
      ...calls,
      G: { type: 'tool-call', toolCallId: 'G', toolName: 'code_execution', providerExecuted: true },
      y: { type: 'tool-result', toolCallId: 'G', toolName: 'code_execution', providerExecuted: true },
    } satisfies Record<string, StreamPart>;
    marbles(({ cold, expectObservable }) => {
      expectObservable(statusFromStream(cold('-G-w-W-e-S-y-t-f', provider))).toBe('-c-p-c-----h-o-|', statuses);
      // the stop condition ends the work before its result came: it runs no more, and the status says so
      expectObservable(statusFromStream(cold('-G-w-W-e-f', provider))).toBe('-c-p-c---(h|)', statuses);
      // so too when the parts end with no finish
      expectObservable(statusFromStream(cold('-G-w-W-e-|', provider))).toBe('-c-p-c---(h|)', statuses);
    });
  });

  it("keeps a provider-executed call the provider's through a later part of it that does not say so", () => {
    // a `tool-input-delta` names its call by `id` only: given 'tool' by the app, it is a part of the running call, and
    // must not turn the deferred code execution into a client call that the step's end drops as one that did not run
    const provider = {
      ...calls,
      G: { type: 'tool-input-start', id: 'G', toolName: 'code_execution', providerExecuted: true },
      D: { type: 'tool-input-delta', id: 'G' },
      y: { type: 'tool-result', toolCallId: 'G', toolName: 'code_execution', providerExecuted: true },
    } satisfies Record<string, StreamPart>;
    const rules = { parts: { ...defaultStatusRules.parts, 'tool-input-delta': 'tool' } as const };
    marbles(({ cold, expectObservable }) => {
      const src = cold('-G-D-w-W-e-S-y-t-f', provider);
      expectObservable(statusFromStream(src, rules)).toBe('-c---p-c-----h-o-|', statuses);
    });
  });

  it('takes a text or reasoning delta with no start before it (a hand-made stream) for the model writing on', () => {
    // the model's stream waits while the provider runs its tool: a delta after it says the provider is done with it
    // for the step, so the step's end shows a call that did not run, not the search again
    const provider = {
      ...calls,
      g: { type: 'tool-call', toolCallId: 'g', toolName: 'web_search', providerExecuted: true },
      R: { type: 'reasoning-delta' },
    } satisfies Record<string, StreamPart>;
    marbles(({ cold, expectObservable }) => {
      expectObservable(statusFromStream(cold('-g-T-e-f', provider))).toBe('-s-o-h-|', statuses);
      expectObservable(statusFromStream(cold('-g-R-e-f', provider))).toBe('-s-h---|', statuses);
    });
  });

  it('shows the search while a provider-executed search runs, also when a client call returns meanwhile', () => {
    // AI SDK 5 runs a client tool at its tool-call, so its result may come while the provider searches
    const provider = {
      ...calls,
      g: { type: 'tool-input-start', id: 'g', toolName: 'web_search', providerExecuted: true },
      G: { type: 'tool-call', toolCallId: 'g', toolName: 'web_search', providerExecuted: true },
      y: { type: 'tool-result', toolCallId: 'g', toolName: 'web_search', providerExecuted: true },
    } satisfies Record<string, StreamPart>;
    marbles(({ cold, expectObservable }) => {
      expectObservable(statusFromStream(cold('-k-g-G-O-y-t-f', provider))).toBe('-c-s-----h-o-|', statuses);
    });
  });

  it('tracks running calls when the rules give tool calls a status of their own', () => {
    marbles(({ cold, expectObservable }) => {
      const rules = { parts: { ...defaultStatusRules.parts, 'tool-call': 'processing' } as const };
      // b still runs when a returns: the status stays on what b shows, and thinks once b returns too
      expectObservable(statusFromStream(cold('-c-k-o---O-f', calls), rules)).toBe('-p-------h-|', statuses);
      // the call runs once the text written alongside it ends
      expectObservable(statusFromStream(cold('-c-t-n-o-f', calls), rules)).toBe('-p-o-p-h-|', statuses);
    });
  });

  it('shows nothing new at the step boundary when the rules give a call that did not run no status', () => {
    marbles(({ cold, expectObservable }) => {
      const { 'tool-output-denied': _denied, ...deniedless } = defaultStatusRules.parts;
      expectObservable(statusFromStream(cold('-u-e-f', calls), { parts: deniedless })).toBe('-p---|', statuses);
      const completing = { parts: { ...defaultStatusRules.parts, 'tool-output-denied': 'complete' as const } };
      expectObservable(statusFromStream(cold('-u-e-f', calls), completing)).toBe('-p---|', statuses);
    });
  });
});

describe('statusFromStream: provider-executed tools, as the AI SDK providers stream them', () => {
  /** The step's own parts around the tool's, as each provider below streams them. */
  const step = {
    S: { type: 'start-step' },
    t: { type: 'text-start' },
    T: { type: 'text-delta' },
    n: { type: 'text-end' },
    e: { type: 'finish-step', finishReason: 'stop' },
    f: { type: 'finish', finishReason: 'stop' },
  } satisfies Record<string, StreamPart>;
  /** The parts of one provider-executed call: its input's start and end, the call, its result. */
  const providerCall = (id: string, toolName: string) =>
    ({
      i: { type: 'tool-input-start', id, toolName, providerExecuted: true },
      x: { type: 'tool-input-end', id },
      c: { type: 'tool-call', toolCallId: id, toolName, providerExecuted: true },
      y: { type: 'tool-result', toolCallId: id, toolName, providerExecuted: true },
    }) satisfies Record<string, StreamPart>;

  it("shows OpenAI's web search from its call to its result (Responses API web_search_call)", () => {
    // @ai-sdk/openai (packages/openai/src/responses/openai-responses-language-model.ts in vercel/ai) turns the
    // `response.output_item.added` of a `web_search_call` item into tool-input-start, tool-input-end and tool-call,
    // all `providerExecuted`; `response.web_search_call.in_progress` / `.searching` / `.completed` give no part; the
    // item's `response.output_item.done` gives the tool-result. A reasoning model reasons first, answers after.
    const openai = {
      ...step,
      ...providerCall('ws_1', 'web_search'),
      r: { type: 'reasoning-start' },
      R: { type: 'reasoning-delta' },
      m: { type: 'reasoning-end' },
    } satisfies Record<string, StreamPart>;
    marbles(({ cold, expectObservable }) => {
      const src = cold('-S-r-R-m-(ixc)------y-t-T-n-e-f', openai);
      expectObservable(statusFromStream(src)).toBe('-h-------s----------h-o-------|', statuses);
    });
  });

  it("shows Anthropic's web search from its server_tool_use to its web_search_tool_result", () => {
    // @ai-sdk/anthropic streams a `server_tool_use` block as tool-input-start, its input deltas, then (at
    // content_block_stop) tool-input-end and tool-call, `providerExecuted`; the `web_search_tool_result` block that
    // follows once the search is done is the tool-result (vercel/ai packages/anthropic/src/__fixtures__/
    // anthropic-web-search-tool.1.chunks.txt: the search block first, its result, then the text)
    const anthropic = {
      ...step,
      ...providerCall('srvtoolu_1', 'web_search'),
      d: { type: 'tool-input-delta', id: 'srvtoolu_1' },
    } satisfies Record<string, StreamPart>;
    marbles(({ cold, expectObservable }) => {
      const src = cold('-S-i-d-d-(xc)------y-t-T-n-e-f', anthropic);
      expectObservable(statusFromStream(src)).toBe('-h-s---------------h-o-------|', statuses);
    });
  });

  it("keeps Anthropic's code execution shown while it runs across the client calls it makes (programmatic tool calling)", () => {
    // vercel/ai packages/anthropic/src/__fixtures__/anthropic-programmatic-tool-calling.1.chunks.txt: the model
    // writes, then a `code_execution` server_tool_use whose code calls the client tool `rollDie` (a tool_use with a
    // `caller`), stop_reason tool_use; each next message holds one more rollDie call, the code still running; the last
    // one starts with the `code_execution_tool_result`, then the answer. streamText runs every rollDie and goes on to
    // the next step while the code execution's result is pending (`supportsDeferredResults`).
    const anthropic = {
      ...step,
      ...providerCall('srvtoolu_1', 'code_execution'),
      j: { type: 'tool-input-start', id: 'toolu_1', toolName: 'rollDie' },
      k: { type: 'tool-call', toolCallId: 'toolu_1', toolName: 'rollDie' },
      o: { type: 'tool-result', toolCallId: 'toolu_1', toolName: 'rollDie' },
      K: { type: 'tool-call', toolCallId: 'toolu_2', toolName: 'rollDie' },
      O: { type: 'tool-result', toolCallId: 'toolu_2', toolName: 'rollDie' },
      e: { type: 'finish-step', finishReason: 'tool-calls' },
      E: { type: 'finish-step', finishReason: 'stop' },
    } satisfies Record<string, StreamPart>;
    // the code execution shows calculating, rollDie (no rule of its own) processing
    marbles(({ cold, expectObservable }) => {
      const src = cold('-S-t-T-n-i-c-j-k---o-e-S---K---O-e-S---y-t-T-n-E-f', anthropic);
      expectObservable(statusFromStream(src)).toBe('-h-o-----c---p-----c-------p---c-------h-o-------|', statuses);
    });
  });
});

describe('statusFromStream: rules are data', () => {
  it('extends the tool rules (first match wins)', () => {
    marbles(({ cold, expectObservable }) => {
      const rules = { tools: [{ match: /weather/i, status: 'connecting' as const }, ...defaultStatusRules.tools] };
      expectObservable(statusFromStream(cold('-u-f', parts), rules)).toBe('-x-|', { x: 'connecting' });
    });
  });

  it('replaces the part mapping and the fallback tool status', () => {
    marbles(({ cold, expectObservable }) => {
      const rules = {
        parts: { ...defaultStatusRules.parts, 'reasoning-start': 'analyzing', 'text-start': 'generating' } as const,
        otherTool: 'IMBOT_AGENT_ACTION_CONNECTING' as const,
      };
      expectObservable(statusFromStream(cold('-r-u-t-f', parts), rules)).toBe('-a-c-g-|', {
        a: 'analyzing',
        c: 'IMBOT_AGENT_ACTION_CONNECTING',
        g: 'generating',
      });
    });
  });

  it('keeps the defaults shared by every caller: changing defaultStatusRules throws and changes no status', async () => {
    const reply = [parts.s, parts.c, parts.o, parts.t, parts.T, parts.f];
    const before = await firstValueFrom(statusFromStream(reply).pipe(toArray()));
    const defaults = defaultStatusRules as unknown as {
      otherTool: string;
      parts: Record<string, string>;
      tools: { match: string | RegExp; status: string }[];
    };
    // test files are ES modules, so strict: a write to a frozen object throws instead of being ignored
    expect(() => {
      defaults.otherTool = 'checking';
    }).toThrow(TypeError);
    expect(() => {
      defaults.parts['text-delta'] = 'complete';
    }).toThrow(TypeError);
    expect(() => defaults.tools.unshift({ match: 'search', status: 'calculating' })).toThrow(TypeError);
    expect(() => {
      defaults.tools[0]!.status = 'calculating';
    }).toThrow(TypeError);
    expect(() => {
      (defaults.tools as unknown as Record<string, unknown>).search = 'calculating';
    }).toThrow(TypeError);
    expect(before).toEqual(['thinking', 'searching', 'thinking', 'composing']);
    expect(await firstValueFrom(statusFromStream(reply).pipe(toArray()))).toEqual(before);
    expect(statusForTool('webSearch')).toBe('searching');
  });

  it("follows the rules for a generator tool's progress: no status when tool calls have none", () => {
    marbles(({ cold, expectObservable }) => {
      const { 'tool-call': _call, 'tool-input-start': _input, ...toollessParts } = defaultStatusRules.parts;
      const src = cold('s-c-p-p-o-t-f', parts);
      expectObservable(statusFromStream(src, { parts: toollessParts })).toBe('h---------o-|', statuses);
    });
  });

  it("follows the rules for a generator tool's progress: the status tool calls are given", () => {
    marbles(({ cold, expectObservable }) => {
      const rules = { parts: { ...defaultStatusRules.parts, 'tool-call': 'processing' } as const };
      expectObservable(statusFromStream(cold('-c-p-p-o-f', parts), rules)).toBe('-p-----h-|', statuses);
    });
  });

  it('matches a frozen global RegExp rule (rules deep-frozen by the app) without breaking the statuses', () => {
    marbles(({ cold, expectObservable }) => {
      const rules = { tools: [Object.freeze({ match: Object.freeze(/search/gi), status: 'searching' as const })] };
      expectObservable(statusFromStream(cold('-c-o-c-o-t-f', parts), rules)).toBe('-s-h-s-h-o-|', statuses);
    });
  });

  it('matches a sticky RegExp rule alike at every call of the stream, as a global one', () => {
    // a sticky RegExp is tested from `lastIndex`, which a match moves past `web`: the stream's copy must be tested from
    // the start of the name each time, or the second webSearch call would show the fallback
    marbles(({ cold, expectObservable }) => {
      const rules = { tools: [{ match: /web/iy, status: 'searching' as const }] };
      expectObservable(statusFromStream(cold('-c-o-c-o-t-f', parts), rules)).toBe('-s-h-s-h-o-|', statuses);
    });
  });

  it("shows a part of another type given 'tool' as a tool with no name, and never takes it for a running call", () => {
    // a `source` part carries an `id` (of the source, not a call): it neither shows again after the text, nor counts
    // as a call that did not run at the step's end
    const sourced = { ...parts, q: { type: 'source', id: 'src-1' }, n: { type: 'text-end' } } satisfies Record<
      string,
      StreamPart
    >;
    marbles(({ cold, expectObservable }) => {
      const rules = { parts: { ...defaultStatusRules.parts, source: 'tool' } as const };
      const src = cold('-S-q-t-T-n-e-f', sourced);
      expectObservable(statusFromStream(src, rules)).toBe('-h-p-o-------|', statuses);
    });
  });

  it('maps a tool rule to a raw IMBOT_ code', async () => {
    const rules = { tools: [{ match: 'weather', status: 'IMBOT_WEATHER_LOOKUP' as const }] };
    const out = await firstValueFrom(statusFromStream([parts.u, parts.f], rules).pipe(toArray()));
    expect(out).toEqual(['IMBOT_WEATHER_LOOKUP']);
  });
});

describe('statusFromStream: input errors', () => {
  function inputError(fn: () => unknown): { kind: string; field: string; message: string } {
    try {
      fn();
    } catch (error) {
      expect(isB24Error(error)).toBe(true);
      return error as { kind: string; field: string; message: string };
    }
    throw new Error('expected a throw');
  }

  it('rejects something that is not a stream, synchronously', () => {
    const err = inputError(() => statusFromStream(42 as never));
    expect(err.kind).toBe('input');
    expect(err.message).toMatch(/Invalid parts: must be an AsyncIterable.*\(got a number\)/);
  });

  it('rejects a string (the reply text passed for its stream) synchronously, not one part per character', () => {
    // a string is iterable, so `from` would take it; its characters would only fail once read, as parts[0]
    const err = inputError(() => statusFromStream('It is sunny in Berlin.' as never));
    expect(err).toMatchObject({ kind: 'input', field: 'parts' });
    expect(err.message).toMatch(/\(got a string\)/);
  });

  it.each([
    [{ tools: 'search' }, 'rules.tools', /must be an array \(got a string\)/],
    [{ tools: [{ match: '', status: 'searching' }] }, 'rules.tools[0].match', /with a letter or digit/],
    [{ tools: [{ match: 'x', status: 'dancing' }] }, 'rules.tools[0].status', /must be an agent status/],
    [{ parts: { start: 'nap' } }, 'rules.parts["start"]', /must be an agent status/],
    [{ otherTool: 'imbot_lower' }, 'rules.otherTool', /must be an agent status/],
    // null is given (a config field read as null), not left out: it must not fall back to the defaults silently
    [{ tools: null }, 'rules.tools', /must be an array \(got null\)/],
    [{ parts: null }, 'rules.parts', /must be an object \(got null\)/],
    [{ otherTool: null }, 'rules.otherTool', /must be an agent status/],
    // the tool rules passed as the rules themselves: not silently ignored for the defaults
    [[{ match: 'crm', status: 'checking' }], 'rules', /must be an object \(got an array\)/],
    // an array of parts would replace the whole mapping, finish and error included, with index keys
    [{ parts: ['thinking'] }, 'rules.parts', /must be an object \(got an array\)/],
    // a misspelt field (`tool` for `tools`) would otherwise leave the default rules in force, silently
    [{ tool: [{ match: 'crm', status: 'checking' }] }, 'rules.tool', /must be one of parts, tools, otherTool/],
    // a Map has no fields of its own: every default would apply, the mapping it holds ignored
    [new Map([['otherTool', 'checking']]), 'rules', /must be an object \(got a Map\)/],
    [{ parts: new Map([['start', 'thinking']]) }, 'rules.parts', /must be an object \(got a Map\)/],
  ])('rejects malformed rules %j naming %s', (rules, field, message) => {
    const err = inputError(() => statusFromStream([], rules as never));
    expect(err).toMatchObject({ kind: 'input', field });
    expect(err.message).toMatch(message);
  });

  it('rejects a ReadableStream another reader holds synchronously, not with a TypeError once subscribed', () => {
    // fullStream read elsewhere (a reader still holding it): nothing this package could read
    const stream = new ReadableStream<StreamPart>({ start: (controller) => controller.enqueue({ type: 'start' }) });
    stream.getReader();
    const err = inputError(() => statusFromStream(stream));
    expect(err).toMatchObject({ kind: 'input', field: 'parts' });
    expect(err.message).toMatch(/read once.*\(got a locked ReadableStream\)/);
  });

  it('errors with an input error, not a TypeError, when a second subscriber reads a ReadableStream the first reads', async () => {
    const stream = new ReadableStream<StreamPart>({ start: (controller) => controller.enqueue({ type: 'start' }) });
    const statuses = statusFromStream(stream);
    const first = statuses.subscribe();
    const err = await firstValueFrom(statuses).catch((e: unknown) => e);
    first.unsubscribe();
    expect(isB24Error(err) && err.kind).toBe('input');
    expect(err).toMatchObject({ field: 'parts' });
    expect((err as Error).message).toMatch(/read once.*share\(\)/);
  });

  it('keeps the rules it checked: rules changed after the call neither reach the stream nor break it', async () => {
    const tools = [{ match: 'crm', status: 'checking' as const }];
    const parts = { start: 'thinking' as const, 'tool-call': 'tool' as const, finish: 'complete' as const };
    const statuses = statusFromStream(
      [
        { type: 'start' },
        { type: 'tool-call', toolCallId: 'c1', toolName: 'crmLookup' },
        { type: 'finish' },
      ] as StreamPart[],
      { tools, parts },
    );
    // Changed before the stream is read: a rule that would not pass the checks, and a mapping that would end it.
    tools.unshift(null as never);
    tools[1]!.status = 'dancing' as never;
    (parts as Record<string, string>)['tool-call'] = 'complete';
    expect(await firstValueFrom(statuses.pipe(toArray()))).toEqual(['thinking', 'checking']);
  });

  it('errors with an input error when the parts are plain text (textStream by mistake)', async () => {
    const err = await firstValueFrom(statusFromStream(['Hel', 'lo'] as never)).catch((e: unknown) => e);
    expect(isB24Error(err) && err.kind).toBe('input');
    expect(err).toMatchObject({ field: 'parts[0]' });
    expect(String((err as Error).message)).toMatch(/not textStream \(got a string\)/);
  });

  it.each([
    ['null', null, /\(got null\)/],
    ['undefined', undefined, /\(got undefined\)/],
    ['an object with no type', { text: 'Hello' }, /\(got an object\)/],
    ['an Error (not "a Error")', new Error('boom'), /\(got an Error\)/],
  ])('errors with an input error, not a TypeError, when a part is %s', async (_, part, received) => {
    const err = await firstValueFrom(statusFromStream([part] as never)).catch((e: unknown) => e);
    expect(isB24Error(err) && err.kind).toBe('input');
    expect(err).toMatchObject({ field: 'parts[0]' });
    expect(String((err as Error).message)).toMatch(received);
  });

  it('cancels a ReadableStream source the moment the subscriber leaves, not when (if ever) its next part comes', async () => {
    let cancelled = 0;
    let pulls = 0;
    // a provider that went quiet after the first part (a hung connection, a tool running for minutes)
    const stream = new ReadableStream<StreamPart>({
      pull(controller) {
        if (pulls++ === 0) controller.enqueue({ type: 'start' });
        return new Promise<void>(() => {});
      },
      cancel() {
        cancelled++;
      },
    });
    const seen: string[] = [];
    const sub = statusFromStream(stream).subscribe((s) => seen.push(s));
    await new Promise((resolve) => setImmediate(resolve));
    sub.unsubscribe();
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual(['thinking']);
    expect(cancelled).toBe(1);
    expect(stream.locked).toBe(false);
  });

  it('lets go of a ReadableStream source whose cancel fails once the subscriber leaves', async () => {
    // a source whose cancel throws (a provider's cleanup failing): the stream is done with all the same
    const stream = new ReadableStream<StreamPart>({
      start: (controller) => controller.enqueue({ type: 'start' }),
      cancel() {
        throw new Error('cleanup failed');
      },
    });
    const seen: string[] = [];
    const sub = statusFromStream(stream).subscribe((s) => seen.push(s));
    await new Promise((resolve) => setImmediate(resolve));
    sub.unsubscribe();
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual(['thinking']);
    expect(stream.locked).toBe(false); // before: left locked by the reader for good
  });

  it('cancels a ReadableStream source at finish, and lets go of one that ends or errors by itself', async () => {
    const of = (chunks: StreamPart[], end: 'close' | 'error' | 'hang') => {
      const state = { cancelled: 0 };
      const stream = new ReadableStream<StreamPart>({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(chunk);
          if (end === 'close') controller.close();
          if (end === 'error') controller.error(new Error('socket hang up'));
        },
        cancel() {
          state.cancelled++;
        },
      });
      return { stream, state };
    };
    const finished = of([parts.s, parts.t, parts.f], 'hang');
    expect(await firstValueFrom(statusFromStream(finished.stream).pipe(toArray()))).toEqual(['thinking', 'composing']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(finished.state.cancelled).toBe(1);
    expect(finished.stream.locked).toBe(false);
    const closed = of([parts.s, parts.t], 'close');
    expect(await firstValueFrom(statusFromStream(closed.stream).pipe(toArray()))).toEqual(['thinking', 'composing']);
    expect(closed.stream.locked).toBe(false);
    const failed = of([], 'error');
    const err = await firstValueFrom(statusFromStream(failed.stream)).catch((e: unknown) => e);
    expect((err as Error).message).toBe('socket hang up');
    expect(failed.stream.locked).toBe(false);
  });

  it('does not read the source before subscription', () => {
    let subscribed = 0;
    const src = new Observable<StreamPart>(() => {
      subscribed++;
    });
    const status$ = statusFromStream(src);
    expect(subscribed).toBe(0);
    status$.subscribe().unsubscribe();
    expect(subscribed).toBe(1);
  });
});
