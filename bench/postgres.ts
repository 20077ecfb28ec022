/**
 * postgres: the PostgreSQL store against the DuckDB store, one worker, same
 * input, same run (PostgreSQL at WAYMARK_PG_URL, default
 * postgresql://127.0.0.1:5432/test; each case in a new schema, dropped after).
 *
 * 1. Store commits: bench/store.ts's engine-shaped batches (1,000 events, 1,000
 *    memberships, 300 stream upserts) committed in turn, then closed.
 * 2. `waymark ingest` (the real CLI, a child process, default config) of the
 *    same generated notifications into each store: through the engine, every
 *    batch acknowledged after its commit; wall time from spawn to exit.
 * 3. Several workers: `waymark serve --shared` processes on one schema, the
 *    same notifications POSTed to them in turn (batches of 500, 4 requests in
 *    flight per worker): two workers against one, from the first POST until
 *    every event is acknowledged, and until the correlator has taken them all
 *    from the queue.
 * 4. The six-phase report over raw events on PostgreSQL (`WAYMARK_BENCH_PG_RUNS`
 *    test runs, default 100,000, 10 events each, built by SQL as
 *    bench/analysis.ts builds DuckDB's): waymark's one-off report (the scan
 *    and the statistics) against a naive GROUP BY over the same events.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { PhaseAnalyzer } from '../src/analysis/phase-analyzer.js';
import { loadPhaseSets } from '../src/analysis/phase-definitions.js';
import { BUNDLED_CONFIG_FILES } from '../src/config/waymark-config.js';
import { EventGenerator } from '../src/generate/event-generator.js';
import { openstackScenario } from '../src/generate/openstack/openstack-scenario.js';
import { DuckDBStore } from '../src/store/duckdb/duckdb-store.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { parsePostgresUrl } from '../src/store/postgres/postgres-url.js';
import { MIN, PHASES, T0, TYPES } from './analysis.js';
import { cliNodeFlags, type BenchFigure, type BenchSuite } from './lib.js';
import { BATCH, BATCHES, commitAll, engineBatches, latencyNotes, percentile } from './store.js';

const PG_URL = process.env['WAYMARK_PG_URL'] ?? 'postgresql://127.0.0.1:5432/test';
/** Notifications of the ingest case (`WAYMARK_BENCH_PG_INGEST`, default 200,000). */
const INGEST_COUNT = Number(process.env['WAYMARK_BENCH_PG_INGEST'] ?? 200_000);
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const CLI_FLAGS = cliNodeFlags(CLI);

const nf = (n: number): string => Math.round(n).toLocaleString('en-US');

function schemaUrl(schema: string): string {
  const u = new URL(PG_URL);
  u.searchParams.set('schema', schema);
  return u.toString();
}

async function admin(sql: string): Promise<unknown[][]> {
  const client = new pg.Client({ connectionString: parsePostgresUrl(PG_URL).connectionString });
  await client.connect();
  try {
    return (await client.query({ text: sql, rowMode: 'array' })).rows as unknown[][];
  } finally {
    await client.end();
  }
}

/** `count` generated notifications (bench/corpus.ts's settings, seed 1) as JSON lines. */
function writeCorpus(path: string, count: number): number {
  const fd = openSync(path, 'w');
  let bytes = 0;
  let buf: string[] = [];
  for (const g of new EventGenerator({
    scenario: openstackScenario(),
    opsPerHour: 3600,
    count,
    seed: 1,
    keepTruth: false,
  })) {
    buf.push(g.line, '\n');
    if (buf.length >= 4000) {
      bytes += writeSync(fd, buf.join(''));
      buf = [];
    }
  }
  bytes += writeSync(fd, buf.join(''));
  closeSync(fd);
  return bytes;
}

