import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Instant } from '../../src/model/instant.js';
import { PublishError } from '../../src/pipeline/handlers/publish.js';
import type { HandlerSpec } from '../../src/pipeline/handler.js';
import { runPipeline } from '../../src/pipeline/run-pipeline.js';
import { builtin, ev, MemoryLog, pipeline, probe, RecordingPublisher, streamRef } from './helpers.js';

const EVENTS = [
  ev(
    'compute.instance.create.end',
    '2014-06-11T16:09:41.123456Z',
    { instance_id: 'inst-1', memory_mb: 512, launched_at: Instant.parse('2014-06-11T16:09:40.000001Z') },
    'm1',
  ),
  ev('compute.instance.update', '2014-06-11T16:09:42Z', { instance_id: 'inst-1' }, 'm2'),
];

const SANDBOX = {
  host: 'localhost',
  user: 'guest',
  password: 'guest',
  port: 5672,
  vhost: '/',
  library: 'librabbitmq',
  exchange: 'nova',
  exchange_type: 'topic',
  queue_name: 'monitor.info',
};

/** A handler that puts `items` into env[key] (what `usage` does). */
function putInEnv(key: string, items: unknown): HandlerSpec {
  return probe('put', [], {
    onHandle: (_e, env) => {
      env[key] = items;
    },
  });
}

test('without env_keys: the stream’s events as OpenStack notifications, on notifications.info', async () => {
  const publisher = new RecordingPublisher();
  const r = await runPipeline(
    pipeline([{ spec: builtin('publish'), params: { exchange: 'openstack' } }]),
    EVENTS,
    {
      stream: streamRef(),
      log: new MemoryLog(),
      publisher,
    },
  );
  assert.equal(r.status, 'committed');
  assert.equal(publisher.calls.length, 1);
  assert.deepEqual(publisher.calls[0]?.options, { exchange: 'openstack', exchangeType: 'topic' });
  assert.deepEqual(publisher.calls[0]?.messages, [
    {
      routingKey: 'notifications.info',
      messageId: 'm1',
      body: {
        message_id: 'm1',
        event_type: 'compute.instance.create.end',
        timestamp: '2014-06-11 16:09:41.123456',
        priority: 'INFO',
        publisher_id: 'waymark',
        payload: { instance_id: 'inst-1', memory_mb: 512, launched_at: '2014-06-11 16:09:40.000001' },
      },
    },
    {
      routingKey: 'notifications.info',
      messageId: 'm2',
      body: {
        message_id: 'm2',
        event_type: 'compute.instance.update',
        timestamp: '2014-06-11 16:09:42.000000',
        priority: 'INFO',
        publisher_id: 'waymark',
        payload: { instance_id: 'inst-1' },
      },
    },
  ]);
});

test('with env_keys (the sandbox notabene config): bodies and events from env, queue_name as routing key', async () => {
  const publisher = new RecordingPublisher();
  const body = {
    message_id: 'b1',
    event_type: 'compute.instance.exists.verified',
    payload: { instance_id: 'x' },
  };
  const noId = { event_type: 'compute.instance.exists.failed', payload: {} };
  const def = pipeline([
    { spec: putInEnv('usage_notifications', [body, EVENTS[1], noId]) },
    { spec: builtin('notabene'), params: { ...SANDBOX, env_keys: ['usage_notifications', 'absent'] } },
  ]);
  const run = () => runPipeline(def, EVENTS, { stream: streamRef(), log: new MemoryLog(), publisher });
  const r = await run();
  assert.equal(r.status, 'committed');
  const messages = publisher.calls[0]?.messages ?? [];
  assert.deepEqual(
    messages.map((m) => [m.routingKey, m.body['event_type']]),
    [
      ['monitor.info', 'compute.instance.exists.verified'],
      ['monitor.info', 'compute.instance.update'],
      ['monitor.info', 'compute.instance.exists.failed'],
    ],
  );
  assert.deepEqual(messages[0]?.body, body);
  assert.equal(messages[1]?.body['timestamp'], '2014-06-11 16:09:42.000000');
  // A body without an id gets a derived one: the same on a retry.
  const derived = messages[2]?.messageId;
  assert.match(derived ?? '', /^[0-9a-f-]{36}$/);
  assert.equal(messages[2]?.body['message_id'], derived);
  await run();
  assert.equal(publisher.calls[1]?.messages[2]?.messageId, derived);
});

test('routing_key wins over queue_name', async () => {
  const publisher = new RecordingPublisher();
  const def = pipeline([
    {
      spec: builtin('publish'),
      params: { exchange: 'nova', queue_name: 'q', routing_key: 'notifications.warn' },
    },
  ]);
  await runPipeline(def, EVENTS, { stream: streamRef(), log: new MemoryLog(), publisher });
  assert.equal(publisher.calls[0]?.messages[0]?.routingKey, 'notifications.warn');
});

test('no AMQP publisher configured: the run fails (to be retried), naming what to configure', async () => {
  const journal: string[] = [];
  const def = pipeline([
    { spec: probe('before', journal) },
    { spec: builtin('notabene'), params: { ...SANDBOX, env_keys: ['usage_notifications'] } },
  ]);
  const r = await runPipeline(def, EVENTS, { stream: streamRef(), log: new MemoryLog() });
  assert.equal(r.status, 'error');
  if (r.status === 'error') {
    assert.equal(r.handler, 'notabene');
    assert.ok(r.cause instanceof PublishError);
    assert.match(r.error, /notabene: no AMQP connection is configured; set amqp in waymark.yaml/);
    // It fails before anything commits.
    assert.equal(r.phase, 'handle');
    assert.equal(journal.includes('before:commit'), false);
  }
});

test('a publisher failure fails the run in commit; bad env contents fail it in handle', async () => {
  const publisher = new RecordingPublisher();
  publisher.failWith = new Error('channel closed');
  const r = await runPipeline(
    pipeline([{ spec: builtin('publish'), params: { exchange: 'nova' } }]),
    EVENTS,
    {
      stream: streamRef(),
      log: new MemoryLog(),
      publisher,
    },
  );
  assert.equal(r.status === 'error' && `${r.phase}: ${r.error}`, 'commit: Error: channel closed');

  const cases: [unknown, RegExp][] = [
    ['not a list', /env.k is string, not a list/],
    [[42], /env.k\[0\] is neither an event nor a notification body/],
    [[{ payload: {} }], /env.k\[0\] has no "event_type"/],
  ];
  for (const [items, expected] of cases) {
    const def = pipeline([
      { spec: putInEnv('k', items) },
      { spec: builtin('publish'), params: { exchange: 'nova', env_keys: ['k'] } },
    ]);
    const bad = await runPipeline(def, EVENTS, {
      stream: streamRef(),
      log: new MemoryLog(),
      publisher: new RecordingPublisher(),
    });
    assert.equal(bad.status, 'error');
    if (bad.status === 'error') {
      assert.equal(bad.phase, 'handle');
      assert.match(bad.error, expected);
    }
  }
});

test('nothing to publish: no publish call', async () => {
  const publisher = new RecordingPublisher();
  const def = pipeline([{ spec: builtin('publish'), params: { exchange: 'nova', env_keys: ['empty'] } }]);
  const r = await runPipeline(def, EVENTS, { stream: streamRef(), log: new MemoryLog(), publisher });
  assert.equal(r.status, 'committed');
  assert.equal(publisher.calls.length, 0);
});
