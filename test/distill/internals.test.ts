// The fast paths behind the distiller, checked against independent oracles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDatetime } from '../../src/distill/fast-time.js';
import { pySplitSegment } from '../../src/distill/path.js';
import { Distiller } from '../../src/distill/index.js';
import { Instant } from '../../src/model/instant.js';

test('the fast datetime parser agrees with Instant.tryParse everywhere', () => {
  const samples = [
    '2014-06-11 16:09:41.123456',
    '2014-06-11T16:09:41.123456Z',
    '2014-06-11 16:09:41',
    '2014-06-11T16:09:41Z',
    '2016-02-29 23:59:59.999999',
    '2015-02-29 10:00:00.000000', // no such day
    '2014-06-11 24:00:00.000000',
    '2014-13-11 10:00:00',
    '2014-06-11 16:09:41.12345a',
    '2014-06-11x16:09:41.123456',
    '2014-06-11 16:09:41.123456+02:00',
    '2014-06-11T16:09:41.123456X',
    '0000-01-01 00:00:00',
    '1402502981.5',
    '',
    'yesterday',
    1402502981.25,
    null,
    {},
  ];
  for (const s of samples) {
    assert.equal(parseDatetime(s)?.us, Instant.tryParse(s)?.us, JSON.stringify(s));
  }
  // And over a sweep of real timestamps in both common forms.
  for (let us = 1_000_000_000_000_000; us < 2_000_000_000_000_000; us += 12_345_678_901_234) {
    const t = new Instant(us);
    assert.equal(parseDatetime(t.toOpenStack())?.us, us);
    assert.equal(parseDatetime(t.toISOString())?.us, us);
  }
});

test("split follows Python's str.split(sep, maxsplit)[segment]", () => {
  // Expected values written from Python 3.
  const cases: [string, string, number, number | undefined, string | undefined][] = [
    ['compute.host-1.example.com', '.', 0, undefined, 'compute'],
    ['compute.host-1.example.com', '.', 1, 1, 'host-1.example.com'],
    ['compute.host-1.example.com', '.', 1, undefined, 'host-1'],
    ['compute.host-1.example.com', '.', 2, 1, undefined],
    ['compute.host-1.example.com', '.', -1, undefined, 'com'],
    ['compute.host-1.example.com', '.', -1, 1, 'host-1.example.com'],
    ['compute.host-1.example.com', '.', -5, undefined, undefined],
    ['compute', '.', 0, 1, 'compute'],
    ['compute', '.', 1, 1, undefined],
    ['a..b', '.', 1, undefined, ''],
    ['a::b::c', '::', 2, -1, 'c'],
    ['a.b.c', '.', 0, 0, 'a.b.c'],
  ];
  for (const [s, sep, seg, max, want] of cases) {
    assert.equal(pySplitSegment(s, sep, seg, max), want, `${s} ${sep} ${seg} ${max}`);
  }
});

test('a trait named __proto__ is refused rather than corrupting events', () => {
  assert.throws(
    () => Distiller.fromText("- {event_type: '*', traits: {__proto__: {fields: payload.x}}}"),
    /"__proto__" is reserved/,
  );
});

test('generated trait readers and the generic path give the same events', () => {
  // Inline-able (plain keys) and not (filters, wildcards, inline split, plugins) side by side.
  const d = Distiller.fromText(`
- event_type: '*'
  traits:
    a: {fields: [payload.missing, payload.a]}
    a2: {fields: ['payload[missing]', 'payload[*].zz', 'payload.a']}
    top: {fields: publisher_id}
    top2: {fields: 'publisher_id.\`split(., 0, -1)\`'}
    n: {type: int, fields: payload.nested.n}
    n2: {type: int, fields: 'payload.nested[?k=v].n'}
`);
  const out = d.distill({
    message_id: 'm',
    event_type: 'x',
    timestamp: '2014-06-11 16:09:41',
    publisher_id: 'svc.host',
    payload: { a: 'A', nested: { n: '7', k: 'v' } },
  });
  assert.equal(out.status, 'event');
  const traits = (out as { event: { traits: Record<string, unknown> } }).event.traits;
  assert.deepEqual(traits, { a: 'A', a2: 'A', top: 'svc.host', top2: 'svc', n: 7, service: 'svc' });
});
