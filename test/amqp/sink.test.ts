import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventGenerator, openstackScenario } from '../../src/generate/index.js';
import { AmqpSink, parseAmqpSinkUrl } from '../../src/generate/sinks/amqp-sink.js';
import { brokerOrSkip, closeConnectionsNamed, Scratch, scratchName, withParams } from './broker.js';

test('AMQP sink: every generated line one persistent message, confirmed, routed notifications.<priority>, in order', async (t) => {
  const url = await brokerOrSkip(t);
  if (url === undefined) return;
  const scratch = await Scratch.open(url);
  const exchange = scratchName('ex');
  const info = await scratch.boundQueue(exchange, ['notifications.info']);
  const error = await scratch.boundQueue(exchange, ['notifications.error']);
  try {
    const gen = new EventGenerator({
      scenario: openstackScenario(),
      opsPerHour: 3600,
      seed: 9,
      count: 3000,
      envelope: 'oslo',
    });
    const sink = new AmqpSink(parseAmqpSinkUrl(withParams(url, { exchange })), { maxUnconfirmed: 100 });
    const summary = await gen.run(sink);
    await sink.close();
    assert.equal(summary.notifications, 3000);
    assert.equal(sink.confirmed, 3000);

    const expected = [
      ...new EventGenerator({
        scenario: openstackScenario(),
        opsPerHour: 3600,
        seed: 9,
        count: 3000,
        envelope: 'oslo',
      }),
    ];
    const byPriority = (p: string): string[] =>
      expected.filter((g) => (g.notification?.['priority'] as string).toLowerCase() === p).map((g) => g.line);
    const gotInfo = await scratch.drain(info);
    const gotError = await scratch.drain(error);
    assert.ok(gotError.length > 0, 'some builds failed (priority ERROR)');
    assert.deepEqual(
      gotInfo.map((m) => m.content.toString()),
      byPriority('info'),
    );
    assert.deepEqual(
      gotError.map((m) => m.content.toString()),
      byPriority('error'),
    );
    const first = gotInfo[0];
    assert.equal(first?.properties.deliveryMode, 2);
    const inner = JSON.parse(
      (JSON.parse(first?.content.toString() ?? '') as { 'oslo.message': string })['oslo.message'],
    ) as {
      message_id: string;
    };
    assert.equal(first?.properties.messageId, inner.message_id);
  } finally {
    await scratch.cleanup();
  }
});

test('AMQP sink: a fixed routing_key; a connection dropped by the broker is an error saying how many were confirmed', async (t) => {
  const url = await brokerOrSkip(t);
  if (url === undefined) return;
  const scratch = await Scratch.open(url);
  const exchange = scratchName('ex');
  const queue = await scratch.boundQueue(exchange, ['monitor.info']);
  try {
    const lines = [
      ...new EventGenerator({ scenario: openstackScenario(), opsPerHour: 3600, seed: 10, count: 200 }),
    ];
    const sink = new AmqpSink(parseAmqpSinkUrl(withParams(url, { exchange, routing_key: 'monitor.info' })));
    await sink.write(lines.slice(0, 100));
    await sink.flush();
    assert.equal(await scratch.ready(queue), 100);
    // Only this process's generator connection; other connections on the shared broker stay up.
    assert.equal(await closeConnectionsNamed(`waymark generate ${process.pid}`), 1);
    await assert.rejects(
      (async () => {
        for (let i = 0; i < 50; i++) {
          await sink.write(lines.slice(100));
          await sink.flush();
        }
      })(),
      (e: Error) => {
        assert.equal(e.name, 'AmqpSinkError');
        assert.match(e.message, /connection lost after 100 confirmed messages/);
        return true;
      },
    );
    await assert.rejects(sink.close(), /connection lost/);
  } finally {
    await scratch.cleanup();
  }
});

test('AMQP sink: an unreachable broker is a clear error', async () => {
  const sink = new AmqpSink(parseAmqpSinkUrl('amqp://guest:guest@127.0.0.1:1/?exchange=x'));
  await assert.rejects(
    sink.write([]),
    /connect to amqp:\/\/guest:\*\*\*@127\.0\.0\.1:1\/.*is RabbitMQ running/,
  );
  await assert.rejects(sink.close(), /is RabbitMQ running/);
});
