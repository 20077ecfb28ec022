import type {
  EventReportQuery,
  EventReportRow,
  PhaseAnalysisSource,
  RunChunk,
  ScanOptions,
} from '../../analysis/analysis-port.js';
import type { PhaseSet } from '../../analysis/phase-definitions.js';
import type { WaymarkEvent } from '../../model/event.js';
import { Instant } from '../../model/instant.js';
import { WaymarkError } from '../../model/errors.js';
import { StoreClosedError, StoreCommitError } from '../store-errors.js';
import { emptyBatch } from '../store.js';
import type {
  DeadLetter,
  EventQuery,
  MeterSample,
  OpenStream,
  Page,
  EnqueueResult,
  Lease,
  PipelineOutcome,
  QueuedEvent,
  SharedStore,
  StoreBatch,
  StoreCapabilities,
  StreamQuery,
  StreamRecord,
} from '../store.js';
import * as analysis from './analysis-queries.js';
import * as events from './event-queries.js';
import * as housekeeping from './housekeeping.js';
import { migrate } from './migrations.js';
import { loadPg, num, typeParsers, type PgClientSlice, type PgPoolSlice } from './pg-client.js';
import { connectError, isConnectionError, PostgresSchemaError } from './postgres-errors.js';
import { parsePostgresUrl, type PostgresUrl } from './postgres-url.js';
import { queryOn, type Query } from './query.js';
import * as records from './record-queries.js';
import { checkServerVersion } from './server-version.js';
import * as shared from './shared-queries.js';
import * as streams from './stream-queries.js';
import { writeBatch } from './write-batch.js';

export interface PostgresStoreOptions {
  /**
   * `postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?pool=8&statement_timeout=30s&connect_timeout=10s&idle_timeout=10s&schema=public]`
   * (see {@link parsePostgresUrl}).
   */
  readonly url: string;
}

/**
 * The PostgreSQL store (`pg`, loaded on `open()`, not on import): the schema
 * (numbered migrations under an advisory lock, see migrations.ts) in one
 * schema of one database, a pool of connections with limits.
 *
 * Commits run one at a time, in the order they were called (the engine
 * pipelines them), each in one transaction on a connection of the pool,
 * every list of rows written by one statement (`INSERT … SELECT FROM
 * unnest($1::text[], …)`, prepared once per connection). The session has
 * `synchronous_commit = on`, so a batch is on disk (the server's WAL flushed)
 * when `commit` resolves. Reads use the other connections and see the last
 * committed state, never a commit in progress.
 *
 * Several waymark processes may share it ({@link SharedStore}): each stores
 * what it receives with `enqueue`, and the holder of the correlator lease runs
 * the engine over the queue with fenced commits (shared-queries.ts,
 * docs/scale-out.md). A process that uses `commit` without a fence is the only
 * writer of streams (`waymark serve` without `--shared`, `waymark ingest`).
 *
 * ```ts
 * const store = new PostgresStore({ url: 'postgresql://waymark@db/waymark?pool=8' });
 * await store.open(); // connects, checks the server version, migrates
 * await store.commit({ ...emptyBatch(), events });
 * await store.close();
 * ```
 */
export class PostgresStore implements SharedStore, PhaseAnalysisSource {
  readonly name = 'postgres';
  readonly capabilities: StoreCapabilities = {
    supportsConcurrentWorkers: true,
    supportsSkipLocked: false,
    durable: true,
  };

  private readonly url: PostgresUrl;
  private pool: PgPoolSlice | undefined;
  private opening: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private tail: Promise<unknown> = Promise.resolve();

  /** Throws {@link UnsupportedStoreError} for a URL it cannot use; connects only on {@link PostgresStore.open}. */
  constructor(options: PostgresStoreOptions) {
    this.url = parsePostgresUrl(options.url);
  }

  /** The URL with its password replaced by `***`. */
  get where(): string {
    return this.url.redacted;
  }

  /** The schema the tables are in. */
  get schema(): string {
    return this.url.schema;
  }

