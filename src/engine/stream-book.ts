import type { WaymarkEvent } from '../model/event.js';
import { Instant } from '../model/instant.js';
import { MinHeap } from '../generate/min-heap.js';
import type {
  Lease,
  DeadLetter,
  MeterSample,
  OpenStream,
  PipelineOutcome,
  StoreBatch,
  StreamState,
} from '../store/store.js';
import { distinguishingValues } from './distinguishing-values.js';
import { LiveStream } from './live-stream.js';
import { streamKey } from './distinguishing.js';
import type { TriggerDefinition } from './trigger.js';

/** Changes gathered for one store commit. */
export class BatchBuilder {
  readonly events: WaymarkEvent[] = [];
  readonly memberships: { streamId: number; messageId: string }[] = [];
  readonly dirty = new Set<LiveStream>();
  readonly deletedStreams: number[] = [];
  readonly deadLetters: DeadLetter[] = [];
  readonly outcomes: PipelineOutcome[] = [];
  readonly meterSamples: MeterSample[] = [];
  /** Queue entries of a shared store correlated by this batch. */
  readonly dequeued: number[] = [];
  /** Pipeline runs to start once this batch is committed. */
  readonly runs: RunRequest[] = [];
  /** Streams completed by firing / expiring in this batch. */
  fired = 0;
  expired = 0;

  get empty(): boolean {
    return (
      this.events.length === 0 &&
      this.dirty.size === 0 &&
      this.deletedStreams.length === 0 &&
      this.deadLetters.length === 0 &&
      this.outcomes.length === 0 &&
      this.dequeued.length === 0
    );
  }

  toStoreBatch(fence?: Lease): StoreBatch {
    return {
      ...(this.dequeued.length > 0 ? { dequeued: this.dequeued } : {}),
      ...(fence === undefined ? {} : { fence }),
      events: this.events,
      memberships: this.memberships,
      streams: [...this.dirty].map((s) => s.toRecord()),
      deletedStreams: this.deletedStreams,
      deadLetters: this.deadLetters,
      outcomes: this.outcomes,
      meterSamples: this.meterSamples,
    };
  }
}

/** What the stream book says about a pipeline run it wants started. */
export interface RunRequest {
  readonly stream: LiveStream;
  readonly kind: 'fire' | 'expire';
  readonly pipeline: string;
}

/** How a pipeline run ended, as the book needs it. */
export type RunResult =
  | { status: 'committed'; samples: readonly { meter: string; kind: 'sample' | 'count'; value: number }[] }
  | { status: 'error'; error: string };

/** When a stream in this state next needs attention, or null. */
function dueAt(s: LiveStream): Instant | null {
  switch (s.state) {
    case 'active':
      return s.expireAt;
    case 'ready':
      return s.fireAt;
    case 'error':
    case 'expire_error':
      return s.retryAt;
    default:
      return null;
  }
}

/**
 * The engine's synchronous core: the streams not completed, by id and (for
 * the ones still accepting events) by key, and a timer heap of when each next
 * fires, expires or retries. Every change is recorded in a {@link BatchBuilder}
 * for the next commit. Pure logic, no I/O: the engine loop drives it.
 */
export class StreamBook {
  private readonly byKey = new Map<string, LiveStream>();
  private readonly live = new Map<number, LiveStream>();
  private readonly timers = new MinHeap<{ stream: LiveStream; at: number }>();
  private readonly triggersByName: Map<string, TriggerDefinition>;
  private nextId = 1;
  /** Streams completed since start (plus those in the store at start). */
  completedCount = 0;

  constructor(
    private readonly triggers: readonly TriggerDefinition[],
    private readonly retry: { maxAttempts: number; backoffSeconds: number },
  ) {
    this.triggersByName = new Map(triggers.map((t) => [t.name, t]));
  }

  /** Rebuild from the store after a start; returns the runs that were interrupted (re-run them). */
  load(
    open: readonly OpenStream[],
    maxStreamId: number,
    unknownTrigger: (name: string) => void,
  ): RunRequest[] {
    this.nextId = maxStreamId + 1;
    const rerun: RunRequest[] = [];
    for (const { stream: record, events } of open) {
      const trigger = this.triggersByName.get(record.trigger);
      if (trigger === undefined) {
        unknownTrigger(record.trigger);
        continue;
      }
      const s = LiveStream.fromRecord(record, trigger, events);
      this.live.set(s.id, s);
      if (s.accepting && !this.byKey.has(s.key)) this.byKey.set(s.key, s);
      if (s.state === 'firing' || s.state === 'expiring') rerun.push(this.runRequest(s));
      this.schedule(s);
    }
    return rerun;
  }

