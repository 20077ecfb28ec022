import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  aggregateStats,
  aggregateValue,
  checkGlob,
  counter,
  double,
  histogram,
  readStatsDir,
  stats,
  StatsGlobError,
  string,
  type HistogramAggregate,
  type NumberAggregate,
} from '../../src/stats/index.js';
import { nearestRank, tempDir } from './helpers.js';

test('numbers aggregate by label across files: sum, avg, min, max and the non-zero avg/min', (t) => {
  const dir = tempDir(t);
  const loads = [2, 0, 7];
  const hits = [3, 5, 0];
  const files = loads.map((load, i) => {
    const s = stats({
      path: dir,
      filename: `w${i}.mmstats`,
      prefix: 'web.',
      fields: { hits: counter('hits'), load: double('load'), zero: double('zero'), name: string('name', 8) },
    });
    s.hits.incr(hits[i]);
    s.load.set(load);
    s.name.set(`w${i}`);
    return s;
  });
  t.after(() => files.forEach((s) => s.close()));
  const agg = aggregateStats({ dir, prefix: 'web.' });
  assert.deepEqual(agg.files, ['w0.mmstats', 'w1.mmstats', 'w2.mmstats']);
  assert.deepEqual(agg.unreadable, []);
  const load = agg.fields.get('web.load') as NumberAggregate;
  assert.deepEqual(
    { ...load },
    {
      kind: 'number',
      label: 'web.load',
      metric: 'gauge',
      files: 3,
      sum: 9,
      avg: 3,
      min: 0,
      max: 7,
      nonzeroAvg: 4.5,
      nonzeroMin: 2,
    },
  );
  const got = (label: string, a: Parameters<typeof aggregateValue>[1]): unknown =>
    aggregateValue(agg.fields.get(label)!, a);
  assert.equal(got('web.hits', 'sum'), 8);
  assert.equal(agg.fields.get('web.hits')?.metric, 'counter');
  assert.equal(got('web.hits', 'nonzero-min'), 3);
  assert.equal(got('web.zero', 'nonzero-avg'), null, 'all zero: no non-zero mean');
  assert.equal(got('web.zero', 'nonzero-min'), null);
  assert.equal(got('web.zero', 'avg'), 0);
  assert.equal(agg.fields.has('web.name'), false, 'strings are not aggregated');
  assert.ok([...agg.fields.keys()].every((k) => k.startsWith('web.')));
  assert.equal(got('web.sys.pid', 'max'), process.pid);
  assert.throws(() => aggregateValue(load, 'median' as 'sum'), /unknown aggregation "median"/);
});

test('histograms merge across files; a label that is a histogram in one file and a number in another is skipped, with why', (t) => {
  const dir = tempDir(t);
  const a = stats({ path: dir, filename: 'a.mmstats', fields: { h: histogram('lat'), x: histogram('x') } });
  const b = stats({ path: dir, filename: 'b.mmstats', fields: { h: histogram('lat'), x: counter('x') } });
  t.after(() => [a, b].forEach((s) => s.close()));
  const values: number[] = [];
  for (let i = 1; i <= 400; i++) {
    const v = i / 40;
    values.push(v);
    (i % 4 === 0 ? a : b).h.observe(v);
  }
  const agg = aggregateStats({ dir });
  const lat = agg.fields.get('lat') as HistogramAggregate;
  assert.equal(lat.kind, 'histogram');
  assert.equal(lat.files, 2);
  const s = lat.histogram.summary();
  assert.equal(s.count, 400);
  assert.equal(s.min, 1 / 40);
  assert.equal(s.max, 10);
  assert.ok(Math.abs(s.sum - values.reduce((x, y) => x + y, 0)) < 1e-9);
  for (const [q, est] of [
    [0.5, s.p50],
    [0.9, s.p90],
    [0.99, s.p99],
  ] as const) {
    const exact = nearestRank(values, q);
    assert.ok(est !== null && Math.abs(est - exact) <= exact / 256, `p${q * 100}: ${est} vs ${exact}`);
  }
  assert.deepEqual(aggregateValue(lat, 'min'), s, 'a histogram is its summary whatever the aggregation');
  assert.equal(agg.fields.get('x')?.kind, 'histogram');
  assert.deepEqual(agg.skipped, [
    { file: 'b.mmstats', label: 'x', reason: 'a number here, a histogram in an earlier file' },
  ]);
});

