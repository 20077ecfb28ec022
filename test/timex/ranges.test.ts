import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Instant } from '../../src/model/instant.js';
import { parseTimex, TimeRange } from '../../src/timex/index.js';
import { at, evalRange, range, show } from './helpers.js';

const START = { start: '2014-08-01T01:00:00Z' };

test("the spec's worked example: day($start) + 6h slides back over $start", () => {
  assert.equal(show('day($start)', START), range('2014-08-01', '2014-08-02'));
  assert.equal(show('day($start) + 6h', START), range('2014-07-31T06:00:00Z', '2014-08-01T06:00:00Z'));
  const r = evalRange('day($start) + 6h', START);
  assert.equal(r.unit, 'day');
  assert.equal(r.pinnedTo?.toISOString(), at(START.start).toISOString());
  // When the shifted range still contains $start, it stays where it is.
  assert.equal(show('day($start) + 30m', START), range('2014-08-01T00:30:00Z', '2014-08-02T00:30:00Z'));
  assert.equal(show('day($start) - 6h', START), range('2014-07-31T18:00:00Z', '2014-08-01T18:00:00Z'));
  // Shorter-than-a-day shifts accumulate, each sliding over $start.
  assert.equal(show('day($start) + 6h + 6h', START), range('2014-07-31T12:00:00Z', '2014-08-01T12:00:00Z'));
  assert.equal(show('day($start) + 23h 59m', START), range('2014-07-31T23:59:00Z', '2014-08-01T23:59:00Z'));
});

test('a shift of a whole unit or more simply moves the range (and unpins it)', () => {
  assert.equal(show('day($start) + 1d', START), range('2014-08-02', '2014-08-03'));
  assert.equal(show('day($start) + 25h', START), range('2014-08-02T01:00:00Z', '2014-08-03T01:00:00Z'));
  assert.equal(show('day($start) + 24h', START), range('2014-08-02', '2014-08-03'));
  assert.equal(show('day($start) - 1d', START), range('2014-07-31', '2014-08-01'));
  assert.equal(show('day($start) + 1mo', START), range('2014-09-01', '2014-09-02'));
  const moved = evalRange('day($start) + 1d', START);
  assert.equal(moved.pinnedTo, undefined);
  assert.equal(moved.unit, 'day');
  // Unpinned, a later short shift no longer slides back.
  assert.equal(show('day($start) + 1d + 6h', START), range('2014-08-02T06:00:00Z', '2014-08-03T06:00:00Z'));
});

test('@ on a pinned range: finer components slide over the pin, others move', () => {
  assert.equal(show('day($start) @ 6h', START), range('2014-07-31T06:00:00Z', '2014-08-01T06:00:00Z'));
  assert.equal(show('day($start) @ 0h 30m', START), range('2014-08-01T00:30:00Z', '2014-08-02T00:30:00Z'));
  assert.equal(show('day($start) @ 15d', START), range('2014-08-15', '2014-08-16'));
  assert.equal(evalRange('day($start) @ 15d', START).pinnedTo, undefined);
  assert.equal(evalRange('day($start) @ 6h', START).pinnedTo?.us, at(START.start).us);
});

test('hour ranges', () => {
  const v = { s: '2014-08-01T10:20:00Z' };
  assert.equal(show('hour($s)', v), range('2014-08-01T10:00:00Z', '2014-08-01T11:00:00Z'));
  assert.equal(show('hour($s) + 30m', v), range('2014-08-01T09:30:00Z', '2014-08-01T10:30:00Z'));
  assert.equal(show('hour($s) + 15m', v), range('2014-08-01T10:15:00Z', '2014-08-01T11:15:00Z'));
  assert.equal(show('hour($s) + 1h', v), range('2014-08-01T11:00:00Z', '2014-08-01T12:00:00Z'));
  assert.equal(show('hour($s) + 61m', v), range('2014-08-01T11:01:00Z', '2014-08-01T12:01:00Z'));
  assert.equal(show('hour($s) @ 45m', v), range('2014-08-01T09:45:00Z', '2014-08-01T10:45:00Z'));
  assert.equal(show('hour($s) - 30m', v), range('2014-08-01T09:30:00Z', '2014-08-01T10:30:00Z'));
});

