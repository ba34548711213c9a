#!/usr/bin/env node
// The `b24-emulator` bin. Installed from npm it runs the built CLI (dist/cli.js). In a clone of the monorepo
// nothing is built until `pnpm build`, and scripts such as the chat UI's `emulator` call this bin: there it runs
// the TypeScript source through tsx (a devDependency, so only present in the workspace), as the tests and
// `pnpm demo` do, instead of failing with MODULE_NOT_FOUND.
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { tsImport } = await import('tsx/esm/api');
  await tsImport('../src/cli.ts', import.meta.url);
}
