import { resolve } from 'node:path';
import type { WaymarkEvent } from '../../model/event.js';
import type { Instant } from '../../model/instant.js';
import { StoreClosedError, StoreCommitError } from '../store-errors.js';
import type {
  DeadLetter,
  EventQuery,
  MeterSample,
  OpenStream,
  Page,
  PipelineOutcome,
  Store,
  StoreBatch,
  StoreCapabilities,
  StreamQuery,
  StreamRecord,
} from '../store.js';
import type {
  EventReportQuery,
  EventReportRow,
  PhaseAnalysisSource,
  RunChunk,
  ScanOptions,
} from '../../analysis/analysis-port.js';
import type { PhaseSet } from '../../analysis/phase-definitions.js';
import * as analysis from './analysis-queries.js';
import type { DuckDBConnectionSlice, DuckDBInstanceSlice } from './duckdb-client.js';
import { loadDuckDB } from './duckdb-client.js';
import { openError, StoreLockedError } from './duckdb-errors.js';
import * as events from './event-queries.js';
import * as housekeeping from './housekeeping.js';
import { loadMessageIdFilter, type MessageIdFilter } from './message-id-filter.js';
import { migrate } from './migrations.js';
import { ReadPool, type Query } from './read-pool.js';
import * as records from './record-queries.js';
import * as streams from './stream-queries.js';
import {
  foldStep,
  marksAnswer,
  marksLag,
  markTrait,
  marksCoverTraits,
  remarkAfterTrim,
  scanRunMarks,
  type TraitMarks,
} from './run-marks.js';
import { loadWriterState, writeBatch, type WriterState } from './write-batch.js';

export interface DuckDBStoreOptions {
  /** The database file (created if absent), or `:memory:` for a store that lives as long as the process. */
  readonly path: string;
  /** Connections for concurrent reads (default 4); writes use one more. */
  readonly readConnections?: number;
  /**
   * Room in the in-memory filter of stored message ids before it is rebuilt
   * bigger (default 1,048,576 ids, 3 MB; it grows to twice the stored events).
   */
  readonly duplicateFilterCapacity?: number;
  /** DuckDB settings at open, e.g. `{ threads: '2', memory_limit: '1GB' }`; `checkpoint_threshold` defaults to 256MB. */
  readonly settings?: Readonly<Record<string, string>>;
  /**
   * Keep run marks (run-marks.ts) and answer the phase scans they can from
   * them (default true). Off, every phase scan reads the raw events.
   */
  readonly runMarks?: boolean;
  /** Unfolded events after which a commit starts a fold in the background (default 100,000). */
  readonly foldAfter?: number;
  /** A phase scan folds up to this many unfolded events first; with more it reads the raw events (default 250,000). */
  readonly foldBeforeScan?: number;
}

const FOLD_AFTER = 100_000;
const FOLD_BEFORE_SCAN = 250_000;

/**
 * DuckDB checkpoints (folds the WAL into the file) inside the commit that
 * pushes the WAL past `checkpoint_threshold` (16 MB by default). Measured on
 * 600,000 distilled events: at 16 MB commits ran at 15,000 events/s with
 * pauses growing to 3.8 s; at 256 MB, 31,000 events/s, pauses of ~1.4 s every
 * ~250,000 events, and replaying a 214 MB WAL after a crash took 1 s at open.
 */
const DEFAULT_SETTINGS: Readonly<Record<string, string>> = { checkpoint_threshold: '256MB' };

/** Files open in this process: DuckDB's file lock only keeps other processes out. */
const OPEN_FILES = new Set<string>();

/**
 * The embedded store: one DuckDB file, one writing process. `@duckdb/node-api`
 * is loaded on `open()`, not on import.
 *
 * Commits run one at a time (the rest queue) on a writer connection, each in
 * one transaction. On COMMIT DuckDB appends the transaction to the write-ahead
 * log (`<file>.wal`) and fsyncs it before returning (strace on 1.5.6: one
 * `fsync` of the .wal per commit), so a batch is durable when `commit`
 * resolves; every ~16 MB of WAL a commit also checkpoints into the main file
 * (DuckDB's `checkpoint_threshold`), which makes that commit slower.
 * Reads use other connections and see the last committed state, never a
 * commit in progress.
 *
 * ```ts
 * const store = DuckDBStore.create({ path: 'waymark.duckdb' });
 * await store.open(); // creates or migrates the schema
 * await store.commit({ ...emptyBatch(), events });
 * await store.close();
 * ```
 */
