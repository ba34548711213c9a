// `pnpm bench [name…]`: runs bench/src/<name>.bench.ts (all of them without names), prints each table and
// writes bench/results/<name>.json as { name, figures, runs }.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Benchmark } from './Benchmark';

const here = fileURLToPath(new URL('.', import.meta.url));
const resultsDir = fileURLToPath(new URL('../results', import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.slice(0, -'.bench.ts'.length))
  .sort();
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${available.join(', ')}`);
  process.exit(2);
}

mkdirSync(resultsDir, { recursive: true });
for (const name of wanted.length > 0 ? wanted : available) {
  const mod = (await import(pathToFileURL(join(here, `${name}.bench.ts`)).href)) as { default: Benchmark };
  const started = performance.now();
  console.log(`\n## ${name}`);
  const result = await mod.default.run();
  console.table(result.table);
  const file = join(resultsDir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ name, figures: result.figures, runs: result.runs }, null, 2)}\n`);
  console.log(`figures: ${JSON.stringify(result.figures)}`);
  console.log(`wrote ${file} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
