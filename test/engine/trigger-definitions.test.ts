import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigProblem } from '../../src/config/config-error.js';
import { BUNDLED_CONFIG_FILES } from '../../src/config/waymark-config.js';
import { distinguishingValues } from '../../src/engine/distinguishing-values.js';
import { streamKey } from '../../src/engine/distinguishing.js';
import {
  loadTriggerDefinitions,
  parseTriggerDefinitions,
  triggerKeyLocation,
} from '../../src/engine/trigger-definitions.js';
import type { TriggerDefinition } from '../../src/engine/trigger.js';
import { Instant } from '../../src/model/instant.js';
import { TimeRange } from '../../src/timex/index.js';
import { REPO_ROOT, sharedReference } from '../helpers/paths.js';
import { ev, problemsOf } from './helpers.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'engine');

/** The problem at `path` whose message matches (fails, listing all, when there is none). */
function expectProblem(problems: readonly ConfigProblem[], path: string, message: RegExp): ConfigProblem {
  const p = problems.find((x) => x.path === path && message.test(x.message));
  assert.ok(
    p,
    `no problem at ${path} matching ${message}; got:\n${problems.map((x) => `${x.path}: ${x.message}`).join('\n')}`,
  );
  return p;
}

function only(text: string): TriggerDefinition {
  const { triggers } = parseTriggerDefinitions('t.yaml', text);
  assert.equal(triggers.length, 1);
  return triggers[0] as TriggerDefinition;
}

const BLUEPRINT = `
- name: build_time
  distinguished_by: [instance_id]
  expiration: "$first + 4h"
  match_criteria:
    - event_type: compute.instance.create.*
  fire_criteria:
    - event_type: compute.instance.create.start
    - event_type: compute.instance.create.end
  fire_pipeline: build_time
  expire_pipeline: build_failed
`;

test('the blueprint example (triggers.md) compiles to what the engine needs', () => {
  const t = only(BLUEPRINT);
  assert.equal(t.name, 'build_time');
  assert.deepEqual(t.distinguishedBy, [{ trait: 'instance_id' }]);
  assert.equal(t.matchCriteria.length, 1);
  assert.equal(t.fireCriteria.length, 2);
  assert.equal(t.firePipeline, 'build_time');
  assert.equal(t.expirePipeline, 'build_failed');
  assert.equal(t.fireDelaySeconds, 0);
  assert.equal(t.debugLevel, 0);
  assert.equal(t.loadCriteria, undefined);
  assert.deepEqual(t.source, { file: 't.yaml', index: 0 });
  assert.equal(t.expiration.resultKind, 'timestamp');
  const first = Instant.parse('2014-06-11T16:00:00Z');
  assert.equal(
    String(t.expiration.evaluate({ first, last: first, timestamp: first })),
    '2014-06-11T20:00:00.000000Z',
  );
  assert.equal(
    t.fireCriteria[1]?.check(ev('compute.instance.create.end', { instance_id: 'i-1' })),
    undefined,
  );
  assert.deepEqual(triggerKeyLocation(t, 'fire_pipeline'), { line: 10, column: 3 });
});

test('the sandbox triggers file loads unchanged', (t) => {
  const file = sharedReference(t, 'stacktach-configs', 'sandbox-triggers.yaml');
  if (file === undefined) return;
  const { triggers, warnings } = loadTriggerDefinitions(file);
  assert.deepEqual(warnings, []);
  const [trigger] = triggers;
  assert.ok(trigger);
  assert.equal(trigger.name, 'test_trigger');
  assert.equal(trigger.debugLevel, 2);
  assert.deepEqual(
    trigger.distinguishedBy.map((d) => [d.trait, d.range?.source]),
    [
      ['instance_id', undefined],
      ['timestamp', 'day'],
    ],
  );
  assert.equal(trigger.expiration.source, '$last + 2d');
  assert.equal(trigger.firePipeline, 'test_fire_pipeline');
  assert.equal(trigger.expirePipeline, 'test_expire_pipeline');
  const [activity, exists] = trigger.matchCriteria;
  assert.ok(activity && exists);
  assert.equal(activity.matchesType('compute.instance.resize.start'), true);
  assert.equal(activity.matchesType('compute.instance.exists'), false);
  assert.equal(activity.matchesType('compute.instance.exists.verified'), false);
  assert.equal(exists.matchesType('compute.instance.exists'), true);
  assert.deepEqual(exists.mapDistinguishedBy, { timestamp: 'audit_period_beginning' });
  const fire = trigger.fireCriteria[0];
  const day = { instance_id: 'i-1', audit_period_beginning: '2014-06-11T00:00:00.000000Z' };
  assert.equal(
    fire?.check(
      ev('compute.instance.exists', { ...day, audit_period_ending: '2014-06-12T00:00:00.000000Z' }),
    ),
    undefined,
  );
  assert.match(
    fire?.check(
      ev('compute.instance.exists', { ...day, audit_period_ending: '2014-06-13T00:00:00.000000Z' }),
    ) ?? '',
    /is not/,
  );
});

