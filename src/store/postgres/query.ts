import type { PgPoolSlice, PgClientSlice } from './pg-client.js';

/** Run a query (named: prepared once per connection), rows as arrays. */
export type Query = (text: string, values?: readonly unknown[], name?: string) => Promise<unknown[][]>;

/** A {@link Query} on a pool (any free connection) or on one client (its open transaction). */
export function queryOn(target: PgPoolSlice | PgClientSlice): Query {
  return async (text, values, name) =>
    (
      await target.query({
        text,
        rowMode: 'array',
        ...(values === undefined ? {} : { values }),
        ...(name === undefined ? {} : { name }),
      })
    ).rows;
}
