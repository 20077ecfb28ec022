import type { RunChunk, ScanOptions, TimeBasis } from '../../analysis/analysis-port.js';
import type { PhaseSet } from '../../analysis/phase-definitions.js';
import { edgeColumn } from '../../analysis/run-table.js';
import { num, type DuckDBConnectionSlice, type SqlParam } from './duckdb-client.js';
import { doubles } from './analysis-queries.js';
import { jsonPointer } from './event-queries.js';
import { CORRELATION_TRAITS } from './migrations.js';
import { TraitCombos } from '../trait-combos.js';

/**
 * Run marks (migration 3): per run — a value of one of the
 * {@link CORRELATION_TRAITS} — one row with, per event type the run has, the
 * earliest and latest emit and receive times, as parallel lists (in no
 * particular order; `list_position` finds a type). They are what a phase
 * report needs of the raw events when its edges are plain event types, folded
 * once instead of re-derived on every report: on 10,000,000 events
 * (1,000,000 runs) a one-off six-phase report takes about 0.9 s from the marks
 * against 2 s from the raw events.
 *
 * A trait is marked once something asked for it: `testrun_id` from the start
 * (the bundled test-run phases are plain event types), another one when a
 * report that the marks could answer groups runs by it (that report reads the
 * raw events; the marks are built behind it). Unmarked traits cost nothing.
 *
 * Events are folded in by commit order (`events.seq`): `run_marks_state`
 * holds, per marked trait, the last seq folded, and a fold step merges the
 * next events into the rows of their runs (min/max, so folding an event twice
 * changes nothing). Each step is one transaction, so a crash loses no marks.
 * Folds run beside the writer, on their own connection, and touch no table a
 * commit writes.
 */

/** Events folded per transaction: a step's memory and time stay bounded, and a close waits for one step at most. */
export const FOLD_STEP = 1_000_000;

type CorrelationTrait = (typeof CORRELATION_TRAITS)[number];

function isCorrelationTrait(t: string): t is CorrelationTrait {
  return (CORRELATION_TRAITS as readonly string[]).includes(t);
}

/**
 * The per-(trait, run, event type) aggregate of the events matching each
 * part's `where` (SQL over `events`), as temp table `marks_tail` with the
 * types as their codes in `run_mark_types` (new types get the next codes):
 * `list_position` over integer lists is what makes a scan of the marks fast
 * (1,000,000 runs: 0.37-0.44 s against 0.53-0.60 s with the type names).
 */
async function buildTail(
  conn: DuckDBConnectionSlice,
  parts: readonly { trait: CorrelationTrait; where: string }[],
): Promise<void> {
  const selects = parts.map(
    ({ trait, where }) =>
      `SELECT '${trait}' AS trait, ${trait} AS run_id, event_type, ts, received, message_id FROM events WHERE ${trait} IS NOT NULL AND (${where})`,
  );
  await conn.run(`CREATE OR REPLACE TEMP TABLE marks_named AS
    SELECT trait, run_id, event_type, min(ts) AS min_ts, max(ts) AS max_ts,
           min(received) AS min_received, max(received) AS max_received,
           min({'t': ts, 'm': message_id}).m AS first_id
    FROM (${selects.join(' UNION ALL ')}) GROUP BY trait, run_id, event_type`);
  await conn.run(`INSERT INTO run_mark_types
    SELECT (SELECT coalesce(max(code), 0) FROM run_mark_types) + row_number() OVER (ORDER BY event_type), event_type
    FROM (SELECT DISTINCT event_type FROM marks_named) n
    WHERE NOT EXISTS (SELECT 1 FROM run_mark_types k WHERE k.event_type = n.event_type)`);
  await conn.run(`CREATE OR REPLACE TEMP TABLE marks_tail AS
    SELECT n.trait, n.run_id, k.code AS type, n.min_ts, n.max_ts, n.min_received, n.max_received, n.first_id
    FROM marks_named n JOIN run_mark_types k USING (event_type)`);
  await conn.run('DROP TABLE marks_named');
}

/**
 * Merge the long rows of temp table `tail` (trait, run_id, type, times) into
 * `run_marks`: the rows of the runs it touches are replaced by their union.
 */
