import { describe, expect, it } from 'vitest';
import { ATTACHMENT, NO_TEXT, shownText } from './shownText';

describe('shownText', () => {
  it('shows a message with words as they are, its buttons or not', () => {
    expect(shownText('hello')).toBe('hello');
    expect(shownText('Pick one', ['Yes', 'No'])).toBe('Pick one');
  });

  it('says what a message without words carries, where its bubble would be blank', () => {
    // A bot's message of only an attach, or of buttons and a text that was only [BR]s: the stream gives its text, ''.
    expect(shownText('')).toBe(NO_TEXT);
    expect(NO_TEXT).toBe('[buttons or an attachment]');
  });

  it("lists its buttons' texts once they are known, or says it is an attachment when it has none", () => {
    expect(shownText('', ['Yes', 'No'])).toBe('[buttons: Yes / No]');
    expect(shownText('', ['<b>Yes</b>'])).toBe('[buttons: <b>Yes</b>]');
    expect(shownText('', [])).toBe(ATTACHMENT);
  });
});
