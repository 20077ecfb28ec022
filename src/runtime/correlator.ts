import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Engine, EngineLogger } from '../engine/engine.js';
import { WaymarkError } from '../model/errors.js';
import type { Lease, SharedStore } from '../store/store.js';

export interface CorrelatorOptions {
  readonly store: SharedStore;
  /** This worker's name in the lease (default: host:pid:random, unique per process start). */
  readonly holder?: string;
  /** How long the lease lasts without a renewal or a commit (default 15 s). */
  readonly leaseMs?: number;
  /** How often an idle correlator looks at the queue (default 100 ms). */
  readonly pollMs?: number;
  /** Queued events taken per engine commit (default 2,000). */
  readonly batchSize?: number;
  /** A new engine, not started, whose commits are fenced by `lease`. */
  readonly makeEngine: (lease: Lease) => Engine;
  /** The engine now correlating (undefined: this worker only ingests). */
  readonly onEngine: (engine: Engine | undefined) => void;
  readonly log: EngineLogger;
}

export interface CorrelatorStatus {
  readonly holder: string;
  readonly role: 'correlator' | 'ingest';
  readonly epoch: number | undefined;
  /** Times this worker took the lease, and lost it (or its engine failed). */
  readonly takeovers: number;
  readonly losses: number;
  /** Queued events this worker correlated. */
  readonly correlated: number;
}

export function defaultHolder(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/**
 * The part of a worker on a shared store that competes for the correlator
 * lease. Without it the worker only ingests (its sources `enqueue`). With it,
 * it runs an engine fenced by the lease over the queue, oldest first, one
 * commit per batch taken; an idle correlator renews the lease every third of
 * its length. A lost lease, or an engine that failed (a commit that did not
 * go through: connection lost, lease taken over), drops the engine; the loop
 * then tries to take the lease again, and the engine of the next holder
 * starts from what the store holds (open streams, pipelines to re-run).
 */
export class Correlator {
  readonly holder: string;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly batchSize: number;
  private lease: Lease | undefined;
  private engine: Engine | undefined;
  private closed = false;
  private loopDone: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private takeovers = 0;
  private losses = 0;
  private correlated = 0;

  constructor(private readonly options: CorrelatorOptions) {
    this.holder = options.holder ?? defaultHolder();
    this.leaseMs = options.leaseMs ?? 15_000;
    this.pollMs = options.pollMs ?? 100;
    this.batchSize = options.batchSize ?? 2000;
  }

  start(): void {
    this.loopDone ??= this.loop();
  }

  status(): CorrelatorStatus {
    return {
      holder: this.holder,
      role: this.engine === undefined ? 'ingest' : 'correlator',
      epoch: this.lease?.epoch,
      takeovers: this.takeovers,
      losses: this.losses,
      correlated: this.correlated,
    };
  }

  /** Stop correlating, close the engine (its running pipelines re-run on the next holder), give the lease up. */
  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.loopDone;
    const { engine, lease } = this;
    this.engine = undefined;
    this.lease = undefined;
    await engine?.close();
    if (lease !== undefined) await this.options.store.releaseLease(lease).catch(() => undefined);
  }

  private async loop(): Promise<void> {
    const { store, log } = this.options;
    let renewed = 0;
    while (!this.closed) {
      let more = false;
      try {
        if (this.engine === undefined) {
          const lease = await store.acquireLease(this.holder, this.leaseMs);
          if (lease !== undefined && !this.closed) {
            const engine = this.options.makeEngine(lease);
            try {
              await engine.start();
            } catch (e) {
              await engine.close();
              throw e;
            }
            this.lease = lease;
            this.engine = engine;
            this.takeovers++;
            renewed = Date.now();
            this.options.onEngine(engine);
            log.info(`correlator: ${this.holder} holds the lease (epoch ${lease.epoch})`);
          } else if (lease !== undefined) {
            await store.releaseLease(lease);
          }
        } else {
          const failed = this.engine.stoppedBy;
          if (failed !== undefined) throw failed;
          if (Date.now() - renewed >= this.leaseMs / 3) {
            if (!(await store.renewLease(this.lease as Lease))) throw new Error('the lease was taken over');
            renewed = Date.now();
          }
        }
        if (this.engine !== undefined && !this.closed) {
          const rows = await store.queued(this.batchSize);
          if (rows.length > 0) {
            await this.engine.ingest(
              rows.map((r) => r.event),
              [],
              { stored: true, dequeue: rows.map((r) => r.seq) },
            );
            renewed = Date.now(); // the fenced commit extended the lease
            this.correlated += rows.length;
            more = rows.length === this.batchSize;
          }
        }
      } catch (e) {
        if (this.closed) break;
        if (this.engine !== undefined) {
          this.losses++;
          log.warn(`correlator: ${this.holder} stops correlating: ${(e as Error).message}`);
          await this.drop();
        } else {
          log.warn(`correlator: cannot take the lease: ${(e as Error).message}`);
        }
      }
      if (!more && !this.closed) {
        await this.sleep(this.engine === undefined ? Math.max(this.pollMs, this.leaseMs / 5) : this.pollMs);
      }
    }
  }

  private async drop(): Promise<void> {
    const engine = this.engine;
    this.engine = undefined;
    this.lease = undefined;
    this.options.onEngine(undefined);
    await engine?.close().catch(() => undefined);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

/** A store whose streams another process correlates right now. */
export class StoreInUseError extends WaymarkError {
  override name = 'StoreInUseError';
}

/**
 * The correlator lease held for a whole process's life: a single waymark
 * (`serve` without `--shared`, `ingest`, `demo`) on a store several workers
 * could share takes it at start, so that it never correlates beside `--shared`
 * workers (or another single process), and every commit of its engine is
 * fenced by it. A lease left by a process that crashed is waited for (it
 * expires after `leaseMs`); one that is being renewed is refused.
 */
export class ExclusiveLease {
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly store: SharedStore,
    readonly lease: Lease,
    log: EngineLogger,
  ) {
    this.timer = setInterval(() => {
      store.renewLease(lease).then(
        (held) => {
          if (!held) log.error(`correlator lease of ${lease.holder} taken over: the next commit will fail`);
        },
        (e: unknown) => log.warn(`cannot renew the correlator lease: ${(e as Error).message}`),
      );
    }, lease.ttlMs / 3);
    this.timer.unref();
  }

  static async take(
    store: SharedStore,
    log: EngineLogger,
    options: { holder?: string; leaseMs?: number | undefined } = {},
  ): Promise<ExclusiveLease> {
    const holder = options.holder ?? defaultHolder();
    const leaseMs = options.leaseMs ?? 15_000;
    const until = Date.now() + leaseMs + 1000;
    for (let waited = false; ; waited = true) {
      const lease = await store.acquireLease(holder, leaseMs);
      if (lease !== undefined) return new ExclusiveLease(store, lease, log);
      const other = await store.leaseHolder();
      if (Date.now() >= until) {
        throw new StoreInUseError(
          `the store's streams are correlated by another waymark (${other?.holder ?? 'unknown'}), ` +
            'which keeps renewing its lease: stop it, or run this one with serve --shared beside it',
        );
      }
      if (!waited) {
        log.info(
          `waiting up to ${Math.round((until - Date.now()) / 1000)} s for the correlator lease of ${other?.holder ?? 'another process'} to expire`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    await this.store.releaseLease(this.lease).catch(() => undefined);
  }
}
