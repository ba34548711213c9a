import { parseArgs } from 'node:util';
import { B24InputError, MAX_BOT_TOKEN_LENGTH, validateBotToken } from '@b24-typing/core';
import { createWebhookTransport } from '@b24-typing/node';
import { isHttpUrl } from './isHttpUrl';

/** The CLI's flags and variables, read and checked; nothing started yet. */
export interface CliOptions {
  readonly mode: 'fetch' | 'webhook';
  /** The embedded emulator's port (used without `portalUrl`). */
  readonly emulatorPort: number;
  readonly pollMs?: number;
  readonly webhookPort?: number;
  readonly publicUrl?: string;
  /** `B24_WEBHOOK_URL`: a portal's webhook; without it the CLI starts an emulator of its own. */
  readonly portalUrl?: string;
  readonly botToken: string;
  /** Webhook mode on a portal (required there); on the embedded emulator, that emulator's own when unset. */
  readonly applicationToken?: string;
}

/** The embedded emulator's bot token when `B24_BOT_TOKEN` is unset: the emulator is the CLI's own. */
export const DEMO_BOT_TOKEN = 'llm-bot-demo-token';

const OPTIONS = {
  events: { type: 'string', default: 'fetch' },
  'poll-ms': { type: 'string' },
  'webhook-port': { type: 'string' },
  'public-url': { type: 'string' },
  'emulator-port': { type: 'string', default: '8024' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * Every flag and variable of the CLI (the model's are `createModel`'s), checked before anything listens or calls the
 * network: a bad one is a `B24InputError` naming it, not a bot that started and then failed, nor one that ran on with
 * a default instead. A flag of the other mode (`--webhook-port` in fetch mode) is refused: it would have no effect.
 * No value that may be a secret is echoed (a URL, a token, a stray argument: a webhook URL pasted without its flag).
 */
export function readCliOptions(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): CliOptions | 'help' {
  const values = parseFlags(args);
  if (values.help) return 'help';
  const mode = values.events;
  if (mode !== 'fetch' && mode !== 'webhook') {
    throw new B24InputError('--events', 'fetch or webhook', echoed(mode));
  }
  const number = (name: 'emulator-port' | 'webhook-port' | 'poll-ms', max: number) => {
    const value = values[name];
    if (value === undefined) return undefined;
    const n = Number(value);
    // `Number('')` is 0: an empty value is no number
    if (value.trim() === '' || !Number.isInteger(n) || n < 0 || n > max) {
      throw new B24InputError(`--${name}`, `an integer from 0 to ${max}`, echoed(value));
    }
    return n;
  };
  const emulatorPort = number('emulator-port', 65_535) ?? 8024;
  const webhookPort = number('webhook-port', 65_535);
  // setTimeout's range
  const pollMs = number('poll-ms', 2_147_483_647);
  const publicUrl = values['public-url'];
  if (publicUrl !== undefined && !isHttpUrl(publicUrl)) {
    throw new B24InputError('--public-url', 'an absolute http(s) URL the portal can post to');
  }
  // Read and checked, then left unused, the bot would start silently in the mode the flag is not for.
  for (const [flag, value, flagMode] of [
    ['--poll-ms', pollMs, 'fetch'],
    ['--webhook-port', webhookPort, 'webhook'],
    ['--public-url', publicUrl, 'webhook'],
  ] as const) {
    if (value !== undefined && mode !== flagMode) {
      throw new B24InputError(flag, `given with --events ${flagMode} only (it has no effect in ${mode} mode)`);
    }
  }

  const portalUrl = env.B24_WEBHOOK_URL?.trim() || undefined;
  if (portalUrl !== undefined) refuseBadWebhookUrl(portalUrl);
  const botToken = env.B24_BOT_TOKEN?.trim() || (portalUrl ? undefined : DEMO_BOT_TOKEN);
  if (botToken === undefined) {
    throw new B24InputError(
      'B24_BOT_TOKEN',
      `set with B24_WEBHOOK_URL: a token you choose, at most ${MAX_BOT_TOKEN_LENGTH} characters without blanks`,
    );
  }
  validateBotToken(botToken, 'B24_BOT_TOKEN'); // tells its length only
  const applicationToken = env.B24_APPLICATION_TOKEN?.trim() || undefined;
  if (mode === 'webhook' && portalUrl && !applicationToken) {
    throw new B24InputError('B24_APPLICATION_TOKEN', "set in webhook mode (see your portal's app settings)");
  }
  return {
    mode,
    emulatorPort,
    ...(pollMs === undefined ? {} : { pollMs }),
    ...(webhookPort === undefined ? {} : { webhookPort }),
    ...(publicUrl === undefined ? {} : { publicUrl }),
    ...(portalUrl === undefined ? {} : { portalUrl }),
    botToken,
    ...(applicationToken === undefined ? {} : { applicationToken }),
  };
}

/**
 * `B24_WEBHOOK_URL` as the transport the CLI makes of it will take it, checked by that transport itself (made here and
 * closed unused: no request goes out), so the two never disagree. Its own refusal names its option `url` and offers
 * `allowInsecure`, which the CLI cannot set; neither shows the URL, which holds the webhook code.
 */
function refuseBadWebhookUrl(url: string): void {
  try {
    void createWebhookTransport(url)
      .close()
      .catch(() => {});
  } catch (error) {
    if (!(error instanceof B24InputError)) throw error;
    throw new B24InputError(
      'B24_WEBHOOK_URL',
      "a portal's incoming webhook, https://<portal>/rest/<userId>/<code>/ (plain http to this machine only)",
    );
  }
}

/** The flags as given; a mistyped one is a `B24InputError` naming it (Node's own error is a TypeError). */
function parseFlags(args: readonly string[]) {
  try {
    // `pnpm start -- --flag` passes the `--` through
    return parseArgs({ args: args.filter((arg) => arg !== '--'), options: OPTIONS }).values;
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string };
    // Node names the option in quotes ("Unknown option '--foo'", "Option '--events <value>' argument missing"),
    // never its value; a stray argument it quotes whole, and that may be a webhook URL: not repeated.
    const flag = /'(-[^' ,]*)/.exec(message ?? '')?.[1];
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' || flag === undefined) {
      throw new B24InputError('arguments', 'flags only (--name value), as --help lists them');
    }
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new B24InputError(flag, 'one of the flags --help lists');
    const [name, option] =
      Object.entries(OPTIONS).find(([n, o]) => flag === `--${n}` || ('short' in o && flag === `-${o.short}`)) ?? [];
    throw new B24InputError(
      name === undefined ? flag : `--${name}`,
      option?.type === 'boolean' ? 'given without a value' : 'given a value (--name value, or --name=value)',
    );
  }
}

/**
 * A flag's value as an error shows it, when it looks like the typo it likely is (`pigeon`, `1e12`); anything longer
 * or with other characters may be a URL or a token pasted in the wrong place, and is not repeated.
 */
const echoed = (value: string) => (/^[\w.+-]{0,20}$/.test(value) ? JSON.stringify(value) : 'a value not shown');
