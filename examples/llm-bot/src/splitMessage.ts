import { clip } from './clip';

/**
 * The portal's limit on a message, in characters (code points, as PHP's mb_ functions count): it keeps the first
 * 20,000 of a longer one and appends " (...)" (reference §4.3; the module source, `Message::setMessage`, cuts only past
 * 20,006, so 20,000 is on the safe side), silently dropping the rest of an answer. It also trims each message, so a
 * part loses the line break it ends with (and the indent its first line began with).
 */
export const MESSAGE_LIMIT = 20_000;

/**
 * `text` as messages of at most `max` characters that together read as `text`. Each is cut in its second half, so
 * that a long answer reads as paragraphs rather than words cut in two: at the last cut there of the first of these
 * kinds that has one:
 * 1. after a line break whose next line does not start with whitespace: the portal trims each message (PHP `trim`),
 *    so a part starting with an indented line (the middle of a code listing, a nested list item) would lose its indent;
 * 2. after any line break, else after a space;
 * each outside a code block (a ``` or ~~~ fence or [code]…[/code]), as a block cut in two renders wrongly in both parts.
 * With no such cut, the cut is chosen the same way anywhere (else at the limit, never inside a surrogate pair: `clip`
 * counts code points), and a block it falls in is closed at the end of the part (a fence on a line of its own) and
 * reopened at the start of the next, its language kept: the next part then starts with the fence, not the indent.
 * A fence in a list item is closed inside the item (indented as its content) and reopened outside it, in the next part,
 * where the rest of the item is outdented as much (`outdent`): out of the item, lines still indented would be code.
 * So is the rest of an item cut outside a block: the portal trims only the next part's first line, and a fence line
 * after it still 4 columns in would not open or close a block ("10. Install\n    ```sh").
 * An indented code block (4 columns in, at the top level) cut in, or right before, is left as written in the part and
 * fenced in the next, its lines outdented: trimmed, its first line would lose the indent that made it code.
 * A paragraph's line is not cut before when it would start a block at a part's start ("14. doors": only "1." interrupts
 * a paragraph in CommonMark, another number is its text, and an item or a block in it is none), nor in its indent or
 * after spaces before it: the portal trims those off too ("     ```", text after a paragraph's line, is a fence trimmed).
 * Nor is a line cut after a space before text that would open a block there ("word - word", "in 2024. Then": inline in
 * the whole, a part starting "- word" is a list item), unless no other space is left to cut at.
 * The markers count within `max`; a block whose markers would take over a quarter of it is cut as the cut falls.
 * A part that is whitespace alone is left out: the portal refuses an empty message.
 */
