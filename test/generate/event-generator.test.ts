import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventGenerator } from '../../src/generate/event-generator.js';
import { openstackScenario } from '../../src/generate/openstack/openstack-scenario.js';
import { MemorySink } from '../../src/generate/sinks/memory-sink.js';
import type { Scenario } from '../../src/generate/scenario.js';
import { Instant, US_PER_HOUR, US_PER_MINUTE } from '../../src/model/instant.js';
import { SIMULATED_RECEIVED_FIELD, unwrapNotification } from '../../src/model/notification.js';
import { payloadOf, runOpenstack, us } from './helpers.js';

test('same seed and options: byte-identical lines and truth; another seed differs', () => {
  const opts = {
    duration: 20 * US_PER_MINUTE,
    faults: { drop: 0.02, dup: 0.02, reorder: 5e6, skew: 2e6, delay: 5e5, malformed: 0.01 },
  };
  const a = runOpenstack({ ...opts, seed: 5 });
  const b = runOpenstack({ ...opts, seed: 5 });
  const c = runOpenstack({ ...opts, seed: 6 });
  assert.ok(a.items.length > 500);
  assert.deepEqual(
    a.items.map((g) => g.line),
    b.items.map((g) => g.line),
  );
  assert.equal(JSON.stringify(a.truth), JSON.stringify(b.truth));
  assert.notDeepEqual(
    a.items.slice(0, 50).map((g) => g.line),
    c.items.slice(0, 50).map((g) => g.line),
  );
});

test('count stops at exactly N lines; the default start is fixed and --start moves it', () => {
  const r = runOpenstack({ count: 777 });
  assert.equal(r.items.length, 777);
  assert.ok(
    us((r.items[0]?.notification as Record<string, unknown>)['timestamp']) >= us('2026-01-01T00:00:00Z'),
  );
  const s = runOpenstack({ count: 10, start: Instant.parse('2014-06-11T16:00:00Z') });
  assert.match(
    String((s.items[0]?.notification as Record<string, unknown>)['timestamp']),
    /^2014-06-11 16:0/,
  );
});

test('rate: operations start at about the requested rate', () => {
  const r = runOpenstack({ opsPerHour: 1200, duration: 2 * US_PER_HOUR });
  const requests = new Set(
    r.items
      .map((g) => g.notification as Record<string, unknown>)
      .filter((n) => String(n['publisher_id']).startsWith('api.'))
      .map((n) => n['_context_request_id']),
  );
  // resize confirm/revert are a second API request of one operation; 2400 expected arrivals
  assert.ok(requests.size > 2150 && requests.size < 2800, `${requests.size} requests`);
});

test('without faults each line is JSON.stringify of its notification, and received = emitted', () => {
  const r = runOpenstack({ count: 3000, seed: 3 });
  for (const g of r.items) {
    assert.equal(g.line, JSON.stringify(g.notification));
    assert.equal(g.received, g.emitted);
    assert.equal(us((g.notification as Record<string, unknown>)['timestamp']), g.emitted);
    assert.equal(SIMULATED_RECEIVED_FIELD in (g.notification as object), false);
  }
});

test('oslo envelope wraps the same notifications', () => {
  const bare = runOpenstack({ count: 200, seed: 4 });
  const oslo = runOpenstack({ count: 200, seed: 4, envelope: 'oslo' });
  for (let i = 0; i < 200; i++) {
    const o = JSON.parse(oslo.items[i]?.line as string) as Record<string, unknown>;
    assert.equal(o['oslo.version'], '2.0');
    assert.deepEqual(unwrapNotification(o), JSON.parse(bare.items[i]?.line as string));
  }
});

test('drop: dropped ends make never_ended; the rest of the traffic is unchanged', () => {
  const clean = runOpenstack({ duration: US_PER_HOUR, seed: 8, opsPerHour: 1800 });
  const lossy = runOpenstack({ duration: US_PER_HOUR, seed: 8, opsPerHour: 1800, faults: { drop: 0.05 } });
  const cleanIds = new Set(clean.items.map((g) => (g.notification as Record<string, unknown>)['message_id']));
  const lossyIds = lossy.items.map((g) => (g.notification as Record<string, unknown>)['message_id']);
  for (const id of lossyIds) assert.ok(cleanIds.has(id));
  const ratio = lossyIds.length / cleanIds.size;
  assert.ok(ratio > 0.93 && ratio < 0.97, `kept ${ratio}`);
  const seen = new Set(
    lossy.items.map(
      (g) =>
        String((g.notification as Record<string, unknown>)['event_type']) +
        '/' +
        String(payloadOf(g.notification as Record<string, unknown>)['instance_id']),
    ),
  );
  const neverEnded = lossy.truth.filter((r) => r.outcome === 'never_ended');
  assert.ok(neverEnded.length > 3);
  for (const r of neverEnded) {
    assert.equal(r.end, null);
    const endDrop = r.faults.find(
      (f) => f.startsWith('drop:') && (f.endsWith('.end') || f.endsWith('.error') || f.endsWith('_instance')),
    );
    assert.ok(endDrop !== undefined, JSON.stringify(r));
  }
  for (const r of lossy.truth.filter(
    (x) => x.outcome === 'completed' && x.kind === 'compute.instance.create',
  )) {
    assert.ok(seen.has(`compute.instance.create.end/${r.id}`));
  }
  for (const r of lossy.truth.filter((x) => x.faults.length === 0)) assert.notEqual(r.outcome, 'never_ended');
});

