import type { EventReportQuery, EventReportRow } from '../analysis/analysis-port.js';
import type { PhaseSet } from '../analysis/phase-definitions.js';
import type { PhaseReportQuery, PhaseReportRow, RunsPage, RunsQuery } from '../analysis/phase-report.js';
import type { Store } from '../store/store.js';

/** What one ingest request came to. */
export interface IngestReport {
  /** Items received (notifications or events). */
  readonly received: number;
  /** New events committed (with their stream membership). */
  readonly accepted: number;
  /** Already stored (same message_id): ignored. */
  readonly duplicates: number;
  /** Notifications no event definition matches (dropped unless catch-all). */
  readonly undefined: number;
  /** Items set aside in dead letters, with why (first few reasons). */
  readonly deadLettered: number;
  readonly reasons: readonly string[];
  /** Indexes of the items that were dead-lettered (sources that settle items one by one, such as AMQP, use it). */
  readonly deadItems?: readonly number[];
}

/** A meter or counter as JSON (product.md): population std dev; counters have `type: "counter"` and only `count`. */
export interface MeterJSON {
  readonly name: string;
  readonly type: 'meter' | 'counter';
  readonly count: number;
  readonly min: number | null;
  readonly max: number | null;
  readonly mean: number | null;
  readonly stddev: number | null;
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
}

/** For each trigger: did the event match, and if not, the first failing condition. */
export interface ExplainEntry {
  readonly trigger: string;
  readonly matched: boolean;
  /** Which match criterion matched (index), when matched. */
  readonly criterion: number | null;
  /** Why not, when not matched (first failing condition of each criterion, joined), or a note when matched. */
  readonly reason: string | null;
  /** Distinguishing values when matched. */
  readonly distinguished_by: Record<string, unknown> | null;
  /** Streams of this trigger the stored event belongs to. */
  readonly streams: readonly number[];
}

/**
 * What the HTTP server needs from the rest of waymark (the engine runtime
 * implements it). Every ingest call resolves only after the events are durable,
 * so a 2xx response is an acknowledgement.
 */
export interface ServerBackend {
  /** Raw OpenStack notifications (bare or oslo envelope): distilled, bad ones dead-lettered. `raw` keeps each item's original text for dead letters. */
  ingestNotifications(
    items: readonly unknown[],
    source: string,
    raw?: readonly string[],
  ): Promise<IngestReport>;
  /** Already-distilled events in the JSON shape of product.md; bad ones dead-lettered. */
  ingestEvents(items: readonly unknown[], source: string, raw?: readonly string[]): Promise<IngestReport>;
  /** Items that could not even be parsed (broken JSON line): dead-lettered with the reason. */
  deadLetter(payloads: readonly { payload: string; reason: string }[], source: string): Promise<void>;
  /** Read side. */
  readonly store: Store;
  meters(): MeterJSON[];
  /** Delete a stream (and its membership); false when there is none. */
  deleteStream(id: number): Promise<boolean>;
  /** Put a stream back to `active` (clears fire/retry state; re-evaluates criteria); false when there is none. */
  resetStream(id: number): Promise<boolean>;
  /** `undefined` when no such event is stored. */
  explain(messageId: string): Promise<ExplainEntry[] | undefined>;
  /** `/v1/health`: anything JSON, at least `{status: "ok"}`. */
  health(): Promise<Record<string, unknown>>;

  // --- time-and-motion analysis (src/analysis) ---
  /** The configured phase sets. */
  phaseSets(): readonly PhaseSet[];
  /**
   * A phase report, one array of lines per phase in the set's order, computed
   * phase by phase; returns the number of runs covered. Throws
   * `InvalidReportError` (a 400) for an unknown set or trait.
   */
  phaseReport(
    set: string,
    query: PhaseReportQuery,
    signal?: AbortSignal,
  ): AsyncGenerator<PhaseReportRow[], number>;
  /** A page of a set's runs with their phases. */
  phaseRuns(set: string, query: RunsQuery): Promise<RunsPage>;
  /** Event counts and transport delays per event type (and group). */
  eventReport(query: EventReportQuery): Promise<EventReportRow[]>;
}
