import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { WaymarkError } from '../model/errors.js';
import type { WorkerOptions, WorkerResult } from './ingest-lines.js';
import { rawChunksOf } from './input.js';

/** Input chunks handed to the worker and not yet answered, at most (each about 1 MiB of a file). */
const AHEAD = 4;

/**
 * The main thread's side of ingest-worker.ts: posts the input's chunks to a
 * worker thread that splits, parses and distills them, and hands back its
 * replies in input order.
 */
class IngestWorker {
  private readonly worker: Worker;
  private readonly replies: WorkerResult[] = [];
  private waiter: { resolve: (r: WorkerResult) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  /** Chunks posted and not yet answered. */
  outstanding = 0;

  constructor(options: Omit<WorkerOptions, 'waymarkIngestWorker'>) {
    const workerData: WorkerOptions = { waymarkIngestWorker: true, ...options };
    this.worker = new Worker(new URL('./ingest-worker.js', import.meta.url), { workerData });
    this.worker.on('message', (r: WorkerResult) => {
      this.outstanding--;
      const w = this.waiter;
      this.waiter = undefined;
      if (w) w.resolve(r);
      else this.replies.push(r);
    });
    this.worker.on('error', (e) =>
      this.fail(new WaymarkError(`ingest: the distilling worker failed: ${e.message}`, { cause: e })),
    );
    this.worker.on('exit', (code) => {
      if (this.outstanding > 0)
        this.fail(new WaymarkError(`ingest: the distilling worker exited (code ${code})`));
    });
  }

  post(chunk: string | Uint8Array): void {
    this.outstanding++;
    if (typeof chunk === 'string') this.worker.postMessage({ chunk });
    else {
      // A stream's Buffer may share its memory with others: post a copy, moved rather than cloned.
      const own = new Uint8Array(chunk);
      this.worker.postMessage({ chunk: own }, [own.buffer]);
    }
  }

  end(): void {
    this.outstanding++;
    this.worker.postMessage({ end: true });
  }

  /** A reply already here, if any. */
  take(): WorkerResult | undefined {
    return this.replies.shift();
  }

  next(): Promise<WorkerResult> {
    const ready = this.replies.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(e);
  }
}

/**
 * The input, distilled in a worker thread: one {@link WorkerResult} per chunk
 * read, in input order, the last with `done`. At most {@link AHEAD} chunks are
 * in the worker at once, so a slow consumer slows the reading.
 */
export async function* distilledChunks(
  input: Readable,
  name: string,
  options: Omit<WorkerOptions, 'waymarkIngestWorker'>,
): AsyncGenerator<WorkerResult> {
  const worker = new IngestWorker(options);
  try {
    for await (const chunk of rawChunksOf(input, name)) {
      worker.post(chunk);
      for (let r = worker.take(); r !== undefined; r = worker.take()) yield r;
      while (worker.outstanding >= AHEAD) yield await worker.next();
    }
    worker.end();
    for (;;) {
      const r = await worker.next();
      yield r;
      if (r.done) return;
    }
  } finally {
    await worker.close();
  }
}
