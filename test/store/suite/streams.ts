import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Store, StreamQuery } from '../../../src/store/store.js';
import { TimeRange } from '../../../src/timex/index.js';
import { at, batch, ev, ids, stream } from '../fixtures.js';
import { withStore, type MakeStore } from './with-store.js';

const DAY = new TimeRange(at(0), at(86_400));

const STREAMS = [
  stream(1, {
    trigger: 'build_time',
    state: 'active',
    last: at(10),
    distinguishedBy: { instance_id: 'i-1' },
  }),
  stream(2, {
    trigger: 'build_time',
    state: 'completed',
    outcome: 'fired',
    last: at(20),
    distinguishedBy: { instance_id: 'i-2' },
  }),
  stream(3, {
    trigger: 'usage',
    state: 'ready',
    last: at(30),
    distinguishedBy: { instance_id: 'i-1', day: DAY },
  }),
  stream(4, {
    trigger: 'usage',
    state: 'error',
    last: at(40),
    distinguishedBy: { tenant: 'acme', memory_mb: 512, launched_at: at(100) },
  }),
  stream(5, {
    trigger: 'build_time',
    state: 'expire_error',
    last: at(50),
    distinguishedBy: { instance_id: 'i-5' },
  }),
];

async function check(store: Store, query: StreamQuery, expected: number[], label: string): Promise<void> {
  assert.deepEqual(
    (await store.queryStreams(query)).items.map((s) => s.id),
    expected,
    label,
  );
  assert.equal(await store.countStreams(query), expected.length, `count: ${label}`);
}

