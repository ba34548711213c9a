/**
 * The statuses a bot can show. Structurally the same union as `@b24-typing/core`'s `AgentStatus`, repeated here
 * so this package's types stand on their own until core exports it (a string-literal union is compatible
 * across both declarations, so values flow into `botStatus` unchanged).
 */
export type AgentStatus =
  | 'typing'
  | 'thinking'
  | 'searching'
  | 'generating'
  | 'analyzing'
  | 'processing'
  | 'translating'
  | 'connecting'
  | 'checking'
  | 'calculating'
  | 'readingDocs'
  | 'composing'
  | `IMBOT_${string}`;
