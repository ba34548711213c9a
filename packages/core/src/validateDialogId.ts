import { B24InputError, describeValue } from './B24InputError';

/**
 * A Bitrix24 dialog: `chat<N>` for a group chat, `<userId>` for a personal chat, `sg<N>` for a workgroup chat
 * (imbot.v2 only). A plain number is a user id.
 */
export type DialogId = `chat${number}` | `sg${number}` | `${number}`;

/**
 * Which method the id goes to. `im.dialog.writing` resolves `sg<N>` to chat 0 and fails with `ACCESS_ERROR`, and
 * the legacy `imbot.chat.sendTyping` documents only `chat<N>` and user ids, so `sg<N>` is accepted for `v2` only.
 */
export type DialogApi = 'im' | 'legacy' | 'v2';

/**
 * Checks and normalises a dialog id before any call: surrounding blanks are trimmed, leading zeros dropped, numbers
 * turned into strings. Throws {@link B24InputError} for anything else, because the portal would answer
 * `DIALOG_ID_EMPTY` or, worse, `ACCESS_ERROR` after a round trip.
 */
export function validateDialogId(value: unknown, api: DialogApi = 'v2', field = 'dialogId'): DialogId {
  return api === 'im'
    ? checkDialogId(value, field)
    : checkDialogId(
        value,
        field,
        `a dialog id: "chat<N>"${api === 'v2' ? ', "sg<N>"' : ''} or a user id "<N>" (N a positive integer)`,
        api === 'v2',
      );
}

/**
 * What {@link validateDialogId} does, given the `rule` its error states and whether `sg<N>` is taken (`sg`, imbot.v2
 * only). The defaults are `im.dialog.writing`'s, with which user typing calls it: a browser composer, which bundles
 * that alone, then carries no other API's rule.
 */
export function checkDialogId(
  value: unknown,
  field = 'dialogId',
  rule = 'a dialog id: "chat<N>" or a user id "<N>" (N a positive integer; "sg<N>" only works with imbot.v2)',
  sg?: boolean,
): DialogId {
  // A number that is not a positive safe integer fails below: the pattern (1.5, -1, NaN, 1e21) or the id check.
  // A number as its text, anything but a number or a string as no text. (A literal rather than a module constant: the
  // bundle is smaller.)
  const match = /^(chat|sg)?(\d+)$/.exec(
    typeof value === 'number' || typeof value === 'string' ? String(value).trim() : '',
  );
  const prefix = match?.[1] ?? '';
  const id = Number(match?.[2]); // NaN without a match
  if (!Number.isSafeInteger(id) || id <= 0 || (prefix === 'sg' && !sg)) {
    throw new B24InputError(field, rule, describeValue(value));
  }
  return `${prefix}${id}` as DialogId;
}
