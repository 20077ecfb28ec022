import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultWaymarkConfig } from '../../src/config/waymark-config.js';
import { EventGenerator, openstackScenario } from '../../src/generate/index.js';
import { AmqpPublisher } from '../../src/ingest/amqp/amqp-publisher.js';
import { Instant, US_PER_HOUR } from '../../src/model/instant.js';
import { runPipeline } from '../../src/pipeline/run-pipeline.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { builtin, ev, MemoryLog, pipeline, probe, streamRef } from '../pipeline/helpers.js';
import { brokerOrSkip, Scratch, scratchName } from './broker.js';

const EVENTS = [
  ev(
    'compute.instance.create.end',
    '2014-06-11T16:09:41.123456Z',
    { instance_id: 'inst-1', memory_mb: 512, launched_at: Instant.parse('2014-06-11T16:09:40.000001Z') },
    'm1',
  ),
  ev('compute.instance.update', '2014-06-11T16:09:42Z', { instance_id: 'inst-1' }, 'm2'),
];

test('publish handler over RabbitMQ: the stream’s events as notifications, confirmed, with their message ids; a retried run repeats the same ids', async (t) => {
  const url = await brokerOrSkip(t);
  if (url === undefined) return;
  const scratch = await Scratch.open(url);
  const exchange = scratchName('ex');
  const queue = await scratch.boundQueue(exchange, ['monitor.info']);
  const publisher = new AmqpPublisher({ url });
  try {
    const params = { exchange, exchange_type: 'topic', queue_name: 'monitor.info' };
    const r = await runPipeline(pipeline([{ spec: builtin('notabene'), params }]), EVENTS, {
      stream: streamRef(),
      log: new MemoryLog(),
      publisher,
    });
    assert.equal(r.status, 'committed');
    const got = await scratch.drain(queue);
    assert.equal(got.length, 2);
    assert.deepEqual(
      got.map((m) => m.properties.messageId as string),
      ['m1', 'm2'],
    );
    assert.deepEqual(JSON.parse(got[0]?.content.toString() ?? ''), {
      message_id: 'm1',
      event_type: 'compute.instance.create.end',
      timestamp: '2014-06-11 16:09:41.123456',
      priority: 'INFO',
      publisher_id: 'waymark',
      payload: { instance_id: 'inst-1', memory_mb: 512, launched_at: '2014-06-11 16:09:40.000001' },
    });
    assert.equal(got[0]?.fields.routingKey, 'monitor.info');
    assert.equal(got[0]?.properties.deliveryMode, 2, 'persistent');
    assert.equal(got[0]?.properties.contentType, 'application/json');

    // env_keys: bodies without a message_id get one derived from the run; a retry (attempt 2) repeats it.
    const bodies = [
      { event_type: 'compute.instance.exists.verified', payload: { instance_id: 'i-1' } },
      { event_type: 'compute.instance.exists.failed', payload: { instance_id: 'i-2' }, message_id: 'given' },
    ];
    const withEnv = pipeline([
      { spec: probe('put', [], { onHandle: (_e, env) => void (env['usage_notifications'] = bodies) }) },
      {
        spec: builtin('publish'),
        params: { exchange, routing_key: 'monitor.info', env_keys: ['usage_notifications'] },
      },
    ]);
    const ids: string[][] = [];
    for (const attempt of [1, 2]) {
      const run = await runPipeline(withEnv, EVENTS, {
        stream: streamRef({ attempt }),
        log: new MemoryLog(),
        publisher,
      });
      assert.equal(run.status, 'committed');
      const msgs = await scratch.drain(queue);
      assert.deepEqual(
        msgs.map((m) => (JSON.parse(m.content.toString()) as { event_type: string }).event_type),
        ['compute.instance.exists.verified', 'compute.instance.exists.failed'],
      );
      ids.push(msgs.map((m) => m.properties.messageId as string));
    }
    assert.deepEqual(ids[0], ids[1], 'same ids on retry, so consumers can drop the repeats');
    assert.equal(ids[0]?.[1], 'given');
    assert.match(ids[0]?.[0] ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  } finally {
    await publisher.close();
    await scratch.cleanup();
  }
});

test('publish handler over RabbitMQ: an exchange declared with another type fails the run with a clear reason; the publisher recovers for the next run', async (t) => {
  const url = await brokerOrSkip(t);
  if (url === undefined) return;
  const scratch = await Scratch.open(url);
  const fanout = scratchName('ex');
  const topic = scratchName('ex');
  await scratch.boundQueue(fanout, [''], 'fanout');
  const queue = await scratch.boundQueue(topic, ['notifications.info']);
  const publisher = new AmqpPublisher({ url });
  try {
    const bad = await runPipeline(
      pipeline([{ spec: builtin('publish'), params: { exchange: fanout } }]),
      EVENTS,
      {
        stream: streamRef(),
        log: new MemoryLog(),
        publisher,
      },
    );
    assert.ok(bad.status === 'error', `status ${bad.status}`);
    assert.equal(bad.phase, 'commit');
    assert.match(bad.error, new RegExp(`publish to exchange "${fanout}"`));
    assert.match(bad.error, /PRECONDITION.FAILED.*use the same settings or another name/);
    const good = await runPipeline(
      pipeline([{ spec: builtin('publish'), params: { exchange: topic } }]),
      EVENTS,
      {
        stream: streamRef(),
        log: new MemoryLog(),
        publisher,
      },
    );
    assert.equal(good.status, 'committed');
    assert.equal((await scratch.drain(queue)).length, 2);
  } finally {
    await publisher.close();
    await scratch.cleanup();
  }
});

test('billing audit through the runtime: usage verdicts published by notabene (env_keys) are consumed back, one per verdict event, same message ids', async (t) => {
  const url = await brokerOrSkip(t);
  if (url === undefined) return;
  const scratch = await Scratch.open(url);
  const exchange = scratchName('ex');
  const queue = await scratch.boundQueue(exchange, ['monitor.info']);
  const dir = mkdtempSync(join(tmpdir(), 'waymark-amqp-publish-'));
  const pipelines = join(dir, 'pipelines.yaml');
  // The bundled billing audit, plus winchester's notabene as the sandbox pipelines use it.
  const notabene = `  - name: notabene\n    params: {exchange: ${exchange}, exchange_type: topic, queue_name: monitor.info, env_keys: [usage_notifications]}\n`;
  writeFileSync(
    pipelines,
    `build_time: [logger]\nbuild_failed: [logger]\ntestrun_phases: [logger]\ntestrun_failed: [logger]\n` +
      `billing_audit:\n  - usage\n${notabene}billing_audit_expired:\n  - usage\n${notabene}`,
  );
  const publisher = new AmqpPublisher({ url });
  const runtime = await Runtime.open({
    config: { ...defaultWaymarkConfig(), storeUrl: 'memory:', pipelineFiles: [pipelines] },
    clock: 'event',
    publisher,
  });
  try {
    const gen = new EventGenerator({
      scenario: openstackScenario(),
      opsPerHour: 40,
      seed: 3,
      start: Instant.parse('2026-01-01T00:00:00Z'),
      duration: 26 * US_PER_HOUR,
    });
    const items = [...gen].map((g) => JSON.parse(g.line) as unknown);
    for (let i = 0; i < items.length; i += 1000)
      await runtime.ingestNotifications(items.slice(i, i + 1000), 'test');
    await runtime.engine.idle();
    const verdicts = await runtime.store.queryEvents({
      types: ['compute.instance.exists.verified', 'compute.instance.exists.failed'],
      limit: 10_000,
    });
    assert.ok(verdicts.items.length > 5, `verdicts: ${verdicts.items.length}`);
    const got = await scratch.drain(queue);
    assert.deepEqual(
      new Set(got.map((m) => m.properties.messageId as string)),
      new Set(verdicts.items.map((e) => e.message_id)),
    );
    assert.equal(got.length, verdicts.items.length, 'each verdict published once');
    const byId = new Map(verdicts.items.map((e) => [e.message_id, e.event_type]));
    for (const m of got) {
      const body = JSON.parse(m.content.toString()) as { message_id: string; event_type: string };
      assert.equal(body.event_type, byId.get(body.message_id));
    }
  } finally {
    await runtime.close();
    await publisher.close();
    await scratch.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});
