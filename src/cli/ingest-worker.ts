/**
 * The worker thread of `waymark ingest` (started by ingest-reader.ts): decodes
 * the input's bytes, splits lines, parses and distills them, so that the main
 * thread only runs the engine and the store. On two cores JSON.parse of
 * notifications (2-3 KB each) is the largest single cost of an ingest; here it
 * runs beside the engine.
 *
 * Protocol: the main thread posts `{chunk}` (text or bytes, in input order)
 * and finally `{end: true}`; for each the worker posts one WorkerResult, in the
 * same order, the last with `done: true`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Distiller } from '../distill/distiller.js';
import { LineDistiller, type WorkerOptions } from './ingest-lines.js';

const options = workerData as WorkerOptions | undefined;
if (parentPort !== null && options?.waymarkIngestWorker === true) {
  const port = parentPort;
  const work = new LineDistiller(
    Distiller.load(options.distillerFiles, { catchAll: options.catchAll }),
    options.eventsMode,
  );
  port.on('message', (msg: { chunk?: string | Uint8Array; end?: boolean }) => {
    port.postMessage(msg.end === true ? work.end() : work.push(msg.chunk ?? ''));
  });
}
