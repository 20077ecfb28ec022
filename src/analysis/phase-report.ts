import { WaymarkError } from '../model/errors.js';
import type { TraitValue } from '../model/event.js';
import { formatIso, Instant } from '../model/instant.js';
import { describeSorted, type SampleStats } from '../pipeline/sample-stats.js';
import type { TraitFilter } from '../store/store.js';
import { traitMatches } from '../store/trait-match.js';
import type { TimeBasis } from './analysis-port.js';
import { edgeColumn, type RunTable } from './run-table.js';
import { sortMicros } from './sort-micros.js';

/** A report the phase set cannot answer (a trait it does not keep, a bad window): the caller's mistake. */
export class InvalidReportError extends WaymarkError {
  override name = 'InvalidReportError';
}

/** Which runs a report covers and how it groups them. */
export interface RunFilter {
  /** Runs whose start (earliest edge event, on `time`) is `>= from` … */
  readonly from?: Instant;
  /** … and `< to`. */
  readonly to?: Instant;
  readonly time: TimeBasis;
  /** Conditions on the set's run traits (all must hold). */
  readonly traits: readonly TraitFilter[];
}

export interface PhaseReportQuery extends RunFilter {
  /** Run traits to group by (each must be one of the set's `traits`). */
  readonly groupBy: readonly string[];
  /** Histogram bins per line (0: none). */
  readonly histogram: number;
}

export interface Histogram {
  /** Left edge of the first bin, seconds. */
  readonly min: number;
  /** Bin width in seconds (0 when every sample is equal: one bin). */
  readonly width: number;
  readonly counts: number[];
}

/** One line of a phase report: a phase in a group (seconds; population std dev; type-7 percentiles). */
export interface PhaseReportRow {
  readonly phase: string;
  readonly group: Record<string, unknown>;
  readonly count: number;
  readonly min: number | null;
  readonly max: number | null;
  readonly mean: number | null;
  readonly stddev: number | null;
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
  readonly histogram?: Histogram;
}

const CANONICAL_ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** A stored trait's JSON text back to a value (canonical datetimes become Instants, as events read back). */
function traitValue(json: string): TraitValue | undefined {
  const v: unknown = JSON.parse(json);
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return CANONICAL_ISO_RE.test(v) ? Instant.parse(v) : v;
  return undefined;
}

function checkTrait(table: RunTable, trait: string, what: string): void {
  if (!table.traits.has(trait)) {
    const kept = table.set.traits.length === 0 ? 'none' : table.set.traits.join(', ');
    throw new InvalidReportError(
      `${what} "${trait}": phase set "${table.set.name}" keeps no such run trait (it keeps: ${kept}); add it to the set's "traits" in ${table.set.file}`,
    );
  }
}

/** Earliest time of any edge event of each run, on the basis. */
function runStarts(table: RunTable, basis: TimeBasis): Float64Array {
  const out = new Float64Array(table.n).fill(Number.NaN);
  table.columns.forEach((c, col) => {
    if (c === undefined || (col & 2) !== (basis === 'emit' ? 0 : 2)) return;
    for (let r = 0; r < table.n; r++) {
      const v = c[r] as number;
      const o = out[r] as number;
      if (v < o || (Number.isNaN(o) && !Number.isNaN(v))) out[r] = v;
    }
  });
  return out;
}

interface Selection {
  /** Selected rows, in table order. */
  readonly rows: Int32Array;
  /** Group index of each selected row (parallel to rows). */
  readonly groupOf: Int32Array;
  readonly groups: Record<string, unknown>[];
  /** Run starts of every row (when computed). */
  readonly starts: Float64Array | undefined;
}

