import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/run-cli.js';

test('demo: counts agree with the same traffic from waymark generate', async () => {
  const demo = await runCli(['demo', '--duration', '20m', '--ops-per-minute', '20', '--seed', '4', '--json']);
  assert.equal(demo.code, 0, demo.stderr);
  const s = JSON.parse(demo.stdout) as {
    notifications: number;
    distilled: number;
    no_definition: number;
    bad: number;
    operations: number;
    events_by_type: Record<string, number>;
  };
  const gen = await runCli([
    'generate',
    '--duration',
    '20m',
    '--ops-per-minute',
    '20',
    '--seed',
    '4',
    '--start',
    '2026-01-01T00:00:00Z',
    '--quiet',
  ]);
  const lines = gen.stdout.split('\n').filter((l) => l !== '');
  assert.equal(s.notifications, lines.length);
  assert.equal(s.distilled + s.no_definition + s.bad, s.notifications);
  const byType: Record<string, number> = {};
  for (const l of lines) {
    const type = (JSON.parse(l) as { event_type: string }).event_type;
    byType[type] = (byType[type] ?? 0) + 1;
  }
  assert.deepEqual(s.events_by_type, byType);
  assert.ok(s.operations > 100);
});

test('demo: the table names every column and the throughput lines', async () => {
  const r = await runCli(['demo', '--duration', '10m', '--seed', '2']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^generated +[\d,]+ notifications/m);
  assert.match(r.stdout, /^distilled +[\d,]+ events/m);
  assert.match(r.stdout, /^operation +count +completed +failed +unfinished +mean s/m);
  assert.match(r.stdout, /^compute\.instance\.create +\d+/m);
});

test('demo: bad flags exit 2', async () => {
  for (const args of [['--duration', 'forever'], ['--ops-per-minute', '0'], ['--seed', 'x'], ['--nope']]) {
    const r = await runCli(['demo', ...args]);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, /waymark demo/);
  }
});
