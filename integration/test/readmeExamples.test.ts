// The READMEs' TypeScript examples are the first code a user copies, so each one is checked as a user would use it:
//
// - Every ```ts / ```typescript block of the root README and of each package's README is typechecked, as one module,
//   against the workspace packages imported by name (`@b24-typing/core` …, resolved to `src` through the
//   `@b24-typing/source` condition, as the other integration tests resolve them), with the repository's strict
//   settings (tsconfig.base.json through integration/tsconfig.json).
// - A block that uses names it does not declare (`reply$`, `textarea`, an Express `app` …) gets a preamble from
//   PREAMBLES below: one entry per block, in order, declaring exactly those names. A README gaining or losing a block
//   fails the count test until PREAMBLES says what the new block needs, so no block goes unchecked by accident.
// - A block whose first line is `// fragment: <why>` is not compiled (it is counted as skipped). Keep those rare: a
//   block that cannot compile standalone even with a preamble is the only reason.
// - Blocks listed in RUNS are also run, end to end, against one emulator started for this file: the block's own code,
//   with the names of its preamble bound to real values (the emulator's URLs, EventTargets for DOM elements, spies),
//   then its RunSpec checks what the block promises on the emulator's timeline. `pauseBefore` runs the block up to
//   that line first (its teardown, "when the composer goes away"), so the check can act in between.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createIndicators, type Indicators, type Transport } from '@b24-typing/core';
import { type Emulator, startEmulator, type TimelineEntry } from '@b24-typing/emulator';
import { createWebhookTransport, type NodeTransport } from '@b24-typing/node';
import { jsonSchema, tool } from 'ai';
import { MockLanguageModelV3, simulateReadableStream } from 'ai/test';
import { Subject } from 'rxjs';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { VirtualClock } from './VirtualClock';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const INTEGRATION = join(ROOT, 'integration');
/** Where the blocks live as files: inside the integration package, so its node_modules resolve their imports. */
const BLOCKS_DIR = join(INTEGRATION, '.readme-blocks');

const READMES = [
  'README.md',
  'packages/core/README.md',
  'packages/node/README.md',
  'packages/browser/README.md',
  'packages/ai/README.md',
  'packages/emulator/README.md',
] as const;
type Readme = (typeof READMES)[number];

const FRAGMENT = /^\/\/ fragment: \S/;