/** The runs passing a filter, and their groups (sorted by the groups' values). */
export function selectRuns(table: RunTable, filter: RunFilter, groupBy: readonly string[] = []): Selection {
  for (const t of groupBy) checkTrait(table, t, 'group_by');
  for (const f of filter.traits) checkTrait(table, f.trait, 'trait filter');
  if (filter.from !== undefined && filter.to !== undefined && filter.to.us < filter.from.us) {
    throw new InvalidReportError(
      `"to" (${filter.to.toISOString()}) is before "from" (${filter.from.toISOString()})`,
    );
  }
  const n = table.n;
  const windowed = filter.from !== undefined || filter.to !== undefined;
  const starts = windowed ? runStarts(table, filter.time) : undefined;
  const lo = filter.from?.us ?? -Infinity;
  const hi = filter.to?.us ?? Infinity;
  // Per filter: which dictionary codes pass.
  const passes = filter.traits.map((f) => {
    const col = table.traits.get(f.trait);
    if (col === undefined) throw new InvalidReportError(`no trait ${f.trait}`);
    return { codes: col.codes, ok: col.values.map((json) => traitMatches(traitValue(json), f)) };
  });
  const cols = groupBy.map((t) => table.traits.get(t)).filter((c) => c !== undefined);
  const keyOf = new Map<string, number>();
  const groupKeys: string[] = [];
  const groupCodes: number[][] = [];
  const rows = new Int32Array(n);
  const groupOf = new Int32Array(n);
  let k = 0;
  for (let r = 0; r < n; r++) {
    if (starts !== undefined) {
      const s = starts[r] as number;
      if (!(s >= lo && s < hi)) continue;
    }
    let ok = true;
    for (const p of passes) {
      const c = p.codes[r] as number;
      if (c < 0 || p.ok[c] !== true) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    let g = 0;
    if (cols.length > 0) {
      const codes = cols.map((c) => c.codes[r] as number);
      const key = codes.join(',');
      let gi = keyOf.get(key);
      if (gi === undefined) {
        gi = groupKeys.length;
        keyOf.set(key, gi);
        groupKeys.push(key);
        groupCodes.push(codes);
      }
      g = gi;
    }
    rows[k] = r;
    groupOf[k] = g;
    k++;
  }
  let groups: Record<string, unknown>[] = [{}];
  let remap: Int32Array | undefined;
  if (cols.length > 0) {
    const described = groupCodes.map((codes, i) => {
      const group: Record<string, unknown> = {};
      const texts: string[] = [];
      codes.forEach((code, j) => {
        const json = code < 0 ? 'null' : ((cols[j]?.values[code] as string) ?? 'null');
        texts.push(json);
        group[groupBy[j] as string] = JSON.parse(json) as unknown;
      });
      return { i, group, texts };
    });
    described.sort((a, b) => {
      for (let j = 0; j < a.texts.length; j++) {
        const x = a.texts[j] as string;
        const y = b.texts[j] as string;
        if (x !== y) return x < y ? -1 : 1;
      }
      return 0;
    });
    remap = new Int32Array(described.length);
    described.forEach((d, pos) => ((remap as Int32Array)[d.i] = pos));
    groups = described.map((d) => d.group);
    for (let i = 0; i < k; i++) groupOf[i] = remap[groupOf[i] as number] as number;
  }
  return { rows: rows.subarray(0, k), groupOf: groupOf.subarray(0, k), groups, starts };
}

/** Durations (µs) of one phase for the selected runs: NaN where the run lacks it (an edge missing, or end before start). */
function phaseDurations(
  table: RunTable,
  phaseIndex: number,
  basis: TimeBasis,
  rows: Int32Array,
): Float64Array {
  const phase = table.set.phases[phaseIndex];
  if (phase === undefined) throw new RangeError(`no phase ${phaseIndex}`);
  const s = table.columns[edgeColumn(phase.start, basis)] as Float64Array;
  const e = table.columns[edgeColumn(phase.end, basis)] as Float64Array;
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as number;
    const d = (e[r] as number) - (s[r] as number);
    out[i] = d >= 0 ? d : Number.NaN;
  }
  return out;
}

function histogramOf(sorted: Float64Array, bins: number): Histogram {
  const n = sorted.length;
  const min = sorted[0] as number;
  const max = sorted[n - 1] as number;
  if (max === min) return { min, width: 0, counts: [n] };
  const width = (max - min) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < n; i++) {
    const b = Math.min(bins - 1, Math.floor(((sorted[i] as number) - min) / width));
    counts[b] = (counts[b] as number) + 1;
  }
  return { min, width, counts };
}

/**
 * Summary of durations in whole microseconds: sorted, converted to seconds
 * (`us / 1e6`, exactly what the `meter` handler records), then described as a
 * meter is ({@link describeSorted}), so both give the very same figures.
 */
export function describeMicros(
  us: Float64Array,
  n: number,
  bins = 0,
): { stats: SampleStats | undefined; histogram?: Histogram } {
  const sorted = sortMicros(us, n);
  for (let i = 0; i < n; i++) sorted[i] = (sorted[i] as number) / 1e6;
  const stats = describeSorted(sorted);
  return stats !== undefined && bins > 0 ? { stats, histogram: histogramOf(sorted, bins) } : { stats };
}

function row(
  phase: string,
  group: Record<string, unknown>,
  d: ReturnType<typeof describeMicros>,
): PhaseReportRow {
  const s = d.stats;
  return {
    phase,
    group,
    count: s?.count ?? 0,
    min: s?.min ?? null,
    max: s?.max ?? null,
    mean: s?.mean ?? null,
    stddev: s?.stddev ?? null,
    p50: s?.p50 ?? null,
    p90: s?.p90 ?? null,
    p99: s?.p99 ?? null,
    ...(d.histogram !== undefined ? { histogram: d.histogram } : {}),
  };
}

/**
 * The phase report of a run table, phase by phase (one array of lines per
 * phase, in the set's order; within a phase, groups sorted by their values).
 * Lazy: each phase is computed when asked for, so a caller can send the first
 * lines while the rest is computed.
 */
