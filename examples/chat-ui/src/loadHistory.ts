import type { Transport } from '@b24-typing/core';
import { messageButtons } from './loadButtons';

/** A message of the chat's history, with its words as they are now. */
export interface HistoryMessage {
  readonly id: number;
  readonly authorId: number;
  readonly text: string;
  /** When it was written (to the second: the portal's `date`). */
  readonly date: number;
  readonly edited: boolean;
  /** Deleted by its author (the portal's soft delete): `text` is what the portal shows instead of it. */
  readonly deleted: boolean;
  /** The texts of its buttons (`params.KEYBOARD`, `MENU`), `[]` for none: listed under its words, or in their place. */
  readonly buttons: readonly string[];
}

/** The chat's newest messages, read back after a gap. */
export interface History {
  /** Oldest first. */
  readonly messages: readonly HistoryMessage[];
  /**
   * They reach back to the message the page named (or to the chat's first): none written since is left out. Else
   * the reading stopped at `HISTORY_PAGES`, and older ones may be missing.
   */
  readonly whole: boolean;
}

/** Messages per call: the most `im.dialog.messages.get` gives (its docs: 20 by default, 50 at most). */
const PAGE_SIZE = 50;

/**
 * How many pages are read back at most: a page away for long in a busy chat does not load its whole history on a
 * reconnect (150 messages is more than anyone reads through to catch up; the gap says what is left out).
 */
export const HISTORY_PAGES = 3;

interface PortalMessage {
  readonly id: number;
  readonly author_id: number;
  readonly text: string;
  readonly date: string;
  readonly params: { readonly IS_EDITED?: string; readonly IS_DELETED?: string } | null;
}

/**
 * The chat's history back to message `since` (the newest the page showed), as a Bitrix24 app reads it:
 * `im.dialog.messages.get` pages, newest first, each asking below the oldest of the one before (`LAST_ID`), until one
 * reaches `since` or the chat's first message, or `HISTORY_PAGES` were read. Rejects as the call does, or when a reply
 * is not a page of messages.
 */
export async function loadHistory(transport: Transport, dialogId: string, since: number): Promise<History> {
  const newestFirst: HistoryMessage[] = [];
  let lastId: number | undefined;
  for (let page = 0; page < HISTORY_PAGES; page++) {
    const params = { DIALOG_ID: dialogId, LIMIT: PAGE_SIZE, ...(lastId !== undefined && { LAST_ID: lastId }) };
    const result = (await transport.call('im.dialog.messages.get', params)) as { messages?: unknown } | null;
    if (!Array.isArray(result?.messages)) throw new Error('im.dialog.messages.get answered without messages');
    const messages = result.messages as readonly PortalMessage[];
    for (const m of messages) {
      newestFirst.push({
        id: m.id,
        authorId: m.author_id,
        text: m.text,
        date: Date.parse(m.date),
        edited: m.params?.IS_EDITED === 'Y',
        deleted: m.params?.IS_DELETED === 'Y',
        buttons: messageButtons(m.params),
      });
    }
    const oldest = messages.at(-1);
    if (oldest === undefined || messages.length < PAGE_SIZE || oldest.id <= since) {
      return { messages: newestFirst.reverse(), whole: true };
    }
    lastId = oldest.id;
  }
  return { messages: newestFirst.reverse(), whole: false };
}
