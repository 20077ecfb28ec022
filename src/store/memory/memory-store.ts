import type { WaymarkEvent } from '../../model/event.js';
import type { Instant } from '../../model/instant.js';
import { distinguishingValueString } from '../../engine/distinguishing.js';
import { eventTypeFilter } from '../event-type-filter.js';
import { pageLimit, pageMarker } from '../page-marker.js';
import { StoreClosedError } from '../store-errors.js';
import type {
  DeadLetter,
  EventQuery,
  MeterSample,
  OpenStream,
  Page,
  PipelineOutcome,
  Store,
  StoreBatch,
  StoreCapabilities,
  StreamQuery,
  StreamRecord,
} from '../store.js';
import { SortedEvents } from './sorted-events.js';
import { eventCopy, storedEvent } from './stored-event.js';
import { checkTraitFilter, traitMatches } from '../trait-match.js';
import { validateBatch } from './validate-batch.js';
import type {
  EventReportQuery,
  EventReportRow,
  PhaseAnalysisSource,
  RunChunk,
} from '../../analysis/analysis-port.js';
import type { PhaseSet } from '../../analysis/phase-definitions.js';
import { eventReportOfEvents, runChunkOfEvents } from '../../analysis/scan-events.js';

/**
 * The whole {@link Store} port in plain JS structures: nothing survives the
 * process (`capabilities.durable` is false). Tests use it as the reference
 * store and `waymark backtest` as its scratch store, so the engine-facing calls
 * are map lookups, and it behaves like the durable stores: a bad batch is
 * refused whole, stored events read back as they would from JSON.
 *
 * ```ts
 * const store = new MemoryStore();
 * await store.open();
 * await store.commit({ ...emptyBatch(), events: [event] });
 * (await store.queryEvents({ types: ['compute.instance.*'] })).items;
 * ```
 */
export class MemoryStore implements Store, PhaseAnalysisSource {
  readonly name = 'memory';
  readonly capabilities: StoreCapabilities = {
    supportsConcurrentWorkers: false,
    supportsSkipLocked: false,
    durable: false,
  };

  private status: 'new' | 'open' | 'closed' = 'new';
  private readonly events = new Map<string, WaymarkEvent>();
  private readonly order = new SortedEvents();
  private readonly streams = new Map<number, StreamRecord>();
  /** stream id -> message ids, and back. */
  private readonly members = new Map<number, Set<string>>();
  private readonly memberOf = new Map<string, Set<number>>();
  private maxId = 0;
  private nextDeadLetterId = 1;
  private readonly letters: DeadLetter[] = [];
  private readonly outcomes: PipelineOutcome[] = [];
  private readonly samples: MeterSample[] = [];

  open(): Promise<void> {
    if (this.status === 'closed') return Promise.reject(closed());
    this.status = 'open';
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.status = 'closed';
    return Promise.resolve();
  }

  async *scanPhaseRuns(set: PhaseSet): AsyncIterable<RunChunk> {
    yield await this.guard(() => runChunkOfEvents(set, this.events.values()));
  }

  eventReport(query: EventReportQuery): Promise<EventReportRow[]> {
    return this.guard(() => eventReportOfEvents(query, this.events.values()));
  }

  commit(batch: StoreBatch): Promise<void> {
    return this.guard(() => {
      validateBatch(batch);
      for (const e of batch.events) {
        if (this.events.has(e.message_id)) continue;
        const kept = storedEvent(e);
        this.events.set(kept.message_id, kept);
        this.order.add(kept);
      }
      for (const m of batch.memberships) this.addMember(m.streamId, m.messageId);
      for (const d of batch.deadLetters) this.letters.push({ ...d, id: this.nextDeadLetterId++ });
      for (const o of batch.outcomes) this.outcomes.push({ ...o });
      for (const s of batch.meterSamples) this.samples.push({ ...s });
      for (const s of batch.streams) {
        this.streams.set(s.id, { ...s, distinguishedBy: { ...s.distinguishedBy } });
        if (s.id > this.maxId) this.maxId = s.id;
      }
      for (const id of batch.deletedStreams) this.deleteStream(id);
    });
  }

