import type { EventReportQuery, EventReportRow } from '../analysis/analysis-port.js';
import { analyzerFor, type PhaseAnalyzer } from '../analysis/phase-analyzer.js';
import { loadPhaseSets, type PhaseSet } from '../analysis/phase-definitions.js';
import type { PhaseReportQuery, PhaseReportRow, RunsPage, RunsQuery } from '../analysis/phase-report.js';
import { Distiller } from '../distill/distiller.js';
import { eventClock, wallClock, type EngineClock } from '../engine/clock.js';
import { Engine, StreamConflictError, type EngineLogger } from '../engine/engine.js';
import { explainEvent } from '../engine/explain.js';
import type { EngineInstruments } from '../engine/instruments.js';
import type { TriggerDefinition } from '../engine/trigger.js';
import { loadTriggerDefinitions } from '../engine/trigger-definitions.js';
import type { WaymarkConfig } from '../config/waymark-config.js';
import { ConfigError, type ConfigProblem } from '../config/config-error.js';
import { eventFromJSON, type WaymarkEvent } from '../model/event.js';
import { Instant } from '../model/instant.js';
import type { HandlerSpec, NotificationPublisher, PipelineDefinition } from '../pipeline/handler.js';
import { BUILTIN_HANDLERS } from '../pipeline/handlers/index.js';
import { MeterRegistry } from '../pipeline/meter-registry.js';
import { checkTriggerPipelines, loadPipelineDefinitions } from '../pipeline/pipeline-definitions.js';
import { runPipeline } from '../pipeline/run-pipeline.js';
import { loadUserHandlerSpec } from '../pipeline/user-handler.js';
import type { ExplainEntry, IngestReport, MeterJSON, ServerBackend } from '../server/backend.js';
import { openStore } from '../store/open-store.js';
import { Housekeeper } from './housekeeping.js';
import { engineStats, pipelineMeterNames, type EngineStats } from '../stats/engine-stats.js';
import { isSharedStore, type DeadLetter, type Lease, type SharedStore, type Store } from '../store/store.js';
import { UnsupportedStoreError } from '../store/store-errors.js';
import { Correlator, ExclusiveLease, type CorrelatorOptions } from './correlator.js';

/** Dead-letter payloads are cut to this many characters. */
const MAX_PAYLOAD = 64 * 1024;
const MAX_REASONS = 10;

export interface RuntimeOptions {
  config: WaymarkConfig;
  /** Overrides the config's clock. */
  clock?: 'wall' | 'event';
  /** An already open store (backtest's scratch store); otherwise the config's URL is opened. */
  store?: Store;
  /** Overrides the config's triggers (backtest). */
  triggerFiles?: readonly string[];
  pipelineFiles?: readonly string[];
  instruments?: EngineInstruments;
  publisher?: NotificationPublisher;
  log?: EngineLogger;
  cwd?: string;
  /** Called after each commit with its meter samples (after the registry has them). */
  onMeterSamples?: (samples: readonly { meter: string; kind: 'sample' | 'count'; value: number }[]) => void;
  /**
   * Backtest: handlers with outside side effects (webhook, publish, user
   * modules) run `handleEvents` but their `commit()` is skipped; logger, meter,
   * count and usage run as usual (their effects stay in the scratch store).
   */
  dryRun?: boolean;
  /** Publish the engine's health and the pipeline meters through an mmstats file in the config's stats dir. */
  publishStats?: boolean;
  /**
   * Share the store with other workers (PostgreSQL): ingest stores and queues
   * events, and the engine runs only while this worker holds the correlator
   * lease (see {@link Correlator}).
   */
  shared?: Pick<CorrelatorOptions, 'holder' | 'leaseMs' | 'pollMs' | 'batchSize'>;
  /**
   * Without `shared`, on a store that could be shared: the length of the
   * correlator lease this process holds all along (default 15 s; a lease left
   * by a crashed process is waited for that long).
   */
  exclusiveLeaseMs?: number;
}

