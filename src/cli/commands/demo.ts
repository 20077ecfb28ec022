import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  EventGenerator,
  openstackScenario,
  testrunScenario,
  type GeneratedNotification,
} from '../../generate/index.js';
import { Instant, US_PER_SECOND } from '../../model/instant.js';
import { Runtime } from '../../runtime/runtime.js';
import { createServer } from '../../server/create-server.js';
import { staticAssetsHandler } from '../../server/static-assets.js';
import { statsRequestHandler } from '../../stats/http-handler.js';
import { CONFIG_FLAGS, resolveConfig } from '../config-flags.js';
import {
  OUTPUT_FLAGS,
  durationFlag,
  intFlag,
  numberFlag,
  parseFlags,
  writeAll,
  type CliIO,
  type Command,
} from '../command.js';
import { cliLogger } from '../cli-logger.js';
import { progressMode } from '../progress.js';
import { meterTable } from './meters.js';
import { redactStoreUrl } from '../../config/store-url.js';

const FLAGS = {
  ...CONFIG_FLAGS,
  port: { type: 'string', short: 'p' },
  speed: { type: 'string' },
  duration: { type: 'string' },
  'ops-per-minute': { type: 'string' },
  seed: { type: 'string' },
  exit: { type: 'boolean' },
  ...OUTPUT_FLAGS,
} as const;

const USAGE = `usage: waymark demo [--port N] [--speed 120] [--duration 3h] [--ops-per-minute 20] [--seed 1]
                    [--store URL] [--exit] [--quiet|--json]

What "npm start" runs: starts "waymark serve" on a fresh embedded store
(.waymark/demo.duckdb), then generates OpenStack traffic and CI test runs, with
faults (1% dropped, 1% duplicated, 30 s reordering), and posts it to the server's
HTTP API at an accelerated clock (--speed simulated seconds per second). Prints
a live summary (events in, streams by state, meters) and the URL. When the
traffic is done it prints the final meters and keeps serving until Ctrl-C
(--exit: stop at once).

  -p, --port N         HTTP port (default 8470; 0 picks a free one)
      --speed X        simulated seconds per real second (default 120)
      --duration D     simulated time to generate (default 3h)
      --ops-per-minute N  OpenStack operations per simulated minute (default 20;
                       test runs come at a quarter of that)
      --store URL      default: duckdb:.waymark/demo.duckdb, emptied first`;

interface Source {
  it: Iterator<GeneratedNotification>;
  head: GeneratedNotification | undefined;
}

