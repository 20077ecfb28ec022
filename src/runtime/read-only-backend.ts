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

  private constructor(
    readonly store: Store,
    private readonly triggers: readonly TriggerDefinition[],
  ) {}

  static async open(store: Store, triggers: readonly TriggerDefinition[]): Promise<ReadOnlyBackend> {
    const b = new ReadOnlyBackend(store, triggers);
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
