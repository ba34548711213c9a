import { type AgentStatus, B24InputError } from '@b24-typing/core';
import {
  concatWith,
  defer,
  distinctUntilChanged,
  EMPTY,
  filter,
  from,
  map,
  Observable,
  type ObservableInput,
  of,
  type ReadableStreamLike,
  takeWhile,
  throwError,
} from 'rxjs';
import type { StreamPart } from './StreamPart';
import { resolveRules, typeName } from './resolveRules';
import { toolStatus } from './statusForTool';
import type { PartEffect, StatusRules } from './statusRules';

/**
 * Turns an LLM's stream of parts (Vercel AI SDK `fullStream` / `stream`: an AsyncIterable, a ReadableStream or an
 * Observable) into the statuses a bot shows while it works, ready for core's `botStatus({ status })`:
 * reasoning → `thinking`, a tool call → a status picked from the tool's name, text → `composing`.
 *
 * While several tool calls run at once (parallel tool calls), the result of one of them does not show `thinking`
 * yet: the status stays on the latest call still running, matched by `toolCallId`, until the last one settles.
 *
 * Consecutive repeats are dropped (a text reply is hundreds of deltas, one status). The stream completes on
 * `finish` (or `abort`, or when the parts end). An `error` part is not the end: `streamText` passes on a provider's
 * error for a chunk it could not parse, or a tool hook's, and streams on (the rest of the text, the tools, the next
 * step), and a status that ended there would leave the bot at work with no indicator. So the status stays as it is,
 * and the stream errors with the latest such `error` only if the work ends on it: at a `finish` whose
 * `finishReason` is `'error'` (or absent), at `abort`, or when the parts end, with no `finish-step` of another reason
 * (the model finished its step after the error) in between. A `finish` whose `finishReason` is
 * `'error'` errors even with no `error` part before it (a provider may report a failure by its finish reason alone,
 * as `@ai-sdk/google` does for a malformed function call). The caller sees the failure instead of a status that
 * silently stops changing.
 *
 * `rules` replaces the matching fields of {@link defaultStatusRules}; to add tool rules, spread the defaults:
 * `{ tools: [{ match: 'crm', status: 'checking' }, ...defaultStatusRules.tools] }`.
 *
 * A one-shot source (an AI SDK stream) can be read by one subscriber only; subscribe once or `share()`.
 *
 * @throws {B24InputError} (a `B24Error` of kind `'input'`) when `parts` is not a stream or `rules` is malformed (before anything is read).
 */
export function statusFromStream(
  parts: ObservableInput<StreamPart>,
  rules?: Partial<StatusRules>,
): Observable<AgentStatus> {
  const merged = resolveRules(rules);
  const notStream = () =>
    new B24InputError('parts', 'an AsyncIterable, ReadableStream or Observable of stream parts', typeName(parts));
  // `from` takes a string as an iterable of characters: the reply text passed by mistake would fail only once read.
  if (typeof parts === 'string') throw notStream();
  // Read elsewhere (a reader holds it): it would fail only once subscribed, with the stream's own TypeError.
  if (isReadableStreamLike(parts) && (parts as { locked?: unknown }).locked === true)
    throw readOnce('a locked ReadableStream');
  let source: Observable<StreamPart>;
  try {
    source = isReadableStreamLike(parts) ? fromReadableStream(parts) : from(parts);
  } catch {
    throw notStream();
  }
  return defer(() => {
    const running = new Map<string, RunningCall>();
    /**
     * Calls of this step that do not run in it: waiting for a person's approval, or provider-executed calls the
     * model's stream has moved past.
     */
    const waiting = new Set<string>();
    /**
     * The latest `error` part, until the model is seen to finish after it: a `finish` or `finish-step` of another
     * reason.
     */
    let failure: StreamPart | undefined;
    return source.pipe(
      map((part, index) => {
        const effect = effectOf(part, index, merged, running, waiting);
        if (effect === 'error') {
          failure = part;
          return undefined;
        }
        if (effect === 'complete') {
          if (failure !== undefined && endsOnError(part)) throw errorOf(failure);
          // No error part, yet the finish says the work failed (@ai-sdk/google's MALFORMED_FUNCTION_CALL): it did.
          if (part.finishReason === 'error') throw errorOf(part);
          failure = undefined;
        } else if (part.type === 'finish-step' && !endsOnError(part)) {
          // The model finished the step after the error part (a chunk it could not parse, a tool hook that threw), and
          // the work goes on: an abort, or a failure, in a later step is not that error.
          failure = undefined;
        }
        return effect;
      }),
      takeWhile((effect) => effect !== 'complete'),
      concatWith(
        defer(() => {
          const ended = failure; // the parts ended with no finish after the error part: the work ended on it
          if (ended !== undefined) return throwError(() => errorOf(ended));
          // A deferred provider-executed call whose result never came (the stop condition ended the work first) does
          // not run once the stream is over: the status, kept up until the reply, must not claim it does.
          const last = [...running.values()].some((call) => call.providerExecuted) ? notRunStatus(merged) : undefined;
          return last === undefined ? EMPTY : of(last);
        }),
      ),
      filter((status): status is AgentStatus => status !== undefined),
      distinctUntilChanged(),
    );
  });
}

