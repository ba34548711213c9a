import { parseArgs } from 'node:util';
import type { CorsOption, EmulatorOptions, PlanOption } from './types';

export const USAGE = `Usage: b24-emulator [options]

  --port <n>             TCP port (default 8024; 0 = random)
  --host <addr>          listen address (default 127.0.0.1)
  --plan <p>             standard | enterprise | off | <perSecond>/<burst> (default standard)
  --token-ttl <s>        OAuth access-token lifetime in seconds (default 3600)
  --client-lifetime <s>  how long an indicator without duration stays visible (default 25)
  --cors <origin>        allowed origin; repeat for more, '*' for any, 'off' for none (default: loopback origins)
  --cert <file> --key <file>   serve HTTPS
  --seed <n>             PRNG seed for fault probabilities and tokens (integer 0..4294967295)
  --timeline-limit <n>   timeline entries kept, the newest n (default 100000); seq numbers keep counting
  -h, --help
`;

export interface CliResult {
  help: boolean;
  usage: string;
  options: Omit<EmulatorOptions, 'tls'> & { cert?: string; key?: string };
}

// Every value a check lets through is one startEmulator's own validation accepts (validateOptions.ts,
// checkPlan), so a bad value is this CLI's usage error (exit 2), never startEmulator's throw (exit 1). Where a check
// is narrower (decimal digits for integers, a whole burst) that is the flag's spelling, not a gap.

/** `Number(value)`, except that an empty or blank value (which `Number` reads as 0) is NaN. */
function toNumber(value: string): number {
  return value.trim() === '' ? Number.NaN : Number(value);
}

/** A number > 0: `tokenTtlSec`, `clientLifetimeSec`. */
function positiveNumber(name: string, value: string): number {
  const n = toNumber(value);
  if (!(Number.isFinite(n) && n > 0)) throw new Error(`--${name} must be a number > 0, got ${JSON.stringify(value)}`);
  return n;
}

/** Decimal digits only, in min..max: `port` (0..65535), `seed` (a uint32), `timelineLimit` (>= 1). */
function integerIn(name: string, value: string, min: number, max: number, what: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new Error(`--${name} must be ${what}, got ${JSON.stringify(value)}`);
  }
  return n;
}

export function parsePlan(value: string): PlanOption {
  if (value === 'standard' || value === 'enterprise' || value === 'off') return value;
  const match = /^(\d+(?:\.\d+)?)\/(\d+)$/.exec(value);
  if (!match)
    throw new Error(`--plan must be standard, enterprise, off or <perSecond>/<burst>, got ${JSON.stringify(value)}`);
  const perSecond = Number(match[1]);
  const burst = Number(match[2]);
  if (!(Number.isFinite(perSecond) && perSecond > 0 && Number.isFinite(burst) && burst >= 1)) {
    throw new Error(`--plan <perSecond>/<burst> needs perSecond > 0 and burst >= 1, got ${JSON.stringify(value)}`);
  }
  return { perSecond, burst };
}

/** Parses the CLI flags into emulator options; throws with a message naming the flag on bad input. */
export function parseCliArgs(argv: readonly string[]): CliResult {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      plan: { type: 'string' },
      'token-ttl': { type: 'string' },
      'client-lifetime': { type: 'string' },
      cors: { type: 'string', multiple: true },
      cert: { type: 'string' },
      key: { type: 'string' },
      seed: { type: 'string' },
      'timeline-limit': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const options: CliResult['options'] = { port: 8024 };
  if (values.port !== undefined) options.port = integerIn('port', values.port, 0, 65_535, 'an integer 0..65535');
  if (values.host !== undefined) {
    // An empty host would listen on every interface.
    if (!/^\S+$/.test(values.host)) {
      throw new Error(`--host must be an address without spaces, got ${JSON.stringify(values.host)}`);
    }
    options.host = values.host;
  }
  if (values.plan !== undefined) options.plan = parsePlan(values.plan);
  if (values['token-ttl'] !== undefined) options.tokenTtlSec = positiveNumber('token-ttl', values['token-ttl']);
  if (values['client-lifetime'] !== undefined) {
    options.clientLifetimeSec = positiveNumber('client-lifetime', values['client-lifetime']);
  }
  if (values.cors !== undefined) {
    const list = values.cors;
    let cors: CorsOption = list;
    if (list.includes('*')) cors = true;
    else if (list.includes('off')) cors = false;
    else if (list.length === 1 && list[0] === 'loopback') cors = 'loopback';
    options.cors = cors;
  }
  if ((values.cert === undefined) !== (values.key === undefined)) throw new Error('--cert and --key go together');
  if (values.cert !== undefined) options.cert = values.cert;
  if (values.key !== undefined) options.key = values.key;
  if (values.seed !== undefined) {
    options.seed = integerIn('seed', values.seed, 0, 0xffff_ffff, 'an integer 0..4294967295');
  }
  if (values['timeline-limit'] !== undefined) {
    options.timelineLimit = integerIn(
      'timeline-limit',
      values['timeline-limit'],
      1,
      Number.MAX_SAFE_INTEGER,
      'a positive integer',
    );
  }
  return { help: values.help === true, usage: USAGE, options };
}
