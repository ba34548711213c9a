// `transport`: 10,000 `imbot.v2.Chat.InputAction.notify` calls over loopback HTTPS to the emulator (rate limit
// off), four clients side by side in one run, two per mode so that each mode is compared with its like: our
// undici transport and the official SDK `@bitrix24/b24jssdk` one call per request (32 in flight), and each of
// them through `batch` (50 calls per request, 32 requests in flight). The SDK's limiter is raised so it is not
// the bottleneck, and it gets one attempt per call, as ours does.
//
// Each client runs in its own child process (so peak RSS is that client's alone) against an emulator in another
// child process (so the server's work is not charged to any client). All four use the same TLS certificate:
// the SDK only builds https URLs, and a fair comparison needs the same protocol for everyone. Every client warms
// up with 500 calls first; the measured run is repeated RUNS times, interleaved, and the median by wall time
// is reported. The emulator counts the HTTP requests and confirms every call was executed.
//
// This one file plays three roles, chosen by TRANSPORT_BENCH_ROLE: unset (the benchmark, run by run.ts),
// `emulator`, `client`.
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';
import { fileURLToPath } from 'node:url';
import type { Benchmark } from './Benchmark';

const CALLS = 10_000;
const CONCURRENCY = 32;
const BATCH_SIZE = 50;
const WARMUP = 500;
const RUNS = 3;
const METHOD = 'imbot.v2.Chat.InputAction.notify';
const CLIENTS = ['perCall', 'batched', 'officialSdk', 'officialSdkBatched'] as const;
type ClientName = (typeof CLIENTS)[number];

const certUrl = new URL('../../packages/node/test/fixtures/loopback-cert.pem', import.meta.url);
const keyUrl = new URL('../../packages/node/test/fixtures/loopback-key.pem', import.meta.url);

interface ClientRun {
  readonly client: ClientName;
  readonly wallMs: number;
  readonly callsPerSec: number;
  readonly httpRequests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly peakRssMb: number;
  readonly failures: number;
  readonly executed: number;
}

type ParentMessage = { type: 'stats' } | { type: 'reset' } | { type: 'go' };
type ChildMessage =
  | { type: 'ready'; webhookUrl: string }
  | { type: 'stats'; requests: number; executed: number }
  | { type: 'reset' }
  | { type: 'warm' }
  | { type: 'done'; wallMs: number; latencies: number[]; failures: number; peakRssMb: number; firstError?: string };

// ---------------------------------------------------------------------------------------------- child roles

const role = process.env.TRANSPORT_BENCH_ROLE;
if (role === 'emulator') await emulatorRole();
if (role === 'client')
  await clientRole(process.env.TRANSPORT_BENCH_CLIENT as ClientName, process.env.TRANSPORT_BENCH_URL!);

async function emulatorRole(): Promise<void> {
  const { startEmulator } = await import('@b24-typing/emulator');
  const emu = await startEmulator({
    plan: 'off',
    tls: { cert: readFileSync(certUrl), key: readFileSync(keyUrl) },
  });
  const send = (message: ChildMessage) => process.send!(message);
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'reset') {
      emu.reset();
      send({ type: 'reset' });
    } else if (message.type === 'stats') {
      const stats = emu.stats();
      send({ type: 'stats', requests: stats.requests, executed: stats.byMethod[METHOD.toLowerCase()] ?? 0 });
    }
  });
  process.on('disconnect', () => {
    void emu.close().then(() => process.exit(0));
  });
  send({ type: 'ready', webhookUrl: emu.webhookUrl(1) });
}