  loadOpenStreams(): Promise<OpenStream[]> {
    return this.guard(() => {
      const out: OpenStream[] = [];
      for (const id of [...this.streams.keys()].sort((a, b) => a - b)) {
        const stream = this.streams.get(id) as StreamRecord;
        if (stream.state !== 'completed') out.push({ stream, events: this.eventsOf(id) });
      }
      return out;
    });
  }

  maxStreamId(): Promise<number> {
    return this.guard(() => this.maxId);
  }

  existingMessageIds(ids: readonly string[]): Promise<Set<string>> {
    return this.guard(() => new Set(ids.filter((id) => this.events.has(id))));
  }

  messageIdsSince(since: Instant): Promise<string[]> {
    return this.guard(() => this.order.since(since.us).map((e) => e.message_id));
  }

  latestEventTimestamp(): Promise<Instant | undefined> {
    return this.guard(() => this.order.latest()?.timestamp);
  }

  getEvent(messageId: string): Promise<WaymarkEvent | undefined> {
    return this.guard(() => {
      const e = this.events.get(messageId);
      return e === undefined ? undefined : eventCopy(e);
    });
  }

  queryEvents(query: EventQuery): Promise<Page<WaymarkEvent>> {
    return this.guard(() => {
      const limit = pageLimit(query.limit);
      const after = query.marker === undefined ? undefined : pageMarker.parseEvent(query.marker);
      const items: WaymarkEvent[] = [];
      let more = false;
      this.scanEvents(query, after, (e) => {
        if (items.length === limit) {
          more = true;
          return false;
        }
        items.push(eventCopy(e));
        return true;
      });
      const last = items[items.length - 1];
      return more && last !== undefined
        ? { items, next: pageMarker.event(last.timestamp.us, last.message_id) }
        : { items };
    });
  }

  countEvents(query: EventQuery): Promise<number> {
    return this.guard(() => {
      let n = 0;
      this.scanEvents(query, undefined, () => {
        n++;
        return true;
      });
      return n;
    });
  }

  getStream(id: number): Promise<StreamRecord | undefined> {
    return this.guard(() => this.streams.get(id));
  }

  queryStreams(query: StreamQuery): Promise<Page<StreamRecord>> {
    return this.guard(() => {
      const limit = pageLimit(query.limit);
      const after = query.marker === undefined ? undefined : pageMarker.parseStream(query.marker);
      const found = this.matchingStreams(query).filter((s) => after === undefined || s.id > after);
      found.sort((a, b) => a.id - b.id);
      const items = found.slice(0, limit);
      const last = items[items.length - 1];
      return found.length > limit && last !== undefined
        ? { items, next: pageMarker.stream(last.id) }
        : { items };
    });
  }

  countStreams(query: StreamQuery): Promise<number> {
    return this.guard(() => this.matchingStreams(query).length);
  }

  streamEvents(id: number): Promise<WaymarkEvent[]> {
    return this.guard(() => this.eventsOf(id));
  }

  streamsOfEvent(messageId: string): Promise<number[]> {
    return this.guard(() => [...(this.memberOf.get(messageId) ?? [])].sort((a, b) => a - b));
  }

  meterSamples(meter?: string): Promise<MeterSample[]> {
    return this.guard(() => this.samples.filter((s) => meter === undefined || s.meter === meter));
  }

  pipelineOutcomes(query: { streamId?: number; limit?: number }): Promise<PipelineOutcome[]> {
    return this.guard(() => {
      const limit = pageLimit(query.limit);
      const out: PipelineOutcome[] = [];
      for (let i = this.outcomes.length - 1; i >= 0 && out.length < limit; i--) {
        const o = this.outcomes[i] as PipelineOutcome;
        if (query.streamId === undefined || o.streamId === query.streamId) out.push(o);
      }
      return out;
    });
  }

  deadLetters(query: { limit?: number }): Promise<DeadLetter[]> {
    return this.guard(() => this.letters.slice(-pageLimit(query.limit)).reverse());
  }

  countDeadLetters(): Promise<number> {
    return this.guard(() => this.letters.length);
  }

