import type { Request } from 'playwright-core';

/**
 * The `FIRST_ID` of a page's `im.dialog.messages.get` request (the id before the first message it asks for): which
 * messages a buttons lookup or a history read was for; undefined for any other request.
 */
export function lookupFirstId(request: Request): number | undefined {
  if (!request.url().includes('im.dialog.messages.get')) return undefined;
  const first = /(?:^|&)FIRST_ID=(\d+)/.exec(request.postData() ?? '');
  return first ? Number(first[1]) : undefined;
}
