import type { AgentStatus } from '@b24-typing/core';
import type { StatusRules } from './statusRules';

/** The status `rules` give a tool name: the first matching rule's, else `rules.otherTool`. */
export function statusForTool(toolName: string, rules: Pick<StatusRules, 'tools' | 'otherTool'>): AgentStatus {
  const lower = toolName.toLowerCase();
  for (const rule of rules.tools) {
    if (typeof rule.match === 'string' ? lower.includes(rule.match.toLowerCase()) : testRegExp(rule.match, toolName))
      return rule.status;
  }
  return rules.otherTool;
}

/** A global or sticky RegExp keeps `lastIndex` between tests; reset it so the same name always matches alike. */
function testRegExp(re: RegExp, value: string): boolean {
  re.lastIndex = 0;
  return re.test(value);
}
