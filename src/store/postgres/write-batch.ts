import { distinguishingToJSON, distinguishingValueString } from '../../engine/distinguishing.js';
import type { DistinguishingValue } from '../../engine/trigger.js';
import type { Instant } from '../../model/instant.js';
import type { StoreBatch, StreamRecord } from '../store.js';
import { num, type PgClientSlice } from './pg-client.js';
import { jsonToPg, toPg } from './pg-text.js';
import { checkFence, dequeue } from './shared-queries.js';

/**
 * The statements of a commit: fixed texts, prepared once per connection
 * (`name`), each writing a whole list of rows from one JSON parameter through
 * `json_to_recordset` (measured 40% faster than `unnest` of one array per
 * column for 1,000 events of ~1 KB: one `JSON.stringify` instead of an array
 * literal escaped element by element, and a `json` column's text is taken as
 * it is).
 */
const SQL = {
  events: {
    name: 'waymark_insert_events',
    text: `INSERT INTO events (message_id, event_type, ts, received, traits)
      SELECT m, t, ts, r, traits FROM json_to_recordset($1::json) AS x(m text, t text, ts int8, r int8, traits json)
      ON CONFLICT (message_id) DO NOTHING`,
  },
  memberships: {
    name: 'waymark_insert_memberships',
    text: `INSERT INTO stream_events (stream_id, message_id)
      SELECT * FROM unnest($1::int8[], $2::text[])
      ON CONFLICT DO NOTHING`,
  },
  counters: {
    name: 'waymark_bump_counters',
    // $1..$3: how many ids to take; $4: the largest stream id written.
    text: `UPDATE store_meta SET value = CASE name
        WHEN 'dead_letter_id' THEN value + $1::int8
        WHEN 'outcome_seq' THEN value + $2::int8
        WHEN 'sample_seq' THEN value + $3::int8
        ELSE greatest(value, $4::int8) END
      WHERE name = ANY($5::text[])
      RETURNING name, value`,
  },
  deadLetters: {
    name: 'waymark_insert_dead_letters',
    text: `INSERT INTO dead_letters (id, received, source, reason, payload)
      SELECT id, received, source, reason, payload
      FROM json_to_recordset($1::json) AS x(id int8, received int8, source text, reason text, payload text)`,
  },
  outcomes: {
    name: 'waymark_insert_outcomes',
    text: `INSERT INTO pipeline_outcomes (seq, stream_id, pipeline, kind, attempt, status, error, started, finished, emitted)
      SELECT seq, stream_id, pipeline, kind, attempt, status, error, started, finished, emitted
      FROM json_to_recordset($1::json) AS x(seq int8, stream_id int8, pipeline text, kind text, attempt int8,
        status text, error text, started int8, finished int8, emitted int8)`,
  },
  samples: {
    name: 'waymark_insert_samples',
    // A non-finite value is JSON null: refused by NOT NULL, as the port requires.
    text: `INSERT INTO meter_samples (seq, meter, kind, value, stream_id, sampled_at)
      SELECT seq, meter, kind, value, stream_id, at
      FROM json_to_recordset($1::json) AS x(seq int8, meter text, kind text, value float8, stream_id int8, at int8)`,
  },
  upsertStreams: {
    name: 'waymark_upsert_streams',
    text: `INSERT INTO streams (id, trigger_name, stream_key, state, distinguished_by, distinguishing_strings,
        first_ts, last_ts, fire_at, expire_at, event_count, outcome, attempts, retry_at, last_error, updated_at)
      SELECT id, tr, k, st, db, ds, f, l, fa, ea, n, o, a, ra, le, u
      FROM json_to_recordset($1::json) AS x(id int8, tr text, k text, st text, db json, ds json, f int8, l int8,
        fa int8, ea int8, n int8, o text, a int8, ra int8, le text, u int8)
      ON CONFLICT (id) DO UPDATE SET
        trigger_name = EXCLUDED.trigger_name, stream_key = EXCLUDED.stream_key, state = EXCLUDED.state,
        distinguished_by = EXCLUDED.distinguished_by, distinguishing_strings = EXCLUDED.distinguishing_strings,
        first_ts = EXCLUDED.first_ts, last_ts = EXCLUDED.last_ts, fire_at = EXCLUDED.fire_at,
        expire_at = EXCLUDED.expire_at, event_count = EXCLUDED.event_count, outcome = EXCLUDED.outcome,
        attempts = EXCLUDED.attempts, retry_at = EXCLUDED.retry_at, last_error = EXCLUDED.last_error,
        updated_at = EXCLUDED.updated_at`,
  },
  deleteMemberships: {
    name: 'waymark_delete_memberships',
    text: `DELETE FROM stream_events WHERE stream_id = ANY($1::int8[])`,
  },
  deleteStreams: {
    name: 'waymark_delete_streams',
    text: `DELETE FROM streams WHERE id = ANY($1::int8[])`,
  },
} as const;

const usOrNull = (i: Instant | null): number | null => (i === null ? null : i.us);

/** `{name: distinguishingValueString(value)}`, the form `distinguished_by` filters compare. */
function distinguishingStrings(
  values: Readonly<Record<string, DistinguishingValue>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(values)) out[name] = distinguishingValueString(v);
  return out;
}

/** Whether a stream in this state holds its key in `streams_one_accepting_per_key`. */
const accepting = (s: StreamRecord): boolean => s.state === 'active' || s.state === 'ready';

