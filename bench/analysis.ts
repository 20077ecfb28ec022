/**
 * Time-and-motion analysis (issue 5, item 5): six-phase statistics of
 * 1,000,000 test runs (10,000,000 events) in the embedded store, against the
 * seed's numpy record arrays, a plain TypeScript loop over typed arrays and a
 * naive DuckDB GROUP BY over the raw events, all on the same data in one run.
 *
 * The store is built once by SQL (bulk, not through the engine) and cached in
 * `.waymark/bench/` (git-ignored); `WAYMARK_BENCH_RUNS` changes the size.
 * Runs follow the seed's synthetic data (testruns.md): one event of each type
 * per run, request -> queue 1-2 min -> 1-5 -> flash 10-20 -> boot 5-10 ->
 * test 20-40 -> publish 5 min, at microsecond resolution; a run starts every
 * 6 s, so runs overlap as on a busy farm.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PhaseAnalyzer } from '../src/analysis/phase-analyzer.js';
import { loadPhaseSets } from '../src/analysis/phase-definitions.js';
import type { PhaseReportQuery } from '../src/analysis/phase-report.js';
import { BUNDLED_CONFIG_FILES } from '../src/config/waymark-config.js';
import { loadDuckDB } from '../src/store/duckdb/duckdb-client.js';
import { DuckDBStore } from '../src/store/duckdb/duckdb-store.js';
import type { BenchFigure, BenchSuite } from './lib.js';

const RUNS = Number(process.env['WAYMARK_BENCH_RUNS'] ?? 1_000_000);
const DIR = resolve('.waymark/bench');
const STORE = join(DIR, `analysis-${RUNS}.duckdb`);
/** The synthetic test runs' event types (after `testrun.`), in run order; bench/postgres.ts builds the same runs. */
export const TYPES = [
  'request',
  'queue_start',
  'queue_end',
  'flash_start',
  'flash_end',
  'boot_start',
  'boot_end',
  'test_start',
  'test_end',
  'publish',
];
/** The six phases as (start, end) indexes into {@link TYPES}. */
export const PHASES: [number, number][] = [
  [0, 1],
  [1, 2],
  [3, 4],
  [5, 6],
  [7, 8],
  [8, 9],
];
export const T0 = 1_767_225_600_000_000; // 2026-01-01T00:00:00Z in µs
export const MIN = 60_000_000;

function log(s: string): void {
  process.stderr.write(`  analysis: ${s}\n`);
}

