import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PhaseAnalyzer } from '../../src/analysis/phase-analyzer.js';
import { parsePhaseSets } from '../../src/analysis/phase-definitions.js';
import { InvalidReportError, type PhaseReportRow } from '../../src/analysis/phase-report.js';
import { eventFromJSON, type WaymarkEvent } from '../../src/model/event.js';
import { Instant } from '../../src/model/instant.js';
import { emptyBatch } from '../../src/store/store.js';
import { ANALYSIS_STORES } from './fixtures.js';

const SETS = parsePhaseSets(
  'suite.yaml',
  `
- name: job
  group_by: job_id
  traits: [pool, size]
  phases:
    - {name: wait, start: job.submit, end: job.start}
    - name: run
      start: job.start
      end: {event_type: [job.end, job.fail], occurrence: last}
    - name: step
      start: {event_type: job.step, traits: {kind: [a, 1]}, occurrence: first}
      end: {event_type: job.step, traits: {kind: b}, occurrence: last}
`,
);

const T0 = Instant.parse('2026-01-01T00:00:00Z').us;
let seq = 0;
function ev(
  type: string,
  job: string,
  s: number,
  traits: Record<string, unknown> = {},
  delay = 0,
): WaymarkEvent {
  seq++;
  return eventFromJSON({
    message_id: `m${seq}`,
    event_type: type,
    timestamp: new Instant(T0 + s * 1e6).toISOString(),
    received: new Instant(T0 + s * 1e6 + delay * 1e6).toISOString(),
    traits: { job_id: job, ...traits },
  });
}

/** Four jobs; wait durations 10, 20, 30, 40 s; j4 in pool "b" and late (received 5 s after emit). */
function events(): WaymarkEvent[] {
  return [
    ev('job.submit', 'j1', 0, { pool: 'a', size: 1 }),
    ev('job.start', 'j1', 10),
    ev('job.step', 'j1', 11, { kind: 'a' }),
    ev('job.step', 'j1', 12, { kind: 1 }), // number 1 matches too, but the first occurrence wins
    ev('job.step', 'j1', 15, { kind: 'b' }),
    ev('job.step', 'j1', 17, { kind: 'b' }), // the last b ends the step: 17 - 11 = 6
    ev('job.step', 'j1', 18, { kind: '1' }), // text "1" is not the number 1: ignored
    ev('job.end', 'j1', 110),
    ev('job.submit', 'j2', 100, { pool: 'a', size: 2 }),
    ev('job.start', 'j2', 120),
    ev('job.fail', 'j2', 125, { error: 'x' }),
    ev('job.submit', 'j3', 200, { pool: 'a' }),
    ev('job.start', 'j3', 230),
    ev('job.submit', 'j4', 300, { pool: 'b' }, 5),
    ev('job.start', 'j4', 340, {}, 5),
    ev('job.end', 'j4', 330), // end before start: no run phase
    ev('other.thing', 'j4', 301),
    ev('job.start', '', 1), // a run named "" still is a run
  ];
}

async function all(
  it: AsyncGenerator<PhaseReportRow[], number>,
): Promise<{ rows: PhaseReportRow[]; runs: number }> {
  const rows: PhaseReportRow[] = [];
  for (;;) {
    const r = await it.next();
    if (r.done === true) return { rows, runs: r.value };
    rows.push(...r.value);
  }
}

const BASE = { groupBy: [] as string[], time: 'emit' as const, traits: [], histogram: 0 };

