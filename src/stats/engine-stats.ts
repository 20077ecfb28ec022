import type { EngineInstruments } from '../engine/instruments.js';
import type { StreamState } from '../store/store.js';
import { STREAM_STATES } from '../store/store.js';
import { counter, uint64, type Counter, type Gauge } from './fields.js';
import { histogram, type Histogram } from './histogram.js';
import type { FieldSpec } from './fields.js';
import { stats } from './writer.js';

/** What {@link engineStats} gives the composition root. */
export interface EngineStats {
  /** Pass to the engine: waymark's own health. */
  readonly instruments: EngineInstruments;
  /** Pass the committed meter samples here: pipeline meters and counters. */
  record(samples: readonly { meter: string; kind: 'sample' | 'count'; value: number }[]): void;
  /** The stats file. */
  readonly path: string;
  /** Remove the file. Idempotent. */
  close(): void;
}

/**
 * Publish the engine's health and the pipelines' meters through one mmstats
 * file (format version 2, as it holds histograms), read by `waymark stats`,
 * `/metrics` and any mmstats reader:
 *
 * - `waymark.events_in`, `.duplicates`, `.dead_letters`, `.fired`, `.expired`,
 *   `.pipeline_errors` (counters); `waymark.streams.<state>` (gauges);
 *   `waymark.store.batch_ms` (histogram of commit latency), `waymark.store.last_batch_events`;
 * - `waymark.meter.<name>` (histogram, seconds) per meter and
 *   `waymark.counter.<name>` (counter) per counter named in the pipelines.
 *   Names must be known at start; samples of other names are not published
 *   (they are still in `/v1/meters`).
 */
export function engineStats(options: {
  dir: string;
  meters: readonly string[];
  counters: readonly string[];
  env?: NodeJS.ProcessEnv;
}): EngineStats {
  const fields: Record<string, FieldSpec> = {
    eventsIn: counter('events_in'),
    duplicates: counter('duplicates'),
    deadLetters: counter('dead_letters'),
    fired: counter('fired'),
    expired: counter('expired'),
    pipelineErrors: counter('pipeline_errors'),
    batchMs: histogram('store.batch_ms', { lowest: 0.001, highest: 600_000 }),
    lastBatch: uint64('store.last_batch_events'),
  };
  for (const s of STREAM_STATES) fields[`state:${s}`] = uint64(`streams.${s}`);
  for (const m of options.meters)
    fields[`meter:${m}`] = histogram(`meter.${m}`, { lowest: 1e-6, highest: 31 * 86_400 });
  for (const c of options.counters) fields[`counter:${c}`] = counter(`counter.${c}`);
  const handle = stats({
    prefix: 'waymark.',
    fields,
    path: options.dir,
    ...(options.env ? { env: options.env } : {}),
  });
  const h = handle as unknown as Record<string, unknown> & { path: string; close(): void };
  const c = (name: string): Counter => h[name] as Counter;
  const instruments: EngineInstruments = {
    eventsIn: (n) => c('eventsIn').incr(n),
    duplicates: (n) => c('duplicates').incr(n),
    deadLetters: (n) => c('deadLetters').incr(n),
    fired: (n) => c('fired').incr(n),
    expired: (n) => c('expired').incr(n),
    pipelineErrors: (n) => c('pipelineErrors').incr(n),
    storeBatch: (events, ms) => {
      (h['batchMs'] as Histogram).observe(ms);
      (h['lastBatch'] as Gauge).set(events);
    },
    streamStates: (counts: Readonly<Record<StreamState, number>>) => {
      for (const s of STREAM_STATES) (h[`state:${s}`] as Gauge).set(counts[s]);
    },
  };
  let closed = false;
  return {
    instruments,
    path: h.path,
    record(samples) {
      for (const s of samples) {
        const f = h[s.kind === 'sample' ? `meter:${s.meter}` : `counter:${s.meter}`];
        if (f === undefined) continue;
        if (s.kind === 'sample') (f as Histogram).observe(s.value);
        else (f as Counter).incr(s.value);
      }
    },
    close() {
      if (closed) return;
      closed = true;
      h.close();
    },
  };
}

/** Meter and counter names the `meter` and `count` handlers of these pipelines record. */
export function pipelineMeterNames(
  pipelines: Iterable<{
    handlers: readonly { spec: { name: string }; params: Readonly<Record<string, unknown>> }[];
  }>,
): { meters: string[]; counters: string[] } {
  const meters = new Set<string>();
  const counters = new Set<string>();
  for (const p of pipelines) {
    for (const h of p.handlers) {
      if (h.spec.name === 'meter' && typeof h.params['meter'] === 'string') meters.add(h.params['meter']);
      if (h.spec.name === 'count' && typeof h.params['counter'] === 'string')
        counters.add(h.params['counter']);
    }
  }
  return { meters: [...meters].sort(), counters: [...counters].sort() };
}