const PREAMBLES: Record<Readme, readonly string[]> = {
  'README.md': [
    `declare const backend: { accessToken(): Promise<string>; refreshToken(): Promise<string> };`,
    `import type { LanguageModel, Tool } from 'ai';
declare const model: LanguageModel;
declare const webSearch: Tool;`,
  ],
  'packages/core/README.md': [
    `import type { AuthRequest } from '@b24-typing/browser';
declare const clientEndpoint: string;
declare const auth: (request: AuthRequest) => Promise<string>;
declare const textarea: HTMLTextAreaElement;
declare const form: HTMLFormElement;`,
    `import type { Observable } from 'rxjs';
import type { MessageAddEvent } from '@b24-typing/node';
declare const reply$: Observable<string>;
declare const event: MessageAddEvent;
declare const botId: number;
declare const botToken: string;
declare function sendMessage(text: string): void;`,
    `import type { Observable } from 'rxjs';
import type { AgentStatus, Indicators } from '@b24-typing/core';
declare const indicators: Indicators;
declare const botToken: string;
declare const phase$: Observable<AgentStatus>;
declare const reply$: Observable<string>;`,
    `import { expect } from 'vitest';`,
  ],
  'packages/node/README.md': [
    '',
    `import type { OAuthTokens } from '@b24-typing/node';
declare const install: { client_endpoint: string; access_token: string; refresh_token: string; server_endpoint: string };
declare const db: { saveTokens(tokens: OAuthTokens): Promise<void> };`,
    `import type { OAuthTokens } from '@b24-typing/node';
declare const install: { client_endpoint: string; access_token: string; refresh_token: string };
declare const db: { saveTokens(tokens: OAuthTokens): Promise<void>; loadTokens(): Promise<OAuthTokens | undefined> };`,
    `declare const error: unknown;
declare const webhookCode: string;`,
    `import type { DialogId } from '@b24-typing/core';
type Handler = (req: { body: Buffer }, res: { sendStatus(status: number): unknown }) => unknown;
declare const express: { raw(options: { type: string }): Handler };
declare const app: { post(path: string, ...handlers: Handler[]): void };
declare function reply(dialogId: DialogId, text: string): void;`,
    `import type { MessageAddEvent, NodeTransport } from '@b24-typing/node';
declare const transport: NodeTransport;
declare function handle(event: MessageAddEvent): void;`,
    `import type { BotEvent, NodeTransport } from '@b24-typing/node';
declare const transport: NodeTransport;
declare const log: { warn(message: string): void };
declare function handle(event: BotEvent): void;`,
  ],
  'packages/browser/README.md': [
    `declare const myBackend: { accessToken(): Promise<string>; refreshToken(): Promise<string> };
declare const textarea: HTMLTextAreaElement;`,
  ],
  'packages/ai/README.md': [
    `import type { LanguageModel, ToolSet } from 'ai';
import type { Observable } from 'rxjs';
import type { DialogId, Indicators } from '@b24-typing/core';
declare const model: LanguageModel;
declare const prompt: string;
declare const tools: ToolSet;
declare const indicators: Indicators;
declare const dialogId: DialogId;
declare const botId: number;
declare const botToken: string;
declare const reply$: Observable<string>;`,
    `import type { streamText } from 'ai';
declare const result: ReturnType<typeof streamText>;`,
  ],
  'packages/emulator/README.md': [
    '',
    `import { afterAll, beforeAll, expect, it } from 'vitest';`,
    `import type { Emulator } from '@b24-typing/emulator';
declare const emulator: Emulator;
declare const t1: number;
declare const t2: number;
declare const chatId: number;`,
  ],
};

interface Block {
  readme: Readme;
  /** 1-based, in the README's order. */
  index: number;
  /** README line of the block's first code line. */
  line: number;
  code: string;
  fragment: boolean;
  /** `<readme>#<index>`: the key of RUNS. */
  id: string;
  file: string;
}

