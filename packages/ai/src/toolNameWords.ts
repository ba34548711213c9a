/**
 * One word of a name: an acronym (`SQL` of `runSQLQuery`, ending before the capital that starts the next word; with
 * its plural `s`: `URLs` of `fetchURLs`, not `UR` and `Ls`), a capitalised or lower-case word, or a number. Anything
 * else (`_`, `-`, `.`, a space) only separates words.
 */
const WORD = /\p{Lu}+s?(?!\p{Ll})|\p{Lu}?[\p{Ll}\p{Lo}\p{Lt}\p{Lm}\p{M}]+|\p{N}+/gu;

/**
 * The words of a tool name, or of a rule's string, lower-cased: `fetchURLContent` → fetch, url, content;
 * `code_execution`, `codeExecution` and `CodeExecution` → code, execution. Tool names come in every case style, and a
 * rule must match the same words in all of them, and no word that merely contains it (`file` in `getUserProfile`).
 */
export function toolNameWords(name: string): string[] {
  return (name.match(WORD) ?? []).map((word) => word.toLowerCase());
}
