import type {
  EventReportQuery,
  EventReportRow,
  RunChunk,
  ScanOptions,
  TimeBasis,
} from '../../analysis/analysis-port.js';
import type { EdgeTraitCondition, PhaseSet } from '../../analysis/phase-definitions.js';
import { edgeColumn } from '../../analysis/run-table.js';
import { TraitCombos } from '../trait-combos.js';
import { Params, traitCondition } from './event-queries.js';
import { num, type PgClientSlice } from './pg-client.js';
import { fromPg, jsonFromPg, toPg } from './pg-text.js';
import type { Query } from './query.js';

/** Runs fetched from the cursor at a time (one chunk each). */
const CHUNK_ROWS = 50_000;

/** "The event's traits satisfy these conditions", typed: text equals text, numbers numbers. */
function conditionsSql(conditions: readonly EdgeTraitCondition[], p: Params): string {
  const parts = conditions.map((c) => {
    const key = p.add(toPg(c.trait));
    const alts = c.values.map((v) =>
      typeof v === 'number'
        ? `(CASE WHEN json_typeof(traits -> ${key}) = 'number' THEN (traits ->> ${key})::float8 = ${p.add(v)}::float8 ELSE false END)`
        : `(CASE WHEN json_typeof(traits -> ${key}) = 'string' THEN (traits ->> ${key}) = ${p.add(toPg(v))}::text ELSE false END)`,
    );
    return `(${alts.join(' OR ')})`;
  });
  return parts.length === 0 ? 'true' : parts.join(' AND ');
}

/**
 * The SQL of a phase scan, as the DuckDB store's (src/store/duckdb/analysis-queries.ts):
 * the events of the set's edge types (`events_by_type`) carrying its group
 * trait, grouped by run with `min/max … FILTER` per matcher and used column;
 * the run traits and the earliest event from `DISTINCT ON` over the same
 * events (only when wanted).
 */
export function phaseScanSql(
  set: PhaseSet,
  options: ScanOptions = {},
): { text: string; values: unknown[]; usedCols: number[]; wanted: readonly string[] } {
  const ids = options.ids ?? true;
  const wanted =
    options.traits === undefined ? set.traits : set.traits.filter((t) => options.traits?.includes(t));
  const first = ids || wanted.length > 0;
  const bases: readonly TimeBasis[] = options.time === undefined ? ['emit', 'receive'] : [options.time];
  const p = new Params();
  const runId = `(traits ->> ${p.add(toPg(set.groupBy))})`;
  const matcherCols = set.matchers.map(
    (m, i) =>
      `(event_type = ANY(${p.add(m.eventTypes.map(toPg))}::text[]) AND ${conditionsSql(m.traits, p)}) AS m${i}`,
  );
  const types = p.add([...new Set(set.matchers.flatMap((m) => m.eventTypes))].map(toPg));
  const used = new Set<number>();
  for (const ph of set.phases) {
    for (const e of [ph.start, ph.end]) for (const basis of bases) used.add(edgeColumn(e, basis));
  }
  const usedCols = [...used].sort((a, b) => a - b);
  const aggs = usedCols.map((col) => {
    const m = col >> 2;
    const k = col & 3;
    return `coalesce((${k & 1 ? 'max' : 'min'}(${k & 2 ? 'received' : 'ts'}) FILTER (WHERE m${m}))::float8, 'NaN'::float8) AS c${col}`;
  });
  const traitArray =
    wanted.length === 0
      ? undefined
      : `json_build_array(${wanted.map((t) => `f.traits -> ${p.add(toPg(t))}`).join(', ')})::text`;
  const text = `
    WITH e AS ${first ? 'MATERIALIZED ' : ''}(
      SELECT ${[`${runId} AS run_id`, 'ts', 'received', ...(first ? ['message_id', 'traits'] : []), ...matcherCols].join(', ')}
      FROM events WHERE event_type = ANY(${types}::text[])
    ), runs AS (
      SELECT run_id, ${aggs.length === 0 ? 'count(*) AS n' : aggs.join(', ')} FROM e GROUP BY run_id HAVING run_id IS NOT NULL
    )${
      first
        ? `, firsts AS (
      SELECT DISTINCT ON (run_id) run_id, ts, message_id, traits FROM e WHERE run_id IS NOT NULL ORDER BY run_id, ts, message_id COLLATE "C")`
        : ''
    }
    SELECT ${[
      ids ? 'runs.run_id' : 'NULL',
      ...usedCols.map((c) => `runs.c${c}`),
      first ? 'f.ts::float8' : `'NaN'::float8`,
      ids ? 'f.message_id' : 'NULL',
      traitArray ?? 'NULL',
    ].join(', ')}
    FROM runs${first ? ' JOIN firsts f ON f.run_id = runs.run_id' : ''}`;
  return { text, values: p.values, usedCols, wanted };
}

