import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { counter, double, histogram, stats } from '../../src/stats/index.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../stats/helpers.js';

interface PollLine {
  time: string;
  elapsed_s: number;
  files: number;
  unreadable: number;
  values: Record<string, number | null>;
}

test('stats poll: counters as rates per second, gauges as values, aggregated across files', async (t) => {
  const dir = tempDir(t);
  const ws = [0, 1].map((i) =>
    stats({
      path: dir,
      filename: `w${i}.mmstats`,
      prefix: 'web.stats.',
      fields: { hits: counter('hits'), depth: double('queue.depth'), lat: histogram('latency') },
    }),
  );
  t.after(() => ws.forEach((s) => s.close()));
  ws[0]!.hits.incr(1000); // before the first sample: not part of any rate
  ws[0]!.depth.set(3);
  ws[1]!.depth.set(5);
  for (const v of [1, 2, 3, 4]) ws[0]!.lat.observe(v);
  writeFileSync(join(dir, 'bad.mmstats'), Buffer.from([7]));
  // 50 hits (30 + 20, in two files) land inside the polled window.
  const timer = setTimeout(() => {
    ws[0]!.hits.incr(30);
    ws[1]!.hits.incr(20);
  }, 250);
  t.after(() => clearTimeout(timer));
  const r = await runCli(
    [
      'stats',
      'poll',
      '-p',
      'web.stats',
      'hits,queue.depth,latency,latency:count,nope',
      '--interval',
      '200ms',
      '--count',
      '3',
      '--json',
    ],
    '',
    { MMSTATS_PATH: dir },
  );
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as PollLine);
  assert.equal(lines.length, 3);
  const counted = lines.reduce((n, l) => n + (l.values['hits'] ?? NaN) * l.elapsed_s, 0);
  assert.ok(Math.abs(counted - 50) < 1e-6, `rate × elapsed over the lines: ${counted}`);
  for (const l of lines) {
    assert.ok(l.elapsed_s >= 0.19 && l.elapsed_s < 2, String(l.elapsed_s));
    assert.equal(l.values['queue.depth'], 8, 'gauges: the sum over files');
    assert.ok(Math.abs((l.values['latency'] ?? 0) - 2) <= 2 / 256, 'a histogram: its p50');
    assert.equal(l.values['latency:count'], 0, 'no observations during the window');
    assert.equal(l.values['nope'], null);
    assert.deepEqual([l.files, l.unreadable], [2, 1]);
  }
  assert.equal(
    r.stderr.match(/bad\.mmstats: unsupported mmstats version byte 0x07/g)?.length,
    1,
    'reported once',
  );

  const max = await runCli(
    [
      'stats',
      'poll',
      'web.stats.queue.depth',
      '--agg',
      'max',
      '-i',
      '10ms',
      '-c',
      '1',
      '--json',
      '--glob',
      'w*',
    ],
    '',
    {
      MMSTATS_PATH: dir,
    },
  );
  assert.equal(max.code, 0, max.stderr);
  assert.equal((JSON.parse(max.stdout) as PollLine).values['web.stats.queue.depth'], 5);
  assert.equal(max.stderr, '', 'the glob left bad.mmstats out');
});

test('stats poll: columns with a header every 20 lines', async (t) => {
  const dir = tempDir(t);
  const s = stats({
    path: dir,
    filename: 'a.mmstats',
    prefix: 'app.',
    fields: { n: double('level'), c: counter('a_very_long_counter_name') },
  });
  t.after(() => s.close());
  s.n.set(2.5);
  const r = await runCli(
    ['stats', 'poll', '-p', 'app.', 'level,a_very_long_counter_name', '-i', '1ms', '-c', '21', '--dir', dir],
    '',
    {},
  );
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n').slice(0, -1);
  assert.equal(lines.length, 23);
  const header = '     level a_very_long_counter_name';
  assert.equal(lines[0], header);
  assert.equal(lines[21], header);
  assert.equal(lines[1], '       2.5                        0');
  assert.ok(lines.filter((l) => l === header).length === 2);
});

test('stats poll: bad flags are usage errors', async () => {
  for (const [args, re] of [
    [['x', '--agg', 'median'], /--agg expects one of sum, avg/],
    [['x', '--glob', '../*'], /may only match file names inside the stats directory/],
    [['x', '--interval', 'soon'], /--interval/],
    [['x', '--count', '0'], /--count expects an integer >= 1/],
    [['a,,b'], /empty field name/],
    [[], /missing argument/],
  ] as const) {
    const r = await runCli(['stats', 'poll', ...args], '', {});
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, re, args.join(' '));
  }
});