  open(): Promise<void> {
    if (this.closing !== undefined) return Promise.reject(this.closedError());
    this.opening ??= this.doOpen().catch((e: unknown) => {
      this.opening = undefined;
      throw e;
    });
    return this.opening;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.opening?.catch(() => undefined);
      await this.tail;
      const pool = this.pool;
      this.pool = undefined;
      await pool?.end();
    })();
    return this.closing;
  }

  commit(batch: StoreBatch): Promise<void> {
    return this.write('commit', (client) => writeBatch(client, batch));
  }

  loadOpenStreams(): Promise<OpenStream[]> {
    return this.snapshot((q) => streams.loadOpenStreams(q));
  }

  maxStreamId(): Promise<number> {
    return this.read(async (q) =>
      num((await q(`SELECT value FROM store_meta WHERE name = 'max_stream_id'`))[0]?.[0] ?? 0),
    );
  }

  existingMessageIds(ids: readonly string[]): Promise<Set<string>> {
    return this.read((q) => events.existingMessageIds(q, ids));
  }

  messageIdsSince(since: Instant): Promise<string[]> {
    return this.read((q) => events.messageIdsSince(q, since));
  }

  /** Of the events correlated: those still queued for the correlator are not counted. */
  async latestEventTimestamp(): Promise<Instant | undefined> {
    const us = await this.read((q) => shared.latestCorrelatedTimestamp(q));
    return us === undefined ? undefined : new Instant(us);
  }

  getEvent(messageId: string): Promise<WaymarkEvent | undefined> {
    return this.read((q) => events.getEvent(q, messageId));
  }

  queryEvents(query: EventQuery): Promise<Page<WaymarkEvent>> {
    return this.read((q) => events.queryEvents(q, query));
  }

  countEvents(query: EventQuery): Promise<number> {
    return this.read((q) => events.countEvents(q, query));
  }

  getStream(id: number): Promise<StreamRecord | undefined> {
    return this.read((q) => streams.getStream(q, id));
  }

  queryStreams(query: StreamQuery): Promise<Page<StreamRecord>> {
    return this.read((q) => streams.queryStreams(q, query));
  }

  countStreams(query: StreamQuery): Promise<number> {
    return this.read((q) => streams.countStreams(q, query));
  }

  streamEvents(id: number): Promise<WaymarkEvent[]> {
    return this.read((q) => streams.streamEvents(q, id));
  }

  streamsOfEvent(messageId: string): Promise<number[]> {
    return this.read((q) => streams.streamsOfEvent(q, messageId));
  }

  meterSamples(meter?: string): Promise<MeterSample[]> {
    return this.read((q) => records.meterSamples(q, meter));
  }

  pipelineOutcomes(query: { streamId?: number; limit?: number }): Promise<PipelineOutcome[]> {
    return this.read((q) => records.pipelineOutcomes(q, query));
  }

  deadLetters(query: { limit?: number }): Promise<DeadLetter[]> {
    return this.read((q) => records.deadLetters(q, query));
  }

  countDeadLetters(): Promise<number> {
    return this.read((q) => records.countDeadLetters(q));
  }

  purgeCompletedStreams(before: Instant): Promise<number> {
    return this.write('purgeCompletedStreams', (client) =>
      housekeeping.purgeCompletedStreams(queryOn(client), before),
    );
  }

  trimEvents(before: Instant): Promise<number> {
    return this.write('trimEvents', (client) => housekeeping.trimEvents(queryOn(client), before));
  }

  // --- the analysis port (src/analysis) ---

  /** Through a cursor on a connection of its own, in one read-only snapshot. */
  async *scanPhaseRuns(set: PhaseSet, options: ScanOptions = {}): AsyncIterable<RunChunk> {
    const pool = this.pool;
    if (pool === undefined || this.closing !== undefined) throw this.closedError();
    const client = await pool.connect();
    let failed: unknown;
    try {
      yield* analysis.scanPhaseRuns(client, set, options);
    } catch (e) {
      failed = e;
      throw e;
    } finally {
      client.release(failed !== undefined && isConnectionError(failed) ? (failed as Error) : undefined);
    }
  }

  eventReport(query: EventReportQuery): Promise<EventReportRow[]> {
    return this.read((q) => analysis.eventReport(q, query));
  }

  // --- several workers ---

  /**
   * Retried while connections fail (a restarted server, terminated sessions),
   * with backoff from 50 ms to 1 s, for up to 10 s: a repeat stores nothing twice.
   */
  async enqueue(events: readonly WaymarkEvent[], deadLetters: readonly DeadLetter[]): Promise<EnqueueResult> {
    const giveUpAt = Date.now() + 10_000;
    for (let attempt = 0; ; attempt++) {
      try {
        const accepted = await this.write('enqueue', async (client) => {
          const n = await shared.enqueueEvents(client, events);
          if (deadLetters.length > 0) await writeBatch(client, { ...emptyBatch(), deadLetters });
          return n;
        });
        return { accepted, duplicates: events.length - accepted };
      } catch (e) {
        if (Date.now() >= giveUpAt || !isConnectionError((e as Error).cause) || this.closing !== undefined)
          throw e;
        await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt)));
      }
    }
  }

  queued(limit: number): Promise<QueuedEvent[]> {
    return this.read((q) => shared.queued(q, limit));
  }

  queueDepth(): Promise<number> {
    return this.read((q) => shared.queueDepth(q));
  }

  acquireLease(holder: string, ttlMs: number): Promise<Lease | undefined> {
    return this.read((q) => shared.acquireLease(q, holder, ttlMs));
  }

  renewLease(lease: Lease): Promise<boolean> {
    return this.read((q) => shared.renewLease(q, lease));
  }

  releaseLease(lease: Lease): Promise<void> {
    return this.read((q) => shared.releaseLease(q, lease));
  }

  leaseHolder(): Promise<{ holder: string; epoch: number; expiresInMs: number } | undefined> {
    return this.read((q) => shared.leaseHolder(q));
  }

  // --- internals ---

  private async doOpen(): Promise<void> {
    const pg = await loadPg();
    const { url } = this;
    const pool = new pg.Pool({
      connectionString: url.connectionString,
      max: url.pool,
      connectionTimeoutMillis: url.connectTimeoutMs,
      idleTimeoutMillis: url.idleTimeoutMs,
      statement_timeout: url.statementTimeoutMs,
      application_name: 'waymark',
      options: `-c search_path=${url.schema} -c synchronous_commit=on`,
      types: typeParsers(pg),
    });
    // An idle connection that fails (server restart, pg_terminate_backend) is dropped by the
    // pool; the next query opens a new one. Without a listener the error would end the process.
    pool.on('error', () => undefined);
    // A connection in use that fails also emits 'error' (besides failing its query, which is
    // what the store acts on): without a listener that would end the process.
    pool.on('connect', (c) => c.on('error', () => undefined));
    let client: PgClientSlice;
    try {
      client = await pool.connect();
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw connectError(url.redacted, e, url.connectTimeoutMs);
    }
    try {
      const version = await client.query({ text: 'SHOW server_version_num', rowMode: 'array' });
      checkServerVersion(String(version.rows[0]?.[0]), url.redacted);
      await migrate(client, url.schema, url.redacted);
      client.release();
    } catch (e) {
      client.release(true);
      await pool.end().catch(() => undefined);
      if (e instanceof WaymarkError) throw e;
      if (isConnectionError(e)) throw connectError(url.redacted, e, url.connectTimeoutMs);
      const denied = (e as { code?: unknown }).code === '42501';
      throw new PostgresSchemaError(
        `cannot create or migrate waymark's tables in schema ${url.schema} of ${url.redacted}: ${(e as Error).message}` +
          (denied ? '; the user needs CREATE on the database (or on the schema) the first time' : ''),
        { cause: e },
      );
    }
    this.pool = pool;
  }

  private closedError(): StoreClosedError {
    return new StoreClosedError(
      `the PostgreSQL store ${this.url.redacted} is ${this.closing === undefined ? 'not open: call open() first' : 'closed: open a new store to use it again'}`,
    );
  }

  private read<T>(fn: (q: Query) => Promise<T>): Promise<T> {
    const pool = this.pool;
    if (pool === undefined || this.closing !== undefined) return Promise.reject(this.closedError());
    return fn(queryOn(pool));
  }

  /** Several reads in one REPEATABLE READ transaction: they all see the same commit. */
  private async snapshot<T>(fn: (q: Query) => Promise<T>): Promise<T> {
    const pool = this.pool;
    if (pool === undefined || this.closing !== undefined) throw this.closedError();
    const client = await pool.connect();
    const q = queryOn(client);
    try {
      await q('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const result = await fn(q);
      await q('COMMIT');
      client.release();
      return result;
    } catch (e) {
      await q('ROLLBACK').catch(() => undefined);
      client.release(isConnectionError(e) ? (e as Error) : undefined);
      throw e;
    }
  }

  /** A connection with a transaction begun; a connection found broken at BEGIN is replaced once. */
  private async begin(pool: PgPoolSlice): Promise<PgClientSlice> {
    for (let attempt = 1; ; attempt++) {
      const client = await pool.connect();
      try {
        await client.query({ text: 'BEGIN', rowMode: 'array' });
        return client;
      } catch (e) {
        client.release(e as Error);
        if (attempt >= 2 || !isConnectionError(e)) throw e;
      }
    }
  }

  /** Queue a write transaction behind the others. */
  private write<T>(what: string, work: (client: PgClientSlice) => Promise<T>): Promise<T> {
    const pool = this.pool;
    if (pool === undefined || this.closing !== undefined) return Promise.reject(this.closedError());
    const run = async (): Promise<T> => {
      let client: PgClientSlice;
      try {
        client = await this.begin(pool);
      } catch (e) {
        throw new StoreCommitError(
          `${what} failed, nothing of it was written: cannot reach PostgreSQL at ${this.url.redacted}: ${(e as Error).message}`,
          { cause: e },
        );
      }
      let committing = false;
      try {
        const result = await work(client);
        committing = true;
        await client.query({ text: 'COMMIT', rowMode: 'array' });
        client.release();
        return result;
      } catch (e) {
        const broken = isConnectionError(e);
        if (!committing && !broken)
          await client.query({ text: 'ROLLBACK', rowMode: 'array' }).catch(() => undefined);
        client.release(broken ? (e as Error) : undefined);
        const message = e instanceof Error ? e.message : String(e);
        throw new StoreCommitError(
          committing && broken
            ? `${what}: the connection to ${this.url.redacted} failed during COMMIT, so the batch may or may not ` +
                `be stored (a restart reads what is): ${message}`
            : `${what} failed and was rolled back, nothing of it was written: ${message}`,
          { cause: e },
        );
      }
    };
    const p = this.tail.then(run);
    this.tail = p.catch(() => undefined);
    return p;
  }
}