/**
 * Reads a ReadableStream (an AI SDK `fullStream`/`stream` is one), cancelling it the moment the subscriber leaves or
 * the statuses end. rxjs's `from` reads it with `for await`, which sees that its subscriber left only once the next
 * part arrives: a stream that stalls (a long tool run, a hung provider) would stay locked and keep a read pending,
 * and never be cancelled.
 */
function fromReadableStream(stream: PartStream): Observable<StreamPart> {
  return new Observable<StreamPart>((subscriber) => {
    let reader: ReturnType<PartStream['getReader']>;
    try {
      reader = stream.getReader();
    } catch {
      // Another subscriber reads it (the README: subscribe once, or share()); the stream's TypeError says less.
      subscriber.error(readOnce('a ReadableStream another subscriber reads'));
      return;
    }
    let done = false;
    const read = (): void => {
      reader.read().then(
        (result) => {
          if (subscriber.closed) return;
          if (result.done) {
            done = true;
            reader.releaseLock();
            subscriber.complete();
            return;
          }
          subscriber.next(result.value);
          if (!subscriber.closed) read(); // a part that ends the statuses has just cancelled the stream
        },
        (error: unknown) => {
          done = true;
          reader.releaseLock();
          subscriber.error(error);
        },
      );
    };
    read();
    return () => {
      if (done) return;
      done = true;
      // cancel settles the pending read (as done) and tells the source to stop; the lock goes once it has, also when
      // the source's own cancel failed (the stream is closed all the same)
      if (typeof reader.cancel !== 'function') return reader.releaseLock();
      const release = () => reader.releaseLock();
      reader.cancel().then(release, release);
    };
  });
}

/** A stream someone else reads: an AI SDK stream can be read by one reader only. */
function readOnce(received: string): B24InputError {
  return new B24InputError(
    'parts',
    'a stream no one else reads (an AI SDK stream can be read once: subscribe once, or share())',
    received,
  );
}

/** rxjs's `ReadableStreamLike`, with the reader's `cancel` (every ReadableStream's reader has it). */
interface PartStream extends ReadableStreamLike<StreamPart> {
  getReader(): ReturnType<ReadableStreamLike<StreamPart>['getReader']> & { cancel?(): Promise<void> };
}

function isReadableStreamLike(value: unknown): value is PartStream {
  return (
    value !== null && typeof value === 'object' && typeof (value as { getReader?: unknown }).getReader === 'function'
  );
}

