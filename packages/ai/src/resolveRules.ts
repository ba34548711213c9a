import { B24InputError, isAgentStatus } from '@b24-typing/core';
import { defaultStatusRules, type StatusRules, type ToolStatusRule } from './statusRules';
import { toolNameWords } from './toolNameWords';

/**
 * `rules` over {@link defaultStatusRules} (each field given replaces the default's), checked whole: a malformed
 * field is a {@link B24InputError} naming it, thrown before any stream is read or any tool name matched. What is
 * checked is a copy, and the copy is what the stream uses: the caller's arrays and objects, changed later (a rule
 * pushed, a status edited), could otherwise break a reply's status stream mid-reply, unchecked.
 */
export function resolveRules(rules: Partial<StatusRules> | undefined): StatusRules {
  if (rules === undefined) return defaultStatusRules;
  // An array is refused too: the tool rules passed as the rules would otherwise be ignored for the defaults.
  if (!isPlainObject(rules)) throw new B24InputError('rules', 'an object', typeName(rules));
  // A misspelt field (`tool` for `tools`) would leave the default it meant to replace in force, silently.
  for (const key of Object.keys(rules)) {
    if (!RULE_FIELDS.includes(key)) throw new B24InputError(`rules.${key}`, `one of ${RULE_FIELDS.join(', ')}`);
  }
  // Only `undefined` means "not given": a `null` (a config field read as null) is checked, not silently replaced.
  const given = {
    parts: rules.parts === undefined ? defaultStatusRules.parts : rules.parts,
    tools: rules.tools === undefined ? defaultStatusRules.tools : rules.tools,
    otherTool: rules.otherTool === undefined ? defaultStatusRules.otherTool : rules.otherTool,
  };
  if (!isPlainObject(given.parts)) throw new B24InputError('rules.parts', 'an object', typeName(given.parts));
  const parts = { ...given.parts };
  for (const [type, effect] of Object.entries(parts)) {
    if (effect !== 'tool' && effect !== 'complete' && effect !== 'error' && !isAgentStatus(effect))
      throw new B24InputError(`rules.parts[${JSON.stringify(type)}]`, "an agent status, 'tool', 'complete' or 'error'");
  }
  if (!Array.isArray(given.tools)) throw new B24InputError('rules.tools', 'an array', typeName(given.tools));
  const tools: ToolStatusRule[] = [];
  // By index, not forEach: a hole of a sparse array is skipped by forEach, yet read (as undefined) when tools match.
  for (let i = 0; i < given.tools.length; i++) {
    const rule = given.tools[i];
    if (rule === null || typeof rule !== 'object') throw new B24InputError(`rules.tools[${i}]`, 'an object');
    const { match, status, prefix } = rule;
    // A string of separators only (`_`) has no word to match: the rule would never match, silently.
    if (!(typeof match === 'string' && toolNameWords(match).length > 0) && !(match instanceof RegExp))
      throw new B24InputError(`rules.tools[${i}].match`, 'a string with a letter or digit, or a RegExp');
    if (!isAgentStatus(status)) throw new B24InputError(`rules.tools[${i}].status`, 'an agent status');
    // Anything but a boolean (`'false'` from a config file) would be read as true: a prefix, silently.
    if (prefix !== undefined && typeof prefix !== 'boolean')
      throw new B24InputError(`rules.tools[${i}].prefix`, 'a boolean', typeName(prefix));
    // A RegExp is copied too (same source and flags, so it matches alike): a global or sticky one is tested from
    // `lastIndex`, which the test resets and moves, and the app's may be frozen (that write would throw mid-reply) or
    // tested by the app itself elsewhere (its results would change with ours).
    const own = typeof match === 'string' ? match : new RegExp(match);
    tools.push(prefix === undefined ? { match: own, status } : { match: own, status, prefix });
  }
  if (!isAgentStatus(given.otherTool)) throw new B24InputError('rules.otherTool', 'an agent status');
  return { parts, tools, otherTool: given.otherTool };
}

/** The fields of {@link StatusRules}: any other in `rules` is refused. */
const RULE_FIELDS: readonly string[] = ['parts', 'tools', 'otherTool'];

/**
 * An object literal (or one made with `Object.create(null)`): a Map, a class instance or an array keeps what it holds
 * out of its own enumerable fields, so read as rules it would leave every default in force, silently.
 */
function isPlainObject(value: unknown): value is object {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Names the type of a rejected value without echoing it (a stream or rules object may carry anything). */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  // A Map or a class instance is named by its constructor: "an object" would not say what is wrong with it.
  const name = typeof value === 'object' ? Object.getPrototypeOf(value)?.constructor?.name : undefined;
  if (typeof name === 'string' && name !== '' && name !== 'Object') return withArticle(name);
  if (value === undefined) return 'undefined';
  return withArticle(typeof value);
}

/** "a Map", "an object", "an Error": the message is read by a person. */
function withArticle(word: string): string {
  return `${/^[aeiou]/i.test(word) ? 'an' : 'a'} ${word}`;
}
