/**
 * Takes docs/live-page.png: starts an emulator, opens the live page in headless Chromium, then drives some
 * activity over REST so the page updates through SSE (no reload) before the shot.
 * Run: pnpm --filter @b24-typing/emulator screenshot
 */
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../src/index';
import { launchChromium } from '@b24-typing/test-utils';

const out = fileURLToPath(new URL('../docs/live-page.png', import.meta.url));
const emulator = await startEmulator({ plan: 'standard', clientLifetimeSec: 600 });
const hook = (user: number) => emulator.webhookUrl(user);
const call = async (url: string, body: Record<string, unknown>) => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok)
    throw new Error(`${url.replace(/\/rest\/\d+\/[^/]+\//, '/rest/…/')} → ${res.status} ${await res.text()}`);
};
const agent = { botId: 10, botToken: 'agent-bot-token' };

const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 760 }, deviceScaleFactor: 1 });
  await page.goto(emulator.liveUrl);
  await page.waitForSelector('#conn.on');

  await call(`${hook(2)}im.message.add`, { DIALOG_ID: 'chat1', MESSAGE: 'Can someone check why the deploy is red?' });
  await call(`${hook(3)}im.message.add`, { DIALOG_ID: 'chat1', MESSAGE: '@Agent what changed in the last release?' });
  await call(`${hook(1)}im.dialog.writing`, { DIALOG_ID: 'chat1' });
  await call(`${hook(1)}imbot.v2.Chat.InputAction.notify`, {
    ...agent,
    dialogId: 'chat1',
    statusMessageCode: 'IMBOT_AGENT_ACTION_SEARCHING',
    duration: 120,
  });
  await call(`${emulator.restUrl}imbot.v2.Chat.InputAction.notify`, {
    auth: emulator.fixtures.oauth.accessToken,
    botId: 11,
    dialogId: 'chat1',
    statusMessageCode: 'IMBOT_AGENT_ACTION_ANALYZING',
    duration: 90,
  });
  await call(`${hook(1)}im.message.add`, { DIALOG_ID: 'chat2', MESSAGE: 'Standup moved to 10:30' });
  await call(`${hook(2)}im.dialog.writing`, { DIALOG_ID: 'chat2' });
  await call(`${hook(2)}im.message.add`, { DIALOG_ID: '10', MESSAGE: 'Summarise the Q3 report, please' });
  await call(`${hook(2)}imbot.v2.Chat.InputAction.notify`, {
    ...agent,
    dialogId: '2',
    statusMessageCode: 'IMBOT_AGENT_ACTION_READING_DOCS',
    duration: 60,
  });
  await call(`${hook(2)}imbot.v2.Chat.InputAction.notify`, {
    ...agent,
    dialogId: '2',
    statusMessageCode: 'IMBOT_AGENT_ACTION_COMPOSING',
    duration: 60,
  });

  await page.waitForFunction("document.querySelectorAll('.typing').length >= 5");
  await page.waitForTimeout(300);
  await page.screenshot({ path: out });
  process.stdout.write(`wrote ${out}\n`);
} finally {
  await browser.close();
  await emulator.close();
}
