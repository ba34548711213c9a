// The size an app pays for @b24-typing/core + @b24-typing/browser, minified by esbuild with rxjs left external
// (the app has it anyway), then gzipped; the metafile tells which module the bytes come from. Three figures:
// `chat app`, what a browser composer imports (createIndicators, createFetchTransport, bindTyping, submits),
// compared with the 6 kB target; `core alone` (createIndicators), so that the browser package's own
// share is the difference, which has its own budget; and `everything`, both packages' whole public API.
// `pnpm --filter @b24-typing/browser size` prints them; test/bundleSize.test.ts holds the budgets.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** The target for core + browser as a chat app imports them, minified + gzip, rxjs excluded. */
export const TARGET_BYTES = 6 * 1024;
/** What the browser package may add on top of core (gzip): transports, DOM sources, bindTyping. */
export const BROWSER_BUDGET_BYTES = 3 * 1024;

export interface BundleSize {
  readonly name: string;
  readonly imports: string;
  readonly minified: number;
  readonly gzip: number;
  /** Minified bytes per source module, largest first (`core/src/…`, `browser/src/…`). */
  readonly modules: readonly { readonly path: string; readonly bytes: number }[];
}

async function measure(name: string, contents: string): Promise<BundleSize> {
  const result = await build({
    stdin: { contents, resolveDir: fileURLToPath(new URL('..', import.meta.url)), loader: 'ts' },
    absWorkingDir: fileURLToPath(new URL('../..', import.meta.url)),
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    conditions: ['@b24-typing/source'],
    external: ['rxjs', 'rxjs/*'],
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.contents;
  const output = Object.values(result.metafile.outputs)[0]!;
  const modules = Object.entries(output.inputs)
    .map(([path, { bytesInOutput }]) => ({ path, bytes: bytesInOutput }))
    .filter((m) => m.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
  return { name, imports: contents, minified: code.byteLength, gzip: gzipSync(code, { level: 9 }).byteLength, modules };
}

export interface BundleSizes {
  readonly chatApp: BundleSize;
  readonly coreAlone: BundleSize;
  readonly everything: BundleSize;
  /** Gzip bytes the browser package adds to core in the chat app. */
  readonly browserShare: number;
}

export async function measureBundles(): Promise<BundleSizes> {
  const coreAlone = await measure('core alone', "export { createIndicators } from '@b24-typing/core';\n");
  const chatApp = await measure(
    'chat app',
    "export { createIndicators } from '@b24-typing/core';\n" +
      "export { bindTyping, createFetchTransport, submits } from '@b24-typing/browser';\n",
  );
  const everything = await measure(
    'everything',
    "export * from '@b24-typing/core';\nexport * from '@b24-typing/browser';\n",
  );
  return { chatApp, coreAlone, everything, browserShare: chatApp.gzip - coreAlone.gzip };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const sizes = await measureBundles();
  for (const size of [sizes.chatApp, sizes.coreAlone, sizes.everything]) {
    console.log(`\n${size.name}:\n${size.imports.trim()}`);
    for (const m of size.modules) console.log(`${String(m.bytes).padStart(7)}  ${m.path}`);
    console.log(`${size.minified} B minified, ${size.gzip} B gzip (rxjs excluded)`);
  }
  const verdict = (ok: boolean) => (ok ? 'ok' : 'OVER');
  console.log(
    `\nchat app (core + browser): ${sizes.chatApp.gzip} B gzip, target ${TARGET_BYTES} B: ${verdict(sizes.chatApp.gzip <= TARGET_BYTES)}`,
  );
  console.log(
    `browser share: ${sizes.browserShare} B gzip, budget ${BROWSER_BUDGET_BYTES} B: ${verdict(sizes.browserShare <= BROWSER_BUDGET_BYTES)}`,
  );
  mkdirSync(new URL('../.reports/', import.meta.url), { recursive: true });
  writeFileSync(new URL('../.reports/bundle-size.json', import.meta.url), `${JSON.stringify(sizes, null, 2)}\n`);
  if (sizes.browserShare > BROWSER_BUDGET_BYTES) process.exitCode = 1;
}
