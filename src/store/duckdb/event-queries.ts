import { eventFromJSON, type WaymarkEvent } from '../../model/event.js';
import { Instant } from '../../model/instant.js';
import { eventTypeFilter } from '../event-type-filter.js';
import { checkTraitFilter } from '../trait-match.js';
import { pageLimit, pageMarker, type EventPosition } from '../page-marker.js';
import type { ComparisonOp, EventQuery, Page, TraitFilter } from '../store.js';
import { num, type SqlParam } from './duckdb-client.js';
import { messageIdHash } from './message-id-hash.js';
import type { Query } from './read-pool.js';

const EVENT_COLUMNS = 'message_id, event_type, ts, received, traits';

/** The canonical datetime form (src/model/event.ts), as an RE2 pattern. */
const CANONICAL_ISO = '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{6}Z';

const SQL_OPS: Record<ComparisonOp, string> = { lt: '<', le: '<=', eq: '=', ne: '<>', ge: '>=', gt: '>' };

/** An event from a row of {@link EVENT_COLUMNS}; traits read back by `eventFromJSON`'s rule. */
export function eventFromRow(r: unknown[]): WaymarkEvent {
  const e = eventFromJSON({
    message_id: r[0],
    event_type: r[1],
    timestamp: 0,
    traits: JSON.parse(r[4] as string) as unknown,
  });
  e.timestamp = new Instant(num(r[2]));
  e.received = new Instant(num(r[3]));
  return e;
}

/** A JSON pointer (`/name`, RFC 6901 escapes) to a top-level key: any trait name is safe in it. */
export function jsonPointer(name: string): string {
  return '/' + name.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * The typed comparison of a trait filter: a number filter matches JSON
 * numbers, an Instant filter strings in the canonical datetime form (which
 * compare as text in time order), a string filter the other strings (compared
 * by UTF-8 bytes, i.e. code points). A missing trait never matches.
 */
export function traitCondition(f: TraitFilter, params: SqlParam[]): string {
  checkTraitFilter(f);
  const path = jsonPointer(f.trait);
  const op = SQL_OPS[f.op];
  const v = f.value;
  if (typeof v === 'number') {
    params.push(path, path, v);
    return `(json_type(traits, ?) IN ('UBIGINT', 'BIGINT', 'DOUBLE') AND TRY_CAST(json_extract_string(traits, ?) AS DOUBLE) ${op} ?::DOUBLE)`;
  }
  const isDatetime = v instanceof Instant;
  params.push(path, path, path, isDatetime ? v.toISOString() : v);
  return (
    `(json_type(traits, ?) = 'VARCHAR' AND ${isDatetime ? '' : 'NOT '}regexp_full_match(json_extract_string(traits, ?), '${CANONICAL_ISO}') ` +
    `AND json_extract_string(traits, ?) ${op} ?::VARCHAR)`
  );
}

/** `WHERE …` of an event query (the marker only when `after` is given). */
function eventWhere(query: EventQuery, after: EventPosition | undefined, params: SqlParam[]): string {
  const conds: string[] = [];
  if (query.types !== undefined && query.types.length > 0) {
    const f = eventTypeFilter(query.types);
    const alts: string[] = [];
    if (f.names.length > 0) {
      alts.push(`event_type IN (${f.names.map(() => '?').join(', ')})`);
      params.push(...f.names);
    }
    for (const re of f.globs) {
      alts.push('regexp_full_match(event_type, ?)');
      params.push(`(?s)${re.source}`);
    }
    conds.push(`(${alts.join(' OR ')})`);
  }
  if (query.from !== undefined) {
    conds.push('ts >= ?');
    params.push(BigInt(query.from.us));
  }
  if (query.to !== undefined) {
    conds.push('ts < ?');
    params.push(BigInt(query.to.us));
  }
  for (const f of query.traits ?? []) conds.push(traitCondition(f, params));
  if (after !== undefined) {
    conds.push('ts >= ? AND (ts > ? OR message_id > ?)');
    params.push(BigInt(after.us), BigInt(after.us), after.messageId);
  }
  return conds.length === 0 ? '' : `WHERE ${conds.join(' AND ')}`;
}

/** A page of events in (timestamp, message_id) order. */
export async function queryEvents(q: Query, query: EventQuery): Promise<Page<WaymarkEvent>> {
  const limit = pageLimit(query.limit);
  const after = query.marker === undefined ? undefined : pageMarker.parseEvent(query.marker);
  const params: SqlParam[] = [];
  const where = eventWhere(query, after, params);
  const rows = await q(
    `SELECT ${EVENT_COLUMNS} FROM events ${where} ORDER BY ts, message_id LIMIT ${limit + 1}`,
    params,
  );
  const items = rows.slice(0, limit).map(eventFromRow);
  const last = items[items.length - 1];
  return rows.length > limit && last !== undefined
    ? { items, next: pageMarker.event(last.timestamp.us, last.message_id) }
    : { items };
}

/** How many events match the query's filters (its marker and limit are ignored). */
export async function countEvents(q: Query, query: EventQuery): Promise<number> {
  const params: SqlParam[] = [];
  const rows = await q(`SELECT count(*) FROM events ${eventWhere(query, undefined, params)}`, params);
  return num(rows[0]?.[0] ?? 0);
}

export async function getEvent(q: Query, messageId: string): Promise<WaymarkEvent | undefined> {
  const rows = await q(`SELECT ${EVENT_COLUMNS} FROM events WHERE id_hash = ? AND message_id = ?`, [
    BigInt(messageIdHash(messageId)),
    messageId,
  ]);
  return rows[0] === undefined ? undefined : eventFromRow(rows[0]);
}

/** The ids among `ids` that are stored: one scan of `id_hash` per 20,000 ids. */
export async function existingMessageIds(q: Query, ids: readonly string[]): Promise<Set<string>> {
  const wanted = new Set(ids);
  const found = new Set<string>();
  const hashes = [...new Set([...wanted].map(messageIdHash))];
  for (let i = 0; i < hashes.length; i += 20_000) {
    const chunk = hashes.slice(i, i + 20_000).join(',');
    const rows = await q(`SELECT message_id FROM events WHERE id_hash IN (${chunk})`);
    for (const r of rows) if (wanted.has(r[0] as string)) found.add(r[0] as string);
  }
  return found;
}

export async function messageIdsSince(q: Query, since: Instant): Promise<string[]> {
  const rows = await q('SELECT message_id FROM events WHERE ts >= ?', [BigInt(since.us)]);
  return rows.map((r) => r[0] as string);
}

export async function latestEventTimestamp(q: Query): Promise<Instant | undefined> {
  const rows = await q('SELECT max(ts) FROM events');
  const v = rows[0]?.[0];
  return v === null || v === undefined ? undefined : new Instant(num(v));
}
