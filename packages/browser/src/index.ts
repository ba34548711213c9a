// createBx24Transport first: a bundler lays modules out in the order they are first imported, and a portal-frame
// composer's bundle gzips smaller with it before bindTyping's.
export { createBx24Transport } from './createBx24Transport';
export type { Bx24AjaxResult, Bx24Like, Bx24TransportOptions } from './createBx24Transport';
export { bindTyping } from './bindTyping';
export type { BindTypingOptions } from './bindTyping';
export { createFetchTransport } from './createFetchTransport';
export type { AuthRequest, FetchTransportOptions } from './createFetchTransport';
export { keystrokes } from './keystrokes';
export type { ComposerElement } from './keystrokes';
export { submits } from './submits';
export type { SubmitsOptions } from './submits';
