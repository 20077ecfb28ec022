/**
 * An in-memory ServerBackend for the server tests: it records every call, keeps
 * what it accepted in a tiny Store (only the read methods the server uses), and
 * can be told to be busy, to fail, or to hold ingests until released. The real
 * engine runtime replaces it in integration tests.
 */
import type { ExplainEntry, IngestReport, MeterJSON, ServerBackend } from '../../src/server/backend.js';
import type { EventReportQuery, EventReportRow } from '../../src/analysis/analysis-port.js';
import { PhaseAnalyzer } from '../../src/analysis/phase-analyzer.js';
import type { PhaseSet } from '../../src/analysis/phase-definitions.js';
import type {
  PhaseReportQuery,
  PhaseReportRow,
  RunsPage,
  RunsQuery,
} from '../../src/analysis/phase-report.js';
import { eventReportOfEvents, runChunkOfEvents } from '../../src/analysis/scan-events.js';
import type { BackendBusyError } from '../../src/server/errors.js';
import { eventFromJSON, type TraitValue, type WaymarkEvent } from '../../src/model/event.js';
import { Instant } from '../../src/model/instant.js';
import { unwrapNotification } from '../../src/model/notification.js';
import { distinguishingValueString } from '../../src/engine/distinguishing.js';
import type {
  DeadLetter,
  EventQuery,
  MeterSample,
  OpenStream,
  Page,
  PipelineOutcome,
  Store,
  StoreBatch,
  StreamQuery,
  StreamRecord,
  TraitFilter,
} from '../../src/store/store.js';

