import type { DuckDBConnectionSlice } from './duckdb-client.js';
import { num } from './duckdb-client.js';
import { StoreSchemaTooNewError } from './duckdb-errors.js';

/** One numbered schema step; applied once, in order, in its own transaction. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: readonly string[];
}

/**
 * The schema, as numbered migrations. Never edit a released one: add the next.
 *
 * Choices (measured with DuckDB 1.5.6 on 200,000 distilled OpenStack events, bench/store.ts):
 * - Timestamps are BIGINT microseconds since the epoch: exact, and what
 *   {@link Instant} holds.
 * - No ART index and no PRIMARY KEY anywhere. DuckDB rewrites every ART index
 *   whole at each checkpoint (by default every 16 MB of WAL), so a store with
 *   an index on the events grew slower with its size: checkpoints took ~100 ms
 *   more per million indexed rows (duckdb/duckdb#24848), on top of ~40% more
 *   time per commit. Instead:
 *   - message ids are found through `id_hash`, a 53-bit hash computed in JS
 *     (message-id-hash.ts): a column scan of 8 bytes a row, the id compared
 *     too, so collisions are harmless; commits skip the scan for ids the
 *     in-memory filter (message-id-filter.ts) knows are new;
 *   - time ranges use DuckDB's zone maps on `ts` (events arrive roughly in
 *     time order); streams and memberships are scanned (a BIGINT column).
 * - `streams.id` is unique because the store is the only writer: an upsert is
 *   a DELETE and an INSERT in one transaction (DuckDB refuses that on a key,
 *   "duplicate key"; `INSERT OR REPLACE` / `UPDATE … FROM` measured 2x slower).
 * - Traits are JSON text, the {@link CORRELATION_TRAITS} also as columns;
 *   `distinguishing_strings` holds each distinguishing
 *   value as `distinguishingValueString` gives it, for `distinguished_by` filters.
 * - CHECK constraints mirror the port's types, so a bad row fails the
 *   transaction, as the memory store refuses it.
 */
/**
 * Traits that group events into runs (the grouping ids of the bundled phase
 * sets), kept as columns of `events` besides the JSON (migration 2): a phase
 * report grouped by one of them reads a column instead of parsing every
 * event's JSON, 10M events in well under a second instead of ~20 s. The value
 * is the trait as `json_extract_string` gives it (text as is, numbers and
 * datetimes as their JSON text); NULL when absent.
 */
