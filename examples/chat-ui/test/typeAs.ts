import type { Emulator } from '@b24-typing/emulator';

/**
 * Another member of the chat (chat1, or `dialogId`) types, as their own client reports it: `im.dialog.writing` with a token of theirs,
 * straight to the emulator (the page under test is Alice's).
 */
export async function typeAs(emulator: Emulator, user: number, dialogId = 'chat1'): Promise<void> {
  const response = await fetch(`${emulator.restUrl}im.dialog.writing`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ DIALOG_ID: dialogId, auth: emulator.issueToken(user).accessToken }),
  });
  // Its answer is not what a test looks at (the page and the timeline are); read, so the connection is let go.
  await response.arrayBuffer();
}