for (const kind of ANALYSIS_STORES) {
  describe(`${kind.name}: the analysis port`, () => {
    test('phase report: count, min, max, mean, population stddev, type-7 percentiles, histogram; runs without an edge or with end < start left out', async () => {
      const store = await kind.open();
      try {
        await store.commit({ ...emptyBatch(), events: events() });
        const a = new PhaseAnalyzer({ sets: SETS, source: store });
        const { rows, runs } = await all(a.phaseReport('job', { ...BASE, histogram: 3 }));
        assert.equal(runs, 5);
        const wait = rows[0] as PhaseReportRow;
        assert.deepEqual(
          { ...wait },
          {
            phase: 'wait',
            group: {},
            count: 4,
            min: 10,
            max: 40,
            mean: 25,
            stddev: Math.sqrt(125),
            p50: 25,
            p90: 37,
            p99: 30 + ((4 - 1) * 0.99 - 2) * (40 - 30), // type 7: h = 2.97, x[2] + 0.97 (x[3] - x[2])
            histogram: { min: 10, width: 10, counts: [1, 1, 2] },
          },
        );
        const run = rows[1] as PhaseReportRow;
        assert.deepEqual([run.phase, run.count, run.min, run.max], ['run', 2, 5, 100]);
        const step = rows[2] as PhaseReportRow;
        assert.deepEqual(
          [step.phase, step.count, step.min, step.histogram],
          ['step', 1, 6, { min: 6, width: 0, counts: [1] }],
        );
      } finally {
        await store.close();
      }
    });

    test('a one-off report (no kept table: scanned without run ids) answers exactly as the kept table does', async () => {
      const store = await kind.open();
      try {
        await store.commit({ ...emptyBatch(), events: events() });
        const kept = new PhaseAnalyzer({ sets: SETS, source: store });
        const oneOff = new PhaseAnalyzer({ sets: SETS, source: store, cache: false });
        const queries = [
          { ...BASE, histogram: 3 },
          { ...BASE, groupBy: ['pool', 'size'] },
          { ...BASE, groupBy: ['size'], traits: [{ trait: 'size', op: 'ge' as const, value: 2 }] },
          // Grouped by one trait, filtered by the other; and by one only (the scan fetches just those).
          { ...BASE, groupBy: ['pool'], traits: [{ trait: 'size', op: 'eq' as const, value: 1 }] },
          { ...BASE, groupBy: ['pool'] },
          { ...BASE, traits: [{ trait: 'pool', op: 'eq' as const, value: 'b' }] },
          { ...BASE, from: new Instant(T0 + 100e6), to: new Instant(T0 + 300e6) },
          { ...BASE, time: 'receive' as const, from: new Instant(T0 + 304e6) },
        ];
        for (const q of queries) {
          const want = await all(kept.phaseReport('job', q));
          assert.ok(want.rows.length > 0);
          assert.deepEqual(await all(oneOff.phaseReport('job', q)), want, JSON.stringify(q));
        }
        // Run pages still name their runs (they scan with ids).
        const page = await oneOff.phaseRuns('job', { limit: 10, offset: 0, time: 'emit', traits: [] });
        assert.deepEqual(
          page.runs.map((r) => r.id),
          (await kept.phaseRuns('job', { limit: 10, offset: 0, time: 'emit', traits: [] })).runs.map(
            (r) => r.id,
          ),
        );
        assert.ok(page.runs.some((r) => r.id === 'j1'));
      } finally {
        await store.close();
      }
    });

    test('a scan asked for some run traits gives their values as a full scan does', async () => {
      const store = await kind.open();
      try {
        await store.commit({ ...emptyBatch(), events: events() });
        const set = SETS[0] as (typeof SETS)[number];
        const byRun = async (options: { traits?: string[] }): Promise<Map<string, unknown>> => {
          const out = new Map<string, unknown>();
          for await (const c of store.scanPhaseRuns(set, options))
            c.ids.forEach((id, i) =>
              out.set(id, { pool: c.traits['pool']?.[i], size: c.traits['size']?.[i] }),
            );
          return out;
        };
        const full = await byRun({});
        assert.equal(full.get('j1') !== undefined && (full.get('j1') as { pool: unknown }).pool, '"a"');
        const poolOnly = await byRun({ traits: ['pool'] });
        assert.deepEqual([...poolOnly.keys()].sort(), [...full.keys()].sort());
        for (const [id, v] of poolOnly) {
          const want = full.get(id) as { pool: unknown; size: unknown };
          const got = v as { pool: unknown; size: unknown };
          assert.equal(got.pool, want.pool, id);
          // A store may leave out what was not asked for, but never gives a wrong value.
          if (got.size !== undefined) assert.equal(got.size, want.size, id);
        }
      } finally {
        await store.close();
      }
    });

    test('grouped by run traits (sorted, a run without the trait in the null group), filtered by traits and a window, on receive times', async () => {
      const store = await kind.open();
      try {
        await store.commit({ ...emptyBatch(), events: events() });
        const a = new PhaseAnalyzer({ sets: SETS, source: store });
        const grouped = await all(a.phaseReport('job', { ...BASE, groupBy: ['pool'] }));
        assert.deepEqual(
          grouped.rows.filter((r) => r.phase === 'wait').map((r) => [r.group, r.count, r.mean]),
          [
            [{ pool: 'a' }, 3, 20],
            [{ pool: 'b' }, 1, 40],
            [{ pool: null }, 0, null],
          ],
        );
        const bySize = await all(
          a.phaseReport('job', {
            ...BASE,
            groupBy: ['size'],
            traits: [{ trait: 'size', op: 'ge', value: 2 }],
          }),
        );
        assert.deepEqual(
          bySize.rows.map((r) => [r.phase, r.group, r.count]),
          [
            ['wait', { size: 2 }, 1],
            ['run', { size: 2 }, 1],
            ['step', { size: 2 }, 0],
          ],
        );
        const window = await all(
          a.phaseReport('job', { ...BASE, from: new Instant(T0 + 100e6), to: new Instant(T0 + 300e6) }),
        );
        assert.equal(window.runs, 2, 'j2 and j3 started in [100 s, 300 s)');
        const receive = await all(
          a.phaseReport('job', { ...BASE, time: 'receive', from: new Instant(T0 + 304e6) }),
        );
        assert.equal(receive.runs, 1, 'j4 was received at 305 s');
        assert.equal(receive.rows[0]?.count, 1);
        assert.equal(receive.rows[0]?.min, 40);
        await assert.rejects(all(a.phaseReport('job', { ...BASE, groupBy: ['error'] })), InvalidReportError);
        await assert.rejects(all(a.phaseReport('nope', BASE)), /no phase set "nope"; known: job/);
      } finally {
        await store.close();
      }
    });

    test('a run table built by a scan and kept current by commits equals one scanned at the end, in any order', async () => {
      const store = await kind.open();
      try {
        const es = events();
        const live = new PhaseAnalyzer({ sets: SETS, source: store });
        const observed = live.observe(store);
        await observed.commit({ ...emptyBatch(), events: es.slice(10) });
        const before = await all(live.phaseReport('job', BASE));
        assert.equal(before.rows[0]?.count, 2, 'only j3 and j4 have both wait edges so far');
        await observed.commit({ ...emptyBatch(), events: es.slice(0, 10).reverse() });
        await observed.commit({ ...emptyBatch(), events: es.slice(3, 6) }); // duplicates: no change
        const fresh = new PhaseAnalyzer({ sets: SETS, source: store });
        assert.deepEqual(
          (await all(live.phaseReport('job', BASE))).rows,
          (await all(fresh.phaseReport('job', BASE))).rows,
        );
        const runs = await live.phaseRuns('job', { time: 'emit', traits: [], limit: 10, offset: 0 });
        assert.deepEqual(
          runs.runs.map((r) => r.id),
          ['j1', '', 'j2', 'j3', 'j4'],
        );
        const j1 = runs.runs[0];
        assert.deepEqual(j1?.traits, { pool: 'a', size: 1 });
        assert.equal(j1?.start, '2026-01-01T00:00:00.000000Z');
        assert.equal(j1?.end, '2026-01-01T00:01:50.000000Z');
        assert.deepEqual(
          j1?.phases.map((p) => [p.phase, p.duration_s, p.percentile]),
          [
            ['wait', 10, 12.5],
            ['run', 100, 75],
            ['step', 6, 50],
          ],
        );
        assert.equal(runs.runs[1]?.end, null, 'the run "" has no complete phase');
        assert.equal(runs.runs[3]?.end, '2026-01-01T00:03:50.000000Z');
        const one = await live.phaseRuns('job', { time: 'emit', traits: [], limit: 10, offset: 0, id: 'j2' });
        assert.deepEqual([one.total, one.runs[0]?.id], [1, 'j2']);
        const page = await live.phaseRuns('job', { time: 'emit', traits: [], limit: 2, offset: 3 });
        assert.deepEqual([page.total, page.runs.map((r) => r.id)], [5, ['j3', 'j4']]);
      } finally {
        await store.close();
      }
    });

    test('event report: counts and transport delays per event type, grouped and filtered', async () => {
      const store = await kind.open();
      try {
        await store.commit({ ...emptyBatch(), events: events() });
        const a = new PhaseAnalyzer({ sets: SETS, source: store });
        const rows = await a.eventReport({ time: 'emit', groupBy: [], traits: [] });
        assert.deepEqual(
          rows.map((r) => [r.event_type, r.count]),
          [
            ['job.end', 2],
            ['job.fail', 1],
            ['job.start', 5],
            ['job.step', 5],
            ['job.submit', 4],
            ['other.thing', 1],
          ],
        );
        const submit = rows.find((r) => r.event_type === 'job.submit');
        assert.deepEqual([submit?.delay.min, submit?.delay.max, submit?.delay.p50], [0, 5, 0]);
        assert.ok(Math.abs((submit?.delay.mean ?? 0) - 1.25) < 1e-12);
        const grouped = await a.eventReport({
          time: 'receive',
          groupBy: ['pool'],
          traits: [{ trait: 'pool', op: 'eq', value: 'a' }],
          from: new Instant(T0 + 50e6),
        });
        assert.deepEqual(
          grouped.map((r) => [r.event_type, r.group, r.count]),
          [['job.submit', { pool: 'a' }, 2]],
        );
      } finally {
        await store.close();
      }
    });
  });
}
