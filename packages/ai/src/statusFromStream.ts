import { B24Error } from '@b24-typing/core';
import { distinctUntilChanged, filter, from, map, type Observable, type ObservableInput, takeWhile } from 'rxjs';
import type { AgentStatus } from './AgentStatus';
import type { StreamPart } from './StreamPart';
import { statusForTool } from './statusForTool';
import { defaultStatusRules, type PartEffect, type StatusRules } from './statusRules';

const AGENT_STATUSES: ReadonlySet<string> = new Set([
  'typing',
  'thinking',
  'searching',
  'generating',
  'analyzing',
  'processing',
  'translating',
  'connecting',
  'checking',
  'calculating',
  'readingDocs',
  'composing',
]);

/**
 * Turns an LLM's stream of parts (Vercel AI SDK `fullStream` / `stream`: an AsyncIterable, a ReadableStream or an
 * Observable) into the statuses a bot shows while it works, ready for core's `botStatus({ status })`:
 * reasoning → `thinking`, a tool call → a status picked from the tool's name, text → `composing`.
 *
 * Consecutive repeats are dropped (a text reply is hundreds of deltas, one status). The stream completes on
 * `finish` (or `abort`, or when the parts end) and errors on an `error` part with that part's `error`, so the
 * caller sees the failure instead of a status that silently stops changing.
 *
 * `rules` replaces the matching fields of {@link defaultStatusRules}; to add tool rules, spread the defaults:
 * `{ tools: [{ match: 'crm', status: 'checking' }, ...defaultStatusRules.tools] }`.
 *
 * A one-shot source (an AI SDK stream) can be read by one subscriber only; subscribe once or `share()`.
 *
 * @throws {B24Error} kind `'input'` when `parts` is not a stream or `rules` is malformed (before anything is read).
 */
export function statusFromStream(
  parts: ObservableInput<StreamPart>,
  rules?: Partial<StatusRules>,
): Observable<AgentStatus> {
  const merged = mergeRules(rules);
  let source: Observable<StreamPart>;
  try {
    source = from(parts);
  } catch {
    throw inputError('parts must be an AsyncIterable, ReadableStream or Observable of stream parts');
  }
  return source.pipe(
    map((part, index) => effectOf(part, index, merged)),
    takeWhile((step) => step.effect !== 'complete'),
    map((step) => {
      if (step.effect === 'error')
        throw step.part.error ?? new Error(`LLM stream reported an error (${step.part.type})`);
      return step.effect;
    }),
    filter((status): status is AgentStatus => status !== undefined),
    distinctUntilChanged(),
  );
}

type Step =
  | { readonly effect: AgentStatus | undefined | 'complete' }
  | { readonly effect: 'error'; readonly part: StreamPart };

function effectOf(part: StreamPart, index: number, rules: StatusRules): Step {
  if (part === null || typeof part !== 'object' || typeof part.type !== 'string') {
    const got = part === null ? 'null' : typeof part;
    throw inputError(
      `parts[${index}] must be an object with a string \`type\` (got ${got}; pass fullStream/stream, not textStream)`,
    );
  }
  const effect: PartEffect | undefined =
    part.type === 'tool-result' && part.preliminary === true ? 'tool' : rules.parts[part.type];
  if (effect === 'error') return { effect, part };
  if (effect === 'tool')
    return { effect: statusForTool(typeof part.toolName === 'string' ? part.toolName : '', rules) };
  return { effect };
}

function mergeRules(rules: Partial<StatusRules> | undefined): StatusRules {
  if (rules === undefined) return defaultStatusRules;
  if (rules === null || typeof rules !== 'object') throw inputError('rules must be an object');
  const merged: StatusRules = {
    parts: rules.parts ?? defaultStatusRules.parts,
    tools: rules.tools ?? defaultStatusRules.tools,
    otherTool: rules.otherTool ?? defaultStatusRules.otherTool,
  };
  if (merged.parts === null || typeof merged.parts !== 'object') throw inputError('rules.parts must be an object');
  for (const [type, effect] of Object.entries(merged.parts)) {
    if (effect !== 'tool' && effect !== 'complete' && effect !== 'error' && !isAgentStatus(effect))
      throw inputError(`rules.parts[${JSON.stringify(type)}] must be an agent status, 'tool', 'complete' or 'error'`);
  }
  if (!Array.isArray(merged.tools)) throw inputError('rules.tools must be an array');
  merged.tools.forEach((rule, i) => {
    if (rule === null || typeof rule !== 'object') throw inputError(`rules.tools[${i}] must be an object`);
    if (!(typeof rule.match === 'string' && rule.match !== '') && !(rule.match instanceof RegExp))
      throw inputError(`rules.tools[${i}].match must be a non-empty string or a RegExp`);
    if (!isAgentStatus(rule.status)) throw inputError(`rules.tools[${i}].status must be an agent status`);
  });
  if (!isAgentStatus(merged.otherTool)) throw inputError('rules.otherTool must be an agent status');
  return merged;
}

/** One of the named statuses, or a raw `IMBOT_…` code for portals that add their own. */
function isAgentStatus(value: unknown): value is AgentStatus {
  return typeof value === 'string' && (AGENT_STATUSES.has(value) || /^IMBOT_[A-Z0-9_]+$/.test(value));
}

function inputError(rule: string): B24Error {
  return new B24Error({ code: 'INVALID_INPUT', kind: 'input', message: `statusFromStream: ${rule}` });
}
