import type { ServerResponse } from 'node:http';

/** What a route answers; the dispatcher writes it. */
export interface Reply {
  readonly status: number;
  /** Sent as JSON; absent for 204. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Answer with `Connection: close` and drop the connection afterwards (unread request body). */
  readonly closeConnection?: boolean;
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
