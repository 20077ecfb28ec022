import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigProblem } from '../../src/config/config-error.js';
import { BUNDLED_CONFIG_FILES } from '../../src/config/waymark-config.js';
import { loadTriggerDefinitions, parseTriggerDefinitions } from '../../src/engine/trigger-definitions.js';
import type { HandlerSpec, ParamProblem } from '../../src/pipeline/handler.js';
import {
  checkTriggerPipelines,
  HANDLER_ALIASES,
  loadPipelineDefinitions,
  parsePipelineDefinitions,
} from '../../src/pipeline/pipeline-definitions.js';
import { sharedReference } from '../helpers/paths.js';
import { problemsOf } from '../engine/helpers.js';

function spec(
  name: string,
  validate: (params: Readonly<Record<string, unknown>>) => ParamProblem[] = () => [],
): HandlerSpec {
  return {
    name,
    validate,
    create: () => {
      throw new Error('not in these tests');
    },
  };
}

/** Params checked the way the built-ins document them (triggers.md). */
function strict(required: readonly string[], optional: Record<string, (v: unknown) => boolean> = {}) {
  return (params: Readonly<Record<string, unknown>>): ParamProblem[] => {
    const out: ParamProblem[] = [];
    for (const r of required) {
      if (typeof params[r] !== 'string') out.push({ path: [r], message: `expected a name (a string)` });
    }
    for (const [k, v] of Object.entries(params)) {
      if (required.includes(k)) continue;
      const ok = optional[k];
      if (ok === undefined) out.push({ path: [k], message: `unknown parameter "${k}"` });
      else if (!ok(v)) out.push({ path: [k], message: `bad value ${JSON.stringify(v)}` });
    }
    return out;
  };
}

const occurrence = (v: unknown): boolean => v === 'first' || v === 'last';

const REGISTRY: ReadonlyMap<string, HandlerSpec> = new Map([
  ['logger', spec('logger', strict([]))],
  ['usage', spec('usage', strict([]))],
  ['publish', spec('publish')],
  [
    'meter',
    spec(
      'meter',
      strict(['meter', 'start', 'end'], { start_occurrence: occurrence, end_occurrence: occurrence }),
    ),
  ],
  ['count', spec('count', strict(['counter'], { by: (v) => typeof v === 'string' }))],
]);

function expectProblem(problems: readonly ConfigProblem[], path: string, message: RegExp): ConfigProblem {
  const p = problems.find((x) => x.path === path && message.test(x.message));
  assert.ok(
    p,
    `no problem at ${path} matching ${message}; got:\n${problems.map((x) => `${x.path}: ${x.message}`).join('\n')}`,
  );
  return p;
}

test('the sandbox pipelines load unchanged: notabene is publish, with its params', (t) => {
  const file = sharedReference(t, 'stacktach-configs', 'sandbox-pipelines.yaml');
  if (file === undefined) return;
  const pipelines = loadPipelineDefinitions(file, REGISTRY);
  assert.deepEqual([...pipelines.keys()], ['test_fire_pipeline', 'test_expire_pipeline']);
  const fire = pipelines.get('test_fire_pipeline');
  assert.deepEqual(
    fire?.handlers.map((h) => h.spec.name),
    ['logger', 'usage', 'publish'],
  );
  assert.deepEqual(fire?.handlers[0]?.params, {});
  assert.equal(fire?.handlers[2]?.params['exchange'], 'nova');
  assert.deepEqual(fire?.handlers[2]?.params['env_keys'], ['usage_notifications']);
  assert.equal(fire?.source.file, file);
});

test("winchester's pipelines load unchanged", (t) => {
  const file = sharedReference(t, 'stacktach-configs', 'winchester-pipelines.yaml');
  if (file === undefined) return;
  const pipelines = loadPipelineDefinitions(file, REGISTRY);
  assert.deepEqual(
    [...pipelines.values()].map((p) => [p.name, p.handlers.map((h) => h.spec.name)]),
    [
      ['test_pipeline', ['logger']],
      ['test_expire_pipeline', ['logger']],
    ],
  );
});

