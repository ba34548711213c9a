import type { Options } from 'tsup';

/** One build shape for every package: dual ESM + CJS with declarations, so each config only names entries. */
export function packageBuild(
  entry: Record<string, string> | string[] = ['src/index.ts'],
  extra: Options = {},
): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    treeshake: true,
    ...extra,
  };
}
