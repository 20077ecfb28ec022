import { test } from 'node:test';
import assert from 'node:assert/strict';
import { iso, show } from './helpers.js';

test('months add calendar-wise and clamp at the end of the month', () => {
  assert.equal(show('$t + 1mo', { t: '2014-01-31T10:00:00Z' }), iso('2014-02-28T10:00:00Z'));
  assert.equal(show('$t + 1mo', { t: '2016-01-31T10:00:00Z' }), iso('2016-02-29T10:00:00Z'));
  assert.equal(show('$t + 1mo', { t: '2014-03-31T00:00:00Z' }), iso('2014-04-30'));
  assert.equal(show('$t - 1mo', { t: '2014-03-31T00:00:00Z' }), iso('2014-02-28'));
  assert.equal(show('$t - 1mo', { t: '2016-03-30T00:00:00Z' }), iso('2016-02-29'));
  assert.equal(show('$t + 2mo', { t: '2014-01-31' }), iso('2014-03-31'));
  // Left to right, each step clamps: the second month starts from Feb 28.
  assert.equal(show('$t + 1mo + 1mo', { t: '2014-01-31' }), iso('2014-03-28'));
  // Across year ends, both ways.
  assert.equal(show('$t + 1mo', { t: '2014-12-31T23:59:59.999999Z' }), '2015-01-31T23:59:59.999999Z');
  assert.equal(show('$t - 1mo', { t: '2014-01-15' }), iso('2013-12-15'));
  assert.equal(show('$t + 25mo', { t: '2014-11-30' }), iso('2016-12-30'));
  assert.equal(show('$t - 13mo', { t: '2014-03-31' }), iso('2013-02-28'));
});

test('years add calendar-wise; Feb 29 clamps to Feb 28', () => {
  assert.equal(show('$t + 1y', { t: '2016-02-29T12:00:00Z' }), iso('2017-02-28T12:00:00Z'));
  assert.equal(show('$t - 1y', { t: '2016-02-29T12:00:00Z' }), iso('2015-02-28T12:00:00Z'));
  assert.equal(show('$t + 4y', { t: '2016-02-29' }), iso('2020-02-29'));
  assert.equal(show('$t + 1y', { t: '2014-08-01' }), iso('2015-08-01'));
  assert.equal(show('$t + 1yr 1mo', { t: '2015-01-29' }), iso('2016-02-29'));
  // 2100 is not a leap year.
  assert.equal(show('$t + 4y', { t: '2096-02-29' }), iso('2100-02-28'));
});

test('calendar units apply before the fixed part', () => {
  // Jan 31 + 1mo = Feb 28, then + 1d = Mar 1 (not Feb 1 + 1mo = Mar 1 by luck: check Jan 30).
  assert.equal(show('$t + 1mo 1d', { t: '2014-01-30' }), iso('2014-03-01'));
  assert.equal(show('$t + 1d 1mo', { t: '2014-01-30' }), iso('2014-03-01'));
  assert.equal(show('$t - 1mo 1d', { t: '2014-03-31' }), iso('2014-02-27'));
});

test('@ clamps a day that does not exist in the month', () => {
  assert.equal(show('$t @ 2mo 31d', { t: '2014-08-07T05:00:00Z' }), iso('2014-02-28T05:00:00Z'));
  assert.equal(show('$t @ 2mo 31d', { t: '2016-08-07T05:00:00Z' }), iso('2016-02-29T05:00:00Z'));
  assert.equal(show('$t @ 2mo', { t: '2014-01-31' }), iso('2014-02-28'));
  assert.equal(show('$t @ 31d', { t: '2014-04-10' }), iso('2014-04-30'));
  assert.equal(show('$t @ 2015y', { t: '2016-02-29' }), iso('2015-02-28'));
  assert.equal(show('$t @ 2016y 2mo 29d', { t: '2014-08-07' }), iso('2016-02-29'));
  assert.equal(
    show('$t @ 12mo 31d 23h 59m 59s 999999us', { t: '2014-01-01' }),
    '2014-12-31T23:59:59.999999Z',
  );
});

test('times before 1970 work the same', () => {
  assert.equal(show('$t + 1mo', { t: '1960-01-31T06:00:00Z' }), iso('1960-02-29T06:00:00Z'));
  assert.equal(show('day($t)', { t: '1969-12-31T23:59:59Z' }).slice(1, 28), iso('1969-12-31'));
  assert.equal(show('$t @ 0h 0m 0s', { t: '1969-12-31T23:59:59Z' }), iso('1969-12-31'));
});
