import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { TestContext } from 'node:test';
import type { ChannelModel, Message } from 'amqplib';
import * as amqp from 'amqplib';

/** The broker tests use: WAYMARK_AMQP_URL, default the local RabbitMQ. */
export const AMQP_URL = process.env['WAYMARK_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672/';

let reachable: Promise<string | undefined> | undefined;

/** `undefined` when the broker answers, else why not. Checked once per process. */
function whyUnreachable(): Promise<string | undefined> {
  reachable ??= (async () => {
    try {
      const c = await amqp.connect(AMQP_URL, { timeout: 3000 });
      await c.close();
      return undefined;
    } catch (err) {
      return `RabbitMQ at ${AMQP_URL.replace(/:[^:@/]*@/, ':***@')} is unreachable (${(err as Error).message})`;
    }
  })();
  return reachable;
}

/**
 * The broker URL, or `undefined` after marking the test skipped — loudly, with
 * the reason. With WAYMARK_REQUIRE_SERVICES=1 (CI) an unreachable broker fails the test.
 */
export async function brokerOrSkip(t: TestContext): Promise<string | undefined> {
  const why = await whyUnreachable();
  if (why === undefined) return AMQP_URL;
  if (process.env['WAYMARK_REQUIRE_SERVICES'] === '1')
    throw new Error(`${why}; WAYMARK_REQUIRE_SERVICES=1 requires it`);
  process.stderr.write(`SKIPPED: ${t.name}: ${why}\n`);
  t.skip(why);
  return undefined;
}

/** A random name for an exchange or queue of one test: `waymark-test-<what>-<hex>`. */
export function scratchName(what: string): string {
  return `waymark-test-${what}-${randomBytes(5).toString('hex')}`;
}

/** A URL with waymark's query parameters appended. */
export function withParams(url: string, params: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.href;
}

/**
 * A test's own connection to the broker (not waymark's code): declares and
 * binds scratch queues, reads them, and deletes every queue and exchange it
 * was told about at the end.
 */
export class Scratch {
  private readonly queues = new Set<string>();
  private readonly exchanges = new Set<string>();
  private constructor(readonly connection: ChannelModel) {}

  static async open(url: string): Promise<Scratch> {
    return new Scratch(await amqp.connect(url));
  }

  /** Remember names to delete at the end (declared by the code under test). */
  track(kind: 'queue' | 'exchange', ...names: string[]): void {
    for (const n of names) (kind === 'queue' ? this.queues : this.exchanges).add(n);
  }

  /** A durable queue bound to `exchange` (declared topic, durable) with `keys`. */
  async boundQueue(exchange: string, keys: readonly string[], type = 'topic'): Promise<string> {
    const q = scratchName('q');
    const ch = await this.connection.createChannel();
    await ch.assertExchange(exchange, type, { durable: true });
    await ch.assertQueue(q, { durable: true });
    for (const k of keys) await ch.bindQueue(q, exchange, k);
    await ch.close();
    this.track('queue', q);
    this.track('exchange', exchange);
    return q;
  }

  /** Messages ready in a queue (not counting unacknowledged ones). */
  async ready(queue: string): Promise<number> {
    const ch = await this.connection.createChannel();
    try {
      return (await ch.checkQueue(queue)).messageCount;
    } finally {
      await ch.close();
    }
  }

  /** Take every ready message off a queue (acknowledged), in order. */
  async drain(queue: string): Promise<Message[]> {
    const ch = await this.connection.createChannel();
    const out: Message[] = [];
    for (;;) {
      const m = await ch.get(queue, { noAck: true });
      if (m === false) break;
      out.push(m);
    }
    await ch.close();
    return out;
  }

  /** Publish raw bodies with confirms. */
  async publish(exchange: string, routingKey: string, bodies: readonly (string | Buffer)[]): Promise<void> {
    const ch = await this.connection.createConfirmChannel();
    for (const b of bodies) {
      if (!ch.publish(exchange, routingKey, Buffer.isBuffer(b) ? b : Buffer.from(b), { persistent: true }))
        await new Promise((resolve) => ch.once('drain', resolve));
    }
    await ch.waitForConfirms();
    await ch.close();
  }

  /** Delete every tracked queue and exchange, and close. */
  async cleanup(): Promise<void> {
    const ch = await this.connection.createChannel();
    for (const q of this.queues) await ch.deleteQueue(q).catch(() => undefined);
    for (const e of this.exchanges) await ch.deleteExchange(e).catch(() => undefined);
    await this.connection.close().catch(() => undefined);
  }
}

/**
 * Close, from the broker's side, the connections whose client-provided name
 * contains `nameFragment` (waymark names its connections, e.g. `waymark source
 * PID`). Unlike `rabbitmqctl close_all_connections`, this leaves alone every
 * other connection on the shared broker (other test files, other projects'
 * tests running at the same time). Returns how many were closed.
 */
export async function closeConnectionsNamed(nameFragment: string): Promise<number> {
  const run = promisify(execFile);
  const { stdout } = await run('rabbitmqctl', [
    'list_connections',
    'pid',
    'client_properties',
    '--quiet',
    '--no-table-headers',
  ]);
  let closed = 0;
  for (const line of stdout.split('\n')) {
    const [pid, props] = line.split('\t');
    if (pid === undefined || props === undefined || !props.includes(`"${nameFragment}`)) continue;
    await run('rabbitmqctl', ['close_connection', pid, 'waymark test: connection dropped on purpose']);
    closed++;
  }
  return closed;
}

/** Poll `probe` until it returns true (every 50 ms), or fail after `ms` with `what`. */
export async function eventually(
  what: string,
  probe: () => Promise<boolean> | boolean,
  ms = 30_000,
): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