export class DuckDBStore implements Store, PhaseAnalysisSource {
  readonly name = 'duckdb';
  readonly capabilities: StoreCapabilities;

  private instance: DuckDBInstanceSlice | undefined;
  private writer: DuckDBConnectionSlice | undefined;
  private pool: ReadPool | undefined;
  private state: WriterState = {
    maxStreamId: 0,
    nextDeadLetterId: 1,
    nextOutcomeSeq: 1,
    nextSampleSeq: 1,
    nextEventSeq: 1,
  };
  /** The run marks' own connection (folds run beside the writer), and the fold in progress. */
  private marksConn: DuckDBConnectionSlice | undefined;
  private marksTail: Promise<unknown> = Promise.resolve();
  private folding: Promise<void> | undefined;
  /** Stored events not folded into the run marks yet (as of the last count, plus commits since). */
  private unfolded = 0;
  /** The last background fold's error, until a fold succeeds. */
  private marksError: string | undefined;
  private opening: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private fileKey: string | undefined;
  /** The ids stored, for commits' duplicate check; see message-id-filter.ts. */
  private filter: MessageIdFilter | undefined;

  private constructor(private readonly options: DuckDBStoreOptions) {
    this.capabilities = {
      supportsConcurrentWorkers: false,
      supportsSkipLocked: false,
      durable: options.path !== ':memory:',
    };
  }

  /** A store on `options.path`; nothing is opened until {@link DuckDBStore.open}. */
  static create(options: DuckDBStoreOptions): DuckDBStore {
    return new DuckDBStore(options);
  }

