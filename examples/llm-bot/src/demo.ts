// `pnpm demo` (through scripts/demo.mjs): the emulator with its live page, the LLM bot and the chat UI, all on
// 127.0.0.1. `--smoke`: headless; drive conversations end to end, print what the emulator saw, start the chat UI and the
// demo itself as a person would (two at once, a question typed in Chromium, Ctrl-C, a deleted bot), exit 1 if anything
// is off.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { B24Error, B24InputError, type Transport } from '@b24-typing/core';
import { type Emulator, startEmulator } from '@b24-typing/emulator';
import { createWebhookTransport } from '@b24-typing/node';
import type { launchChromium } from '@b24-typing/test-utils';
import { createLocalModel } from './createLocalModel';
import { createModel, type ModelChoice } from './createModel';
import { listenForStop } from './listenForStop';
import { type Conversation, describeConversation, readConversation } from './readConversation';
import { type PortChoice, readDemoOptions, UsageError } from './readDemoOptions.mjs';
import { sleep } from './sleep';
import { startBot } from './startBot';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const out = (line = '') => process.stdout.write(`${line}\n`);

/** The options, read by scripts/demo.mjs too: `--help` answers there at once, before anything is installed. */
const USAGE = readFileSync(new URL('./demoUsage.txt', import.meta.url), 'utf8');

