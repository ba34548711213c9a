import { B24Error } from '@b24-typing/core';

/** Runs a call that is aborted after `ms`, and rejects then as the transport's own timeout would (kind `timeout`). */
export async function withTimeout<T>(ms: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  try {
    return await call(controller.signal);
  } catch (error) {
    if (controller.signal.aborted) throw new B24Error({ code: 'TIMEOUT', message: `no answer within ${ms} ms` });
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
