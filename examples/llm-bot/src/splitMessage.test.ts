import { describe, expect, it } from 'vitest';
import { splitMessage } from './splitMessage';

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
});