  /** The file (or `:memory:`) this store is on. */
  get path(): string {
    return this.options.path;
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
      await this.folding; // stops after the step in progress
      await this.marksTail;
      await this.tail;
      await this.pool?.close();
      this.writer?.closeSync();
      this.marksConn?.closeSync();
      this.instance?.closeSync();
      if (this.fileKey !== undefined) OPEN_FILES.delete(this.fileKey);
      this.pool = this.writer = this.marksConn = this.instance = undefined;
    })();
    return this.closing;
  }

  commit(batch: StoreBatch): Promise<void> {
    return this.write(
      'commit',
      async (conn) => {
        // Built on the first commit (queries never need it), rebuilt bigger when full.
        if (this.filter === undefined || this.filter.full)
          this.filter = await loadMessageIdFilter(conn, this.options.duplicateFilterCapacity);
        return writeBatch(conn, batch, this.state, this.filter);
      },
      ({ state, inserted }) => {
        this.state = state;
        for (const e of inserted) this.filter?.add(e.hash);
        this.unfolded += inserted.length;
        if (this.unfolded >= (this.options.foldAfter ?? FOLD_AFTER)) this.foldInBackground();
      },
    ).then(() => undefined);
  }

  loadOpenStreams(): Promise<OpenStream[]> {
    return this.snapshot((q) => streams.loadOpenStreams(q));
  }

  maxStreamId(): Promise<number> {
    return this.read(() => Promise.resolve(this.state.maxStreamId));
  }

  existingMessageIds(ids: readonly string[]): Promise<Set<string>> {
    return this.read((q) => events.existingMessageIds(q, ids));
  }

  messageIdsSince(since: Instant): Promise<string[]> {
    return this.read((q) => events.messageIdsSince(q, since));
  }

  latestEventTimestamp(): Promise<Instant | undefined> {
    return this.read((q) => events.latestEventTimestamp(q));
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
    return this.snapshot((q) => streams.streamEvents(q, id));
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

  async *scanPhaseRuns(set: PhaseSet, options: ScanOptions = {}): AsyncIterable<RunChunk> {
    const pool = this.pool;
    if (pool === undefined || this.closing !== undefined) throw this.closedError();
    const limit = this.options.foldBeforeScan ?? FOLD_BEFORE_SCAN;
    let marks = false;
    const marksConn = this.marksConn;
    if (marksConn !== undefined && marksAnswer(set, options)) {
      const lag = (await this.withMarks(() => marksLag(marksConn))).find((t) => t.trait === set.groupBy);
      if (lag === undefined) {
        // Marked from now on: this report reads the raw events, the next writer folds the marks.
        await this.withMarks(() => markTrait(marksConn, set.groupBy));
        await this.recountUnfolded();
      } else if (lag.unfolded <= limit) {
        await this.foldRunMarks(undefined, set.groupBy);
        const wantsTraits = (options.traits ?? set.traits).some((t) => set.traits.includes(t));
        marks = !wantsTraits || (await this.withMarks(() => marksCoverTraits(marksConn, set)));
      }
    }
    const { conn, release } = await pool.lease();
    try {
      yield* marks ? scanRunMarks(conn, set, options) : analysis.scanPhaseRuns(conn, set, options);
    } finally {
      release();
    }
  }

  /**
   * Fold every stored event into the run marks (run-marks.ts) of every marked
   * trait, or of `trait` alone, a step at a time; resolves when they are
   * current (or the store closes). Commits do this in the background every
   * `foldAfter` events; call it to build the marks of a store written
   * otherwise (e.g. by SQL). `progress` gets the events folded so far and the
   * total to fold.
   */
  async foldRunMarks(progress?: (folded: number, total: number) => void, trait?: string): Promise<void> {
    const conn = this.marksConn;
    if (conn === undefined || this.closing !== undefined) throw this.closedError();
    const lags = await this.withMarks(() => marksLag(conn));
    const total = lags
      .filter((t) => trait === undefined || t.trait === trait)
      .reduce((n, t) => n + t.unfolded, 0);
    let folded = 0;
    for (;;) {
      if (this.closing !== undefined) return;
      const n = await this.withMarks(() => foldStep(conn, trait));
      if (n === 0) break;
      folded += n;
      progress?.(Math.min(folded, total), total);
    }
    await this.recountUnfolded();
  }

  /** The marks of each marked trait: how far they are folded, and how many runs they hold. */
  runMarksStatus(): Promise<TraitMarks[]> {
    const conn = this.marksConn;
    if (conn === undefined || this.closing !== undefined) return Promise.reject(this.closedError());
    return this.withMarks(() => marksLag(conn, true));
  }

  /** `unfolded`: the stored events the marked trait furthest behind has not folded. */
  private async recountUnfolded(): Promise<void> {
    const conn = this.marksConn;
    if (conn === undefined) return;
    const lags = await this.withMarks(() => marksLag(conn));
    this.unfolded = lags.reduce((n, t) => Math.max(n, t.unfolded), 0);
  }

  /** The run marks for `/v1/health`: per marked trait how far it is folded, and the last background fold's error. */
  async backgroundStatus(): Promise<Record<string, unknown>> {
    if (this.marksConn === undefined) return { run_marks: null };
    const marks = await this.runMarksStatus();
    return {
      run_marks: {
        traits: marks.map((m) => ({
          trait: m.trait,
          runs: m.runs,
          folded_seq: m.foldedSeq,
          unfolded: m.unfolded,
        })),
        last_error: this.marksError ?? null,
      },
    };
  }

  private foldInBackground(): void {
    if (this.folding !== undefined || this.marksConn === undefined) return;
    this.folding = this.foldRunMarks()
      .then(() => {
        this.marksError = undefined;
      })
      // A failed fold leaves the marks behind: scans read the raw events once
      // `foldBeforeScan` events are unfolded, and the next commit tries again.
      .catch((e: unknown) => {
        if (this.closing === undefined) this.marksError = e instanceof Error ? e.message : String(e);
      })
      .finally(() => {
        this.folding = undefined;
      });
  }

  /** Run marks work one piece at a time (folds, and a trim's re-marking). */
  private withMarks<T>(work: () => Promise<T>): Promise<T> {
    const p = this.marksTail.then(work);
    this.marksTail = p.catch(() => undefined);
    return p;
  }

  eventReport(query: EventReportQuery): Promise<EventReportRow[]> {
    return this.read((q) => analysis.eventReport(q, query));
  }

  purgeCompletedStreams(before: Instant): Promise<number> {
    return this.write('purgeCompletedStreams', (conn) =>
      housekeeping.purgeCompletedStreams(conn, before, this.state.maxStreamId),
    );
  }

  trimEvents(before: Instant): Promise<number> {
    return this.withMarks(() =>
      this.write('trimEvents', async (conn) => {
        const n = await housekeeping.trimEvents(conn, before);
        if (n > 0 && this.marksConn !== undefined) await remarkAfterTrim(conn, BigInt(before.us));
        return n;
      }),
    );
  }

  // --- internals ---

  private async doOpen(): Promise<void> {
    const { path } = this.options;
    const duckdb = await loadDuckDB();
    const key = path === ':memory:' ? undefined : resolve(path);
    if (key !== undefined && OPEN_FILES.has(key)) {
      throw new StoreLockedError(
        `the DuckDB file ${key} is already open in this process; share that store instead of opening the file twice`,
      );
    }
    let instance: DuckDBInstanceSlice;
    try {
      instance = await duckdb.DuckDBInstance.create(path, { ...DEFAULT_SETTINGS, ...this.options.settings });
    } catch (e) {
      throw openError(path, e);
    }
    if (key !== undefined) OPEN_FILES.add(key);
    let writer: DuckDBConnectionSlice | undefined;
    let marksConn: DuckDBConnectionSlice | undefined;
    try {
      writer = await instance.connect();
      await migrate(writer, path);
      this.state = await loadWriterState(writer);
      if (this.options.runMarks ?? true) {
        marksConn = await instance.connect();
        this.unfolded = (await marksLag(marksConn)).reduce((n, t) => Math.max(n, t.unfolded), 0);
      }
    } catch (e) {
      writer?.closeSync();
      marksConn?.closeSync();
      instance.closeSync();
      if (key !== undefined) OPEN_FILES.delete(key);
      throw e;
    }
    this.instance = instance;
    this.writer = writer;
    this.marksConn = marksConn;
    this.fileKey = key;
    this.pool = new ReadPool(instance, this.options.readConnections ?? 4);
  }

  private closedError(): StoreClosedError {
    return new StoreClosedError(
      `the DuckDB store ${this.options.path} is ${this.closing === undefined ? 'not open: call open() first' : 'closed: open a new store to use it again'}`,
    );
  }

  private read<T>(fn: (q: Query) => Promise<T>): Promise<T> {
    const pool = this.pool;
    if (pool === undefined || this.closing !== undefined) return Promise.reject(this.closedError());
    return fn(pool.read);
  }

  private snapshot<T>(fn: (q: Query) => Promise<T>): Promise<T> {
    const pool = this.pool;
    if (pool === undefined || this.closing !== undefined) return Promise.reject(this.closedError());
    return pool.snapshot(fn);
  }

  /**
   * Queue a write transaction behind the others. `committed` runs after
   * COMMIT succeeds and before the next write starts.
   */
  private write<T>(
    what: string,
    work: (conn: DuckDBConnectionSlice) => Promise<T>,
    committed?: (result: T) => void,
  ): Promise<T> {
    const writer = this.writer;
    if (writer === undefined || this.closing !== undefined) return Promise.reject(this.closedError());
    const run = async (): Promise<T> => {
      await writer.run('BEGIN TRANSACTION');
      let result: T;
      try {
        result = await work(writer);
        await writer.run('COMMIT');
      } catch (e) {
        await writer.run('ROLLBACK').catch(() => undefined);
        const message = e instanceof Error ? e.message : String(e);
        throw new StoreCommitError(
          `${what} failed and was rolled back, nothing of it was written: ${message}`,
          {
            cause: e,
          },
        );
      }
      committed?.(result);
      return result;
    };
    const p = this.tail.then(run);
    this.tail = p.catch(() => undefined);
    return p;
  }
}
