/**
 * The shell line that plays one scenario of an end-to-end property alone, from `integration/`:
 * `E2E_ONLY='<scenario JSON>' npx vitest run <testFile>`. fast-check prints a counterexample in its own form (wrapped in
 * the property's argument array, `undefined` where JSON has no such value), which `E2E_ONLY` (plain JSON) does not
 * read without hand editing; this line is copied as it is. JSON drops a field that is `undefined`, which the scenarios
 * read the same as absent (an optional field), and the JSON is quoted for a POSIX shell, a `'` in it included.
 */
export function replayLine(testFile: string, scenario: unknown): string {
  const json = JSON.stringify(scenario);
  return `E2E_ONLY='${json.replaceAll("'", `'\\''`)}' npx vitest run ${testFile}`;
}
