import { test } from 'node:test';
import assert from 'node:assert/strict';
import { US_PER_DAY, US_PER_HOUR } from '../../src/model/instant.js';
import { instanceOf, payloadOf, runOpenstack, us } from './helpers.js';

// 26 hours at 4 operations a minute: crosses one midnight, thousands of operations.
const long = runOpenstack({ opsPerHour: 240, duration: 26 * US_PER_HOUR, seed: 11 });
const notes = long.items.map((g) => g.notification as Record<string, unknown>);

test('long run: every line is a notification with the fields Nova writes', () => {
  assert.ok(notes.length > 20_000, `only ${notes.length} notifications`);
  for (const n of notes) {
    assert.match(
      String(n['message_id']),
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    assert.match(String(n['timestamp']), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    assert.match(String(n['publisher_id']), /^(compute|api|scheduler)\.[a-z]+-\d+$/);
    assert.match(String(n['_context_request_id']), /^req-[0-9a-f-]{36}$/);
    assert.ok(['INFO', 'ERROR'].includes(String(n['priority'])));
  }
});

test('long run: notifications come in emit-time order and inside the window', () => {
  const start = us('2026-01-01T00:00:00Z');
  let prev = start;
  for (const n of notes) {
    const t = us(n['timestamp']);
    assert.ok(t >= prev, `${String(n['timestamp'])} before ${prev}`);
    prev = t;
  }
  assert.ok(prev < start + 26 * US_PER_HOUR);
});

test('long run: no impossible sequences (nothing after a delete, no overlapping requests on one instance)', () => {
  const deletedAt = new Map<string, number>();
  const spans = new Map<string, Map<string, [number, number]>>();
  let auditedDeletes = 0;
  for (const n of notes) {
    const id = instanceOf(n);
    assert.ok(id !== undefined, `no instance in ${String(n['event_type'])}`);
    const t = us(n['timestamp']);
    const gone = deletedAt.get(id);
    if (gone !== undefined) {
      // Only audits, as Nova sends them after midnight: of the period it was deleted in (state deleted,
      // deleted_at inside), or of a period that ended while its delete was still running.
      assert.equal(
        n['event_type'],
        'compute.instance.exists',
        `${String(n['event_type'])} for ${id} after its delete.end`,
      );
      const p = payloadOf(n);
      if (p['state'] === 'deleted') {
        const deleted = us(p['deleted_at']);
        assert.ok(
          us(p['audit_period_beginning']) <= deleted && deleted < us(p['audit_period_ending']),
          `${id}: deleted_at outside the audited period`,
        );
      } else {
        assert.ok(us(p['audit_period_ending']) <= gone, `${id}: audited alive after its deletion`);
      }
      auditedDeletes++;
    }
    if (n['event_type'] === 'compute.instance.delete.end') deletedAt.set(id, t);
    if (n['event_type'] === 'compute.instance.exists') continue; // the audit runs whatever the instance does
    const req = String(n['_context_request_id']);
    let byReq = spans.get(id);
    if (byReq === undefined) spans.set(id, (byReq = new Map<string, [number, number]>()));
    const s = byReq.get(req);
    if (s === undefined) byReq.set(req, [t, t]);
    else s[1] = t;
  }
  assert.ok(deletedAt.size > 100, `only ${deletedAt.size} deletes`);
  assert.ok(auditedDeletes > 10, `only ${auditedDeletes} deleted instances audited after the midnight`);
  let checked = 0;
  for (const [id, byReq] of spans) {
    const list = [...byReq.values()].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < list.length; i++) {
      assert.ok((list[i] as [number, number])[0] > (list[i - 1] as [number, number])[1], `overlap on ${id}`);
      checked++;
    }
  }
  assert.ok(checked > 1000);
});

test('long run: an instance begins with its build request and the mix contains every operation', () => {
  const first = new Map<string, string>();
  const kinds = new Set<string>();
  for (const n of notes) {
    const id = instanceOf(n) as string;
    if (!first.has(id)) first.set(id, `${String(n['event_type'])}/${String(payloadOf(n)['new_task_state'])}`);
    kinds.add(String(n['event_type']));
  }
  for (const [id, f] of first) assert.equal(f, 'compute.instance.update/scheduling', id);
  for (const op of [
    'create',
    'delete',
    'resize.prep',
    'resize.confirm',
    'resize.revert',
    'rebuild',
    'snapshot',
    'reboot',
    'power_off',
    'power_on',
    'rescue',
    'unrescue',
  ]) {
    assert.ok(kinds.has(`compute.instance.${op}.start`), `no ${op}`);
  }
  assert.ok(kinds.has('compute.instance.create.error'), 'no failed build');
  assert.ok(kinds.has('scheduler.run_instance.scheduled'));
});

test('long run: a build has ~15 updates through the task states and takes about 50 s', () => {
  const byReq = new Map<string, Record<string, unknown>[]>();
  for (const n of notes) {
    const r = String(n['_context_request_id']);
    let l = byReq.get(r);
    if (l === undefined) byReq.set(r, (l = []));
    l.push(n);
  }
  const durations: number[] = [];
  for (const l of byReq.values()) {
    const end = l.find((n) => n['event_type'] === 'compute.instance.create.end');
    const start = l.find((n) => n['event_type'] === 'compute.instance.create.start');
    if (end === undefined || start === undefined) continue;
    const tasks = l
      .filter((n) => n['event_type'] === 'compute.instance.update')
      .map((n) => payloadOf(n)['new_task_state']);
    assert.ok(tasks.length >= 13 && tasks.length <= 20, `${tasks.length} updates`);
    for (const t of ['scheduling', 'networking', 'block_device_mapping', 'spawning'])
      assert.ok(tasks.includes(t));
    const p = payloadOf(end);
    assert.equal(p['state'], 'active');
    assert.notEqual(p['launched_at'], '');
    assert.equal(p['deleted_at'], '');
    assert.equal(payloadOf(start)['launched_at'], '');
    const meta = p['image_meta'] as Record<string, string>;
    assert.ok(meta['org.openstack__1__os_distro'] !== undefined);
    durations.push((us(end['timestamp']) - us(start['timestamp'])) / 1e6);
  }
  assert.ok(durations.length > 100);
  const mean = durations.reduce((a, b) => a + b, 0) / durations.length;
  assert.ok(mean > 30 && mean < 80, `mean build ${mean} s`);
});

test('long run: every live instance gets one .exists after midnight for the day before', () => {
  const midnight = us('2026-01-02T00:00:00Z');
  const built = new Map<string, number>();
  const last = new Map<string, number>();
  const exists = new Map<string, Record<string, unknown>[]>();
  for (const n of notes) {
    const id = instanceOf(n) as string;
    const t = us(n['timestamp']);
    const et = String(n['event_type']);
    if (et === 'compute.instance.create.end' || et === 'compute.instance.create.error') built.set(id, t);
    if (et === 'compute.instance.exists') {
      const l = exists.get(id) ?? [];
      l.push(n);
      exists.set(id, l);
    } else last.set(id, t);
  }
  let expected = 0;
  for (const [id, b] of built) {
    // built before midnight, still active well after the audit: must be audited
    if (b < midnight && (last.get(id) ?? 0) > midnight + 600e6) {
      expected++;
      const l = exists.get(id);
      assert.equal(l?.length, 1, `instance ${id}`);
    }
  }
  assert.ok(expected > 50, `only ${expected} live instances at midnight`);
  for (const l of exists.values()) {
    for (const n of l) {
      const p = payloadOf(n);
      assert.equal(us(p['audit_period_beginning']), midnight - US_PER_DAY);
      assert.equal(us(p['audit_period_ending']), midnight);
      const t = us(n['timestamp']);
      assert.ok(t > midnight && t < midnight + 600e6);
    }
  }
});

test('long run: truth agrees with the notifications (creates: start/end are create.start/.end)', () => {
  const startOf = new Map<string, number>();
  const endOf = new Map<string, number>();
  for (const n of notes) {
    const id = instanceOf(n) as string;
    if (n['event_type'] === 'compute.instance.create.start') startOf.set(id, us(n['timestamp']));
    if (n['event_type'] === 'compute.instance.create.end') endOf.set(id, us(n['timestamp']));
  }
  const creates = long.truth.filter((r) => r.kind === 'compute.instance.create');
  assert.ok(creates.length > 500);
  for (const r of creates) {
    assert.equal(r.group_by, 'instance_id');
    assert.equal(us(r.start), startOf.get(r.id));
    if (r.outcome === 'completed') {
      assert.equal(us(r.end), endOf.get(r.id));
      assert.equal(r.duration_s, ((endOf.get(r.id) as number) - (startOf.get(r.id) as number)) / 1e6);
    } else if (r.outcome === 'failed') assert.ok(!endOf.has(r.id));
    else assert.equal(r.outcome, 'cut_off');
    assert.deepEqual(r.faults, []);
  }
  const failed = creates.filter((r) => r.outcome === 'failed').length;
  assert.ok(failed > 0 && failed < creates.length * 0.1, `${failed} failed builds`);
  for (const r of long.truth) {
    assert.match(r.start, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    if (r.end !== null) assert.match(r.end, /Z$/);
  }
});

test('duration: operations running at the end are cut off with a null end', () => {
  const cut = long.truth.filter((r) => r.outcome === 'cut_off');
  assert.ok(cut.length > 0);
  const windowEnd = us('2026-01-01T00:00:00Z') + 26 * US_PER_HOUR;
  for (const r of cut) {
    assert.equal(r.end, null);
    assert.equal(r.duration_s, null);
    assert.ok(us(r.start) < windowEnd && us(r.start) > windowEnd - 2 * US_PER_HOUR);
  }
});