/** Built-in handlers whose commit touches nothing outside waymark. */
const SIDE_EFFECT_FREE = new Set(['logger', 'meter', 'count', 'usage']);

function dryRun(spec: HandlerSpec): HandlerSpec {
  if (SIDE_EFFECT_FREE.has(spec.name)) return spec;
  return {
    name: spec.name,
    validate: (params) => spec.validate(params),
    create(params, context) {
      const h = spec.create(params, context);
      return {
        name: h.name,
        handleEvents: (events, env) => h.handleEvents(events, env),
        commit() {
          context.log.info(`dry run: ${h.name} commit skipped`, { stream: context.stream.id });
        },
        rollback: () => h.rollback(),
      };
    },
  };
}

/**
 * The composition root: config -> distiller, triggers, pipelines, store,
 * meters and the engine, wired together; implements the HTTP server's backend.
 */
export class Runtime implements ServerBackend {
  private closed = false;
  private constructor(
    readonly config: WaymarkConfig,
    readonly distiller: Distiller,
    readonly triggers: readonly TriggerDefinition[],
    readonly pipelines: ReadonlyMap<string, PipelineDefinition>,
    readonly store: Store,
    private current: Engine,
    readonly meterRegistry: MeterRegistry,
    private readonly ownsStore: boolean,
    readonly warnings: readonly ConfigProblem[],
    private readonly stats: EngineStats | undefined,
    private readonly analyzer: PhaseAnalyzer,
    /** `purge_completed_after` / `trim_events_after`, on the engine's clock. */
    readonly housekeeper: Housekeeper,
    /** Set when the store is shared with other workers. */
    private readonly correlator: Correlator | undefined,
    /** Set for a single process on a store that could be shared. */
    private readonly exclusive: ExclusiveLease | undefined,
  ) {
    housekeeper.start();
    correlator?.start();
  }

  /**
   * The engine. On a shared store, the one correlating while this worker holds
   * the lease, otherwise an engine that is not started (its clock and empty
   * state counts only).
   */
  get engine(): Engine {
    return this.current;
  }

  /** Set when the store is shared with other workers. */
  get worker(): ReturnType<Correlator['status']> | undefined {
    return this.correlator?.status();
  }

  /** The mmstats file this runtime publishes, if any. */
  get statsPath(): string | undefined {
    return this.stats?.path;
  }

