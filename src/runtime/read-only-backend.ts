import type { EventReportQuery, EventReportRow } from '../analysis/analysis-port.js';
import { analyzerFor, type PhaseAnalyzer } from '../analysis/phase-analyzer.js';
import type { PhaseSet } from '../analysis/phase-definitions.js';
import type { PhaseReportQuery, PhaseReportRow, RunsPage, RunsQuery } from '../analysis/phase-report.js';
import { explainEvent } from '../engine/explain.js';
import type { TriggerDefinition } from '../engine/trigger.js';
import { Instant } from '../model/instant.js';
import { MeterRegistry } from '../pipeline/meter-registry.js';
import type { ExplainEntry, IngestReport, MeterJSON, ServerBackend } from '../server/backend.js';
import { HttpError } from '../server/errors.js';
import type { Store } from '../store/store.js';

/**
 * A backend over a store with no engine: what `waymark streams|events|meters|
 * explain` use when no server runs. Reads work as on the server; deleting a
 * stream writes to the store directly; ingest and reset need the engine, so
 * they answer 409 saying to start `waymark serve`.
 */
export class ReadOnlyBackend implements ServerBackend {
  private meterCache: MeterJSON[] = [];

  private readonly analyzer: PhaseAnalyzer;

  private constructor(
    readonly store: Store,
    private readonly triggers: readonly TriggerDefinition[],
    phaseSets: readonly PhaseSet[],
  ) {
    // One command, then the process ends: no kept tables (a one-off report scans only what it reads).
    this.analyzer = analyzerFor(store, phaseSets, false);
  }

  /** `phaseSets`: the sets reports may name (the config's phases files). */
  static async open(
    store: Store,
    triggers: readonly TriggerDefinition[],
    phaseSets: readonly PhaseSet[] = [],
  ): Promise<ReadOnlyBackend> {
    const b = new ReadOnlyBackend(store, triggers, phaseSets);
    const registry = new MeterRegistry();
    registry.apply(await store.meterSamples());
    b.meterCache = registry.snapshot();
    return b;
  }

  private needsServer(what: string): never {
    throw new HttpError(409, `${what} needs the engine: start "waymark serve" on this store and try again`);
  }

  ingestNotifications(): Promise<IngestReport> {
    this.needsServer('ingest');
  }

  ingestEvents(): Promise<IngestReport> {
    this.needsServer('ingest');
  }

  deadLetter(): Promise<void> {
    this.needsServer('ingest');
  }

  meters(): MeterJSON[] {
    return this.meterCache;
  }

  async deleteStream(id: number): Promise<boolean> {
    if ((await this.store.getStream(id)) === undefined) return false;
    await this.store.commit({
      events: [],
      memberships: [],
      streams: [],
      deletedStreams: [id],
      deadLetters: [],
      outcomes: [],
      meterSamples: [],
    });
    return true;
  }

  resetStream(): Promise<boolean> {
    this.needsServer('resetting a stream');
  }

  async explain(messageId: string): Promise<ExplainEntry[] | undefined> {
    const event = await this.store.getEvent(messageId);
    if (event === undefined) return undefined;
    const ids = await this.store.streamsOfEvent(messageId);
    const streams = await Promise.all(ids.map((id) => this.store.getStream(id)));
    return explainEvent(this.triggers, event).map((e) => ({
      ...e,
      streams: streams.filter((s) => s?.trigger === e.trigger).map((s) => s?.id as number),
    }));
  }

  phaseSets(): readonly PhaseSet[] {
    return this.analyzer.phaseSets();
  }

  phaseReport(
    set: string,
    query: PhaseReportQuery,
    signal?: AbortSignal,
  ): AsyncGenerator<PhaseReportRow[], number> {
    return this.analyzer.phaseReport(set, query, signal);
  }

  phaseRuns(set: string, query: RunsQuery): Promise<RunsPage> {
    return this.analyzer.phaseRuns(set, query);
  }

  eventReport(query: EventReportQuery): Promise<EventReportRow[]> {
    return this.analyzer.eventReport(query);
  }

  async health(): Promise<Record<string, unknown>> {
    return {
      status: 'ok',
      mode: 'read-only (no engine)',
      store: this.store.name,
      now: Instant.now().toISOString(),
      dead_letters: await this.store.countDeadLetters(),
    };
  }
}
