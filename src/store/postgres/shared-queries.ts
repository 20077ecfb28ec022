import type { WaymarkEvent } from '../../model/event.js';
import type { Lease, QueuedEvent } from '../store.js';
import { LeaseLostError } from '../store-errors.js';
import { eventFromRow } from './event-queries.js';
import { num, type PgClientSlice } from './pg-client.js';
import { jsonToPg } from './pg-text.js';
import type { Query } from './query.js';

/** The database's clock, in microseconds: every lease time is on it, so workers' clocks never matter. */
const NOW_US = `(extract(epoch FROM clock_timestamp()) * 1000000)::int8`;

const SQL = {
  enqueue: {
    name: 'waymark_enqueue_events',
    // Rows are inserted in message_id order: two workers storing overlapping batches take the
    // unique index's locks in the same order, so they wait for each other instead of deadlocking.
    text: `WITH stored AS (
        INSERT INTO events (message_id, event_type, ts, received, traits)
        SELECT m, t, ts, r, traits FROM json_to_recordset($1::json) AS x(m text, t text, ts int8, r int8, traits json)
        ORDER BY m COLLATE "C"
        ON CONFLICT (message_id) DO NOTHING
        RETURNING message_id)
      INSERT INTO work_queue (message_id) SELECT message_id FROM stored ORDER BY message_id
      RETURNING seq`,
  },
  fence: {
    name: 'waymark_fence_lease',
    text: `UPDATE worker_leases SET expires_at = ${NOW_US} + $3::int8 * 1000
      WHERE name = 'correlator' AND holder = $1 AND epoch = $2::int8`,
  },
  dequeue: {
    name: 'waymark_dequeue',
    text: `DELETE FROM work_queue WHERE seq = ANY($1::int8[])`,
  },
} as const;

/**
 * Store events and queue the new ones in the client's open transaction (the
 * caller writes the dead letters in the same one). Returns how many were new.
 */
export async function enqueueEvents(client: PgClientSlice, events: readonly WaymarkEvent[]): Promise<number> {
  if (events.length === 0) return 0;
  const seen = new Set<string>();
  const rows: object[] = [];
  for (const e of events) {
    if (seen.has(e.message_id)) continue;
    seen.add(e.message_id);
    rows.push({ m: e.message_id, t: e.event_type, ts: e.timestamp.us, r: e.received.us, traits: e.traits });
  }
  const r = await client.query({ ...SQL.enqueue, values: [jsonToPg(rows)], rowMode: 'array' });
  return r.rowCount ?? r.rows.length;
}

/** First statement of a fenced commit: holds the lease row until the commit ends, and extends it. */
export async function checkFence(client: PgClientSlice, lease: Lease): Promise<void> {
  const r = await client.query({
    ...SQL.fence,
    values: [lease.holder, lease.epoch, lease.ttlMs],
    rowMode: 'array',
  });
  if ((r.rowCount ?? 0) === 0) {
    throw new LeaseLostError(
      `the correlator lease (epoch ${lease.epoch}) is no longer held by ${lease.holder}: another worker took it over`,
    );
  }
}

export async function dequeue(client: PgClientSlice, seqs: readonly number[]): Promise<void> {
  if (seqs.length > 0) await client.query({ ...SQL.dequeue, values: [seqs], rowMode: 'array' });
}

export async function queued(q: Query, limit: number): Promise<QueuedEvent[]> {
  const rows = await q(
    `SELECT w.seq, e.message_id, e.event_type, e.ts, e.received, e.traits
      FROM work_queue w JOIN events e ON e.message_id = w.message_id
      ORDER BY w.seq LIMIT $1::int8`,
    [Math.max(1, Math.floor(limit))],
    'waymark_queued',
  );
  return rows.map((r) => ({ seq: num(r[0]), event: eventFromRow(r, 1) }));
}

export async function queueDepth(q: Query): Promise<number> {
  return num((await q('SELECT count(*) FROM work_queue'))[0]?.[0] ?? 0);
}

/**
 * The latest timestamp among correlated events (those no longer queued): the
 * correlator's event-time clock resumes from it, not from events other workers
 * stored ahead of it.
 */
export async function latestCorrelatedTimestamp(q: Query): Promise<number | undefined> {
  const rows = await q(
    `SELECT e.ts FROM events e
      WHERE NOT EXISTS (SELECT 1 FROM work_queue w WHERE w.message_id = e.message_id)
      ORDER BY e.ts DESC, e.message_id DESC LIMIT 1`,
  );
  const v = rows[0]?.[0];
  return v === null || v === undefined ? undefined : num(v);
}

export async function acquireLease(q: Query, holder: string, ttlMs: number): Promise<Lease | undefined> {
  const rows = await q(
    `UPDATE worker_leases SET holder = $1, epoch = epoch + 1, expires_at = ${NOW_US} + $2::int8 * 1000
      WHERE name = 'correlator' AND (holder IS NULL OR holder = $1 OR expires_at < ${NOW_US})
      RETURNING epoch`,
    [holder, Math.ceil(ttlMs)],
  );
  const epoch = rows[0]?.[0];
  return epoch === undefined ? undefined : { holder, epoch: num(epoch), ttlMs };
}

export async function renewLease(q: Query, lease: Lease): Promise<boolean> {
  const rows = await q(
    `UPDATE worker_leases SET expires_at = ${NOW_US} + $3::int8 * 1000
      WHERE name = 'correlator' AND holder = $1 AND epoch = $2::int8 RETURNING epoch`,
    [lease.holder, lease.epoch, Math.ceil(lease.ttlMs)],
  );
  return rows.length > 0;
}

export async function releaseLease(q: Query, lease: Lease): Promise<void> {
  await q(
    `UPDATE worker_leases SET holder = NULL, expires_at = 0
      WHERE name = 'correlator' AND holder = $1 AND epoch = $2::int8`,
    [lease.holder, lease.epoch],
  );
}

export async function leaseHolder(
  q: Query,
): Promise<{ holder: string; epoch: number; expiresInMs: number } | undefined> {
  const rows = await q(
    `SELECT holder, epoch, (expires_at - ${NOW_US}) / 1000 FROM worker_leases WHERE name = 'correlator'`,
  );
  const r = rows[0];
  if (r === undefined || r[0] === null) return undefined;
  return { holder: r[0] as string, epoch: num(r[1]), expiresInMs: num(r[2]) };
}
