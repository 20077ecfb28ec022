import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { defaultWaymarkConfig } from '../../src/config/waymark-config.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { HistogramSnapshot } from '../../src/stats/histogram-snapshot.js';
import { readStatsFile } from '../../src/stats/reader.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';

const at = (minutes: number): string => new Date(Date.UTC(2026, 0, 5) + minutes * 60_000).toISOString();
const run = (id: string, start: number): unknown[] =>
  [
    ['request', 0],
    ['queue_start', 2],
    ['publish', 50],
  ].map(([name, m]) => ({
    message_id: `${id}-${String(name)}`,
    event_type: `testrun.${String(name)}`,
    timestamp: at(start + Number(m)),
    traits: { testrun_id: id },
  }));

describe('meters published through mmstats after a restart', () => {
  it('the stats file of a reopened runtime holds the samples committed before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'waymark-republish-'));
    const store = new MemoryStore();
    await store.open();
    const config = { ...defaultWaymarkConfig(), latenessSeconds: 0, statsDir: dir };
    try {
      const first = await Runtime.open({ config, clock: 'event', store });
      await first.ingestEvents([...run('a', 0), ...run('b', 10), ...run('c', 200)], 'test');
      await first.engine.idle();
      const before = first.meters().find((m) => m.name === 'testrun_initialisation_seconds');
      assert.equal(before?.count, 2, 'runs a and b fired; c is still waiting');
      await first.close();

      const second = await Runtime.open({ config, clock: 'event', store, publishStats: true });
      try {
        assert.ok(second.statsPath);
        const field = readStatsFile(second.statsPath).find(
          (f) => f.label.includes('testrun_initialisation_seconds') && f.metric === 'histogram',
        );
        assert.ok(field, 'the meter has a histogram field');
        assert.ok(field.value instanceof HistogramSnapshot);
        assert.equal(field.value.count, 2);
        assert.equal(field.value.summary().max, 120);
      } finally {
        await second.close();
      }
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
