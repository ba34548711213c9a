import { B24Error } from '@b24-typing/core';

/**
 * Waits up to `ms` for `answer`, then rejects as the transport's own timeout would (kind `timeout`). The call is not
 * aborted: a portal that got it may be storing it, and its answer, should it come later, still tells so.
 */
export function withTimeout<T>(ms: number, answer: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new B24Error({ code: 'TIMEOUT', message: `no answer within ${ms} ms` })), ms);
    answer.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}
