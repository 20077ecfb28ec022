import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Instant } from '../../../src/model/instant.js';
import { TimeRange } from '../../../src/timex/index.js';
import { at, batch, ev, ids, plain, plainStream, stream } from '../fixtures.js';
import { withStore, type MakeStore } from './with-store.js';

export function writeTests(make: MakeStore): void {
  test('open is idempotent; the store names itself and its capabilities', () =>
    withStore(make, async (store) => {
      await store.open();
      assert.equal(typeof store.name, 'string');
      assert.equal(typeof store.capabilities.durable, 'boolean');
      assert.equal(store.capabilities.supportsSkipLocked, false);
      assert.equal(await store.maxStreamId(), 0);
      assert.equal(await store.latestEventTimestamp(), undefined);
      assert.equal(await store.countEvents({}), 0);
    }));

  test('events round-trip exactly: instants to the microsecond, traits of all three types', () =>
    withStore(make, async (store) => {
      const events = [
        ev('pre-1970', 'x.old', new Instant(-1_234_567_890_123_457), {
          when: Instant.parse('1930-11-16T01:28:29.876543Z'),
        }),
        ev('epoch', 'x.epoch', new Instant(0)),
        ev('micro', 'x.now', new Instant(1_402_502_400_000_001), {
          text: 'hello',
          unicode: 'é😀 "quoted" \\ slash/',
          int: 42,
          negative: -7,
          float: 2.5,
          safe: 2 ** 53 - 1,
          launched_at: Instant.parse('2014-06-11T16:09:41.123456Z'),
          not_canonical: '2014-06-11T16:09:41Z',
          'odd/name~"key"': 'odd',
        }),
        ev('far-future', 'x.future', Instant.parse('2250-12-31T23:59:59.999999Z'), {
          when: Instant.parse('2250-01-01T00:00:00.000001Z'),
        }),
      ];
      await store.commit(batch({ events }));
      for (const e of events) {
        const got = await store.getEvent(e.message_id);
        assert.deepEqual(plain(got === undefined ? [] : [got]), plain([e]), e.message_id);
        assert.ok(got?.timestamp instanceof Instant);
      }
      const micro = await store.getEvent('micro');
      assert.ok(micro?.traits['launched_at'] instanceof Instant);
      assert.equal(micro.traits['not_canonical'], '2014-06-11T16:09:41Z');
      assert.equal(micro.traits['int'], 42);
      assert.equal(await store.getEvent('missing'), undefined);
      assert.equal((await store.latestEventTimestamp())?.us, Instant.parse('2250-12-31T23:59:59.999999Z').us);
    }));

  test('a text trait in the canonical datetime form reads back as a datetime, as from JSON', () =>
    withStore(make, async (store) => {
      await store.commit(batch({ events: [ev('a', 't', at(0), { when: '2014-06-11T16:09:41.123456Z' })] }));
      const got = await store.getEvent('a');
      assert.ok(got?.traits['when'] instanceof Instant);
      assert.equal(got.traits['when'].toISOString(), '2014-06-11T16:09:41.123456Z');
    }));

  test('stored events are copies: changing what was committed or read changes nothing stored', () =>
    withStore(make, async (store) => {
      const e = ev('a', 't', at(0), { n: 1 });
      await store.commit(batch({ events: [e] }));
      e.traits['n'] = 2;
      const got = await store.getEvent('a');
      assert.ok(got !== undefined);
      got.traits['n'] = 3;
      assert.equal((await store.getEvent('a'))?.traits['n'], 1);
    }));

  test('a stored message_id is ignored, within a batch and across batches (the first one stays)', () =>
    withStore(make, async (store) => {
      await store.commit(
        batch({ events: [ev('a', 'first', at(0)), ev('a', 'second', at(5)), ev('b', 't', at(1))] }),
      );
      await store.commit(batch({ events: [ev('a', 'third', at(9)), ev('c', 't', at(2))] }));
      assert.equal(await store.countEvents({}), 3);
      assert.equal((await store.getEvent('a'))?.event_type, 'first');
      assert.deepEqual(ids((await store.queryEvents({})).items), ['a', 'b', 'c']);
    }));

  test('a failing batch leaves nothing behind, and the store stays usable', () =>
    withStore(make, async (store) => {
      await store.commit(batch({ events: [ev('e0', 't', at(0))], streams: [stream(9)] }));
      const good = {
        events: [ev('e1', 't', at(1)), ev('e2', 't', at(2))],
        memberships: [
          { streamId: 1, messageId: 'e1' },
          { streamId: 9, messageId: 'e2' },
        ],
        deadLetters: [{ received: at(3), source: 'http', reason: 'not JSON', payload: '{' }],
        outcomes: [
          {
            streamId: 9,
            pipeline: 'p',
            kind: 'fire' as const,
            attempt: 1,
            status: 'committed' as const,
            error: null,
            started: at(4),
            finished: at(5),
            emitted: 0,
          },
        ],
        meterSamples: [{ meter: 'm', kind: 'sample' as const, value: 1.5, streamId: 9, at: at(5) }],
        deletedStreams: [9],
      };
      const bad = stream(2, { state: 'bogus' as never });
      await assert.rejects(store.commit(batch({ ...good, streams: [stream(1), bad] })), {
        name: 'StoreCommitError',
      });
      assert.equal(await store.countEvents({}), 1);
      assert.equal(await store.getEvent('e1'), undefined);
      assert.equal(await store.getStream(1), undefined);
      assert.equal((await store.getStream(9))?.id, 9, 'the deletion in the failed batch did not happen');
      assert.deepEqual(await store.streamsOfEvent('e2'), []);
      assert.equal(await store.countDeadLetters(), 0);
      assert.deepEqual(await store.pipelineOutcomes({}), []);
      assert.deepEqual(await store.meterSamples(), []);
      assert.equal(await store.maxStreamId(), 9);

      await store.commit(batch({ ...good, streams: [stream(1)] }));
      assert.equal(await store.countEvents({}), 3);
      assert.deepEqual(await store.streamsOfEvent('e1'), [1]);
      assert.equal(await store.getStream(9), undefined);
      assert.equal(await store.countDeadLetters(), 1);
      assert.equal((await store.deadLetters({}))[0]?.id, 1, 'the failed batch used no dead-letter id');
    }));

  test('a batch with a value no store can keep is refused whole', () =>
    withStore(make, async (store) => {
      const sample = { meter: 'm', kind: 'sample' as const, value: Number.NaN, streamId: 1, at: at(0) };
      await assert.rejects(store.commit(batch({ events: [ev('a', 't', at(0))], meterSamples: [sample] })), {
        name: 'StoreCommitError',
      });
      await assert.rejects(store.commit(batch({ events: [ev('b', 't', new Instant(1.5))] })), {
        name: 'StoreCommitError',
      });
      assert.equal(await store.countEvents({}), 0);
      assert.deepEqual(await store.meterSamples(), []);
    }));

  test('a closed store refuses commits and reads; close is idempotent', async () => {
    const { store, cleanup } = await make();
    try {
      await store.commit(batch({ events: [ev('a', 't', at(0))] }));
      await store.close();
      await store.close();
      await assert.rejects(store.commit(batch({ events: [ev('b', 't', at(1))] })), {
        name: 'StoreClosedError',
      });
      await assert.rejects(store.queryEvents({}), { name: 'StoreClosedError' });
      await assert.rejects(store.getStream(1), { name: 'StoreClosedError' });
      await assert.rejects(store.open(), { name: 'StoreClosedError' });
    } finally {
      await cleanup();
    }
  });

  test('concurrent commits are applied one at a time, all of them', () =>
    withStore(make, async (store) => {
      const commits = Array.from({ length: 20 }, (_, b) =>
        store.commit(
          batch({
            // 50 events per batch, ids overlapping the next batch's by 10
            events: Array.from({ length: 50 }, (_, i) => ev(`m${b * 40 + i}`, 't', at(b * 40 + i))),
            streams: [stream(b + 1, { eventCount: b })],
          }),
        ),
      );
      await Promise.all(commits);
      assert.equal(await store.countEvents({}), 19 * 40 + 50);
      assert.equal(await store.countStreams({}), 20);
      assert.equal(await store.maxStreamId(), 20);
    }));

  test('a read while a commit runs sees all of the batch or none of it', () =>
    withStore(make, async (store) => {
      const events = Array.from({ length: 3000 }, (_, i) => ev(`r${i}`, 't', at(i)));
      const memberships = events.map((e) => ({ streamId: 1, messageId: e.message_id }));
      const committing = store.commit(batch({ events, memberships, streams: [stream(1)] }));
      // Each read is atomic on its own; two reads in parallel may run on either side of the commit
      // (stores read on several connections), so each is checked by itself.
      const [n, members, s] = await Promise.all([
        store.countEvents({}),
        store.streamEvents(1),
        store.getStream(1),
      ]);
      assert.ok(n === 0 || n === 3000, `saw ${n} events`);
      assert.ok(members.length === 0 || members.length === 3000, `saw ${members.length} members`);
      assert.ok(s === undefined || s.id === 1);
      await committing;
      assert.equal(await store.countEvents({}), 3000);
      assert.equal((await store.streamEvents(1)).length, 3000);
    }));

  test('streams are inserted and replaced whole by id; the last of a batch wins', () =>
    withStore(make, async (store) => {
      const range = new TimeRange(at(0), at(86_400));
      const first = stream(3, { distinguishedBy: { instance_id: 'i-3', day: range }, fireAt: at(60) });
      await store.commit(batch({ streams: [first] }));
      assert.deepEqual(plainStream(await store.getStream(3)), plainStream(first));
      const got = await store.getStream(3);
      assert.ok(got?.distinguishedBy['day'] instanceof TimeRange);
      assert.ok(got.distinguishedBy['day'].equals(range));

      const firing = stream(3, {
        state: 'error',
        fireAt: null,
        eventCount: 7,
        attempts: 2,
        retryAt: at(120),
        lastError: 'webhook: 503',
        updatedAt: at(100),
        distinguishedBy: { instance_id: 'i-3', day: range },
      });
      const done = {
        ...firing,
        state: 'completed' as const,
        outcome: 'fired' as const,
        retryAt: null,
        lastError: null,
      };
      await store.commit(batch({ streams: [firing, stream(4), done] }));
      assert.deepEqual(plainStream(await store.getStream(3)), plainStream(done));
      assert.equal(await store.countStreams({}), 2);
      assert.equal(await store.maxStreamId(), 4);
    }));

  test('a stream row keeps every instant exactly, before 1970 and far ahead', () =>
    withStore(make, async (store) => {
      const s = stream(1, {
        first: new Instant(-999_999_999_999),
        last: new Instant(-1),
        fireAt: new Instant(1),
        expireAt: Instant.parse('2250-06-01T00:00:00.000007Z'),
        retryAt: new Instant(0),
        updatedAt: new Instant(1_402_502_400_000_001),
        distinguishedBy: { n: 512, f: 0.25, when: Instant.parse('1960-01-01T00:00:00.000001Z') },
      });
      await store.commit(batch({ streams: [s] }));
      assert.deepEqual(plainStream(await store.getStream(1)), plainStream(s));
    }));
}
