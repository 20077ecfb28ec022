import { WaymarkError } from '../../model/errors.js';

/** `@duckdb/node-api` is not installed or does not load on this platform. */
export class DuckDBUnavailableError extends WaymarkError {
  override name = 'DuckDBUnavailableError';
}

/** Another process (or another store in this one) has the DuckDB file open. */
export class StoreLockedError extends WaymarkError {
  override name = 'StoreLockedError';
}

/** The DuckDB file cannot be opened: not a DuckDB database, missing directory, no permission. */
export class StoreFileError extends WaymarkError {
  override name = 'StoreFileError';
}

// Shared by every durable store; re-exported here where it was first declared.
export { StoreSchemaTooNewError } from '../store-errors.js';

/**
 * Translate DuckDB's error on opening `path` into one that says what to do.
 * DuckDB's own messages (1.5): `IO Error: Could not set lock on file "…":
 * Conflicting lock is held in /usr/bin/node (PID 123)`, `… exists, but it is
 * not a valid DuckDB database file!`, `Cannot open file "…": No such file or directory`.
 */
export function openError(path: string, cause: unknown): Error {
  const message = cause instanceof Error ? cause.message : String(cause);
  if (/Could not set lock on file/i.test(message)) {
    const pid = /\(PID (\d+)\)/.exec(message)?.[1];
    return new StoreLockedError(
      `the DuckDB file ${path} is locked by another process${pid === undefined ? '' : ` (PID ${pid})`}; ` +
        'a `waymark serve` may be running on it: stop that process, or point this command at another store ' +
        '(DuckDB allows one writing process per file)',
      { cause },
    );
  }
  if (/not a valid DuckDB database file/i.test(message)) {
    return new StoreFileError(
      `${path} exists but is not a DuckDB database (or was written by an incompatible DuckDB version); ` +
        'move it away, or point waymark at another file with --store duckdb:PATH',
      { cause },
    );
  }
  if (/No such file or directory/i.test(message)) {
    return new StoreFileError(
      `cannot create the DuckDB file ${path}: its directory does not exist; create the directory or choose another path`,
      { cause },
    );
  }
  if (/Permission denied/i.test(message)) {
    return new StoreFileError(
      `cannot open the DuckDB file ${path}: permission denied; check the file's and directory's permissions`,
      { cause },
    );
  }
  return new StoreFileError(`cannot open the DuckDB file ${path}: ${message}`, { cause });
}