/**
 * Whether the work ended on the error seen before `part` (a part that ends it, or a `finish-step`). `streamText` gives
 * `finish-step` its step's finish reason, and `finish` the last step's: `'error'` from an `error` part the model did
 * not finish after (or from the provider, with no `error` part at all), and the model's own reason once it did (its
 * `finish` comes after the error part and overwrites it), so `'stop'` or `'tool-calls'` after an error part says the
 * step, or the reply, came whole. A part without a finish reason (`abort`, a hand-made `finish`) tells nothing of the
 * kind: the error stands.
 */
function endsOnError(part: StreamPart): boolean {
  return typeof part.finishReason !== 'string' || part.finishReason === 'error';
}

function errorOf(part: StreamPart): unknown {
  return part.error ?? new Error(`LLM stream reported an error (${part.type})`);
}

/**
 * A tool call is running from its first part (`tool-input-start`'s `id`, `tool-call`'s `toolCallId`) until a part that
 * ends it (the final `tool-result`, `tool-error`, `tool-output-denied`), or a `tool-approval-request` for it that waits
 * for a person (the tool runs only once approved, in a later stream). A step boundary forgets them
 * all: a call with no `execute` never gets a result, and the SDK emits a step's results before `finish-step`. A step
 * that ends with calls that did not run (those, or calls waiting for approval) shows {@link notRunStatus}: not at
 * the approval request itself, as the model may go on to call a tool that does run, at once (a flip for nothing).
 *
 * A later part of a call already running does not make it the latest: its `tool-call` after its input (a provider
 * such as `@ai-sdk/openai-compatible` streams every call's input, then sends their tool-calls together once the
 * model's stream ends: the status would flip back to each call in turn) nor its preliminary result (two generator
 * tools yielding in turn would flip it on every yield), each flip a portal request and a status held for nothing.
 * And when text or reasoning the model wrote after a call ends (`text-end`, `reasoning-end`) while calls still run, the
 * latest call is shown again: `streamText` runs a step's tools once the model's part of the step is done, so
 * `composing` would stand for the whole tool run.
 *
 * A call is tracked whether the rules give its parts `'tool'` or a status of their own (`'tool-call': 'processing'`):
 * either way the call runs, and a result of another call must not show `thinking` while it does. What it shows again
 * is what its latest part showed.
 *
 * A provider-executed call (`providerExecuted: true`: a provider's web search, code execution) runs at the provider,
 * inside the model's stream, which waits for it: its status shows from its first part to its result. Also when the
 * result is deferred to a later step (a code execution that calls client tools runs on at the provider once they
 * return): it is shown again after their results and across the step boundary, not `thinking`. Once the model writes
 * or reasons after it, the provider is done with it for the step: it is not shown again after the text, and the step's
 * end counts it as a call that did not run. One still running when the stream ends (the stop condition came first)
 * ends the statuses on what a call that did not run shows.
 */
