import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InstancePool } from '../../src/generate/instance-pool.js';
import { Rng } from '../../src/generate/rng.js';

test('acquire returns only idle instances and holds them busy', () => {
  const pool = new InstancePool();
  pool.add('a', 0, 100, {});
  pool.add('b', 0, 10, {});
  const rng = new Rng(1);
  const got = pool.acquire(rng, 50, 200);
  assert.equal(got?.id, 'b');
  assert.equal(pool.acquire(rng, 50, 200), undefined, 'a is busy until 100, b now until 200');
  assert.equal(pool.acquire(rng, 150, 300)?.id, 'a');
});

test('removal keeps every other instance reachable, in any order', () => {
  const pool = new InstancePool();
  const ids = Array.from({ length: 50 }, (_, i) => `i${i}`);
  for (const id of ids) pool.add(id, 0, 0, {});
  const rng = new Rng(9);
  const removed = new Set<string>();
  for (let k = 0; k < 30; k++) {
    const id = rng.pick(ids.filter((x) => !removed.has(x)));
    pool.remove(id);
    removed.add(id);
  }
  pool.remove('i-unknown');
  assert.equal(pool.size, 20);
  const live = new Set([...pool.live()].map((x) => x.id));
  assert.deepEqual(live, new Set(ids.filter((x) => !removed.has(x))));
  // Every live instance can still be acquired exactly once.
  const seen = new Set<string>();
  for (let k = 0; k < 20; k++) seen.add(pool.acquire(rng, 1, 10)?.id ?? 'none');
  assert.deepEqual(seen, live);
  assert.equal(pool.acquire(rng, 1, 10), undefined);
});