test("winchester's triggers file loads with a warning about its misspelt map_distingushed_by", (t) => {
  const file = sharedReference(t, 'stacktach-configs', 'winchester-triggers.yaml');
  if (file === undefined) return;
  const { triggers, warnings } = loadTriggerDefinitions(file);
  assert.equal(triggers.length, 1);
  assert.deepEqual(triggers[0]?.matchCriteria[1]?.mapDistinguishedBy, {
    timestamp: 'audit_period_beginning',
  });
  assert.equal(warnings.length, 1);
  const [w] = warnings;
  assert.equal(w?.file, file);
  assert.equal(w?.path, '[0].match_criteria[1].map_distingushed_by');
  assert.equal(w?.line, 20);
  assert.match(w?.message ?? '', /rename it to "map_distinguished_by"/);
});

test('the bundled triggers load: build_time, billing_audit, testrun_phases', () => {
  const { triggers, warnings } = loadTriggerDefinitions(BUNDLED_CONFIG_FILES.triggers);
  assert.deepEqual(warnings, []);
  assert.deepEqual(
    triggers.map((t) => t.name),
    ['build_time', 'billing_audit', 'testrun_phases'],
  );
  const testrun = triggers[2] as TriggerDefinition;
  assert.equal(testrun.fireCriteria[0]?.check(ev('testrun.publish', { testrun_id: 'r' })), undefined);
  assert.equal(testrun.matchCriteria[0]?.matchesType('testrun.flash_start'), true);
  assert.equal(testrun.matchCriteria[0]?.matchesType('compute.instance.create.start'), false);
});

test('distinguishingValues: the billing audit buckets an .exists by its audit_period_beginning', () => {
  const { triggers } = loadTriggerDefinitions(BUNDLED_CONFIG_FILES.triggers);
  const audit = triggers.find((t) => t.name === 'billing_audit') as TriggerDefinition;
  const [activity, existsCriterion] = audit.matchCriteria;
  assert.ok(activity && existsCriterion);
  // An .exists for June 11 arrives early on June 12: it joins June 11's stream.
  const exists = ev(
    'compute.instance.exists',
    { instance_id: 'i-1', audit_period_beginning: '2014-06-11T00:00:00.000000Z' },
    '2014-06-12T00:05:00Z',
  );
  assert.equal(existsCriterion.check(exists), undefined);
  const values = distinguishingValues(audit, exists, existsCriterion);
  assert.ok(typeof values !== 'string');
  assert.deepEqual(Object.keys(values), ['instance_id', 'timestamp']);
  assert.equal(values['instance_id'], 'i-1');
  assert.ok(values['timestamp'] instanceof TimeRange);
  assert.equal(String(values['timestamp']), '[2014-06-11T00:00:00.000000Z, 2014-06-12T00:00:00.000000Z)');
  // A resize on June 11 lands in the same stream, through its own timestamp.
  const resize = ev('compute.instance.resize.start', { instance_id: 'i-1' }, '2014-06-11T13:00:00Z');
  assert.equal(activity.check(resize), undefined);
  const resizeValues = distinguishingValues(audit, resize, activity);
  assert.ok(typeof resizeValues !== 'string');
  assert.equal(streamKey(audit.name, resizeValues), streamKey(audit.name, values));
  // Without the mapping the .exists would have gone to June 12.
  const unmapped = distinguishingValues(audit, exists, activity);
  assert.ok(typeof unmapped !== 'string');
  assert.notEqual(streamKey(audit.name, unmapped), streamKey(audit.name, values));
});

