import type {
  EventReportQuery,
  EventReportRow,
  RunChunk,
  ScanOptions,
  TimeBasis,
} from '../../analysis/analysis-port.js';
import type { EdgeTraitCondition, PhaseSet } from '../../analysis/phase-definitions.js';
import { edgeColumn } from '../../analysis/run-table.js';
import { num, type DuckDBChunkSlice, type DuckDBConnectionSlice, type SqlParam } from './duckdb-client.js';
import { jsonPointer, traitCondition } from './event-queries.js';
import { CORRELATION_TRAITS } from './migrations.js';
import { TraitCombos } from '../trait-combos.js';

/** SQL for "the event's traits satisfy these conditions" (typed: text equals text, numbers numbers). */
function conditionsSql(conditions: readonly EdgeTraitCondition[], params: SqlParam[]): string {
  const parts = conditions.map((c) => {
    const alts = c.values.map((v) => {
      const path = jsonPointer(c.trait);
      if (typeof v === 'number') {
        params.push(path, path, v);
        return `(json_type(traits, ?) IN ('UBIGINT', 'BIGINT', 'DOUBLE') AND TRY_CAST(json_extract_string(traits, ?) AS DOUBLE) = ?::DOUBLE)`;
      }
      params.push(path, path, v);
      return `(json_type(traits, ?) = 'VARCHAR' AND json_extract_string(traits, ?) = ?::VARCHAR)`;
    });
    return `(${alts.join(' OR ')})`;
  });
  return parts.length === 0 ? 'TRUE' : parts.join(' AND ');
}

function placeholders(values: readonly string[], params: SqlParam[]): string {
  params.push(...values);
  return values.map(() => '?').join(', ');
}

/**
 * A DOUBLE column of a chunk as a Float64Array: straight from the vector's
 * buffer when the client exposes it (10x faster than value by value), else
 * value by value. NULLs must have been turned into NaN in SQL.
 */
export function doubles(chunk: DuckDBChunkSlice, column: number, copy = true): Float64Array {
  const items = (chunk.getColumnVector?.(column) as { items?: unknown } | undefined)?.items;
  // Without `copy`, a view of the vector: valid until the next chunk is fetched.
  if (items instanceof Float64Array)
    return copy ? items.slice(0, chunk.rowCount) : items.subarray(0, chunk.rowCount);
  const values = chunk.getColumnValues(column);
  return Float64Array.from(values, (v) => (v === null || v === undefined ? Number.NaN : num(v)));
}

/**
 * One statement: the events of the set's edge types carrying its group trait
 * (a column when it is one of the {@link CORRELATION_TRAITS}),
 * grouped by run, with per matcher `min/max` of `ts` and `received` (only the
 * columns an edge uses; NaN for none) and the run traits of the run's earliest
 * event (by timestamp, then message_id), extracted after grouping so each
 * event's JSON is parsed once; streamed chunk by chunk. Without `ids` the run
 * ids and the trait sources' message ids stay in DuckDB, and with `time` only
 * that basis's columns are computed, and only the run traits asked for are
 * fetched: with none (and no ids) the earliest event is not looked for at all
 * (see ScanOptions).
 */
