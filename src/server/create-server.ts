import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { API_ROUTES } from './api-routes.js';
import type { ServerBackend } from './backend.js';
import { InvalidMarkerError, InvalidQueryError } from '../store/store-errors.js';
import { BackendBusyError, HttpError, ServerStartError } from './errors.js';
import { errorBody, sendReply, sendStream, type Reply } from './respond.js';
import { InvalidReportError } from '../analysis/phase-report.js';
import { AnalysisUnsupportedError } from '../analysis/phase-analyzer.js';
import { Router, type ServerLogger } from './router.js';

/** A handler mounted after the API routes and before the 404: returns true when it answered. */
export type ExtraHandler = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

export interface ApiServerOptions {
  /** The engine runtime (or a fake in tests). */
  backend: ServerBackend;
  /** Default `127.0.0.1`: nothing is exposed beyond the machine unless asked. */
  host?: string;
  /** Default 0: any free port (see what {@link ApiServer.start} returns). */
  port?: number;
  /** Largest request body accepted; default 8 MiB. Larger bodies get 413 and are not read. */
  maxBodyBytes?: number;
  /** Tried in order after the API routes, before the 404 (`/metrics`, the dashboard's files). */
  extraHandlers?: readonly ExtraHandler[];
  /** Default: drop everything. */
  log?: ServerLogger;
  /** Aborting it closes the server, as {@link ApiServer.close} does. */
  signal?: AbortSignal;
  /** Time to receive a whole request, body included; default 60 s (headers: at most 20 s). Then 408. */
  requestTimeoutMs?: number;
  /** How long `close()` waits for requests in flight before dropping their connections; default 10 s. */
  closeTimeoutMs?: number;
}

/** The HTTP API server of `waymark serve`. */
export interface ApiServer {
  /** Listen; resolves with the address (`http://127.0.0.1:PORT`). Calling it again returns the same address. */
  start(): Promise<{ url: string; port: number }>;
  /** Resolves when no request is in flight. */
  flush(): Promise<void>;
  /**
   * Stop accepting connections, answer 503 to new requests on open ones, wait
   * for requests in flight (at most `closeTimeoutMs`, then drop them), close
   * every connection. Idempotent.
   */
  close(): Promise<void>;
}

export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

/** How much of a refused body is read and thrown away so the client sees the 413. */
const DISCARD_LIMIT_BYTES = 64 * 1024 * 1024;

const SILENT: ServerLogger = { info() {}, warn() {}, error() {} };

/**
 * Create the `/v1` HTTP API over a {@link ServerBackend} (routes in
 * `src/server/README.md`). Every request is answered, errors as
 * `{"error": {"status", "message"}}`; nothing a client sends can stop the
 * process.
 *
 * ```ts
 * const server = createServer({ backend, port: 8080, log });
 * const { url } = await server.start(); // http://127.0.0.1:8080
 * // … later
 * await server.close();
 * ```
 */
