import { ERROR_CATALOG } from './errorCatalog';
import { RestError } from './RestError';
import type { Fault, FaultSpec } from './types';

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
      if (fault.method !== '*' && fault.method!.toLowerCase() !== name) continue;
      if (inBatch && !(fault.status || fault.error)) continue;
      if (fault.probability !== undefined && this.random() >= fault.probability) continue;
      fault.hits++;
      this.hits++;
      if (fault.times !== undefined && fault.hits >= fault.times) this.remove(fault.id);
      return fault;
    }
    return null;
  }
}

function validateFault(spec: FaultSpec): void {
  if (spec === null || typeof spec !== 'object') throw new TypeError('fault must be an object');
  const actions = [spec.reset, spec.hang, spec.status !== undefined || spec.error !== undefined, spec.latencyMs];
  if (!actions.some(Boolean)) throw new TypeError('fault needs one of status/error, reset, hang or latencyMs');
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
