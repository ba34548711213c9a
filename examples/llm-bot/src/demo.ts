// `pnpm demo` (through scripts/demo.mjs): the emulator with its live page, the LLM bot and the chat UI, all on
// 127.0.0.1. `--smoke`: no UI; drive conversations end to end, print what the emulator saw, exit 1 if anything is off.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Transport } from '@b24-typing/core';
import { type Emulator, startEmulator } from '@b24-typing/emulator';
import { createWebhookTransport } from '@b24-typing/node';
import { createLocalModel } from './createLocalModel';
import { createModel } from './createModel';
import { type Conversation, describeConversation, readConversation } from './readConversation';
import { sleep } from './sleep';
import { startBot } from './startBot';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const out = (line = '') => process.stdout.write(`${line}\n`);

const USAGE = `Usage: pnpm demo [options]

  --port <n>      port of the Bitrix24 emulator and its live page (default 8024; taken: a free one)
  --ui-port <n>   port of the chat UI dev server (default 5173; taken: a free one)
  --smoke         no UI: drive conversations end to end, print what the emulator saw, exit 1 if anything is off
  -h, --help
`;

/** A port flag: 1..65535 (0 would print a URL nobody can open). */
function portFlag(name: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65_535) {
    throw new Error(`--${name} must be a port 1..65535, got ${JSON.stringify(value)}`);
  }
  return n;
}

