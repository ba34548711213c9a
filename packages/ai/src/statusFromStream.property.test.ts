import type { AgentStatus } from '@b24-typing/core';
import fc from 'fast-check';
import { ignoreElements, map, merge, NEVER, Observable, type Subscription, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it, vi } from 'vitest';
import type { StreamPart } from './StreamPart';
import { statusForTool } from './statusForTool';
import { statusFromStream } from './statusFromStream';

/** One thing the model or the SDK does; the builder turns it into well-formed parts (ids that exist, in order). */
type Action =
  | { readonly kind: 'reason' | 'text'; readonly deltas: number }
  | { readonly kind: 'call'; readonly tool: string; readonly streamed: boolean }
  | { readonly kind: 'calls'; readonly tools: readonly string[] }
  | { readonly kind: 'result' | 'progress' | 'toolError' | 'denied' | 'approval'; readonly pick: number }
  | { readonly kind: 'autoApproval'; readonly pick: number }
  | { readonly kind: 'unseenResult' | 'unseenProgress'; readonly tool: string }
  | { readonly kind: 'source' | 'file' | 'raw' | 'error' | 'step' };

type Ending =
  | { readonly kind: 'finish'; readonly reason: string | undefined }
  | { readonly kind: 'abort' | 'end' | 'hang' };

const TOOLS = ['webSearch', 'calculator', 'getWeather', 'read_pdf', 'fetchApi', 'translateText', 'verifyAddress'];

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constantFrom('reason' as const, 'text' as const), deltas: fc.nat(3) }),
  fc.record({ kind: fc.constant('call' as const), tool: fc.constantFrom(...TOOLS), streamed: fc.boolean() }),
  fc.record({
    kind: fc.constant('calls' as const),
    tools: fc.array(fc.constantFrom(...TOOLS), { minLength: 2, maxLength: 3 }),
  }),
  fc.record({
    kind: fc.constantFrom(
      'result' as const,
      'progress' as const,
      'toolError' as const,
      'denied' as const,
      'approval' as const,
      'autoApproval' as const,
    ),
    pick: fc.nat(),
  }),
  fc.record({
    kind: fc.constantFrom('unseenResult' as const, 'unseenProgress' as const),
    tool: fc.constantFrom(...TOOLS),
  }),
  fc.record({
    kind: fc.constantFrom('source' as const, 'file' as const, 'raw' as const, 'error' as const, 'step' as const),
  }),
);

const ending: fc.Arbitrary<Ending> = fc.oneof(
  fc.record({
    kind: fc.constant('finish' as const),
    reason: fc.constantFrom('stop', 'length', 'tool-calls', 'content-filter', 'other', 'error', undefined),
  }),
  fc.record({ kind: fc.constantFrom('abort' as const, 'end' as const, 'hang' as const) }),
);

