import { packageTestConfig } from '../vitest.shared.ts';

/**
 * The root scripts' own tests (`scripts/*.test.mjs`); scripts/test.mjs runs them and counts their report. Vite's
 * cache goes to the root's node_modules: a node_modules here would make pnpm take scripts/ for a package of its
 * own, and `pnpm demo` run from here would find no `demo` script.
 */
export default {
  ...packageTestConfig({ include: ['*.test.mjs'], typecheck: { enabled: false } }),
  cacheDir: '../node_modules/.vite/scripts',
};
