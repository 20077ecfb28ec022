import { isAbsolute, resolve } from 'node:path';
import { MemoryStore } from './memory/memory-store.js';
import { UnsupportedStoreError } from './store-errors.js';
import type { Store } from './store.js';

const ACCEPTED =
  '"duckdb:PATH" (an embedded DuckDB file, relative to the working directory; "duckdb::memory:" for one in memory), ' +
  '"postgresql://USER@HOST:PORT/DATABASE" (PostgreSQL; options ?pool=, ?statement_timeout=, ?schema=) ' +
  'or "memory:" (nothing kept after the process ends)';

/**
 * Open the store a URL names, creating or migrating its schema:
 * - `duckdb:PATH`: the embedded DuckDB store on PATH (relative to `cwd`),
 *   `duckdb::memory:` for an in-memory DuckDB;
 * - `memory:`: a {@link MemoryStore};
 * - `postgresql://…`, `postgres://…`: the PostgreSQL store (options in the
 *   query string, see `parsePostgresUrl`); a server that cannot be reached is a
 *   `PostgresConnectionError` naming the URL without its password.
 *
 * DuckDB's client is loaded only when a `duckdb:` URL is opened, `pg` only for
 * a PostgreSQL one.
 *
 * ```ts
 * const store = await openStore('duckdb:waymark.duckdb');
 * try {
 *   console.log(await store.countEvents({}));
 * } finally {
 *   await store.close();
 * }
 * ```
 */
export async function openStore(url: string, options: { cwd?: string } = {}): Promise<Store> {
  let store: Store;
  if (url === 'memory:') {
    store = new MemoryStore();
  } else if (url.startsWith('duckdb:')) {
    const rest = url.slice('duckdb:'.length);
    if (rest === '') {
      throw new UnsupportedStoreError(`store "${url}" names no file; write it as "duckdb:waymark.duckdb"`);
    }
    const path = rest === ':memory:' || isAbsolute(rest) ? rest : resolve(options.cwd ?? process.cwd(), rest);
    const { DuckDBStore } = await import('./duckdb/duckdb-store.js');
    store = DuckDBStore.create({ path });
  } else if (/^postgres(ql)?:\/\//i.test(url)) {
    const { PostgresStore } = await import('./postgres/postgres-store.js');
    store = new PostgresStore({ url });
  } else {
    throw new UnsupportedStoreError(`unknown store "${url}"; expected ${ACCEPTED}`);
  }
  await store.open();
  return store;
}
