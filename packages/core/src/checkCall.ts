import { B24InputError } from './B24InputError';
import type { TransportCallOptions } from './Transport';

/**
 * For transport authors: checks one REST call's shape before anything goes on the wire, so a typo fails at once
 * as a `B24InputError` (kind `input`) instead of a portal 400 after a round trip, and every transport (node,
 * browser, your own) accepts and refuses the same calls. `method` must be a REST method name (see below) and
 * `params` a plain object (not `null`, not an array).
 *
 * `field` is the call's path in the caller's input, e.g. `calls[3]` for the fourth call of a batch: the error
 * then names `calls[3].method` or `calls[3].params`; without it, `method` or `params`. The value is never
 * quoted: a method or params may carry anything, tokens included.
 *
 * `options` is the call's options argument, checked by {@link checkOptions}: pass it to have the whole call
 * checked in one go (`checkCall(method, params, '', options)`).
 */
export function checkCall(
  method: unknown,
  params: unknown,
  field?: string,
  options?: unknown,
): asserts method is string {
  const at = field ? `${field}.` : '';
  // A REST method name: dot-separated segments of ASCII letters, digits and `_` (`\w` without the `u` flag), the
  // first starting with a letter (`batch`, `im.dialog.writing`, `imbot.v2.Chat.InputAction.notify`). Empty segments
  // (`im..writing`, a trailing dot) and anything that could change the URL (`/`, `..`, spaces, `?`, `#`) are
  // refused: transports append the method to the endpoint URL, so a malformed one must never reach it. (A literal
  // here rather than a module constant: the bundle is smaller.)
  if (typeof method !== 'string' || !/^[A-Za-z]\w*(\.\w+)*$/.test(method)) {
    throw new B24InputError(`${at}method`, 'a REST method name such as "im.dialog.writing"');
  }
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new B24InputError(`${at}params`, 'a plain object');
  }
  checkOptions(options);
}

/**
 * The options argument of `call` and `batch`: `undefined` is "no options"; anything else must be an object (not
 * `null`: the `Transport` type does not allow it, and no options bag in this project takes it) whose `signal`,
 * when set, is an AbortSignal. A transport adds a listener to the signal, so `{ signal: {} }` used to fail as a
 * TypeError (or, handed to undici, as a retryable `network` error) instead of as the caller's mistake. The signal
 * is recognised by shape (it takes event listeners), not `instanceof`: one from another realm (an iframe) or an
 * AbortController polyfill works. A `signal` that cannot be read (a getter or Proxy trap that throws, on it or on its
 * `addEventListener`, or a revoked Proxy) is refused the same way, its error not kept: raw, it reached a transport's
 * caller as a network failure (retried), with the error, which a getter loading a secret may quote, as its `cause`.
 */
export function checkOptions(options: unknown): asserts options is TransportCallOptions | undefined {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new B24InputError('options', 'an object');
  }
  try {
    const signal = (options as { signal?: Partial<AbortSignal> } | undefined)?.signal;
    if (signal === undefined || typeof signal.addEventListener === 'function') return;
  } catch {
    // A getter or Proxy trap that throws (on `signal` or its `addEventListener`), or a revoked Proxy: not a signal
    // we can use. Its error is not kept: it may quote a secret.
  }
  throw new B24InputError('signal', 'an AbortSignal');
}
