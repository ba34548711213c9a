import type { B24Error } from './B24Error';

/**
 * One result of a `batch` request, in the order of the calls that were sent.
 *
 * A batch succeeds or fails per command: the HTTP request returns 200 while individual commands land in
 * `result_error`. A transport maps each command back to `{ ok: true, result }` or `{ ok: false, error }`.
 */
export type BatchItemResult =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: B24Error };

/** One REST call: a method name and its parameters, exactly as the portal documents them. */
export interface TransportCall {
  readonly method: string;
  readonly params: Record<string, unknown>;
}

/** Per-call options. */
export interface TransportCallOptions {
  /**
   * Aborts the call. An indicator that stops while its call is in flight aborts it, so a transport must stop
   * waiting at once (connecting, sending or reading) and reject with a `B24Error` of kind `'network'` and code
   * `'ABORTED'`.
   */
  readonly signal?: AbortSignal;
}

/**
 * How `@b24-typing/core` reaches a portal. Core does no I/O of its own: `@b24-typing/node` (undici),
 * `@b24-typing/browser` (fetch, BX24) or your own object implement this, and `createIndicators` uses it.
 *
 * @remarks
 * The contract, which the scheduler relies on:
 *
 * - `call` resolves with the envelope's `result` field and nothing else: `true` for `im.dialog.writing`,
 *   `{ result: true }` for `imbot.v2.*` (unwrapping v2's nested result is core's job, not the transport's).
 * - Every failure rejects with a {@link B24Error}: a portal error `{ error, error_description }` keeps its
 *   `error` code and HTTP status; anything else (a reset connection, an HTML page from a proxy, a timeout, an
 *   abort) is classified as `network`, `server` or `timeout`. Core classifies by `kind`, never by message.
 * - Authentication is the transport's business: on `expired_token` it refreshes (once, shared by concurrent
 *   calls) and retries; core only sees the final outcome.
 * - `batch`, when present, sends up to 50 calls as ONE HTTP request (one unit of the portal's rate budget) and
 *   resolves with one {@link BatchItemResult} per call, in order. Its presence switches on auto-batching in the
 *   scheduler. It rejects only when the request as a whole failed.
 * - Neither method may throw synchronously; core guards against it anyway.
 * - Messages and `toString()` of every error never contain a webhook code, token or client secret.
 *
 * @example
 * ```ts
 * const transport: Transport = {
 *   async call(method, params, { signal } = {}) {
 *     let res: Response;
 *     try {
 *       res = await fetch(`${webhook}${method}.json`, {
 *         method: 'POST',
 *         // Without it fetch sends text/plain, and the portal reads the body as a form (parse_str), not JSON.
 *         headers: { 'Content-Type': 'application/json' },
 *         body: JSON.stringify(params),
 *         signal,
 *       });
 *     } catch (cause) {
 *       // every failure is a B24Error with a kind: here `network` (ABORTED too)
 *       throw new B24Error({ code: signal?.aborted ? 'ABORTED' : 'NETWORK_ERROR', message: 'no answer', cause });
 *     }
 *     const body = await res.json().catch(() => undefined);
 *     if (body?.error) throw B24Error.fromResponse(body, res.status);
 *     if (!res.ok || body?.result === undefined) {
 *       // a proxy's page, an empty body: the status gives the kind (a 403 is `access`, not retried)
 *       const kind = classifyError('', res.status);
 *       const { status } = res;
 *       throw new B24Error({ code: 'ERROR_UNEXPECTED_ANSWER', kind, status, message: `HTTP ${status}` });
 *     }
 *     return body.result;
 *   },
 * };
 * ```
 */
export interface Transport {
  call(method: string, params: Record<string, unknown>, options?: TransportCallOptions): Promise<unknown>;
  batch?(calls: readonly TransportCall[], options?: TransportCallOptions): Promise<readonly BatchItemResult[]>;
}
