/** The most characters a message keeps (the docs: "≤20,000 chars; longer text is truncated with ' (...)'"). */
const MAX_CHARACTERS = 20_000;

/**
 * The text the portal keeps of a message sent with `im.message.add` (`CIMMessenger::Add`): `[BR]`, `[br]` and `#BR#`
 * turned into new lines, trimmed as PHP trims (spaces, tabs, new lines, NUL, vertical tab), and past 20,006 characters
 * (code points, as PHP's `mb_strlen` counts: an emoji is one) cut to 20,000 and " (...)". What she sees of her message
 * is what everyone else reads, and the stream's copy of it (its answer lost) is recognised by these words, not hers.
 */
export function keptText(text: string): string {
  const trimmed = text.replace(/\[BR\]|\[br\]|#BR#/g, '\n').replace(/^[ \t\n\r\0\v]+|[ \t\n\r\0\v]+$/g, '');
  const characters = Array.from(trimmed);
  if (characters.length <= MAX_CHARACTERS + 6) return trimmed;
  return `${characters.slice(0, MAX_CHARACTERS).join('')} (...)`;
}
