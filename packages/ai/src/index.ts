export type { StreamPart } from './StreamPart';
export { statusForTool } from './statusForTool';
export { statusFromStream } from './statusFromStream';
export { defaultStatusRules } from './statusRules';
export type { PartEffect, StatusRules, ToolStatusRule } from './statusRules';
