import { describe, expect, it } from 'vitest';
import { checkMenu, menuOf } from './checkMenu';

/** menuOf / checkMenu as `ContextMenu::getByJson` and menu.md (b24-rest-docs) describe a MENU. */
describe('menuOf', () => {
  it('keeps items with a TEXT and one documented action, in the full (ITEMS), short and JSON forms', () => {
    const items = [
      { TEXT: 'Site', LINK: 'https://www.example.ru/' },
      { TEXT: 'Send', ACTION: 'SEND', ACTION_VALUE: 'Done', CONTEXT: 'MOBILE' },
      { TEXT: 'Cmd', COMMAND: 'help' },
    ];
    expect(menuOf({ ITEMS: items }, 3)).toEqual([
      { BOT_ID: 3, LINK: 'https://www.example.ru/', TEXT: 'Site', CONTEXT: 'ALL', DISABLED: 'N' },
      { BOT_ID: 3, ACTION: 'SEND', ACTION_VALUE: 'Done', TEXT: 'Send', CONTEXT: 'MOBILE', DISABLED: 'N' },
      { BOT_ID: 3, COMMAND: 'help', COMMAND_PARAMS: '', TEXT: 'Cmd', CONTEXT: 'ALL', DISABLED: 'N' },
    ]);
    expect(menuOf(items, 0)).toHaveLength(3);
    expect(menuOf(JSON.stringify({ ITEMS: items }), 0)).toHaveLength(3);
  });

  it.each([
    ['an item without TEXT', [{ LINK: '/a' }]],
    ['an item without an action', [{ TEXT: 'x' }]],
    ['an item with a LINK that is no URL', [{ TEXT: 'x', LINK: 'ftp://a' }]],
    ['a string that is no JSON', 'menu'],
  ])('makes no menu of %s', (_label, value) => {
    expect(menuOf(value, 0)).toBeNull();
  });
});

describe('checkMenu', () => {
  it('is no menu for an empty() value, MENU_ERROR (or the code asked for) 400 for one that makes none', () => {
    expect(checkMenu('', 0)).toBeNull();
    expect(() => checkMenu([{ TEXT: 'x' }], 0)).toThrow(expect.objectContaining({ code: 'MENU_ERROR', status: 400 }));
    expect(() => checkMenu([{ TEXT: 'x' }], 0, 'menu_ERROR')).toThrow(
      expect.objectContaining({ code: 'menu_ERROR', message: 'Incorrect menu params' }),
    );
  });
});