export function createServer(options: ApiServerOptions): ApiServer {
  const backend = options.backend;
  const log = options.log ?? SILENT;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const extraHandlers = options.extraHandlers ?? [];
  const requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
  const closeTimeoutMs = options.closeTimeoutMs ?? 10_000;
  const router = new Router(API_ROUTES);

  let closing = false;
  let inFlight = 0;
  let idleWaiters: (() => void)[] = [];
  let requestSeq = 0;
  let startPromise: Promise<{ url: string; port: number }> | undefined;
  let closePromise: Promise<void> | undefined;

  function requestDone(): void {
    inFlight--;
    if (inFlight === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  function waitIdle(): Promise<void> {
    return inFlight === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve));
  }

  function errorReply(err: unknown, req: IncomingMessage, id: number): Reply {
    if (err instanceof HttpError) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        log.warn(`refused ${req.method} ${req.url}: ${err.message}`, { request: id, status: err.status });
      }
      return {
        status: err.status,
        body: errorBody(err.status, err.message),
        headers: err.headers,
        closeConnection: err.closeConnection,
      };
    }
    // The store refuses a query a client wrote (a marker it did not issue, a bad glob): the client's fault.
    if (
      err instanceof InvalidMarkerError ||
      err instanceof InvalidQueryError ||
      err instanceof InvalidReportError
    ) {
      return { status: 400, body: errorBody(400, `bad query: ${err.message}`) };
    }
    if (err instanceof AnalysisUnsupportedError) {
      return { status: 501, body: errorBody(501, err.message) };
    }
    if (err instanceof BackendBusyError) {
      log.warn(`busy: ${err.message}`, { request: id });
      return {
        status: 503,
        body: errorBody(503, `server busy: ${err.message}; retry after ${err.retryAfterSeconds} s`),
        headers: { 'retry-after': String(err.retryAfterSeconds) },
      };
    }
    log.error(`${req.method} ${req.url} failed`, {
      request: id,
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    });
    return {
      status: 500,
      body: errorBody(
        500,
        `internal error while handling ${req.method} ${req.url} (request ${id}); see the server log`,
      ),
    };
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<Reply | undefined> {
    const method = req.method ?? 'GET';
    const target = req.url ?? '/';
    if (!target.startsWith('/')) throw new HttpError(400, `bad request target "${target}"; expected a path`);
    const url = new URL(`http://localhost${target}`);
    const match = router.match(method, url.pathname);
    if (match.kind === 'route') {
      return match.route.handler({ req, url, params: match.params, backend, maxBodyBytes, log });
    }
    if (match.kind === 'method') {
      throw new HttpError(
        405,
        `method ${method} is not allowed on ${url.pathname}; allowed: ${match.allow.join(', ')}`,
        {
          headers: { allow: match.allow.join(', ') },
        },
      );
    }
    for (const handler of extraHandlers) {
      if (await handler(req, res)) return undefined;
      if (res.headersSent) return undefined;
    }
    throw new HttpError(
      404,
      `no route for ${method} ${url.pathname}; the API has: ${router.describe().join(', ')}`,
    );
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const id = ++requestSeq;
    inFlight++;
    res.once('close', requestDone);
    let reply: Reply | undefined;
    try {
      if (closing) {
        reply = {
          status: 503,
          body: errorBody(503, 'server is shutting down; retry against another instance or later'),
        };
      } else {
        reply = await dispatch(req, res);
      }
    } catch (err) {
      reply = errorReply(err, req, id);
    }
    if (reply === undefined) return;
    if (res.headersSent) {
      // An extra handler started answering, then failed: all we can do is drop the connection.
      res.destroy();
      return;
    }
    try {
      const expectsContinue = /100-continue/i.test(req.headers['expect'] ?? '');
      if (reply.closeConnection === true && !req.complete && expectsContinue) {
        // The client waits for "100 Continue" before sending its body: refuse now, body unsent.
        sendReply(res, reply, closing);
        res.once('finish', () => req.socket.destroy());
        return;
      }
      if (reply.closeConnection === true && !req.complete) {
        // The client is still sending a body we will not keep. Read and discard the rest (up to
        // a bound, for at most 10 s), then answer, so the client reads our answer instead of a
        // reset connection; beyond the bound, drop the connection.
        const answer = reply;
        let discarded = 0;
        let done = false;
        const finish = (send: boolean): void => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          if (send) sendReply(res, answer, closing);
          else req.socket.destroy();
        };
        const timer = setTimeout(() => finish(false), 10_000);
        timer.unref();
        req.on('data', (chunk: Buffer) => {
          discarded += chunk.length;
          if (discarded > DISCARD_LIMIT_BYTES) finish(false);
        });
        req.once('end', () => finish(true));
        req.once('error', () => finish(false));
        req.resume();
        return;
      }
      if (reply.stream !== undefined) {
        const stream = reply.stream;
        await sendStream(res, { ...reply, stream }, closing, (err) => {
          const r = errorReply(err, req, id);
          return (r.body as { error: { message: string } }).error.message;
        });
        return;
      }
      sendReply(res, reply, closing);
    } catch (err) {
      log.error('could not write a response', { request: id, error: String(err) });
      res.destroy();
    }
  }

  function onClientError(err: Error & { code?: string }, socket: Socket): void {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, message] =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, `request not received within ${requestTimeoutMs} ms`]
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? [431, 'request headers too large']
          : [400, `malformed HTTP request (${err.code ?? err.message})`];
    const text = JSON.stringify(errorBody(status, message)) + '\n';
    socket.end(
      `HTTP/1.1 ${status} ${status === 408 ? 'Request Timeout' : status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
        `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
    );
  }

  const server = createHttpServer(
    // How often Node checks the request and headers timeouts (its default, 30 s, would let them run late).
    { connectionsCheckingInterval: Math.max(100, Math.min(5_000, requestTimeoutMs / 4)) },
    (req, res) => {
      void handle(req, res);
    },
  );
  server.requestTimeout = requestTimeoutMs;
  server.headersTimeout = Math.min(20_000, requestTimeoutMs);
  server.on('clientError', onClientError);
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    // Ask for the body only when it may be accepted; an oversized one is refused before it is sent.
    if (!(Number(req.headers['content-length']) > maxBodyBytes)) res.writeContinue();
    void handle(req, res);
  });

  async function doClose(): Promise<void> {
    closing = true;
    if (!server.listening) return;
    // Stops accepting and (Node >= 19) closes idle keep-alive connections.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      waitIdle().then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), closeTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      log.warn(`closing: ${inFlight} request(s) still in flight after ${closeTimeoutMs} ms; dropping them`);
    }
    server.closeAllConnections();
    await closed;
    log.info('HTTP API closed');
  }

  const api: ApiServer = {
    start() {
      if (closing) return Promise.reject(new ServerStartError('cannot start the HTTP API after close()'));
      startPromise ??= new Promise((resolve, reject) => {
        const host = options.host ?? '127.0.0.1';
        const port = options.port ?? 0;
        const onError = (err: Error & { code?: string }): void => {
          const hint =
            err.code === 'EADDRINUSE'
              ? '; pick another port or stop the process using it'
              : err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND'
                ? '; use an address of this machine, e.g. 127.0.0.1'
                : '';
          reject(
            new ServerStartError(`cannot listen on ${host}:${port}: ${err.message}${hint}`, { cause: err }),
          );
        };
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          server.on('error', (err) => log.error('HTTP server error', { error: String(err) }));
          const address = server.address();
          const actual = typeof address === 'object' && address !== null ? address.port : port;
          const url = `http://${host.includes(':') ? `[${host}]` : host}:${actual}`;
          log.info(`HTTP API listening on ${url}`, { url, maxBodyBytes });
          resolve({ url, port: actual });
        });
      });
      return startPromise;
    },
    flush: waitIdle,
    close() {
      closePromise ??= doClose();
      return closePromise;
    },
  };

  if (options.signal !== undefined) {
    const signal = options.signal;
    if (signal.aborted) closing = true;
    else signal.addEventListener('abort', () => void api.close(), { once: true });
  }
  return api;
}