function merge(gens: readonly EventGenerator[]): () => GeneratedNotification | undefined {
  const sources: Source[] = gens.map((g) => {
    const it = g[Symbol.iterator]();
    return { it, head: it.next().value as GeneratedNotification | undefined };
  });
  return () => {
    let best: Source | undefined;
    for (const s of sources)
      if (s.head && (!best || s.head.received < (best.head as GeneratedNotification).received)) best = s;
    if (!best) return undefined;
    const out = best.head;
    const r = best.it.next();
    best.head = r.done === true ? undefined : r.value;
    return out;
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const command: Command = {
  name: 'demo',
  summary:
    'serve on a fresh embedded store and feed it generated traffic with faults (what `npm start` runs)',
  usage: USAGE,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values } = parseFlags('demo', args, FLAGS);
    const port = values.port === undefined ? 8470 : intFlag('demo', 'port', values.port, 0);
    const speed = values.speed === undefined ? 120 : numberFlag('demo', 'speed', values.speed);
    const duration = durationFlag('demo', 'duration', values.duration ?? '3h');
    const opsPerMinute =
      values['ops-per-minute'] === undefined
        ? 20
        : numberFlag('demo', 'ops-per-minute', values['ops-per-minute']);
    const seed = values.seed === undefined ? 1 : intFlag('demo', 'seed', values.seed, 0);
    const mode = progressMode(io, values);
    let storeValue = values.store;
    if (storeValue === undefined) {
      const dir = resolve(io.cwd, '.waymark');
      mkdirSync(dir, { recursive: true });
      for (const f of ['demo.duckdb', 'demo.duckdb.wal']) rmSync(resolve(dir, f), { force: true });
      storeValue = `duckdb:${resolve(dir, 'demo.duckdb')}`;
    }
    const base = resolveConfig({ ...values, store: storeValue }, io);
    const config = { ...base, latenessSeconds: Math.max(base.latenessSeconds, 300) };
    const log = cliLogger(io, mode);
    const runtime = await Runtime.open({ config, clock: 'event', log, publishStats: true });
    const server = createServer({
      backend: runtime,
      host: config.http.host,
      port,
      extraHandlers: [statsRequestHandler({ dir: config.statsDir }), staticAssetsHandler()],
    });
    let url: string;
    try {
      ({ url } = await server.start());
    } catch (e) {
      await runtime.close();
      throw e;
    }
    const say = (text: string): void => {
      if (mode !== 'quiet') io.stderr.write(text);
    };
    await writeAll(
      io.stdout,
      `waymark demo serving on ${url} (store ${redactStoreUrl(config.storeUrl)})\n\n  Dashboard: ${url}/\n`,
    );

    const start = Instant.parse('2026-01-01T00:00:00Z');
    const faults = { drop: 0.01, dup: 0.01, reorder: 30 * US_PER_SECOND };
    const next = merge([
      new EventGenerator({
        scenario: openstackScenario(),
        opsPerHour: opsPerMinute * 60,
        seed,
        start,
        duration,
        faults,
      }),
      new EventGenerator({
        scenario: testrunScenario(),
        opsPerHour: opsPerMinute * 15,
        seed: seed + 1,
        start,
        duration,
        faults,
      }),
    ]);
    const t0 = performance.now();
    let sent = 0;
    let lastReport = 0;
    const report = async (final: boolean): Promise<void> => {
      const h = (await runtime.health()) as { streams: Record<string, number>; clock: { now: string } };
      const streams = Object.entries(h.streams)
        .filter(([, n]) => n > 0)
        .map(([s, n]) => `${s} ${n}`)
        .join(', ');
      const build = runtime.meters().find((m) => m.name === 'build_seconds');
      if (mode === 'json') {
        io.stderr.write(
          JSON.stringify({ demo: 'progress', sent, clock: h.clock.now, streams: h.streams, final }) + '\n',
        );
      } else {
        say(
          `${h.clock.now.slice(0, 19)}Z  sent ${sent}  streams: ${streams || 'none'}` +
            (build ? `  build_seconds p50 ${build.p50?.toFixed(1)} s (${build.count})` : '') +
            '\n',
        );
      }
    };
    const abort = new AbortController();
    const onSigint = (): void => abort.abort();
    process.once('SIGINT', onSigint);
    try {
      let batch: string[] = [];
      let g = next();
      while (g !== undefined && !abort.signal.aborted) {
        const due = (g.received - start.us) / US_PER_SECOND / speed;
        const elapsed = (performance.now() - t0) / 1000;
        if (due > elapsed || batch.length >= 500) {
          if (batch.length > 0) {
            const res = await fetch(`${url}/v1/notifications`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-ndjson' },
              body: batch.join('\n'),
            });
            await res.arrayBuffer();
            sent += batch.length;
            batch = [];
          }
          if (performance.now() - lastReport > 1000) {
            lastReport = performance.now();
            await report(false);
          }
          if (due > elapsed) await sleep(Math.min(250, (due - elapsed) * 1000));
          continue;
        }
        batch.push(g.line);
        g = next();
      }
      if (batch.length > 0) {
        const res = await fetch(`${url}/v1/notifications`, { method: 'POST', body: batch.join('\n') });
        await res.arrayBuffer();
        sent += batch.length;
      }
      await runtime.engine.idle();
      await report(true);
      const meters = runtime.meters();
      await writeAll(
        io.stdout,
        `\n${sent} notifications sent. Meters:\n${meters.length > 0 ? meterTable(meters) : 'none yet\n'}` +
          `\nDashboard: ${url}/\nTry:\n  curl '${url}/v1/streams?state=active'\n  waymark streams --server ${url}\n  waymark meters --server ${url}\n` +
          `mmstats: ${runtime.statsPath ?? '-'}   Prometheus: ${url}/metrics\n`,
      );
      if (values.exit !== true && !abort.signal.aborted) {
        await writeAll(io.stdout, `still serving on ${url} (dashboard ${url}/); Ctrl-C stops\n`);
        await new Promise<void>((r) => {
          abort.signal.addEventListener('abort', () => r());
          process.once('SIGTERM', () => r());
        });
      }
    } finally {
      process.removeListener('SIGINT', onSigint);
      await server.close();
      await runtime.close();
      say(log.summary());
    }
    return 0;
  },
};

export default command;
