import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { statsRequestHandler } from '../../stats/http-handler.js';
import { isAggregation, AGGREGATIONS } from '../../stats/aggregate.js';
import { intFlag, parseFlags, UsageError, writeAll, type CliIO } from '../command.js';
import { statsLocation } from './stats-location.js';

/** The default port of `waymark stats serve`. */
export const DEFAULT_STATS_PORT = 9181;

/**
 * `waymark stats serve [--port N] [--host H] [--dir DIR] [--glob GLOB] [--gauge AGG]`:
 * the stats HTTP view (`/metrics`, `/v1/stats`) alone, until SIGINT or SIGTERM.
 */
export async function serveStats(args: string[], io: CliIO): Promise<number> {
  const flags = parseFlags('stats serve', args, {
    port: { type: 'string' },
    host: { type: 'string' },
    dir: { type: 'string' },
    glob: { type: 'string' },
    gauge: { type: 'string' },
  });
  const v = flags.values;
  const port = v.port === undefined ? DEFAULT_STATS_PORT : intFlag('stats serve', 'port', v.port, 0);
  if (port > 65535) throw new UsageError(`waymark stats serve: --port expects 0 to 65535, got ${port}`);
  const host = v.host ?? '127.0.0.1';
  const gauge = v.gauge ?? 'avg';
  if (!isAggregation(gauge)) {
    throw new UsageError(
      `waymark stats serve: --gauge expects one of ${AGGREGATIONS.join(', ')}, got "${gauge}"`,
    );
  }
  const { dir, glob } = statsLocation('stats serve', io, v);
  const handle = statsRequestHandler({ dir, glob, prometheus: { gauge } });
  const server = createServer((req, res) => {
    if (handle(req, res)) return;
    const body =
      JSON.stringify({ error: `not found: ${req.url ?? ''}; try GET /metrics or GET /v1/stats` }) + '\n';
    res.writeHead(404, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      ok();
    });
  }).catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(`waymark stats serve: cannot listen on ${host}:${port}: ${err.message}`, {
      cause: err,
    });
  });
  const addr = server.address() as AddressInfo;
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  await writeAll(
    io.stderr,
    `waymark stats serve: listening on http://${shown}:${addr.port}/metrics and /v1/stats, reading ${dir}/${glob}\n`,
  );
  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      server.close(() => done());
      server.closeAllConnections();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
