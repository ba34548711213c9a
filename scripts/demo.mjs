#!/usr/bin/env node
// `pnpm demo` (or `node scripts/demo.mjs` on a machine with only Node and npm): installs what is missing, then
// starts the Bitrix24 emulator with its live page, the LLM bot and the chat UI on 127.0.0.1 and prints what to
// open. `--smoke`: headless; drives conversations end to end, prints the status sequence and timings the
// emulator saw, exits non-zero if anything is off (part of `npm test`).
//
// The TypeScript sources run as they are (tsx with the `@b24-typing/source` condition): no build needed.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readDemoOptions, UsageError } from '../examples/llm-bot/src/readDemoOptions.mjs';
import { ensureDependencies, ensurePnpm } from './test.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const demo = join(root, 'examples', 'llm-bot', 'src');
const args = process.argv.slice(2);
/** The smoke run takes ~12 s; past this something hangs, and CI must hear about it rather than wait. */
const SMOKE_TIMEOUT_MS = 90_000;

// The options are read here first, with no side effect: on a fresh clone, help and a mistyped option are answered
// before the install that running the demo needs. The module is the demo's own parser (dependency-free), which reads
// them again: whatever passes here passes there.
let options;
try {
  options = readDemoOptions(args);
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(error.line);
  process.exit(2);
}
if (options === 'help') {
  process.stdout.write(readFileSync(join(demo, 'demoUsage.txt'), 'utf8'));
  process.exit(0);
}
const smoke = options.smoke;

try {
  ensurePnpm();
  ensureDependencies();
} catch (error) {
  console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

// tsx as a loader in the demo's own process, not its CLI: the CLI runs the demo in a child of its own and SIGKILLs
// it when it has not acknowledged a relayed Ctrl-C within 60 ms, so a demo busy for a moment died without clearing
// its bot's status or stopping its chat UI.
let tsx;
try {
  tsx = pathToFileURL(createRequire(join(root, 'examples', 'llm-bot', 'package.json')).resolve('tsx')).href;
} catch {
  console.error('demo: tsx (examples/llm-bot) is missing after pnpm install');
  process.exit(1);
}
// The demo starts processes of its own (the chat UI's dev server; in smoke mode Chromium and demos): in smoke mode
// it gets a process group of its own, and the watchdog's SIGKILL and relayed signals go to the whole group.
const group = smoke && process.platform !== 'win32';
const child = spawn(
  process.execPath,
  ['--conditions=@b24-typing/source', '--import', tsx, join(demo, 'demo.ts'), ...args],
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
  console.error(`demo: could not start ${process.execPath}: ${error.message}`);
  process.exit(1);
});
