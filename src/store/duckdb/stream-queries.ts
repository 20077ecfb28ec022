import type { WaymarkEvent } from '../../model/event.js';
import { Instant } from '../../model/instant.js';
import { distinguishingFromJSON } from '../../engine/distinguishing.js';
import { pageLimit, pageMarker } from '../page-marker.js';
import type { OpenStream, Page, StreamQuery, StreamRecord, StreamState } from '../store.js';
import { num, numOrNull, type SqlParam } from './duckdb-client.js';
import { eventFromRow, jsonPointer } from './event-queries.js';
import { messageIdHash } from './message-id-hash.js';
import type { Query } from './read-pool.js';

const STREAM_COLUMNS =
  'id, trigger_name, stream_key, state, distinguished_by, first_ts, last_ts, fire_at, expire_at, ' +
  'event_count, outcome, attempts, retry_at, last_error, updated_at';

const instantOrNull = (v: unknown): Instant | null => {
  const us = numOrNull(v);
  return us === null ? null : new Instant(us);
};

/** A stream from a row of {@link STREAM_COLUMNS}. */
function streamFromRow(r: unknown[]): StreamRecord {
  return {
    id: num(r[0]),
    trigger: r[1] as string,
    key: r[2] as string,
    state: r[3] as StreamState,
    distinguishedBy: distinguishingFromJSON(JSON.parse(r[4] as string)),
    first: new Instant(num(r[5])),
    last: new Instant(num(r[6])),
    fireAt: instantOrNull(r[7]),
    expireAt: instantOrNull(r[8]),
    eventCount: num(r[9]),
    outcome: r[10] as StreamRecord['outcome'],
    attempts: num(r[11]),
    retryAt: instantOrNull(r[12]),
    lastError: r[13] as string | null,
    updatedAt: new Instant(num(r[14])),
  };
}

function streamWhere(query: StreamQuery, afterId: number | undefined, params: SqlParam[]): string {
  const conds: string[] = [];
  if (query.states !== undefined && query.states.length > 0) {
    conds.push(`state IN (${query.states.map(() => '?').join(', ')})`);
    params.push(...query.states);
  }
  if (query.trigger !== undefined) {
    conds.push('trigger_name = ?');
    params.push(query.trigger);
  }
  for (const [name, value] of Object.entries(query.distinguishedBy ?? {})) {
    conds.push('json_extract_string(distinguishing_strings, ?) = ?');
    params.push(jsonPointer(name), value);
  }
  if (query.olderThan !== undefined) {
    conds.push('last_ts < ?');
    params.push(BigInt(query.olderThan.us));
  }
  if (query.youngerThan !== undefined) {
    conds.push('last_ts >= ?');
    params.push(BigInt(query.youngerThan.us));
  }
  if (afterId !== undefined) {
    conds.push('id > ?');
    params.push(BigInt(afterId));
  }
  return conds.length === 0 ? '' : `WHERE ${conds.join(' AND ')}`;
}

export async function getStream(q: Query, id: number): Promise<StreamRecord | undefined> {
  const rows = await q(`SELECT ${STREAM_COLUMNS} FROM streams WHERE id = ?`, [BigInt(id)]);
  return rows[0] === undefined ? undefined : streamFromRow(rows[0]);
}

/** A page of streams by id. */
export async function queryStreams(q: Query, query: StreamQuery): Promise<Page<StreamRecord>> {
  const limit = pageLimit(query.limit);
  const after = query.marker === undefined ? undefined : pageMarker.parseStream(query.marker);
  const params: SqlParam[] = [];
  const rows = await q(
    `SELECT ${STREAM_COLUMNS} FROM streams ${streamWhere(query, after, params)} ORDER BY id LIMIT ${limit + 1}`,
    params,
  );
  const items = rows.slice(0, limit).map(streamFromRow);
  const last = items[items.length - 1];
  return rows.length > limit && last !== undefined ? { items, next: pageMarker.stream(last.id) } : { items };
}

/** How many streams match the query's filters (its marker and limit are ignored). */
export async function countStreams(q: Query, query: StreamQuery): Promise<number> {
  const params: SqlParam[] = [];
  const rows = await q(`SELECT count(*) FROM streams ${streamWhere(query, undefined, params)}`, params);
  return num(rows[0]?.[0] ?? 0);
}

/**
 * A stream's events in (timestamp, message_id) order: its memberships, then
 * the events by `id_hash IN (literals)` (a scan filtered by a hash set, which
 * reads the other columns of matching rows only; a join would read them all).
 * Run it in a snapshot so both reads see the same commit.
 */
export async function streamEvents(q: Query, id: number): Promise<WaymarkEvent[]> {
  const members = await q('SELECT id_hash, message_id FROM stream_events WHERE stream_id = ?', [BigInt(id)]);
  if (members.length === 0) return [];
  const ids = new Set(members.map((r) => r[1] as string));
  const hashes = [...new Set(members.map((r) => num(r[0])))];
  const rows = await q(
    `SELECT message_id, event_type, ts, received, traits FROM events WHERE id_hash IN (${hashes.join(',')}) ORDER BY ts, message_id`,
  );
  return rows.filter((r) => ids.has(r[0] as string)).map(eventFromRow);
}

export async function streamsOfEvent(q: Query, messageId: string): Promise<number[]> {
  const rows = await q(
    'SELECT DISTINCT stream_id FROM stream_events WHERE id_hash = ? AND message_id = ? ORDER BY stream_id',
    [BigInt(messageIdHash(messageId)), messageId],
  );
  return rows.map((r) => num(r[0]));
}

/** Every stream not completed, with its events in order. Run it in a snapshot. */
export async function loadOpenStreams(q: Query): Promise<OpenStream[]> {
  const streams = (
    await q(`SELECT ${STREAM_COLUMNS} FROM streams WHERE state <> 'completed' ORDER BY id`)
  ).map(streamFromRow);
  if (streams.length === 0) return [];
  const rows = await q(
    `SELECT DISTINCT m.stream_id, e.message_id, e.event_type, e.ts, e.received, e.traits
     FROM streams s
     JOIN stream_events m ON m.stream_id = s.id
     JOIN events e ON e.id_hash = m.id_hash AND e.message_id = m.message_id
     WHERE s.state <> 'completed'
     ORDER BY m.stream_id, e.ts, e.message_id`,
  );
  const byStream = new Map<number, WaymarkEvent[]>();
  for (const r of rows) {
    const id = num(r[0]);
    let list = byStream.get(id);
    if (list === undefined) byStream.set(id, (list = []));
    list.push(eventFromRow(r.slice(1)));
  }
  return streams.map((stream) => ({ stream, events: byStream.get(stream.id) ?? [] }));
}
