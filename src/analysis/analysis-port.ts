import type { Instant } from '../model/instant.js';
import type { SampleStats } from '../pipeline/sample-stats.js';
import type { TraitFilter } from '../store/store.js';
import type { PhaseSet } from './phase-definitions.js';

/** Emit (`timestamp`) or receive (`received`) times. */
export type TimeBasis = 'emit' | 'receive';

/**
 * Per run, per matcher of a phase set: the earliest and latest emit and receive
 * times of the run's events the matcher matches, in microseconds (NaN: none).
 * Column `4 * matcher + k` with k = 0 min emit, 1 max emit, 2 min receive,
 * 3 max receive.
 */
export interface RunChunk {
  /** The runs' ids (the set's `group_by` trait, as text); empty when scanned with `ids: false`. */
  readonly ids: readonly string[];
  /** `columns[4 * matcher + k][run]`. Read-only: a store may share one array between columns. */
  readonly columns: readonly Float64Array[];
  /**
   * Per run trait of the set: its value as JSON text (`"pixel-8"`, `3`) in
   * the run's earliest matched event (by timestamp, then message_id), or null.
   */
  readonly traits: Readonly<Record<string, readonly (string | null)[]>>;
  /** Per run: the timestamp (µs) and message_id of that earliest event (ids empty with `ids: false`). */
  readonly firstTimes: Float64Array;
  readonly firstIds: readonly string[];
}

/** `GET /v1/reports/events`: counts and transport delay per event type. */
export interface EventReportQuery {
  readonly from?: Instant;
  readonly to?: Instant;
  /** Which time `from`/`to` apply to. */
  readonly time: TimeBasis;
  /** Traits to group by (besides the event type); an event without one is in the group with it null. */
  readonly groupBy: readonly string[];
  readonly traits: readonly TraitFilter[];
}

export interface EventReportRow {
  readonly event_type: string;
  /** Trait values as stored (JSON values; null when the event lacks the trait). */
  readonly group: Readonly<Record<string, unknown>>;
  readonly count: number;
  /** `received - timestamp` in seconds, summarised as meters are (sample-stats.ts). */
  readonly delay: SampleStats;
}

/**
 * The analysis port: what a store offers the time-and-motion analysis
 * (src/analysis) besides the {@link Store} port. Stores implement it with
 * their own query engine (DuckDB SQL in the embedded store); the analysis
 * never sees SQL. A separate interface so a store can add it later.
 */
export interface PhaseAnalysisSource {
  /**
   * The runs of a phase set, from the stored events whose type one of its
   * edges names and that carry its `group_by` trait: per run and matcher the
   * min/max emit and receive times, and the set's run traits. Streamed in
   * chunks; a run appears in one chunk only. With `ids: false` a store may
   * leave `ids` and `firstIds` empty (a one-off report needs neither: each run
   * comes once); the chunks' other columns are as always.
   */
  scanPhaseRuns(set: PhaseSet, options?: ScanOptions): AsyncIterable<RunChunk>;
  /** Event counts and transport delays per event type (and group), sorted by event type then group. */
  eventReport(query: EventReportQuery): Promise<EventReportRow[]>;
}

export interface ScanOptions {
  readonly signal?: AbortSignal;
  /** Default true: the run ids (and the trait sources' message ids) are wanted. */
  readonly ids?: boolean;
  /** Only the columns of this time basis are wanted (the others may be left NaN). Default: both. */
  readonly time?: TimeBasis;
  /**
   * Only these of the set's run traits are wanted (default: all of them); a
   * store may leave the others out of the chunks' `traits`. With none wanted
   * and `ids: false`, `firstTimes` may be left NaN (it only orders trait
   * sources). A one-off report asks for the traits it groups or filters by:
   * carrying each run's earliest event's traits through the scan is most of
   * its cost (DuckDB, 1,000,000 runs: 5-7 s with them, 1.8-2 s without).
   */
  readonly traits?: readonly string[];
}

/** Whether a store implements the analysis port. */
export function isPhaseAnalysisSource(store: object): store is PhaseAnalysisSource {
  const s = store as Partial<PhaseAnalysisSource>;
  return typeof s.scanPhaseRuns === 'function' && typeof s.eventReport === 'function';
}
