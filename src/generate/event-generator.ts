import { setTimeout as sleep } from 'node:timers/promises';
import { Instant, US_PER_HOUR, type Micros } from '../model/instant.js';
import { SIMULATED_RECEIVED_FIELD, type Notification } from '../model/notification.js';
import { WaymarkError } from '../model/errors.js';
import { TimestampFormatter } from './fast-format.js';
import type { FaultOptions } from './faults.js';
import type { GeneratedNotification } from './generated-notification.js';
import { MinHeap } from './min-heap.js';
import { PRESERIALIZED, type MaybePreserialized } from './preserialized.js';
import { Rng } from './rng.js';
import type { PlannedNotification, PlannedOperation, Scenario } from './scenario.js';
import type { Sink, TruthSink } from './sinks/sink.js';
import { truthRecord, type TruthRecord } from './truth.js';

/** The virtual clock's default start: fixed, so a seed alone fixes the output. */
export const DEFAULT_START = Instant.parse('2026-01-01T00:00:00Z');

export interface GeneratorOptions {
  scenario: Scenario;
  /** Operations started per hour on average (Poisson arrivals). */
  opsPerHour: number;
  /** Seed of every random choice; default 1. */
  seed?: number;
  /** The first instant of generated traffic; default {@link DEFAULT_START} (pass `Instant.now()` for real time). */
  start?: Instant | Micros;
  /** Generate the traffic of `[start, start + duration)`; operations still running at the end are cut off. */
  duration?: Micros;
  /** Stop after this many delivered notifications (lines, duplicates and malformed ones included). */
  count?: number;
  faults?: FaultOptions;
  /** `bare` (default) or the oslo messaging v2 envelope. */
  envelope?: 'bare' | 'oslo';
  /** Called with each truth record as its operation is concluded. */
  onTruth?: (record: TruthRecord) => void;
  /** Keep the truth records for {@link EventGenerator.truth} (default true; turn off for endless runs). */
  keepTruth?: boolean;
}

export interface GeneratorSummary {
  /** Lines delivered (duplicates and malformed ones included). */
  notifications: number;
  /** Truth records written. */
  operations: number;
  /** Truth records per outcome. */
  outcomes: Record<string, number>;
  /** How often each fault struck (`reorder`: notifications delivered after a later-emitted one). */
  faults: { drop: number; dup: number; malformed: number; reorder: number; skewedHosts: number };
  /** Virtual time span: the start, and the emit time of the last delivered notification. */
  start: Micros;
  end: Micros;
  /** Whether a `signal` stopped the run early. */
  aborted: boolean;
}

export interface RunOptions {
  /** Emit each notification when the wall clock reaches its due time (relative to the first). */
  realtime?: boolean;
  signal?: AbortSignal;
  /** `fraction` is the share of the duration or count done, when known. */
  onProgress?: (p: { done: number; total?: number; fraction?: number }) => void;
  truth?: TruthSink;
  /** Notifications per sink write; default 512. */
  batchSize?: number;
}

const PENDING = 0;
const DELIVERED = 1;
const LOST = 2;
const DUP_SPREAD = 2_000_000;

class OpState {
  idx = 0;
  pending: number;
  faults: string[] = [];
  startSt = PENDING;
  endSt = PENDING;
  startSkew = 0;
  endSkew = 0;
  reordered = false;
  constructor(
    readonly op: PlannedOperation,
    readonly seq: number,
    readonly startIdx: number,
    readonly endIdx: number,
  ) {
    this.pending = op.notifications.length;
  }
}

interface Delivery extends GeneratedNotification {
  key: Micros;
  op: OpState;
  idx: number;
  primary: boolean;
}

/**
 * Set a top-level string field, keeping a preserialized JSON text in step: an
 * existing field's value is replaced in place, a new one appended (as
 * `JSON.stringify` would place it); anything else drops the text.
 */
