// The CLI as a process, on its embedded emulator: the promise of the README ("a deleted bot: the CLI stops and
// exits 1 instead of running on deaf") checked by deleting the bot while it runs.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type Emulator, startEmulator } from '@b24-typing/emulator';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
});

/**
 * The CLI as one process (tsx as a loader, not its CLI, which forks: killing it after a failure leaves nothing
 * behind), without the caller's portal and model settings unless `env` gives them.
 */
function spawnCli(args: string[], env: Record<string, string> = {}) {
  const base = { ...process.env };
  for (const name of ['B24_WEBHOOK_URL', 'B24_BOT_TOKEN', 'B24_APPLICATION_TOKEN', 'LLM_BASE_URL', 'LLM_API_KEY']) {
    delete base[name];
  }
  const proc = spawn(process.execPath, ['--conditions=@b24-typing/source', '--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: root,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  let out = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  proc.stderr!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, exited, out: () => out };
}

/** A port free a moment ago, for a flag that names one (the CLI's server then takes it). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/**
 * The webhook URL of `portal`'s REST API behind a proxy of the test's, which holds the answer to imbot.v2.Bot.register
 * (the bot registered already) until `whileHeld` has resolved: what happens while the CLI is still registering.
 */
async function holdRegistration(portal: Emulator, whileHeld: (botId: number) => Promise<void>): Promise<string> {
  const proxy = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const reply = await fetch(`${portal.url}${req.url}`, {
        method: req.method!,
        headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
        ...(req.method === 'POST' ? { body: Buffer.concat(chunks) } : {}),
      });
      const body = await reply.text();
      if (req.url!.endsWith('/imbot.v2.Bot.register')) {
        await whileHeld((JSON.parse(body) as { result: { bot: { id: number } } }).result.bot.id);
      }
      res.writeHead(reply.status, { 'content-type': reply.headers.get('content-type') ?? 'application/json' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => proxy.close(() => resolve())));
  return portal.webhookUrl(1).replace(portal.url, `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`);
}

describe('llm-bot CLI', () => {
  it('exits 1 when its bot is unregistered while it runs (fetch mode, embedded emulator)', async () => {
    const port = await freePort();
    const cli = spawnCli(['--emulator-port', String(port), '--poll-ms', '200']);
    await vi.waitFor(() => expect(cli.out()).toMatch(/Local emulator: (http:\S+)/), { timeout: 15_000, interval: 50 });
    const url = /Local emulator: (http:\S+)/.exec(cli.out())![1]!;
    expect(url).toBe(`http://127.0.0.1:${port}`); // `--emulator-port` moves it (before: ignored, not checked)
    const botId = Number(/LLM bot (\d+) is running/.exec(cli.out())![1]);
    // the banner says which model answers: no one takes the demo's text for an LLM's
    expect(cli.out()).toMatch(/LLM bot \d+ is running \(local demo model/);
    // Its owner deletes it through the portal's REST API (the CLI's default bot token on the emulator).
    const reply = await fetch(`${url}/rest/1/emulatorwebhook1/imbot.v2.Bot.unregister`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ botId, botToken: 'llm-bot-demo-token' }),
    });
    expect(((await reply.json()) as { result: unknown }).result).toBe(true);

    const code = await Promise.race([
      cli.exited,
      new Promise((resolve) => setTimeout(() => resolve('still running'), 10_000)),
    ]);
    expect(code).toBe(1);
    expect(cli.out()).toMatch(/event source ended: bot \d+ was unregistered/);
    expect(cli.out()).toMatch(/stopped/);
  }, 30_000);

  it('exits 1, stopping cleanly, when its bot is unregistered while it registers (its ONIMBOTV2DELETE posted meanwhile)', async () => {
    const portal = await startEmulator({ port: 0 });
    onTestFinished(() => portal.close());
    // The answer to imbot.v2.Bot.register is held until the bot's owner has deleted the bot and the portal has posted
    // its ONIMBOTV2DELETE to the CLI's webhook server (which listens before registering): the event is taken during
    // registration, and ends the source once the bot runs.
    const proxied = await holdRegistration(portal, async (botId) => {
      const deleted = await fetch(`${portal.webhookUrl(1)}imbot.v2.Bot.unregister`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ botId, botToken: 'cli-test-token' }),
      });
      expect(((await deleted.json()) as { result: unknown }).result).toBe(true);
      await portal.settled();
    });
    const cli = spawnCli(['--events', 'webhook'], {
      B24_WEBHOOK_URL: proxied,
      B24_BOT_TOKEN: 'cli-test-token',
      B24_APPLICATION_TOKEN: portal.webhookApplicationToken(1),
    });
    const exited = await Promise.race([
      cli.exited.then((code) => ({ code, signal: cli.proc.signalCode })),
      new Promise((resolve) => setTimeout(() => resolve('still running'), 15_000)),
    ]);
    // the delete was delivered during registration, and taken (200)
    expect(portal.deliveries()).toEqual([expect.objectContaining({ event: 'ONIMBOTV2DELETE', status: 200 })]);
    // before: killed by its own SIGTERM ({ code: null, signal: 'SIGTERM' }), sent before it listened for one
    expect(exited).toEqual({ code: 1, signal: null });
    expect(cli.out()).toMatch(/event source ended: bot \d+ was unregistered/);
    expect(cli.out()).toMatch(/stopped/);
  }, 30_000);

  it('stops cleanly on a Ctrl-C while it registers, aborting the registration the portal holds: a message taken meanwhile gets its restart notice', async () => {
    const portal = await startEmulator({ port: 0 });
    onTestFinished(() => portal.close());
    const port = await freePort();
    // A restart: the bot is registered already with the CLI's URL, so the portal posts to it while the CLI registers.
    const first = await fetch(`${portal.webhookUrl(1)}imbot.v2.Bot.register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        fields: {
          code: 'b24_typing_llm_bot',
          botToken: 'cli-test-token',
          type: 'bot',
          eventMode: 'webhook',
          webhookUrl: `http://127.0.0.1:${port}/bitrix24/events`,
          properties: { name: 'LLM Bot' },
        },
      }),
    });
    const botId = ((await first.json()) as { result: { bot: { id: number } } }).result.bot.id;
    let registering!: () => void;
    const held = new Promise<void>((resolve) => {
      registering = resolve;
    });
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const proxied = await holdRegistration(portal, () => {
      registering();
      return released;
    });
    onTestFinished(() => release()); // the proxy's held answer, for it to close
    const cli = spawnCli(['--events', 'webhook', '--webhook-port', String(port)], {
      B24_WEBHOOK_URL: proxied,
      B24_BOT_TOKEN: 'cli-test-token',
      B24_APPLICATION_TOKEN: portal.webhookApplicationToken(1),
    });
    await held;
    // Bob writes while the CLI registers: taken (200), so the portal will not post it again.
    portal.postMessage({ from: 2, dialogId: String(botId), text: 'Are you there?' });
    await portal.settled();
    expect(portal.deliveries()).toEqual([expect.objectContaining({ event: 'ONIMBOTV2MESSAGEADD', status: 200 })]);
    cli.proc.kill('SIGINT');
    // The portal never answers the registration here: the stop aborts it (before: waited for it, 'still running').
    const exited = await Promise.race([
      cli.exited.then((code) => ({ code, signal: cli.proc.signalCode })),
      new Promise((resolve) => setTimeout(() => resolve('still running'), 15_000)),
    ]);
    expect(exited).toEqual({ code: 0, signal: null });
    expect(cli.out()).toMatch(/SIGINT: stopping once registration is aborted/);
    expect(cli.out()).toMatch(/registration aborted: not started/);
    expect(portal.messages().filter((m) => m.authorId === botId)).toEqual([
      expect.objectContaining({
        text: 'Sorry, I am restarting and could not answer your message. Please send it again in a minute.',
      }),
    ]);
    expect(cli.out()).not.toMatch(/is running/); // no banner for a bot stopped before it ran
    expect(cli.out()).toMatch(/stopped/);
  }, 30_000);

  it('exits 0 at once on a Ctrl-C while it backs off a registration the portal refuses for its rate limit, trying no more', async () => {
    const portal = await startEmulator({ port: 0 });
    onTestFinished(() => portal.close());
    portal.addFault({ method: 'imbot.v2.Bot.register', status: 503, error: 'QUERY_LIMIT_EXCEEDED' });
    const cli = spawnCli(['--poll-ms', '200'], {
      B24_WEBHOOK_URL: portal.webhookUrl(1),
      B24_BOT_TOKEN: 'cli-test-token',
    });
    await vi.waitFor(() => expect(cli.out()).toMatch(/could not register \(QUERY_LIMIT_EXCEEDED\)/), {
      timeout: 15_000,
      interval: 50,
    });
    cli.proc.kill('SIGINT');
    // before: the backoffs waited out (about a minute), then exit 1 with the portal's refusal
    const exited = await Promise.race([
      cli.exited.then((code) => ({ code, signal: cli.proc.signalCode })),
      new Promise((resolve) => setTimeout(() => resolve('still running'), 10_000)),
    ]);
    expect(exited).toEqual({ code: 0, signal: null });
    const registrations = () =>
      portal.timeline().filter((e) => e.kind === 'call' && e.method === 'imbot.v2.Bot.register').length;
    const tried = registrations();
    expect(tried).toBeLessThan(10);
    expect(cli.out()).toMatch(/registration aborted: not started/);
    expect(cli.out()).toMatch(/stopped/);
    expect(cli.out()).not.toMatch(/is running|llm-bot:/);
  }, 30_000);

  it("logs a provider's refusal without the LLM key or the webhook code it quotes", async () => {
    const portal = await startEmulator({ port: 0 });
    onTestFinished(() => portal.close());
    const code = portal.webhookUrl(1).split('/').at(-2)!;
    // An OpenAI-compatible endpoint (behind a proxy that echoes the request's origin) refusing the key it was sent.
    const refusal = `Incorrect API key provided: sk-cli-test-key. Relayed for ${portal.webhookUrl(1)} by a proxy.`;
    const endpoint = createHttpServer((req, res) => {
      req.resume().on('end', () => {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: refusal, type: 'invalid_request_error', code: null } }));
      });
    });
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => endpoint.close(() => resolve())));
    const cli = spawnCli(['--poll-ms', '200'], {
      B24_WEBHOOK_URL: portal.webhookUrl(1),
      B24_BOT_TOKEN: 'cli-test-token',
      LLM_BASE_URL: `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/v1`,
      LLM_API_KEY: 'sk-cli-test-key',
    });
    await vi.waitFor(() => expect(cli.out()).toMatch(/LLM bot (\d+) is running/), { timeout: 15_000, interval: 50 });
    const botId = /LLM bot (\d+) is running/.exec(cli.out())![1]!;
    portal.postMessage({ from: 2, dialogId: botId, text: 'How does a bot show its status?' });
    await vi.waitFor(() => expect(cli.out()).toMatch(/model failed/), { timeout: 15_000, interval: 50 });
    // the operator reads what the provider said, but for the secrets in it (before: both, whole)
    expect(cli.out()).toContain('model failed: Incorrect API key provided: ***. Relayed for http://127.0.0.1:');
    expect(cli.out()).not.toContain('sk-cli-test-key');
    expect(cli.out()).not.toContain(code);
    cli.proc.kill('SIGINT');
    expect(await cli.exited).toBe(0);
  }, 30_000);

  it('runs on the portal of B24_WEBHOOK_URL, starting no emulator of its own, and exits 0 on Ctrl-C (SIGINT)', async () => {
    const portal = await startEmulator({ port: 0 });
    onTestFinished(() => portal.close());
    // `--emulator-port 0`: were the variable ignored, the CLI's own emulator would start on a free port, not clash.
    const cli = spawnCli(['--emulator-port', '0', '--poll-ms', '200'], {
      B24_WEBHOOK_URL: portal.webhookUrl(1),
      B24_BOT_TOKEN: 'cli-test-token',
    });
    await vi.waitFor(() => expect(cli.out()).toMatch(/LLM bot (\d+) is running/), { timeout: 15_000, interval: 50 });
    const botId = Number(/LLM bot (\d+) is running/.exec(cli.out())![1]);
    expect(portal.bot(botId)).toMatchObject({ id: botId, botToken: 'cli-test-token' });
    expect(cli.out()).toContain(`Portal: ${portal.url}`);
    expect(cli.out()).not.toMatch(/Local emulator/);
    // `--poll-ms 200` sets the pause between polls: five within a second or so, where a portal's default is 5 s
    const polls = () => portal.timeline().filter((e) => e.kind === 'call' && e.method === 'imbot.v2.Event.get').length;
    await vi.waitFor(() => expect(polls()).toBeGreaterThanOrEqual(5), { timeout: 5_000, interval: 50 });
    cli.proc.kill('SIGINT');
    const code = await Promise.race([
      cli.exited,
      new Promise((resolve) => setTimeout(() => resolve('still running'), 10_000)),
    ]);
    expect(code).toBe(0);
    expect(cli.out()).toMatch(/SIGINT: stopping/);
    expect(cli.out()).toMatch(/stopped/);
  }, 30_000);

  it("--events webhook on its embedded emulator: verifies events with that emulator's token and answers them", async () => {
    const cli = spawnCli(['--events', 'webhook', '--emulator-port', '0'], { LLM_LOCAL_SPEED: '0' });
    await vi.waitFor(() => expect(cli.out()).toMatch(/LLM bot (\d+) is running/), { timeout: 15_000, interval: 50 });
    const url = /Local emulator: (http:\S+)/.exec(cli.out())![1]!;
    const botId = /LLM bot (\d+) is running/.exec(cli.out())![1]!;
    expect(cli.out()).toMatch(/webhook mode, events to http:\/\/127\.0\.0\.1:\d+\/bitrix24\/events/);
    const sent = await fetch(`${url}/_emulator/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: 2, dialogId: botId, text: 'How does a bot show its status?' }),
    });
    expect(sent.status).toBe(200);
    // posted by the portal and accepted (not 401: the CLI took the emulator's token), then answered
    await vi.waitFor(() => expect(cli.out()).toMatch(/→ 2: replied in \d+ ms/), { timeout: 15_000, interval: 50 });
    const { deliveries } = (await (await fetch(`${url}/_emulator/deliveries`)).json()) as {
      deliveries: { event: string; status: number | null }[];
    };
    expect(deliveries).toEqual([expect.objectContaining({ event: 'ONIMBOTV2MESSAGEADD', status: 200 })]);
  }, 30_000);

  it('--events webhook on the portal of B24_WEBHOOK_URL: listens on --webhook-port, registers --public-url, verifies with B24_APPLICATION_TOKEN', async () => {
    const portal = await startEmulator({ port: 0 });
    onTestFinished(() => portal.close());
    const port = await freePort();
    // A tunnel's URL differs from the local one; a query string tells the two apart and still reaches the bot.
    const publicUrl = `http://127.0.0.1:${port}/bitrix24/events?via=tunnel`;
    const cli = spawnCli(['--events', 'webhook', '--webhook-port', String(port), '--public-url', publicUrl], {
      B24_WEBHOOK_URL: portal.webhookUrl(1),
      B24_BOT_TOKEN: 'cli-test-token',
      B24_APPLICATION_TOKEN: portal.webhookApplicationToken(1),
      LLM_LOCAL_SPEED: '0',
    });
    await vi.waitFor(() => expect(cli.out()).toMatch(/LLM bot (\d+) is running/), { timeout: 15_000, interval: 50 });
    const botId = Number(/LLM bot (\d+) is running/.exec(cli.out())![1]);
    portal.postMessage({ from: 2, dialogId: String(botId), text: 'How does a bot show its status?' });
    await vi.waitFor(() => expect(cli.out()).toMatch(/→ 2: replied in \d+ ms/), { timeout: 15_000, interval: 50 });
    // before (any of the three dropped on the way to startBot): posted to another URL, refused 401, or no start at all
    expect(portal.deliveries()).toEqual([
      expect.objectContaining({ event: 'ONIMBOTV2MESSAGEADD', url: publicUrl, status: 200 }),
    ]);
    cli.proc.kill('SIGINT');
    expect(await cli.exited).toBe(0);
  }, 30_000);

  it('exits 1 with a clear message, registering nothing, on a bad flag or LLM_LOCAL_SPEED', async () => {
    // before: a bad --public-url (and LLM_LOCAL_SPEED=abc, run at demo speed) started the bot; a port out of range
    // failed with Node's RangeError only once the portal or the embedded emulator was in use
    const portal = await startEmulator({ port: 0 });
    onTestFinished(() => portal.close());
    const env = { B24_WEBHOOK_URL: portal.webhookUrl(1), B24_BOT_TOKEN: 'cli-test-token' };
    const cases: [args: string[], env: Record<string, string>, message: RegExp][] = [
      [['--events', 'webhook', '--public-url', 'not-a-url'], { B24_APPLICATION_TOKEN: 'app' }, /--public-url/],
      [['--events', 'webhook', '--webhook-port', '70000'], { B24_APPLICATION_TOKEN: 'app' }, /port/],
      [['--poll-ms', '1e12'], {}, /intervalMs|poll-ms/],
      [[], { LLM_LOCAL_SPEED: 'abc' }, /LLM_LOCAL_SPEED/],
    ];
    for (const [args, more, message] of cases) {
      const cli = spawnCli(args, { ...env, ...more });
      const code = await Promise.race([
        cli.exited,
        new Promise((resolve) => setTimeout(() => resolve('still running'), 10_000)),
      ]);
      expect({ args, more, code }).toEqual({ args, more, code: 1 });
      expect(cli.out()).toMatch(message);
      expect(cli.out()).not.toMatch(/RangeError|ERR_SOCKET_BAD_PORT|is running/);
      cli.proc.kill('SIGKILL');
    }
    expect(portal.bot('b24_typing_llm_bot')).toBeNull(); // the CLI's bot was never registered
  }, 60_000);

  it('refuses bad input with a B24InputError message before anything listens: its emulator port is never tried', async () => {
    // before: a bad --public-url, a --webhook-port typo in fetch mode, a too long B24_BOT_TOKEN were found only once
    // the embedded emulator had started (here: failed on the port held below); flag errors were Node's TypeErrors,
    // a positional argument (a pasted webhook URL) echoed in full
    const held = createServer();
    await new Promise<void>((resolve) => held.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => held.close(() => resolve())));
    const port = String((held.address() as AddressInfo).port);
    const cases: [args: string[], env: Record<string, string>, message: RegExp][] = [
      [['--events', 'webhook', '--public-url', 'not-a-url'], {}, /Invalid --public-url: must be/],
      [['--webhook-port', 'abc'], {}, /Invalid --webhook-port: must be/],
      [['--bogus'], {}, /Invalid --bogus: must be/],
      [['--events', 'pigeon'], {}, /Invalid --events: must be/],
      [['https://portal.example/rest/1/s3cr3t/'], {}, /Invalid arguments: must be/],
      [[], { B24_BOT_TOKEN: `s3cr3t${'t'.repeat(40)}` }, /Invalid B24_BOT_TOKEN: must be/],
      [[], { LLM_BASE_URL: 'ftp://llm.example', LLM_API_KEY: 's3cr3t' }, /Invalid LLM_BASE_URL: must be/],
      // before: a key alone ran the local demo model in place of the LLM set up
      [[], { LLM_API_KEY: 's3cr3t' }, /Invalid LLM_BASE_URL: must be/],
      // before: refused by the transport as "Invalid url: … (or pass allowInsecure: true)", an option the CLI lacks
      [
        [],
        { B24_WEBHOOK_URL: 'http://portal.example/rest/1/s3cr3t/', B24_BOT_TOKEN: 'mine' },
        /Invalid B24_WEBHOOK_URL: must be/,
      ],
      // before: started in fetch mode, the flag ignored
      [['--public-url', 'https://t.example/e'], {}, /Invalid --public-url: must be given with --events webhook/],
    ];
    for (const [args, env, message] of cases) {
      const cli = spawnCli(['--emulator-port', port, ...args], env);
      const code = await Promise.race([
        cli.exited,
        new Promise((resolve) => setTimeout(() => resolve('still running'), 10_000)),
      ]);
      expect({ args, code }).toEqual({ args, code: 1 });
      expect(cli.out()).toMatch(message);
      expect(cli.out()).toMatch(/--help lists/);
      expect(cli.out()).not.toMatch(/EADDRINUSE|is running|s3cr3t/);
      cli.proc.kill('SIGKILL');
    }
  }, 90_000);

  it('--help names every flag and environment variable the CLI and its model read (the README: "lists every flag and variable")', () => {
    const help = execFileSync(
      process.execPath,
      ['--conditions=@b24-typing/source', '--import', 'tsx', 'src/cli.ts', '--help'],
      { cwd: root, encoding: 'utf8' },
    );
    const read = ['src/cli.ts', 'src/readCliOptions.ts', 'src/createModel.ts'].flatMap((file) => [
      ...readFileSync(new URL(`../${file}`, import.meta.url), 'utf8').matchAll(/\benv\??\.([A-Z][A-Z0-9_]+)/g),
    ]);
    const names = [...new Set(read.map((m) => m[1]!))];
    expect(names).toContain('LLM_MODEL');
    expect(names.filter((name) => !help.includes(name))).toEqual([]);
    // … and every flag it parses (readCliOptions' `parseArgs` options: `name: { type: … }`)
    const flags = [
      ...readFileSync(new URL('../src/readCliOptions.ts', import.meta.url), 'utf8').matchAll(
        /^\s+'?([a-z][a-z-]*)'?: \{ type:/gm,
      ),
    ].map((m) => `--${m[1]!}`);
    expect(flags).toContain('--poll-ms');
    expect(flags.filter((flag) => !new RegExp(`[\\s,]${flag}(?![\\w-])`).test(help))).toEqual([]);
  }, 15_000);
});
