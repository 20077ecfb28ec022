import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  aggregateStats,
  counter,
  histogram,
  HistogramSnapshot,
  readStatsFile,
  stats,
  type Counter,
  type FieldSpec,
  type Histogram,
} from '../../src/stats/index.js';
import { tempDir } from './helpers.js';

test('fields whose names come from configuration at run time', (t) => {
  const dir = tempDir(t);
  // As the engine will: meter names read from a config file at start-up.
  const config = JSON.parse(
    '{"meters": ["build_time", "delete.time", "resize-time", "close", "path", "ünïcode.ms", "a b"]}',
  ) as { meters: string[] };
  const fields: Record<string, FieldSpec<Counter> | FieldSpec<Histogram>> = {};
  // Keys are ours to choose (a few are reserved: path, flush, close); labels are the configured names.
  config.meters.forEach((name, i) => {
    fields[`m${i}`] = histogram(`${name}.seconds`, { precision: 1 });
    fields[`c${i}`] = counter(`${name}.count`);
  });
  const s = stats({ path: dir, filename: 'engine.mmstats', prefix: 'pipeline.', fields });
  t.after(() => s.close());
  config.meters.forEach((_, i) => {
    (s[`m${i}`] as Histogram).observe(i + 1);
    (s[`c${i}`] as Counter).incr(10 * (i + 1));
  });
  const read = new Map(readStatsFile(s.path).map((f) => [f.label, f.value]));
  config.meters.forEach((name, i) => {
    const h = read.get(`pipeline.${name}.seconds`);
    assert.ok(h instanceof HistogramSnapshot, name);
    assert.deepEqual([h.count, h.sum], [1, i + 1], name);
    assert.equal(read.get(`pipeline.${name}.count`), 10 * (i + 1), name);
  });
  const agg = aggregateStats({ dir, prefix: 'pipeline.' });
  assert.equal(agg.fields.size, 2 * config.meters.length + 5, 'every meter, plus the numeric sys.* fields');
});

test('a configured name used twice, or as a reserved key, is refused up front', (t) => {
  const dir = tempDir(t);
  const names = ['x', 'y', 'x'];
  const fields = Object.fromEntries(names.map((n, i) => [`k${i}`, counter(n)]));
  assert.throws(() => stats({ path: dir, filename: 'a.mmstats', fields }), /label x is used twice/);
  const byName = Object.fromEntries(['close'].map((n) => [n, counter(n)]));
  assert.throws(
    () => stats({ path: dir, filename: 'b.mmstats', fields: byName }),
    /may not be named "close"/,
  );
});
