/**
 * BX24.js's `ajaxResult` as the fake hands it out (what `@b24-typing/browser`'s `Bx24AjaxResult` reads): written out
 * here, not imported, so that this helper package depends on no package it tests.
 */
interface Bx24AjaxResult {
  data(): unknown;
  error(): unknown;
  readonly status: number;
}

/** What the portal answers one request with (status and JSON body, or raw text), or a connection that fails. */
export type Reply = { status: number; body?: unknown; text?: string } | 'network';
/**
 * Answers one request: `params` as the app passed them, `body` as BX24.js puts it on the wire (form-encoded, with
 * `auth`), so a portal may be a table in memory or a real HTTP server (then the answer is a promise).
 */
export type Portal = (
  method: string,
  params: Record<string, unknown>,
  body: string,
) => Reply | undefined | PromiseLike<Reply | undefined>;

export const ok = (result: unknown): Reply => ({ status: 200, body: { result, time: {} } });
export const fail = (status: number, error: string, error_description = ''): Reply => ({
  status,
  body: { error, error_description },
});

/**
 * A stand-in for BX24.js (`//api.bitrix24.com/api/v1/`, reference §9.2) that follows its source line by line where
 * the transport can tell: `ajaxResult` keeps the HTTP `status` and the parsed `answer`; `error()` is an `ajaxError`
 * `{ status, ex }` whose `ex` is the whole answer when `error` is a string (a call) or the `{ error,
 * error_description }` object (a batch command); a reply is read when `ajax.isSuccess` (2xx, 304, 4xx, 0), an
 * empty body as `{ result: {} }`, and anything else (5xx, a body that is not JSON, a failed connection) throws
 * inside the XHR handler, so the callback never comes (recorded in `thrown` here instead). `expired_token` never
 * reaches the callback: the library asks the parent frame for a token (`refreshAuth`) and sends the request again,
 * as often as it takes. `callBatch` takes `[method, params]` or `{ method, params }`, builds `method?query` strings
 * with `prepareData`, sends `{ halt, cmd }` as `batch`, and hands back an array (or object) with an entry only for
 * a command that has a result or an error in the reply, each carrying the batch's HTTP status.
 * `portal` answers each request; for `batch` it may return undefined to have the commands run one by one (a table
 * in memory only: the commands' replies must then come synchronously). `accessToken` is the token BX24.js holds; the
 * parent frame answers the n-th `refreshAuth` with the new token `newToken(n)` (default `refreshed-token-<n>`; a
 * portal that knows the token needs one it issued), which BX24.js holds (and sends) from then on, and `getAuth()` hands out a copy of what it holds, as BX24.js does.
 * With `frame` (the app's window), the parent's answer comes as a `message` event on it, as in BX24.js, whose own
 * listener (added before any other) takes the new token and sends the request again.
 *
 * `client: 'BX.rest'` is the on-premises `BX.rest` / `BX.RestClient` (rest.client.js) instead, which shares this
 * structure (reference §9.2) but calls back where BX24.js throws: a failed connection (XHR `onerror`, or status 0) as
 * `{ error: 'ERROR_NETWORK' }` with status 0, a reply it cannot read (5xx, not JSON) as `ERROR_UNEXPECTED_ANSWER`
 * with status 0, an empty body as `BLANK_ANSWER` (200) or `BLANK_ANSWER_WITH_ERROR_CODE`. It has no token refresh
 * (`expired_token` reaches the callback), and a batch that failed as a whole hands its error to every command. (It
 * signs requests with the session, not `auth`; the fake keeps `auth` and `getAuth`, which these tests do not read.)
 */
