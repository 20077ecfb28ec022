import type { TraitValue, WaymarkEvent } from '../model/event.js';
import type { Instant } from '../model/instant.js';
import type { DistinguishingValue } from '../engine/trigger.js';

/**
 * The Store port: everything waymark keeps. The engine, the server and the CLI
 * use only this interface; `duckdb/` (embedded default), `memory/` (tests, scratch
 * backtests) and `postgres/` implement it and pass one behavioural suite
 * (test/store/store-suite.ts).
 *
 * Writes arrive as one {@link StoreBatch} per commit: all of it is durable when
 * `commit` resolves, or none of it is (it rejects). The engine acknowledges
 * events to their sources only after that.
 */
export interface Store {
  /** `duckdb`, `memory`, `postgres`. */
  readonly name: string;
  readonly capabilities: StoreCapabilities;

  /** Create or migrate the schema (numbered migrations, recorded in the store). Idempotent. */
  open(): Promise<void>;
  /** Idempotent; waits for the commit in progress. */
  close(): Promise<void>;

  /** Apply a batch atomically and durably. */
  commit(batch: StoreBatch): Promise<void>;

  /**
   * What the adapter does in the background, for `/v1/health` (the DuckDB
   * store's run marks: how far each trait is folded, and the last fold
   * error). Optional: stores without background work leave it out.
   */
  backgroundStatus?(): Promise<Record<string, unknown>>;

  // --- what the engine needs at start-up ---
  /** Every stream not `completed`, with its events sorted by timestamp then message_id. */
  loadOpenStreams(): Promise<OpenStream[]>;
  /** The largest stream id ever used (0 for an empty store); ids are never reused. */
  maxStreamId(): Promise<number>;
  /** The message ids, among `ids`, already stored. */
  existingMessageIds(ids: readonly string[]): Promise<Set<string>>;
  /** The message ids of stored events with `timestamp >= since` (to warm the duplicate filter). */
  messageIdsSince(since: Instant): Promise<string[]>;
  /**
   * The latest event timestamp stored, if any (the event-time clock resumes
   * from it); a {@link SharedStore} leaves out the events still queued.
   */
  latestEventTimestamp(): Promise<Instant | undefined>;

  // --- queries (API, CLI, backtest, verify) ---
  getEvent(messageId: string): Promise<WaymarkEvent | undefined>;
  queryEvents(query: EventQuery): Promise<Page<WaymarkEvent>>;
  countEvents(query: EventQuery): Promise<number>;
  getStream(id: number): Promise<StreamRecord | undefined>;
  queryStreams(query: StreamQuery): Promise<Page<StreamRecord>>;
  countStreams(query: StreamQuery): Promise<number>;
  /** A stream's events sorted by timestamp then message_id. */
  streamEvents(id: number): Promise<WaymarkEvent[]>;
  /** The ids of the streams an event belongs to. */
  streamsOfEvent(messageId: string): Promise<number[]>;
  /** Every meter sample and counter increment committed, oldest first, optionally for one meter. */
  meterSamples(meter?: string): Promise<MeterSample[]>;
  /** Pipeline outcomes, newest first, optionally of one stream. */
  pipelineOutcomes(query: { streamId?: number; limit?: number }): Promise<PipelineOutcome[]>;
  /** Dead letters, newest first. */
  deadLetters(query: { limit?: number }): Promise<DeadLetter[]>;
  countDeadLetters(): Promise<number>;

  // --- housekeeping ---
  /** Delete `completed` streams (and their membership) that completed before `before`; returns how many. */
  purgeCompletedStreams(before: Instant): Promise<number>;
  /** Delete events older than `before` (by timestamp) that belong to no stream that is not completed; returns how many. */
  trimEvents(before: Instant): Promise<number>;
}

/** What an adapter can do (Kysely-style flags rather than `instanceof`). */
export interface StoreCapabilities {
  /** Several waymark processes may share it (PostgreSQL). */
  readonly supportsConcurrentWorkers: boolean;
  readonly supportsSkipLocked: boolean;
  /** Survives a restart (not the memory store). */
  readonly durable: boolean;
}

