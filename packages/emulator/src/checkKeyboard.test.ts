import { describe, expect, it } from 'vitest';
import { checkKeyboard, keyboardOf } from './checkKeyboard';

/** keyboardOf / checkKeyboard as `Keyboard::getKeyboardByJson` and keyboards.md (b24-rest-docs) describe a KEYBOARD. */
describe('keyboardOf', () => {
  it('keeps every documented action, with the defaults addButton gives a button', () => {
    const buttons = keyboardOf(
      [
        { TEXT: ' Site ', LINK: 'https://example.com', BG_COLOR_TOKEN: 'primary', DISPLAY: 'LINE' },
        { TYPE: 'NEWLINE' },
        { TEXT: 'Echo', COMMAND: '/echo', COMMAND_PARAMS: 'x', BLOCK: 'Y' },
        { TEXT: 'Put', ACTION: 'PUT', ACTION_VALUE: '/help' },
        { TEXT: 'App', APP_ID: '5', APP_PARAMS: 'p', WIDTH: '100', BG_COLOR: '#29619b' },
      ],
      7,
    );
    expect(buttons).toEqual([
      {
        BOT_ID: 7,
        TYPE: 'BUTTON',
        LINK: 'https://example.com',
        TEXT: 'Site',
        VOTE: 'N',
        BLOCK: 'N',
        WAIT: 'N',
        CONTEXT: 'ALL',
        DISABLED: 'N',
        DISPLAY: 'LINE',
        BG_COLOR_TOKEN: 'primary',
      },
      { TYPE: 'NEWLINE' },
      expect.objectContaining({ COMMAND: 'echo', COMMAND_PARAMS: 'x', BLOCK: 'Y', DISPLAY: 'BLOCK' }),
      expect.objectContaining({ ACTION: 'PUT', ACTION_VALUE: '/help' }),
      expect.objectContaining({ APP_ID: 5, APP_PARAMS: 'p', WIDTH: 100, BG_COLOR: '#29619b' }),
    ]);
  });

  it('reads the full form (BUTTONS) and a JSON string as the short form', () => {
    const link = { TEXT: 'Go', LINK: '/path' };
    expect(keyboardOf({ BOT_ID: 1, BUTTONS: [link] }, 0)).toHaveLength(1);
    expect(keyboardOf(JSON.stringify([link]), 0)).toHaveLength(1);
    expect(keyboardOf(JSON.stringify({ BUTTONS: [link] }), 0)).toHaveLength(1);
  });

  it.each([
    ['a button without TEXT', [{ LINK: 'https://example.com' }]],
    ['a TEXT of spaces', [{ TEXT: '  ', LINK: 'https://example.com' }]],
    ['a TEXT "0" (empty() in PHP)', [{ TEXT: '0', LINK: 'https://example.com' }]],
    ['a TEXT and no action', [{ TEXT: 'Nothing' }]],
    ['a LINK that is no path or http(s) URL', [{ TEXT: 'x', LINK: 'javascript:alert(1)' }]],
    ['an undocumented ACTION', [{ TEXT: 'x', ACTION: 'HELP', ACTION_VALUE: 'y' }]],
    ['an ACTION without a value', [{ TEXT: 'x', ACTION: 'SEND', ACTION_VALUE: ' ' }]],
    ['a FUNCTION button (never enabled over REST)', [{ TEXT: 'x', FUNCTION: 'f', LINK: '/a' }]],
    ['a list of strings', ['Yes', 'No']],
    ['a string that is no JSON', 'Yes'],
    ['BUTTONS that are no list', { BUTTONS: 'x' }],
  ])('makes no keyboard of %s', (_label, value) => {
    expect(keyboardOf(value, 1)).toBeNull();
  });
});

describe('checkKeyboard', () => {
  it('is no keyboard for an empty() value, and KEYBOARD_ERROR 400 for one that makes none', () => {
    for (const empty of [undefined, null, '', '0', 0, [], {}]) expect(checkKeyboard(empty, 0)).toBeNull();
    expect(() => checkKeyboard([{ TEXT: 'x' }], 0)).toThrow(
      expect.objectContaining({ code: 'KEYBOARD_ERROR', message: 'Incorrect keyboard params', status: 400 }),
    );
  });
});
