/** What every benchmark file (`src/<name>.bench.ts`) exports as `default`. */
export interface Benchmark {
  readonly name: string;
  /** Runs the benchmark and returns what goes into bench/results/<name>.json. */
  run(): Promise<BenchmarkResult>;
}

export interface BenchmarkResult {
  /** The headline numbers (each at least the ones the issue names), nested objects allowed. */
  readonly figures: Record<string, unknown>;
  /** Raw per-run data, for whoever wants to look closer. */
  readonly runs: unknown;
  /** Rows printed as a table. */
  readonly table: readonly Record<string, string | number>[];
}
