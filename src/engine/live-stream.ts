import type { WaymarkEvent } from '../model/event.js';
import { Instant } from '../model/instant.js';
import type { StreamRecord, StreamState } from '../store/store.js';
import type { DistinguishingValue, TriggerDefinition } from './trigger.js';

/**
 * A stream the engine holds in memory while it is not completed: its record
 * fields, its events (kept for the pipeline) and its fire-criteria counts.
 */
export class LiveStream {
  state: StreamState = 'active';
  first: Instant;
  last: Instant;
  fireAt: Instant | null = null;
  expireAt: Instant | null = null;
  outcome: 'fired' | 'expired' | null = null;
  attempts = 0;
  retryAt: Instant | null = null;
  lastError: string | null = null;
  updatedAt: Instant;
  /** The due time (µs) last put on the timer heap, to skip pushing the same one again. */
  scheduledUs = NaN;
  readonly events: WaymarkEvent[] = [];
  /** Matching events per fire criterion. */
  readonly counts: number[];

  constructor(
    readonly id: number,
    readonly trigger: TriggerDefinition,
    readonly key: string,
    readonly distinguishedBy: Readonly<Record<string, DistinguishingValue>>,
    first: Instant,
    now: Instant,
  ) {
    this.first = first;
    this.last = first;
    this.updatedAt = now;
    this.counts = new Array<number>(trigger.fireCriteria.length).fill(0);
  }

  /** Rebuild from a stored record and its events (after a restart). */
  static fromRecord(
    record: StreamRecord,
    trigger: TriggerDefinition,
    events: readonly WaymarkEvent[],
  ): LiveStream {
    const s = new LiveStream(
      record.id,
      trigger,
      record.key,
      record.distinguishedBy,
      record.first,
      record.updatedAt,
    );
    s.state = record.state;
    s.last = record.last;
    s.fireAt = record.fireAt;
    s.expireAt = record.expireAt;
    s.outcome = record.outcome;
    s.attempts = record.attempts;
    s.retryAt = record.retryAt;
    s.lastError = record.lastError;
    for (const e of events) s.addEvent(e);
    return s;
  }

  /** Whether new events with the same distinguishing values join this stream. */
  get accepting(): boolean {
    return this.state === 'active' || this.state === 'ready';
  }

  /** Add an event: counts, first/last, expiration. */
  addEvent(event: WaymarkEvent): void {
    this.events.push(event);
    const criteria = this.trigger.fireCriteria;
    for (let i = 0; i < criteria.length; i++) {
      if ((criteria[i] as (typeof criteria)[number]).check(event) === undefined) {
        this.counts[i] = (this.counts[i] as number) + 1;
      }
    }
    const ts = event.timestamp;
    if (this.events.length === 1 || ts.us < this.first.us) this.first = ts;
    if (this.events.length === 1 || ts.us > this.last.us) this.last = ts;
  }

  /** Whether every fire criterion has its `number` of events (never, without fire criteria). */
  criteriaMet(): boolean {
    const criteria = this.trigger.fireCriteria;
    if (criteria.length === 0) return false;
    for (let i = 0; i < criteria.length; i++) {
      if ((this.counts[i] as number) < (criteria[i] as (typeof criteria)[number]).number) return false;
    }
    return true;
  }

  /** Expiration from `$first`, `$last`, `$timestamp` (= last); `null` when the expression gives nothing. */
  computeExpireAt(): Instant | null {
    const r = this.trigger.expiration.evaluate(
      { first: this.first, last: this.last, timestamp: this.last },
      this.last,
    );
    return r instanceof Instant ? r : null;
  }

  /** The events sorted by timestamp, then message_id (what pipelines receive). */
  sortedEvents(): WaymarkEvent[] {
    return this.events
      .slice()
      .sort(
        (a, b) =>
          a.timestamp.us - b.timestamp.us ||
          (a.message_id < b.message_id ? -1 : a.message_id > b.message_id ? 1 : 0),
      );
  }

  /** Forget fire/retry progress (reset through the API). Counts are kept: they depend on the events only. */
  reset(now: Instant): void {
    this.state = 'active';
    this.fireAt = null;
    this.outcome = null;
    this.attempts = 0;
    this.retryAt = null;
    this.lastError = null;
    this.updatedAt = now;
  }

  toRecord(): StreamRecord {
    return {
      id: this.id,
      trigger: this.trigger.name,
      key: this.key,
      state: this.state,
      distinguishedBy: this.distinguishedBy,
      first: this.first,
      last: this.last,
      fireAt: this.fireAt,
      expireAt: this.expireAt,
      eventCount: this.events.length,
      outcome: this.outcome,
      attempts: this.attempts,
      retryAt: this.retryAt,
      lastError: this.lastError,
      updatedAt: this.updatedAt,
    };
  }
}
