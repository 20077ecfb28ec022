import assert from 'node:assert/strict';
import type { Store } from '../../src/store/store.js';

/**
 * After a run with faults: no stream committed its pipeline (per kind) twice,
 * and the store holds each of the `distinct` input events once besides the
 * events committed pipelines emitted. Returns how many (stream, kind) commits there were.
 */
export async function assertCommittedOnce(store: Store, distinct: number): Promise<number> {
  const outcomes = await store.pipelineOutcomes({ limit: 1_000_000 });
  const committed = new Map<string, number>();
  let emitted = 0;
  for (const o of outcomes) {
    if (o.status !== 'committed') continue;
    const k = `${o.streamId}:${o.kind}`;
    committed.set(k, (committed.get(k) ?? 0) + 1);
    emitted += o.emitted;
  }
  assert.deepEqual(
    [...committed].filter(([, n]) => n > 1),
    [],
    'no stream committed its pipeline twice',
  );
  assert.equal(await store.countEvents({}), distinct + emitted, 'each event stored once');
  return committed.size;
}
