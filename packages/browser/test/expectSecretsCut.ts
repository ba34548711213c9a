import { expect } from 'vitest';
import { everythingShown } from './everythingShown';

/**
 * Each of `errors` is the portal's `ERROR_ARGUMENT` whose description quoted `secrets` (as given and URL-encoded, see
 * the tests' `quote`), with both forms cut out of all it shows.
 */
export function expectSecretsCut(errors: readonly unknown[], secrets: readonly string[]): void {
  for (const error of errors) {
    expect(error).toMatchObject({ name: 'B24Error', code: 'ERROR_ARGUMENT', kind: 'input' });
    expect((error as Error).message).toBe('ERROR_ARGUMENT: Wrong token "***" (***)');
    expectNoSecretShown(error, secrets);
  }
}

/** None of `secrets`, as given or URL-encoded, in anything `error` shows (`everythingShown`); `where` names it. */
export function expectNoSecretShown(error: unknown, secrets: Iterable<string>, where = 'the error'): void {
  const text = everythingShown(error);
  for (const secret of secrets) {
    expect(text, `${where} shows a secret`).not.toContain(secret);
    expect(text, `${where} shows a secret`).not.toContain(encodeURIComponent(secret));
  }
}