  /** Load everything the config names (every problem reported at once), open the store, start the engine. */
  static async open(options: RuntimeOptions): Promise<Runtime> {
    const { config } = options;
    const loaded = await loadDefinitions(
      config,
      options.triggerFiles,
      options.pipelineFiles,
      options.dryRun === true,
    );
    const store = options.store ?? (await openStore(config.storeUrl, { cwd: options.cwd ?? process.cwd() }));
    let published: EngineStats | undefined;
    let exclusive: ExclusiveLease | undefined;
    try {
      if (options.publishStats === true) {
        published = engineStats({ dir: config.statsDir, ...pipelineMeterNames(loaded.pipelines.values()) });
      }
      const stats = published;
      // The engine commits through the analyzer, which keeps the phase sets' run tables current.
      const analyzer = analyzerFor(store, loaded.phaseSets);
      const meterRegistry = new MeterRegistry();
      const storedSamples = await store.meterSamples();
      meterRegistry.apply(storedSamples);
      // The stats file starts from what the store holds, as /v1/meters does.
      stats?.record(storedSamples);
      const clockMode = options.clock ?? config.clock;
      const clock: EngineClock = clockMode === 'event' ? eventClock(config.latenessSeconds) : wallClock();
      const log = options.log;
      const newEngine = (fence?: Lease): Engine =>
        new Engine({
          ...(fence === undefined ? {} : { fence }),
          store: analyzer.observe(store),
          triggers: loaded.triggers,
          pipelines: loaded.pipelines,
          clock,
          retry: { maxAttempts: config.retry.maxAttempts, backoffSeconds: config.retry.backoffSeconds },
          instruments: options.instruments ?? stats?.instruments,
          onMeterSamples: (samples) => {
            meterRegistry.apply(samples);
            stats?.record(samples);
            options.onMeterSamples?.(samples);
          },
          log,
          executePipeline: async (definition, events, stream, signal) => {
            const r = await runPipeline(definition, events, {
              stream,
              publisher: options.publisher,
              log: log ?? { info() {}, warn() {} },
              signal,
              timeoutMs: config.pipelineTimeoutSeconds * 1000,
            });
            return r.status === 'committed'
              ? { status: 'committed', samples: r.samples, emitted: r.emitted }
              : { status: 'error', error: `${r.handler} (${r.phase}): ${r.error}` };
          },
        });
      let sharedStore: SharedStore | undefined;
      if (options.shared !== undefined) {
        if (!isSharedStore(store)) {
          throw new UnsupportedStoreError(
            `the ${store.name} store cannot be shared by several workers: use a postgresql:// store, or run one worker without --shared`,
          );
        }
        sharedStore = store;
      }
      // A single process on a store that could be shared holds the correlator lease all along.
      exclusive =
        sharedStore === undefined && isSharedStore(store)
          ? await ExclusiveLease.take(store, engineLog(log), { leaseMs: options.exclusiveLeaseMs })
          : undefined;
      const engine = newEngine(exclusive?.lease);
      if (sharedStore === undefined) await engine.start();
      // The correlator and the housekeeper reach the runtime made below.
      const ref: { runtime?: Runtime } = {};
      const correlator =
        sharedStore === undefined
          ? undefined
          : new Correlator({
              ...options.shared,
              store: sharedStore,
              makeEngine: (lease) => newEngine(lease),
              // Not correlating: back to the engine that was never started (clock, empty counts).
              onEngine: (e) => ref.runtime?.setEngine(e ?? engine),
              log: engineLog(log),
            });
      const runtime = new Runtime(
        config,
        loaded.distiller,
        loaded.triggers,
        loaded.pipelines,
        store,
        engine,
        meterRegistry,
        options.store === undefined,
        loaded.warnings,
        stats,
        analyzer,
        new Housekeeper({
          store,
          now: () => (ref.runtime?.engine ?? engine).clock.now(),
          purgeCompletedAfterSeconds: config.purgeCompletedAfterSeconds,
          trimEventsAfterSeconds: config.trimEventsAfterSeconds,
          log,
        }),
        correlator,
        exclusive,
      );
      ref.runtime = runtime;
      return runtime;
    } catch (e) {
      published?.close();
      await exclusive?.release();
      if (options.store === undefined) await store.close();
      throw e;
    }
  }

  private setEngine(engine: Engine): void {
    this.current = engine;
  }

  /** Into the engine, or, on a shared store, into the store and its queue for the correlator. */
  private ingestInto(
    events: readonly WaymarkEvent[],
    dead: readonly DeadLetter[],
  ): Promise<{ accepted: number; duplicates: number }> {
    if (this.correlator !== undefined) return (this.store as SharedStore).enqueue(events, dead);
    return this.engine.ingest(events, dead);
  }

  /** Stream changes belong to the correlator: refuse them on a worker that only ingests. */
  private async assertCorrelating(): Promise<void> {
    if (this.correlator === undefined || this.correlator.status().role === 'correlator') return;
    const holder = await (this.store as SharedStore).leaseHolder();
    throw new StreamConflictError(
      `this worker (${this.correlator.holder}) does not correlate streams: ` +
        (holder === undefined ? 'no worker does right now; try again' : `send this to ${holder.holder}`),
    );
  }

