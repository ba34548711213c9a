import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where the app was built for this run; each E2E file serves it with `vite preview`. */
    chatUiDist: string;
  }
}

/** Vitest global setup: one production build of the app for every E2E file (and no build competing with typing). */
export default async function buildOnce(project: TestProject): Promise<() => void> {
  const outDir = mkdtempSync(join(tmpdir(), 'chat-ui-'));
  await build({
    root: fileURLToPath(new URL('..', import.meta.url)),
    logLevel: 'error',
    build: { outDir, emptyOutDir: true },
  });
  project.provide('chatUiDist', outDir);
  return () => rmSync(outDir, { recursive: true, force: true });
}
