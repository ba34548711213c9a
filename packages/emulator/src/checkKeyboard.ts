import { decoded, isLink } from './checkAttach';
import { restError } from './errorCatalog';
import { intval, isset, phpEmpty, phpTrim, recordOf, stringOf } from './paramValues';
import type { Params } from './phpQuery';

/** A keyboard button or a menu item as the message keeps it (`Keyboard::getArray`, `ContextMenu::getArray`). */
export type Button = Readonly<Record<string, string | number>>;

/**
 * The button actions the docs list (bitrix-tools/b24-rest-docs api-reference/chats/messages/keyboards.md, menu.md and
 * chat-bots-v2/imbot.v2/messages/message-keyboards.md: PUT, SEND, COPY, CALL, DIALOG). A stored copy of
 * `\Bitrix\Im\Bot\Keyboard::addButton` also takes LIVECHAT and HELP; the docs are followed, so those are no action.
 */
const ACTIONS: readonly string[] = ['PUT', 'SEND', 'COPY', 'CALL', 'DIALOG'];

/** The colour tokens keyboards.md lists for BG_COLOR_TOKEN (default `base`, so an unknown one is not kept). */
const COLOR_TOKENS: readonly string[] = ['primary', 'secondary', 'alert', 'base'];

/** `preg_match('/^#([a-fA-F0-9]){3}(([a-fA-F0-9]){3})?\b$/D', …)`: a #rgb or #rrggbb colour. */
const HEX_COLOR = /^#[a-fA-F0-9]{3}(?:[a-fA-F0-9]{3})?$/;

/** `!empty($x) && is_string($x) && trim($x) <> ''`: a string with something in it (so not `'0'`). */
function isText(value: unknown): value is string {
  return typeof value === 'string' && !phpEmpty(value) && phpTrim(value) !== '';
}

/** `trim($x) <> ''` on a scalar; nothing or an array is blank. */
function isFilled(value: unknown): boolean {
  const text = isset(value) ? stringOf(value) : null;
  return text !== null && phpTrim(text) !== '';
}

/**
 * What a button or menu item does, read in `addButton`'s order: a LINK that is a path or an http(s) URL, else an
 * APP_ID (with its APP_PARAMS), else a documented ACTION with an ACTION_VALUE, else a COMMAND (a leading `/` dropped,
 * with its COMMAND_PARAMS); null when it does nothing, and the source then drops it. The stored source takes a COMMAND
 * only when the message has a bot (`$this->botId > 0`: imbot.message.add's BOT_ID, or im.message.add's when one is
 * passed); the docs make TEXT plus any one of LINK, COMMAND, ACTION + ACTION_VALUE or APP_ID a valid button or item,
 * with no word of a bot (keyboards.md: "Обязательными полями является TEXT и либо поле LINK, либо поле COMMAND";
 * menu.md and message-keyboards.md list all four), and the docs are what this follows, so a COMMAND always counts.
 */
export function buttonAction(item: Params): Record<string, string | number> | null {
  if (isText(item.LINK) && isLink(item.LINK)) return { LINK: item.LINK };
  if (!phpEmpty(item.APP_ID)) {
    const app: Record<string, string | number> = { APP_ID: intval(item.APP_ID) };
    if (isText(item.APP_PARAMS)) app.APP_PARAMS = item.APP_PARAMS;
    return app;
  }
  if (typeof item.ACTION === 'string' && ACTIONS.includes(item.ACTION) && isFilled(item.ACTION_VALUE)) {
    return { ACTION: item.ACTION, ACTION_VALUE: stringOf(item.ACTION_VALUE) ?? '' };
  }
  if (isText(item.COMMAND)) {
    const command = item.COMMAND.startsWith('/') ? item.COMMAND.slice(1) : item.COMMAND;
    return { COMMAND: command, COMMAND_PARAMS: isText(item.COMMAND_PARAMS) ? item.COMMAND_PARAMS : '' };
  }
  return null;
}

/** `$allowed` when `value` is one of them, else `fallback`. */
function oneOf(value: unknown, allowed: readonly string[], fallback: string): string {
  return typeof value === 'string' && allowed.includes(value) ? value : fallback;
}

