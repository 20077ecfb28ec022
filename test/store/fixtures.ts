import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TraitValue, WaymarkEvent } from '../../src/model/event.js';
import { Instant } from '../../src/model/instant.js';
import { streamKey, distinguishingToJSON } from '../../src/engine/distinguishing.js';
import type { DistinguishingValue } from '../../src/engine/trigger.js';
import { emptyBatch, type StoreBatch, type StreamRecord } from '../../src/store/store.js';

/** 2014-06-11T16:00:00Z plus `s` seconds. */
export function at(s: number): Instant {
  return new Instant(1_402_502_400_000_000 + Math.round(s * 1_000_000));
}

export function ev(
  id: string,
  type: string,
  timestamp: Instant,
  traits: Record<string, TraitValue> = {},
): WaymarkEvent {
  return { message_id: id, event_type: type, timestamp, received: timestamp.plus(1_500_000), traits };
}

export function stream(
  id: number,
  fields: Partial<StreamRecord> & { distinguishedBy?: Record<string, DistinguishingValue> } = {},
): StreamRecord {
  const trigger = fields.trigger ?? 'build_time';
  const distinguishedBy = fields.distinguishedBy ?? { instance_id: `i-${id}` };
  return {
    id,
    trigger,
    key: streamKey(trigger, distinguishedBy),
    state: 'active',
    distinguishedBy,
    first: at(0),
    last: at(10),
    fireAt: null,
    expireAt: at(4 * 3600),
    eventCount: 0,
    outcome: null,
    attempts: 0,
    retryAt: null,
    lastError: null,
    updatedAt: at(10),
    ...fields,
  };
}

export function batch(parts: Partial<StoreBatch>): StoreBatch {
  return { ...emptyBatch(), ...parts };
}

/** Comparable form of events: JSON (ISO timestamps, datetime traits as ISO) plus the exact microseconds. */
export function plain(events: readonly WaymarkEvent[]): unknown[] {
  return events.map((e) => ({
    ...(JSON.parse(JSON.stringify(e)) as object),
    us: e.timestamp.us,
    receivedUs: e.received.us,
    traitTypes: Object.fromEntries(
      Object.entries(e.traits).map(([k, v]) => [k, v instanceof Instant ? 'datetime' : typeof v]),
    ),
  }));
}

/** Comparable form of a stream record (distinguishing values by their JSON form, instants by µs). */
export function plainStream(s: StreamRecord | undefined): unknown {
  if (s === undefined) return undefined;
  const us = (i: Instant | null): number | null => (i === null ? null : i.us);
  return {
    ...s,
    distinguishedBy: distinguishingToJSON(s.distinguishedBy),
    first: us(s.first),
    last: us(s.last),
    fireAt: us(s.fireAt),
    expireAt: us(s.expireAt),
    retryAt: us(s.retryAt),
    updatedAt: us(s.updatedAt),
  };
}

export function ids(events: readonly WaymarkEvent[]): string[] {
  return events.map((e) => e.message_id);
}

/** A fresh temp dir and its removal. */
export function tempDir(prefix = 'waymark-store-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Run SQL on a DuckDB file no store has open; rows as JS values. */
export async function rawSql(path: string, sql: string): Promise<unknown[][]> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(path);
  const conn = await db.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowsJS();
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}
