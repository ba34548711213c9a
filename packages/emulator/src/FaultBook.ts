import { ERROR_CATALOG } from './errorCatalog';
import { RestError } from './RestError';
import type { Fault, FaultSpec } from './types';

/** The method name faults use for the refresh endpoint `/oauth/token/`. */
export const OAUTH_TOKEN = 'oauth.token';

/** Injected faults, matched per REST call in the order they were added; the first hit wins. */
export class FaultBook {
  private faults: Fault[] = [];
  private nextId = 1;
  hits = 0;

  constructor(private readonly random: () => number) {}

  add(spec: FaultSpec): Fault {
    validateFault(spec);
    const fault: Fault = { ...spec, method: spec.method ?? '*', id: this.nextId++, hits: 0 };
    this.faults.push(fault);
    return fault;
  }

  list(): Fault[] {
    return this.faults.map((fault) => ({ ...fault }));
  }

  remove(id: number): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((fault) => fault.id !== id);
    return this.faults.length < before;
  }

  clear(): void {
    this.faults = [];
  }

  /** The fault that hits this call, if any; `inBatch` sub-commands only take error replies. */
  match(method: string, inBatch: boolean): Fault | null {
    const name = method.toLowerCase();
    for (const fault of this.faults) {
      // `'*'` means every REST call; the refresh endpoint is hit only when named.
      if (fault.method === '*' ? name === OAUTH_TOKEN : fault.method!.toLowerCase() !== name) continue;
      if (inBatch && !isErrorReply(fault)) continue;
      if (fault.probability !== undefined && this.random() >= fault.probability) continue;
      fault.hits++;
      this.hits++;
      if (fault.times !== undefined && fault.hits >= fault.times) this.remove(fault.id);
      return fault;
    }
    return null;
  }
}

/** A fault that only replaces the reply with an error envelope: the one kind a batch sub-command can take. */
function isErrorReply(fault: FaultSpec): boolean {
  const replyBroken = fault.body !== undefined || fault.truncate || fault.stallBody || fault.reset || fault.hang;
  return Boolean(fault.status || fault.error) && !replyBroken;
}

function validateFault(spec: FaultSpec): void {
  if (spec === null || typeof spec !== 'object') throw new TypeError('fault must be an object');
  const actions = [
    spec.reset,
    spec.hang,
    spec.status !== undefined || spec.error !== undefined,
    spec.latencyMs,
    spec.body !== undefined,
    spec.truncate,
    spec.stallBody,
  ];
  if (!actions.some(Boolean)) {
    throw new TypeError('fault needs one of status/error, body, truncate, stallBody, reset, hang or latencyMs');
  }
  if (spec.method !== undefined && !(typeof spec.method === 'string' && spec.method !== '')) {
    // Checked here, not at match time, where it would break every later call with a 500.
    throw new TypeError("fault.method must be a method name, 'oauth.token' or '*'");
  }
  for (const key of ['error', 'description'] as const) {
    if (spec[key] !== undefined && typeof spec[key] !== 'string') throw new TypeError(`fault.${key} must be a string`);
  }
  if (spec.body !== undefined && typeof spec.body !== 'string') throw new TypeError('fault.body must be a string');
  if (spec.contentType !== undefined && (typeof spec.contentType !== 'string' || /[\r\n]/.test(spec.contentType))) {
    throw new TypeError('fault.contentType must be a single-line string');
  }
  if (spec.body !== undefined && spec.error !== undefined) {
    throw new TypeError('fault.body replaces the reply: give status with it, not error');
  }
  if (spec.truncate && spec.stallBody) throw new TypeError('fault.truncate and fault.stallBody exclude each other');
  if (spec.hang && (spec.truncate || spec.stallBody || spec.body !== undefined)) {
    throw new TypeError('fault.hang sends no reply: it does not combine with body, truncate or stallBody');
  }
  if (spec.stallBody && spec.reset) throw new TypeError('fault.stallBody and fault.reset exclude each other');
  if (spec.status !== undefined && !(Number.isInteger(spec.status) && spec.status >= 100 && spec.status <= 599)) {
    throw new TypeError('fault.status must be an HTTP status 100..599');
  }
  if (spec.probability !== undefined && !(spec.probability >= 0 && spec.probability <= 1)) {
    throw new TypeError('fault.probability must be within 0..1');
  }
  if (spec.times !== undefined && !(Number.isInteger(spec.times) && spec.times > 0)) {
    throw new TypeError('fault.times must be a positive integer');
  }
  if (spec.latencyMs !== undefined && !(spec.latencyMs >= 0 && Number.isFinite(spec.latencyMs))) {
    throw new TypeError('fault.latencyMs must be a non-negative number');
  }
}

/** The error reply of a fault: its own status/description, else the catalog's for its code. */
export function faultError(fault: Fault): RestError {
  const code = fault.error ?? 'INTERNAL_SERVER_ERROR';
  const known = (ERROR_CATALOG as Record<string, readonly [number, string]>)[code];
  return new RestError(code, fault.description ?? known?.[1] ?? 'Injected fault', fault.status ?? known?.[0] ?? 500);
}