export type StreamState = 'active' | 'ready' | 'firing' | 'expiring' | 'completed' | 'error' | 'expire_error';
export const STREAM_STATES: readonly StreamState[] = [
  'active',
  'ready',
  'firing',
  'expiring',
  'completed',
  'error',
  'expire_error',
];

/** A stream row. The JSON shape of product.md is made from it by `streamToJSON` (src/engine). */
export interface StreamRecord {
  readonly id: number;
  readonly trigger: string;
  /** Canonical key of (trigger, distinguishing values): at most one stream accepting events (`active`, `ready`) per key. */
  readonly key: string;
  readonly state: StreamState;
  readonly distinguishedBy: Readonly<Record<string, DistinguishingValue>>;
  /** Earliest and latest event timestamp in the stream. */
  readonly first: Instant;
  readonly last: Instant;
  readonly fireAt: Instant | null;
  readonly expireAt: Instant | null;
  readonly eventCount: number;
  readonly outcome: 'fired' | 'expired' | null;
  /** Pipeline runs so far in the current firing/expiring (0 before the first). */
  readonly attempts: number;
  /** When a stream in `error` / `expire_error` is retried next. */
  readonly retryAt: Instant | null;
  readonly lastError: string | null;
  /** Clock time of the last state change. */
  readonly updatedAt: Instant;
}

export interface OpenStream {
  readonly stream: StreamRecord;
  readonly events: WaymarkEvent[];
}

/** One commit's worth of changes. Any list may be empty. */
export interface StoreBatch {
  /** New events (the engine has dropped duplicates; a stored message_id is ignored, not an error). */
  readonly events: readonly WaymarkEvent[];
  /** New memberships. */
  readonly memberships: readonly { readonly streamId: number; readonly messageId: string }[];
  /** Inserted or replaced whole (by id). */
  readonly streams: readonly StreamRecord[];
  /** Deleted with their memberships (the events stay). */
  readonly deletedStreams: readonly number[];
  readonly deadLetters: readonly DeadLetter[];
  readonly outcomes: readonly PipelineOutcome[];
  readonly meterSamples: readonly MeterSample[];
  /**
   * Shared stores ({@link SharedStore}) only: the queue entries
   * ({@link QueuedEvent.seq}) this batch correlated, deleted in its transaction.
   */
  readonly dequeued?: readonly number[];
  /**
   * Shared stores only: the batch commits only while this lease is still the
   * one held ({@link LeaseLostError} otherwise, nothing written); it also
   * extends the lease.
   */
  readonly fence?: Lease;
}

/**
 * A store several waymark processes share (PostgreSQL). Every worker ingests:
 * {@link SharedStore.enqueue} stores the events and queues the new ones for
 * correlation, durably, before the source is acknowledged. One worker at a
 * time, the holder of the correlator lease, runs the engine: it takes the queue
 * in order ({@link SharedStore.queued}), and commits what the events did to
 * streams with the queue entries it consumed ({@link StoreBatch.dequeued})
 * under the lease ({@link StoreBatch.fence}). A worker that stops renewing
 * loses the lease when it expires; the next holder's first commit makes every
 * later commit of the old holder fail. See docs/scale-out.md.
 */
