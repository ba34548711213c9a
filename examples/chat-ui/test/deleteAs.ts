import type { Emulator } from '@b24-typing/emulator';

/**
 * A member of the chat deletes a message of theirs, as their own client does: `im.message.delete` with a token of
 * theirs, straight to the emulator (the page under test is Alice's). Rejects unless the portal answers `true`.
 */
export async function deleteAs(emulator: Emulator, user: number, messageId: number): Promise<void> {
  const response = await fetch(`${emulator.restUrl}im.message.delete`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ID: messageId, auth: emulator.issueToken(user).accessToken }),
  });
  const body = (await response.json()) as { result?: unknown };
  if (body.result !== true) throw new Error(`im.message.delete answered ${JSON.stringify(body)}`);
}
