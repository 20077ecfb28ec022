// End to end, as a user runs it: `waymark generate ... | waymark distill ...` in
// real processes, checked against the generator's ground truth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, sharedReference } from '../helpers/paths.js';

const WAYMARK = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

interface EventLine {
  message_id: string;
  event_type: string;
  timestamp: string;
  received: string;
  traits: Record<string, string | number>;
}
interface TruthLine {
  kind: string;
  group_by: string;
  id: string;
  start: string;
  end: string | null;
  duration_s: number | null;
  outcome: string;
  faults: string[];
  phases?: Record<string, number>;
}

/** Runs `generate ARGS | distill DISTILL_ARGS` under bash with pipefail; returns events, truth and stderr. */
function pipeline(generateArgs: string[], distillArgs: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-pipe-'));
  const truthFile = join(dir, 'truth.jsonl');
  const q = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;
  const cmd =
    `set -o pipefail; node ${q(WAYMARK)} generate ${generateArgs.map(q).join(' ')} --truth ${q(truthFile)} --quiet` +
    ` | node ${q(WAYMARK)} distill ${distillArgs.map(q).join(' ')} 2>${q(join(dir, 'distill.err'))}`;
  const stdout = execFileSync('bash', ['-c', cmd], { maxBuffer: 512 * 1024 * 1024 }).toString();
  const events = stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as EventLine);
  const truth = readFileSync(truthFile, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as TruthLine);
  return { events, truth, stderr: readFileSync(join(dir, 'distill.err'), 'utf8'), dir };
}

const seconds = (iso: string): number =>
  Date.parse(iso) / 1000 + Number(`0.${iso.slice(20, 26)}`) - Number(`0.${iso.slice(20, 23)}`);

