import type { WaymarkEvent } from '../model/event.js';
import type { RunChunk, TimeBasis } from './analysis-port.js';
import { conditionsHold, type PhaseEdge, type PhaseSet } from './phase-definitions.js';

/** Column `k` of a matcher: 0 min emit, 1 max emit, 2 min receive, 3 max receive. */
export function edgeColumn(edge: PhaseEdge, basis: TimeBasis): number {
  return 4 * edge.matcher + (edge.occurrence === 'first' ? 0 : 1) + (basis === 'emit' ? 0 : 2);
}

/** A run trait, dictionary-encoded: `codes[run]` indexes `values` (JSON texts), -1 when absent. */
export interface TraitColumn {
  codes: Int32Array;
  readonly values: string[];
  readonly index: Map<string, number>;
}

const INITIAL_CAPACITY = 1024;

/**
 * When column `col` of the chunks is one array cut in consecutive pieces
 * (from offset 0, in chunk order), that array's first `total` values; else undefined.
 */
function wholeArray(chunks: readonly RunChunk[], col: number, total: number): Float64Array | undefined {
  const first = chunks[0]?.columns[col];
  if (first === undefined || first.byteOffset !== 0 || first.buffer.byteLength < total * 8) return undefined;
  let end = 0;
  for (const c of chunks) {
    const a = c.columns[col];
    if (a === undefined || a.buffer !== first.buffer || a.byteOffset !== end) return undefined;
    end += a.byteLength;
  }
  return end === total * 8 ? new Float64Array(first.buffer, 0, total) : undefined;
}

/**
 * The runs of one phase set in columns (typed arrays): per run and used edge
 * column the earliest/latest time, per run trait a dictionary code. Merging is
 * min/max, so it is idempotent and order-independent: the same events give the
 * same table whether they arrive in one scan, in commits, or both.
 */
export class RunTable {
  n = 0;
  readonly ids: string[] = [];
  private readonly byId = new Map<string, number>();
  /** `columns[4 * matcher + k]`, allocated only for the columns an edge uses. */
  columns: (Float64Array | undefined)[];
  readonly traits = new Map<string, TraitColumn>();
  /** Per run: timestamp and message_id of the event its traits came from (the earliest; ties: smallest id). */
  private firstTimes: Float64Array = new Float64Array(0);
  private readonly firstIds: string[] = [];
  private capacity = 0;
  /** event type -> matchers naming it. */
  private readonly matchersOf = new Map<string, number[]>();
  /** Bumped on every change, so cached results can tell they are stale. */
  version = 0;

  /**
   * With `basis`, only that time basis's columns are kept, and with `traits`
   * only those run traits (a table for one report).
   */
  constructor(
    readonly set: PhaseSet,
    basis?: TimeBasis,
    traits?: readonly string[],
  ) {
    this.columns = new Array<Float64Array | undefined>(4 * set.matchers.length).fill(undefined);
    const used = new Set<number>();
    const bases: readonly TimeBasis[] = basis === undefined ? ['emit', 'receive'] : [basis];
    for (const p of set.phases) {
      for (const edge of [p.start, p.end]) for (const b of bases) used.add(edgeColumn(edge, b));
    }
    for (const c of used) this.columns[c] = new Float64Array(0);
    for (const t of set.traits) {
      if (traits !== undefined && !traits.includes(t)) continue;
      this.traits.set(t, {
        codes: new Int32Array(0),
        values: [],
        index: new Map(),
      });
    }
    set.matchers.forEach((m, i) => {
      for (const type of m.eventTypes) {
        const list = this.matchersOf.get(type) ?? [];
        list.push(i);
        this.matchersOf.set(type, list);
      }
    });
    this.grow(INITIAL_CAPACITY);
  }

  /** The event types the set's edges name. */
  get eventTypes(): string[] {
    return [...this.matchersOf.keys()];
  }

  /**
   * Room for `min` rows: doubling, or exactly `min` when `exact` (the caller
   * then writes every time column of rows `n` to `min`, so they are not
   * filled with NaN first: on 1,000,000 runs that fill was a third of a
   * one-off report, nearly all of it first touches of new memory).
   */
  private grow(min: number, exact = false): void {
    let cap = Math.max(this.capacity, INITIAL_CAPACITY);
    if (exact) cap = Math.max(this.capacity, min);
    else while (cap < min) cap *= 2;
    if (cap === this.capacity) return;
    const nan = (old: Float64Array): Float64Array => {
      const a = new Float64Array(cap);
      a.set(old.subarray(0, this.n));
      return exact ? a : a.fill(Number.NaN, this.n);
    };
    this.columns = this.columns.map((c) => (c === undefined ? undefined : nan(c)));
    for (const t of this.traits.values()) {
      const codes = new Int32Array(cap).fill(-1);
      codes.set(t.codes.subarray(0, this.n));
      t.codes = codes;
    }
    this.firstTimes = nan(this.firstTimes);
    this.capacity = cap;
  }

  /** The row of a run, added when new. */
  row(id: string): number {
    let r = this.byId.get(id);
    if (r === undefined) {
      r = this.n;
      if (r >= this.capacity) this.grow(r + 1);
      this.n++;
      this.ids.push(id);
      this.firstIds.push('');
      this.byId.set(id, r);
    }
    return r;
  }

  /** The row of a run, or undefined. */
  find(id: string): number | undefined {
    return this.byId.get(id);
  }

  /**
   * Whether an event at (`at`, `id`) is earlier than the run's trait source so
   * far (then it becomes the source): the earliest timestamp wins, then the
   * smallest message_id, so any arrival order gives one answer.
   */
  private takesTraits(r: number, at: number, id: string): boolean {
    const prev = this.firstTimes[r] as number;
    if (!Number.isNaN(prev) && (prev < at || (prev === at && (this.firstIds[r] as string) <= id)))
      return false;
    this.firstTimes[r] = at;
    this.firstIds[r] = id;
    return true;
  }

