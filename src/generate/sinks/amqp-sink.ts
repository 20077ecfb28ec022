import type { ChannelModel, ConfirmChannel } from 'amqplib';
import { EXCHANGE_TYPES, redactAmqpUrl, splitAmqpUrl, type ExchangeType } from '../../config/amqp-config.js';
import { WaymarkError } from '../../model/errors.js';
import {
  AMQP_TIMEOUT_MS,
  closeQuietly,
  connectAmqp,
  describeAmqpError,
  withTimeout,
} from '../../ingest/amqp/amqp-client.js';
import type { GeneratedNotification } from '../generated-notification.js';
import type { Sink } from './sink.js';

/** A bad `--out amqp://…` URL, or the broker refused or lost what was sent. */
export class AmqpSinkError extends WaymarkError {
  override name = 'AmqpSinkError';
}

/** Where the AMQP sink publishes. */
export interface AmqpSinkTarget {
  /** The connection URL (waymark's parameters removed). */
  readonly url: string;
  readonly exchange: string;
  readonly exchangeType: ExchangeType;
  readonly durable: boolean;
  /** Fixed routing key; `undefined`: `notifications.<priority>` of each notification, as OpenStack does. */
  readonly routingKey: string | undefined;
}

const SINK_PARAMS = ['exchange', 'exchange_type', 'exchange_durable', 'routing_key'] as const;

/**
 * Read `amqp://USER:PASS@HOST:PORT/VHOST?exchange=nova&routing_key=notifications.info`
 * (parameters: `exchange` default nova, `exchange_type` default topic,
 * `exchange_durable` default true, `routing_key` default per priority).
 * Throws {@link AmqpSinkError} listing every problem.
 */
export function parseAmqpSinkUrl(text: string): AmqpSinkTarget {
  const { url, params, problems } = splitAmqpUrl(text, SINK_PARAMS);
  const exchange = params.get('exchange') ?? 'nova';
  if (exchange === '')
    problems.push('URL parameter "exchange" is empty; expected an exchange name such as nova');
  const type = params.get('exchange_type') ?? 'topic';
  if (!(EXCHANGE_TYPES as readonly string[]).includes(type))
    problems.push(
      `URL parameter "exchange_type": expected one of ${EXCHANGE_TYPES.join(', ')}, got "${type}"`,
    );
  const durable = params.get('exchange_durable') ?? 'true';
  if (durable !== 'true' && durable !== 'false')
    problems.push(`URL parameter "exchange_durable": expected true or false, got "${durable}"`);
  const routingKey = params.get('routing_key');
  if (routingKey === '')
    problems.push('URL parameter "routing_key" is empty; leave it out to route by priority');
  if (problems.length > 0) throw new AmqpSinkError(problems.join('; '));
  return { url, exchange, exchangeType: type as ExchangeType, durable: durable === 'true', routingKey };
}

export interface AmqpSinkOptions {
  /** Messages published but not yet confirmed before `write` waits for the broker (default 2,000). */
  readonly maxUnconfirmed?: number;
  /** Limit on connecting and on each wait for confirms (default 10 s). */
  readonly timeoutMs?: number;
}

/**
 * Publishes each generated notification as one persistent message (its line:
 * bare or oslo-enveloped, as the generator wrote it) to a RabbitMQ exchange,
 * with publisher confirms. `write` returns once the broker took the batch
 * into its buffer; it waits for the channel's `drain` when the socket buffer
 * is full and for confirms when `maxUnconfirmed` are outstanding, so the
 * generator runs as fast as the broker takes messages (or at the real-time
 * pace it keeps itself). `flush` and `close` wait for every confirm. A nack or
 * a lost connection is an {@link AmqpSinkError} saying how many were confirmed.
 *
 * ```ts
 * const sink = new AmqpSink(parseAmqpSinkUrl('amqp://guest:guest@127.0.0.1:5672/?exchange=nova'));
 * await generator.run(sink);
 * await sink.close();
 * ```
 */
