import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PipelineOutcome } from '../../../src/store/store.js';
import { at, batch } from '../fixtures.js';
import { withStore, type MakeStore } from './with-store.js';

function outcome(streamId: number, attempt: number, status: PipelineOutcome['status']): PipelineOutcome {
  return {
    streamId,
    pipeline: streamId === 1 ? 'build_time' : 'build_failed',
    kind: streamId === 1 ? 'fire' : 'expire',
    attempt,
    status,
    error: status === 'error' ? 'webhook: 503' : null,
    started: at(attempt * 10),
    finished: at(attempt * 10 + 0.000001),
    emitted: attempt,
  };
}

export function recordTests(make: MakeStore): void {
  test('dead letters: ids assigned, newest first, limited, counted', () =>
    withStore(make, async (store) => {
      const letter = (reason: string, s: number) => ({
        received: at(s),
        source: 'file:x.jsonl',
        reason,
        payload: `{"n":${s}}`,
      });
      await store.commit(batch({ deadLetters: [letter('a', 1), letter('b', 2)] }));
      await store.commit(batch({ deadLetters: [letter('c', 3)] }));
      const all = await store.deadLetters({});
      assert.deepEqual(
        all.map((d) => d.reason),
        ['c', 'b', 'a'],
      );
      const idList = all.map((d) => d.id);
      assert.ok(idList.every((id) => typeof id === 'number'));
      assert.equal(new Set(idList).size, 3);
      assert.deepEqual(all[2], { id: all[2]?.id, ...letter('a', 1) });
      assert.equal(all[2]?.received.us, at(1).us);
      assert.deepEqual(
        (await store.deadLetters({ limit: 2 })).map((d) => d.reason),
        ['c', 'b'],
      );
      assert.equal(await store.countDeadLetters(), 3);
    }));

  test('pipeline outcomes: newest first, by stream, limited, every field kept', () =>
    withStore(make, async (store) => {
      await store.commit(batch({ outcomes: [outcome(1, 1, 'error'), outcome(2, 1, 'committed')] }));
      await store.commit(batch({ outcomes: [outcome(1, 2, 'committed')] }));
      const all = await store.pipelineOutcomes({});
      assert.deepEqual(
        all.map((o) => [o.streamId, o.attempt]),
        [
          [1, 2],
          [2, 1],
          [1, 1],
        ],
      );
      const ofOne = await store.pipelineOutcomes({ streamId: 1 });
      assert.deepEqual(
        ofOne.map((o) => o.attempt),
        [2, 1],
      );
      const expected = outcome(1, 1, 'error');
      const got = ofOne[1];
      assert.ok(got !== undefined);
      assert.deepEqual(
        { ...got, started: got.started.us, finished: got.finished.us },
        { ...expected, started: expected.started.us, finished: expected.finished.us },
      );
      assert.equal((await store.pipelineOutcomes({ limit: 1 })).length, 1);
      assert.deepEqual(await store.pipelineOutcomes({ streamId: 3 }), []);
    }));

  test('meter samples and counter increments in commit order, optionally of one meter', () =>
    withStore(make, async (store) => {
      await store.commit(
        batch({
          meterSamples: [
            { meter: 'build_seconds', kind: 'sample', value: 52.123456789, streamId: 1, at: at(60) },
            { meter: 'build_failures', kind: 'count', value: 1, streamId: 2, at: at(30) },
          ],
        }),
      );
      await store.commit(
        batch({
          meterSamples: [{ meter: 'build_seconds', kind: 'sample', value: -0.5, streamId: 3, at: at(10) }],
        }),
      );
      const all = await store.meterSamples();
      assert.deepEqual(
        all.map((s) => [s.meter, s.kind, s.value, s.streamId, s.at.us]),
        [
          ['build_seconds', 'sample', 52.123456789, 1, at(60).us],
          ['build_failures', 'count', 1, 2, at(30).us],
          ['build_seconds', 'sample', -0.5, 3, at(10).us],
        ],
      );
      assert.deepEqual(
        (await store.meterSamples('build_seconds')).map((s) => s.value),
        [52.123456789, -0.5],
      );
      assert.deepEqual(await store.meterSamples('nope'), []);
    }));
}
