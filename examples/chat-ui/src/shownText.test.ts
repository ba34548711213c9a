import { describe, expect, it } from 'vitest';
import { ATTACHMENT, BLANK, NO_TEXT, buttonsLine, looksBlank, readText, shownText } from './shownText';

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

  it('says a message is blank where its words show nothing: the portal keeps no-break spaces (PHP trim does not strip them)', () => {
    expect(shownText('\u00a0')).toBe(BLANK);
    expect(shownText('\u00a0\n\u00a0', [])).toBe(BLANK);
    expect(shownText('\u200b')).toBe(BLANK); // a zero-width space: nothing to see either
    expect(BLANK).toBe('[blank message]');
    // Words with a no-break space among them are words.
    expect(shownText('\u00a0hi\u00a0')).toBe('\u00a0hi\u00a0');
  });
});

describe('buttonsLine', () => {
  it("lists a message's buttons as the bubble shows them, under its words or in their place", () => {
    expect(buttonsLine(['Yes', 'No'])).toBe('[buttons: Yes / No]');
    expect(buttonsLine(['<b>Yes</b>'])).toBe('[buttons: <b>Yes</b>]');
    // The word-less bubble says the same, so the two read alike.
    expect(shownText('', ['Yes', 'No'])).toBe(buttonsLine(['Yes', 'No']));
  });
});

describe('readText', () => {
  it('reads out what the bubble shows: its words, then the buttons listed under them', () => {
    expect(readText('Deploy?', ['Yes', 'No'])).toBe('Deploy? [buttons: Yes / No]');
    expect(readText('\u00a0', ['Yes'])).toBe(`${BLANK} [buttons: Yes]`);
  });

  it('is what shownText is without buttons, or while they are not known', () => {
    expect(readText('Deploy?')).toBe('Deploy?');
    expect(readText('Deploy?', [])).toBe('Deploy?');
    expect(readText('')).toBe(NO_TEXT);
    expect(readText('', ['Yes'])).toBe('[buttons: Yes]');
    expect(readText('', [])).toBe(ATTACHMENT);
  });
});

describe('looksBlank', () => {
  it('is true for a text of nothing but spaces of any kind, new lines and invisible characters', () => {
    expect(looksBlank('')).toBe(true);
    expect(looksBlank(' \t\n')).toBe(true);
    expect(looksBlank('\u00a0\u2003\u3000\ufeff\u200b\u2060')).toBe(true);
  });

  it('is false for a text with anything a person can see', () => {
    expect(looksBlank('\u00a0.\u00a0')).toBe(false);
    expect(looksBlank('😀')).toBe(false);
    expect(looksBlank('[BR]')).toBe(false);
  });
});
