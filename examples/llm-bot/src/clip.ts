/**
 * The first `max` characters of `text`, counted in code points. `slice` counts UTF-16 units, so a cut there could
 * split an emoji's surrogate pair and leave half of it: a broken character in the log line or the chat message the
 * cut text ends up in. Code points rather than graphemes keep the result's length bounded (a grapheme may hold any
 * number of combining marks); a flag or a family emoji may lose its tail, never become invalid text.
 */
export function clip(text: string, max: number): string {
  let units = 0;
  let count = 0;
  for (const char of text) {
    if (count++ === max) break;
    units += char.length;
  }
  return text.slice(0, units);
}
