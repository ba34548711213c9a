import { checkEndpoint } from './checkEndpoint';
import { createRedactor } from './createRedactor';
import { createRestTransport, type NodeTransport, type TransportOptions } from './createRestTransport';
import { inputError } from './inputError';

/** Options for {@link createWebhookTransport}. */
export type WebhookTransportOptions = TransportOptions;

const WEBHOOK_PATH = /^(.*\/rest\/)(\d+)\/([^/]+)\/?$/;

/**
 * A transport for an incoming webhook, `https://<portal>/rest/<userId>/<code>/`. The webhook code is the whole
 * credential, so it lives only in this closure: errors, `toString` and JSON of everything this returns are
 * built without it.
 *
 * @example
 * ```ts
 * const transport = createWebhookTransport(process.env.B24_WEBHOOK!);
 * await transport.call('im.dialog.writing', { DIALOG_ID: 'chat42' });
 * ```
 */
export function createWebhookTransport(url: string | URL, options: WebhookTransportOptions = {}): NodeTransport {
  if (typeof options !== 'object' || options === null) throw inputError('options', 'an object');
  const base = checkEndpoint(url, 'url', options.allowInsecure === true);
  const match = WEBHOOK_PATH.exec(base.pathname);
  if (!match || base.search !== '' || base.hash !== '') {
    throw inputError('url', 'a webhook base URL https://<portal>/rest/<userId>/<code>/');
  }
  let code: string;
  try {
    code = decodeURIComponent(match[3]!);
  } catch {
    throw inputError('url', 'a webhook base URL whose code has valid percent-encoding');
  }
  const redactor = createRedactor();
  redactor.add(code);
  redactor.add(match[3]!);
  const root = new URL(`${match[1]}${match[2]}/${match[3]}/`, base.origin);
  const transport = createRestTransport(
    {
      prepare: (method, params) => ({ url: new URL(method, root), body: params, credentials: 0 }),
      redactor,
    },
    options,
  );
  return describe(transport, `WebhookTransport(${base.origin}, user ${match[2]})`);
}

/**
 * A `toString`/`toJSON`/inspect that shows where a transport points, never how it authenticates. A function label
 * is read each time: an OAuth transport follows the portal to a new domain.
 */
export function describe<T extends object>(transport: T, label: string | (() => string)): T {
  const text = typeof label === 'function' ? label : () => label;
  return Object.assign(transport, {
    toString: text,
    toJSON: text,
    [Symbol.for('nodejs.util.inspect.custom')]: text,
  });
}
