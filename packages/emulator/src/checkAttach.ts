import { restError } from './errorCatalog';
import { intval, isPhpList, isset, phpEmpty, phpTrim, recordOf, stringOf } from './paramValues';
import type { Params } from './phpQuery';

/** The links an attach keeps: `preg_match('#^(?:/|https?://)#', …)`, a path or an http(s) URL. */
const LINK = /^(?:\/|https?:\/\/)/;

/** The text of ATTACH_OVERSIZE, which the V2 send path gives with ATTACH_ERROR. */
const OVERSIZE_TEXT = 'You have exceeded the maximum allowable size of attach';

/** A LINK an attach, a keyboard button or a menu item keeps: a path or an http(s) URL. */
export function isLink(value: unknown): boolean {
  const text = stringOf(value);
  return text !== null && LINK.test(text);
}

/** PHP `trim($x) == ''` on a scalar (an unset one reads as ''); an array is no text. */
function isBlank(value: unknown): boolean {
  if (!isset(value)) return true;
  const text = stringOf(value);
  return text === null || phpTrim(text) === '';
}

/** `AddUser`: a NAME that is not blank. */
function userAdds(item: unknown): boolean {
  const user = recordOf(item);
  return user !== null && isset(user.NAME) && !isBlank(user.NAME);
}

/** `AddLink` and `AddRichLink`: a named network id, user or chat, or else a LINK that is a path or http(s) URL. */
function linkAdds(item: unknown): boolean {
  const link = recordOf(item);
  if (!link) return false;
  const named = isset(link.NAME);
  if (named && (isset(link.NETWORK_ID) || intval(link.USER_ID) > 0 || intval(link.CHAT_ID) > 0)) return true;
  return isLink(link.LINK);
}

/** `AddMessage`: `MESSAGE['TEXT']` when MESSAGE is an array with TEXT, else MESSAGE itself, not blank once trimmed. */
function messageAdds(message: unknown): boolean {
  const record = recordOf(message);
  return !isBlank(record && isset(record.TEXT) ? record.TEXT : message);
}

/** `AddGrid`: some row that is a LINE, or that has a NAME or VALUE that is not blank. */
function gridAdds(rows: unknown): boolean {
  if (rows === null || typeof rows !== 'object') return false;
  return Object.values(rows).some((item) => {
    const row = recordOf(item);
    if (!row) return false;
    if (stringOf(row.DISPLAY) === 'LINE') return true;
    return (isset(row.NAME) || isset(row.VALUE)) && !(isBlank(row.NAME) && isBlank(row.VALUE));
  });
}

/** `AddImages` and `AddFiles` (one record given alone is wrapped in a list first): some item with a LINK. */
function linkedItemsAdd(items: unknown): boolean {
  if (items === null || typeof items !== 'object') return false;
  const list = isPhpList(items) ? Object.values(items) : [items];
  return list.some((item) => isLink(recordOf(item)?.LINK));
}

/** USER, LINK and RICH_LINK take one item or a list of them: some item must add. */
function someAdds(value: unknown, adds: (item: unknown) => boolean): boolean {
  if (value !== null && typeof value === 'object' && isPhpList(value)) return Object.values(value).some(adds);
  return adds(value);
}

/** Whether one block adds anything, read by its first set key in `GetAttachByJson`'s order; others are skipped. */
function blockAdds(data: unknown): boolean {
  const block = recordOf(data);
  if (!block) return false;
  if (isset(block.USER)) return someAdds(block.USER, userAdds);
  if (isset(block.LINK)) return someAdds(block.LINK, linkAdds);
  if (isset(block.RICH_LINK)) return someAdds(block.RICH_LINK, linkAdds);
  if (isset(block.MESSAGE)) return messageAdds(block.MESSAGE);
  if (isset(block.GRID)) return gridAdds(block.GRID);
  if (isset(block.IMAGE)) return linkedItemsAdd(block.IMAGE);
  if (isset(block.FILE)) return linkedItemsAdd(block.FILE);
  return isset(block.DELIMITER);
}

