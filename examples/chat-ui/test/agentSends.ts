import type { Emulator } from '@b24-typing/emulator';

/**
 * The seeded Agent bot (bot 10) posts a message to chat1 (`imbot.v2.Chat.Message.send`: `message`, `attach`,
 * `keyboard`), as a bot's own server would, straight to the emulator. Resolves to the message id; rejects unless the
 * portal took it.
 */
export async function agentSends(emulator: Emulator, fields: Record<string, unknown>): Promise<number> {
  const response = await fetch(`${emulator.webhookUrl(1)}imbot.v2.Chat.Message.send`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ botId: 10, botToken: 'agent-bot-token', dialogId: 'chat1', fields }),
  });
  const body = (await response.json()) as { result?: { id?: unknown } };
  if (typeof body.result?.id !== 'number')
    throw new Error(`imbot.v2.Chat.Message.send answered ${JSON.stringify(body)}`);
  return body.result.id;
}
