import type { Instant } from '../../model/instant.js';
import { num } from './pg-client.js';
import type { Query } from './query.js';

/**
 * Delete `completed` streams whose last state change (`updated_at`, when they
 * completed) is before `before`, with their memberships, in one statement.
 * `store_meta.max_stream_id` already covers them, so ids are never reused.
 * Returns how many streams went.
 */
export async function purgeCompletedStreams(q: Query, before: Instant): Promise<number> {
  const rows = await q(
    `WITH gone AS (
       DELETE FROM streams WHERE state = 'completed' AND updated_at < $1::int8 RETURNING id),
     members AS (
       DELETE FROM stream_events m USING gone WHERE m.stream_id = gone.id)
     SELECT count(*) FROM gone`,
    [before.us],
  );
  return num(rows[0]?.[0] ?? 0);
}

/**
 * Delete events with `timestamp < before` that no stream other than a
 * completed one contains and that no worker has queued for correlation
 * (they would join streams yet), and their memberships (so a kept completed stream
 * lists only the events still stored), in one statement. Returns how many
 * events went.
 */
export async function trimEvents(q: Query, before: Instant): Promise<number> {
  const rows = await q(
    `WITH doomed AS (
       DELETE FROM events e WHERE e.ts < $1::int8 AND NOT EXISTS (
         SELECT 1 FROM stream_events m JOIN streams s ON s.id = m.stream_id
         WHERE s.state <> 'completed' AND m.message_id = e.message_id)
       AND NOT EXISTS (SELECT 1 FROM work_queue w WHERE w.message_id = e.message_id)
       RETURNING e.message_id),
     members AS (
       DELETE FROM stream_events m USING doomed WHERE m.message_id = doomed.message_id)
     SELECT count(*) FROM doomed`,
    [before.us],
  );
  return num(rows[0]?.[0] ?? 0);
}
