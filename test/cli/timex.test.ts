import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/run-cli.js';

test('waymark timex prints a range for the worked example', async () => {
  const r = await runCli(['timex', 'day($t) + 6h', '--var', 't=2014-08-01T01:00:00Z']);
  assert.equal(r.stderr, '');
  assert.equal(r.code, 0);
  assert.equal(r.stdout, '[2014-07-31T06:00:00.000000Z, 2014-08-01T06:00:00.000000Z)\n');
});

test('waymark timex prints a timestamp; --var accepts $NAME and OpenStack timestamps', async () => {
  const r = await runCli(['timex', '$last + 1h', '--var', '$last=2014-08-01 06:00:00.5']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, '2014-08-01T07:00:00.500000Z\n');
  const two = await runCli([
    'timex',
    '$a to $b + 1d',
    '--var',
    'a=2014-08-01T00:00:00Z',
    '--var',
    'b=1406851200', // 2014-08-01T00:00:00Z in epoch seconds
  ]);
  assert.equal(two.code, 0);
  assert.equal(two.stdout, '[2014-08-01T00:00:00.000000Z, 2014-08-02T00:00:00.000000Z)\n');
});

test('--now sets $timestamp and bare ranges', async () => {
  const r = await runCli(['timex', 'day', '--now', '2014-08-07T13:45:00Z']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, '[2014-08-07T00:00:00.000000Z, 2014-08-08T00:00:00.000000Z)\n');
  const m = await runCli(['timex', '$timestamp @ 0h 0m 0s', '--now', '2014-08-07T13:45:00Z']);
  assert.equal(m.stdout, '2014-08-07T00:00:00.000000Z\n');
});

test('--json prints an object', async () => {
  const r = await runCli(['timex', 'day($t) + 6h', '--var', 't=2014-08-01T01:00:00Z', '--json']);
  assert.equal(r.code, 0);
  assert.deepEqual(JSON.parse(r.stdout), {
    kind: 'range',
    begin: '2014-07-31T06:00:00.000000Z',
    end: '2014-08-01T06:00:00.000000Z',
    unit: 'day',
    pinned_to: '2014-08-01T01:00:00.000000Z',
  });
  const ts = await runCli(['timex', '$t - 1mo', '--var', 't=2014-03-31T00:00:00Z', '--json']);
  assert.deepEqual(JSON.parse(ts.stdout), { kind: 'timestamp', timestamp: '2014-02-28T00:00:00.000000Z' });
});

test('a bad expression exits 2 with the message and a caret under the column', async () => {
  const r = await runCli(['timex', '$last + 1 hx', '--var', 'last=2014-08-01T00:00:00Z']);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.equal(
    r.stderr,
    'waymark timex: timex "$last + 1 hx": unknown unit "hx" at column 10\n  $last + 1 hx\n           ^~~\n',
  );
  const open = await runCli(['timex', 'day($t']);
  assert.equal(open.code, 2);
  assert.match(open.stderr, /expected '\)' at column 7/);
  assert.match(open.stderr, /\n {2}day\(\$t\n {8}\^\n$/);
});

test('bad --var, bad --now, unknown flags and a missing expression exit 2', async () => {
  const cases: [string[], RegExp][] = [
    [['timex', '$a', '--var', 'a'], /--var expects NAME=TIMESTAMP/],
    [['timex', '$a', '--var', '=2014-08-01'], /--var expects NAME=TIMESTAMP/],
    [['timex', '$a', '--var', '1a=2014-08-01'], /--var expects NAME=TIMESTAMP/],
    [['timex', '$a', '--var', 'a=yesterday'], /--var a: not a timestamp: "yesterday"/],
    [['timex', '$a', '--var', 'a=2014-02-30'], /--var a: not a timestamp/],
    [['timex', '$a', '--var', 'a=2014-08-01', '--var', 'a=2014-08-02'], /--var a given twice/],
    [['timex', 'day', '--now', 'soon'], /--now: not a timestamp/],
    [['timex', 'day', '--frobnicate'], /accepted flags/],
    [['timex'], /missing argument/],
    [['timex', 'day', 'hour'], /unexpected argument "hour"/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, message, args.join(' '));
    assert.equal(r.stdout, '', args.join(' '));
  }
});

test('a variable without a value exits 2 and names the flag to pass', async () => {
  const r = await runCli(['timex', '$first to $last', '--var', 'first=2014-08-01T00:00:00Z']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, 'waymark timex: no value for $last; pass --var last=TIMESTAMP\n');
});

test('--help prints the usage', async () => {
  const r = await runCli(['timex', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^usage: waymark timex EXPR/);
});
