/**
 * The slice of `pg` the PostgreSQL store uses, described here rather than
 * imported (as Kysely does), so the rest of waymark compiles and starts without
 * loading `pg`; {@link loadPg} imports the real client on first use.
 */
import { PostgresUnavailableError } from './postgres-errors.js';

/** A query: fixed text with a `name` is prepared once per connection and reused. */
export interface PgQuery {
  readonly text: string;
  readonly name?: string;
  readonly values?: readonly unknown[];
  readonly rowMode: 'array';
}

export interface PgResultSlice {
  readonly rows: unknown[][];
  readonly rowCount: number | null;
}

export interface PgClientSlice {
  query(q: PgQuery): Promise<PgResultSlice>;
  /** Back to the pool; with an error, the connection is closed instead. */
  release(err?: Error | boolean): void;
}

export interface PgPoolSlice {
  connect(): Promise<PgClientSlice>;
  query(q: PgQuery): Promise<PgResultSlice>;
  end(): Promise<void>;
  /** Errors of idle connections (a restarted server, `pg_terminate_backend`): the pool drops them. */
  on(event: 'error', listener: (err: Error) => void): unknown;
  /** Each new connection, once. */
  on(
    event: 'connect',
    listener: (client: { on(event: 'error', listener: (err: Error) => void): unknown }) => void,
  ): unknown;
}

export interface PgPoolConfig {
  readonly connectionString: string;
  readonly max: number;
  readonly connectionTimeoutMillis: number;
  readonly idleTimeoutMillis: number;
  readonly statement_timeout: number;
  readonly application_name: string;
  /** Startup settings, e.g. `-c search_path=waymark -c synchronous_commit=on`. */
  readonly options: string;
  readonly types: { getTypeParser(oid: number, format?: string): (value: string) => unknown };
}

export interface PgModuleSlice {
  readonly Pool: new (config: PgPoolConfig) => PgPoolSlice;
  readonly types: { getTypeParser(oid: number, format?: string): (value: string) => unknown };
}

let client: Promise<PgModuleSlice> | undefined;

/** Import `pg` once; throws {@link PostgresUnavailableError} when it is not installed. */
export function loadPg(): Promise<PgModuleSlice> {
  client ??= import('pg').then(
    (m) => ((m as { default?: unknown }).default ?? m) as PgModuleSlice,
    (cause: unknown) => {
      client = undefined;
      throw new PostgresUnavailableError(
        'the PostgreSQL store needs the pg package, which could not be loaded; ' +
          'reinstall waymark with its dependencies (npm install), or use --store duckdb:FILE',
        { cause },
      );
    },
  );
  return client;
}

/** Type OIDs read specially: BIGINT as a JS number, JSON as its text (decoded by pg-text.ts). */
const INT8 = 20;
const JSON_OID = 114;

/** pg's parsers, except BIGINT (a number: every BIGINT here is below 2^53) and JSON (kept as text). */
export function typeParsers(pg: PgModuleSlice): PgPoolConfig['types'] {
  return {
    getTypeParser(oid, format) {
      if (oid === INT8) return (v: string) => Number(v);
      if (oid === JSON_OID) return (v: string) => v;
      return pg.types.getTypeParser(oid, format);
    },
  };
}

/** Read a BIGINT cell (already a number) or a count. */
export function num(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}

export function numOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : num(v);
}