function extractBlocks(readme: Readme): Block[] {
  const lines = readFileSync(join(ROOT, readme), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(`{3,})\s*(\w*)/.exec(lines[i] ?? '');
    if (!fence) continue;
    const [, ticks = '```', lang] = fence;
    const start = i + 1;
    do i++;
    while (i < lines.length && !(lines[i] ?? '').startsWith(ticks));
    if (lang !== 'ts' && lang !== 'typescript') continue;
    const code = lines.slice(start, i).join('\n');
    const index = blocks.length + 1;
    const slug = readme.replace(/\/?README\.md$/, '').replace(/\W+/g, '-') || 'root';
    blocks.push({
      readme,
      index,
      line: start + 1,
      code,
      fragment: FRAGMENT.test(code),
      id: `${readme}#${index}`,
      file: join(BLOCKS_DIR, `${slug}-${index}.ts`),
    });
  }
  return blocks;
}

const BLOCKS = READMES.flatMap(extractBlocks);

function preambleOf(block: Block): string {
  return PREAMBLES[block.readme][block.index - 1] ?? '';
}

/** The block as the compiler sees it: its preamble, then its code, unchanged. */
function typecheckSource(block: Block): { text: string; offset: number } {
  const preamble = preambleOf(block);
  const head = preamble ? `${preamble}\n` : '';
  return { text: head + block.code, offset: head.split('\n').length - 1 };
}

/** All blocks in one program (one load of the packages and libs), each a module of its own. */
function typecheck(blocks: readonly Block[]): Map<string, string[]> {
  const configPath = join(INTEGRATION, 'tsconfig.json');
  const config = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (!config) throw new Error(`cannot read ${configPath}`);
  const options: ts.CompilerOptions = {
    ...config.options,
    noEmit: true,
    moduleDetection: ts.ModuleDetectionKind.Force,
  };
  const sources = new Map(blocks.map((b) => [b.file, typecheckSource(b)]));
  const host = ts.createCompilerHost(options, true);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => sources.has(f) || fileExists.call(host, f);
  host.readFile = (f) => sources.get(f)?.text ?? readFile.call(host, f);
  host.getSourceFile = (f, language, ...rest) => {
    const source = sources.get(f);
    return source
      ? ts.createSourceFile(f, source.text, language, true)
      : getSourceFile.call(host, f, language, ...rest);
  };
  const program = ts.createProgram([...sources.keys()], options, host);
  const errors = new Map<string, string[]>(blocks.map((b) => [b.id, []]));
  const global = ts.getPreEmitDiagnostics(program).filter((d) => !d.file || !sources.has(d.file.fileName));
  if (global.length > 0) throw new Error(ts.formatDiagnostics(global, host));
  for (const block of blocks) {
    const file = program.getSourceFile(block.file);
    const { offset } = sources.get(block.file) ?? { offset: 0 };
    if (!file) throw new Error(`${block.id} was not compiled`);
    for (const d of ts.getPreEmitDiagnostics(program, file)) {
      const { line } = file.getLineAndCharacterOfPosition(d.start ?? 0);
      const where = line < offset ? `preamble line ${line + 1}` : `${block.readme}:${block.line + line - offset}`;
      errors.get(block.id)?.push(`${where}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    }
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------------------------------
// Running blocks against the emulator

/** The seeded chat the READMEs' `chat42` names (user 1 of the webhook, user 2, bot 7), and the bots 7 and 17 they name. */
const CHAT = 42;
const BOT_7 = { id: 7, token: 'readme-bot-7-token' };
const BOT_17 = { id: 17, token: 'readme-bot-17-token' };

interface RunContext {
  emulator: Emulator;
  /** Everything the emulator recorded since the run started. */
  entries(): TimelineEntry[];
  /** Names of the block's preamble, bound to real values for the run. */
  bound: Record<string, unknown>;
  /** What the block's module exports (RunSpec.expose). */
  exports: Record<string, unknown>;
  /** Runs the block's lines from `pauseBefore` on. */
  resume(): Promise<void>;
}

interface RunSpec {
  env?(emulator: Emulator): Record<string, string>;
  bind?(emulator: Emulator): Record<string, unknown>;
  pauseBefore?: string;
  /** Top-level names of the block the check reads (appended as `export { … }`). */
  expose?: readonly string[];
  check(run: RunContext): Promise<void>;
}

const BINDINGS = '__readmeExampleBindings';

function callsOf(entries: TimelineEntry[], method: string) {
  return entries.flatMap((e) => (e.kind === 'call' && e.method === method ? [e] : []));
}

/** Waits for HTTP the block started to land (on the emulator, or in a spy); no timing is under test here. */
function eventually(assertion: () => void): Promise<void> {
  return vi.waitFor(assertion, { timeout: 5_000, interval: 10 });
}

type ModelStreamPart =
  Awaited<ReturnType<MockLanguageModelV3['doStream']>>['stream'] extends ReadableStream<infer P> ? P : never;

/** The reply the root README's bot streams from its (mock) model, after a `webSearch` call. */
const ANSWER = 'It is sunny in Berlin, 21 °C.';

/** A model that calls `webSearch`, then answers ANSWER: the stream parts of `ai`'s own mock, as a provider sends them. */
function searchingModel(): MockLanguageModelV3 {
  const usage = {
    inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
    outputTokens: { total: 20, text: 20, reasoning: undefined },
  };
  const step = (chunks: ModelStreamPart[], unified: 'stop' | 'tool-calls') => ({
    stream: simulateReadableStream<ModelStreamPart>({
      chunks: [
        { type: 'stream-start', warnings: [] },
        ...chunks,
        { type: 'finish', finishReason: { unified, raw: unified }, usage },
      ],
    }),
  });
  return new MockLanguageModelV3({
    doStream: [
      step(
        [
          { type: 'reasoning-start', id: 'r1' },
          { type: 'reasoning-delta', id: 'r1', delta: 'I should look it up.' },
          { type: 'reasoning-end', id: 'r1' },
          { type: 'tool-call', toolCallId: 'call-1', toolName: 'webSearch', input: '{"query":"Berlin weather"}' },
        ],
        'tool-calls',
      ),
      step(
        [
          { type: 'text-start', id: 't1' },
          { type: 'text-delta', id: 't1', delta: ANSWER },
          { type: 'text-end', id: 't1' },
        ],
        'stop',
      ),
    ],
  });
}

const RUNS: Record<string, RunSpec> = {
  // the root README's bot: botEvents → streamText → statusFromStream → withStatus → Message.send
  'README.md#2': {
    env: (emulator) => ({ B24_WEBHOOK_URL: emulator.webhookUrl(), B24_BOT_TOKEN: BOT_7.token }),
    bind: (emulator) => {
      emulator.postMessage({ from: 2, dialogId: String(BOT_7.id), text: 'Weather in Berlin?' });
      let release: (result: string) => void = () => {};
      const searched = new Promise<string>((resolve) => {
        release = resolve;
      });
      const webSearch = tool({
        inputSchema: jsonSchema<{ query: string }>({ type: 'object', properties: { query: { type: 'string' } } }),
        execute: () => searched, // held until the check has seen the status
      });
      return { model: searchingModel(), webSearch, release };
    },
    expose: ['transport', 'indicators'],
    async check({ bound, entries, exports }) {
      const notifies = () => callsOf(entries(), 'imbot.v2.Chat.InputAction.notify');
      // The phases after `thinking` are held `minDwellMs` (1 s of real time here: the block makes its own
      // indicators, with no clock to inject), so only the first is awaited; core's tests cover the switching.
      await eventually(() => expect(notifies()).not.toEqual([]));
      expect(notifies()[0]).toMatchObject({
        senderId: BOT_7.id,
        statusMessageCode: 'IMBOT_AGENT_ACTION_THINKING',
        shown: true,
      });
      (bound.release as (result: string) => void)('Sunny, 21 degrees');
      await eventually(() =>
        expect(entries().filter((e) => e.kind === 'message')).toMatchObject([
          { authorId: 2, text: 'Weather in Berlin?' },
          { authorId: BOT_7.id, text: ANSWER },
        ]),
      );
      const answered = entries().find((e) => e.kind === 'message' && e.authorId === BOT_7.id)?.seq ?? 0;
      expect(notifies().filter((c) => c.seq > answered)).toEqual([]);
      // … nor later: nothing is left to send (a call would land after this read of the timeline).
      expect((exports.indicators as Indicators).stats()).toMatchObject({ indicators: 0, activeIndicators: 0 });
      await (exports.transport as { close(): Promise<void> }).close();
    },
  },
  // core, quick start: a chat composer (in Node: the DOM elements are EventTargets, fetch is Node's)
  'packages/core/README.md#1': {
    bind: (emulator) => ({
      clientEndpoint: emulator.restUrl,
      auth: async () => emulator.fixtures.oauth.accessToken,
      textarea: new EventTarget(),
      form: new EventTarget(),
    }),
    pauseBefore: '// when the composer goes away',
    expose: ['indicators'],
    async check({ bound, entries, exports, resume }) {
      const debug = vi.spyOn(console, 'debug').mockImplementation(() => {});
      try {
        (bound.textarea as EventTarget).dispatchEvent(new Event('input'));
        await eventually(() => expect(debug).toHaveBeenCalledWith('sent', expect.any(Number)));
        const [writing, ...more] = callsOf(entries(), 'im.dialog.writing');
        expect(more).toEqual([]);
        expect(writing).toMatchObject({
          dialogId: `chat${CHAT}`,
          senderId: 1,
          auth: 'oauth',
          shown: true,
          error: null,
        });
        (bound.form as EventTarget).dispatchEvent(new Event('submit'));
        await eventually(() => expect(debug).toHaveBeenCalledWith('stopped', expect.any(Number)));
        await resume();
        (bound.textarea as EventTarget).dispatchEvent(new Event('input'));
        // A keystroke's call lands some time after it, so the timeline alone, read now, would pass a teardown that
        // stopped nothing. The indicators know at once: nothing left live means no call can follow.
        expect((exports.indicators as Indicators).stats()).toMatchObject({ indicators: 0, activeIndicators: 0 });
        expect(callsOf(entries(), 'im.dialog.writing')).toHaveLength(1);
      } finally {
        debug.mockRestore();
      }
    },
  },
  // core, quick start: a bot
  'packages/core/README.md#2': {
    env: (emulator) => ({ B24_WEBHOOK_URL: emulator.webhookUrl() }),
    bind: () => ({
      reply$: new Subject<string>(),
      event: { type: 'ONIMBOTV2MESSAGEADD', data: { chat: { dialogId: `chat${CHAT}` } } },
      botId: BOT_7.id,
      botToken: BOT_7.token,
      sendMessage: vi.fn(),
    }),
    expose: ['indicators'],
    async check({ bound, entries, exports }) {
      await eventually(() =>
        expect(callsOf(entries(), 'imbot.v2.Chat.InputAction.notify')).toMatchObject([
          {
            dialogId: `chat${CHAT}`,
            senderId: BOT_7.id,
            statusMessageCode: 'IMBOT_AGENT_ACTION_THINKING',
            shown: true,
          },
        ]),
      );
      const reply$ = bound.reply$ as Subject<string>;
      reply$.next('the answer');
      reply$.complete();
      expect(bound.sendMessage).toHaveBeenCalledExactlyOnceWith('the answer');
      // Nothing after the reply: no renewal, no clear (the message hides the status). A call would land some time
      // after this, so the timeline read now cannot show one; the indicators know at once that none is left to go.
      expect((exports.indicators as Indicators).stats()).toMatchObject({ indicators: 0, activeIndicators: 0 });
      expect(callsOf(entries(), 'imbot.v2.Chat.InputAction.notify')).toHaveLength(1);
    },
  },
  // core: a status that follows the work's phases, in virtual time (the indicators' clock is ours here)
  'packages/core/README.md#3': {
    bind: (emulator) => {
      const clock = new VirtualClock(Date.now());
      const webhook = createWebhookTransport(emulator.webhookUrl());
      const transport: Transport = {
        call: (method, params, options) => clock.track(webhook.call(method, params, options)),
      };
      return {
        indicators: createIndicators({ transport, clock }),
        botToken: BOT_7.token,
        phase$: new Subject<string>(),
        reply$: new Subject<string>(),
        clock,
        webhook,
      };
    },
    async check({ bound, entries }) {
      const { clock, webhook } = bound as { clock: VirtualClock; webhook: NodeTransport };
      const codes = () => callsOf(entries(), 'imbot.v2.Chat.InputAction.notify').map((c) => c.statusMessageCode);
      const log = vi.spyOn(console, 'log').mockImplementation(() => {});
      try {
        const phase$ = bound.phase$ as Subject<string>;
        phase$.next('thinking');
        await clock.advanceBy(0);
        expect(codes()).toEqual(['IMBOT_AGENT_ACTION_THINKING']);
        phase$.next('searching'); // held minDwellMs (1 s) after `thinking`, then sent
        await clock.advanceBy(999);
        expect(codes()).toHaveLength(1);
        await clock.advanceBy(1);
        expect(codes()).toEqual(['IMBOT_AGENT_ACTION_THINKING', 'IMBOT_AGENT_ACTION_SEARCHING']);
        expect(log).not.toHaveBeenCalled();
        (bound.reply$ as Subject<string>).next('done');
        expect(log).toHaveBeenCalledExactlyOnceWith('status stopped');
        await clock.advanceBy(120_000); // no renewal, no clear: the reply's message hides the status
        expect(codes()).toHaveLength(2);
      } finally {
        log.mockRestore();
        await webhook.close();
      }
    },
  },
  // core: the timing on its own, in marbles (the block asserts itself)
  'packages/core/README.md#4': { check: async () => {} },
  // node: the webhook transport
  'packages/node/README.md#1': {
    env: (emulator) => ({ B24_WEBHOOK_URL: emulator.webhookUrl() }),
    expose: ['transport', 'indicators'],
    async check({ entries, exports }) {
      expect(callsOf(entries(), 'im.dialog.writing')).toMatchObject([
        { dialogId: `chat${CHAT}`, senderId: 1, auth: 'webhook', shown: true, error: null },
      ]);
      const transport = exports.transport as { call(method: string, params: object): Promise<unknown> };
      await expect(transport.call('im.dialog.writing', { DIALOG_ID: `chat${CHAT}` })).rejects.toMatchObject({
        code: 'CLIENT_CLOSED',
      });
      expect(exports.indicators).toMatchObject({ botStatus: expect.any(Function) });
    },
  },
  // node: fetch mode
  'packages/node/README.md#6': {
    env: () => ({ B24_BOT_TOKEN: BOT_17.token }),
    bind: (emulator) => {
      emulator.postMessage({ from: 2, dialogId: '17', text: 'hello, bot' });
      return { transport: undefined, handle: vi.fn() };
    },
    expose: ['subscription'],
    async check({ bound, exports, entries }) {
      await eventually(() => expect(bound.handle).toHaveBeenCalledTimes(1));
      expect(bound.handle).toHaveBeenCalledWith(
        expect.objectContaining({
          type: 'ONIMBOTV2MESSAGEADD',
          data: expect.objectContaining({ message: expect.objectContaining({ text: 'hello, bot' }) }),
        }),
      );
      (exports.subscription as { unsubscribe(): void }).unsubscribe();
      expect(callsOf(entries(), 'imbot.v2.Event.get').every((c) => c.error === null)).toBe(true);
    },
  },
  // node: onRetry
  'packages/node/README.md#7': {
    bind: (emulator) => {
      emulator.addFault({ method: 'imbot.v2.Event.get', status: 503, error: 'QUERY_LIMIT_EXCEEDED', times: 1 });
      return { transport: undefined, log: { warn: vi.fn() }, handle: vi.fn() };
    },
    async check({ bound }) {
      const warn = (bound.log as { warn: ReturnType<typeof vi.fn> }).warn;
      await eventually(() => expect(warn).toHaveBeenCalledTimes(1));
      // The delay is jittered and not rounded (5323.14552330696 ms): the README's log line shows it as it comes.
      expect(warn.mock.calls[0]?.[0]).toMatch(
        /^Event\.get failed \(QUERY_LIMIT_EXCEEDED, rate\); retrying in \d+(\.\d+)? ms$/,
      );
    },
  },
  // emulator: start it (the block starts and closes an emulator of its own)
  'packages/emulator/README.md#1': {
    expose: ['emulator', 'hook'],
    async check({ exports }) {
      expect(exports.hook).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/rest\/1\/emulatorwebhook1\/$/);
      const own = exports.emulator as Emulator;
      expect(own.visibility('chat1', 1)).toEqual([{ from: expect.any(Number), to: null, endCause: null, calls: 1 }]);
    },
  },
};

/**
 * A `transport` or `indicators` a run leaves `undefined`: node's webhook transport to the emulator (and indicators over
 * it), made here so that the run can close them afterwards.
 */
function defaultBindings(emulator: Emulator, bound: Record<string, unknown>): () => Promise<void> {
  const wanted = (name: string) => name in bound && bound[name] === undefined;
  if (!wanted('transport') && !wanted('indicators')) return async () => {};
  const transport = createWebhookTransport(emulator.webhookUrl());
  const indicators = createIndicators({ transport });
  if (wanted('transport')) bound.transport = transport;
  if (wanted('indicators')) bound.indicators = indicators;
  return async () => {
    indicators.dispose();
    await transport.close();
  };
}

/** The block as a module: its preamble's names bound from BINDINGS, its code, its teardown as `__resume`. */
function runSource(block: Block, spec: RunSpec, names: readonly string[]): string {
  let head = block.code;
  let tail = '';
  if (spec.pauseBefore) {
    const at = block.code.indexOf(spec.pauseBefore);
    if (at < 0) throw new Error(`${block.id}: no line "${spec.pauseBefore}" to pause before`);
    head = block.code.slice(0, at);
    tail = block.code.slice(at);
  }
  const imports = preambleOf(block)
    .split('\n')
    .filter((line) => line.startsWith('import '));
  return [
    ...imports,
    names.length > 0 ? `const { ${names.join(', ')} } = (globalThis as any).${BINDINGS};` : '',
    head,
    `export async function __resume() {\n${tail}\n}`,
    spec.expose ? `export { ${spec.expose.join(', ')} };` : '',
  ].join('\n');
}

/** The names a block's preamble declares, which a run must bind. */
function declaredNames(block: Block): string[] {
  return [...preambleOf(block).matchAll(/^declare (?:const|function) (\w[\w$]*)/gm)].map((m) => m[1] ?? '');
}

let emulator: Emulator;

beforeAll(async () => {
  rmSync(BLOCKS_DIR, { recursive: true, force: true });
  emulator = await startEmulator({
    plan: 'off',
    initial: {
      chats: [{ id: CHAT, title: 'README', members: [1, 2] }],
      bots: [
        { id: BOT_7.id, code: 'readme7', name: 'README bot 7', botToken: BOT_7.token, chats: [CHAT] },
        { id: BOT_17.id, code: 'readme17', name: 'README bot 17', botToken: BOT_17.token, eventMode: 'fetch' },
      ],
    },
  });
});

afterAll(async () => {
  rmSync(BLOCKS_DIR, { recursive: true, force: true });
  await emulator?.close();
});

describe('README examples', () => {
  it('has a preamble entry for every block of every README, and few fragments', () => {
    for (const readme of READMES) {
      expect(BLOCKS.filter((b) => b.readme === readme).length, `${readme}: PREAMBLES has one entry per ts block`).toBe(
        PREAMBLES[readme].length,
      );
    }
    expect(BLOCKS.filter((b) => b.fragment).length).toBeLessThanOrEqual(2);
    for (const id of Object.keys(RUNS)) expect(BLOCKS.map((b) => b.id)).toContain(id);
  });

  describe('typecheck', () => {
    let errors: Map<string, string[]>;
    beforeAll(() => {
      errors = typecheck(BLOCKS.filter((b) => !b.fragment));
    }, 60_000);
    it.each(BLOCKS.filter((b) => !b.fragment).map((b) => [`${b.id} (line ${b.line})`, b] as const))(
      '%s compiles',
      (_, block) => {
        expect(errors.get(block.id)).toEqual([]);
      },
    );
  });

  describe('run against the emulator', () => {
    it.each(Object.keys(RUNS))('%s does what its text says', async (id) => {
      const block = BLOCKS.find((b) => b.id === id);
      const spec = RUNS[id];
      if (!block || !spec) throw new Error(`no block ${id}`);
      emulator.reset();
      const since = emulator.timeline().at(-1)?.seq ?? 0;
      for (const [name, value] of Object.entries(spec.env?.(emulator) ?? {})) vi.stubEnv(name, value);
      const names = declaredNames(block);
      const bound = { ...spec.bind?.(emulator) };
      const missing = names.filter((n) => !(n in bound));
      if (missing.length > 0) throw new Error(`${id}: RUNS binds no value for ${missing.join(', ')}`);
      const close = defaultBindings(emulator, bound);
      (globalThis as Record<string, unknown>)[BINDINGS] = bound;
      try {
        mkdirSync(dirname(block.file), { recursive: true });
        writeFileSync(block.file, runSource(block, spec, names));
        const module = (await import(/* @vite-ignore */ pathToFileURL(block.file).href)) as Record<string, unknown>;
        await spec.check({
          emulator,
          bound,
          exports: module,
          entries: () => emulator.timeline().filter((e) => e.seq > since),
          resume: () => (module.__resume as () => Promise<void>)(),
        });
      } finally {
        delete (globalThis as Record<string, unknown>)[BINDINGS];
        vi.unstubAllEnvs();
        await close();
      }
    });
  });
});
