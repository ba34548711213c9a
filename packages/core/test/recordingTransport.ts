import type { Transport } from '../src/Transport';

/** One call a test transport received. */
export interface RecordedCall {
  readonly method: string;
  readonly params: Record<string, unknown>;
  readonly signal: AbortSignal | undefined;
  /** `Date.now()` when the call was made (fake timers in tests). */
  readonly at: number;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * A transport for tests that records every call. `respond` decides what each call does; by default it resolves
 * on the next microtask with what a portal answers (`{ result: true }` for imbot.v2, `true` otherwise).
 */
export function recordingTransport(respond?: (call: RecordedCall) => void): Transport & { calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  return {
    calls,
    call(method, params, options) {
      return new Promise((resolve, reject) => {
        const call: RecordedCall = { method, params, signal: options?.signal, at: Date.now(), resolve, reject };
        calls.push(call);
        if (respond) respond(call);
        else resolve(method.startsWith('imbot.v2.') ? { result: true } : true);
      });
    },
  };
}
