import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { at, batch, ev } from './fixtures.js';
import { storeSuite } from './store-suite.js';

storeSuite('memory', async () => {
  const store = new MemoryStore();
  await store.open();
  return { store, cleanup: () => store.close() };
});

test('memory: not durable, and unusable before open()', async () => {
  const store = new MemoryStore();
  assert.equal(store.capabilities.durable, false);
  assert.equal(store.name, 'memory');
  await assert.rejects(store.commit(batch({ events: [ev('a', 't', at(0))] })), { name: 'StoreClosedError' });
  await store.open();
  await store.commit(batch({ events: [ev('a', 't', at(0))] }));
  assert.equal(await store.countEvents({}), 1);
  await store.close();
});

test('memory: a refused batch names every problem', async () => {
  const store = new MemoryStore();
  await store.open();
  const bad = batch({
    events: [{ ...ev('', 't', at(0)) }],
    outcomes: [
      {
        streamId: 1.5,
        pipeline: 'p',
        kind: 'fire',
        attempt: 1,
        status: 'done' as never,
        error: null,
        started: at(0),
        finished: at(0),
        emitted: 0,
      },
    ],
  });
  await assert.rejects(store.commit(bad), (e: Error) => {
    assert.equal(e.name, 'StoreCommitError');
    assert.match(e.message, /events\[0\]\.message_id: expected a non-empty string/);
    assert.match(e.message, /outcomes\[0\]\.streamId: expected an integer, got 1\.5/);
    assert.match(e.message, /outcomes\[0\]\.status: "done" is not one of committed, error/);
    assert.match(e.message, /nothing was written/);
    return true;
  });
  await store.close();
});