/**
 * Write one batch in the client's open transaction: events (a stored
 * message_id, or a repeat within the batch, is skipped: the first stays),
 * memberships, dead letters, outcomes and samples (their ids taken from the
 * counters), then streams: the deleted ones go with their memberships, then
 * the others are upserted whole (the last version of an id in the batch wins),
 * those that stop accepting events first, so that a key they free can be
 * taken by a new stream of the same batch. The result is the one the DuckDB
 * store gives (upserts, then deletions). A batch with a `fence` fails with
 * LeaseLostError, before writing anything, when that lease is no longer held;
 * its `dequeued` queue entries are deleted. Strings are coded by pg-text.ts
 * (`jsonToPg` of the rows, `toPg` of array elements). Any error leaves the
 * transaction to be rolled back by the caller.
 */
export async function writeBatch(client: PgClientSlice, batch: StoreBatch): Promise<void> {
  const run = (q: { name: string; text: string }, values: unknown[]) =>
    client.query({ ...q, values, rowMode: 'array' });
  /** Rows as the one JSON parameter of a `json_to_recordset` statement. */
  const rows = (q: { name: string; text: string }, list: readonly object[]) => run(q, [jsonToPg(list)]);

  // A fenced batch (the correlator of several workers) locks the lease row first, for the whole commit.
  if (batch.fence !== undefined) await checkFence(client, batch.fence);
  if (batch.dequeued !== undefined) await dequeue(client, batch.dequeued);

  if (batch.events.length > 0) {
    const seen = new Set<string>();
    const list: object[] = [];
    for (const e of batch.events) {
      if (seen.has(e.message_id)) continue;
      seen.add(e.message_id);
      list.push({ m: e.message_id, t: e.event_type, ts: e.timestamp.us, r: e.received.us, traits: e.traits });
    }
    await rows(SQL.events, list);
  }

  if (batch.memberships.length > 0) {
    const seen = new Set<string>();
    const streamIds: number[] = [];
    const messageIds: string[] = [];
    for (const m of batch.memberships) {
      const k = `${m.streamId}\u0000${m.messageId}`;
      if (seen.has(k)) continue;
      seen.add(k);
      streamIds.push(m.streamId);
      messageIds.push(toPg(m.messageId));
    }
    await run(SQL.memberships, [streamIds, messageIds]);
  }

  const byId = new Map<number, StreamRecord>();
  for (const s of batch.streams) byId.set(s.id, s); // the last version of a stream in the batch wins
  let maxWritten = 0;
  for (const id of byId.keys()) maxWritten = Math.max(maxWritten, id);

  const counters: string[] = [];
  if (batch.deadLetters.length > 0) counters.push('dead_letter_id');
  if (batch.outcomes.length > 0) counters.push('outcome_seq');
  if (batch.meterSamples.length > 0) counters.push('sample_seq');
  if (byId.size > 0) counters.push('max_stream_id');
  const after = new Map<string, number>();
  if (counters.length > 0) {
    const result = await run(SQL.counters, [
      batch.deadLetters.length,
      batch.outcomes.length,
      batch.meterSamples.length,
      maxWritten,
      counters,
    ]);
    for (const r of result.rows) after.set(r[0] as string, num(r[1]));
  }
  /** The first id taken from a counter that was advanced by `n`. */
  const first = (name: string, n: number): number => (after.get(name) ?? n) - n + 1;

  if (batch.deadLetters.length > 0) {
    const base = first('dead_letter_id', batch.deadLetters.length);
    await rows(
      SQL.deadLetters,
      batch.deadLetters.map((d, i) => ({
        id: base + i,
        received: d.received.us,
        source: d.source,
        reason: d.reason,
        payload: d.payload,
      })),
    );
  }
  if (batch.outcomes.length > 0) {
    const base = first('outcome_seq', batch.outcomes.length);
    await rows(
      SQL.outcomes,
      batch.outcomes.map((o, i) => ({
        seq: base + i,
        stream_id: o.streamId,
        pipeline: o.pipeline,
        kind: o.kind,
        attempt: o.attempt,
        status: o.status,
        error: o.error,
        started: o.started.us,
        finished: o.finished.us,
        emitted: o.emitted,
      })),
    );
  }
  if (batch.meterSamples.length > 0) {
    const base = first('sample_seq', batch.meterSamples.length);
    await rows(
      SQL.samples,
      batch.meterSamples.map((m, i) => ({
        seq: base + i,
        meter: m.meter,
        kind: m.kind,
        value: m.value,
        stream_id: m.streamId,
        at: m.at.us,
      })),
    );
  }

  if (batch.deletedStreams.length > 0) {
    const ids = [...new Set(batch.deletedStreams)];
    for (const id of ids) byId.delete(id);
    await run(SQL.deleteMemberships, [ids]);
    await run(SQL.deleteStreams, [ids]);
  }
  const streams = [...byId.values()];
  const leaving = streams.filter((s) => !accepting(s));
  const holding = streams.filter(accepting);
  if (leaving.length > 0) await rows(SQL.upsertStreams, leaving.map(streamRow));
  if (holding.length > 0) await rows(SQL.upsertStreams, holding.map(streamRow));
}

/** A row of {@link SQL.upsertStreams}. */
function streamRow(s: StreamRecord): object {
  return {
    id: s.id,
    tr: s.trigger,
    k: s.key,
    st: s.state,
    db: distinguishingToJSON(s.distinguishedBy),
    ds: distinguishingStrings(s.distinguishedBy),
    f: s.first.us,
    l: s.last.us,
    fa: usOrNull(s.fireAt),
    ea: usOrNull(s.expireAt),
    n: s.eventCount,
    o: s.outcome,
    a: s.attempts,
    ra: usOrNull(s.retryAt),
    le: s.lastError,
    u: s.updatedAt.us,
  };
}
