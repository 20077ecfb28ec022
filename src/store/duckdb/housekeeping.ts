import type { Instant } from '../../model/instant.js';
import type { DuckDBConnectionSlice } from './duckdb-client.js';

/**
 * Delete `completed` streams whose last state change (`updated_at`, when they
 * completed) is before `before`, with their memberships. Runs in the writer's
 * open transaction; returns how many streams went. `maxStreamId` is recorded
 * first so ids are never reused.
 */
export async function purgeCompletedStreams(
  conn: DuckDBConnectionSlice,
  before: Instant,
  maxStreamId: number,
): Promise<number> {
  const at = BigInt(before.us);
  await conn.run(
    `UPDATE store_meta SET value = greatest(value, ${maxStreamId}) WHERE name = 'max_stream_id'`,
  );
  await conn.run(
    `DELETE FROM stream_events WHERE stream_id IN
       (SELECT id FROM streams WHERE state = 'completed' AND updated_at < ?)`,
    [at],
  );
  const r = await conn.run(`DELETE FROM streams WHERE state = 'completed' AND updated_at < ?`, [at]);
  return r.rowsChanged;
}

/**
 * Delete events with `timestamp < before` that no stream other than a
 * completed one contains, and their memberships (so a kept completed stream
 * lists only the events still stored). Runs in the writer's open transaction;
 * returns how many events went.
 */
export async function trimEvents(conn: DuckDBConnectionSlice, before: Instant): Promise<number> {
  const at = BigInt(before.us);
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE trim_doomed AS
    SELECT e.id_hash, e.message_id FROM events e
    WHERE e.ts < ? AND NOT EXISTS (
      SELECT 1 FROM stream_events m JOIN streams s ON s.id = m.stream_id
      WHERE s.state <> 'completed' AND m.id_hash = e.id_hash AND m.message_id = e.message_id)`,
    [at],
  );
  const r = await conn.run(
    `DELETE FROM events e WHERE e.ts < ? AND EXISTS
       (SELECT 1 FROM trim_doomed d WHERE d.id_hash = e.id_hash AND d.message_id = e.message_id)`,
    [at],
  );
  await conn.run(`DELETE FROM stream_events m WHERE EXISTS
    (SELECT 1 FROM trim_doomed d WHERE d.id_hash = m.id_hash AND d.message_id = m.message_id)`);
  await conn.run('DROP TABLE trim_doomed');
  return r.rowsChanged;
}
