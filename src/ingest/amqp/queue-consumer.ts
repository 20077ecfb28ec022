import type { Channel, ConsumeMessage } from 'amqplib';
import { splitIngestBody } from '../../server/split-ingest-body.js';

/** The slice of the runtime a source hands notifications to; both resolve once committed. */
export interface NotificationIngest {
  ingestNotifications(
    items: readonly unknown[],
    source: string,
    raw?: readonly string[],
  ): Promise<{
    readonly accepted: number;
    readonly duplicates: number;
    readonly deadItems?: readonly number[];
  }>;
  deadLetter(payloads: readonly { payload: string; reason: string }[], source: string): Promise<void>;
}

/** Counters of one source (all queues), for health and tests. */
export interface AmqpSourceCounters {
  /** Messages delivered by the broker (redeliveries included). */
  received: number;
  /** Messages acknowledged after their events were committed (poison ones included). */
  acked: number;
  /** Messages set aside as dead letters (and acknowledged). */
  deadLettered: number;
  /** Events committed / dropped as duplicates. */
  accepted: number;
  duplicates: number;
  /** Deliveries whose ack was impossible because the channel had closed: the broker redelivers them. */
  abandoned: number;
}

/** Dead-letter payloads from AMQP are cut to this many characters. */
const MAX_PAYLOAD = 64 * 1024;

interface Batch {
  readonly messages: ConsumeMessage[];
  /** Per message: dead-lettered (settled with a nack to the dead-letter exchange when there is one). */
  poison: boolean[];
  done: boolean;
}

export interface QueueConsumerOptions {
  readonly channel: Channel;
  readonly queue: string;
  readonly ingest: NotificationIngest;
  readonly counters: AmqpSourceCounters;
  /** Nack (requeue false) poison messages so the queue's dead-letter exchange gets them. */
  readonly useDeadLetterExchange: boolean;
  /** Messages per ingest call at most. */
  readonly maxBatch: number;
  /** Ingest calls outstanding at once at most (acks stay in delivery order). */
  readonly maxInFlight: number;
  /** How long a partial batch waits for more messages. */
  readonly lingerMs: number;
  /** An ingest failed (the store or engine stopped): the consumer stops; unacked messages go back to the queue. */
  readonly onFatal: (err: unknown) => void;
  /** The broker cancelled the consumer (queue deleted). */
  readonly onCancelled: () => void;
}

/**
 * Consumes one queue on its own channel: gathers deliveries into batches,
 * hands each batch to the runtime (one `ingestNotifications` call; bodies
 * that are not JSON go to dead letters), and acknowledges the batch only once
 * that resolved (committed). Batches may commit out of order; acks go out in
 * delivery order. At most `prefetch` messages are unacknowledged (the broker
 * stops delivering), `maxInFlight` ingests are outstanding, and the runtime's
 * own bound holds the rest: back-pressure reaches the broker.
 */
