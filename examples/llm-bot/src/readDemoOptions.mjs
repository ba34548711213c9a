// `pnpm demo`'s options, read by scripts/demo.mjs before it installs anything (a typo on a fresh clone must not cost a
// full install) and by demo.ts (run by tsx, after the install) alike. Plain JavaScript with Node built-ins only, so
// that the launcher can import it before node_modules exists; one parser, so the two can never disagree.
import { parseArgs } from 'node:util';

/** The ports the demo serves on when none is given; a default that is taken is replaced by a free one. */
export const DEFAULT_PORT = 8024;
export const DEFAULT_UI_PORT = 5173;

/** A mistyped option: one line naming it and where the options are listed, exit code 2. */
export class UsageError extends Error {
  /** What the person sees on stderr: one line, pointing at the full list rather than printing it. */
  get line() {
    return `demo: ${this.message} (pnpm demo --help lists the options)\n`;
  }
}

/**
 * A port to serve on, and whether the person asked for it (a taken one is then an error, not moved elsewhere).
 * @typedef {{ readonly port: number, readonly chosen: boolean }} PortChoice
 */

/**
 * A port flag: 1..65535 (0 would print a URL nobody can open).
 * @param {string} name
 * @param {string} value
 * @returns {number}
 */
function portFlag(name, value) {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65_535) {
    throw new UsageError(`--${name} must be a port 1..65535, got ${JSON.stringify(value)}`);
  }
  return n;
}

/**
 * The flags as given; a mistyped one is a `UsageError`.
 * @param {readonly string[]} args
 */
function parseFlags(args) {
  try {
    return parseArgs({
      // `pnpm demo -- --flag` passes the `--` through
      args: args.filter((arg) => arg !== '--'),
      options: {
        smoke: { type: 'boolean', default: false },
        port: { type: 'string' },
        'ui-port': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (error) {
    // Node's message goes on to advise about `--` and positionals: its first sentence is the news.
    throw new UsageError(String(error instanceof Error ? error.message : error).split('. ')[0]);
  }
}

/**
 * The demo's options, or 'help'; anything mistyped is a `UsageError`. Checks only what needs no network (whether a
 * port is taken is the demo's to find out, when it binds).
 * @param {readonly string[]} args
 * @returns {'help' | { smoke: boolean, port: PortChoice, uiPort: PortChoice }}
 */
export function readDemoOptions(args) {
  const values = parseFlags(args);
  if (values.help) return 'help';
  /** @type {(name: string, value: string | undefined, byDefault: number) => PortChoice} */
  const choice = (name, value, byDefault) =>
    value === undefined ? { port: byDefault, chosen: false } : { port: portFlag(name, value), chosen: true };
  const port = choice('port', values.port, DEFAULT_PORT);
  const uiPort = choice('ui-port', values['ui-port'], DEFAULT_UI_PORT);
  // The emulator binds first: a chat UI port asked to be the emulator's would be taken by it, and moved.
  if (uiPort.chosen && uiPort.port === port.port) {
    const whose = port.chosen ? '--port' : 'its default';
    throw new UsageError(`--ui-port ${uiPort.port} is the emulator's port too (${whose}); they must differ`);
  }
  return { smoke: Boolean(values.smoke), port, uiPort };
}
