/**
 * The store: the {@link Store} port, the memory store and {@link openStore},
 * which loads the DuckDB adapter (and DuckDB itself) only for `duckdb:` URLs,
 * the PostgreSQL adapter (and `pg`) only for `postgresql://` ones.
 */
export { STREAM_STATES, emptyBatch, isSharedStore } from './store.js';
export type {
  Store,
  StoreBatch,
  StoreCapabilities,
  StreamRecord,
  StreamState,
  OpenStream,
  DeadLetter,
  PipelineOutcome,
  MeterSample,
  ComparisonOp,
  TraitFilter,
  EventQuery,
  StreamQuery,
  Page,
  SharedStore,
  EnqueueResult,
  QueuedEvent,
  Lease,
} from './store.js';
export { MemoryStore } from './memory/memory-store.js';
export { openStore } from './open-store.js';
export {
  StoreClosedError,
  StoreCommitError,
  InvalidMarkerError,
  InvalidQueryError,
  UnsupportedStoreError,
  StoreSchemaTooNewError,
  LeaseLostError,
} from './store-errors.js';
export { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from './page-marker.js';
export type { DuckDBStoreOptions } from './duckdb/duckdb-store.js';
export { StoreLockedError, StoreFileError, DuckDBUnavailableError } from './duckdb/duckdb-errors.js';
export type { PostgresStoreOptions } from './postgres/postgres-store.js';
export type { PostgresUrl } from './postgres/postgres-url.js';
export { parsePostgresUrl, redactPostgresUrl } from './postgres/postgres-url.js';
export {
  PostgresConnectionError,
  PostgresSchemaError,
  PostgresUnavailableError,
  UnsupportedPostgresVersionError,
} from './postgres/postgres-errors.js';
export { MIN_SERVER_VERSION_NUM } from './postgres/server-version.js';