export class QueueConsumer {
  private buffer: ConsumeMessage[] = [];
  private readonly batches: Batch[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private alive = true;
  private consumerTag: string | undefined;
  private readonly idleWaiters: (() => void)[] = [];
  readonly source: string;

  constructor(private readonly o: QueueConsumerOptions) {
    this.source = `amqp:${o.queue}`;
  }

  async start(): Promise<void> {
    const r = await this.o.channel.consume(this.o.queue, (msg) => {
      if (msg === null) {
        // The broker cancelled the consumer (the queue was deleted): reconnecting declares it again.
        this.o.onCancelled();
        return;
      }
      this.onMessage(msg);
    });
    this.consumerTag = r.consumerTag;
  }

  /** Stop receiving new deliveries (those already received are still processed by {@link flush}). */
  async stopConsuming(): Promise<void> {
    if (this.consumerTag === undefined || !this.alive) return;
    const tag = this.consumerTag;
    this.consumerTag = undefined;
    await this.o.channel.cancel(tag);
  }

  /** The channel is gone: buffered messages will be redelivered; nothing more can be acked. */
  channelClosed(): void {
    this.alive = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.o.counters.abandoned += this.buffer.length;
    this.buffer = [];
    this.settleDone();
  }

  /** Hand every buffered message to the runtime and wait for every outstanding batch to be acknowledged. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (;;) {
      this.dispatch(true);
      if (this.inFlight === 0 && (this.buffer.length === 0 || !this.alive)) return;
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
  }

  private onMessage(msg: ConsumeMessage): void {
    this.o.counters.received++;
    if (!this.alive) return;
    this.buffer.push(msg);
    if (this.buffer.length >= this.o.maxBatch) this.dispatch(false);
    else
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.dispatch(true);
      }, this.o.lingerMs);
  }

  private dispatch(partial: boolean): void {
    while (
      this.alive &&
      this.inFlight < this.o.maxInFlight &&
      (this.buffer.length >= this.o.maxBatch || (partial && this.buffer.length > 0))
    ) {
      const messages = this.buffer.splice(0, this.o.maxBatch);
      const batch: Batch = { messages, poison: messages.map(() => false), done: false };
      this.batches.push(batch);
      this.inFlight++;
      void this.run(batch);
    }
    if (this.buffer.length > 0 && this.timer === undefined && this.alive && !partial) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.dispatch(true);
      }, this.o.lingerMs);
    }
  }

  private async run(batch: Batch): Promise<void> {
    const items: unknown[] = [];
    const raw: string[] = [];
    const owner: number[] = [];
    const dead: { payload: string; reason: string }[] = [];
    batch.messages.forEach((msg, m) => {
      let text = msg.content.toString('utf8');
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      const where = `message ${msg.fields.routingKey}#${msg.fields.deliveryTag}`;
      if (text.trim() === '') {
        dead.push({ payload: '', reason: `${where}: empty body; expected a notification (JSON object)` });
        batch.poison[m] = true;
        return;
      }
      const split = splitIngestBody(text, { ndjson: false });
      if (!split.ok) {
        dead.push({ payload: cut(text), reason: `${where}: ${split.reason}` });
        batch.poison[m] = true;
        return;
      }
      for (const b of split.bad) dead.push({ payload: cut(b.payload), reason: `${where}: ${b.reason}` });
      if (split.bad.length > 0) batch.poison[m] = true;
      split.items.forEach((item, i) => {
        items.push(item);
        raw.push(split.raw[i] ?? '');
        owner.push(m);
      });
    });
    try {
      const [report] = await Promise.all([
        items.length === 0 ? undefined : this.o.ingest.ingestNotifications(items, this.source, raw),
        dead.length === 0 ? undefined : this.o.ingest.deadLetter(dead, this.source),
      ]);
      if (report !== undefined) {
        this.o.counters.accepted += report.accepted;
        this.o.counters.duplicates += report.duplicates;
        for (const i of report.deadItems ?? []) batch.poison[owner[i] as number] = true;
      }
      batch.done = true;
    } catch (err) {
      // Nothing of this batch (or after it) is acknowledged: the broker redelivers it to whoever consumes next.
      batch.done = true;
      if (this.alive) {
        this.alive = false;
        this.o.onFatal(err);
      }
    } finally {
      this.inFlight--;
      this.settleDone();
      if (this.alive) this.dispatch(this.timer === undefined);
    }
  }

  /** Acknowledge the leading batches that are done, in delivery order. */
  private settleDone(): void {
    while (this.batches.length > 0 && (this.batches[0] as Batch).done) {
      const b = this.batches.shift() as Batch;
      const poison = b.poison.filter((p) => p).length;
      this.o.counters.deadLettered += poison;
      if (!this.alive) {
        this.o.counters.abandoned += b.messages.length;
        continue;
      }
      try {
        if (poison === 0 || !this.o.useDeadLetterExchange) {
          this.o.channel.ack(b.messages[b.messages.length - 1] as ConsumeMessage, true);
        } else {
          b.messages.forEach((msg, i) => {
            if (b.poison[i] === true) this.o.channel.nack(msg, false, false);
            else this.o.channel.ack(msg, false);
          });
        }
        this.o.counters.acked += b.messages.length;
      } catch {
        // The channel closed under us: the broker redelivers these (duplicates are dropped by message_id).
        this.alive = false;
        this.o.counters.abandoned += b.messages.length;
      }
    }
    if (this.inFlight === 0 && (this.buffer.length === 0 || !this.alive)) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }
}

function cut(text: string): string {
  return text.length > MAX_PAYLOAD ? text.slice(0, MAX_PAYLOAD) : text;
}
