import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  histogram,
  HistogramLayout,
  HistogramSnapshot,
  readStatsFile,
  stats,
  type StatsField,
} from '../../src/stats/index.js';
import { bucketEdges, bucketOf, nearestRank, rng, tempDir } from './helpers.js';

function histogramOf(path: string, label: string): HistogramSnapshot {
  const f = readStatsFile(path).find((x: StatsField) => x.label === label);
  assert.ok(f !== undefined, `no field ${label}`);
  assert.ok(f.value instanceof HistogramSnapshot);
  return f.value;
}

test('the default layout covers 1e-6 .. 86400 with 128 sub-buckets per power of two', () => {
  const l = HistogramLayout.fromOptions();
  assert.equal(l.eMin, Math.floor(Math.log2(1e-6)));
  assert.equal(l.eMax, Math.floor(Math.log2(86400)));
  assert.equal(l.subBuckets, 128);
  assert.equal(l.bucketCount, 2 + (16 - -20 + 1) * 128);
  assert.deepEqual(
    [1, 2, 3].map((p) => HistogramLayout.fromOptions({ precision: p }).subBuckets),
    [16, 128, 1024],
  );
  const edges = bucketEdges(-2, 1, 2);
  const small = new HistogramLayout(-2, 1, 2);
  assert.equal(small.bucketCount, edges.length);
  for (let i = 0; i < edges.length; i++) {
    assert.equal(small.lower(i), edges[i]?.lower, `lower(${i})`);
    assert.equal(small.upper(i), edges[i]?.upper, `upper(${i})`);
  }
});

test('observe() counts every value in the bucket the README defines, edges included', (t) => {
  const dir = tempDir(t);
  const s = stats({
    path: dir,
    filename: 'h.mmstats',
    noSysFields: true,
    fields: { h: histogram('h', { lowest: 0.01, highest: 100, precision: 1 }) },
  });
  const eMin = Math.floor(Math.log2(0.01));
  const eMax = Math.floor(Math.log2(100));
  const edges = bucketEdges(eMin, eMax, 4);
  const expected = new Array<number>(edges.length).fill(0);
  const values: number[] = [
    0,
    -3,
    2 ** eMin,
    2 ** (eMax + 1),
    2 ** (eMax + 1) + 1e-9,
    Infinity,
    1e300,
    5e-324,
  ];
  // Every edge, and a value just above and below it.
  for (const b of edges.slice(1, -1))
    values.push(b.lower, b.upper, b.lower * (1 + 1e-12), b.upper * (1 - 1e-12));
  const r = rng(7);
  for (let i = 0; i < 5000; i++) values.push(Math.exp(r() * 14 - 7));
  for (const v of values) {
    s.h.observe(v);
    expected[bucketOf(edges, v)]! += 1;
  }
  s.h.observe(NaN);
  const h = histogramOf(s.path, 'h');
  assert.deepEqual([...h.counts], expected);
  assert.equal(h.count, values.length, 'NaN is not counted');
  assert.equal(h.min, -3);
  assert.equal(h.max, Infinity);
  assert.equal(
    h.sum,
    values.reduce((a, b) => a + b, 0),
  );
  s.close();
});

test('p50/p90/p99 are within 1/(2S) of the exact nearest-rank percentiles', (t) => {
  const dir = tempDir(t);
  for (const precision of [1, 2, 3]) {
    const s = stats({
      path: dir,
      filename: `p${precision}.mmstats`,
      fields: { h: histogram('build_seconds', { precision }) },
    });
    const r = rng(precision);
    const values: number[] = [];
    for (let i = 0; i < 20000; i++) {
      // log-normal durations around 50 s, plus a tail
      const v = 50 * Math.exp((r() + r() + r() - 1.5) * 1.5) + (r() < 0.02 ? 3000 * r() : 0);
      values.push(v);
      s.h.observe(v);
    }
    const h = histogramOf(s.path, 'build_seconds');
    const bound = 1 / (2 * 2 ** [0, 4, 7, 10][precision]!);
    const summary = h.summary();
    for (const [q, est] of [
      [0.5, summary.p50],
      [0.9, summary.p90],
      [0.99, summary.p99],
      [0, h.percentile(0)],
      [1, h.percentile(1)],
    ] as const) {
      const exact = nearestRank(values, q);
      assert.ok(est !== null);
      assert.ok(
        Math.abs(est - exact) <= exact * bound,
        `precision ${precision} q ${q}: ${est} vs exact ${exact} (bound ${bound})`,
      );
    }
    assert.equal(summary.count, 20000);
    assert.equal(summary.min, Math.min(...values));
    assert.equal(summary.max, Math.max(...values));
    s.close();
  }
});

