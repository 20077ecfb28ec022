import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultWaymarkConfig } from '../../src/config/waymark-config.js';
import { Instant } from '../../src/model/instant.js';
import { Housekeeper, housekeepingInterval } from '../../src/runtime/housekeeping.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';

const T0 = Instant.parse('2026-01-05T00:00:00Z');
const at = (minutes: number): string => T0.plus(minutes * 60e6).toISOString();
let seq = 0;
const event = (type: string, minutes: number, traits: Record<string, string> = {}): unknown => ({
  message_id: `hk-${++seq}`,
  event_type: type,
  timestamp: at(minutes),
  traits,
});

async function openRuntime(purge: number | undefined, trim: number | undefined) {
  const store = new MemoryStore();
  await store.open();
  const config = {
    ...defaultWaymarkConfig(),
    latenessSeconds: 0,
    purgeCompletedAfterSeconds: purge,
    trimEventsAfterSeconds: trim,
  };
  const runtime = await Runtime.open({ config, clock: 'event', store });
  return { store, runtime };
}

/**
 * R1 fires once the clock passes its publish + fire_delay and completes at
 * about T0+90m; R2 and R3 stay open at T0+3h; R3's first event is older than
 * the horizon.
 */
async function feed(runtime: Runtime): Promise<void> {
  const r1 = { testrun_id: 'r1' };
  const r3 = { testrun_id: 'r3' };
  await runtime.ingestEvents(
    [
      event('testrun.request', 0, r1),
      event('other.unmatched', 0),
      event('testrun.publish', 10, r1),
      event('testrun.request', 90, r3),
    ],
    'test',
  );
  await runtime.engine.idle();
  await runtime.ingestEvents(
    [event('testrun.queue_start', 170, r3), event('testrun.request', 180, { testrun_id: 'r2' })],
    'test',
  );
  await runtime.engine.idle();
}

describe('housekeeping (purge_completed_after, trim_events_after)', () => {
  it('purges completed streams and trims the events no open stream needs, on the event clock', async () => {
    const { store, runtime } = await openRuntime(3600, 3600);
    try {
      await feed(runtime);
      assert.equal(await store.countStreams({ states: ['completed'] }), 1, 'r1 fired and completed');
      assert.equal(await store.countEvents({}), 6);
      const pass = await runtime.housekeeper.runOnce();
      assert.deepEqual(pass, { purgedStreams: 1, trimmedEvents: 3 });
      assert.equal(await store.countStreams({}), 2, 'r2 and r3 stay');
      const left = (await store.queryEvents({ limit: 100 })).items.map((e) => e.traits['testrun_id']).sort();
      assert.deepEqual(left, ['r2', 'r3', 'r3'], 'r3 keeps its event older than the horizon');
      const health = await runtime.health();
      assert.deepEqual(health['housekeeping'], {
        passes: 1,
        failures: 0,
        purgedStreams: 1,
        trimmedEvents: 3,
      });
      // A second pass finds nothing more.
      assert.deepEqual(await runtime.housekeeper.runOnce(), { purgedStreams: 0, trimmedEvents: 0 });
    } finally {
      await runtime.close();
    }
  });

  it('keeps completed streams and their events when only trimming is configured... until they are purged', async () => {
    const { store, runtime } = await openRuntime(undefined, 3600);
    try {
      await feed(runtime);
      const pass = await runtime.housekeeper.runOnce();
      // r1 is completed (not open): its events go, its stream row stays.
      assert.deepEqual(pass, { purgedStreams: 0, trimmedEvents: 3 });
      assert.equal(await store.countStreams({ states: ['completed'] }), 1);
    } finally {
      await runtime.close();
    }
  });

  it('does nothing and reports nothing when neither horizon is configured', async () => {
    const { store, runtime } = await openRuntime(undefined, undefined);
    try {
      await feed(runtime);
      assert.equal(runtime.housekeeper.enabled, false);
      assert.deepEqual(await runtime.housekeeper.runOnce(), { purgedStreams: 0, trimmedEvents: 0 });
      assert.equal(await store.countEvents({}), 6);
      assert.equal((await runtime.health())['housekeeping'], undefined);
    } finally {
      await runtime.close();
    }
  });

  it('runs periodically, survives a failing pass, and stops on close', async () => {
    const store = new MemoryStore();
    await store.open();
    let calls = 0;
    const failing = Object.assign(Object.create(store) as MemoryStore, {
      trimEvents: (before: Instant) => {
        calls++;
        return calls === 1 ? Promise.reject(new Error('disk on fire')) : store.trimEvents(before);
      },
    });
    const warnings: string[] = [];
    const hk = new Housekeeper({
      store: failing,
      now: () => T0,
      purgeCompletedAfterSeconds: undefined,
      trimEventsAfterSeconds: 60,
      intervalMs: 5,
      log: { info() {}, warn: (m, f) => warnings.push(`${m} ${JSON.stringify(f)}`), error() {} },
    });
    hk.start();
    while (hk.stats().passes < 2) await new Promise((r) => setTimeout(r, 5));
    await hk.close();
    const after = hk.stats();
    assert.equal(after.failures, 1);
    assert.match(warnings[0] ?? '', /housekeeping failed.*disk on fire/);
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(hk.stats(), after, 'no pass after close');
  });

  it('derives its interval from the shorter horizon, within 1 s and 5 min', () => {
    assert.equal(housekeepingInterval(undefined, undefined), undefined);
    assert.equal(housekeepingInterval(3600, undefined), 300_000);
    assert.equal(housekeepingInterval(600, 86400), 60_000);
    assert.equal(housekeepingInterval(undefined, 2), 1000);
  });
});
