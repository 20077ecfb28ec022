/**
 * The worker thread of `waymark ingest` (see ingest-lines.ts): chunks of
 * input in, distilled events out, in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  LineDistiller,
  type IngestLinesOptions,
  type WorkerReply,
  type WorkerRequest,
} from './ingest-lines.js';

const port = parentPort;
if (port === null) throw new Error('ingest-worker.js runs as a worker thread of waymark ingest');

let lines: LineDistiller | undefined;
const reply = (m: WorkerReply): void => {
  if (m.kind === 'error') port.postMessage(m);
  else {
    const { ts, received, dateUs } = m.result;
    port.postMessage(m, [
      ts.buffer as ArrayBuffer,
      received.buffer as ArrayBuffer,
      dateUs.buffer as ArrayBuffer,
    ]);
  }
};

port.on('message', (m: WorkerRequest) => {
  try {
    lines ??= new LineDistiller(workerData as IngestLinesOptions);
    if (m.kind === 'chunk') reply({ kind: 'chunk', result: lines.chunk(m.bytes) });
    else reply({ kind: 'end', result: lines.end() });
  } catch (e) {
    reply({ kind: 'error', message: e instanceof Error ? e.message : String(e) });
  }
});