test('snapshots merge by adding counts; different layouts meet on the coarsest', (t) => {
  const dir = tempDir(t);
  const fine = stats({ path: dir, filename: 'a.mmstats', fields: { h: histogram('h', { precision: 3 }) } });
  const fine2 = stats({ path: dir, filename: 'b.mmstats', fields: { h: histogram('h', { precision: 3 }) } });
  const coarse = stats({
    path: dir,
    filename: 'c.mmstats',
    fields: { h: histogram('h', { precision: 1, lowest: 0.001, highest: 1000 }) },
  });
  const r = rng(11);
  const all: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const v = Math.exp(r() * 8 - 2);
    all.push(v);
    [fine, fine2, coarse][i % 3]!.h.observe(v);
  }
  const a = histogramOf(fine.path, 'h');
  const b = histogramOf(fine2.path, 'h');
  const c = histogramOf(coarse.path, 'h');
  const ab = a.merge(b);
  assert.ok(ab.layout.equals(a.layout));
  for (let i = 0; i < ab.counts.length; i++) assert.equal(ab.counts[i], a.counts[i]! + b.counts[i]!);
  const abc = ab.merge(c);
  assert.equal(abc.layout.k, 4);
  assert.equal(abc.layout.eMin, Math.floor(Math.log2(0.001)));
  assert.equal(abc.layout.eMax, Math.floor(Math.log2(1000)));
  assert.equal(abc.bucketTotal, 3000);
  assert.equal(abc.count, 3000);
  assert.equal(abc.min, Math.min(...all));
  // Every merged count equals the values that fall in that coarse bucket.
  const edges = bucketEdges(abc.layout.eMin, abc.layout.eMax, 4);
  const expected = new Array<number>(edges.length).fill(0);
  for (const v of all) expected[bucketOf(edges, v)]! += 1;
  assert.deepEqual([...abc.counts], expected);
  const p99 = abc.percentile(0.99);
  assert.ok(p99 !== null && Math.abs(p99 - nearestRank(all, 0.99)) <= nearestRank(all, 0.99) / 32);
  for (const s of [fine, fine2, coarse]) s.close();
});

test('an empty histogram has no percentiles; bad options are refused; after close observe() is harmless', (t) => {
  const dir = tempDir(t);
  const s = stats({ path: dir, filename: 'e.mmstats', fields: { h: histogram('h') } });
  const h = histogramOf(s.path, 'h');
  assert.deepEqual(h.summary(), { count: 0, sum: 0, min: null, max: null, p50: null, p90: null, p99: null });
  assert.throws(() => h.percentile(1.5), /quantile must be in \[0, 1\]/);
  s.h.observe(2);
  assert.equal(s.h.snapshot().percentile(0.5), 2, 'the writer snapshot clamps to [min, max]');
  s.close();
  s.h.observe(3);
  assert.equal(s.h.count, 2);
  assert.equal(s.h.snapshot().bucketTotal, 0, 'closed: nothing mapped to read');
  assert.throws(() => histogram('x', { lowest: 0 }), /lowest must be a positive number/);
  assert.throws(() => histogram('x', { lowest: 10, highest: 5 }), /highest must be a number above lowest/);
  assert.throws(() => histogram('x', { precision: 4 }), /precision must be 1, 2 or 3/);
  assert.throws(() => histogram(''), /non-empty label/);
});

test('time() and start() observe durations in seconds', async (t) => {
  const dir = tempDir(t);
  const s = stats({ path: dir, filename: 't.mmstats', fields: { h: histogram('h') } });
  assert.equal(
    s.h.time(() => 7),
    7,
  );
  await s.h.time(() => new Promise((res) => setTimeout(res, 30)));
  const done = s.h.start();
  done();
  assert.throws(() =>
    s.h.time(() => {
      throw new Error('boom');
    }),
  );
  const h = histogramOf(s.path, 'h');
  assert.equal(h.count, 4);
  assert.ok(h.max >= 0.029 && h.max < 5, String(h.max));
  s.close();
});
