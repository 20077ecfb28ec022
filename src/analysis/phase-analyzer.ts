import { WaymarkError } from '../model/errors.js';
import type { Store, StoreBatch } from '../store/store.js';
import {
  isPhaseAnalysisSource,
  type EventReportQuery,
  type EventReportRow,
  type PhaseAnalysisSource,
  type RunChunk,
} from './analysis-port.js';
import { sortEventReport } from './scan-events.js';
import type { PhaseSet } from './phase-definitions.js';
import {
  InvalidReportError,
  phaseReport,
  runsPage,
  type PhaseReportQuery,
  type PhaseReportRow,
  type RunsPage,
  type RunsQuery,
} from './phase-report.js';
import { RunTable } from './run-table.js';

/** A phase set as `GET /v1/phases` shows it. */
export interface PhaseSetJSON {
  readonly name: string;
  readonly description: string | null;
  readonly group_by: string;
  readonly traits: readonly string[];
  readonly phases: readonly {
    readonly name: string;
    /** The first event type of each edge (the dashboard's label); all of them in `*_types`. */
    readonly start: string;
    readonly end: string;
    readonly start_types: readonly string[];
    readonly end_types: readonly string[];
    readonly start_traits: Record<string, readonly (string | number)[]>;
    readonly end_traits: Record<string, readonly (string | number)[]>;
    readonly start_occurrence: 'first' | 'last';
    readonly end_occurrence: 'first' | 'last';
  }[];
}

export function phaseSetToJSON(set: PhaseSet): PhaseSetJSON {
  const conds = (
    c: readonly { trait: string; values: readonly (string | number)[] }[],
  ): Record<string, readonly (string | number)[]> => Object.fromEntries(c.map((x) => [x.trait, x.values]));
  return {
    name: set.name,
    description: set.description ?? null,
    group_by: set.groupBy,
    traits: set.traits,
    phases: set.phases.map((p) => ({
      name: p.name,
      start: p.start.eventTypes[0] as string,
      end: p.end.eventTypes[0] as string,
      start_types: p.start.eventTypes,
      end_types: p.end.eventTypes,
      start_traits: conds(p.start.traits),
      end_traits: conds(p.end.traits),
      start_occurrence: p.start.occurrence,
      end_occurrence: p.end.occurrence,
    })),
  };
}

export interface PhaseAnalyzerOptions {
  readonly sets: readonly PhaseSet[];
  readonly source: PhaseAnalysisSource;
  /**
   * Keep each set's run table in memory once built and update it on every
   * commit seen through {@link PhaseAnalyzer.observe} (default true). Off, or
   * when the store is shared with other processes, every report scans the store.
   */
  readonly cache?: boolean;
}

/**
 * Time-and-motion analysis over stored events: phase reports, runs with their
 * phases, event reports. Each phase set's runs are kept as a columnar
 * {@link RunTable}, built by one scan of the store (the first report asks for
 * it) and then kept current by the commits passing through the store returned
 * by {@link observe}; min/max merging makes a commit seen twice harmless.
 *
 * ```ts
 * const analyzer = new PhaseAnalyzer({ sets: loadPhaseSets(files), source: store });
 * const engineStore = analyzer.observe(store); // give this one to the engine
 * for await (const lines of analyzer.phaseReport('testrun', query)) console.log(lines);
 * ```
 */
export class PhaseAnalyzer {
  private readonly byName = new Map<string, PhaseSet>();
  private readonly tables = new Map<string, Promise<RunTable>>();
  private readonly live = new Map<string, RunTable>();
  private readonly cache: boolean;

  constructor(private readonly options: PhaseAnalyzerOptions) {
    for (const s of options.sets) this.byName.set(s.name, s);
    this.cache = options.cache ?? true;
  }

  phaseSets(): readonly PhaseSet[] {
    return this.options.sets;
  }

  set(name: string): PhaseSet {
    const s = this.byName.get(name);
    if (s === undefined) {
      const known = [...this.byName.keys()];
      throw new InvalidReportError(
        `no phase set "${name}"; ${known.length === 0 ? 'none is configured (waymark.yaml "phases:")' : `known: ${known.join(', ')}`}`,
      );
    }
    return s;
  }

