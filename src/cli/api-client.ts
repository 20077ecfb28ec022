import { loadPhaseSets } from '../analysis/phase-definitions.js';
import { loadTriggerDefinitions } from '../engine/trigger-definitions.js';
import { WaymarkError } from '../model/errors.js';
import { ReadOnlyBackend } from '../runtime/read-only-backend.js';
import { createServer } from '../server/create-server.js';
import { openStore } from '../store/open-store.js';
import type { CliIO } from './command.js';
import { CONFIG_FLAGS, resolveConfig } from './config-flags.js';
import { redactStoreUrl } from '../config/store-url.js';

/** `--config`, `--store` and `--server URL`. */
export const CLIENT_FLAGS = { ...CONFIG_FLAGS, server: { type: 'string' } } as const;

/** An answer of the API that was not 2xx. */
export class ApiError extends WaymarkError {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Talks to waymark's HTTP API: a running server's, or an in-process one over the store. */
export interface ApiClient {
  /** `server http://…` or `store duckdb:…`. */
  readonly via: string;
  request(method: 'GET' | 'DELETE' | 'PUT', path: string, body?: unknown): Promise<unknown>;
  /** A `GET` answered with JSON lines (`application/x-ndjson`), each parsed as it arrives. */
  lines(path: string): AsyncGenerator<unknown>;
  close(): Promise<void>;
}

async function reachable(base: string): Promise<boolean> {
  try {
    const res = await fetch(`${base}/v1/health`, { signal: AbortSignal.timeout(500) });
    await res.arrayBuffer();
    return res.status < 500 || res.status === 503;
  } catch {
    return false;
  }
}

function client(base: string, via: string, onClose: () => Promise<void>): ApiClient {
  return {
    via,
    async request(method, path, body) {
      const res = await fetch(`${base}${path}`, {
        method,
        ...(body === undefined
          ? {}
          : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
        signal: AbortSignal.timeout(60_000),
      });
      const text = await res.text();
      const json = text === '' ? null : (JSON.parse(text) as unknown);
      if (!res.ok) {
        const message =
          (json as { error?: { message?: string } } | null)?.error?.message ?? `HTTP ${res.status}`;
        throw new ApiError(res.status, message);
      }
      return json;
    },
    async *lines(path) {
      const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(600_000) });
      if (!res.ok) {
        const text = await res.text();
        let message = `HTTP ${res.status}`;
        try {
          message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
        } catch {
          // not JSON: keep the status
        }
        throw new ApiError(res.status, message);
      }
      if (res.body === null) return;
      const decoder = new TextDecoder();
      let rest = '';
      for await (const chunk of res.body) {
        rest += decoder.decode(chunk as Uint8Array, { stream: true });
        let nl: number;
        while ((nl = rest.indexOf('\n')) >= 0) {
          const line = rest.slice(0, nl);
          rest = rest.slice(nl + 1);
          if (line.trim() !== '') yield JSON.parse(line) as unknown;
        }
      }
      if (rest.trim() !== '') yield JSON.parse(rest) as unknown;
    },
    close: onClose,
  };
}

/**
 * The klugman way: use the running server (`--server URL`, or the config's
 * http address when something answers there), else open the store directly
 * and serve the same API in-process, so the output is the same either way.
 */
export async function connectApi(
  values: { config?: string | undefined; store?: string | undefined; server?: string | undefined },
  io: CliIO,
  options: {
    /** Phases files for the in-process API, instead of the config's. */
    phaseFiles?: readonly string[];
    /** Open the store even when a server answers at the config's address. */
    direct?: boolean;
  } = {},
): Promise<ApiClient> {
  if (values.server !== undefined) {
    const base = values.server.replace(/\/+$/, '');
    if (!(await reachable(base)))
      throw new WaymarkError(`--server ${values.server}: no waymark server answers there`);
    return client(base, `server ${base}`, () => Promise.resolve());
  }
  const config = resolveConfig(values, io);
  if (values.store === undefined && options.direct !== true) {
    const base = `http://${config.http.host}:${config.http.port}`;
    if (await reachable(base)) return client(base, `server ${base}`, () => Promise.resolve());
  }
  const store = await openStore(config.storeUrl, { cwd: io.cwd });
  try {
    const { triggers } = loadTriggerDefinitions(config.triggerFiles);
    const phaseSets = loadPhaseSets(options.phaseFiles ?? config.phaseFiles);
    const server = createServer({ backend: await ReadOnlyBackend.open(store, triggers, phaseSets), port: 0 });
    const { url } = await server.start();
    return client(url, `store ${redactStoreUrl(config.storeUrl)}`, async () => {
      await server.close();
      await store.close();
    });
  } catch (e) {
    await store.close();
    throw e;
  }
}
