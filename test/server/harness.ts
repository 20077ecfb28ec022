import { after } from 'node:test';
import { createServer, type ApiServer, type ApiServerOptions } from '../../src/server/create-server.js';
import { FakeBackend } from './fake-backend.js';

/** Every error answer. */
export interface ErrorReply {
  error: { status: number; message: string };
}

/** Log lines the server wrote, by level. */
export interface CapturedLog {
  info: string[];
  warn: string[];
  error: string[];
}

export interface Harness {
  readonly url: string;
  readonly backend: FakeBackend;
  readonly server: ApiServer;
  readonly log: CapturedLog;
  /** fetch relative to the server. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** fetch and parse the JSON answer (`undefined` for an empty body); `T` is what the test expects. */
  json<T = ErrorReply>(
    path: string,
    init?: RequestInit,
  ): Promise<{ status: number; body: T; headers: Headers }>;
}

/** Start a server over a fresh FakeBackend on 127.0.0.1:0; closed after the suite. */
export async function startServer(options: Partial<ApiServerOptions> = {}): Promise<Harness> {
  const backend = (options.backend as FakeBackend | undefined) ?? new FakeBackend();
  const log: CapturedLog = { info: [], warn: [], error: [] };
  const server = createServer({
    log: {
      info: (m) => log.info.push(m),
      warn: (m) => log.warn.push(m),
      error: (m) => log.error.push(m),
    },
    ...options,
    backend,
    port: 0,
  });
  const { url } = await server.start();
  after(() => server.close());
  const doFetch = (path: string, init?: RequestInit): Promise<Response> => fetch(url + path, init);
  return {
    url,
    backend,
    server,
    log,
    fetch: doFetch,
    async json<T>(path: string, init?: RequestInit) {
      const res = await doFetch(path, init);
      const text = await res.text();
      return {
        status: res.status,
        body: (text === '' ? undefined : JSON.parse(text)) as T,
        headers: res.headers,
      };
    },
  };
}

/** A bare OpenStack notification. */
export function notification(i: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    message_id: `msg-${i}`,
    event_type: 'compute.instance.create.start',
    timestamp: `2014-06-11 16:09:${String(i % 60).padStart(2, '0')}.123456`,
    publisher_id: 'compute.host-1',
    priority: 'INFO',
    payload: { instance_id: `inst-${i}`, memory_mb: 512 },
    ...over,
  };
}

/** POST a body (string or object, JSON-encoded) with an optional Content-Type. */
export function post(body: unknown, contentType?: string, method = 'POST'): RequestInit {
  return {
    method,
    body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
    headers: contentType === undefined ? {} : { 'content-type': contentType },
  };
}