test('the bundled pipelines load with the documented meter/count params and serve the bundled triggers', () => {
  const pipelines = loadPipelineDefinitions(BUNDLED_CONFIG_FILES.pipelines, REGISTRY);
  assert.deepEqual(
    [...pipelines.keys()],
    [
      'build_time',
      'build_failed',
      'billing_audit',
      'billing_audit_expired',
      'testrun_phases',
      'testrun_failed',
    ],
  );
  assert.deepEqual(pipelines.get('build_time')?.handlers[0]?.params, {
    meter: 'build_seconds',
    start: 'compute.instance.create.start',
    end: 'compute.instance.create.end',
  });
  assert.deepEqual(pipelines.get('build_failed')?.handlers[0]?.params, { counter: 'build_failures' });
  const phases = pipelines
    .get('testrun_phases')
    ?.handlers.map((h) => [h.params['meter'], h.params['start'], h.params['end']]);
  assert.deepEqual(phases, [
    ['testrun_initialisation_seconds', 'testrun.request', 'testrun.queue_start'],
    ['testrun_queue_seconds', 'testrun.queue_start', 'testrun.queue_end'],
    ['testrun_flash_seconds', 'testrun.flash_start', 'testrun.flash_end'],
    ['testrun_boot_seconds', 'testrun.boot_start', 'testrun.boot_end'],
    ['testrun_test_seconds', 'testrun.test_start', 'testrun.test_end'],
    ['testrun_publish_seconds', 'testrun.test_end', 'testrun.publish'],
    ['testrun_seconds', 'testrun.request', 'testrun.publish'],
  ]);
  assert.deepEqual(
    pipelines.get('billing_audit')?.handlers.map((h) => h.spec.name),
    ['logger', 'usage'],
  );
  const { triggers } = loadTriggerDefinitions(BUNDLED_CONFIG_FILES.triggers);
  assert.deepEqual(checkTriggerPipelines(triggers, pipelines), []);
});