export function* phaseReport(table: RunTable, query: PhaseReportQuery): Generator<PhaseReportRow[], number> {
  const sel = selectRuns(table, query, query.groupBy);
  const nGroups = sel.groups.length;
  const buf = new Float64Array(sel.rows.length);
  for (let p = 0; p < table.set.phases.length; p++) {
    const name = (table.set.phases[p] as { name: string }).name;
    const durations = phaseDurations(table, p, query.time, sel.rows);
    if (nGroups === 1) {
      let m = 0;
      for (let i = 0; i < durations.length; i++) {
        const d = durations[i] as number;
        if (d === d) buf[m++] = d;
      }
      yield [row(name, sel.groups[0] as Record<string, unknown>, describeMicros(buf, m, query.histogram))];
      continue;
    }
    // Counting sort by group, then each group's slice on its own.
    const counts = new Int32Array(nGroups + 1);
    for (let i = 0; i < durations.length; i++) {
      if (durations[i] !== durations[i]) continue;
      const g = (sel.groupOf[i] as number) + 1;
      counts[g] = (counts[g] as number) + 1;
    }
    for (let g = 0; g < nGroups; g++) counts[g + 1] = (counts[g + 1] as number) + (counts[g] as number);
    const next = counts.slice(0, nGroups);
    for (let i = 0; i < durations.length; i++) {
      const d = durations[i] as number;
      if (d !== d) continue;
      const g = sel.groupOf[i] as number;
      buf[next[g] as number] = d;
      next[g] = (next[g] as number) + 1;
    }
    const lines: PhaseReportRow[] = [];
    for (let g = 0; g < nGroups; g++) {
      const from = counts[g] as number;
      const m = (counts[g + 1] as number) - from;
      lines.push(
        row(
          name,
          sel.groups[g] as Record<string, unknown>,
          describeMicros(buf.subarray(from, from + m), m, query.histogram),
        ),
      );
    }
    yield lines;
  }
  return sel.rows.length;
}

export interface RunsQuery extends RunFilter {
  readonly limit: number;
  readonly offset: number;
  /** Only this run. */
  readonly id?: string;
}

export interface RunPhaseJSON {
  readonly phase: string;
  readonly start: string;
  readonly end: string;
  readonly duration_s: number;
  /** Where the duration falls among the same phase's durations over the same filter: mid-rank, 0-100. */
  readonly percentile: number;
}

export interface RunJSON {
  readonly id: string;
  readonly start: string;
  /** The latest end of the run's phases; null while none is complete. */
  readonly end: string | null;
  readonly traits: Record<string, unknown>;
  readonly phases: RunPhaseJSON[];
}

export interface RunsPage {
  readonly set: string;
  readonly total: number;
  readonly runs: RunJSON[];
}

/** Number of values `< x` in an ascending array. */
function lowerBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Number of values `<= x` in an ascending array. */
function upperBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A page of runs (sorted by start, then id: oldest first, newest last;
 * `offset` counts from the oldest) with each complete phase's edges, duration
 * and percentile rank among the filtered runs.
 */
export function runsPage(table: RunTable, query: RunsQuery): RunsPage {
  const sel = selectRuns(table, query);
  const starts = sel.starts ?? runStarts(table, query.time);
  let rows = Array.from(sel.rows);
  if (query.id !== undefined) {
    const r = table.find(query.id);
    rows = r !== undefined && rows.includes(r) ? [r] : [];
  }
  rows.sort(
    (a, b) =>
      (starts[a] as number) - (starts[b] as number) ||
      ((table.ids[a] as string) < (table.ids[b] as string) ? -1 : 1),
  );
  const page = rows.slice(query.offset, query.offset + query.limit);
  const phases = table.set.phases.map((p, i) => {
    const all = phaseDurations(table, i, query.time, sel.rows);
    let m = 0;
    for (let j = 0; j < all.length; j++) if (all[j] === all[j]) all[m++] = all[j] as number;
    return {
      name: p.name,
      start: table.columns[edgeColumn(p.start, query.time)] as Float64Array,
      end: table.columns[edgeColumn(p.end, query.time)] as Float64Array,
      sorted: sortMicros(all, m),
    };
  });
  const traitCols = [...table.traits.entries()];
  const runs = page.map((r): RunJSON => {
    const traits: Record<string, unknown> = {};
    for (const [name, col] of traitCols) {
      const c = col.codes[r] as number;
      if (c >= 0) traits[name] = JSON.parse(col.values[c] as string) as unknown;
    }
    let end = Number.NaN;
    const out: RunPhaseJSON[] = [];
    for (const p of phases) {
      const s = p.start[r] as number;
      const e = p.end[r] as number;
      const d = e - s;
      if (!(d >= 0)) continue;
      if (!(e <= end)) end = e;
      const n = p.sorted.length;
      const rank = (lowerBound(p.sorted, d) + upperBound(p.sorted, d)) / 2;
      out.push({
        phase: p.name,
        start: formatIso(s),
        end: formatIso(e),
        duration_s: d / 1e6,
        percentile: n === 0 ? 0 : (100 * rank) / n,
      });
    }
    return {
      id: table.ids[r] as string,
      start: formatIso(starts[r] as number),
      end: Number.isNaN(end) ? null : formatIso(end),
      traits,
      phases: out,
    };
  });
  return { set: table.set.name, total: rows.length, runs };
}