function setField(n: Notification, key: string, value: string): void {
  const m = n as MaybePreserialized;
  const pre = m[PRESERIALIZED];
  const old = n[key];
  n[key] = value;
  if (pre === undefined) return;
  if (old === undefined) {
    m[PRESERIALIZED] = `${pre.slice(0, -1)},${JSON.stringify(key)}:${JSON.stringify(value)}}`;
    return;
  }
  const needle = `${JSON.stringify(key)}:${JSON.stringify(old)}`;
  const i = typeof old === 'string' ? pre.indexOf(needle) : -1;
  if (i < 0) delete m[PRESERIALIZED];
  else
    m[PRESERIALIZED] =
      pre.slice(0, i) + `${JSON.stringify(key)}:${JSON.stringify(value)}` + pre.slice(i + needle.length);
}

/** Read through a function so TypeScript does not narrow a flag that changes while we await. */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function findIndex(ns: readonly PlannedNotification[], at: Micros, last: boolean): number {
  if (last) {
    for (let i = ns.length - 1; i >= 0; i--) if ((ns[i] as PlannedNotification).at === at) return i;
    return ns.length - 1;
  }
  for (let i = 0; i < ns.length; i++) if ((ns[i] as PlannedNotification).at === at) return i;
  return 0;
}

/**
 * Generates notification traffic from a {@link Scenario}: operations start at
 * the requested rate (Poisson arrivals from the seeded random source), each
 * plans its notifications, and a binary heap merges them all in emit-time order;
 * faults are applied on the way out. Same options, same seed: same bytes and the
 * same truth.
 *
 * Iterate it (as fast as possible, virtual clock), or `run` it into a sink, in
 * real time if asked:
 * ```ts
 * const gen = new EventGenerator({ scenario: openstackScenario(), opsPerHour: 600, count: 1000, seed: 7 });
 * for (const g of gen) process.stdout.write(g.line + '\n');
 * console.log(gen.truth().length, 'operations');
 * ```
 *
 * Stopping: with `duration`, the traffic emitted in `[start, start + duration)`
 * is delivered (even if transport delay puts its receipt later); with `count`,
 * exactly that many lines. Operations whose end was not delivered when the run
 * stopped get outcome `cut_off` and a null end; those whose start was not
 * delivered are left out of the truth. Truth records come in the order
 * operations are concluded (their last notification delivered or lost).
 */
export class EventGenerator implements Iterable<GeneratedNotification> {
  private readonly scenario: Scenario;
  private readonly meanGap: number;
  private readonly start: Micros;
  private readonly windowEnd: Micros;
  private readonly count: number;
  private readonly oslo: boolean;
  private readonly faults: Required<FaultOptions>;
  private readonly fmt = new TimestampFormatter();
  private readonly truthList: TruthRecord[] = [];
  private readonly keepTruth: boolean;
  private readonly listeners: ((r: TruthRecord) => void)[] = [];
  private readonly rngs: {
    arrivals: Rng;
    traffic: Rng;
    drop: Rng;
    dup: Rng;
    reorder: Rng;
    skew: Rng;
    delay: Rng;
    malformed: Rng;
  };
  private readonly hostSkew = new Map<string, Micros>();
  private readonly live = new Map<number, OpState>();
  private readonly stats = { drop: 0, dup: 0, malformed: 0, reorder: 0 };
  private readonly outcomes: Record<string, number> = {};
  private delivered = 0;
  private lastEmitted: Micros;
  private started = false;
  private finished = false;
  private aborted = false;
  private opSeq = 0;

