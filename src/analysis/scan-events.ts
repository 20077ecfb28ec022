import type { WaymarkEvent } from '../model/event.js';
import { describeSorted } from '../pipeline/sample-stats.js';
import { traitMatches } from '../store/trait-match.js';
import type { EventReportQuery, EventReportRow, RunChunk } from './analysis-port.js';
import type { PhaseSet } from './phase-definitions.js';
import { RunTable } from './run-table.js';
import { sortMicros } from './sort-micros.js';

/**
 * {@link PhaseAnalysisSource.scanPhaseRuns} over events in memory: what the
 * memory store answers, and the reference the other stores are tested against.
 */
export function runChunkOfEvents(set: PhaseSet, events: Iterable<WaymarkEvent>): RunChunk {
  const table = new RunTable(set);
  const batch: WaymarkEvent[] = [];
  for (const e of events) batch.push(e);
  table.mergeEvents(batch);
  const n = table.n;
  const columns = table.columns.map((c) =>
    c === undefined ? new Float64Array(n).fill(Number.NaN) : c.slice(0, n),
  );
  // Columns no edge uses are left NaN: nobody reads them.
  const traits: Record<string, (string | null)[]> = {};
  for (const [name, col] of table.traits) {
    traits[name] = Array.from(col.codes.subarray(0, n), (c) => (c < 0 ? null : (col.values[c] as string)));
  }
  const first = table.traitSources();
  return { ids: table.ids.slice(0, n), columns, traits, firstTimes: first.times, firstIds: first.ids };
}

/** {@link PhaseAnalysisSource.eventReport} over events in memory. */
export function eventReportOfEvents(
  query: EventReportQuery,
  events: Iterable<WaymarkEvent>,
): EventReportRow[] {
  const lo = query.from?.us ?? -Infinity;
  const hi = query.to?.us ?? Infinity;
  const groups = new Map<string, { type: string; group: Record<string, unknown>; delays: number[] }>();
  for (const e of events) {
    const t = query.time === 'emit' ? e.timestamp.us : e.received.us;
    if (!(t >= lo && t < hi)) continue;
    if (!query.traits.every((f) => traitMatches(e.traits[f.trait], f))) continue;
    const group: Record<string, unknown> = {};
    for (const g of query.groupBy) {
      const v = e.traits[g];
      group[g] = v === undefined ? null : (JSON.parse(JSON.stringify(v)) as unknown);
    }
    const key = JSON.stringify([e.event_type, ...query.groupBy.map((g) => group[g])]);
    let entry = groups.get(key);
    if (entry === undefined) {
      entry = { type: e.event_type, group, delays: [] };
      groups.set(key, entry);
    }
    entry.delays.push(e.received.us - e.timestamp.us);
  }
  const rows: EventReportRow[] = [];
  for (const g of groups.values()) {
    const us = sortMicrosSigned(Float64Array.from(g.delays));
    const s = describeSorted(us.map((d) => d / 1e6));
    if (s === undefined) continue;
    rows.push({ event_type: g.type, group: g.group, count: s.count, delay: s });
  }
  return sortEventReport(rows, query.groupBy);
}

/** Rows by event type, then by each group value's JSON text (null as `null`): one order for every store. */
export function sortEventReport(rows: EventReportRow[], groupBy: readonly string[]): EventReportRow[] {
  const key = (r: EventReportRow): string[] => [
    r.event_type,
    ...groupBy.map((g) => JSON.stringify(r.group[g] ?? null)),
  ];
  const keyed = rows.map((r) => ({ r, k: key(r) }));
  keyed.sort((a, b) => {
    for (let i = 0; i < a.k.length; i++) {
      const x = a.k[i] as string;
      const y = b.k[i] as string;
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  });
  return keyed.map((x) => x.r);
}

/** Delays may be negative (a sender's clock ahead): shift to sort, shift back. */
function sortMicrosSigned(a: Float64Array): Float64Array {
  let min = 0;
  for (const v of a) if (v < min) min = v;
  if (min < 0) for (let i = 0; i < a.length; i++) a[i] = (a[i] as number) - min;
  const s = sortMicros(a, a.length);
  if (min < 0) for (let i = 0; i < s.length; i++) s[i] = (s[i] as number) + min;
  return s;
}
