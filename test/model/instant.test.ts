import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Instant,
  civilFromDays,
  daysFromCivil,
  formatIso,
  formatOpenStack,
  parseMicros,
  tryParseMicros,
} from '../../src/model/instant.js';
import { TimeFormatError } from '../../src/model/errors.js';

test('OpenStack timestamps keep every microsecond', () => {
  const t = Instant.parse('2014-06-11 16:09:41.123456');
  assert.equal(t.toISOString(), '2014-06-11T16:09:41.123456Z');
  assert.equal(t.toOpenStack(), '2014-06-11 16:09:41.123456');
  assert.equal(t.us, Date.UTC(2014, 5, 11, 16, 9, 41) * 1000 + 123456);
});

test('ISO-8601 with and without zone; without zone means UTC', () => {
  assert.equal(Instant.parse('2014-06-11T16:09:41Z').toISOString(), '2014-06-11T16:09:41.000000Z');
  assert.equal(Instant.parse('2014-06-11T16:09:41').toISOString(), '2014-06-11T16:09:41.000000Z');
  assert.equal(Instant.parse('2014-06-11T18:09:41.5+02:00').toISOString(), '2014-06-11T16:09:41.500000Z');
  assert.equal(Instant.parse('2014-06-11T10:39:41-0530').toISOString(), '2014-06-11T16:09:41.000000Z');
  assert.equal(Instant.parse('2014-06-11').toISOString(), '2014-06-11T00:00:00.000000Z');
  assert.equal(Instant.parse('2014-06-11T16:09').toISOString(), '2014-06-11T16:09:00.000000Z');
});

test('fractions longer than microseconds are truncated, shorter ones padded', () => {
  assert.equal(Instant.parse('2014-06-11T16:09:41.123456789Z').toISOString(), '2014-06-11T16:09:41.123456Z');
  assert.equal(Instant.parse('2014-06-11 16:09:41.1').toISOString(), '2014-06-11T16:09:41.100000Z');
});

test('epoch seconds, as numbers and as strings', () => {
  assert.equal(Instant.parse(1402502981.123456).toISOString(), '2014-06-11T16:09:41.123456Z');
  assert.equal(Instant.parse('1402502981').toISOString(), '2014-06-11T16:09:41.000000Z');
  assert.equal(Instant.parse(0).toISOString(), '1970-01-01T00:00:00.000000Z');
});

test('format then parse is lossless across a wide range', () => {
  for (const us of [
    0, 1, -1, 1402502981123456, 951782400000000 /* 2000-02-29 */, 4102444799999999, -86400000001,
  ]) {
    assert.equal(parseMicros(formatIso(us)), us, formatIso(us));
  }
});

test('calendar conversion agrees with Date for every day of 1900-2100', () => {
  for (let d = daysFromCivil(1900, 1, 1); d < daysFromCivil(2100, 1, 1); d += 1) {
    const js = new Date(d * 86400000);
    const c = civilFromDays(d);
    assert.deepEqual([c.year, c.month, c.day], [js.getUTCFullYear(), js.getUTCMonth() + 1, js.getUTCDate()]);
  }
});

test('invalid timestamps are rejected with a message that says what is accepted', () => {
  for (const bad of [
    '2014-02-30 00:00:00',
    '2014-13-01',
    '2014-06-11 24:00:00',
    'yesterday',
    '',
    '2014-06-11T16:09:41+25:00',
  ]) {
    assert.equal(tryParseMicros(bad), undefined, bad);
    assert.throws(
      () => parseMicros(bad),
      (e: unknown) => e instanceof TimeFormatError && /expected/.test(e.message),
    );
  }
  assert.equal(tryParseMicros(null), undefined);
  assert.equal(tryParseMicros(Number.NaN), undefined);
  assert.equal(tryParseMicros({}), undefined);
});

test('JSON and comparison use the ISO form and the microseconds', () => {
  const a = Instant.parse('2014-06-11 16:09:41.000001');
  const b = Instant.parse('2014-06-11 16:09:41.000002');
  assert.equal(JSON.stringify({ a }), '{"a":"2014-06-11T16:09:41.000001Z"}');
  assert.ok(a < b);
  assert.equal(b.us - a.us, 1);
});

test('the fast formatter agrees with Date for random instants, across day boundaries and years', () => {
  let x = 12345;
  for (let i = 0; i < 5000; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const ms = (x % 4_000_000) * 1_000_000 - 1e12; // ~1938 .. ~2096
    const micro = (x >>> 3) % 1000;
    const us = ms * 1000 + micro;
    const want = new Date(ms).toISOString().replace('Z', String(micro).padStart(3, '0') + 'Z');
    assert.equal(formatIso(us), want);
    assert.equal(formatOpenStack(us), want.replace('T', ' ').replace('Z', ''));
  }
});
