/**
 * amqp: generator -> RabbitMQ -> waymark, against amqplib alone on the same
 * messages in the same run (the limit: what the broker and the client library
 * can do with no waymark in between).
 *
 * 1. Publish: the generator's AMQP sink (`AmqpSink.write`, persistent,
 *    publisher confirms) of N pre-generated notifications, against amqplib's
 *    confirm channel publishing the same lines (persistent, drain respected,
 *    confirms awaited every 2,000).
 * 2. Consume end to end: an {@link AmqpSource} into a Runtime on a new durable
 *    DuckDB file (default config: bundled definitions and triggers, event
 *    clock), acknowledging each batch only after its commit, until all N are
 *    acknowledged; against amqplib consuming the same N messages (prefetch
 *    1,000, `JSON.parse` of each body, ack every 500 with `multiple`).
 *
 * WAYMARK_AMQP_URL (default amqp://guest:guest@127.0.0.1:5672/) names the
 * broker; WAYMARK_BENCH_AMQP the number of notifications (default 100,000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as amqp from 'amqplib';
import { AMQP_DEFAULTS } from '../src/config/amqp-config.js';
import { defaultWaymarkConfig } from '../src/config/waymark-config.js';
import { EventGenerator } from '../src/generate/event-generator.js';
import type { GeneratedNotification } from '../src/generate/generated-notification.js';
import { openstackScenario } from '../src/generate/openstack/openstack-scenario.js';
import { AmqpSink, parseAmqpSinkUrl } from '../src/generate/sinks/amqp-sink.js';
import { AmqpSource } from '../src/ingest/amqp/amqp-source.js';
import { Runtime } from '../src/runtime/runtime.js';
import type { BenchFigure, BenchSuite } from './lib.js';

const URL_ = process.env['WAYMARK_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672/';
const COUNT = Number(process.env['WAYMARK_BENCH_AMQP'] ?? 100_000);
const KEY = 'notifications.info';

const nf = (n: number): string => Math.round(n).toLocaleString('en-US');
const name = (what: string): string => `waymark-bench-${what}-${randomBytes(4).toString('hex')}`;

async function declare(ch: amqp.Channel, exchange: string, queue: string): Promise<void> {
  await ch.assertExchange(exchange, 'topic', { durable: true });
  await ch.assertQueue(queue, { durable: true });
  await ch.bindQueue(queue, exchange, 'notifications.*');
}

async function rawPublish(
  conn: amqp.ChannelModel,
  exchange: string,
  lines: readonly Buffer[],
): Promise<number> {
  const ch = await conn.createConfirmChannel();
  const t0 = performance.now();
  let n = 0;
  for (const body of lines) {
    if (!ch.publish(exchange, KEY, body, { persistent: true, contentType: 'application/json' }))
      await new Promise((resolve) => ch.once('drain', resolve));
    if (++n % 2000 === 0) await ch.waitForConfirms();
  }
  await ch.waitForConfirms();
  const ms = performance.now() - t0;
  await ch.close();
  return ms;
}

async function rawConsume(conn: amqp.ChannelModel, queue: string, count: number): Promise<number> {
  const ch = await conn.createChannel();
  await ch.prefetch(1000);
  let n = 0;
  let sink: unknown;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    void ch.consume(queue, (msg) => {
      if (msg === null) return;
      sink = JSON.parse(msg.content.toString('utf8'));
      n++;
      if (n % 500 === 0 || n === count) ch.ack(msg, true);
      if (n === count) resolve();
    });
  });
  const ms = performance.now() - t0;
  if (sink === Symbol.for('never')) process.stdout.write('');
  await ch.close();
  return ms;
}

async function waymarkConsume(
  exchange: string,
  queue: string,
  count: number,
  dir: string,
): Promise<{ ms: number; accepted: number; duplicates: number; commitMs: number }> {
  const config = {
    ...defaultWaymarkConfig({ cwd: dir }),
    storeUrl: process.env['WAYMARK_BENCH_AMQP_STORE'] ?? `duckdb:${join(dir, 'w.duckdb')}`,
  };
  const runtime = await Runtime.open({ config, clock: 'event' });
  const source = new AmqpSource({
    config: {
      ...AMQP_DEFAULTS,
      url: URL_,
      exchange: { name: exchange, type: 'topic', durable: true },
      queues: [{ name: queue, bindingKeys: ['notifications.*'] }],
      prefetch: Number(process.env['WAYMARK_BENCH_AMQP_PREFETCH'] ?? AMQP_DEFAULTS.prefetch),
    },
    ...(process.env['WAYMARK_BENCH_AMQP_INFLIGHT'] === undefined
      ? {}
      : { maxInFlight: Number(process.env['WAYMARK_BENCH_AMQP_INFLIGHT']) }),
    ...(process.env['WAYMARK_BENCH_AMQP_BATCH'] === undefined
      ? {}
      : { maxBatch: Number(process.env['WAYMARK_BENCH_AMQP_BATCH']) }),
    ingest: runtime,
    log: {
      info() {},
      warn: (m) => process.stderr.write(`  warn: ${m}\n`),
      error: (m) => process.stderr.write(`  error: ${m}\n`),
    },
  });
  const t0 = performance.now();
  await source.start();
  while (source.counters.acked < count) await new Promise((resolve) => setTimeout(resolve, 5));
  const ms = performance.now() - t0;
  await source.close();
  const c0 = performance.now();
  await runtime.close();
  return {
    ms,
    accepted: source.counters.accepted,
    duplicates: source.counters.duplicates,
    commitMs: performance.now() - c0,
  };
}

interface Round {
  rawPubMs: number;
  sinkMs: number;
  rawConsumeMs: number;
  w: Awaited<ReturnType<typeof waymarkConsume>>;
}

/** One round: fill a raw queue with amqplib and a waymark queue with the sink, then drain each. */
async function round(
  conn: amqp.ChannelModel,
  generated: readonly GeneratedNotification[],
  bodies: readonly Buffer[],
): Promise<Round> {
  const raw = { exchange: name('raw-ex'), queue: name('raw-q') };
  const wm = { exchange: name('wm-ex'), queue: name('wm-q') };
  const dir = mkdtempSync(join(tmpdir(), 'waymark-bench-amqp-'));
  const admin = await conn.createChannel();
  try {
    await declare(admin, raw.exchange, raw.queue);
    await declare(admin, wm.exchange, wm.queue);
    const rawPubMs = await rawPublish(conn, raw.exchange, bodies);
    const sink = new AmqpSink(parseAmqpSinkUrl(`${URL_}?exchange=${wm.exchange}&routing_key=${KEY}`));
    const s0 = performance.now();
    for (let i = 0; i < generated.length; i += 1000) await sink.write(generated.slice(i, i + 1000));
    await sink.close();
    const sinkMs = performance.now() - s0;
    const rawConsumeMs = await rawConsume(conn, raw.queue, COUNT);
    const w = await waymarkConsume(wm.exchange, wm.queue, COUNT, dir);
    return { rawPubMs, sinkMs, rawConsumeMs, w };
  } finally {
    for (const q of [raw.queue, wm.queue]) await admin.deleteQueue(q).catch(() => undefined);
    for (const e of [raw.exchange, wm.exchange]) await admin.deleteExchange(e).catch(() => undefined);
    await admin.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

const ROUNDS = 2;

const suite: BenchSuite = {
  title: 'amqp (generator -> RabbitMQ -> waymark)',
  async run(): Promise<BenchFigure[]> {
    let conn: amqp.ChannelModel;
    try {
      conn = await amqp.connect(URL_, { timeout: 3000 });
    } catch (err) {
      process.stderr.write(
        `bench amqp: SKIPPED: RabbitMQ at ${URL_} unreachable (${(err as Error).message})\n`,
      );
      return [];
    }
    try {
      const gen = new EventGenerator({
        scenario: openstackScenario(),
        opsPerHour: 3600,
        count: COUNT,
        seed: 1,
        keepTruth: false,
      });
      const generated: GeneratedNotification[] = [...gen];
      const bodies = generated.map((g) => Buffer.from(g.line));
      const bytes = bodies.reduce((s, b) => s + b.length, 0);
      const rounds: Round[] = [];
      for (let i = 0; i < ROUNDS; i++) rounds.push(await round(conn, generated, bodies));
      const best = (f: (r: Round) => number): number => Math.min(...rounds.map(f));
      const rate = (ms: number): number => (COUNT * 1000) / ms;
      const rawPubRate = rate(best((r) => r.rawPubMs));
      const sinkRate = rate(best((r) => r.sinkMs));
      const rawConsumeRate = rate(best((r) => r.rawConsumeMs));
      const w = rounds.reduce((a, b) => (b.w.ms < a.w.ms ? b : a)).w;
      const wRate = rate(w.ms);
      const all = (f: (r: Round) => number): string => rounds.map((r) => nf(rate(f(r)))).join(', ');
      const size = `${nf(COUNT)} generated OpenStack notifications (seed 1, bare), ${(bytes / COUNT).toFixed(0)} B each on average, persistent messages on a local RabbitMQ; best of ${ROUNDS} rounds`;
      return [
        {
          name: `generator AMQP sink: publish ${nf(COUNT)} notifications, publisher confirms`,
          value: sinkRate,
          unit: 'notifications/s',
          baseline: { name: 'amqplib confirm channel alone, same lines', value: rawPubRate },
          notes: `${size} (sink ${all((r) => r.sinkMs)}/s; baseline ${all((r) => r.rawPubMs)}/s); the sink waits for confirms every 2,000 unconfirmed, the baseline every 2,000 published`,
        },
        {
          name: `RabbitMQ -> waymark: ${nf(COUNT)} notifications consumed, committed to DuckDB (durable) and acknowledged`,
          value: wRate,
          unit: 'notifications/s',
          baseline: {
            name: 'amqplib consume alone (prefetch 1,000, JSON.parse, ack every 500)',
            value: rawConsumeRate,
          },
          target: '>= 50% of raw consume',
          met: wRate >= 0.5 * rawConsumeRate,
          notes:
            `${size} (waymark ${all((r) => r.w.ms)}/s; baseline ${all((r) => r.rawConsumeMs)}/s); AmqpSource with its defaults (prefetch 4,000, batches of 500, 4 in flight) into Runtime (default config, event clock, new DuckDB file), ` +
            `ack after commit; ${nf(w.accepted)} events stored, ${nf(w.duplicates)} duplicates; wall ${(w.ms / 1000).toFixed(1)} s from connect to the last ack ` +
            `(runtime close afterwards ${(w.commitMs / 1000).toFixed(1)} s)`,
        },
      ];
    } finally {
      await conn.close().catch(() => undefined);
    }
  },
};

export default suite;
