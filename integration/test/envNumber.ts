/**
 * A sweep's numeric setting from the environment (`E2E_RUNS`, `E2E_SEED`, …): `fallback` when it is unset or blank,
 * else its value, which must be an integer. `Number('')` is 0 and `Number('1k')` NaN, either of which made a sweep
 * run no scenario at all and pass.
 */
export function envNumber(name: string, fallback: number): number;
export function envNumber(name: string, fallback?: number): number | undefined;
export function envNumber(name: string, fallback?: number): number | undefined {
  const raw = process.env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer, got ${JSON.stringify(raw)}`);
  return value;
}
