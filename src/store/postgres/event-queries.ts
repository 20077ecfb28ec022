import { eventFromJSON, type WaymarkEvent } from '../../model/event.js';
import { Instant } from '../../model/instant.js';
import { eventTypeFilter } from '../event-type-filter.js';
import { pageLimit, pageMarker, type EventPosition } from '../page-marker.js';
import type { ComparisonOp, EventQuery, Page, TraitFilter } from '../store.js';
import { checkTraitFilter } from '../trait-match.js';
import { num } from './pg-client.js';
import { fromPg, jsonFromPg, toPg } from './pg-text.js';
import type { Query } from './query.js';

export const EVENT_COLUMNS = 'message_id, event_type, ts, received, traits';

/** The canonical datetime form (src/model/event.ts), as a PostgreSQL regular expression. */
const CANONICAL_ISO = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{6}Z$';

const SQL_OPS: Record<ComparisonOp, string> = { lt: '<', le: '<=', eq: '=', ne: '<>', ge: '>=', gt: '>' };

/** An event from a row of {@link EVENT_COLUMNS} (from `offset`); traits read back by `eventFromJSON`'s rule. */
export function eventFromRow(r: unknown[], offset = 0): WaymarkEvent {
  const e = eventFromJSON({
    message_id: fromPg(r[offset] as string),
    event_type: fromPg(r[offset + 1] as string),
    timestamp: 0,
    traits: jsonFromPg(r[offset + 4] as string),
  });
  e.timestamp = new Instant(num(r[offset + 2]));
  e.received = new Instant(num(r[offset + 3]));
  return e;
}

/** Parameters of a query, numbered as they are added. */
export class Params {
  readonly values: unknown[] = [];
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

/**
 * The typed comparison of a trait filter: a number filter matches JSON
 * numbers, an Instant filter strings in the canonical datetime form (which
 * compare as text in time order), a string filter the other strings (compared
 * in code-point order). A missing trait never matches. CASE makes sure the
 * cast only sees values of the right type.
 */
export function traitCondition(f: TraitFilter, p: Params): string {
  checkTraitFilter(f);
  const key = p.add(toPg(f.trait));
  const op = SQL_OPS[f.op];
  const v = f.value;
  if (typeof v === 'number') {
    return `(CASE WHEN json_typeof(traits -> ${key}) = 'number' THEN (traits ->> ${key})::float8 ${op} ${p.add(v)}::float8 END)`;
  }
  const isDatetime = v instanceof Instant;
  const text = `(traits ->> ${key}) COLLATE "C"`;
  const value = p.add(isDatetime ? v.toISOString() : toPg(v));
  return (
    `(CASE WHEN json_typeof(traits -> ${key}) = 'string' AND ${isDatetime ? '' : 'NOT '}((traits ->> ${key}) ~ '${CANONICAL_ISO}') ` +
    `THEN ${text} ${op} ${value}::text END)`
  );
}

/** `WHERE …` of an event query (the marker only when `after` is given). */
function eventWhere(query: EventQuery, after: EventPosition | undefined, p: Params): string {
  const conds: string[] = [];
  if (query.types !== undefined && query.types.length > 0) {
    const f = eventTypeFilter(query.types);
    const alts: string[] = [];
    if (f.names.length > 0) alts.push(`event_type = ANY(${p.add(f.names.map(toPg))}::text[])`);
    // compileGlob's patterns (^…$, escapes, bracket sets) mean the same in PostgreSQL's regular expressions.
    for (const re of f.globs) alts.push(`event_type ~ ${p.add(re.source)}`);
    conds.push(`(${alts.join(' OR ')})`);
  }
  if (query.from !== undefined) conds.push(`ts >= ${p.add(query.from.us)}::int8`);
  if (query.to !== undefined) conds.push(`ts < ${p.add(query.to.us)}::int8`);
  for (const f of query.traits ?? []) conds.push(traitCondition(f, p));
  if (after !== undefined) {
    conds.push(`(ts, message_id) > (${p.add(after.us)}::int8, ${p.add(toPg(after.messageId))}::text)`);
  }
  return conds.length === 0 ? '' : `WHERE ${conds.join(' AND ')}`;
}

/** A page of events in (timestamp, message_id) order. */
export async function queryEvents(q: Query, query: EventQuery): Promise<Page<WaymarkEvent>> {
  const limit = pageLimit(query.limit);
  const after = query.marker === undefined ? undefined : pageMarker.parseEvent(query.marker);
  const p = new Params();
  const where = eventWhere(query, after, p);
  const rows = await q(
    `SELECT ${EVENT_COLUMNS} FROM events ${where} ORDER BY ts, message_id LIMIT ${limit + 1}`,
    p.values,
  );
  const items = rows.slice(0, limit).map((r) => eventFromRow(r));
  const last = items[items.length - 1];
  return rows.length > limit && last !== undefined
    ? { items, next: pageMarker.event(last.timestamp.us, last.message_id) }
    : { items };
}

/** How many events match the query's filters (its marker and limit are ignored). */
export async function countEvents(q: Query, query: EventQuery): Promise<number> {
  const p = new Params();
  const rows = await q(`SELECT count(*) FROM events ${eventWhere(query, undefined, p)}`, p.values);
  return num(rows[0]?.[0] ?? 0);
}

export async function getEvent(q: Query, messageId: string): Promise<WaymarkEvent | undefined> {
  const rows = await q(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE message_id = $1`,
    [toPg(messageId)],
    'waymark_get_event',
  );
  return rows[0] === undefined ? undefined : eventFromRow(rows[0]);
}

/** The ids among `ids` that are stored, looked up 10,000 at a time through the primary key. */
export async function existingMessageIds(q: Query, ids: readonly string[]): Promise<Set<string>> {
  const wanted = [...new Set(ids)].map(toPg);
  const found = new Set<string>();
  for (let i = 0; i < wanted.length; i += 10_000) {
    const rows = await q(
      'SELECT message_id FROM events WHERE message_id = ANY($1::text[])',
      [wanted.slice(i, i + 10_000)],
      'waymark_existing_ids',
    );
    for (const r of rows) found.add(fromPg(r[0] as string));
  }
  return found;
}

export async function messageIdsSince(q: Query, since: Instant): Promise<string[]> {
  const rows = await q('SELECT message_id FROM events WHERE ts >= $1::int8', [since.us]);
  return rows.map((r) => fromPg(r[0] as string));
}