test('openstack: every notification distills, and the events agree with the ground truth', () => {
  const { events, truth, stderr } = pipeline([
    '--scenario',
    'openstack',
    '--ops-per-hour',
    '3600',
    '--duration',
    '1h',
    '--seed',
    '1',
  ]);
  assert.match(
    stderr,
    new RegExp(`distilled ${events.length.toLocaleString('en-US')}\\s+no definition 0\\s+bad 0`),
  );
  assert.ok(events.length > 2000, `only ${events.length} events`);
  assert.equal(new Set(events.map((e) => e.message_id)).size, events.length, 'no duplicates without faults');

  // Each completed build: its create.start and create.end events, found by instance_id,
  // are exactly the truth's start and end, and its duration is their difference.
  const byInstance = new Map<string, EventLine[]>();
  for (const e of events) {
    const id = e.traits['instance_id'];
    if (typeof id !== 'string') continue;
    const list = byInstance.get(id);
    if (list === undefined) byInstance.set(id, [e]);
    else list.push(e);
  }
  const builds = truth.filter((t) => t.kind === 'compute.instance.create' && t.outcome === 'completed');
  assert.ok(builds.length > 50, `only ${builds.length} completed builds`);
  for (const b of builds) {
    assert.equal(b.group_by, 'instance_id');
    const evs = byInstance.get(b.id) ?? [];
    const start = evs.find((e) => e.event_type === 'compute.instance.create.start');
    const end = evs.find((e) => e.event_type === 'compute.instance.create.end');
    assert.ok(start !== undefined && end !== undefined, `build ${b.id} lacks its start/end events`);
    assert.ok(b.start <= start.timestamp, `truth start ${b.start} after create.start ${start.timestamp}`);
    assert.equal(end.timestamp, b.end);
    assert.equal(typeof end.traits['memory_mb'], 'number');
    assert.match(String(end.traits['launched_at']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const d = seconds(b.end as string) - seconds(b.start);
    assert.ok(Math.abs(d - (b.duration_s as number)) < 1e-5, `${b.id}: ${d} vs ${b.duration_s}`);
  }
  // Nothing happens to an instance after its delete.end.
  for (const [id, evs] of byInstance) {
    const del = evs.find((e) => e.event_type === 'compute.instance.delete.end');
    if (del === undefined) continue;
    const later = evs.filter((e) => e.timestamp > del.timestamp && !e.event_type.endsWith('.exists'));
    assert.deepEqual(
      later.map((e) => e.event_type),
      [],
      `events after the delete of ${id}`,
    );
  }
});

test('faults: malformed lines are counted and set aside, duplicates keep their message_id', () => {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-dl-'));
  const dead = join(dir, 'dead.jsonl');
  const { events, truth, stderr } = pipeline(
    [
      '--ops-per-hour',
      '3600',
      '--duration',
      '1h',
      '--seed',
      '5',
      '--faults',
      'dup=0.02,malformed=0.01,drop=0.01',
    ],
    ['--dead-letters', dead],
  );
  const bad = Number(/bad ([\d,]+)/.exec(stderr)?.[1]?.replace(/,/g, ''));
  assert.ok(bad > 0, stderr);
  const deadLines = readFileSync(dead, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  assert.equal(deadLines.length, bad, 'every bad line is in the dead letters');
  const ids = events.map((e) => e.message_id);
  assert.ok(new Set(ids).size < ids.length, 'duplicated deliveries share a message_id');
  const faulted = truth.filter((t) => t.faults.length > 0);
  assert.ok(faulted.some((t) => t.faults.some((f) => f.startsWith('malformed:'))));
  assert.ok(faulted.some((t) => t.faults.some((f) => f.startsWith('dup:'))));
  // A build whose end was dropped or mangled must not be reported as completed.
  for (const t of truth.filter((x) => x.kind === 'compute.instance.create')) {
    if (
      t.faults.includes('drop:compute.instance.create.end') ||
      t.faults.includes('malformed:compute.instance.create.end')
    ) {
      assert.equal(t.outcome, 'never_ended', JSON.stringify(t));
    }
  }
});

test('testruns: the bundled test-run definitions distill every event; truth phases match the events', () => {
  const { events, truth, stderr } = pipeline(
    ['--scenario', 'testruns', '--ops-per-hour', '120', '--duration', '6h', '--seed', '2'],
    ['--definitions', join(REPO_ROOT, 'definitions', 'testruns.yaml')],
  );
  assert.match(stderr, /no definition 0\s+bad 0\s+trait conversion errors 0/);
  const runs = new Map<string, EventLine[]>();
  for (const e of events) {
    const id = e.traits['testrun_id'] as string;
    assert.equal(typeof id, 'string');
    assert.equal(typeof e.traits['host'], 'string', JSON.stringify(e));
    assert.equal(typeof e.traits['worker'], 'number', JSON.stringify(e));
    const list = runs.get(id);
    if (list === undefined) runs.set(id, [e]);
    else list.push(e);
  }
  const done = truth.filter((t) => t.kind === 'testrun' && t.outcome === 'completed');
  assert.ok(done.length > 100, `only ${done.length} completed runs`);
  for (const t of done) {
    const evs = runs.get(t.id) ?? [];
    const at = (name: string, which: 'first' | 'last' = 'first'): number => {
      const xs = evs.filter((e) => e.event_type === `testrun.${name}`).map((e) => seconds(e.timestamp));
      assert.ok(xs.length > 0, `${t.id} lacks ${name}`);
      return which === 'first' ? Math.min(...xs) : Math.max(...xs);
    };
    const expected: Record<string, number> = {
      initialisation: at('queue_start') - at('request'),
      queue: at('queue_end') - at('queue_start'),
      flash: at('flash_end', 'last') - at('flash_start'),
      boot: at('boot_end') - at('boot_start'),
      test: at('test_end') - at('test_start'),
      publish: at('publish') - at('test_end'),
    };
    for (const [phase, s] of Object.entries(expected)) {
      assert.ok(
        Math.abs((t.phases?.[phase] ?? NaN) - s) < 1e-5,
        `${t.id} ${phase}: truth ${t.phases?.[phase]} vs ${s}`,
      );
    }
    // Receive time is never before emit time.
    for (const e of evs) assert.ok(e.received >= e.timestamp, JSON.stringify(e));
  }
});

test("templates: the user's notigen directory and StackTach definitions work unchanged end to end", (t) => {
  const templates = sharedReference(t, 'notigen-templates');
  const defs = sharedReference(t, 'stacktach-configs', 'sandbox-event_definitions.yaml');
  if (templates === undefined || defs === undefined) return;
  const { events, truth, stderr } = pipeline(
    ['--scenario', `templates:${templates}`, '--ops-per-hour', '120', '--duration', '25h', '--seed', '1'],
    ['--definitions', defs],
  );
  assert.match(stderr, /bad 0/);
  assert.ok(events.length > 1000);
  assert.ok(
    events.some((e) => e.event_type === 'compute.instance.exists'),
    'the daily audit ran',
  );
  assert.ok(truth.length > 100);
  // Every instance-grouped truth record has events carrying that instance_id.
  const ids = new Set(events.map((e) => e.traits['instance_id']));
  for (const r of truth.filter((x) => x.group_by === 'instance_id')) assert.ok(ids.has(r.id), r.id);
});
