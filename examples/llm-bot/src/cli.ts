#!/usr/bin/env node
// The bot as a program: `pnpm --filter @b24-typing/example-llm-bot start [-- --events webhook]`.
// All logic is in startBot; this file reads flags and env, prints a banner and handles Ctrl-C.
import { B24Error, B24InputError } from '@b24-typing/core';
import { startEmulator } from '@b24-typing/emulator';
import { createWebhookTransport } from '@b24-typing/node';
import { createModel } from './createModel';
import { listenForStop } from './listenForStop';
import { readCliOptions } from './readCliOptions';
import { type RunningBot, startBot } from './startBot';

const USAGE = `Usage: llm-bot [options]

  --events <mode>        fetch (poll imbot.v2.Event.get, default) | webhook (local HTTP endpoint)
  --poll-ms <n>          fetch mode only: pause between polls (default 5000 on a portal, 1000 on the emulator)
  --webhook-port <n>     webhook mode only: local port (default: any free port)
  --public-url <url>     webhook mode only: the URL the portal can reach (a tunnel); default the local one
  --emulator-port <n>    without B24_WEBHOOK_URL: port of the embedded emulator (default 8024)
  -h, --help

Environment:
  B24_WEBHOOK_URL        a portal's incoming webhook (scope imbot); without it the bot runs against a local emulator
  B24_BOT_TOKEN          the bot's token (you choose it, ≤ 40 chars); required with B24_WEBHOOK_URL
  B24_APPLICATION_TOKEN  webhook mode: the application_token the portal signs events with (local emulator: its own)
  LLM_BASE_URL, LLM_API_KEY, LLM_MODEL   an OpenAI-compatible endpoint (the key if it needs one; a key alone is
                         refused); without them a local demo model answers, as the start-up banner says
  LLM_LOCAL_SPEED        the local model's delays times this, a number ≥ 0 (default 1, ~6 s an answer; 0.5 halves them)
`;

async function main(): Promise<number | undefined> {
  // Every flag and variable, the model's too, before anything listens or calls the network (readCliOptions).
  const options = readCliOptions(process.argv.slice(2), process.env);
  if (options === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const { mode, botToken } = options;
  const { model, description, secrets } = createModel();
  const log = (line: string) => process.stdout.write(`[${new Date().toISOString().slice(11, 23)}] ${line}\n`);
  // From here a Ctrl-C or SIGTERM stops what has started, also while the emulator starts (that finishes first) or the
  // bot registers: registration, retried for up to a minute on a failing portal, is aborted (startBot's `signal`), and
  // once registered the bot stops as it would when running.
  const stop = listenForStop((line) => process.stdout.write(`${line}\n`));
  /** What a stop asked for now waits for; unset once the bot runs (or has gone deaf while starting). */
  let waitingFor: string | undefined;
  void stop.requested.then((why) => {
    if (waitingFor) log(`${why}: stopping once ${waitingFor}…`);
  });

  let emulator: Awaited<ReturnType<typeof startEmulator>> | undefined;
  let webhook: string;
  if (options.portalUrl) webhook = options.portalUrl;
  else {
    waitingFor = 'the emulator has started';
    emulator = await startEmulator({ port: options.emulatorPort });
    webhook = emulator.webhookUrl();
  }
  let events: Parameters<typeof startBot>[0]['events'];
  if (mode === 'webhook') {
    // The local emulator tells which token it signs events with (its webhook's); a real portal shows it in the app
    // settings (readCliOptions requires it there).
    const applicationToken = options.applicationToken ?? emulator?.webhookApplicationToken() ?? '';
    events = {
      mode,
      applicationToken,
      ...(options.webhookPort === undefined ? {} : { port: options.webhookPort }),
      ...(options.publicUrl === undefined ? {} : { publicUrl: options.publicUrl }),
    };
  } else {
    events = { mode, intervalMs: options.pollMs ?? (emulator ? 1000 : 5000) };
  }

  const transport = createWebhookTransport(webhook);
  let exitCode = 0;
  let bot: RunningBot | undefined;
  if (stop.reason === undefined) {
    waitingFor = 'registration is aborted';
    bot = await startBot({
      transport,
      botToken,
      model,
      events,
      log,
      // Cut from the bot's log with its own tokens: the model's key and the webhook's code (the transport scrubs its
      // own errors of it; a model provider's or a proxy's error text, logged for the operator, it does not see).
      secrets: [...secrets, ...webhookCode(webhook)],
      // Deaf for good (a wrong token; a deleted bot, whose ONIMBOTV2DELETE ended the source): stop and exit 1
      // rather than run on silently. Asked for directly, not by a SIGTERM to ourselves: it can come before startBot
      // has returned (a delete the portal posted during registration, taken then), and on Windows such a signal
      // kills the process outright.
      onError: () => {
        exitCode = 1;
        waitingFor = undefined;
        stop.request('event source gone');
      },
      signal: stop.signal,
    }).catch((error: unknown) => {
      // Aborted by the stop asked for: not a failure (exit 0 for a signal); it logged what it gave up.
      if (stop.signal.aborted && error instanceof B24Error && error.code === 'ABORTED') return undefined;
      throw error;
    });
    waitingFor = undefined;
  }
  if (bot && stop.reason === undefined) {
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
  }

  const why = await stop.requested;
  log(`${why}: stopping (${bot?.busy() ?? 0} answer(s) in progress)…`);
  const stopped = await stop.run(
    [
      ['stop the bot', () => bot?.stop()],
      ['close the transport', () => transport.close()],
      ['close the emulator', () => emulator?.close()],
    ],
    log,
  );
  log('stopped');
  return stopped ? exitCode : 1;
}

/** The code of a webhook URL `…/rest/<userId>/<code>/` (the whole credential), as written and decoded. */
function webhookCode(url: string): string[] {
  const code = /\/rest\/\d+\/([^/]+)\/?$/.exec(new URL(url).pathname)?.[1];
  if (code === undefined) return [];
  try {
    return [code, decodeURIComponent(code)];
  } catch {
    return [code];
  }
}

main().then(
  (code) => process.exit(code ?? 0),
  (error: unknown) => {
    // Bad input points at the list of what is accepted; anything else is what went wrong, as it is.
    const hint = error instanceof B24InputError ? ' (llm-bot --help lists the flags and variables)' : '';
    process.stderr.write(`llm-bot: ${error instanceof Error ? error.message : String(error)}${hint}\n`);
    process.exit(1);
  },
);