async function main(): Promise<number> {
  let options: { smoke: boolean; port: number; uiPort: number };
  try {
    const { values } = parseArgs({
      // `pnpm start -- --flag` passes the `--` through
      args: process.argv.slice(2).filter((arg) => arg !== '--'),
      options: {
        smoke: { type: 'boolean', default: false },
        port: { type: 'string', default: '8024' },
        'ui-port': { type: 'string', default: '5173' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    options = {
      smoke: values.smoke,
      port: portFlag('port', values.port),
      uiPort: portFlag('ui-port', values['ui-port']),
    };
  } catch (error) {
    // A mistyped flag is a usage error: say which and how to ask for help, without a stack trace.
    process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  return options.smoke ? smoke() : interactive(options.port, options.uiPort);
}

/**
 * `port` when nothing listens on it on 127.0.0.1, else a free one: the chat UI's dev server runs with
 * `--strictPort` so that the URL printed is the one it serves, and a port held by another program would
 * otherwise be printed as the chat UI while that program answers it.
 */
function freePort(port: number): Promise<number> {
  const listen = (p: number) =>
    new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(p, '127.0.0.1', () => {
        const { port: bound } = server.address() as { port: number };
        server.close(() => resolve(bound));
      });
    });
  return listen(port).catch(() => listen(0));
}

/** The group chat of the demo: "Team" (Alice and Bob), which the bot joins. */
const CHAT_ID = 2;

/**
 * Starts the bot against the emulator as against a portal (its own webhook, fetch mode with a 1 s poll) as a
 * `supervisor` bot, which hears every message of its chats, and adds it to the demo chat as an admin would.
 */
async function startDemoBot(emulator: Emulator, model = createModel().model, log?: (line: string) => void) {
  const transport = createWebhookTransport(emulator.webhookUrl(1));
  const bot = await startBot({
    transport,
    botToken: 'llm-bot-demo-token',
    name: 'LLM Bot',
    type: 'supervisor',
    model,
    events: { mode: 'fetch', intervalMs: 1000 },
    ...(log ? { log } : {}),
  });
  emulator.seed({ members: [[CHAT_ID, bot.botId]] });
  return { bot, transport };
}

async function smoke(): Promise<number> {
  const t0 = Date.now();
  const emulator = await startEmulator({ port: 0 });
  const failures: string[] = [];
  const check = (ok: boolean, what: string) => {
    out(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) failures.push(what);
  };
  const { bot, transport } = await startDemoBot(emulator, createLocalModel());
  const user = createWebhookTransport(emulator.webhookUrl(2));
  try {
    out(`smoke: emulator ${emulator.url}, bot ${bot.botId} in chat${CHAT_ID}; Bob (user 2) writes there over REST`);

    // 1. One question, answered: statuses in order, continuously visible, nothing after the reply.
    const first = await ask(user, 'How does a bot show that it is searching?');
    const c1 = await waitFor(emulator, first, bot.botId, (c) => c.reply !== undefined, 30_000);
    out();
    for (const line of describeConversation(c1)) out(`  ${line}`);
    const seq = c1.statuses.map((s) => s.status).join(' → ');
    check(seq === 'thinking → searching → thinking → composing', `statuses in order (${seq})`);
    check(c1.continuous, 'status visible without a gap from the first call until the reply');
    check(c1.callsAfterReply.length === 0, 'no indicator call after the reply message');
    check(c1.clears.length === 0, 'no clear on a successful answer (the reply hides the status)');
    check(/Bot statuses in Bitrix24/.test(c1.reply?.text ?? ''), 'the reply uses the search result');
    // Let the user see the next call after the reply would be one: wait past a renewal period's worth of time is
    // not needed; the oracle already covers "after the reply" up to now. Give in-flight traffic a moment to land.
    await sleep(300);
    const late = readConversation(emulator.timeline(), { questionId: first, botId: bot.botId });
    check((late?.callsAfterReply.length ?? 1) === 0, 'still no indicator call 300 ms after the reply');

    // 2. Ctrl-C while the bot is searching: the status is cleared (duration 1) and nothing follows.
    const second = await ask(user, 'And how is the status cleared when the bot stops?');
    const c2 = await waitFor(
      emulator,
      second,
      bot.botId,
      (c) => c.statuses.some((s) => s.status === 'searching'),
      20_000,
    );
    const stopAt = Date.now();
    await bot.stop();
    const stoppedIn = Date.now() - stopAt;
    await sleep(300);
    const after = readConversation(emulator.timeline(), { questionId: second, botId: bot.botId }) ?? c2;
    out();
    out('  stop (as on Ctrl-C) while searching:');
    for (const line of describeConversation(after)) out(`  ${line}`);
    out(`  stopped in ${stoppedIn} ms`);
    check(after.clears.length === 1, 'status cleared with duration 1 on stop');
    check(after.reply === undefined, 'no reply after stop');
    const lastCall = after.calls.at(-1);
    check(lastCall !== undefined && lastCall.durationSec === 1, 'the clear is the last indicator call');
  } catch (error) {
    failures.push(error instanceof Error ? error.message : String(error));
    out(`  FAIL ${failures.at(-1)}`);
  } finally {
    await bot.stop();
    await transport.close();
    await user.close();
    await emulator.close();
  }
  out();
  out(
    failures.length === 0
      ? `smoke passed in ${((Date.now() - t0) / 1000).toFixed(1)} s`
      : `smoke FAILED (${failures.length}): ${failures.join('; ')}`,
  );
  return failures.length === 0 ? 0 : 1;
}

async function ask(user: Pick<Transport, 'call'>, text: string): Promise<number> {
  const id = await user.call('im.message.add', { DIALOG_ID: `chat${CHAT_ID}`, MESSAGE: text });
  if (typeof id !== 'number') throw new Error(`im.message.add returned ${JSON.stringify(id)}, not a message id`);
  return id;
}

async function waitFor(
  emulator: Emulator,
  questionId: number,
  botId: number,
  done: (c: Conversation) => boolean,
  timeoutMs: number,
): Promise<Conversation> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const c = readConversation(emulator.timeline(), { questionId, botId });
    if (c && done(c)) return c;
    if (Date.now() > until) {
      const seen = c ? describeConversation(c).join('\n    ') : 'the question is not on the timeline';
      throw new Error(`timed out after ${timeoutMs} ms waiting for the bot; saw:\n    ${seen}`);
    }
    await sleep(50);
  }
}

async function interactive(port: number, uiPort: number): Promise<number> {
  let emulator: Emulator;
  try {
    emulator = await startEmulator({ port });
  } catch (error) {
    // Only a taken port has a remedy here; anything else (no permission, …) is the error to show.
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    emulator = await startEmulator({ port: 0 });
    out(`port ${port} is taken; the emulator uses ${new URL(emulator.url).port}`);
  }
  const { model, description } = createModel();
  const log = (line: string) => out(`[bot ${new Date().toISOString().slice(11, 23)}] ${line}`);
  const { bot, transport } = await startDemoBot(emulator, model, log);
  const freeUiPort = await freePort(uiPort);
  if (freeUiPort !== uiPort) out(`port ${uiPort} is taken; the chat UI uses ${freeUiPort}`);
  const ui = startChatUi(emulator, freeUiPort);
  out();
  out('b24-typing demo is running on 127.0.0.1:');
  out(`  chat UI (write here):         ${ui ? ui.url : 'examples/chat-ui is not in this checkout'}`);
  out(`  live page (every indicator):  ${emulator.liveUrl}`);
  out(`  bot: LLM Bot (id ${bot.botId}) in chat${CHAT_ID} "Team", ${description}`);
  out(
    `  or as Bob from a shell: curl -s ${emulator.url}/_emulator/messages -d '{"from":2,"dialogId":"chat${CHAT_ID}","text":"hi"}'`,
  );
  out('Write in the chat and watch "Agent is thinking… → searching… → composing…", then the reply. Ctrl+C stops.');
  out();
  await new Promise<void>((resolve) => {
    let stoppingSince = 0;
    const stop = () => {
      // Ctrl-C reaches this process both from the terminal and from scripts/demo.mjs: only a later one forces.
      if (stoppingSince) {
        if (Date.now() - stoppingSince > 2_000) process.exit(130);
        return;
      }
      stoppingSince = Date.now();
      out('stopping: clearing the bot status…');
      ui?.stop();
      bot
        .stop()
        .then(() => transport.close())
        .then(() => emulator.close())
        .finally(() => {
          out('stopped.');
          resolve();
        });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}

/** The browser engineer's chat UI (examples/chat-ui), served by its own dev server, pointed at this emulator. */
function startChatUi(emulator: Emulator, port: number): { url: string; stop(): void } | undefined {
  const dir = join(root, 'examples', 'chat-ui');
  const vite = join(dir, 'node_modules', '.bin', 'vite');
  if (!existsSync(join(dir, 'package.json')) || !existsSync(vite)) return undefined;
  const child = spawn(vite, ['--host', '127.0.0.1', '--port', String(port), '--strictPort'], {
    cwd: dir,
    stdio: 'ignore',
    env: { ...process.env, VITE_B24_EMULATOR_URL: emulator.url, VITE_B24_DIALOG: `chat${CHAT_ID}` },
  });
  // Vite exits with a code of its own on SIGTERM (143): after stop() any exit is the one asked for, and the
  // Ctrl-C that reaches it straight from the terminal is no news either.
  let stopping = false;
  const quiet = () => {
    stopping = true;
  };
  process.once('SIGINT', quiet);
  process.once('SIGTERM', quiet);
  child.on('exit', (code, signal) => {
    if (!stopping) out(`! the chat UI dev server exited (${signal ?? `code ${code}`}); is port ${port} free?`);
  });
  const query = new URLSearchParams({ emulator: emulator.url, dialog: `chat${CHAT_ID}` });
  return {
    url: `http://127.0.0.1:${port}/?${query}`,
    stop: () => {
      stopping = true;
      child.kill('SIGTERM');
    },
  };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
