import { type AgentStatus, B24InputError } from '@b24-typing/core';
import { resolveRules, typeName } from './resolveRules';
import type { StatusRules, ToolStatusRule } from './statusRules';
import { toolNameWords } from './toolNameWords';

/**
 * The status a tool name maps to: the first matching rule's, else `otherTool`. A string rule matches by words, not as
 * a substring (`read` matches `readFile`, not `update_spreadsheet`): see {@link ToolStatusRule}. `rules` works as in
 * `statusFromStream`: each field given replaces the default's, so `statusForTool(name)` uses
 * {@link defaultStatusRules}.
 *
 * @throws {B24InputError} when `toolName` is not a string or `rules` is malformed (a rule's `match` that is no
 * string or RegExp would otherwise throw a TypeError, and a bad `otherTool` would be returned as a status).
 */
export function statusForTool(
  toolName: string,
  rules?: Partial<Pick<StatusRules, 'tools' | 'otherTool'>>,
): AgentStatus {
  if (typeof toolName !== 'string') throw new B24InputError('toolName', 'a string', typeName(toolName));
  return toolStatus(toolName, resolveRules(rules));
}

/** {@link statusForTool} on rules already checked: `statusFromStream` asks it for every tool part. */
export function toolStatus(toolName: string, rules: Pick<StatusRules, 'tools' | 'otherTool'>): AgentStatus {
  let words: string[] | undefined; // split once, and only if a string rule is tried
  for (const rule of rules.tools) {
    const { match } = rule;
    if (typeof match === 'string') {
      words ??= toolNameWords(toolName);
      if (hasWords(words, wordsOf(rule, match))) return rule.status;
    } else if (testRegExp(match, toolName)) return rule.status;
  }
  return rules.otherTool;
}

/**
 * Whether `rule`'s words come in a row in `words`, each equal but the last, which need only begin one (`translat`
 * matches `translateText`, `code_exec` matches `codeExecution`): not inside a word (`read` in `spreadsheet`).
 */
function hasWords(words: readonly string[], rule: readonly string[]): boolean {
  const last = rule.length - 1;
  if (last < 0) return false; // no word at all (resolveRules refuses it): it matches nothing
  for (let start = 0; start + last < words.length; start++) {
    let i = 0;
    while (i < last && words[start + i] === rule[i]) i++;
    if (i === last && words[start + last]!.startsWith(rule[last]!)) return true;
  }
  return false;
}

/**
 * A string rule's words, split once per rule object: the default rules are shared for good, and `resolveRules` copies
 * an app's rules once per stream, so a stream's tool parts split each rule once. A rule's `match` never changes: the
 * defaults are frozen, and the copies are the package's own.
 */
const ruleWords = new WeakMap<ToolStatusRule, readonly string[]>();

function wordsOf(rule: ToolStatusRule, match: string): readonly string[] {
  let words = ruleWords.get(rule);
  if (words === undefined) {
    words = toolNameWords(match);
    ruleWords.set(rule, words);
  }
  return words;
}

/**
 * A global or sticky RegExp keeps `lastIndex` between tests; reset it so the same name always matches alike. Only
 * then: any other one ignores it, and may be frozen (rules deep-frozen by the app), where writing it would throw.
 */
function testRegExp(re: RegExp, value: string): boolean {
  if (re.global || re.sticky) re.lastIndex = 0;
  return re.test(value);
}
