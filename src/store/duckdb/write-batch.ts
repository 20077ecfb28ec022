import { takeTraitsJSON, type WaymarkEvent } from '../../model/event.js';
import type { Instant } from '../../model/instant.js';
import { distinguishingToJSON, distinguishingValueString } from '../../engine/distinguishing.js';
import type { DistinguishingValue } from '../../engine/trigger.js';
import type { StoreBatch, StreamRecord } from '../store.js';
import type { DuckDBAppenderSlice, DuckDBConnectionSlice } from './duckdb-client.js';
import { num } from './duckdb-client.js';
import type { MessageIdFilter } from './message-id-filter.js';
import { messageIdHash } from './message-id-hash.js';
import { CORRELATION_TRAITS } from './migrations.js';

/** An event to insert and its message-id hash. */
export interface NewEvent {
  readonly event: WaymarkEvent;
  readonly hash: number;
}

/** What the single writer keeps in memory between commits (loaded at open). */
export interface WriterState {
  /** The largest stream id written; ids above it are new streams. */
  maxStreamId: number;
  nextDeadLetterId: number;
  nextOutcomeSeq: number;
  nextSampleSeq: number;
  /** `events.seq` of the next event stored (commit order; run-marks.ts folds events in by it). */
  nextEventSeq: number;
}

/** Load the {@link WriterState} of a store. */
export async function loadWriterState(conn: DuckDBConnectionSlice): Promise<WriterState> {
  const rows = (
    await conn.runAndReadAll(`SELECT
      greatest((SELECT value FROM store_meta WHERE name = 'max_stream_id'), (SELECT coalesce(max(id), 0) FROM streams)),
      (SELECT coalesce(max(id), 0) FROM dead_letters),
      (SELECT coalesce(max(seq), 0) FROM pipeline_outcomes),
      (SELECT coalesce(max(seq), 0) FROM meter_samples),
      (SELECT coalesce(max(seq), 0) FROM events)`)
  ).getRows();
  const r = rows[0] ?? [0, 0, 0, 0, 0];
  return {
    maxStreamId: num(r[0]),
    nextDeadLetterId: num(r[1]) + 1,
    nextOutcomeSeq: num(r[2]) + 1,
    nextSampleSeq: num(r[3]) + 1,
    nextEventSeq: num(r[4]) + 1,
  };
}

const big = (i: Instant): bigint => BigInt(i.us);

function appendNullableBig(a: DuckDBAppenderSlice, i: Instant | null): void {
  if (i === null) a.appendNull();
  else a.appendBigInt(BigInt(i.us));
}

function appendNullableText(a: DuckDBAppenderSlice, s: string | null): void {
  if (s === null) a.appendNull();
  else a.appendVarchar(s);
}

/** Append rows through an appender in the connection's open transaction. */
async function append<T>(
  conn: DuckDBConnectionSlice,
  table: string,
  rows: readonly T[],
  write: (a: DuckDBAppenderSlice, row: T) => void,
): Promise<void> {
  if (rows.length === 0) return;
  const a = await conn.createAppender(table);
  try {
    for (const row of rows) {
      write(a, row);
      a.endRow();
    }
    a.flushSync();
  } catch (e) {
    // A failed appender keeps its rows; when garbage-collected it flushes them again into whatever
    // transaction the connection has then, aborting it (measured with DuckDB 1.5.6; and COMMIT of an
    // aborted transaction reports success while writing nothing). Drop the rows before closing.
    try {
      a.clear();
    } catch {
      // nothing more to drop
    }
    throw e;
  } finally {
    try {
      a.closeSync();
    } catch {
      // After a failed flush, closing repeats its error; the caller rolls the transaction back.
    }
  }
}

/** `{name: distinguishingValueString(value)}`, the form `distinguished_by` filters compare. */
function distinguishingStrings(values: Readonly<Record<string, DistinguishingValue>>): string {
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(values)) out[name] = distinguishingValueString(v);
  return JSON.stringify(out);
}

function appendStream(a: DuckDBAppenderSlice, s: StreamRecord): void {
  a.appendBigInt(BigInt(s.id));
  a.appendVarchar(s.trigger);
  a.appendVarchar(s.key);
  a.appendVarchar(s.state);
  a.appendVarchar(JSON.stringify(distinguishingToJSON(s.distinguishedBy)));
  a.appendVarchar(distinguishingStrings(s.distinguishedBy));
  a.appendBigInt(big(s.first));
  a.appendBigInt(big(s.last));
  appendNullableBig(a, s.fireAt);
  appendNullableBig(a, s.expireAt);
  a.appendBigInt(BigInt(s.eventCount));
  appendNullableText(a, s.outcome);
  a.appendBigInt(BigInt(s.attempts));
  appendNullableBig(a, s.retryAt);
  appendNullableText(a, s.lastError);
  a.appendBigInt(big(s.updatedAt));
}

/**
 * The batch's events not stored yet (the first of each message_id), with
 * their hashes. Only ids the filter cannot rule out are looked up, in one
 * scan of `id_hash` (literal integers: DuckDB filters the scan with a hash set).
 */
