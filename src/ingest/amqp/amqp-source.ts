import type { Channel, ChannelModel } from 'amqplib';
import { redactAmqpUrl, type AmqpConfig } from '../../config/amqp-config.js';
import {
  AMQP_TIMEOUT_MS,
  AmqpError,
  closeQuietly,
  connectAmqp,
  describeAmqpError,
  reconnectDelay,
  withTimeout,
} from './amqp-client.js';
import { QueueConsumer, type AmqpSourceCounters, type NotificationIngest } from './queue-consumer.js';

export type { AmqpSourceCounters, NotificationIngest } from './queue-consumer.js';

export interface SourceLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface AmqpSourceOptions {
  readonly config: AmqpConfig;
  /** Where notifications go; must resolve only once they are committed (the {@link Runtime} does). */
  readonly ingest: NotificationIngest;
  readonly log: SourceLogger;
  /** The connection's name on the broker (management UI, `rabbitmqctl list_connections user_provided_name`). */
  readonly connectionName?: string;
  /**
   * Messages per ingest call at most (default: an eighth of the prefetch, at
   * most 1,000): with four in flight, half the prefetch is being committed
   * while the other half keeps arriving, so the consumer never waits on the
   * broker (several ingests outstanding let the engine commit them together).
   */
  readonly maxBatch?: number;
  /** Ingest calls outstanding per queue (default 4). */
  readonly maxInFlight?: number;
  /** How long a partial batch waits for more (default 5 ms). */
  readonly lingerMs?: number;
  /** The runtime refused an ingest (store or engine stopped): the source has stopped; the host should stop too. */
  readonly onFatal?: (err: Error) => void;
  /** Aborting closes the source. */
  readonly signal?: AbortSignal;
}

/**
 * Consumes OpenStack notifications from RabbitMQ into the runtime.
 *
 * - Declares the exchange (topic `nova` by default), each queue (durable) and
 *   its bindings (`notifications.info`, `notifications.error`), and with
 *   `deadLetterExchange` a fanout exchange and a queue of that name, set as
 *   each queue's `x-dead-letter-exchange`.
 * - Each message is one notification (bare or oslo v2 envelope; a JSON array or
 *   JSON lines are split like an HTTP body). It is **acknowledged only after
 *   the events it produced are committed**. A message that cannot be parsed or
 *   distilled is committed to waymark's dead letters, then acknowledged (or,
 *   with a dead-letter exchange, rejected to it): never redelivered forever.
 * - When the connection drops (broker restart, `rabbitmqctl close_connection`)
 *   it reconnects with capped, jittered exponential backoff. Unacknowledged
 *   messages are redelivered by the broker; their events are already stored
 *   or not, and duplicates are dropped by `message_id`.
 * - Flow control: `prefetch` unacknowledged messages per queue at most, a
 *   bounded number of ingests outstanding, and the runtime's own bound.
 *
 * ```ts
 * const source = new AmqpSource({ config: config.amqp, ingest: runtime, log });
 * await source.start();   // connected and consuming (or retrying in the background)
 * ...
 * await source.close();   // stop consuming, commit and ack what was received, disconnect
 * ```
 */
export class AmqpSource {
  readonly counters: AmqpSourceCounters = {
    received: 0,
    acked: 0,
    deadLettered: 0,
    accepted: 0,
    duplicates: 0,
    abandoned: 0,
  };
  /** Connections made (the first one included). */
  connections = 0;
  private connection: ChannelModel | undefined;
  private consumers: QueueConsumer[] = [];
  private closing = false;
  private stopped = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private generation = 0;
  private readonly connectedWaiters: (() => void)[] = [];
  private readonly name: string;

  constructor(private readonly options: AmqpSourceOptions) {
    this.name = options.connectionName ?? `waymark source ${process.pid}`;
    options.signal?.addEventListener('abort', () => void this.close(), { once: true });
  }

  /** Whether a connection is up and every queue is being consumed. */
  get connected(): boolean {
    return this.connection !== undefined;
  }

  /**
   * Connect and start consuming. A failure retrying cannot fix (refused login,
   * unknown vhost, an exchange or queue declared with other settings) is
   * thrown; an unreachable broker is logged and retried in the background.
   */
  async start(): Promise<void> {
    try {
      await this.connect();
    } catch (err) {
      const e = describeAmqpError(`AMQP source ${redactAmqpUrl(this.options.config.url)}`, err);
      if (e.permanent) {
        this.stopped = true;
        throw e;
      }
      this.scheduleReconnect(e);
    }
  }

  /** Resolves once connected and consuming (immediately if so). */
  async whenConnected(): Promise<void> {
    if (this.connected) return;
    await new Promise<void>((resolve) => this.connectedWaiters.push(resolve));
  }

