import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Instant } from '../../src/model/instant.js';
import type { WaymarkEvent } from '../../src/model/event.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { emptyBatch, isSharedStore } from '../../src/store/store.js';
import { adminQuery, makePostgresStore, pgUrl, postgresUnavailable } from '../helpers/postgres.js';
import { serviceAvailable } from '../helpers/services.js';

function event(id: string, minute: number): WaymarkEvent {
  return {
    message_id: id,
    event_type: 'compute.instance.create.start',
    timestamp: Instant.parse(`2026-03-01T00:${String(minute).padStart(2, '0')}:00Z`),
    received: Instant.parse('2026-03-01T01:00:00Z'),
    traits: { instance_id: `i-${id}`, n: minute },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

if (serviceAvailable('postgres: several workers sharing a store', await postgresUnavailable())) {
  describe('postgres: a store shared by several workers', () => {
    test('enqueue stores and queues new events once, in order; duplicates (stored or repeated) are dropped', async (t) => {
      const { store, cleanup } = await makePostgresStore();
      t.after(cleanup);
      assert.ok(isSharedStore(store));
      const first = await store.enqueue([event('a', 1), event('b', 2), event('a', 1)], []);
      assert.deepEqual(first, { accepted: 2, duplicates: 1 });
      const second = await store.enqueue(
        [event('b', 2), event('c', 3)],
        [
          {
            source: 'http',
            reason: 'broken JSON',
            payload: '{',
            received: Instant.parse('2026-03-01T01:00:00Z'),
          },
        ],
      );
      assert.deepEqual(second, { accepted: 1, duplicates: 1 });
      assert.equal(await store.countDeadLetters(), 1);
      const queued = await store.queued(10);
      assert.deepEqual(
        queued.map((q) => q.event.message_id),
        ['a', 'b', 'c'],
      );
      assert.ok(queued[0]!.seq < queued[1]!.seq && queued[1]!.seq < queued[2]!.seq);
      assert.deepEqual(queued[2]!.event.traits, { instance_id: 'i-c', n: 3 });
      assert.equal(queued[2]!.event.timestamp.toISOString(), '2026-03-01T00:03:00.000000Z');
      assert.equal(await store.queueDepth(), 3);
      assert.equal((await store.queued(2)).length, 2);
      // Queued events are stored (the API sees them) but the event clock resumes only from correlated ones.
      assert.equal(await store.countEvents({}), 3);
      assert.equal(await store.latestEventTimestamp(), undefined);
    });

    test('two workers enqueueing overlapping batches at once: every event stored and queued exactly once, no deadlock', async (t) => {
      const { store, schema, cleanup } = await makePostgresStore();
      const other = new PostgresStore({ url: pgUrl({ schema, pool: '4' }) });
      await other.open();
      t.after(async () => {
        await other.close();
        await cleanup();
      });
      const ids = Array.from({ length: 3000 }, (_, i) => `m-${i}`);
      const batches = (reverse: boolean) => {
        const list = reverse ? [...ids].reverse() : ids;
        const out: WaymarkEvent[][] = [];
        for (let i = 0; i < list.length; i += 300)
          out.push(list.slice(i, i + 300).map((id, j) => event(id, j % 60)));
        return out;
      };
      const results = await Promise.all([
        Promise.all(batches(false).map((b) => store.enqueue(b, []))),
        Promise.all(batches(true).map((b) => other.enqueue(b, []))),
      ]);
      const accepted = results.flat().reduce((n, r) => n + r.accepted, 0);
      assert.equal(accepted, ids.length);
      assert.equal(await store.queueDepth(), ids.length);
      assert.equal(await store.countEvents({}), ids.length);
    });

    test('the correlator lease: one holder at a time, taken over after expiry, and a fenced commit of the old holder writes nothing', async (t) => {
      const { store, schema, cleanup } = await makePostgresStore();
      const other = new PostgresStore({ url: pgUrl({ schema, pool: '2' }) });
      await other.open();
      t.after(async () => {
        await other.close();
        await cleanup();
      });
      await store.enqueue([event('q1', 1), event('q2', 2)], []);
      const a = await store.acquireLease('worker-a', 400);
      assert.ok(a !== undefined);
      assert.equal(await other.acquireLease('worker-b', 400), undefined, 'held: not given to another');
      assert.equal((await other.leaseHolder())?.holder, 'worker-a');
      assert.equal(await store.renewLease(a), true);

      // A fenced commit under the held lease: writes, deletes the queue entries it names, extends the lease.
      const [q1] = await store.queued(1);
      await store.commit({ ...emptyBatch(), events: [event('emitted-1', 5)], dequeued: [q1!.seq], fence: a });
      assert.deepEqual(
        (await store.queued(10)).map((q) => q.event.message_id),
        ['q2'],
      );
      assert.equal((await store.latestEventTimestamp())?.toISOString(), '2026-03-01T00:05:00.000000Z');

      await sleep(600); // a stops renewing: the lease expires
      const b = await other.acquireLease('worker-b', 10_000);
      assert.ok(b !== undefined, 'an expired lease is taken over');
      assert.ok(b.epoch > a.epoch);
      assert.equal(await store.renewLease(a), false);
      const [q2] = await store.queued(1);
      await assert.rejects(
        store.commit({ ...emptyBatch(), events: [event('late', 9)], dequeued: [q2!.seq], fence: a }),
        /lease \(epoch \d+\) is no longer held by worker-a/,
      );
      assert.equal(await store.getEvent('late'), undefined, 'the fenced commit wrote nothing');
      assert.equal(await store.queueDepth(), 1, 'nor dequeued anything');
      assert.equal(await store.acquireLease('worker-a', 400), undefined);

      // The same holder taking its lease again gets a new epoch: its older engine is fenced out too.
      const b2 = await other.acquireLease('worker-b', 10_000);
      assert.ok(b2 !== undefined && b2.epoch > b.epoch);
      await assert.rejects(
        other.commit({ ...emptyBatch(), events: [event('x', 9)], fence: b }),
        /no longer held/,
      );
      // Released: another worker takes it at once.
      await other.releaseLease(b2);
      assert.equal(await other.leaseHolder(), undefined);
      assert.ok((await store.acquireLease('worker-a', 400)) !== undefined);
    });

    test('trimming keeps events still queued for correlation', async (t) => {
      const { store, cleanup } = await makePostgresStore();
      t.after(cleanup);
      await store.enqueue([event('old-queued', 1)], []);
      await store.commit({ ...emptyBatch(), events: [event('old-done', 2)] });
      assert.equal(await store.trimEvents(Instant.parse('2026-03-02T00:00:00Z')), 1);
      assert.ok((await store.getEvent('old-queued')) !== undefined);
      assert.equal(await store.getEvent('old-done'), undefined);
    });

    test('a worker whose connections are terminated mid-enqueue retries: nothing lost, nothing doubled', async (t) => {
      const { store, schema, cleanup } = await makePostgresStore({
        application_name: 'waymark_enqueue_test',
      });
      void schema;
      t.after(cleanup);
      const work = Array.from({ length: 30 }, (_, b) =>
        Array.from({ length: 300 }, (_, i) => event(`t-${b}-${i}`, i % 60)),
      );
      let terminated = 0;
      let done = false;
      const kill = (async () => {
        while (!done && terminated < 5) {
          await sleep(10);
          const rows = await adminQuery(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE application_name = 'waymark_enqueue_test' AND state = 'active'`,
          );
          terminated += rows.filter((r) => r[0] === true).length;
        }
      })();
      let accepted = 0;
      try {
        for (const b of work) accepted += (await store.enqueue(b, [])).accepted;
      } finally {
        done = true;
        await kill;
      }
      assert.ok(terminated > 0, 'some enqueue was cut off mid-transaction');
      assert.equal(accepted, 9000);
      assert.equal(await store.queueDepth(), 9000);
      assert.equal(await store.countEvents({}), 9000);
    });
  });
}
