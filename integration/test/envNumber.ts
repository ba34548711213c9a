/**
 * A sweep's numeric setting from the environment (`E2E_RUNS`, `E2E_SEED`, …): `fallback` when it is unset or blank,
 * else its value, which must be an integer, `min` at least. `Number('')` is 0 and `Number('1k')` NaN, either of which
 * made a sweep run no scenario at all and pass (as `E2E_RUNS=0` would: its `min` is 1).
 */
export function envNumber(name: string, fallback: number, min?: number): number;
export function envNumber(name: string, fallback?: number, min?: number): number | undefined;
export function envNumber(name: string, fallback?: number, min = Number.MIN_SAFE_INTEGER): number | undefined {
  const raw = process.env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) {
    const least = min === Number.MIN_SAFE_INTEGER ? '' : ` of at least ${min}`;
    throw new Error(`${name} must be an integer${least}, got ${JSON.stringify(raw)}`);
  }
  return value;
}
