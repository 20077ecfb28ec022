import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../helpers/run-cli.js';
import { traffic } from '../analysis/fixtures.js';

let dir = '';
let store = '';
const env = (): NodeJS.ProcessEnv => ({ MMSTATS_PATH: dir });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'waymark-report-'));
  store = `duckdb:${join(dir, 'r.duckdb')}`;
  const file = join(dir, 'runs.jsonl');
  writeFileSync(file, traffic('testruns', 4, 3, 60).lines.join('\n') + '\n');
  const r = await runCli(['ingest', '--quiet', '--finish', '--store', store, file], '', env());
  assert.equal(r.code, 0, r.stderr);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test("waymark report phases: a table, JSON in the Interfaces shape (the meters' figures), CSV", async () => {
  const table = await runCli(['report', 'phases', '--set', 'testrun', '--store', store], '', env());
  assert.equal(table.code, 0, table.stderr);
  const rows = table.stdout.trim().split('\n');
  assert.match(rows[0] ?? '', /^phase\s+count\s+min\s+max\s+mean\s+stddev\s+p50\s+p90\s+p99$/);
  assert.deepEqual(
    rows.slice(2).map((r) => r.split(/\s+/)[0]),
    ['initialisation', 'queue', 'flash', 'boot', 'test', 'publish'],
  );

  const json = await runCli(
    ['report', 'phases', '--set', 'testrun', '--format', 'json', '--store', store],
    '',
    env(),
  );
  const list = JSON.parse(json.stdout) as Record<string, unknown>[];
  assert.deepEqual(Object.keys(list[0] ?? {}), [
    'phase',
    'group',
    'count',
    'min',
    'max',
    'mean',
    'stddev',
    'p50',
    'p90',
    'p99',
  ]);
  const meters = JSON.parse(
    (await runCli(['meters', '--json', '--store', store], '', env())).stdout,
  ) as Record<string, unknown>[];
  const queue = meters.find((m) => m['name'] === 'testrun_queue_seconds');
  const q = list.find((l) => l['phase'] === 'queue');
  for (const k of ['count', 'min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'])
    assert.equal(q?.[k], queue?.[k], k);

  const csv = await runCli(
    [
      'report',
      'phases',
      '--set',
      'testrun',
      '--group-by',
      'queue',
      '--format',
      'csv',
      '--time',
      'receive',
      '--store',
      store,
    ],
    '',
    env(),
  );
  assert.equal(csv.code, 0, csv.stderr);
  const lines = csv.stdout.trim().split('\n');
  assert.equal(lines[0], 'phase,queue,count,min,max,mean,stddev,p50,p90,p99');
  assert.match(lines[1] ?? '', /^initialisation,(nightly|postsubmit|presubmit|release),\d+,/);

  const events = await runCli(
    ['report', 'events', '--format', 'json', '--trait', 'queue=nightly', '--store', store],
    '',
    env(),
  );
  assert.equal(events.code, 0, events.stderr);
  const ev = JSON.parse(events.stdout) as { event_type: string; count: number }[];
  assert.ok(ev.some((e) => e.event_type === 'testrun.publish' && e.count > 0));
});

test('waymark report phases --phases FILE: an ad-hoc set; a bad file lists every problem (exit 2)', async () => {
  const mine = join(dir, 'mine.yaml');
  writeFileSync(
    mine,
    '- {name: whole, group_by: testrun_id, phases: [{name: all, start: testrun.request, end: testrun.publish}]}\n',
  );
  const r = await runCli(
    ['report', 'phases', '--phases', mine, '--format', 'json', '--store', store],
    '',
    env(),
  );
  assert.equal(r.code, 0, r.stderr);
  const meters = JSON.parse(
    (await runCli(['meters', '--json', '--store', store], '', env())).stdout,
  ) as Record<string, unknown>[];
  const whole = (JSON.parse(r.stdout) as Record<string, unknown>[])[0];
  assert.equal(whole?.['mean'], meters.find((m) => m['name'] === 'testrun_seconds')?.['mean']);

  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, '- {name: x, group_by: testrun_id, phases: [{name: a, start: "t.*"}]}\n');
  const b = await runCli(['report', 'phases', '--phases', bad, '--store', store], '', env());
  assert.equal(b.code, 2);
  assert.match(b.stderr, /bad\.yaml:1:\d+: \[0\]\.phases\[0\]: missing "end"/);
  assert.match(b.stderr, /bad\.yaml:1:\d+: \[0\]\.phases\[0\]\.start: "t\.\*" is a glob/);
});

test('waymark report: malformed flags exit 2 with what is expected', async () => {
  const cases: [string[], RegExp][] = [
    [['report'], /missing argument/],
    [['report', 'bogus'], /expected "phases" or "events", got "bogus"/],
    [['report', 'phases'], /name a phase set with --set NAME/],
    [
      ['report', 'phases', '--set', 'testrun', '--format', 'xml'],
      /--format must be table, json or csv, got "xml"/,
    ],
    [['report', 'phases', '--set', 'testrun', '--time', 'later'], /--time must be "emit" or "receive"/],
    [['report', 'phases', '--set', 'testrun', '--from', 'soon'], /--from expects a timestamp/],
    [['report', 'phases', '--set', 'testrun', '--trait', 'queue'], /--trait expects NAME=\[OP:\]VALUE/],
    [['report', 'phases', '--set', 'testrun', '--group-by', 'a,,b'], /--group-by expects trait names/],
    [
      ['report', 'phases', '--phases', 'x.yaml', '--server', 'http://127.0.0.1:1'],
      /--phases FILE reads the store directly/,
    ],
    [['report', 'events', '--set', 'testrun'], /--set and --phases are for "report phases"/],
    [['report', 'phases', '--set', 'nope', '--store', 'STORE'], /no phase set "nope"/],
    [
      ['report', 'phases', '--set', 'testrun', '--group-by', 'zz', '--store', 'STORE'],
      /keeps no such run trait/,
    ],
    [['report', 'phases', '--sett', 'testrun'], /Unknown option '--sett'/],
  ];
  for (const [args, re] of cases) {
    const r = await runCli(
      args.map((a) => (a === 'STORE' ? store : a)),
      '',
      env(),
    );
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
  }
});