  async ingestNotifications(
    items: readonly unknown[],
    source: string,
    raw?: readonly string[],
  ): Promise<IngestReport> {
    const received = Instant.now();
    const events: WaymarkEvent[] = [];
    const dead: DeadLetter[] = [];
    const reasons: string[] = [];
    const deadItems: number[] = [];
    let undefinedCount = 0;
    items.forEach((item, i) => {
      const out = this.distiller.distill(item, received);
      if (out.status === 'event') events.push(out.event);
      else if (out.status === 'no_definition') undefinedCount++;
      else {
        deadItems.push(i);
        dead.push(deadLetter(source, out.reason, raw?.[i] ?? safeStringify(item), received));
        if (reasons.length < MAX_REASONS) reasons.push(`item ${i}: ${out.reason}`);
      }
    });
    const r = await this.ingestInto(events, dead);
    return {
      received: items.length,
      accepted: r.accepted,
      duplicates: r.duplicates,
      undefined: undefinedCount,
      deadLettered: dead.length,
      reasons,
      deadItems,
    };
  }

  async ingestEvents(
    items: readonly unknown[],
    source: string,
    raw?: readonly string[],
  ): Promise<IngestReport> {
    const received = Instant.now();
    const events: WaymarkEvent[] = [];
    const dead: DeadLetter[] = [];
    const reasons: string[] = [];
    items.forEach((item, i) => {
      try {
        events.push(eventFromJSON(item));
      } catch (e) {
        const reason = (e as Error).message;
        dead.push(deadLetter(source, reason, raw?.[i] ?? safeStringify(item), received));
        if (reasons.length < MAX_REASONS) reasons.push(`item ${i}: ${reason}`);
      }
    });
    const r = await this.ingestInto(events, dead);
    return {
      received: items.length,
      accepted: r.accepted,
      duplicates: r.duplicates,
      undefined: 0,
      deadLettered: dead.length,
      reasons,
    };
  }

  async deadLetter(payloads: readonly { payload: string; reason: string }[], source: string): Promise<void> {
    const received = Instant.now();
    await this.ingestInto(
      [],
      payloads.map((p) => deadLetter(source, p.reason, p.payload, received)),
    );
  }

  meters(): MeterJSON[] {
    return this.meterRegistry.snapshot();
  }

  async deleteStream(id: number): Promise<boolean> {
    await this.assertCorrelating();
    return this.engine.deleteStream(id);
  }

  async resetStream(id: number): Promise<boolean> {
    await this.assertCorrelating();
    return this.engine.resetStream(id);
  }

  async explain(messageId: string): Promise<ExplainEntry[] | undefined> {
    const event = await this.store.getEvent(messageId);
    if (event === undefined) return undefined;
    const streamIds = await this.store.streamsOfEvent(messageId);
    const byTrigger = new Map<string, number[]>();
    for (const id of streamIds) {
      const s = await this.store.getStream(id);
      if (s === undefined) continue;
      const list = byTrigger.get(s.trigger) ?? [];
      list.push(id);
      byTrigger.set(s.trigger, list);
    }
    return explainEvent(this.triggers, event).map((e) => ({ ...e, streams: byTrigger.get(e.trigger) ?? [] }));
  }

  async health(): Promise<Record<string, unknown>> {
    return {
      status: 'ok',
      store: this.store.name,
      ...(this.store.backgroundStatus === undefined
        ? {}
        : { store_status: await this.store.backgroundStatus() }),
      clock: { mode: this.engine.clock.mode, now: this.engine.clock.now().toISOString() },
      streams: this.engine.stateCounts(),
      dead_letters: await this.store.countDeadLetters(),
      triggers: this.triggers.map((t) => t.name),
      ...(this.housekeeper.enabled ? { housekeeping: this.housekeeper.stats() } : {}),
      ...(this.correlator === undefined ? {} : { worker: await this.workerHealth(this.correlator) }),
    };
  }

