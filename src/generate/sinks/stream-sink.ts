import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { GeneratedNotification } from '../generated-notification.js';
import type { TruthRecord } from '../truth.js';
import type { Sink, TruthSink } from './sink.js';
import { endStream, writeWithBackpressure } from './write-stream.js';

export interface StreamSinkOptions {
  /** Name for messages. */
  name?: string;
  /** End the stream on close (true for files we opened, false for stdout). */
  owned?: boolean;
}

/**
 * JSON lines to a writable stream (stdout, a file): one batch becomes one write,
 * and `write` waits for `drain` when the stream's buffer is full, so memory stays
 * bounded by the stream's high-water mark plus one batch.
 *
 * ```ts
 * const sink = new StreamSink(process.stdout, { name: 'stdout' });
 * await generator.run(sink);
 * await sink.close();
 * ```
 */
export class StreamSink implements Sink {
  readonly name: string;
  private closed = false;
  private bytes = 0;

  constructor(
    private readonly out: Writable,
    private readonly options: StreamSinkOptions = {},
  ) {
    this.name = options.name ?? 'stream';
  }

  /** Bytes written so far. */
  get bytesWritten(): number {
    return this.bytes;
  }

  async write(batch: readonly GeneratedNotification[]): Promise<void> {
    if (this.closed) throw new Error(`${this.name}: write after close`);
    if (batch.length === 0) return;
    let chunk = '';
    for (const g of batch) chunk += g.line + '\n';
    this.bytes += chunk.length;
    await writeWithBackpressure(this.out, chunk);
  }

  async flush(): Promise<void> {
    // A stream has no buffer of ours; waiting for drain is all there is.
    if (this.out.writableNeedDrain) await new Promise<void>((r) => this.out.once('drain', r));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.options.owned === true) await endStream(this.out);
    else await this.flush();
  }
}

/** A {@link StreamSink} on a new file (truncated). */
export function fileSink(path: string): StreamSink {
  return new StreamSink(createWriteStream(path), { name: `file:${path}`, owned: true });
}

/**
 * Ground truth as JSON lines to a stream, with back-pressure.
 *
 * ```ts
 * const truth = new TruthStreamSink(createWriteStream('truth.jsonl'), true);
 * await generator.run(sink, { truth });
 * await truth.close();
 * ```
 */
export class TruthStreamSink implements TruthSink {
  private closed = false;

  constructor(
    private readonly out: Writable,
    private readonly owned = false,
  ) {}

  async write(records: readonly TruthRecord[]): Promise<void> {
    if (records.length === 0) return;
    let chunk = '';
    for (const r of records) chunk += JSON.stringify(r) + '\n';
    await writeWithBackpressure(this.out, chunk);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.owned) await endStream(this.out);
  }
}

/** Ground truth to a new file. */
export function truthFileSink(path: string): TruthStreamSink {
  return new TruthStreamSink(createWriteStream(path), true);
}
