import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { aggregateStats, type NumberAggregate } from '../../src/stats/index.js';
import { tempDir } from './helpers.js';

const WORKER = `
import { parentPort, workerData, threadId } from 'node:worker_threads';
const { stats, counter, histogram } = await import(workerData.mod);
const s = stats({ path: workerData.dir, prefix: 'jobs.', fields: { done: counter('done'), secs: histogram('seconds') } });
s.done.incr(workerData.n);
for (let i = 1; i <= workerData.n; i++) s.secs.observe(i);
parentPort.postMessage({ path: s.path, threadId });
// Exit cleanly when told: the port closes, the event loop empties, the thread ends.
parentPort.once('message', () => parentPort.close());
`;

test('each worker thread publishes its own {CMD}-{PID}-{TID} file; an aggregate sums them; a clean exit removes them', async (t) => {
  const dir = tempDir(t);
  const script = join(dir, 'worker.mjs');
  writeFileSync(script, WORKER);
  const mod = pathToFileURL(join(import.meta.dirname, '../../src/stats/index.js')).href;
  const workers = [3, 4].map((n) => new Worker(script, { workerData: { dir, mod, n } }));
  t.after(() => Promise.all(workers.map((w) => w.terminate())));
  const ready = await Promise.all(
    workers.map(
      (w) =>
        new Promise<{ path: string; threadId: number }>((ok, fail) => {
          w.once('message', ok);
          w.once('error', fail);
        }),
    ),
  );
  // {CMD} in a worker is its script's name (process.argv[1] there).
  const cmd = basename(script, extname(script));
  assert.deepEqual(
    ready.map((r) => basename(r.path)),
    workers.map((w) => `${cmd}-${process.pid}-${w.threadId}.mmstats`),
  );
  assert.notEqual(workers[0]?.threadId, workers[1]?.threadId);
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.mmstats')).length, 2);

  const agg = aggregateStats({ dir });
  assert.equal(agg.files.length, 2);
  assert.equal((agg.fields.get('jobs.done') as NumberAggregate).sum, 7);
  const secs = agg.fields.get('jobs.seconds');
  assert.equal(secs?.kind === 'histogram' ? secs.histogram.count : -1, 7, 'histograms merge across threads');
  assert.deepEqual(
    (agg.fields.get('jobs.sys.tid') as NumberAggregate).max,
    Math.max(...workers.map((w) => w.threadId)),
  );

  const exits = workers.map((w) => new Promise<number>((ok) => w.once('exit', ok)));
  for (const w of workers) w.postMessage('stop');
  assert.deepEqual(await Promise.all(exits), [0, 0]);
  assert.deepEqual(readdirSync(dir), ['worker.mjs'], 'the files went with their threads');
});
