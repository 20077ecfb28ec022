import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { PhaseAnalyzer } from '../../src/analysis/phase-analyzer.js';
import { parsePhaseSets } from '../../src/analysis/phase-definitions.js';
import type { PhaseReportQuery, PhaseReportRow } from '../../src/analysis/phase-report.js';
import type { TraitValue, WaymarkEvent } from '../../src/model/event.js';
import type { Instant } from '../../src/model/instant.js';
import { DuckDBStore, type DuckDBStoreOptions } from '../../src/store/duckdb/duckdb-store.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { defaultWaymarkConfig } from '../../src/config/waymark-config.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { Store } from '../../src/store/store.js';
import type { PhaseAnalysisSource } from '../../src/analysis/analysis-port.js';
import { at, batch, rawSql, tempDir } from './fixtures.js';

// Plain event types on every edge, grouped by correlation traits: the sets run marks answer.
const SETS = parsePhaseSets(
  'marks.yaml',
  `
- name: tr
  group_by: testrun_id
  traits: [pool]
  phases:
    - {name: a, start: a.start, end: a.end}
    - name: b
      start: {event_type: b.start, occurrence: last}
      end: {event_type: [b.end, c.done], occurrence: first}
    - name: ab
      start: a.start
      end: {event_type: [b.end, c.done], occurrence: last}
- name: inst
  group_by: instance_id
  traits: [pool]
  phases:
    - {name: life, start: a.start, end: {event_type: c.done, occurrence: last}}
    - {name: gap, start: {event_type: b.start, occurrence: last}, end: b.end}
`,
);
const TYPES = ['a.start', 'a.end', 'b.start', 'b.end', 'c.done', 'other'];

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `n` events over 120 runs: random types and times (receive up to 5 s after
 * emit), most with a testrun_id, some with an instance_id as well or only,
 * some with neither; message ids repeat (duplicates the store drops).
 */
function randomEvents(seed: number, n: number, from = 0): WaymarkEvent[] {
  const r = prng(seed);
  const out: WaymarkEvent[] = [];
  const lastAt = new Map<number, Instant>();
  for (let i = 0; i < n; i++) {
    const run = Math.floor(r() * 120);
    // The pool varies per event, so a run's traits depend on which event is its earliest.
    const traits: Record<string, TraitValue> = { pool: `p${Math.floor(r() * 3)}` };
    const k = r();
    if (k < 0.85) traits['testrun_id'] = `run-${run}`;
    if (k > 0.6) traits['instance_id'] = `i-${run % 40}`;
    // One in ten at the very time of the run's previous event: ties broken by message id.
    const prev = lastAt.get(run);
    const ts = prev !== undefined && r() < 0.1 ? prev : at(run * 30 + r() * 600);
    lastAt.set(run, ts);
    const id = r() < 0.05 && i > 0 ? `m${seed}-${from + Math.floor(r() * i)}` : `m${seed}-${from + i}`;
    out.push({
      message_id: id,
      event_type: TYPES[Math.floor(r() * TYPES.length)] as string,
      timestamp: ts,
      received: ts.plus(Math.floor(r() * 5_000_000)),
      traits,
    });
  }
  return out;
}

const QUERIES: PhaseReportQuery[] = [
  { groupBy: [], time: 'emit', traits: [], histogram: 7 },
  { groupBy: [], time: 'receive', traits: [], histogram: 3 },
  { groupBy: [], time: 'emit', traits: [], histogram: 0, from: at(600), to: at(2400) },
  // Grouped and filtered by run traits: from each run's earliest edge event.
  { groupBy: ['pool'], time: 'emit', traits: [], histogram: 2 },
  { groupBy: [], time: 'receive', traits: [{ trait: 'pool', op: 'ne', value: 'p1' }], histogram: 0 },
];

async function report(source: PhaseAnalysisSource, set: string, q: PhaseReportQuery): Promise<unknown> {
  const a = new PhaseAnalyzer({ sets: SETS, source, cache: false });
  const rows: PhaseReportRow[] = [];
  for await (const lines of a.phaseReport(set, q)) rows.push(...lines);
  return rows;
}

async function reports(source: PhaseAnalysisSource): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const set of ['tr', 'inst']) for (const q of QUERIES) out.push(await report(source, set, q));
  return out;
}

async function openDuckDB(path: string, options: Partial<DuckDBStoreOptions> = {}): Promise<DuckDBStore> {
  const s = DuckDBStore.create({ path, ...options });
  await s.open();
  return s;
}

