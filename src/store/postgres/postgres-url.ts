import { userInfo } from 'node:os';
import { UnsupportedStoreError } from '../store-errors.js';

/** What a `postgresql://` store URL says, once checked. */
export interface PostgresUrl {
  /** The URL handed to `pg`, without waymark's own options. */
  readonly connectionString: string;
  /** The URL with its password replaced by `***`, for messages and logs. */
  readonly redacted: string;
  /** Connections at most (reads run in parallel; commits take one at a time). */
  readonly pool: number;
  /** Per statement, in ms (0: none). */
  readonly statementTimeoutMs: number;
  /** Connecting, in ms. */
  readonly connectTimeoutMs: number;
  /** An idle connection is closed after this, in ms. */
  readonly idleTimeoutMs: number;
  /** Where waymark's tables live (created if absent). */
  readonly schema: string;
}

export const POSTGRES_DEFAULTS = {
  pool: 8,
  statementTimeoutMs: 30_000,
  connectTimeoutMs: 10_000,
  idleTimeoutMs: 10_000,
  schema: 'public',
} as const;

/** Options waymark reads from the query string (and strips before connecting). */
const OWN = ['pool', 'statement_timeout', 'connect_timeout', 'idle_timeout', 'schema'] as const;
/** Options passed to `pg` as they are. */
const PASSED = ['application_name', 'host', 'sslmode', 'ssl', 'sslcert', 'sslkey', 'sslrootcert'] as const;

const FORM =
  'postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?pool=8&statement_timeout=30s&connect_timeout=10s&schema=public]';

/** The URL with any password replaced by `***` (also for URLs that do not parse). */
export function redactPostgresUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/^([a-z]+:\/\/[^:/@]*):[^@]*@/i, '$1:***@');
  }
}

/**
 * A duration option: `500ms`, `30s`, `2min` (or `2m`), or a bare integer in the
 * unit PostgreSQL itself uses for it (`bareUnitMs`: 1 for statement_timeout, 1000
 * for libpq's connect_timeout).
 */
function duration(name: string, raw: string, bareUnitMs: number, redacted: string): number {
  const m = /^(\d+)(ms|s|m|min)?$/.exec(raw.trim());
  if (m === null) {
    throw new UnsupportedStoreError(
      `store ${redacted}: ${name}=${raw} is not a duration; write it as 500ms, 30s or 2min (0 for no limit)`,
    );
  }
  const n = Number(m[1]);
  const unit = m[2] === undefined ? bareUnitMs : m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000;
  const ms = n * unit;
  if (!Number.isSafeInteger(ms) || ms > 2_147_483_647) {
    throw new UnsupportedStoreError(`store ${redacted}: ${name}=${raw} is too long (at most 24 days)`);
  }
  return ms;
}

/**
 * Check a `postgresql://` (or `postgres://`) store URL and read waymark's options
 * from its query string (a URL without a user connects as the operating-system
 * user, as psql does): `pool` (connections, 1 to 100, default 8),
 * `statement_timeout` (default 30s, 0 for none), `connect_timeout` (default
 * 10s), `idle_timeout` (default 10s), `schema` (default `public`, created if
 * absent). `application_name`, `host` (a Unix socket directory) and the `ssl*`
 * options go to `pg` unchanged; anything else is refused, so a typo is not
 * silently ignored. Throws {@link UnsupportedStoreError}: `store URL: what is
 * wrong`, the URL without its password.
 *
 * ```ts
 * parsePostgresUrl('postgresql://waymark@db:5432/waymark?pool=16&statement_timeout=10s').pool; // 16
 * ```
 */
export function parsePostgresUrl(url: string): PostgresUrl {
  const redacted = redactPostgresUrl(url);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UnsupportedStoreError(`store ${redacted}: not a valid URL; expected ${FORM}`);
  }
  if (u.protocol !== 'postgresql:' && u.protocol !== 'postgres:') {
    throw new UnsupportedStoreError(`store ${redacted}: not a PostgreSQL URL; expected ${FORM}`);
  }
  if (u.hostname === '' && !u.searchParams.has('host')) {
    throw new UnsupportedStoreError(`store ${redacted}: no host; expected ${FORM}`);
  }
  if (u.pathname.length <= 1) {
    throw new UnsupportedStoreError(`store ${redacted}: no database; expected ${FORM}`);
  }
  const known = new Set<string>([...OWN, ...PASSED]);
  for (const key of u.searchParams.keys()) {
    if (!known.has(key)) {
      throw new UnsupportedStoreError(
        `store ${redacted}: unknown option "${key}"; waymark reads ${OWN.join(', ')} and passes ${PASSED.join(', ')} to pg`,
      );
    }
  }
  const get = (name: string): string | undefined => {
    const all = u.searchParams.getAll(name);
    if (all.length > 1) throw new UnsupportedStoreError(`store ${redacted}: option "${name}" is given twice`);
    return all[0];
  };

  let pool: number = POSTGRES_DEFAULTS.pool;
  const poolRaw = get('pool');
  if (poolRaw !== undefined) {
    pool = /^\d+$/.test(poolRaw) ? Number(poolRaw) : NaN;
    if (!(pool >= 1 && pool <= 100)) {
      throw new UnsupportedStoreError(
        `store ${redacted}: pool=${poolRaw} must be a whole number of connections from 1 to 100`,
      );
    }
  }
  const st = get('statement_timeout');
  const ct = get('connect_timeout');
  const it = get('idle_timeout');
  const schema = get('schema') ?? POSTGRES_DEFAULTS.schema;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new UnsupportedStoreError(
      `store ${redacted}: schema=${schema} must be a lower-case SQL identifier (letters, digits, _; at most 63)`,
    );
  }
  const connectTimeoutMs =
    ct === undefined ? POSTGRES_DEFAULTS.connectTimeoutMs : duration('connect_timeout', ct, 1000, redacted);
  if (connectTimeoutMs === 0) {
    throw new UnsupportedStoreError(`store ${redacted}: connect_timeout must be more than 0`);
  }

  for (const name of OWN) u.searchParams.delete(name);
  // Like libpq (psql), connect as the operating-system user when the URL and PGUSER name none.
  if (u.username === '' && (process.env['PGUSER'] ?? '') === '') u.username = osUser();
  return {
    connectionString: u.toString(),
    redacted,
    pool,
    statementTimeoutMs:
      st === undefined
        ? POSTGRES_DEFAULTS.statementTimeoutMs
        : duration('statement_timeout', st, 1, redacted),
    connectTimeoutMs,
    idleTimeoutMs:
      it === undefined ? POSTGRES_DEFAULTS.idleTimeoutMs : duration('idle_timeout', it, 1, redacted),
    schema,
  };
}

function osUser(): string {
  try {
    return encodeURIComponent(userInfo().username);
  } catch {
    return encodeURIComponent(process.env['USER'] ?? 'postgres');
  }
}
