import type { AgentStatus } from '@b24-typing/core';

/**
 * Picks a status for a tool by its name. A string, the defaults' and an app's own alike, matches by words, whatever
 * the case style (tool names come in every one: `webSearch`, `web_search`, `WebSearch`): the name and the string are
 * split into words (at anything but a letter or digit, at a capital after a small letter, between letters and digits,
 * an acronym kept whole: `runSQLQuery` is run, sql, query), and the string's words must come in a row in the name's,
 * each equal but the last, which need only begin its word (see `prefix`). So `translat` matches `translateText`,
 * `code_exec` matches `codeExecution`; not a word inside another: `read` does not match `update_spreadsheet`, nor
 * `file` `getUserProfile`. A RegExp is tested as given, against the name as it is.
 */
export interface ToolStatusRule {
  readonly match: string | RegExp;
  readonly status: AgentStatus;
  /**
   * `false`: the last word of a string `match` is a word, matched with its inflections only (-s, -es, -ed, -er, -ers,
   * -ing, -ings, also after a final e dropped or a y turned i: `check` matches checks, checker, checking, `file`
   * filing, `verify` verified), not every word it begins (`check` does not match `checkout`, nor `read` `ready`).
   * Otherwise (`true`, or left out) it is a prefix, for an abbreviation (`translat`, `calc`). The default rules that
   * are words set it; an app's own rules match as prefixes unless they do. No effect on a RegExp.
   */
  readonly prefix?: boolean;
}

/**
 * What a part means for the status, by part `type`:
 * - an `AgentStatus`: show it;
 * - `'tool'`: show the status of the part's tool (`tools`, else `otherTool`); only a call part (`tool-input-start`,
 *   `tool-call`) starts a call that counts as running: another type given it (a `source`) names no call;
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
    // a rule that is a word is no prefix (`prefix: false`): `check` would take `checkoutCart`, `read` `readyCheck`,
    // `doc` `docker_run`, `web` `webhook_send`. The abbreviations (`calc`, `math`, `translat`, `valid`, `code_exec`,
    // `http`, `api`, `pdf`, …) begin the words they stand for, and take no other word a tool name is made of.
    { match: 'search', status: 'searching', prefix: false },
    // rules match whole words: `search` is no word of `researchTopic`, nor `lookup` of `lookUpCustomer`
    { match: 'research', status: 'searching', prefix: false },
    { match: 'web', status: 'searching', prefix: false },
    // what `web` took as a prefix, and rightly so: a site or a page is read from the web
    { match: 'website', status: 'searching', prefix: false },
    { match: 'webpage', status: 'searching', prefix: false },
    { match: 'websearch', status: 'searching', prefix: false },
    { match: 'webfetch', status: 'searching', prefix: false },
    { match: 'webbrowser', status: 'searching', prefix: false },
    { match: 'lookup', status: 'searching', prefix: false },
    { match: 'look_up', status: 'searching', prefix: false },
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
    { match: 'url_context', status: 'searching', prefix: false },
    { match: 'urlcontext', status: 'searching', prefix: false },
    { match: 'image_gen', status: 'generating' },
    { match: 'imagegen', status: 'generating' },
    // the names image tools are given most (an MCP server's `generate_image`, CrewAI's `DallETool`): as phrases, as
    // `image` alone takes `describe_image`, and `create` alone `create_issue`
    { match: 'generate_image', status: 'generating', prefix: false },
    { match: 'create_image', status: 'generating', prefix: false },
    { match: 'text_to_image', status: 'generating', prefix: false },
    { match: 'dall_e', status: 'generating', prefix: false },
    { match: 'dalle', status: 'generating', prefix: false },
    { match: 'translat', status: 'translating' },
    // a tool that changes a file (the MCP filesystem server's `write_file`, `edit_file`, `move_file`, GitHub's
    // `push_files`) is not reading documents, though `file` below would take it: before it, the fallback, as no
    // status says "writing" or "editing" (`composing` and `generating` say "a response"). After the searches, image
    // generators and `translat` (`save_search_results` still searches), before `http`, `api`, `check` (creating an
    // API key connects to nothing). Words: `copy` is no word of `copyright`, `move` of `movie`; yet their -ed forms
    // count, so `list_uploaded_files` shows the fallback too
    { match: 'write', status: 'processing', prefix: false },
    { match: 'edit', status: 'processing', prefix: false },
    { match: 'create', status: 'processing', prefix: false },
    { match: 'delete', status: 'processing', prefix: false },
    { match: 'remove', status: 'processing', prefix: false },
    { match: 'move', status: 'processing', prefix: false },
    { match: 'rename', status: 'processing', prefix: false },
    { match: 'copy', status: 'processing', prefix: false },
    { match: 'update', status: 'processing', prefix: false },
    { match: 'save', status: 'processing', prefix: false },
    { match: 'upload', status: 'processing', prefix: false },
    { match: 'append', status: 'processing', prefix: false },
    { match: 'replace', status: 'processing', prefix: false },
    { match: 'push', status: 'processing', prefix: false },
    { match: 'read', status: 'readingDocs', prefix: false },
    { match: 'file', status: 'readingDocs', prefix: false },
    // what `read` and `file` took as a prefix, and rightly so: a README, a file's name or path is read
    { match: 'readme', status: 'readingDocs', prefix: false },
    { match: 'filename', status: 'readingDocs', prefix: false },
    { match: 'filepath', status: 'readingDocs', prefix: false },
    { match: 'filesystem', status: 'readingDocs', prefix: false },
    // `doc` is an abbreviation, yet as a prefix takes `docker` and `doctor`: a word (docs), and `document` the prefix
    // (documents, documentation)
    { match: 'doc', status: 'readingDocs', prefix: false },
    { match: 'document', status: 'readingDocs' },
    { match: 'pdf', status: 'readingDocs' },
    { match: 'http', status: 'connecting' },
    { match: 'api', status: 'connecting' },
    { match: 'fetch', status: 'connecting', prefix: false },
    { match: 'check', status: 'checking', prefix: false },
    { match: 'valid', status: 'checking' },
    { match: 'verify', status: 'checking', prefix: false },
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
