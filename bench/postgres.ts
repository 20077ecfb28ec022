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
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { EventGenerator } from '../src/generate/event-generator.js';
import { openstackScenario } from '../src/generate/openstack/openstack-scenario.js';
import { DuckDBStore } from '../src/store/duckdb/duckdb-store.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { parsePostgresUrl } from '../src/store/postgres/postgres-url.js';
import type { BenchFigure, BenchSuite } from './lib.js';
import { BATCH, BATCHES, commitAll, engineBatches, latencyNotes, percentile } from './store.js';

const PG_URL = process.env['WAYMARK_PG_URL'] ?? 'postgresql://127.0.0.1:5432/test';
/** Notifications of the ingest case (`WAYMARK_BENCH_PG_INGEST`, default 200,000). */
const INGEST_COUNT = Number(process.env['WAYMARK_BENCH_PG_INGEST'] ?? 200_000);
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

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
    const child = spawn(process.execPath, [CLI, 'ingest', '--quiet', '--store', store, file], {
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
  title: 'postgres (one worker, against DuckDB)',
  async run() {
    const [[version]] = (await admin('SHOW server_version')) as [[string]];
    process.stderr.write(`  PostgreSQL ${version} at ${PG_URL}\n`);
    const dir = mkdtempSync(join(tmpdir(), 'waymark-bench-pg-'));
    const schemas = [1, 2].map(() => `waymark_bench_${randomBytes(5).toString('hex')}`);
    try {
      process.stderr.write('  store commits ...\n');
      const a = await commits(dir, schemas[0] as string);
      process.stderr.write('  end-to-end ingest ...\n');
      const b = await endToEnd(dir, schemas[1] as string);
      return [a, b];
    } finally {
      for (const s of schemas) await admin(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
export default suite;
