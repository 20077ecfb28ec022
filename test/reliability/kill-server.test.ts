import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventGenerator, openstackScenario, type TruthRecord } from '../../src/generate/index.js';
import { Instant, US_PER_HOUR, US_PER_SECOND } from '../../src/model/instant.js';
import { openStore } from '../../src/store/open-store.js';
import { assertCommittedOnce } from '../helpers/outcomes.js';
import { runCli } from '../helpers/run-cli.js';
import { startServe } from '../integration/serve-process.js';

const BATCH = 400;

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

test('kill -9 at random points while ingesting a day: no acknowledged event lost, no stream fired twice, every build as the truth says', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-kill-'));
  try {
    const store = `duckdb:${join(dir, 'w.duckdb')}`;
    const truth: TruthRecord[] = [];
    const gen = new EventGenerator({
      scenario: openstackScenario(),
      opsPerHour: 240,
      seed: 11,
      start: Instant.parse('2026-03-01T00:00:00Z'),
      duration: 24 * US_PER_HOUR,
      faults: { dup: 0.01, reorder: 30 * US_PER_SECOND },
      onTruth: (r) => truth.push(r),
    });
    const lines: string[] = [];
    for (const n of gen) lines.push(n.line);
    writeFileSync(join(dir, 'truth.jsonl'), truth.map((t) => JSON.stringify(t)).join('\n') + '\n');
    const batches: string[][] = [];
    for (let i = 0; i < lines.length; i += BATCH) batches.push(lines.slice(i, i + BATCH));

    // Five kill points, spread over the day (deterministic "random").
    const killAt = new Set<number>();
    let x = 12345;
    while (killAt.size < 5) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      killAt.add(1 + (x % (batches.length - 2)));
    }

    let server = await startServe(store, dir);
    let acked = 0; // batches acknowledged, in order
    let kills = 0;
    while (acked < batches.length) {
      const body = (batches[acked] as string[]).join('\n');
      const post = fetch(`${server.url}/v1/notifications`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body,
      }).then(
        async (r) => {
          await r.arrayBuffer();
          return r.status;
        },
        (e: Error) => e,
      );
      if (killAt.has(acked)) {
        killAt.delete(acked);
        kills++;
        // Kill while the request is in flight (or just answered): either way, what was not
        // acknowledged is sent again after the restart.
        await new Promise((r) => setTimeout(r, (x % 7) * 3));
        await killed(server.child);
        if ((await post) === 200) acked++;
        server = await startServe(store, dir);
        continue;
      }
      const status = await post;
      if (status instanceof Error)
        throw new Error(`batch ${acked}: ${status.message}; server: ${server.stderr()}`);
      assert.equal(status, 200);
      acked++;
    }
    assert.equal(kills, 5);
    server.child.kill('SIGTERM');
    await new Promise((r) => server.child.once('exit', r));

    // The input is complete: move the clock past every expiration.
    const finish = await runCli(['ingest', '--finish', '--quiet', '--store', store, '-'], '', {
      MMSTATS_PATH: dir,
    });
    assert.equal(finish.code, 0, finish.stderr);
    const verify = await runCli(['verify', '--truth', join(dir, 'truth.jsonl'), '--store', store]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /precision 100\.00%, recall 100\.00%/);

    const s = await openStore(store);
    try {
      const ids = new Set(lines.map((l) => (JSON.parse(l) as { message_id: string }).message_id));
      const stored = await s.existingMessageIds([...ids]);
      assert.equal(stored.size, ids.size, 'every acknowledged event is stored');
      // Besides them, only the events pipelines emitted (the usage audit's verdicts), once each.
      await assertCommittedOnce(s, ids.size);
      assert.equal(await s.countStreams({ states: ['active', 'ready', 'firing', 'expiring'] }), 0);
    } finally {
      await s.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
