import { type AgentStatus, B24InputError } from '@b24-typing/core';
import { resolveRules, typeName } from './resolveRules';
import type { StatusRules } from './statusRules';

/**
 * The status a tool name maps to: the first matching rule's, else `otherTool`. `rules` works as in
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
  const lower = toolName.toLowerCase();
  for (const rule of rules.tools) {
    if (typeof rule.match === 'string' ? lower.includes(rule.match.toLowerCase()) : testRegExp(rule.match, toolName))
      return rule.status;
  }
  return rules.otherTool;
}

/**
 * A global or sticky RegExp keeps `lastIndex` between tests; reset it so the same name always matches alike. Only
 * then: any other one ignores it, and may be frozen (rules deep-frozen by the app), where writing it would throw.
 */
function testRegExp(re: RegExp, value: string): boolean {
  if (re.global || re.sticky) re.lastIndex = 0;
  return re.test(value);
}