/** The parts of a `streamText` fullStream (AI SDK 6 shape) doing `actions`, then ending as `end` says. */
function build(actions: readonly Action[], end: Ending): StreamPart[] {
  const parts: StreamPart[] = [{ type: 'start' }, { type: 'start-step' }];
  const calls: { id: string; tool: string }[] = []; // calls of this step, started and not yet settled
  let next = 0;
  const id = () => `call-${next++}`;
  const picked = (pick: number) => calls[pick % calls.length];
  for (const a of actions) {
    switch (a.kind) {
      case 'reason':
      case 'text': {
        const kind = a.kind === 'reason' ? 'reasoning' : 'text';
        parts.push({ type: `${kind}-start` });
        for (let i = 0; i < a.deltas; i++) parts.push({ type: `${kind}-delta` });
        parts.push({ type: `${kind}-end` });
        break;
      }
      case 'call': {
        const call = { id: id(), tool: a.tool };
        calls.push(call);
        if (a.streamed) {
          parts.push({ type: 'tool-input-start', id: call.id, toolName: call.tool });
          parts.push({ type: 'tool-input-delta', id: call.id } as StreamPart);
          parts.push({ type: 'tool-input-end', id: call.id });
        }
        parts.push({ type: 'tool-call', toolCallId: call.id, toolName: call.tool });
        break;
      }
      case 'calls': {
        // parallel calls as @ai-sdk/openai-compatible streams them: every input, then every tool-call at the end
        const started = a.tools.map((tool) => ({ id: id(), tool }));
        calls.push(...started);
        for (const call of started) {
          parts.push({ type: 'tool-input-start', id: call.id, toolName: call.tool });
          parts.push({ type: 'tool-input-delta', id: call.id } as StreamPart);
        }
        for (const call of started) {
          parts.push({ type: 'tool-input-end', id: call.id });
          parts.push({ type: 'tool-call', toolCallId: call.id, toolName: call.tool });
        }
        break;
      }
      case 'progress': {
        const call = picked(a.pick);
        if (call) parts.push({ type: 'tool-result', toolCallId: call.id, toolName: call.tool, preliminary: true });
        break;
      }
      case 'result':
      case 'toolError':
      case 'denied':
      case 'approval': {
        const call = picked(a.pick);
        if (!call) break;
        calls.splice(calls.indexOf(call), 1);
        const named = { toolCallId: call.id, toolName: call.tool };
        if (a.kind === 'result') parts.push({ type: 'tool-result', ...named });
        if (a.kind === 'toolError') parts.push({ type: 'tool-error', ...named, error: new Error('tool failed') });
        if (a.kind === 'denied') parts.push({ type: 'tool-output-denied', ...named });
        if (a.kind === 'approval') parts.push({ type: 'tool-approval-request', toolCall: named });
        break;
      }
      case 'autoApproval': {
        const call = picked(a.pick);
        if (call) parts.push({ type: 'tool-approval-request', isAutomatic: true, toolCall: { toolCallId: call.id } });
        break;
      }
      case 'unseenResult':
        parts.push({ type: 'tool-result', toolCallId: id(), toolName: a.tool });
        break;
      case 'unseenProgress': {
        const call = { id: id(), tool: a.tool };
        calls.push(call);
        parts.push({ type: 'tool-result', toolCallId: call.id, toolName: call.tool, preliminary: true });
        break;
      }
      case 'error':
        parts.push({ type: 'error', error: new Error(`provider error ${parts.length}`) });
        break;
      case 'step':
        parts.push({ type: 'finish-step', finishReason: calls.length > 0 ? 'tool-calls' : 'stop' });
        parts.push({ type: 'start-step' });
        calls.length = 0;
        break;
      default:
        parts.push({ type: a.kind });
    }
  }
  // streamText gives `finish` the last step's finish reason (and none for a hand-made one)
  if (end.kind === 'finish') parts.push({ type: 'finish-step', finishReason: end.reason });
  if (end.kind === 'finish') parts.push({ type: 'finish', finishReason: end.reason });
  if (end.kind === 'abort') parts.push({ type: 'abort' });
  return parts;
}