test('dup: the same bytes twice, listed in the truth; traffic otherwise unchanged', () => {
  const clean = runOpenstack({ count: 4000, seed: 9 });
  const dup = runOpenstack({ duration: 40 * US_PER_MINUTE, seed: 9, faults: { dup: 0.05 } });
  const byId = new Map<string, string[]>();
  for (const g of dup.items) {
    const id = String((g.notification as Record<string, unknown>)['message_id']);
    byId.set(id, [...(byId.get(id) ?? []), g.line]);
  }
  const twice = [...byId.values()].filter((l) => l.length === 2);
  assert.ok(twice.length > 50);
  for (const [a, b] of twice) assert.equal(a, b);
  assert.equal(dup.gen.summary().faults.dup, twice.length);
  const listed = dup.truth.flatMap((r) => r.faults.filter((f) => f.startsWith('dup:'))).length;
  assert.ok(listed > 0 && listed <= twice.length);
  // the first 4000 distinct message ids are those of the clean run
  const distinct = [...byId.keys()].slice(0, 3000);
  const cleanIds = new Set(
    clean.items.map((g) => String((g.notification as Record<string, unknown>)['message_id'])),
  );
  for (const id of distinct) assert.ok(cleanIds.has(id));
});

test('delay and skew: received within the delay, per-host constant skew within bounds', () => {
  const r = runOpenstack({
    duration: 30 * US_PER_MINUTE,
    seed: 10,
    faults: { delay: 500_000, skew: 2_000_000 },
  });
  const hostSkew = new Map<string, number>();
  for (const g of r.items) {
    const n = g.notification as Record<string, unknown>;
    const recv = us(n[SIMULATED_RECEIVED_FIELD]);
    assert.equal(recv, g.received);
    assert.ok(g.received >= g.emitted && g.received <= g.emitted + 500_000);
    const skew = us(n['timestamp']) - g.emitted;
    assert.ok(Math.abs(skew) <= 2_000_000);
    const host = String(n['publisher_id']);
    if (hostSkew.has(host)) assert.equal(skew, hostSkew.get(host));
    else hostSkew.set(host, skew);
    assert.equal(g.line, JSON.stringify(n));
  }
  assert.ok(new Set(hostSkew.values()).size > 10);
  const skewed = r.truth.filter((t) => t.faults.some((f) => f.startsWith('skew:')));
  assert.ok(skewed.length > 0);
});

test('reorder: delivered out of emit order within the window, flagged in the truth', () => {
  const r = runOpenstack({ duration: 30 * US_PER_MINUTE, seed: 12, faults: { reorder: 10_000_000 } });
  let maxSeen = -Infinity;
  let late = 0;
  for (const g of r.items) {
    if (g.emitted < maxSeen) {
      late++;
      assert.ok(maxSeen - g.emitted <= 10_000_000);
    }
    maxSeen = Math.max(maxSeen, g.emitted);
  }
  assert.ok(late > 100);
  assert.ok(r.truth.some((t) => t.faults.includes('reorder')));
});

test('malformed: broken JSON or no event_type, counted and listed', () => {
  const r = runOpenstack({ duration: 30 * US_PER_MINUTE, seed: 13, faults: { malformed: 0.02 } });
  let bad = 0;
  for (const g of r.items) {
    let ok = false;
    try {
      ok = typeof (JSON.parse(g.line) as Record<string, unknown>)['event_type'] === 'string';
    } catch {
      ok = false;
    }
    if (!ok) {
      bad++;
      assert.equal(g.notification, null);
    } else assert.notEqual(g.notification, null);
  }
  assert.ok(bad > 20);
  assert.equal(bad, r.gen.summary().faults.malformed);
  // operations whose start fell after the window are not in the truth, nor their faults
  const listed = r.truth.flatMap((t) => t.faults.filter((f) => f.startsWith('malformed:'))).length;
  assert.ok(listed <= bad && listed >= bad - 5, `${listed} listed, ${bad} malformed`);
});