function notNeeded(what: string): never {
  throw new Error(`FakeStore.${what}: not needed by the server tests`);
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[\\^$.+()[\]{}|/]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

function compare(a: TraitValue, b: TraitValue): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (a instanceof Instant && b instanceof Instant) return a.us - b.us;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

function passes(event: WaymarkEvent, f: TraitFilter): boolean {
  const v = event.traits[f.trait];
  if (v === undefined) return false;
  const c = compare(v, f.value);
  if (c === undefined) return false;
  switch (f.op) {
    case 'lt':
      return c < 0;
    case 'le':
      return c <= 0;
    case 'eq':
      return c === 0;
    case 'ne':
      return c !== 0;
    case 'ge':
      return c >= 0;
    case 'gt':
      return c > 0;
  }
}

/** Offset markers: honest enough for paging tests. */
function page<T>(all: T[], limit: number | undefined, marker: string | undefined): Page<T> {
  const start = marker === undefined ? 0 : Number(marker);
  if (!Number.isInteger(start) || start < 0) throw new Error(`FakeStore: bad marker ${marker}`);
  const n = limit ?? 100;
  const items = all.slice(start, start + n);
  return start + n < all.length ? { items, next: String(start + n) } : { items };
}

export class FakeStore implements Store {
  readonly name = 'fake';
  readonly capabilities = { supportsConcurrentWorkers: false, supportsSkipLocked: false, durable: false };
  readonly events = new Map<string, WaymarkEvent>();
  readonly streams = new Map<number, StreamRecord>();
  readonly members = new Map<number, string[]>();
  readonly dead: DeadLetter[] = [];
  /** When set, every query rejects with it (to test 500s). */
  failWith: Error | undefined;

  open(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  commit(_batch: StoreBatch): Promise<void> {
    notNeeded('commit');
  }
  loadOpenStreams(): Promise<OpenStream[]> {
    notNeeded('loadOpenStreams');
  }
  maxStreamId(): Promise<number> {
    notNeeded('maxStreamId');
  }
  existingMessageIds(_ids: readonly string[]): Promise<Set<string>> {
    notNeeded('existingMessageIds');
  }
  messageIdsSince(_since: Instant): Promise<string[]> {
    notNeeded('messageIdsSince');
  }
  latestEventTimestamp(): Promise<Instant | undefined> {
    notNeeded('latestEventTimestamp');
  }
  meterSamples(_meter?: string): Promise<MeterSample[]> {
    notNeeded('meterSamples');
  }
  pipelineOutcomes(_query: { streamId?: number; limit?: number }): Promise<PipelineOutcome[]> {
    notNeeded('pipelineOutcomes');
  }
  purgeCompletedStreams(_before: Instant): Promise<number> {
    notNeeded('purgeCompletedStreams');
  }
  trimEvents(_before: Instant): Promise<number> {
    notNeeded('trimEvents');
  }

  private check(): Promise<void> {
    return this.failWith === undefined ? Promise.resolve() : Promise.reject(this.failWith);
  }

  /** Last query seen, for asserting what the server passed down. */
  lastEventQuery: EventQuery | undefined;
  lastStreamQuery: StreamQuery | undefined;

  async getEvent(messageId: string): Promise<WaymarkEvent | undefined> {
    await this.check();
    return this.events.get(messageId);
  }

  private matchEvents(q: EventQuery): WaymarkEvent[] {
    const types = q.types?.map(globToRegExp);
    return [...this.events.values()]
      .filter(
        (e) =>
          (types === undefined || types.some((re) => re.test(e.event_type))) &&
          (q.from === undefined || e.timestamp.us >= q.from.us) &&
          (q.to === undefined || e.timestamp.us < q.to.us) &&
          (q.traits ?? []).every((f) => passes(e, f)),
      )
      .sort((a, b) => a.timestamp.us - b.timestamp.us || (a.message_id < b.message_id ? -1 : 1));
  }

  async queryEvents(query: EventQuery): Promise<Page<WaymarkEvent>> {
    await this.check();
    this.lastEventQuery = query;
    return page(this.matchEvents(query), query.limit, query.marker);
  }

  async countEvents(query: EventQuery): Promise<number> {
    await this.check();
    this.lastEventQuery = query;
    return this.matchEvents(query).length;
  }

  async getStream(id: number): Promise<StreamRecord | undefined> {
    await this.check();
    return this.streams.get(id);
  }

  private matchStreams(q: StreamQuery): StreamRecord[] {
    return [...this.streams.values()]
      .filter(
        (s) =>
          (q.states === undefined || q.states.includes(s.state)) &&
          (q.trigger === undefined || s.trigger === q.trigger) &&
          (q.olderThan === undefined || s.last.us < q.olderThan.us) &&
          (q.youngerThan === undefined || s.last.us >= q.youngerThan.us) &&
          Object.entries(q.distinguishedBy ?? {}).every(([name, want]) => {
            const v = s.distinguishedBy[name];
            return v !== undefined && distinguishingValueString(v) === want;
          }),
      )
      .sort((a, b) => a.id - b.id);
  }

  async queryStreams(query: StreamQuery): Promise<Page<StreamRecord>> {
    await this.check();
    this.lastStreamQuery = query;
    return page(this.matchStreams(query), query.limit, query.marker);
  }

  async countStreams(query: StreamQuery): Promise<number> {
    await this.check();
    this.lastStreamQuery = query;
    return this.matchStreams(query).length;
  }

  async streamEvents(id: number): Promise<WaymarkEvent[]> {
    await this.check();
    return (this.members.get(id) ?? [])
      .map((m) => this.events.get(m))
      .filter((e): e is WaymarkEvent => e !== undefined)
      .sort((a, b) => a.timestamp.us - b.timestamp.us || (a.message_id < b.message_id ? -1 : 1));
  }

  async streamsOfEvent(messageId: string): Promise<number[]> {
    await this.check();
    return [...this.members.entries()].filter(([, ids]) => ids.includes(messageId)).map(([id]) => id);
  }

  async deadLetters(query: { limit?: number }): Promise<DeadLetter[]> {
    await this.check();
    return [...this.dead].reverse().slice(0, query.limit ?? 100);
  }

  async countDeadLetters(): Promise<number> {
    await this.check();
    return this.dead.length;
  }
}

export interface IngestCall {
  readonly kind: 'notifications' | 'events';
  readonly items: readonly unknown[];
  readonly source: string;
  readonly raw: readonly string[] | undefined;
}

const T0 = Instant.parse('2014-06-11T16:00:00Z');

/** A stream record with sensible defaults. */
export function makeStream(over: Partial<StreamRecord> & { id: number }): StreamRecord {
  return {
    trigger: 'build_time',
    key: `build_time\u0000${over.id}`,
    state: 'active',
    distinguishedBy: { instance_id: `inst-${over.id}` },
    first: T0,
    last: T0.plus(over.id * 1_000_000),
    fireAt: null,
    expireAt: T0.plus(4 * 3600 * 1_000_000),
    eventCount: 0,
    outcome: null,
    attempts: 0,
    retryAt: null,
    lastError: null,
    updatedAt: T0,
    ...over,
  };
}

export class FakeBackend implements ServerBackend {
  readonly store = new FakeStore();
  readonly ingests: IngestCall[] = [];
  readonly deadLetterCalls: { payloads: readonly { payload: string; reason: string }[]; source: string }[] =
    [];
  /** When set, ingests reject with it. */
  busy: BackendBusyError | undefined;
  /** When set, ingests wait for it before doing anything (requests stay in flight). */
  gate: Promise<void> | undefined;
  /** Called when an ingest starts (before the gate). */
  onIngest: (() => void) | undefined;
  meterList: MeterJSON[] = [];
  healthBody: Record<string, unknown> = { status: 'ok' };
  explanations: ExplainEntry[] = [];
  readonly deleted: number[] = [];
  readonly reset: number[] = [];
  /** Phase sets the analysis routes see (reports scan the fake store's events, uncached). */
  phaseSetList: PhaseSet[] = [];
  private analyzer(): PhaseAnalyzer {
    const events = (): Iterable<WaymarkEvent> => this.store.events.values();
    return new PhaseAnalyzer({
      sets: this.phaseSetList,
      cache: false,
      source: {
        async *scanPhaseRuns(set) {
          yield await Promise.resolve(runChunkOfEvents(set, events()));
        },
        eventReport: (q) => Promise.resolve(eventReportOfEvents(q, events())),
      },
    });
  }

  phaseSets(): readonly PhaseSet[] {
    return this.phaseSetList;
  }

  phaseReport(
    set: string,
    query: PhaseReportQuery,
    signal?: AbortSignal,
  ): AsyncGenerator<PhaseReportRow[], number> {
    return this.analyzer().phaseReport(set, query, signal);
  }

  phaseRuns(set: string, query: RunsQuery): Promise<RunsPage> {
    return this.analyzer().phaseRuns(set, query);
  }

  eventReport(query: EventReportQuery): Promise<EventReportRow[]> {
    return this.analyzer().eventReport(query);
  }

  addEvent(json: Record<string, unknown>): WaymarkEvent {
    const e = eventFromJSON(json);
    this.store.events.set(e.message_id, e);
    return e;
  }

  addStream(over: Partial<StreamRecord> & { id: number }, members: string[] = []): StreamRecord {
    const s = makeStream({ eventCount: members.length, ...over });
    this.store.streams.set(s.id, s);
    this.store.members.set(s.id, members);
    return s;
  }

  private async ingest(
    kind: IngestCall['kind'],
    items: readonly unknown[],
    source: string,
    raw: readonly string[] | undefined,
    toEvent: (item: unknown) => WaymarkEvent,
  ): Promise<IngestReport> {
    this.onIngest?.();
    if (this.gate !== undefined) await this.gate;
    if (this.busy !== undefined) throw this.busy;
    this.ingests.push({ kind, items, source, raw });
    let accepted = 0;
    let duplicates = 0;
    const reasons: string[] = [];
    items.forEach((item, i) => {
      let event: WaymarkEvent;
      try {
        event = toEvent(item);
      } catch (err) {
        const reason = `item ${i + 1}: ${(err as Error).message}`;
        reasons.push(reason);
        this.store.dead.push({
          received: Instant.now(),
          source,
          reason,
          payload: raw?.[i] ?? JSON.stringify(item),
        });
        return;
      }
      if (this.store.events.has(event.message_id)) duplicates++;
      else {
        this.store.events.set(event.message_id, event);
        accepted++;
      }
    });
    return {
      received: items.length,
      accepted,
      duplicates,
      undefined: 0,
      deadLettered: reasons.length,
      reasons,
    };
  }

  ingestNotifications(
    items: readonly unknown[],
    source: string,
    raw?: readonly string[],
  ): Promise<IngestReport> {
    return this.ingest('notifications', items, source, raw, (item) => {
      const n = unwrapNotification(item);
      const payload = (n['payload'] ?? {}) as Record<string, unknown>;
      const traits: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(payload))
        if (typeof v === 'string' || typeof v === 'number') traits[k] = v;
      return eventFromJSON({
        message_id: n['message_id'],
        event_type: n['event_type'],
        timestamp: n['timestamp'],
        traits,
      });
    });
  }

  ingestEvents(items: readonly unknown[], source: string, raw?: readonly string[]): Promise<IngestReport> {
    return this.ingest('events', items, source, raw, eventFromJSON);
  }

  deadLetter(payloads: readonly { payload: string; reason: string }[], source: string): Promise<void> {
    this.deadLetterCalls.push({ payloads, source });
    for (const p of payloads) this.store.dead.push({ received: Instant.now(), source, ...p });
    return Promise.resolve();
  }

  meters(): MeterJSON[] {
    return this.meterList;
  }

  deleteStream(id: number): Promise<boolean> {
    if (!this.store.streams.delete(id)) return Promise.resolve(false);
    this.store.members.delete(id);
    this.deleted.push(id);
    return Promise.resolve(true);
  }

  resetStream(id: number): Promise<boolean> {
    const s = this.store.streams.get(id);
    if (s === undefined) return Promise.resolve(false);
    this.store.streams.set(id, {
      ...s,
      state: 'active',
      fireAt: null,
      retryAt: null,
      attempts: 0,
      lastError: null,
      outcome: null,
    });
    this.reset.push(id);
    return Promise.resolve(true);
  }

  explain(messageId: string): Promise<ExplainEntry[] | undefined> {
    return Promise.resolve(this.store.events.has(messageId) ? this.explanations : undefined);
  }

  health(): Promise<Record<string, unknown>> {
    return Promise.resolve(this.healthBody);
  }
}
