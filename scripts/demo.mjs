#!/usr/bin/env node
// `pnpm demo` (or `node scripts/demo.mjs` on a machine with only Node and npm): installs what is missing, then
// starts the Bitrix24 emulator with its live page, the LLM bot and the chat UI on 127.0.0.1 and prints what to
// open. `--smoke`: headless; drives conversations end to end, prints the status sequence and timings the
// emulator saw, exits non-zero if anything is off (part of `npm test`).
//
// The TypeScript sources run as they are (tsx with the `@b24-typing/source` condition): no build needed.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDependencies, ensurePnpm } from './test.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
/** The smoke run takes ~12 s; past this something hangs, and CI must hear about it rather than wait. */
const SMOKE_TIMEOUT_MS = 90_000;

try {
  ensurePnpm();
  ensureDependencies();
} catch (error) {
  console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

const tsx = join(root, 'examples', 'llm-bot', 'node_modules', '.bin', process.platform === 'win32' ? 'tsx.cmd' : 'tsx');
if (!existsSync(tsx)) {
  console.error(`demo: ${tsx} is missing after pnpm install`);
  process.exit(1);
}
// tsx's CLI runs the demo in a child process of its own, which a SIGKILL of the CLI would leave running: in smoke
// mode the demo gets a process group of its own, and the watchdog and relayed signals go to the whole group.
const group = smoke && process.platform !== 'win32';
const child = spawn(
  tsx,
  ['--conditions=@b24-typing/source', join(root, 'examples', 'llm-bot', 'src', 'demo.ts'), ...args],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' },
    detached: group,
  },
);
const kill = (signal) => {
  try {
    if (group) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // already gone
  }
};

// Ctrl-C in a terminal reaches the demo directly; relay signals sent to this process alone (kill, CI). The demo
// clears the bot's status before it exits, so wait for it instead of exiting first.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => kill(signal));

const timer = smoke
  ? setTimeout(() => {
      console.error(`demo --smoke: no result after ${SMOKE_TIMEOUT_MS / 1000} s; stopping it`);
      kill('SIGKILL');
    }, SMOKE_TIMEOUT_MS)
  : undefined;

child.on('exit', (code, signal) => {
  if (timer) clearTimeout(timer);
  process.exit(code ?? (signal === 'SIGINT' ? 130 : 1));
});
child.on('error', (error) => {
  console.error(`demo: could not start ${tsx}: ${error.message}`);
  process.exit(1);
});