  get liveCount(): number {
    return this.live.size;
  }

  get(id: number): LiveStream | undefined {
    return this.live.get(id);
  }

  /** Streams per state (completed: {@link StreamBook.completedCount}). */
  stateCounts(): Record<StreamState, number> {
    const counts: Record<StreamState, number> = {
      active: 0,
      ready: 0,
      firing: 0,
      expiring: 0,
      completed: this.completedCount,
      error: 0,
      expire_error: 0,
    };
    for (const s of this.live.values()) counts[s.state]++;
    return counts;
  }

  /** The earliest time a stream needs attention (µs), or Infinity. Stale timer entries are dropped. */
  nextDue(): number {
    for (;;) {
      const top = this.timers.peek();
      if (top === undefined) return Infinity;
      if (this.isCurrent(top)) return top.at;
      this.timers.pop();
    }
  }

  /** Put an event into every stream it belongs to. */
  addEvent(event: WaymarkEvent, now: Instant, batch: BatchBuilder): void {
    const type = event.event_type;
    for (const trigger of this.triggers) {
      let values;
      for (const criterion of trigger.matchCriteria) {
        if (!criterion.matchesType(type) || criterion.check(event) !== undefined) continue;
        values = distinguishingValues(trigger, event, criterion);
        break;
      }
      if (values === undefined || typeof values === 'string') continue;
      const key = streamKey(trigger.name, values);
      let s = this.byKey.get(key);
      if (
        s !== undefined &&
        s.state === 'active' &&
        s.expireAt !== null &&
        event.timestamp.us > s.expireAt.us
      ) {
        // The event is later than the stream's expiration: in event time the stream expired
        // before it, even if the clock (held back by the allowed lateness) has not got there.
        this.advance(s, now, batch);
        s = undefined;
      }
      if (s === undefined) {
        s = new LiveStream(this.nextId++, trigger, key, values, event.timestamp, now);
        this.live.set(s.id, s);
        this.byKey.set(key, s);
      }
      s.addEvent(event);
      batch.memberships.push({ streamId: s.id, messageId: event.message_id });
      s.expireAt = s.computeExpireAt();
      if (s.state === 'active' && s.criteriaMet()) {
        s.state = 'ready';
        s.fireAt = new Instant(now.us + Math.round(trigger.fireDelaySeconds * 1e6));
      }
      s.updatedAt = now;
      batch.dirty.add(s);
      this.schedule(s);
    }
  }

  /** Move every stream due at `now` along: ready -> firing, active -> expiring, error -> retry. */
  processDue(now: Instant, batch: BatchBuilder): void {
    while (this.timers.peekKey() <= now.us) {
      const entry = this.timers.pop() as { stream: LiveStream; at: number };
      if (!this.isCurrent(entry)) continue;
      entry.stream.scheduledUs = NaN;
      this.advance(entry.stream, now, batch);
    }
  }

  /** A due stream moves on: ready -> firing, active -> expiring, error -> retry (or completed without a pipeline). */
  private advance(s: LiveStream, now: Instant, batch: BatchBuilder): void {
    const trigger = s.trigger;
    if (s.state === 'ready' || s.state === 'active') {
      this.byKey.delete(s.key);
      const fire = s.state === 'ready';
      const pipeline = fire ? trigger.firePipeline : trigger.expirePipeline;
      if (pipeline === undefined) {
        this.complete(s, fire ? 'fired' : 'expired', now, batch);
        if (fire) batch.fired++;
        else batch.expired++;
        return;
      }
      s.state = fire ? 'firing' : 'expiring';
      s.attempts = 1;
    } else {
      s.state = s.state === 'error' ? 'firing' : 'expiring';
      s.attempts++;
    }
    s.retryAt = null;
    s.updatedAt = now;
    batch.dirty.add(s);
    batch.runs.push(this.runRequest(s));
  }

