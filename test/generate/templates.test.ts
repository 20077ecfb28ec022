import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError } from '../../src/config/config-error.js';
import { Rng } from '../../src/generate/rng.js';
import type { PlannedOperation } from '../../src/generate/scenario.js';
import { loadTemplateScenario } from '../../src/generate/templates/template-scenario.js';
import {
  Instant,
  US_PER_DAY,
  US_PER_SECOND,
  formatOpenStack,
  parseMicros,
  type Micros,
} from '../../src/model/instant.js';
import type { Scenario } from '../../src/generate/scenario.js';
import { REPO_ROOT, sharedReference } from '../helpers/paths.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'templates');
const START = Instant.parse('2014-06-11 16:00:00').us;
const OPENSTACK_TS = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/;

/**
 * Drive a scenario like the generator core would: before each operation start,
 * the periodic work due since the previous start; then `next`.
 */
function drive(
  scenario: Scenario,
  start: Micros,
  count: number,
  stepUs: Micros,
  seed: number,
): PlannedOperation[] {
  const rng = new Rng(seed);
  const ops: PlannedOperation[] = [];
  let prev = start;
  for (let i = 0; i < count; i++) {
    const t = start + i * stepUs;
    if (scenario.periodic !== undefined && t > prev) ops.push(...scenario.periodic(prev, t, rng));
    const op = scenario.next(t, rng);
    if (op !== undefined) ops.push(op);
    prev = t;
  }
  return ops;
}

function payloadOf(n: Record<string, unknown>): Record<string, unknown> {
  const p = n['payload'];
  return p !== null && typeof p === 'object' ? (p as Record<string, unknown>) : {};
}

function lastAt(op: PlannedOperation): Micros {
  return Math.max(...op.notifications.map((n) => n.at));
}

/** Checks that hold for any template directory over a long run. */
function checkRun(ops: PlannedOperation[], start: Micros, days: number): void {
  // Placeholders, timestamps, order.
  for (const op of ops) {
    let prevAt = -Infinity;
    for (const { at, notification } of op.notifications) {
      const text = JSON.stringify(notification);
      assert.ok(!text.includes('[[[['), `placeholder left in ${op.kind}: ${text.slice(0, 200)}`);
      assert.match(notification['timestamp'] as string, OPENSTACK_TS);
      assert.equal(parseMicros(notification['timestamp'] as string), at);
      assert.ok(at >= prevAt, `${op.kind} notifications not ascending`);
      prevAt = at;
    }
    assert.equal(op.start, op.notifications[0]?.at);
    if (op.end !== null) assert.equal(op.end, lastAt(op));
  }
  // Per instance: created first, no overlap, nothing after a delete.
  const byInstance = new Map<string, PlannedOperation[]>();
  for (const op of ops) {
    if (op.group_by !== 'instance_id') continue;
    const list = byInstance.get(op.id) ?? [];
    list.push(op);
    byInstance.set(op.id, list);
  }
  let deleted = 0;
  for (const [id, list] of byInstance) {
    list.sort((x, y) => x.start - y.start);
    assert.equal(list[0]?.kind, 'compute.instance.create', `first operation on ${id}`);
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1] as PlannedOperation;
      const cur = list[i] as PlannedOperation;
      assert.notEqual(cur.kind, 'compute.instance.create');
      assert.notEqual(list[0]?.outcome, 'failed', `${cur.kind} on ${id} whose create failed`);
      assert.ok(lastAt(prev) <= cur.start, `${prev.kind} and ${cur.kind} overlap on ${id}`);
      const prevDeletes = prev.notifications.some(
        (n) => n.notification['event_type'] === 'compute.instance.delete.start',
      );
      assert.ok(!prevDeletes, `${cur.kind} after a delete of ${id}`);
      // The instance keeps its tenant in every operation.
      assert.equal(
        payloadOf(cur.notifications[0]?.notification ?? {})['tenant_id'],
        list[0]?.attributes?.['tenant_id'],
      );
    }
    if (
      list.some((o) =>
        o.notifications.some((n) => n.notification['event_type'] === 'compute.instance.delete.start'),
      )
    ) {
      deleted++;
    }
  }
  assert.ok(deleted > 5, `only ${deleted} instances deleted`);
  // Daily exists for every instance live at midnight, audit period the day before.
  for (let d = 1; d <= days; d++) {
    const m = (Math.floor(start / US_PER_DAY) + d) * US_PER_DAY;
    const created = new Set<string>();
    const gone = new Set<string>();
    for (const op of ops) {
      if (op.start >= m || op.group_by !== 'instance_id') continue;
      if (op.kind === 'compute.instance.create' && op.outcome !== 'failed') created.add(op.id);
      if (op.notifications.some((n) => n.notification['event_type'] === 'compute.instance.delete.start'))
        gone.add(op.id);
    }
    const expected = [...created].filter((id) => !gone.has(id)).sort();
    assert.ok(expected.length > 3);
    const exists = ops.filter(
      (o) =>
        o.kind === 'compute.instance.exists' && o.attributes?.['audit_period_ending'] === formatOpenStack(m),
    );
    assert.deepEqual(exists.map((o) => o.id).sort(), expected, `exists at ${formatOpenStack(m)}`);
    for (const e of exists) {
      const p = payloadOf(e.notifications[0]?.notification ?? {});
      assert.equal(parseMicros(p['audit_period_ending'] as string), m);
      assert.equal(parseMicros(p['audit_period_beginning'] as string), m - US_PER_DAY);
      assert.equal(p['instance_id'], e.id);
      assert.ok(e.start >= m);
    }
  }
}