  purgeCompletedStreams(before: Instant): Promise<number> {
    return this.guard(() => {
      let n = 0;
      for (const s of [...this.streams.values()]) {
        if (s.state === 'completed' && s.updatedAt.us < before.us) {
          this.deleteStream(s.id);
          n++;
        }
      }
      return n;
    });
  }

  trimEvents(before: Instant): Promise<number> {
    return this.guard(() => {
      const doomed = this.order.before(before.us).filter((e) => !this.neededByOpenStream(e.message_id));
      for (const e of doomed) {
        this.events.delete(e.message_id);
        for (const id of this.memberOf.get(e.message_id) ?? []) this.members.get(id)?.delete(e.message_id);
        this.memberOf.delete(e.message_id);
      }
      this.order.remove(new Set(doomed.map((e) => e.message_id)));
      return doomed.length;
    });
  }

  // --- internals ---

  private guard<T>(fn: () => T): Promise<T> {
    if (this.status !== 'open') return Promise.reject(closed());
    try {
      return Promise.resolve(fn());
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** Calls `visit` with each matching event in (timestamp, message_id) order until it returns false. */
  private scanEvents(
    query: EventQuery,
    after: { us: number; messageId: string } | undefined,
    visit: (e: WaymarkEvent) => boolean,
  ): void {
    const types =
      query.types === undefined || query.types.length === 0 ? undefined : eventTypeFilter(query.types);
    const traits = query.traits ?? [];
    for (const f of traits) checkTraitFilter(f);
    const to = query.to?.us;
    for (const e of this.order.from(query.from?.us, after)) {
      if (to !== undefined && e.timestamp.us >= to) return;
      if (types !== undefined && !types.matches(e.event_type)) continue;
      if (!traits.every((f) => traitMatches(e.traits[f.trait], f))) continue;
      if (!visit(e)) return;
    }
  }

  private matchingStreams(query: StreamQuery): StreamRecord[] {
    const states =
      query.states === undefined || query.states.length === 0 ? undefined : new Set<string>(query.states);
    const wanted = Object.entries(query.distinguishedBy ?? {});
    const out: StreamRecord[] = [];
    for (const s of this.streams.values()) {
      if (states !== undefined && !states.has(s.state)) continue;
      if (query.trigger !== undefined && s.trigger !== query.trigger) continue;
      if (query.olderThan !== undefined && !(s.last.us < query.olderThan.us)) continue;
      if (query.youngerThan !== undefined && !(s.last.us >= query.youngerThan.us)) continue;
      const dist = s.distinguishedBy;
      if (
        !wanted.every(([name, value]) => {
          const v = dist[name];
          return v !== undefined && distinguishingValueString(v) === value;
        })
      )
        continue;
      out.push(s);
    }
    return out;
  }

  private eventsOf(streamId: number): WaymarkEvent[] {
    const out: WaymarkEvent[] = [];
    for (const id of this.members.get(streamId) ?? []) {
      const e = this.events.get(id);
      if (e !== undefined) out.push(eventCopy(e));
    }
    return out.sort(SortedEvents.compare);
  }

  private addMember(streamId: number, messageId: string): void {
    let ids = this.members.get(streamId);
    if (ids === undefined) this.members.set(streamId, (ids = new Set()));
    ids.add(messageId);
    let streams = this.memberOf.get(messageId);
    if (streams === undefined) this.memberOf.set(messageId, (streams = new Set()));
    streams.add(streamId);
  }

  private deleteStream(id: number): void {
    this.streams.delete(id);
    for (const messageId of this.members.get(id) ?? []) {
      const streams = this.memberOf.get(messageId);
      streams?.delete(id);
      if (streams?.size === 0) this.memberOf.delete(messageId);
    }
    this.members.delete(id);
  }

  private neededByOpenStream(messageId: string): boolean {
    for (const id of this.memberOf.get(messageId) ?? []) {
      const s = this.streams.get(id);
      if (s !== undefined && s.state !== 'completed') return true;
    }
    return false;
  }
}

function closed(): StoreClosedError {
  return new StoreClosedError(
    'the memory store is not open: call open() first, and do not use it after close()',
  );
}
