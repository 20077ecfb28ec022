import type { ChannelModel, ConfirmChannel } from 'amqplib';
import { EXCHANGE_TYPES, redactAmqpUrl } from '../../config/amqp-config.js';
import type { NotificationPublisher } from '../../pipeline/handler.js';
import {
  AMQP_TIMEOUT_MS,
  AmqpError,
  closeQuietly,
  connectAmqp,
  describeAmqpError,
  withTimeout,
} from './amqp-client.js';

export interface AmqpPublisherOptions {
  readonly url: string;
  /** The connection's name on the broker. */
  readonly connectionName?: string;
  /** Limit on connecting, declaring, and waiting for the broker's confirms (default 10 s). */
  readonly timeoutMs?: number;
}

/**
 * The `publish` handler's port on RabbitMQ: a lazily opened connection with a
 * confirm channel, shared by every pipeline run. `publish` declares the
 * exchange (durable) once, publishes each message persistent, with its
 * `message_id` as the AMQP `messageId` and `application/json`, waits for the
 * broker's `drain` when its buffer is full, and resolves only once the broker
 * confirmed every message (a nack or a timeout rejects: the run fails and is
 * retried, with the same message ids). A lost connection is reopened on the
 * next call.
 *
 * ```ts
 * const publisher = new AmqpPublisher({ url: 'amqp://guest:guest@localhost:5672/' });
 * const runtime = await Runtime.open({ config, publisher });
 * ...
 * await publisher.close();
 * ```
 */
export class AmqpPublisher implements NotificationPublisher {
  private connection: ChannelModel | undefined;
  private channel: Promise<ConfirmChannel> | undefined;
  private readonly declared = new Set<string>();
  private closed = false;
  private readonly timeoutMs: number;
  /** Messages confirmed by the broker. */
  published = 0;

  constructor(private readonly options: AmqpPublisherOptions) {
    this.timeoutMs = options.timeoutMs ?? AMQP_TIMEOUT_MS;
  }

  async publish(
    messages: readonly { routingKey: string; body: Record<string, unknown>; messageId: string }[],
    options: { exchange: string; exchangeType: string },
  ): Promise<void> {
    if (this.closed) throw new AmqpError('AMQP publisher: publish after close');
    if (!(EXCHANGE_TYPES as readonly string[]).includes(options.exchangeType)) {
      throw new AmqpError(
        `AMQP publisher: exchange type "${options.exchangeType}" is not one of ${EXCHANGE_TYPES.join(', ')}`,
        { permanent: true },
      );
    }
    const channel = await this.open();
    const key = `${options.exchange}\u0000${options.exchangeType}`;
    const what = `publish to exchange "${options.exchange}" on ${redactAmqpUrl(this.options.url)}`;
    try {
      if (!this.declared.has(key)) {
        await withTimeout(
          channel.assertExchange(options.exchange, options.exchangeType, { durable: true }),
          this.timeoutMs,
          `declare exchange "${options.exchange}"`,
        );
        this.declared.add(key);
      }
      const timestamp = Math.floor(Date.now() / 1000);
      for (const m of messages) {
        const ok = channel.publish(options.exchange, m.routingKey, Buffer.from(JSON.stringify(m.body)), {
          persistent: true,
          messageId: m.messageId,
          contentType: 'application/json',
          timestamp,
        });
        if (!ok) await withTimeout(waitForDrain(channel), this.timeoutMs, `${what}: wait for drain`);
      }
      await withTimeout(channel.waitForConfirms(), this.timeoutMs, `${what}: wait for confirms`);
      this.published += messages.length;
    } catch (err) {
      // The channel may be closed (a channel error, e.g. an exchange of another type): start over next time.
      await this.reset();
      throw describeAmqpError(what, err);
    }
  }

  /** Close the connection (after the confirms in progress). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.reset();
  }

  private open(): Promise<ConfirmChannel> {
    this.channel ??= (async () => {
      const connection = await connectAmqp(this.options.url, {
        name: this.options.connectionName ?? `waymark publisher ${process.pid}`,
        timeoutMs: this.timeoutMs,
      });
      const forget = (): void => {
        if (this.connection === connection) void this.reset();
      };
      connection.on('error', forget);
      connection.on('close', forget);
      this.connection = connection;
      try {
        const channel = await withTimeout(
          connection.createConfirmChannel(),
          this.timeoutMs,
          'open a channel',
        );
        channel.on('error', forget);
        channel.on('close', forget);
        return channel;
      } catch (err) {
        await this.reset();
        throw describeAmqpError(`open a confirm channel on ${redactAmqpUrl(this.options.url)}`, err);
      }
    })();
    const p = this.channel;
    p.catch(() => {
      if (this.channel === p) this.channel = undefined;
    });
    return p;
  }

  private async reset(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    this.channel = undefined;
    this.declared.clear();
    await closeQuietly(connection);
  }
}

function waitForDrain(channel: ConfirmChannel): Promise<void> {
  return new Promise((resolve) => channel.once('drain', () => resolve()));
}
