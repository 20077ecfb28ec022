import { StoreSchemaTooNewError } from '../store-errors.js';
import { num, type PgClientSlice } from './pg-client.js';

/** One numbered schema step. Never edit a released one: add the next. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: readonly string[];
}

const STATES = `('active', 'ready', 'firing', 'expiring', 'completed', 'error', 'expire_error')`;

/**
 * The schema, as numbered migrations.
 *
 * Choices:
 * - Timestamps are BIGINT microseconds since the epoch, as in the DuckDB store:
 *   exact, and what {@link Instant} holds.
 * - Text that is compared or sorted is `COLLATE "C"`: code-point order, as
 *   DuckDB and the API's paging (by timestamp then message_id) expect,
 *   whatever the database's collation; B-tree lookups on it are faster too.
 * - Traits and distinguishing values are `json` (the text as written: key order
 *   kept), read with `->`/`->>` by the trait filters; see pg-text.ts for the
 *   characters PostgreSQL cannot hold.
 * - Indexes for what the API and the engine ask: events by message_id (the
 *   key, and the duplicate check), by time and by type (both ending with
 *   (ts, message_id), the page order); memberships by stream (the key) and by
 *   message; streams by state, by trigger and by key; the streams not
 *   completed (start-up; few among many completed ones); completed streams by
 *   completion time (purge); outcomes by stream; meter samples by meter.
 * - At most one stream per key accepts events (`active` or `ready`): a UNIQUE
 *   partial index, so that several workers can never open two streams for one
 *   key. Streams that stopped accepting (firing, in error, …) keep their key
 *   while a new stream for it opens, as the engine does.
 * - `claimed_by` / `claim_expires_at` on streams are room for several workers
 *   claiming a stream's pipeline run (issue 7): unused, always NULL for now.
 * - Ids of dead letters, outcomes and samples come from counters in
 *   `store_meta`, updated in the commit's transaction, so a rolled-back commit
 *   uses none (a sequence would leave gaps).
 * - CHECK constraints mirror the port's types, so a bad row fails the
 *   transaction, as the other stores refuse it.
 * - No foreign keys: memberships and outcomes may name streams that were
 *   purged or not written yet, as in the DuckDB store.
 * - Several workers (version 2): `work_queue` holds the events stored but not
 *   yet correlated; `worker_leases` the correlator lease (holder, epoch,
 *   expiry) that fences the correlator's commits (shared-queries.ts).
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'events, streams, memberships, dead letters, pipeline outcomes, meter samples',
    statements: [
      `CREATE TABLE store_meta (name text PRIMARY KEY, value bigint NOT NULL)`,
      `INSERT INTO store_meta VALUES ('max_stream_id', 0), ('dead_letter_id', 0), ('outcome_seq', 0), ('sample_seq', 0)`,
      `CREATE TABLE events (
        message_id text COLLATE "C" PRIMARY KEY CHECK (message_id <> ''),
        event_type text COLLATE "C" NOT NULL CHECK (event_type <> ''),
        ts bigint NOT NULL,
        received bigint NOT NULL,
        traits json NOT NULL)`,
      `CREATE INDEX events_by_time ON events (ts, message_id)`,
      `CREATE INDEX events_by_type ON events (event_type, ts, message_id)`,
      `CREATE TABLE stream_events (
        stream_id bigint NOT NULL,
        message_id text COLLATE "C" NOT NULL CHECK (message_id <> ''),
        PRIMARY KEY (stream_id, message_id))`,
      `CREATE INDEX stream_events_by_message ON stream_events (message_id)`,
      `CREATE TABLE streams (
        id bigint PRIMARY KEY,
        trigger_name text COLLATE "C" NOT NULL CHECK (trigger_name <> ''),
        stream_key text COLLATE "C" NOT NULL CHECK (stream_key <> ''),
        state text NOT NULL CHECK (state IN ${STATES}),
        distinguished_by json NOT NULL,
        distinguishing_strings json NOT NULL,
        first_ts bigint NOT NULL,
        last_ts bigint NOT NULL,
        fire_at bigint,
        expire_at bigint,
        event_count bigint NOT NULL,
        outcome text CHECK (outcome IN ('fired', 'expired')),
        attempts bigint NOT NULL,
        retry_at bigint,
        last_error text,
        updated_at bigint NOT NULL,
        claimed_by text,
        claim_expires_at bigint,
        CHECK ((claimed_by IS NULL) = (claim_expires_at IS NULL)))`,
      `CREATE UNIQUE INDEX streams_one_accepting_per_key ON streams (stream_key) WHERE state IN ('active', 'ready')`,
      `CREATE INDEX streams_by_key ON streams (stream_key)`,
      `CREATE INDEX streams_by_state ON streams (state, id)`,
      `CREATE INDEX streams_by_trigger ON streams (trigger_name, id)`,
      `CREATE INDEX streams_completed_by_time ON streams (updated_at) WHERE state = 'completed'`,
      `CREATE INDEX streams_open ON streams (id) WHERE state <> 'completed'`,
      `CREATE TABLE dead_letters (
        id bigint PRIMARY KEY,
        received bigint NOT NULL,
        source text NOT NULL,
        reason text NOT NULL,
        payload text NOT NULL)`,
      `CREATE TABLE pipeline_outcomes (
        seq bigint PRIMARY KEY,
        stream_id bigint NOT NULL,
        pipeline text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('fire', 'expire')),
        attempt bigint NOT NULL,
        status text NOT NULL CHECK (status IN ('committed', 'error')),
        error text,
        started bigint NOT NULL,
        finished bigint NOT NULL,
        emitted bigint NOT NULL)`,
      `CREATE INDEX pipeline_outcomes_by_stream ON pipeline_outcomes (stream_id, seq)`,
      `CREATE TABLE meter_samples (
        seq bigint PRIMARY KEY,
        meter text COLLATE "C" NOT NULL CHECK (meter <> ''),
        kind text NOT NULL CHECK (kind IN ('sample', 'count')),
        value double precision NOT NULL
          CHECK (value <> 'NaN'::float8 AND value <> 'Infinity'::float8 AND value <> '-Infinity'::float8),
        stream_id bigint NOT NULL,
        sampled_at bigint NOT NULL)`,
      `CREATE INDEX meter_samples_by_meter ON meter_samples (meter, seq)`,
    ],
  },
  {
    version: 2,
    name: 'several workers: the correlation queue and the correlator lease',
    statements: [
      // Events stored by any worker and not yet correlated, in the order they were queued.
      // A bigserial may commit out of order: the correlator takes the oldest rows present, and
      // deletes them in the commit that correlated them, so a late-committed row is taken later.
      `CREATE TABLE work_queue (
        seq bigserial PRIMARY KEY,
        message_id text COLLATE "C" NOT NULL UNIQUE)`,
      // One row per lease; times are the database's clock in microseconds (workers' clocks may differ).
      `CREATE TABLE worker_leases (
        name text PRIMARY KEY,
        holder text,
        epoch bigint NOT NULL,
        expires_at bigint NOT NULL)`,
      `INSERT INTO worker_leases VALUES ('correlator', NULL, 0, 0)`,
    ],
  },
];

/** The newest schema version this waymark knows. */
export const SCHEMA_VERSION = MIGRATIONS.reduce((v, m) => Math.max(v, m.version), 0);