  constructor(options: GeneratorOptions) {
    const { opsPerHour } = options;
    if (!(Number.isFinite(opsPerHour) && opsPerHour > 0)) {
      throw new WaymarkError(`EventGenerator: opsPerHour must be a positive number, got ${opsPerHour}`);
    }
    if (options.duration !== undefined && !(options.duration > 0)) {
      throw new WaymarkError(`EventGenerator: duration must be positive, got ${options.duration}`);
    }
    if (options.count !== undefined && !(Number.isInteger(options.count) && options.count >= 0)) {
      throw new WaymarkError(`EventGenerator: count must be a non-negative integer, got ${options.count}`);
    }
    this.scenario = options.scenario;
    this.meanGap = US_PER_HOUR / opsPerHour;
    const start = options.start ?? DEFAULT_START;
    this.start = typeof start === 'number' ? start : start.us;
    this.lastEmitted = this.start;
    this.windowEnd = options.duration === undefined ? Infinity : this.start + options.duration;
    this.count = options.count ?? Infinity;
    this.oslo = options.envelope === 'oslo';
    const f = options.faults ?? {};
    this.faults = {
      drop: f.drop ?? 0,
      dup: f.dup ?? 0,
      reorder: f.reorder ?? 0,
      skew: f.skew ?? 0,
      delay: f.delay ?? 0,
      malformed: f.malformed ?? 0,
    };
    const root = new Rng(options.seed ?? 1);
    // Forked in a fixed order whatever is on: one fault never shifts another's choices.
    this.rngs = {
      arrivals: root.fork(),
      traffic: root.fork(),
      drop: root.fork(),
      dup: root.fork(),
      reorder: root.fork(),
      skew: root.fork(),
      delay: root.fork(),
      malformed: root.fork(),
    };
    this.keepTruth = options.keepTruth ?? true;
    if (options.onTruth !== undefined) this.listeners.push(options.onTruth);
  }

  /** Every truth record so far; complete once iteration has ended. */
  truth(): TruthRecord[] {
    return this.truthList;
  }

  /** Whether iteration has ended (so {@link truth} is complete). */
  get done(): boolean {
    return this.finished;
  }

  summary(): GeneratorSummary {
    return {
      notifications: this.delivered,
      operations: Object.values(this.outcomes).reduce((a, b) => a + b, 0),
      outcomes: { ...this.outcomes },
      faults: { ...this.stats, skewedHosts: [...this.hostSkew.values()].filter((s) => s !== 0).length },
      start: this.start,
      end: this.lastEmitted,
      aborted: this.aborted,
    };
  }

  *[Symbol.iterator](): Iterator<GeneratedNotification> {
    for (const d of this.deliveries()) {
      yield { emitted: d.emitted, received: d.received, notification: d.notification, line: d.line };
    }
  }

  /**
   * Generate into a sink (as fast as the sink takes it, or in real time), streaming
   * truth records to `opts.truth`; resolves with the summary once the sink is flushed.
   * The sink is not closed (the caller owns it).
   */
  async run(sink: Sink, opts: RunOptions = {}): Promise<GeneratorSummary> {
    const batchSize = opts.batchSize ?? 512;
    const truthOut: TruthRecord[] = [];
    const truthSink = opts.truth;
    if (truthSink !== undefined) this.listeners.push((r) => truthOut.push(r));
    const flushTruth = async (): Promise<void> => {
      if (truthSink !== undefined && truthOut.length > 0) await truthSink.write(truthOut.splice(0));
    };
    const progress = (): void => {
      if (opts.onProgress === undefined) return;
      const p: { done: number; total?: number; fraction?: number } = { done: this.delivered };
      if (this.count !== Infinity) {
        p.total = this.count;
        p.fraction = this.delivered / this.count;
      } else if (this.windowEnd !== Infinity) {
        p.fraction = Math.min(1, (this.lastEmitted - this.start) / (this.windowEnd - this.start));
      }
      opts.onProgress(p);
    };
    const signal = opts.signal;
    const batch: GeneratedNotification[] = [];
    const it = this.deliveries();
    const wall0 = performance.now();
    let lastDue = this.start;
    try {
      for (;;) {
        if (isAborted(signal)) {
          this.aborted = true;
          break;
        }
        const r = it.next();
        if (r.done === true) break;
        const d = r.value;
        if (opts.realtime === true) {
          const key = Math.max(lastDue, d.key);
          lastDue = key;
          const waitMs = wall0 + (key - this.start) / 1000 - performance.now();
          if (waitMs > 1) {
            if (batch.length > 0) {
              await sink.write(batch.splice(0));
              await flushTruth();
              progress();
            }
            try {
              await sleep(waitMs, undefined, signal === undefined ? undefined : { signal });
            } catch (err) {
              if (!isAborted(signal)) throw err;
              this.aborted = true;
              break;
            }
          }
        }
        batch.push({ emitted: d.emitted, received: d.received, notification: d.notification, line: d.line });
        if (batch.length >= batchSize) {
          await sink.write(batch.splice(0));
          await flushTruth();
          progress();
        }
      }
    } finally {
      it.return(undefined);
    }
    if (batch.length > 0) await sink.write(batch.splice(0));
    await sink.flush();
    await flushTruth();
    progress();
    return this.summary();
  }