  private async workerHealth(correlator: Correlator): Promise<Record<string, unknown>> {
    const store = this.store as SharedStore;
    const [holder, queued] = await Promise.all([store.leaseHolder(), store.queueDepth()]);
    const s = correlator.status();
    return {
      id: s.holder,
      role: s.role,
      correlator:
        holder === undefined
          ? null
          : { id: holder.holder, epoch: holder.epoch, expires_in_ms: holder.expiresInMs },
      queued,
      correlated: s.correlated,
      takeovers: s.takeovers,
      losses: s.losses,
    };
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

  /** Close the engine, then the store (when this runtime opened it). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.housekeeper.close();
    await this.correlator?.close();
    await this.engine.close();
    await this.exclusive?.release();
    this.stats?.close();
    if (this.ownsStore) await this.store.close();
  }
}

function engineLog(log: EngineLogger | undefined): EngineLogger {
  return { info: (m) => log?.info(m), warn: (m) => log?.warn(m), error: (m) => log?.error(m) };
}

function deadLetter(source: string, reason: string, payload: string, received: Instant): DeadLetter {
  return {
    source,
    reason,
    payload: payload.length > MAX_PAYLOAD ? payload.slice(0, MAX_PAYLOAD) : payload,
    received,
  };
}

function safeStringify(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** The distiller, triggers and pipelines of a config; every problem of every file in one ConfigError. */
export async function loadDefinitions(
  config: WaymarkConfig,
  triggerFiles?: readonly string[],
  pipelineFiles?: readonly string[],
  dry = false,
): Promise<{
  distiller: Distiller;
  triggers: TriggerDefinition[];
  pipelines: Map<string, PipelineDefinition>;
  phaseSets: PhaseSet[];
  warnings: ConfigProblem[];
}> {
  const problems: ConfigProblem[] = [];
  const attempt = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch (e) {
      if (e instanceof ConfigError) {
        problems.push(...e.problems);
        return undefined;
      }
      throw e;
    }
  };
  const registry = await handlerRegistry(config, problems);
  if (dry) for (const [name, spec] of registry) registry.set(name, dryRun(spec));
  const distiller = attempt(() => Distiller.load(config.distillerFiles, { catchAll: config.catchAll }));
  const trig = attempt(() => loadTriggerDefinitions(triggerFiles ?? config.triggerFiles));
  const pipelines = attempt(() => loadPipelineDefinitions(pipelineFiles ?? config.pipelineFiles, registry));
  const phaseSets = attempt(() => loadPhaseSets(config.phaseFiles));
  if (trig && pipelines) problems.push(...checkTriggerPipelines(trig.triggers, pipelines));
  if (problems.length > 0 || !distiller || !trig || !pipelines || !phaseSets) throw new ConfigError(problems);
  return { distiller, triggers: trig.triggers, pipelines, phaseSets, warnings: trig.warnings };
}

/**
 * The built-in handlers plus the config's `pipeline_handlers`: winchester's
 * Python names map to built-ins, JS modules are loaded (one that cannot be
 * loaded, or lacks the handler methods, is a problem added to `problems`).
 */
export async function handlerRegistry(
  config: WaymarkConfig,
  problems: ConfigProblem[],
): Promise<Map<string, HandlerSpec>> {
  const registry = new Map<string, HandlerSpec>(BUILTIN_HANDLERS);
  for (const [name, spec] of Object.entries(config.handlerModules)) {
    if ('builtin' in spec) {
      const builtin = BUILTIN_HANDLERS.get(spec.builtin);
      if (builtin !== undefined) registry.set(name, builtin);
      continue;
    }
    try {
      registry.set(name, await loadUserHandlerSpec(name, spec.module, spec.exportName));
    } catch (e) {
      problems.push({
        file: config.file ?? '<default config>',
        path: `pipeline_handlers.${name}`,
        message: (e as Error).message,
      });
    }
  }
  return registry;
}