/**
 * Run a phase scan through a cursor in a read-only transaction on `client`,
 * {@link CHUNK_ROWS} runs per chunk. The caller owns the client (and releases it).
 */
export async function* scanPhaseRuns(
  client: PgClientSlice,
  set: PhaseSet,
  options: ScanOptions = {},
): AsyncGenerator<RunChunk> {
  const { signal } = options;
  const ids = options.ids ?? true;
  const { text, values, usedCols, wanted } = phaseScanSql(set, options);
  const nCols = 4 * set.matchers.length;
  const combos = new TraitCombos(wanted.length, jsonFromPg);
  const run = (q: string, v?: unknown[]) =>
    client.query({ text: q, rowMode: 'array', ...(v === undefined ? {} : { values: v }) });
  await run('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  let open = true;
  try {
    await run(`DECLARE waymark_phase_scan NO SCROLL CURSOR FOR ${text}`, values);
    for (;;) {
      signal?.throwIfAborted();
      const rows = (await run(`FETCH ${CHUNK_ROWS} FROM waymark_phase_scan`)).rows;
      if (rows.length === 0) break;
      const n = rows.length;
      let none: Float64Array | undefined;
      const columns: Float64Array[] = [];
      for (let c = 0; c < nCols; c++) {
        const at = usedCols.indexOf(c);
        if (at < 0) {
          columns.push((none ??= new Float64Array(n).fill(Number.NaN)));
          continue;
        }
        const col = new Float64Array(n);
        for (let i = 0; i < n; i++) col[i] = (rows[i] as unknown[])[1 + at] as number;
        columns.push(col);
      }
      const k = 1 + usedCols.length;
      const firstTimes = new Float64Array(n);
      for (let i = 0; i < n; i++) firstTimes[i] = (rows[i] as unknown[])[k] as number;
      const traits: Record<string, (string | null)[]> = {};
      if (wanted.length > 0) {
        const per = combos.split(rows.map((r) => r[k + 2] as string | null));
        wanted.forEach((t, i) => {
          traits[t] = per[i] as (string | null)[];
        });
      }
      yield {
        ids: ids ? rows.map((r) => fromPg(r[0] as string)) : [],
        columns,
        traits,
        firstTimes,
        firstIds: ids ? rows.map((r) => fromPg(r[k + 1] as string)) : [],
      };
    }
    await run('CLOSE waymark_phase_scan');
    await run('COMMIT');
    open = false;
  } finally {
    if (open) await run('ROLLBACK').catch(() => undefined);
  }
}

/** Event counts and transport delays (seconds) per event type and group; PostgreSQL's aggregates. */
export async function eventReport(q: Query, query: EventReportQuery): Promise<EventReportRow[]> {
  const p = new Params();
  const groupCols = query.groupBy.map((g, i) => `(traits -> ${p.add(toPg(g))})::text AS g${i}`);
  const conds: string[] = [];
  const t = query.time === 'emit' ? 'ts' : 'received';
  if (query.from !== undefined) conds.push(`${t} >= ${p.add(query.from.us)}::int8`);
  if (query.to !== undefined) conds.push(`${t} < ${p.add(query.to.us)}::int8`);
  for (const f of query.traits) conds.push(`coalesce(${traitCondition(f, p)}, false)`);
  const groupNames = query.groupBy.map((_, i) => `g${i}`);
  const rows = await q(
    `SELECT event_type, ${[...groupNames, 'count(*)', 'min(d)', 'max(d)', 'avg(d)', 'stddev_pop(d)', 'percentile_cont(ARRAY[0.5, 0.9, 0.99]) WITHIN GROUP (ORDER BY d)'].join(', ')}
    FROM (SELECT ${['event_type', ...groupCols, '(received - ts) / 1e6::float8 AS d'].join(', ')}
          FROM events ${conds.length === 0 ? '' : `WHERE ${conds.join(' AND ')}`}) x
    GROUP BY ${['event_type', ...groupNames].join(', ')}
    ORDER BY event_type COLLATE "C", ${groupNames.length === 0 ? '1' : groupNames.map((g) => `${g} COLLATE "C"`).join(', ')}`,
    p.values,
  );
  return rows.map((r) => {
    const group: Record<string, unknown> = {};
    query.groupBy.forEach((g, i) => {
      const v = r[1 + i];
      group[g] = v === null || v === undefined || v === 'null' ? null : jsonFromPg(v as string);
    });
    const k = 1 + query.groupBy.length;
    const items = (r[k + 5] as number[] | null) ?? [];
    const count = num(r[k]);
    return {
      event_type: fromPg(r[0] as string),
      group,
      count,
      delay: {
        count,
        min: num(r[k + 1]),
        max: num(r[k + 2]),
        mean: num(r[k + 3]),
        stddev: num(r[k + 4]),
        p50: num(items[0]),
        p90: num(items[1]),
        p99: num(items[2]),
      },
    };
  });
}