  private serialize(n: Notification): string {
    const pre = (n as MaybePreserialized)[PRESERIALIZED];
    const body = pre ?? JSON.stringify(n);
    return this.oslo ? JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': body }) : body;
  }

  private *deliveries(): Generator<Delivery, void, undefined> {
    if (this.started) throw new WaymarkError('EventGenerator: a generator runs once; create a new one');
    this.started = true;
    const heap = new MinHeap<OpState>();
    const out = new MinHeap<Delivery>();
    const { arrivals, traffic } = this.rngs;
    const windowEnd = this.windowEnd;
    let nextArrival = this.start + arrivals.exponential(this.meanGap);
    let periodicTo = this.start;
    let arrivalsDone = false;
    const addOp = (op: PlannedOperation): void => {
      if (op.notifications.length === 0) return;
      const ns = op.notifications;
      const seq = this.opSeq++;
      const st = new OpState(
        op,
        seq,
        findIndex(ns, op.start, false),
        op.end === null ? -1 : findIndex(ns, op.end, true),
      );
      this.live.set(seq, st);
      heap.push((ns[0] as PlannedNotification).at, st);
    };
    const periodic = (to: Micros): void => {
      if (this.scenario.periodic !== undefined && to > periodicTo) {
        for (const op of this.scenario.periodic(periodicTo, to, traffic)) addOp(op);
      }
      periodicTo = Math.max(periodicTo, to);
    };
    try {
      if (this.count <= 0) return;
      periodic(Math.min(Math.floor(nextArrival), windowEnd));
      for (;;) {
        const hk = heap.peekKey();
        if (arrivalsDone || hk < nextArrival) {
          if (hk >= windowEnd) break;
          while (out.peekKey() <= hk) {
            yield this.deliver(out.pop() as Delivery);
            if (this.delivered >= this.count) return;
          }
          const st = heap.peek() as OpState;
          const i = st.idx++;
          const ns = st.op.notifications;
          if (st.idx < ns.length) heap.replaceTopKey((ns[st.idx] as PlannedNotification).at);
          else heap.pop();
          this.process(st, i, ns[i] as PlannedNotification, out);
        } else if (nextArrival >= windowEnd) {
          arrivalsDone = true;
          periodic(windowEnd);
        } else {
          const at = Math.floor(nextArrival);
          const op = this.scenario.next(at, traffic);
          if (op !== undefined) addOp(op);
          nextArrival += arrivals.exponential(this.meanGap);
          periodic(Math.min(Math.floor(nextArrival), windowEnd));
        }
      }
      while (out.size > 0) {
        yield this.deliver(out.pop() as Delivery);
        if (this.delivered >= this.count) return;
      }
    } finally {
      for (const st of this.live.values()) this.conclude(st);
      this.live.clear();
      this.finished = true;
    }
  }

