import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageIdFilter } from '../../src/store/duckdb/message-id-filter.js';
import { messageIdHash } from '../../src/store/duckdb/message-id-hash.js';

test('message-id hashes are 53-bit integers, stable, and spread', () => {
  assert.equal(
    messageIdHash('9f8d8643-9ea0-4260-807b-3479c1c4eb48'),
    messageIdHash('9f8d8643-9ea0-4260-807b-3479c1c4eb48'),
  );
  const seen = new Set<number>();
  for (let i = 0; i < 100_000; i++) {
    const h = messageIdHash(`req-${i}`);
    assert.ok(Number.isSafeInteger(h) && h >= 0, String(h));
    seen.add(h);
  }
  assert.equal(seen.size, 100_000);
  assert.notEqual(messageIdHash(''), messageIdHash('\u0000'));
});

test('the filter never forgets an id, and rarely claims one it never saw', () => {
  const n = 50_000;
  const filter = new MessageIdFilter(n);
  for (let i = 0; i < n; i++) filter.add(messageIdHash(`stored-${i}`));
  for (let i = 0; i < n; i++) assert.ok(filter.mayContain(messageIdHash(`stored-${i}`)), `stored-${i}`);
  let falseMaybes = 0;
  for (let i = 0; i < 200_000; i++) if (filter.mayContain(messageIdHash(`new-${i}`))) falseMaybes++;
  assert.ok(falseMaybes < 20, `${falseMaybes} false maybes in 200,000 (expected about 2)`);
  assert.equal(filter.full, false);
  filter.add(messageIdHash('one more'));
  assert.equal(filter.full, true);
  assert.equal(filter.size, n + 1);
});
