/**
 * stats: what publishing and reading cost. Each case runs in its own process
 * (`node dist/bench/stats.js --case NAME`), so one case's JIT state and heap do
 * not colour the next; `run()` forks them one by one.
 *
 * Writers, in ns per operation, against a plain Float64Array increment (the
 * limit) and prom-client: counter `incr()`, double `set()`, histogram
 * `observe()`, prom-client `Counter.inc({two labels})` and `Histogram.observe()`.
 * Readers: aggregating 1,000 files × 100 fields (target < 100 ms).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { aggregateStats, counter, double, histogram, stats, type FieldSpec } from '../src/stats/index.js';
import { opsPerSecond, type BenchFigure, type BenchSuite } from './lib.js';

const N = 1_000_000;
const VALUES = new Float64Array(1024).map((_, i) => 0.001 * Math.exp((i % 97) / 10));

/** ns per operation of `fn` doing N operations. */
const nsPerOp = (fn: () => unknown): number => 1e9 / opsPerSecond(N, fn);

function withDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-bench-stats-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Build `files` copies of one stats file in `dir` (written by the real writer once). */
function buildFiles(dir: string, files: number, fields: Record<string, FieldSpec>): void {
  const s = stats({ path: dir, filename: 'template.mmstats', fields });
  const bytes = Buffer.from(readFileSync(s.path));
  s.close();
  for (let i = 0; i < files; i++) writeFileSync(join(dir, `bench-${i}-0.mmstats`), bytes);
}

/** Best and median milliseconds of `runs` calls. */
function timeMs(runs: number, fn: () => unknown): { best: number; median: number } {
  fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { best: times[0] ?? NaN, median: times[Math.floor(times.length / 2)] ?? NaN };
}

/** The cases, each returning one number (ns/op, or ms for the readers). */
const CASES: Record<string, () => Promise<number>> = {
  async float64() {
    const f64 = new Float64Array(4);
    return Promise.resolve(
      nsPerOp(() => {
        for (let i = 0; i < N; i++) f64[1] = (f64[1] ?? 0) + 1;
        return f64[1];
      }),
    );
  },
  async incr() {
    return Promise.resolve(
      withDir((dir) => {
        const s = stats({ path: dir, filename: 'b.mmstats', fields: { hits: counter('hits') } });
        const ns = nsPerOp(() => {
          for (let i = 0; i < N; i++) s.hits.incr();
          return s.hits.value;
        });
        s.close();
        return ns;
      }),
    );
  },
  async set() {
    return Promise.resolve(
      withDir((dir) => {
        const s = stats({ path: dir, filename: 'b.mmstats', fields: { last: double('last') } });
        const ns = nsPerOp(() => {
          for (let i = 0; i < N; i++) s.last.set(i);
          return s.last.value;
        });
        s.close();
        return ns;
      }),
    );
  },
  async observe() {
    return Promise.resolve(
      withDir((dir) => {
        const s = stats({ path: dir, filename: 'b.mmstats', fields: { h: histogram('h') } });
        const ns = nsPerOp(() => {
          for (let i = 0; i < N; i++) s.h.observe(VALUES[i & 1023] ?? 0);
          return s.h.count;
        });
        s.close();
        return ns;
      }),
    );
  },
  async promCounter() {
    const prom = await import('prom-client');
    const c = new prom.Counter({
      name: 'hits',
      help: 'h',
      labelNames: ['method', 'status'],
      registers: [new prom.Registry()],
    });
    const labels = { method: 'GET', status: '200' };
    return (
      1e9 /
      opsPerSecond(N / 10, () => {
        for (let i = 0; i < N / 10; i++) c.inc(labels);
      })
    );
  },
  async promHistogram() {
    const prom = await import('prom-client');
    const h = new prom.Histogram({ name: 'lat', help: 'h', registers: [new prom.Registry()] });
    return (
      1e9 /
      opsPerSecond(N / 10, () => {
        for (let i = 0; i < N / 10; i++) h.observe(VALUES[i & 1023] ?? 0);
      })
    );
  },
  async read1000x100() {
    return Promise.resolve(
      withDir((dir) => {
        const fields: Record<string, FieldSpec> = {};
        for (let i = 0; i < 100; i++) {
          fields[`f${i}`] =
            i % 2 === 0 ? counter(`app.requests.group${i}.count`) : double(`app.latency.group${i}.seconds`);
        }
        buildFiles(dir, 1000, { ...fields });
        return timeMs(15, () => {
          const agg = aggregateStats({ dir });
          if (agg.files.length !== 1000 || agg.fields.size < 100)
            throw new Error('bench: not every file was read');
        }).median;
      }),
    );
  },
  async read1000hist() {
    return Promise.resolve(
      withDir((dir) => {
        buildFiles(dir, 1000, { h: histogram('build_seconds') });
        return timeMs(5, () => aggregateStats({ dir })).median;
      }),
    );
  },
};

function fork(name: string): number {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, [self, '--case', name], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench stats --case ${name} failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { value: number }).value;
}

const suite: BenchSuite = {
  title: 'stats',
  run() {
    const v = Object.fromEntries(Object.keys(CASES).map((name) => [name, fork(name)]));
    const f64 = { name: 'Float64Array += 1', value: v['float64'] ?? NaN };
    const ns = (x: number | undefined): string => `${(x ?? NaN).toFixed(1)} ns/op`;
    const figures: BenchFigure[] = [
      {
        name: 'counter incr() into the mapped file',
        value: v['incr'] ?? NaN,
        unit: 'ns/op',
        baseline: f64,
        target: 'about a typed-array store',
        notes: `prom-client Counter.inc({2 labels}): ${ns(v['promCounter'])}`,
      },
      { name: 'double set() into the mapped file', value: v['set'] ?? NaN, unit: 'ns/op', baseline: f64 },
      {
        name: 'histogram observe() (128 sub-buckets/octave)',
        value: v['observe'] ?? NaN,
        unit: 'ns/op',
        baseline: f64,
        notes: `prom-client Histogram.observe() (11 default buckets): ${ns(v['promHistogram'])}`,
      },
      {
        name: 'aggregate 1,000 files × 100 fields (median)',
        value: v['read1000x100'] ?? NaN,
        unit: 'ms',
        target: '< 100 ms',
        met: (v['read1000x100'] ?? Infinity) < 100,
        notes: `1,000 files × 1 default histogram (4,738 buckets, 38 KB each), merged: ${(v['read1000hist'] ?? NaN).toFixed(0)} ms`,
      },
    ];
    return Promise.resolve(figures);
  },
};
export default suite;

// `node dist/bench/stats.js --case NAME`: one case, its figure as JSON on stdout.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const name = process.argv[process.argv.indexOf('--case') + 1] ?? '';
  const run = CASES[name];
  if (run === undefined) {
    process.stderr.write(`bench/stats: unknown case "${name}"; expected ${Object.keys(CASES).join(', ')}\n`);
    process.exit(2);
  }
  process.stdout.write(JSON.stringify({ case: name, value: await run() }) + '\n');
}
