import type { Writable } from 'node:stream';

/** Write and wait when the stream asks us to (back-pressure); rejects on a stream error. */
export function writeWithBackpressure(out: Writable, chunk: string): Promise<void> | undefined {
  if (out.write(chunk)) return undefined;
  return new Promise((resolve, reject) => {
    const onDrain = (): void => {
      out.off('error', onError);
      resolve();
    };
    const onError = (err: Error): void => {
      out.off('drain', onDrain);
      reject(err);
    };
    out.once('drain', onDrain);
    out.once('error', onError);
  });
}

/** End a stream we own and wait until everything is written. */
export function endStream(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    if (out.writableFinished) {
      resolve();
      return;
    }
    out.once('error', reject);
    out.end(() => {
      out.off('error', reject);
      resolve();
    });
  });
}
