// The packages as npm delivers them: each one packed (`pnpm pack`: its `files`, its `exports`, its dependencies as
// published), installed outside the workspace, then used from plain Node as ES modules and as CommonJS against an
// emulator started from the packed `b24-emulator` bin. The monorepo's other tests resolve the sources; only this
// one would notice a file left out of a tarball, a runtime import of a devDependency or a broken CommonJS build.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PACKAGES = ['core', 'node', 'browser', 'ai', 'emulator'];
const FLOWS = readFileSync(new URL('./packed/consumerFlows.js', import.meta.url), 'utf8');

// Outside the repository, or Node would find the workspace's own node_modules on its way up and hide what a
// tarball lacks.
const WORK = `${mkdtempSync(join(tmpdir(), 'b24-typing-packed-'))}/`;

/** The environment without NODE_PATH, which pnpm's bin shims point into the workspace's modules. */
const { NODE_PATH: _workspaceModules, ...ENV } = process.env;

let emulator: ChildProcess | undefined;
let base = '';

function pnpm(args: string[], cwd: string): string {
  return execFileSync('pnpm', args, { cwd, env: ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

beforeAll(async () => {
  // `pnpm pack` packs what is built: without `dist` a tarball installs, then fails far from the cause (the emulator's
  // bin asking for tsx). Turbo builds first (`@b24-typing/integration#test` depends on `^build`); a bare `vitest run`
  // does not.
  const unbuilt = PACKAGES.filter((name) => !existsSync(`${ROOT}packages/${name}/dist`));
  if (unbuilt.length > 0) throw new Error(`not built: ${unbuilt.join(', ')}; run \`pnpm build\` first`);
  mkdirSync(`${WORK}app`);
  const dependencies: Record<string, string> = { rxjs: '7.8.2' };
  for (const name of PACKAGES) {
    const tarball = pnpm(['pack', '--pack-destination', WORK], `${ROOT}packages/${name}`).trim().split('\n').at(-1)!;
    dependencies[`@b24-typing/${name}`] = `file:${tarball}`;
  }
  writeFileSync(`${WORK}app/package.json`, JSON.stringify({ name: 'consumer', private: true, dependencies }));
  // From the workspace's store: its packages are all there. `--prefer-offline`, not `--offline`: the workspace's own
  // install may have resolved nothing (`--frozen-lockfile --trust-lockfile` on a fresh machine), so the registry's
  // metadata for rxjs and undici may be missing here and is fetched once, as an app's install would.
  const store = pnpm(['store', 'path'], ROOT).trim();
  pnpm(['install', '--prefer-offline', '--ignore-workspace', '--store-dir', store], `${WORK}app`);
  writeFileSync(
    `${WORK}app/flows.mjs`,
    `${FLOWS}\nconsumerFlows((name) => import(name), 'esm').then((seen) => console.log(JSON.stringify(seen)));\n`,
  );
  writeFileSync(
    `${WORK}app/flows.cjs`,
    `${FLOWS}\nconsumerFlows(async (name) => require(name), 'cjs').then((seen) => console.log(JSON.stringify(seen)));\n`,
  );

  const child = spawn(`${WORK}app/node_modules/.bin/b24-emulator`, ['--port', '0'], {
    env: ENV,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  emulator = child;
  base = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk;
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      if (url) resolve(url);
    });
    child.on('exit', (code) => reject(new Error(`b24-emulator exited (${code}): ${out}`)));
  });
}, 120_000);

afterAll(() => {
  emulator?.kill('SIGTERM');
  rmSync(WORK, { recursive: true, force: true });
});

async function timeline(since: number): Promise<Record<string, unknown>[]> {
  const body = (await (await fetch(`${base}/_emulator/timeline?since=${since}`)).json()) as {
    entries: Record<string, unknown>[];
  };
  return body.entries.filter((e) => e.kind === 'call');
}

for (const format of ['mjs', 'cjs'] as const) {
  it(`works installed from the tarballs, as ${format === 'mjs' ? 'ES modules' : 'CommonJS'}`, async () => {
    const { lastSeq } = (await (await fetch(`${base}/_emulator/timeline`)).json()) as { lastSeq: number };
    const seen = JSON.parse(
      execFileSync('node', [`flows.${format}`], {
        cwd: `${WORK}app`,
        env: { ...ENV, EMU: base },
        encoding: 'utf8',
        // A synchronous child blocks the test's own timeout: a flow that hangs must be killed to fail.
        timeout: 50_000,
      }),
    );
    expect(seen).toEqual({
      webhookCall: true,
      badInput: 'params',
      reply: `reply-${format === 'mjs' ? 'esm' : 'cjs'}`,
      typingEvents: ['sent'],
      localEmulator: 1,
    });
    // What the portal saw: the webhook call, the bot's statuses in order while it worked, the browser's OAuth call.
    const calls = await timeline(lastSeq);
    expect(calls.filter((c) => c.error)).toEqual([]);
    expect(calls.filter((c) => c.method === 'im.dialog.writing').map((c) => [c.dialogId, c.auth])).toEqual([
      ['chat1', 'webhook'],
      ['chat2', 'oauth'],
    ]);
    const statuses = calls.filter((c) => c.method === 'imbot.v2.Chat.InputAction.notify');
    // thinking at once, searching once thinking has been held its 1 s, nothing after the reply at 1.8 s
    expect(statuses.map((c) => c.statusMessageCode)).toEqual([
      'IMBOT_AGENT_ACTION_THINKING',
      'IMBOT_AGENT_ACTION_SEARCHING',
    ]);
  }, 60_000);
}
