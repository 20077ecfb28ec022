/**
 * The store: the {@link Store} port, the memory store and {@link openStore},
 * which loads the DuckDB adapter (and DuckDB itself) only for `duckdb:` URLs.
 */
export { STREAM_STATES, emptyBatch } from './store.js';
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
} from './store.js';
export { MemoryStore } from './memory/memory-store.js';
export { openStore } from './open-store.js';
export {
  StoreClosedError,
  StoreCommitError,
  InvalidMarkerError,
  InvalidQueryError,
  UnsupportedStoreError,
} from './store-errors.js';
export { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from './page-marker.js';
export type { DuckDBStoreOptions } from './duckdb/duckdb-store.js';
export {
  StoreLockedError,
  StoreFileError,
  StoreSchemaTooNewError,
  DuckDBUnavailableError,
} from './duckdb/duckdb-errors.js';
