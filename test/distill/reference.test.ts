// The real definitions files users have (../shared/reference, loaded unchanged)
// against the real captured notifications of notigen's templates.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Distiller, type DistillOutcome } from '../../src/distill/index.js';
import type { WaymarkEvent } from '../../src/model/event.js';
import { Instant, US_PER_DAY, US_PER_SECOND } from '../../src/model/instant.js';
import { wrapOslo } from '../../src/model/notification.js';
import { sharedReference } from '../helpers/paths.js';

const BASE = Instant.parse('2014-06-11T00:00:00Z');
const NAMED: Record<string, string> = {
  tenant_id: 'tenant-42',
  user_id: 'user-7',
  display_name: 'web-01',
  host: 'host-7',
  hostname: 'web-01',
  node: 'node-7.example.com',
  reservation_id: 'r-abc',
  image_name: 'ubuntu-12.04',
  device_name: '/dev/vdb',
  publisher_id: 'compute.host-7.example.com',
};

const uuid = (k: number): string => `00000000-0000-4000-8000-${String(k).padStart(12, '0')}`;

/** A notigen template with its placeholders replaced by plausible values. */
function instantiate(file: string): Record<string, unknown>[] {
  const [hints, ...notes] = JSON.parse(readFileSync(file, 'utf8')) as [
    { time_map: Record<string, [number, number, number]> },
    ...unknown[],
  ];
  const text = JSON.stringify(notes).replace(
    /\[\[\[\[(\w+?)(?:_(\d+))?\]\]\]\]/g,
    (all, name: string, k?: string) => {
      const n = Number(k);
      switch (name) {
        case 'UUID':
          return uuid(n);
        case 'XUUID':
          return uuid(n).replace(/-/g, '');
        case 'V4':
          return `10.0.0.${n}`;
        case 'V6':
          return `fe80::${n}`;
        case 'DT': {
          const [days, seconds, micros] = hints.time_map[all] ?? [0, 0, 0];
          return BASE.plus(days * US_PER_DAY + seconds * US_PER_SECOND + micros).toOpenStack();
        }
        default: {
          const v = NAMED[k === undefined ? name : `${name}_${k}`];
          if (v === undefined) throw new Error(`unknown placeholder ${all}`);
          return v;
        }
      }
    },
  );
  return JSON.parse(text) as Record<string, unknown>[];
}

function event(out: DistillOutcome): WaymarkEvent {
  assert.equal(out.status, 'event', JSON.stringify(out));
  return (out as { event: WaymarkEvent }).event;
}

function load(t: TestContext, name: string): Distiller | undefined {
  const file = sharedReference(t, 'stacktach-configs', name);
  return file === undefined ? undefined : Distiller.load(file);
}

