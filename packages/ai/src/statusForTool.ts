import { type AgentStatus, B24InputError } from '@b24-typing/core';
import { resolveRules, typeName } from './resolveRules';
import type { StatusRules, ToolStatusRule } from './statusRules';
import { toolNameWords } from './toolNameWords';

/**
 * The status a tool name maps to: the first matching rule's, else `otherTool`. A string rule matches by words, not as
 * a substring (`read` matches `readFile`, not `update_spreadsheet`), its last word as a prefix unless `prefix: false`
 * (`read` of the defaults matches `reading`, not `ready`): see {@link ToolStatusRule}. `rules` works as in
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
      if (hasWords(words, wordsOf(rule, match), rule.prefix !== false)) return rule.status;
    } else if (testRegExp(match, toolName)) return rule.status;
  }
  return rules.otherTool;
}

/**
 * Whether `rule`'s words come in a row in `words`, each equal but the last, which need only begin one if `prefix`
 * (`translat` matches `translateText`, `code_exec` matches `codeExecution`), else be it or an inflection of it (`read`
 * matches `reading`, not `ready`): never inside a word (`read` in `spreadsheet`).
 */
function hasWords(words: readonly string[], rule: readonly string[], prefix: boolean): boolean {
  const last = rule.length - 1;
  if (last < 0) return false; // no word at all (resolveRules refuses it): it matches nothing
  for (let start = 0; start + last < words.length; start++) {
    let i = 0;
    while (i < last && words[start + i] === rule[i]) i++;
    if (i !== last) continue;
    const word = words[start + last]!;
    if (prefix ? word.startsWith(rule[last]!) : isInflection(word, rule[last]!)) return true;
  }
  return false;
}

/** The endings of an inflected word (reads, searches, checked, reader, readers, reading, readings). */
const ENDINGS = new Set(['', 's', 'es', 'ed', 'er', 'ers', 'ing', 'ings']);

/**
 * Whether `word` is `base` or `base` inflected: an ending after it, or after its final e dropped (`file` → filing,
 * filed) or y turned i (`verify` → verified, verifies). Not a full stemmer (no doubled consonant, no irregular form):
 * enough for the default rules, and a rule can always be given one more form of its own. The stem takes an ending of
 * two letters or more: alone or with an `s` it is no form of the word (`not` of `note`, `copi` of `copy`).
 */
function isInflection(word: string, base: string): boolean {
  if (word.startsWith(base) && ENDINGS.has(word.slice(base.length))) return true;
  const end = base.at(-1);
  if (end !== 'e' && end !== 'y') return false;
  const stem = end === 'y' ? `${base.slice(0, -1)}i` : base.slice(0, -1);
  const ending = word.slice(stem.length);
  return word.startsWith(stem) && ending.length > 1 && ENDINGS.has(ending);
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
 * then: any other one ignores it. Written only to the package's own copy (`resolveRules` copies every RegExp rule),
 * never to the app's, which may be frozen (rules deep-frozen by the app), where writing it would throw.
 */
function testRegExp(re: RegExp, value: string): boolean {
  if (re.global || re.sticky) re.lastIndex = 0;
  return re.test(value);
}