export function splitMessage(text: string, max = MESSAGE_LIMIT): string[] {
  const parts: string[] = [];
  let rest = text;
  for (;;) {
    const head = clip(rest, max);
    if (head.length === rest.length) break;
    // Read to the end of the line the limit falls in, to know that line's kind when the cut falls at its start.
    const lineEnd = rest.indexOf('\n', head.length);
    const { blocks, lines } = codeBlocks(lineEnd < 0 ? rest : rest.slice(0, lineEnd));
    const outside = (at: number) => !blocks.some((block) => block.start < at && at < block.end);
    const reads = (at: number) => {
      // The portal trims the part, line breaks and indent alike: it starts at the first character kept, which must not
      // start a paragraph's line that would open a block there, whether the cut falls before the line or in its indent.
      let kept = at;
      while (kept < rest.length && TRIMMED.test(rest[kept] ?? '')) kept++;
      let line: ListLine | undefined;
      for (const each of lines) if (each.start <= kept) line = each;
      if (!line || rest.slice(line.start, kept).trim() === '') return !line?.continues;
      // Mid-line, the rest of the line is inline text ("word - word", "in 2024. Then"), which a part starting with it
      // would render as a block ("- word" an item); in a code block it is code, the block reopened before it.
      const lineEnd = rest.indexOf('\n', kept);
      return !outside(kept) || !BLOCK_START.test(rest.slice(kept, lineEnd < 0 ? rest.length : lineEnd));
    };
    const cutIn = (length: number) =>
      cutBefore(rest, length, outside, reads) ?? cutBefore(rest, length, () => true, reads) ?? length;
    let end = cutIn(head.length);
    const atLineStart = rest[end - 1] === '\n';
    const code = blocks.find((each) => each.indented && each.start <= end && end < each.end);
    const run = code && indentedRun(rest.slice(end), atLineStart);
    const fence = run && run.code.trim() !== '' ? fenceFor(run.code) : undefined;
    if (run && fence && 2 * fence.length + 2 <= max / 4) {
      // An indented code block: the part ends in it as written, the next part has the rest fenced instead, its lines
      // outdented by the 4 columns that made them code: the portal trims the part's first line, and a code line that
      // lost its indent is a paragraph that the next code lines continue. The fence renders the same block (an
      // indented one has no language).
      parts.push(rest.slice(0, end));
      rest = `${fence}\n${outdent(run.code, 4, atLineStart)}\n${fence}${run.after === '' ? '' : `\n${run.after}`}`;
      continue;
    }
    let block = blockAt(blocks, end);
    // Room for the markers (a fence on a line of its own), and few enough of them that the next part, reopening the
    // block, still moves on; else the block is cut as the cut falls.
    if (block && block.open.length + block.indent + block.close.length + 2 <= max / 4) {
      end = cutIn(clip(rest, max - block.indent - block.close.length - 1).length);
      block = blockAt(blocks, end);
    } else {
      block = undefined;
    }
    if (block) {
      const line = block.fence && !rest.slice(0, end).endsWith('\n') ? '\n' : '';
      parts.push(`${rest.slice(0, end)}${line}${' '.repeat(block.indent)}${block.close}`);
      const next = block.indent > 0 ? outdent(rest.slice(end), block.indent, line === '') : rest.slice(end);
      rest = `${block.open}${block.fence ? '\n' : ''}${next}`;
    } else {
      // In a block (one too small for its markers) the item's lines are code, left as written.
      const indent = blockAt(blocks, end) ? 0 : itemIndent(lines, end);
      parts.push(rest.slice(0, end));
      rest = indent > 0 ? outdent(rest.slice(end), indent, rest[end - 1] === '\n') : rest.slice(end);
    }
  }
  parts.push(rest);
  return parts.filter((part) => part.trim() !== '');
}

/**
 * `text` (from where a part was cut in a list item) with `indent` columns of its item's indent taken off each line
 * (the first only when it starts a line, `atLineStart`) up to the first that is not blank and indented less (the item's
 * end): the next part is not in the item, and there a fence still indented as in the item (4 columns or more) would be
 * code, and a block it should close would run on over the rest of the message. A tab that reaches past `indent` leaves
 * the columns it has left as spaces (CommonMark).
 */
function outdent(text: string, indent: number, atLineStart: boolean): string {
  const lines = text.split('\n');
  for (let i = atLineStart ? 0 : 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    let column = 0;
    let at = 0;
    while (column < indent && (line[at] === ' ' || line[at] === '\t')) {
      column = line[at] === '\t' ? column + 4 - (column % 4) : column + 1;
      at++;
    }
    if (column < indent && line.trim() !== '') break; // less indented: past the item's end, left as written
    lines[i] = `${' '.repeat(Math.max(0, column - indent))}${line.slice(at)}`;
  }
  return lines.join('\n');
}

/**
 * The lines of `text` (from a cut in an indented code block) still in the block: up to the first that is not blank
 * and indented less than 4 columns (the first only when it starts a line, `atLineStart`), trailing blank ones left out.
 */
function indentedRun(text: string, atLineStart: boolean): { code: string; after: string } {
  const lines = text.split('\n');
  let last = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.trim() === '') continue;
    if ((i > 0 || atLineStart) && columns(/^[ \t]*/.exec(line)![0]) < 4) break;
    last = i + 1;
  }
  return { code: lines.slice(0, last).join('\n'), after: lines.slice(last).join('\n') };
}