export function streamTests(make: MakeStore): void {
  test('stream queries: states, trigger, distinguishing values (text, number, datetime, range), age', () =>
    withStore(make, async (store) => {
      await store.commit(batch({ streams: STREAMS.filter((s) => [5, 2, 1].includes(s.id)) }));
      await store.commit(batch({ streams: STREAMS.filter((s) => [4, 3].includes(s.id)) }));
      const cases: [StreamQuery, number[]][] = [
        [{}, [1, 2, 3, 4, 5]],
        [{ states: ['active', 'ready'] }, [1, 3]],
        [{ states: [] }, [1, 2, 3, 4, 5]],
        [{ trigger: 'usage' }, [3, 4]],
        [{ trigger: 'build_time', states: ['completed', 'expire_error'] }, [2, 5]],
        [{ distinguishedBy: { instance_id: 'i-1' } }, [1, 3]],
        [{ distinguishedBy: { day: '[2014-06-11T16:00:00.000000Z, 2014-06-12T16:00:00.000000Z)' } }, [3]],
        [{ distinguishedBy: { day: '[2014-06-11T16:00:00.000000Z, 2014-06-12T16:00:00.000001Z)' } }, []],
        [{ distinguishedBy: { memory_mb: '512' } }, [4]],
        [{ distinguishedBy: { launched_at: at(100).toISOString() } }, [4]],
        [{ distinguishedBy: { instance_id: 'i-1', day: DAY.toString() } }, [3]],
        [{ distinguishedBy: { instance_id: 'i-9' } }, []],
        [{ distinguishedBy: { nope: 'i-1' } }, []],
        [{ olderThan: at(30) }, [1, 2]],
        [{ youngerThan: at(30) }, [3, 4, 5]],
        [{ youngerThan: at(20), olderThan: at(40) }, [2, 3]],
        [{ trigger: 'none' }, []],
      ];
      for (const [query, expected] of cases) await check(store, query, expected, JSON.stringify(query));
    }));

  test('stream paging by id, with markers', () =>
    withStore(make, async (store) => {
      await store.commit(batch({ streams: STREAMS }));
      const sizes: number[] = [];
      const seen: number[] = [];
      let marker: string | undefined;
      do {
        const page = await store.queryStreams({ limit: 2, ...(marker === undefined ? {} : { marker }) });
        sizes.push(page.items.length);
        seen.push(...page.items.map((s) => s.id));
        marker = page.next;
      } while (marker !== undefined);
      assert.deepEqual(sizes, [2, 2, 1]);
      assert.deepEqual(seen, [1, 2, 3, 4, 5]);
      const p1 = await store.queryStreams({ trigger: 'build_time', limit: 1 });
      assert.ok(p1.next !== undefined);
      const p2 = await store.queryStreams({ trigger: 'build_time', limit: 1, marker: p1.next });
      assert.deepEqual(
        p2.items.map((s) => s.id),
        [2],
      );
      await assert.rejects(store.queryStreams({ marker: 'x' }), { name: 'InvalidMarkerError' });
    }));

  test('streamEvents sorts by timestamp then message_id; streamsOfEvent lists every stream', () =>
    withStore(make, async (store) => {
      const events = [ev('b', 't', at(5)), ev('z', 't', at(1)), ev('a', 't', at(5)), ev('c', 't', at(3))];
      await store.commit(
        batch({
          events: events.slice(0, 2),
          streams: [stream(1), stream(2)],
          memberships: [
            { streamId: 1, messageId: 'b' },
            { streamId: 1, messageId: 'z' },
            { streamId: 2, messageId: 'b' },
          ],
        }),
      );
      await store.commit(
        batch({
          events: events.slice(2),
          memberships: [
            { streamId: 1, messageId: 'a' },
            { streamId: 1, messageId: 'c' },
            { streamId: 1, messageId: 'c' },
            { streamId: 1, messageId: 'b' },
          ],
        }),
      );
      assert.deepEqual(ids(await store.streamEvents(1)), ['z', 'c', 'a', 'b']);
      assert.deepEqual(ids(await store.streamEvents(2)), ['b']);
      assert.deepEqual(await store.streamEvents(3), []);
      assert.deepEqual(await store.streamsOfEvent('b'), [1, 2]);
      assert.deepEqual(await store.streamsOfEvent('c'), [1]);
      assert.deepEqual(await store.streamsOfEvent('nope'), []);
      const [first] = await store.streamEvents(1);
      assert.equal(first?.timestamp.us, at(1).us);
    }));

  test('loadOpenStreams: every stream not completed, events sorted', () =>
    withStore(make, async (store) => {
      await store.commit(
        batch({
          events: [ev('x2', 't', at(2)), ev('x1', 't', at(1)), ev('x3', 't', at(3))],
          streams: [
            stream(1),
            stream(2, { state: 'completed', outcome: 'expired' }),
            stream(3, { state: 'error' }),
            stream(6),
          ],
          memberships: [
            { streamId: 1, messageId: 'x2' },
            { streamId: 1, messageId: 'x3' },
            { streamId: 1, messageId: 'x1' },
            { streamId: 2, messageId: 'x1' },
            { streamId: 3, messageId: 'x3' },
          ],
        }),
      );
      const open = await store.loadOpenStreams();
      assert.deepEqual(
        open.map((o) => [o.stream.id, o.stream.state, ids(o.events)]),
        [
          [1, 'active', ['x1', 'x2', 'x3']],
          [3, 'error', ['x3']],
          [6, 'active', []],
        ],
      );
    }));

  test('deleted streams go with their memberships; their events stay; ids are not reused', () =>
    withStore(make, async (store) => {
      await store.commit(
        batch({
          events: [ev('a', 't', at(1)), ev('b', 't', at(2))],
          streams: [stream(1), stream(7)],
          memberships: [
            { streamId: 1, messageId: 'a' },
            { streamId: 7, messageId: 'a' },
            { streamId: 7, messageId: 'b' },
          ],
        }),
      );
      assert.equal(await store.maxStreamId(), 7);
      await store.commit(batch({ deletedStreams: [7, 99] }));
      assert.equal(await store.getStream(7), undefined);
      assert.deepEqual(await store.streamEvents(7), []);
      assert.deepEqual(await store.streamsOfEvent('a'), [1]);
      assert.equal(await store.countEvents({}), 2);
      assert.equal(await store.maxStreamId(), 7);
      // created and deleted in one batch: gone
      await store.commit(batch({ streams: [stream(8)], deletedStreams: [8] }));
      assert.equal(await store.getStream(8), undefined);
      assert.equal(await store.maxStreamId(), 8);
      // a deleted id written again comes back
      await store.commit(batch({ streams: [stream(7, { state: 'ready' })] }));
      assert.equal((await store.getStream(7))?.state, 'ready');
      assert.equal(await store.countStreams({}), 2);
    }));
}
