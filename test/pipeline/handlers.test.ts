import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_HANDLERS } from '../../src/pipeline/handlers/index.js';
import { HandlerParamsError } from '../../src/pipeline/pipeline-error.js';
import { runPipeline } from '../../src/pipeline/run-pipeline.js';
import { builtin, ev, MemoryLog, pipeline, runOne, streamRef } from './helpers.js';

const BUILD = [
  ev('compute.instance.update', '2014-06-11T16:09:00.000000Z'),
  ev('compute.instance.create.start', '2014-06-11T16:09:41.123456Z'),
  ev('compute.instance.create.start', '2014-06-11T16:09:50.000000Z'),
  ev('compute.instance.create.end', '2014-06-11T16:10:33.654321Z'),
  ev('compute.instance.create.end', '2014-06-11T16:10:40.000001Z'),
];

function messages(problems: readonly { path: readonly (string | number)[]; message: string }[]): string[] {
  return problems.map((p) => `${p.path.join('.')}: ${p.message}`);
}

test('the built-in handlers, including winchester’s notabene name', () => {
  assert.deepEqual([...BUILTIN_HANDLERS.keys()].sort(), [
    'count',
    'logger',
    'meter',
    'notabene',
    'publish',
    'usage',
    'webhook',
  ]);
  assert.equal(BUILTIN_HANDLERS.get('notabene')?.name, 'notabene');
});

test('meter: microsecond-exact durations with first/last occurrences and units', async () => {
  const base = {
    meter: 'build_seconds',
    start: 'compute.instance.create.start',
    end: 'compute.instance.create.end',
  };
  const us = (iso: string): number => Date.parse(iso) * 1000 + Number(iso.slice(23, 26));
  const first = us('2014-06-11T16:09:41.123456Z');
  const second = us('2014-06-11T16:09:50.000000Z');
  const lastEnd = us('2014-06-11T16:10:40.000001Z');
  const firstEnd = us('2014-06-11T16:10:33.654321Z');
  const cases: [Record<string, unknown>, number][] = [
    [{}, (lastEnd - first) / 1e6],
    [{ start_occurrence: 'last' }, (lastEnd - second) / 1e6],
    [{ end_occurrence: 'first' }, (firstEnd - first) / 1e6],
    [{ unit: 'milliseconds' }, (lastEnd - first) / 1e3],
    [{ start: 'compute.instance.create.*', end: 'compute.instance.create.*' }, (lastEnd - first) / 1e6],
  ];
  for (const [extra, expected] of cases) {
    const r = await runOne('meter', { ...base, ...extra }, BUILD);
    assert.equal(r.status, 'committed');
    if (r.status === 'committed')
      assert.deepEqual(r.samples, [{ meter: 'build_seconds', kind: 'sample', value: expected }]);
  }
  assert.equal((lastEnd - first) / 1e6, 58.876545);
});

test('meter: a missing start or end, or an end before the start, records nothing and warns', async () => {
  const params = {
    meter: 'build_seconds',
    start: 'compute.instance.create.start',
    end: 'compute.instance.create.end',
  };
  const cases: [typeof BUILD, Record<string, unknown>, RegExp][] = [
    [BUILD.filter((e) => !e.event_type.endsWith('.end')), {}, /no end \(compute.instance.create.end\) event/],
    [
      BUILD.filter((e) => !e.event_type.endsWith('.start')),
      {},
      /no start \(compute.instance.create.start\) event/,
    ],
    [[], {}, /no start .* and end/],
    [
      [
        ev('compute.instance.create.end', '2014-06-11T16:00:00Z'),
        ev('compute.instance.create.start', '2014-06-11T16:00:01Z'),
      ],
      {},
      /is before the first start event/,
    ],
  ];
  for (const [events, extra, warning] of cases) {
    const log = new MemoryLog();
    const r = await runOne('meter', { ...params, ...extra }, events, { log });
    assert.equal(r.status, 'committed');
    if (r.status === 'committed') assert.deepEqual(r.samples, []);
    assert.ok(
      log.warnings().some((w) => warning.test(w)),
      log.warnings().join('\n'),
    );
  }
});

test('meter samples are discarded when a later handler fails', async () => {
  const def = pipeline([
    {
      spec: builtin('meter'),
      params: { meter: 'm', start: 'compute.instance.create.start', end: 'compute.instance.create.end' },
    },
    { spec: builtin('publish'), params: { exchange: 'nova' } },
  ]);
  const r = await runPipeline(def, BUILD, { stream: streamRef(), log: new MemoryLog() });
  assert.equal(r.status, 'error');
});

test('count: increments in commit, by 1 or by `by`', async () => {
  const one = await runOne('count', { counter: 'build_failures' }, BUILD);
  assert.deepEqual(one.status === 'committed' && one.samples, [
    { meter: 'build_failures', kind: 'count', value: 1 },
  ]);
  const three = await runOne('count', { counter: 'build_failures', by: 2.5 }, []);
  assert.deepEqual(three.status === 'committed' && three.samples, [
    { meter: 'build_failures', kind: 'count', value: 2.5 },
  ]);
});

