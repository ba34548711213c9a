import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared';

export default defineConfig([
  packageBuild(['src/index.ts'], { clean: false }),
  // The CLI: ESM only, keeps its shebang; not part of the typed API.
  { entry: ['src/cli.ts'], format: ['esm'], dts: false, sourcemap: true, clean: false, target: 'es2022' },
]);
