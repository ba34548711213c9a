import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** Bundles a test page's script from `src` (the source export condition), as the browser will run it. */
export async function bundlePage(fixture: string): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url))],
    bundle: true,
    format: 'iife',
    target: 'es2022',
    platform: 'browser',
    conditions: ['@b24-typing/source'],
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}
