import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AMQP_DEFAULTS, type AmqpConfig } from '../../src/config/amqp-config.js';
import { defaultWaymarkConfig } from '../../src/config/waymark-config.js';
import { Distiller } from '../../src/distill/distiller.js';
import { EventGenerator, openstackScenario } from '../../src/generate/index.js';
import { AmqpSource, type NotificationIngest } from '../../src/ingest/amqp/amqp-source.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { brokerOrSkip, closeConnectionsNamed, eventually, Scratch, scratchName } from './broker.js';

const SILENT = { info() {}, warn() {}, error() {} };

function amqpConfig(
  url: string,
  exchange: string,
  queue: string,
  extra: Partial<AmqpConfig> = {},
): AmqpConfig {
  return {
    ...AMQP_DEFAULTS,
    url,
    exchange: { name: exchange, type: 'topic', durable: true },
    queues: [{ name: queue, bindingKeys: ['notifications.info', 'notifications.error'] }],
    reconnect: { initialMs: 50, maxMs: 500 },
    ...extra,
  };
}

/** Generated OpenStack notification lines (a fixed seed), bare or oslo-enveloped. */
function lines(count: number, seed: number, envelope: 'bare' | 'oslo' = 'bare'): string[] {
  const gen = new EventGenerator({ scenario: openstackScenario(), opsPerHour: 3600, seed, count, envelope });
  return [...gen].map((g) => g.line);
}

/** The message ids a correct consumer must store: every distinct notification with a definition. */
function expectedIds(all: readonly string[]): Set<string> {
  const d = Distiller.load(defaultWaymarkConfig().distillerFiles);
  const ids = new Set<string>();
  for (const l of all) {
    const out = d.distillLine(l);
    if (out.status === 'event') ids.add(out.event.message_id);
  }
  return ids;
}

async function memoryRuntime(): Promise<Runtime> {
  return Runtime.open({ config: { ...defaultWaymarkConfig(), storeUrl: 'memory:' }, clock: 'event' });
}

async function storedIds(runtime: Runtime): Promise<string[]> {
  const ids: string[] = [];
  let marker: string | undefined;
  do {
    const page = await runtime.store.queryEvents({ limit: 10_000, marker });
    ids.push(...page.items.map((e) => e.message_id));
    marker = page.next;
  } while (marker !== undefined);
  return ids;
}

test('AMQP source: bare and oslo notifications are stored once each; poison messages go to dead letters and the dead-letter exchange, and are acknowledged', async (t) => {
  const url = await brokerOrSkip(t);
  if (url === undefined) return;
  const scratch = await Scratch.open(url);
  const exchange = scratchName('ex');
  const queue = scratchName('q');
  const dlx = scratchName('dlx');
  scratch.track('queue', queue, dlx);
  scratch.track('exchange', exchange, dlx);
  const runtime = await memoryRuntime();
  const source = new AmqpSource({
    config: amqpConfig(url, exchange, queue, { prefetch: 40, deadLetterExchange: dlx }),
    ingest: runtime,
    log: SILENT,
  });
  try {
    await source.start();
    assert.ok(source.connected);
    const bare = lines(300, 11);
    const oslo = lines(200, 12, 'oslo');
    const poison = [
      'not json at all',
      '{"message_id": "cut',
      '{"event_type": 5, "message_id": "p-1", "timestamp": "2026-01-01 00:00:00"}',
      '[1, 2, 3]',
      '{"oslo.version": "2.0", "oslo.message": "{nope"}',
      '',
      '{"a":'.repeat(1000) + '1' + '}'.repeat(1000),
    ];
    await scratch.publish(exchange, 'notifications.info', bare.slice(0, 150));
    await scratch.publish(exchange, 'notifications.error', poison);
    await scratch.publish(exchange, 'notifications.info', [...oslo, ...bare.slice(150)]);
    // Redelivered / duplicated publishes: same message ids, must not be stored twice.
    await scratch.publish(exchange, 'notifications.info', bare.slice(0, 25));
    // Not bound: never reaches the queue.
    await scratch.publish(exchange, 'notifications.debug', bare.slice(0, 5));
    const total = 150 + poison.length + 200 + 150 + 25;
    await eventually('every message acknowledged', () => source.counters.acked === total);

    const expected = expectedIds([...bare, ...oslo]);
    assert.ok(expected.size > 400, `expected ids: ${expected.size}`);
    const stored = await storedIds(runtime);
    assert.equal(stored.length, expected.size, 'nothing lost, nothing doubled');
    assert.deepEqual(new Set(stored), expected);
    assert.equal(source.counters.duplicates, 25);

    // One dead letter per poison message, except the array: one per element (as an HTTP body would be split).
    assert.equal(await runtime.store.countDeadLetters(), poison.length - 1 + 3);
    const letters = await runtime.store.deadLetters({ limit: 100 });
    assert.ok(letters.every((l) => l.source === `amqp:${queue}`));
    assert.ok(letters.some((l) => l.payload === 'not json at all' && /not valid JSON/.test(l.reason)));
    assert.ok(letters.some((l) => /"event_type" must be a non-empty string/.test(l.reason)));
    assert.ok(letters.some((l) => /oslo envelope/.test(l.reason)));
    assert.ok(letters.some((l) => /empty body/.test(l.reason)));
    assert.ok(letters.some((l) => /nested more than/.test(l.reason)));
    assert.equal(source.counters.deadLettered, poison.length);

    assert.equal(await scratch.ready(queue), 0, 'nothing left to redeliver');
    const dead = await scratch.drain(dlx);
    assert.equal(dead.length, poison.length, 'each poison message went to the dead-letter exchange once');
    assert.ok(dead.some((m) => m.content.toString() === 'not json at all'));
  } finally {
    await source.close();
    await runtime.close();
    await scratch.cleanup();
  }
});

