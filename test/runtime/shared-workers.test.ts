import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { defaultWaymarkConfig } from '../../src/config/waymark-config.js';
import { EventGenerator, openstackScenario, type TruthRecord } from '../../src/generate/index.js';
import { Instant, US_PER_HOUR, US_PER_SECOND } from '../../src/model/instant.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { createServer } from '../../src/server/create-server.js';
import { openStore } from '../../src/store/open-store.js';
import type { SharedStore } from '../../src/store/store.js';
import { dropSchema, pgUrl, postgresUnavailable, randomSchema } from '../helpers/postgres.js';
import { assertCommittedOnce } from '../helpers/outcomes.js';
import { runCli } from '../helpers/run-cli.js';
import { serviceAvailable } from '../helpers/services.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function traffic(seed: number, hours: number): { lines: string[]; truth: TruthRecord[] } {
  const truth: TruthRecord[] = [];
  const gen = new EventGenerator({
    scenario: openstackScenario(),
    opsPerHour: 600,
    seed,
    start: Instant.parse('2026-03-01T00:00:00Z'),
    duration: hours * US_PER_HOUR,
    faults: { dup: 0.01, reorder: 30 * US_PER_SECOND },
    onTruth: (r) => truth.push(r),
  });
  const lines: string[] = [];
  for (const n of gen) lines.push(n.line);
  return { lines, truth };
}

/** Until no event waits in the queue and the correlating worker's engine rests. */
async function drained(store: SharedStore, workers: readonly Runtime[]): Promise<void> {
  for (let i = 0; ; i++) {
    const correlating = workers.filter((w) => w.worker?.role === 'correlator');
    if ((await store.queueDepth()) === 0 && correlating.length === 1) {
      await correlating[0]!.engine.idle();
      if ((await store.queueDepth()) === 0) return;
    }
    if (i > 1500) throw new Error('the queue was not drained within 30 s');
    await sleep(20);
  }
}

if (serviceAvailable('postgres: runtimes sharing a store', await postgresUnavailable())) {
  describe('several runtimes on one PostgreSQL store', () => {
    test('two workers ingest alternately, the correlator stops halfway and the other takes over: the truth holds, no pipeline commits twice', async (t) => {
      const schema = randomSchema();
      const dir = mkdtempSync(join(tmpdir(), 'waymark-shared-'));
      const opened: Runtime[] = [];
      t.after(async () => {
        // Closed here too, so that a failed assertion does not leave workers polling until the
        // test runner's timeout.
        for (const w of opened) await w.close().catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
        await dropSchema(schema);
      });
      const url = pgUrl({ schema, pool: '4' });
      const config = { ...defaultWaymarkConfig(), storeUrl: url, statsDir: dir };
      // The lease is long enough that a batch held up by a loaded machine (CI runs the whole
      // suite on two cores) does not let it expire: it changes hands only when its holder stops.
      const open = async (): Promise<Runtime> => {
        const w = await Runtime.open({ config, clock: 'event', shared: { leaseMs: 4000, pollMs: 10 } });
        opened.push(w);
        return w;
      };
      const { lines, truth } = traffic(21, 4);
      writeFileSync(join(dir, 'truth.jsonl'), truth.map((r) => JSON.stringify(r)).join('\n') + '\n');

      const a = await open();
      const b = await open();
      const observer = (await openStore(url)) as SharedStore;
      t.after(() => observer.close());
      let workers = [a, b];
      let c: Runtime | undefined;
      let sent = 0;
      for (let i = 0; i < lines.length; i += 250) {
        const batch = lines.slice(i, i + 250).map((l) => JSON.parse(l) as unknown);
        const worker = workers[(i / 250) % workers.length] as Runtime;
        const r = await worker.ingestNotifications(batch, 'http');
        assert.equal(r.deadLettered, 0);
        sent += batch.length;
        if (c === undefined && sent >= lines.length / 2) {
          // Halfway: the correlator stops (its lease is given up), the other must take over,
          // and a third worker joins.
          await drained(observer, workers);
          const correlating = workers.find((w) => w.worker?.role === 'correlator') as Runtime;
          await correlating.close();
          workers = workers.filter((w) => w !== correlating);
          c = await open();
          workers.push(c);
        }
      }
      await drained(observer, workers);
      const roles = workers.map((w) => w.worker?.role).sort();
      assert.deepEqual(roles, ['correlator', 'ingest'], 'one correlator at a time');
      const takeovers = [a, b, c].reduce((n, w) => n + (w?.worker?.takeovers ?? 0), 0);
      assert.equal(takeovers, 2, 'the lease changed hands once');
      // A single (not --shared) process is refused while a worker correlates.
      await assert.rejects(
        Runtime.open({ config, clock: 'event', exclusiveLeaseMs: 300 }),
        /the store's streams are correlated by another waymark \(\S+:\d+:\w+\), which keeps renewing its lease/,
      );
      const health = await workers[0]!.health();
      assert.equal((health['worker'] as { queued: number }).queued, 0);

      // Stream changes belong to the correlator: the other worker's API answers 409 naming it.
      const ingestOnly = workers.find((w) => w.worker?.role === 'ingest') as Runtime;
      const correlator = workers.find((w) => w.worker?.role === 'correlator') as Runtime;
      const server = createServer({ backend: ingestOnly, host: '127.0.0.1', port: 0 });
      const { url: api } = await server.start();
      try {
        const del = await fetch(`${api}/v1/streams/1`, { method: 'DELETE' });
        assert.equal(del.status, 409);
        const body = (await del.json()) as { error: { message: string } };
        assert.match(body.error.message, /does not correlate streams: send this to /);
        assert.ok(body.error.message.endsWith(correlator.worker!.holder));
        assert.ok((await observer.getStream(1)) !== undefined, 'nothing deleted');
      } finally {
        await server.close();
      }
      for (const w of workers) await w.close();

      const finish = await runCli(['ingest', '--finish', '--quiet', '--store', url, '-'], '', {
        MMSTATS_PATH: dir,
      });
      assert.equal(finish.code, 0, finish.stderr);
      const verify = await runCli(['verify', '--truth', join(dir, 'truth.jsonl'), '--store', url]);
      assert.equal(verify.code, 0, verify.stdout + verify.stderr);
      assert.match(verify.stdout, /precision 100\.00%, recall 100\.00%/);

      const ids = new Set(lines.map((l) => (JSON.parse(l) as { message_id: string }).message_id));
      assert.ok((await assertCommittedOnce(observer, ids.size)) > 100);
    });
  });
}
