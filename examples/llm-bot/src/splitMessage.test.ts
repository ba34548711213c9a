import { describe, expect, it } from 'vitest';
import { splitMessage } from './splitMessage';

/** A message as the portal stores it: PHP's `trim` (Message::setMessage), " \t\n\r\0\x0B" at both ends. */
function stored(part: string): string {
  return part.replace(/^[ \t\n\r\0\v]+|[ \t\n\r\0\v]+$/g, '');
}

describe('splitMessage', () => {
  it('keeps a text within the limit as one message', () => {
    expect(splitMessage('short answer', 20)).toEqual(['short answer']);
  });

  it('cuts after a line break, else a space, in the second half; else at the limit, never inside an emoji', () => {
    expect(splitMessage('line one\nline two words', 12)).toEqual(['line one\n', 'line two ', 'words']);
    // the limit falls between the halves of an emoji (a surrogate pair): counted in code points, it stays whole
    expect(splitMessage(`${'a'.repeat(9)}😀${'b'.repeat(5)}`, 10)).toEqual([`${'a'.repeat(9)}😀`, 'bbbbb']);
  });

  it('leaves out a part that is whitespace alone (the portal refuses an empty message)', () => {
    expect(splitMessage(`${'a'.repeat(10)}${' '.repeat(10)}`, 10)).toEqual(['a'.repeat(10)]);
  });

  it('cuts before a line that does not start with whitespace, so the portal trimming a part keeps every indent', () => {
    const text = 'Steps:\n1. Install\n   npm i x\n2. Run\n   npx x\n';
    const parts = splitMessage(text, 40);
    // before: cut after "2. Run\n", and the next part, trimmed, showed "npx x" out of its item
    expect(parts).toEqual(['Steps:\n1. Install\n   npm i x\n', '2. Run\n   npx x\n']);
    expect(parts.map(stored).join('\n')).toBe(text.trim());
    // with only indented lines after the line breaks of the second half, a line break still beats a space
    expect(splitMessage('aaaaaaaa\n  bbbb\n  cccc', 14)).toEqual(['aaaaaaaa\n', '  bbbb\n  cccc']);
  });

  it('cuts before a fenced code block rather than inside it when the second half allows', () => {
    const text = 'Intro line here.\nSee below:\n```ts\nconst a = 1;\nconst b = 2;\n```\nDone.\n';
    // before: cut after "const a = 1;\n", two half listings, the second one's fence closing nothing
    expect(splitMessage(text, 50)).toEqual([
      'Intro line here.\nSee below:\n',
      '```ts\nconst a = 1;\nconst b = 2;\n```\nDone.\n',
    ]);
    const bb = 'Intro line here.\nSee below:\n[code]const a = 1;\nconst b = 2;\n[/code]\nDone.\n';
    expect(splitMessage(bb, 50)).toEqual([
      'Intro line here.\nSee below:\n',
      '[code]const a = 1;\nconst b = 2;\n[/code]\nDone.\n',
    ]);
  });

  it('closes a code block it has to cut at the end of the part and reopens it, language kept, in the next', () => {
    const text = `\`\`\`py\nclass A:\n${'    x = 1\n'.repeat(6)}\`\`\`\n`;
    const parts = splitMessage(text, 48);
    // before: ['```py\nclass A:\n…', '    x = 1\n…```\n']: the first fence never closed, the second part's lines
    // outside any code block, its first line's indent trimmed away and its closing fence opening an empty block
    expect(parts).toEqual([
      '```py\nclass A:\n    x = 1\n    x = 1\n```',
      '```py\n    x = 1\n    x = 1\n    x = 1\n```',
      '```py\n    x = 1\n```\n',
    ]);
    expect(parts.every((part) => Array.from(part).length <= 48)).toBe(true);
    // a line break before an unindented line is still preferred inside a block, and a BB block closes with its own tag
    const bb = `[CODE]${'if (a) {\n  b();\n}\n'.repeat(3)}[/CODE]`;
    expect(splitMessage(bb, 64)).toEqual([
      '[CODE]if (a) {\n  b();\n}\nif (a) {\n  b();\n}\n[/CODE]',
      '[CODE]if (a) {\n  b();\n}\n[/CODE]',
    ]);
  });

  it('knows a ~~~ fence: keeps the block whole, or closes and reopens it with ~~~, its ``` lines text', () => {
    const text = `~~~py\nclass A:\n${'    x = 1\n'.repeat(6)}~~~\n`;
    // before: ['~~~py\nclass A:\n    x = 1\n…', '    x = 1\n…~~~\n']: the block cut in two, never closed, the second
    // part's lines outside any block, its first line's indent trimmed away and its closing fence opening a new block
    expect(splitMessage(text, 48)).toEqual([
      '~~~py\nclass A:\n    x = 1\n    x = 1\n~~~',
      '~~~py\n    x = 1\n    x = 1\n    x = 1\n~~~',
      '~~~py\n    x = 1\n~~~\n',
    ]);
    const listing = `Intro.\n~~~md\nUse:\n\`\`\`ts\n${'const a = 1;\n'.repeat(4)}\`\`\`\n~~~\nDone.\n`;
    // before: ['~~~md\nUse:\n```ts\n…\n```', '```ts\n…```\n~~~\nDone.\n']: the inner ``` taken for a block of its
    // own, closed and reopened with ```, the ~~~ block cut in two and its closing fence opening one around "Done."
    expect(splitMessage(listing, 50)).toEqual([
      'Intro.\n~~~md\nUse:\n```ts\nconst a = 1;\n~~~',
      '~~~md\nconst a = 1;\nconst a = 1;\nconst a = 1;\n~~~',
      '~~~md\n```\n~~~\nDone.\n',
    ]);
  });

  it('closes a longer fence only with one of its character at least as long, with nothing after it', () => {
    // a ```` fence around a listing that contains ``` lines: they are text, and the block closes and reopens with ````
    const text = `Intro.\n\`\`\`\`md\nUse:\n\`\`\`ts\n${'const a = 1;\n'.repeat(4)}\`\`\`\nend\n\`\`\`\`\nDone.\n`;
    expect(splitMessage(text, 60)).toEqual([
      'Intro.\n````md\nUse:\n```ts\nconst a = 1;\nconst a = 1;\n````',
      '````md\nconst a = 1;\nconst a = 1;\n```\nend\n````\nDone.\n',
    ]);
    // a ~~~ line does not close a ``` block, nor does a ``` line followed by more than spaces
    const mixed = `\`\`\`\nfirst\n~~~\n\`\`\` x\n${'line\n'.repeat(6)}\`\`\`\n`;
    expect(splitMessage(mixed, 32)).toEqual([
      '```\nfirst\n~~~\n``` x\nline\n```',
      '```\nline\nline\nline\nline\n```',
      '```\nline\n```\n',
    ]);
  });

  it('takes a ``` line indented 4 columns or more (spaces or a tab) for text, unless a list item it is in indents it', () => {
    // a Python docstring holding a Markdown fence: its ``` lines, indented 4, are code, not the block's end
    const doc = `\`\`\`py\ndef f():\n    """\n    \`\`\`\n    f()\n    \`\`\`\n    """\n${'    g()\n'.repeat(4)}\`\`\`\n`;
    // before: the block taken to end at the first indented ```, the cut then fell in the real one and left it open
    expect(splitMessage(doc, 60)).toEqual([
      '```py\ndef f():\n    """\n    ```\n    f()\n    ```\n    """\n```',
      '```py\n    g()\n    g()\n    g()\n    g()\n```\n',
    ]);
    // a fence in an item's content (here 4 columns in, after "10. ") is one: cut inside, it is closed in the item and
    // reopened outside it, its lines outdented by the item's indent (see the list item test below)
    const steps = 'Steps\n\n10. Install\n    ```sh\n    npm i x\n    npm i y\n    ```\nDone.\n';
    expect(splitMessage(steps, 60)).toEqual([
      'Steps\n\n10. Install\n    ```sh\n    npm i x\n    ```',
      '```sh\nnpm i y\n```\nDone.\n',
    ]);
    // a tab indents to the next multiple of 4 columns: in an item ("- ", content at 2) a tab-indented fence is one, at
    // the top level (4 columns in) it is text; outdented by 2, a tab leaves the 2 columns past them as spaces
    const tabbed = 'Steps:\n- Install\n\t```sh\n\tnpm i x\n\tnpm i y\n\tnpm i z\n\t```\nDone.\n';
    expect(splitMessage(tabbed, 48)).toEqual([
      'Steps:\n- Install\n\t```sh\n\tnpm i x\n\tnpm i y\n  ```',
      '```sh\n  npm i z\n  ```\nDone.\n',
    ]);
    expect(splitMessage('Code:\n\t```\n\tx()\n\t```\nthen some prose after it\n', 30)).toEqual([
      'Code:\n\t```\n\tx()\n\t```\n',
      'then some prose after it\n',
    ]);
  });

  it('takes a fence on a list item\'s first line ("- ```js", "1. ```") for one, as CommonMark: closed in the item, reopened outside it', () => {
    // before: ['Steps:\n- ```js\n  const a = 1;\n  const b = 2;\n', '  const c = 3;\n  ```\n- Done.\n']: the block cut
    // with no closing fence, the second part's code outside any block and its closing fence opening an empty one
    expect(
      splitMessage('Steps:\n- ```js\n  const a = 1;\n  const b = 2;\n  const c = 3;\n  ```\n- Done.\n', 48),
    ).toEqual(['Steps:\n- ```js\n  const a = 1;\n  ```', '```js\nconst b = 2;\nconst c = 3;\n```\n- Done.\n']);
    expect(splitMessage('Steps:\n1. ```\n   x = 1\n   y = 2\n   z = 3\n   ```\n2. Run it now please\n', 44)).toEqual([
      'Steps:\n1. ```\n   x = 1\n   y = 2\n   ```',
      '```\nz = 3\n```\n2. Run it now please\n',
    ]);
    // Content 4 columns in ("10. "): the closing fence added stands there, inside the item (at the margin it would end
    // the item and open an empty block); the next part, outside the item, has the item's lines outdented by 4, its own
    // closing fence and the item's text after it included: left 4 columns in, that fence would be code, the block
    // running on over "Then check it." and the next item. A blank line (no indent at all) stays in the item.
    const deep =
      'Steps\n\n10. ```sh\n    make all\n    make test\n    make dist\n\n    make it\n    ```\n\n    Then check it.\n11. Ship\n';
    expect(splitMessage(deep, 64)).toEqual([
      'Steps\n\n10. ```sh\n    make all\n    make test\n    ```',
      '```sh\nmake dist\n\nmake it\n```\n\nThen check it.\n11. Ship\n',
    ]);
    // Not fences: an info string holding a backtick (inline code), or 5 spaces after the marker (indented code): cut
    // as text, no marker added (the rest of the item outdented, as any item cut)
    expect(splitMessage('Intro:\n- ``` a`b\n  x\n  y\n  z\n  w\n', 24)).toEqual([
      'Intro:\n- ``` a`b\n  x\n',
      'y\nz\nw\n',
    ]);
    const indented = 'Intro:\n-     ```\n      x\n      y\n      z\n';
    expect(splitMessage(indented, 24).join('')).toBe(indented);
  });

  it('closes a fence indented less than the list item before it (at most 3 columns: the item has ended) at the margin', () => {
    // CommonMark: " ```sh" is not in "- Install" (content at 2), it ends the item; its block is closed at the margin
    expect(splitMessage('Steps:\n- Install\n ```sh\n npm i x\n npm i y\n npm i z\n ```\nDone.\n', 48)).toEqual([
      'Steps:\n- Install\n ```sh\n npm i x\n npm i y\n```',
      '```sh\n npm i z\n ```\nDone.\n',
    ]);
  });

  it('takes a fence after a nested list item ended for one in the item around it, not at the margin', () => {
    // " ```sh", 2 columns in, is in "- Outer" (content at 2): "  - Inner" (content at 4) ended, "- Outer" did not.
    // before: taken to be at the margin, the block was closed there ("```"), which ended "- Outer" and opened an empty
    // block under it, and reopened with its lines still 2 columns in (code indented 2 more than written)
    const code = Array.from({ length: 6 }, (_, i) => `  npm i pkg${i}\n`).join('');
    const text = `Steps:\n- Outer\n  - Inner\n  \`\`\`sh\n${code}  \`\`\`\n  Then run it.\n- Done\n`;
    expect(splitMessage(text, 100)).toEqual([
      'Steps:\n- Outer\n  - Inner\n  ```sh\n  npm i pkg0\n  npm i pkg1\n  npm i pkg2\n  npm i pkg3\n  ```',
      '```sh\nnpm i pkg4\nnpm i pkg5\n```\nThen run it.\n- Done\n',
    ]);
  });

  it('outdents the rest of a list item cut outside a code block, so the portal trimming the first line alone keeps it whole', () => {
    // Cut before a fence 4 columns in ("10. "): the portal trims the next part's first line only, so its closing
    // fence stayed 4 columns in and closed nothing. before: ['Steps to follow\n\n10. Install it\n', '    ```sh\n
    // npm i x\n    ```\n11. Done\n'], "11. Done" rendered as code in the second message
    const text = 'Steps to follow\n\n10. Install it\n    ```sh\n    npm i x\n    ```\n11. Done\n';
    expect(splitMessage(text, 60)).toEqual(['Steps to follow\n\n10. Install it\n', '```sh\nnpm i x\n```\n11. Done\n']);
    // 3 columns in ("1. "): the fence closed, but the code showed the item's indent. before: its lines 3 columns in
    expect(splitMessage('Steps to follow:\n1. Install it\n   ```sh\n   npm i x\n   ```\n2. Done\n', 50)).toEqual([
      'Steps to follow:\n1. Install it\n',
      '```sh\nnpm i x\n```\n2. Done\n',
    ]);
    // in a nested item the innermost item's indent comes off; before: the fence 4 columns in, "- Done" code
    expect(
      splitMessage('Steps to follow:\n- Outer item\n  - Inner\n    ```sh\n    npm i x\n    ```\n- Done\n', 60),
    ).toEqual(['Steps to follow:\n- Outer item\n  - Inner\n', '```sh\nnpm i x\n```\n- Done\n']);
    // cut after a space in an item's first line: the item's next lines come out too (the first is not trimmed at a
    // line start). before: "    ```sh" after "options" a paragraph line, and the part after it "11. Done" as code
    const words = `10. Install it with ${'many '.repeat(16)}options\n    \`\`\`sh\n    npm i x\n    \`\`\`\n11. Done\n`;
    expect(splitMessage(words, 80)).toEqual([
      `10. Install it with ${'many '.repeat(12)}`,
      'many many many many options\n```sh\nnpm i x\n```\n11. Done\n',
    ]);
    // a fence on the item's first line: the cut falls before the item, which the next part starts whole, as written
    const first = 'Steps to follow, in this order\n\n10. ```sh\n    npm i x\n    npm i y\n    ```\n11. Done\n';
    expect(splitMessage(first, 60)).toEqual([
      'Steps to follow, in this order\n\n',
      '10. ```sh\n    npm i x\n    npm i y\n    ```\n11. Done\n',
    ]);
  });

  it('ends a fence left open in a list item where the item ends, as CommonMark does', () => {
    // before: the block taken to run on to the end: closed in "- Next step here" (an empty block under it) and
    // reopened as ```js around the prose after it, in every later part
    const text = `Steps:\n- \`\`\`js\n  a()\n- Next step here\n${'More prose in the list.\n'.repeat(3)}`;
    expect(splitMessage(text, 60)).toEqual([
      'Steps:\n- ```js\n  a()\n- Next step here\n',
      'More prose in the list.\nMore prose in the list.\n',
      'More prose in the list.\n',
    ]);
    // a closing fence less indented than the item's content is out of the item: it ends the item (and the block in
    // it) and opens a block of its own at the margin, around what follows. before: taken to close the block, the
    // lines after it cut as prose, the code block they are in left unopened in the second part
    const out = `Steps:\n- Install\n  \`\`\`sh\n  npm i x\n \`\`\`\n${'Then run it now.\n'.repeat(4)}`;
    expect(splitMessage(out, 64)).toEqual([
      'Steps:\n- Install\n  ```sh\n  npm i x\n',
      ' ```\nThen run it now.\nThen run it now.\nThen run it now.\n```',
      '```\nThen run it now.\n',
    ]);
  });

  it('takes an ordered item not at 1 right after a paragraph line for text, as CommonMark: no list, no block in it', () => {
    // "14." cannot interrupt a paragraph (only "1." can): it is the paragraph's text. before: cut before it, and the
    // second part, starting with it, rendered an ordered list starting at 14
    const text = 'We counted the windows in the house:\n14. The doors are six and the rooms are ten.\n';
    expect(splitMessage(text, 60)).toEqual([
      'We counted the windows in the house:\n14. The doors are six ',
      'and the rooms are ten.\n',
    ]);
    // nor is a ~~~ line after it, 4 columns in, a fence in an item: it is paragraph text too. before: taken for a fence
    // in the item "10. Install it", its lines outdented, and the second part rendered a code block
    const steps = 'Notes on the setup:\n10. Install it\n    ~~~\n    npm i x\n    ~~~\nDone, that is all for now.\n';
    expect(splitMessage(steps, 50)).toEqual([
      'Notes on the setup:\n10. Install it\n    ~~~\n',
      '    npm i x\n    ~~~\nDone, that is all for now.\n',
    ]);
    // after a blank line it is an item, and a fence in it is one (as in the list item tests above)
    expect(
      splitMessage('Notes on the setup\n\n10. Install it\n    ~~~\n    npm i x\n    ~~~\nDone, that is all.\n', 50),
    ).toEqual(['Notes on the setup\n\n10. Install it\n', '~~~\nnpm i x\n~~~\nDone, that is all.\n']);
  });

  it("cuts not within the indent of a paragraph line that, trimmed at a part's start, would open a fence", () => {
    // "     ```" continues the paragraph (5 columns in, it opens no fence), but the portal trims a part's start: cut in its
    // indent, the part started "    ```", a fence once trimmed, and "x" rendered as code. before: ['abcdefg b\n ',
    // '    ```\nx']
    expect(splitMessage('abcdefg b\n     ```\nx', 11)).toEqual(['abcdefg ', 'b\n     ```\n', 'x']);
  });

  it("cuts not within the indent of a paragraph line that, trimmed at a part's start, would open a list item", () => {
    // the same for "     - x": the part started "    - x", a list once trimmed (its content taken to start 6 columns
    // in, not 2). before: ['abcde b\n ', '    - x\nx']
    expect(splitMessage('abcde b\n     - x\nx', 9)).toEqual(['abcde ', 'b\n     - ', 'x\nx']);
  });

  it("reads a part's first line trimmed, as the portal does, when no other cut is left: an item's content from the trim", () => {
    // No cut that reads in the second half (one long word): the cut falls in the indent of " - x" as before, and the
    // part it starts is a list once trimmed. Its item's content starts 2 columns in, not 3, so "  ```" is a fence in it:
    // closed in the item, reopened outside. before: ' - x\n  ```\n  yyyyyyyyyy\n```' (counted from the untrimmed line,
    // the fence taken to be at the margin and closed there, which ended the item and opened an empty block after it)
    const text = `${'a'.repeat(36)}\n    - x\n  \`\`\`\n  ${'y'.repeat(10)}\n  ${'z'.repeat(10)}\n  \`\`\`\n`;
    expect(splitMessage(text, 40)).toEqual([
      `${'a'.repeat(36)}\n   `,
      ` - x\n  \`\`\`\n  ${'y'.repeat(10)}\n  \`\`\``,
      `\`\`\`\n${'z'.repeat(10)}\n\`\`\`\n`,
    ]);
  });

  it("cuts not after a space before inline text that, at a part's start, would open a block ('word - word')", () => {
    // Mid-line the text is a paragraph's; a part starting with it rendered a block. before: the cut after "bb ", and
    // the second part a list item, an ordered list from 10 or 2024, a heading, a quote, a code block, a rule, HTML
    expect(splitMessage('aaa bb - c', 7)).toEqual(['aaa ', 'bb - c']);
    expect(splitMessage('aaa bb + c', 7)).toEqual(['aaa ', 'bb + c']);
    expect(splitMessage('aaa bb * c', 7)).toEqual(['aaa ', 'bb * c']);
    expect(splitMessage('aaa bb 1. c', 7)).toEqual(['aaa ', 'bb 1. c']);
    expect(splitMessage('aaa bb 10) c', 7)).toEqual(['aaa ', 'bb 10) ', 'c']);
    expect(splitMessage('We met in 2024. Then', 10)).toEqual(['We met ', 'in 2024. ', 'Then']);
    expect(splitMessage('aaa bb # c', 7)).toEqual(['aaa ', 'bb # c']);
    expect(splitMessage('aaa bb > c', 7)).toEqual(['aaa ', 'bb > c']);
    expect(splitMessage('aaa bb ```c', 7)).toEqual(['aaa ', 'bb ```c']);
    expect(splitMessage('aaa bb ~~~ c', 7)).toEqual(['aaa ', 'bb ~~~ ', 'c']);
    expect(splitMessage('aaa bb ---', 7)).toEqual(['aaa ', 'bb ---']);
    expect(splitMessage('aaa bb <div>', 7)).toEqual(['aaa ', 'bb <div', '>']);
    // the portal trims the spaces after the cut too: before, ' - c', a list item once trimmed
    expect(splitMessage('aaa bb  - c', 7)).toEqual(['aaa ', 'bb  - c']);
    // an HTML block is one at a line's start as well: not cut in the indent of a paragraph's "     <p>" (5 columns in,
    // it opens none). before: ['abcdefg b\n', '     <p>\nx'], "<p>" once trimmed, an HTML block
    expect(splitMessage('abcdefg b\n     <p>\nx', 11)).toEqual(['abcdefg ', 'b\n     <p>\n', 'x']);
  });

  it("cuts not before a '- ' in a list item's own line either: in the whole it is the item's text, not a new item", () => {
    // before: ['- aaa bb ', '- c'], a second item
    expect(splitMessage('- aaa bb - c', 9)).toEqual(['- aaa ', 'bb - c']);
    // with no other space in the second half the cut falls there as before, rather than at the limit in a word
    expect(splitMessage('aaaa - b', 6)).toEqual(['aaaa ', '- b']);
    // "===" opens nothing at a part's start (a setext underline needs a paragraph before it): a cut as any other
    expect(splitMessage('aaa bb ===', 7)).toEqual(['aaa bb ', '===']);
  });

  it('opens the rest of an indented code block it has to cut with a fence, as the portal trims the indent off', () => {
    // before: the second part's first line, its 4 spaces trimmed away, was a paragraph the next code lines continued
    const code = Array.from({ length: 6 }, (_, i) => `    npm i pkg${i}\n`).join('');
    expect(splitMessage(`Run this:\n\n${code}Then it works.\n`, 60)).toEqual([
      'Run this:\n\n    npm i pkg0\n    npm i pkg1\n    npm i pkg2\n',
      '```\nnpm i pkg3\nnpm i pkg4\nnpm i pkg5\n```\nThen it works.\n',
    ]);
    // cut before the block: the same. A fence in the code is text: the one added is longer
    expect(splitMessage('A first paragraph of prose.\n\n    ```\n    x = 1\n\n    y = 2\n\nDone.', 40)).toEqual([
      'A first paragraph of prose.\n\n',
      '````\n```\nx = 1\n\ny = 2\n````\n\nDone.',
    ]);
  });

  it('takes the lines 4 columns in at the start of a part for the paragraph the trimmed first one opens, not code', () => {
    // A part's first line loses its indent to the portal's trim, so it opens a paragraph that the lines after it
    // continue, however indented. before: ['Paragraph text goes on and on\n', '    indented continuation that is long\n',
    // '```\nmore\n```']: the paragraph's last line, in a part read as an indented code block, rendered as code
    const text = 'Paragraph text goes on and on\n    indented continuation that is long\n    more';
    expect(splitMessage(text, 40)).toEqual([
      'Paragraph text goes on and on\n',
      '    indented continuation that is long\n',
      '    more',
    ]);
    // a message that starts 4 columns in is one paragraph on the portal, in every part. before: the second and third
    // parts fenced, as code
    const lines = '    xxxxxxxxxx\n'.repeat(8);
    const parts = splitMessage(lines, 50);
    expect(parts.join('')).toBe(lines);
    for (const part of parts) expect(part).not.toContain('```');
  });

  it('cuts a code block line too long for any line break, closing the block on a line of its own', () => {
    const text = `\`\`\`\n${'x '.repeat(30)}\n\`\`\``;
    const parts = splitMessage(text, 40);
    expect(parts.every((part) => Array.from(part).length <= 40)).toBe(true);
    expect(parts.every((part) => part.startsWith('```') && part.endsWith('```'))).toBe(true);
    // the markers added, taken out again, leave the text as written
    expect(parts.map((part, i) => part.slice(i === 0 ? 0 : 4, i === parts.length - 1 ? undefined : -4)).join('')).toBe(
      text,
    );
  });
});