export interface SharedStore extends Store {
  /**
   * Store events (duplicates of stored message ids, or within the list, are
   * dropped) and dead letters in one transaction, queueing the new events for
   * correlation. Safe to repeat after a failure: a repeated event is a duplicate.
   */
  enqueue(events: readonly WaymarkEvent[], deadLetters: readonly DeadLetter[]): Promise<EnqueueResult>;
  /** The oldest queued events, in queue order, at most `limit`. */
  queued(limit: number): Promise<QueuedEvent[]>;
  /** How many events wait for correlation. */
  queueDepth(): Promise<number>;
  /**
   * Take the correlator lease for `ttlMs` (on the database's clock) when it is
   * free, expired, or already `holder`'s; each success is a new epoch.
   */
  acquireLease(holder: string, ttlMs: number): Promise<Lease | undefined>;
  /** Extend a held lease; false when it is no longer held (taken over). */
  renewLease(lease: Lease): Promise<boolean>;
  /** Give the lease up now (a clean shutdown), so another worker need not wait for it to expire. */
  releaseLease(lease: Lease): Promise<void>;
  /** Who holds the correlator lease, if anyone (an expired lease is reported as such). */
  leaseHolder(): Promise<{ holder: string; epoch: number; expiresInMs: number } | undefined>;
}

export interface EnqueueResult {
  accepted: number;
  duplicates: number;
}

/** An event stored by {@link SharedStore.enqueue}, waiting for the correlator. */
export interface QueuedEvent {
  readonly seq: number;
  readonly event: WaymarkEvent;
}

/** The correlator lease as one worker holds it. */
export interface Lease {
  readonly holder: string;
  readonly epoch: number;
  readonly ttlMs: number;
}

export function isSharedStore(store: Store): store is SharedStore {
  return store.capabilities.supportsConcurrentWorkers && 'enqueue' in store;
}

export function emptyBatch(): StoreBatch {
  return {
    events: [],
    memberships: [],
    streams: [],
    deletedStreams: [],
    deadLetters: [],
    outcomes: [],
    meterSamples: [],
  };
}

/** Input that could not become an event: kept with the reason, never lost. */
export interface DeadLetter {
  /** Assigned by the store; absent on write. */
  readonly id?: number;
  readonly received: Instant;
  /** `http`, `file:<name>`, `amqp:<queue>`, `pipeline:<name>`. */
  readonly source: string;
  readonly reason: string;
  /** The raw input (a JSON line, a message body), truncated by the caller to a sane size. */
  readonly payload: string;
}

export interface PipelineOutcome {
  readonly streamId: number;
  readonly pipeline: string;
  readonly kind: 'fire' | 'expire';
  readonly attempt: number;
  readonly status: 'committed' | 'error';
  readonly error: string | null;
  readonly started: Instant;
  readonly finished: Instant;
  /** How many events the run emitted (fed back into the engine). */
  readonly emitted: number;
}

/** A committed meter sample (`kind: 'sample'`) or counter increment (`kind: 'count'`). */
export interface MeterSample {
  readonly meter: string;
  readonly kind: 'sample' | 'count';
  readonly value: number;
  readonly streamId: number;
  readonly at: Instant;
}

export type ComparisonOp = 'lt' | 'le' | 'eq' | 'ne' | 'ge' | 'gt';

/** A trait condition: numbers compare numerically, datetimes by time, text by code units. */
export interface TraitFilter {
  readonly trait: string;
  readonly op: ComparisonOp;
  readonly value: TraitValue;
}

export interface EventQuery {
  /** Event types; an entry with `*` or `?` is a glob. */
  readonly types?: readonly string[];
  /** `timestamp >= from` */
  readonly from?: Instant;
  /** `timestamp < to` */
  readonly to?: Instant;
  readonly traits?: readonly TraitFilter[];
  /** Default 100; the adapter caps it at 10,000. */
  readonly limit?: number;
  /** The `next` of the previous page. */
  readonly marker?: string;
}

export interface StreamQuery {
  readonly states?: readonly StreamState[];
  readonly trigger?: string;
  /** Streams whose distinguishing values include these (compared as strings: ISO for datetimes). */
  readonly distinguishedBy?: Readonly<Record<string, string>>;
  /** `last < olderThan` */
  readonly olderThan?: Instant;
  /** `last >= youngerThan` */
  readonly youngerThan?: Instant;
  readonly limit?: number;
  readonly marker?: string;
}

/** Events sort by (timestamp, message_id), streams by id. `next` is absent on the last page. */
export interface Page<T> {
  readonly items: T[];
  readonly next?: string;
}
