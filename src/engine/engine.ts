import type { WaymarkEvent } from '../model/event.js';
import { Instant } from '../model/instant.js';
import { WaymarkError } from '../model/errors.js';
import { isPurePipeline, type PipelineDefinition, type StreamRef } from '../pipeline/handler.js';
import type { DeadLetter, Lease, Store } from '../store/store.js';
import type { EngineClock } from './clock.js';
import { NO_INSTRUMENTS, type EngineInstruments } from './instruments.js';
import { BatchBuilder, StreamBook, type RunRequest, type RunResult } from './stream-book.js';
import { SeenIds } from './seen-ids.js';
import type { TriggerDefinition } from './trigger.js';

/** How one pipeline run ended (the runtime adapts src/pipeline's runner to this). */
export type PipelineRunOutcome =
  | {
      status: 'committed';
      samples: readonly { meter: string; kind: 'sample' | 'count'; value: number }[];
      emitted: readonly WaymarkEvent[];
    }
  | { status: 'error'; error: string };

/** Runs a pipeline; must not throw (errors are an outcome). */
export type PipelineExecutor = (
  definition: PipelineDefinition,
  events: readonly WaymarkEvent[],
  stream: StreamRef,
  signal: AbortSignal,
) => Promise<PipelineRunOutcome>;

export interface EngineLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface EngineOptions {
  store: Store;
  triggers: readonly TriggerDefinition[];
  pipelines: ReadonlyMap<string, PipelineDefinition>;
  executePipeline: PipelineExecutor;
  clock: EngineClock;
  /** Failed pipelines: at most `maxAttempts` runs, waiting `backoffSeconds · 2^(n-1)` after the n-th failure. */
  retry?: { maxAttempts: number; backoffSeconds: number };
  /** Events per store commit (default 5,000). */
  batchSize?: number;
  /** Events waiting for a commit before `ingest` waits (default 50,000). */
  maxPending?: number;
  /** Message ids remembered in memory, by event timestamp (default 1 day); older ones are checked in the store. */
  dedupeWindowSeconds?: number;
  /** Pipeline runs at once (default 8). */
  pipelineConcurrency?: number;
  instruments?: EngineInstruments;
  /** Called after each commit with the meter samples it held (feed the meter registry). */
  onMeterSamples?: (samples: readonly { meter: string; kind: 'sample' | 'count'; value: number }[]) => void;
  log?: EngineLogger;
  /**
   * A shared store's correlator lease: every commit is fenced by it (fails,
   * and stops the engine, once another worker has taken the lease).
   */
  fence?: Lease;
}

/** Where the events given to {@link Engine.ingest} come from. */
export interface IngestOptions {
  /**
   * Already stored (a shared store's queue, de-duplicated there): they join
   * streams, but are neither written nor checked for duplicates again.
   */
  readonly stored?: boolean;
  /** The queue entries these events came from, deleted in the commit that correlates them. */
  readonly dequeue?: readonly number[];
}

/** What became of the events of one {@link Engine.ingest} call. */
export interface IngestResult {
  accepted: number;
  duplicates: number;
}

/** The engine stopped: closed, or a store commit failed (restart it; nothing unacknowledged was lost). */
export class EngineStoppedError extends WaymarkError {
  override name = 'EngineStoppedError';
}

/** A stream cannot be reset now: its pipeline runs, or another stream holds its key. */
export class StreamConflictError extends WaymarkError {
  override name = 'StreamConflictError';
}

interface PendingIngest {
  events: readonly WaymarkEvent[];
  options: IngestOptions;
  deadLetters: readonly DeadLetter[];
  resolve(r: IngestResult): void;
  reject(e: unknown): void;
  result: IngestResult;
}

type Command = (batch: BatchBuilder) => Promise<void> | void;

interface FinishedRun {
  request: RunRequest;
  outcome: PipelineRunOutcome;
  started: Instant;
  finished: Instant;
}

/** Commits written at once while the next batch is prepared. */
const MAX_COMMITS_IN_FLIGHT = 2;

const SILENT: EngineLogger = { info() {}, warn() {}, error() {} };