/** The events table, built by one INSERT … SELECT (deterministic: hashes, not random()). */
async function buildStore(): Promise<void> {
  mkdirSync(DIR, { recursive: true });
  const store = DuckDBStore.create({ path: STORE });
  await store.open(); // the schema
  await store.close();
  const duckdb = await loadDuckDB();
  const inst = await duckdb.DuckDBInstance.create(STORE);
  const c = await inst.connect();
  const u = (salt: number, lo: number, hi: number): string =>
    `(${lo * MIN} + hash(r, ${salt}) % ${(hi - lo) * MIN + 1})`;
  const started = performance.now();
  await c.run(`INSERT INTO events (message_id, id_hash, event_type, ts, received, traits, testrun_id, seq)
    WITH runs AS (
      SELECT r, ${T0} + r * 6000000 AS t0, ${u(1, 1, 2)} AS d1, ${u(2, 1, 5)} AS d2, ${u(3, 10, 20)} AS d3,
             ${u(4, 5, 10)} AS d4, ${u(5, 20, 40)} AS d5
      FROM range(${RUNS}) t(r)),
    times AS (
      SELECT r, [t0, t0 + d1, t0 + d1 + d2, t0 + d1 + d2, t0 + d1 + d2 + d3, t0 + d1 + d2 + d3,
                 t0 + d1 + d2 + d3 + d4, t0 + d1 + d2 + d3 + d4, t0 + d1 + d2 + d3 + d4 + d5,
                 t0 + d1 + d2 + d3 + d4 + d5 + ${5 * MIN}] AS ts
      FROM runs)
    SELECT 'm-' || (r * 10 + k) AS message_id, r * 10 + k AS id_hash,
      'testrun.' || ${JSON.stringify(TYPES).replace(/"/g, "'")}[k + 1] AS event_type,
      ts[k + 1]::BIGINT AS ts,
      (ts[k + 1] + CASE WHEN hash(r, k, 7) % 5 < 2 THEN 0 ELSE hash(r, k, 8) % 3000000 END)::BIGINT AS received,
      '{"testrun_id":"run-' || r || '","device_group":"dg-' || (r % 5) || '","queue":"q' || (r % 4) ||
        '","configuration":"c' || (r % 5) || '","host":"ci-host-' || (r % 24) || '","requestor":"ana@example.com","service":"ci"}' AS traits,
      'run-' || r AS testrun_id, r * 10 + k + 1 AS seq
    FROM times, range(10) u(k)
    ORDER BY ts`);
  c.closeSync();
  inst.closeSync();
  log(`built ${STORE} (${RUNS * 10} events) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

interface Columns {
  run: Int32Array;
  code: Uint8Array;
  emit: Float64Array;
  received: Float64Array;
}

/** The events as typed arrays sorted by (run, type), for numpy and the TypeScript loop; cached as raw files. */
async function columns(): Promise<Columns> {
  const files = ['run.i32', 'code.u8', 'emit.f64', 'received.f64'].map((f) => join(DIR, `${RUNS}-${f}`));
  if (files.every(existsSync)) {
    const read = (f: string): ArrayBuffer => {
      const b = readFileSync(f);
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    };
    return {
      run: new Int32Array(read(files[0] as string)),
      code: new Uint8Array(read(files[1] as string)),
      emit: new Float64Array(read(files[2] as string)),
      received: new Float64Array(read(files[3] as string)),
    };
  }
  const duckdb = await loadDuckDB();
  const inst = await duckdb.DuckDBInstance.create(STORE, { access_mode: 'READ_ONLY' });
  const c = await inst.connect();
  const n = RUNS * 10;
  const out: Columns = {
    run: new Int32Array(n),
    code: new Uint8Array(n),
    emit: new Float64Array(n),
    received: new Float64Array(n),
  };
  const result = await c.stream(
    `SELECT id_hash // 10, id_hash % 10, ts::DOUBLE, received::DOUBLE FROM events ORDER BY id_hash`,
  );
  let i = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    const cols = [0, 1, 2, 3].map((k) => chunk.getColumnValues(k));
    for (let j = 0; j < chunk.rowCount; j++, i++) {
      out.run[i] = Number(cols[0]?.[j]);
      out.code[i] = Number(cols[1]?.[j]);
      out.emit[i] = cols[2]?.[j] as number;
      out.received[i] = cols[3]?.[j] as number;
    }
  }
  c.closeSync();
  inst.closeSync();
  const arrays = [out.run, out.code, out.emit, out.received];
  files.forEach((f, k) => {
    const a = arrays[k] as ArrayBufferView;
    writeFileSync(f, Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  });
  return out;
}

const NUMPY = String.raw`
import json, sys, time
import numpy as np
prefix, repeat = sys.argv[1], int(sys.argv[2])
n = None
ra = np.rec.fromarrays([
    np.fromfile(prefix + '-run.i32', dtype=np.int32),
    np.fromfile(prefix + '-code.u8', dtype=np.uint8),
    np.fromfile(prefix + '-emit.f64', dtype=np.float64),
    np.fromfile(prefix + '-received.f64', dtype=np.float64),
], names='testrun_id,ev_name,emit,received')
PHASES = [(0, 1), (1, 2), (3, 4), (5, 6), (7, 8), (8, 9)]
def deltas(ra, start, end):  # the seed's _deltas: one event of each name per run, in run order
    return (ra['emit'][ra['ev_name'] == end] - ra['emit'][ra['ev_name'] == start]) / 1e6
def report(ra):
    out = []
    for s, e in PHASES:
        d = deltas(ra, s, e)
        p50, p90, p99 = np.percentile(d, [50, 90, 99])
        counts, edges = np.histogram(d, bins=20)
        out.append([len(d), d.min(), d.max(), d.mean(), d.std(), p50, p90, p99])
    return out
best, first = float('inf'), float('inf')
for _ in range(repeat):
    t = time.perf_counter()
    r = report(ra)
    best = min(best, time.perf_counter() - t)
    t = time.perf_counter()
    d = deltas(ra, 0, 1); np.percentile(d, [50, 90, 99]); d.mean(); d.std(); np.histogram(d, bins=20)
    first = min(first, time.perf_counter() - t)
print(json.dumps({'best_s': best, 'first_s': first, 'report': r}))
`;

