import { type Button, buttonAction, listIn } from './checkKeyboard';
import { restError } from './errorCatalog';
import { isset, phpEmpty, phpTrim, recordOf, stringOf } from './paramValues';

/**
 * The items `\Bitrix\Im\Bot\ContextMenu::getByJson` makes of a MENU (a stored copy of im/lib/bot/contextmenu.php, read
 * with bitrix-tools/b24-rest-docs api-reference/chats/messages/menu.md): the value or its ITEMS (menu.md: a JSON
 * string, an object with ITEMS, or the bare list), item by item: one with a FUNCTION is skipped, any other needs a
 * TEXT that is not blank and an action (buttonAction: LINK, APP_ID, ACTION + ACTION_VALUE or COMMAND), or it is
 * dropped; no item left is no menu: null.
 */
export function menuOf(value: unknown, botId: number): Button[] | null {
  const list = listIn(value, 'ITEMS');
  if (!list) return null;
  const items: Button[] = [];
  for (const entry of list.items) {
    const item = recordOf(entry);
    if (!item || isset(item.FUNCTION)) continue;
    const text = isset(item.TEXT) ? stringOf(item.TEXT) : null;
    if (text === null || phpTrim(text) === '') continue;
    const action = buttonAction(item);
    if (!action) continue;
    items.push({
      BOT_ID: botId,
      ...action,
      TEXT: phpTrim(text),
      CONTEXT: item.CONTEXT === 'MOBILE' || item.CONTEXT === 'DESKTOP' ? item.CONTEXT : 'ALL',
      DISABLED: item.DISABLED === 'Y' ? 'Y' : 'N',
    });
  }
  return items.length > 0 ? items : null;
}

/**
 * The MENU check of `im.message.add` (yuliai/bitrix-modules@026c2eea im_rest.php messageAdd), right after KEYBOARD: an
 * empty() MENU is none (null); any other must make a menu (menuOf), else MENU_ERROR "Incorrect menu params" 400
 * (im-message-add.md). `im.message.update` refuses with the code spelt `menu_ERROR`, as its source and its page
 * (im-message-update.md) both spell it: `code` says which.
 */
export function checkMenu(
  value: unknown,
  botId: number,
  code: 'MENU_ERROR' | 'menu_ERROR' = 'MENU_ERROR',
): Button[] | null {
  if (phpEmpty(value)) return null;
  const items = menuOf(value, botId);
  if (!items) throw restError(code);
  return items;
}