/** What the README says the status stream does with `parts`: each status with the index of the part showing it. */
function expected(parts: readonly StreamPart[], end: Ending) {
  const shown: { index: number; status: AgentStatus }[] = [];
  const running: { id: string; tool: string }[] = []; // the latest call last
  const waiting = new Set<string>();
  let failure: StreamPart | undefined;
  const show = (index: number, status: AgentStatus) => {
    if (shown.at(-1)?.status !== status) shown.push({ index, status });
  };
  const latest = () => statusForTool(running.at(-1)!.tool);
  const settle = (id: string) => {
    const at = running.findIndex((c) => c.id === id);
    if (at >= 0) running.splice(at, 1);
    return at >= 0;
  };
  const start = (id: string, tool: string) => {
    settle(id);
    running.push({ id, tool });
    return statusForTool(tool);
  };
  for (const [i, part] of parts.entries()) {
    switch (part.type) {
      case 'start':
      case 'reasoning-start':
      case 'reasoning-delta':
        show(i, 'thinking');
        break;
      case 'start-step':
        running.length = 0;
        waiting.clear();
        show(i, 'thinking');
        break;
      case 'tool-input-start':
        show(i, start(part.id!, part.toolName!));
        break;
      case 'tool-call':
        // the tool-call of a call already running (from its input) is no new call: the latest stays shown
        show(i, running.some((c) => c.id === part.toolCallId) ? latest() : start(part.toolCallId!, part.toolName!));
        break;
      case 'tool-result':
      case 'tool-error':
      case 'tool-output-denied':
        if (part.preliminary === true) {
          // a progress yield of a call already running keeps the status shown, of a call never seen starts it
          show(i, running.some((c) => c.id === part.toolCallId) ? latest() : start(part.toolCallId!, part.toolName!));
        } else {
          settle(part.toolCallId!);
          show(i, running.length > 0 ? latest() : 'thinking');
        }
        break;
      case 'tool-approval-request': {
        if (part.isAutomatic === true) break;
        const call = (part.toolCall as { toolCallId: string }).toolCallId;
        if (settle(call)) waiting.add(call);
        if (running.length > 0) show(i, latest());
        break;
      }
      case 'text-start':
      case 'text-delta':
        show(i, 'composing');
        break;
      case 'text-end':
      case 'reasoning-end':
        if (running.length > 0) show(i, latest());
        break;
      case 'finish-step':
        if (running.length > 0 || waiting.size > 0) show(i, 'thinking');
        running.length = 0;
        waiting.clear();
        // the model finished the step after the error part: the work did not end on it
        if (typeof part.finishReason === 'string' && part.finishReason !== 'error') failure = undefined;
        break;
      case 'error':
        failure = part;
        break;
      case 'finish':
        if (part.finishReason === 'error' || (part.finishReason === undefined && failure !== undefined))
          return { shown, end: i, error: failure?.error ?? new Error('LLM stream reported an error (finish)') };
        return { shown, end: i, error: undefined };
      case 'abort':
        return { shown, end: i, error: failure?.error };
    }
  }
  // the parts end (or hang, until the subscriber leaves)
  return { shown, end: end.kind === 'hang' ? undefined : parts.length, error: failure?.error };
}

const scenario = fc
  .record({
    actions: fc.array(action, { maxLength: 24 }),
    end: ending,
    gaps: fc.array(fc.nat(40), { minLength: 64, maxLength: 64 }),
    /** When the subscriber leaves, in frames; past the end of the parts means it stays. */
    leaveAt: fc.option(fc.nat(2_000), { nil: undefined }),
  })
  .map((s) => ({ ...s, parts: build(s.actions, s.end) }));