  /**
   * A store that commits through `store` and then merges the committed events
   * into the run tables built so far. Everything else passes through unchanged.
   */
  observe(store: Store): Store {
    const commit = async (batch: StoreBatch): Promise<void> => {
      await store.commit(batch);
      if (batch.events.length > 0) for (const t of this.live.values()) t.mergeEvents(batch.events);
    };
    return new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'commit') return commit;
        const v: unknown = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  }

  /**
   * The run table of a set: built by a scan on first use (then kept, when
   * caching). Without caching, a table for one report (`reportOn`) holds only
   * what that report reads.
   */
  table(name: string, signal?: AbortSignal, reportOn?: PhaseReportQuery): Promise<RunTable> {
    const set = this.set(name);
    if (!this.cache)
      return reportOn !== undefined ? this.buildForReport(set, reportOn, signal) : this.build(set, signal);
    let t = this.tables.get(name);
    if (t === undefined) {
      t = this.build(set).catch((e: unknown) => {
        this.tables.delete(name);
        this.live.delete(name);
        throw e;
      });
      this.tables.set(name, t);
    }
    return t;
  }

  private async build(set: PhaseSet, signal?: AbortSignal): Promise<RunTable> {
    const table = new RunTable(set);
    // Live before the scan starts: a commit racing the scan is merged either way (min/max is idempotent).
    if (this.cache) this.live.set(set.name, table);
    for await (const chunk of this.options.source.scanPhaseRuns(
      set,
      signal === undefined ? {} : { signal },
    )) {
      table.mergeChunk(chunk);
    }
    return table;
  }

  /**
   * A table for one report: scanned without run ids (each run comes once),
   * on the report's time basis only, with only the run traits it groups or
   * filters by; appended, not merged.
   */
  private async buildForReport(
    set: PhaseSet,
    query: PhaseReportQuery,
    signal?: AbortSignal,
  ): Promise<RunTable> {
    const traits = [...new Set([...query.groupBy, ...query.traits.map((f) => f.trait)])];
    const table = new RunTable(set, query.time, traits);
    // A store may still name the runs (the memory store does): those chunks merge by id.
    const unnamed: RunChunk[] = [];
    for await (const chunk of this.options.source.scanPhaseRuns(set, {
      ids: false,
      time: query.time,
      traits,
      ...(signal === undefined ? {} : { signal }),
    })) {
      if (chunk.ids.length > 0) table.mergeChunk(chunk);
      else unnamed.push(chunk);
    }
    table.appendChunks(unnamed);
    return table;
  }

  /** Start building every set's table in the background (errors surface on the first report). */
  warm(): void {
    for (const name of this.byName.keys()) this.table(name).catch(() => undefined);
  }

  /** Phase report lines, one array per phase in order; the event loop gets a turn between phases. */
  async *phaseReport(
    name: string,
    query: PhaseReportQuery,
    signal?: AbortSignal,
  ): AsyncGenerator<PhaseReportRow[], number> {
    const table = await this.table(name, signal, query);
    const gen = phaseReport(table, query);
    for (;;) {
      signal?.throwIfAborted();
      const r = gen.next();
      if (r.done === true) return r.value;
      yield r.value;
    }
  }

  async phaseRuns(name: string, query: RunsQuery): Promise<RunsPage> {
    return runsPage(await this.table(name), query);
  }

  async eventReport(query: EventReportQuery): Promise<EventReportRow[]> {
    return sortEventReport(await this.options.source.eventReport(query), query.groupBy);
  }
}

/** A store without the analysis port: every report says so. */
export class AnalysisUnsupportedError extends WaymarkError {
  override name = 'AnalysisUnsupportedError';
}

/**
 * The analyzer of a store: over the store's {@link PhaseAnalysisSource} when
 * it has one; run tables are cached unless other processes write to the store
 * or `cache` is false (a process that answers one report: a kept table would
 * scan more than that report reads).
 */
export function analyzerFor(store: Store, sets: readonly PhaseSet[], cache = true): PhaseAnalyzer {
  const unsupportedError = (): AnalysisUnsupportedError =>
    new AnalysisUnsupportedError(
      `the ${store.name} store does not offer time-and-motion analysis yet; use the embedded (duckdb:) or memory: store`,
    );
  const source: PhaseAnalysisSource = isPhaseAnalysisSource(store)
    ? store
    : {
        scanPhaseRuns: () => ({
          [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(unsupportedError()) }),
        }),
        eventReport: () => Promise.reject(unsupportedError()),
      };
  return new PhaseAnalyzer({ sets, source, cache: cache && !store.capabilities.supportsConcurrentWorkers });
}