  private process(st: OpState, i: number, pn: PlannedNotification, out: MinHeap<Delivery>): void {
    const f = this.faults;
    const r = this.rngs;
    const n = pn.notification;
    const at = pn.at;
    // Every enabled fault draws for every notification, so one never shifts another.
    const dropped = f.drop > 0 && r.drop.chance(f.drop);
    const dupped = f.dup > 0 && r.dup.chance(f.dup);
    const dupLag = dupped ? r.dup.int(0, DUP_SPREAD) : 0;
    const malformed = f.malformed > 0 && r.malformed.chance(f.malformed);
    const halfLine = malformed && r.malformed.chance(0.5);
    const delayUs = f.delay > 0 ? r.delay.int(0, f.delay) : 0;
    const holdUs = f.reorder > 0 ? r.reorder.int(0, f.reorder) : 0;
    let skewUs = 0;
    if (f.skew > 0) {
      const pub = n['publisher_id'];
      const host = typeof pub === 'string' ? pub : '';
      let s = this.hostSkew.get(host);
      if (s === undefined) {
        s = r.skew.int(-f.skew, f.skew);
        this.hostSkew.set(host, s);
      }
      skewUs = s;
    }
    const eventType = String(n['event_type']);
    const isStart = i === st.startIdx;
    const isEnd = i === st.endIdx;
    if (dropped) {
      this.stats.drop++;
      st.faults.push(`drop:${eventType}`);
      if (isStart) st.startSt = LOST;
      if (isEnd) st.endSt = LOST;
      if (--st.pending === 0) this.conclude(st);
      return;
    }
    if (skewUs !== 0) {
      setField(n, 'timestamp', this.fmt.openstack(at + skewUs));
      if (isStart || isEnd) {
        const label = `skew:${skewUs > 0 ? '+' : '-'}${Math.abs(skewUs) / 1e6}s`;
        if (!st.faults.includes(label)) st.faults.push(label);
      }
    }
    if (isStart) st.startSkew = skewUs;
    if (isEnd) st.endSkew = skewUs;
    let received = pn.received === undefined || pn.received < at ? at : pn.received;
    received += delayUs;
    if (f.delay > 0 || pn.received !== undefined)
      setField(n, SIMULATED_RECEIVED_FIELD, this.fmt.iso(received));
    let line: string;
    let notification: Notification | null = n;
    if (malformed) {
      this.stats.malformed++;
      st.faults.push(`malformed:${eventType}`);
      if (isStart) st.startSt = LOST;
      if (isEnd) st.endSt = LOST;
      notification = null;
      if (halfLine) {
        const full = this.serialize(n);
        line = full.slice(0, Math.max(1, full.length >> 1));
      } else {
        const copy: Notification = { ...n };
        delete copy['event_type'];
        delete (copy as MaybePreserialized)[PRESERIALIZED];
        line = this.serialize(copy);
      }
    } else {
      line = this.serialize(n);
    }
    const key = received + holdUs;
    out.push(key, { key, emitted: at, received, notification, line, op: st, idx: i, primary: true });
    if (dupped) {
      this.stats.dup++;
      st.faults.push(`dup:${eventType}`);
      const k2 = key + dupLag;
      out.push(k2, { key: k2, emitted: at, received, notification, line, op: st, idx: i, primary: false });
    }
  }

  private deliver(d: Delivery): Delivery {
    this.delivered++;
    if (!d.primary) return d;
    const st = d.op;
    if (d.notification !== null) {
      if (d.idx === st.startIdx) st.startSt = DELIVERED;
      if (d.idx === st.endIdx) st.endSt = DELIVERED;
    }
    if (d.emitted < this.lastEmitted) {
      this.stats.reorder++;
      if (!st.reordered) {
        st.reordered = true;
        st.faults.push('reorder');
      }
    } else this.lastEmitted = d.emitted;
    if (--st.pending === 0) this.conclude(st);
    return d;
  }

  /** Write the truth record of an operation: all its notifications resolved, or the run stopped. */
  private conclude(st: OpState): void {
    const op = st.op;
    this.live.delete(st.seq);
    if (st.startSt === PENDING) return; // its start never went out: nothing to conclude
    let end: Micros | null = null;
    let outcome: string;
    if (op.end === null) outcome = op.outcome;
    else if (st.endSt === PENDING) outcome = 'cut_off';
    else if (st.endSt === LOST) outcome = 'never_ended';
    else {
      end = op.end + st.endSkew;
      outcome = st.startSt === LOST ? 'never_started' : op.outcome;
    }
    const rec = truthRecord(op, op.start + st.startSkew, end, outcome, st.faults, this.fmt);
    this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + 1;
    if (this.keepTruth) this.truthList.push(rec);
    for (const l of this.listeners) l(rec);
  }
}
