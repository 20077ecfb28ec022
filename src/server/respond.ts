import type { ServerResponse } from 'node:http';

/** What a route answers; the dispatcher writes it. */
export interface Reply {
  readonly status: number;
  /** Sent as JSON; absent for 204. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Answer with `Connection: close` and drop the connection afterwards (unread request body). */
  readonly closeConnection?: boolean;
  /**
   * Instead of `body`: JSON values sent one per line as they come
   * (`application/x-ndjson`, chunked). A failure after the first line ends the
   * stream with a line `{"error": "…"}`.
   */
  readonly stream?: AsyncIterable<unknown>;
}

/** The error body of every failure: `{"error": {"status": 404, "message": "…"}}`. */
export function errorBody(status: number, message: string): { error: { status: number; message: string } } {
  return { error: { status, message } };
}

/**
 * Write a {@link Reply}: JSON with `Content-Type: application/json; charset=utf-8`
 * and a `Content-Length`; `Cache-Control: no-store` since everything is live state.
 */
export function sendReply(res: ServerResponse, reply: Reply, forceClose: boolean): void {
  const headers: Record<string, string | number> = { 'cache-control': 'no-store', ...reply.headers };
  if (reply.closeConnection === true || forceClose) headers['connection'] = 'close';
  if (reply.body === undefined || reply.status === 204 || reply.status === 304) {
    res.writeHead(reply.status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(reply.body) + '\n';
  headers['content-type'] = 'application/json; charset=utf-8';
  headers['content-length'] = Buffer.byteLength(text);
  res.writeHead(reply.status, headers);
  res.end(text);
}

/**
 * Write a streamed {@link Reply}: each value a JSON line, flushed as it comes.
 * Stops early (and ends the iterator) when the client goes away; an error
 * from the iterator becomes a last line `{"error": message}`. Never throws.
 */
export async function sendStream(
  res: ServerResponse,
  reply: Reply & { stream: AsyncIterable<unknown> },
  forceClose: boolean,
  onError: (err: unknown) => string,
): Promise<void> {
  const headers: Record<string, string> = {
    'cache-control': 'no-store',
    'content-type': 'application/x-ndjson; charset=utf-8',
    ...reply.headers,
  };
  if (forceClose) headers['connection'] = 'close';
  res.writeHead(reply.status, headers);
  const iterator = reply.stream[Symbol.asyncIterator]();
  let gone = false;
  const onClose = (): void => {
    gone = true;
  };
  res.once('close', onClose);
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done === true || gone) break;
      const ok = res.write(JSON.stringify(next.value) + '\n');
      // Let the line leave before computing the next one (progressive results), and respect backpressure.
      if (!ok) await new Promise<void>((resolve) => res.once('drain', resolve).once('close', resolve));
      else await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } catch (err) {
    if (!gone) res.write(JSON.stringify({ error: onError(err) }) + '\n');
  } finally {
    res.off('close', onClose);
    if (gone) await iterator.return?.().catch(() => undefined);
    res.end();
  }
}