async function mergeTail(conn: DuckDBConnectionSlice): Promise<void> {
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE marks_touched AS SELECT DISTINCT trait, run_id FROM marks_tail`,
  );
  // One list of structs per run (one aggregate, so the five lists below stay aligned), split after:
  // five list(… ORDER BY type) aggregates measured 10x slower (200,000 OpenStack events: 1 s).
  // The run's earliest event: the least of the tail's per-type earliest and the row's own (carried
  // by the row's entry of that type, so no second pass over run_marks).
  await conn.run(`CREATE OR REPLACE TEMP TABLE marks_merged AS
    WITH per_type AS (
      SELECT trait, run_id, type, min(min_ts) AS min_ts, max(max_ts) AS max_ts,
             min(min_received) AS min_received, max(max_received) AS max_received, min(f) AS f
      FROM (
        SELECT trait, run_id, type, min_ts, max_ts, min_received, max_received,
               {'t': min_ts, 'm': first_id, 'y': type} AS f
        FROM marks_tail
        UNION ALL
        SELECT trait, run_id, ty, a, b, c, d,
               CASE WHEN ty = first_type THEN {'t': first_ts, 'm': first_id, 'y': first_type} END
        FROM (
          SELECT m.trait, m.run_id, m.first_ts, m.first_id, m.first_type, unnest(m.types) AS ty,
                 unnest(m.min_ts) AS a, unnest(m.max_ts) AS b, unnest(m.min_received) AS c,
                 unnest(m.max_received) AS d
          FROM run_marks m SEMI JOIN marks_touched t ON m.trait = t.trait AND m.run_id = t.run_id))
      GROUP BY trait, run_id, type),
    per_run AS (
      SELECT trait, run_id, list({t: type, a: min_ts, b: max_ts, c: min_received, d: max_received}) AS l,
             min(f) AS first
      FROM per_type GROUP BY trait, run_id)
    SELECT trait, run_id, list_transform(l, x -> x.t) AS types, list_transform(l, x -> x.a) AS min_ts,
           list_transform(l, x -> x.b) AS max_ts, list_transform(l, x -> x.c) AS min_received,
           list_transform(l, x -> x.d) AS max_received, first.t AS first_ts, first.m AS first_id,
           first.y AS first_type
    FROM per_run`);
  await conn.run(
    `DELETE FROM run_marks m USING marks_touched t WHERE m.trait = t.trait AND m.run_id = t.run_id`,
  );
  await conn.run(`INSERT INTO run_marks SELECT * FROM marks_merged`);
  for (const t of ['marks_tail', 'marks_touched', 'marks_merged']) await conn.run(`DROP TABLE ${t}`);
}

async function inTransaction<T>(conn: DuckDBConnectionSlice, work: () => Promise<T>): Promise<T> {
  await conn.run('BEGIN TRANSACTION');
  try {
    const out = await work();
    await conn.run('COMMIT');
    return out;
  } catch (e) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

/** How far the marks are, per marked trait: the last seq folded and the stored events after it. */
export interface TraitMarks {
  readonly trait: string;
  readonly foldedSeq: number;
  readonly unfolded: number;
  /** Runs (rows of run_marks) of the trait. */
  readonly runs: number;
}

export async function marksLag(conn: DuckDBConnectionSlice, withRuns = false): Promise<TraitMarks[]> {
  const rows = (
    await conn.runAndReadAll(
      `SELECT s.trait, s.seq, (SELECT count(*) FROM events WHERE seq > s.seq),
              ${withRuns ? '(SELECT count(*) FROM run_marks m WHERE m.trait = s.trait)' : '0'}
       FROM run_marks_state s ORDER BY s.trait`,
    )
  ).getRows();
  return rows.map((r) => ({
    trait: r[0] as string,
    foldedSeq: num(r[1]),
    unfolded: num(r[2]),
    runs: num(r[3]),
  }));
}

/** Start marking a correlation trait (its marks are then folded from the first event on); true when it is new. */
export async function markTrait(conn: DuckDBConnectionSlice, trait: string): Promise<boolean> {
  if (!isCorrelationTrait(trait)) return false;
  return inTransaction(conn, async () => {
    const known = (
      await conn.runAndReadAll('SELECT count(*) FROM run_marks_state WHERE trait = ?', [trait])
    ).getRows();
    if (num(known[0]?.[0] ?? 0) > 0) return false;
    await conn.run('INSERT INTO run_marks_state VALUES (?, 0)', [trait]);
    return true;
  });
}

/**
 * One fold step of one marked trait (`trait`, or the one furthest behind):
 * the next up to {@link FOLD_STEP} events after its seq merged into
 * `run_marks`, and its seq advanced, in one transaction. Returns how far its
 * seq advanced (0: the marks are current).
 */
export async function foldStep(conn: DuckDBConnectionSlice, trait?: string): Promise<number> {
  return inTransaction(conn, async () => {
    const rows = (
      await conn.runAndReadAll(
        `SELECT trait, seq, (SELECT coalesce(max(seq), 0) FROM events) FROM run_marks_state
         ${trait === undefined ? '' : 'WHERE trait = ?'} ORDER BY seq, trait LIMIT 1`,
        trait === undefined ? [] : [trait],
      )
    ).getRows();
    const t = rows[0]?.[0] as string | undefined;
    if (t === undefined || !isCorrelationTrait(t)) return 0;
    const from = num(rows[0]?.[1] ?? 0);
    const last = num(rows[0]?.[2] ?? 0);
    if (last <= from) return 0;
    // Seqs are dense but for trimmed events, so a step is at most FOLD_STEP events.
    const to = Math.min(last, from + FOLD_STEP);
    await buildTail(conn, [{ trait: t, where: `seq > ${from} AND seq <= ${to}` }]);
    await mergeTail(conn);
    await conn.run(`UPDATE run_marks_state SET seq = ${to} WHERE trait = '${t}'`);
    return to - from;
  });
}

/**
 * After events before `before` were deleted (in the caller's open
 * transaction): the runs whose marks may name a deleted event are re-derived
 * from the events they still have (those already folded; later ones are
 * folded as usual).
 */
export async function remarkAfterTrim(conn: DuckDBConnectionSlice, before: bigint): Promise<void> {
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE marks_stale AS
     SELECT trait, run_id FROM run_marks WHERE list_min(min_ts) < ?`,
    [before],
  );
  await conn.run(
    `DELETE FROM run_marks m USING marks_stale t WHERE m.trait = t.trait AND m.run_id = t.run_id`,
  );
  const marked = (await conn.runAndReadAll('SELECT trait FROM run_marks_state')).getRows();
  const parts = marked
    .map((r) => r[0] as string)
    .filter(isCorrelationTrait)
    .map((t) => ({
      trait: t,
      where: `seq <= (SELECT seq FROM run_marks_state WHERE trait = '${t}')
              AND ${t} IN (SELECT run_id FROM marks_stale WHERE trait = '${t}')`,
    }));
  if (parts.length > 0) {
    await buildTail(conn, parts);
    await mergeTail(conn);
  }
  await conn.run('DROP TABLE marks_stale');
}

