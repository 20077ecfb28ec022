import type { EngineLogger } from '../engine/engine.js';
import type { Instant } from '../model/instant.js';
import type { Store } from '../store/store.js';

export interface HousekeepingOptions {
  readonly store: Store;
  /** The engine's clock: wall time live, event time in a replay. */
  readonly now: () => Instant;
  /** Delete completed streams this long after they completed (`undefined`: never). */
  readonly purgeCompletedAfterSeconds: number | undefined;
  /** Delete events older than this that no open stream needs (`undefined`: never). */
  readonly trimEventsAfterSeconds: number | undefined;
  readonly log?: EngineLogger;
  /** Between passes; default: a tenth of the shorter horizon, between 1 s and 5 min. */
  readonly intervalMs?: number;
}

export interface HousekeepingTotals {
  readonly passes: number;
  readonly failures: number;
  readonly purgedStreams: number;
  readonly trimmedEvents: number;
}

export interface HousekeepingPass {
  readonly purgedStreams: number;
  readonly trimmedEvents: number;
}

const MIN_INTERVAL_MS = 1000;
const MAX_INTERVAL_MS = 5 * 60 * 1000;

/** How often a housekeeper with these horizons runs (`undefined` when there is nothing to do). */
export function housekeepingInterval(
  purgeAfterSeconds: number | undefined,
  trimAfterSeconds: number | undefined,
): number | undefined {
  const horizons = [purgeAfterSeconds, trimAfterSeconds].filter((s): s is number => s !== undefined);
  if (horizons.length === 0) return undefined;
  const tenth = (Math.min(...horizons) * 1000) / 10;
  return Math.min(MAX_INTERVAL_MS, Math.max(MIN_INTERVAL_MS, tenth));
}

/**
 * `purge_completed_after` and `trim_events_after` made real: a periodic pass
 * that deletes completed streams and the events no open stream needs any more,
 * measured on the engine's clock (so a replay trims by event time).
 *
 * A pass never overlaps the previous one; a failed pass is logged and the next
 * one tries again (housekeeping must never stop ingestion). Trimmed events are
 * no longer in the store's duplicate check: a message resent after its event
 * was trimmed is accepted again, so the trim horizon is also the longest
 * de-duplication window the store gives.
 */
export class Housekeeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<HousekeepingPass> | undefined;
  private closed = false;
  private totals = { purgedStreams: 0, trimmedEvents: 0, passes: 0, failures: 0 };

  constructor(private readonly options: HousekeepingOptions) {}

  /** Whether either horizon is configured. */
  get enabled(): boolean {
    return this.interval !== undefined;
  }

  private get interval(): number | undefined {
    return (
      this.options.intervalMs ??
      housekeepingInterval(this.options.purgeCompletedAfterSeconds, this.options.trimEventsAfterSeconds)
    );
  }

  /** Start the periodic passes (no-op when nothing is configured). */
  start(): void {
    const interval = this.interval;
    if (interval === undefined || this.closed || this.timer !== undefined) return;
    this.timer = setInterval(() => {
      if (this.running === undefined) void this.runOnce().catch(() => undefined);
    }, interval);
    this.timer.unref();
  }

  /** One pass now (waits for a pass already running, then runs). */
  async runOnce(): Promise<HousekeepingPass> {
    while (this.running !== undefined) await this.running.catch(() => undefined);
    const pass = this.pass();
    this.running = pass;
    try {
      return await pass;
    } finally {
      this.running = undefined;
    }
  }

  /** Counters since start, for health. */
  stats(): HousekeepingTotals {
    return { ...this.totals };
  }

  /** Stop the timer and wait for a pass in progress. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  private async pass(): Promise<HousekeepingPass> {
    const { store, purgeCompletedAfterSeconds: purge, trimEventsAfterSeconds: trim, log } = this.options;
    const now = this.options.now();
    try {
      // Purge first: events of a purged stream become trimmable in the same pass.
      const purgedStreams =
        purge === undefined ? 0 : await store.purgeCompletedStreams(now.plus(-purge * 1e6));
      const trimmedEvents = trim === undefined ? 0 : await store.trimEvents(now.plus(-trim * 1e6));
      this.totals.passes++;
      this.totals.purgedStreams += purgedStreams;
      this.totals.trimmedEvents += trimmedEvents;
      if (purgedStreams + trimmedEvents > 0) {
        log?.info('housekeeping', { purged_streams: purgedStreams, trimmed_events: trimmedEvents });
      }
      return { purgedStreams, trimmedEvents };
    } catch (e) {
      this.totals.failures++;
      log?.warn('housekeeping failed; will try again', { error: (e as Error).message });
      throw e;
    }
  }
}
