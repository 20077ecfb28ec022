import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLED_DEFINITIONS, Distiller, type DistillOutcome } from '../../src/distill/index.js';
import type { WaymarkEvent } from '../../src/model/event.js';
import { REPO_ROOT } from '../helpers/paths.js';

function event(out: DistillOutcome): WaymarkEvent {
  assert.equal(out.status, 'event', JSON.stringify(out));
  return (out as { event: WaymarkEvent }).event;
}

const PAYLOAD = {
  instance_id: 'i-1',
  tenant_id: 't-1',
  user_id: 'u-1',
  memory_mb: 2048,
  disk_gb: 40,
  vcpus: 2,
  instance_type: 'm1.small',
  instance_type_id: '5',
  state: 'active',
  created_at: '2014-06-11 16:00:00.000000',
  launched_at: '2014-06-11 16:00:47.250000',
  deleted_at: '',
  image_meta: { 'org.openstack__1__architecture': 'x64', 'org.openstack__1__os_distro': 'org.debian' },
};

function note(event_type: string, payload: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    message_id: `m-${event_type}`,
    event_type,
    timestamp: '2014-06-11 16:09:41.123456',
    publisher_id: 'compute.host-3.example.com',
    _context_request_id: 'req-1',
    payload: { ...PAYLOAD, ...payload },
  };
}

test('BUNDLED_DEFINITIONS is definitions/openstack.yaml of the package and loads', () => {
  assert.equal(BUNDLED_DEFINITIONS, join(REPO_ROOT, 'definitions', 'openstack.yaml'));
  assert.ok(existsSync(BUNDLED_DEFINITIONS));
  assert.ok(Distiller.load(BUNDLED_DEFINITIONS).size >= 5);
});

test('the bundled definitions cover what a cloud emits for instances', () => {
  const d = Distiller.load(BUNDLED_DEFINITIONS);
  const ops = [
    'create',
    'delete',
    'resize.prep',
    'resize',
    'finish_resize',
    'resize.confirm',
    'resize.revert',
  ];
  ops.push('rebuild', 'snapshot', 'reboot', 'power_off', 'power_on', 'rescue', 'unrescue');
  for (const op of ops) {
    for (const phase of ['start', 'end']) {
      const type = `compute.instance.${op}.${phase}`;
      const e = event(d.distill(note(type, { new_instance_type: 'm1.large' })));
      assert.equal(e.traits['instance_id'], 'i-1', type);
      assert.equal(e.traits['host'], 'host-3.example.com', type);
      assert.equal(e.traits['memory_mb'], 2048, type);
      assert.equal(e.traits['new_instance_type'], 'm1.large', type);
    }
  }
  for (const type of [
    'scheduler.run_instance.start',
    'scheduler.run_instance.scheduled',
    'scheduler.run_instance.end',
  ]) {
    const e = event(
      d.distill({
        ...note(type),
        publisher_id: 'scheduler.sched-1',
        payload: {
          request_spec: { instance_properties: { uuid: 'i-9' }, instance_type: { memory_mb: 512 } },
        },
      }),
    );
    assert.equal(e.traits['instance_id'], 'i-9', type);
    assert.equal(e.traits['memory_mb'], 512, type);
    assert.equal(e.traits['service'], 'scheduler', type);
  }
});

test('bundled: update carries the state transition, exists the audit period, create.end the build time', () => {
  const d = Distiller.load(BUNDLED_DEFINITIONS);
  const u = event(
    d.distill(
      note('compute.instance.update', {
        state: 'building',
        old_state: 'building',
        new_task_state: 'spawning',
        old_task_state: 'networking',
      }),
    ),
  );
  assert.deepEqual(
    [u.traits['state'], u.traits['old_state'], u.traits['new_task_state'], u.traits['old_task_state']],
    ['building', 'building', 'spawning', 'networking'],
  );
  assert.equal(u.traits['request_id'], 'req-1');
  assert.equal(u.traits['tenant_id'], 't-1');
  assert.equal(u.traits['service'], 'compute');
  assert.equal(u.traits['instance_type_id'], 5);
  assert.equal(u.traits['os_distro'], 'org.debian');
  assert.equal(u.traits['deleted_at'], undefined);
  assert.equal(String(u.traits['launched_at']), '2014-06-11T16:00:47.250000Z');
  const x = event(
    d.distill(
      note('compute.instance.exists', {
        audit_period_beginning: '2014-06-10 00:00:00',
        audit_period_ending: '2014-06-11 00:00:00',
        deleted_at: '2014-06-11 12:00:00',
      }),
    ),
  );
  assert.equal(String(x.traits['audit_period_beginning']), '2014-06-10T00:00:00.000000Z');
  assert.equal(String(x.traits['audit_period_ending']), '2014-06-11T00:00:00.000000Z');
  assert.equal(String(x.traits['deleted_at']), '2014-06-11T12:00:00.000000Z');
  const c = event(d.distill(note('compute.instance.create.end')));
  assert.equal(c.traits['build_seconds'], 47.25);
  const err = event(
    d.distill(note('compute.instance.create.error', { code: 500, message: 'No valid host' })),
  );
  assert.equal(err.traits['error_code'], 500);
  assert.equal(err.traits['exception'], 'No valid host');
});

test("Nova's *_instance error notifications distill with the instance and the exception", () => {
  const d = Distiller.load(BUNDLED_DEFINITIONS);
  const e = event(
    d.distill({
      message_id: 'm-err',
      event_type: 'snapshot_instance',
      priority: 'ERROR',
      timestamp: '2014-06-11 16:09:41.123456',
      publisher_id: 'compute.host-7',
      _context_request_id: 'req-9',
      payload: {
        exception: { kwargs: { instance_id: 'i-7', code: 500 }, message: 'Image upload failed' },
        args: { instance: { uuid: 'i-7', vm_state: 'active', project_id: 'p-1', user_id: 'u-1' } },
      },
    }),
  );
  assert.equal(e.traits['instance_id'], 'i-7');
  assert.equal(e.traits['tenant_id'], 'p-1');
  assert.equal(e.traits['host'], 'host-7');
  assert.equal(e.traits['error_code'], 500);
  assert.equal(e.traits['exception'], 'Image upload failed');
  assert.equal(e.traits['request_id'], 'req-9');
});