function offsetOf(entry: [number, number, number]): number {
  return entry[0] * 86_400_000_000 + entry[1] * 1_000_000 + entry[2];
}

describe('notigen templates: fixture directory', () => {
  const scenario = loadTemplateScenario(FIXTURES, { warmup: 3 });
  // 400 operations, one every 7 minutes: about two days, so two midnights.
  const ops = drive(scenario, START, 400, 7 * 60 * US_PER_SECOND, 11);

  test('a long run: placeholders filled, timestamps right, instances consistent, daily exists', () => {
    assert.ok(ops.length >= 400);
    checkRun(ops, START, 2);
  });

  test('placeholders inside larger strings are filled with consistent values', () => {
    const reboot = ops.find((o) => o.kind === 'compute.instance.reboot');
    assert.ok(reboot !== undefined);
    const n = reboot.notifications[1]?.notification as Record<string, unknown>;
    const p = payloadOf(n);
    assert.match(
      n['_context_request_id'] as string,
      /^req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    assert.match(p['image_ref_url'] as string, /^http:\/\/\d+\.\d+\.\d+\.\d+:9292\/images\/[0-9a-f-]{36}$/);
    assert.equal(p['message'], `Rebooting instance ${String(p['instance_id'])} on ${String(p['host'])}`);
    assert.match(n['_unique_id'] as string, /^[0-9a-f]{32}$/);
    assert.match(p['access_ip_v6'] as string, /^[0-9a-f:]+$/);
    // One request id across the whole operation.
    const ids = new Set(reboot.notifications.map((x) => x.notification['_context_request_id']));
    assert.equal(ids.size, 1);
  });

  test('emit times follow the time_map offsets in microseconds, sorted ascending', () => {
    const create = ops.find((o) => o.kind === 'compute.instance.create');
    assert.ok(create !== undefined);
    // The fixture lists create.end before create.start; emit order must still be ascending.
    assert.deepEqual(
      create.notifications.map((n) => n.notification['event_type']),
      ['compute.instance.update', 'compute.instance.create.start', 'compute.instance.create.end'],
    );
    const [a, b, c] = create.notifications.map((n) => n.at - create.start);
    assert.equal(a, 0);
    assert.equal(b, offsetOf([0, 1, 250000]));
    assert.equal(c, offsetOf([0, 42, 999999]));
    // Not notigen's reading of the third number as milliseconds.
    assert.notEqual(c, 42 * US_PER_SECOND + 999999 * 1000);
    assert.equal(create.end, create.start + c);
    assert.equal(create.outcome, 'completed');
    assert.equal(create.group_by, 'instance_id');
    assert.equal(create.id, payloadOf(create.notifications[0]?.notification ?? {})['instance_id']);
  });

  test('a template with an ERROR notification is failed', () => {
    const rescue = ops.find((o) => o.kind === 'compute.instance.rescue');
    assert.ok(rescue !== undefined);
    assert.equal(rescue.outcome, 'failed');
  });

  test('same seed, same operations', () => {
    const a = drive(loadTemplateScenario(FIXTURES), START, 50, 60 * US_PER_SECOND, 5);
    const b = drive(loadTemplateScenario(FIXTURES), START, 50, 60 * US_PER_SECOND, 5);
    assert.equal(JSON.stringify(a), JSON.stringify(b));
    const c = drive(loadTemplateScenario(FIXTURES), START, 50, 60 * US_PER_SECOND, 6);
    assert.notEqual(JSON.stringify(a), JSON.stringify(c));
  });

  test('creates come first, then a mix', () => {
    const s = loadTemplateScenario(FIXTURES, { warmup: 4 });
    const rng = new Rng(1);
    const kinds = Array.from({ length: 60 }, (_, i) => s.next(START + i * 600 * US_PER_SECOND, rng)?.kind);
    assert.deepEqual(kinds.slice(0, 4), Array(4).fill('compute.instance.create'));
    assert.ok(new Set(kinds).size >= 3);
  });
});

describe('notigen templates: bad directories and files', () => {
  const root = mkdtempSync(join(tmpdir(), 'waymark-templates-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const good = readFileSync(join(FIXTURES, 'compute.instance.reboot.start_3.json'), 'utf8');
  let n = 0;

  /** A directory holding a good create template plus `files`; returns the ConfigError. */
  function loadError(files: Record<string, string>, withCreate = true): ConfigError {
    const dir = join(root, `case-${n++}`);
    mkdirSync(dir);
    if (withCreate) {
      writeFileSync(
        join(dir, 'compute.instance.create.start_1.json'),
        readFileSync(join(FIXTURES, 'compute.instance.create.start_1.json')),
      );
    }
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    try {
      loadTemplateScenario(dir);
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      return e;
    }
    assert.fail('expected a ConfigError');
  }
  function mutate(edit: (doc: unknown[]) => void): string {
    const doc = JSON.parse(good) as unknown[];
    edit(doc);
    return JSON.stringify(doc);
  }
  const BAD = 'compute.instance.reboot.start_9.json';

  test('the base case loads', () => {
    const dir = join(root, 'good');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'compute.instance.create.start_1.json'),
      readFileSync(join(FIXTURES, 'compute.instance.create.start_1.json')),
    );
    writeFileSync(join(dir, BAD), good);
    assert.ok(loadTemplateScenario(dir).next(START, new Rng(1)) !== undefined);
  });

  test('a missing directory', () => {
    assert.throws(
      () => loadTemplateScenario(join(root, 'nope')),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, /nope: cannot read the notigen template directory/);
        return true;
      },
    );
  });

  test('a directory without .json files', () => {
    const e = loadError({ 'README.txt': 'hello' }, false);
    assert.match(e.message, /no \*\.json notigen templates/);
  });

  test('invalid JSON', () => {
    const e = loadError({ [BAD]: '[{"time_map": {}}, ' });
    assert.equal(e.problems[0]?.file, join(root, `case-${n - 1}`, BAD));
    assert.match(e.message, /not valid JSON/);
  });

  test('not a list', () => {
    const e = loadError({ [BAD]: '{"event_type": "x"}' });
    assert.match(e.message, new RegExp(`${BAD.replace(/\./g, '\\.')}: expected a JSON list`));
  });

  test('element 0 is not the hints', () => {
    const e = loadError({ [BAD]: mutate((d) => d.shift()) });
    assert.match(e.message, /\[0\]: element 0 must be the context hints object/);
  });

  test('a malformed time_map entry', () => {
    const e = loadError({
      [BAD]: mutate((d) => {
        ((d[0] as Record<string, unknown>)['time_map'] as Record<string, unknown>)['[[[[DT_1]]]]'] = [0, 3];
      }),
    });
    assert.equal(e.problems.length, 1);
    assert.match(
      e.message,
      /\[0\]\.time_map\["\[\[\[\[DT_1\]\]\]\]"\]: expected \[days, seconds, microseconds\]/,
    );
  });

  test('a time_map key that is not a DT placeholder', () => {
    const e = loadError({
      [BAD]: mutate((d) => {
        ((d[0] as Record<string, unknown>)['time_map'] as Record<string, unknown>)['DT_9'] = [0, 0, 0];
      }),
    });
    assert.match(e.message, /key must be a DT placeholder/);
  });

  test('an unknown placeholder', () => {
    const e = loadError({ [BAD]: good.replace('"[[[[host]]]]"', '"[[[[hots]]]]"') });
    assert.match(e.message, /\[1\]\.payload\.host: unknown placeholder \[\[\[\[hots\]\]\]\]/);
  });

  test('a DT placeholder missing from the time_map', () => {
    const e = loadError({
      [BAD]: good.replace('"timestamp": "[[[[DT_2]]]]"', '"timestamp": "[[[[DT_7]]]]"'),
    });
    assert.match(e.message, /\[3\]\.timestamp: \[\[\[\[DT_7\]\]\]\] is not in the hints' time_map/);
  });

  test('an indexed placeholder beyond the hints count', () => {
    const e = loadError({
      [BAD]: good.replace('"message_id": "[[[[UUID_3]]]]"', '"message_id": "[[[[UUID_99]]]]"'),
    });
    assert.match(e.message, /\[\[\[\[UUID_99\]\]\]\] but the hints declare uuid: 5/);
  });

  test('a timestamp that is not a DT placeholder', () => {
    const e = loadError({
      [BAD]: mutate((d) => ((d[1] as Record<string, unknown>)['timestamp'] = '2014-06-11 16:09:41')),
    });
    assert.match(e.message, /\[1\]\.timestamp: expected a "\[\[\[\[DT_k\]\]\]\]" placeholder/);
  });

  test('a hints list with no notifications, and an unknown hints key', () => {
    const e = loadError({ [BAD]: JSON.stringify([{ uuid: 1, time_map: {}, v5: 2 }]) });
    assert.match(e.message, /\[0\]\.v5: unknown hints key/);
    assert.match(e.message, /no notifications after the context hints/);
  });

  test('instance templates without a create template', () => {
    const e = loadError({ [BAD]: good }, false);
    assert.match(e.message, /none creates one/);
  });

  test('every problem of every file is reported at once', () => {
    const e = loadError({ 'a_1.json': '{}', 'b_1.json': '[1]' });
    assert.equal(e.problems.length, 2);
    assert.deepEqual(
      e.problems.map((p) => p.file.split('/').pop()),
      ['a_1.json', 'b_1.json'],
    );
  });
});

