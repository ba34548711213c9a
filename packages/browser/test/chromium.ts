import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';

/** Debian's Chromium with the flags that work on these machines (TOOLCHAIN.md); only loopback resolves. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
    ],
  });
}

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