export const CORRELATION_TRAITS = ['request_id', 'instance_id', 'testrun_id'] as const;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'events, streams, memberships, dead letters, pipeline outcomes, meter samples',
    statements: [
      `CREATE TABLE store_meta (name VARCHAR PRIMARY KEY, value BIGINT NOT NULL)`,
      `INSERT INTO store_meta VALUES ('max_stream_id', 0)`,
      `CREATE TABLE events (
        message_id VARCHAR NOT NULL CHECK (message_id <> ''),
        id_hash BIGINT NOT NULL,
        event_type VARCHAR NOT NULL CHECK (event_type <> ''),
        ts BIGINT NOT NULL,
        received BIGINT NOT NULL,
        traits VARCHAR NOT NULL)`,
      `CREATE TABLE stream_events (
        stream_id BIGINT NOT NULL,
        id_hash BIGINT NOT NULL,
        message_id VARCHAR NOT NULL CHECK (message_id <> ''))`,
      `CREATE TABLE streams (
        id BIGINT NOT NULL,
        trigger_name VARCHAR NOT NULL CHECK (trigger_name <> ''),
        stream_key VARCHAR NOT NULL CHECK (stream_key <> ''),
        state VARCHAR NOT NULL
          CHECK (state IN ('active', 'ready', 'firing', 'expiring', 'completed', 'error', 'expire_error')),
        distinguished_by VARCHAR NOT NULL,
        distinguishing_strings VARCHAR NOT NULL,
        first_ts BIGINT NOT NULL,
        last_ts BIGINT NOT NULL,
        fire_at BIGINT,
        expire_at BIGINT,
        event_count BIGINT NOT NULL,
        outcome VARCHAR CHECK (outcome IN ('fired', 'expired')),
        attempts BIGINT NOT NULL,
        retry_at BIGINT,
        last_error VARCHAR,
        updated_at BIGINT NOT NULL)`,
      `CREATE TABLE dead_letters (
        id BIGINT NOT NULL,
        received BIGINT NOT NULL,
        source VARCHAR NOT NULL,
        reason VARCHAR NOT NULL,
        payload VARCHAR NOT NULL)`,
      `CREATE TABLE pipeline_outcomes (
        seq BIGINT NOT NULL,
        stream_id BIGINT NOT NULL,
        pipeline VARCHAR NOT NULL,
        kind VARCHAR NOT NULL CHECK (kind IN ('fire', 'expire')),
        attempt BIGINT NOT NULL,
        status VARCHAR NOT NULL CHECK (status IN ('committed', 'error')),
        error VARCHAR,
        started BIGINT NOT NULL,
        finished BIGINT NOT NULL,
        emitted BIGINT NOT NULL)`,
      `CREATE TABLE meter_samples (
        seq BIGINT NOT NULL,
        meter VARCHAR NOT NULL CHECK (meter <> ''),
        kind VARCHAR NOT NULL CHECK (kind IN ('sample', 'count')),
        value DOUBLE NOT NULL CHECK (isfinite(value)),
        stream_id BIGINT NOT NULL,
        sampled_at BIGINT NOT NULL)`,
    ],
  },
  {
    version: 2,
    name: 'correlation traits (request_id, instance_id, testrun_id) as columns of events',
    statements: [
      ...CORRELATION_TRAITS.map((t) => `ALTER TABLE events ADD COLUMN ${t} VARCHAR`),
      `UPDATE events SET ${CORRELATION_TRAITS.map((t) => `${t} = json_extract_string(traits, '$.${t}')`).join(', ')}`,
    ],
  },
  {
    version: 3,
    name: 'run marks: per run (correlation trait value) and event type, the first and last times (run-marks.ts)',
    statements: [
      // The commit order of events (1, 2, …), so the marks can say how far they are folded in.
      `ALTER TABLE events ADD COLUMN seq BIGINT`,
      `UPDATE events SET seq = rowid + 1`,
      `CREATE TABLE run_marks (
        trait VARCHAR NOT NULL,
        run_id VARCHAR NOT NULL,
        types INTEGER[] NOT NULL,
        min_ts BIGINT[] NOT NULL,
        max_ts BIGINT[] NOT NULL,
        min_received BIGINT[] NOT NULL,
        max_received BIGINT[] NOT NULL,
        -- the run's earliest event (by ts, then message_id) and its type code: where its run traits come from
        first_ts BIGINT NOT NULL,
        first_id VARCHAR NOT NULL,
        first_type INTEGER NOT NULL)`,
      // The event types of run_marks.types, as codes.
      `CREATE TABLE run_mark_types (code INTEGER NOT NULL, event_type VARCHAR NOT NULL)`,
      // Per marked trait, the largest events.seq folded into run_marks (0: none yet).
      `CREATE TABLE run_marks_state (trait VARCHAR NOT NULL, seq BIGINT NOT NULL)`,
      `INSERT INTO run_marks_state VALUES ('testrun_id', 0)`,
    ],
  },
];

/** The newest schema version this waymark knows. */
export const SCHEMA_VERSION = MIGRATIONS.reduce((v, m) => Math.max(v, m.version), 0);

/**
 * Bring the schema up to {@link SCHEMA_VERSION}: each pending migration and
 * its `schema_migrations` row in one transaction. Refuses a store whose schema
 * is newer than this waymark ({@link StoreSchemaTooNewError}). Returns the
 * versions applied (none when the store was current).
 */
export async function migrate(conn: DuckDBConnectionSlice, path: string): Promise<number[]> {
  await conn.run(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
  const rows = (
    await conn.runAndReadAll('SELECT coalesce(max(version), 0) FROM schema_migrations')
  ).getRows();
  const current = num(rows[0]?.[0] ?? 0);
  if (current > SCHEMA_VERSION) {
    throw new StoreSchemaTooNewError(
      `the store ${path} has schema version ${current}, written by a newer waymark; this one knows up to version ` +
        `${SCHEMA_VERSION}: upgrade waymark (the file is left untouched)`,
    );
  }
  const applied: number[] = [];
  for (const m of [...MIGRATIONS].sort((a, b) => a.version - b.version)) {
    if (m.version <= current) continue;
    await conn.run('BEGIN TRANSACTION');
    try {
      for (const sql of m.statements) await conn.run(sql);
      await conn.run('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      await conn.run('COMMIT');
    } catch (e) {
      await conn.run('ROLLBACK').catch(() => undefined);
      throw e;
    }
    applied.push(m.version);
  }
  return applied;
}
