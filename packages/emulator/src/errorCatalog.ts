import { RestError } from './RestError';

/**
 * Every error the emulator can send, with the status and text it uses. Statuses follow the documented table
 * (reference §6) for system errors and the module source for method errors (imbot.v2 errors are 400, §1.3).
 * Descriptions are the source texts where the reference gives them, since that is what a server sends.
 */
export const ERROR_CATALOG = {
  // system (§6)
  INTERNAL_SERVER_ERROR: [500, 'Internal server error'],
  ERROR_UNEXPECTED_ANSWER: [500, 'Server returned an unexpected response'],
  QUERY_LIMIT_EXCEEDED: [503, 'Too many requests'],
  OPERATION_TIME_LIMIT: [429, 'Method is blocked due to operation time limit.'],
  ERROR_BATCH_METHOD_NOT_ALLOWED: [405, 'Method is not allowed for batch usage'],
  ERROR_BATCH_LENGTH_EXCEEDED: [400, 'Max batch length exceeded'],
  NO_AUTH_FOUND: [401, 'Wrong authorization data'],
  INVALID_REQUEST: [400, 'Https required.'],
  OVERLOAD_LIMIT: [503, 'REST API is blocked due to overload.'],
  INVALID_CREDENTIALS: [403, 'Invalid request credentials'],
  insufficient_scope: [403, 'The request requires higher privileges than provided by the webhook token'],
  expired_token: [401, 'The access token provided has expired'],
  user_access_error: [403, 'The user does not have access to the application.'],
  PORTAL_DELETED: [500, 'Portal was deleted'],
  ERROR_METHOD_NOT_FOUND: [404, 'Method not found!'],
  // Binder errors (`RestError.argument`): the text names the argument, this one is for an injected fault.
  ERROR_ARGUMENT: [400, 'Invalid argument'],
  // im (§1.1)
  DIALOG_ID_EMPTY: [400, "Dialog ID can't be empty"],
  CHAT_ID_EMPTY: [400, "Chat ID can't be empty"],
  ACCESS_ERROR: [403, 'Action unavailable'],
  // imbot v1 (§1.2)
  ACCESS_DENIED: [403, 'Access denied! Client ID not specified'],
  BOT_ID_ERROR: [400, 'Bot not found'],
  APP_ID_ERROR: [400, 'Bot was installed by another rest application'],
  // imbot.register (bitrix-tools/b24-rest-docs api-reference/chat-bots/outdated/bots/imbot-register.md; the module
  // source's texts, yuliai/bitrix-modules@026c2eea im_rest.php botRegister). A handler that is set but no URL is the
  // same code with "Wrong handler URL" (legacyBotMethods); a missing required one has the texts here.
  EVENT_MESSAGE_ADD_ERROR: [400, 'Handler for "Message add" event isn\'t specified'],
  EVENT_MESSAGE_UPDATE_ERROR: [400, 'Wrong handler URL'],
  EVENT_MESSAGE_DELETE_ERROR: [400, 'Wrong handler URL'],
  EVENT_WELCOME_MESSAGE_ERROR: [400, 'Handler for "Welcome message" event isn\'t specified'],
  EVENT_BOT_DELETE_ERROR: [400, 'Handler for "Bot delete" event isn\'t specified'],
  CODE_ERROR: [400, "Bot code isn't specified"],
  NAME_ERROR: [400, "Bot name isn't specified"],
  MAX_COUNT_ERROR: [400, 'Has reached the maximum number of bots for application (max: 5)'],
  // The im_rest.php handlers' catch-all refusal, each with its own text, which the caller must pass (restError):
  // imbot.message.add's "Message isn't added", imbot.update's "Update fields can't be empty", imbot.chat.user.add's
  // and imbot.chat.user.delete's. No source text is generic; this one is for an injected fault.
  WRONG_REQUEST: [400, 'Wrong request'],
  // imbot.v2 (§1.3, §4)
  BOT_TOKEN_NOT_SPECIFIED: [400, 'Bot token not specified (botToken is required for webhook auth)'],
  BOT_ID_REQUIRED: [400, 'botId is required'],
  BOT_NOT_FOUND: [400, 'Bot not found'],
  BOT_OWNERSHIP_ERROR: [400, 'Bot was installed by another rest application'],
  CHAT_NOT_FOUND: [400, 'Chat not found'],
  EMPTY_MESSAGE: [400, 'Message is empty'],
  SENDING_FAILED: [400, 'Sending failed'],
  BOT_CODE_REQUIRED: [400, 'Bot code is required'],
  BOT_PROPERTIES_REQUIRED: [400, 'Bot properties are required'],
  BOT_CODE_ALREADY_TAKEN: [400, 'Bot with this code already exists'],
  BOT_INVALID_TYPE: [400, 'Invalid bot type. Allowed: bot, supervisor, personal, openline, network'],
  BOT_INVALID_EVENT_MODE: [400, 'Invalid event mode. Allowed: fetch, webhook'],
  BOT_WEBHOOK_URL_REQUIRED: [400, 'Webhook URL is required for webhook event mode'],
  BOT_REGISTER_FAILED: [400, 'Bot registration failed'],
  BOT_INVALID_CALLBACK: [400, 'Invalid webhook URL'],
  BOT_LIMIT_EXCEEDED: [400, 'Bot limit exceeded'],
  BOT_AVATAR_INCORRECT_TYPE: [400, 'Avatar has an incorrect type'],
  BOT_AVATAR_INCORRECT_SIZE: [400, 'Avatar is too large'],
  BOT_TOKEN_INVALID_LENGTH: [400, 'Bot token must not be longer than 40 characters'],
  BOT_TOKEN_ROTATION_FAILED: [400, 'Bot token rotation failed'],
  // im.message.add
  MESSAGE_EMPTY: [400, 'Message text not provided'],
  USER_ID_EMPTY: [400, 'Recipient ID not specified when sending a personal message'],
  // im.message.add, from the module source (yuliai/bitrix-modules@026c2eea im_rest.php messageAdd)
  USER_NOT_FOUND: [400, 'User not found'],
  // Also imbot.v2.Chat.Message.send's (`ParamError::ATTACH_ERROR`, same text, FieldsValidationService @026c2eea).
  ATTACH_ERROR: [400, 'Incorrect attach params'],
  // An attach over 30 KB (imbot-message-add.md; checkAttach), im.message.add and im.message.update.
  ATTACH_OVERSIZE: [400, 'You have exceeded the maximum allowable size of attach'],
  PARAMS_ERROR: [400, 'Incorrect params'],
  // KEYBOARD and MENU that make no keyboard or menu (im-message-add.md; KEYBOARD_ERROR is also Message.send's,
  // `ParamError::KEYBOARD_ERROR` with the same text). im.message.update spells the menu's code `menu_ERROR`, in its
  // source and on its page (im-message-update.md), so that spelling is kept.
  KEYBOARD_ERROR: [400, 'Incorrect keyboard params'],
  MENU_ERROR: [400, 'Incorrect menu params'],
  menu_ERROR: [400, 'Incorrect menu params'],
  // REPLY_ID: a message the caller cannot see (or none), then one of another dialog; both STATUS_FORBIDDEN.
  REPLY_ACCESS_ERROR: [403, 'Action unavailable'],
  REPLY_FROM_OTHER_CHAT_ERROR: [403, 'You can only reply to a message within the same chat'],
  // imbot.v2.Chat.Message.send's replyId (`ReplyValidator`, im/lib/V2/Message/Reply/ReplyValidator.php @026c2eea):
  // no such message (`Message::checkAccess`, MessageError::NOT_FOUND), then one of another chat.
  MESSAGE_NOT_FOUND: [400, 'Message not found'],
  REPLY_ERROR: [400, 'You can only reply to a message within the same chat'],
  MESSAGE_ID_ERROR: [400, "Message ID can't be empty"],
  CANT_EDIT_MESSAGE: [403, "Time has expired for modification or you don't have access"],
  // im.chat.add: no members given (bitrix-tools/b24-rest-docs api-reference/chats/im-chat-add.md; the text is the
  // module source's, im_rest.php chatCreate). im.chat.user.add: the caller may not add members (`CIMChat::AddUser`'s
  // `ACCESS_DENIED_EXTEND`; the text is the method page's, chats/chat-users/im-chat-user-add.md).
  USERS_EMPTY: [400, 'Please select users before creating a new chat'],
  ACCESS_DENIED_EXTEND: [403, 'Insufficient permissions to add participants to the chat'],
  // im.chat.user.delete / im.chat.leave: the caller may not remove that member (`CIMChat::DeleteUser`'s
  // `ACCESS_DENIED_KICK`; the text is the EN method page's, bitrix24/b24restdocs chats/chat-users/im-chat-user-delete.md).
  ACCESS_DENIED_KICK: [403, 'Insufficient rights to exclude participants from the chat'],
  // im.dialog.messages.get (restdocs-ru api-reference/chats/messages/im-dialog-messages-get.md)
  FIRST_ID_STRING: [400, "First ID can't be string"],
  LAST_ID_STRING: [400, "Last ID can't be string"],
  // emulator transport errors (not from the platform: a portal's web server would answer these itself)
  REQUEST_ENTITY_TOO_LARGE: [413, 'Request body is too large'],
} as const satisfies Record<string, readonly [number, string]>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

/** Codes whose text is the calling method's (no one text fits them all): restError takes it from the caller. */
type PerMethodCode = 'WRONG_REQUEST';

/**
 * The error of a catalog code, with its catalog status and text or the `description` given; for a code whose text is
 * per method (PerMethodCode) the text must be given, so that no method sends another's.
 */
export function restError(code: Exclude<ErrorCode, PerMethodCode>, description?: string): RestError;
export function restError(code: PerMethodCode, description: string): RestError;
export function restError(code: ErrorCode, description?: string): RestError {
  const [status, text] = ERROR_CATALOG[code];
  return new RestError(code, description ?? text, status);
}
