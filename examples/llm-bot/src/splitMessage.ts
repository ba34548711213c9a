import { clip } from './clip';

/**
 * The portal's limit on a message, in characters (code points, as PHP's mb_ functions count): it keeps the first
 * 20,000 of a longer one and appends " (...)" (reference §4.3; the module source, `Message::setMessage`, cuts only past
 * 20,006, so 20,000 is on the safe side), silently dropping the rest of an answer. It also trims each message, so a
 * part loses the line break it ends with (and the indent its first line began with).
 */
export const MESSAGE_LIMIT = 20_000;

/**
 * `text` as messages of at most `max` characters that together are `text`. Each is cut after the last line break
 * of its second half, else after its last space there, so that a long answer reads as paragraphs rather than words
 * cut in two; only a text with neither is cut at the limit (never inside a surrogate pair: `clip` counts code points).
 * A part that is whitespace alone is left out: the portal refuses an empty message.
 */
export function splitMessage(text: string, max = MESSAGE_LIMIT): string[] {
  const parts: string[] = [];
  let rest = text;
  for (;;) {
    const head = clip(rest, max);
    if (head.length === rest.length) break;
    const half = head.length / 2;
    const line = head.lastIndexOf('\n') + 1;
    const word = head.lastIndexOf(' ') + 1;
    const end = line > half ? line : word > half ? word : head.length;
    parts.push(rest.slice(0, end));
    rest = rest.slice(end);
  }
  parts.push(rest);
  return parts.filter((part) => part.trim() !== '');
}
