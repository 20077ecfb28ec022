import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Instant } from '../../src/model/instant.js';
import { parseTimex, TimeRange } from '../../src/timex/index.js';
import { at, iso, range, show } from './helpers.js';

const T = { t: '2014-08-01T01:00:00Z' };

test('$name reads the variable; $timestamp defaults to now', () => {
  assert.equal(show('$t', T), iso('2014-08-01T01:00:00Z'));
  assert.equal(show('$audit_period_beginning', { audit_period_beginning: '2014-08-01' }), iso('2014-08-01'));
  assert.equal(show('$timestamp', {}, '2014-02-03T04:05:06Z'), iso('2014-02-03T04:05:06Z'));
  // A passed $timestamp wins over now.
  assert.equal(
    show('$timestamp', { timestamp: '2014-01-01T00:00:00Z' }, '2015-01-01T00:00:00Z'),
    iso('2014-01-01'),
  );
  // Without `now`, the wall clock.
  const before = Date.now() * 1000;
  const r = parseTimex('$timestamp').evaluate({});
  assert.ok(r instanceof Instant && r.us >= before && r.us <= Date.now() * 1000);
});

test('expr + duration / expr - duration shift a timestamp', () => {
  assert.equal(show('$t + 1h', T), iso('2014-08-01T02:00:00Z'));
  assert.equal(show('$t - 1h', T), iso('2014-08-01T00:00:00Z'));
  assert.equal(show('$t + 6h 30m 15s', T), iso('2014-08-01T07:30:15Z'));
  assert.equal(show('$t - 6h 30m 15s', T), iso('2014-07-31T18:29:45Z'));
  assert.equal(show('$t+1h30m', T), iso('2014-08-01T02:30:00Z'));
  assert.equal(show('$t + 1.5h', T), iso('2014-08-01T02:30:00Z'));
  assert.equal(show('$t + 250us', T), '2014-08-01T01:00:00.000250Z');
  // Terms repeat and add up; operations chain left to right.
  assert.equal(show('$t + 1h 1h', T), iso('2014-08-01T03:00:00Z'));
  assert.equal(show('$t + 1d - 2h + 30m', T), iso('2014-08-01T23:30:00Z'));
});

test('every unit spelling', () => {
  const cases: [string, string][] = [
    ['us', '2014-08-01T01:00:00.000001Z'],
    ['s', '2014-08-01T01:00:01Z'],
    ['sec', '2014-08-01T01:00:01Z'],
    ['m', '2014-08-01T01:01:00Z'],
    ['min', '2014-08-01T01:01:00Z'],
    ['h', '2014-08-01T02:00:00Z'],
    ['hr', '2014-08-01T02:00:00Z'],
    ['d', '2014-08-02T01:00:00Z'],
    ['mo', '2014-09-01T01:00:00Z'],
    ['y', '2015-08-01T01:00:00Z'],
    ['yr', '2015-08-01T01:00:00Z'],
  ];
  for (const [unit, expected] of cases) {
    assert.equal(show(`$t + 1${unit}`, T), iso(expected), unit);
    assert.equal(show(`$t + 1 ${unit}`, T), iso(expected), `1 ${unit}`);
  }
});

test('@ replaces the given components and keeps the rest', () => {
  const t = { t: '2014-08-07T13:45:30.123456Z' };
  assert.equal(show('$t @ 0h 0m 0s', t), '2014-08-07T00:00:00.123456Z');
  assert.equal(show('$t @ 0h 0m 0s 0us', t), iso('2014-08-07'));
  assert.equal(show('$t @ 12mo 31d', t), '2014-12-31T13:45:30.123456Z');
  assert.equal(show('$t @ 2010y', t), '2010-08-07T13:45:30.123456Z');
  assert.equal(show('$t @ 6h', t), '2014-08-07T06:45:30.123456Z');
  assert.equal(show('$t @ 1d 0h 0m 0s 0us', t), iso('2014-08-01'));
  assert.equal(show('$timestamp @ 0h 0m 0s 0us', {}, '2014-08-07T13:45:30Z'), iso('2014-08-07'));
});

test('ts1 to ts2 is the range [ts1, ts2)', () => {
  const v = { a: '2014-08-01T01:00:00Z', b: '2014-08-03T00:00:00Z' };
  assert.equal(show('$a to $b', v), range('2014-08-01T01:00:00Z', '2014-08-03T00:00:00Z'));
  // + - @ bind tighter than to.
  assert.equal(show('$a + 1h to $b - 1h', v), range('2014-08-01T02:00:00Z', '2014-08-02T23:00:00Z'));
  // A range shifts at both ends.
  assert.equal(show('($a to $b) + 1d', v), range('2014-08-02T01:00:00Z', '2014-08-04T00:00:00Z'));
  assert.equal(show('($a to $b) @ 5h', v), range('2014-08-01T05:00:00Z', '2014-08-03T05:00:00Z'));
  // A backwards range is empty.
  const empty = parseTimex('$b to $a').evaluate({ a: at(v.a), b: at(v.b) });
  assert.ok(empty instanceof TimeRange);
  assert.equal(empty.contains(at('2014-08-02')), false);
  assert.equal(empty.contains(at(v.a)), false);
});

