import { B24Error } from '@b24-typing/core';
import type { Transport, TransportCallOptions } from '@b24-typing/core';

/** A transport whose calls an abort does not call back, and a way to wait for the ones still on their way. */
export interface KeptCalls {
  /** For `createTypingIndicators`: an abort rejects the call at once, but its request goes on. */
  readonly transport: Transport;
  /**
   * Resolves once every request given to `transport` so far has settled (landed or failed), or after `withinMs`,
   * whichever comes first. Never rejects.
   */
  settled(withinMs: number): Promise<void>;
}

/**
 * Core aborts her `im.dialog.writing` call when she sends, but an abort does not call back a request already sent:
 * the portal may carry it out after her message, and show her typing for its whole lifetime after it. So the request
 * is not aborted here (core still hears at once that it was), only tracked, and her message waits for it
 * (`settled`): landed before the message, the message hides the indicator it showed. A call aborted before it went
 * out goes all the same; it is waited for the same way.
 */
export function keepSentCalls(transport: Transport): KeptCalls {
  const open = new Set<Promise<void>>();
  const keep = <T>(send: (options: TransportCallOptions) => Promise<T>, options?: TransportCallOptions): Promise<T> => {
    const { signal, ...rest } = options ?? {};
    // Aborted before it was handed over: nothing went out, and the transport refuses it as it always does.
    if (signal?.aborted) return send(options ?? {});
    let request: Promise<T>;
    try {
      request = Promise.resolve(send(rest));
    } catch (error) {
      request = Promise.reject(error);
    }
    const tracked = request.then(
      () => undefined,
      () => undefined,
    );
    open.add(tracked);
    void tracked.then(() => open.delete(tracked));
    if (!signal) return request;
    return new Promise<T>((resolve, reject) => {
      const abort = () => reject(new B24Error({ code: 'ABORTED', kind: 'network', message: 'the call was aborted' }));
      signal.addEventListener('abort', abort, { once: true });
      request.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
    });
  };
  return {
    transport: {
      call: (method, params, options) => keep((o) => transport.call(method, params, o), options),
      // Kept batched: the typing calls go out batched when the transport can batch.
      ...(transport.batch && { batch: (calls, options) => keep((o) => transport.batch!(calls, o), options) }),
    },
    settled: (withinMs) => {
      if (open.size === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, withinMs);
        void Promise.all(open).then(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