  /** Hand every message received so far to the runtime and wait for their acknowledgements. */
  async flush(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.flush()));
  }

  /** Stop consuming, commit and acknowledge what was received, disconnect. Idempotent. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearTimeout(this.timer);
    for (const w of this.connectedWaiters.splice(0)) w();
    const consumers = this.consumers;
    await Promise.all(consumers.map((c) => c.stopConsuming().catch(() => {})));
    await Promise.all(consumers.map((c) => c.flush()));
    const connection = this.connection;
    this.connection = undefined;
    this.generation++;
    await closeQuietly(connection);
  }

  private async connect(): Promise<void> {
    const { config } = this.options;
    const generation = ++this.generation;
    const connection = await connectAmqp(config.url, { name: this.name });
    let ready = false;
    const lost = (err: unknown): void => {
      // During setup a failure is thrown by connect() itself.
      if (!ready || generation !== this.generation) return;
      this.connectionLost(connection, err);
    };
    connection.on('error', (err: Error) => lost(err));
    connection.on('close', (err?: Error) => lost(err ?? new Error('connection closed')));
    connection.on('blocked', (reason: string) =>
      this.options.log.warn(`amqp: the broker blocked the connection (${reason})`),
    );
    const consumers: QueueConsumer[] = [];
    try {
      for (const q of config.queues) {
        const channel = await connection.createChannel();
        channel.on('error', (err: Error) => lost(err));
        // A channel closes with its connection: let the connection's own error (the real reason) come first.
        channel.on('close', () => setImmediate(() => lost(new Error(`channel of queue "${q.name}" closed`))));
        await this.declare(channel, q.name, q.bindingKeys);
        const consumer = new QueueConsumer({
          channel,
          queue: q.name,
          ingest: this.options.ingest,
          counters: this.counters,
          useDeadLetterExchange: config.deadLetterExchange !== undefined,
          maxBatch: this.options.maxBatch ?? Math.max(1, Math.min(1000, Math.floor(config.prefetch / 8))),
          maxInFlight: this.options.maxInFlight ?? 4,
          lingerMs: this.options.lingerMs ?? 5,
          onFatal: (err) => this.fatal(err),
          onCancelled: () =>
            lost(new Error(`queue "${q.name}" was deleted; the broker cancelled the consumer`)),
        });
        consumers.push(consumer);
      }
      this.consumers = consumers;
      this.connection = connection;
      for (const c of consumers) await withTimeout(c.start(), AMQP_TIMEOUT_MS, `consume queue "${c.source}"`);
    } catch (err) {
      this.generation++;
      this.connection = undefined;
      for (const c of consumers) c.channelClosed();
      await closeQuietly(connection);
      throw err;
    }
    ready = true;
    this.connections++;
    this.attempt = 0;
    this.options.log.info(
      `amqp: consuming ${config.queues.map((q) => q.name).join(', ')} from exchange "${config.exchange.name}" on ${redactAmqpUrl(config.url)}`,
      { prefetch: config.prefetch },
    );
    for (const w of this.connectedWaiters.splice(0)) w();
  }

  private async declare(channel: Channel, queue: string, keys: readonly string[]): Promise<void> {
    const { config } = this.options;
    const step = async <T>(what: string, p: Promise<T>): Promise<T> => {
      try {
        return await withTimeout(p, AMQP_TIMEOUT_MS, what);
      } catch (err) {
        throw describeAmqpError(what, err);
      }
    };
    await step('set prefetch', channel.prefetch(config.prefetch));
    const ex = config.exchange;
    await step(
      `declare exchange "${ex.name}" (${ex.type}, ${ex.durable ? 'durable' : 'transient'})`,
      channel.assertExchange(ex.name, ex.type, { durable: ex.durable }),
    );
    const dlx = config.deadLetterExchange;
    if (dlx !== undefined) {
      await step(
        `declare dead-letter exchange "${dlx}"`,
        channel.assertExchange(dlx, 'fanout', { durable: true }),
      );
      await step(`declare dead-letter queue "${dlx}"`, channel.assertQueue(dlx, { durable: true }));
      await step(`bind dead-letter queue "${dlx}"`, channel.bindQueue(dlx, dlx, ''));
    }
    await step(
      `declare queue "${queue}"`,
      channel.assertQueue(queue, {
        durable: true,
        ...(dlx === undefined ? {} : { arguments: { 'x-dead-letter-exchange': dlx } }),
      }),
    );
    for (const key of keys)
      await step(
        `bind queue "${queue}" to "${ex.name}" with "${key}"`,
        channel.bindQueue(queue, ex.name, key),
      );
  }

  private connectionLost(connection: ChannelModel, err: unknown): void {
    this.generation++;
    this.connection = undefined;
    for (const c of this.consumers) c.channelClosed();
    void closeQuietly(connection);
    if (this.closing || this.stopped) return;
    this.scheduleReconnect(err);
  }

  private scheduleReconnect(err: unknown): void {
    if (this.closing || this.stopped) return;
    this.attempt++;
    const { initialMs, maxMs } = this.options.config.reconnect;
    const delay = reconnectDelay(this.attempt, initialMs, maxMs);
    this.options.log.warn(
      `amqp: ${err instanceof AmqpError ? err.message : `connection lost: ${String((err as Error).message ?? err)}`}; reconnecting in ${delay} ms (attempt ${this.attempt})`,
    );
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.closing || this.stopped) return;
      this.connect().catch((e: unknown) =>
        this.scheduleReconnect(
          describeAmqpError(`reconnect to ${redactAmqpUrl(this.options.config.url)}`, e),
        ),
      );
    }, delay);
  }

  private fatal(err: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    const e = err instanceof Error ? err : new Error(String(err));
    this.options.log.error(
      `amqp: ingest failed, consumption stopped (unacknowledged messages go back to the queue): ${e.message}`,
    );
    const connection = this.connection;
    this.connection = undefined;
    this.generation++;
    for (const c of this.consumers) c.channelClosed();
    void closeQuietly(connection);
    this.options.onFatal?.(e);
  }
}