for (const defs of ['sandbox-event_definitions.yaml', 'winchester-event_definitions.yaml']) {
  test(`${defs}: the daily exists notification distills to the expected traits`, (t) => {
    const d = load(t, defs);
    const file = sharedReference(t, 'notigen-templates', 'eod_exists.json');
    if (d === undefined || file === undefined) return;
    const [n] = instantiate(file);
    const e = event(d.distill(n, BASE));
    assert.equal(e.event_type, 'compute.instance.exists');
    assert.equal(e.message_id, uuid(3));
    assert.equal(e.timestamp.toISOString(), '2014-06-11T00:00:00.000000Z');
    assert.equal(e.traits['instance_id'], uuid(1));
    assert.equal(e.traits['host'], 'host-7.example.com');
    assert.equal(e.traits['service'], 'compute');
    assert.equal(e.traits['tenant_id'], 'tenant-42');
    assert.equal(e.traits['memory_mb'], 15360);
    assert.equal(e.traits['vcpus'], 6);
    assert.equal(e.traits['root_gb'], 620);
    assert.equal(e.traits['os_distro'], 'com.ubuntu');
    assert.equal(e.traits['os_architecture'], 'x64');
    assert.equal(e.traits['os_version'], '12.04');
    assert.equal(e.traits['state'], 'active');
    // DT_0 = -75 days + 45627.866412 s; DT_1 = -2 days + 86399.866412 s; DT_3 = -1 day + 86399.866412 s.
    assert.ok(e.traits['launched_at'] instanceof Instant);
    assert.equal(String(e.traits['launched_at']), '2014-03-28T12:40:27.866412Z');
    assert.equal(String(e.traits['audit_period_beginning']), '2014-06-09T23:59:59.866412Z');
    assert.equal(String(e.traits['audit_period_ending']), '2014-06-10T23:59:59.866412Z');
    // Nova writes "" for a null date: absent, not an error.
    assert.equal(e.traits['deleted_at'], undefined);
    assert.equal((d.distill(n) as { conversionErrors: number }).conversionErrors, 0);
    if (defs.startsWith('winchester')) assert.equal(e.traits['instance_type_id'], 7);
    else {
      assert.equal(e.traits['request_id'], `req-${uuid(0)}`);
      assert.equal(e.traits['instance_flavor_id'], 7);
      assert.equal(e.traits['bandwidth_in'], '0'); // a text trait in that file
    }
  });

  test(`${defs}: every notigen template notification distills, bare or in the oslo envelope`, (t) => {
    const d = load(t, defs);
    const any = sharedReference(t, 'notigen-templates', 'eod_exists.json');
    if (d === undefined || any === undefined) return;
    const dir = dirname(any);
    let count = 0;
    for (const name of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      for (const n of instantiate(join(dir, name))) {
        const type = n['event_type'] as string;
        const out = d.distill(n, BASE);
        // What each file defines, read off the file by hand: winchester only compute.instance.*;
        // sandbox also the scheduler and some of Nova's error notifications (not terminate/rescue_instance).
        const covered =
          type.startsWith('compute.instance.') ||
          (defs.startsWith('sandbox') &&
            (type.startsWith('scheduler.run_instance.') ||
              type === 'snapshot_instance' ||
              type === 'rebuild_instance'));
        if (!covered) {
          assert.equal(out.status, 'no_definition', `${name}: ${type}`);
          continue;
        }
        const e = event(out);
        assert.deepEqual(d.distill(wrapOslo(n), BASE), out, `${name}: ${type} wrapped`);
        assert.equal((out as { conversionErrors: number }).conversionErrors, 0, `${name}: ${type}`);
        assert.equal(e.traits['host'], 'host-7.example.com', `${name}: ${type}`);
        assert.equal(e.traits['service'], 'compute');
        if (type.startsWith('compute.instance.')) {
          assert.equal(e.traits['instance_id'], uuid(1), `${name}: ${type}`);
          assert.equal(e.traits['tenant_id'], 'tenant-42', `${name}: ${type}`);
          assert.equal(typeof e.traits['memory_mb'], 'number', `${name}: ${type}`);
        }
        count++;
      }
    }
    assert.ok(count > 100, `only ${count} notifications`);
  });
}

test('sandbox definitions: a create.end carries memory_mb as int, the message, no launch time yet', (t) => {
  const d = load(t, 'sandbox-event_definitions.yaml');
  const file = sharedReference(t, 'notigen-templates', 'compute.instance.create.start_23.json');
  if (d === undefined || file === undefined) return;
  const notes = instantiate(file);
  const end = notes.find((n) => n['event_type'] === 'compute.instance.create.end');
  const e = event(d.distill(end, BASE));
  assert.equal(e.traits['memory_mb'], 512);
  assert.equal(e.traits['instance_flavor'], '512MB Standard Instance');
  assert.match(String(e.traits['message']), /Instance disappeared during build/);
  assert.equal(e.traits['launched_at'], undefined);
  const sched = notes.find((n) => n['event_type'] === 'scheduler.run_instance.scheduled');
  assert.equal(d.definitionFor('scheduler.run_instance.scheduled')?.index, 3);
  assert.equal(event(d.distill(sched, BASE)).traits['instance_id'], uuid(1));
});