function numpy(): { best: number; first: number; report: number[][] } | undefined {
  const r = spawnSync('python3', ['-c', NUMPY, join(DIR, String(RUNS)), '5'], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) {
    log(
      `numpy baseline skipped: ${r.error?.message ?? r.stderr.trim().split('\n').pop() ?? 'python3 failed'}`,
    );
    return undefined;
  }
  const out = JSON.parse(r.stdout) as { best_s: number; first_s: number; report: number[][] };
  return { best: out.best_s * 1000, first: out.first_s * 1000, report: out.report };
}

/** The plain TypeScript loop: per run the ten times, six deltas, then sort and summarise each phase. */
function tsLoop(c: Columns): number[][] {
  const runs = RUNS;
  const times = new Float64Array(runs * 10).fill(Number.NaN);
  for (let i = 0; i < c.run.length; i++)
    times[(c.run[i] as number) * 10 + (c.code[i] as number)] = c.emit[i] as number;
  const out: number[][] = [];
  for (const [s, e] of PHASES) {
    const d = new Float64Array(runs);
    let m = 0;
    for (let r = 0; r < runs; r++) {
      const v = (times[r * 10 + e] as number) - (times[r * 10 + s] as number);
      if (v >= 0) d[m++] = v / 1e6;
    }
    const x = d.subarray(0, m).sort();
    let sum = 0;
    for (let i = 0; i < m; i++) sum += x[i] as number;
    const mean = sum / m;
    let ss = 0;
    for (let i = 0; i < m; i++) ss += ((x[i] as number) - mean) ** 2;
    const q = (p: number): number => {
      const h = (m - 1) * p;
      const lo = Math.floor(h);
      return lo + 1 >= m
        ? (x[lo] as number)
        : (x[lo] as number) + (h - lo) * ((x[lo + 1] as number) - (x[lo] as number));
    };
    const hist = new Array<number>(20).fill(0);
    const w = ((x[m - 1] as number) - (x[0] as number)) / 20;
    for (let i = 0; i < m; i++) {
      const b = Math.min(19, Math.floor(((x[i] as number) - (x[0] as number)) / w));
      hist[b] = (hist[b] as number) + 1;
    }
    if (hist.length !== 20) throw new Error('histogram');
    out.push([m, x[0] as number, x[m - 1] as number, mean, Math.sqrt(ss / m), q(0.5), q(0.9), q(0.99)]);
  }
  return out;
}

function best(repeat: number, fn: () => void): number {
  let b = Infinity;
  for (let i = 0; i < repeat; i++) {
    const t = performance.now();
    fn();
    b = Math.min(b, performance.now() - t);
  }
  return b;
}

async function bestAsync(repeat: number, fn: () => Promise<void>): Promise<number> {
  let b = Infinity;
  for (let i = 0; i < repeat; i++) {
    const t = performance.now();
    await fn();
    b = Math.min(b, performance.now() - t);
  }
  return b;
}

const QUERY: PhaseReportQuery = { groupBy: [], time: 'emit', traits: [], histogram: 20 };