/** `waymark ingest --quiet --store STORE FILE` as a child process: wall time and its summary line. */
function ingest(store: string, file: string, cwd: string): Promise<{ ms: number; stdout: string }> {
  const env = { ...process.env };
  delete env['WAYMARK_CONFIG'];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [...CLI_FLAGS, CLI, 'ingest', '--quiet', '--store', store, file], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve({ ms: performance.now() - t0, stdout });
      else reject(new Error(`waymark ingest --store ${store} exited ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

interface Worker {
  url: string;
  stop(): Promise<void>;
}

/** `waymark serve --shared --store STORE --port 0 --clock event`, once it prints its banner. */
function startWorker(store: string, cwd: string): Promise<Worker> {
  const env: NodeJS.ProcessEnv = { ...process.env, MMSTATS_PATH: cwd };
  delete env['WAYMARK_CONFIG'];
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--shared', '--port', '0', '--clock', 'event', '--store', store],
    { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /serving on (http:\/\/[\d.:]+)/.exec(out);
      if (m) {
        resolve({
          url: m[1] as string,
          stop: async () => {
            child.kill('SIGTERM');
            await exited;
          },
        });
      }
    });
    child.once('exit', (code) => reject(new Error(`serve --shared exited ${code}: ${err.slice(-2000)}`)));
  });
}

/** POST every batch to the workers in turn, `inFlight` requests per worker; resolves when all are acknowledged. */
async function postAll(
  workers: readonly Worker[],
  batches: readonly string[],
  inFlight: number,
): Promise<void> {
  let next = 0;
  const lane = async (w: Worker): Promise<void> => {
    while (next < batches.length) {
      const body = batches[next++] as string;
      const r = await fetch(`${w.url}/v1/notifications`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body,
      });
      const text = await r.text();
      if (r.status !== 200) throw new Error(`POST to ${w.url}: ${r.status} ${text.slice(0, 300)}`);
    }
  };
  await Promise.all(workers.flatMap((w) => Array.from({ length: inFlight }, () => lane(w))));
}

async function queueDepth(schema: string): Promise<number> {
  const [[n]] = (await admin(`SELECT count(*) FROM "${schema}".work_queue`)) as [[string]];
  return Number(n);
}

/** Stored and correlated rates of `n` shared workers on a new schema, same batches. */
async function sharedRun(
  n: number,
  schema: string,
  batches: readonly string[],
  count: number,
  dir: string,
): Promise<{ acked: number; correlated: number }> {
  const workers: Worker[] = [];
  try {
    for (let i = 0; i < n; i++) workers.push(await startWorker(schemaUrl(schema), dir));
    const t0 = performance.now();
    await postAll(workers, batches, 4);
    const acked = performance.now() - t0;
    while ((await queueDepth(schema)) > 0) await new Promise((r) => setTimeout(r, 20));
    const correlated = performance.now() - t0;
    return { acked: (count * 1000) / acked, correlated: (count * 1000) / correlated };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}

async function sharedWorkers(dir: string, schemas: readonly [string, string]): Promise<BenchFigure[]> {
  const count = Math.min(INGEST_COUNT, 100_000);
  const file = join(dir, 'shared.jsonl');
  writeCorpus(file, count);
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  const batches: string[] = [];
  for (let i = 0; i < lines.length; i += 500) batches.push(lines.slice(i, i + 500).join('\n'));
  const one = await sharedRun(1, schemas[0], batches, lines.length, dir);
  const two = await sharedRun(2, schemas[1], batches, lines.length, dir);
  const notes =
    `${nf(lines.length)} generated notifications (seed 1) POSTed in batches of 500, 4 requests in flight per worker, ` +
    '`waymark serve --shared --clock event` processes, default config; PostgreSQL, the workers and the client share 2 cores';
  return [
    {
      name: 'two `serve --shared` workers: notifications acknowledged (stored and queued)',
      value: two.acked,
      unit: 'notifications/s',
      baseline: { name: 'one worker, same input', value: one.acked },
      notes,
    },
    {
      name: 'two `serve --shared` workers: until the correlator has taken every event',
      value: two.correlated,
      unit: 'notifications/s',
      baseline: { name: 'one worker, same input', value: one.correlated },
      notes: 'one correlator at a time (the lease holder) runs the engine over the queue',
    },
  ];
}

const PG_RUNS = Number(process.env['WAYMARK_BENCH_PG_RUNS'] ?? 100_000);
/** bench/analysis.ts's synthetic test runs, generated in the server. */
async function buildRuns(schema: string, runs: number): Promise<void> {
  const u = (salt: number, lo: number, hi: number): string =>
    `(${lo * MIN} + abs(hashint8(r * 16 + ${salt})::int8) % ${(hi - lo) * MIN + 1})`;
  const types = `ARRAY[${TYPES.map((t) => `'testrun.${t}'`).join(', ')}]`;
  await admin(`INSERT INTO "${schema}".events (message_id, event_type, ts, received, traits)
    WITH runs AS (
      SELECT r, ${T0}::int8 + r * 6000000 AS t0, ${u(1, 1, 2)} AS d1, ${u(2, 1, 5)} AS d2, ${u(3, 10, 20)} AS d3,
             ${u(4, 5, 10)} AS d4, ${u(5, 20, 40)} AS d5
      FROM generate_series(0::int8, ${runs - 1}) r),
    times AS (
      SELECT r, ARRAY[t0, t0 + d1, t0 + d1 + d2, t0 + d1 + d2, t0 + d1 + d2 + d3, t0 + d1 + d2 + d3,
                 t0 + d1 + d2 + d3 + d4, t0 + d1 + d2 + d3 + d4, t0 + d1 + d2 + d3 + d4 + d5,
                 t0 + d1 + d2 + d3 + d4 + d5 + ${5 * MIN}] AS ts
      FROM runs)
    SELECT 'm-' || (r * 10 + k), (${types})[k + 1], ts[k + 1],
      ts[k + 1] + CASE WHEN abs(hashint8(r * 16 + k + 7)::int8) % 5 < 2 THEN 0 ELSE abs(hashint8(r * 16 + k + 8)::int8) % 3000000 END,
      json_build_object('testrun_id', 'run-' || r, 'device_group', 'dg-' || (r % 5), 'queue', 'q' || (r % 4),
        'configuration', 'c' || (r % 5), 'host', 'ci-host-' || (r % 24), 'requestor', 'ana@example.com', 'service', 'ci')
    FROM times, generate_series(0, 9) k
    ORDER BY ts[k + 1]`);
  await admin(`ANALYZE "${schema}".events`);
}

export async function phaseReport(schema: string): Promise<BenchFigure> {
  const store = new PostgresStore({ url: schemaUrl(schema) });
  await store.open();
  try {
    const t0 = performance.now();
    await buildRuns(schema, PG_RUNS);
    const built = performance.now() - t0;
    const [testrun] = loadPhaseSets([BUNDLED_CONFIG_FILES.phases[0]]);
    if (testrun === undefined) throw new Error('no testrun phase set');
    const analyzer = new PhaseAnalyzer({ sets: [testrun], source: store, cache: false });
    const query = { groupBy: [], time: 'emit' as const, traits: [], histogram: 20 };
    let best = Infinity;
    let first = Infinity;
    let runs = 0;
    for (let i = 0; i < 2; i++) {
      const t = performance.now();
      let chunks = 0;
      const it = analyzer.phaseReport('testrun', query);
      for (;;) {
        const r = await it.next();
        if (chunks++ === 0) first = Math.min(first, performance.now() - t);
        if (r.done === true) {
          runs = r.value;
          break;
        }
      }
      best = Math.min(best, performance.now() - t);
    }
    const fil = (t: number): string => `FILTER (WHERE event_type = 'testrun.${TYPES[t] as string}')`;
    const naiveSql = `WITH r AS (SELECT traits ->> 'testrun_id' AS id,
        ${PHASES.map(([s, e], i) => `(max(ts) ${fil(e)} - min(ts) ${fil(s)}) / 1e6 AS p${i}`).join(', ')}
        FROM "${schema}".events GROUP BY 1)
      SELECT ${PHASES.map((_, i) => `count(p${i}), min(p${i}), max(p${i}), avg(p${i}), stddev_pop(p${i}), percentile_cont(ARRAY[0.5, 0.9, 0.99]) WITHIN GROUP (ORDER BY p${i})`).join(', ')} FROM r`;
    let naive = Infinity;
    for (let i = 0; i < 2; i++) {
      const t = performance.now();
      await admin(naiveSql);
      naive = Math.min(naive, performance.now() - t);
    }
    if (runs !== PG_RUNS) throw new Error(`the report saw ${runs} runs, not ${PG_RUNS}`);
    return {
      name: `six-phase report over raw events on PostgreSQL, ${nf(PG_RUNS)} runs (scan + report, one-off)`,
      value: best,
      unit: 'ms',
      baseline: { name: 'naive PostgreSQL GROUP BY over the same events', value: naive },
      notes:
        `${nf(PG_RUNS * 10)} events built by SQL in ${(built / 1000).toFixed(1)} s (bench/analysis.ts's synthetic runs); ` +
        `best of 2; first chunk ${first.toFixed(0)} ms (the scan comes first); ${((best * 1000) / PG_RUNS).toFixed(1)} µs per run`,
    };
  } finally {
    await store.close();
  }
}

async function commits(dir: string, schema: string): Promise<BenchFigure> {
  const batches = engineBatches();
  const duckStore = DuckDBStore.create({ path: join(dir, 'commits.duckdb') });
  await duckStore.open();
  const duck = await commitAll(duckStore, batches);
  const pgStore = new PostgresStore({ url: schemaUrl(schema) });
  await pgStore.open();
  const pgRun = await commitAll(pgStore, batches);
  return {
    name: 'PostgreSQL commit (transaction, json_to_recordset inserts, stream upserts, WAL flush)',
    value: pgRun.eventsPerSecond,
    unit: 'events/s',
    baseline: { name: 'DuckDB commit, same batches', value: duck.eventsPerSecond },
    notes:
      `${BATCHES} batches of ${BATCH} distilled events + ${BATCH} memberships + 300 stream upserts (bench/store.ts), ` +
      `committed in turn to a new schema, then closed; ${latencyNotes(pgRun)} (DuckDB ${latencyNotes(duck)}); ` +
      `PostgreSQL p99 / DuckDB p99 ${(percentile(pgRun.latencies, 0.99) / percentile(duck.latencies, 0.99)).toFixed(2)}`,
  };
}

async function endToEnd(dir: string, schema: string): Promise<BenchFigure> {
  const file = join(dir, 'corpus.jsonl');
  const bytes = writeCorpus(file, INGEST_COUNT);
  const duck = await ingest(`duckdb:${join(dir, 'ingest.duckdb')}`, file, dir);
  const pgRun = await ingest(schemaUrl(schema), file, dir);
  const [[size]] = (await admin(
    `SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = '${schema}' AND c.relkind = 'r'`,
  )) as [[string]];
  const summary = (s: string): string => /: ([\d,]+ events stored)/.exec(s)?.[1] ?? '?';
  const rate = (ms: number): number => (INGEST_COUNT * 1000) / ms;
  return {
    name: `\`waymark ingest\` of ${nf(INGEST_COUNT)} notifications into PostgreSQL (CLI child process, wall time, durable)`,
    value: rate(pgRun.ms),
    unit: 'notifications/s',
    baseline: { name: '`waymark ingest` of the same file into DuckDB', value: rate(duck.ms) },
    notes:
      `${(bytes / 2 ** 20).toFixed(0)} MiB of JSON lines (bench/corpus.ts settings, seed 1), default config, ` +
      `one worker; PostgreSQL ${(pgRun.ms / 1000).toFixed(1)} s (${summary(pgRun.stdout)}; tables and indexes ${size}), ` +
      `DuckDB ${(duck.ms / 1000).toFixed(1)} s (${summary(duck.stdout)}); server and waymark on the same 2 cores`,
  };
}

const suite: BenchSuite = {
  title: 'postgres (one worker against DuckDB; two shared workers against one)',
  async run() {
    const [[version]] = (await admin('SHOW server_version')) as [[string]];
    process.stderr.write(`  PostgreSQL ${version} at ${PG_URL}\n`);
    const dir = mkdtempSync(join(tmpdir(), 'waymark-bench-pg-'));
    const schemas = [1, 2, 3, 4, 5].map(() => `waymark_bench_${randomBytes(5).toString('hex')}`);
    try {
      process.stderr.write('  store commits ...\n');
      const a = await commits(dir, schemas[0] as string);
      process.stderr.write('  end-to-end ingest ...\n');
      const b = await endToEnd(dir, schemas[1] as string);
      process.stderr.write('  shared workers: one, then two ...\n');
      const c = await sharedWorkers(dir, [schemas[2] as string, schemas[3] as string]);
      process.stderr.write('  phase report over raw events ...\n');
      const d = await phaseReport(schemas[4] as string);
      return [a, b, ...c, d];
    } finally {
      for (const s of schemas) await admin(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
export default suite;
