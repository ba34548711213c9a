import { defineConfig, type ViteUserConfig } from 'vitest/config';

/**
 * Tests run against `src` through the `@b24-typing/source` export condition, so no package needs a build first.
 * Each run also writes a JSON report that scripts/test.mjs sums into the closing `N passed, N failed` line.
 */
export function packageTestConfig(extra: ViteUserConfig['test'] = {}): ViteUserConfig {
  return defineConfig({
    resolve: { conditions: ['@b24-typing/source', 'module', 'browser', 'development|production'] },
    ssr: { resolve: { conditions: ['@b24-typing/source', 'module', 'node', 'development|production'] } },
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      typecheck: { enabled: true, include: ['src/**/*.test-d.ts', 'test/**/*.test-d.ts'] },
      reporters: ['default', 'json'],
      outputFile: { json: '.reports/vitest.json' },
      testTimeout: 20_000,
      ...extra,
    },
  });
}