/** A backtick fence longer than any backtick run that starts a line of `text`, so that none of them closes it. */
function fenceFor(text: string): string {
  let longest = 2;
  for (const [, run = ''] of text.matchAll(/^[ \t]*(`+)/gm)) longest = Math.max(longest, run.length);
  return '`'.repeat(longest + 1);
}

/** What PHP's `trim` takes off both ends of a message. */
const TRIMMED = /[ \t\n\r\0\v]/; // \v is \x0B
/** What PHP's `trim` takes off a message's start, as a run. */
const LEADING_TRIMMED = new RegExp(`^${TRIMMED.source}+`);

/**
 * The best cut `at` (`text.slice(0, at)` the part) in the second half of the first `length` units of `text`, of those
 * `allowed`: after a line break whose next line keeps its first character through the portal's trim, else after any
 * line break, else after a space, each only where the part would `read` as written (not at a paragraph's "10. x", which
 * opens a list at a part's start, nor in the indent before it, nor mid-line before "- x"), else after any space, else
 * after any line break;
 * `undefined` when there is none.
 */
function cutBefore(
  text: string,
  length: number,
  allowed: (at: number) => boolean,
  reads: (at: number) => boolean,
): number | undefined {
  const after = (char: string, keeps: (at: number) => boolean) => {
    for (let at = length; at > length / 2; at--) if (text[at - 1] === char && keeps(at) && allowed(at)) return at;
    return undefined;
  };
  return (
    after('\n', (at) => !TRIMMED.test(text[at] ?? '') && reads(at)) ??
    after('\n', reads) ??
    after(' ', reads) ??
    after(' ', () => true) ??
    after('\n', () => true)
  );
}

/**
 * The columns the content of the innermost list item a cut `at` falls in starts at, 0 outside any: at a line's start
 * the items around that line (the item it may start is whole in the next part), inside a line those it is in.
 */
function itemIndent(lines: readonly ListLine[], at: number): number {
  let line: ListLine | undefined;
  for (const each of lines) if (each.start <= at) line = each;
  if (!line) return 0;
  return at === line.start ? line.within : line.content;
}

/** A line of a text as `codeBlocks` reads it: where it starts and the list items it is in. */
interface ListLine {
  readonly start: number;
  /** Where the content of the innermost list item around the line starts (not counting one the line starts), else 0. */
  readonly within: number;
  /** As `within`, counting an item the line starts. */
  readonly content: number;
  /**
   * A paragraph's line that, trimmed at a part's start, would open a block: an ordered item not at 1 ("10. x", which
   * cannot interrupt a paragraph in CommonMark, only "1." can), or a line indented past its item's content by 4 columns
   * or more that reads as a fence, an item, a heading then.
   */
  readonly continues: boolean;
}

/** A code block in a text: `start` where its opening marker begins, `end` past its closing one (or `Infinity`). */
interface CodeBlock {
  readonly start: number;
  readonly end: number;
  /** The marker that opens it again: the fence with its language ("```ts"), or the tag as written ("[code]"). */
  readonly open: string;
  readonly close: string;
  /** A Markdown fence, whose markers stand on lines of their own. */
  readonly fence: boolean;
  /**
   * The columns a list item the fence is in indents its lines by (its content's start), else 0: a closing fence added
   * stands there, to close the block inside the item (at the margin it would end the item and open an empty block).
   */
  readonly indent: number;
  /** An indented code block (4 columns in, at the top level): `end` is past its last line that is not blank. */
  readonly indented?: boolean;
}

/** The block a cut `at` falls in: one opened before it and not yet closed (its closing marker whole) by it. */
function blockAt(blocks: readonly CodeBlock[], at: number): CodeBlock | undefined {
  return blocks.find((block) => !block.indented && block.start < at && at < block.end);
}

/** A fence line (CommonMark): its indent, a run of three or more backticks or tildes, and the rest of the line. */
const FENCE = /^([ \t]*)(`{3,}|~{3,})([^\n]*)$/;

/** The first line of a list item: its content starts as many columns in as the match is long. */
const LIST_ITEM = /^[ \t]*(?:[-+*]|\d{1,9}[.)]) {1,4}(?=\S)/;

/** An ordered list item's first line: one not at 1 cannot interrupt a paragraph (CommonMark), there it is text. */
const ORDERED_ITEM = /^[ \t]*(\d{1,9})[.)] {1,4}(?=\S)/;

/**
 * A line (trimmed) that opens a block where no paragraph runs on: an item, a fence, a heading, a quote, a rule, an HTML
 * block ("<div", "<!--", "</p>"; read broadly, as a tag alone on its line opens one too: a false match only moves a cut).
 * A setext underline ("===") is none: with no paragraph before it, at a part's start, it is a paragraph's text.
 */
const BLOCK_START =
  /^(?:[-+*](?:[ \t]|$)|\d{1,9}[.)](?:[ \t]|$)|`{3,}|~{3,}|#{1,6}(?:[ \t]|$)|>|(?:[-*_][ \t]*){3,}$|<[A-Za-z/!?])/;

/** A line's content that ends a paragraph or is none: a heading, a quote, a rule (or a setext heading's underline). */
const NOT_PARAGRAPH = /^(?:#{1,6}(?:[ \t]|$)|>|(?:[-*_][ \t]*){3,}$|=+[ \t]*$)/;

/** The columns `text` (a line's start) spans, a tab reaching the next multiple of 4, as CommonMark counts indents. */
function columns(text: string): number {
  let column = 0;
  for (const char of text) column = char === '\t' ? column + 4 - (column % 4) : column + 1;
  return column;
}

/** A BB code tag, opening or closing, in any case. */
const CODE_TAG = /\[(\/?)(code)\]/gi;

/**
 * The code blocks of `text`: Markdown fences and BB code `[code]…[/code]` (any case). Inside either the other's markers
 * are text, as they render. A fence follows CommonMark, as models write ``` and ~~~ fences, and fences of four or more
 * around a listing that itself holds ``` lines: a line of three or more backticks (an info string after them holding
 * none) or tildes, indented at most 3 columns (a tab reaching the next multiple of 4), is closed by a line of the same
 * character, at least as many, with nothing after them but spaces; a line indented further is text (code, as in an
 * indented docstring). A list item's content counts its indent from where the content starts, so a fence in it may
 * stand that much further in, or start it on the item's first line ("- ```js"); a fence less indented than that
 * content, at most 3 columns in, is in the item around it, or at the margin (the item ended). The items a line is in
 * are tracked roughly (a line less indented than an item's content leaves it, though CommonMark keeps a lazy paragraph
 * line in it), but all of them, not the last alone: a fence after a nested item ended is in the item around that one.
 * A fence in an item and not closed in it ends with it, at a line less indented than its content, as in CommonMark.
 * A paragraph runs on over an ordered item not at 1 (no item, so no fence on it) and over a line 4 columns past its
 * item's content; after no paragraph such a line at the top level is an indented code block, but for the first line
 * that is not blank, whose indent the portal trims off.
 * Its `lines` say which items each line is in, and which continue a paragraph that they would not at a part's start.
 */
function codeBlocks(text: string): { blocks: CodeBlock[]; lines: ListLine[] } {
  const blocks: CodeBlock[] = [];
  const lines: ListLine[] = [];
  let open: Omit<CodeBlock, 'end'> | undefined;
  /**
   * Where the content of each list item the line is in starts, outermost first: the indent a fence may add to is
   * counted from the innermost one's.
   */
  const items: number[] = [];
  /** An indented code block open at the line, `end` past its last line that is not blank so far. */
  let code: CodeBlock | undefined;
  /** Whether the line before is a paragraph's, which the line continues unless it opens a block that may interrupt it. */
  let paragraph = false;
  /** Where the content of the item the paragraph is in starts: a line less indented is not in it (lazy, or a new item). */
  let paragraphColumn = 0;
  /**
   * Whether a line that is not blank came before: the text is a part's start, whose first such line loses its indent to
   * the portal's trim, so it is read trimmed: it opens no indented code block (a paragraph, which the lines 4 columns in
   * after it continue), and a fence or an item on it counts its columns from the margin ("    - x" is "- x").
   */
  let started = false;
  let at = 0;
  for (const written of text.split('\n')) {
    const line: string = started ? written : written.replace(LEADING_TRIMMED, '');
    at += written.length - line.length; // the line starts where the trim leaves it
    const lineIndent = columns(/^[ \t]*/.exec(line)![0]);
    const blank = line.trim() === '';
    if (code && (blank || lineIndent >= 4)) {
      if (!blank) code = { ...code, end: at + line.length };
      lines.push({ start: at, within: 0, content: 0, continues: false });
      at += line.length + 1;
      continue;
    }
    if (code) blocks.push(code);
    code = undefined;
    if (open?.fence && open.indent > lineIndent && !blank) {
      // Out of the item the fence is in: the item ends, and the block with it (no lazy line in a code block).
      blocks.push({ ...open, end: at });
      open = undefined;
    }
    const wasOpen = open !== undefined;
    // A line less indented than an item's content is not in it (nor in any item within it).
    while (!open && !blank && (items.at(-1) ?? 0) > lineIndent) items.pop();
    const within = items.at(-1) ?? 0;
    // A paragraph runs on over a line indented 4 columns past its item's content (no code block can interrupt it) or
    // an ordered item not at 1; out of its item (a lazy line), an item's line starts an item of the list around it.
    const ordered = ORDERED_ITEM.exec(line);
    const continues: boolean =
      paragraph &&
      !open &&
      !blank &&
      lineIndent >= paragraphColumn &&
      (lineIndent >= paragraphColumn + 4 || (ordered !== null && Number(ordered[1]) !== 1));
    if (!open && !blank && !paragraph && items.length === 0 && lineIndent >= 4) {
      // At the top level, after no paragraph, a line 4 columns in starts an indented code block.
      code = { start: at, end: at + line.length, open: '', close: '', fence: false, indent: 0, indented: true };
      lines.push({ start: at, within: 0, content: 0, continues: false });
      at += line.length + 1;
      continue;
    }
    const item: string | undefined = open || continues ? undefined : LIST_ITEM.exec(line)?.[0];
    // An item's first line starts an item in those the line is still in.
    if (item !== undefined) items.push(columns(item));
    lines.push({
      start: at,
      within,
      content: items.at(-1) ?? 0,
      continues: continues && BLOCK_START.test(line.trimStart()),
    });
    const column = items.at(-1) ?? 0;
    // A list item's first line: its content may itself open a fence ("- ```js", "1. ~~~"), as CommonMark lets it.
    const itemRest: string | undefined = item === undefined ? undefined : line.slice(item.length);
    const onItem: boolean = itemRest !== undefined && FENCE.test(itemRest);
    const fenceMatch: readonly (string | undefined)[] =
      (open?.fence !== false && FENCE.exec(onItem ? (itemRest ?? line) : line)) || [];
    const [fenceLine, indent = '', fence = '', info = ''] = fenceMatch;
    if (open?.fence) {
      if (
        fence.startsWith(open.close[0] ?? '') &&
        fence.length >= open.close.length &&
        columns(indent) <= open.indent + 3 &&
        info.trim() === ''
      ) {
        blocks.push({ ...open, end: at + line.length });
        open = undefined;
      }
    } else if (
      fenceLine !== undefined &&
      (onItem || columns(indent) <= column + 3) &&
      !(fence[0] === '`' && info.includes('`'))
    ) {
      // On an item's first line the fence starts its content; on a line of its own it is in the innermost item it is
      // indented as far as the content of, else (at most 3 columns in) at the margin: the items have ended.
      open = { start: at, open: `${fence}${info.trim()}`, close: fence, fence: true, indent: column };
    } else {
      for (const match of line.matchAll(CODE_TAG)) {
        const [marker, slash, tag] = match;
        if (!open && !slash) {
          open = { start: at + match.index, open: marker, close: `[/${tag}]`, fence: false, indent: 0 };
        } else if (open && slash) {
          blocks.push({ ...open, end: at + match.index + marker.length });
          open = undefined;
        }
      }
    }
    const content = (itemRest ?? line).trimStart();
    const prose: boolean =
      !blank && !wasOpen && open === undefined && fenceLine === undefined && !NOT_PARAGRAPH.test(content);
    // A paragraph starts at a line of prose after none, or on an item's first line; a lazy line keeps its item's.
    if (prose && !continues && (!paragraph || item !== undefined)) paragraphColumn = column;
    paragraph = continues || prose;
    started ||= !blank;
    at += line.length + 1;
  }
  if (open) blocks.push({ ...open, end: Number.POSITIVE_INFINITY });
  // Open at the end of what was read, it may run on past it (after blank lines): a cut there is in it.
  if (code) blocks.push({ ...code, end: Number.POSITIVE_INFINITY });
  return { blocks, lines };
}
