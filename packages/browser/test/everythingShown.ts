import { inspect } from 'node:util';

/** All an error shows of itself, where a secret must not be: `toString`, its JSON and Node's inspection (stack too). */
export function everythingShown(error: unknown): string {
  return `${String(error)} ${JSON.stringify(error)} ${inspect(error, { depth: 5 })}`;
}