function effectOf(
  part: StreamPart,
  index: number,
  rules: StatusRules,
  running: Map<string, RunningCall>,
  waiting: Set<string>,
): PartEffect | undefined {
  if (part === null || typeof part !== 'object' || typeof part.type !== 'string') {
    throw new B24InputError(
      `parts[${index}]`,
      'a part object with a string `type`: pass fullStream or stream, not textStream',
      typeName(part),
    );
  }
  const preliminary = isPreliminary(part);
  // A progress yield is its call still running, so it means what the rules give `tool-call` (the tool's status by
  // default), not `tool-result`'s "the model digests the result", nor the tool's status whatever the rules say.
  const type = preliminary ? 'tool-call' : part.type;
  const effect = ruleFor(type, rules);
  if (effect === 'error') return effect;
  const toolName = typeof part.toolName === 'string' ? part.toolName : '';
  if (MODEL_PART_TYPES.has(part.type)) {
    // the model writes on: a provider-executed call with no result yet is done at the provider for this step
    for (const [id, call] of running) {
      if (call.providerExecuted) {
        running.delete(id);
        waiting.add(id);
      }
    }
  }
  const fixed = CALL_TYPES.has(type) && isStatus(effect) ? effect : undefined;
  // A part that ends its call ends it whatever its rule: given `'tool'` (its tool's status, an app's choice), it is no
  // new part of a running call, or a returned call would count as running to the step's end (and show `thinking`,
  // a call that did not run, after the answer).
  const callId = settledCallId(part);
  if ((effect === 'tool' && callId === undefined) || fixed !== undefined) {
    const id = callIdOf(part);
    const known = id === undefined ? undefined : running.get(id);
    const name = toolName === '' && known !== undefined ? known.toolName : toolName;
    const status = fixed ?? toolStatus(name, rules);
    // Only a call part starts a call: another part an app gives `'tool'` (a `source`, whose `id` is the source's)
    // shows its tool's status, yet does not run, so it must not be shown again after text or end the step as a call
    // that did not run. One that names a call already running (`tool-input-delta`) is a part of it, as before.
    if (id !== undefined && (known !== undefined || CALL_TYPES.has(type))) {
      const providerExecuted = known?.providerExecuted === true || part.providerExecuted === true;
      // a known call keeps its place (a Map's set does): its tool-call after its input, or a progress yield, is no
      // new call; a new one goes last: the latest call is the one shown
      running.set(id, { toolName: name, status, providerExecuted });
      if (known !== undefined) return latestCall(running);
    }
    return status;
  }
  if (part.type === 'start-step' || part.type === 'finish-step') {
    // Client calls still running at the end of a step never ran and never will in this stream (no execute, their
    // input cut off by the length limit, a finish reason that runs no tool), nor do those waiting for approval: the
    // status, kept up once the stream ends, must not stay on one of them. A provider-executed call with no result yet
    // is deferred: the provider goes on with it once the step's client calls returned (a code execution that called
    // them), and its result comes in a later step: it still runs, and the next step shows it, not `thinking`.
    // streamText expects that only of a tool marked `supportsDeferredResults` (and goes on to a next step for it
    // alone), a flag of the tool that no part carries: any provider call with no result yet is taken for one. Another
    // one gets its result in its own step, so has none missing, unless the stream ends first (the end shows a call
    // that did not run).
    let unrun = part.type === 'finish-step' && waiting.size > 0;
    for (const [id, call] of running) {
      if (call.providerExecuted) continue;
      running.delete(id);
      if (part.type === 'finish-step') unrun = true;
    }
    waiting.clear();
    if (running.size > 0 && (effect === undefined || isStatus(effect))) return latestCall(running);
    if (unrun && effect === undefined) return notRunStatus(rules);
  }
  let settledName = toolName;
  if (callId !== undefined) {
    if (settledName === '') settledName = running.get(callId)?.toolName ?? '';
    const wasRunning = running.delete(callId);
    // A result, also a provider-executed call's that comes after the model wrote on: it ran after all, so the step's
    // end must not count it as a call that did not run (and flip the answer's status back to thinking). An approval
    // request: its call waits, and runs (if at all) in a later stream.
    if (part.type !== 'tool-approval-request') waiting.delete(callId);
    else if (wasRunning) waiting.add(callId);
  }
  // A result the rules leave out changes nothing; an approval request has no rule by default, yet its call, which may
  // be the one shown, stops running: the calls still running are shown instead. So too for the result of a call never
  // seen running (one approved in an earlier stream runs before the first step, named by its result only): the others
  // run on.
  if (
    callId !== undefined &&
    running.size > 0 &&
    (effect !== undefined || part.type === 'tool-approval-request') &&
    effect !== 'complete'
  )
    return latestCall(running);
  if (effect === undefined && running.size > 0 && (part.type === 'text-end' || part.type === 'reasoning-end'))
    return latestCall(running);
  // only a part that settled its call gets here with `'tool'`: the status of the tool it settled
  if (effect === 'tool') return toolStatus(settledName, rules);
  return effect;
}

