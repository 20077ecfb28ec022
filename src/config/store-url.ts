import { parsePostgresUrl, redactPostgresUrl } from '../store/postgres/postgres-url.js';
import { absoluteFrom } from './config-values.js';

/** What a store URL may be, for messages. */
export const STORE_URL_FORMS =
  'duckdb:PATH (embedded, the default), memory: (nothing kept) or postgresql://USER@HOST/DB';

/**
 * Check a store URL and make a `duckdb:` path absolute against `baseDir`:
 * `duckdb:PATH`, `memory:`, `postgresql://…` (or `postgres://…`, its options
 * checked). MySQL, which
 * winchester used, is refused with what to use instead.
 *
 * ```ts
 * resolveStoreUrl('duckdb:state/waymark.duckdb', '/etc/waymark'); // { url: 'duckdb:/etc/waymark/state/waymark.duckdb' }
 * resolveStoreUrl('mysql://w@localhost/winchester', '.');         // { problem: 'MySQL is not supported; ...' }
 * ```
 */
export function resolveStoreUrl(url: string, baseDir: string): { url: string } | { problem: string } {
  const lower = url.toLowerCase();
  if (lower.startsWith('duckdb:')) {
    const path = url.slice('duckdb:'.length);
    if (path === '') return { problem: 'duckdb: needs a file, e.g. duckdb:waymark.duckdb' };
    return { url: `duckdb:${absoluteFrom(baseDir, path)}` };
  }
  if (lower === 'memory:') return { url: 'memory:' };
  if (/^postgres(ql)?:\/\/./.test(lower)) {
    try {
      parsePostgresUrl(url);
    } catch (e) {
      // "store URL: what is wrong": the caller names the URL (without its password) already
      return { problem: (e as Error).message.replace(/^store \S+: /, '') };
    }
    return { url };
  }
  if (lower.startsWith('mysql')) {
    return {
      problem: `MySQL is not supported (winchester's store); use duckdb:FILE for one process or postgresql://… for several workers`,
    };
  }
  return { problem: `unsupported store URL ${JSON.stringify(url)}; expected ${STORE_URL_FORMS}` };
}

/** A store URL fit for messages and logs: a PostgreSQL URL's password becomes `***`. */
export function redactStoreUrl(url: string): string {
  return /^postgres(ql)?:\/\//i.test(url) ? redactPostgresUrl(url) : url;
}
