import type { Emulator } from '@b24-typing/emulator';

/**
 * The seeded Agent bot (bot 10) sets its status in chat1 (`imbot.v2.Chat.InputAction.notify`, `statusMessageCode`)
 * for `duration` seconds, as a bot's own server would, straight to the emulator.
 */
export async function agentStatus(emulator: Emulator, statusMessageCode: string, duration: number): Promise<void> {
  const response = await fetch(`${emulator.webhookUrl(1)}imbot.v2.Chat.InputAction.notify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ botId: 10, botToken: 'agent-bot-token', dialogId: 'chat1', statusMessageCode, duration }),
  });
  // Its answer is not what a test looks at (the page and the timeline are); read, so the connection is let go.
  await response.arrayBuffer();
}