/**
 * Whether the marks can answer this scan exactly: the set groups by a
 * correlation trait, every edge is plain event types (no trait conditions),
 * and the scan wants no run ids (a one-off report). Anything else scans the
 * raw events.
 */
export function marksAnswer(set: PhaseSet, options: ScanOptions): boolean {
  if (!isCorrelationTrait(set.groupBy)) return false;
  if (options.ids ?? true) return false;
  return !set.matchers.some((m) => m.traits.length > 0);
}

/**
 * Whether the marks give every run of the set its run traits: they keep each
 * run's earliest event, which is its earliest edge event only when its type
 * is one of the set's. When some run began with another type, a report that
 * wants run traits reads the raw events instead.
 */
export async function marksCoverTraits(conn: DuckDBConnectionSlice, set: PhaseSet): Promise<boolean> {
  const types = [...new Set(set.matchers.flatMap((m) => m.eventTypes))];
  if (types.length === 0) return true;
  const rows = (
    await conn.runAndReadAll(
      `SELECT code FROM run_mark_types WHERE event_type IN (${types.map(() => '?').join(', ')})`,
      types,
    )
  ).getRows();
  const codes = rows.map((r) => num(r[0]));
  if (codes.length === 0) return true;
  const list = codes.join(', ');
  const other = (
    await conn.runAndReadAll(
      `SELECT count(*) FROM run_marks WHERE trait = ? AND first_type NOT IN (${list})
         AND len(list_intersect(types, [${list}])) > 0`,
      [set.groupBy],
    )
  ).getRows();
  return num(other[0]?.[0] ?? 0) === 0;
}

