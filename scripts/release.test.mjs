import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Core and the packages that take it as a peer: an app installs them side by side, so they share one version. */
const FIXED = ['@b24-typing/core', '@b24-typing/node', '@b24-typing/browser', '@b24-typing/ai'];

/** The versions `changeset version` would give each package (its version now when no changeset bumps it). */
function nextVersions() {
  const dir = mkdtempSync(join(tmpdir(), 'release-plan-'));
  try {
    const out = join(dir, 'plan.json');
    execFileSync('pnpm', ['exec', 'changeset', 'status', `--output=${out}`], { cwd: root, stdio: 'ignore' });
    const plan = JSON.parse(readFileSync(out, 'utf8'));
    const next = new Map(plan.releases.map((r) => [r.name, r.newVersion]));
    return Object.fromEntries(
      FIXED.map((name) => {
        const manifest = join(root, 'packages', name.split('/')[1], 'package.json');
        return [name, next.get(name) ?? JSON.parse(readFileSync(manifest, 'utf8')).version];
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

it('releases core and the packages that peer on it at one version (a core minor must not make them 1.0.0 alone)', () => {
  // In 0.x a minor of core leaves `workspace:^`'s caret range, and changesets then bumps each peer dependent a major
  // (onlyUpdatePeerDependentsWhenOutOfRange): core 0.1.0 beside node, browser and ai 1.0.0. The `fixed` group keeps
  // them together, whatever the bump.
  const versions = nextVersions();
  expect(new Set(Object.values(versions)).size, JSON.stringify(versions)).toBe(1);
});