/** An ingest that holds every call until released (or fails it), in front of a real runtime. */
class GatedIngest implements NotificationIngest {
  calls = 0;
  private gate: Promise<void>;
  private open!: () => void;
  private shut!: (err: Error) => void;
  constructor(private readonly runtime: Runtime) {
    this.gate = new Promise((resolve, reject) => {
      this.open = resolve;
      this.shut = reject;
    });
    this.gate.catch(() => undefined);
  }
  release(): void {
    this.open();
  }
  fail(err: Error): void {
    this.shut(err);
  }
  async ingestNotifications(items: readonly unknown[], source: string, raw?: readonly string[]) {
    this.calls++;
    await this.gate;
    return this.runtime.ingestNotifications(items, source, raw);
  }
  async deadLetter(payloads: readonly { payload: string; reason: string }[], source: string) {
    await this.gate;
    return this.runtime.deadLetter(payloads, source);
  }
}

test('AMQP source: nothing is acknowledged before the commit; a connection lost meanwhile gives every message back to the queue', async (t) => {
  const url = await brokerOrSkip(t);
  if (url === undefined) return;
  const scratch = await Scratch.open(url);
  const exchange = scratchName('ex');
  const queue = scratchName('q');
  scratch.track('queue', queue);
  scratch.track('exchange', exchange);
  const runtime = await memoryRuntime();
  const ingest = new GatedIngest(runtime);
  const name = `waymark source ${scratchName('gated')}`;
  const source = new AmqpSource({
    config: amqpConfig(url, exchange, queue, { reconnect: { initialMs: 60_000, maxMs: 60_000 } }),
    ingest,
    log: SILENT,
    connectionName: name,
  });
  try {
    await source.start();
    const msgs = lines(50, 21);
    await scratch.publish(exchange, 'notifications.info', msgs);
    await eventually('all delivered to the source', () => source.counters.received === 50);
    await eventually('handed to the runtime', () => ingest.calls > 0);
    assert.equal(await scratch.ready(queue), 0, 'delivered, held unacknowledged');
    assert.equal(source.counters.acked, 0);
    // Drop only this source's connection (other tests share the broker): the broker takes the messages back.
    assert.equal(await closeConnectionsNamed(name), 1);
    await eventually('messages back in the queue', async () => (await scratch.ready(queue)) === 50);
    assert.equal(source.connected, false);
    ingest.release();
    await eventually('the held batches committed', async () => (await storedIds(runtime)).length > 0);
    assert.equal(source.counters.acked, 0, 'a batch committed after its channel closed is not acknowledged');
    assert.equal(await scratch.ready(queue), 50, 'and stays in the queue for redelivery');
  } finally {
    await source.close();
    await runtime.close();
    await scratch.cleanup();
  }
});

test('AMQP source: a failing ingest stops the source (onFatal) and acknowledges nothing', async (t) => {
  const url = await brokerOrSkip(t);
  if (url === undefined) return;
  const scratch = await Scratch.open(url);
  const exchange = scratchName('ex');
  const queue = scratchName('q');
  scratch.track('queue', queue);
  scratch.track('exchange', exchange);
  const runtime = await memoryRuntime();
  const ingest = new GatedIngest(runtime);
  const fatal: Error[] = [];
  const source = new AmqpSource({
    config: amqpConfig(url, exchange, queue),
    ingest,
    log: SILENT,
    onFatal: (e) => fatal.push(e),
  });
  try {
    await source.start();
    await scratch.publish(exchange, 'notifications.info', lines(30, 31));
    await eventually('handed to the runtime', () => ingest.calls > 0);
    ingest.fail(new Error('store is gone'));
    await eventually('onFatal called', () => fatal.length > 0);
    assert.equal(fatal.length, 1);
    assert.match(fatal[0]?.message ?? '', /store is gone/);
    await eventually('every message back in the queue', async () => (await scratch.ready(queue)) === 30);
    assert.equal(source.counters.acked, 0);
    assert.equal(source.connected, false);
  } finally {
    await source.close();
    await runtime.close();
    await scratch.cleanup();
  }
});

