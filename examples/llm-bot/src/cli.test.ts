// The CLI as a process, on its embedded emulator: the promise of the README ("a deleted bot: the CLI stops and
// exits 1 instead of running on deaf") checked by deleting the bot while it runs.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
});

describe('llm-bot CLI', () => {
  it('exits 1 when its bot is unregistered while it runs (fetch mode, embedded emulator)', async () => {
    const env = { ...process.env };
    for (const name of ['B24_WEBHOOK_URL', 'B24_BOT_TOKEN', 'B24_APPLICATION_TOKEN', 'LLM_BASE_URL', 'LLM_API_KEY']) {
      delete env[name];
    }
    // One process (tsx as a loader, not its CLI, which forks): killing it after a failure leaves nothing behind.
    const proc = spawn(
      process.execPath,
      ['--conditions=@b24-typing/source', '--import', 'tsx', 'src/cli.ts', '--emulator-port', '0', '--poll-ms', '200'],
      { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    let out = '';
    proc.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    proc.stderr!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));

    await vi.waitFor(() => expect(out).toMatch(/Local emulator: (http:\S+)/), { timeout: 15_000, interval: 50 });
    const url = /Local emulator: (http:\S+)/.exec(out)![1]!;
    const botId = Number(/LLM bot (\d+) is running/.exec(out)![1]);
    // Its owner deletes it through the portal's REST API (the CLI's default bot token on the emulator).
    const reply = await fetch(`${url}/rest/1/emulatorwebhook1/imbot.v2.Bot.unregister`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ botId, botToken: 'llm-bot-demo-token' }),
    });
    expect(((await reply.json()) as { result: unknown }).result).toBe(true);

    const code = await Promise.race([
      exited,
      new Promise((resolve) => setTimeout(() => resolve('still running'), 10_000)),
    ]);
    expect(code).toBe(1);
    expect(out).toMatch(/event source ended: bot \d+ was unregistered/);
    expect(out).toMatch(/stopped/);
  }, 30_000);

  it('--help names every environment variable the CLI and its model read (the README: "lists every … variable")', () => {
    const help = execFileSync(
      process.execPath,
      ['--conditions=@b24-typing/source', '--import', 'tsx', 'src/cli.ts', '--help'],
      { cwd: root, encoding: 'utf8' },
    );
    const read = ['src/cli.ts', 'src/createModel.ts'].flatMap((file) => [
      ...readFileSync(new URL(`../${file}`, import.meta.url), 'utf8').matchAll(/\benv\??\.([A-Z][A-Z0-9_]+)/g),
    ]);
    const names = [...new Set(read.map((m) => m[1]!))];
    expect(names).toContain('LLM_MODEL');
    expect(names.filter((name) => !help.includes(name))).toEqual([]);
  }, 15_000);
});