/**
 * A string param (ATTACH, KEYBOARD, MENU) decoded as JSON; one that is not JSON decodes to nothing usable. The source
 * reads these with `CUtil::JsObjectToPhp`, a JavaScript-literal reader: a single-quoted literal is nothing here.
 */
export function decoded(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return null;
  }
}

/**
 * Whether `CIMMessageParamAttach::GetAttachByJson` (yuliai/bitrix-modules@b2acc890
 * im/classes/general/im_message_param.php) makes an attach of `value`: a string is decoded first, then anything but an
 * array is none; the blocks are `BLOCKS` when that is set, else the array itself (so `{MESSAGE: 'hi'}` is a list of
 * one string, no block); each block is added by its `Add*` method, which refuses what it cannot use; no block added
 * (`IsEmpty`) is no attach. The source decodes with `CUtil::JsObjectToPhp`, a JavaScript-literal reader, where this
 * takes JSON only: a single-quoted literal a portal would read is no attach here.
 */
export function isAttach(value: unknown): boolean {
  const array = decoded(value);
  if (array === null || typeof array !== 'object') return false;
  const blocks = isset((array as Params).BLOCKS) ? (array as Params).BLOCKS : array;
  if (blocks === null || typeof blocks !== 'object') return false;
  return Object.values(blocks).some(blockAdds);
}

/**
 * The most an attach may weigh: "30 KB" (bitrix24/b24restdocs api-reference/chat-bots/messages/imbot-message-add.md,
 * ATTACH_OVERSIZE: "The maximum allowable size of ATTACH has been exceeded — 30 KB"; the RU pages say "30 Кб"), read
 * as 30 × 1,024 bytes of the attach's JSON. The stored source (`IsAllowSize`) measures differently, under 60,000
 * characters of the JSON of the attach it built; the sources disagree, and the documented number is followed.
 */
const MAX_ATTACH_BYTES = 30 * 1024;

/** Whether an attach is over MAX_ATTACH_BYTES: a string as sent (it is the JSON), anything else JSON-encoded. */
function isOversize(value: unknown): boolean {
  const json = typeof value === 'string' ? value : JSON.stringify(value);
  return Buffer.byteLength(json, 'utf8') > MAX_ATTACH_BYTES;
}

/**
 * The ATTACH check `im.message.add` and `im.message.update` share (yuliai/bitrix-modules@026c2eea im_rest.php
 * messageAdd, messageUpdate): `GetAttachByJson`; an attach over the size limit (isOversize) is ATTACH_OVERSIZE "You
 * have exceeded the maximum allowable size of attach" 400; when there is no attach, ATTACH_ERROR "Incorrect attach
 * params" 400 if the ATTACH was PHP-truthy; an empty() one is no attach and no error. The attach is checked, not stored.
 */
export function checkAttach(value: unknown): void {
  if (phpEmpty(value)) return;
  if (!isAttach(value)) throw restError('ATTACH_ERROR');
  if (isOversize(value)) throw restError('ATTACH_OVERSIZE');
}

/**
 * The ATTACH check of the V2 send path, `FieldsValidationService::checkAttach` (yuliai/bitrix-modules@026c2eea
 * im/lib/V2/Message/Send/FieldsValidationService.php), which `imbot.v2.Chat.Message.send` runs: the same
 * `GetAttachByJson`, but asked of every ATTACH that is set (`isset`: a JSON null is not), so an empty() one such as
 * `''` or `0` is ATTACH_ERROR "Incorrect attach params" here where checkAttach lets it through. An attach over the
 * size limit (isOversize) is refused with the same code and the oversize text, as that service answers it.
 */
export function checkSetAttach(value: unknown): void {
  if (!isset(value)) return;
  if (!isAttach(value)) throw restError('ATTACH_ERROR');
  if (isOversize(value)) throw restError('ATTACH_ERROR', OVERSIZE_TEXT);
}
