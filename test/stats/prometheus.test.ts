import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { aggregateStats, counter, double, histogram, prometheusText, stats } from '../../src/stats/index.js';
import { rng, tempDir } from './helpers.js';

interface Family {
  type: string;
  help?: string;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

/**
 * A parser of the Prometheus text format 0.0.4, written for this test from the
 * format's description: it refuses what a scraper would refuse.
 */
function parseExposition(text: string): { families: Map<string, Family>; comments: string[] } {
  assert.ok(text.endsWith('\n'), 'the exposition ends with a newline');
  const families = new Map<string, Family>();
  const comments: string[] = [];
  const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const seen = new Set<string>();
  const value = (s: string): number => {
    if (s === '+Inf') return Infinity;
    if (s === '-Inf') return -Infinity;
    if (s === 'NaN') return NaN;
    assert.match(s, /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/, `a float: ${s}`);
    return Number(s);
  };
  const familyOf = (sample: string): string => {
    for (const suffix of ['_bucket', '_sum', '_count', '']) {
      const base = suffix === '' ? sample : sample.slice(0, -suffix.length);
      if (sample.endsWith(suffix) && families.get(base)?.type === 'histogram') return base;
    }
    return sample;
  };
  for (const line of text.slice(0, -1).split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^# HELP (${NAME}) (.*)$`).exec(line)) !== null) {
      const [, name = '', help = ''] = m;
      assert.ok(!/\\[^\\n]/.test(help.replace(/\\\\/g, '')), `HELP escapes only \\\\ and \\n: ${line}`);
      const f = families.get(name) ?? { type: 'untyped', samples: [] };
      assert.equal(f.help, undefined, `one HELP for ${name}`);
      f.help = help;
      families.set(name, f);
    } else if (
      (m = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`).exec(line)) !== null
    ) {
      const [, name = '', type = ''] = m;
      const f = families.get(name) ?? { type: 'untyped', samples: [] };
      assert.equal(f.samples.length, 0, `TYPE before the samples of ${name}`);
      assert.ok(!seen.has(`TYPE ${name}`), `one TYPE for ${name}`);
      seen.add(`TYPE ${name}`);
      f.type = type;
      families.set(name, f);
    } else if (line.startsWith('#')) {
      assert.ok(!/^# (HELP|TYPE) /.test(line), `a malformed HELP/TYPE line: ${line}`);
      comments.push(line.slice(2));
    } else {
      m = new RegExp(`^(${NAME})(?:\\{([^}]*)\\})? (\\S+)$`).exec(line);
      assert.ok(m !== null, `a sample line: ${JSON.stringify(line)}`);
      const [, name = '', labelText = '', v = ''] = m;
      const labels: Record<string, string> = {};
      for (const pair of labelText === '' ? [] : labelText.split(',')) {
        const lm = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"$/.exec(pair);
        assert.ok(lm !== null, `a label pair: ${pair}`);
        labels[lm[1] ?? ''] = lm[2] ?? '';
      }
      const series = `${name}{${labelText}}`;
      assert.ok(!seen.has(series), `one sample per series: ${series}`);
      seen.add(series);
      const family = familyOf(name);
      const f = families.get(family);
      assert.ok(f !== undefined && f.type !== 'untyped', `${name} has a TYPE line before it`);
      f.samples.push({ name, labels, value: value(v) });
    }
  }
  for (const [name, f] of families) {
    if (f.type !== 'histogram') continue;
    const buckets = f.samples.filter((s) => s.name === `${name}_bucket`);
    const les = buckets.map((b) => value(b.labels['le'] ?? ''));
    assert.equal(les.at(-1), Infinity, `${name}: the last bucket is +Inf`);
    for (let i = 1; i < buckets.length; i++) {
      assert.ok(les[i]! > les[i - 1]!, `${name}: le increases`);
      assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, `${name}: buckets are cumulative`);
    }
    const count = f.samples.find((s) => s.name === `${name}_count`)?.value;
    assert.equal(count, buckets.at(-1)?.value, `${name}: _count equals the +Inf bucket`);
    assert.ok(
      f.samples.some((s) => s.name === `${name}_sum`),
      `${name}: has _sum`,
    );
  }
  return { families, comments };
}

test('the exposition parses, and says what every file holds with the right types and values', (t) => {
  const dir = tempDir(t);
  const r = rng(5);
  const observed: number[] = [];
  const writers = [0, 1].map((i) =>
    stats({
      path: dir,
      filename: `w${i}.mmstats`,
      prefix: 'web.',
      fields: {
        hits: counter('hits'),
        done: counter('jobs_total'),
        load: double('load'),
        odd: double('2xx-ratio.ñ'),
        build: histogram('build_seconds', { lowest: 0.001, highest: 1000, precision: 1 }),
      },
    }),
  );
  t.after(() => writers.forEach((s) => s.close()));
  writers[0]!.hits.incr(10);
  writers[1]!.hits.incr(32);
  writers[0]!.done.incr(1);
  writers[0]!.load.set(1);
  writers[1]!.load.set(4);
  for (let i = 0; i < 1000; i++) {
    const v = i % 97 === 0 ? 2 ** Math.floor(r() * 8 - 2) : Math.exp(r() * 9 - 4); // some exactly on an le
    observed.push(v);
    writers[i % 2]!.build.observe(v);
  }
  writeFileSync(join(dir, 'junk.mmstats'), 'not a stats file\nat all');
  const text = prometheusText(aggregateStats({ dir }));
  const { families, comments } = parseExposition(text);

  assert.equal(families.get('web_hits_total')?.type, 'counter');
  assert.equal(families.get('web_hits_total')?.samples[0]?.value, 42);
  assert.equal(families.get('web_jobs_total')?.type, 'counter', 'no second _total');
  assert.equal(families.get('web_load')?.type, 'gauge');
  assert.equal(families.get('web_load')?.samples[0]?.value, 2.5, 'gauges: the mean over files');
  assert.equal(families.get('web_2xx_ratio__')?.type, 'gauge', 'every other character becomes _');
  assert.ok(![...families.keys()].some((k) => k.includes('sys_pid')), 'static info fields are left out');

  const build = families.get('web_build_seconds');
  assert.equal(build?.type, 'histogram');
  const buckets = build.samples.filter((s) => s.name === 'web_build_seconds_bucket');
  // le at every power of two from 2^floor(log2 0.001) to 2^(floor(log2 1000)+1), then +Inf
  const expectedLes = [];
  for (let e = -10; e <= 10; e++) expectedLes.push(2 ** e);
  assert.deepEqual(
    buckets.map((b) => Number(b.labels['le'] === '+Inf' ? Infinity : b.labels['le'])),
    [...expectedLes, Infinity],
  );
  for (const b of buckets) {
    const le = b.labels['le'] === '+Inf' ? Infinity : Number(b.labels['le']);
    assert.equal(b.value, observed.filter((v) => v <= le).length, `exact count of values <= ${le}`);
  }
  const sum = build.samples.find((s) => s.name === 'web_build_seconds_sum')?.value ?? NaN;
  assert.ok(Math.abs(sum - observed.reduce((a, b) => a + b, 0)) < 1e-6);

  assert.ok(
    comments.some((c) =>
      /^unreadable stats file junk\.mmstats: unsupported mmstats version byte 0x6e/.test(c),
    ),
  );
  assert.equal(families.get('waymark_stats_unreadable_files')?.samples[0]?.value, 1);
  assert.equal(families.get('waymark_stats_files')?.samples[0]?.value, 2);
});

test('names that collide after sanitising: the first wins, the other is a comment; a namespace prefixes all', (t) => {
  const dir = tempDir(t);
  const s = stats({
    path: dir,
    filename: 'c.mmstats',
    fields: {
      a: double('a.b'),
      b: double('a_b'),
      c: counter('waymark.stats.files'),
      g: double('multi\nline'),
      n: double('9lives'),
    },
  });
  t.after(() => s.close());
  s.a.set(1);
  s.b.set(2);
  const { families, comments } = parseExposition(prometheusText(aggregateStats({ dir })));
  assert.equal(families.get('a_b')?.samples[0]?.value, 1);
  assert.ok(
    comments.some((c) => c.startsWith('skipped field "a_b": its name a_b is taken by "a.b"')),
    comments.join('\n'),
  );
  assert.equal(
    families.get('waymark_stats_files_total')?.type,
    'counter',
    'a different name than waymark_stats_files',
  );
  assert.ok(families.has('multi_line'));
  assert.ok(families.has('_9lives'), 'a leading digit gets a _');
  const ns = parseExposition(prometheusText(aggregateStats({ dir }), { namespace: 'app', gauge: 'max' }));
  assert.equal(ns.families.get('app_a_b')?.samples[0]?.value, 1);
  assert.ok(ns.families.has('waymark_stats_files'), "waymark's own series keep their names");
});
