import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/**
 * Flags that make Debian's Chromium run on these machines (see TOOLCHAIN.md): no sandbox or GPU in containers,
 * no background traffic, and a resolver that only answers for loopback, so a test can never reach the network.
 */
const CHROMIUM_ARGS = [
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
];

/** The system Chromium: `CHROMIUM_PATH`, default /usr/bin/chromium. */
export const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
/** Whether it is installed, for a test that skips rather than fails on a machine without it. */
export const hasChromium = existsSync(chromiumPath);

/**
 * Launches the system Chromium (`CHROMIUM_PATH`, default /usr/bin/chromium) headless. Playwright's own browser
 * download cannot work here, so a missing binary fails at once with how to install it rather than with
 * playwright's advice to run `playwright install`.
 */
export function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath;
  if (!hasChromium) {
    return Promise.reject(
      new Error(
        `Chromium not found at ${executablePath}: install it with ` +
          '`apt-get install -y --no-install-recommends chromium`, or set CHROMIUM_PATH to a Chromium binary ' +
          '(never `npx playwright install`: its download cannot work here)',
      ),
    );
  }
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}