test('hour, day, month, year: bare, and with (expr)', () => {
  const now = '2014-08-07T13:45:30.5Z';
  assert.equal(show('hour', {}, now), range('2014-08-07T13:00:00Z', '2014-08-07T14:00:00Z'));
  assert.equal(show('day', {}, now), range('2014-08-07', '2014-08-08'));
  assert.equal(show('month', {}, now), range('2014-08-01', '2014-09-01'));
  assert.equal(show('year', {}, now), range('2014-01-01', '2015-01-01'));
  const v = { s: '2016-02-29T23:59:59.999999Z' };
  assert.equal(show('hour($s)', v), range('2016-02-29T23:00:00Z', '2016-03-01T00:00:00Z'));
  assert.equal(show('day($s)', v), range('2016-02-29', '2016-03-01'));
  assert.equal(show('month($s)', v), range('2016-02-01', '2016-03-01'));
  assert.equal(show('year($s)', v), range('2016-01-01', '2017-01-01'));
  assert.equal(show('day($s + 1us)', v), range('2016-03-01', '2016-03-02'));
  assert.equal(show('day ( $s - 1d )', v), range('2016-02-28', '2016-02-29'));
  // Bare forms read $timestamp when it is passed.
  assert.equal(show('day', { timestamp: '2014-01-02T03:04:05Z' }, now), range('2014-01-02', '2014-01-03'));
});

test('parentheses group', () => {
  const v = { a: '2014-08-01T00:00:00Z', b: '2014-08-02T00:00:00Z' };
  assert.equal(show('(($a))', v), iso('2014-08-01'));
  assert.equal(show('($a + 1h) @ 30m', v), iso('2014-08-01T01:30:00Z'));
  assert.equal(show('day(($a + 1d) @ 0h)', v), range('2014-08-02', '2014-08-03'));
  assert.equal(show('(day($a)) + 1d', v), range('2014-08-02', '2014-08-03'));
  assert.equal(show('($a to $b) - 1h', v), range('2014-07-31T23:00:00Z', '2014-08-01T23:00:00Z'));
});

test('whitespace of any kind is allowed between tokens', () => {
  assert.equal(show(' \t$t\n+\r\n1h ', T), iso('2014-08-01T02:00:00Z'));
  assert.equal(show('day($t)+6h', T), show('day ( $t ) + 6 h', T));
});

test('variables lists what the expression reads; resultKind says what it yields', () => {
  const e = parseTimex('($last - 1h) to ($first + 1d) + 0h');
  assert.deepEqual(e.variables, ['last', 'first']);
  assert.equal(e.resultKind, 'range');
  assert.equal(e.source, '($last - 1h) to ($first + 1d) + 0h');
  assert.deepEqual(parseTimex('day').variables, ['timestamp']);
  assert.deepEqual(parseTimex('$a to $a + 1h').variables, ['a']);
  assert.equal(parseTimex('$last + 1h').resultKind, 'timestamp');
  assert.equal(parseTimex('day($x) + 6h').resultKind, 'range');
  assert.equal(parseTimex('($x + 1h) @ 0m').resultKind, 'timestamp');
});

test('a missing variable means no match: undefined, never an error', () => {
  const none = { other: at('2014-08-01') };
  for (const expr of [
    '$last',
    '$last + 1h',
    '$last - 1mo',
    '$last @ 0h',
    'day($last)',
    'month($last) + 6',
    'day($last) @ 6h',
    '$last to $other',
    '$other to $last',
    '($last to $other) + 1',
    'year($last + 1y) - 1mo',
    // Names that exist on every object's prototype are not variables.
    '$constructor + 1h',
    '$toString',
    'day($hasOwnProperty)',
  ]) {
    assert.equal(parseTimex(expr).evaluate(none), undefined, expr);
  }
  // An explicit undefined is missing too.
  assert.equal(parseTimex('$last + 1h').evaluate({ last: undefined }), undefined);
});

test('an expression compiles once and evaluates many times with different values', () => {
  const e = parseTimex('$last + 1h');
  for (let h = 0; h < 24; h++) {
    const t = at(`2014-08-01T${String(h).padStart(2, '0')}:00:00Z`);
    const r = e.evaluate({ last: t });
    assert.ok(r instanceof Instant);
    assert.equal(r.us - t.us, 3_600_000_000);
  }
});

test('fixed-duration arithmetic matches Date arithmetic over many random instants', () => {
  const e = parseTimex('$t + 2d 3h 4m 5s - 6us');
  let seed = 42;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let i = 0; i < 500; i++) {
    const ms = Math.floor(rand() * 4e12) - 1e12;
    const t = new Instant(ms * 1000);
    const r = e.evaluate({ t });
    const expected = new Date(ms);
    expected.setUTCDate(expected.getUTCDate() + 2);
    expected.setUTCHours(
      expected.getUTCHours() + 3,
      expected.getUTCMinutes() + 4,
      expected.getUTCSeconds() + 5,
    );
    assert.ok(r instanceof Instant);
    assert.equal(r.us, expected.getTime() * 1000 - 6);
  }
});