test('distinguishingValues: missing traits are reasons; a "timestamp" trait wins over the event time', () => {
  const t = only(`
- name: t
  distinguished_by: [instance_id, {timestamp: hour}, tenant_id]
  expiration: '$last + 1h'
  match_criteria:
    - event_type: a
    - event_type: b
      map_distinguished_by: {tenant_id: project_id, timestamp: launched_at}
  expire_pipeline: p
`);
  const [a, b] = t.matchCriteria;
  assert.ok(a && b);
  assert.equal(
    distinguishingValues(t, ev('a', { tenant_id: 'x' }), a),
    'distinguishing trait instance_id: missing',
  );
  assert.equal(
    distinguishingValues(t, ev('b', { instance_id: 'i', launched_at: '2014-06-11T10:30:00.000000Z' }), b),
    'distinguishing trait tenant_id (from project_id): missing',
  );
  const own = distinguishingValues(
    t,
    ev('a', { instance_id: 'i', tenant_id: 'x', timestamp: '2014-01-01T05:10:00.000000Z' }),
    a,
  );
  assert.ok(typeof own !== 'string');
  assert.deepEqual(Object.keys(own), ['instance_id', 'timestamp', 'tenant_id']);
  assert.equal(String(own['timestamp']), '[2014-01-01T05:00:00.000000Z, 2014-01-01T06:00:00.000000Z)');
  const mapped = distinguishingValues(
    t,
    ev('b', { instance_id: 'i', project_id: 'p', launched_at: '2014-06-11T10:30:00.000000Z' }),
    b,
  );
  assert.ok(typeof mapped !== 'string');
  assert.equal(mapped['tenant_id'], 'p');
  assert.equal(String(mapped['timestamp']), '[2014-06-11T10:00:00.000000Z, 2014-06-11T11:00:00.000000Z)');
  assert.equal(
    distinguishingValues(t, ev('b', { instance_id: 'i', project_id: 'p', launched_at: 'later' }), b),
    'distinguishing trait timestamp (from launched_at): "later" is not a datetime (needed by "hour")',
  );
  const plain = only(`
- name: plain
  distinguished_by: [timestamp]
  expiration: '$last + 1h'
  match_criteria: [{event_type: a}]
  expire_pipeline: p
`);
  const v = distinguishingValues(plain, ev('a', {}, '2014-06-11T10:30:00Z'), plain.matchCriteria[0] as never);
  assert.ok(typeof v !== 'string');
  assert.ok(v['timestamp'] instanceof Instant);
});

