/**
 * The slice of `@duckdb/node-api` the DuckDB store uses, described here rather
 * than imported, so the rest of waymark compiles and starts without loading
 * DuckDB; {@link loadDuckDB} imports the real client on first use.
 */
import { DuckDBUnavailableError } from './duckdb-errors.js';

/** A bound parameter: BIGINT columns take `bigint`, VARCHAR `string`, DOUBLE `number`. */
export type SqlParam = string | number | bigint | boolean | null;

export interface DuckDBReaderSlice {
  /** Rows of DuckDB values: BIGINT as `bigint`, INTEGER and DOUBLE as `number`, VARCHAR as `string`, NULL as `null`. */
  getRows(): unknown[][];
}

export interface DuckDBAppenderSlice {
  appendVarchar(value: string): void;
  appendBigInt(value: bigint): void;
  appendDouble(value: number): void;
  appendNull(): void;
  endRow(): void;
  /** Writes the buffered rows into the connection's transaction; throws on a constraint violation. */
  flushSync(): void;
  /** Drops the rows not flushed yet. */
  clear(): void;
  closeSync(): void;
}

/** One chunk of a streamed result. */
export interface DuckDBChunkSlice {
  readonly rowCount: number;
  getColumnValues(column: number): unknown[];
  /** The column's vector (a DOUBLE vector keeps its values in a Float64Array `items`). */
  getColumnVector?(column: number): unknown;
}

/** A result read chunk by chunk (about 2,048 rows each); `null` or an empty chunk at the end. */
export interface DuckDBStreamSlice {
  fetchChunk(): Promise<DuckDBChunkSlice | null>;
}

export interface DuckDBConnectionSlice {
  run(sql: string, values?: SqlParam[]): Promise<{ readonly rowsChanged: number }>;
  runAndReadAll(sql: string, values?: SqlParam[]): Promise<DuckDBReaderSlice>;
  stream(sql: string, values?: SqlParam[]): Promise<DuckDBStreamSlice>;
  createAppender(
    table: string,
    schema?: string | null,
    catalog?: string | null,
  ): Promise<DuckDBAppenderSlice>;
  closeSync(): void;
}

export interface DuckDBInstanceSlice {
  connect(): Promise<DuckDBConnectionSlice>;
  closeSync(): void;
}

export interface DuckDBClientSlice {
  readonly DuckDBInstance: {
    create(path: string, options?: Record<string, string>): Promise<DuckDBInstanceSlice>;
  };
}

let client: Promise<DuckDBClientSlice> | undefined;

/** Import `@duckdb/node-api` once; throws {@link DuckDBUnavailableError} when it is not installed. */
export function loadDuckDB(): Promise<DuckDBClientSlice> {
  client ??= import('@duckdb/node-api').then(
    (m) => m as unknown as DuckDBClientSlice,
    (cause: unknown) => {
      client = undefined;
      throw new DuckDBUnavailableError(
        'the DuckDB store needs the @duckdb/node-api package, which could not be loaded; ' +
          'reinstall waymark with its dependencies (npm install), or use --store memory: for a scratch run',
        { cause },
      );
    },
  );
  return client;
}

/** Read a BIGINT/INTEGER cell as a JS number (exact below 2^53: microseconds until the year 2255). */
export function num(v: unknown): number {
  return typeof v === 'bigint' ? Number(v) : (v as number);
}

/** Read a nullable BIGINT cell. */
export function numOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : num(v);
}
