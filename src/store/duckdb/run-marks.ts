import type { RunChunk, ScanOptions, TimeBasis } from '../../analysis/analysis-port.js';
import type { PhaseSet } from '../../analysis/phase-definitions.js';
import { edgeColumn } from '../../analysis/run-table.js';
import { num, type DuckDBConnectionSlice, type SqlParam } from './duckdb-client.js';
import { doubles } from './analysis-queries.js';
import { CORRELATION_TRAITS } from './migrations.js';

/**
 * Run marks (migration 3): per run — a value of one of the
 * {@link CORRELATION_TRAITS} — one row with, per event type the run has, the
 * earliest and latest emit and receive times, as parallel lists (in no
 * particular order; `list_position` finds a type). They are what a phase report needs of the raw events when its edges
 * are plain event types, folded once instead of re-derived on every report:
 * on 10,000,000 events (1,000,000 runs) the run rows of a six-phase report
 * come out of the marks in about 0.4 s, against 1.8 s for the GROUP BY over
 * the raw events.
 *
 * Events are folded in by commit order (`events.seq`): `run_marks_state.seq`
 * is the last one folded, and a fold merges the next events into the rows of
 * their runs (min/max, so folding an event twice changes nothing). Each fold
 * step is one transaction, so a crash loses no marks and folds nothing twice
 * that matters. The fold runs beside the writer, on its own connection; it
 * touches no table a commit writes.
 */

/** Events folded per transaction: a step's memory and time stay bounded, and a close waits for one step at most. */
export const FOLD_STEP = 1_000_000;

/** The per-(trait, run, type) aggregate of the events matching `where` (SQL over `events`), as a temp table `name`. */
function aggregateInto(name: string, where: string): string {
  const parts = CORRELATION_TRAITS.map(
    (t) =>
      `SELECT '${t}' AS trait, ${t} AS run_id, event_type, ts, received FROM events WHERE ${t} IS NOT NULL AND (${where})`,
  );
  return `CREATE OR REPLACE TEMP TABLE ${name} AS
    SELECT trait, run_id, event_type AS type, min(ts) AS min_ts, max(ts) AS max_ts,
           min(received) AS min_received, max(received) AS max_received
    FROM (${parts.join(' UNION ALL ')}) GROUP BY ALL`;
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
  await conn.run(`CREATE OR REPLACE TEMP TABLE marks_merged AS
    SELECT trait, run_id, list_transform(l, x -> x.t) AS types, list_transform(l, x -> x.a) AS min_ts,
           list_transform(l, x -> x.b) AS max_ts, list_transform(l, x -> x.c) AS min_received,
           list_transform(l, x -> x.d) AS max_received
    FROM (
      SELECT trait, run_id, list({t: type, a: min_ts, b: max_ts, c: min_received, d: max_received}) AS l
      FROM (
        SELECT trait, run_id, type, min(min_ts) AS min_ts, max(max_ts) AS max_ts,
               min(min_received) AS min_received, max(max_received) AS max_received
        FROM (
          SELECT * FROM marks_tail
          UNION ALL
          SELECT m.trait, m.run_id, unnest(m.types), unnest(m.min_ts), unnest(m.max_ts),
                 unnest(m.min_received), unnest(m.max_received)
          FROM run_marks m SEMI JOIN marks_touched t ON m.trait = t.trait AND m.run_id = t.run_id)
        GROUP BY ALL)
      GROUP BY trait, run_id)`);
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

/** How far the marks are: the last folded `seq`, how many stored events are not folded yet, and how many runs they hold. */
export interface RunMarksStatus {
  readonly foldedSeq: number;
  readonly unfolded: number;
  readonly runs: number;
}

export async function marksLag(conn: DuckDBConnectionSlice, withRuns = false): Promise<RunMarksStatus> {
  const rows = (
    await conn.runAndReadAll(
      `SELECT s.seq, (SELECT count(*) FROM events WHERE seq > s.seq),
              ${withRuns ? '(SELECT count(*) FROM run_marks)' : '0'} FROM run_marks_state s`,
    )
  ).getRows();
  return {
    foldedSeq: num(rows[0]?.[0] ?? 0),
    unfolded: num(rows[0]?.[1] ?? 0),
    runs: num(rows[0]?.[2] ?? 0),
  };
}

/**
 * One fold step: the next up to {@link FOLD_STEP} events after the marks'
 * `seq` merged into `run_marks`, and `seq` advanced, in one transaction.
 * Returns how far `seq` advanced (0: the marks are current).
 */
export async function foldStep(conn: DuckDBConnectionSlice): Promise<number> {
  return inTransaction(conn, async () => {
    const rows = (
      await conn.runAndReadAll(
        `SELECT (SELECT seq FROM run_marks_state), (SELECT coalesce(max(seq), 0) FROM events)`,
      )
    ).getRows();
    const from = num(rows[0]?.[0] ?? 0);
    const last = num(rows[0]?.[1] ?? 0);
    if (last <= from) return 0;
    // Seqs are dense but for trimmed events, so a step is at most FOLD_STEP events.
    const to = Math.min(last, from + FOLD_STEP);
    await conn.run(aggregateInto('marks_tail', `seq > ${from} AND seq <= ${to}`));
    await mergeTail(conn);
    await conn.run(`UPDATE run_marks_state SET seq = ${to}`);
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
  const stale = CORRELATION_TRAITS.map(
    (t) => `(${t} IS NOT NULL AND ${t} IN (SELECT run_id FROM marks_stale WHERE trait = '${t}'))`,
  );
  await conn.run(
    aggregateInto('marks_tail', `seq <= (SELECT seq FROM run_marks_state) AND (${stale.join(' OR ')})`),
  );
  await mergeTail(conn);
  await conn.run('DROP TABLE marks_stale');
}

/**
 * Whether the marks can answer this scan exactly: the set groups by a
 * correlation trait, every edge is plain event types (no trait conditions),
 * and the scan wants neither run ids nor run traits (a one-off report
 * without grouping or trait filters). Anything else scans the raw events.
 */
export function marksAnswer(set: PhaseSet, options: ScanOptions): boolean {
  if (!(CORRELATION_TRAITS as readonly string[]).includes(set.groupBy)) return false;
  if (options.ids ?? true) return false;
  if (set.matchers.some((m) => m.traits.length > 0)) return false;
  const wanted = options.traits ?? set.traits;
  return !wanted.some((t) => set.traits.includes(t));
}

/** The run chunks of a set from the marks (see {@link marksAnswer}): same columns as the raw scan, no ids or traits. */
export async function* scanRunMarks(
  conn: DuckDBConnectionSlice,
  set: PhaseSet,
  options: ScanOptions = {},
): AsyncGenerator<RunChunk> {
  const { signal, time } = options;
  const bases: readonly TimeBasis[] = time === undefined ? ['emit', 'receive'] : [time];
  const types = [...new Set(set.matchers.flatMap((m) => m.eventTypes))];
  const params: SqlParam[] = [...types, set.groupBy];
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
  const sql = `
    WITH p AS (
      SELECT min_ts, max_ts, min_received, max_received,
             ${types.map((_, i) => `list_position(types, ?) AS p${i}`).join(', ')}
      FROM run_marks WHERE trait = ?)
    SELECT ${exprs.join(', ')} FROM p WHERE coalesce(${types.map((_, i) => `p${i}`).join(', ')}) IS NOT NULL`;
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
    yield { ids: [], columns, traits: {}, firstTimes: none, firstIds: [] };
  }
}
