/**
 * store: what a durable commit costs. Batches shaped like the engine's (1,000
 * distilled OpenStack events, 1,000 memberships, 300 stream upserts of which
 * the new streams are inserted and the rest replaced) committed one after
 * another to a DuckDB file, against the same-run baseline of appending the
 * same rows with DuckDB appenders outside any transaction, with no duplicate
 * check and no upsert (each appender's close is its own commit): the raw limit.
 * Both use the store's DuckDB settings and count the final close (a
 * checkpoint), so the checkpoint cost is in the figure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { BUNDLED_DEFINITIONS, Distiller } from '../src/distill/index.js';
import { distinguishingToJSON, streamKey } from '../src/engine/distinguishing.js';
import type { WaymarkEvent } from '../src/model/event.js';
import { DuckDBStore } from '../src/store/duckdb/duckdb-store.js';
import { messageIdHash } from '../src/store/duckdb/message-id-hash.js';
import { MemoryStore } from '../src/store/memory/memory-store.js';
import { emptyBatch, type Store, type StoreBatch, type StreamRecord } from '../src/store/store.js';
import { openstackCorpus } from './corpus.js';
import type { BenchFigure, BenchSuite } from './lib.js';

export const BATCHES = 300;
export const BATCH = 1000;
const UPSERTS = 300;

/** The engine's batches: one stream per instance, plus state changes of other open streams up to UPSERTS. */
export function engineBatches(): StoreBatch[] {
  const d = Distiller.load(BUNDLED_DEFINITIONS);
  const events: WaymarkEvent[] = [];
  for (const line of openstackCorpus(BATCHES * BATCH + 5000, 1)) {
    const out = d.distillLine(line);
    if (out.status === 'event' && typeof out.event.traits['instance_id'] === 'string') events.push(out.event);
    if (events.length === BATCHES * BATCH) break;
  }
  const streams = new Map<string, StreamRecord>();
  const open: StreamRecord[] = [];
  const batches: StoreBatch[] = [];
  let nextId = 1;
  for (let b = 0; b < BATCHES; b++) {
    const slice = events.slice(b * BATCH, (b + 1) * BATCH);
    const touched = new Map<number, StreamRecord>();
    const memberships: { streamId: number; messageId: string }[] = [];
    for (const e of slice) {
      const instance = e.traits['instance_id'] as string;
      const prev = streams.get(instance);
      const distinguishedBy = { instance_id: instance };
      const s: StreamRecord = {
        id: prev?.id ?? nextId++,
        trigger: 'build_time',
        key: prev?.key ?? streamKey('build_time', distinguishedBy),
        state: 'active',
        distinguishedBy,
        first: prev?.first ?? e.timestamp,
        last: e.timestamp,
        fireAt: null,
        expireAt: e.timestamp.plus(4 * 3600 * 1_000_000),
        eventCount: (prev?.eventCount ?? 0) + 1,
        outcome: null,
        attempts: 0,
        retryAt: null,
        lastError: null,
        updatedAt: e.received,
      };
      if (prev === undefined) open.push(s);
      streams.set(instance, s);
      touched.set(s.id, s);
      memberships.push({ streamId: s.id, messageId: e.message_id });
    }
    for (let k = 0; touched.size < UPSERTS && k < open.length; k++) {
      const s = open[(b * 7919 + k * 104729) % open.length] as StreamRecord;
      if (!touched.has(s.id)) touched.set(s.id, { ...s, state: 'ready', fireAt: s.last });
    }
    batches.push({ ...emptyBatch(), events: slice, memberships, streams: [...touched.values()] });
  }
  return batches;
}

export interface Run {
  eventsPerSecond: number;
  latencies: number[];
  /** Event-loop (main thread) busy time per commit. */
  mainThreadMs: number;
  closeMs: number;
}

/** Commit every batch in turn, then close (timed too: DuckDB checkpoints there). */
export async function commitAll(
  store: Store,
  batches: readonly StoreBatch[],
  after?: () => Promise<void>,
): Promise<Run> {
  const latencies: number[] = [];
  const elu = performance.eventLoopUtilization();
  const t0 = performance.now();
  for (const b of batches) {
    const t = performance.now();
    await store.commit(b);
    latencies.push(performance.now() - t);
  }
  const busy = performance.eventLoopUtilization(elu).active;
  const committed = performance.now() - t0;
  await after?.();
  const c = performance.now();
  await store.close();
  const closeMs = performance.now() - c;
  const seconds = (committed + closeMs) / 1000;
  return {
    eventsPerSecond: (batches.length * BATCH) / seconds,
    latencies,
    mainThreadMs: busy / batches.length,
    closeMs,
  };
}

