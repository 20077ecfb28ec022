import { absoluteFrom } from './config-values.js';

/** What a store URL may be, for messages. */
export const STORE_URL_FORMS =
  'duckdb:PATH (embedded, the default), memory: (nothing kept) or postgresql://USER@HOST/DB';

/**
 * Check a store URL and make a `duckdb:` path absolute against `baseDir`:
 * `duckdb:PATH`, `memory:`, `postgresql://…` (or `postgres://…`). MySQL, which
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
  if (/^postgres(ql)?:\/\/./.test(lower)) return { url };
  if (lower.startsWith('mysql')) {
    return {
      problem: `MySQL is not supported (winchester's store); use duckdb:FILE for one process or postgresql://… for several workers`,
    };
  }
  return { problem: `unsupported store URL ${JSON.stringify(url)}; expected ${STORE_URL_FORMS}` };
}
