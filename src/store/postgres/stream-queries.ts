import { distinguishingFromJSON } from '../../engine/distinguishing.js';
import type { WaymarkEvent } from '../../model/event.js';
import { Instant } from '../../model/instant.js';
import { pageLimit, pageMarker } from '../page-marker.js';
import type { OpenStream, Page, StreamQuery, StreamRecord, StreamState } from '../store.js';
import { EVENT_COLUMNS, eventFromRow, Params } from './event-queries.js';
import { num, numOrNull } from './pg-client.js';
import { fromPg, fromPgOrNull, jsonFromPg, toPg } from './pg-text.js';
import type { Query } from './query.js';

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
    trigger: fromPg(r[1] as string),
    key: fromPg(r[2] as string),
    state: r[3] as StreamState,
    distinguishedBy: distinguishingFromJSON(jsonFromPg(r[4] as string)),
    first: new Instant(num(r[5])),
    last: new Instant(num(r[6])),
    fireAt: instantOrNull(r[7]),
    expireAt: instantOrNull(r[8]),
    eventCount: num(r[9]),
    outcome: r[10] as StreamRecord['outcome'],
    attempts: num(r[11]),
    retryAt: instantOrNull(r[12]),
    lastError: fromPgOrNull(r[13]),
    updatedAt: new Instant(num(r[14])),
  };
}

function streamWhere(query: StreamQuery, afterId: number | undefined, p: Params): string {
  const conds: string[] = [];
  if (query.states !== undefined && query.states.length > 0) {
    conds.push(`state = ANY(${p.add(query.states)}::text[])`);
  }
  if (query.trigger !== undefined) conds.push(`trigger_name = ${p.add(toPg(query.trigger))}::text`);
  for (const [name, value] of Object.entries(query.distinguishedBy ?? {})) {
    conds.push(`(distinguishing_strings ->> ${p.add(toPg(name))}::text) = ${p.add(toPg(value))}::text`);
  }
  if (query.olderThan !== undefined) conds.push(`last_ts < ${p.add(query.olderThan.us)}::int8`);
  if (query.youngerThan !== undefined) conds.push(`last_ts >= ${p.add(query.youngerThan.us)}::int8`);
  if (afterId !== undefined) conds.push(`id > ${p.add(afterId)}::int8`);
  return conds.length === 0 ? '' : `WHERE ${conds.join(' AND ')}`;
}

export async function getStream(q: Query, id: number): Promise<StreamRecord | undefined> {
  const rows = await q(
    `SELECT ${STREAM_COLUMNS} FROM streams WHERE id = $1::int8`,
    [id],
    'waymark_get_stream',
  );
  return rows[0] === undefined ? undefined : streamFromRow(rows[0]);
}

/** A page of streams by id. */
export async function queryStreams(q: Query, query: StreamQuery): Promise<Page<StreamRecord>> {
  const limit = pageLimit(query.limit);
  const after = query.marker === undefined ? undefined : pageMarker.parseStream(query.marker);
  const p = new Params();
  const rows = await q(
    `SELECT ${STREAM_COLUMNS} FROM streams ${streamWhere(query, after, p)} ORDER BY id LIMIT ${limit + 1}`,
    p.values,
  );
  const items = rows.slice(0, limit).map(streamFromRow);
  const last = items[items.length - 1];
  return rows.length > limit && last !== undefined ? { items, next: pageMarker.stream(last.id) } : { items };
}

/** How many streams match the query's filters (its marker and limit are ignored). */
export async function countStreams(q: Query, query: StreamQuery): Promise<number> {
  const p = new Params();
  const rows = await q(`SELECT count(*) FROM streams ${streamWhere(query, undefined, p)}`, p.values);
  return num(rows[0]?.[0] ?? 0);
}

/** A stream's events in (timestamp, message_id) order: one join, so one snapshot. */
export async function streamEvents(q: Query, id: number): Promise<WaymarkEvent[]> {
  const rows = await q(
    `SELECT e.message_id, e.event_type, e.ts, e.received, e.traits
     FROM stream_events m JOIN events e ON e.message_id = m.message_id
     WHERE m.stream_id = $1::int8 ORDER BY e.ts, e.message_id`,
    [id],
    'waymark_stream_events',
  );
  return rows.map((r) => eventFromRow(r));
}

export async function streamsOfEvent(q: Query, messageId: string): Promise<number[]> {
  const rows = await q(
    'SELECT stream_id FROM stream_events WHERE message_id = $1 ORDER BY stream_id',
    [toPg(messageId)],
    'waymark_streams_of_event',
  );
  return rows.map((r) => num(r[0]));
}

/** Every stream not completed, with its events in order. Run both queries in one snapshot. */
export async function loadOpenStreams(q: Query): Promise<OpenStream[]> {
  const streams = (
    await q(`SELECT ${STREAM_COLUMNS} FROM streams WHERE state <> 'completed' ORDER BY id`)
  ).map(streamFromRow);
  if (streams.length === 0) return [];
  const rows = await q(
    `SELECT m.stream_id, ${EVENT_COLUMNS.split(', ')
      .map((c) => `e.${c}`)
      .join(', ')}
     FROM streams s
     JOIN stream_events m ON m.stream_id = s.id
     JOIN events e ON e.message_id = m.message_id
     WHERE s.state <> 'completed'
     ORDER BY m.stream_id, e.ts, e.message_id`,
  );
  const byStream = new Map<number, WaymarkEvent[]>();
  for (const r of rows) {
    const id = num(r[0]);
    let list = byStream.get(id);
    if (list === undefined) byStream.set(id, (list = []));
    list.push(eventFromRow(r, 1));
  }
  return streams.map((stream) => ({ stream, events: byStream.get(stream.id) ?? [] }));
}