test('handler names: winchester aliases, a registered old name wins, unknown names say what exists', () => {
  assert.deepEqual(HANDLER_ALIASES, { notabene: 'publish', atompub: 'webhook' });
  const withWebhook = new Map([...REGISTRY, ['webhook', spec('webhook')]]);
  const p = parsePipelineDefinitions('p.yaml', 'a: [atompub, notabene]\n', withWebhook);
  assert.deepEqual(
    p.get('a')?.handlers.map((h) => h.spec.name),
    ['webhook', 'publish'],
  );
  const own = new Map([...REGISTRY, ['notabene', spec('my_notabene')]]);
  assert.equal(
    parsePipelineDefinitions('p.yaml', 'a: [notabene]\n', own).get('a')?.handlers[0]?.spec.name,
    'my_notabene',
  );
  // Without publish in the registry, notabene is unknown too.
  const bare = new Map([['logger', spec('logger')]]);
  const problems = problemsOf(() => parsePipelineDefinitions('p.yaml', 'a: [notabene, loger]\n', bare));
  expectProblem(
    problems,
    'a[0]',
    /unknown handler "notabene"; expected one of logger \(or add it under pipeline_handlers/,
  );
  expectProblem(problems, 'a[1]', /unknown handler "loger" \(did you mean "logger"\?\)/);
  assert.deepEqual([...parsePipelineDefinitions('p.yaml', 'quiet: []\n', bare).keys()], ['quiet']);
});

test('a bad pipelines file reports EVERY problem, with file, full path, line and what is expected', () => {
  const text = `good:
  - logger
bad:
  - name: meter
    params:
      meter: build_seconds
      start: compute.instance.create.start
      end_ocurrence: last
  - 42
  - name: count
    parms: {counter: x}
  - name: count
    params: [counter]
  - params: {counter: x}
  - name: [logger]
  - usage
  - name: logger
    params: {level: debug}
not_a_list: logger
`;
  const problems = problemsOf(() => parsePipelineDefinitions('pipes.yaml', text, REGISTRY));
  for (const p of problems) {
    assert.equal(p.file, 'pipes.yaml');
    assert.equal(typeof p.line, 'number', p.path);
  }
  const end = expectProblem(problems, 'bad[0].params.end', /^meter: expected a name/);
  assert.equal(end.line, 5, 'a missing param points at params');
  const typo = expectProblem(
    problems,
    'bad[0].params.end_ocurrence',
    /^meter: unknown parameter "end_ocurrence"/,
  );
  assert.equal(typo.line, 8);
  expectProblem(problems, 'bad[1]', /expected a handler name or \{name, params\}, got number 42/);
  expectProblem(
    problems,
    'bad[2].parms',
    /unknown key "parms" \(did you mean "params"\?\); expected one of name, params/,
  );
  expectProblem(problems, 'bad[3].params', /expected a map of parameter -> value, got a list/);
  expectProblem(problems, 'bad[4]', /missing "name"/);
  expectProblem(problems, 'bad[5].name', /expected a handler name \(a string\), got a list/);
  expectProblem(problems, 'bad[7].params.level', /^logger: unknown parameter "level"/);
  expectProblem(problems, 'not_a_list', /expected a list of handlers .*got string "logger"/);
  assert.equal(problems.length, 9, problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
});

test('whole documents and several files: not a map, empty, a validate that throws, duplicates, a missing file', () => {
  expectProblem(
    problemsOf(() => parsePipelineDefinitions('p.yaml', '- logger\n', REGISTRY)),
    '',
    /expected a map of pipeline name -> list of handlers .*got a list/,
  );
  expectProblem(
    problemsOf(() => parsePipelineDefinitions('p.yaml', '', REGISTRY)),
    '',
    /got an empty document/,
  );
  const throwing = new Map([
    [
      'boom',
      spec('boom', () => {
        throw new Error('kaput');
      }),
    ],
  ]);
  expectProblem(
    problemsOf(() => parsePipelineDefinitions('p.yaml', 'a: [boom]\n', throwing)),
    'a[0].params',
    /handler boom: cannot check params: kaput/,
  );
  const dir = mkdtempSync(join(tmpdir(), 'waymark-pipelines-'));
  try {
    const a = join(dir, 'a.yaml');
    const b = join(dir, 'b.yaml');
    writeFileSync(a, 'one: [logger]\ntwo: [usage]\n');
    writeFileSync(b, 'three: [logger]\n');
    assert.deepEqual([...loadPipelineDefinitions([a, b], REGISTRY).keys()], ['one', 'two', 'three']);
    writeFileSync(b, '# again\ntwo: [logger]\n');
    const problems = problemsOf(() => loadPipelineDefinitions([a, b, join(dir, 'c.yaml')], REGISTRY));
    const dup = expectProblem(
      problems,
      'two',
      /pipeline "two" is already defined in .*a\.yaml; pipeline names must be unique/,
    );
    assert.equal(dup.file, b);
    assert.equal(dup.line, 2);
    expectProblem(problems, '', /no such file/);
    assert.equal(problems.length, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('checkTriggerPipelines: undefined pipeline names, with the trigger file, path, line and a guess', () => {
  const { triggers } = parseTriggerDefinitions(
    'triggers.yaml',
    `- name: ok
  distinguished_by: [instance_id]
  expiration: '$last + 1h'
  match_criteria: [{event_type: a}]
  expire_pipeline: expired
- name: typo
  distinguished_by: [instance_id]
  expiration: '$last + 1h'
  match_criteria: [{event_type: a}]
  fire_criteria: [{event_type: b}]
  fire_pipeline: fird
  expire_pipeline: nowhere_at_all
`,
  );
  const pipelines = parsePipelineDefinitions('p.yaml', 'expired: [logger]\nfired: [logger]\n', REGISTRY);
  const problems = checkTriggerPipelines(triggers, pipelines);
  assert.deepEqual(
    problems.map((p) => [p.file, p.path, p.line]),
    [
      ['triggers.yaml', '[1].fire_pipeline', 11],
      ['triggers.yaml', '[1].expire_pipeline', 12],
    ],
  );
  assert.match(
    problems[0]?.message ?? '',
    /trigger typo: pipeline "fird" is not defined \(did you mean "fired"\?\); defined pipelines: expired, fired/,
  );
  assert.doesNotMatch(problems[1]?.message ?? '', /did you mean/);
  assert.equal(checkTriggerPipelines(triggers, pipelines, () => 'shown.yaml')[0]?.file, 'shown.yaml');
  assert.match(checkTriggerPipelines(triggers, new Map())[0]?.message ?? '', /defined pipelines: \(none\)/);
});
