import { WaymarkError } from '../../model/errors.js';

/** `pg` is not installed or does not load. */
export class PostgresUnavailableError extends WaymarkError {
  override name = 'PostgresUnavailableError';
}

/** The server cannot be reached, or refuses the connection (authentication, no such database). */
export class PostgresConnectionError extends WaymarkError {
  override name = 'PostgresConnectionError';
}

/** The server is older than waymark supports. */
export class UnsupportedPostgresVersionError extends WaymarkError {
  override name = 'UnsupportedPostgresVersionError';
}

/** Connected, but the schema cannot be created or migrated (permissions, a conflicting table). */
export class PostgresSchemaError extends WaymarkError {
  override name = 'PostgresSchemaError';
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

/** Whether an error means the connection itself is gone or was never made (not a refused statement). */
export function isConnectionError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const { code, message } = e as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (CONNECTION_CODES.has(code) || code === '57P01' || code.startsWith('08'))) {
    return true;
  }
  return (
    typeof message === 'string' &&
    /Connection terminated|Client has encountered a connection error|not queryable|timeout exceeded when trying to connect/i.test(
      message,
    )
  );
}

/** Translate `pg`'s error on connecting to `where` (a URL without its password) into one that says what to do. */
export function connectError(
  where: string,
  cause: unknown,
  connectTimeoutMs: number,
): PostgresConnectionError {
  const { code, message: raw } = (typeof cause === 'object' && cause !== null ? cause : {}) as {
    code?: unknown;
    message?: unknown;
  };
  const message = typeof raw === 'string' && raw !== '' ? raw : String(code ?? cause);
  let why: string;
  switch (code) {
    case 'ECONNREFUSED':
      why = 'connection refused: is the server running and listening on that host and port?';
      break;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      why = 'the host name does not resolve: check the host in the URL';
      break;
    case '28P01':
    case '28000':
      why = `the server refused the user (${message}): check the user and password, and pg_hba.conf`;
      break;
    case '3D000':
      why = `${message}: create it (createdb) or name another database in the URL`;
      break;
    case '53300':
      why = `${message}: the server has no free connection; lower ?pool= or raise max_connections`;
      break;
    default:
      why = /timeout/i.test(message)
        ? `no answer within ${connectTimeoutMs / 1000} s (connect_timeout): is the host reachable?`
        : message;
  }
  return new PostgresConnectionError(`cannot connect to PostgreSQL at ${where}: ${why}`, { cause });
}