/** What the rules give a part type. Own keys only: a part typed `constructor` must not read Object.prototype. */
function ruleFor(type: string, rules: StatusRules): PartEffect | undefined {
  return Object.hasOwn(rules.parts, type) ? rules.parts[type] : undefined;
}

/**
 * What a call that ends without running shows: what the rules give `tool-output-denied`, the SDK's own part for
 * such a call (`thinking` by default), if that is a status. `thinking` is true of a bot that still has to ask a
 * person, run a tool itself or say what it could not do; the tool's status, kept up once the stream ends, is not.
 */
function notRunStatus(rules: StatusRules): AgentStatus | undefined {
  const effect = ruleFor('tool-output-denied', rules);
  return isStatus(effect) ? effect : undefined;
}

/** An effect that is a status to show (not `'tool'`, `'complete'`, `'error'` or none). */
function isStatus(effect: PartEffect | undefined): effect is AgentStatus {
  return effect !== undefined && effect !== 'tool' && effect !== 'complete' && effect !== 'error';
}

/** A tool call running, as {@link effectOf} tracks it. */
interface RunningCall {
  readonly toolName: string;
  /** What its latest part showed: shown again when it is the latest call still running. */
  readonly status: AgentStatus;
  /** Run by the provider, inside the model's stream: see {@link effectOf}. */
  readonly providerExecuted: boolean;
}

/** The parts that start a call or go on with it. */
const CALL_TYPES: ReadonlySet<string> = new Set(['tool-input-start', 'tool-call']);

/**
 * The model's own writing: once it comes, a provider-executed call before it no longer runs (the model's stream waits
 * while the provider runs one). Not a client call: a provider's code execution calls client tools and runs on once
 * they return (Anthropic's programmatic tool calling).
 */
const MODEL_PART_TYPES: ReadonlySet<string> = new Set([
  'text-start',
  'text-delta',
  'reasoning-start',
  'reasoning-delta',
]);

/** The call a call part belongs to: its `toolCallId`, else its `id` (`tool-input-start` names its call so). */
function callIdOf(part: StreamPart): string | undefined {
  return typeof part.toolCallId === 'string' ? part.toolCallId : typeof part.id === 'string' ? part.id : undefined;
}

/** The status of the call started last of those still running. */
function latestCall(running: Map<string, RunningCall>): AgentStatus {
  return [...running.values()].at(-1)!.status;
}

/** A progress yield of a generator tool: its call runs on. */
function isPreliminary(part: StreamPart): boolean {
  return part.type === 'tool-result' && part.preliminary === true;
}

/** The final `tool-result` (not a preliminary one: its call runs on), and the other two ends. */
const SETTLING_TYPES: ReadonlySet<string> = new Set(['tool-result', 'tool-error', 'tool-output-denied']);

/**
 * The call `part` settles, if it settles one. Only the parts that end a call do: a part of a type this package does
 * not know (a newer SDK's) may well carry a `toolCallId` while the call runs on. A `tool-approval-request` names its
 * call inside `toolCall`; one marked `isAutomatic` (AI SDK 7's `toolApproval`) is decided in the same stream, the tool
 * running at once when approved and a `tool-output-denied` following when not, so it settles nothing.
 */
function settledCallId(part: StreamPart): string | undefined {
  if (part.type === 'tool-approval-request') return part.isAutomatic === true ? undefined : approvalCallId(part);
  if (!SETTLING_TYPES.has(part.type) || isPreliminary(part)) return undefined;
  return typeof part.toolCallId === 'string' ? part.toolCallId : undefined;
}

/** `tool-approval-request` names its call inside `toolCall`, not as a `toolCallId` of its own. */
function approvalCallId(part: StreamPart): string | undefined {
  const call = part.toolCall;
  if (call === null || typeof call !== 'object') return undefined;
  const id = (call as { readonly toolCallId?: unknown }).toolCallId;
  return typeof id === 'string' ? id : undefined;
}
