import { inspect } from 'node:util';
import { expect } from 'vitest';

/**
 * Every error a test file produces goes through `seen`, and `expectNoSecrets` then greps all of them, in every
 * form a user could print or ship (message, String, JSON, util.inspect with causes), for the secrets in play.
 */
export function createErrorLog() {
  const errors: unknown[] = [];
  return {
    seen<T>(error: T): T {
      errors.push(error);
      return error;
    },
    /** Resolves with the rejection of `promise` (recorded), or fails the test if it resolved. */
    async rejection(promise: Promise<unknown>): Promise<Record<string, unknown>> {
      try {
        await promise;
      } catch (error) {
        errors.push(error);
        return error as Record<string, unknown>;
      }
      throw new Error('expected a rejection');
    },
    expectNoSecrets(secrets: readonly string[]) {
      expect(errors.length).toBeGreaterThan(0);
      for (const error of errors) {
        const forms = [
          String(error),
          (error as Error).message,
          JSON.stringify(error),
          inspect(error, { depth: 10, showHidden: true }),
        ].join('\n');
        for (const secret of secrets) expect(forms.includes(secret), `${secret} leaked in ${forms}`).toBe(false);
      }
      return errors.length;
    },
  };
}