test('truth streams through onTruth in the same order as truth()', () => {
  const seen: string[] = [];
  const gen = new EventGenerator({
    scenario: openstackScenario(),
    opsPerHour: 600,
    count: 2000,
    onTruth: (r) => seen.push(r.id + r.kind),
  });
  for (const _ of gen) void _;
  assert.deepEqual(
    seen,
    gen.truth().map((r) => r.id + r.kind),
  );
  assert.ok(seen.length > 10);
});

test('a scenario that never ends an operation: truth says never_ended; cut at count', () => {
  let i = 0;
  const scenario: Scenario = {
    name: 'toy',
    next(at) {
      const id = `op-${i++}`;
      return {
        kind: 'toy',
        group_by: 'request_id',
        id,
        start: at,
        end: i % 2 === 0 ? null : at + 2_000_000,
        outcome: i % 2 === 0 ? 'never_ended' : 'completed',
        notifications: [
          { at, notification: { event_type: 'toy.start', id } },
          { at: at + 2_000_000, notification: { event_type: i % 2 === 0 ? 'toy.progress' : 'toy.end', id } },
        ],
      };
    },
  };
  const gen = new EventGenerator({ scenario, opsPerHour: 3600, count: 41 });
  const lines = [...gen].map((g) => g.line);
  assert.equal(lines.length, 41);
  const truth = gen.truth();
  assert.ok(truth.some((r) => r.outcome === 'never_ended' && r.end === null));
  assert.ok(truth.some((r) => r.outcome === 'completed' && r.duration_s === 2));
  const last = truth.filter((r) => r.outcome === 'cut_off');
  assert.ok(last.length >= 1);
  assert.ok(new Set(truth.map((r) => r.id)).size === truth.length);
});

test('run() into a sink: same lines as iterating, truth to a truth sink, progress reported', async () => {
  const sink = new MemorySink();
  const truth = new MemorySink();
  const progress: number[] = [];
  const gen = new EventGenerator({
    scenario: openstackScenario(),
    opsPerHour: 3600,
    count: 1500,
    seed: 2,
    keepTruth: false,
  });
  const summary = await gen.run(sink, { truth, batchSize: 100, onProgress: (p) => progress.push(p.done) });
  assert.equal(summary.notifications, 1500);
  assert.deepEqual(
    sink.lines(),
    runOpenstack({ count: 1500, seed: 2 }).items.map((g) => g.line),
  );
  assert.equal(truth.truth.length, summary.operations);
  assert.equal(gen.truth().length, 0);
  assert.ok(progress.length >= 15 && progress.at(-1) === 1500);
});

test('real time: paced by the wall clock and abortable', async () => {
  const sink = new MemorySink();
  const ac = new AbortController();
  const gen = new EventGenerator({
    scenario: openstackScenario(),
    opsPerHour: 36_000,
    start: Instant.now(),
    seed: 3,
  });
  const t0 = performance.now();
  setTimeout(() => ac.abort(), 600);
  const summary = await gen.run(sink, { realtime: true, signal: ac.signal, batchSize: 1 });
  const elapsed = performance.now() - t0;
  assert.ok(summary.aborted);
  assert.ok(elapsed >= 550, `stopped after ${elapsed} ms`);
  const span = (sink.items.at(-1)?.emitted ?? 0) - (sink.items[0]?.emitted ?? 0);
  // ~10 operations a second for 0.6 s: a few dozen notifications, all due within the elapsed time
  assert.ok(sink.items.length > 0 && sink.items.length < 500, `${sink.items.length} notifications`);
  assert.ok(span <= elapsed * 1000 + 50_000);
  assert.ok(gen.done);
});

test('bad options are refused', () => {
  assert.throws(() => new EventGenerator({ scenario: openstackScenario(), opsPerHour: 0 }), /opsPerHour/);
  assert.throws(
    () => new EventGenerator({ scenario: openstackScenario(), opsPerHour: 1, duration: -5 }),
    /duration/,
  );
  assert.throws(
    () => new EventGenerator({ scenario: openstackScenario(), opsPerHour: 1, count: 1.5 }),
    /count/,
  );
  const gen = new EventGenerator({ scenario: openstackScenario(), opsPerHour: 60, count: 3 });
  void [...gen];
  assert.throws(() => [...gen], /runs once/);
  assert.ok(US_PER_HOUR > 0);
});