test('logger: logs the stream and passes events through', async () => {
  const log = new MemoryLog();
  const seen: number[] = [];
  const def = pipeline([
    { spec: builtin('logger'), params: { level: 'warn' } },
    {
      spec: {
        name: 'after',
        validate: () => [],
        create: () => ({
          name: 'after',
          handleEvents: (events) => (seen.push(events.length), events),
          commit() {},
          rollback() {},
        }),
      },
    },
  ]);
  const r = await runPipeline(def, BUILD, { stream: streamRef({ id: 3, kind: 'expire' }), log });
  assert.equal(r.status, 'committed');
  assert.deepEqual(seen, [5]);
  const line = log.lines[0];
  assert.equal(line?.level, 'warn');
  assert.equal(
    line?.message,
    'stream 3 (build_time) expired: 5 events, compute.instance.update .. compute.instance.create.end',
  );
  assert.deepEqual(line?.fields['distinguished_by'], { instance_id: 'inst-1' });
  assert.equal(line?.fields['event_count'], 5);
  assert.equal(line?.fields['first_timestamp'], '2014-06-11T16:09:00.000000Z');
});

test('validate reports every bad param, with did-you-mean and the expected form', () => {
  const v = (name: string, params: Record<string, unknown>): string[] =>
    messages(builtin(name).validate(params));
  assert.deepEqual(v('logger', { level: 'debug', colour: true }), [
    'colour: unknown key "colour"; expected one of level',
    'level: expected one of "info", "warn", got "debug"',
  ]);
  assert.deepEqual(
    v('meter', { metre: 'x', start: 'compute.[z-a]', end: 5, start_occurrence: 'middle', unit: 'hours' }),
    [
      'metre: unknown key "metre" (did you mean "meter"?); expected one of meter, start, end, start_occurrence, end_occurrence, unit',
      'meter: required; expected a string such as "build_seconds"',
      'start: bad glob "compute.[z-a]" at column 9: range "z-a" goes backwards; write it low to high, e.g. "[a-z]"',
      'end: expected an event type glob such as "compute.instance.create.end", got 5',
      'start_occurrence: expected one of "first", "last", got "middle"',
      'unit: expected one of "seconds", "milliseconds", got "hours"',
    ],
  );
  assert.deepEqual(v('count', { counter: '', by: 0 }), [
    'counter: expected a string such as "build_failures", got ""',
    'by: expected a number > 0, got 0',
  ]);
  assert.deepEqual(
    v('webhook', {
      url: 'ftp://x',
      method: 'GET',
      headers: { 'Idempotency-Key': 'mine' },
      timeout: 0,
      retries: 1.5,
      backoff: -1,
      body: 'all',
      retires: 3,
    }),
    [
      'retires: unknown key "retires" (did you mean "retries"?); expected one of url, method, headers, timeout, retries, backoff, body',
      'url: expected an http:// or https:// URL such as "https://hooks.example.com/waymark", got "ftp://x"',
      'method: expected one of "POST", "PUT", "PATCH", got "GET"',
      'headers: header "Idempotency-Key" is set by waymark; remove it',
      'timeout: expected a number > 0 (seconds per attempt), got 0',
      'retries: expected an integer >= 0 and <= 20, got 1.5',
      'backoff: expected a number >= 0 (seconds before the first retry, doubling), got -1',
      'body: expected one of "events", "summary", got "all"',
    ],
  );
  assert.deepEqual(v('webhook', { headers: { a: 1 } }), [
    'url: required; expected an http:// or https:// URL such as "https://hooks.example.com/waymark"',
    'headers: "a": expected a string value, got 1',
  ]);
  assert.deepEqual(v('publish', { port: '5672', env_keys: 'usage_notifications', exchange_type: 'fan' }), [
    'port: expected an integer >= 1 and <= 65535, got "5672"',
    'exchange: required; expected a string such as "nova"',
    'exchange_type: expected one of "topic", "direct", "fanout", "headers", got "fan"',
    'env_keys: expected a list of strings such as [usage_notifications], got "usage_notifications"',
  ]);
  assert.deepEqual(v('usage', { fields: ['launched_at', 3], period: 'day' }), [
    'period: unknown key "period"; expected one of fields, env_key',
    'fields: item 1: expected a non-empty string, got 3',
  ]);
  assert.deepEqual(messages(builtin('meter').validate(null as unknown as Record<string, unknown>)), [
    ': expected a map of params (meter, start, end, start_occurrence, end_occurrence, unit), got null',
  ]);
});

test('the sandbox notabene params of StackTach validate unchanged', () => {
  const params = {
    host: 'localhost',
    user: 'guest',
    password: 'guest',
    port: 5672,
    vhost: '/',
    library: 'librabbitmq',
    exchange: 'nova',
    exchange_type: 'topic',
    queue_name: 'monitor.info',
    env_keys: ['usage_notifications'],
  };
  assert.deepEqual(builtin('notabene').validate(params), []);
  assert.deepEqual(builtin('usage').validate({}), []);
  assert.deepEqual(builtin('logger').validate({}), []);
});

test('create refuses params that fail validation (a run never starts half-configured)', async () => {
  const r = await runOne('meter', { meter: 'm', start: 'a' }, BUILD);
  assert.equal(r.status, 'error');
  if (r.status === 'error') {
    assert.ok(r.cause instanceof HandlerParamsError);
    assert.match(r.error, /meter: params.end: required/);
    assert.equal(r.handler, 'meter');
  }
});
