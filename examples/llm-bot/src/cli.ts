#!/usr/bin/env node
// The bot as a program: `pnpm --filter @b24-typing/example-llm-bot start [-- --events webhook]`.
// All logic is in startBot; this file reads flags and env, prints a banner and handles Ctrl-C.
import { parseArgs } from 'node:util';
import { startEmulator } from '@b24-typing/emulator';
import { createWebhookTransport } from '@b24-typing/node';
import { createModel } from './createModel';
import { startBot } from './startBot';

const USAGE = `Usage: llm-bot [options]

  --events <mode>        fetch (poll imbot.v2.Event.get, default) | webhook (local HTTP endpoint)
  --poll-ms <n>          fetch mode: pause between polls (default 5000 on a portal, 1000 on the emulator)
  --webhook-port <n>     webhook mode: local port (default: any free port)
  --public-url <url>     webhook mode: the URL the portal can reach (a tunnel); default the local one
  --emulator-port <n>    without B24_WEBHOOK_URL: port of the embedded emulator (default 8024)
  -h, --help

Environment:
  B24_WEBHOOK_URL        a portal's incoming webhook (scope imbot); without it the bot runs against a local emulator
  B24_BOT_TOKEN          the bot's token (you choose it, ≤ 40 chars); required with B24_WEBHOOK_URL
  B24_APPLICATION_TOKEN  webhook mode: the application_token the portal signs events with (local emulator: its own)
  LLM_BASE_URL, LLM_API_KEY, LLM_MODEL   an OpenAI-compatible endpoint; without them a local demo model answers
  LLM_LOCAL_SPEED        the local model's delays times this, a number ≥ 0 (default 1, ~6 s an answer; 0.5 halves them)
`;

async function main(): Promise<number | undefined> {
  const { values } = parseArgs({
    // `pnpm start -- --flag` passes the `--` through
    args: process.argv.slice(2).filter((arg) => arg !== '--'),
    options: {
      events: { type: 'string', default: 'fetch' },
      'poll-ms': { type: 'string' },
      'webhook-port': { type: 'string' },
      'public-url': { type: 'string' },
      'emulator-port': { type: 'string', default: '8024' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const mode = values.events;
  if (mode !== 'fetch' && mode !== 'webhook') throw new Error(`--events must be fetch or webhook, got ${mode}`);
  const number = (name: string, value: string | undefined, max: number) => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > max)
      throw new Error(`--${name} must be an integer from 0 to ${max}, got ${value}`);
    return n;
  };
  // Every flag and the model's variables are read before anything starts or is called: a bad one is an error, not a
  // bot that started and then failed (or ran on with a default instead).
  const emulatorPort = number('emulator-port', values['emulator-port'], 65_535);
  const webhookPort = mode === 'webhook' ? number('webhook-port', values['webhook-port'], 65_535) : undefined;
  const pollMs = mode === 'fetch' ? number('poll-ms', values['poll-ms'], 2_147_483_647) : undefined;
  const { model, description } = createModel();

  const portalUrl = process.env.B24_WEBHOOK_URL?.trim();
  let emulator: Awaited<ReturnType<typeof startEmulator>> | undefined;
  let webhook: string;
  let botToken: string;
  let applicationToken = process.env.B24_APPLICATION_TOKEN?.trim();
  if (portalUrl) {
    webhook = portalUrl;
    botToken = process.env.B24_BOT_TOKEN?.trim() ?? '';
    if (!botToken) throw new Error('B24_BOT_TOKEN must be set with B24_WEBHOOK_URL (choose one, ≤ 40 characters)');
  } else {
    emulator = await startEmulator({ port: emulatorPort ?? 8024 });
    webhook = emulator.webhookUrl();
    botToken = process.env.B24_BOT_TOKEN?.trim() || 'llm-bot-demo-token';
  }
  let events: Parameters<typeof startBot>[0]['events'];
  if (mode === 'webhook') {
    // The local emulator tells which token it signs events with (its webhook's); a real portal shows it in the app settings.
    applicationToken ||= emulator?.webhookApplicationToken();
    if (!applicationToken) throw new Error("webhook mode needs B24_APPLICATION_TOKEN (see your portal's app settings)");
    events = {
      mode,
      applicationToken,
      ...(webhookPort === undefined ? {} : { port: webhookPort }),
      ...(values['public-url'] ? { publicUrl: values['public-url'] } : {}),
    };
  } else {
    events = { mode, intervalMs: pollMs ?? (emulator ? 1000 : 5000) };
  }
  applicationToken = undefined;

  const transport = createWebhookTransport(webhook);
  let exitCode = 0;
  const log = (line: string) => process.stdout.write(`[${new Date().toISOString().slice(11, 23)}] ${line}\n`);
  const bot = await startBot({
    transport,
    botToken,
    model,
    events,
    log,
    // Deaf for good (a wrong token; a deleted bot, whose ONIMBOTV2DELETE ended the source): stop and exit 1
    // rather than run on silently.
    onError: () => {
      exitCode = 1;
      process.kill(process.pid, 'SIGTERM');
    },
  });
  process.stdout.write(
    [
      '',
      `LLM bot ${bot.botId} is running (${description}).`,
      emulator
        ? `  Local emulator: ${emulator.url}   live page: ${emulator.liveUrl}\n  Write to the bot: POST ${emulator.url}/_emulator/messages {"from":1,"dialogId":"${bot.botId}","text":"hi"}`
        : `  Portal: ${new URL(webhook).origin}`,
      'Press Ctrl+C to stop (any status the bot shows is cleared).',
      '',
    ].join('\n'),
  );

  await new Promise<void>((resolve) => {
    let stoppingSince = 0;
    const stop = (signal: string) => {
      // One Ctrl-C can arrive twice (from the terminal and relayed by pnpm or tsx): only a later one forces.
      if (stoppingSince) {
        if (Date.now() - stoppingSince > 2_000) {
          process.stdout.write('Forced exit.\n');
          process.exit(130);
        }
        return;
      }
      stoppingSince = Date.now();
      log(`${signal}: stopping (${bot.busy()} answer(s) in progress)…`);
      bot
        .stop()
        .then(() => transport.close())
        .then(() => emulator?.close())
        .finally(() => {
          log('stopped');
          resolve();
        });
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
  return exitCode;
}

main().then(
  (code) => process.exit(code ?? 0),
  (error: unknown) => {
    process.stderr.write(`llm-bot: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