export function fakeBx24(
  portal: Portal,
  {
    parentAnswersRefresh = true,
    accessToken = 'a1b2c3d4e5f6a7b8c9d0',
    client = 'BX24' as 'BX24' | 'BX.rest',
    newToken = (n: number): string => `refreshed-token-${n}`,
    frame = undefined as EventTarget | undefined,
  } = {},
) {
  const restClient = client === 'BX.rest';
  const auth = { access_token: accessToken, refresh_token: 'f0e9d8c7b6a5f4e3d2c1', expires_in: 3600 };
  const state = { asked: [] as unknown[], sent: [] as string[], thrown: [] as unknown[], refreshes: 0 };
  // BX24.js listens for `message` on its window from the moment it loads: the parent frame posts its answers there
  // (`sendMessage.runCallback`), and a refreshAuth callback runs inside that event.
  const waiting = new Map<unknown, () => void>();
  frame?.addEventListener('message', (event) => {
    const { data } = event as MessageEvent;
    waiting.get(data)?.();
    waiting.delete(data);
  });

  class AjaxError {
    constructor(
      readonly status: number,
      readonly ex: unknown,
    ) {}
  }
  const ajaxResult = (answer: Record<string, unknown>, status: number): Bx24AjaxResult & { answer: unknown } => {
    if (typeof answer.error !== 'undefined') {
      answer.ex = new AjaxError(status, typeof answer.error === 'string' ? answer : answer.error);
    }
    return { answer, status, data: () => answer.result, error: () => answer.ex };
  };
  const isSuccess = (s: number) => (s >= 200 && s < 300) || s === 304 || (s >= 400 && s < 500) || s === 0;

  // BX24.js's ajax.prepareData (api/v1) without file inputs, as it walks: a string (a String object too:
  // `util.type.isString` takes `instanceof String`) or null is the data as it is, unescaped and, nested, without its
  // name; else `for…in` with the object's own `hasOwnProperty` (a TypeError on one made with `Object.create(null)`),
  // `name[key]=value` through encodeURIComponent for every value not of type `object` (so `true` is "true" and
  // undefined "undefined"), then the objects, in order: a DOM node (`nodeType` in it) as its `value` or nothing, a
  // Date (by its tag, any realm's) as its ISO string, an empty array (by its tag) as `name=`, anything else walked (a
  // Number object, a Map, which have no own keys, as nothing).
  const prepareData = (data: unknown, prefix: string): string => {
    if (typeof data === 'string' || data instanceof String || data == null) return `${data || ''}`;
    const tag = (value: unknown) => Object.prototype.toString.call(value);
    const parts: string[] = [];
    const objects: [string, object | null][] = [];
    for (const key in data as object) {
      // biome-ignore lint/suspicious/noPrototypeBuiltins: BX24.js calls it on the object itself
      if (!(data as object).hasOwnProperty(key)) continue;
      const name = prefix ? `${prefix}[${encodeURIComponent(key)}]` : encodeURIComponent(key);
      const value = (data as Record<string, unknown>)[key];
      if (typeof value === 'object') objects.push([name, value]);
      else parts.push(`${name}=${encodeURIComponent(value as string)}`);
    }
    for (const [name, value] of objects) {
      let part: string;
      if (value !== null && 'nodeType' in value) {
        const { value: text } = value as { value?: unknown };
        part = text === undefined ? '' : `${name}=${encodeURIComponent(text as string)}`;
      } else if (tag(value) === '[object Date]') part = `${name}=${encodeURIComponent((value as Date).toJSON())}`;
      else if (tag(value) === '[object Array]' && (value as unknown[]).length <= 0) part = `${name}=`;
      else part = prepareData(value, name);
      if (part) parts.push(part);
    }
    return parts.join('&');
  };

  /** The portal's `batch`: each command through `portal`, results and errors by key, `halt` at the first error. */
  const runBatch = (commands: Record<string, [string, Record<string, unknown>]>, halt: number): Reply => {
    const result: Record<string, unknown> = {};
    const result_error: Record<string, unknown> = {};
    for (const [key, [method, params]] of Object.entries(commands)) {
      const reply =
        (portal(method, params, '') as Reply | undefined) ?? fail(404, 'ERROR_METHOD_NOT_FOUND', 'Method not found!');
      const body = (reply as { body?: { result?: unknown; error?: unknown; error_description?: unknown } }).body;
      if (body?.error) {
        result_error[key] = { error: body.error, error_description: body.error_description };
        if (halt) break;
      } else result[key] = body?.result;
    }
    return ok({ result, result_error, result_total: [], result_next: [], result_time: [] });
  };

  // ajax.call: one request, answered a tick later (BX24.js sends from a timer, the XHR answers later still).
  const request = (
    method: string,
    params: Record<string, unknown>,
    callback: (result: ReturnType<typeof ajaxResult>) => void,
    answer: (body: string) => ReturnType<Portal> = (body) => portal(method, params, body),
  ): void => {
    const body = `auth=${auth.access_token}&${prepareData(params, '')}`;
    state.sent.push(`${method}: ${body}`);
    setTimeout(async () => {
      try {
        const reply = (await answer(body)) ?? fail(404, 'ERROR_METHOD_NOT_FOUND', 'Method not found!');
        if (restClient && (reply === 'network' || reply.status === 0)) {
          // rest.client.js's xhr.onerror (and onload with status 0): the request never got an answer.
          const description = 'A network error occurred while the request was being executed.';
          return callback(ajaxResult({ error: 'ERROR_NETWORK', error_description: description, ex: {} }, 0));
        }
        const unexpected = () =>
          ajaxResult(
            { error: 'ERROR_UNEXPECTED_ANSWER', error_description: 'Server returned an unexpected response.' },
            0,
          );
        if (reply === 'network' || !isSuccess(reply.status)) {
          if (restClient) return callback(unexpected());
          throw 'Query error!';
        }
        const text = reply.text ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
        let data: Record<string, unknown>;
        try {
          data =
            text.length > 0
              ? JSON.parse(text)
              : !restClient
                ? { result: {} }
                : reply.status === 200
                  ? { result: {}, error: 'BLANK_ANSWER', error_description: 'Empty answer with correct http code' }
                  : { result: {}, error: 'BLANK_ANSWER_WITH_ERROR_CODE', error_description: `HTTP ${reply.status}` };
        } catch {
          if (restClient) return callback(unexpected());
          throw 'Query error!';
        }
        if (!restClient && data.error && data.error === 'expired_token') {
          // ajax.refreshAuth: BX24.refreshAuth asks the parent frame, which hands out a new token, then the request
          // goes again with it.
          const n = ++state.refreshes;
          if (parentAnswersRefresh) {
            const refreshed = () => {
              auth.access_token = newToken(n);
              request(method, params, callback, answer);
            };
            setTimeout(() => {
              if (!frame) return refreshed();
              waiting.set(n, refreshed);
              frame.dispatchEvent(new MessageEvent('message', { data: n }));
            }, 1);
          }
          return;
        }
        callback(ajaxResult(data, reply.status));
      } catch (thrown) {
        state.thrown.push(thrown);
      }
    }, 1);
  };

  const bx24 = {
    state,
    asked: state.asked,
    getAuth: (): unknown => ({ ...auth }),
    callMethod(method: string, params: Record<string, unknown>, callback: (result: Bx24AjaxResult) => void) {
      state.asked.push([method, params]);
      request(method, params, callback);
    },
    callBatch(
      calls: readonly { method: string; params: Record<string, unknown> }[],
      callback: (results: Record<string, Bx24AjaxResult>) => void,
      bHaltOnError?: boolean,
    ) {
      state.asked.push(['batch', calls, bHaltOnError]);
      const cmd: Record<string, string> = Array.isArray(calls) ? ([] as never) : {};
      const commands: Record<string, [string, Record<string, unknown>]> = {};
      for (const [i, call] of Object.entries(calls as unknown as Record<string, unknown>)) {
        const [method, params] = Array.isArray(call)
          ? call
          : [(call as { method?: string })?.method, (call as { params?: unknown })?.params];
        if (!method) continue;
        commands[i] = [method, params as Record<string, unknown>];
        cmd[i] = `${method}?${prepareData(params, '')}`;
      }
      if (Object.keys(cmd).length === 0) return; // BX24.js sends nothing and never calls back
      const halt = bHaltOnError ? 1 : 0;
      const params = { halt, cmd };
      const answer = async (body: string) => (await portal('batch', params, body)) ?? runBatch(commands, halt);
      request(
        'batch',
        params,
        (res) => {
          // ajax.batch's callback. For a batch that failed as a whole `data.result[i]` throws in BX24.js (no
          // callback); BX.rest checks `data.result` first and gives every command the batch's error instead.
          const data = res.data() as Record<string, Record<string, unknown>> | undefined;
          const error = res.error() as { ex: unknown } | undefined;
          const results: Record<string, Bx24AjaxResult> = Array.isArray(calls) ? ([] as never) : {};
          for (const i of Object.keys(commands)) {
            if (restClient && !data?.result) {
              if (error) results[i] = ajaxResult({ result: {}, error: error.ex }, res.status as number);
            } else if (typeof data!.result![i] !== 'undefined' || typeof data!.result_error![i] !== 'undefined') {
              const answer = {
                result: typeof data!.result![i] !== 'undefined' ? data!.result![i] : {},
                error: data!.result_error![i] || undefined,
              };
              results[i] = ajaxResult(answer, res.status as number);
            }
          }
          callback(results);
        },
        answer,
      );
    },
  };
  return bx24;
}