/** One client: warm up, tell the parent, wait for `go`, run CALLS calls, report. */
async function clientRole(client: ClientName, webhookUrl: string): Promise<void> {
  const ca = readFileSync(certUrl);
  const params = {
    botId: 10,
    botToken: 'agent-bot-token',
    dialogId: 'chat1',
    statusMessageCode: 'IMBOT_AGENT_ACTION_THINKING',
    duration: 30,
  };
  const makeRequest = await requestMaker(client, webhookUrl, ca, params);
  const perRequest = client === 'batched' || client === 'officialSdkBatched' ? BATCH_SIZE : 1;

  const drive = async (calls: number) => {
    const latencies: number[] = [];
    let failures = 0;
    let firstError: string | undefined;
    let next = 0;
    const requests = Math.ceil(calls / perRequest);
    const worker = async () => {
      while (next < requests) {
        const index = next++;
        const size = Math.min(perRequest, calls - index * perRequest);
        const started = performance.now();
        let failed: number;
        try {
          failed = await makeRequest(size);
        } catch (error) {
          failed = size;
          firstError ??= String(error);
        }
        const latency = performance.now() - started;
        // Every call in a batch waited for the whole batch: its latency is the request's.
        for (let i = 0; i < size; i++) latencies.push(latency);
        failures += failed;
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return { wallMs: performance.now() - started, latencies, failures, firstError };
  };

  await drive(WARMUP);
  process.send!({ type: 'warm' } satisfies ChildMessage);
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const result = await drive(CALLS);
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  process.send!({ type: 'done', ...result, peakRssMb } satisfies ChildMessage, () => process.exit(0));
}

/** Returns a function that sends one HTTP request carrying `size` calls and resolves with how many failed. */
async function requestMaker(
  client: ClientName,
  webhookUrl: string,
  ca: Buffer,
  params: Record<string, unknown>,
): Promise<(size: number) => Promise<number>> {
  if (client === 'officialSdk' || client === 'officialSdkBatched') {
    const { ApiVersion, B24Hook } = await import('@bitrix24/b24jssdk');
    const b24 = B24Hook.fromWebhookUrl(webhookUrl.replace(/\/$/, ''), {
      restrictionParams: {
        rateLimit: { burstLimit: 1_000_000_000, drainRate: 1_000_000_000, adaptiveEnabled: false },
        operatingLimit: { windowMs: 600_000, limitMs: 1_000_000_000_000, heavyPercent: 100 },
        adaptiveConfig: { thresholdPercent: 100, coefficient: 0, maxDelay: 0, enabled: false },
        maxRetries: 1,
      },
    });
    b24.offClientSideWarning();
    // Same trust and keep-alive as ours; the SDK's axios otherwise uses Node's global agent.
    b24.getHttpClient(ApiVersion.v2).ajaxClient.defaults.httpsAgent = new HttpsAgent({ ca, keepAlive: true });
    if (client === 'officialSdk') {
      return async () => {
        const result = await b24.actions.v2.call.make({ method: METHOD, params });
        return result.isSuccess ? 0 : 1;
      };
    }
    // Halt off, as our batch: every command runs and each one's outcome is read.
    const calls = Array.from({ length: BATCH_SIZE }, () => ({ method: METHOD, params }));
    return async (size) => {
      const response = await b24.actions.v2.batch.make({
        calls: calls.slice(0, size),
        options: { isHaltOnError: false, returnAjaxResult: true },
      });
      if (!response.isSuccess) return size;
      const rows = response.getData() as readonly { isSuccess: boolean }[];
      return size - rows.filter((r) => r.isSuccess).length;
    };
  }
  const { createWebhookTransport } = await import('@b24-typing/node');
  const transport = createWebhookTransport(webhookUrl, { ca, connections: CONCURRENCY });
  if (client === 'perCall') {
    return async () => {
      const result = (await transport.call(METHOD, params)) as { result?: unknown };
      return result?.result === true ? 0 : 1;
    };
  }
  const calls = Array.from({ length: BATCH_SIZE }, () => ({ method: METHOD, params }));
  return async (size) => {
    const results = await transport.batch(calls.slice(0, size));
    return results.filter((r) => !r.ok).length;
  };
}

// ---------------------------------------------------------------------------------------------- parent

function child(env: Record<string, string>): ChildProcess {
  return fork(fileURLToPath(import.meta.url), [], {
    execArgv: ['--import', 'tsx', '--conditions=@b24-typing/source'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

function next<T extends ChildMessage['type']>(
  proc: ChildProcess,
  type: T,
): Promise<Extract<ChildMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: ChildMessage) => {
      if (message.type !== type) return;
      proc.off('message', onMessage);
      proc.off('exit', onExit);
      resolve(message as Extract<ChildMessage, { type: T }>);
    };
    const onExit = (code: number | null) => reject(new Error(`child exited (${code}) before sending ${type}`));
    proc.on('message', onMessage);
    proc.once('exit', onExit);
  });
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (value: number, digits = 1) => Number(value.toFixed(digits));

async function measure(emulator: ChildProcess, webhookUrl: string, client: ClientName): Promise<ClientRun> {
  const proc = child({
    TRANSPORT_BENCH_ROLE: 'client',
    TRANSPORT_BENCH_CLIENT: client,
    TRANSPORT_BENCH_URL: webhookUrl,
  });
  await next(proc, 'warm');
  emulator.send({ type: 'reset' } satisfies ParentMessage);
  await next(emulator, 'reset');
  const done = next(proc, 'done');
  proc.send({ type: 'go' } satisfies ParentMessage);
  const result = await done;
  emulator.send({ type: 'stats' } satisfies ParentMessage);
  const stats = await next(emulator, 'stats');
  if (result.firstError) console.error(`${client}: first error: ${result.firstError}`);
  // A call that failed fast would pass for throughput: a run counts only if every call was executed.
  if (result.failures > 0 || stats.executed !== CALLS) {
    throw new Error(`${client}: ${result.failures} failed, ${stats.executed} of ${CALLS} executed by the emulator`);
  }
  const sorted = [...result.latencies].sort((a, b) => a - b);
  return {
    client,
    wallMs: round(result.wallMs),
    callsPerSec: round(CALLS / (result.wallMs / 1000), 0),
    httpRequests: stats.requests,
    p50Ms: round(percentile(sorted, 50), 2),
    p99Ms: round(percentile(sorted, 99), 2),
    peakRssMb: round(result.peakRssMb),
    failures: result.failures,
    executed: stats.executed,
  };
}

async function run() {
  const emulator = child({ TRANSPORT_BENCH_ROLE: 'emulator' });
  const { webhookUrl } = await next(emulator, 'ready');
  const runs: ClientRun[] = [];
  try {
    for (let pass = 0; pass < RUNS; pass++) {
      for (const client of CLIENTS) runs.push(await measure(emulator, webhookUrl, client));
    }
  } finally {
    emulator.disconnect();
  }

  const median = (client: ClientName): ClientRun => {
    const mine = runs.filter((r) => r.client === client).sort((a, b) => a.wallMs - b.wallMs);
    return mine[Math.floor(mine.length / 2)]!;
  };
  const chosen = Object.fromEntries(CLIENTS.map((c) => [c, median(c)])) as Record<ClientName, ClientRun>;
  const sdk = chosen.officialSdk.callsPerSec;
  const clients = Object.fromEntries(
    CLIENTS.map((c) => {
      const { client: _, ...figures } = chosen[c];
      return [c, figures];
    }),
  );
  // Like with like: ours per call against the SDK per call, ours batched against the SDK batched. Ours batched
  // against the SDK per call mixes batching's gain (50 calls per request, open to any SDK user) with ours.
  const perCallVsSdk = round(chosen.perCall.callsPerSec / sdk, 2);
  const batchedVsSdkBatched = round(chosen.batched.callsPerSec / chosen.officialSdkBatched.callsPerSec, 2);
  const batchedVsSdk = round(chosen.batched.callsPerSec / sdk, 2);
  const spread = Object.fromEntries(
    CLIENTS.map((c) => {
      const rates = runs.filter((r) => r.client === c).map((r) => r.callsPerSec);
      return [c, { minCallsPerSec: Math.min(...rates), maxCallsPerSec: Math.max(...rates) }];
    }),
  );
  return {
    figures: {
      calls: CALLS,
      perCallVsSdk,
      batchedVsSdkBatched,
      batchedVsSdk,
      targets: { perCallVsSdk: 1.5, batchedVsSdk: 10 },
      met: { perCallVsSdk: perCallVsSdk >= 1.5, batchedVsSdk: batchedVsSdk >= 10 },
      clients,
      spread,
      setup: {
        transport: 'https on 127.0.0.1, emulator plan off, emulator and each client in their own process',
        concurrency: CONCURRENCY,
        batchSize: BATCH_SIZE,
        warmupCalls: WARMUP,
        runsPerClient: RUNS,
        reported: 'median run by wall time per client; spread gives the slowest and fastest of the runs',
        ratios: 'each ratio is of two medians, ours over the SDK, same mode (per call or batch) unless named',
        latency: 'per call, request start to result; a batched call waits for its whole batch',
        peakRss: 'maxRSS of the client process (Node + tsx baseline included)',
      },
    },
    runs,
    table: runs.map((r) => ({
      client: r.client,
      wallMs: r.wallMs,
      'calls/s': r.callsPerSec,
      http: r.httpRequests,
      p50Ms: r.p50Ms,
      p99Ms: r.p99Ms,
      rssMb: r.peakRssMb,
      failed: r.failures,
      executed: r.executed,
    })),
  };
}

const benchmark: Benchmark = { name: 'transport', run };
export default benchmark;
