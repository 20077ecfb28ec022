import type { GeneratedNotification } from '../generated-notification.js';
import type { TruthRecord } from '../truth.js';

/**
 * Where generated notifications go. A sink takes batches in delivery order,
 * buffers a bounded amount and makes `write` wait when it is full
 * (back-pressure); `close` flushes and is idempotent. An AMQP publisher is one
 * more adapter of this interface.
 */
export interface Sink {
  /** For messages: `stdout`, `file:out.jsonl`, `http://...`. */
  readonly name: string;
  write(batch: readonly GeneratedNotification[]): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Where ground-truth records go (one JSON line each, in the order operations finish). */
export interface TruthSink {
  write(records: readonly TruthRecord[]): Promise<void>;
  close(): Promise<void>;
}
