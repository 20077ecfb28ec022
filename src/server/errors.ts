import { WaymarkError } from '../model/errors.js';

/**
 * A request the server refuses, with the HTTP status to answer and a message
 * that says what was wrong and what is expected. Route code throws it; the
 * dispatcher turns it into `{"error": {"status": …, "message": …}}`.
 */
export class HttpError extends WaymarkError {
  override name = 'HttpError';
  /** Extra response headers (`Allow`, `Retry-After`). */
  readonly headers: Readonly<Record<string, string>>;
  /** Close the connection after answering (the client is still sending a body we will not read). */
  readonly closeConnection: boolean;

  constructor(
    readonly status: number,
    message: string,
    options: { headers?: Record<string, string>; closeConnection?: boolean; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.headers = options.headers ?? {};
    this.closeConnection = options.closeConnection ?? false;
  }
}

/**
 * Thrown by a {@link ServerBackend} that cannot take more work right now (its
 * ingest queue is full, the store is saturated). The server answers
 * `503 Service Unavailable` with `Retry-After: retryAfterSeconds`, so clients
 * such as `HttpSink` back off and retry; nothing was acknowledged.
 *
 * ```ts
 * if (queue.length >= max) throw new BackendBusyError(`ingest queue full (${max} batches); retry later`, { retryAfterSeconds: 2 });
 * ```
 */
export class BackendBusyError extends WaymarkError {
  override name = 'BackendBusyError';
  /** Whole seconds the client should wait; default 1. */
  readonly retryAfterSeconds: number;

  constructor(message: string, options: { retryAfterSeconds?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const s = options.retryAfterSeconds ?? 1;
    this.retryAfterSeconds = Number.isFinite(s) && s >= 0 ? Math.ceil(s) : 1;
  }
}

/** The server could not start (address in use, bad host) or was started after `close()`. */
export class ServerStartError extends WaymarkError {
  override name = 'ServerStartError';
}
