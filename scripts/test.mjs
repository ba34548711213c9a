#!/usr/bin/env node
// The one command that takes a fresh clone (Node >= 20.19 and npm, nothing else) to a full test run:
// installs pnpm, the workspace and Chromium when they are missing, runs lint, typecheck, every package's
// tests, the build checks (publint, attw), these scripts' own tests and the demo's smoke run, then prints
// `N passed, N failed`.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const PNPM_VERSION = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.split('@')[1];
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', FORCE_COLOR: '0' };

function run(cmd, args, opts = {}) {
  console.log(`\n$ ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env, ...opts });
  return r.status === 0;
}

function has(cmd, args = ['--version']) {
  try {
    return execFileSync(cmd, args, { env, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return '';
  }
}

/**
 * The pinned pnpm (package.json's `packageManager`): the one on PATH if it is that version; else that version
 * installed into this checkout's `.tools/` and put first on PATH for everything started from here. A global pnpm
 * of another version is left alone (and no root is needed): it is the person's, not this project's.
 */
export function ensurePnpm() {
  if (has('pnpm') === PNPM_VERSION) return;
  const tools = join(root, '.tools');
  const bin = join(tools, 'node_modules', '.bin');
  env.PATH = process.env.PATH = `${bin}${delimiter}${process.env.PATH ?? ''}`;
  if (has('pnpm') === PNPM_VERSION) return;
  const installed = run('npm', [
    'install',
    '--prefix',
    tools,
    '--no-save',
    '--no-package-lock',
    `pnpm@${PNPM_VERSION}`,
  ]);
  if (!installed || has('pnpm') !== PNPM_VERSION) {
    throw new Error(`could not install pnpm@${PNPM_VERSION} into .tools/ (is the npm registry reachable?)`);
  }
}

export function ensureDependencies() {
  const args = ['install'];
  if (process.env.CI) args.push('--frozen-lockfile', '--trust-lockfile');
  if (!run('pnpm', args)) throw new Error('pnpm install failed');
}

/** Browser tests drive Debian's Chromium (a registry download of a browser cannot work on these machines). */
export function ensureChromium() {
  const bin = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (existsSync(bin)) return;
  if (typeof process.getuid === 'function' && process.getuid() === 0 && has('apt-get', ['--version'])) {
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium']);
  }
  if (!existsSync(bin)) console.warn(`\n! Chromium not found at ${bin}: browser tests will fail (set CHROMIUM_PATH).`);
}

function reportFiles() {
  const files = [];
  for (const group of ['packages', 'examples', 'bench', 'integration', 'scripts']) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    const dirs = ['packages', 'examples'].includes(group) ? readdirSync(base).map((d) => join(base, d)) : [base];
    for (const dir of dirs) {
      const reports = join(dir, '.reports');
      if (!existsSync(reports)) continue;
      for (const f of readdirSync(reports)) if (f.endsWith('.json')) files.push(join(reports, f));
    }
  }
  return files;
}

function main() {
  try {
    ensurePnpm();
    ensureDependencies();
  } catch (error) {
    // Nothing could run: said in a line, not a stack trace, and counted as one failure.
    console.error(`\n✗ ${error instanceof Error ? error.message : String(error)}`);
    console.log('\n0 passed, 1 failed');
    process.exit(1);
  }
  ensureChromium();
  for (const f of reportFiles()) rmSync(f);

  // The chat UI's end-to-end tests measure real latency (a request within 100 ms of a key), so they run on their
  // own after the rest, not beside three other turbo tasks on a 2-core machine.
  const realTime = '@b24-typing/example-chat-ui';
  const turbo = ['exec', 'turbo', 'run', 'typecheck', 'test', 'test:build', '--continue', '--concurrency=3'];
  /** Checks that run the test runners: their failures are failed tests, counted from the reports if any. */
  const testChecks = [
    ['typecheck, tests, build checks', ['pnpm', [...turbo, `--filter=!${realTime}`]]],
    ['chat UI end-to-end tests', ['pnpm', [...turbo, `--filter=${realTime}`]]],
    // These scripts' own tests (no workspace package holds them, so turbo does not see them).
    ['scripts tests', ['pnpm', ['exec', 'vitest', 'run', '--root', 'scripts']]],
  ];
  const checks = [['lint', ['pnpm', ['run', 'lint']]], ...testChecks];
  if (existsSync(join(root, 'scripts', 'demo.mjs')))
    checks.push(['demo smoke', ['node', ['scripts/demo.mjs', '--smoke']]]);

  const failedChecks = [];
  for (const [name, [cmd, args]] of checks) if (!run(cmd, args)) failedChecks.push(name);

  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const f of reportFiles()) {
    const r = JSON.parse(readFileSync(f, 'utf8'));
    passed += r.numPassedTests ?? 0;
    failed += r.numFailedTests ?? 0;
    skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  }
  // A check that failed outside a test runner (lint, typecheck, publint, smoke) counts as one failure.
  for (const name of failedChecks) console.error(`\n✗ ${name} failed`);
  const testCheckNames = new Set(testChecks.map(([name]) => name));
  failed += failedChecks.filter((n) => !testCheckNames.has(n) || failed === 0).length;
  if (passed + failed === 0) {
    console.error('\n✗ no test ran');
    failed = 1;
  }
  console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(failed > 0 ? 1 : 0);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