  /** Record how a run ended; a committed run completes the stream, a failed one schedules a retry (bounded). */
  applyResult(
    request: RunRequest,
    result: RunResult,
    timing: { started: Instant; finished: Instant; emitted: number },
    now: Instant,
    batch: BatchBuilder,
  ): 'committed' | 'error' | 'gone' {
    const s = request.stream;
    if (this.live.get(s.id) !== s) return 'gone';
    batch.outcomes.push({
      streamId: s.id,
      pipeline: request.pipeline,
      kind: request.kind,
      attempt: s.attempts,
      status: result.status,
      error: result.status === 'error' ? result.error : null,
      started: timing.started,
      finished: timing.finished,
      emitted: timing.emitted,
    });
    if (result.status === 'committed') {
      for (const sample of result.samples) batch.meterSamples.push({ ...sample, streamId: s.id, at: now });
      this.complete(s, request.kind === 'fire' ? 'fired' : 'expired', now, batch);
      if (request.kind === 'fire') batch.fired++;
      else batch.expired++;
      return 'committed';
    }
    s.state = request.kind === 'fire' ? 'error' : 'expire_error';
    s.lastError = result.error;
    s.retryAt =
      s.attempts >= this.retry.maxAttempts
        ? null
        : new Instant(now.us + Math.round(this.retry.backoffSeconds * 1e6 * 2 ** (s.attempts - 1)));
    s.updatedAt = now;
    batch.dirty.add(s);
    this.schedule(s);
    return 'error';
  }

  /** Forget a stream (delete through the API). */
  remove(id: number, batch: BatchBuilder): boolean {
    const s = this.live.get(id);
    if (s === undefined) return false;
    this.live.delete(id);
    if (this.byKey.get(s.key) === s) this.byKey.delete(s.key);
    batch.dirty.delete(s);
    batch.deletedStreams.push(id);
    return true;
  }

  /**
   * Put a stream back to `active` (or `ready` if its criteria are met). A
   * completed stream comes back from its stored record and events. Refuses (with
   * a reason) a stream whose pipeline is running, or whose key another stream
   * accepting events holds.
   */
  reset(
    id: number,
    stored: OpenStream | undefined,
    now: Instant,
    batch: BatchBuilder,
  ): 'ok' | 'not_found' | 'running' | 'conflict' {
    let s = this.live.get(id);
    if (s === undefined) {
      if (stored === undefined) return 'not_found';
      const trigger = this.triggersByName.get(stored.stream.trigger);
      if (trigger === undefined) return 'not_found';
      s = LiveStream.fromRecord(stored.stream, trigger, stored.events);
    }
    if (s.state === 'firing' || s.state === 'expiring') return 'running';
    const holder = this.byKey.get(s.key);
    if (holder !== undefined && holder !== s) return 'conflict';
    if (!this.live.has(s.id)) {
      this.live.set(s.id, s);
      this.completedCount = Math.max(0, this.completedCount - 1);
    }
    s.reset(now);
    this.byKey.set(s.key, s);
    s.expireAt = s.computeExpireAt();
    if (s.criteriaMet()) {
      s.state = 'ready';
      s.fireAt = new Instant(now.us + Math.round(s.trigger.fireDelaySeconds * 1e6));
    }
    batch.dirty.add(s);
    this.schedule(s);
    return 'ok';
  }

  private complete(s: LiveStream, outcome: 'fired' | 'expired', now: Instant, batch: BatchBuilder): void {
    s.state = 'completed';
    s.outcome = outcome;
    s.retryAt = null;
    s.lastError = null;
    s.updatedAt = now;
    this.live.delete(s.id);
    if (this.byKey.get(s.key) === s) this.byKey.delete(s.key);
    this.completedCount++;
    batch.dirty.add(s);
  }

  private runRequest(s: LiveStream): RunRequest {
    const kind = s.state === 'firing' ? 'fire' : 'expire';
    const pipeline = (kind === 'fire' ? s.trigger.firePipeline : s.trigger.expirePipeline) as string;
    return { stream: s, kind, pipeline };
  }

  private schedule(s: LiveStream): void {
    const at = dueAt(s);
    if (at === null || at.us === s.scheduledUs) return;
    s.scheduledUs = at.us;
    this.timers.push(at.us, { stream: s, at: at.us });
  }

  private isCurrent(entry: { stream: LiveStream; at: number }): boolean {
    const s = entry.stream;
    return this.live.get(s.id) === s && dueAt(s)?.us === entry.at;
  }
}