async function main(): Promise<number> {
  let options: ReturnType<typeof readDemoOptions>;
  try {
    options = readDemoOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(error.line);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (options.smoke) return smoke();
  // The model's settings before anything starts, as the bot's CLI reads them: a bad one is one line naming it (never
  // the key), not a stack trace after the emulator and the bot's registration. The smoke run ignores them.
  let model: ModelChoice;
  try {
    model = createModel();
  } catch (error) {
    if (!(error instanceof B24InputError)) throw error;
    process.stderr.write(`demo: ${error.message}\n`);
    return 1;
  }
  // A port the person asked for is theirs: taken, it is an error in one line rather than a URL somewhere else.
  for (const [flag, { port, chosen }] of [
    ['--port', options.port],
    ['--ui-port', options.uiPort],
  ] as const) {
    if (chosen && (await freePort(port)) !== port) {
      process.stderr.write(
        `demo: port ${port} (${flag}) is taken on 127.0.0.1; stop what uses it or choose another port\n`,
      );
      return 1;
    }
  }
  return interactive(options.port, options.uiPort, model);
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
/** The bot's name, as the chat UI shows it in the typing line ("LLM Bot is thinking…"). */
const BOT_NAME = 'LLM Bot';
/** The statuses of an answer of the local model: it reasons, searches, reasons again and writes. */
const ANSWER_STATUSES = 'thinking → searching → thinking → composing';

/**
 * Starts the bot against the emulator as against a portal (its own webhook, fetch mode with a 1 s poll) as a
 * `supervisor` bot, which hears every message of its chats, and adds it to the demo chat as an admin would.
 */
async function startDemoBot(
  emulator: Emulator,
  { model, secrets }: Pick<ModelChoice, 'model' | 'secrets'>,
  log?: (line: string) => void,
  onError?: (error: unknown) => void,
  signal?: AbortSignal,
) {
  const transport = createWebhookTransport(emulator.webhookUrl(1));
  const bot = await startBot({
    transport,
    botToken: 'llm-bot-demo-token',
    name: BOT_NAME,
    type: 'supervisor',
    model,
    // An LLM's key, which a provider's refusal may quote, is cut from the log (the bot's own tokens are anyway).
    secrets,
    events: { mode: 'fetch', intervalMs: 1000 },
    ...(log ? { log } : {}),
    ...(onError ? { onError } : {}),
    ...(signal ? { signal } : {}),
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
  const { bot, transport } = await startDemoBot(emulator, { model: createLocalModel(), secrets: [] });
  const user = createWebhookTransport(emulator.webhookUrl(2));
  // Step 4's demo to be asked in Chromium: it comes up, and is asked, while steps 1–3 wait on the bot.
  const asked = startAskedDemo();
  try {
    out(`smoke: emulator ${emulator.url}, bot ${bot.botId} in chat${CHAT_ID}; Bob (user 2) writes there over REST`);

    // 1. One question, answered: statuses in order, continuously visible, nothing after the reply.
    const first = await ask(user, 'How does a bot show that it is searching?');
    const c1 = await waitFor(emulator, first, bot.botId, (c) => c.reply !== undefined, 30_000);
    out();
    for (const line of describeConversation(c1)) out(`  ${line}`);
    const seq = c1.statuses.map((s) => s.status).join(' → ');
    check(seq === ANSWER_STATUSES, `statuses in order (${seq})`);
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

    // 3. The chat UI as two demos started at once start it: a port each, serving when printed, freed when stopped.
    await smokeChatUi(emulator, check);

    // 4. `pnpm demo` as a person runs it, twice at once: asked in the browser then stopped by Ctrl-C, and left deaf
    // by its bot's deletion.
    await Promise.all([smokeCtrlC(asked, check), smokeBotDeleted(check)]);
  } catch (error) {
    failures.push(error instanceof Error ? error.message : String(error));
    out(`  FAIL ${failures.at(-1)}`);
  } finally {
    await asked.close();
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

/**
 * Starts the chat UI twice at once on the same free port, as two `pnpm demo` started together do: each must get a
 * port of its own and serve the chat UI at the URL it prints from the moment it prints it, and a stopped one must
 * have let its port go (a `pnpm demo` started right after finds it free).
 */
async function smokeChatUi(emulator: Emulator, check: (ok: boolean, what: string) => void): Promise<void> {
  const port = await freePort(0);
  const uis = await Promise.all([
    startChatUi(emulator, { port, chosen: false }),
    startChatUi(emulator, { port, chosen: false }),
  ]);
  const started = uis.filter((ui) => ui !== undefined);
  try {
    out();
    out(`  chat UI, started twice at once on port ${port}: ${started.map((ui) => ui.url.split('?')[0]).join(', ')}`);
    check(started.length === 2, 'the chat UI starts (examples/chat-ui is in this checkout)');
    const ports = new Set(started.map((ui) => new URL(ui.url).port));
    check(ports.size === started.length, 'two demos started at once get a chat UI port each');
    for (const ui of started) {
      const page = await fetch(ui.url).then(
        async (response) => `${response.status} ${await response.text()}`,
        (error: unknown) => String(error),
      );
      check(
        page.startsWith('200 ') && page.includes('id="composer"'),
        `${ui.url.split('?')[0]} serves the chat UI as printed`,
      );
    }
    // Whatever the checks above found, stop chat UIs that are up and serving, as Ctrl-C stops a running demo.
    for (const ui of started) await untilServed(ui.url, 10_000);
  } finally {
    for (const ui of started) await ui.stop();
  }
  for (const ui of started) {
    const { port: stopped } = new URL(ui.url);
    check(
      (await freePort(Number(stopped))) === Number(stopped),
      `port ${stopped} is free once the chat UI has stopped`,
    );
  }
}

/** `pnpm demo` as a process (tsx as a loader: one process), on free ports, with no model configured. */
async function spawnDemo() {
  const env = { ...process.env };
  for (const name of ['LLM_BASE_URL', 'LLM_API_KEY']) delete env[name];
  const ports = { port: await freePort(0), uiPort: await freePort(0) };
  const args = ['--port', String(ports.port), '--ui-port', String(ports.uiPort)];
  const child = spawn(
    process.execPath,
    ['--conditions=@b24-typing/source', '--import', 'tsx', 'src/demo.ts', ...args],
    {
      cwd: join(root, 'examples', 'llm-bot'),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  /** The exit code, or `undefined` when still running after `ms`. */
  const exit = (ms: number) => Promise.race([exited, sleep(ms).then(() => undefined)]);
  const until = Date.now() + 30_000;
  while (!output.includes('Ctrl+C stops') && child.exitCode === null && Date.now() < until) await sleep(50);
  if (!output.includes('Ctrl+C stops')) out(`  demo process printed no banner within 30 s:\n${output}`);
  const found = (re: RegExp) => re.exec(output)?.[1] ?? '';
  const banner = {
    chatUi: found(/chat UI \(write here\): +(\S+)/),
    live: found(/live page \(every indicator\): +(\S+)/),
    botId: Number(found(/LLM Bot \(id (\d+)\)/)),
  };
  /** Whether the ports it was given are free again. */
  const portsFree = async () =>
    (await freePort(ports.port)) === ports.port && (await freePort(ports.uiPort)) === ports.uiPort;
  return { child, banner, exit, portsFree, output: () => output };
}

/**
 * Step 4's demo that is asked in Chromium (`smokeBrowser`), started with Chromium at the beginning of the smoke: they
 * come up and the question is answered while steps 1–3 wait on their own bot; step 4 reports what was seen.
 * Chromium is loaded here only (`pnpm demo` itself needs no browser). `close()` kills what is still running.
 */
function startAskedDemo() {
  const browser = import('@b24-typing/test-utils').then((utils) => utils.launchChromium());
  browser.catch(() => undefined); // smokeBrowser reports it; not an unhandled rejection meanwhile
  const demo = spawnDemo();
  const browsed = demo.then((started) => smokeBrowser(browser, started.banner.chatUi, started.banner.botId));
  return {
    demo,
    browsed,
    async close(): Promise<void> {
      const { child } = await demo;
      if (child.exitCode === null) child.kill('SIGKILL');
      await browser.then((chromium) => chromium.close()).catch(() => undefined);
      await browsed;
    },
  };
}

/**
 * Ctrl-C on a running demo: the URLs printed answered, a question typed in its chat UI was answered as the page
 * shows it (`smokeBrowser`), the exit is 0 and both ports are free at once.
 */
async function smokeCtrlC(
  asked: ReturnType<typeof startAskedDemo>,
  check: (ok: boolean, what: string) => void,
): Promise<void> {
  const demo = await asked.demo;
  try {
    check(await answers(demo.banner.chatUi), `demo process: the chat UI it prints answers (${demo.banner.chatUi})`);
    check(await answers(demo.banner.live), `demo process: the live page it prints answers (${demo.banner.live})`);
    const browsed = await asked.browsed;
    for (const line of browsed.lines) out(line);
    for (const { ok, what } of browsed.checks) check(ok, what);
    demo.child.kill('SIGINT');
    const code = await demo.exit(10_000);
    check(code === 0 && demo.output().includes('stopped.'), `demo process: Ctrl-C stops it with exit code 0 (${code})`);
    check(await demo.portsFree(), 'demo process: its ports are free once it has exited');
  } finally {
    await asked.close();
  }
}

type Browser = Awaited<ReturnType<typeof launchChromium>>;

/** Where the page keeps what it showed (see RECORDER). */
interface Shown {
  /** Every state of the page, in order: the bot's line in the side panel, the typing line, its reply ('' before). */
  readonly states: { panel: string; line: string; reply: string }[];
}

/**
 * Runs in the page: records every state of the side panel's line for the bot (`#live li[data-sender]`), the typing
 * line under the messages and the bot's reply in the message list, on each change (a MutationObserver:
 * a status shown for a moment is seen, which polling could miss). JavaScript text, not a function: the llm-bot's
 * TypeScript knows Node, not the DOM.
 */
const RECORDER = `(botId) => {
  const shown = { states: [] };
  const read = () => {
    const state = {
      panel: document.querySelector('#live li[data-sender="' + botId + '"] > span:not(.avatar)')?.textContent ?? '',
      line: document.getElementById('typing-text')?.textContent ?? '',
      reply: document.querySelector('#messages li[data-author="' + botId + '"] .text')?.textContent ?? '',
    };
    const last = shown.states.at(-1);
    if (!last || last.panel !== state.panel || last.line !== state.line || last.reply !== state.reply) {
      shown.states.push(state);
    }
  };
  new MutationObserver(read).observe(document.body, { subtree: true, childList: true, characterData: true });
  read();
  globalThis.smokeShown = shown;
}`;

/** The chat UI's words for the bot's statuses (examples/chat-ui/src/renderChat.ts), back to the status. */
const SHOWN_AS: Readonly<Record<string, string>> = {
  thinking: 'thinking',
  'searching for information': 'searching',
  'composing a response': 'composing',
};

/** The statuses a sequence of texts shows ("LLM Bot is thinking…" → thinking), repeats collapsed. */
function statusesIn(texts: readonly string[]): string[] {
  const statuses: string[] = [];
  for (const text of texts) {
    const words = new RegExp(`${BOT_NAME} is (.+?)…`).exec(text)?.[1];
    if (words === undefined) continue;
    const status = SHOWN_AS[words] ?? `"${words}"`;
    if (statuses.at(-1) !== status) statuses.push(status);
  }
  return statuses;
}

/** What `smokeBrowser` saw: lines to print and checks to count, when it is step 4's turn to report. */
interface BrowserReport {
  readonly lines: string[];
  readonly checks: { ok: boolean; what: string }[];
}

/**
 * What only a browser sees of the demo's promise: a question typed into the chat UI's composer (keys, then Enter, as
 * Alice) gets the bot's statuses in the side panel and the typing line, in order, while it works, then the reply,
 * and no status from the moment the reply shows (watched for a while after it: a status that came back would show).
 * `browser` rejects when Chromium could not start: CI has it, so a missing one fails the step, saying how to get it.
 * Never rejects: it runs alongside steps 1–3, and reports in step 4.
 */
async function smokeBrowser(browser: Promise<Browser>, chatUi: string, botId: number): Promise<BrowserReport> {
  const report: BrowserReport = { lines: [], checks: [] };
  const say = (line = '') => report.lines.push(line);
  const check = (ok: boolean, what: string) => report.checks.push({ ok, what: `chat UI in Chromium: ${what}` });
  let page: Awaited<ReturnType<Browser['newPage']>> | undefined;
  try {
    page = await (await browser).newPage();
    const t0 = Date.now();
    await page.goto(chatUi);
    await page.waitForSelector('body[data-ready="true"] #message:enabled', { timeout: 15_000 });
    await page.evaluate(`(${RECORDER})(${JSON.stringify(botId)})`);
    const question = 'How does a bot show that it is composing?';
    await page.focus('#message');
    await page.keyboard.type(question, { delay: 10 });
    await page.keyboard.press('Enter');
    const sentAt = Date.now();
    const replied = await page
      .waitForFunction('globalThis.smokeShown.states.some((state) => state.reply)', undefined, { timeout: 20_000 })
      .then(
        () => true,
        () => false,
      );
    const repliedIn = Date.now() - sentAt;
    // A status shown again after the reply would show within this; the page's clock redraws every 250 ms.
    const statusAfter =
      replied &&
      (await page
        .waitForFunction(
          `(() => { const s = globalThis.smokeShown.states; const at = s.findIndex((state) => state.reply);
          return s.slice(at).some((state) => state.panel !== '' || state.line.includes(${JSON.stringify(BOT_NAME)})); })()`,
          undefined,
          { timeout: 1_000 },
        )
        .then(
          () => true,
          () => false,
        ));
    const { states } = (await page.evaluate('globalThis.smokeShown')) as Shown;
    const before = states.slice(0, replied ? states.findIndex((state) => state.reply) : states.length);
    const reply = states.at(before.length)?.reply ?? '';
    const panel = statusesIn(before.map((state) => state.panel)).join(' → ');
    const line = statusesIn(before.map((state) => state.line)).join(' → ');
    say();
    say(
      `  in Chromium, Alice types "${question}" in ${chatUi.split('?')[0]} (ready in ${((sentAt - t0) / 1000).toFixed(1)} s) and presses Enter:`,
    );
    say(
      `  side panel: ${panel || '(no status)'}${replied ? ` → the bot's message (+${(repliedIn / 1000).toFixed(1)} s)` : ' (no reply within 20 s)'}`,
    );
    say(`  typing line: ${line || '(no status)'}`);
    check(panel === ANSWER_STATUSES, `the side panel shows the bot's statuses in order (${panel})`);
    check(line === ANSWER_STATUSES, `the typing line shows the bot's statuses in order (${line})`);
    // The local model quotes the question: an apology, or an answer to another message, is not the reply.
    check(reply.includes(question), `the reply to it appears (${JSON.stringify(reply.slice(0, 60))})`);
    const shownAfter = states
      .slice(before.length)
      .flatMap((state) => [state.panel, state.line])
      .find((text) => text.includes(BOT_NAME));
    check(
      replied && !statusAfter,
      `no bot status shown from the reply on (${replied ? 'watched for 1 s' : 'no reply'}${shownAfter ? `; shown: "${shownAfter}"` : ''})`,
    );
  } catch (error) {
    check(false, error instanceof Error ? error.message : String(error));
  } finally {
    await page?.close().catch(() => undefined);
  }
  return report;
}

/** A demo whose bot is deleted (an admin, a reset) hears no message again: it says so and exits 1, not deaf. */
async function smokeBotDeleted(check: (ok: boolean, what: string) => void): Promise<void> {
  const demo = await spawnDemo();
  try {
    const { origin } = new URL(demo.banner.live || 'http://127.0.0.1:1');
    await fetch(`${origin}/rest/1/emulatorwebhook1/imbot.v2.Bot.unregister`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ botId: demo.banner.botId, botToken: 'llm-bot-demo-token' }),
    }).catch(() => undefined);
    const code = await demo.exit(10_000);
    check(code === 1, `demo process: its bot deleted, it exits 1 rather than run on deaf (${code ?? 'still running'})`);
    if (code === undefined) {
      demo.child.kill('SIGINT');
      await demo.exit(10_000);
    }
    check(await demo.portsFree(), 'demo process: its ports are free once it has exited');
  } finally {
    if (demo.child.exitCode === null) demo.child.kill('SIGKILL');
  }
}

/** Whether `url` answers 2xx now. */
function answers(url: string): Promise<boolean> {
  return fetch(url).then(
    (response) => response.ok,
    () => false,
  );
}

/** Resolves once `url` answers, or after `timeoutMs`. */
async function untilServed(url: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until && !(await answers(url))) await sleep(50);
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

async function interactive(
  { port, chosen }: PortChoice,
  uiPort: PortChoice,
  { model, description, secrets }: ModelChoice,
): Promise<number> {
  // From here a Ctrl-C stops what has started, also while the emulator starts (that finishes first), the bot registers
  // (aborted: startBot's `signal`) or the chat UI's dev server is still starting: see listenForStop.
  const stop = listenForStop(out);
  /** What a stop asked for now waits for; unset once the bot runs (or has gone deaf while starting). */
  let waitingFor: string | undefined = 'the emulator has started';
  void stop.requested.then((why) => {
    if (waitingFor) out(`${why}: stopping once ${waitingFor}…`);
  });
  let emulator: Emulator;
  try {
    emulator = await startEmulator({ port });
  } catch (error) {
    // Only a taken default port has a remedy here; anything else (no permission, …) is the error to show, and a
    // port asked for (free a moment ago) is the person's.
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || chosen) throw error;
    emulator = await startEmulator({ port: 0 });
    out(`port ${port} is taken; the emulator uses ${new URL(emulator.url).port}`);
  }
  const log = (line: string) => out(`[bot ${new Date().toISOString().slice(11, 23)}] ${line}`);
  let exitCode = 0;
  // Deaf for good (its bot deleted, the emulator reset): a demo that looks alive and never answers misleads, so
  // it says why and stops, as the bot's CLI does: by the stop a signal takes, asked for directly, not by a SIGTERM to
  // itself, which on Windows kills the process outright (the bot's status not cleared, the chat UI left running).
  const deaf = () => {
    out('! the bot can no longer hear the chat (see above); stopping the demo');
    exitCode = 1;
    waitingFor = undefined;
    stop.request('deaf');
  };
  let started: Awaited<ReturnType<typeof startDemoBot>> | undefined;
  if (stop.reason === undefined) {
    waitingFor = 'its registration is aborted';
    started = await startDemoBot(emulator, { model, secrets }, log, deaf, stop.signal).catch((error: unknown) => {
      // Aborted by the stop asked for: not a failure; the emulator is still closed by the steps below.
      if (stop.signal.aborted && error instanceof B24Error && error.code === 'ABORTED') return undefined;
      throw error;
    });
  }
  waitingFor = undefined;
  const ui =
    stop.reason === undefined
      ? await startChatUi(emulator, uiPort, stop.signal).catch((error: unknown) => {
          out(`! ${error instanceof Error ? error.message : String(error)}`);
          return undefined;
        })
      : undefined;
  if (started && !stop.signal.aborted) {
    const uiPortUsed = ui && Number(new URL(ui.url).port);
    if (uiPortUsed && uiPortUsed !== uiPort.port) out(`port ${uiPort.port} is taken; the chat UI uses ${uiPortUsed}`);
    out();
    out('b24-typing demo is running on 127.0.0.1:');
    out(`  chat UI (write here):         ${ui ? ui.url : 'examples/chat-ui is not in this checkout or did not start'}`);
    out(`  live page (every indicator):  ${emulator.liveUrl}`);
    out(`  bot: LLM Bot (id ${started.bot.botId}) in chat${CHAT_ID} "Team", ${description}`);
    out(
      `  or as Bob from a shell: curl -s ${emulator.url}/_emulator/messages -d '{"from":2,"dialogId":"chat${CHAT_ID}","text":"hi"}'`,
    );
    // In the chat UI's words (SHOWN_AS), not the portal's "Agent is thinking…": that is the page she writes in.
    out(
      `Write in the chat UI and watch "${BOT_NAME} is thinking… → searching for information… → composing a response…", then the reply. Ctrl+C stops.`,
    );
    out();
  }
  await stop.requested;
  out('stopping: clearing the bot status…');
  const stopped = await stop.run(
    [
      ['stop the chat UI', () => ui?.stop()],
      ['stop the bot', () => started?.bot.stop()],
      ['close the transport', () => started?.transport.close()],
      ['close the emulator', () => emulator.close()],
    ],
    log,
  );
  out('stopped.');
  return stopped ? exitCode : 1;
}

/** A chat UI dev server that is serving. */
interface ChatUi {
  readonly url: string;
  /** Resolves once the dev server has exited, so its port is free when the demo says it stopped. */
  stop(): Promise<void>;
}

/**
 * The browser engineer's chat UI (examples/chat-ui), served by its own dev server, pointed at this emulator;
 * resolves once it serves, so the URL printed works when printed. A default port found free can be taken before
 * Vite binds it (two demos started at once both find 5173 free): Vite then exits (`--strictPort`) and another free
 * port is tried; a port asked for is tried alone. `signal` (Ctrl-C during start-up) stops the dev server and
 * resolves `undefined`.
 */
async function startChatUi(
  emulator: Emulator,
  { port, chosen }: PortChoice,
  signal?: AbortSignal,
): Promise<ChatUi | undefined> {
  const dir = join(root, 'examples', 'chat-ui');
  const vite = join(dir, 'node_modules', '.bin', 'vite');
  if (!existsSync(join(dir, 'package.json')) || !existsSync(vite)) return undefined;
  for (let attempt = 1; ; attempt++) {
    const tried = attempt === 1 ? (chosen ? port : await freePort(port)) : await freePort(0);
    const started = await spawnChatUi(emulator, dir, vite, tried, signal);
    if (started.ui || signal?.aborted) return started.ui;
    if (!/already in use/i.test(started.output) || attempt === 3 || chosen) {
      throw new Error(`the chat UI dev server did not start:\n${started.output.trim()}`);
    }
  }
}

/** Vite starts in well under a second; past this it is stuck, and the demo says so rather than wait on. */
const START_TIMEOUT_MS = 30_000;

function spawnChatUi(
  emulator: Emulator,
  dir: string,
  vite: string,
  port: number,
  signal?: AbortSignal,
): Promise<{ ui?: ChatUi; output: string }> {
  const child = spawn(vite, ['--host', '127.0.0.1', '--port', String(port), '--strictPort'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    // No colours: Vite prints the port of its URL in bold, which would hide the URL this waits for.
    env: { ...process.env, NO_COLOR: '1', VITE_B24_EMULATOR_URL: emulator.url, VITE_B24_DIALOG: `chat${CHAT_ID}` },
  });
  const exited = new Promise<void>((resolve) => {
    child.once('close', () => resolve());
    child.once('error', () => resolve());
  });
  const query = new URLSearchParams({ emulator: emulator.url, dialog: `chat${CHAT_ID}` });
  let stopping = false;
  const ui: ChatUi = {
    url: `http://127.0.0.1:${port}/?${query}`,
    stop: () => {
      stopping = true;
      child.kill('SIGTERM');
      return exited;
    },
  };
  const abort = () => void ui.stop();
  signal?.addEventListener('abort', abort, { once: true });
  // Vite prints its URL once it listens; until then its output is kept to say why it could not start.
  let output = '';
  let ready = false;
  const tooLong = setTimeout(() => {
    output += `(no "listening" line after ${START_TIMEOUT_MS / 1000} s; stopped it)\n`;
    void ui.stop();
  }, START_TIMEOUT_MS);
  return new Promise((resolve) => {
    const keep = (chunk: Buffer) => {
      if (ready) return;
      output += chunk.toString();
      if (!output.includes(`//127.0.0.1:${port}/`)) return;
      ready = true;
      clearTimeout(tooLong);
      signal?.removeEventListener('abort', abort);
      resolve({ ui, output });
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (error) => {
      output += `${error.message}\n`;
      resolve({ output });
    });
    // Vite exits with a code of its own on SIGTERM (143): after stop() any exit is the one asked for, and the
    // Ctrl-C that reaches it straight from the terminal is no news either.
    const quiet = () => {
      stopping = true;
    };
    process.once('SIGINT', quiet);
    process.once('SIGTERM', quiet);
    child.once('close', (code, exitSignal) => {
      clearTimeout(tooLong);
      signal?.removeEventListener('abort', abort);
      process.off('SIGINT', quiet);
      process.off('SIGTERM', quiet);
      if (!ready) resolve({ output });
      else if (!stopping) out(`! the chat UI dev server exited (${exitSignal ?? `code ${code}`})`);
    });
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