describe('notigen templates: the reference directory, unchanged', () => {
  test('loads and runs two days of possible sequences', (t) => {
    const dir = sharedReference(t, 'notigen-templates');
    if (dir === undefined) return;
    const scenario = loadTemplateScenario(dir);
    const ops = drive(scenario, START, 1500, 2 * 60 * US_PER_SECOND, 3);
    checkRun(ops, START, 2);
    const kinds = new Set(ops.map((o) => o.kind));
    for (const k of [
      'compute.instance.create',
      'compute.instance.delete',
      'compute.instance.resize.confirm',
      'compute.instance.exists',
      'compute.instance.power_off',
    ]) {
      assert.ok(kinds.has(k), k);
    }
  });

  test('emit offsets are the time_map offsets with the third number in microseconds', (t) => {
    const dir = sharedReference(t, 'notigen-templates');
    if (dir === undefined) return;
    const file = 'compute.instance.create.start_24.json';
    const raw = JSON.parse(readFileSync(join(dir, file), 'utf8')) as [
      { time_map: Record<string, [number, number, number]> },
      ...Record<string, unknown>[],
    ];
    const [hints, ...notes] = raw;
    const endNote = notes.find((n) => n['event_type'] === 'compute.instance.create.end');
    const firstNote = notes[0];
    assert.ok(endNote !== undefined && firstNote !== undefined);
    const expected =
      offsetOf(hints.time_map[endNote['timestamp'] as string] as [number, number, number]) -
      offsetOf(hints.time_map[firstNote['timestamp'] as string] as [number, number, number]);
    assert.ok(expected > 0);
    const ops = drive(loadTemplateScenario(dir), START, 600, 60 * US_PER_SECOND, 9);
    const create = ops.find((o) => o.attributes?.['template'] === file);
    assert.ok(create !== undefined, `${file} never chosen`);
    const endAt = create.notifications.find(
      (n) => n.notification['event_type'] === 'compute.instance.create.end',
    )?.at;
    assert.equal(endAt, create.start + expected);
    assert.equal(create.outcome, 'completed');
    assert.equal(create.end, create.start + expected);
  });

  test('outcomes follow the templates: an abort message or an ERROR fails, a missing .end never ends', (t) => {
    const dir = sharedReference(t, 'notigen-templates');
    if (dir === undefined) return;
    const ops = drive(loadTemplateScenario(dir), START, 1500, 60 * US_PER_SECOND, 4);
    const byTemplate = (f: string): PlannedOperation | undefined =>
      ops.find((o) => o.attributes?.['template'] === f);
    assert.equal(byTemplate('compute.instance.create.start_23.json')?.outcome, 'failed');
    assert.equal(byTemplate('compute.instance.rebuild.start_14.json')?.outcome, 'failed');
    assert.equal(byTemplate('compute.instance.delete.start_8.json')?.outcome, 'completed');
    const snap = byTemplate('compute.instance.snapshot.start_7.json');
    assert.equal(snap?.outcome, 'never_ended');
    assert.equal(snap?.end, null);
    assert.equal(
      byTemplate('compute.instance.resize.confirm.start_4.json')?.kind,
      'compute.instance.resize.confirm',
    );
  });
});