async function run(): Promise<BenchFigure[]> {
  if (!existsSync(STORE)) await buildStore();
  const cols = await columns();
  const [testrun] = loadPhaseSets([BUNDLED_CONFIG_FILES.phases[0]]);
  if (testrun === undefined) throw new Error('no testrun phase set');
  // (d) ad-hoc: no kept table, every report scans the store: once over the raw events (run marks off)…
  const GROUPED: PhaseReportQuery = { ...QUERY, groupBy: ['device_group'] };
  const adhocOn = async (source: DuckDBStore, query = QUERY): Promise<{ first: number; full: number }> => {
    const adhoc = new PhaseAnalyzer({ sets: [testrun], source, cache: false });
    let first = Infinity;
    const full = await bestAsync(query === QUERY ? 3 : 2, async () => {
      const t = performance.now();
      let none = true;
      for await (const _ of adhoc.phaseReport('testrun', query)) {
        if (none) first = Math.min(first, performance.now() - t);
        none = false;
      }
    });
    return { first, full };
  };
  const rawStore = DuckDBStore.create({ path: STORE, runMarks: false });
  await rawStore.open();
  const raw = await adhocOn(rawStore);
  const rawGrouped = await adhocOn(rawStore, GROUPED).finally(() => rawStore.close());
  log(
    `ad-hoc over raw events (scan + report): first ${raw.first.toFixed(0)} ms, full ${raw.full.toFixed(0)} ms`,
  );
  // …and over the run marks, folded once (the store was written by SQL; commits fold as they go).
  const folder = DuckDBStore.create({ path: STORE });
  await folder.open();
  const foldStart = performance.now();
  await folder.foldRunMarks();
  const fold = performance.now() - foldStart;
  // Measured on the store reopened, as every later report sees it: right after a fold of the
  // whole history its rows are still in the write-ahead log (the first report then took 2x).
  await folder.close();
  const store = DuckDBStore.create({ path: STORE });
  await store.open();
  try {
    const marks = await adhocOn(store);
    const marksGrouped = await adhocOn(store, GROUPED);
    log(
      `ad-hoc grouped by device_group: raw events ${rawGrouped.full.toFixed(0)} ms, run marks ${marksGrouped.full.toFixed(0)} ms`,
    );
    log(
      `ad-hoc over run marks: fold first ${(fold / 1000).toFixed(1)} s; first ${marks.first.toFixed(0)} ms, full ${marks.full.toFixed(0)} ms`,
    );
    const adhocFull = marks.full;
    const adhocFirst = marks.first;

    // waymark: the run table built once (as a server does on the first report), then reports from it.
    const analyzer = new PhaseAnalyzer({ sets: [testrun], source: store });
    const t0 = performance.now();
    await analyzer.table('testrun');
    const load = performance.now() - t0;
    let ours: number[][] = [];
    let firstChunk = Infinity;
    const full = await bestAsync(7, async () => {
      const t = performance.now();
      const rows: number[][] = [];
      for await (const lines of analyzer.phaseReport('testrun', QUERY)) {
        if (rows.length === 0) firstChunk = Math.min(firstChunk, performance.now() - t);
        for (const l of lines)
          rows.push([l.count, l.min, l.max, l.mean, l.stddev, l.p50, l.p90, l.p99].map(Number));
      }
      ours = rows;
    });
    log(
      `waymark: table load ${load.toFixed(0)} ms; report first ${firstChunk.toFixed(1)} ms, full ${full.toFixed(1)} ms`,
    );
    const grouped = await bestAsync(3, async () => {
      for await (const _ of analyzer.phaseReport('testrun', {
        ...QUERY,
        groupBy: ['device_group', 'queue'],
      })) {
        // drain
      }
    });

    await store.close();

    // (b) the plain TypeScript loop.
    let loop: number[][] = [];
    const tsMs = best(5, () => {
      loop = tsLoop(cols);
    });
    // (c) naive DuckDB GROUP BY over the raw events (JSON traits).
    const duckdb = await loadDuckDB();
    const inst = await duckdb.DuckDBInstance.create(STORE, { access_mode: 'READ_ONLY' });
    const conn = await inst.connect();
    const fil = (t: string): string => `FILTER (WHERE event_type = 'testrun.${t}')`;
    const naiveSql = `WITH r AS (SELECT json_extract_string(traits, '$.testrun_id') AS id,
        ${PHASES.map(([s, e], i) => `(max(ts) ${fil(TYPES[e] as string)} - min(ts) ${fil(TYPES[s] as string)}) / 1e6 AS p${i}`).join(', ')}
        FROM events GROUP BY id)
      SELECT ${PHASES.map((_, i) => `count(p${i}), min(p${i}), max(p${i}), avg(p${i}), stddev_pop(p${i}), quantile_cont(p${i}, [0.5, 0.9, 0.99]), histogram(floor(p${i} / 60))`).join(', ')} FROM r`;
    const naiveMs = await bestAsync(3, async () => {
      await conn.runAndReadAll(naiveSql);
    });
    conn.closeSync();
    inst.closeSync();
    // (a) numpy, the seed's method.
    const np = numpy();

    // The same figures from every method (waymark's are the meters' definition; numpy's std and percentiles agree to rounding).
    for (let p = 0; p < PHASES.length; p++) {
      const a = ours[p] ?? [];
      const b = loop[p] ?? [];
      const c = np?.report[p] ?? b;
      for (let k = 0; k < 8; k++) {
        const x = a[k] as number;
        for (const y of [b[k] as number, c[k] as number]) {
          if (!(Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x)))) {
            throw new Error(`phase ${p} figure ${k}: waymark ${x} vs baseline ${y}`);
          }
        }
      }
    }

    const npBest = np?.best ?? Number.NaN;
    const runs = RUNS.toLocaleString('en-US');
    const figures: BenchFigure[] = [
      {
        name: `six-phase report, ${runs} runs, full result (run table in memory)`,
        value: full,
        unit: 'ms',
        ...(np ? { baseline: { name: 'numpy record arrays (the seed)', value: npBest } } : {}),
        target: '<= 50% of numpy',
        ...(np ? { met: full <= npBest / 2 } : {}),
        notes: `count/min/max/mean/stddev/p50/p90/p99/20-bin histogram per phase; grouped by device_group x queue (20 groups): ${grouped.toFixed(0)} ms; the table's one-time load from the store: ${(load / 1000).toFixed(1)} s`,
      },
      {
        name: 'six-phase report, first progressive chunk',
        value: firstChunk,
        unit: 'ms',
        ...(np ? { baseline: { name: 'numpy, first phase alone', value: np.first } } : {}),
        target: '<= 50 ms',
        met: firstChunk <= 50,
      },
      {
        name: 'plain TypeScript loop over typed arrays (baseline b)',
        value: tsMs,
        unit: 'ms',
        baseline: { name: 'waymark full result', value: full },
        notes: 'per-run times by (run, type) index, Float64Array sort per phase',
      },
      {
        name: 'naive DuckDB GROUP BY over raw events (baseline c)',
        value: naiveMs,
        unit: 'ms',
        baseline: { name: 'waymark full result', value: full },
        notes: 'json_extract of testrun_id, min/max FILTER per type, DuckDB aggregates',
      },
      {
        name: `ad-hoc phases, no kept table (one-off scan of the store + report), ${runs} runs`,
        value: adhocFull,
        unit: 'ms',
        baseline: { name: 'naive DuckDB GROUP BY', value: naiveMs },
        target: '<= 1,000 ms',
        met: adhocFull <= 1000,
        notes: `from the run marks (run-marks.ts: per run and event type, the first and last times, folded as events are committed); first chunk ${adhocFirst.toFixed(0)} ms; over the raw events instead (run marks off): ${raw.full.toFixed(0)} ms, first chunk ${raw.first.toFixed(0)} ms; folding the store's events into marks before measuring: ${(fold / 1000).toFixed(1)} s (about 0 when an earlier run had folded them; commits fold as they go)`,
      },
      {
        name: `ad-hoc phases grouped by device_group, no kept table, ${runs} runs`,
        value: marksGrouped.full,
        unit: 'ms',
        baseline: { name: 'the same report over the raw events (run marks off)', value: rawGrouped.full },
        notes: `run traits from each run's earliest edge event, the run's earliest event is kept in its marks and its traits read from the events table; first chunk ${marksGrouped.first.toFixed(0)} ms`,
      },
    ];
    return figures;
  } finally {
    await store.close();
  }
}

const suite: BenchSuite = {
  title: `time-and-motion analysis, ${RUNS.toLocaleString('en-US')} test runs`,
  run,
};
export default suite;
