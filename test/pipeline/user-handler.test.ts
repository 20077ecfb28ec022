import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadUserHandlerSpec, UserHandlerError } from '../../src/pipeline/user-handler.js';
import { runPipeline } from '../../src/pipeline/run-pipeline.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { ev, MemoryLog, pipeline, probe, streamRef } from './helpers.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'pipeline');
const fixture = (name: string): string => join(FIXTURES, name);

const EVENTS = [
  ev('compute.instance.create.start', '2014-06-11T16:00:00Z'),
  ev('noise.ping', '2014-06-11T16:00:01Z'),
  ev('compute.instance.create.end', '2014-06-11T16:00:02Z'),
];

async function rejectsWith(p: Promise<unknown>, expected: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof UserHandlerError, String(e));
    assert.match(e.message, expected);
    return true;
  });
}

test('a class module runs like a built-in: params, env, the events it passes on, commit through the context', async () => {
  const spec = await loadUserHandlerSpec('stamp', fixture('class-handler.mjs'));
  assert.equal(spec.name, 'stamp');
  assert.deepEqual(spec.validate({ label: 'x' }), []);
  assert.deepEqual(spec.validate({ label: 3, bogus: 1 }), [
    { path: ['label'], message: 'expected a string' },
    { path: [], message: 'bogus is not a param' },
  ]);
  const seen: string[] = [];
  const def = pipeline([{ spec, params: { label: 'audit' } }, { spec: probe('after', seen) }]);
  const r = await runPipeline(def, EVENTS, { stream: streamRef(), log: new MemoryLog() });
  assert.equal(r.status, 'committed');
  if (r.status !== 'committed') return;
  assert.equal(r.env['stamped'], 'audit');
  assert.ok(seen.includes('after:handle(compute.instance.create.start,compute.instance.create.end)'));
  assert.deepEqual(r.samples, [
    { meter: 'audit_streams', kind: 'count', value: 1 },
    { meter: 'audit_events', kind: 'sample', value: 3 },
  ]);
});

test('a class module is rolled back when a later handler fails', async () => {
  const spec = await loadUserHandlerSpec('stamp', fixture('class-handler.mjs'));
  const log = new MemoryLog();
  const def = pipeline([{ spec, params: { label: 'a' } }, { spec: probe('bad', [], { failIn: 'handle' }) }]);
  const r = await runPipeline(def, EVENTS, { stream: streamRef(), log });
  assert.equal(r.status, 'error');
  assert.ok(log.warnings().includes('stamp rolled back'));
});

test('a named factory export with async methods; its errors fail the run naming the handler', async () => {
  const spec = await loadUserHandlerSpec('counter', fixture('factory-handler.mjs'), 'makeHandler');
  const params: Record<string, unknown> = {};
  const ok = await runPipeline(pipeline([{ spec, params }]), EVENTS, {
    stream: streamRef(),
    log: new MemoryLog(),
  });
  assert.equal(ok.status, 'committed');
  assert.equal(params['seen'], 3);
  const bad = await runPipeline(pipeline([{ spec, params: { fail: true } }]), EVENTS, {
    stream: streamRef(),
    log: new MemoryLog(),
  });
  assert.equal(
    bad.status === 'error' && `${bad.handler} ${bad.phase} ${bad.error}`,
    'counter commit Error: factory commit failed',
  );
});

test('clear errors naming the module and what is missing', async () => {
  await rejectsWith(
    loadUserHandlerSpec('x', 'handlers/relative.mjs'),
    /handler "x" \(handlers\/relative.mjs\): the module path must be absolute/,
  );
  await rejectsWith(
    loadUserHandlerSpec('x', fixture('nope.mjs')),
    /nope.mjs\): no such module; check the path/,
  );
  await rejectsWith(
    loadUserHandlerSpec('x', fixture('throws-on-import.mjs')),
    /throws-on-import.mjs\): it failed to load: this module refuses to load/,
  );
  await rejectsWith(
    loadUserHandlerSpec('x', fixture('missing-dependency.mjs')),
    /missing-dependency.mjs\): it failed to load: .*does-not-exist/,
  );
  await rejectsWith(
    loadUserHandlerSpec('x', fixture('no-default.mjs')),
    /no-default.mjs\): the module has no default export; it exports "OnlyNamed"/,
  );
  await rejectsWith(
    loadUserHandlerSpec('x', fixture('no-default.mjs'), 'Other'),
    /has no export "Other"; it exports "OnlyNamed"/,
  );
  await rejectsWith(
    loadUserHandlerSpec('x', fixture('factory-handler.mjs'), 'notAFunction'),
    /export "notAFunction" is number; expected a class \(or factory function\)/,
  );
  await rejectsWith(
    loadUserHandlerSpec('x', fixture('broken-class.mjs')),
    /broken-class.mjs\): the default export \(class Forgetful\) has no commit\(\), rollback\(\)/,
  );
  const named = await loadUserHandlerSpec('y', fixture('no-default.mjs'), 'OnlyNamed');
  assert.equal(named.name, 'y');
});

test('a factory that makes something unusable fails at create, naming the module', async () => {
  for (const [name, expected] of [
    ['makesNothing', /makesNothing" made undefined/],
    ['makesHalf', /makesHalf" made an object without commit\(\), rollback\(\)/],
  ] as const) {
    const spec = await loadUserHandlerSpec('z', fixture('factory-handler.mjs'), name);
    const r = await runPipeline(pipeline([{ spec }]), EVENTS, { stream: streamRef(), log: new MemoryLog() });
    assert.equal(r.status, 'error');
    if (r.status === 'error') {
      assert.ok(r.cause instanceof UserHandlerError);
      assert.match(r.error, expected);
      assert.match(r.error, /factory-handler.mjs/);
    }
  }
});

test('a module is loaded only when named', async () => {
  const g = globalThis as { __waymarkSideEffectLoaded?: number };
  assert.equal(g.__waymarkSideEffectLoaded, undefined);
  await loadUserHandlerSpec('stamp', fixture('class-handler.mjs'));
  assert.equal(g.__waymarkSideEffectLoaded, undefined);
  await loadUserHandlerSpec('side', fixture('side-effect.mjs'));
  assert.equal(g.__waymarkSideEffectLoaded, 1);
});
