import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadPhaseSets, parsePhaseSets } from '../../src/analysis/phase-definitions.js';
import { ConfigError } from '../../src/config/config-error.js';
import { loadWaymarkConfig } from '../../src/config/waymark-config.js';

function problems(text: string): string[] {
  try {
    parsePhaseSets('bad.yaml', text);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems.map((p) => `${p.line ?? '-'}: ${p.path}: ${p.message}`);
  }
  assert.fail('expected a ConfigError');
}

test('phases file: edges as event types or {event_type, traits, occurrence}; defaults first/last; shared matchers', () => {
  const [set] = parsePhaseSets(
    'ok.yaml',
    `
- name: build
  group_by: request_id
  traits: [tenant_id]
  phases:
    - {name: a, start: x.start, end: x.end}
    - name: b
      start: {event_type: x.end, occurrence: last}
      end: {event_type: [y.end, y.error], traits: {state: [active, 3]}}
`,
  );
  assert.ok(set !== undefined);
  assert.equal(set.groupBy, 'request_id');
  assert.deepEqual(set.phases[0]?.start, {
    eventTypes: ['x.start'],
    traits: [],
    occurrence: 'first',
    matcher: 0,
  });
  assert.deepEqual(set.phases[0]?.end, { eventTypes: ['x.end'], traits: [], occurrence: 'last', matcher: 1 });
  assert.equal(set.phases[1]?.start.matcher, 1, 'x.end shared');
  assert.deepEqual(set.phases[1]?.end.traits, [{ trait: 'state', values: ['active', 3] }]);
  assert.equal(set.matchers.length, 3);
});

test('phases file: every problem at once, with line, path and what is expected', () => {
  const got = problems(`
- name: build
  group_by: request_id
  traits: [request_id, tenant_id, tenant_id]
  phases:
    - {name: a, start: x.*, end: x.end}
    - name: a
      start: {event_typ: x.start}
      end: {event_type: x.end, occurence: first}
    - name: c
      start: {event_type: 5, traits: {state: {a: 1}}}
    - name: d
      start: x
      end: {event_type: y, occurrence: middle}
- name: build
  phases: []
- just text
`);
  assert.deepEqual(got, [
    '4: [0].traits[0]: "request_id" is the set\'s group_by trait; list other traits of the run',
    '4: [0].traits[2]: "tenant_id" is listed twice',
    '6: [0].phases[0].start: "x.*" is a glob; a phase edge names one event type exactly (add a trait condition to narrow it)',
    '7: [0].phases[1].name: phase "a" is defined twice in this set',
    '8: [0].phases[1].start: missing "event_type"; expected an event type such as "testrun.request"',
    '8: [0].phases[1].start.event_typ: unknown key "event_typ" (did you mean "event_type"?); expected one of event_type, traits, occurrence',
    '9: [0].phases[1].end.occurence: unknown key "occurence" (did you mean "occurrence"?); expected one of event_type, traits, occurrence',
    '10: [0].phases[2]: missing "end"; expected the event type that ends the phase',
    '11: [0].phases[2].start.event_type: expected an event type (text) or a non-empty list of them, got number 5',
    '11: [0].phases[2].start.traits.state: expected a text or number value, or a non-empty list of them, got a map',
    '14: [0].phases[3].end.occurrence: expected "first" or "last", got string "middle"',
    '15: [1].name: phase set "build" is already defined (in bad.yaml); names must be unique',
    '15: [1].group_by: missing "group_by"; expected the trait naming a run, such as testrun_id, request_id or instance_id',
    '16: [1].phases: expected a non-empty list of {name, start, end}, got a list',
    '17: [2]: expected a phase set {name, group_by, traits?, phases}, got string "just text"',
  ]);
  assert.match(problems('name: x\n')[0] ?? '', /expected a list of phase sets/);
  assert.match(problems('- [unclosed\n')[0] ?? '', /invalid YAML/);
});

test('waymark.yaml "phases:": files found beside the config; a missing one is a problem; default: the bundled sets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-phases-'));
  try {
    writeFileSync(
      join(dir, 'mine.yaml'),
      '- {name: m, group_by: id, phases: [{name: p, start: a, end: b}]}\n',
    );
    writeFileSync(join(dir, 'waymark.yaml'), 'phases: [mine.yaml]\n');
    const config = loadWaymarkConfig(join(dir, 'waymark.yaml'));
    assert.deepEqual(config.phaseFiles, [join(dir, 'mine.yaml')]);
    assert.deepEqual(
      loadPhaseSets(config.phaseFiles).map((s) => s.name),
      ['m'],
    );
    writeFileSync(join(dir, 'waymark.yaml'), 'phases: [nope.yaml, 3]\n');
    assert.throws(
      () => loadWaymarkConfig(join(dir, 'waymark.yaml')),
      /phases\[0\]: "nope\.yaml" not found[\s\S]*phases\[1\]/,
    );
    writeFileSync(join(dir, 'waymark.yaml'), 'http: {port: 1}\n');
    assert.deepEqual(
      loadPhaseSets(loadWaymarkConfig(join(dir, 'waymark.yaml')).phaseFiles).map((s) => s.name),
      ['testrun', 'openstack_build'],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