/** The run chunks of a set from the marks (see {@link marksAnswer}): the raw scan's columns and run traits, no ids. */
export async function* scanRunMarks(
  conn: DuckDBConnectionSlice,
  set: PhaseSet,
  options: ScanOptions = {},
): AsyncGenerator<RunChunk> {
  const { signal, time } = options;
  const bases: readonly TimeBasis[] = time === undefined ? ['emit', 'receive'] : [time];
  const types = [...new Set(set.matchers.flatMap((m) => m.eventTypes))];
  const known = new Map<string, number>();
  if (types.length > 0) {
    const rows = (
      await conn.runAndReadAll(
        `SELECT event_type, code FROM run_mark_types WHERE event_type IN (${types.map(() => '?').join(', ')})`,
        types,
      )
    ).getRows();
    for (const r of rows) known.set(r[0] as string, num(r[1]));
  }
  // No run has a type no event ever had: such an edge never matches.
  const params: SqlParam[] = [set.groupBy];
  const position = (type: string): string => `p${types.indexOf(type)}`;
  const used = new Set<number>();
  for (const ph of set.phases) {
    for (const e of [ph.start, ph.end]) for (const basis of bases) used.add(edgeColumn(e, basis));
  }
  const usedCols = [...used].sort((a, b) => a - b);
  const exprs = usedCols.map((col) => {
    const m = set.matchers[col >> 2];
    const k = col & 3;
    const list = `${k & 1 ? 'max' : 'min'}_${k & 2 ? 'received' : 'ts'}`;
    const items = (m?.eventTypes ?? []).map((t) => `${list}[${position(t)}]`);
    const value = items.length === 1 ? items[0] : `${k & 1 ? 'greatest' : 'least'}(${items.join(', ')})`;
    return `coalesce((${value})::DOUBLE, 'NaN'::DOUBLE)`;
  });
  const wanted =
    options.traits === undefined ? set.traits : set.traits.filter((t) => options.traits?.includes(t));
  // Run traits come from the run's earliest edge event (by timestamp, then message id), as in the
  // raw scan: the run's earliest event, when its type is one of the set's (see marksCoverTraits).
  const codes = types.flatMap((t) => (known.has(t) ? [known.get(t) as number] : []));
  const source = `CASE WHEN first_type IN (${codes.length === 0 ? 'NULL' : codes.join(', ')}) THEN first_id END`;
  const traitSql =
    wanted.length === 0
      ? ''
      : `, (SELECT to_json([${wanted
          .map((t) => {
            params.push(jsonPointer(t));
            return 'json_extract(e.traits, ?)';
          })
          .join(', ')}])::VARCHAR FROM events e WHERE e.message_id = q.src)`;
  const sql = `
    WITH p AS (
      SELECT min_ts, max_ts, min_received, max_received, first_type, first_id,
             ${types.map((t, i) => `${known.has(t) ? `list_position(types, ${known.get(t)})` : 'NULL::INTEGER'} AS p${i}`).join(', ')}
      FROM run_marks WHERE trait = ?)
    , q AS (
      SELECT ${[...exprs.map((e, i) => `${e} AS c${i}`), ...(wanted.length > 0 ? [`${source} AS src`] : [])].join(', ')}
      FROM p WHERE coalesce(${types.map((_, i) => `p${i}`).join(', ')}) IS NOT NULL)
    SELECT ${exprs.map((_, i) => `c${i}`).join(', ')}${traitSql} FROM q`;
  // Every chunk's columns are consecutive views of one array per column, sized by a count first:
  // a one-off table adopts those arrays instead of copying them (RunTable.appendChunks).
  const counted = (
    await conn.runAndReadAll('SELECT count(*) FROM run_marks WHERE trait = ?', [set.groupBy])
  ).getRows();
  const capacity = num(counted[0]?.[0] ?? 0);
  const arrays = usedCols.map(() => new Float64Array(capacity));
  const nans = new Float64Array(2048).fill(Number.NaN);
  const result = await conn.stream(sql, params);
  const nCols = 4 * set.matchers.length;
  let offset = 0;
  const combos = new TraitCombos(wanted.length);
  for (;;) {
    signal?.throwIfAborted();
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) return;
    const n = chunk.rowCount;
    if (offset + n > capacity) throw new Error(`run marks: more rows than counted (${capacity})`);
    const none = n <= nans.length ? nans.subarray(0, n) : new Float64Array(n).fill(Number.NaN);
    const columns: Float64Array[] = [];
    for (let c = 0; c < nCols; c++) {
      const at = usedCols.indexOf(c);
      if (at < 0) {
        columns.push(none);
        continue;
      }
      const dst = (arrays[at] as Float64Array).subarray(offset, offset + n);
      dst.set(doubles(chunk, at, false));
      columns.push(dst);
    }
    offset += n;
    const traits: Record<string, (string | null)[]> = {};
    if (wanted.length > 0) {
      const per = combos.split(chunk.getColumnValues(usedCols.length) as (string | null)[]);
      wanted.forEach((t, i) => {
        traits[t] = per[i] as (string | null)[];
      });
    }
    yield { ids: [], columns, traits, firstTimes: none, firstIds: [] };
  }
}
