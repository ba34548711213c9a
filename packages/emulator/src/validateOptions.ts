import type { EmulatorOptions, PlanOption } from './types';

/**
 * Input errors of the emulator's own API are `TypeError`s whose message starts with the function and names the
 * option or argument (`startEmulator: seed must be …`). They never quote a credential (secret, token, webhook code).
 */
export function fail(where: string, message: string): never {
  throw new TypeError(`${where}: ${message}`);
}

/** A short, printable rendering of a rejected value (not used for credentials). */
export function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (value !== null && typeof value === 'object') return 'an object';
  return String(value);
}

export function isPositiveNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

export function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function positive(name: string, value: unknown): void {
  if (value !== undefined && !isPositiveNumber(value)) {
    fail('startEmulator', `${name} must be a positive number, got ${shown(value)}`);
  }
}

/** A plain object: not null, not an array. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Scopes given by name (`['im', 'imbot']`): a webhook's, an app's. */
export function checkScopes(where: string, path: string, value: unknown): void {
  if (value !== undefined && !(Array.isArray(value) && value.every((s) => typeof s === 'string' && s !== ''))) {
    fail(where, `${path} must be a list of scope names, got ${shown(value)}`);
  }
}

/** A plan is a known name or `{perSecond, burst}` with finite perSecond > 0 and burst >= 1. */
function checkPlan(plan: PlanOption): void {
  if (plan === 'off' || plan === 'standard' || plan === 'enterprise') return;
  if (!isRecord(plan)) {
    fail('startEmulator', `plan must be 'standard', 'enterprise', 'off' or {perSecond, burst}, got ${shown(plan)}`);
  }
  const { perSecond, burst } = plan;
  if (!(isPositiveNumber(perSecond) && isPositiveNumber(burst) && burst >= 1)) {
    fail(
      'startEmulator',
      `plan needs finite perSecond > 0 and burst >= 1, got perSecond ${shown(perSecond)}, burst ${shown(burst)}`,
    );
  }
}

const BUFFERISH = (value: unknown) =>
  (typeof value === 'string' && value !== '') || (value instanceof Uint8Array && value.length > 0);

/** Bad options fail at start, before anything listens, with the option's name, not later as odd behaviour. */
export function validateOptions(options: EmulatorOptions): void {
  if (!isRecord(options as unknown)) fail('startEmulator', `options must be an object, got ${shown(options)}`);
  positive('tokenTtlSec', options.tokenTtlSec);
  positive('clientLifetimeSec', options.clientLifetimeSec);
  positive('maxBodyBytes', options.maxBodyBytes);
  const { port, host, seed, now, operating, cors, tls, domain, faults } = options;
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65_535)) {
    fail('startEmulator', `port must be an integer 0..65535, got ${shown(port)}`);
  }
  if (host !== undefined && !(typeof host === 'string' && /^\S+$/.test(host))) {
    // An empty host would make Node listen on every interface.
    fail('startEmulator', `host must be a non-empty address without spaces, got ${shown(host)}`);
  }
  const limit = options.timelineLimit;
  if (limit !== undefined && !isPositiveInteger(limit)) {
    fail('startEmulator', `timelineLimit must be a positive integer (entries kept), got ${shown(limit)}`);
  }
  if (options.rateLimitStatus !== undefined && options.rateLimitStatus !== 503 && options.rateLimitStatus !== 429) {
    fail('startEmulator', `rateLimitStatus must be 503 or 429, got ${shown(options.rateLimitStatus)}`);
  }
  if (options.plan !== undefined) checkPlan(options.plan);
  // The PRNG reads its seed as a uint32: anything else would silently become another seed (NaN, 'x' → 0; 1.5 → 1).
  if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0 && seed <= 0xffff_ffff)) {
    fail('startEmulator', `seed must be an integer 0..4294967295, got ${shown(seed)}`);
  }
  if (now !== undefined) {
    if (typeof now !== 'function')
      fail('startEmulator', `now must be a function returning epoch ms, got ${shown(now)}`);
    const t = now();
    if (!(typeof t === 'number' && Number.isFinite(t))) {
      fail('startEmulator', `now() must return a finite number (epoch ms), got ${shown(t)}`);
    }
  }
  if (operating !== undefined && operating !== false) {
    if (!isRecord(operating)) fail('startEmulator', `operating must be false or an object, got ${shown(operating)}`);
    positive('operating.budgetSec', operating.budgetSec);
    const cost = operating.costSec;
    if (
      cost !== undefined &&
      typeof cost !== 'function' &&
      !(typeof cost === 'number' && Number.isFinite(cost) && cost >= 0)
    ) {
      fail('startEmulator', `operating.costSec must be a number >= 0 or a function, got ${shown(cost)}`);
    }
  }
  if (
    cors !== undefined &&
    cors !== 'loopback' &&
    typeof cors !== 'boolean' &&
    !(Array.isArray(cors) && cors.every((origin) => typeof origin === 'string'))
  ) {
    fail('startEmulator', `cors must be 'loopback', true, false or a list of origins, got ${shown(cors)}`);
  }
  if (tls !== undefined && !(isRecord(tls) && BUFFERISH(tls.cert) && BUFFERISH(tls.key))) {
    fail('startEmulator', 'tls must be {cert, key}, each a non-empty PEM string or Buffer');
  }
  if (domain !== undefined && !(typeof domain === 'string' && domain !== '')) {
    fail('startEmulator', `domain must be a non-empty string, got ${shown(domain)}`);
  }
  if (faults !== undefined && !Array.isArray(faults)) {
    fail('startEmulator', `faults must be an array of fault specs, got ${shown(faults)}`);
  }
  if (options.initial !== undefined && !isRecord(options.initial)) {
    fail('startEmulator', `initial must be a seed object, got ${shown(options.initial)}`);
  }
}

/** Server time one call is charged, checked: a `costSec` function returning NaN would disable the limit unseen. */
export function checkedCost(method: string, cost: unknown): number {
  if (!(typeof cost === 'number' && Number.isFinite(cost) && cost >= 0)) {
    fail('startEmulator', `operating.costSec(${JSON.stringify(method)}) must return a number >= 0, got ${shown(cost)}`);
  }
  return cost;
}