describe('statusFromStream (property)', () => {
  it('shows the phase of each part at once, ends where the README says, and releases the source', () => {
    fc.assert(
      fc.property(scenario, ({ parts, end, gaps, leaveAt }) => {
        const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
        const frames: number[] = [];
        let frame = 1;
        for (const [i] of parts.entries()) {
          frame += gaps[i % gaps.length]!;
          frames.push(frame);
        }
        const seen: { frame: number; status?: AgentStatus; error?: unknown; complete?: true }[] = [];
        const subscriptions: { from: number; to: number }[] = [];
        scheduler.run(() => {
          // a cold source: each part at its frame (parts of one frame in order); it completes only if `end` says so
          const timed = merge(...parts.map((part, i) => timer(frames[i]!).pipe(map(() => part))));
          const rest = end.kind === 'end' ? timer(frame + 1).pipe(ignoreElements()) : NEVER;
          const source = new Observable<StreamPart>((subscriber) => {
            const log = { from: scheduler.now(), to: Number.POSITIVE_INFINITY };
            subscriptions.push(log);
            const inner = merge(timed, rest).subscribe(subscriber);
            return () => {
              log.to = scheduler.now();
              inner.unsubscribe();
            };
          });
          let sub: Subscription | undefined;
          scheduler.schedule(() => {
            sub = statusFromStream(source).subscribe({
              next: (status) => seen.push({ frame: scheduler.now(), status }),
              error: (error: unknown) => seen.push({ frame: scheduler.now(), error }),
              complete: () => seen.push({ frame: scheduler.now(), complete: true }),
            });
          });
          if (leaveAt !== undefined) scheduler.schedule(() => sub?.unsubscribe(), leaveAt);
        });

        const model = expected(parts, end);
        const endFrame = model.end === undefined ? undefined : (frames[model.end] ?? frame + 1);
        const left = leaveAt !== undefined && (endFrame === undefined || leaveAt <= endFrame);
        // statuses: the README's, each at the frame of the part that shows it, none once the subscriber left
        const statuses = model.shown
          .map(({ index, status }) => ({ frame: frames[index]!, status }))
          .filter(({ frame: f }) => !left || f < leaveAt!);
        expect(seen.filter((s) => s.status !== undefined)).toEqual(statuses);
        // no two equal statuses in a row, nothing after the end
        const values = seen.filter((s) => s.status !== undefined).map((s) => s.status);
        for (let i = 1; i < values.length; i++) expect(values[i]).not.toBe(values[i - 1]);
        const ends = seen.filter((s) => s.status === undefined);
        if (left) expect(ends).toEqual([]);
        else if (endFrame === undefined) expect(ends).toEqual([]);
        else {
          expect(ends).toEqual([
            model.error === undefined ? { frame: endFrame, complete: true } : { frame: endFrame, error: model.error },
          ]);
          expect(seen.at(-1)).toBe(ends[0]);
        }
        // the source is read once and released when the statuses end or the subscriber leaves, not later
        const released = left ? leaveAt : endFrame;
        expect(subscriptions).toEqual([{ from: 0, to: released ?? Number.POSITIVE_INFINITY }]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('statusFromStream over a ReadableStream (property)', () => {
  it('cancels the stream and lets go of it as soon as the subscriber leaves, whenever its next part would come', async () => {
    vi.useFakeTimers();
    try {
      await fc.assert(
        fc.asyncProperty(scenario, async ({ parts, end, gaps, leaveAt }) => {
          vi.setSystemTime(0);
          let sent = 0;
          let cancelled = false;
          // the parts as streamText's fullStream delivers them: each `gap` ms after the one before (a tool may run long)
          const stream = new ReadableStream<StreamPart>({
            async pull(controller) {
              await new Promise((resolve) => setTimeout(resolve, gaps[sent % gaps.length]! * 50));
              if (cancelled) return;
              if (sent < parts.length) controller.enqueue(parts[sent++]!);
              else if (end.kind !== 'hang') controller.close();
            },
            cancel() {
              cancelled = true;
            },
          });
          const seen: AgentStatus[] = [];
          let ended = false;
          const sub = statusFromStream(stream).subscribe({
            next: (status) => seen.push(status),
            error: () => (ended = true),
            complete: () => (ended = true),
          });
          await vi.advanceTimersByTimeAsync((leaveAt ?? 2_000) * 20);
          sub.unsubscribe();
          await vi.advanceTimersByTimeAsync(0);
          // once the statuses end or the subscriber leaves, the stream is cancelled and unlocked: not left waiting
          // for a part that may never come (a hung provider) while it holds the stream
          expect(cancelled || (ended && sent === parts.length && end.kind !== 'hang')).toBe(true);
          expect(stream.locked).toBe(false);
          const shown = expected(parts.slice(0, sent), end).shown.map((s) => s.status);
          expect(seen).toEqual(shown.slice(0, seen.length));
          await vi.runAllTimersAsync();
        }),
        { numRuns: 50 },
      );
    } finally {
      vi.useRealTimers();
    }
  });
});
