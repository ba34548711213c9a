// The size an app pays for @b24-typing/core + @b24-typing/browser, minified by esbuild with rxjs left external
// (the app has it anyway), then gzipped; the metafile tells which module the bytes come from. Two figures:
// `chat app`, what a browser composer imports (createIndicators, createFetchTransport, bindTyping, submits;
// the budget applies to it), and `everything`, both packages' whole public API (worst case, no tree-shaking).
// `pnpm --filter @b24-typing/browser size` prints both; test/bundleSize.test.ts holds the budget.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** The budget for core + browser, minified + gzip, rxjs excluded. */
export const BUDGET_BYTES = 6 * 1024;

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

export async function measureBundles(): Promise<{ chatApp: BundleSize; everything: BundleSize }> {
  const core = await import('@b24-typing/core');
  // createIndicators is core's front door; measured as soon as core exports it.
  const coreImports = 'createIndicators' in core ? 'createIndicators' : 'typingSignals';
  const chatApp = await measure(
    'chat app',
    `export { ${coreImports} } from '@b24-typing/core';\n` +
      "export { bindTyping, createFetchTransport, submits } from '@b24-typing/browser';\n",
  );
  const everything = await measure(
    'everything',
    "export * from '@b24-typing/core';\nexport * from '@b24-typing/browser';\n",
  );
  return { chatApp, everything };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const sizes = await measureBundles();
  for (const size of Object.values(sizes)) {
    console.log(`\n${size.name}:\n${size.imports.trim()}`);
    for (const m of size.modules) console.log(`${String(m.bytes).padStart(7)}  ${m.path}`);
    console.log(`${size.minified} B minified, ${size.gzip} B gzip (rxjs excluded)`);
  }
  console.log(
    `\nbudget ${BUDGET_BYTES} B gzip for the chat app: ${sizes.chatApp.gzip <= BUDGET_BYTES ? 'ok' : 'OVER'}`,
  );
  mkdirSync(new URL('../.reports/', import.meta.url), { recursive: true });
  writeFileSync(new URL('../.reports/bundle-size.json', import.meta.url), `${JSON.stringify(sizes, null, 2)}\n`);
  if (sizes.chatApp.gzip > BUDGET_BYTES) process.exitCode = 1;
}