/**
 * The trigger engine: puts events into streams, fires and expires them on its
 * clock, runs their pipelines, and commits everything to the store in batches.
 * `ingest()` resolves only once the events and their stream membership are
 * committed: that is when a source may acknowledge them.
 *
 * One loop does all the work, so streams need no locks; a failed commit stops
 * the engine (fail-stop: restart it and it resumes from the store).
 *
 * ```ts
 * const engine = new Engine({ store, triggers, pipelines, executePipeline, clock: eventClock(60) });
 * await engine.start();
 * await engine.ingest(events);          // durable now
 * await engine.advanceClock(Instant.parse('9999-01-01T00:00:00Z')); // replay: expire what is left
 * await engine.close();
 * ```
 */
export class Engine {
  private readonly book: StreamBook;
  private readonly seen: SeenIds;
  private readonly pending: PendingIngest[] = [];
  private pendingEvents = 0;
  private readonly commands: { run: Command; done(e?: unknown): void }[] = [];
  private readonly finished: FinishedRun[] = [];
  /** Events emitted by inline runs, for the next batch. */
  private readonly carried: WaymarkEvent[] = [];
  private readonly runQueue: RunRequest[] = [];
  private running = 0;
  private looping = false;
  private stopped: Error | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly spaceWaiters: (() => void)[] = [];
  private readonly abort = new AbortController();
  private readonly instruments: EngineInstruments;
  private readonly log: EngineLogger;
  private readonly batchSize: number;
  /** Names of the {@link isPurePipeline} pipelines, decided once. */
  private readonly purePipelines: ReadonlySet<string>;
  private readonly maxPending: number;
  private readonly concurrency: number;
  private started = false;
  private closing = false;
  private readonly commitQueue: Promise<void>[] = [];

  constructor(private readonly options: EngineOptions) {
    this.book = new StreamBook(options.triggers, options.retry ?? { maxAttempts: 5, backoffSeconds: 10 });
    this.seen = new SeenIds(options.dedupeWindowSeconds ?? 86_400);
    this.instruments = options.instruments ?? NO_INSTRUMENTS;
    this.log = options.log ?? SILENT;
    this.batchSize = options.batchSize ?? 5000;
    this.purePipelines = new Set(
      [...options.pipelines].filter(([, d]) => isPurePipeline(d)).map(([name]) => name),
    );
    this.maxPending = options.maxPending ?? 50_000;
    this.concurrency = options.pipelineConcurrency ?? 8;
  }

  /** Why the engine stopped (closed, or a commit failed), or undefined while it runs. */
  get stoppedBy(): Error | undefined {
    return this.stopped;
  }

  get clock(): EngineClock {
    return this.options.clock;
  }

  /** Load the open streams from the store, warm the duplicate filter, resume interrupted pipeline runs. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const store = this.options.store;
    const [open, maxId, latest, completed] = await Promise.all([
      store.loadOpenStreams(),
      store.maxStreamId(),
      store.latestEventTimestamp(),
      store.countStreams({ states: ['completed'] }),
    ]);
    const unknown = new Set<string>();
    const rerun = this.book.load(open, maxId, (name) => unknown.add(name));
    for (const name of unknown) {
      this.log.warn(
        `streams of trigger "${name}" are left as they are: no such trigger in the configuration`,
      );
    }
    this.book.completedCount = completed;
    if (latest !== undefined) {
      this.options.clock.observe(latest);
      const ids = await store.messageIdsSince(new Instant(latest.us - this.seen.windowUs));
      for (const id of ids) this.seen.add(id, latest.us);
      this.seen.observe(latest.us);
    }
    for (const r of rerun) this.runQueue.push(r);
    this.launchRuns();
    this.instruments.streamStates(this.book.stateCounts());
    this.kick();
  }

  /**
   * Add events (and dead letters to keep) and wait until they are committed.
   * Duplicates (same message_id as a stored or earlier event) are dropped.
   * Waits for room when too much is pending.
   */
  async ingest(
    events: readonly WaymarkEvent[],
    deadLetters: readonly DeadLetter[] = [],
    options: IngestOptions = {},
  ): Promise<IngestResult> {
    this.throwIfStopped();
    while (this.pendingEvents >= this.maxPending && !this.stopped) {
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
    }
    this.throwIfStopped();
    return new Promise<IngestResult>((resolve, reject) => {
      this.pending.push({
        events,
        options,
        deadLetters,
        resolve,
        reject,
        result: { accepted: 0, duplicates: 0 },
      });
      this.pendingEvents += events.length;
      this.kick();
    });
  }

