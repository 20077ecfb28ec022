// The usage audit against what the generator produces: OpenStack traffic,
// distilled with the bundled definitions, grouped into streams the way the
// StackTach sandbox trigger does (instance_id + day; a .exists goes to the day
// its audit period begins), each stream with a .exists run through `usage`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUNDLED_DEFINITIONS } from '../../src/distill/bundled.js';
import { Distiller } from '../../src/distill/distiller.js';
import { EventGenerator } from '../../src/generate/event-generator.js';
import { openstackScenario } from '../../src/generate/openstack/openstack-scenario.js';
import type { WaymarkEvent } from '../../src/model/event.js';
import { Instant, US_PER_DAY, US_PER_HOUR } from '../../src/model/instant.js';
import { runPipeline } from '../../src/pipeline/run-pipeline.js';
import { builtin, MemoryLog, pipeline, streamRef } from './helpers.js';

/** The sandbox trigger's match criteria (compute.instance.*, the Nova error notifications, .exists). */
function matches(type: string): boolean {
  return (
    (type.startsWith('compute.instance.') && !type.startsWith('compute.instance.exists.')) ||
    type === 'snapshot_instance' ||
    type === 'rebuild_instance'
  );
}

test('fault-free generated traffic verifies: every .exists, also while an operation spans the audit’s midnight', async () => {
  const gen = new EventGenerator({
    scenario: openstackScenario({ hosts: 20, tenants: 20 }),
    opsPerHour: 200,
    seed: 11,
    duration: 3 * 24 * US_PER_HOUR,
  });
  const distiller = Distiller.load(BUNDLED_DEFINITIONS);
  const streams = new Map<string, WaymarkEvent[]>();
  let latest = 0;
  for (const g of gen) {
    const out = distiller.distill(g.notification);
    if (out.status !== 'event' || !matches(out.event.event_type)) continue;
    const e = out.event;
    latest = Math.max(latest, e.timestamp.us);
    const id = e.traits['instance_id'];
    const apb = e.traits['audit_period_beginning'];
    const at = e.event_type === 'compute.instance.exists' && apb instanceof Instant ? apb : e.timestamp;
    if (typeof id !== 'string') continue;
    const key = `${id}|${Math.floor(at.us / US_PER_DAY)}`;
    let list = streams.get(key);
    if (list === undefined) streams.set(key, (list = []));
    list.push(e);
  }
  const truth = gen.truth();
  const def = pipeline([{ spec: builtin('usage') }], 'test_fire_pipeline');
  let verified = 0;
  let exists = 0;
  const failures: WaymarkEvent[] = [];
  let id = 0;
  for (const events of streams.values()) {
    const n = events.filter((e) => e.event_type === 'compute.instance.exists').length;
    if (n === 0) continue;
    exists += n;
    const r = await runPipeline(def, events, { stream: streamRef({ id: ++id }), log: new MemoryLog() });
    assert.equal(r.status, 'committed');
    if (r.status !== 'committed') continue;
    assert.equal(r.emitted.length, n);
    for (const v of r.emitted) {
      if (v.event_type === 'compute.instance.exists.verified') verified++;
      else failures.push(v);
    }
  }
  assert.ok(exists > 500, `only ${exists} .exists generated`);
  // A .exists describes the instance as its last notification before midnight did, even while an
  // operation started before midnight runs on: every audit of fault-free traffic verifies.
  assert.deepEqual(
    failures.map((f) => `${String(f.traits['instance_id'])}: ${String(f.traits['reason'])}`),
    [],
  );
  assert.equal(verified, exists);
  // Deleted instances are audited too: every day with a finished delete, before the run's last
  // midnight, has its .exists, with deleted_at and state deleted.
  const lastMidnight = Math.floor(latest / US_PER_DAY) * US_PER_DAY;
  let deletions = 0;
  for (const events of streams.values()) {
    const del = events.find((e) => e.event_type === 'compute.instance.delete.end');
    if (del === undefined || del.timestamp.us >= lastMidnight) continue;
    deletions++;
    const ex = events.find((e) => e.event_type === 'compute.instance.exists');
    assert.ok(
      ex,
      `no .exists for ${String(del.traits['instance_id'])} deleted at ${del.timestamp.toISOString()}`,
    );
    assert.equal(ex.traits['state'], 'deleted');
    assert.ok(ex.traits['deleted_at'] instanceof Instant);
  }
  assert.ok(deletions > 10, `only ${deletions} deletions audited`);
  // The case that used to fail is in the run: operations running across an audit's midnight.
  const spanning = truth.filter(
    (t) =>
      t.kind !== 'compute.instance.exists' &&
      t.end !== null &&
      Math.floor(Instant.parse(t.start).us / US_PER_DAY) < Math.floor(Instant.parse(t.end).us / US_PER_DAY),
  );
  assert.ok(spanning.length > 0, 'no operation spans midnight: the test would prove nothing');
});