test('files that cannot be read are reported by name with the reason, and the others still count', (t) => {
  const dir = tempDir(t);
  const good = stats({ path: dir, filename: 'good.mmstats', fields: { c: counter('c') } });
  const gone = stats({ path: dir, filename: 'gone.mmstats', fields: { c: counter('c') } });
  t.after(() => [good, gone].forEach((s) => s.close()));
  good.c.incr(2);
  gone.c.incr(40);
  writeFileSync(join(dir, 'bad.mmstats'), Buffer.from([9, 0, 0]));
  writeFileSync(join(dir, 'cut.mmstats'), readFileSync(good.path).subarray(0, 9));
  writeFileSync(join(dir, 'empty.mmstats'), '');
  writeFileSync(join(dir, 'notes.txt'), 'not matched by the glob');
  mkdirSync(join(dir, 'sub.mmstats'));
  symlinkSync(good.path, join(dir, 'link.mmstats'));
  // gone.mmstats vanishes between the listing and the read, as when its writer closes.
  const agg = aggregateStats({
    dir,
    readFile: (path) => {
      if (path.endsWith('gone.mmstats')) unlinkSync(path);
      return readFileSync(path);
    },
  });
  assert.deepEqual(agg.files, ['good.mmstats']);
  assert.deepEqual(
    agg.unreadable.map((u) => u.file),
    ['bad.mmstats', 'cut.mmstats', 'empty.mmstats', 'gone.mmstats', 'link.mmstats', 'sub.mmstats'],
  );
  const why = Object.fromEntries(agg.unreadable.map((u) => [u.file, u.reason]));
  assert.match(why['bad.mmstats']!, /^unsupported mmstats version byte 0x09/);
  assert.match(why['cut.mmstats']!, /^truncated: /);
  assert.match(why['empty.mmstats']!, /^empty file/);
  assert.match(why['gone.mmstats']!, /vanished while being read \(ENOENT\)/);
  assert.match(why['link.mmstats']!, /symbolic link, not read/);
  assert.match(why['sub.mmstats']!, /not a regular file/);
  assert.equal((agg.fields.get('c') as NumberAggregate).sum, 2);
  assert.deepEqual(
    aggregateStats({ dir: join(dir, 'nowhere') }).files,
    [],
    'a missing directory has no files',
  );
});

test('a glob matches file names inside the directory only; anything that could leave it is refused', (t) => {
  const dir = tempDir(t);
  for (const name of ['web-1-0.mmstats', 'web-2-0.mmstats', 'api-1-0.mmstats', 'web-1-0.mmstats.bak']) {
    writeFileSync(join(dir, name), Buffer.from([1, 0, 0]));
  }
  assert.deepEqual(
    readStatsDir({ dir, glob: 'web-*.mmstats' }).files.map((f) => f.file),
    ['web-1-0.mmstats', 'web-2-0.mmstats'],
  );
  assert.deepEqual(
    readStatsDir({ dir, glob: '???-1-0.mmstats' }).files.map((f) => f.file),
    ['api-1-0.mmstats', 'web-1-0.mmstats'],
  );
  assert.equal(checkGlob('a.b*')('aXb'), false, 'a dot is a dot');
  for (const bad of [
    '../*.mmstats',
    '..',
    '/etc/*',
    'sub/*.mmstats',
    '..\\x',
    'a\0b',
    '',
    '[ab].mmstats',
    '{a,b}',
  ]) {
    assert.throws(() => readStatsDir({ dir, glob: bad }), StatsGlobError, JSON.stringify(bad));
  }
});
