import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const demoScript = fileURLToPath(new URL('demo.mjs', import.meta.url));
const cleanups = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/**
 * A PATH whose `pnpm` and `npm` only write down how they were called (`pnpm --version` answers the pinned
 * version), so a test sees whether the demo would have installed anything; node and the system tools stay reachable.
 */
function fakeTools() {
  const dir = mkdtempSync(join(tmpdir(), 'demo-test-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'calls.log');
  const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).packageManager;
  for (const name of ['pnpm', 'npm']) {
    const file = join(dir, name);
    writeFileSync(
      file,
      `#!/bin/sh\necho "${name} $*" >> '${log}'\n[ "$1" = --version ] && echo ${version.split('@')[1]}\nexit 0\n`,
    );
    chmodSync(file, 0o755);
  }
  return {
    PATH: [dir, dirname(process.execPath), '/usr/bin', '/bin'].join(delimiter),
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []),
  };
}

/** `node scripts/demo.mjs ...args` as a process: its output so far, its exit, and when it is up (its banner). */
function startDemo(args, env = {}) {
  const child = spawn(process.execPath, [demoScript, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  let up;
  const isUp = new Promise((resolve) => {
    up = resolve;
  });
  child.stdout.on('data', (chunk) => {
    output.stdout += chunk;
    if (output.stdout.includes('Ctrl+C stops')) up(true);
  });
  child.stderr.on('data', (chunk) => {
    output.stderr += chunk;
  });
  const exited = new Promise((resolve) => child.once('close', (code, signal) => resolve(code ?? signal)));
  exited.then(() => up(false));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  return { child, output, exited, isUp };
}

/** Runs `node scripts/demo.mjs ...args` until it exits; a demo that comes up instead is stopped: `code: 'running'`. */
async function runDemo(args, env) {
  const demo = startDemo(args, env);
  if (await demo.isUp) {
    demo.child.kill('SIGTERM');
    await demo.exited;
    return { code: 'running', ...demo.output };
  }
  return { code: await demo.exited, ...demo.output };
}

/** The processes below `pid` (pid and command line), from `ps`. */
function descendants(pid) {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((match) => match !== null)
    .map(([, child, parent, args]) => ({ pid: Number(child), ppid: Number(parent), args }));
  const found = [];
  for (let parents = [pid]; parents.length > 0; ) {
    const next = rows.filter((row) => parents.includes(row.ppid));
    found.push(...next);
    parents = next.map((row) => row.pid);
  }
  return found;
}

/** The command line `pid` runs now ('' when it has exited). */
function commandOf(pid) {
  try {
    return execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

/** A port nothing listens on now. */
async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Whether something listens on `port` on 127.0.0.1. */
function listening(port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A port held by a server of this test, as another program would hold it. */
async function takenPort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return server.address().port;
}

describe('pnpm demo: options', () => {
  it('--help prints the options at once and installs nothing', async () => {
    const tools = fakeTools();
    for (const flag of ['--help', '-h']) {
      const result = await runDemo([flag], { PATH: tools.PATH });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Usage: pnpm demo/);
      for (const option of ['--port', '--ui-port', '--smoke']) expect(result.stdout).toContain(option);
      // and the variables the demo reads before it starts (a bad one stops it): before, only the banner named one
      for (const name of ['LLM_BASE_URL', 'LLM_API_KEY', 'LLM_MODEL', 'LLM_LOCAL_SPEED'])
        expect(result.stdout).toContain(name);
      expect(result.stderr).toBe('');
    }
    expect(tools.calls()).toEqual([]);
  });

  it('an unknown option or a bad value is a one-line usage error, exit code 2, before anything is installed', async () => {
    const tools = fakeTools();
    for (const [args, said] of [
      [['--bogus'], /'--bogus'/],
      [['extra'], /'extra'/],
      [['--port'], /--port/],
      [['--port', '0'], /--port must be a port 1\.\.65535, got "0"/],
      [['--ui-port', 'abc'], /--ui-port must be a port 1\.\.65535, got "abc"/],
      [['--smoke', '--port', '70000'], /--port must be a port 1\.\.65535, got "70000"/],
      [
        ['--port', '18024', '--ui-port', '18024'],
        /--ui-port 18024 is the emulator's port too \(--port\); they must differ/,
      ],
      [['--ui-port', '8024'], /--ui-port 8024 is the emulator's port too \(its default\); they must differ/],
    ]) {
      const result = await runDemo(args, { PATH: tools.PATH });
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toMatch(said);
      expect(result.stderr).toMatch(/^demo: [^\n]*--help[^\n]*\n$/);
      expect(result.stdout).not.toContain('Usage:'); // one line, not the whole usage
    }
    // On a fresh clone a typo must not cost a full install before it is pointed out.
    expect(tools.calls()).toEqual([]);
  });

  it('a port asked for with --port or --ui-port that is taken fails in one line instead of moving elsewhere', async () => {
    const tools = fakeTools();
    const port = await takenPort();
    for (const flag of ['--port', '--ui-port']) {
      const result = await runDemo([flag, String(port)], { PATH: tools.PATH });
      expect({ flag, code: result.code }).toEqual({ flag, code: 1 });
      expect(result.stderr).toBe(
        `demo: port ${port} (${flag}) is taken on 127.0.0.1; stop what uses it or choose another port\n`,
      );
    }
  });
});

describe('pnpm demo: the model settings', () => {
  it('a bad LLM_* variable is one line naming it, exit code 1, before the emulator or the bot starts', async () => {
    // before: the emulator started and the bot's model was read after it; the B24InputError came out as a stack trace
    const tools = fakeTools();
    for (const [env, said] of [
      [{ LLM_API_KEY: 's3cr3t-key' }, /^demo: Invalid LLM_BASE_URL: must be set with LLM_API_KEY/],
      [
        { LLM_BASE_URL: 'llm.example/v1', LLM_API_KEY: 's3cr3t-key' },
        /^demo: Invalid LLM_BASE_URL: must be an absolute/,
      ],
      [{ LLM_LOCAL_SPEED: 'fast' }, /^demo: Invalid LLM_LOCAL_SPEED/],
    ]) {
      const port = await freePort();
      const result = await runDemo(['--port', String(port), '--ui-port', String(await freePort())], {
        PATH: tools.PATH,
        LLM_BASE_URL: '',
        LLM_API_KEY: '',
        LLM_LOCAL_SPEED: '',
        ...env,
      });
      expect({ env, code: result.code }).toEqual({ env, code: 1 });
      expect(result.stderr).toMatch(said);
      expect(result.stderr).toMatch(/^[^\n]*\n$/); // one line: no stack trace
      expect(result.stderr).not.toContain('s3cr3t-key');
      expect(result.stdout).not.toMatch(/registered bot|demo is running/);
    }
  }, 30_000);
});

describe('pnpm demo: stopping', () => {
  it('runs the demo in the process it starts, with no tsx CLI between them, and Ctrl-C stops it cleanly: exit 0, ports free', async () => {
    const ports = [await freePort(), await freePort()];
    // The workspace is installed (these tests run in it): the fake pnpm keeps the test from reinstalling it.
    const demo = startDemo(['--port', String(ports[0]), '--ui-port', String(ports[1])], {
      PATH: fakeTools().PATH,
      LLM_BASE_URL: '',
      LLM_API_KEY: '',
    });
    expect(await demo.isUp).toBe(true);
    const started = descendants(demo.child.pid);
    // Whatever happens to the demo, nothing it started outlives the test (a pid still running what it ran then).
    cleanups.push(() => {
      for (const { pid, args } of started) {
        if (commandOf(pid) === args) process.kill(pid, 'SIGKILL');
      }
    });
    // What the banner tells her to watch for is what the chat UI shows (examples/chat-ui/src/renderChat.ts): before,
    // it quoted the portal's own "Agent is thinking…", which only the live page shows.
    expect(demo.output.stdout).toContain(
      'watch "LLM Bot is thinking… → searching for information… → composing a response…"',
    );
    // tsx's CLI would run demo.ts in a child of its own and SIGKILL it when it has not acknowledged a relayed Ctrl-C
    // within 60 ms: a demo busy for a moment then dies without clearing its bot's status or stopping its chat UI.
    const running = started.filter((p) => p.args.includes('demo.ts'));
    expect(running.map((p) => p.ppid)).toEqual([demo.child.pid]);
    demo.child.kill('SIGINT');
    const code = await demo.exited;
    expect({ code, stdout: demo.output.stdout.split('\n').slice(-3) }).toEqual({
      code: 0,
      stdout: ['stopping: clearing the bot status…', 'stopped.', ''],
    });
    expect([await listening(ports[0]), await listening(ports[1])]).toEqual([false, false]);
  }, 30_000);
});
