#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseCliArgs } from './parseCliArgs';
import { startEmulator } from './startEmulator';

/** `b24-emulator`: run a local portal until SIGINT/SIGTERM. */
async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseCliArgs>;
  try {
    parsed = parseCliArgs(process.argv.slice(2));
  } catch (error) {
    // The usage is long: name the mistake first and where the options are, as the usage error of any CLI does.
    process.stderr.write(`b24-emulator: ${(error as Error).message}\nRun b24-emulator --help for the options.\n`);
    process.exitCode = 2;
    return;
  }
  if (parsed.help) {
    process.stdout.write(parsed.usage);
    return;
  }
  const { cert, key, ...options } = parsed.options;
  const emulator = await startEmulator({
    ...options,
    ...(cert && key ? { tls: { cert: readFileSync(cert), key: readFileSync(key) } } : {}),
  });
  const { fixtures } = emulator;
  process.stdout.write(
    [
      `Bitrix24 emulator listening on ${emulator.url}`,
      `  webhook:    ${emulator.webhookUrl()}`,
      `  live page:  ${emulator.liveUrl}`,
      `  OAuth:      client_endpoint ${emulator.restUrl} access_token ${fixtures.oauth.accessToken}`,
      `  bot:        id ${fixtures.bots.agent.id} botToken ${fixtures.bots.agent.botToken} (chat1)`,
      'Press Ctrl+C to stop.',
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    emulator.close().then(() => {
      process.stdout.write(`Stopped (${signal}).\n`);
      process.exit(0);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`b24-emulator: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