test('month ranges, across months of different lengths', () => {
  // February 2014: 28 days.
  const feb = { s: '2014-02-10T12:00:00Z' };
  assert.equal(show('month($s)', feb), range('2014-02-01', '2014-03-01'));
  assert.equal(show('month($s) + 5d', feb), range('2014-02-06', '2014-03-06'));
  // Feb 28 .. Mar 28 misses Feb 10: slide back one month, Jan 28 .. Feb 28.
  assert.equal(show('month($s) + 27d', feb), range('2014-01-28', '2014-02-28'));
  assert.equal(show('month($s) + 1mo', feb), range('2014-03-01', '2014-04-01'));
  assert.equal(show('month($s) + 40d', feb), range('2014-03-13', '2014-04-13'));
  assert.equal(show('month($s) + 28d', feb), range('2014-03-01', '2014-04-01'));
  assert.equal(show('month($s) - 1mo', feb), range('2014-01-01', '2014-02-01'));
  // January: 31 days. Slide forward is never needed for + but is for -.
  const jan = { s: '2014-01-31T12:00:00Z' };
  assert.equal(show('month($s)', jan), range('2014-01-01', '2014-02-01'));
  assert.equal(show('month($s) + 15d', jan), range('2014-01-16', '2014-02-16'));
  assert.equal(show('month($s) - 10d', jan), range('2014-01-22', '2014-02-22'));
  const early = { s: '2014-01-10T00:00:00Z' };
  assert.equal(show('month($s) + 15d', early), range('2013-12-16', '2014-01-16'));
  // March 31 begin: the neighbour before is Feb 28 .. Mar 31 (clamped, no gap).
  const march = { s: '2014-03-05T00:00:00Z' };
  assert.equal(show('month($s) @ 31d', march), range('2014-02-28', '2014-03-31'));
  assert.equal(show('month($s) @ 15d', march), range('2014-02-15', '2014-03-15'));
  // A month range beginning Jan 31 ends a month later, clamped to Feb 28.
  assert.equal(show('month($s) + 30d', { s: '2014-01-20' }), range('2014-01-31', '2014-02-28'));
  // @ clamps first (Feb 31 -> Feb 28), then the range slides back a month.
  assert.equal(show('month($s) @ 31d', { s: '2014-02-05' }), range('2014-01-28', '2014-02-28'));
  assert.equal(show('month($s) @ 31d', { s: '2014-01-05' }), range('2013-12-31', '2014-01-31'));
  assert.equal(show('month($s) @ 2mo', { s: '2014-08-05' }), range('2014-02-01', '2014-03-01'));
  // Leap February.
  assert.equal(show('month($s)', { s: '2016-02-29T23:00:00Z' }), range('2016-02-01', '2016-03-01'));
  assert.equal(show('month($s) + 1y', { s: '2016-02-29T23:00:00Z' }), range('2017-02-01', '2017-03-01'));
});

test('year ranges', () => {
  const v = { s: '2016-03-01T00:00:00Z' };
  assert.equal(show('year($s)', v), range('2016-01-01', '2017-01-01'));
  assert.equal(show('year($s) + 6mo', v), range('2015-07-01', '2016-07-01'));
  assert.equal(show('year($s) + 1mo', v), range('2016-02-01', '2017-02-01'));
  assert.equal(show('year($s) + 1y', v), range('2017-01-01', '2018-01-01'));
  assert.equal(show('year($s) + 12mo', v), range('2017-01-01', '2018-01-01'));
  // 2016 has 366 days.
  assert.equal(show('year($s) + 400d', v), range('2017-02-04', '2018-02-04'));
  assert.equal(show('year($s) - 1y', v), range('2015-01-01', '2016-01-01'));
  assert.equal(show('year($s) @ 4mo', v), range('2015-04-01', '2016-04-01'));
  assert.equal(show('year($s) @ 2mo 29d', { s: '2016-12-01' }), range('2016-02-29', '2017-02-28'));
  assert.equal(show('year($s) @ 2010y', v), range('2010-01-01', '2011-01-01'));
});

test('pinned ranges keep containing the pin, for many pins and shifts', () => {
  let seed = 7;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return Math.floor((seed / 2 ** 31) * n);
  };
  const shifts: [string, string][] = [
    ['hour', '+ 59m'],
    ['hour', '- 17m 3s'],
    ['day', '+ 23h'],
    ['day', '- 7h 30m'],
    ['month', '+ 27d 23h'],
    ['month', '- 20d'],
    ['year', '+ 11mo'],
    ['year', '- 200d'],
  ];
  for (let i = 0; i < 400; i++) {
    const pin = new Instant(rand(2 ** 30) * 1_000_000 + rand(1_000_000));
    const [unit, shift] = shifts[i % shifts.length] as [string, string];
    const r = parseTimex(`${unit}($p) ${shift}`).evaluate({ p: pin });
    assert.ok(r instanceof TimeRange);
    assert.ok(r.contains(pin), `${unit}(${pin.toISOString()}) ${shift} = ${String(r)}`);
    assert.equal(r.pinnedTo?.us, pin.us);
  }
});