/** The advisory lock's first key: "waym". The second is a hash of the schema name. */
export const MIGRATION_LOCK_CLASS = 0x7761796d;

/** A 32-bit signed FNV-1a hash of the schema name, the advisory lock's second key. */
export function schemaLockKey(schema: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < schema.length; i++) h = Math.imul(h ^ schema.charCodeAt(i), 0x01000193);
  return h | 0;
}

/**
 * Bring the schema up to {@link SCHEMA_VERSION} in one transaction holding a
 * transaction-level advisory lock on the schema, so that processes opening the
 * store at once apply each migration once: the others wait for the lock, then
 * find nothing to do. Creates the schema if absent. Refuses a schema newer than
 * this waymark ({@link StoreSchemaTooNewError}). Returns the versions applied.
 *
 * No statement timeout applies (a later migration may rebuild a large table);
 * waiting for the lock is bounded by `lockWaitMs`.
 */
export async function migrate(
  client: PgClientSlice,
  schema: string,
  where: string,
  lockWaitMs = 300_000,
): Promise<number[]> {
  const run = (text: string, values?: unknown[]) =>
    client.query({ text, rowMode: 'array', ...(values === undefined ? {} : { values }) });
  await run('BEGIN');
  try {
    await run(`SET LOCAL statement_timeout = 0`);
    await run(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(lockWaitMs))}`);
    await run('SELECT pg_advisory_xact_lock($1::int4, $2::int4)', [
      MIGRATION_LOCK_CLASS,
      schemaLockKey(schema),
    ]);
    await run(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await run(`CREATE TABLE IF NOT EXISTS "${schema}".schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`);
    const rows = (await run(`SELECT coalesce(max(version), 0) FROM "${schema}".schema_migrations`)).rows;
    const current = num(rows[0]?.[0] ?? 0);
    if (current > SCHEMA_VERSION) {
      throw new StoreSchemaTooNewError(
        `the store ${where} (schema ${schema}) has schema version ${current}, written by a newer waymark; this one ` +
          `knows up to version ${SCHEMA_VERSION}: upgrade waymark (the database is left untouched)`,
      );
    }
    const applied: number[] = [];
    for (const m of [...MIGRATIONS].sort((a, b) => a.version - b.version)) {
      if (m.version <= current) continue;
      for (const sql of m.statements) await run(sql);
      await run(`INSERT INTO "${schema}".schema_migrations (version, name) VALUES ($1, $2)`, [
        m.version,
        m.name,
      ]);
      applied.push(m.version);
    }
    await run('COMMIT');
    return applied;
  } catch (e) {
    await run('ROLLBACK').catch(() => undefined);
    throw e;
  }
}