test('AMQP source: after the broker drops the connection mid-stream it reconnects; nothing lost, nothing doubled', async (t) => {
  const url = await brokerOrSkip(t);
  if (url === undefined) return;
  const scratch = await Scratch.open(url);
  const exchange = scratchName('ex');
  const queue = scratchName('q');
  scratch.track('queue', queue);
  scratch.track('exchange', exchange);
  const runtime = await memoryRuntime();
  const name = `waymark source ${scratchName('drop')}`;
  const warnings: string[] = [];
  const source = new AmqpSource({
    config: amqpConfig(url, exchange, queue, { prefetch: 100 }),
    ingest: runtime,
    log: { ...SILENT, warn: (m) => warnings.push(m) },
    connectionName: name,
  });
  try {
    await source.start();
    const all = lines(6000, 41);
    await scratch.publish(exchange, 'notifications.info', all.slice(0, 3000));
    await eventually('consumption under way', () => source.counters.acked >= 500);
    assert.equal(await closeConnectionsNamed(name), 1, 'dropped mid-stream');
    await scratch.publish(exchange, 'notifications.info', all.slice(3000));
    await eventually('reconnected', () => source.connections === 2);
    const expected = expectedIds(all);
    await eventually(
      'everything stored',
      async () => (await storedIds(runtime)).length >= expected.size,
      60_000,
    );
    await eventually('queue drained', async () => (await scratch.ready(queue)) === 0);
    await source.flush();
    const stored = await storedIds(runtime);
    assert.equal(stored.length, expected.size, 'nothing doubled');
    assert.deepEqual(new Set(stored), expected, 'nothing lost');
    assert.ok(
      warnings.some(
        (w) => /CONNECTION_FORCED|connection lost/.test(w) && /reconnecting in \d+ ms \(attempt 1\)/.test(w),
      ),
      warnings.join('\n'),
    );
  } finally {
    await source.close();
    await runtime.close();
    await scratch.cleanup();
  }
});

test('AMQP source: a queue declared with other settings is a clear, permanent error at start', async (t) => {
  const url = await brokerOrSkip(t);
  if (url === undefined) return;
  const scratch = await Scratch.open(url);
  const exchange = scratchName('ex');
  try {
    // The exchange exists as fanout; the source asks for topic.
    const queue = await scratch.boundQueue(exchange, [''], 'fanout');
    const runtime = await memoryRuntime();
    const source = new AmqpSource({ config: amqpConfig(url, exchange, queue), ingest: runtime, log: SILENT });
    try {
      await assert.rejects(source.start(), (e: Error) => {
        assert.equal(e.name, 'AmqpError');
        assert.match(e.message, new RegExp(`declare exchange "${exchange}" \\(topic, durable\\)`));
        assert.match(e.message, /PRECONDITION.FAILED/);
        assert.match(e.message, /use the same settings or another name/);
        return true;
      });
    } finally {
      await source.close();
      await runtime.close();
    }
    const wrong = new AmqpSource({
      config: amqpConfig(url.replace('guest:guest', 'guest:wrong'), exchange, 'x'),
      ingest: new GatedIngest(await memoryRuntime()),
      log: SILENT,
    });
    await assert.rejects(wrong.start(), /check the user and password in the URL/);
    await wrong.close();
  } finally {
    await scratch.cleanup();
  }
});

test('AMQP source: an unreachable broker is retried in the background with growing, capped waits', async () => {
  const warnings: string[] = [];
  const runtime = await memoryRuntime();
  const source = new AmqpSource({
    // Nothing listens on port 1.
    config: amqpConfig('amqp://guest:guest@127.0.0.1:1/', 'x', 'y', {
      reconnect: { initialMs: 20, maxMs: 80 },
    }),
    ingest: runtime,
    log: { ...SILENT, warn: (m) => warnings.push(m) },
  });
  try {
    await source.start();
    assert.equal(source.connected, false);
    await eventually('several attempts', () => warnings.length >= 4, 10_000);
    assert.match(warnings[0] ?? '', /ECONNREFUSED|connection refused/i);
    assert.match(warnings[0] ?? '', /is RabbitMQ running/);
    const delays = warnings.map((w) => Number(/reconnecting in (\d+) ms/.exec(w)?.[1]));
    assert.ok(
      delays.every((d) => d >= 10 && d <= 80),
      delays.join(','),
    );
  } finally {
    await source.close();
    await runtime.close();
  }
});