export class AmqpSink implements Sink {
  readonly name: string;
  private connection: ChannelModel | undefined;
  private channel: ConfirmChannel | undefined;
  private failure: Error | undefined;
  private closed = false;
  private unconfirmed = 0;
  private readonly maxUnconfirmed: number;
  private readonly timeoutMs: number;
  /** Messages published / confirmed by the broker. */
  published = 0;
  confirmed = 0;

  constructor(
    private readonly target: AmqpSinkTarget,
    options: AmqpSinkOptions = {},
  ) {
    this.name = `${redactAmqpUrl(target.url)} exchange ${target.exchange}`;
    this.maxUnconfirmed = Math.max(1, options.maxUnconfirmed ?? 2000);
    this.timeoutMs = options.timeoutMs ?? AMQP_TIMEOUT_MS;
  }

  async write(batch: readonly GeneratedNotification[]): Promise<void> {
    if (this.closed) throw new AmqpSinkError(`${this.name}: write after close`);
    const channel = await this.open();
    for (const g of batch) {
      this.throwIfFailed();
      const priority = g.notification?.['priority'];
      const key =
        this.target.routingKey ??
        `notifications.${typeof priority === 'string' && priority !== '' ? priority.toLowerCase() : 'info'}`;
      const messageId = g.notification?.['message_id'];
      this.unconfirmed++;
      this.published++;
      const ok = channel.publish(
        this.target.exchange,
        key,
        Buffer.from(g.line),
        {
          persistent: true,
          contentType: 'application/json',
          ...(typeof messageId === 'string' ? { messageId } : {}),
        },
        (err: unknown) => {
          this.unconfirmed--;
          if (err === null || err === undefined) this.confirmed++;
          else this.fail(new AmqpSinkError(`${this.name}: the broker refused (nacked) a message`));
        },
      );
      if (!ok) await this.wait(waitForDrain(channel), 'wait for drain');
      if (this.unconfirmed >= this.maxUnconfirmed)
        await this.wait(channel.waitForConfirms(), 'wait for confirms');
    }
  }

  async flush(): Promise<void> {
    this.throwIfFailed();
    if (this.channel !== undefined) await this.wait(this.channel.waitForConfirms(), 'wait for confirms');
    this.throwIfFailed();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      const connection = this.connection;
      this.connection = undefined;
      this.channel = undefined;
      await closeQuietly(connection);
    }
  }

  private async open(): Promise<ConfirmChannel> {
    this.throwIfFailed();
    if (this.channel !== undefined) return this.channel;
    const t = this.target;
    try {
      const connection = await connectAmqp(t.url, {
        name: `waymark generate ${process.pid}`,
        timeoutMs: this.timeoutMs,
      });
      this.connection = connection;
      const lost = (err?: Error): void => {
        if (this.closed) return;
        this.fail(
          new AmqpSinkError(
            `${this.name}: connection lost after ${this.confirmed} confirmed messages (${this.unconfirmed} unconfirmed)${err === undefined ? '' : `: ${err.message}`}`,
          ),
        );
      };
      connection.on('error', lost);
      connection.on('close', lost);
      const channel = await withTimeout(connection.createConfirmChannel(), this.timeoutMs, 'open a channel');
      channel.on('error', lost);
      await withTimeout(
        channel.assertExchange(t.exchange, t.exchangeType, { durable: t.durable }),
        this.timeoutMs,
        `declare exchange "${t.exchange}"`,
      );
      this.channel = channel;
      return channel;
    } catch (err) {
      const e = new AmqpSinkError(describeAmqpError(this.name, err).message, { cause: err });
      this.fail(e);
      await closeQuietly(this.connection);
      throw e;
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private async wait(p: Promise<void>, what: string): Promise<void> {
    try {
      await withTimeout(p, this.timeoutMs, `${this.name}: ${what}`);
    } catch (err) {
      this.fail(
        err instanceof AmqpSinkError ? err : new AmqpSinkError((err as Error).message, { cause: err }),
      );
    }
    this.throwIfFailed();
  }
}

function waitForDrain(channel: ConfirmChannel): Promise<void> {
  return new Promise((resolve) => channel.once('drain', () => resolve()));
}
