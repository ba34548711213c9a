import type { AgentStatus } from '@b24-typing/core';

/**
 * Picks a status for a tool by its name. A string, the defaults' and an app's own alike, matches by words, whatever
 * the case style (tool names come in every one: `webSearch`, `web_search`, `WebSearch`): the name and the string are
 * split into words (at anything but a letter or digit, at a capital after a small letter, between letters and digits,
 * an acronym kept whole: `runSQLQuery` is run, sql, query), and the string's words must come in a row in the name's,
 * each equal but the last, which need only begin its word. So `translat` matches `translateText`, `code_exec`
 * matches `codeExecution`, `read` matches `readFile`; not a word inside another: `read` does not match
 * `update_spreadsheet`, nor `file` `getUserProfile`. A RegExp is tested as given, against the name as it is.
 */
export interface ToolStatusRule {
  readonly match: string | RegExp;
  readonly status: AgentStatus;
}

/**
 * What a part means for the status, by part `type`:
 * - an `AgentStatus`: show it;
 * - `'tool'`: show the status of the part's tool (`tools`, else `otherTool`);
 * - `'complete'`: the work is over (the status stream completes, or errors if the work ended on an `'error'` part);
 * - `'error'`: a failure was reported, yet the work may go on (`streamText` streams on after an `error` part): the
 *   status stays, and the stream errors with the part's `error` only if the work ends on it (see `statusFromStream`).
 * Types not listed leave the status as it is (deltas of the same phase, `finish-step`, `source`, `raw`, …).
 */
export type PartEffect = AgentStatus | 'tool' | 'complete' | 'error';

/**
 * The mapping from LLM stream parts to statuses, as plain data so an app can extend it (spread
 * `defaultStatusRules` and prepend its own tool rules) or replace any field.
 */
export interface StatusRules {
  readonly parts: Readonly<Record<string, PartEffect>>;
  /** Tried in order; the first match wins, so put specific rules before broad ones. */
  readonly tools: readonly ToolStatusRule[];
  /** The status of a tool no rule matches. */
  readonly otherTool: AgentStatus;
}

/**
 * Defaults, following the phases of a multi-step LLM call: the model thinks (also while it digests a tool's
 * result, hence `tool-result` → thinking), calls tools, then writes. A preliminary `tool-result` (progress of a
 * running tool) shows what the rules give `tool-call` instead; see `statusFromStream`.
 *
 * Frozen at every level: one object shared by every caller in the process, so a rule pushed or a status edited
 * through it (readonly only in the types) would change the statuses of every other reply. Spread it to change a copy.
 */
export const defaultStatusRules: StatusRules = frozen({
  parts: {
    start: 'thinking',
    'start-step': 'thinking',
    'reasoning-start': 'thinking',
    'reasoning-delta': 'thinking',
    'tool-input-start': 'tool',
    'tool-call': 'tool',
    'tool-result': 'thinking',
    'tool-error': 'thinking',
    'tool-output-denied': 'thinking',
    'text-start': 'composing',
    'text-delta': 'composing',
    finish: 'complete',
    abort: 'complete',
    error: 'error',
  },
  tools: [
    { match: 'search', status: 'searching' },
    // rules match whole words: `search` is no word of `researchTopic`, nor `lookup` of `lookUpCustomer`
    { match: 'research', status: 'searching' },
    { match: 'web', status: 'searching' },
    { match: 'lookup', status: 'searching' },
    { match: 'look_up', status: 'searching' },
    { match: 'calc', status: 'calculating' },
    { match: 'math', status: 'calculating' },
    // a provider's code execution (Anthropic's, Google's, xAI's `code_execution`, OpenAI's `code_interpreter`) runs
    // code to compute or analyse; not 'exec' alone, which would take `executeQuery` for a calculation
    { match: 'code_exec', status: 'calculating' },
    { match: 'codeexec', status: 'calculating' },
    { match: 'code_interp', status: 'calculating' },
    { match: 'codeinterp', status: 'calculating' },
    // Google's `url_context` reads the pages a prompt links, as Anthropic's `web_fetch` (taken by 'web') does;
    // OpenAI's `image_generation` makes an image
    { match: 'url_context', status: 'searching' },
    { match: 'urlcontext', status: 'searching' },
    { match: 'image_gen', status: 'generating' },
    { match: 'imagegen', status: 'generating' },
    { match: 'translat', status: 'translating' },
    { match: 'read', status: 'readingDocs' },
    { match: 'file', status: 'readingDocs' },
    { match: 'doc', status: 'readingDocs' },
    { match: 'pdf', status: 'readingDocs' },
    { match: 'http', status: 'connecting' },
    { match: 'api', status: 'connecting' },
    { match: 'fetch', status: 'connecting' },
    { match: 'check', status: 'checking' },
    { match: 'valid', status: 'checking' },
    { match: 'verify', status: 'checking' },
  ],
  otherTool: 'processing',
});

/** Freezes `rules`, its `parts`, its `tools` and each tool rule (`Object.freeze` alone is shallow). */
function frozen(rules: StatusRules): StatusRules {
  for (const rule of rules.tools) Object.freeze(rule);
  Object.freeze(rules.tools);
  Object.freeze(rules.parts);
  return Object.freeze(rules);
}