/** The raw limit: the same rows through appenders, autocommitted, no duplicate check, no upsert. */
async function appendRaw(path: string, batches: readonly StoreBatch[]): Promise<Run> {
  const schema = DuckDBStore.create({ path });
  await schema.open();
  await schema.close();
  const db = await DuckDBInstance.create(path, { checkpoint_threshold: '256MB' });
  const conn = await db.connect();
  const latencies: number[] = [];
  const elu = performance.eventLoopUtilization();
  const t0 = performance.now();
  for (const b of batches) {
    const t = performance.now();
    const ev = await conn.createAppender('events');
    for (const e of b.events) {
      ev.appendVarchar(e.message_id);
      ev.appendBigInt(BigInt(messageIdHash(e.message_id)));
      ev.appendVarchar(e.event_type);
      ev.appendBigInt(BigInt(e.timestamp.us));
      ev.appendBigInt(BigInt(e.received.us));
      ev.appendVarchar(JSON.stringify(e.traits));
      ev.endRow();
    }
    ev.closeSync();
    const m = await conn.createAppender('stream_events');
    for (const x of b.memberships) {
      m.appendBigInt(BigInt(x.streamId));
      m.appendBigInt(BigInt(messageIdHash(x.messageId)));
      m.appendVarchar(x.messageId);
      m.endRow();
    }
    m.closeSync();
    const st = await conn.createAppender('streams');
    for (const s of b.streams) {
      st.appendBigInt(BigInt(s.id));
      st.appendVarchar(s.trigger);
      st.appendVarchar(s.key);
      st.appendVarchar(s.state);
      st.appendVarchar(JSON.stringify(distinguishingToJSON(s.distinguishedBy)));
      st.appendVarchar(JSON.stringify(s.distinguishedBy));
      st.appendBigInt(BigInt(s.first.us));
      st.appendBigInt(BigInt(s.last.us));
      st.appendNull();
      st.appendBigInt(BigInt(s.expireAt?.us ?? 0));
      st.appendBigInt(BigInt(s.eventCount));
      st.appendNull();
      st.appendBigInt(0n);
      st.appendNull();
      st.appendNull();
      st.appendBigInt(BigInt(s.updatedAt.us));
      st.endRow();
    }
    st.closeSync();
    latencies.push(performance.now() - t);
  }
  const busy = performance.eventLoopUtilization(elu).active;
  const c = performance.now();
  conn.closeSync();
  db.closeSync();
  const closeMs = performance.now() - c;
  const seconds = (performance.now() - t0) / 1000;
  return {
    eventsPerSecond: (batches.length * BATCH) / seconds,
    latencies,
    mainThreadMs: busy / batches.length,
    closeMs,
  };
}

export function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

const ms = (v: number): string => `${v.toFixed(1)} ms`;

export function latencyNotes(r: Run): string {
  const mean = r.latencies.reduce((a, b) => a + b, 0) / r.latencies.length;
  return (
    `per 1,000-event commit: mean ${ms(mean)}, p50 ${ms(percentile(r.latencies, 0.5))}, ` +
    `p90 ${ms(percentile(r.latencies, 0.9))}, p99 ${ms(percentile(r.latencies, 0.99))}, ` +
    `max ${ms(Math.max(...r.latencies))}; main thread busy ${ms(r.mainThreadMs)} a commit; close ${ms(r.closeMs)}`
  );
}

const suite: BenchSuite = {
  title: 'store',
  async run() {
    const batches = engineBatches();
    const dir = mkdtempSync(join(tmpdir(), 'waymark-bench-store-'));
    try {
      const raw = await appendRaw(join(dir, 'raw.duckdb'), batches);
      const store = DuckDBStore.create({ path: join(dir, 'store.duckdb') });
      await store.open();
      let streamEventsMs = 0;
      const duck = await commitAll(store, batches, async () => {
        // a read the API makes: a stream's events (scans: the store keeps no index)
        const ids =
          batches
            .slice(-1)[0]
            ?.streams.slice(0, 20)
            .map((s) => s.id) ?? [];
        const t = performance.now();
        for (const id of ids) await store.streamEvents(id);
        streamEventsMs = (performance.now() - t) / Math.max(1, ids.length);
      });

      const memory = new MemoryStore();
      await memory.open();
      const mem = await commitAll(memory, batches);

      const shape = `${BATCHES} batches of ${BATCH} distilled events (~1 KB of traits each) + ${BATCH} memberships + ${UPSERTS} stream upserts, committed in turn to a new file, then closed`;
      const figures: BenchFigure[] = [
        {
          name: 'DuckDB commit (transaction, duplicate check, stream upserts, WAL fsync)',
          value: duck.eventsPerSecond,
          unit: 'events/s',
          baseline: { name: 'appenders, autocommit, no checks', value: raw.eventsPerSecond },
          target: '>= 30,000 events/s; a 1,000-event commit well under 30 ms',
          met: duck.eventsPerSecond >= 30_000 && percentile(duck.latencies, 0.5) < 30,
          notes: `${shape}; ${latencyNotes(duck)} (baseline ${latencyNotes(raw)}); streamEvents of a stream among ${(BATCHES * BATCH).toLocaleString('en-US')} events ${ms(streamEventsMs)}`,
        },
        {
          name: 'memory store commit (backtest scratch store)',
          value: mem.eventsPerSecond,
          unit: 'events/s',
          baseline: { name: 'DuckDB commit', value: duck.eventsPerSecond },
          notes: `same batches; ${latencyNotes(mem)}`,
        },
      ];
      return figures;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
export default suite;