/** One button as `Keyboard::addButton` keeps it, with its defaults; null when it has no TEXT or no action. */
function keyboardButton(item: Params, botId: number, vote: boolean): Button | null {
  if (!isText(item.TEXT)) return null;
  const action = buttonAction(item);
  if (!action) return null;
  const button: Record<string, string | number> = {
    BOT_ID: botId,
    TYPE: 'BUTTON',
    ...action,
    TEXT: phpTrim(item.TEXT),
    VOTE: vote ? 'Y' : 'N',
    BLOCK: item.BLOCK === 'Y' ? 'Y' : 'N',
    WAIT: 'N',
    CONTEXT: oneOf(item.CONTEXT, ['MOBILE', 'DESKTOP'], 'ALL'),
    DISABLED: item.DISABLED === 'Y' ? 'Y' : 'N',
    DISPLAY: oneOf(item.DISPLAY, ['BLOCK', 'LINE'], 'BLOCK'),
  };
  if (intval(item.WIDTH) > 0) button.WIDTH = intval(item.WIDTH);
  if (typeof item.BG_COLOR_TOKEN === 'string' && COLOR_TOKENS.includes(item.BG_COLOR_TOKEN)) {
    button.BG_COLOR_TOKEN = item.BG_COLOR_TOKEN;
  }
  for (const key of ['BG_COLOR', 'TEXT_COLOR', 'OFF_BG_COLOR', 'OFF_TEXT_COLOR']) {
    const color = item[key];
    if (typeof color === 'string' && HEX_COLOR.test(color)) button[key] = color;
  }
  return button;
}

/**
 * The list a KEYBOARD or MENU value holds under `key` (BUTTONS, ITEMS): a string is decoded first; a value without
 * that key set is itself the list (the short form the docs show), as the REST methods wrap it; the wrapper itself is
 * returned too, for its other keys (a keyboard's VOTE). Null when there is no list to read.
 */
export function listIn(value: unknown, key: string): { wrapper: Params; items: readonly unknown[] } | null {
  const given = decoded(value);
  const record = recordOf(given);
  const wrapper: Params = record && isset(record[key]) ? record : { [key]: given };
  const list = wrapper[key];
  if (list === null || typeof list !== 'object') return null;
  return { wrapper, items: Object.values(list) };
}

/**
 * The buttons `\Bitrix\Im\Bot\Keyboard::getKeyboardByJson` makes of a KEYBOARD (a stored copy of im/lib/bot/keyboard.php,
 * read with bitrix-tools/b24-rest-docs keyboards.md): the value or its BUTTONS, button by button: `{TYPE: 'NEWLINE'}`
 * is a line break (and counts as a button), one with a FUNCTION is skipped (REST calls never enable functions), any
 * other needs a TEXT (a string, not blank) and an action (buttonAction), or it is dropped. No button left is no
 * keyboard: null.
 */
export function keyboardOf(value: unknown, botId: number): Button[] | null {
  const list = listIn(value, 'BUTTONS');
  if (!list) return null;
  const vote = list.wrapper.VOTE === 'Y';
  const buttons: Button[] = [];
  for (const entry of list.items) {
    const item = recordOf(entry);
    if (!item) continue;
    if (item.TYPE === 'NEWLINE') buttons.push({ TYPE: 'NEWLINE' });
    else if (!isset(item.FUNCTION)) {
      const button = keyboardButton(item, botId, vote);
      if (button) buttons.push(button);
    }
  }
  return buttons.length > 0 ? buttons : null;
}

/**
 * The KEYBOARD check of `im.message.add` (yuliai/bitrix-modules@026c2eea im_rest.php messageAdd) and of
 * `imbot.v2.Chat.Message.send` (FieldsValidationService::checkKeyboard, same commit): an empty() one is no keyboard
 * (null); any other must make one (keyboardOf), else KEYBOARD_ERROR "Incorrect keyboard params" 400, before the
 * message is stored. The documented error (bitrix-tools/b24-rest-docs im-message-add.md: "Невалидный объект KEYBOARD").
 */
export function checkKeyboard(value: unknown, botId: number): Button[] | null {
  if (phpEmpty(value)) return null;
  const buttons = keyboardOf(value, botId);
  if (!buttons) throw restError('KEYBOARD_ERROR');
  return buttons;
}