/** Commit the same batches to every store. */
async function commitAll(stores: readonly Store[], batches: readonly WaymarkEvent[][]): Promise<void> {
  for (const b of batches) for (const s of stores) await s.commit(batch({ events: b }));
}

describe('duckdb: run marks', () => {
  test('reports from the marks, folded in the background between commits (late events, duplicates, several traits), equal those from the raw events and the memory store', async (t) => {
    const tmp = tempDir('waymark-marks-');
    t.after(() => tmp.remove());
    const marked = await openDuckDB(join(tmp.dir, 'm.duckdb'), { foldAfter: 300 });
    const raw = await openDuckDB(join(tmp.dir, 'r.duckdb'), { runMarks: false });
    const memory = new MemoryStore();
    await memory.open();
    try {
      // Seven batches: later ones bring events of runs already folded (earlier and later times).
      const batches = Array.from({ length: 7 }, (_, i) => randomEvents(10 + i, 400, i * 400));
      await commitAll([marked, raw, memory], batches);
      const want = await reports(memory);
      assert.deepEqual(await reports(raw), want);
      assert.deepEqual(await reports(marked), want);
      // More after the first reports: folded before the next scan.
      await commitAll([marked, raw, memory], [randomEvents(99, 250, 10_000)]);
      const want2 = await reports(memory);
      assert.notDeepEqual(want2, want);
      assert.deepEqual(await reports(marked), want2);
    } finally {
      await Promise.all([marked.close(), raw.close(), memory.close()]);
    }
  });

  test('the reports read the marks: one row per run and trait, kept across a reopen; a changed mark shows in the next report', async (t) => {
    const tmp = tempDir('waymark-marks-');
    t.after(() => tmp.remove());
    const path = join(tmp.dir, 'm.duckdb');
    const store = await openDuckDB(path);
    // No 'other' events: every run begins with an edge event, so the marks give grouped reports their traits.
    const events = randomEvents(3, 1500).filter((e) => e.event_type !== 'other');
    await store.commit(batch({ events }));
    const before = await report(store, 'tr', QUERIES[0] as PhaseReportQuery);
    const grouped = await report(store, 'tr', QUERIES[3] as PhaseReportQuery);
    await store.close();
    const runs = (trait: string): number =>
      new Set(events.flatMap((e) => (e.traits[trait] === undefined ? [] : [e.traits[trait]]))).size;
    // Only testrun_id is marked so far (no report grouped by instance_id asked).
    assert.deepEqual(
      await rawSql(path, 'SELECT trait, count(*)::INTEGER FROM run_marks GROUP BY trait ORDER BY trait'),
      [['testrun_id', runs('testrun_id')]],
    );
    assert.deepEqual(await rawSql(path, 'SELECT trait, seq::INTEGER FROM run_marks_state'), [
      ['testrun_id', events.length - dupes(events)],
    ]);
    // Move one run's a.end an hour later in the marks alone: the report must change.
    const codes = new Map(
      (await rawSql(path, 'SELECT code, event_type FROM run_mark_types')) as [number, string][],
    );
    const rows = (
      await rawSql(path, `SELECT run_id, types, min_ts, max_ts FROM run_marks WHERE trait = 'testrun_id'`)
    ).map(([id, types, ...rest]) => [id, (types as number[]).map((c) => codes.get(c)), ...rest]);
    const hit = rows.find((r) => {
      const [, types, mins] = r as [string, string[], bigint[]];
      const s = types.indexOf('a.start');
      const e = types.indexOf('a.end');
      return s >= 0 && e >= 0 && (mins[s] as bigint) <= (mins[e] as bigint);
    });
    assert.ok(hit !== undefined, 'a run with an a phase');
    const [run, types, mins, maxs] = hit as [string, string[], bigint[], bigint[]];
    const i = types.indexOf('a.end');
    const shift = (l: bigint[]): string =>
      `[${l.map((v, k) => String(k === i ? v + 3_600_000_000n : v)).join(', ')}]`;
    await rawSql(
      path,
      `UPDATE run_marks SET min_ts = ${shift(mins)}, max_ts = ${shift(maxs)} WHERE trait = 'testrun_id' AND run_id = '${run}'`,
    );
    const reopened = await openDuckDB(path);
    try {
      const after = (await report(reopened, 'tr', QUERIES[0] as PhaseReportQuery)) as PhaseReportRow[];
      const a0 = (before as PhaseReportRow[])[0] as PhaseReportRow;
      const a1 = after[0] as PhaseReportRow;
      assert.equal(a1.count, a0.count);
      assert.ok((a1.max ?? 0) >= 3600, `the a phase's max (${a1.max} s) comes from the changed mark`);
      // Grouped reports read the marks too (run traits through each type's earliest event).
      const g1 = (await report(reopened, 'tr', QUERIES[3] as PhaseReportQuery)) as PhaseReportRow[];
      const g0 = grouped as PhaseReportRow[];
      assert.deepEqual(
        g1.map((r) => [r.phase, r.group, r.count]),
        g0.map((r) => [r.phase, r.group, r.count]),
      );
      assert.ok(
        g1.some((r, i) => r.phase === 'a' && (r.max ?? 0) >= 3600 && (g0[i]?.max ?? 0) < 3600),
        'one group of the a phase has the changed mark',
      );
      // A run that now begins with a type outside the set: the marks cannot name its trait source,
      // so grouped reports read the raw events again (the changed mark is gone from them), ungrouped ones do not.
      await reopened.commit(
        batch({
          events: [
            {
              ...(events[0] as WaymarkEvent),
              message_id: 'early',
              event_type: 'other',
              timestamp: at(-100),
              received: at(-100),
              traits: { testrun_id: run, pool: 'p9' },
            },
          ],
        }),
      );
      assert.deepEqual(await report(reopened, 'tr', QUERIES[3] as PhaseReportQuery), grouped);
      const a2 = ((await report(reopened, 'tr', QUERIES[0] as PhaseReportQuery)) as PhaseReportRow[])[0];
      assert.ok((a2?.max ?? 0) >= 3600);
    } finally {
      await reopened.close();
    }
  });

  test('with more unfolded events than a scan folds first, reports read the raw events; foldRunMarks brings the marks up to date', async (t) => {
    const tmp = tempDir('waymark-marks-');
    t.after(() => tmp.remove());
    const path = join(tmp.dir, 'm.duckdb');
    const memory = new MemoryStore();
    await memory.open();
    const store = await openDuckDB(path, { foldAfter: 1e9, foldBeforeScan: 100 });
    try {
      await commitAll([store, memory], [randomEvents(5, 800)]);
      assert.deepEqual(await reports(store), await reports(memory));
      assert.equal(await marksRows(store), 0, 'nothing folded: the reports read the raw events');
      const seen: [number, number][] = [];
      await store.foldRunMarks((done, total) => seen.push([done, total]));
      // Both traits: testrun_id from the start, instance_id since the reports on the inst set.
      const both = 2 * (800 - dupes(randomEvents(5, 800)));
      assert.deepEqual(seen.at(-1), [both, both]);
      assert.ok((await marksRows(store)) > 0);
      assert.deepEqual(await reports(store), await reports(memory));
    } finally {
      await Promise.all([store.close(), memory.close()]);
    }
  });

  test('trimming old events re-derives the marks of the runs that had them', async (t) => {
    const tmp = tempDir('waymark-marks-');
    t.after(() => tmp.remove());
    const marked = await openDuckDB(join(tmp.dir, 'm.duckdb'), { foldAfter: 200 });
    const raw = await openDuckDB(join(tmp.dir, 'r.duckdb'), { runMarks: false });
    try {
      await commitAll([marked, raw], [randomEvents(7, 1000), randomEvents(8, 500, 5000)]);
      await marked.foldRunMarks();
      const cut = at(1800);
      const trimmed = await marked.trimEvents(cut);
      assert.equal(await raw.trimEvents(cut), trimmed);
      assert.ok(trimmed > 100, `${trimmed} events trimmed`);
      await commitAll([marked, raw], [randomEvents(9, 300, 9000)]);
      assert.deepEqual(await reports(marked), await reports(raw));
    } finally {
      await Promise.all([marked.close(), raw.close()]);
    }
  });

  test('a trait is marked once a report could use it: until then commits fold nothing for it; then they build its marks', async (t) => {
    const tmp = tempDir('waymark-marks-');
    t.after(() => tmp.remove());
    const store = await openDuckDB(join(tmp.dir, 'm.duckdb'), { foldAfter: 100 });
    const memory = new MemoryStore();
    await memory.open();
    // instance_id only, no testrun_id: nothing any marked trait folds.
    const only = (seed: number, from: number): WaymarkEvent[] =>
      randomEvents(seed, 300, from).map((e) => {
        const { testrun_id: _, ...traits } = e.traits;
        return { ...e, traits: { ...traits, instance_id: `i-${e.timestamp.us % 7}` } };
      });
    const batches = [only(21, 0), only(22, 1000), only(23, 2000)];
    const instances = new Set(batches.flat().map((e) => e.traits['instance_id'])).size;
    try {
      await commitAll([store, memory], batches.slice(0, 2));
      const status = async (): Promise<unknown> =>
        (await store.runMarksStatus()).map((m) => [m.trait, m.runs]);
      assert.deepEqual(await status(), [['testrun_id', 0]]);
      const q = QUERIES[0] as PhaseReportQuery;
      const want = await report(memory, 'inst', q);
      assert.deepEqual(await report(store, 'inst', q), want); // raw events; instance_id marked from now on
      assert.deepEqual(await status(), [
        ['instance_id', 0],
        ['testrun_id', 0],
      ]);
      await commitAll([store, memory], batches.slice(2)); // folds in the background, from the first event
      assert.deepEqual(await report(store, 'inst', q), await report(memory, 'inst', q));
      const after = (await store.runMarksStatus()).find((m) => m.trait === 'instance_id');
      assert.ok(
        after !== undefined && after.runs === instances && after.unfolded === 0,
        JSON.stringify(after),
      );
    } finally {
      await Promise.all([store.close(), memory.close()]);
    }
  });

  test('/v1/health shows how far each marked trait is folded (store_status.run_marks)', async (t) => {
    const tmp = tempDir('waymark-marks-');
    t.after(() => tmp.remove());
    const store = await openDuckDB(join(tmp.dir, 'm.duckdb'), { foldAfter: 1e9 });
    const runtime = await Runtime.open({ config: defaultWaymarkConfig(), clock: 'event', store });
    try {
      const events = randomEvents(31, 500).filter((e) => e.traits['testrun_id'] !== undefined);
      await store.commit(batch({ events }));
      const stored = new Set(events.map((e) => e.message_id)).size;
      const marks = async (): Promise<unknown> =>
        ((await runtime.health())['store_status'] as { run_marks: unknown }).run_marks;
      assert.deepEqual(await marks(), {
        traits: [{ trait: 'testrun_id', runs: 0, folded_seq: 0, unfolded: stored }],
        last_error: null,
      });
      await store.foldRunMarks();
      const runs = new Set(events.map((e) => e.traits['testrun_id'])).size;
      assert.deepEqual(await marks(), {
        traits: [{ trait: 'testrun_id', runs, folded_seq: stored, unfolded: 0 }],
        last_error: null,
      });
    } finally {
      await runtime.close();
      await store.close();
    }
  });

  test('a store from before the marks (schema 2) gets its events numbered and folded', async (t) => {
    const tmp = tempDir('waymark-marks-');
    t.after(() => tmp.remove());
    const path = join(tmp.dir, 'm.duckdb');
    const events = randomEvents(11, 900);
    const first = await openDuckDB(path, { runMarks: false });
    await first.commit(batch({ events }));
    await first.close();
    await rawSql(
      path,
      `ALTER TABLE events DROP COLUMN seq; DROP TABLE run_marks; DROP TABLE run_marks_state; DROP TABLE run_mark_types;
       DELETE FROM schema_migrations WHERE version >= 3`,
    );
    const memory = new MemoryStore();
    await memory.open();
    const store = await openDuckDB(path);
    try {
      await memory.commit(batch({ events }));
      await store.foldRunMarks();
      assert.ok((await marksRows(store)) > 0);
      assert.deepEqual(await reports(store), await reports(memory));
      // New events are numbered after the migrated ones.
      const more = randomEvents(12, 200, 50_000);
      await commitAll([store, memory], [more]);
      assert.deepEqual(await reports(store), await reports(memory));
    } finally {
      await Promise.all([store.close(), memory.close()]);
    }
    assert.deepEqual(
      await rawSql(
        path,
        'SELECT count(DISTINCT seq)::INTEGER, count(*)::INTEGER, min(seq)::INTEGER FROM events',
      ),
      [
        [
          1100 - dupes([...events, ...randomEvents(12, 200, 50_000)]),
          1100 - dupes([...events, ...randomEvents(12, 200, 50_000)]),
          1,
        ],
      ],
    );
  });
});

/** How many of these events repeat an earlier message id. */
function dupes(events: readonly WaymarkEvent[]): number {
  return events.length - new Set(events.map((e) => e.message_id)).size;
}

/** Runs in the store's marks, all traits. */
async function marksRows(store: DuckDBStore): Promise<number> {
  return (await store.runMarksStatus()).reduce((n, t) => n + t.runs, 0);
}
