#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { parseCliArgs } from './parseCliArgs';
import { startEmulator } from './startEmulator';

/**
 * The `--cert` / `--key` files, read and tried as a TLS context (what the HTTPS server will do with them), so a
 * missing or unusable file is a usage error naming the flag, as every other bad value is, not a failure to start.
 * OpenSSL's text names the failing step, never the key material.
 */
function readTls(cert: string, key: string): { cert: Buffer; key: Buffer } {
  const read = (flag: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new Error(`--${flag} ${JSON.stringify(file)} cannot be read: ${reason}`);
    }
  };
  const tls = { cert: read('cert', cert), key: read('key', key) };
  try {
    createSecureContext(tls);
  } catch (error) {
    throw new Error(`--cert / --key cannot be used: ${(error as Error).message}`);
  }
  return tls;
}

/** `b24-emulator`: run a local portal until SIGINT/SIGTERM. */
async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseCliArgs>;
  let tls: { cert: Buffer; key: Buffer } | undefined;
  try {
    parsed = parseCliArgs(process.argv.slice(2));
    const { cert, key } = parsed.options;
    if (!parsed.help && cert && key) tls = readTls(cert, key);
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
  const { cert: _cert, key: _key, ...options } = parsed.options;
  const emulator = await startEmulator({ ...options, ...(tls ? { tls } : {}) });
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
