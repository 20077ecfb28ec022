import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';

test('generate: bad flags are usage errors (exit 2) with a clear message', async () => {
  const cases: [string[], RegExp][] = [
    [['--ops-per-minute', '5', '--ops-per-hour', '60', '--count', '1'], /not both/],
    [['--ops-per-minute=-3', '--count', '1'], /--ops-per-minute expects a positive number, got "-3"/],
    [['--ops-per-minute', '-3', '--count', '1'], /'--ops-per-minute' argument is ambiguous/],
    [['--ops-per-hour', 'lots', '--count', '1'], /--ops-per-hour expects a positive number/],
    [['--count', '0'], /--count expects an integer >= 1/],
    [['--count', '10', '--duration', '1h'], /--duration or --count, not both/],
    [['--duration', '5 fortnights'], /--duration/],
    [['--duration', '0s'], /--duration/],
    [['--seed', 'abc', '--count', '1'], /--seed expects an integer/],
    [['--faults', 'drop=7', '--count', '1'], /--faults: fault "drop=7"/],
    [['--faults', 'jitter=1s', '--count', '1'], /unknown fault "jitter"/],
    [['--out', 'ftp://localhost/x', '--count', '1'], /unsupported scheme "ftp:\/\/"/],
    [
      ['--out', 'amqp://localhost/?exchnge=nova', '--count', '1'],
      /unknown URL parameter "exchnge" \(did you mean "exchange"\?\)/,
    ],
    [
      ['--out', 'amqp://localhost/?exchange_type=fan', '--count', '1'],
      /exchange_type": expected one of topic/,
    ],
    [['--out', 'amqp://localhost/?routing_key=', '--count', '1'], /routing_key" is empty/],
    [['--out', 'http://', '--count', '1'], /--out/],
    [['--scenario', 'nova', '--count', '1'], /unknown scenario "nova"/],
    [['--envelope', 'soap', '--count', '1'], /--envelope expects bare or oslo/],
    [['--start', 'yesterday', '--count', '1'], /--start: not a timestamp/],
    [['--bogus', '--count', '1'], /Unknown option '--bogus'/],
    [['stray', '--count', '1'], /unexpected argument "stray"/],
  ];
  for (const [args, re] of cases) {
    const r = await runCli(['generate', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.equal(r.stdout, '');
  }
});

test('generate: --count lines on stdout, deterministic with --seed, summary on stderr', async () => {
  const a = await runCli(['generate', '--count', '50', '--seed', '7']);
  const b = await runCli(['generate', '--count', '50', '--seed', '7']);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(a.stdout, b.stdout);
  const lines = a.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 50);
  for (const l of lines) assert.equal(typeof (JSON.parse(l) as { event_type: unknown }).event_type, 'string');
  assert.match(a.stderr, /generate: 50 notifications, .*seed 7/);
  const q = await runCli(['generate', '--count', '5', '--seed', '7', '--quiet']);
  assert.equal(q.stderr, '');
});

test('generate: --duration, --out FILE, --truth FILE, --envelope oslo, --json summary', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-cli-gen-'));
  const out = join(dir, 'n.jsonl');
  const truth = join(dir, 't.jsonl');
  const r = await runCli([
    'generate',
    '--duration',
    '10m',
    '--ops-per-minute',
    '30',
    '--seed',
    '3',
    '--envelope',
    'oslo',
    '--out',
    out,
    '--truth',
    truth,
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
  assert.ok(lines.length > 500);
  for (const l of lines.slice(0, 20))
    assert.equal((JSON.parse(l) as Record<string, unknown>)['oslo.version'], '2.0');
  const records = readFileSync(truth, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(records.length > 100);
  for (const rec of records) {
    for (const k of ['kind', 'group_by', 'id', 'start', 'end', 'duration_s', 'outcome', 'faults'])
      assert.ok(k in rec, k);
  }
  const summary = JSON.parse(r.stderr.trimEnd().split('\n').at(-1) as string) as {
    summary: { notifications: number; operations: number; start: string };
  };
  assert.equal(summary.summary.notifications, lines.length);
  assert.match(summary.summary.start, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  assert.equal(summary.summary.operations, records.length);
});

test('generate end to end: two processes with --seed 7 write the same bytes', () => {
  const main = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
  const args = [
    main,
    'generate',
    '--duration',
    '5m',
    '--seed',
    '7',
    '--faults',
    'drop=0.01,dup=0.01,reorder=5s,skew=1s,delay=200ms',
    '--quiet',
  ];
  const a = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const b = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  assert.equal(a.status, 0, a.stderr);
  assert.ok(a.stdout.length > 100_000);
  assert.equal(a.stdout, b.stdout);
});
