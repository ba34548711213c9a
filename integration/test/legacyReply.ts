import type { Transport } from '@b24-typing/core';

/** Who a legacy bot's reply is from and where it goes. */
export interface LegacyReplyTo {
  readonly botId: number;
  readonly dialogId: string;
  /** A webhook's bot's `CLIENT_ID`; undefined for an application's bot, which the OAuth token names. */
  readonly botToken: string | undefined;
}

/**
 * Posts `text` as a legacy (v1) bot with `imbot.message.add`, the call whose message hides the bot's typing (core
 * README: the deprecated sendTyping has no clear). `CLIENT_ID` goes only for a webhook's bot (imbot-register.md:
 * "required only for webhooks"). Gives the new message's id.
 */
export function legacyReply(transport: Transport, { botId, dialogId, botToken }: LegacyReplyTo, text: string) {
  return transport.call('imbot.message.add', {
    BOT_ID: botId,
    DIALOG_ID: dialogId,
    MESSAGE: text,
    ...(botToken === undefined ? {} : { CLIENT_ID: botToken }),
  });
}