test('a bad triggers file reports EVERY problem, each with file, path, line and what is expected', () => {
  const file = join(FIXTURES, 'bad-triggers.yaml');
  const problems = problemsOf(() => loadTriggerDefinitions(file));
  for (const p of problems) {
    assert.equal(p.file, file);
    assert.equal(typeof p.line, 'number', `${p.path} has no line`);
  }
  const typo = expectProblem(
    problems,
    '[0].fire_pipline',
    /unknown key "fire_pipline" \(did you mean "fire_pipeline"\?\)/,
  );
  assert.equal(typo.line, 7);
  expectProblem(
    problems,
    '[1].distinguished_by[1].timestamp',
    /gives a timestamp; expected a time range to bucket timestamp in/,
  );
  expectProblem(
    problems,
    '[1].distinguished_by[2].launched_at',
    /uses \$deleted_at; a bucket may only use \$launched_at or \$timestamp/,
  );
  expectProblem(problems, '[1].distinguished_by[3]', /"instance_id" is listed twice/);
  expectProblem(problems, '[1].distinguished_by[4]', /expected a trait name or a one-key map .*got a map/);
  expectProblem(problems, '[1].expiration', /"day\(\$last\)" gives a time range; expected a timestamp/);
  expectProblem(problems, '[1].match_criteria', /expected a non-empty list of criteria/);
  const op = expectProblem(
    problems,
    '[1].fire_criteria[0].traits.memory_mb.int',
    /comparison such as "> 4096".*got string ">>4096"/,
  );
  assert.equal(op.line, 22);
  expectProblem(problems, '[1].fire_pipeline', /expected the name of a pipeline \(a string\), got number 7/);
  expectProblem(problems, '[1].fire_delay', /expected seconds \(a number >= 0\), got number -1/);
  expectProblem(problems, '[1].debug_level', /expected a whole number >= 0, got number 1.5/);
  expectProblem(problems, '[2].name', /expected a trigger name \(a non-empty string\), got string ""/);
  expectProblem(
    problems,
    '[2].distinguished_by',
    /expected a list of trait names .*got string "instance_id"/,
  );
  expectProblem(problems, '[2].expiration', /expiration "\$first \+ 1 hx": unknown unit "hx" at column \d+/);
  expectProblem(problems, '[2]', /no pipeline; expected fire_pipeline, expire_pipeline or both/);
  expectProblem(problems, '[3]', /missing "name"/);
  expectProblem(
    problems,
    '[3].expiration',
    /uses \$launched_at; an expiration may only use \$first, \$last and \$timestamp/,
  );
  expectProblem(problems, '[3].fire_pipeline', /a fire_pipeline needs fire_criteria/);
  expectProblem(problems, '[4]', /expected a trigger definition .*got string "just a string"/);
  assert.equal(problems.length, 19, problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
});

test('the whole document: not a list, empty, invalid YAML, missing required keys', () => {
  expectProblem(
    problemsOf(() => parseTriggerDefinitions('t.yaml', 'name: x\n')),
    '',
    /expected a list of trigger definitions .*got a map/,
  );
  expectProblem(
    problemsOf(() => parseTriggerDefinitions('t.yaml', '')),
    '',
    /got an empty document/,
  );
  expectProblem(
    problemsOf(() => parseTriggerDefinitions('t.yaml', '- name: [\n')),
    '',
    /invalid YAML/,
  );
  const missing = problemsOf(() => parseTriggerDefinitions('t.yaml', '- name: x\n'));
  expectProblem(missing, '[0]', /missing "distinguished_by"/);
  expectProblem(missing, '[0]', /missing "match_criteria"/);
  expectProblem(missing, '[0]', /missing "expiration"/);
  expectProblem(missing, '[0]', /no pipeline/);
  assert.equal(missing.length, 4);
  assert.deepEqual(parseTriggerDefinitions('t.yaml', '[]\n').triggers, []);
});

test('several files: names unique across them; every file is checked, a missing one too', () => {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-triggers-'));
  try {
    const a = join(dir, 'a.yaml');
    const b = join(dir, 'b.yaml');
    writeFileSync(a, BLUEPRINT);
    writeFileSync(b, BLUEPRINT.replace('"$first + 4h"', "'$first +'"));
    const good = join(FIXTURES, 'good-triggers.yaml');
    const both = loadTriggerDefinitions([a, good]);
    assert.deepEqual(
      both.triggers.map((t) => [t.name, t.source.file]),
      [
        ['build_time', a],
        ['resize_time', good],
      ],
    );
    const resize = both.triggers[1] as TriggerDefinition;
    assert.equal(resize.fireDelaySeconds, 30);
    assert.deepEqual(resize.loadCriteria, [{ event_type: 'compute.instance.resize.*' }]);

    const dup = join(dir, 'dup.yaml');
    writeFileSync(dup, `# another\n${BLUEPRINT}`);
    const problems = problemsOf(() => loadTriggerDefinitions([a, dup, b, join(dir, 'nope.yaml')]));
    const again = expectProblem(
      problems,
      '[0].name',
      /trigger "build_time" is already defined at .*a\.yaml \[0\]; trigger names must be unique/,
    );
    assert.equal(again.file, dup);
    assert.equal(again.line, 3);
    expectProblem(problems, '[0].expiration', /expiration "\$first \+": /);
    expectProblem(problems, '', /no such file/);
    assert.equal(problems.length, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
