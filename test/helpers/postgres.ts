import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { parsePostgresUrl } from '../../src/store/postgres/postgres-url.js';

/** The test server: WAYMARK_PG_URL, default postgresql://127.0.0.1:5432/test. */
export const PG_URL = process.env['WAYMARK_PG_URL'] ?? 'postgresql://127.0.0.1:5432/test';

/** PG_URL as the store connects (without a user in it: the operating-system user, as psql does). */
const ADMIN_URL = parsePostgresUrl(PG_URL).connectionString;

/** Why the test server cannot be used, or `undefined` when it answers. */
export async function postgresUnavailable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (e) {
    const err = e as { message?: string; code?: string };
    return `PostgreSQL at ${PG_URL} (WAYMARK_PG_URL) is unreachable: ${err.message || err.code || String(e)}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A schema name no other test uses. */
export function randomSchema(prefix = 'waymark_test'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** PG_URL with query options added (`schema`, `pool`, …). */
export function pgUrl(options: Record<string, string>): string {
  const u = new URL(PG_URL);
  for (const [k, v] of Object.entries(options)) u.searchParams.set(k, v);
  return u.toString();
}

/** Run SQL on the test server in a connection of its own. */
export async function adminQuery(sql: string, values: unknown[] = []): Promise<unknown[][]> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query({ text: sql, values, rowMode: 'array' })).rows as unknown[][];
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** A fresh, opened store in a new random schema, and its disposal (close, drop the schema). */
export async function makePostgresStore(
  options: Record<string, string> = {},
): Promise<{ store: PostgresStore; schema: string; cleanup: () => Promise<void> }> {
  const schema = randomSchema();
  const store = new PostgresStore({ url: pgUrl({ schema, pool: '4', ...options }) });
  try {
    await store.open();
  } catch (e) {
    await dropSchema(schema);
    throw e;
  }
  return {
    store,
    schema,
    cleanup: async () => {
      await store.close();
      await dropSchema(schema);
    },
  };
}
