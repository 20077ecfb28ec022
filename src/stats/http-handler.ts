import type { IncomingMessage, ServerResponse } from 'node:http';
import { WaymarkError } from '../model/errors.js';
import { aggregateStats, aggregateValue, AGGREGATIONS, isAggregation } from './aggregate.js';
import { statsDir } from './paths.js';
import { PROMETHEUS_CONTENT_TYPE, prometheusText, type PrometheusOptions } from './prometheus.js';
import { DEFAULT_GLOB, StatsGlobError, checkGlob } from './stats-dir.js';

export interface StatsRequestHandlerOptions {
  /** The stats directory (default `MMSTATS_PATH`, else the OS temp dir). */
  dir?: string;
  /** Where `MMSTATS_PATH` is read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** The file-name glob when a request names none (default `*.mmstats`). */
  glob?: string;
  /** How `/metrics` names and combines fields. */
  prometheus?: PrometheusOptions;
}

/** Serves the request and returns true when the path is its own, else returns false and leaves `res` alone. */
export type StatsRequestHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

const PARAMS: Readonly<Record<string, readonly string[]>> = {
  '/metrics': ['glob', 'prefix'],
  '/v1/stats': ['glob', 'prefix', 'agg'],
};

class BadRequest extends WaymarkError {
  override name = 'BadRequest';
}

/** JSON cannot say NaN or Infinity: null. */
function finite(v: number | null): number | null {
  return v !== null && Number.isFinite(v) ? v : null;
}

function send(res: ServerResponse, status: number, type: string, body: string, head: boolean): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(head ? undefined : body);
}

function sendJson(res: ServerResponse, status: number, value: unknown, head: boolean): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value) + '\n', head);
}

function params(url: URL, path: string): { glob?: string; prefix?: string; agg?: string } {
  const allowed = PARAMS[path] ?? [];
  const out: Record<string, string> = {};
  for (const key of new Set(url.searchParams.keys())) {
    if (!allowed.includes(key)) {
      throw new BadRequest(`unknown query parameter "${key}" for ${path}; expected ${allowed.join(', ')}`);
    }
    const values = url.searchParams.getAll(key);
    if (values.length > 1) throw new BadRequest(`query parameter "${key}" given ${values.length} times`);
    out[key] = values[0] ?? '';
  }
  return out;
}

/**
 * An HTTP handler for the stats of a directory, to mount in any `node:http`
 * server (`waymark serve` does; `waymark stats serve` runs it alone):
 *
 * - `GET /metrics[?glob=&prefix=]`: the Prometheus text exposition of every
 *   file's fields ({@link prometheusText});
 * - `GET /v1/stats?glob=*.mmstats&agg=sum&prefix=web.`: JSON
 *   `{agg, files, unreadable: [{file, reason}], skipped, fields: {label: value | {count, sum, min, max, p50, p90, p99}}}`,
 *   numbers aggregated by `agg` (sum, avg, min, max, nonzero-avg, nonzero-min;
 *   default sum), histograms merged; non-finite values are null.
 *
 * `glob` matches file names inside the directory only (a `/`, `..` or
 * absolute path is a 400). A bad `agg` or an unknown parameter is a 400 with
 * `{"error": "..."}`; another method than GET or HEAD a 405. Other paths: the
 * handler returns false and leaves the response alone.
 *
 * @example
 * const stats = statsRequestHandler({ dir: '/var/run/waymark' });
 * createServer((req, res) => { if (!stats(req, res)) { res.statusCode = 404; res.end(); } }).listen(9100);
 */
export function statsRequestHandler(options: StatsRequestHandlerOptions = {}): StatsRequestHandler {
  const dir = options.dir ?? statsDir(options.env ?? process.env);
  const defaultGlob = options.glob ?? DEFAULT_GLOB;
  checkGlob(defaultGlob);
  return function statsRequest(req, res) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (PARAMS[path] === undefined) return false;
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      res.setHeader('Allow', 'GET, HEAD');
      sendJson(res, 405, { error: `${req.method ?? '?'} ${path}: only GET and HEAD` }, false);
      return true;
    }
    try {
      const q = params(url, path);
      const agg = q.agg ?? 'sum';
      if (!isAggregation(agg)) {
        throw new BadRequest(
          `unknown agg ${JSON.stringify(agg)}; expected one of ${AGGREGATIONS.join(', ')}`,
        );
      }
      const aggregate = aggregateStats({ dir, glob: q.glob ?? defaultGlob, prefix: q.prefix ?? '' });
      if (path === '/metrics') {
        send(res, 200, PROMETHEUS_CONTENT_TYPE, prometheusText(aggregate, options.prometheus), head);
        return true;
      }
      const fields: Record<string, unknown> = {};
      for (const [label, f] of aggregate.fields) {
        const v = aggregateValue(f, agg);
        fields[label] =
          v === null || typeof v === 'number'
            ? finite(v)
            : { ...v, min: finite(v.min), max: finite(v.max), sum: finite(v.sum) };
      }
      sendJson(
        res,
        200,
        { agg, files: aggregate.files, unreadable: aggregate.unreadable, skipped: aggregate.skipped, fields },
        head,
      );
    } catch (err) {
      const bad = err instanceof BadRequest || err instanceof StatsGlobError;
      sendJson(res, bad ? 400 : 500, { error: (err as Error).message }, head);
    }
    return true;
  };
}