  private setTrait(t: TraitColumn, r: number, json: string | null): void {
    if (json === null) {
      t.codes[r] = -1;
      return;
    }
    let code = t.index.get(json);
    if (code === undefined) {
      code = t.values.length;
      t.values.push(json);
      t.index.set(json, code);
    }
    t.codes[r] = code;
  }

  private mergeTime(col: number, r: number, v: number, max: boolean): void {
    const c = this.columns[col];
    if (c === undefined || Number.isNaN(v)) return;
    const old = c[r] as number;
    if (Number.isNaN(old) || (max ? v > old : v < old)) c[r] = v;
  }

  /** Per run, the timestamp and message_id of the event its traits come from. */
  traitSources(): { times: Float64Array; ids: string[] } {
    return { times: this.firstTimes.slice(0, this.n), ids: this.firstIds.slice(0, this.n) };
  }

  /** Merge a chunk from {@link PhaseAnalysisSource.scanPhaseRuns}. */
  mergeChunk(chunk: RunChunk): void {
    const m = this.set.matchers.length;
    const traitCols = [...this.traits.entries()].map(([name, t]) => ({ t, values: chunk.traits[name] }));
    for (let i = 0; i < chunk.ids.length; i++) {
      const r = this.row(chunk.ids[i] as string);
      for (let col = 0; col < 4 * m; col++) {
        const src = chunk.columns[col];
        if (src !== undefined) this.mergeTime(col, r, src[i] as number, (col & 1) === 1);
      }
      const at = chunk.firstTimes[i] as number;
      if (!Number.isNaN(at) && this.takesTraits(r, at, chunk.firstIds[i] as string)) {
        for (const { t, values } of traitCols) this.setTrait(t, r, values?.[i] ?? null);
      }
    }
    this.version++;
  }

  /**
   * Add the runs of chunks scanned with `ids: false` to a table that nothing
   * else merges into (a one-off report): every run is new, so rows are
   * appended without an id (the table then answers reports, not run lookups).
   * All at once, so the columns grow once: growing them chunk by chunk (by
   * doubling) cost more than the scan on 1,000,000 runs (3.6 s, nearly all of
   * it first touches of new memory).
   */
  appendChunks(chunks: readonly RunChunk[]): void {
    const m = this.set.matchers.length;
    let base = this.n;
    const total = chunks.reduce((sum, c) => sum + c.firstTimes.length, 0);
    if (base + total > this.capacity) this.grow(base + total, true);
    // A column whose chunks are consecutive views of one array (a store may
    // hand them out so) is taken as it is: no copy, no new memory to touch.
    const adopted = new Set<number>();
    if (base === 0 && total > 0) {
      for (let col = 0; col < 4 * m; col++) {
        const whole = this.columns[col] === undefined ? undefined : wholeArray(chunks, col, total);
        if (whole === undefined) continue;
        this.columns[col] = whole;
        adopted.add(col);
      }
    }
    // The trait sources matter only to tables that keep traits.
    const sources = this.traits.size > 0;
    for (const chunk of chunks) {
      const n = chunk.firstTimes.length;
      for (let col = 0; col < 4 * m; col++) {
        if (adopted.has(col)) continue;
        const dst = this.columns[col];
        const src = chunk.columns[col];
        if (dst === undefined) continue;
        // Every row from `base` on is written (grow left them unfilled): a column the chunk lacks is NaN.
        if (src === undefined) dst.fill(Number.NaN, base, base + n);
        else dst.set(src.subarray(0, n), base);
      }
      if (sources) this.firstTimes.set(chunk.firstTimes.subarray(0, n), base);
      for (const [name, t] of this.traits) {
        const values = chunk.traits[name];
        // A trait the scan left out stays unknown (code -1) in every new row.
        if (values !== undefined) for (let i = 0; i < n; i++) this.setTrait(t, base + i, values[i] ?? null);
      }
      base += n;
    }
    // Unnamed rows ('' as id and trait source id), sized once rather than pushed a million times.
    this.ids.length = this.firstIds.length = base + total;
    this.ids.fill('', base);
    this.firstIds.fill('', base);
    this.n = base;
    this.version++;
  }

  /** Merge committed events (those of other types, or without the group trait, are skipped). */
  mergeEvents(events: readonly WaymarkEvent[]): void {
    const groupBy = this.set.groupBy;
    let changed = false;
    for (const e of events) {
      const ms = this.matchersOf.get(e.event_type);
      if (ms === undefined) continue;
      const idv = e.traits[groupBy];
      if (idv === undefined) continue;
      const id = typeof idv === 'string' ? idv : typeof idv === 'number' ? String(idv) : idv.toISOString();
      let r: number | undefined;
      for (const mi of ms) {
        const matcher = this.set.matchers[mi];
        if (matcher === undefined || !conditionsHold(matcher.traits, e.traits)) continue;
        r ??= this.row(id);
        const ts = e.timestamp.us;
        const rc = e.received.us;
        this.mergeTime(4 * mi, r, ts, false);
        this.mergeTime(4 * mi + 1, r, ts, true);
        this.mergeTime(4 * mi + 2, r, rc, false);
        this.mergeTime(4 * mi + 3, r, rc, true);
      }
      if (r === undefined) continue;
      changed = true;
      if (this.takesTraits(r, e.timestamp.us, e.message_id)) {
        for (const [name, t] of this.traits) {
          const v = e.traits[name];
          this.setTrait(t, r, v === undefined ? null : JSON.stringify(v));
        }
      }
    }
    if (changed) this.version++;
  }
}