test('unit-less numbers mean one step of the next-finer unit of a range', () => {
  const v = { s: '2014-08-01T01:00:00Z' };
  assert.equal(show('day($s) + 6', v), show('day($s) + 6h', v));
  assert.equal(show('day($s) @ 6', v), show('day($s) @ 6h', v));
  assert.equal(show('hour($s) + 15', v), show('hour($s) + 15m', v));
  assert.equal(show('hour($s) @ 15', v), show('hour($s) @ 15m', v));
  assert.equal(show('month($s) + 15', v), range('2014-07-16', '2014-08-16'));
  assert.equal(show('month($s) @ 15', v), range('2014-07-15', '2014-08-15'));
  assert.equal(show('year($s) + 6', v), show('year($s) + 6mo', v));
  assert.equal(show('year($s) @ 6', v), range('2014-06-01', '2015-06-01'));
  assert.equal(show('day($s) + 24', v), range('2014-08-02', '2014-08-03'));
  assert.equal(show('day($s) + 6 30m', v), range('2014-07-31T06:30:00Z', '2014-08-01T06:30:00Z'));
  // On `a to b`, the unit follows the length.
  const r = (a: string, b: string, op: string): string => show(`($a to $b) ${op}`, { a, b });
  assert.equal(r('2014-01-01', '2015-01-01', '+ 1'), range('2014-02-01', '2015-02-01'));
  assert.equal(r('2014-02-01', '2014-03-01', '+ 1'), range('2014-02-02', '2014-03-02'));
  assert.equal(r('2014-02-01', '2014-02-03', '+ 1'), range('2014-02-01T01:00:00Z', '2014-02-03T01:00:00Z'));
  assert.equal(
    r('2014-02-01T00:00:00Z', '2014-02-01T02:00:00Z', '- 1'),
    range('2014-01-31T23:59:00Z', '2014-02-01T01:59:00Z'),
  );
  assert.equal(
    r('2014-02-01T00:00:00Z', '2014-02-01T00:05:00Z', '+ 1'),
    range('2014-02-01T00:00:01Z', '2014-02-01T00:05:01Z'),
  );
  assert.equal(
    r('2014-02-01T00:00:00Z', '2014-02-01T00:00:05Z', '+ 1'),
    '[2014-02-01T00:00:00.000001Z, 2014-02-01T00:00:05.000001Z)',
  );
});

test('TimeRange: begin inclusive, end exclusive; JSON and string forms', () => {
  const r = evalRange('day($start) + 6h', START);
  assert.equal(r.contains(at('2014-07-31T06:00:00Z')), true);
  assert.equal(r.contains(at('2014-08-01T05:59:59.999999Z')), true);
  assert.equal(r.contains(at('2014-08-01T06:00:00Z')), false);
  assert.equal(r.contains(at('2014-07-31T05:59:59.999999Z')), false);
  assert.deepEqual(JSON.parse(JSON.stringify(r)), {
    begin: '2014-07-31T06:00:00.000000Z',
    end: '2014-08-01T06:00:00.000000Z',
    unit: 'day',
    pinned_to: '2014-08-01T01:00:00.000000Z',
  });
  assert.equal(String(r), '[2014-07-31T06:00:00.000000Z, 2014-08-01T06:00:00.000000Z)');
  const plain = new TimeRange(at('2014-01-01'), at('2014-01-02'));
  assert.deepEqual(plain.toJSON(), {
    begin: '2014-01-01T00:00:00.000000Z',
    end: '2014-01-02T00:00:00.000000Z',
  });
  // Equal ranges from different pins are equal values (distinguished_by buckets).
  const a = evalRange('day($t)', { t: '2014-08-01T01:00:00Z' });
  const b = evalRange('day($t)', { t: '2014-08-01T23:00:00Z' });
  assert.ok(a.equals(b));
  assert.ok(!a.equals(evalRange('day($t)', { t: '2014-08-02T00:00:00Z' })));
});