export async function* scanPhaseRuns(
  conn: DuckDBConnectionSlice,
  set: PhaseSet,
  options: ScanOptions = {},
): AsyncGenerator<RunChunk> {
  const { signal, time } = options;
  const ids = options.ids ?? true;
  const wanted =
    options.traits === undefined ? set.traits : set.traits.filter((t) => options.traits?.includes(t));
  // The earliest event (its time and id order trait sources when merging; its traits are the run's).
  const first = ids || wanted.length > 0;
  const bases: readonly TimeBasis[] = time === undefined ? ['emit', 'receive'] : [time];
  const types = [...new Set(set.matchers.flatMap((m) => m.eventTypes))];
  // A correlation trait is a column (migration 2): no JSON parsed per event for the run id.
  const column = (CORRELATION_TRAITS as readonly string[]).includes(set.groupBy) ? set.groupBy : undefined;
  const params: SqlParam[] = column === undefined ? [jsonPointer(set.groupBy)] : [];
  const runId = column === undefined ? 'json_extract_string(traits, ?)' : column;
  const matcherCols = set.matchers.map(
    (m, i) =>
      `(event_type IN (${placeholders(m.eventTypes, params)}) AND ${conditionsSql(m.traits, params)}) AS m${i}`,
  );
  const typeList = placeholders(types, params);
  const used = new Set<number>();
  for (const ph of set.phases) {
    for (const e of [ph.start, ph.end]) {
      for (const basis of bases) used.add(edgeColumn(e, basis));
    }
  }
  const aggs: string[] = [];
  for (let col = 0; col < 4 * set.matchers.length; col++) {
    if (!used.has(col)) continue;
    const m = col >> 2;
    const k = col & 3;
    aggs.push(
      `coalesce((${k & 1 ? 'max' : 'min'}(${k & 2 ? 'received' : 'ts'}) FILTER (WHERE m${m}))::DOUBLE, 'NaN'::DOUBLE) AS c${col}`,
    );
  }
  const usedCols = [...used].sort((a, b) => a - b);
  // The run traits as one JSON array per run (`["pixel-8","nightly",3]`): one string to convert per
  // run instead of one per trait, and few distinct ones (decoded once each, below).
  const traitCols =
    wanted.length === 0
      ? []
      : [
          `to_json([${wanted
            .map((t) => {
              params.push(jsonPointer(t));
              return 'json_extract(first.traits, ?)';
            })
            .join(', ')}])::VARCHAR`,
        ];
  const sql = `
    WITH e AS (
      SELECT ${[`${runId} AS run_id`, 'ts', 'received', ...(first ? ['message_id', 'traits'] : []), ...matcherCols].join(', ')}
      FROM events WHERE event_type IN (${typeList})
    ), runs AS (
      SELECT run_id, ${[...aggs, ...(first ? ["arg_min({'t': ts, 'm': message_id, 'traits': traits}, {'t': ts, 'm': message_id}) AS first"] : [])].join(', ')}
      FROM e WHERE run_id IS NOT NULL GROUP BY run_id
    )
    SELECT ${[ids ? 'run_id' : 'NULL', ...usedCols.map((c) => `c${c}`), first ? 'first.t::DOUBLE' : "'NaN'::DOUBLE", ids ? 'first.m' : 'NULL', ...traitCols].join(', ')} FROM runs`;
  const result = await conn.stream(sql, params);
  const nCols = 4 * set.matchers.length;
  const combos = new TraitCombos(wanted.length);
  for (;;) {
    signal?.throwIfAborted();
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) return;
    const n = chunk.rowCount;
    // Columns not computed share one all-NaN array (chunks are read, never written).
    let none: Float64Array | undefined;
    const columns: Float64Array[] = [];
    for (let c = 0; c < nCols; c++) {
      const at = usedCols.indexOf(c);
      columns.push(at < 0 ? (none ??= new Float64Array(n).fill(Number.NaN)) : doubles(chunk, 1 + at));
    }
    const k = 1 + usedCols.length;
    const traits: Record<string, (string | null)[]> = {};
    if (wanted.length > 0) {
      const per = combos.split(chunk.getColumnValues(k + 2) as (string | null)[]);
      wanted.forEach((t, i) => {
        traits[t] = per[i] as (string | null)[];
      });
    }
    yield {
      ids: ids ? (chunk.getColumnValues(0) as string[]) : [],
      columns,
      traits,
      firstTimes: doubles(chunk, k),
      firstIds: ids ? (chunk.getColumnValues(k + 1) as string[]) : [],
    };
  }
}

/** Event counts and transport delays (seconds) per event type and group; DuckDB's aggregates. */
export async function eventReport(
  q: (sql: string, params?: SqlParam[]) => Promise<unknown[][]>,
  query: EventReportQuery,
): Promise<EventReportRow[]> {
  const params: SqlParam[] = [];
  const groupCols = query.groupBy.map((g, i) => {
    params.push(jsonPointer(g));
    return `json_extract(traits, ?)::VARCHAR AS g${i}`;
  });
  const conds: string[] = [];
  const t = query.time === 'emit' ? 'ts' : 'received';
  if (query.from !== undefined) {
    conds.push(`${t} >= ?`);
    params.push(BigInt(query.from.us));
  }
  if (query.to !== undefined) {
    conds.push(`${t} < ?`);
    params.push(BigInt(query.to.us));
  }
  for (const f of query.traits) conds.push(traitCondition(f, params));
  const groupNames = query.groupBy.map((_, i) => `g${i}`);
  const sql = `
    SELECT event_type, ${[...groupNames, 'count(*)', 'min(d)', 'max(d)', 'avg(d)', 'stddev_pop(d)', 'quantile_cont(d, [0.5, 0.9, 0.99])'].join(', ')}
    FROM (SELECT ${['event_type', ...groupCols, '(received - ts) / 1e6 AS d'].join(', ')}
          FROM events ${conds.length === 0 ? '' : `WHERE ${conds.join(' AND ')}`})
    GROUP BY ${['event_type', ...groupNames].join(', ')}`;
  const rows = await q(sql, params);
  return rows.map((r) => {
    const group: Record<string, unknown> = {};
    query.groupBy.forEach((g, i) => {
      const v = r[1 + i];
      group[g] = v === null || v === undefined || v === 'null' ? null : (JSON.parse(v as string) as unknown);
    });
    const k = 1 + query.groupBy.length;
    const qs = (r[k + 5] as { items?: unknown[] } | unknown[] | null) ?? [];
    const items = Array.isArray(qs) ? qs : (qs.items ?? []);
    const count = num(r[k]);
    return {
      event_type: r[0] as string,
      group,
      count,
      delay: {
        count,
        min: r[k + 1] as number,
        max: r[k + 2] as number,
        mean: r[k + 3] as number,
        stddev: r[k + 4] as number,
        p50: items[0] as number,
        p90: items[1] as number,
        p99: items[2] as number,
      },
    };
  });
}