async function newEvents(
  conn: DuckDBConnectionSlice,
  events: readonly WaymarkEvent[],
  filter: MessageIdFilter,
): Promise<NewEvent[]> {
  const byId = new Map<string, NewEvent>();
  const maybe: number[] = [];
  for (const e of events) {
    if (byId.has(e.message_id)) continue;
    const hash = messageIdHash(e.message_id);
    byId.set(e.message_id, { event: e, hash });
    if (filter.mayContain(hash)) maybe.push(hash);
  }
  if (maybe.length > 0) {
    const rows = (
      await conn.runAndReadAll(
        `SELECT message_id FROM events WHERE id_hash IN (${[...new Set(maybe)].join(',')})`,
      )
    ).getRows();
    for (const r of rows) byId.delete(r[0] as string);
  }
  return [...byId.values()];
}

/**
 * Write one batch in the connection's open transaction, in this order:
 * events (already stored ids skipped), memberships, dead letters, outcomes,
 * meter samples, stream upserts (DELETE then INSERT of whole rows), stream
 * deletions. Any error leaves the transaction to be rolled back by the caller.
 * Returns the writer state after the batch and the events inserted, to be
 * kept (and added to the filter) only if the commit succeeds.
 */
export async function writeBatch(
  conn: DuckDBConnectionSlice,
  batch: StoreBatch,
  state: WriterState,
  filter: MessageIdFilter,
): Promise<{ state: WriterState; inserted: NewEvent[] }> {
  const next = { ...state };
  const events = await newEvents(conn, batch.events, filter);
  await append(conn, 'events', events, (a, { event: e, hash }) => {
    a.appendVarchar(e.message_id);
    a.appendBigInt(BigInt(hash));
    a.appendVarchar(e.event_type);
    a.appendBigInt(big(e.timestamp));
    a.appendBigInt(big(e.received));
    a.appendVarchar(takeTraitsJSON(e));
    for (const t of CORRELATION_TRAITS) {
      const v = e.traits[t];
      if (v === undefined) a.appendNull();
      else
        a.appendVarchar(typeof v === 'string' ? v : typeof v === 'number' ? JSON.stringify(v) : v.toJSON());
    }
    a.appendBigInt(BigInt(next.nextEventSeq++));
  });

  const seen = new Set<string>();
  const memberships = batch.memberships.filter((m) => {
    const k = `${m.streamId}\u0000${m.messageId}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  await append(conn, 'stream_events', memberships, (a, m) => {
    a.appendBigInt(BigInt(m.streamId));
    a.appendBigInt(BigInt(messageIdHash(m.messageId)));
    a.appendVarchar(m.messageId);
  });

  await append(conn, 'dead_letters', batch.deadLetters, (a, d) => {
    a.appendBigInt(BigInt(next.nextDeadLetterId++));
    a.appendBigInt(big(d.received));
    a.appendVarchar(d.source);
    a.appendVarchar(d.reason);
    a.appendVarchar(d.payload);
  });
  await append(conn, 'pipeline_outcomes', batch.outcomes, (a, o) => {
    a.appendBigInt(BigInt(next.nextOutcomeSeq++));
    a.appendBigInt(BigInt(o.streamId));
    a.appendVarchar(o.pipeline);
    a.appendVarchar(o.kind);
    a.appendBigInt(BigInt(o.attempt));
    a.appendVarchar(o.status);
    appendNullableText(a, o.error);
    a.appendBigInt(big(o.started));
    a.appendBigInt(big(o.finished));
    a.appendBigInt(BigInt(o.emitted));
  });
  await append(conn, 'meter_samples', batch.meterSamples, (a, s) => {
    a.appendBigInt(BigInt(next.nextSampleSeq++));
    a.appendVarchar(s.meter);
    a.appendVarchar(s.kind);
    a.appendDouble(s.value);
    a.appendBigInt(BigInt(s.streamId));
    a.appendBigInt(big(s.at));
  });

  if (batch.streams.length > 0) {
    const byId = new Map<number, StreamRecord>();
    for (const s of batch.streams) byId.set(s.id, s); // the last version of a stream in the batch wins
    const existing = [...byId.keys()].filter((id) => id <= state.maxStreamId);
    if (existing.length > 0) await conn.run(`DELETE FROM streams WHERE id IN (${sqlIntegers(existing)})`);
    await append(conn, 'streams', [...byId.values()], appendStream);
    for (const id of byId.keys()) if (id > next.maxStreamId) next.maxStreamId = id;
  }

  if (batch.deletedStreams.length > 0) {
    const ids = sqlIntegers(batch.deletedStreams);
    // Ids are never reused: remember the high-water mark before its stream can go.
    await conn.run(
      `UPDATE store_meta SET value = greatest(value, ${next.maxStreamId}) WHERE name = 'max_stream_id'`,
    );
    await conn.run(`DELETE FROM stream_events WHERE stream_id IN (${ids})`);
    await conn.run(`DELETE FROM streams WHERE id IN (${ids})`);
  }
  return { state: next, inserted: events };
}

/** A comma-separated list of integers for an `IN (…)`; throws on anything else (never reaches SQL). */
export function sqlIntegers(ids: readonly number[]): string {
  return ids
    .map((id) => {
      if (!Number.isSafeInteger(id)) throw new TypeError(`expected an integer id, got ${String(id)}`);
      return String(id);
    })
    .join(',');
}