  /** Event clocks: move the clock to `t` (end of a replay) and process what is due; resolves when idle. */
  async advanceClock(t: Instant): Promise<void> {
    await this.command((batch) => {
      this.options.clock.advanceTo(t);
      this.book.processDue(this.options.clock.now(), batch);
    });
    await this.idle();
  }

  /** Delete a stream and its membership (its events stay). */
  async deleteStream(id: number): Promise<boolean> {
    let found = false;
    await this.command(async (batch) => {
      found = this.book.remove(id, batch);
      if (!found && (await this.options.store.getStream(id)) !== undefined) {
        batch.deletedStreams.push(id);
        found = true;
      }
    });
    return found;
  }

  /** Put a stream back to active (criteria re-evaluated). Throws {@link StreamConflictError} when it cannot. */
  async resetStream(id: number): Promise<boolean> {
    let status = 'not_found';
    await this.command(async (batch) => {
      let stored;
      if (this.book.get(id) === undefined) {
        const record = await this.options.store.getStream(id);
        if (record !== undefined)
          stored = { stream: record, events: await this.options.store.streamEvents(id) };
      }
      status = this.book.reset(id, stored, this.options.clock.now(), batch);
    });
    if (status === 'running')
      throw new StreamConflictError(`stream ${id} is running its pipeline; try again when it has finished`);
    if (status === 'conflict') {
      throw new StreamConflictError(
        `stream ${id} cannot be reset: another stream with the same distinguishing values is accepting events`,
      );
    }
    return status === 'ok';
  }

  /** Streams per state right now. */
  stateCounts(): ReturnType<StreamBook['stateCounts']> {
    return this.book.stateCounts();
  }

  /** Resolves when nothing is pending, no pipeline runs and the loop rests. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stop: wait for the commit in progress, abort running pipelines (they re-run after a restart). Idempotent. */
  async close(): Promise<void> {
    this.closing = true;
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
    while (this.looping) await new Promise((r) => setTimeout(r, 5));
    await Promise.allSettled(this.commitQueue);
    this.stopped ??= new EngineStoppedError('the engine is closed');
    this.failPending(this.stopped);
  }

  private throwIfStopped(): void {
    if (this.stopped) throw this.stopped;
    if (this.closing) throw new EngineStoppedError('the engine is closing');
  }

  private command(run: Command): Promise<void> {
    if (this.stopped) return Promise.reject(this.stopped);
    return new Promise<void>((resolve, reject) => {
      this.commands.push({
        run,
        done: (e) =>
          e === undefined ? resolve() : reject(e instanceof Error ? e : new Error(JSON.stringify(e))),
      });
      this.kick();
    });
  }

  private isIdle(): boolean {
    return (
      !this.looping &&
      this.pending.length === 0 &&
      this.commands.length === 0 &&
      this.finished.length === 0 &&
      this.carried.length === 0 &&
      this.running === 0 &&
      this.runQueue.length === 0 &&
      this.commitQueue.length === 0
    );
  }

  private kick(): void {
    if (this.looping || this.stopped) return;
    this.looping = true;
    setImmediate(() => void this.loop());
  }

  private async loop(): Promise<void> {
    try {
      while (
        !this.stopped &&
        (this.pending.length > 0 ||
          this.commands.length > 0 ||
          this.finished.length > 0 ||
          this.carried.length > 0 ||
          this.dueNow())
      ) {
        await this.flushOnce();
      }
    } catch (cause) {
      this.fail(cause);
    } finally {
      this.looping = false;
    }
    this.armTimer();
    this.settle();
  }

  private dueNow(): boolean {
    return this.book.nextDue() <= this.options.clock.now().us;
  }

