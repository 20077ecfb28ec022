import assert from 'node:assert/strict';
import { test } from 'node:test';
import { at, batch, ev, ids, stream } from '../fixtures.js';
import { withStore, type MakeStore } from './with-store.js';

export function housekeepingTests(make: MakeStore): void {
  test('purgeCompletedStreams deletes completed streams that completed before the cut, with memberships', () =>
    withStore(make, async (store) => {
      await store.commit(
        batch({
          events: [ev('a', 't', at(1)), ev('b', 't', at(2))],
          streams: [
            stream(1, { state: 'completed', outcome: 'fired', updatedAt: at(100) }),
            stream(2, { state: 'completed', outcome: 'expired', updatedAt: at(300) }),
            stream(3, { state: 'active', updatedAt: at(50) }),
            stream(4, { state: 'error', updatedAt: at(50) }),
          ],
          memberships: [
            { streamId: 1, messageId: 'a' },
            { streamId: 2, messageId: 'a' },
            { streamId: 3, messageId: 'b' },
          ],
        }),
      );
      assert.equal(await store.purgeCompletedStreams(at(100)), 0, 'the cut is exclusive');
      assert.equal(await store.purgeCompletedStreams(at(200)), 1);
      assert.equal(await store.getStream(1), undefined);
      assert.deepEqual(await store.streamsOfEvent('a'), [2]);
      assert.deepEqual(await store.streamEvents(1), []);
      assert.equal(await store.countStreams({}), 3);
      assert.equal(await store.countEvents({}), 2, 'events stay');
      assert.equal(await store.purgeCompletedStreams(at(1000)), 1);
      assert.equal(await store.countStreams({}), 2);
      assert.equal(await store.maxStreamId(), 4);
      await store.commit(batch({ streams: [stream(2, { state: 'completed', updatedAt: at(1) })] }));
      await store.purgeCompletedStreams(at(1000));
      assert.equal(await store.maxStreamId(), 4, 'purging the highest id does not lower maxStreamId');
    }));

  test('trimEvents deletes old events no open stream needs, and their memberships', () =>
    withStore(make, async (store) => {
      await store.commit(
        batch({
          events: [
            ev('e1', 't', at(0)),
            ev('e2', 't', at(10)),
            ev('e3', 't', at(20)),
            ev('e4', 't', at(30)),
            ev('e5', 't', at(40)),
            ev('e6', 't', at(5)),
          ],
          streams: [
            stream(1, { state: 'active' }),
            stream(2, { state: 'completed', outcome: 'fired' }),
            stream(3, { state: 'error' }),
          ],
          memberships: [
            { streamId: 1, messageId: 'e1' },
            { streamId: 2, messageId: 'e2' },
            { streamId: 3, messageId: 'e3' },
            { streamId: 2, messageId: 'e6' },
            { streamId: 1, messageId: 'e6' },
          ],
        }),
      );
      assert.equal(
        await store.trimEvents(at(30)),
        1,
        'only e2: e1, e3, e6 are in open streams, e4 is not older',
      );
      assert.equal(await store.getEvent('e2'), undefined);
      assert.deepEqual(await store.streamsOfEvent('e2'), []);
      assert.deepEqual(ids(await store.streamEvents(2)), ['e6']);
      assert.equal(await store.trimEvents(at(35)), 1, 'e4, in no stream');
      assert.deepEqual(ids((await store.queryEvents({})).items), ['e1', 'e6', 'e3', 'e5']);
      assert.equal((await store.latestEventTimestamp())?.us, at(40).us);
      assert.deepEqual(await store.messageIdsSince(at(30)), ['e5']);
      assert.deepEqual([...(await store.existingMessageIds(['e2', 'e4', 'e5']))], ['e5']);

      await store.commit(batch({ streams: [stream(1, { state: 'completed', outcome: 'fired' })] }));
      assert.equal(
        await store.trimEvents(at(100)),
        3,
        'e1, e6 once stream 1 completed, and e5; e3 stays (stream 3 in error)',
      );
      assert.deepEqual(ids((await store.queryEvents({})).items), ['e3']);
      assert.equal((await store.latestEventTimestamp())?.us, at(20).us);
      assert.equal(await store.trimEvents(at(100)), 0);
    }));
}
