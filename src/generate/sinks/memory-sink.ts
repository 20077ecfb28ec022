import type { GeneratedNotification } from '../generated-notification.js';
import type { TruthRecord } from '../truth.js';
import type { Sink, TruthSink } from './sink.js';

/**
 * Keeps what it is given (tests, examples, `waymark demo`); `limit` bounds it,
 * counting what was dropped instead of growing.
 */
export class MemorySink implements Sink, TruthSink {
  readonly name = 'memory';
  readonly items: GeneratedNotification[] = [];
  readonly truth: TruthRecord[] = [];
  dropped = 0;
  closed = false;

  constructor(private readonly limit = Infinity) {}

  write(batch: readonly GeneratedNotification[] | readonly TruthRecord[]): Promise<void> {
    for (const x of batch) {
      if ('line' in x) {
        if (this.items.length < this.limit) this.items.push(x as GeneratedNotification);
        else this.dropped++;
      } else this.truth.push(x);
    }
    return Promise.resolve();
  }

  /** The lines written, in order. */
  lines(): string[] {
    return this.items.map((g) => g.line);
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

/** Discards everything, counting notifications and bytes (benchmarks). */
export class NullSink implements Sink {
  readonly name = 'null';
  count = 0;
  bytes = 0;

  write(batch: readonly GeneratedNotification[]): Promise<void> {
    for (const g of batch) this.bytes += g.line.length + 1;
    this.count += batch.length;
    return Promise.resolve();
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