  private armTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopped || this.options.clock.mode !== 'wall') return;
    const next = this.book.nextDue();
    if (next === Infinity) return;
    const wait = Math.max(0, Math.min(1000, (next - this.options.clock.now().us) / 1000));
    this.timer = setTimeout(() => this.kick(), wait);
    this.timer.unref();
  }

  private async flushOnce(): Promise<void> {
    const batch = new BatchBuilder();
    const clock = this.options.clock;
    let errors = 0;
    const emittedAll: WaymarkEvent[] = [];

    for (const f of this.finished.splice(0)) if (this.applyFinished(f, batch, emittedAll)) errors++;
    emittedAll.push(...this.carried.splice(0));

    const commands: { run: Command; done(e?: unknown): void }[] = [];
    for (const c of this.commands.splice(0)) {
      try {
        await c.run(batch);
        commands.push(c);
      } catch (e) {
        c.done(e);
      }
    }

    const taken: PendingIngest[] = [];
    let n = 0;
    while (this.pending.length > 0) {
      const next = this.pending[0] as PendingIngest;
      if (n > 0 && n + next.events.length > this.batchSize) break;
      this.pending.shift();
      taken.push(next);
      n += next.events.length;
    }

    try {
      const groups = taken.map((p) => ({
        events: p.events,
        result: p.result,
        stored: p.options.stored === true,
      }));
      if (emittedAll.length > 0)
        groups.push({ events: emittedAll, result: { accepted: 0, duplicates: 0 }, stored: false });
      await this.checkOldDuplicates(groups.filter((g) => !g.stored));
      for (const g of groups) {
        for (const event of g.events) {
          // A stored event is remembered too, so that a pipeline cannot emit it a second time.
          if (!this.seen.add(event.message_id, event.timestamp.us) && !g.stored) {
            g.result.duplicates++;
            continue;
          }
          g.result.accepted++;
          clock.observe(event.timestamp);
          if (clock.mode === 'event') this.book.processDue(clock.now(), batch);
          if (!g.stored) batch.events.push(event);
          this.book.addEvent(event, clock.now(), batch);
        }
      }
      for (const p of taken) if (p.options.dequeue !== undefined) batch.dequeued.push(...p.options.dequeue);
      for (const p of taken) for (const d of p.deadLetters) batch.deadLetters.push(d);
      this.book.processDue(clock.now(), batch);
    } catch (e) {
      for (const p of taken) p.reject(e);
      for (const c of commands) c.done(e);
      throw e;
    }
    try {
      errors += await this.runInline(batch);
    } catch (e) {
      for (const p of taken) p.reject(e);
      for (const c of commands) c.done(e);
      throw e;
    }
    this.seen.evict();
    this.pendingEvents -= n;
    for (const w of this.spaceWaiters.splice(0)) w();

    // Commits are pipelined: the next batch is prepared while this one is written
    // (the store applies them in order). Acknowledgements wait for their commit.
    const t0 = performance.now();
    const committed = (
      batch.empty ? Promise.resolve() : this.options.store.commit(batch.toStoreBatch(this.options.fence))
    ).then(
      () => {
        if (this.stopped) {
          // An earlier commit failed: this one is durable, but say so conservatively (a resend is a duplicate).
          for (const p of taken) p.reject(this.stopped);
          for (const c of commands) c.done(this.stopped);
          return;
        }
        this.afterCommit(batch, taken, commands, errors, performance.now() - t0);
      },
      (e: unknown) => {
        for (const p of taken) p.reject(e);
        for (const c of commands) c.done(e);
        this.fail(e);
      },
    );
    this.commitQueue.push(committed);
    void committed.finally(() => {
      const i = this.commitQueue.indexOf(committed);
      if (i >= 0) void this.commitQueue.splice(i, 1);
      this.settle();
    });
    if (this.commitQueue.length >= MAX_COMMITS_IN_FLIGHT) await this.commitQueue[0];
  }

  /** Apply a finished run to the batch; its emitted events go to `emitted`. True when the run failed. */
  private applyFinished(f: FinishedRun, batch: BatchBuilder, emitted: WaymarkEvent[]): boolean {
    const clock = this.options.clock;
    const committed = f.outcome.status === 'committed' ? f.outcome : undefined;
    const result: RunResult = committed
      ? { status: 'committed', samples: committed.samples }
      : { status: 'error', error: (f.outcome as { error: string }).error };
    const timing = { started: f.started, finished: f.finished, emitted: committed?.emitted.length ?? 0 };
    const r = this.book.applyResult(f.request, result, timing, clock.now(), batch);
    if (r === 'committed' && committed) emitted.push(...committed.emitted);
    if (r !== 'error') return false;
    this.log.warn(`pipeline ${f.request.pipeline} failed: stream ${f.request.stream.id}`, {
      attempt: f.request.stream.attempts,
      error: result.status === 'error' ? result.error : undefined,
    });
    return true;
  }

  /**
   * Run the batch's pure pipelines ({@link isPurePipeline}: meters, counts,
   * logs) now, so that their outcome commits with the fire that started them:
   * one commit from event to completed stream. Their runs leave `batch.runs`.
   * Returns how many failed.
   */
  private async runInline(batch: BatchBuilder): Promise<number> {
    let errors = 0;
    for (let i = 0; i < batch.runs.length;) {
      const request = batch.runs[i] as RunRequest;
      if (!this.purePipelines.has(request.pipeline)) {
        i++;
        continue;
      }
      batch.runs.splice(i, 1);
      // Pure handlers never emit; should one, its events are ingested with the next batch.
      if (this.applyFinished(await this.execute(request), batch, this.carried)) errors++;
    }
    return errors;
  }

  private afterCommit(
    batch: BatchBuilder,
    taken: readonly PendingIngest[],
    commands: readonly { done(e?: unknown): void }[],
    errors: number,
    ms: number,
  ): void {
    const ins = this.instruments;
    if (!batch.empty) ins.storeBatch(batch.events.length, ms);
    let dup = 0;
    for (const p of taken) {
      dup += p.result.duplicates;
      p.resolve(p.result);
    }
    for (const c of commands) c.done();
    if (batch.events.length > 0) ins.eventsIn(batch.events.length);
    if (dup > 0) ins.duplicates(dup);
    if (batch.deadLetters.length > 0) ins.deadLetters(batch.deadLetters.length);
    if (batch.fired > 0) ins.fired(batch.fired);
    if (batch.expired > 0) ins.expired(batch.expired);
    if (errors > 0) ins.pipelineErrors(errors);
    if (batch.meterSamples.length > 0) this.options.onMeterSamples?.(batch.meterSamples);
    if (!batch.empty) ins.streamStates(this.book.stateCounts());
    for (const r of batch.runs) this.runQueue.push(r);
    this.launchRuns();
  }

  /** Stop after a failed commit: everything not acknowledged is rejected (fail-stop; restart resumes from the store). */
  private fail(cause: unknown): void {
    if (this.stopped) return;
    this.stopped = new EngineStoppedError(`the engine stopped: ${(cause as Error).message}`, { cause });
    this.log.error(this.stopped.message);
    this.failPending(this.stopped);
  }

  /** Wake idle waiters when nothing is left to do. */
  private settle(): void {
    if (this.isIdle()) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Ids older than the in-memory window may still be stored: ask the store about those. */
  private async checkOldDuplicates(groups: readonly { events: readonly WaymarkEvent[] }[]): Promise<void> {
    const old: string[] = [];
    for (const g of groups) {
      for (const e of g.events) if (this.seen.isOutsideWindow(e.timestamp.us)) old.push(e.message_id);
    }
    if (old.length === 0) return;
    const stored = await this.options.store.existingMessageIds(old);
    for (const id of stored) this.seen.markStored(id);
  }

  private launchRuns(): void {
    while (this.running < this.concurrency && this.runQueue.length > 0 && !this.stopped) {
      const request = this.runQueue.shift() as RunRequest;
      this.running++;
      void this.runOne(request);
    }
  }

  /** Run a request's pipeline; never throws (a failure is the outcome). */
  private async execute(request: RunRequest): Promise<FinishedRun> {
    const s = request.stream;
    const definition = this.options.pipelines.get(request.pipeline);
    const started = Instant.now();
    let outcome: PipelineRunOutcome;
    if (definition === undefined) {
      outcome = { status: 'error', error: `no pipeline named "${request.pipeline}" in the configuration` };
    } else {
      try {
        outcome = await this.options.executePipeline(
          definition,
          s.sortedEvents(),
          {
            id: s.id,
            trigger: s.trigger.name,
            distinguishedBy: s.distinguishedBy,
            kind: request.kind,
            pipeline: request.pipeline,
            attempt: s.attempts,
          },
          this.abort.signal,
        );
      } catch (e) {
        outcome = { status: 'error', error: (e as Error).message };
      }
    }
    return { request, outcome, started, finished: Instant.now() };
  }

  private async runOne(request: RunRequest): Promise<void> {
    const finished = await this.execute(request);
    this.running--;
    // Shutting down: the run was aborted; the stream stays firing/expiring in the store and re-runs at the next start.
    if (this.stopped || this.closing) return this.settle();
    this.finished.push(finished);
    this.launchRuns();
    this.kick();
  }

  private failPending(error: Error): void {
    for (const p of this.pending.splice(0)) p.reject(error);
    for (const c of this.commands.splice(0)) c.done(error);
    for (const w of this.spaceWaiters.splice(0)) w();
    for (const w of this.idleWaiters.splice(0)) w();
  }
}
